//! [`WebSocket`]: the socket handle, on both sides (ws's `lib/websocket.js`).
//!
//! The handle is cheap to clone and works from any thread. Every method only queues a
//! command for the socket's task (see `connection.rs`, where messages travel from
//! the network to your listeners), so methods never block and are safe inside any
//! listener.

pub(crate) mod client;
pub(crate) mod commands;
pub(crate) mod connection;
pub(crate) mod event_target;
pub(crate) mod options;

use std::any::{Any, TypeId};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::time::Duration;

use parking_lot::Mutex;

use crate::events::{EmitterKind, EventSpec, Registry, arg, event_index};
use crate::websocket::commands::{Command, SendCallback};
use crate::{Error, Message, SendOptions};

/// The socket's events, in ws's order and with ws's arguments.
static EVENTS: &[EventSpec] = &[
    EventSpec {
        name: "open",
        args: &[],
    },
    EventSpec {
        name: "message",
        args: &[arg!("data": Message), arg!("is_binary": bool)],
    },
    EventSpec {
        name: "close",
        args: &[arg!("code": u16), arg!("reason": String)],
    },
    EventSpec {
        name: "error",
        args: &[arg!("error": Error)],
    },
    EventSpec {
        name: "ping",
        args: &[arg!("data": bytes::Bytes)],
    },
    EventSpec {
        name: "pong",
        args: &[arg!("data": bytes::Bytes)],
    },
    EventSpec {
        name: "upgrade",
        args: &[arg!("response": crate::Response)],
    },
    EventSpec {
        name: "unexpected-response",
        args: &[
            arg!("request": crate::Request),
            arg!("response": crate::Response),
        ],
    },
    EventSpec {
        name: "redirect",
        args: &[arg!("url": String), arg!("request": crate::Request)],
    },
    EventSpec {
        name: "drain",
        args: &[],
    },
];

pub(crate) const OPEN_EVENT: usize = event_index(EVENTS, "open");
pub(crate) const MESSAGE_EVENT: usize = event_index(EVENTS, "message");
pub(crate) const CLOSE_EVENT: usize = event_index(EVENTS, "close");
pub(crate) const ERROR_EVENT: usize = event_index(EVENTS, "error");
pub(crate) const PING_EVENT: usize = event_index(EVENTS, "ping");
pub(crate) const PONG_EVENT: usize = event_index(EVENTS, "pong");
pub(crate) const UPGRADE_EVENT: usize = event_index(EVENTS, "upgrade");
pub(crate) const UNEXPECTED_RESPONSE_EVENT: usize = event_index(EVENTS, "unexpected-response");
pub(crate) const REDIRECT_EVENT: usize = event_index(EVENTS, "redirect");
pub(crate) const DRAIN_EVENT: usize = event_index(EVENTS, "drain");

impl EmitterKind for WebSocket {
    const NAME: &'static str = "WebSocket";
    const ERROR_EVENT: usize = ERROR_EVENT;
    const CLOSE_EVENT: usize = CLOSE_EVENT;
    fn describe(&self) -> String {
        format!("WebSocket {}", self.inner.url)
    }
    fn this_type() -> TypeId {
        TypeId::of::<WebSocket>()
    }
    fn events() -> &'static [EventSpec] {
        EVENTS
    }
}

/// A WebSocket connection, client or server side: ws's `WebSocket`.
///
/// # Events
///
/// | event | listener arguments (any leading part, optionally after `ws: WebSocket`) |
/// |---|---|
/// | `"open"` | none |
/// | `"message"` | `data: Message, is_binary: bool` |
/// | `"close"` | `code: u16, reason: String` |
/// | `"error"` | `error: Error` |
/// | `"ping"`, `"pong"` | `data: Bytes` |
/// | `"upgrade"` | `response: Response` (client) |
/// | `"unexpected-response"` | `request: Request, response: Response` (client) |
/// | `"redirect"` | `url: String, request: Request` (client) |
/// | `"drain"` | none: what waited to be written has fallen below a quarter of `high_water_mark` after exceeding it (not in ws, whose socket buffers without bound) |
///
/// Per socket: `open` comes before any `message`; messages arrive in order; `error`
/// is followed by `close`; `close` comes exactly once and last. A socket's listeners
/// never run concurrently with each other; different sockets' listeners may.
///
/// Close codes follow ws: 1005 when the peer's close frame had no status, 1006 when
/// the connection ended without a close frame.
///
/// ```no_run
/// use nodews::{Message, WebSocket};
/// let ws = WebSocket::new("ws://127.0.0.1:8080");
/// ws.on("open", |ws: WebSocket| ws.send("something"));
/// ws.on("message", |data: Message| println!("received: {data}"));
/// nodews::run();
/// ```
#[derive(Clone)]
pub struct WebSocket {
    pub(crate) inner: Arc<Shared>,
}

/// State shared by the handles and the socket's task.
pub(crate) struct Shared {
    pub(crate) registry: Registry,
    pub(crate) ready_state: AtomicU8,
    pub(crate) commands: crate::websocket::commands::CommandQueue,
    /// Bytes queued by `send` and not yet written to the network (ws's `bufferedAmount`).
    pub(crate) buffered: AtomicUsize,
    pub(crate) paused: AtomicBool,
    pub(crate) url: String,
    pub(crate) protocol: Mutex<String>,
    pub(crate) was_clean: AtomicBool,
    /// `close()` or `terminate()` was called while connecting: the attempt is aborted
    /// even if the handshake completes before the task sees the command.
    pub(crate) aborted: AtomicBool,
    /// Set once `close` has been emitted, for `wait_close`.
    pub(crate) closed: crate::runtime::ClosedLatch,
    /// The user's own values (`set_data`).
    pub(crate) data: crate::events::data::DataMap,
}

impl std::fmt::Debug for WebSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocket")
            .field("url", &self.inner.url)
            .field("ready_state", &self.ready_state())
            .finish()
    }
}

impl PartialEq for WebSocket {
    /// Two handles are equal when they are the same socket.
    fn eq(&self, other: &WebSocket) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}
impl Eq for WebSocket {}

impl WebSocket {
    /// The connection is not yet open (`WebSocket.CONNECTING`).
    pub const CONNECTING: u8 = 0;
    /// The connection is open and ready to communicate (`WebSocket.OPEN`).
    pub const OPEN: u8 = 1;
    /// The connection is in the process of closing (`WebSocket.CLOSING`).
    pub const CLOSING: u8 = 2;
    /// The connection is closed (`WebSocket.CLOSED`).
    pub const CLOSED: u8 = 3;

    pub(crate) fn from_parts(url: String, ready_state: u8) -> WebSocket {
        let socket = WebSocket {
            inner: Arc::new(Shared {
                registry: Registry::new(),
                ready_state: AtomicU8::new(ready_state),
                commands: Default::default(),
                buffered: AtomicUsize::new(0),
                paused: AtomicBool::new(false),
                url,
                protocol: Mutex::new(String::new()),
                was_clean: AtomicBool::new(false),
                aborted: AtomicBool::new(false),
                closed: Default::default(),
                data: Default::default(),
            }),
        };
        if ready_state == WebSocket::OPEN {
            socket.inner.closed.set_opened();
        }
        socket
    }

    /// Calls the listeners of event `index` through the one dispatcher
    /// ([`Registry::dispatch`]); after a panicking listener (reported as `error`) the
    /// socket closes with 1011, as after any error.
    #[inline]
    pub(crate) fn emit(&self, index: usize, args: &[&(dyn Any + Sync)]) {
        let dispatched = self.inner.registry.dispatch(self, None, index, args);
        if dispatched.panicked && index != ERROR_EVENT && index != CLOSE_EVENT {
            // An error is followed by close: end this socket, keep the runtime going.
            let _ = crate::websocket::commands::submit(
                &self.inner.commands,
                Command::Close(Some((1011, String::new()))),
            );
        }
    }

    /// Emits `error`; with no listener it is logged (Node would crash; we don't).
    pub(crate) fn emit_error(&self, error: Error) {
        self.inner.registry.report_error(self, None, error);
    }

    pub(crate) fn set_ready_state(&self, state: u8) {
        self.inner.ready_state.store(state, Ordering::Release);
    }

    /// The subprotocol the handshake agreed on (`ws.protocol`).
    pub(crate) fn set_protocol(&self, protocol: String) {
        *self.inner.protocol.lock() = protocol;
    }

    /// `len` bytes of queued data have been written: `buffered_amount()` drops.
    pub(crate) fn written(&self, len: usize) {
        self.inner.buffered.fetch_sub(len, Ordering::Relaxed);
    }

    // ----- sending -----

    /// Sends a message (`ws.send(data)`): text for `&str`/`String`, binary for bytes,
    /// the same kind for a [`Message`]. Never blocks: the data is queued (see
    /// [`buffered_amount`](Self::buffered_amount)) and written by the runtime. A send on
    /// a socket that is not open is dropped and logged; use
    /// [`send_with_callback`](Self::send_with_callback) to observe failures.
    ///
    /// ```no_run
    /// # let ws = nodews::WebSocket::new("ws://127.0.0.1:8080");
    /// ws.send("text");
    /// ws.send(vec![1u8, 2, 3]);
    /// ```
    pub fn send(&self, data: impl Into<Message>) {
        self.enqueue(data.into(), SendOptions::default(), None);
    }

    /// `ws.send(data)` as ws behaves while the socket is still connecting: ws throws
    /// "WebSocket is not open: readyState 0 (CONNECTING)", this returns that error
    /// (`WS_ERR_INVALID_STATE`) and sends nothing. Otherwise it is [`send`](Self::send)
    /// (on a closing or closed socket the data is dropped, as in ws).
    ///
    /// ```
    /// let ws = nodews::WebSocket::new("ws://127.0.0.1:9");
    /// let error = ws.try_send("too early").unwrap_err();
    /// assert_eq!(error.message(), "WebSocket is not open: readyState 0 (CONNECTING)");
    /// ```
    pub fn try_send(&self, data: impl Into<Message>) -> Result<(), Error> {
        let state = self.ready_state();
        if state == WebSocket::CONNECTING {
            return Err(not_open(state));
        }
        self.send(data);
        Ok(())
    }

    /// `ws.send(data, options)`: force text or binary, or send a fragment (`fin: false`).
    ///
    /// ```no_run
    /// # use nodews::SendOptions;
    /// # let ws = nodews::WebSocket::new("ws://127.0.0.1:8080");
    /// ws.send_with("part 1, ", SendOptions { fin: false, ..Default::default() });
    /// ws.send_with("part 2", SendOptions::default());
    /// ```
    pub fn send_with(&self, data: impl Into<Message>, options: SendOptions) {
        self.enqueue(data.into(), options, None);
    }

    /// `ws.send(data, options, callback)`: the callback gets `None` once the data has
    /// been written to the network, or the error that prevented it.
    ///
    /// ```no_run
    /// # use nodews::SendOptions;
    /// # let ws = nodews::WebSocket::new("ws://127.0.0.1:8080");
    /// ws.send_with_callback("hi", SendOptions::default(), |error| {
    ///     if let Some(error) = error { eprintln!("not sent: {error}") }
    /// });
    /// ```
    pub fn send_with_callback(
        &self,
        data: impl Into<Message>,
        options: SendOptions,
        callback: impl FnOnce(Option<Error>) + Send + 'static,
    ) {
        self.enqueue(data.into(), options, Some(Box::new(callback)));
    }

    fn enqueue(&self, message: Message, options: SendOptions, callback: Option<SendCallback>) {
        // The usual send forces no kind: the message goes as it is, with no `Result`
        // to build and take apart.
        let message = match options.binary {
            None => message,
            Some(binary) => match convert(message, binary) {
                Ok(m) => m,
                Err(e) => return fail_callback(callback, e, &self.inner.url),
            },
        };
        let state = self.ready_state();
        if state != WebSocket::OPEN {
            return self.refuse(message.len(), state, callback);
        }
        self.inner
            .buffered
            .fetch_add(message.len(), Ordering::Relaxed);
        let command = Command::Send {
            message,
            fin: options.fin,
            callback,
        };
        if let Err(Command::Send { callback, .. }) =
            crate::websocket::commands::submit(&self.inner.commands, command)
        {
            fail_callback(callback, not_open(WebSocket::CLOSED), &self.inner.url);
        }
    }

    /// A send on a socket that is not open: counted (after close) and failed.
    #[cold]
    #[inline(never)]
    fn refuse(&self, len: usize, state: u8, callback: Option<SendCallback>) {
        if state != WebSocket::CONNECTING {
            // ws counts data sent after close in bufferedAmount too.
            self.inner.buffered.fetch_add(len, Ordering::Relaxed);
        }
        fail_callback(callback, not_open(state), &self.inner.url);
    }

    /// Sends a ping (`ws.ping(data)`); the payload is at most 125 bytes.
    ///
    /// ```no_run
    /// # let ws = nodews::WebSocket::new("ws://127.0.0.1:8080");
    /// ws.ping("are you there?").ok();
    /// ```
    pub fn ping(&self, data: impl AsRef<[u8]>) -> Result<(), Error> {
        let data = self.control_payload(data.as_ref())?;
        let _ = crate::websocket::commands::submit(&self.inner.commands, Command::Ping(data));
        Ok(())
    }

    /// Sends an unsolicited pong (`ws.pong(data)`); at most 125 bytes.
    ///
    /// ```no_run
    /// # let ws = nodews::WebSocket::new("ws://127.0.0.1:8080");
    /// ws.pong(b"").ok();
    /// ```
    pub fn pong(&self, data: impl AsRef<[u8]>) -> Result<(), Error> {
        let data = self.control_payload(data.as_ref())?;
        let _ = crate::websocket::commands::submit(&self.inner.commands, Command::Pong(data));
        Ok(())
    }

    fn control_payload(&self, data: &[u8]) -> Result<bytes::Bytes, Error> {
        if data.len() > 125 {
            return Err(Error::new(
                crate::ErrorCode::WS_ERR_INVALID_ARGUMENT,
                "The data size must not be greater than 125 bytes",
            ));
        }
        let state = self.ready_state();
        if state != WebSocket::OPEN {
            return Err(not_open(state));
        }
        Ok(bytes::Bytes::copy_from_slice(data))
    }

    // ----- closing -----

    /// Starts the closing handshake without a status code (`ws.close()`): the peer
    /// sees 1005. Does nothing if the socket is already closing or closed. On a socket
    /// that is still connecting, the attempt is aborted: `error`, then `close` 1006.
    ///
    /// ```no_run
    /// # let ws = nodews::WebSocket::new("ws://127.0.0.1:8080");
    /// ws.close();
    /// ```
    pub fn close(&self) {
        self.abort_if_connecting();
        let _ = crate::websocket::commands::submit(&self.inner.commands, Command::Close(None));
    }

    /// `ws.close(code, reason)`. The code must be one ws accepts (1000, 1001-1003,
    /// 1007-1014, 3000-4999) and the reason at most 123 bytes of UTF-8; otherwise
    /// nothing is sent and the mistake comes back as an `Err`.
    ///
    /// ```no_run
    /// # let ws = nodews::WebSocket::new("ws://127.0.0.1:8080");
    /// ws.close_with(1000, "bye").unwrap();
    /// assert_eq!(ws.close_with(1005, "").unwrap_err().code(), "WS_ERR_INVALID_CLOSE_CODE");
    /// ```
    pub fn close_with(&self, code: u16, reason: &str) -> Result<(), Error> {
        if !crate::protocol::close::is_valid_status_code(code) {
            return Err(Error::new(
                crate::ErrorCode::WS_ERR_INVALID_CLOSE_CODE,
                format!(
                    "First argument must be a valid error code number: {code} is not one \
                     (use 1000, 1001-1003, 1007-1014 or 3000-4999)"
                ),
            ));
        }
        if reason.len() > 123 {
            return Err(Error::new(
                crate::ErrorCode::WS_ERR_INVALID_ARGUMENT,
                format!(
                    "The message must not be greater than 123 bytes (it is {})",
                    reason.len()
                ),
            ));
        }
        self.abort_if_connecting();
        let _ = crate::websocket::commands::submit(
            &self.inner.commands,
            Command::Close(Some((code, reason.to_string()))),
        );
        Ok(())
    }

    /// Destroys the connection at once, without a closing handshake (`ws.terminate()`).
    /// Both ends see close code 1006.
    ///
    /// ```no_run
    /// # let ws = nodews::WebSocket::new("ws://127.0.0.1:8080");
    /// ws.terminate();
    /// ```
    pub fn terminate(&self) {
        self.abort_if_connecting();
        let _ = crate::websocket::commands::submit(&self.inner.commands, Command::Terminate);
    }

    fn abort_if_connecting(&self) {
        if self.ready_state() == WebSocket::CONNECTING {
            self.inner.aborted.store(true, Ordering::Release);
        }
    }

    // ----- attributes -----

    /// `ws.readyState`: one of [`CONNECTING`](Self::CONNECTING), [`OPEN`](Self::OPEN),
    /// [`CLOSING`](Self::CLOSING), [`CLOSED`](Self::CLOSED).
    ///
    /// ```no_run
    /// # use nodews::WebSocket;
    /// let ws = WebSocket::new("ws://127.0.0.1:8080");
    /// if ws.ready_state() == WebSocket::OPEN { ws.close(); }
    /// ```
    pub fn ready_state(&self) -> u8 {
        self.inner.ready_state.load(Ordering::Acquire)
    }

    /// `ws.url`: the URL a client connected to (empty on the server side).
    ///
    /// ```no_run
    /// let ws = nodews::WebSocket::new("ws://127.0.0.1:8080/chat");
    /// assert_eq!(ws.url(), "ws://127.0.0.1:8080/chat");
    /// ```
    pub fn url(&self) -> &str {
        &self.inner.url
    }

    /// `ws.protocol`: the subprotocol the server chose, or `""`.
    ///
    /// ```no_run
    /// # let ws = nodews::WebSocket::new("ws://127.0.0.1:8080");
    /// println!("protocol: {:?}", ws.protocol());
    /// ```
    pub fn protocol(&self) -> String {
        self.inner.protocol.lock().clone()
    }

    /// `ws.extensions`: the negotiated extensions; always `""` (none are negotiated yet).
    ///
    /// ```no_run
    /// # let ws = nodews::WebSocket::new("ws://127.0.0.1:8080");
    /// assert_eq!(ws.extensions(), "");
    /// ```
    pub fn extensions(&self) -> String {
        String::new()
    }

    /// `ws.bufferedAmount`: bytes passed to `send` and not yet written to the network.
    ///
    /// ```no_run
    /// # let ws = nodews::WebSocket::new("ws://127.0.0.1:8080");
    /// if ws.buffered_amount() < 1 << 20 { ws.send("more"); }
    /// ```
    pub fn buffered_amount(&self) -> usize {
        self.inner.buffered.load(Ordering::Relaxed)
    }

    /// Stops reading from the network (`ws.pause()`): no `message` events until
    /// [`resume`](Self::resume); TCP flow control then slows the peer down. As in ws,
    /// it does nothing while the socket is connecting or closed.
    ///
    /// ```no_run
    /// # let ws = nodews::WebSocket::new("ws://127.0.0.1:8080");
    /// ws.on("open", |ws: nodews::WebSocket| {
    ///     ws.pause();
    ///     assert!(ws.is_paused());
    ///     ws.resume();
    /// });
    /// ```
    pub fn pause(&self) {
        if matches!(
            self.ready_state(),
            WebSocket::CONNECTING | WebSocket::CLOSED
        ) {
            return;
        }
        self.inner.paused.store(true, Ordering::Release);
    }

    /// Resumes reading after [`pause`](Self::pause) (`ws.resume()`); as in ws, it does
    /// nothing while the socket is connecting or closed.
    ///
    /// ```no_run
    /// # let ws = nodews::WebSocket::new("ws://127.0.0.1:8080");
    /// ws.resume();
    /// ```
    pub fn resume(&self) {
        if matches!(
            self.ready_state(),
            WebSocket::CONNECTING | WebSocket::CLOSED
        ) {
            return;
        }
        self.inner.paused.store(false, Ordering::Release);
        let _ = crate::websocket::commands::submit(&self.inner.commands, Command::Resume);
    }

    /// `ws.isPaused`.
    ///
    /// ```no_run
    /// # let ws = nodews::WebSocket::new("ws://127.0.0.1:8080");
    /// assert!(!ws.is_paused());
    /// ```
    pub fn is_paused(&self) -> bool {
        self.inner.paused.load(Ordering::Acquire)
    }

    // ----- narrow waits -----

    /// Blocks until this socket is open (its `open` listeners have run): `true`, or
    /// until it closed without opening: `false`. The one-line form of Node's
    /// `await new Promise(r => ws.once('open', r))`; for several sockets, call it on
    /// each (`Promise.all`). Like `run()`, it first starts the events of emitters this
    /// thread created, and panics inside a listener.
    ///
    /// ```no_run
    /// let sockets: Vec<_> = (0..3).map(|_| nodews::WebSocket::new("ws://127.0.0.1:8080")).collect();
    /// assert!(sockets.iter().all(|ws| ws.wait_open()));
    /// ```
    #[track_caller]
    pub fn wait_open(&self) -> bool {
        self.wait_open_timeout(Duration::MAX)
    }

    /// Like [`wait_open`](Self::wait_open) with a limit; `false` also when it passes.
    ///
    /// ```no_run
    /// # let ws = nodews::WebSocket::new("ws://127.0.0.1:8080");
    /// if !ws.wait_open_timeout(std::time::Duration::from_secs(5)) { eprintln!("not open"); }
    /// ```
    #[track_caller]
    pub fn wait_open_timeout(&self, timeout: Duration) -> bool {
        let timeout = (timeout != Duration::MAX).then_some(timeout);
        self.inner
            .closed
            .wait_opened("WebSocket::wait_open", timeout)
    }

    /// Blocks until this socket's `close` event has run (its listeners included).
    /// Like `run()`, it first starts the events of emitters this thread created.
    /// Panics if called from inside a listener (it would wait for itself).
    ///
    /// ```no_run
    /// let ws = nodews::WebSocket::new("ws://127.0.0.1:8080");
    /// ws.on("open", |ws: nodews::WebSocket| ws.close());
    /// ws.wait_close();
    /// ```
    #[track_caller]
    pub fn wait_close(&self) {
        self.wait_close_timeout(Duration::MAX);
    }

    /// Like [`wait_close`](Self::wait_close) with a limit; `true` if the socket closed.
    ///
    /// ```no_run
    /// # let ws = nodews::WebSocket::new("ws://127.0.0.1:8080");
    /// let closed = ws.wait_close_timeout(std::time::Duration::from_secs(5));
    /// # let _ = closed;
    /// ```
    #[track_caller]
    pub fn wait_close_timeout(&self, timeout: Duration) -> bool {
        let timeout = (timeout != Duration::MAX).then_some(timeout);
        self.inner.closed.wait("WebSocket::wait_close", timeout)
    }

    /// The end of every socket, connected or not: nothing can fire any more, so drop
    /// the listeners (and whatever they captured, often a clone of this very socket,
    /// which would otherwise leak) and wake `wait_close`.
    pub(crate) fn finish_closed(&self) {
        self.inner.registry.remove_all(None);
        self.inner.closed.set();
    }

    /// `CloseEvent.wasClean`: both close frames were exchanged.
    pub(crate) fn was_clean(&self) -> bool {
        self.inner.was_clean.load(Ordering::Acquire)
    }
}

/// The message as the kind `send_with` forced: binary, or text (which it must be).
#[inline(never)]
fn convert(message: Message, binary: bool) -> Result<Message, Error> {
    if binary {
        Ok(message.into_binary())
    } else {
        message.into_text()
    }
}

fn not_open(state: u8) -> Error {
    let name = ["CONNECTING", "OPEN", "CLOSING", "CLOSED"][state as usize & 3];
    Error::new(
        crate::ErrorCode::WS_ERR_INVALID_STATE,
        format!("WebSocket is not open: readyState {state} ({name})"),
    )
}

/// Delivers a send failure: to the callback, on the runtime (never inside `send`, as
/// Node defers it to the next tick), or to the log when there is no callback.
fn fail_callback(callback: Option<SendCallback>, error: Error, url: &str) {
    match callback {
        Some(cb) => crate::runtime::spawn(async move {
            if let Err(panic) = crate::runtime::call_user(|| cb(Some(error))) {
                log::error!("a send callback panicked: {panic}");
            }
        }),
        None => log::warn!("WebSocket {url}: message not sent: {error}"),
    }
}

crate::events::event_emitter_methods!(
    WebSocket,
    "ws",
    "nodews::WebSocket::new(\"ws://127.0.0.1:8080\")"
);

impl WebSocket {
    fn data_map(&self) -> &crate::events::data::DataMap {
        &self.inner.data
    }
}

crate::events::data::data_methods!(
    WebSocket,
    "ws",
    "nodews::WebSocket::new(\"ws://127.0.0.1:9\")",
    data_map
);

// Listener arguments (see `events::Arg`).
crate::events::impl_arg!(WebSocket);
