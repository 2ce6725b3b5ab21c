//! One task per open socket: where a message travels from the network to your
//! listeners, and where everything you send leaves (ws's `websocket.js` event
//! handlers; the frames themselves are [`crate::protocol`]'s).
//!
//! ```text
//!   network ──read──► FrameStream (receiver) ──Incoming──► Connection::on_incoming ──► "message" listeners
//!                                                                                         │ ws.send(..)
//!   network ◄─flush── FrameStream (write buffer) ◄──send── Connection::apply ◄── command queue
//! ```
//!
//! The task owns the stream; handles talk to it through a command queue, so no lock
//! is held while your code runs and `send` never blocks. Writes are batched: frames
//! are encoded into the write buffer as they are queued and flushed once nothing
//! more can be read right now, so the replies produced by one network read leave in
//! one write.
//!
//! Pings are answered here (with `auto_pong`, before the `ping` listeners run, as
//! ws does). Closing (RFC 6455 §7, as ws does it):
//!
//! ```text
//!   close() ─► send close frame ─► CLOSING ─► peer's close frame ─► TCP end ─► "close"(code)
//!              └─ no answer within close_timeout ─► drop TCP ─► "close"(1006)
//!   peer's close frame ─► reply echoing it ─► CLOSING ─► TCP end ─► "close"(code or 1005)
//!   TCP ends without close frame ─► "close"(1006)
//! ```
//!
//! Once both close frames have passed, the server ends the TCP connection (RFC 6455
//! §7.1.1); the client waits for the server to end it, within `close_timeout`.

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Sleep;

use crate::protocol::receiver::Incoming;
use crate::protocol::stream::{FrameStream, Outgoing, ReadError, Role};
use crate::runtime::KeepAlive;
use crate::websocket::commands::{self, Command, SendCallback};
use crate::websocket::{CLOSE_EVENT, DRAIN_EVENT, MESSAGE_EVENT, PING_EVENT, PONG_EVENT};
use crate::{Error, Message, WebSocket};

/// Messages read before the task yields to others, so one busy socket cannot starve
/// its worker thread (and queued replies get flushed).
const READ_BUDGET: usize = 64;

/// How the connection ended.
enum End {
    /// TCP ended after a close frame was received.
    Clean,
    /// TCP ended without a close frame.
    Dropped,
    /// The connection was reset in the middle of a message: `error`, then 1006.
    Broken(Error),
    /// The peer broke the protocol: `error`, a close frame with the status, 1006.
    Failed(Error),
    /// `terminate()`, or the close timeout.
    Destroyed,
}

/// What the options say about a connection once it is open.
pub(crate) struct Settings {
    pub(crate) close_timeout: Duration,
    /// Answer pings with pongs (ws's `autoPong`).
    pub(crate) auto_pong: bool,
    /// Bytes waiting to be written above which we stop reading from the peer (0: never).
    pub(crate) high_water_mark: usize,
    /// `buffered_amount()` above which the socket fails with 1008 (0: no limit).
    pub(crate) max_buffered_amount: usize,
    /// Ping this often; a peer that has not answered by the next ping is dropped.
    pub(crate) heartbeat: Option<Duration>,
}

pub(crate) struct Connection<S> {
    socket: WebSocket,
    stream: FrameStream<S>,
    settings: Settings,
    /// Reading stopped because too much waits to be written; `drain` comes when it
    /// falls to a quarter of the high-water mark.
    backed_up: bool,
    /// We queued a close frame (ours, or the reply to the peer's).
    close_sent: bool,
    /// The peer's close frame: its status (1005 if none) and reason.
    close_received: Option<(u16, String)>,
    /// Inside a fragmented message we are sending: was it binary?
    sending_fragments: Option<bool>,
    /// Frames queued on the stream since the last completed flush.
    unflushed: bool,
    unflushed_bytes: usize,
    unflushed_callbacks: Vec<SendCallback>,
    closing_deadline: Option<Pin<Box<Sleep>>>,
    /// The next heartbeat, with `heartbeat` set.
    heartbeat: Option<Pin<Box<Sleep>>>,
    /// A heartbeat ping is out and no pong has come back yet.
    awaiting_pong: bool,
    /// Keeps `nodews::run()` waiting while this socket can still fire events.
    _alive: KeepAlive,
}

impl<S: AsyncRead + AsyncWrite + Send + Unpin + 'static> Connection<S> {
    pub(crate) fn new(
        socket: WebSocket,
        stream: FrameStream<S>,
        settings: Settings,
        alive: KeepAlive,
    ) -> Self {
        let heartbeat = settings
            .heartbeat
            .map(|every| Box::pin(tokio::time::sleep(every)));
        Connection {
            socket,
            stream,
            settings,
            backed_up: false,
            close_sent: false,
            close_received: None,
            sending_fragments: None,
            unflushed: false,
            unflushed_bytes: 0,
            unflushed_callbacks: Vec::new(),
            closing_deadline: None,
            heartbeat,
            awaiting_pong: false,
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
        self.socket.inner.commands.register(cx.waker());
        loop {
            // 1. Commands from handles (including sends made by the listeners just run).
            if let Some(end) = self.apply_queued() {
                return Poll::Ready(end);
            }

            // 2. Read and dispatch, unless paused, or unless more than the high-water
            // mark waits to be written: then the peer waits (TCP's own backpressure)
            // until it reads what we owe it. (With nothing to read this costs no
            // system call: tokio knows the socket is not readable.)
            if !self.backed_up
                && self.settings.high_water_mark > 0
                && self.stream.pending_write() > self.settings.high_water_mark
            {
                self.backed_up = true;
            }
            if !self.socket.is_paused() && !self.backed_up && budget > 0 {
                match self.stream.poll_next(cx) {
                    Poll::Ready(Some(Ok(incoming))) => {
                        // More may be buffered already: keep reading.
                        budget -= 1;
                        if let Some(end) = self.on_incoming(incoming) {
                            return Poll::Ready(end);
                        }
                        continue;
                    }
                    Poll::Ready(Some(Err(ReadError::Protocol(error)))) => {
                        return Poll::Ready(End::Failed(error));
                    }
                    Poll::Ready(Some(Err(ReadError::Io(error)))) => {
                        log::debug!("read failed: {error}");
                        // A connection reset in the middle of a message lost data:
                        // say so (`error`, then 1006). A peer that just goes away
                        // between messages gets 1006 alone, as in ws.
                        let lost_data = error.kind() == std::io::ErrorKind::ConnectionReset
                            && self.close_received.is_none()
                            && self.stream.mid_message();
                        return Poll::Ready(if lost_data {
                            End::Broken(Error::io("read", error))
                        } else {
                            End::Dropped
                        });
                    }
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
            if self.backed_up && self.stream.pending_write() <= self.settings.high_water_mark / 4 {
                self.backed_up = false;
                if let Some(end) = self.dispatch(DRAIN_EVENT, &[]) {
                    return Poll::Ready(end);
                }
                continue;
            }

            // Both close frames have passed and ours is written: a server ends the
            // TCP connection now (a client waits for the server to).
            if self.close_sent
                && self.close_received.is_some()
                && !self.unflushed
                && self.stream.role() == Role::Server
            {
                return Poll::Ready(End::Clean);
            }

            // 4. The heartbeat: ping, and drop a peer that did not answer the last one
            // (ws's "detect and close broken connections" recipe, built in).
            if let (Some(every), Some(timer)) = (self.settings.heartbeat, &mut self.heartbeat)
                && timer.as_mut().poll(cx).is_ready()
            {
                if self.awaiting_pong {
                    log::debug!("no pong within {every:?}: dropping the connection");
                    return Poll::Ready(End::Destroyed);
                }
                timer.as_mut().reset(tokio::time::Instant::now() + every);
                if !self.close_sent {
                    self.awaiting_pong = true;
                    self.queue(Outgoing::Ping(&[]));
                }
                continue;
            }

            // 5. A peer that never answers our close frame.
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

    /// Carries out the commands queued by handles, taking all of them under one lock
    /// (and again, until none are left: carrying them out may run send callbacks,
    /// which may queue more). Those left when the connection must end go back to the
    /// queue, for `finish` to fail their callbacks.
    fn apply_queued(&mut self) -> Option<End> {
        if !self.socket.inner.commands.may_have_commands() {
            return None;
        }
        let mut batch = commands::take_batch();
        let mut end = None;
        loop {
            self.socket.inner.commands.take_all(&mut batch);
            if batch.is_empty() {
                break;
            }
            while let Some(command) = batch.pop_front() {
                end = self.apply(command);
                if end.is_some() {
                    break;
                }
            }
            if end.is_some() {
                if !batch.is_empty() {
                    self.socket.inner.commands.put_back(&mut batch);
                }
                break;
            }
        }
        commands::give_back_batch(batch);
        end
    }

    /// Calls a socket event's listeners, then applies the commands they gave this
    /// socket (their `send`s, `close`s) in order.
    fn dispatch(&mut self, index: usize, args: &[&(dyn std::any::Any + Sync)]) -> Option<End> {
        let socket = &self.socket;
        let mut commands =
            commands::run_as_owner(&socket.inner.commands, || socket.emit(index, args));
        if commands.is_empty() {
            return None;
        }
        if commands.len() == 1 {
            // The usual case (a listener's one reply), without a drain.
            let command = commands.pop().expect("one command");
            commands::give_back(commands);
            return self.apply(command);
        }
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
        commands::give_back(commands);
        end
    }

    /// A message or control frame from the network: answer it if it needs an
    /// answer, and dispatch it to listeners.
    fn on_incoming(&mut self, incoming: Incoming) -> Option<End> {
        match incoming {
            Incoming::Text(text) => {
                let data = Message::from_checked_text(text);
                self.dispatch(MESSAGE_EVENT, &[&data, &false])
            }
            Incoming::Binary(bytes) => {
                let data = Message::binary(bytes);
                self.dispatch(MESSAGE_EVENT, &[&data, &true])
            }
            Incoming::Ping(data) => {
                // As ws: the pong is queued before the `ping` listeners run.
                if self.settings.auto_pong && !self.close_sent {
                    self.queue(Outgoing::Pong(&data));
                }
                self.dispatch(PING_EVENT, &[&data])
            }
            Incoming::Pong(data) => {
                self.awaiting_pong = false;
                self.dispatch(PONG_EVENT, &[&data])
            }
            Incoming::Close(close) => {
                if !self.close_sent {
                    // Answer with the peer's own code and reason, as ws does.
                    self.close_sent = true;
                    self.queue(Outgoing::Close(
                        close
                            .as_ref()
                            .map(|(code, reason)| (*code, reason.as_str())),
                    ));
                    self.socket.set_ready_state(WebSocket::CLOSING);
                    self.start_close_timer();
                }
                self.close_received = Some(close.unwrap_or((1005, String::new())));
                None
            }
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
                    self.socket.written(len);
                    if let Some(cb) = callback {
                        call_back(cb, Some(closing_error()));
                    }
                    return None;
                }
                self.send_data(&message, fin);
                self.unflushed_bytes += len;
                if let Some(cb) = callback {
                    self.unflushed_callbacks.push(cb);
                }
                let limit = self.settings.max_buffered_amount;
                if limit > 0 && self.socket.buffered_amount() > limit {
                    return Some(End::Failed(
                        Error::new(
                            crate::ErrorCode::WS_ERR_BUFFER_LIMIT,
                            format!(
                                "more than max_buffered_amount ({limit} bytes) queued for a peer \
                                 that does not read it"
                            ),
                        )
                        .with_close_code(1008),
                    ));
                }
                None
            }
            Command::Ping(data) if !self.close_sent => {
                self.queue(Outgoing::Ping(&data));
                None
            }
            Command::Pong(data) if !self.close_sent => {
                self.queue(Outgoing::Pong(&data));
                None
            }
            Command::Ping(_) | Command::Pong(_) => None,
            Command::Close(code) => {
                if self.close_sent {
                    return None;
                }
                self.close_sent = true;
                self.socket.set_ready_state(WebSocket::CLOSING);
                self.start_close_timer();
                self.queue(Outgoing::Close(
                    code.as_ref().map(|(code, reason)| (*code, reason.as_str())),
                ));
                None
            }
            Command::Terminate => Some(End::Destroyed),
            // The wake-up was the point: the loop reads again.
            Command::Resume => None,
        }
    }

    /// A whole message, or one fragment of a message sent with `fin: false`.
    fn send_data(&mut self, message: &Message, fin: bool) {
        let continuing = self.sending_fragments;
        // A fragmented message keeps the type of its first fragment.
        let text = !continuing.unwrap_or(message.is_binary());
        self.sending_fragments = if fin { None } else { Some(!text) };
        self.queue(Outgoing::Data {
            payload: message.as_bytes(),
            text,
            continuation: continuing.is_some(),
            fin,
        });
    }

    /// Encodes a frame into the stream's write buffer; the loop flushes it.
    fn queue(&mut self, frame: Outgoing<'_>) {
        self.stream.send(frame);
        self.unflushed = true;
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
            self.closing_deadline = Some(Box::pin(tokio::time::sleep(self.settings.close_timeout)));
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
            End::Broken(error) => {
                self.socket.emit_error(error);
                self.close_received.clone().unwrap_or((1006, String::new()))
            }
            End::Failed(error) => {
                // As ws: tell the peer why (1002, 1007, 1009...), then report 1006 here.
                self.socket.set_ready_state(WebSocket::CLOSING);
                if !self.close_sent {
                    let status = error.close_code().unwrap_or(1002);
                    self.stream.send(Outgoing::Close(Some((status, ""))));
                    let stream = &mut self.stream;
                    let flush = poll_fn(|cx| stream.poll_flush(cx));
                    let _ = tokio::time::timeout(Duration::from_secs(1), flush).await;
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

        log::debug!(
            "WebSocket {} closed: {code}{}",
            match self.socket.url() {
                "" => "(server side)",
                url => url,
            },
            if was_clean { "" } else { " (not clean)" }
        );
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
        crate::ErrorCode::WS_ERR_INVALID_STATE,
        "WebSocket is not open: readyState 2 (CLOSING)",
    )
}

fn write_failed(error: std::io::Error) -> End {
    log::debug!("write failed: {error}");
    End::Dropped
}
