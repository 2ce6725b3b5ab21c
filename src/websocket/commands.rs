//! What a socket's handles ask of its task, and how the request travels: the
//! command queue (any thread), or, from the socket's own listeners, a per-thread
//! outbox the task drains right after they return (no channel, no self-wake).
//!
//! Below both the handle (`websocket/mod.rs`, which submits) and the task
//! (`connection.rs`, which applies), so neither needs the other's internals.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
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
    /// The socket being dispatched on this thread (the address of its queue), 0 for
    /// none. A `Cell` of its own, read first: a send to another socket touches
    /// nothing else here.
    static OUTBOX_OWNER: Cell<usize> = const { Cell::new(0) };
    /// Commands from the listeners of that socket. A listener's `ws.send(..)` lands
    /// here instead of in the cross-thread queue, and is applied right after the
    /// listener returns: no channel, no lock, no self-wake.
    static OUTBOX: RefCell<Vec<Command>> = const { RefCell::new(Vec::new()) };
    /// The worker thread's spare queue, swapped with a socket's queue to take all its
    /// commands at once (see [`take_batch`]).
    static SPARE_BATCH: RefCell<VecDeque<Command>> = const { RefCell::new(VecDeque::new()) };
}

/// An empty queue to take a socket's commands into: this thread's spare, whose
/// allocation passes from socket to socket. Give it back with [`give_back_batch`].
pub(crate) fn take_batch() -> VecDeque<Command> {
    SPARE_BATCH.with_borrow_mut(std::mem::take)
}

/// Returns an emptied batch queue as this thread's spare.
pub(crate) fn give_back_batch(batch: VecDeque<Command>) {
    debug_assert!(batch.is_empty());
    if batch.capacity() == 0 {
        return;
    }
    SPARE_BATCH.with_borrow_mut(|spare| {
        if spare.capacity() < batch.capacity() {
            *spare = batch;
        }
    });
}

/// Hands a command to the socket's task: directly when called from one of that
/// socket's own listeners, else through its queue. `Err` gives it back if the socket
/// is gone.
#[inline]
pub(crate) fn submit(queue: &CommandQueue, command: Command) -> Result<(), Command> {
    if OUTBOX_OWNER.get() == queue as *const CommandQueue as usize {
        OUTBOX.with_borrow_mut(|commands| commands.push(command));
        Ok(())
    } else {
        queue.push(command)
    }
}

/// A socket's command queue: handles push from any thread, the socket's task pops.
/// (A `VecDeque` behind a lock rather than a channel: it allocates nothing until the
/// first command, which matters for thousands of idle sockets.)
#[derive(Default)]
pub(crate) struct CommandQueue {
    queue: parking_lot::Mutex<VecDeque<Command>>,
    /// The queue may hold commands: set by a push, cleared when the task empties the
    /// queue (both under the lock), read without it, so that the task's check after
    /// every message takes no lock in the usual case (nothing queued). A push the
    /// task misses wakes it (it found the queue empty), as it always has.
    queued: AtomicBool,
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
        self.queued.store(true, Ordering::Release);
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
        let next = {
            let mut queue = self.queue.lock();
            let next = queue.pop_front();
            if queue.is_empty() {
                self.queued.store(false, Ordering::Relaxed);
            }
            next
        };
        match next {
            Some(command) => Poll::Ready(Some(command)),
            None if self.closed.load(Ordering::Acquire) => Poll::Ready(None),
            None => Poll::Pending,
        }
    }

    /// Moves every queued command into `batch` (empty on entry) under one lock, by
    /// swapping the two: the queue keeps `batch`'s allocation for the next commands.
    /// Does not register for a wake-up: for a task that registered earlier in the
    /// same poll.
    pub(crate) fn take_all(&self, batch: &mut VecDeque<Command>) {
        debug_assert!(batch.is_empty());
        let mut queue = self.queue.lock();
        if !queue.is_empty() {
            std::mem::swap(&mut *queue, batch);
        }
        self.queued.store(false, Ordering::Relaxed);
    }

    /// Whether commands may be queued (see `queued`); `false` means that a push after
    /// the task's last [`take_all`](Self::take_all) has not happened yet, or has woken
    /// the task.
    pub(crate) fn may_have_commands(&self) -> bool {
        self.queued.load(Ordering::Acquire)
    }

    /// Puts commands taken by [`take_all`](Self::take_all) and not carried out back
    /// at the front of the queue, in order, for [`close`](Self::close) to return.
    pub(crate) fn put_back(&self, batch: &mut VecDeque<Command>) {
        let mut queue = self.queue.lock();
        while let Some(command) = batch.pop_back() {
            queue.push_front(command);
        }
        self.queued.store(true, Ordering::Release);
    }

    /// Refuses further commands and returns those still queued.
    pub(crate) fn close(&self) -> VecDeque<Command> {
        self.closed.store(true, Ordering::Release);
        let mut queue = self.queue.lock();
        self.queued.store(false, Ordering::Relaxed);
        std::mem::take(&mut *queue)
    }
}

/// Runs `emit` (a socket's listeners) with that socket's commands collected in this
/// thread's outbox; returns them in order, for the task to apply (empty, without
/// touching the outbox, when the listeners queued nothing).
pub(crate) fn run_as_owner(queue: &CommandQueue, emit: impl FnOnce()) -> Vec<Command> {
    let outer = OUTBOX_OWNER.replace(queue as *const CommandQueue as usize);
    emit();
    OUTBOX_OWNER.set(outer);
    // Taken out while they are applied: a send callback run then may queue commands
    // for an outer socket being dispatched.
    OUTBOX.with_borrow_mut(|commands| {
        if commands.is_empty() {
            Vec::new()
        } else {
            std::mem::take(commands)
        }
    })
}

/// Gives an (emptied) outbox vector back, so the next dispatch on this thread reuses
/// its allocation.
pub(crate) fn give_back(commands: Vec<Command>) {
    debug_assert!(commands.is_empty());
    if commands.capacity() == 0 {
        return;
    }
    OUTBOX.with_borrow_mut(|spare| {
        if spare.capacity() == 0 {
            *spare = commands;
        }
    });
}
