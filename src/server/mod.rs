//! [`WebSocketServer`]: accepts connections and upgrades them (ws's
//! `lib/websocket-server.js`).
//!
//! Upgrade requests arrive through an [`HttpServer`](crate::http::HttpServer): ws's
//! own one (with `port`; plain requests get 426 Upgrade Required, as ws), yours (with
//! `server`), or your `upgrade` listener (with `no_server` and `handle_upgrade`). An
//! upgrade request is checked the way ws's `handleUpgrade` checks it (same statuses,
//! same messages), answered with 101, and the upgraded connection becomes a
//! [`WebSocket`] whose task is in `connection.rs`.

pub(crate) mod clients;
pub(crate) mod options;

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use http_body_util::Full;
use parking_lot::{Mutex, ReentrantMutex};
use tokio::sync::watch;
use tungstenite::handshake::derive_accept_key;

use crate::events::{EmitterKind, EventSpec, Registry, arg, event_index};
use crate::http::{HttpServer, Socket};
use crate::net::stream::Stream;
use crate::protocol::stream::{FrameStream, Role};
use crate::runtime::{Gate, KeepAlive};
use crate::server::clients::{ClientSet, Clients};
use crate::server::options::Verifier;
use crate::websocket::connection::Connection;
use crate::{Error, Headers, Request, ServerOptions, VerifyInfo, WebSocket};

static EVENTS: &[EventSpec] = &[
    EventSpec {
        name: "listening",
        args: &[],
    },
    EventSpec {
        name: "connection",
        args: &[arg!("socket": WebSocket), arg!("request": Request)],
    },
    EventSpec {
        name: "error",
        args: &[arg!("error": Error)],
    },
    EventSpec {
        name: "headers",
        args: &[arg!("headers": Headers), arg!("request": Request)],
    },
    EventSpec {
        name: "close",
        args: &[],
    },
    EventSpec {
        name: "wsClientError",
        args: &[arg!("error": Error), arg!("request": Request)],
    },
];

const LISTENING_EVENT: usize = event_index(EVENTS, "listening");
const CONNECTION_EVENT: usize = event_index(EVENTS, "connection");
const ERROR_EVENT: usize = event_index(EVENTS, "error");
const HEADERS_EVENT: usize = event_index(EVENTS, "headers");
const CLOSE_EVENT: usize = event_index(EVENTS, "close");
const CLIENT_ERROR_EVENT: usize = event_index(EVENTS, "wsClientError");

impl EmitterKind for WebSocketServer {
    const NAME: &'static str = "WebSocketServer";
    const ERROR_EVENT: usize = ERROR_EVENT;
    const CLOSE_EVENT: usize = CLOSE_EVENT;
    fn this_type() -> std::any::TypeId {
        std::any::TypeId::of::<WebSocketServer>()
    }
    fn events() -> &'static [EventSpec] {
        EVENTS
    }
}

/// A WebSocket server: ws's `WebSocketServer` (`WebSocket.Server`).
///
/// # Events
///
/// | event | listener arguments (any leading part, optionally after `wss: WebSocketServer`) |
/// |---|---|
/// | `"listening"` | none |
/// | `"connection"` | `socket: WebSocket, request: Request` |
/// | `"error"` | `error: Error` (e.g. `EADDRINUSE`: the port is taken) |
/// | `"headers"` | `headers: Headers, request: Request` (add lines to the 101) |
/// | `"close"` | none |
/// | `"wsClientError"` | `error: Error, request: Request` (a bad upgrade request; nodews still answers it with ws's status) |
///
/// A port that cannot be bound is reported as an `error` event, as in Node, not as a
/// panic or an `Err`.
///
/// ```no_run
/// use nodews::{Message, ServerOptions, WebSocket, WebSocketServer};
/// let wss = WebSocketServer::new(ServerOptions { port: Some(8080), ..Default::default() });
/// wss.on("connection", |ws: WebSocket| {
///     ws.on("message", |data: Message| println!("received: {data}"));
///     ws.send("something");
/// });
/// nodews::run();
/// ```
#[derive(Clone)]
pub struct WebSocketServer {
    inner: Arc<ServerShared>,
}

struct ServerShared {
    registry: Registry,
    /// The user's own values (`set_data`).
    data: crate::events::data::DataMap,
    /// Server listeners are called from many connection tasks and from `emit`; they
    /// take turns (re-entrant: an `emit` from inside a listener runs at once).
    turn: ReentrantMutex<()>,
    options: ServerOptions,
    /// The HTTP server upgrades arrive through: ws's own (with `port`), or the one
    /// given with `server`; `None` with `no_server`.
    http: Option<HttpServer>,
    owns_http: bool,
    clients: ClientSet,
    state: Mutex<State>,
    closed: crate::runtime::ClosedLatch,
    alive: Mutex<Option<KeepAlive>>,
    /// Events wait until the code that created the server returns to the event loop;
    /// accepting and HTTP answers do not.
    gate: Arc<Gate>,
    /// Becomes `true` once `listening` has been emitted: `close` must come after it.
    listened: watch::Sender<bool>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    Running,
    Closing,
    Closed,
}

impl std::fmt::Debug for WebSocketServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocketServer")
            .field("address", &self.address())
            .field("state", &*self.inner.state.lock())
            .finish()
    }
}

impl PartialEq for WebSocketServer {
    /// Two handles are equal when they are the same server.
    fn eq(&self, other: &WebSocketServer) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

/// Called instead of emitting `connection` (ws's `handleUpgrade` callback).
type OnSocket = Box<dyn FnOnce(WebSocket, Request) + Send>;

impl WebSocketServer {
    /// Creates the server (`new WebSocketServer(options)`). Exactly one of `port`,
    /// `server` and `no_server` must be given, as in ws.
    ///
    /// With `port`, the port is bound before this returns, so
    /// [`address()`](Self::address) is known at once. Events (`listening` first) start
    /// when this thread returns to the event loop. A bind failure or a bad option
    /// arrives as an `error` event, never as a panic.
    ///
    /// ```no_run
    /// use nodews::{ServerOptions, WebSocketServer};
    /// let wss = WebSocketServer::new(ServerOptions { port: Some(0), ..Default::default() });
    /// println!("port {}", wss.address().unwrap().port());
    /// ```
    pub fn new(options: ServerOptions) -> WebSocketServer {
        let modes = [
            options.port.is_some(),
            options.server.is_some(),
            options.no_server,
        ];
        let misconfigured = if modes.iter().filter(|m| **m).count() != 1 {
            Some(
                "One and only one of the \"port\", \"server\", or \"noServer\" options must be specified",
            )
        } else {
            None
        };
        let owns_http = options.port.is_some() && misconfigured.is_none();
        let http = match (&options.server, owns_http) {
            (_, true) => Some(HttpServer::with_426(true)),
            (Some(server), false) if misconfigured.is_none() => Some(server.clone()),
            _ => None,
        };
        let server = WebSocketServer {
            inner: Arc::new(ServerShared {
                registry: Registry::new(),
                turn: ReentrantMutex::new(()),
                http: http.clone(),
                owns_http,
                clients: ClientSet::default(),
                state: Mutex::new(State::Running),
                closed: Default::default(),
                data: Default::default(),
                // While listening, the HTTP server keeps run() waiting; from close() to
                // the `close` event, this does.
                alive: Mutex::new(None),
                gate: Gate::for_current_thread(),
                // Only a server that listens itself has a `listening` that `close` must follow.
                listened: watch::Sender::new(!owns_http),
                options,
            }),
        };
        if let Some(message) = misconfigured {
            let error = Error::new(crate::ErrorCode::WS_ERR_INVALID_ARGUMENT, message);
            *server.inner.state.lock() = State::Closed;
            let failed = server.clone();
            crate::runtime::spawn(async move {
                failed.emit_error(error).await;
                failed.finish_close();
            });
            return server;
        }
        if let Some(http) = &http {
            http.attach(Arc::new(server.clone()));
            if owns_http {
                let o = &server.inner.options;
                http.listen_on(o.host.as_deref(), o.port.unwrap_or(0), o.backlog, || {});
            }
        }
        server
    }

    /// `new WebSocketServer(options, callback)`: `callback` runs on `listening`.
    ///
    /// ```no_run
    /// use nodews::{ServerOptions, WebSocketServer};
    /// let wss = WebSocketServer::with_callback(ServerOptions { port: Some(8080), ..Default::default() }, || {
    ///     println!("listening on 8080");
    /// });
    /// # let _ = wss;
    /// ```
    pub fn with_callback(
        options: ServerOptions,
        on_listening: impl FnOnce() + Send + 'static,
    ) -> WebSocketServer {
        let mut once = Some(on_listening);
        let server = WebSocketServer::new(options);
        server.once("listening", move || {
            if let Some(f) = once.take() {
                f()
            }
        });
        server
    }

    /// Tells this server apart from others attached to the same HTTP server.
    fn id(&self) -> usize {
        Arc::as_ptr(&self.inner) as usize
    }

    /// The HTTP server this one listens through started listening.
    pub(crate) async fn emit_listening(&self) {
        self.dispatch(LISTENING_EVENT, &[]).await;
        self.inner.listened.send_replace(true);
    }

    /// The HTTP server this one listens through failed (ws forwards its `error`).
    pub(crate) async fn forward_error(&self, error: Error) {
        self.emit_error(error).await;
        if self.inner.owns_http {
            *self.inner.state.lock() = State::Closed;
            self.finish_close();
        }
    }

    /// `wss.handleUpgrade(request, socket, head, callback)`, for `no_server` mode: runs
    /// ws's checks on the upgrade request, answers it (101, or ws's error status), and
    /// calls `callback` with the new socket. Its events start when `callback` returns.
    ///
    /// ```no_run
    /// use nodews::{http, http::Socket, Bytes, Request, ServerOptions, WebSocket, WebSocketServer};
    /// let server = http::create_server(|_req, res| res.end("ok"));
    /// let wss = WebSocketServer::new(ServerOptions { no_server: true, ..Default::default() });
    /// let w = wss.clone();
    /// server.on("upgrade", move |request: Request, socket: Socket, head: Bytes| {
    ///     let wss = w.clone();
    ///     w.handle_upgrade(&request, socket, head, move |ws: WebSocket, request: Request| {
    ///         wss.emit("connection", &[&ws, &request]);
    ///     });
    /// });
    /// ```
    pub fn handle_upgrade(
        &self,
        request: &Request,
        socket: Socket,
        _head: Bytes,
        callback: impl FnOnce(WebSocket, Request) + Send + 'static,
    ) {
        let server = self.clone();
        let request = request.clone();
        crate::runtime::spawn(async move {
            server
                .complete_upgrade(request, socket, Some(Box::new(callback)))
                .await
        });
    }

    /// ws's `handleUpgrade` + `completeUpgrade`: check, answer, then hand the upgraded
    /// connection to a new [`WebSocket`].
    pub(crate) async fn complete_upgrade(
        &self,
        request: Request,
        socket: Socket,
        callback: Option<OnSocket>,
    ) {
        if socket.is_decided() {
            log::error!("handle_upgrade() was called more than once with the same socket");
            return;
        }
        let accepted = match self.check_upgrade(&request).await {
            Ok(accepted) => accepted,
            Err((status, message, extra)) => {
                if !message.is_empty() {
                    let error = Error::new(crate::ErrorCode::WS_ERR_HANDSHAKE, message.clone());
                    self.dispatch(CLIENT_ERROR_EVENT, &[&error, &request]).await;
                }
                return socket.respond(status, &message, &extra);
            }
        };

        // The 'headers' event may add lines to the 101, as ws passes its array.
        let mut lines = vec![
            "HTTP/1.1 101 Switching Protocols".to_string(),
            "Upgrade: websocket".to_string(),
            "Connection: Upgrade".to_string(),
            format!(
                "Sec-WebSocket-Accept: {}",
                derive_accept_key(accepted.key.as_bytes())
            ),
        ];
        if let Some(p) = &accepted.protocol {
            lines.push(format!("Sec-WebSocket-Protocol: {p}"));
        }
        let headers = Headers::from_lines(lines);
        if self.inner.registry.count(HEADERS_EVENT) > 0 {
            self.dispatch(HEADERS_EVENT, &[&headers, &request]).await;
        }
        let mut response = hyper::Response::builder().status(101);
        for line in headers.lines().iter().skip(1) {
            if let Some((name, value)) = line.split_once(':') {
                response = response.header(name.trim(), value.trim());
            }
        }
        let response = match response.body(Full::new(Bytes::new())) {
            Ok(r) => r,
            Err(e) => {
                log::error!("a \"headers\" listener added an invalid header: {e}");
                return socket.respond(500, "", &[]);
            }
        };
        // As ws: the socket is in `wss.clients` before its 101 goes out, so a
        // message the client sends right after it cannot be broadcast past it.
        let ws = WebSocket::from_parts(String::new(), WebSocket::OPEN);
        ws.set_protocol(accepted.protocol.clone().unwrap_or_default());
        let membership = self.inner.options.client_tracking.then(|| Membership {
            id: self.inner.clients.insert(ws.clone()),
            server: self.clone(),
        });
        let server = self.clone();
        socket.accept(
            response,
            Box::new(move |upgraded| {
                Box::pin(async move {
                    let (io, early) = Stream::from_upgraded(upgraded);
                    let max_payload = server.inner.options.max_payload;
                    let stream =
                        FrameStream::new(io, Role::Server, max_payload, BytesMut::from(&early[..]));
                    server
                        .on_upgraded(ws, membership, stream, request, callback)
                        .await
                })
            }),
        );
    }

    /// The checks of ws's `handleUpgrade`, with its statuses and messages.
    async fn check_upgrade(&self, request: &Request) -> Result<Accepted, Rejection> {
        let reject = |status: u16, message: &str| Err((status, message.to_string(), Vec::new()));
        if request.method() != "GET" {
            return reject(405, "Invalid HTTP method");
        }
        // RFC 6455 4.1: the handshake is HTTP/1.1 or higher.
        if matches!(request.http_version(), "0.9" | "1.0") {
            return reject(505, "HTTP/1.1 or higher is required");
        }
        // RFC 9112 3.2: a server MUST answer 400 to an HTTP/1.1 request without Host.
        if request.header("host").is_none() {
            return reject(400, "Missing Host header");
        }
        if !request
            .header("upgrade")
            .is_some_and(|u| u.eq_ignore_ascii_case("websocket"))
        {
            return reject(400, "Invalid Upgrade header");
        }
        let key = match request.header("sec-websocket-key") {
            Some(k) if is_valid_key(k) => k.to_string(),
            _ => return reject(400, "Missing or invalid Sec-WebSocket-Key header"),
        };
        let version = request.header("sec-websocket-version").map(str::trim);
        if !matches!(version, Some("13") | Some("8")) {
            return Err((
                400,
                "Missing or invalid Sec-WebSocket-Version header".to_string(),
                vec![("Sec-WebSocket-Version".to_string(), "13, 8".to_string())],
            ));
        }
        if !self.should_handle(request) {
            return Err((400, String::new(), Vec::new()));
        }
        let offered = match request.header("sec-websocket-protocol") {
            Some(header) => match parse_protocols(header) {
                Some(p) => p,
                None => return reject(400, "Invalid Sec-WebSocket-Protocol header"),
            },
            None => Vec::new(),
        };
        if *self.inner.state.lock() != State::Running {
            return Err((503, String::new(), Vec::new()));
        }
        if let Some(verify) = &self.inner.options.verify_client {
            let origin_header = if version == Some("8") {
                "sec-websocket-origin"
            } else {
                "origin"
            };
            let info = VerifyInfo {
                origin: request.header(origin_header).map(str::to_string),
                secure: request.is_secure(),
                req: request.clone(),
            };
            let verdict = match &verify.0 {
                Verifier::Sync(f) => crate::runtime::call_user(|| {
                    if f(&info) {
                        Verdict::Accept
                    } else {
                        Verdict::Reject(401, String::new(), Vec::new())
                    }
                }),
                Verifier::Async(f) => {
                    let (tx, rx) = tokio::sync::oneshot::channel();
                    let done: crate::server::options::VerifyCallback =
                        Box::new(move |ok, code, message, headers| {
                            let verdict = if ok {
                                Verdict::Accept
                            } else {
                                let code = if code == 0 { 401 } else { code };
                                let headers = headers
                                    .iter()
                                    .map(|(k, v)| (k.to_string(), v.to_string()))
                                    .collect();
                                Verdict::Reject(code, message.to_string(), headers)
                            };
                            let _ = tx.send(verdict);
                        });
                    match crate::runtime::call_user(|| f(&info, done)) {
                        // A callback dropped without being called refuses the client.
                        Ok(()) => {
                            Ok(rx
                                .await
                                .unwrap_or(Verdict::Reject(401, String::new(), Vec::new())))
                        }
                        Err(panic) => Err(panic),
                    }
                }
            };
            match verdict {
                Ok(Verdict::Accept) => {}
                Ok(Verdict::Reject(code, message, headers)) => {
                    return Err((code, message, headers));
                }
                Err(panic) => {
                    log::error!("verify_client panicked: {panic}");
                    return Err((500, String::new(), Vec::new()));
                }
            }
        }
        let protocol = if offered.is_empty() {
            None
        } else if let Some(handle) = &self.inner.options.handle_protocols {
            match crate::runtime::call_user(|| (handle.0)(&offered, request)) {
                Ok(choice) => choice,
                Err(panic) => {
                    log::error!("handle_protocols panicked: {panic}");
                    return Err((500, String::new(), Vec::new()));
                }
            }
        } else {
            offered.first().cloned()
        };
        Ok(Accepted { key, protocol })
    }

    /// ws's `shouldHandle`: does the request's path match the `path` option?
    ///
    /// ```no_run
    /// use nodews::{Request, ServerOptions, WebSocketServer};
    /// let wss = WebSocketServer::new(ServerOptions { port: Some(0), path: Some("/chat".into()), ..Default::default() });
    /// assert!(wss.should_handle(&Request::new("GET", "/chat?x=1", vec![], None)));
    /// assert!(!wss.should_handle(&Request::new("GET", "/other", vec![], None)));
    /// ```
    pub fn should_handle(&self, request: &Request) -> bool {
        match &self.inner.options.path {
            Some(path) => request.url().split('?').next() == Some(path.as_str()),
            None => true,
        }
    }

    /// A connection passed the handshake: make the socket, emit `connection`, run it.
    async fn on_upgraded(
        &self,
        socket: WebSocket,
        membership: Option<Membership>,
        stream: FrameStream<Stream>,
        request: Request,
        callback: Option<OnSocket>,
    ) {
        let alive = KeepAlive::new();
        log::debug!(
            "WebSocket connection from {} to {}",
            request
                .remote_address()
                .map_or_else(|| "?".to_string(), |a| a.to_string()),
            request.url()
        );
        // The socket's reading starts only after the `connection` listeners (or the
        // `handle_upgrade` callback) return, so listeners they add see the first message.
        let panicked = match callback {
            None => {
                let panicked = self.dispatch(CONNECTION_EVENT, &[&socket, &request]).await;
                // Not kept for the connection's life (listeners keep their own clones).
                drop(request);
                panicked
            }
            Some(callback) => {
                let ws = socket.clone();
                match crate::runtime::call_user(move || callback(ws, request)) {
                    Ok(()) => false,
                    Err(panic) => {
                        log::error!("a handle_upgrade callback panicked: {panic}");
                        true
                    }
                }
            }
        };
        if panicked {
            let _ = socket.close_with(1011, "");
        }
        // The connection gets a task of its own, holding just what it needs: the
        // handshake's state (this future's) is freed now, not when it closes.
        let connection = Connection::new(
            socket.clone(),
            stream,
            crate::websocket::connection::Settings {
                close_timeout: self.inner.options.close_timeout,
                auto_pong: self.inner.options.auto_pong,
                high_water_mark: self.inner.options.high_water_mark,
                max_buffered_amount: self.inner.options.max_buffered_amount,
                heartbeat: self.inner.options.heartbeat_interval,
            },
            alive,
        );
        // The socket leaves `wss.clients` when its connection has ended.
        crate::runtime::spawn(connection.run(move || async move { drop(membership) }));
    }

    /// Calls the listeners of a server event once the creating code has returned to
    /// the event loop, taking turns with every other dispatch of this server (the one
    /// dispatcher, [`Registry::dispatch`]). Returns `true` if a listener panicked (it
    /// is logged and reported as `error`).
    async fn dispatch(&self, index: usize, args: &[&(dyn std::any::Any + Sync)]) -> bool {
        self.inner.gate.wait().await;
        self.inner
            .registry
            .dispatch(self, Some(&self.inner.turn), index, args)
            .panicked
    }

    async fn emit_error(&self, error: Error) {
        // Listeners added before the creating code returned must count.
        self.inner.gate.wait().await;
        self.inner
            .registry
            .report_error(self, Some(&self.inner.turn), error);
    }

    /// `wss.emit(event, ...args)`: calls the listeners of `event` now, on this thread,
    /// with arguments of the event's types (see the event table). Used as in ws's
    /// `noServer` recipe: `wss.emit("connection", &[&ws, &request])`. Returns whether
    /// there were listeners. Panics at your line if the arguments do not fit.
    ///
    /// ```no_run
    /// # use nodews::{ServerOptions, WebSocketServer};
    /// let wss = WebSocketServer::new(ServerOptions { no_server: true, ..Default::default() });
    /// wss.on("close", || println!("closed"));
    /// assert!(wss.emit("close", &[]));
    /// ```
    #[track_caller]
    pub fn emit(&self, event: &str, args: &[&(dyn std::any::Any + Sync)]) -> bool {
        let index = Registry::index_of::<WebSocketServer>(event).unwrap_or_else(|e| panic!("{e}"));
        let spec = &EVENTS[index];
        let fits = args.len() == spec.args.len()
            && args
                .iter()
                .zip(spec.args)
                .all(|(a, s)| (**a).type_id() == (s.type_id)());
        if !fits {
            let expected: Vec<_> = spec
                .args
                .iter()
                .map(|a| format!("&{}", a.type_name))
                .collect();
            panic!(
                "wss.emit(\"{event}\", ..) takes [{}] as its arguments",
                expected.join(", ")
            );
        }
        // Emitting is the program's own call: this server's events start now, and the
        // listeners take their turn with the server's own dispatches.
        self.inner.gate.open();
        self.inner
            .registry
            .dispatch(self, Some(&self.inner.turn), index, args)
            .listeners
            > 0
    }

    async fn emit_close(&self) {
        if *self.inner.state.lock() == State::Closed {
            return;
        }
        let _ = self.inner.listened.subscribe().wait_for(|done| *done).await;
        {
            let mut state = self.inner.state.lock();
            if *state == State::Closed {
                return;
            }
            *state = State::Closed;
        }
        self.dispatch(CLOSE_EVENT, &[]).await;
        self.finish_close();
    }

    fn finish_close(&self) {
        self.inner.registry.remove_all(None);
        self.inner.alive.lock().take();
        self.inner.closed.set();
    }

    /// `wss.address()`: where the server listens (`None` if it could not bind).
    ///
    /// ```no_run
    /// # let wss = nodews::WebSocketServer::new(nodews::ServerOptions { port: Some(0), ..Default::default() });
    /// let port = wss.address().unwrap().port();
    /// # let _ = port;
    /// ```
    pub fn address(&self) -> Option<SocketAddr> {
        self.inner.http.as_ref().and_then(HttpServer::address)
    }

    /// `wss.clients`: the connected sockets, in the order they connected (empty when
    /// `client_tracking` is off). A shared snapshot: calling it per message costs a
    /// reference count, not a copy of the set (see [`Clients`]).
    ///
    /// ```no_run
    /// # let wss = nodews::WebSocketServer::new(nodews::ServerOptions { port: Some(0), ..Default::default() });
    /// for client in wss.clients() {
    ///     if client.ready_state() == nodews::WebSocket::OPEN { client.send("news"); }
    /// }
    /// ```
    pub fn clients(&self) -> Clients {
        self.inner.clients.snapshot()
    }

    /// `wss.close()`: stops accepting connections. As in ws 8, open connections are
    /// not closed; `close` is emitted once the last of them has closed (at once if
    /// there are none, or if `client_tracking` is off).
    ///
    /// ```no_run
    /// # let wss = nodews::WebSocketServer::new(nodews::ServerOptions { port: Some(0), ..Default::default() });
    /// for client in wss.clients() { client.close_with(1001, "server going away").ok(); }
    /// wss.close();
    /// ```
    pub fn close(&self) {
        {
            let mut state = self.inner.state.lock();
            if *state != State::Running {
                return;
            }
            // Until `close` is emitted, this server can still fire: keep run() waiting.
            // Set before the state changes: the last client's task may emit `close`
            // (and drop this) as soon as it sees `Closing`.
            *self.inner.alive.lock() = Some(KeepAlive::new());
            *state = State::Closing;
        }
        // As ws: stop taking upgrades; close the HTTP server only if it is our own.
        if let Some(http) = &self.inner.http {
            http.detach(self.id());
            if self.inner.owns_http {
                http.close();
            }
        }
        // Graceful shutdown, if asked for: each socket's close frame is queued after
        // what was already sent to it, so that goes out first.
        if self.inner.options.close_clients_on_close {
            for client in self.clients() {
                let _ = client.close_with(1001, "server shutting down");
            }
        }
        let no_clients = !self.inner.options.client_tracking || self.inner.clients.is_empty();
        if no_clients {
            let server = self.clone();
            crate::runtime::spawn(async move { server.emit_close().await });
        }
    }

    /// `wss.close(callback)`: the callback runs when the server has closed, or at once
    /// (on the runtime) with an error if it was not running.
    ///
    /// ```no_run
    /// # let wss = nodews::WebSocketServer::new(nodews::ServerOptions { port: Some(0), ..Default::default() });
    /// wss.close_with_callback(|error| println!("closed: {error:?}"));
    /// ```
    pub fn close_with_callback(&self, callback: impl FnOnce(Option<Error>) + Send + 'static) {
        if *self.inner.state.lock() == State::Closed {
            crate::runtime::spawn(async move {
                let _ = crate::runtime::call_user(|| {
                    callback(Some(Error::new(
                        crate::ErrorCode::WS_ERR_INVALID_STATE,
                        "The server is not running",
                    )))
                });
            });
            return;
        }
        let mut once = Some(callback);
        self.once("close", move || {
            if let Some(cb) = once.take() {
                cb(None)
            }
        });
        self.close();
    }

    /// Blocks until the server's `close` event has run. Starts this thread's pending
    /// events first; panics inside a listener.
    ///
    /// ```no_run
    /// # let wss = nodews::WebSocketServer::new(nodews::ServerOptions { port: Some(0), ..Default::default() });
    /// wss.close();
    /// wss.wait_close();
    /// ```
    #[track_caller]
    pub fn wait_close(&self) {
        self.inner.closed.wait("WebSocketServer::wait_close", None);
    }
}

/// An upgrade refused: status, message (empty: the status's reason), extra headers.
type Rejection = (u16, String, Vec<(String, String)>);

enum Verdict {
    Accept,
    Reject(u16, String, Vec<(String, String)>),
}

struct Accepted {
    key: String,
    protocol: Option<String>,
}

/// ws's key check: `/^[+/0-9A-Za-z]{22}==$/`, the base64 of 16 bytes.
fn is_valid_key(key: &str) -> bool {
    let bytes = key.as_bytes();
    bytes.len() == 24
        && bytes[22..] == *b"=="
        && bytes[..22]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
}

/// ws's `subprotocol.parse`: comma-separated tokens, no duplicates.
fn parse_protocols(header: &str) -> Option<Vec<String>> {
    let mut protocols: Vec<String> = Vec::new();
    for part in header.split(',') {
        let p = part.trim();
        let is_token = !p.is_empty()
            && p.bytes()
                .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b));
        if !is_token || protocols.iter().any(|q| q == p) {
            return None;
        }
        protocols.push(p.to_string());
    }
    Some(protocols)
}

/// A socket's place in `wss.clients`, taken before its 101 is written: it leaves the
/// set when this is dropped, at the end of the connection, or at once if the upgrade
/// never completes. The last to leave a closing server lets it emit `close`.
struct Membership {
    server: WebSocketServer,
    id: u64,
}

impl Drop for Membership {
    fn drop(&mut self) {
        let remaining = self.server.inner.clients.remove(self.id);
        if remaining == 0 && *self.server.inner.state.lock() == State::Closing {
            let server = self.server.clone();
            crate::runtime::spawn(async move { server.emit_close().await });
        }
    }
}

impl crate::http::UpgradeTarget for WebSocketServer {
    fn id(&self) -> usize {
        WebSocketServer::id(self)
    }

    fn should_handle(&self, request: &Request) -> bool {
        WebSocketServer::should_handle(self, request)
    }

    fn upgrade(&self, request: Request, socket: Socket) -> crate::http::BoxFuture {
        let server = self.clone();
        Box::pin(async move { server.complete_upgrade(request, socket, None).await })
    }

    fn listening(&self) -> crate::http::BoxFuture {
        let server = self.clone();
        Box::pin(async move { server.emit_listening().await })
    }

    fn failed(&self, error: Error) -> crate::http::BoxFuture {
        let server = self.clone();
        Box::pin(async move { server.forward_error(error).await })
    }
}

impl WebSocketServer {
    fn data_map(&self) -> &crate::events::data::DataMap {
        &self.inner.data
    }
}

crate::events::data::data_methods!(
    WebSocketServer,
    "wss",
    "nodews::WebSocketServer::new(nodews::ServerOptions { no_server: true, ..Default::default() })",
    data_map
);

// Listener arguments (see `events::Arg`).
crate::events::impl_arg!(WebSocketServer);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_check_matches_ws() {
        assert!(is_valid_key("dGhlIHNhbXBsZSBub25jZQ=="));
        assert!(!is_valid_key("dGhlIHNhbXBsZSBub25jZQ="));
        assert!(!is_valid_key("dGhlIHNhbXBsZSBub25j*Q=="));
    }

    #[test]
    fn protocol_parsing_rejects_duplicates_and_bad_tokens() {
        assert_eq!(
            parse_protocols("chat, superchat"),
            Some(vec!["chat".into(), "superchat".into()])
        );
        assert_eq!(parse_protocols("chat, chat"), None);
        assert_eq!(parse_protocols("a b"), None);
        assert_eq!(parse_protocols(""), None);
    }
}

crate::events::event_emitter_methods!(
    WebSocketServer,
    "wss",
    "nodews::WebSocketServer::new(nodews::ServerOptions { port: Some(0), ..Default::default() })"
);
