//! `nodews::https`: Node's `https.createServer({ cert, key }, handler)`. It returns
//! the same [`HttpServer`] as [`http::create_server`](crate::http::create_server):
//! `listen`, its events and `ServerOptions { server }` work unchanged, and the
//! WebSocket servers attached to it serve `wss://`. TLS is rustls's.
//!
//! ```no_run
//! use nodews::https::{self, TlsOptions};
//! use nodews::{ServerOptions, WebSocket, WebSocketServer};
//!
//! // const server = createServer({ cert: readFileSync('cert.pem'), key: readFileSync('key.pem') });
//! let server = https::new_server(TlsOptions {
//!     cert: std::fs::read("cert.pem").unwrap(),
//!     key: std::fs::read("key.pem").unwrap(),
//! });
//! // const wss = new WebSocketServer({ server });
//! let wss = WebSocketServer::new(ServerOptions { server: Some(server.clone()), ..Default::default() });
//! wss.on("connection", |ws: WebSocket| ws.send("something"));
//! server.listen(8080, || {});
//! nodews::run();
//! ```
//!
//! A certificate or key that cannot be used is reported when the server listens, as
//! its `error` event (code `WS_ERR_TLS`), after which it closes, like a port that
//! cannot be bound; call [`TlsOptions::validate`] to find out before. A client that
//! fails its TLS handshake (it is not TLS, does not trust the certificate, or takes
//! more than Node's 120 s) only loses its own connection; that is logged at `debug`.
//! Upgrade requests on such a server have [`Request::is_secure`] and
//! [`VerifyInfo::secure`](crate::VerifyInfo::secure) set.
//!
//! # Clients
//!
//! [`WebSocket::new`](crate::WebSocket::new) takes `wss://` (and `https://`) URLs.
//! The server's certificate is checked against the public roots (`webpki-roots`),
//! or only against [`ClientOptions::ca`](crate::ClientOptions::ca) when given, for the
//! host of the URL. A refused certificate is the socket's `error` event, then `close`
//! with 1006, with Node's codes:
//!
//! | [`Error::code`](crate::Error::code) | when |
//! |---|---|
//! | `DEPTH_ZERO_SELF_SIGNED_CERT` | the certificate is self-signed and not trusted (pass it as `ca`) |
//! | `UNABLE_TO_VERIFY_LEAF_SIGNATURE` | its issuer is not trusted |
//! | `ERR_TLS_CERT_ALTNAME_INVALID` | it is not for the URL's host |
//! | `CERT_HAS_EXPIRED`, `CERT_NOT_YET_VALID`, `CERT_REVOKED`, `CERT_SIGNATURE_FAILURE` | as named |
//! | `WS_ERR_TLS` | any other TLS failure (e.g. the server does not speak TLS), or a bad `ca` |
//!
//! ```no_run
//! let ws = nodews::WebSocket::with_options("wss://localhost:8443", nodews::ClientOptions {
//!     ca: Some(std::fs::read("cert.pem").unwrap()),
//!     ..Default::default()
//! });
//! ws.on("error", |e: nodews::Error| eprintln!("{}: {e}", e.code()));
//! nodews::run();
//! ```

use crate::Request;
use crate::http::{HttpServer, ServerResponse};

pub use crate::net::tls::TlsOptions;

/// `https.createServer({ cert, key }, (req, res) => ...)`: the handler becomes a
/// `request` listener. A bad `cert` or `key` is the server's `error` event on
/// `listen` (see the module docs).
///
/// ```no_run
/// use nodews::https::{self, TlsOptions};
/// let options = TlsOptions::from_pem(std::fs::read("cert.pem").unwrap(), std::fs::read("key.pem").unwrap());
/// let server = https::create_server(options, |_req, res| {
///     res.write_head(200, &[("Content-Type", "text/plain")]);
///     res.end("hello over TLS\n");
/// });
/// server.on("error", |e: nodews::Error| eprintln!("{e}"));
/// server.listen(8443, || println!("https on 8443"));
/// nodews::run();
/// ```
pub fn create_server(
    options: TlsOptions,
    handler: impl FnMut(Request, ServerResponse) + Send + 'static,
) -> HttpServer {
    let server = new_server(options);
    server.on("request", handler);
    server
}

/// `https.createServer({ cert, key })` without a handler, as the ws README's
/// "External HTTP/S server": plain requests get 404 until you add a `request`
/// listener.
///
/// ```no_run
/// use nodews::https::{self, TlsOptions};
/// let options = TlsOptions::from_pem(std::fs::read("cert.pem").unwrap(), std::fs::read("key.pem").unwrap());
/// let server = https::new_server(options);
/// server.listen(8443, || {});
/// ```
pub fn new_server(options: TlsOptions) -> HttpServer {
    HttpServer::build(false, Some(crate::net::tls::acceptor(&options)))
}
