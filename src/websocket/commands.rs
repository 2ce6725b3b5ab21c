//! What a socket's handles ask of its task, and how the request travels: the
//! command queue (any thread), or, from the socket's own listeners, a per-thread
//! outbox the task drains right after they return (no channel, no self-wake).
//!
//! Below both the handle (`websocket/mod.rs`, which submits) and the task
//! (`connection.rs`, which applies), so neither needs the other's internals.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use futures_util::task::AtomicWaker;

use crate::{Error, Message};

/// Called with `None` once the data is written, or with the error that stopped it.
pub(crate) type SendCallback = Box<dyn FnOnce(Option<Error>) + Send>;

/// What handles ask of the socket's task.
pub(crate) enum Command {
    Send {
        message: Message,
        fin: bool,
        callback: Option<SendCallback>,
    },
    Ping(bytes::Bytes),
    Pong(bytes::Bytes),
    Close(Option<(u16, String)>),
    Terminate,
    /// Wakes the task after `resume()`.
    Resume,
}

thread_local! {
    /// Commands from the listeners of the socket being dispatched on this thread.
    /// A listener's `ws.send(..)` lands here instead of in the cross-thread queue, and
    /// is applied right after the listener returns: no channel, no self-wake.
    static LOCAL_OUTBOX: RefCell<LocalOutbox> = const { RefCell::new(LocalOutbox { owner: 0, commands: Vec::new() }) };
}

struct LocalOutbox {
    /// The dispatching socket (the address of its queue), 0 for none.
    owner: usize,
    commands: Vec<Command>,
}

/// Hands a command to the socket's task: directly when called from one of that
/// socket's own listeners, else through its queue. `Err` gives it back if the socket
/// is gone.
pub(crate) fn submit(queue: &CommandQueue, command: Command) -> Result<(), Command> {
    let id = queue as *const CommandQueue as usize;
    let command = LOCAL_OUTBOX.with(|outbox| {
        let mut outbox = outbox.borrow_mut();
        if outbox.owner == id {
            outbox.commands.push(command);
            None
        } else {
            Some(command)
        }
    });
    match command {
        None => Ok(()),
        Some(command) => queue.push(command),
    }
}

/// A socket's command queue: handles push from any thread, the socket's task pops.
/// (A `VecDeque` behind a lock rather than a channel: it allocates nothing until the
/// first command, which matters for thousands of idle sockets.)
#[derive(Default)]
pub(crate) struct CommandQueue {
    queue: parking_lot::Mutex<std::collections::VecDeque<Command>>,
    closed: AtomicBool,
    task: AtomicWaker,
}

impl CommandQueue {
    fn push(&self, command: Command) -> Result<(), Command> {
        if self.closed.load(Ordering::Acquire) {
            return Err(command);
        }
        let mut queue = self.queue.lock();
        let was_empty = queue.is_empty();
        queue.push_back(command);
        drop(queue);
        // Only the first command of a batch wakes the task: a task that has been woken
        // takes commands until it finds the queue empty, so it also takes those pushed
        // after the wake-up (and a push that finds the queue empty wakes it again).
        if was_empty {
            self.task.wake();
        }
        Ok(())
    }

    /// Wakes this task when a command arrives.
    pub(crate) fn register(&self, waker: &std::task::Waker) {
        self.task.register(waker);
    }

    /// The next command, or `None` once the queue is closed and empty.
    pub(crate) fn poll_pop(&self, cx: &mut Context<'_>) -> Poll<Option<Command>> {
        self.task.register(cx.waker());
        match self.pop() {
            Some(command) => Poll::Ready(Some(command)),
            None if self.closed.load(Ordering::Acquire) => Poll::Ready(None),
            None => Poll::Pending,
        }
    }

    /// The next command, without registering for a wake-up: for a task that
    /// registered earlier in the same poll.
    pub(crate) fn pop(&self) -> Option<Command> {
        self.queue.lock().pop_front()
    }

    /// Refuses further commands and returns those still queued.
    pub(crate) fn close(&self) -> std::collections::VecDeque<Command> {
        self.closed.store(true, Ordering::Release);
        std::mem::take(&mut *self.queue.lock())
    }
}

/// Runs `emit` (a socket's listeners) with that socket's commands collected in this
/// thread's outbox; returns them in order, for the task to apply.
pub(crate) fn run_as_owner(queue: &CommandQueue, emit: impl FnOnce()) -> Vec<Command> {
    let id = queue as *const CommandQueue as usize;
    let outer = LOCAL_OUTBOX.with(|o| std::mem::replace(&mut o.borrow_mut().owner, id));
    emit();
    LOCAL_OUTBOX.with(|o| {
        let mut o = o.borrow_mut();
        o.owner = outer;
        std::mem::take(&mut o.commands)
    })
}

/// Gives an (emptied) outbox vector back, so the next dispatch on this thread reuses
/// its allocation.
pub(crate) fn give_back(commands: Vec<Command>) {
    debug_assert!(commands.is_empty());
    LOCAL_OUTBOX.with(|o| {
        let mut o = o.borrow_mut();
        if o.commands.capacity() == 0 {
            o.commands = commands;
        }
    });
}
