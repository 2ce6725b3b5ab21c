//! One task per open socket: where a message travels from the network to your
//! listeners, and where everything you send leaves (ws's receiver.js + sender.js
//! roles; frame parsing, masking, UTF-8 and close-code checks are tungstenite's).
//!
//! ```text
//!   network ──read──► tungstenite ──Message──► Connection::on_message ──► "message" listeners
//!                                                                            │ ws.send(..)
//!   network ◄─flush── tungstenite ◄─start_send── Connection::apply ◄── command queue
//! ```
//!
//! tungstenite sits behind a [`Transport`] (src/transport.rs): driven directly on
//! server sockets, through async-tungstenite's stream on client sockets.
//!
//! The task owns the stream; handles talk to it through an unbounded command queue,
//! so no lock is held while your code runs and `send` never blocks. Writes are
//! batched: frames are buffered by tungstenite as they are queued and flushed once
//! nothing more can be read right now, so the replies produced by one network read
//! leave in one write.
//!
//! Closing (RFC 6455 §7, as ws does it):
//!
//! ```text
//!   close() ─► send close frame ─► CLOSING ─► peer's close frame ─► TCP end ─► "close"(code)
//!              └─ no answer within close_timeout ─► drop TCP ─► "close"(1006)
//!   peer's close frame ─► tungstenite replies ─► CLOSING ─► TCP end ─► "close"(code or 1005)
//!   TCP ends without close frame ─► "close"(1006)
//! ```

use std::cell::RefCell;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use async_tungstenite::tungstenite::error::{CapacityError, ProtocolError};
use async_tungstenite::tungstenite::protocol::CloseFrame;
use async_tungstenite::tungstenite::protocol::frame::Frame;
use async_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data as OpData, OpCode};
use async_tungstenite::tungstenite::{Error as WsError, Message as WsMessage};
use futures_util::task::AtomicWaker;
use tokio::time::Sleep;

use crate::runtime::KeepAlive;
use crate::transport::Transport;
use crate::websocket::{CLOSE_EVENT, MESSAGE_EVENT, PING_EVENT, PONG_EVENT};
use crate::{Error, Message, WebSocket};

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

/// Messages read before the task yields to others, so one busy socket cannot starve
/// its worker thread (and queued replies get flushed).
const READ_BUDGET: usize = 64;

/// How the connection ended.
enum End {
    /// TCP ended after a close frame was received.
    Clean,
    /// TCP ended (or failed) without a close frame.
    Dropped,
    /// The peer broke the protocol: `error`, a close frame with the status, 1006.
    Failed(Error),
    /// `terminate()`, or the close timeout.
    Destroyed,
}

pub(crate) struct Connection<T> {
    socket: WebSocket,
    stream: T,
    close_timeout: Duration,
    /// We sent (or tungstenite auto-replied with) a close frame.
    close_sent: bool,
    /// The peer's close frame: its status (1005 if none) and reason.
    close_received: Option<(u16, String)>,
    /// Inside a fragmented message we are sending: was it binary?
    sending_fragments: Option<bool>,
    /// Frames handed to tungstenite since the last completed flush.
    unflushed: bool,
    unflushed_bytes: usize,
    unflushed_callbacks: Vec<SendCallback>,
    closing_deadline: Option<Pin<Box<Sleep>>>,
    /// Keeps `nodews::run()` waiting while this socket can still fire events.
    _alive: KeepAlive,
}

thread_local! {
    /// Commands from the listeners of the socket being dispatched on this thread.
    /// A listener's `ws.send(..)` lands here instead of in the cross-thread queue, and
    /// is applied right after the listener returns: no channel, no self-wake.
    static LOCAL_OUTBOX: RefCell<LocalOutbox> = const { RefCell::new(LocalOutbox { owner: 0, commands: Vec::new() }) };
}

struct LocalOutbox {
    /// The dispatching socket (`Arc` address of its shared state), 0 for none.
    owner: usize,
    commands: Vec<Command>,
}

/// Hands a command to the socket's task: directly when called from one of that
/// socket's own listeners, else through its queue. `Err` gives it back if the socket
/// is gone.
pub(crate) fn submit(socket: &WebSocket, command: Command) -> Result<(), Command> {
    let id = Arc::as_ptr(&socket.inner) as usize;
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
        Some(command) => socket.inner.commands.push(command),
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
        self.queue.lock().push_back(command);
        self.task.wake();
        Ok(())
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
    fn pop(&self) -> Option<Command> {
        self.queue.lock().pop_front()
    }

    /// Refuses further commands and returns those still queued.
    fn close(&self) -> std::collections::VecDeque<Command> {
        self.closed.store(true, Ordering::Release);
        std::mem::take(&mut *self.queue.lock())
    }
}

impl<T: Transport> Connection<T> {
    pub(crate) fn new(
        socket: WebSocket,
        stream: T,
        close_timeout: Duration,
        alive: KeepAlive,
    ) -> Self {
        Connection {
            socket,
            stream,
            close_timeout,
            close_sent: false,
            close_received: None,
            sending_fragments: None,
            unflushed: false,
            unflushed_bytes: 0,
            unflushed_callbacks: Vec::new(),
            closing_deadline: None,
            _alive: alive,
        }
    }

    /// Drives the socket until it has closed and emitted `close`, then runs `then()`.
    ///
    /// This future lives as long as the connection, so it is kept small: it holds
    /// the connection and `then` (not yet called), and boxes what runs only at the
    /// end. (Not an `async fn`: rustc keeps room for both the `self` argument and
    /// its moved-in copy in an `async fn`'s state, doubling every connection's task.)
    #[allow(clippy::manual_async_fn)]
    pub(crate) fn run<F, Then>(self, then: F) -> impl Future<Output = ()> + Send + 'static
    where
        F: FnOnce() -> Then + Send + 'static,
        Then: Future<Output = ()> + Send + 'static,
    {
        let mut connection = self;
        async move {
            let end = poll_fn(|cx| connection.poll_until_end(cx)).await;
            // Boxed: awaited inline, `finish` would reserve a second connection's room.
            Box::pin(connection.finish(end)).await;
            Box::pin(then()).await;
        }
    }

    fn poll_until_end(&mut self, cx: &mut Context<'_>) -> Poll<End> {
        let mut budget = READ_BUDGET;
        // Once per poll: a command pushed after this wakes the task again.
        self.socket.inner.commands.task.register(cx.waker());
        loop {
            // 1. Commands from handles (including sends made by the listeners just run).
            while let Some(command) = self.socket.inner.commands.pop() {
                if let Some(end) = self.apply(command) {
                    return Poll::Ready(end);
                }
            }

            // 2. Read and dispatch, unless paused. (With nothing to read this costs no
            // system call: tokio knows the socket is not readable.)
            if !self.socket.is_paused() && budget > 0 {
                match self.stream.poll_message(cx) {
                    Poll::Ready(Some(Ok(message))) => {
                        // More may be buffered already: keep reading.
                        budget -= 1;
                        if let Some(end) = self.on_message(message) {
                            return Poll::Ready(end);
                        }
                        continue;
                    }
                    Poll::Ready(Some(Err(error))) => return Poll::Ready(self.read_failed(error)),
                    Poll::Ready(None) => {
                        return Poll::Ready(if self.close_received.is_some() {
                            End::Clean
                        } else {
                            End::Dropped
                        });
                    }
                    Poll::Pending => {}
                }
            }

            // 3. Nothing more to read right now: flush everything queued in one write.
            if self.unflushed {
                match self.stream.poll_flush(cx) {
                    Poll::Ready(Ok(())) => self.flushed(),
                    Poll::Ready(Err(error)) => return Poll::Ready(write_failed(error)),
                    Poll::Pending => {}
                }
            }

            // 4. A peer that never answers our close frame.
            if let Some(deadline) = &mut self.closing_deadline
                && deadline.as_mut().poll(cx).is_ready()
            {
                return Poll::Ready(End::Destroyed);
            }

            if budget == 0 {
                // Out of budget with data still readable: let other tasks run, then continue.
                cx.waker().wake_by_ref();
            }
            return Poll::Pending;
        }
    }

    /// Calls a socket event's listeners, then applies the commands they gave this
    /// socket (their `send`s, `close`s) in order.
    fn dispatch(&mut self, index: usize, args: &[&dyn std::any::Any]) -> Option<End> {
        let id = Arc::as_ptr(&self.socket.inner) as usize;
        let outer = LOCAL_OUTBOX.with(|o| std::mem::replace(&mut o.borrow_mut().owner, id));
        self.socket.emit(index, args);
        let mut commands = LOCAL_OUTBOX.with(|o| {
            let mut o = o.borrow_mut();
            o.owner = outer;
            std::mem::take(&mut o.commands)
        });
        let mut end = None;
        for command in commands.drain(..) {
            if end.is_none() {
                end = self.apply(command);
            } else if let Command::Send {
                callback: Some(cb), ..
            } = command
            {
                call_back(cb, Some(closing_error()));
            }
        }
        // Give the (empty) vector back, so the next dispatch on this thread reuses it.
        LOCAL_OUTBOX.with(|o| {
            let mut o = o.borrow_mut();
            if o.commands.capacity() == 0 {
                o.commands = commands;
            }
        });
        end
    }

    /// A message from the network: dispatch it to listeners.
    fn on_message(&mut self, message: WsMessage) -> Option<End> {
        match message {
            WsMessage::Text(_) | WsMessage::Binary(_) => {
                let data = Message::from_tungstenite(message).expect("data message");
                let is_binary = data.is_binary();
                self.dispatch(MESSAGE_EVENT, &[&data, &is_binary])
            }
            WsMessage::Ping(data) => {
                // tungstenite has queued the pong; make sure it leaves soon.
                self.unflushed = true;
                self.dispatch(PING_EVENT, &[&data])
            }
            WsMessage::Pong(data) => self.dispatch(PONG_EVENT, &[&data]),
            WsMessage::Close(frame) => {
                let (code, reason) = match frame {
                    Some(f) => (u16::from(f.code), f.reason.as_str().to_string()),
                    None => (1005, String::new()),
                };
                self.close_received = Some((code, reason));
                if !self.close_sent {
                    // tungstenite queued the reply (echoing the code, as ws does).
                    self.close_sent = true;
                    self.unflushed = true;
                    self.socket.set_ready_state(WebSocket::CLOSING);
                    self.start_close_timer();
                }
                None
            }
            WsMessage::Frame(_) => None,
        }
    }

    /// Carries out a handle's command. Returns `Some` when the connection must end now.
    fn apply(&mut self, command: Command) -> Option<End> {
        match command {
            Command::Send {
                message,
                fin,
                callback,
            } => {
                let len = message.len();
                if self.close_sent {
                    self.socket.inner.buffered.fetch_sub(len, Ordering::Relaxed);
                    if let Some(cb) = callback {
                        call_back(cb, Some(closing_error()));
                    }
                    return None;
                }
                let frame = self.data_frame(message, fin);
                self.unflushed_bytes += len;
                if let Some(cb) = callback {
                    self.unflushed_callbacks.push(cb);
                }
                self.start_send(frame)
            }
            Command::Ping(data) if !self.close_sent => self.start_send(WsMessage::Ping(data)),
            Command::Pong(data) if !self.close_sent => self.start_send(WsMessage::Pong(data)),
            Command::Ping(_) | Command::Pong(_) => None,
            Command::Close(code) => {
                if self.close_sent {
                    return None;
                }
                self.close_sent = true;
                self.socket.set_ready_state(WebSocket::CLOSING);
                self.start_close_timer();
                let frame = code.map(|(code, reason)| CloseFrame {
                    code: CloseCode::from(code),
                    reason: reason.into(),
                });
                self.start_send(WsMessage::Close(frame))
            }
            Command::Terminate => Some(End::Destroyed),
            // The wake-up was the point: the loop reads again.
            Command::Resume => None,
        }
    }

    /// A whole message, or one fragment of a message sent with `fin: false`.
    fn data_frame(&mut self, message: Message, fin: bool) -> WsMessage {
        let binary = message.is_binary();
        match (self.sending_fragments, fin) {
            (None, true) => message.into_tungstenite(),
            (started, _) => {
                let opcode = match started {
                    Some(_) => OpData::Continue,
                    None if binary => OpData::Binary,
                    None => OpData::Text,
                };
                self.sending_fragments = if fin {
                    None
                } else {
                    Some(started.unwrap_or(binary))
                };
                WsMessage::Frame(Frame::message(
                    message.into_bytes(),
                    OpCode::Data(opcode),
                    fin,
                ))
            }
        }
    }

    fn start_send(&mut self, message: WsMessage) -> Option<End> {
        self.unflushed = true;
        match self.stream.start_send(message) {
            Ok(()) => None,
            Err(error) => Some(write_failed(error)),
        }
    }

    fn flushed(&mut self) {
        self.unflushed = false;
        let bytes = std::mem::take(&mut self.unflushed_bytes);
        self.socket
            .inner
            .buffered
            .fetch_sub(bytes, Ordering::Relaxed);
        for cb in self.unflushed_callbacks.drain(..) {
            call_back(cb, None);
        }
    }

    fn start_close_timer(&mut self) {
        if self.closing_deadline.is_none() {
            self.closing_deadline = Some(Box::pin(tokio::time::sleep(self.close_timeout)));
        }
    }

    fn read_failed(&mut self, error: WsError) -> End {
        match error {
            // Utf8Guard, under tungstenite: bad UTF-8 in a text frame still arriving.
            WsError::Io(e) if crate::utf8_guard::is_utf8_invalid(&e) => End::Failed(
                Error::new(
                    "WS_ERR_INVALID_UTF8",
                    "Invalid WebSocket frame: invalid UTF-8 sequence",
                )
                .with_close_code(1007),
            ),
            WsError::Io(_) | WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => {
                End::Dropped
            }
            other => End::Failed(protocol_error(other)),
        }
    }

    /// Emits `error` if the peer broke the protocol, then `close`, exactly once.
    async fn finish(mut self, end: End) {
        let clean = matches!(end, End::Clean);
        let (code, reason) = match end {
            End::Clean => self.close_received.clone().unwrap_or((1005, String::new())),
            End::Dropped | End::Destroyed => {
                self.close_received.clone().unwrap_or((1006, String::new()))
            }
            End::Failed(error) => {
                // As ws: tell the peer why (1002, 1007, 1009...), then report 1006 here.
                self.socket.set_ready_state(WebSocket::CLOSING);
                if !self.close_sent {
                    let status = error.close_code().unwrap_or(1002);
                    let frame = CloseFrame {
                        code: CloseCode::from(status),
                        reason: "".into(),
                    };
                    if self
                        .stream
                        .start_send(WsMessage::Close(Some(frame)))
                        .is_ok()
                    {
                        let stream = &mut self.stream;
                        let flush = poll_fn(|cx| stream.poll_flush(cx));
                        let _ = tokio::time::timeout(Duration::from_secs(1), flush).await;
                    }
                }
                self.socket.emit_error(error);
                (1006, String::new())
            }
        };
        let was_clean = clean && self.close_sent;
        self.socket
            .inner
            .was_clean
            .store(was_clean, Ordering::Release);
        self.socket.set_ready_state(WebSocket::CLOSED);
        // Close the TCP connection before telling listeners, so the peer is not kept waiting.
        drop(self.stream);

        // Sends that never made it out: tell their callbacks.
        for cb in self.unflushed_callbacks.drain(..) {
            call_back(cb, Some(closing_error()));
        }
        for command in self.socket.inner.commands.close() {
            if let Command::Send {
                callback: Some(cb), ..
            } = command
            {
                call_back(cb, Some(closing_error()));
            }
        }

        self.socket.emit(CLOSE_EVENT, &[&code, &reason]);
        self.socket.finish_closed();
    }
}

fn call_back(cb: SendCallback, error: Option<Error>) {
    if let Err(panic) = crate::runtime::call_user(|| cb(error)) {
        log::error!("a send callback panicked: {panic}");
    }
}

fn closing_error() -> Error {
    Error::new(
        "WS_ERR_INVALID_STATE",
        "WebSocket is not open: readyState 2 (CLOSING)",
    )
}

fn write_failed(error: WsError) -> End {
    log::debug!("write failed: {error}");
    End::Dropped
}

/// Turns tungstenite's read errors into ws's codes, messages and close statuses.
fn protocol_error(error: WsError) -> Error {
    let frame = |code: &'static str, what: String, status: u16| {
        Error::new(code, format!("Invalid WebSocket frame: {what}")).with_close_code(status)
    };
    match error {
        WsError::Capacity(CapacityError::MessageTooLong { .. }) => Error::new(
            "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH",
            "Max payload size exceeded",
        )
        .with_close_code(1009)
        .with_source(error),
        WsError::Utf8(_) => frame("WS_ERR_INVALID_UTF8", "invalid UTF-8 sequence".into(), 1007),
        WsError::Protocol(p) => {
            let (code, what) = match &p {
                ProtocolError::NonZeroReservedBits => {
                    ("WS_ERR_UNEXPECTED_RSV_1", "RSV1 must be clear".to_string())
                }
                ProtocolError::UnmaskedFrameFromClient => {
                    ("WS_ERR_EXPECTED_MASK", "MASK must be set".to_string())
                }
                ProtocolError::MaskedFrameFromServer => {
                    ("WS_ERR_UNEXPECTED_MASK", "MASK must be clear".to_string())
                }
                ProtocolError::UnknownDataFrameType(op)
                | ProtocolError::UnknownControlFrameType(op)
                | ProtocolError::InvalidOpcode(op) => {
                    ("WS_ERR_INVALID_OPCODE", format!("invalid opcode {op}"))
                }
                ProtocolError::UnexpectedContinueFrame | ProtocolError::ExpectedFragment(_) => {
                    ("WS_ERR_INVALID_OPCODE", "invalid opcode 0".to_string())
                }
                ProtocolError::FragmentedControlFrame => {
                    ("WS_ERR_EXPECTED_FIN", "FIN must be set".to_string())
                }
                ProtocolError::ControlFrameTooBig | ProtocolError::InvalidCloseSequence => (
                    "WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH",
                    "invalid payload length".to_string(),
                ),
                other => ("WS_ERR_PROTOCOL", other.to_string()),
            };
            frame(code, what, 1002).with_source(p)
        }
        other => frame("WS_ERR_PROTOCOL", other.to_string(), 1002),
    }
}
