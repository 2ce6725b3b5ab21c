//! Node's timers, for porting `setTimeout`/`setInterval`: callbacks run on the
//! runtime, and a pending timer keeps [`run`](crate::run) waiting, as in Node.
//!
//! The delay comes first (`set_timeout(1000, || ...)`) so the closure can trail, the
//! way Rust APIs put closures last.
//!
//! As in Node, all timers live in one queue, served by one task: timers due at the
//! same time run in the order they were created (or, for an interval, re-armed), one
//! after the other, never concurrently with each other. Ported programs with two
//! loops (a physics step, then a broadcast, both every 16 ms) rely on that. Times are
//! whole milliseconds, as Node's loop time is: two timers created within the same
//! millisecond with the same delay are due together (never before `ms` have
//! passed); an interval is re-armed from the time its batch started running, as
//! Node's `listOnTimeout` does, so intervals that ran together stay together. Creating and clearing a timer sends one message
//! to that task (no lock is shared between threads).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use once_cell::sync::Lazy;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::runtime::{Gate, KeepAlive, call_user, spawn};

/// A pending timer (Node's `Timeout`); clear it with [`clear_timeout`] or [`Timeout::clear`].
#[derive(Clone, Debug)]
pub struct Timeout {
    inner: Arc<TimerState>,
}

#[derive(Debug)]
struct TimerState {
    id: u64,
    cleared: AtomicBool,
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
        if !self.inner.cleared.swap(true, Ordering::AcqRel) {
            // The queue drops the entry (and with it what keeps `run()` waiting).
            let _ = queue().send(Command::Clear(self.inner.id));
        }
    }

    fn is_cleared(&self) -> bool {
        self.inner.cleared.load(Ordering::Acquire)
    }
}

/// `setTimeout(callback, ms)`: runs `callback` once, after `ms` milliseconds (at
/// least 1, as in Node).
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
    let mut callback = Some(callback);
    arm(ms, None, move |_: &Timeout| {
        if let Some(callback) = callback.take() {
            callback();
        }
    })
}

/// `setInterval(callback, ms)`: runs `callback` every `ms` milliseconds (at least 1)
/// until cleared.
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
    arm(ms, Some(ms.max(1)), move |_: &Timeout| callback())
}

/// `const t = setInterval(() => { ...; clearInterval(t) }, ms)`: like
/// [`set_interval`], but the callback gets its own [`Timeout`], so it can clear
/// itself without a shared slot.
///
/// ```
/// use std::sync::{Arc, atomic::{AtomicU32, Ordering}};
/// let ticks = Arc::new(AtomicU32::new(0));
/// let t = ticks.clone();
/// nodews::set_interval_with(2, move |me| {
///     if t.fetch_add(1, Ordering::SeqCst) + 1 == 3 {
///         nodews::clear_interval(me);
///     }
/// });
/// nodews::run();
/// assert_eq!(ticks.load(Ordering::SeqCst), 3);
/// ```
pub fn set_interval_with(ms: u64, callback: impl FnMut(&Timeout) + Send + 'static) -> Timeout {
    arm(ms, Some(ms.max(1)), callback)
}

/// Creates a timer and hands it to the queue.
fn arm(ms: u64, period: Option<u64>, callback: impl FnMut(&Timeout) + Send + 'static) -> Timeout {
    static NEXT_ID: AtomicU64 = AtomicU64::new(0);
    let timer = Timeout {
        inner: Arc::new(TimerState {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            cleared: AtomicBool::new(false),
        }),
    };
    let entry = Entry {
        timer: timer.clone(),
        callback: Box::new(callback),
        period,
        gate: Gate::for_current_thread(),
        _alive: KeepAlive::new(),
    };
    // Rounded up: a timer never fires before `ms` have passed since it was set.
    let due = now_ms_ceil() + ms.max(1);
    let _ = queue().send(Command::Arm(due, entry));
    timer
}

/// The reference point of timer milliseconds.
static EPOCH: Lazy<Instant> = Lazy::new(Instant::now);

/// Milliseconds since [`EPOCH`], rounded down: Node's loop time.
fn now_ms() -> u64 {
    u64::try_from(EPOCH.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Milliseconds since [`EPOCH`], rounded up.
fn now_ms_ceil() -> u64 {
    let elapsed = EPOCH.elapsed();
    let ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
    if elapsed.subsec_nanos().is_multiple_of(1_000_000) {
        ms
    } else {
        ms.saturating_add(1)
    }
}

fn instant_of(ms: u64) -> Instant {
    *EPOCH + Duration::from_millis(ms)
}

struct Entry {
    timer: Timeout,
    callback: Box<dyn FnMut(&Timeout) + Send>,
    /// `Some(ms)` for an interval.
    period: Option<u64>,
    /// Timer callbacks are events too: they wait until the thread that set the timer
    /// has returned to the event loop.
    gate: Arc<Gate>,
    /// Keeps `run()` waiting while the timer is pending.
    _alive: KeepAlive,
}

enum Command {
    /// Arm a timer due at this millisecond.
    Arm(u64, Entry),
    Clear(u64),
    /// A timer that was due at (due, order) while its gate was closed; the gate has
    /// opened.
    GateOpened((u64, u64), Entry),
}

/// The queue's inbox; the first use starts the task that serves it.
fn queue() -> &'static mpsc::UnboundedSender<Command> {
    static QUEUE: Lazy<mpsc::UnboundedSender<Command>> = Lazy::new(|| {
        let (tx, rx) = mpsc::unbounded_channel();
        spawn(serve(rx));
        tx
    });
    &QUEUE
}

/// Pending timers by (due millisecond, order), and where each id sits.
#[derive(Default)]
struct Timers {
    by_due: BTreeMap<(u64, u64), Entry>,
    key_of: HashMap<u64, (u64, u64)>,
    next_order: u64,
}

impl Timers {
    fn insert(&mut self, due: u64, order: u64, entry: Entry) {
        self.key_of.insert(entry.timer.inner.id, (due, order));
        self.by_due.insert((due, order), entry);
    }

    fn remove(&mut self, id: u64) -> Option<Entry> {
        let key = self.key_of.remove(&id)?;
        self.by_due.remove(&key)
    }

    /// Arms `entry` after every timer armed so far: a thread's messages arrive in the
    /// order it sent them, so this is creation order (and re-arming order).
    fn arm(&mut self, due: u64, entry: Entry) {
        let order = self.next_order;
        self.next_order += 1;
        self.insert(due, order, entry);
    }

    fn apply(&mut self, command: Command) {
        match command {
            Command::Arm(due, entry) => self.arm(due, entry),
            Command::Clear(id) => drop(self.remove(id)),
            // Back at its old place: already due, it runs in the next batch.
            Command::GateOpened((due, order), entry) => self.insert(due, order, entry),
        }
    }
}

/// The timer task: sleeps until the earliest timer is due, then runs every timer due
/// by then, in order, one at a time.
async fn serve(mut inbox: mpsc::UnboundedReceiver<Command>) {
    let mut timers = Timers::default();
    loop {
        let next_due = timers.by_due.keys().next().map(|&(due, _)| due);
        tokio::select! {
            biased;
            command = inbox.recv() => match command {
                Some(command) => timers.apply(command),
                None => return,
            },
            () = sleep_until_ms(next_due) => {
                // Take in every message already sent (a clear from another thread
                // included) before deciding what runs.
                while let Ok(command) = inbox.try_recv() {
                    timers.apply(command);
                }
                run_due(&mut timers);
            }
        }
    }
}

async fn sleep_until_ms(due: Option<u64>) {
    match due {
        Some(due) => tokio::time::sleep_until(instant_of(due)).await,
        None => std::future::pending().await,
    }
}

/// Runs the timers due at the batch's start time, earliest first, creation order
/// among equals; re-arms intervals from that start time, as Node does.
fn run_due(timers: &mut Timers) {
    let batch_start = now_ms();
    while let Some(entry) = timers.by_due.first_entry() {
        if entry.key().0 > batch_start {
            break;
        }
        let key = *entry.key();
        let mut entry = entry.remove();
        timers.key_of.remove(&entry.timer.inner.id);
        if entry.timer.is_cleared() {
            continue;
        }
        if !entry.gate.is_open() {
            // Rare: the thread that set it has not returned to the loop yet. Let the
            // other timers run; this one comes back once its gate opens.
            let gate = entry.gate.clone();
            spawn(async move {
                gate.wait().await;
                let _ = queue().send(Command::GateOpened(key, entry));
            });
            continue;
        }
        let (callback, timer) = (&mut entry.callback, &entry.timer);
        if let Err(panic) = call_user(|| callback(timer)) {
            let what = if entry.period.is_some() {
                "setInterval"
            } else {
                "setTimeout"
            };
            let error = crate::Error::new(
                crate::ErrorCode::WS_ERR_LISTENER_PANIC,
                format!("a {what} callback panicked: {panic}"),
            );
            if !super::uncaught::take(&error) {
                log::error!("{error}");
            }
        }
        if let Some(period) = entry.period
            && !entry.timer.is_cleared()
        {
            timers.arm(batch_start + period, entry);
        }
    }
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
