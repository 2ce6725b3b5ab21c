//! The hidden event loop: one tokio runtime on background threads, `run()`, and the
//! rule that keeps events from being lost to a race.
//!
//! # The race rule
//!
//! In Node nothing fires while the code that created an emitter is still running, so
//! listeners registered right after `new` see everything. nodews keeps the same rule:
//! **an emitter's events start when the code that created it returns to the event
//! loop.** For an emitter created inside a listener or timer callback, that is when
//! the callback returns. For one created on a thread of your own (usually `main`),
//! it is when that thread calls [`run`], any `wait_*` method, [`release_events`], or
//! exits. Until then the connection proceeds (the TCP and HTTP handshake happen in the
//! background) but its events wait, in order.
//!
//! Each emitter owns a [`Gate`]; its task awaits the gate before dispatching anything.

pub(crate) mod timers;
pub(crate) mod uncaught;

use std::cell::{Cell, RefCell};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use once_cell::sync::Lazy;
use parking_lot::{Condvar, Mutex};
use tokio::runtime::Runtime;
use tokio::sync::Notify;

/// The runtime. It is never dropped: dropping a runtime from inside another runtime
/// panics, and the user's own tokio runtime may be the one running when the process ends.
static RUNTIME: Lazy<Runtime> = Lazy::new(|| {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name("nodews")
        .enable_all()
        .build()
        .expect("nodews: cannot start the tokio runtime")
});

/// The runtime handle, for spawning from any thread (also from inside a user's own
/// tokio runtime: `Runtime::spawn` never panics there, unlike `block_on`).
pub(crate) fn runtime() -> &'static Runtime {
    &RUNTIME
}

pub(crate) fn spawn<F>(future: F)
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    RUNTIME.spawn(future);
}

/// How many things could still fire an event: listening servers, open or connecting
/// sockets, pending timers. `run()` returns when it reaches zero. An atomic, so that
/// opening a connection or arming a timer takes no process-wide lock; the mutex below
/// is taken only by `run()` and when the count reaches zero.
static ALIVE: AtomicUsize = AtomicUsize::new(0);
static ALIVE_LOCK: Mutex<()> = Mutex::new(());
static ALIVE_CHANGED: Condvar = Condvar::new();

/// Counts one live thing for as long as it exists (RAII), like a ref'd handle in Node.
#[derive(Debug)]
pub(crate) struct KeepAlive(());

impl KeepAlive {
    pub(crate) fn new() -> KeepAlive {
        ALIVE.fetch_add(1, Ordering::SeqCst);
        KeepAlive(())
    }
}

impl Drop for KeepAlive {
    fn drop(&mut self) {
        if ALIVE.fetch_sub(1, Ordering::SeqCst) == 1 {
            // Taking the lock before notifying: a `run()` that saw a non-zero count
            // holds it until it waits, so this wake-up cannot fall between the two.
            let _guard = ALIVE_LOCK.lock();
            ALIVE_CHANGED.notify_all();
        }
    }
}

/// Runs the event loop until nothing is left that could fire an event: no listening
/// server, no open or connecting socket, no pending timer. Node does this implicitly
/// after the script's last line; a Rust program says so.
///
/// It also starts the events of every emitter this thread created (see the race rule
/// in the [crate docs](crate#the-race-rule)). Calling it from inside a listener would
/// wait for itself, so that panics with an explanation.
///
/// ```
/// let timer_ran = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
/// let flag = timer_ran.clone();
/// nodews::set_timeout(10, move || flag.store(true, std::sync::atomic::Ordering::SeqCst));
/// nodews::run(); // returns once the timer has fired
/// assert!(timer_ran.load(std::sync::atomic::Ordering::SeqCst));
/// ```
#[track_caller]
pub fn run() {
    assert_may_block("nodews::run()");
    release_events();
    let mut guard = ALIVE_LOCK.lock();
    while ALIVE.load(Ordering::SeqCst) > 0 {
        ALIVE_CHANGED.wait(&mut guard);
    }
}

/// Starts the events of every emitter this thread has created so far, without
/// blocking. `run()` and the `wait_*` methods do this for you; call it when a thread
/// of yours keeps working (say, reading stdin) instead of waiting.
///
/// ```
/// let wss = nodews::WebSocketServer::new(nodews::ServerOptions { port: Some(0), ..Default::default() });
/// wss.on("listening", || println!("listening"));
/// nodews::release_events(); // events may fire from now on, on nodews's threads
/// wss.close();
/// nodews::run();
/// ```
#[inline]
pub fn release_events() {
    // The usual case, after every listener call: nothing was created. A flag of its
    // own, read first: the list (which has a destructor) is not touched then.
    if HAS_PENDING_GATES.get() {
        open_pending_gates();
    }
}

#[cold]
#[inline(never)]
fn open_pending_gates() {
    HAS_PENDING_GATES.set(false);
    let gates = PENDING_GATES.with(|p| std::mem::take(&mut p.borrow_mut().0));
    for gate in gates {
        gate.open();
    }
}

/// Opens gates left behind when a thread of the user's exits: thread exit is a return
/// to the event loop too.
struct PendingGates(Vec<Arc<Gate>>);

impl Drop for PendingGates {
    fn drop(&mut self) {
        for gate in self.0.drain(..) {
            gate.open();
        }
    }
}

thread_local! {
    static PENDING_GATES: RefCell<PendingGates> = const { RefCell::new(PendingGates(Vec::new())) };
    /// `PENDING_GATES` may hold gates (it is set whenever one is added).
    static HAS_PENDING_GATES: Cell<bool> = const { Cell::new(false) };
    /// Depth of listener calls on this thread; blocking waits are refused when > 0.
    static IN_LISTENER: Cell<u32> = const { Cell::new(0) };
}

/// How long events may wait for their gate before [`Gate::wait`] warns, once per process.
const HELD_BACK_WARNING: std::time::Duration = std::time::Duration::from_secs(5);
static HELD_BACK_WARNED: AtomicBool = AtomicBool::new(false);

/// Holds an emitter's events until the code that created it returns to the event loop.
#[derive(Debug, Default)]
pub(crate) struct Gate {
    open: AtomicBool,
    notify: Notify,
}

impl Gate {
    /// A closed gate, registered with the current thread so that it opens when this
    /// thread returns to the event loop.
    pub(crate) fn for_current_thread() -> Arc<Gate> {
        let gate = Arc::new(Gate::default());
        // `try_with`: during thread teardown the list is gone; open at once then.
        if PENDING_GATES
            .try_with(|p| p.borrow_mut().0.push(gate.clone()))
            .is_ok()
        {
            HAS_PENDING_GATES.set(true);
        } else {
            gate.open();
        }
        gate
    }

    pub(crate) fn open(&self) {
        self.open.store(true, Ordering::Release);
        self.notify.notify_waiters();
    }

    pub(crate) fn is_open(&self) -> bool {
        self.open.load(Ordering::Acquire)
    }

    pub(crate) async fn wait(&self) {
        let mut warned = false;
        loop {
            let notified = self.notify.notified();
            if self.open.load(Ordering::Acquire) {
                return;
            }
            if warned {
                notified.await;
            } else if tokio::time::timeout(HELD_BACK_WARNING, notified)
                .await
                .is_err()
            {
                // Events held back this long usually mean the creating thread is busy
                // with work of its own and never returns to the loop: say what to do.
                warned = true;
                if !HELD_BACK_WARNED.swap(true, Ordering::Relaxed) {
                    log::warn!(
                        "events have waited {HELD_BACK_WARNING:?} for the thread that created their \
                         emitter to return to the event loop; a thread that keeps running must call \
                         nodews::release_events() (or run(), or a wait_* method) after setting up \
                         its listeners (this warning is shown once)"
                    );
                }
            }
        }
    }
}

/// Calls user code: catches a panic (returning its message), and afterwards opens the
/// gates of emitters the code created, because it has now returned to the event loop.
pub(crate) fn call_user<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    IN_LISTENER.with(|d| d.set(d.get() + 1));
    let result = catch_unwind(AssertUnwindSafe(f));
    IN_LISTENER.with(|d| d.set(d.get() - 1));
    release_events();
    result.map_err(|panic| {
        if let Some(s) = panic.downcast_ref::<&str>() {
            (*s).to_string()
        } else if let Some(s) = panic.downcast_ref::<String>() {
            s.clone()
        } else {
            "a listener panicked".to_string()
        }
    })
}

/// Blocking waits from inside a listener would wait for the very loop that runs the
/// listener: refuse them loudly instead of deadlocking.
#[track_caller]
pub(crate) fn assert_may_block(what: &str) {
    if IN_LISTENER.with(|d| d.get()) > 0 {
        panic!(
            "{what} blocks until events have run, but it was called from inside a listener, \
             which runs on the event loop itself; call it from main or your own thread"
        );
    }
}

/// What blocking waits wait for: an emitter's `close` (and, for a client socket, its
/// `open`). One mutex and condition variable per emitter, whatever is awaited.
#[derive(Debug, Default)]
pub(crate) struct ClosedLatch {
    /// Bit 1: opened; bit 2: closed.
    state: Mutex<u8>,
    changed: Condvar,
}

const OPENED: u8 = 1;
const CLOSED: u8 = 2;

impl ClosedLatch {
    /// `close` has been emitted.
    pub(crate) fn set(&self) {
        *self.state.lock() |= CLOSED;
        self.changed.notify_all();
    }

    /// `open` has been emitted (or the socket was open from the start).
    pub(crate) fn set_opened(&self) {
        *self.state.lock() |= OPENED;
        self.changed.notify_all();
    }

    /// Blocks until closed, or until `timeout`; `true` if closed. Like `run()`, it
    /// first starts this thread's pending events, and refuses to run inside a listener.
    #[track_caller]
    pub(crate) fn wait(&self, what: &str, timeout: Option<std::time::Duration>) -> bool {
        self.wait_for(what, CLOSED, timeout) & CLOSED != 0
    }

    /// Blocks until opened or closed, or until `timeout`; `true` if opened.
    #[track_caller]
    pub(crate) fn wait_opened(&self, what: &str, timeout: Option<std::time::Duration>) -> bool {
        self.wait_for(what, OPENED | CLOSED, timeout) & OPENED != 0
    }

    #[track_caller]
    fn wait_for(&self, what: &str, any: u8, timeout: Option<std::time::Duration>) -> u8 {
        assert_may_block(what);
        release_events();
        let deadline = timeout.and_then(|t| std::time::Instant::now().checked_add(t));
        let mut state = self.state.lock();
        while *state & any == 0 {
            match deadline {
                Some(d) => {
                    if self.changed.wait_until(&mut state, d).timed_out() {
                        break;
                    }
                }
                None => self.changed.wait(&mut state),
            }
        }
        *state
    }
}
