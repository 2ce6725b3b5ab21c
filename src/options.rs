//! Options structs, with Node `ws`'s defaults at each field.
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

use crate::Request;

/// ws's `maxPayload` default: 100 MiB.
pub const DEFAULT_MAX_PAYLOAD: usize = 100 * 1024 * 1024;
/// ws's `CLOSE_TIMEOUT`: how long to wait for the peer's answer to a close frame.
pub const DEFAULT_CLOSE_TIMEOUT: Duration = Duration::from_secs(30);
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
            close_timeout: DEFAULT_CLOSE_TIMEOUT,
        }
    }
}

/// Options of [`WebSocket::with_options`](crate::WebSocket::with_options), ws's `new WebSocket(url, protocols, options)`.
///
/// ```
/// let options = nodews::ClientOptions { protocols: vec!["chat".into()], ..Default::default() };
/// assert_eq!(options.max_payload, 100 * 1024 * 1024);
/// ```
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// Subprotocols to offer (`Sec-WebSocket-Protocol`).
    pub protocols: Vec<String>,
    /// Extra request headers.
    pub headers: Vec<(String, String)>,
    /// The `Origin` header.
    pub origin: Option<String>,
    /// Largest message accepted; `0` means no limit. Default 100 MiB. See
    /// [`ServerOptions::max_payload`].
    pub max_payload: usize,
    /// Time allowed for TCP connect plus the opening handshake. Default: none, as ws.
    pub handshake_timeout: Option<Duration>,
    /// See [`ServerOptions::close_timeout`].
    pub close_timeout: Duration,
    /// See [`ServerOptions::auto_pong`].
    pub auto_pong: bool,
    /// `wss://` only: the certificates to trust, PEM (one or more), instead of the
    /// public roots (Node's `ca`, which also replaces the default roots). Use it for
    /// a self-signed server certificate or a private CA.
    ///
    /// ```no_run
    /// let ws = nodews::WebSocket::with_options("wss://localhost:8443", nodews::ClientOptions {
    ///     ca: Some(std::fs::read("cert.pem").unwrap()),
    ///     ..Default::default()
    /// });
    /// # let _ = ws;
    /// ```
    pub ca: Option<Vec<u8>>,
    /// **DANGER**: `wss://` without checking the server's certificate at all (Node's
    /// `rejectUnauthorized: false`). Anyone between you and the server can then read
    /// and change the traffic; the connection is encrypted, not authenticated. For
    /// tests and development only; prefer [`ca`](Self::ca). Default `false`.
    ///
    /// ```no_run
    /// let ws = nodews::WebSocket::with_options("wss://localhost:8443", nodews::ClientOptions {
    ///     danger_accept_invalid_certs: true, // never in production
    ///     ..Default::default()
    /// });
    /// # let _ = ws;
    /// ```
    pub danger_accept_invalid_certs: bool,
    /// Follow 3xx answers to the upgrade request (ws's `followRedirects`), emitting
    /// `redirect` for each. Default `false`: a 3xx is an `unexpected-response`.
    pub follow_redirects: bool,
    /// How many redirects to follow before failing with "Maximum redirects exceeded".
    /// Default 10, as ws.
    pub max_redirects: usize,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            protocols: Vec::new(),
            headers: Vec::new(),
            origin: None,
            max_payload: DEFAULT_MAX_PAYLOAD,
            handshake_timeout: None,
            close_timeout: DEFAULT_CLOSE_TIMEOUT,
            auto_pong: true,
            ca: None,
            danger_accept_invalid_certs: false,
            follow_redirects: false,
            max_redirects: 10,
        }
    }
}

/// Options of [`WebSocket::send_with`](crate::WebSocket::send_with), ws's `send(data, options, cb)`.
///
/// ```
/// let last_fragment = nodews::SendOptions { fin: true, ..Default::default() };
/// assert_eq!(last_fragment.binary, None);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct SendOptions {
    /// Force the frame kind: `Some(true)` binary, `Some(false)` text (the data must
    /// be UTF-8). Default: the kind of the data (`&str`/`String` text, bytes binary).
    pub binary: Option<bool>,
    /// `false` sends a fragment; the message ends with a send that has `fin: true`.
    pub fin: bool,
    /// Accepted for compatibility: clients always mask, servers never (RFC 6455).
    pub mask: Option<bool>,
    /// Accepted for compatibility: permessage-deflate is not negotiated yet.
    pub compress: bool,
}

impl Default for SendOptions {
    fn default() -> Self {
        SendOptions {
            binary: None,
            fin: true,
            mask: None,
            compress: false,
        }
    }
}
