//! The one error type of nodews, shaped like the errors Node `ws` emits.
//!
//! Node `ws` errors carry a stable string code (`err.code === 'WS_ERR_INVALID_OPCODE'`)
//! and, for protocol errors, the close status it sent (`err[kStatusCode]`). So does
//! [`Error`]: match on [`Error::code`] the way Node code matches on `err.code`.

use std::fmt;
use std::sync::Arc;

/// An error reported by nodews: as an `error` event, a callback argument, or an `Err`.
///
/// `Display` prints this level only, in ws's wording ("Invalid WebSocket frame: invalid
/// UTF-8 sequence"); the underlying cause, when there is one, is reached through
/// [`std::error::Error::source`].
///
/// [`code()`](Error::code) is always one of [`ErrorCode`]'s names, as Node code
/// compares them (`err.code === 'WS_ERR_INVALID_URL'`); [`kind()`](Error::kind) gives
/// the [`ErrorCode`] itself, for a `match`.
///
/// ```
/// use nodews::{Error, ErrorCode};
/// let error = Error::new(ErrorCode::WS_ERR_INVALID_URL, "Invalid URL: nope");
/// assert_eq!(error.code(), "WS_ERR_INVALID_URL");
/// assert_eq!(error.kind(), ErrorCode::WS_ERR_INVALID_URL);
/// assert_eq!(error.to_string(), "Invalid URL: nope");
/// ```
#[derive(Clone)]
pub struct Error {
    code: ErrorCode,
    message: String,
    close_code: Option<u16>,
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl Error {
    /// An error with a code and a message.
    ///
    /// ```
    /// let e = nodews::Error::new(nodews::ErrorCode::WS_ERR_INVALID_STATE, "WebSocket is not open");
    /// assert!(e.close_code().is_none());
    /// ```
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Error {
        Error {
            code,
            message: message.into(),
            close_code: None,
            source: None,
        }
    }

    pub(crate) fn with_code(mut self, code: ErrorCode) -> Error {
        self.code = code;
        self
    }

    pub(crate) fn with_close_code(mut self, close_code: u16) -> Error {
        self.close_code = Some(close_code);
        self
    }

    pub(crate) fn with_source(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Error {
        self.source = Some(Arc::new(source));
        self
    }

    /// The stable code, `WS_ERR_*` as in Node `ws`, or a system code such as `EADDRINUSE`.
    ///
    /// ```
    /// let e = nodews::Error::new(nodews::ErrorCode::EADDRINUSE, "listen EADDRINUSE: address already in use");
    /// assert_eq!(e.code(), "EADDRINUSE");
    /// ```
    pub fn code(&self) -> &'static str {
        self.code.as_str()
    }

    /// The code as an [`ErrorCode`], for a `match`.
    ///
    /// ```
    /// use nodews::{Error, ErrorCode};
    /// let e = Error::new(ErrorCode::ECONNREFUSED, "connect ECONNREFUSED 127.0.0.1:9");
    /// assert!(matches!(e.kind(), ErrorCode::ECONNREFUSED | ErrorCode::ETIMEDOUT));
    /// ```
    pub fn kind(&self) -> ErrorCode {
        self.code
    }

    /// The message, as `err.message` in Node.
    ///
    /// ```
    /// let e = nodews::Error::new(nodews::ErrorCode::WS_ERR_INVALID_URL, "Invalid URL: x");
    /// assert_eq!(e.message(), "Invalid URL: x");
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The close status this error made nodews send to the peer, if any (ws's `kStatusCode`).
    ///
    /// ```
    /// let e = nodews::Error::new(nodews::ErrorCode::WS_ERR_INVALID_URL, "Invalid URL: x");
    /// assert_eq!(e.close_code(), None);
    /// ```
    pub fn close_code(&self) -> Option<u16> {
        self.close_code
    }

    /// Builds an error from an I/O error, with Node's system code (`ECONNREFUSED`, ...).
    pub(crate) fn io(context: &str, error: std::io::Error) -> Error {
        use std::io::ErrorKind::*;
        // tokio's resolver reports a failed DNS lookup as an uncategorized error; Node
        // calls that ENOTFOUND (and only that: a missing path is ENOENT).
        let dns = error
            .to_string()
            .starts_with("failed to lookup address information");
        let code = match error.kind() {
            _ if dns => ErrorCode::ENOTFOUND,
            ConnectionRefused => ErrorCode::ECONNREFUSED,
            ConnectionReset => ErrorCode::ECONNRESET,
            AddrInUse => ErrorCode::EADDRINUSE,
            AddrNotAvailable => ErrorCode::EADDRNOTAVAIL,
            PermissionDenied => ErrorCode::EACCES,
            TimedOut => ErrorCode::ETIMEDOUT,
            BrokenPipe => ErrorCode::EPIPE,
            NotFound => ErrorCode::ENOENT,
            _ => ErrorCode::EIO,
        };
        Error::new(code, format!("{context} {code}: {error}")).with_source(error)
    }
}

/// Every code an [`Error`] can carry: ws's `WS_ERR_*` codes, Node's system and TLS
/// codes where Node uses them, and a few of nodews's own (marked). The names are the
/// strings Node code compares `err.code` with; [`Error::code`] returns them.
///
/// ```
/// use nodews::ErrorCode;
/// assert_eq!(ErrorCode::WS_ERR_INVALID_UTF8.as_str(), "WS_ERR_INVALID_UTF8");
/// ```
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// The client URL cannot be used.
    WS_ERR_INVALID_URL,
    /// `close_with` got a code ws refuses, or the peer's close frame carried one (close status 1002).
    WS_ERR_INVALID_CLOSE_CODE,
    /// A reason over 123 bytes, a ping payload over 125 bytes, ....
    WS_ERR_INVALID_ARGUMENT,
    /// `send`, `ping`, `pong` while the socket is not open, or closed while connecting.
    WS_ERR_INVALID_STATE,
    /// A message over `max_payload` (close status 1009).
    WS_ERR_UNSUPPORTED_MESSAGE_LENGTH,
    /// A frame longer than 2^53 - 1 bytes (1009).
    WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH,
    /// A text message that is not UTF-8 (1007).
    WS_ERR_INVALID_UTF8,
    /// A frame with an unknown opcode, or a continuation out of place (1002).
    WS_ERR_INVALID_OPCODE,
    /// A fragmented control frame (1002).
    WS_ERR_EXPECTED_FIN,
    /// An unmasked frame from a client (1002).
    WS_ERR_EXPECTED_MASK,
    /// A masked frame from a server (1002).
    WS_ERR_UNEXPECTED_MASK,
    /// RSV1 set without an extension that uses it (1002).
    WS_ERR_UNEXPECTED_RSV_1,
    /// RSV2 or RSV3 set (1002).
    WS_ERR_UNEXPECTED_RSV_2_3,
    /// A control frame over 125 bytes (1002).
    WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH,
    /// The opening handshake failed: the server's answer broke RFC 6455.
    WS_ERR_HANDSHAKE,
    /// The server answered the upgrade with another status and no `unexpected-response` listener took it.
    WS_ERR_UNEXPECTED_RESPONSE,
    /// More redirects than `max_redirects`.
    WS_ERR_MAX_REDIRECTS,
    /// A TLS failure other than a certificate problem: a bad PEM, a failed handshake, a peer that is not TLS.
    WS_ERR_TLS,
    /// The server's certificate is self-signed and not trusted (pass it as `ca`).
    DEPTH_ZERO_SELF_SIGNED_CERT,
    /// The certificate's issuer is not a trusted root.
    UNABLE_TO_VERIFY_LEAF_SIGNATURE,
    /// The certificate has expired.
    CERT_HAS_EXPIRED,
    /// The certificate is not valid yet.
    CERT_NOT_YET_VALID,
    /// The certificate was revoked.
    CERT_REVOKED,
    /// The certificate's signature is wrong.
    CERT_SIGNATURE_FAILURE,
    /// The certificate is not for the host of the URL.
    ERR_TLS_CERT_ALTNAME_INVALID,
    /// More than `max_buffered_amount` queued for a peer that does not read it (1008; nodews only).
    WS_ERR_BUFFER_LIMIT,
    /// A listener panicked; the panic message is in the text (nodews only).
    WS_ERR_LISTENER_PANIC,
    /// `try_on` with an event name the emitter does not have (nodews only).
    WS_ERR_UNKNOWN_EVENT,
    /// `try_on` with a listener whose arguments do not fit the event (nodews only).
    WS_ERR_LISTENER_SHAPE,
    /// Nothing listens at the address.
    ECONNREFUSED,
    /// The peer reset the connection.
    ECONNRESET,
    /// A connect or opening handshake took too long.
    ETIMEDOUT,
    /// The host name did not resolve (DNS).
    ENOTFOUND,
    /// `listen` on a port already in use.
    EADDRINUSE,
    /// `listen` on an address this machine does not have.
    EADDRNOTAVAIL,
    /// `listen` on a port this process may not use.
    EACCES,
    /// Writing to a connection the peer closed.
    EPIPE,
    /// A path that does not exist.
    ENOENT,
    /// Any other I/O failure.
    EIO,
}

impl ErrorCode {
    /// The code as Node writes it (`"WS_ERR_INVALID_URL"`, `"ECONNREFUSED"`).
    ///
    /// ```
    /// assert_eq!(nodews::ErrorCode::EADDRINUSE.as_str(), "EADDRINUSE");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::WS_ERR_INVALID_URL => "WS_ERR_INVALID_URL",
            ErrorCode::WS_ERR_INVALID_CLOSE_CODE => "WS_ERR_INVALID_CLOSE_CODE",
            ErrorCode::WS_ERR_INVALID_ARGUMENT => "WS_ERR_INVALID_ARGUMENT",
            ErrorCode::WS_ERR_INVALID_STATE => "WS_ERR_INVALID_STATE",
            ErrorCode::WS_ERR_UNSUPPORTED_MESSAGE_LENGTH => "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH",
            ErrorCode::WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH => {
                "WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH"
            }
            ErrorCode::WS_ERR_INVALID_UTF8 => "WS_ERR_INVALID_UTF8",
            ErrorCode::WS_ERR_INVALID_OPCODE => "WS_ERR_INVALID_OPCODE",
            ErrorCode::WS_ERR_EXPECTED_FIN => "WS_ERR_EXPECTED_FIN",
            ErrorCode::WS_ERR_EXPECTED_MASK => "WS_ERR_EXPECTED_MASK",
            ErrorCode::WS_ERR_UNEXPECTED_MASK => "WS_ERR_UNEXPECTED_MASK",
            ErrorCode::WS_ERR_UNEXPECTED_RSV_1 => "WS_ERR_UNEXPECTED_RSV_1",
            ErrorCode::WS_ERR_UNEXPECTED_RSV_2_3 => "WS_ERR_UNEXPECTED_RSV_2_3",
            ErrorCode::WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH => {
                "WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH"
            }
            ErrorCode::WS_ERR_HANDSHAKE => "WS_ERR_HANDSHAKE",
            ErrorCode::WS_ERR_UNEXPECTED_RESPONSE => "WS_ERR_UNEXPECTED_RESPONSE",
            ErrorCode::WS_ERR_MAX_REDIRECTS => "WS_ERR_MAX_REDIRECTS",
            ErrorCode::WS_ERR_TLS => "WS_ERR_TLS",
            ErrorCode::DEPTH_ZERO_SELF_SIGNED_CERT => "DEPTH_ZERO_SELF_SIGNED_CERT",
            ErrorCode::UNABLE_TO_VERIFY_LEAF_SIGNATURE => "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
            ErrorCode::CERT_HAS_EXPIRED => "CERT_HAS_EXPIRED",
            ErrorCode::CERT_NOT_YET_VALID => "CERT_NOT_YET_VALID",
            ErrorCode::CERT_REVOKED => "CERT_REVOKED",
            ErrorCode::CERT_SIGNATURE_FAILURE => "CERT_SIGNATURE_FAILURE",
            ErrorCode::ERR_TLS_CERT_ALTNAME_INVALID => "ERR_TLS_CERT_ALTNAME_INVALID",
            ErrorCode::WS_ERR_BUFFER_LIMIT => "WS_ERR_BUFFER_LIMIT",
            ErrorCode::WS_ERR_LISTENER_PANIC => "WS_ERR_LISTENER_PANIC",
            ErrorCode::WS_ERR_UNKNOWN_EVENT => "WS_ERR_UNKNOWN_EVENT",
            ErrorCode::WS_ERR_LISTENER_SHAPE => "WS_ERR_LISTENER_SHAPE",
            ErrorCode::ECONNREFUSED => "ECONNREFUSED",
            ErrorCode::ECONNRESET => "ECONNRESET",
            ErrorCode::ETIMEDOUT => "ETIMEDOUT",
            ErrorCode::ENOTFOUND => "ENOTFOUND",
            ErrorCode::EADDRINUSE => "EADDRINUSE",
            ErrorCode::EADDRNOTAVAIL => "EADDRNOTAVAIL",
            ErrorCode::EACCES => "EACCES",
            ErrorCode::EPIPE => "EPIPE",
            ErrorCode::ENOENT => "ENOENT",
            ErrorCode::EIO => "EIO",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("code", &self.code.as_str())
            .field("message", &self.message);
        if let Some(c) = self.close_code {
            d.field("close_code", &c);
        }
        if let Some(s) = &self.source {
            d.field("source", s);
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|s| s.as_ref() as &(dyn std::error::Error + 'static))
    }
}
