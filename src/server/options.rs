//! The server's options, with Node `ws`'s defaults at each field.
//!
//! Build them with struct-update syntax, the way ws takes an options object:
//!
//! ```
//! use nodews::ServerOptions;
//! let options = ServerOptions { port: Some(8080), max_payload: 1024 * 1024, ..Default::default() };
//! assert!(options.client_tracking);
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::http::request::Request;
use crate::websocket::options::{
    DEFAULT_CLOSE_TIMEOUT, DEFAULT_HIGH_WATER_MARK, DEFAULT_MAX_BUFFERED_AMOUNT,
    DEFAULT_MAX_PAYLOAD,
};

/// What `verify_client` sees (ws's `info`): the origin, whether TLS is used, the request.
#[derive(Clone, Debug)]
pub struct VerifyInfo {
    /// The `Origin` header (or `Sec-WebSocket-Origin` for version 8 clients).
    pub origin: Option<String>,
    /// `true` when the connection is TLS (wss).
    pub secure: bool,
    /// The upgrade request.
    pub req: Request,
}

/// `verifyClient`: decides whether a client may connect. Refused clients get `401`.
///
/// ```
/// use nodews::{ServerOptions, VerifyClient};
/// let options = ServerOptions {
///     port: Some(0),
///     verify_client: Some(VerifyClient::sync(|info| info.req.header("authorization").is_some())),
///     ..Default::default()
/// };
/// # let _ = options;
/// ```
#[derive(Clone)]
pub struct VerifyClient(pub(crate) Verifier);

#[derive(Clone)]
pub(crate) enum Verifier {
    Sync(Arc<dyn Fn(&VerifyInfo) -> bool + Send + Sync>),
    Async(Arc<AsyncVerifier>),
}

type AsyncVerifier = dyn Fn(&VerifyInfo, VerifyCallback) + Send + Sync;

/// The callback of the two-argument `verify_client`, called as ws's
/// `cb(verified, code, message, headers)`: `done(false, 401, "Unauthorized", &[])`
/// refuses, `done(true, 0, "", &[])` accepts. Dropping it uncalled refuses with 401.
pub type VerifyCallback = Box<dyn FnOnce(bool, u16, &str, &[(&str, &str)]) + Send>;

impl VerifyClient {
    /// ws's one-argument form: return `true` to accept.
    ///
    /// ```
    /// let v = nodews::VerifyClient::sync(|_info| true);
    /// # let _ = v;
    /// ```
    pub fn sync(f: impl Fn(&VerifyInfo) -> bool + Send + Sync + 'static) -> VerifyClient {
        VerifyClient(Verifier::Sync(Arc::new(f)))
    }

    /// ws's two-argument form: decide later (after a database lookup, say) by calling
    /// `done(verified, code, message, headers)`, from any thread.
    ///
    /// ```
    /// let v = nodews::VerifyClient::with_callback(|info, done| {
    ///     let token = info.req.header("authorization").map(str::to_string);
    ///     std::thread::spawn(move || {
    ///         if token.as_deref() == Some("Bearer good") {
    ///             done(true, 0, "", &[]);
    ///         } else {
    ///             done(false, 401, "Unauthorized", &[("WWW-Authenticate", "Bearer")]);
    ///         }
    ///     });
    /// });
    /// # let _ = v;
    /// ```
    pub fn with_callback(
        f: impl Fn(&VerifyInfo, VerifyCallback) + Send + Sync + 'static,
    ) -> VerifyClient {
        VerifyClient(Verifier::Async(Arc::new(f)))
    }
}

impl fmt::Debug for VerifyClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VerifyClient(..)")
    }
}

/// `handleProtocols(protocols, request)`: picks one of the client's subprotocols, or
/// `None` to accept without one. Without it the first offered protocol is chosen.
///
/// ```
/// let pick = nodews::HandleProtocols::new(|offered, _req| offered.iter().find(|p| *p == "chat").cloned());
/// # let _ = pick;
/// ```
#[derive(Clone)]
pub struct HandleProtocols(pub(crate) Arc<ProtocolPicker>);

type ProtocolPicker = dyn Fn(&[String], &Request) -> Option<String> + Send + Sync;

impl HandleProtocols {
    /// Wraps the selection function.
    ///
    /// ```
    /// let first = nodews::HandleProtocols::new(|offered, _| offered.first().cloned());
    /// # let _ = first;
    /// ```
    pub fn new(
        f: impl Fn(&[String], &Request) -> Option<String> + Send + Sync + 'static,
    ) -> HandleProtocols {
        HandleProtocols(Arc::new(f))
    }
}

impl fmt::Debug for HandleProtocols {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HandleProtocols(..)")
    }
}

/// Options of [`WebSocketServer::new`](crate::WebSocketServer::new), ws's `new WebSocketServer(options)`.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// Port to listen on; `Some(0)` picks a free one (read it with `address()`).
    /// nodews then runs its own HTTP server, which answers plain requests with 426.
    pub port: Option<u16>,
    /// Share an HTTP server (`new WebSocketServer({ server })`): its upgrade requests
    /// whose path matches `path` come here; plain requests stay with its handler.
    pub server: Option<crate::http::HttpServer>,
    /// No server at all (`noServer: true`): feed upgrades in with
    /// [`handle_upgrade`](crate::WebSocketServer::handle_upgrade).
    pub no_server: bool,
    /// Host to bind. Default: all interfaces, IPv6 and IPv4 (`::`), as Node.
    pub host: Option<String>,
    /// Listen backlog. Default 511, as Node.
    pub backlog: u32,
    /// Accept only upgrade requests for this path (query ignored), as ws's `path`.
    pub path: Option<String>,
    /// Largest message accepted, in bytes; larger ones close the socket with 1009
    /// (checked against each frame's header, before its payload is read). `0` means
    /// no limit, as in ws. Default 100 MiB (ws's `maxPayload`).
    pub max_payload: usize,
    /// Keep the set of connected sockets for [`clients()`](crate::WebSocketServer::clients). Default `true`.
    pub client_tracking: bool,
    /// Decides whether a client may connect (ws's `verifyClient`).
    pub verify_client: Option<VerifyClient>,
    /// Picks the subprotocol (ws's `handleProtocols`).
    pub handle_protocols: Option<HandleProtocols>,
    /// Answer pings with pongs automatically (before the `ping` listeners run), as
    /// ws's `autoPong`. Default `true`. With `false`, answering is up to you: call
    /// `ws.pong(data)` from a `ping` listener (RFC 6455 §5.5.2 says an endpoint MUST
    /// answer, so turn it off only to answer yourself).
    pub auto_pong: bool,
    /// Backpressure: when more than this many bytes wait to be written to a peer (it
    /// reads slower than we send), nodews stops reading from that peer until they
    /// fall to a quarter of it, then emits `drain` on the socket. An echo server thus
    /// holds at most about this much per slow peer. `0`: never stop reading. Default
    /// 1 MiB ([`DEFAULT_HIGH_WATER_MARK`](crate::DEFAULT_HIGH_WATER_MARK)). Not in ws,
    /// which buffers without bound.
    pub high_water_mark: usize,
    /// Hard limit: when `buffered_amount()` (sent, not yet written) exceeds this, the
    /// socket fails: `error` (`WS_ERR_BUFFER_LIMIT`), a close frame with 1008, `close`.
    /// Protects the server from a peer that never reads while others broadcast to it.
    /// `0`: no limit. Default 256 MiB
    /// ([`DEFAULT_MAX_BUFFERED_AMOUNT`](crate::DEFAULT_MAX_BUFFERED_AMOUNT)). Not in ws.
    pub max_buffered_amount: usize,
    /// Built-in heartbeat (ws's "detect and close broken connections" recipe, which
    /// `examples/heartbeat.rs` also ports line for line): ping every socket at this
    /// interval, and drop one that has not answered the previous ping by the next
    /// (`close` 1006), so a peer that vanished without a FIN is found within two
    /// intervals. `None` (the default, as ws): no heartbeat.
    pub heartbeat_interval: Option<Duration>,
    /// Graceful shutdown: `wss.close()` also closes every open socket with 1001
    /// ("server shutting down"), after the messages already queued for it; peers
    /// that do not answer are dropped after `close_timeout`; `close` (and `run()`'s
    /// return) follow once the last socket has closed. Needs `client_tracking`.
    /// Default `false`: as in ws 8, `close()` leaves open sockets open.
    pub close_clients_on_close: bool,
    /// How long a closing socket waits for the peer's close frame before dropping the
    /// connection. Default 30 s (ws's `CLOSE_TIMEOUT`).
    pub close_timeout: Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            port: None,
            server: None,
            no_server: false,
            host: None,
            backlog: 511,
            path: None,
            max_payload: DEFAULT_MAX_PAYLOAD,
            client_tracking: true,
            verify_client: None,
            handle_protocols: None,
            auto_pong: true,
            high_water_mark: DEFAULT_HIGH_WATER_MARK,
            max_buffered_amount: DEFAULT_MAX_BUFFERED_AMOUNT,
            heartbeat_interval: None,
            close_clients_on_close: false,
            close_timeout: DEFAULT_CLOSE_TIMEOUT,
        }
    }
}
