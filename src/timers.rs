//! Node's timers, for porting `setTimeout`/`setInterval`: callbacks run on the
//! runtime, and a pending timer keeps [`run`](crate::run) waiting, as in Node.
//!
//! The delay comes first (`set_timeout(1000, || ...)`) so the closure can trail, the
//! way Rust APIs put closures last.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::runtime::{Gate, KeepAlive, call_user, spawn};

/// A pending timer (Node's `Timeout`); clear it with [`clear_timeout`] or [`Timeout::clear`].
#[derive(Clone, Debug)]
pub struct Timeout {
    inner: Arc<TimerState>,
}

#[derive(Debug, Default)]
struct TimerState {
    cleared: AtomicBool,
    wake: Notify,
}

impl Timeout {
    /// Cancels the timer; its callback will not run (again). Clearing twice is fine.
    ///
    /// ```
    /// let t = nodews::set_timeout(60_000, || unreachable!());
    /// t.clear();
    /// nodews::run(); // returns at once: the cleared timer no longer keeps it waiting
    /// ```
    pub fn clear(&self) {
        self.inner.cleared.store(true, Ordering::Release);
        // notify_one stores a permit, so a clear that races the task's first poll is not lost.
        self.inner.wake.notify_one();
    }

    fn is_cleared(&self) -> bool {
        self.inner.cleared.load(Ordering::Acquire)
    }

    /// Waits until `deadline`; `false` if the timer was cleared first.
    async fn sleep_until(&self, deadline: Instant) -> bool {
        tokio::select! {
            () = tokio::time::sleep_until(deadline) => !self.is_cleared(),
            () = self.inner.wake.notified() => false,
        }
    }
}

/// `setTimeout(callback, ms)`: runs `callback` once, after `ms` milliseconds.
///
/// ```
/// use std::sync::{Arc, atomic::{AtomicBool, Ordering}};
/// let fired = Arc::new(AtomicBool::new(false));
/// let f = fired.clone();
/// nodews::set_timeout(5, move || f.store(true, Ordering::SeqCst));
/// nodews::run();
/// assert!(fired.load(Ordering::SeqCst));
/// ```
pub fn set_timeout(ms: u64, callback: impl FnOnce() + Send + 'static) -> Timeout {
    let timer = Timeout {
        inner: Arc::default(),
    };
    let deadline = Instant::now() + Duration::from_millis(ms.max(1));
    let gate = Gate::for_current_thread();
    let alive = KeepAlive::new();
    let task_timer = timer.clone();
    spawn(async move {
        let _alive = alive;
        if task_timer.sleep_until(deadline).await {
            gate.wait().await;
            if !task_timer.is_cleared()
                && let Err(panic) = call_user(callback)
            {
                log::error!("a setTimeout callback panicked: {panic}");
            }
        }
    });
    timer
}

/// `setInterval(callback, ms)`: runs `callback` every `ms` milliseconds until cleared.
///
/// ```
/// use std::sync::{Arc, atomic::{AtomicU32, Ordering}};
/// let ticks = Arc::new(AtomicU32::new(0));
/// let t = ticks.clone();
/// let slot = Arc::new(parking_lot::Mutex::new(None::<nodews::Timeout>));
/// let me = slot.clone();
/// *slot.lock() = Some(nodews::set_interval(2, move || {
///     if t.fetch_add(1, Ordering::SeqCst) + 1 == 3 {
///         nodews::clear_interval(me.lock().as_ref().unwrap());
///     }
/// }));
/// nodews::run();
/// assert_eq!(ticks.load(Ordering::SeqCst), 3);
/// ```
pub fn set_interval(ms: u64, mut callback: impl FnMut() + Send + 'static) -> Timeout {
    let timer = Timeout {
        inner: Arc::default(),
    };
    let period = Duration::from_millis(ms.max(1));
    let gate = Gate::for_current_thread();
    let alive = KeepAlive::new();
    let task_timer = timer.clone();
    spawn(async move {
        let _alive = alive;
        let mut deadline = Instant::now() + period;
        loop {
            if !task_timer.sleep_until(deadline).await {
                return;
            }
            gate.wait().await;
            if task_timer.is_cleared() {
                return;
            }
            if let Err(panic) = call_user(&mut callback) {
                log::error!("a setInterval callback panicked: {panic}");
            }
            // Node schedules the next run from when this one was due, not from now,
            // but never in the past.
            deadline = (deadline + period).max(Instant::now());
        }
    });
    timer
}

/// `clearTimeout(timeout)`.
///
/// ```
/// let t = nodews::set_timeout(60_000, || {});
/// nodews::clear_timeout(&t);
/// ```
pub fn clear_timeout(timeout: &Timeout) {
    timeout.clear();
}

/// `clearInterval(interval)`.
///
/// ```
/// let t = nodews::set_interval(60_000, || {});
/// nodews::clear_interval(&t);
/// ```
pub fn clear_interval(interval: &Timeout) {
    interval.clear();
}
