//! `nodews::http`: Node's `http.createServer`, enough to share one port between
//! plain HTTP and WebSocket (the seed tutorial's shape) and to route upgrades
//! yourself (`noServer` + `handle_upgrade`). HTTP parsing is hyper's.
//!
//! ```no_run
//! use nodews::{http, ServerOptions, WebSocket, WebSocketServer};
//! let server = http::create_server(|_req, res| {
//!     res.write_head(200, &[("Content-Type", "text/plain")]);
//!     res.end("WebSocket server is running.\n");
//! });
//! let wss = WebSocketServer::new(ServerOptions { server: Some(server.clone()), ..Default::default() });
//! wss.on("connection", |ws: WebSocket| ws.send("hi"));
//! server.listen(8080, || println!("listening"));
//! nodews::run();
//! ```
//!
//! Every TCP connection is served by hyper's HTTP/1 server. A plain request becomes a
//! `request` event; an upgrade request goes to the `upgrade` listeners if there are
//! any (you decide, as in Node), else to the attached `WebSocketServer` whose `path`
//! matches, else the connection is destroyed.

pub mod https;
pub(crate) mod request;

use std::future::Future;
use std::net::{SocketAddr, ToSocketAddrs};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use parking_lot::{Mutex, ReentrantMutex};
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::{oneshot, watch};

use crate::events::{EmitterKind, EventSpec, Registry, arg, event_index};
use crate::runtime::{Gate, KeepAlive};
use crate::{Error, Request};

pub(crate) type HttpResponse = hyper::Response<Full<Bytes>>;

/// How long a client may take to send a whole request, by default (Node's 300 s; see
/// [`HttpServer::set_request_timeout`]).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(300);

/// How long a client may take to send a request's head, by default (see
/// [`HttpServer::set_headers_timeout`]): 30 s, half of Node's 60 s, so that slowloris
/// connections do not pile up.
pub const DEFAULT_HEADERS_TIMEOUT: Duration = Duration::from_secs(30);

/// What the HTTP server needs of a WebSocket server attached to it (ws's
/// `new WebSocketServer({ server })`): this layer hands it upgrades and tells it about
/// `listening` and `error`, without knowing the WebSocket layers above.
pub(crate) trait UpgradeTarget: Send + Sync {
    /// Tells attached servers apart, for `detach`.
    fn id(&self) -> usize;
    /// ws's `shouldHandle`: the request's path is this server's.
    fn should_handle(&self, request: &Request) -> bool;
    /// Checks and answers the upgrade, then opens the WebSocket.
    fn upgrade(&self, request: Request, socket: Socket) -> BoxFuture;
    /// The HTTP server started listening.
    fn listening(&self) -> BoxFuture;
    /// The HTTP server failed to listen (ws forwards the `error`).
    fn failed(&self, error: Error) -> BoxFuture;
}

pub(crate) type BoxFuture = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// What an upgraded connection continues with (the WebSocket, usually).
pub(crate) type Continuation =
    Box<dyn FnOnce(hyper::upgrade::Upgraded) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

static EVENTS: &[EventSpec] = &[
    EventSpec {
        name: "listening",
        args: &[],
    },
    EventSpec {
        name: "request",
        args: &[arg!("req": Request), arg!("res": ServerResponse)],
    },
    EventSpec {
        name: "upgrade",
        args: &[
            arg!("req": Request),
            arg!("socket": Socket),
            arg!("head": Bytes),
        ],
    },
    EventSpec {
        name: "error",
        args: &[arg!("error": Error)],
    },
    EventSpec {
        name: "close",
        args: &[],
    },
];

const LISTENING_EVENT: usize = event_index(EVENTS, "listening");
const REQUEST_EVENT: usize = event_index(EVENTS, "request");
const UPGRADE_EVENT: usize = event_index(EVENTS, "upgrade");
const ERROR_EVENT: usize = event_index(EVENTS, "error");
const CLOSE_EVENT: usize = event_index(EVENTS, "close");

impl EmitterKind for HttpServer {
    const NAME: &'static str = "HttpServer";
    const ERROR_EVENT: usize = ERROR_EVENT;
    const CLOSE_EVENT: usize = CLOSE_EVENT;
    fn this_type() -> std::any::TypeId {
        std::any::TypeId::of::<HttpServer>()
    }
    fn events() -> &'static [EventSpec] {
        EVENTS
    }
}

/// `http.createServer((req, res) => ...)`: the handler becomes a `request` listener.
///
/// ```no_run
/// let server = nodews::http::create_server(|req, res| {
///     res.write_head(200, &[("Content-Type", "text/plain")]);
///     res.end(format!("you asked for {}\n", req.url()));
/// });
/// server.listen(8080, || println!("up"));
/// nodews::run();
/// ```
pub fn create_server(handler: impl FnMut(Request, ServerResponse) + Send + 'static) -> HttpServer {
    let server = HttpServer::new();
    server.on("request", handler);
    server
}

/// An HTTP server (Node's `http.Server`).
///
/// # Events
///
/// | event | listener arguments (any leading part, optionally after `server: HttpServer`) |
/// |---|---|
/// | `"listening"` | none |
/// | `"request"` | `req: Request, res: ServerResponse` |
/// | `"upgrade"` | `req: Request, socket: Socket, head: Bytes` (`head` is always empty: hyper keeps early bytes for the upgraded stream) |
/// | `"error"` | `error: Error` (e.g. `EADDRINUSE`) |
/// | `"close"` | none |
#[derive(Clone)]
pub struct HttpServer {
    inner: Arc<HttpShared>,
}

struct HttpShared {
    registry: Registry,
    /// The user's own values (`set_data`).
    data: crate::events::data::DataMap,
    /// Listeners are called from many connection tasks; they take turns.
    turn: ReentrantMutex<()>,
    /// Node's `headersTimeout`, in milliseconds (0: off).
    headers_timeout_ms: AtomicU64,
    /// Node's `requestTimeout`, in milliseconds (0: off).
    request_timeout_ms: AtomicU64,
    gate: Arc<Gate>,
    /// ws's own HTTP server: plain requests get 426 (WebSocketServer with `port`).
    upgrade_required: bool,
    address: Mutex<Option<SocketAddr>>,
    state: Mutex<HttpState>,
    stop_accepting: watch::Sender<bool>,
    alive: Mutex<Option<KeepAlive>>,
    /// WebSocket servers attached with `ServerOptions { server }`.
    attached: Mutex<Vec<Arc<dyn UpgradeTarget>>>,
    closed: crate::runtime::ClosedLatch,
    /// `https::create_server`: the TLS handshake to do on each connection, or the
    /// error that `listen` reports when the certificate or key cannot be used.
    tls: Option<Result<tokio_rustls::TlsAcceptor, Error>>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum HttpState {
    Idle,
    Listening,
    Closed,
}

impl std::fmt::Debug for HttpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpServer")
            .field("address", &self.address())
            .field("state", &*self.inner.state.lock())
            .finish()
    }
}

impl Default for HttpServer {
    fn default() -> Self {
        HttpServer::new()
    }
}

impl HttpServer {
    /// `http.createServer()` without a handler: add `request` or `upgrade` listeners
    /// yourself. Plain requests with no `request` listener get 404.
    ///
    /// ```no_run
    /// use nodews::{http::{HttpServer, Socket}, Request};
    /// let server = HttpServer::new();
    /// server.on("upgrade", |_req: Request, socket: Socket| socket.destroy());
    /// server.listen(8080, || {});
    /// ```
    pub fn new() -> HttpServer {
        HttpServer::with_426(false)
    }

    pub(crate) fn with_426(upgrade_required: bool) -> HttpServer {
        HttpServer::build(upgrade_required, None)
    }

    pub(crate) fn build(
        upgrade_required: bool,
        tls: Option<Result<tokio_rustls::TlsAcceptor, Error>>,
    ) -> HttpServer {
        HttpServer {
            inner: Arc::new(HttpShared {
                registry: Registry::new(),
                turn: ReentrantMutex::new(()),
                headers_timeout_ms: AtomicU64::new(DEFAULT_HEADERS_TIMEOUT.as_millis() as u64),
                request_timeout_ms: AtomicU64::new(DEFAULT_REQUEST_TIMEOUT.as_millis() as u64),
                gate: Gate::for_current_thread(),
                upgrade_required,
                address: Mutex::new(None),
                state: Mutex::new(HttpState::Idle),
                stop_accepting: watch::Sender::new(false),
                alive: Mutex::new(None),
                attached: Mutex::new(Vec::new()),
                closed: Default::default(),
                data: Default::default(),
                tls,
            }),
        }
    }

    pub(crate) fn attach(&self, target: Arc<dyn UpgradeTarget>) {
        self.inner.attached.lock().push(target);
    }

    pub(crate) fn detach(&self, id: usize) {
        self.inner.attached.lock().retain(|t| t.id() != id);
    }

    /// `server.listen(port, callback)`: binds all interfaces (IPv6 and IPv4, as Node);
    /// `callback` runs on `listening`. A bind failure is an `error` event.
    ///
    /// ```no_run
    /// let server = nodews::http::create_server(|_req, res| res.end("ok"));
    /// server.listen(0, || println!("listening"));
    /// println!("port {}", server.address().unwrap().port());
    /// ```
    pub fn listen(&self, port: u16, callback: impl FnOnce() + Send + 'static) -> &Self {
        self.listen_on(None, port, 511, callback)
    }

    /// `server.listen(port, host, backlog, callback)`.
    ///
    /// ```no_run
    /// let server = nodews::http::create_server(|_req, res| res.end("ok"));
    /// server.listen_on(Some("127.0.0.1"), 8080, 511, || println!("listening"));
    /// ```
    pub fn listen_on(
        &self,
        host: Option<&str>,
        port: u16,
        backlog: u32,
        callback: impl FnOnce() + Send + 'static,
    ) -> &Self {
        self.start_listening(|| bind(host, port, backlog).map(Listener::Tcp), callback)
    }

    /// `server.listen(path, callback)`: listens on a Unix domain socket, which
    /// `ws+unix:` clients reach (`ws+unix:/tmp/app.sock:/chat`). The file must not
    /// exist yet, as in Node. [`address`](Self::address) stays `None`.
    ///
    /// ```no_run
    /// let server = nodews::http::create_server(|_req, res| res.end("ok"));
    /// server.listen_path("/tmp/app.sock", || println!("listening on /tmp/app.sock"));
    /// ```
    pub fn listen_path(
        &self,
        path: impl AsRef<std::path::Path>,
        callback: impl FnOnce() + Send + 'static,
    ) -> &Self {
        let path = path.as_ref().to_path_buf();
        self.start_listening(
            move || {
                let _runtime = crate::runtime::runtime().enter();
                tokio::net::UnixListener::bind(&path)
                    .map(Listener::Unix)
                    .map_err(|e| Error::io(&format!("listen {}", path.display()), e))
            },
            callback,
        )
    }

    fn start_listening(
        &self,
        bind: impl FnOnce() -> Result<Listener, Error>,
        callback: impl FnOnce() + Send + 'static,
    ) -> &Self {
        let mut callback = Some(callback);
        self.once("listening", move || {
            if let Some(cb) = callback.take() {
                cb()
            }
        });
        {
            let mut state = self.inner.state.lock();
            if *state != HttpState::Idle {
                log::error!("server.listen() called twice; ignored");
                return self;
            }
            *state = HttpState::Listening;
        }
        *self.inner.alive.lock() = Some(KeepAlive::new());
        let bound = match &self.inner.tls {
            Some(Err(error)) => Err(error.clone()),
            _ => bind(),
        };
        if let Ok(Listener::Tcp(listener)) = &bound {
            *self.inner.address.lock() = listener.local_addr().ok();
        }
        // Servers attached now hear about this listen even if they detach (close)
        // before the event is delivered: `listening` always precedes their `close`.
        let attached = self.inner.attached.lock().clone();
        let server = self.clone();
        crate::runtime::spawn(async move {
            match bound {
                Ok(listener) => {
                    let acceptor = server.clone();
                    let stop = server.inner.stop_accepting.subscribe();
                    crate::runtime::spawn(
                        async move { acceptor.accept_loop(listener, stop).await },
                    );
                    server.emit(LISTENING_EVENT, &[]).await;
                    for wss in attached {
                        wss.listening().await;
                    }
                }
                Err(error) => {
                    *server.inner.state.lock() = HttpState::Closed;
                    server.emit_error(error.clone()).await;
                    for wss in attached {
                        wss.failed(error.clone()).await;
                    }
                    server.finish_close();
                }
            }
        });
        self
    }

    async fn accept_loop(&self, listener: Listener, mut stop: watch::Receiver<bool>) {
        loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(Accepted::Tcp(tcp, remote)) => {
                        // As ws: small frames must not wait for Nagle's algorithm.
                        let _ = tcp.set_nodelay(true);
                        let server = self.clone();
                        if let Some(Ok(tls)) = &self.inner.tls {
                            let tls = tls.clone();
                            crate::runtime::spawn(async move {
                                if let Some(tls) = crate::net::tls::accept(tls, tcp, remote).await {
                                    server.serve(TokioIo::new(tls), Some(remote)).await
                                }
                            });
                            continue;
                        }
                        crate::runtime::spawn(async move { server.serve(TokioIo::new(tcp), Some(remote)).await });
                    }
                    // No TLS on a Unix domain socket, as Node's IPC servers.
                    Ok(Accepted::Unix(unix)) => {
                        let server = self.clone();
                        crate::runtime::spawn(async move { server.serve(TokioIo::new(unix), None).await });
                    }
                    Err(e) => {
                        // Out of file descriptors and the like: report, back off, go on.
                        log::warn!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                },
                _ = stop.changed() => break,
            }
        }
    }

    /// One connection: hyper parses requests until one is upgraded or it ends.
    async fn serve<I>(self, io: I, remote: Option<SocketAddr>)
    where
        I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    {
        let server = self.clone();
        let service = service_fn(move |req| {
            let server = server.clone();
            async move { server.handle(req, remote).await }
        });
        let timeout = Duration::from_millis(self.inner.headers_timeout_ms.load(Ordering::Relaxed));
        let mut http1 = hyper::server::conn::http1::Builder::new();
        // Slowloris: a client that sends its request head slowly, or nothing at all,
        // is dropped when the timeout passes (hyper starts it with the connection).
        if !timeout.is_zero() {
            http1.timer(TokioTimer::new()).header_read_timeout(timeout);
        }
        if let Err(e) = http1.serve_connection(io, service).with_upgrades().await {
            log::debug!("HTTP connection from {remote:?} ended: {e}");
        }
    }

    async fn handle(
        &self,
        mut req: hyper::Request<Incoming>,
        remote: Option<SocketAddr>,
    ) -> Result<HttpResponse, Destroyed> {
        let request = to_request(&req, remote).with_secure(self.inner.tls.is_some());
        let is_upgrade = req.headers().contains_key(http::header::UPGRADE)
            && header_has_token(req.headers(), http::header::CONNECTION, "upgrade");
        if is_upgrade {
            let on_upgrade = hyper::upgrade::on(&mut req);
            return self.route_upgrade(request, on_upgrade).await;
        }
        if self.inner.upgrade_required {
            // ws's own HTTP server answers every plain request this way.
            return Ok(plain_response(426, "", &[]));
        }
        if self.inner.registry.count(REQUEST_EVENT) == 0 {
            return Ok(plain_response(404, "", &[]));
        }
        let received = tokio::time::Instant::now();
        let (res, answer) = ServerResponse::new();
        self.emit(REQUEST_EVENT, &[&request, &res]).await;
        // Node's requestTimeout: the whole request must have arrived by then, or it
        // is answered 408 (if not answered yet) and the body's `error` says why.
        let limit = self.inner.request_timeout_ms.load(Ordering::Relaxed);
        let deadline = (limit > 0).then(|| received + Duration::from_millis(limit));
        let timeout_answer = res.clone();
        drop(res); // the response is sent by `end()`, or when the last handle is dropped
        // The body streams to the request's `data` listeners (added by the `request`
        // listeners, which have returned) while the response may already be on its
        // way: a long POST can feed a relay for as long as it lasts.
        let body = req.into_body();
        crate::runtime::spawn(async move {
            request.stream_body(body, deadline).await;
            if deadline.is_some_and(|d| tokio::time::Instant::now() >= d) {
                timeout_answer.answer_if_pending(408);
            }
        });
        Ok(answer
            .await
            .unwrap_or_else(|_| plain_response(500, "", &[])))
    }

    async fn route_upgrade(
        &self,
        request: Request,
        on_upgrade: hyper::upgrade::OnUpgrade,
    ) -> Result<HttpResponse, Destroyed> {
        let (socket, decision) = Socket::new(request.remote_address());
        if self.inner.registry.count(UPGRADE_EVENT) > 0 {
            self.emit(UPGRADE_EVENT, &[&request, &socket, &Bytes::new()])
                .await;
        } else {
            let attached = self.inner.attached.lock().clone();
            match attached.iter().find(|wss| wss.should_handle(&request)) {
                Some(wss) => wss.upgrade(request, socket.clone()).await,
                // ws answers an upgrade for a path it does not serve with 400; with no
                // WebSocket server at all, Node destroys the socket.
                None if !attached.is_empty() => socket.respond(400, "", &[]),
                None => socket.destroy(),
            }
        }
        drop(socket);
        match decision.await {
            Ok(Decision {
                response,
                then: Some(then),
            }) => {
                crate::runtime::spawn(async move {
                    match on_upgrade.await {
                        Ok(upgraded) => then(upgraded).await,
                        Err(e) => log::debug!("upgrade failed: {e}"),
                    }
                });
                Ok(response)
            }
            Ok(Decision {
                response,
                then: None,
            }) => Ok(response),
            Err(_) => Err(Destroyed),
        }
    }

    /// Calls the listeners of an event once the creating code has returned to the
    /// event loop, taking turns with every other dispatch of this server (the one
    /// dispatcher, [`Registry::dispatch`]: a panicking listener is reported as `error`).
    async fn emit(&self, index: usize, args: &[&(dyn std::any::Any + Sync)]) {
        self.inner.gate.wait().await;
        self.inner
            .registry
            .dispatch(self, Some(&self.inner.turn), index, args);
    }

    async fn emit_error(&self, error: Error) {
        self.inner.gate.wait().await;
        if self.inner.registry.count(ERROR_EVENT) == 0 && !self.inner.attached.lock().is_empty() {
            return; // the attached WebSocket servers report it (ws forwards `error`)
        }
        self.inner
            .registry
            .report_error(self, Some(&self.inner.turn), error);
    }

    fn finish_close(&self) {
        self.inner.registry.remove_all(None);
        self.inner.alive.lock().take();
        self.inner.closed.set();
    }

    /// `server.close()`: stops accepting connections; `close` follows.
    ///
    /// ```no_run
    /// let server = nodews::http::create_server(|_req, res| res.end("ok"));
    /// server.listen(0, || {});
    /// server.close();
    /// ```
    pub fn close(&self) {
        {
            let mut state = self.inner.state.lock();
            if *state != HttpState::Listening {
                return;
            }
            *state = HttpState::Closed;
        }
        self.inner.stop_accepting.send_replace(true);
        let server = self.clone();
        crate::runtime::spawn(async move {
            server.emit(CLOSE_EVENT, &[]).await;
            server.finish_close();
        });
    }

    /// Blocks until the server has closed (its `close` event has run).
    ///
    /// ```no_run
    /// let server = nodews::http::create_server(|_req, res| res.end("ok"));
    /// server.listen(0, || {});
    /// server.close();
    /// server.wait_close();
    /// ```
    #[track_caller]
    pub fn wait_close(&self) {
        self.inner.closed.wait("HttpServer::wait_close", None);
    }

    /// `server.headersTimeout = ms`: how long a client may take to send a request's
    /// head (the request line and headers, the WebSocket upgrade included), counted
    /// from when its connection opens or its previous request ends; a client that
    /// is slower (slowloris), or sends nothing, is disconnected. `0` turns it off.
    /// Default [`DEFAULT_HEADERS_TIMEOUT`] (30 s; Node's is 60 s). Applies to
    /// connections accepted afterwards.
    ///
    /// ```
    /// let server = nodews::http::create_server(|_req, res| res.end("ok"));
    /// server.set_headers_timeout(std::time::Duration::from_secs(10));
    /// assert_eq!(server.headers_timeout(), std::time::Duration::from_secs(10));
    /// ```
    pub fn set_headers_timeout(&self, timeout: Duration) -> &Self {
        let ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        self.inner.headers_timeout_ms.store(ms, Ordering::Relaxed);
        self
    }

    /// `server.requestTimeout = ms`: how long a client may take to send a whole
    /// request, body included, counted from when its head arrived; a request still
    /// arriving then gets `408 Request Timeout` (if not answered yet) and its
    /// `error` event (`ETIMEDOUT`). `0` turns it off. Default
    /// [`DEFAULT_REQUEST_TIMEOUT`] (300 s, as Node).
    ///
    /// ```
    /// let server = nodews::http::create_server(|_req, res| res.end("ok"));
    /// server.set_request_timeout(std::time::Duration::from_secs(30));
    /// ```
    pub fn set_request_timeout(&self, timeout: Duration) -> &Self {
        let ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        self.inner.request_timeout_ms.store(ms, Ordering::Relaxed);
        self
    }

    /// `server.headersTimeout`, see [`set_headers_timeout`](Self::set_headers_timeout).
    ///
    /// ```
    /// let server = nodews::http::create_server(|_req, res| res.end("ok"));
    /// assert_eq!(server.headers_timeout(), nodews::http::DEFAULT_HEADERS_TIMEOUT);
    /// ```
    pub fn headers_timeout(&self) -> Duration {
        Duration::from_millis(self.inner.headers_timeout_ms.load(Ordering::Relaxed))
    }

    /// `server.address()`: where it listens, once `listen` has bound.
    ///
    /// ```no_run
    /// let server = nodews::http::create_server(|_req, res| res.end("ok"));
    /// server.listen(0, || {});
    /// assert!(server.address().unwrap().port() > 0);
    /// ```
    pub fn address(&self) -> Option<SocketAddr> {
        *self.inner.address.lock()
    }
}

impl PartialEq for HttpServer {
    fn eq(&self, other: &HttpServer) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

/// Returned to hyper to make it drop the connection without answering (`socket.destroy()`).
#[derive(Debug)]
pub(crate) struct Destroyed;

impl std::fmt::Display for Destroyed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("socket destroyed")
    }
}

impl std::error::Error for Destroyed {}

/// Node's `http.ServerResponse`: set the status and headers, write the body, `end()`.
/// The response is sent on `end()`, or when the last handle is dropped.
///
/// ```no_run
/// let server = nodews::http::create_server(|_req, res| {
///     res.set_header("X-Powered-By", "nodews");
///     res.write_head(200, &[("Content-Type", "text/html")]);
///     res.write("<h1>hi</h1>");
///     res.end("");
/// });
/// # let _ = server;
/// ```
#[derive(Clone)]
pub struct ServerResponse {
    inner: Arc<Mutex<ResponseState>>,
}

impl std::fmt::Debug for ServerResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerResponse")
            .field("status", &self.inner.lock().status)
            .finish()
    }
}

struct ResponseState {
    status: u16,
    /// `res.statusMessage`, when set (else the status's standard phrase).
    status_message: Option<String>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    answer: Option<oneshot::Sender<HttpResponse>>,
}

impl Drop for ResponseState {
    fn drop(&mut self) {
        self.finish();
    }
}

impl ResponseState {
    fn finish(&mut self) {
        if let Some(answer) = self.answer.take() {
            let mut response = hyper::Response::builder().status(
                http::StatusCode::from_u16(self.status)
                    .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR),
            );
            for (name, value) in &self.headers {
                response = response.header(name.as_str(), value.as_str());
            }
            if let Some(message) = self.status_message.take()
                && let Ok(phrase) = hyper::ext::ReasonPhrase::try_from(message)
            {
                response = response.extension(phrase);
            }
            let response = response
                .body(Full::new(Bytes::from(std::mem::take(&mut self.body))))
                .unwrap_or_else(|e| {
                    log::error!("invalid HTTP response: {e}");
                    plain_response(500, "", &[])
                });
            let _ = answer.send(response);
        }
    }
}

impl ServerResponse {
    fn new() -> (ServerResponse, oneshot::Receiver<HttpResponse>) {
        let (tx, rx) = oneshot::channel();
        let res = ServerResponse {
            inner: Arc::new(Mutex::new(ResponseState {
                status: 200,
                status_message: None,
                headers: Vec::new(),
                body: Vec::new(),
                answer: Some(tx),
            })),
        };
        (res, rx)
    }

    /// `res.writeHead(status, headers)`.
    ///
    /// ```no_run
    /// # let server = nodews::http::create_server(|_req, res| {
    /// res.write_head(404, &[("Content-Type", "text/plain")]);
    /// # });
    /// ```
    pub fn write_head(&self, status: u16, headers: &[(&str, &str)]) -> &Self {
        let mut state = self.inner.lock();
        state.status = status;
        for (k, v) in headers {
            state
                .headers
                .retain(|(name, _)| !name.eq_ignore_ascii_case(k));
            state.headers.push((k.to_string(), v.to_string()));
        }
        drop(state);
        self
    }

    /// `res.setHeader(name, value)`.
    ///
    /// ```no_run
    /// # let server = nodews::http::create_server(|_req, res| {
    /// res.set_header("Cache-Control", "no-store");
    /// # });
    /// ```
    pub fn set_header(&self, name: &str, value: &str) -> &Self {
        // One lock, taken and released here: a guard used as a call argument would
        // live until the call returns (this once deadlocked against `write_head`).
        let mut state = self.inner.lock();
        state.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        state.headers.push((name.to_string(), value.to_string()));
        drop(state);
        self
    }

    /// `res.setHeader(name, [v1, v2])`: one header line per value (several
    /// `Set-Cookie`s), replacing any earlier value of `name`.
    ///
    /// ```no_run
    /// # let server = nodews::http::create_server(|_req, res| {
    /// res.set_header_values("Set-Cookie", &["a=1", "b=2"]);
    /// # });
    /// ```
    pub fn set_header_values(&self, name: &str, values: &[&str]) -> &Self {
        let mut state = self.inner.lock();
        state.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        for value in values {
            state.headers.push((name.to_string(), value.to_string()));
        }
        drop(state);
        self
    }

    /// `res.appendHeader(name, value)`: adds a line, keeping earlier values of `name`.
    ///
    /// ```no_run
    /// # let server = nodews::http::create_server(|_req, res| {
    /// res.append_header("Set-Cookie", "a=1").append_header("Set-Cookie", "b=2");
    /// # });
    /// ```
    pub fn append_header(&self, name: &str, value: &str) -> &Self {
        self.inner
            .lock()
            .headers
            .push((name.to_string(), value.to_string()));
        self
    }

    /// `res.getHeader(name)`: the value set for `name` (case-insensitive), several
    /// values joined with `", "`; `None` if unset. See
    /// [`get_header_values`](Self::get_header_values) for `Set-Cookie`.
    ///
    /// ```no_run
    /// # let server = nodews::http::create_server(|_req, res| {
    /// res.set_header("Content-Type", "text/plain");
    /// assert_eq!(res.get_header("content-type").as_deref(), Some("text/plain"));
    /// # });
    /// ```
    pub fn get_header(&self, name: &str) -> Option<String> {
        let values = self.get_header_values(name);
        (!values.is_empty()).then(|| values.join(", "))
    }

    /// Every value set for `name`, in order (Node's array for `Set-Cookie`).
    ///
    /// ```no_run
    /// # let server = nodews::http::create_server(|_req, res| {
    /// res.set_header_values("Set-Cookie", &["a=1", "b=2"]);
    /// assert_eq!(res.get_header_values("set-cookie"), ["a=1", "b=2"]);
    /// # });
    /// ```
    pub fn get_header_values(&self, name: &str) -> Vec<String> {
        self.inner
            .lock()
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// `res.hasHeader(name)`.
    ///
    /// ```no_run
    /// # let server = nodews::http::create_server(|_req, res| {
    /// assert!(!res.has_header("x-powered-by"));
    /// # });
    /// ```
    pub fn has_header(&self, name: &str) -> bool {
        self.inner
            .lock()
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    }

    /// `res.removeHeader(name)`.
    ///
    /// ```no_run
    /// # let server = nodews::http::create_server(|_req, res| {
    /// res.set_header("X-Debug", "1").remove_header("x-debug");
    /// # });
    /// ```
    pub fn remove_header(&self, name: &str) -> &Self {
        self.inner
            .lock()
            .headers
            .retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self
    }

    /// `res.statusCode`: 200 until set.
    ///
    /// ```no_run
    /// # let server = nodews::http::create_server(|_req, res| {
    /// assert_eq!(res.status_code(), 200);
    /// # });
    /// ```
    pub fn status_code(&self) -> u16 {
        self.inner.lock().status
    }

    /// `res.statusMessage = text`: the reason phrase of the status line.
    ///
    /// ```no_run
    /// # let server = nodews::http::create_server(|_req, res| {
    /// res.set_status(418).set_status_message("I'm a teapot, really");
    /// # });
    /// ```
    pub fn set_status_message(&self, message: &str) -> &Self {
        self.inner.lock().status_message = Some(message.to_string());
        self
    }

    /// Sends `status` with an empty body if nothing has been sent yet.
    fn answer_if_pending(&self, status: u16) {
        let mut state = self.inner.lock();
        if state.answer.is_some() {
            state.status = status;
            state.headers.clear();
            state.body.clear();
            state.finish();
        }
    }

    /// `res.statusCode = n`.
    ///
    /// ```no_run
    /// # let server = nodews::http::create_server(|_req, res| {
    /// res.set_status(201);
    /// # });
    /// ```
    pub fn set_status(&self, status: u16) -> &Self {
        self.inner.lock().status = status;
        self
    }

    /// `res.write(chunk)`: appends to the body.
    ///
    /// ```no_run
    /// # let server = nodews::http::create_server(|_req, res| {
    /// res.write("part one, ");
    /// res.end("part two");
    /// # });
    /// ```
    pub fn write(&self, chunk: impl AsRef<[u8]>) -> &Self {
        self.inner.lock().body.extend_from_slice(chunk.as_ref());
        self
    }

    /// `res.end(chunk)`: appends the last chunk and sends the response.
    ///
    /// ```no_run
    /// # let server = nodews::http::create_server(|_req, res| {
    /// res.end("done\n");
    /// # });
    /// ```
    pub fn end(&self, chunk: impl AsRef<[u8]>) {
        let mut state = self.inner.lock();
        state.body.extend_from_slice(chunk.as_ref());
        state.finish();
    }
}

/// The connection of an `upgrade` event (Node's `net.Socket` there): hand it to
/// [`WebSocketServer::handle_upgrade`](crate::WebSocketServer::handle_upgrade), or answer it yourself with `write` and
/// `destroy` (the ws README's authentication recipe), or just `destroy` it.
///
/// ```no_run
/// use nodews::{http::Socket, Request};
/// let server = nodews::http::create_server(|_req, res| res.end("ok"));
/// server.on("upgrade", |_req: Request, socket: Socket| {
///     socket.write("HTTP/1.1 401 Unauthorized\r\n\r\n");
///     socket.destroy();
/// });
/// ```
#[derive(Clone)]
pub struct Socket {
    inner: Arc<Mutex<SocketState>>,
    remote: Option<SocketAddr>,
}

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Socket")
            .field("remote", &self.remote)
            .finish()
    }
}

pub(crate) struct Decision {
    response: HttpResponse,
    then: Option<Continuation>,
}

struct SocketState {
    decision: Option<oneshot::Sender<Decision>>,
    written: Vec<u8>,
}

impl Drop for SocketState {
    /// Dropping every handle without a decision destroys the connection, unless raw
    /// bytes were written: then they are the answer.
    fn drop(&mut self) {
        self.flush_written();
    }
}

impl SocketState {
    fn flush_written(&mut self) {
        let Some(decision) = self.decision.take() else {
            return;
        };
        if self.written.is_empty() {
            return; // dropping the sender destroys the connection
        }
        match parse_raw_response(&self.written) {
            Some(response) => {
                let _ = decision.send(Decision {
                    response,
                    then: None,
                });
            }
            None => {
                log::error!("socket.write(): not an HTTP response; the connection is destroyed")
            }
        }
    }
}

impl Socket {
    fn new(remote: Option<SocketAddr>) -> (Socket, oneshot::Receiver<Decision>) {
        let (tx, rx) = oneshot::channel();
        let socket = Socket {
            inner: Arc::new(Mutex::new(SocketState {
                decision: Some(tx),
                written: Vec::new(),
            })),
            remote,
        };
        (socket, rx)
    }

    /// `socket.write(data)`: raw bytes of an HTTP response (e.g.
    /// `"HTTP/1.1 401 Unauthorized\r\n\r\n"`), sent by `destroy()` or `end()`.
    ///
    /// ```no_run
    /// # fn f(socket: nodews::http::Socket) {
    /// socket.write("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
    /// socket.destroy();
    /// # }
    /// ```
    pub fn write(&self, data: impl AsRef<[u8]>) -> &Self {
        self.inner.lock().written.extend_from_slice(data.as_ref());
        self
    }

    /// `socket.end(data)`: writes and closes.
    ///
    /// ```no_run
    /// # fn f(socket: nodews::http::Socket) {
    /// socket.end("HTTP/1.1 400 Bad Request\r\n\r\n");
    /// # }
    /// ```
    pub fn end(&self, data: impl AsRef<[u8]>) {
        self.write(data);
        self.destroy();
    }

    /// `socket.destroy()`: sends what was written (if anything) and closes the connection.
    ///
    /// ```no_run
    /// # fn f(socket: nodews::http::Socket) {
    /// socket.destroy();
    /// # }
    /// ```
    pub fn destroy(&self) {
        let mut state = self.inner.lock();
        state.flush_written();
        state.decision = None;
    }

    /// `socket.remoteAddress`.
    ///
    /// ```no_run
    /// # fn f(socket: nodews::http::Socket) {
    /// println!("{:?}", socket.remote_address());
    /// # }
    /// ```
    pub fn remote_address(&self) -> Option<SocketAddr> {
        self.remote
    }

    /// Answers with a full HTTP error response (ws's `abortHandshake`).
    pub(crate) fn respond(&self, status: u16, message: &str, extra: &[(String, String)]) {
        if let Some(decision) = self.inner.lock().decision.take() {
            let _ = decision.send(Decision {
                response: plain_response(status, message, extra),
                then: None,
            });
        }
    }

    /// Accepts the upgrade: `response` (the 101) is sent, then `then` gets the stream.
    pub(crate) fn accept(&self, response: HttpResponse, then: Continuation) -> bool {
        match self.inner.lock().decision.take() {
            Some(decision) => decision
                .send(Decision {
                    response,
                    then: Some(then),
                })
                .is_ok(),
            None => false,
        }
    }

    pub(crate) fn is_decided(&self) -> bool {
        self.inner.lock().decision.is_none()
    }
}

fn parse_raw_response(raw: &[u8]) -> Option<HttpResponse> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut parsed = httparse::Response::new(&mut headers);
    let body_start = match parsed.parse(raw).ok()? {
        httparse::Status::Complete(n) => n,
        httparse::Status::Partial => raw.len(),
    };
    let mut response = hyper::Response::builder().status(parsed.code?);
    for h in parsed.headers.iter() {
        if !h.name.eq_ignore_ascii_case("content-length") {
            response = response.header(h.name, h.value);
        }
    }
    response
        .header("Connection", "close")
        .body(Full::new(Bytes::copy_from_slice(&raw[body_start..])))
        .ok()
}

/// An HTTP error answer in the shape of ws's `abortHandshake`.
pub(crate) fn plain_response(
    status: u16,
    message: &str,
    extra: &[(String, String)],
) -> HttpResponse {
    let status = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::BAD_REQUEST);
    let body = if message.is_empty() {
        status.canonical_reason().unwrap_or("").to_string()
    } else {
        message.to_string()
    };
    let mut response = hyper::Response::builder()
        .status(status)
        .header("Content-Type", "text/plain");
    if status != http::StatusCode::UPGRADE_REQUIRED && status != http::StatusCode::NOT_FOUND {
        response = response.header("Connection", "close");
    }
    for (name, value) in extra {
        response = response.header(name.as_str(), value.as_str());
    }
    response
        .body(Full::new(Bytes::from(body)))
        .expect("static response parts are valid")
}

/// Binds like Node's `listen`: all interfaces (IPv6 and IPv4 on one socket) by default.
/// What an `HttpServer` accepts on.
pub(crate) enum Listener {
    Tcp(TcpListener),
    Unix(tokio::net::UnixListener),
}

/// A connection a [`Listener`] accepted.
enum Accepted {
    Tcp(tokio::net::TcpStream, SocketAddr),
    Unix(tokio::net::UnixStream),
}

impl Listener {
    async fn accept(&self) -> std::io::Result<Accepted> {
        match self {
            Listener::Tcp(l) => l.accept().await.map(|(s, a)| Accepted::Tcp(s, a)),
            Listener::Unix(l) => l.accept().await.map(|(s, _)| Accepted::Unix(s)),
        }
    }
}

pub(crate) fn bind(host: Option<&str>, port: u16, backlog: u32) -> Result<TcpListener, Error> {
    let _runtime = crate::runtime::runtime().enter();
    let candidates: Vec<SocketAddr> = match host {
        Some(host) => (host, port)
            .to_socket_addrs()
            .map_err(|e| Error::io(&format!("getaddrinfo {host}"), e))?
            .collect(),
        None => vec![
            SocketAddr::from(([0u16; 8], port)),
            SocketAddr::from(([0u8; 4], port)),
        ],
    };
    let mut last = None;
    for addr in candidates {
        let listen = || -> std::io::Result<TcpListener> {
            let socket = if addr.is_ipv6() {
                TcpSocket::new_v6()?
            } else {
                TcpSocket::new_v4()?
            };
            // As Node: a restarted server can bind while old connections sit in TIME_WAIT.
            socket.set_reuseaddr(true)?;
            socket.bind(addr)?;
            socket.listen(backlog)
        };
        match listen() {
            Ok(listener) => return Ok(listener),
            Err(e) => last = Some(Error::io(&format!("listen {addr}"), e)),
        }
    }
    Err(last.unwrap_or_else(|| Error::new(crate::ErrorCode::ENOTFOUND, "no address to listen on")))
}

fn to_request(req: &hyper::Request<Incoming>, remote: Option<SocketAddr>) -> Request {
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let url = req
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    let version = match req.version() {
        http::Version::HTTP_09 => "0.9",
        http::Version::HTTP_10 => "1.0",
        http::Version::HTTP_2 => "2.0",
        http::Version::HTTP_3 => "3.0",
        _ => "1.1",
    };
    Request::new(req.method().as_str(), url, headers, remote).with_http_version(version)
}

fn header_has_token(
    headers: &http::HeaderMap,
    name: http::header::HeaderName,
    token: &str,
) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

crate::events::event_emitter_methods!(
    HttpServer,
    "server",
    "nodews::http::create_server(|_req, res| res.end(\"ok\"))"
);

impl HttpServer {
    fn data_map(&self) -> &crate::events::data::DataMap {
        &self.inner.data
    }
}

crate::events::data::data_methods!(
    HttpServer,
    "server",
    "nodews::http::HttpServer::new()",
    data_map
);

// Listener arguments (see `events::Arg`).
crate::events::impl_arg!(HttpServer, ServerResponse, Socket);
