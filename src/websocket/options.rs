//! The client's and `send`'s options, with Node `ws`'s defaults at each field.
//!
//! Build them with struct-update syntax, the way ws takes an options object:
//!
//! ```
//! let options = nodews::ClientOptions { protocols: vec!["chat".into()], ..Default::default() };
//! assert_eq!(options.max_payload, nodews::DEFAULT_MAX_PAYLOAD);
//! ```

use std::time::Duration;

/// ws's `maxPayload` default: 100 MiB.
pub const DEFAULT_MAX_PAYLOAD: usize = 100 * 1024 * 1024;
/// ws's `CLOSE_TIMEOUT`: how long to wait for the peer's answer to a close frame.
pub const DEFAULT_CLOSE_TIMEOUT: Duration = Duration::from_secs(30);
/// Default `high_water_mark`: 1 MiB waiting to be written stops reading from a peer.
pub const DEFAULT_HIGH_WATER_MARK: usize = 1024 * 1024;
/// Default `max_buffered_amount`: 256 MiB queued for one peer fails its socket (1008).
pub const DEFAULT_MAX_BUFFERED_AMOUNT: usize = 256 * 1024 * 1024;

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
    /// [`ServerOptions::max_payload`](crate::ServerOptions::max_payload).
    pub max_payload: usize,
    /// Time allowed for TCP connect plus the opening handshake. Default: none, as ws.
    pub handshake_timeout: Option<Duration>,
    /// See [`ServerOptions::close_timeout`](crate::ServerOptions::close_timeout).
    pub close_timeout: Duration,
    /// See [`ServerOptions::auto_pong`](crate::ServerOptions::auto_pong).
    pub auto_pong: bool,
    /// See [`ServerOptions::high_water_mark`](crate::ServerOptions::high_water_mark). Default 1 MiB.
    pub high_water_mark: usize,
    /// See [`ServerOptions::max_buffered_amount`](crate::ServerOptions::max_buffered_amount). Default 256 MiB.
    pub max_buffered_amount: usize,
    /// See [`ServerOptions::heartbeat_interval`](crate::ServerOptions::heartbeat_interval): the client pings the server. Default
    /// `None`.
    pub heartbeat_interval: Option<Duration>,
    /// ws's `protocolVersion`: 13 (RFC 6455, the default) or 8 (the hybi-08 draft,
    /// which sends `Sec-WebSocket-Origin` instead of `Origin`); any other value fails
    /// the connection with `WS_ERR_INVALID_ARGUMENT`.
    pub protocol_version: u8,
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
    /// `redirect` for each. Default `false`: a 3xx is an `unexpected-response`. As ws
    /// (and curl), `Authorization` and `Cookie` from `headers` are not sent again once
    /// a redirect leads to another host or port, or from `wss://` to `ws://`, and
    /// `Host` not once it leads to another host.
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
            high_water_mark: DEFAULT_HIGH_WATER_MARK,
            max_buffered_amount: DEFAULT_MAX_BUFFERED_AMOUNT,
            heartbeat_interval: None,
            protocol_version: 13,
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
