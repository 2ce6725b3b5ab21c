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
/// | [`code()`](Error::code) | when |
/// |---|---|
/// | `WS_ERR_INVALID_URL` | the client URL cannot be used |
/// | `WS_ERR_INVALID_CLOSE_CODE` | `close_with` got a code ws refuses, or the peer's close frame carried one (close status 1002) |
/// | `WS_ERR_INVALID_ARGUMENT` | a reason over 123 bytes, a ping payload over 125 bytes, ... |
/// | `WS_ERR_INVALID_STATE` | `send`, `ping`, `pong` while the socket is not open |
/// | `WS_ERR_UNSUPPORTED_MESSAGE_LENGTH` | a message over `max_payload` (close status 1009) |
/// | `WS_ERR_INVALID_UTF8` | a text message that is not UTF-8 (1007) |
/// | `WS_ERR_INVALID_OPCODE`, `WS_ERR_EXPECTED_FIN`, `WS_ERR_EXPECTED_MASK`, `WS_ERR_UNEXPECTED_MASK`, `WS_ERR_UNEXPECTED_RSV_1`, `WS_ERR_UNEXPECTED_RSV_2_3`, `WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH` | a frame that breaks RFC 6455, as ws names it (close status 1002) |
/// | `WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH` | a frame longer than 2^53 - 1 bytes (1009) |
/// | `WS_ERR_HANDSHAKE` | the opening handshake failed |
/// | `WS_ERR_LISTENER_PANIC` | a listener panicked; the panic message is in the text |
/// | `WS_ERR_UNKNOWN_EVENT` | `try_on` with an event name the emitter does not have |
/// | `WS_ERR_LISTENER_SHAPE` | `try_on` with a listener whose arguments do not fit the event |
/// | `EADDRINUSE`, `ECONNREFUSED`, `ETIMEDOUT`, ... | the system error of that name, as in Node |
///
/// ```
/// let error = nodews::Error::new("WS_ERR_INVALID_URL", "Invalid URL: nope");
/// assert_eq!(error.code(), "WS_ERR_INVALID_URL");
/// assert_eq!(error.to_string(), "Invalid URL: nope");
/// ```
#[derive(Clone)]
pub struct Error {
    code: &'static str,
    message: String,
    close_code: Option<u16>,
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl Error {
    /// An error with a code and a message.
    ///
    /// ```
    /// let e = nodews::Error::new("WS_ERR_INVALID_STATE", "WebSocket is not open");
    /// assert!(e.close_code().is_none());
    /// ```
    pub fn new(code: &'static str, message: impl Into<String>) -> Error {
        Error {
            code,
            message: message.into(),
            close_code: None,
            source: None,
        }
    }

    pub(crate) fn with_code(mut self, code: &'static str) -> Error {
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
    /// let e = nodews::Error::new("EADDRINUSE", "listen EADDRINUSE: address already in use");
    /// assert_eq!(e.code(), "EADDRINUSE");
    /// ```
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The message, as `err.message` in Node.
    ///
    /// ```
    /// let e = nodews::Error::new("WS_ERR_INVALID_URL", "Invalid URL: x");
    /// assert_eq!(e.message(), "Invalid URL: x");
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The close status this error made nodews send to the peer, if any (ws's `kStatusCode`).
    ///
    /// ```
    /// let e = nodews::Error::new("WS_ERR_INVALID_URL", "Invalid URL: x");
    /// assert_eq!(e.close_code(), None);
    /// ```
    pub fn close_code(&self) -> Option<u16> {
        self.close_code
    }

    /// Builds an error from an I/O error, with Node's system code (`ECONNREFUSED`, ...).
    pub(crate) fn io(context: &str, error: std::io::Error) -> Error {
        use std::io::ErrorKind::*;
        let code = match error.kind() {
            ConnectionRefused => "ECONNREFUSED",
            ConnectionReset => "ECONNRESET",
            AddrInUse => "EADDRINUSE",
            AddrNotAvailable => "EADDRNOTAVAIL",
            PermissionDenied => "EACCES",
            TimedOut => "ETIMEDOUT",
            BrokenPipe => "EPIPE",
            NotFound => "ENOTFOUND",
            _ => "EIO",
        };
        Error::new(code, format!("{context} {code}: {error}")).with_source(error)
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
        d.field("code", &self.code).field("message", &self.message);
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
