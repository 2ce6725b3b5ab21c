//! [`Message`]: what a `message` listener receives and what `send` takes.
//!
//! Node `ws` hands a `message` listener a `Buffer` and an `isBinary` flag, and ports
//! write `${message}` or `message.toString()` to read it as text. A [`Message`]
//! ports the same way: it implements `Display` (text as is, binary as lossy UTF-8,
//! like `Buffer#toString`), and cloning it is a reference-count increment, never a
//! copy of the payload.

use std::fmt;

pub use bytes::Bytes;
use tungstenite::Utf8Bytes;

/// A WebSocket data message: text or binary, cheap to clone.
///
/// ```
/// use nodews::Message;
/// let text = Message::from("héllo");
/// assert_eq!(format!("{text}"), "héllo");
/// assert_eq!(text.as_str(), Some("héllo"));
/// assert!(!text.is_binary());
///
/// let binary = Message::from(vec![1u8, 2, 3]);
/// assert!(binary.is_binary());
/// assert_eq!(binary.as_bytes(), &[1, 2, 3]);
/// assert_eq!(binary.len(), 3);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Message {
    payload: Payload,
}

#[derive(Clone, PartialEq, Eq)]
enum Payload {
    /// Text frames keep the receiver's already-validated UTF-8 buffer, so an echo
    /// sends the received bytes back without validating or copying them again.
    Text(Utf8Bytes),
    Binary(Bytes),
}

impl Message {
    /// A text message.
    ///
    /// ```
    /// assert!(nodews::Message::text("hi").is_text());
    /// ```
    pub fn text(text: impl Into<String>) -> Message {
        Message {
            payload: Payload::Text(Utf8Bytes::from(text.into())),
        }
    }

    /// A binary message.
    ///
    /// ```
    /// assert!(nodews::Message::binary(vec![0u8; 4]).is_binary());
    /// ```
    pub fn binary(data: impl Into<Bytes>) -> Message {
        Message {
            payload: Payload::Binary(data.into()),
        }
    }

    /// `true` for a binary message (ws's `isBinary`).
    ///
    /// ```
    /// assert!(!nodews::Message::from("x").is_binary());
    /// ```
    #[inline]
    pub fn is_binary(&self) -> bool {
        matches!(self.payload, Payload::Binary(_))
    }

    /// `true` for a text message.
    ///
    /// ```
    /// assert!(nodews::Message::from("x").is_text());
    /// ```
    pub fn is_text(&self) -> bool {
        !self.is_binary()
    }

    /// The text, if this is a text message or binary data that is valid UTF-8.
    ///
    /// ```
    /// assert_eq!(nodews::Message::from(&b"ok"[..]).as_str(), Some("ok"));
    /// assert_eq!(nodews::Message::from(vec![0xffu8]).as_str(), None);
    /// ```
    pub fn as_str(&self) -> Option<&str> {
        match &self.payload {
            Payload::Text(t) => Some(t.as_str()),
            Payload::Binary(b) => std::str::from_utf8(b).ok(),
        }
    }

    /// The payload bytes (for text, its UTF-8 encoding).
    ///
    /// ```
    /// assert_eq!(nodews::Message::from("é").as_bytes(), "é".as_bytes());
    /// ```
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        match &self.payload {
            Payload::Text(t) => t.as_ref(),
            Payload::Binary(b) => b,
        }
    }

    /// The payload as [`Bytes`], without copying.
    ///
    /// ```
    /// let bytes = nodews::Message::from("abc").into_bytes();
    /// assert_eq!(&bytes[..], b"abc");
    /// ```
    pub fn into_bytes(self) -> Bytes {
        match self.payload {
            Payload::Text(t) => t.into(),
            Payload::Binary(b) => b,
        }
    }

    /// Payload length in bytes.
    ///
    /// ```
    /// assert_eq!(nodews::Message::from("héllo").len(), 6);
    /// ```
    #[inline]
    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }

    /// `true` when the payload is empty.
    ///
    /// ```
    /// assert!(nodews::Message::from("").is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The same payload as a binary message (no copy).
    pub(crate) fn into_binary(self) -> Message {
        Message::binary(self.into_bytes())
    }

    /// The same payload as a text message; fails if it is not UTF-8.
    pub(crate) fn into_text(self) -> Result<Message, crate::Error> {
        match self.payload {
            Payload::Text(_) => Ok(self),
            Payload::Binary(b) => Utf8Bytes::try_from(b)
                .map(|t| Message {
                    payload: Payload::Text(t),
                })
                .map_err(|_| {
                    crate::Error::new(
                        crate::ErrorCode::WS_ERR_INVALID_UTF8,
                        "cannot send binary data as text: it is not valid UTF-8",
                    )
                }),
        }
    }

    /// A text message from text the receiver has already checked.
    pub(crate) fn from_checked_text(text: Utf8Bytes) -> Message {
        Message {
            payload: Payload::Text(text),
        }
    }
}

impl fmt::Display for Message {
    /// Text as is; binary decoded as UTF-8 with replacement characters, like `Buffer#toString()`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.payload {
            Payload::Text(t) => f.write_str(t.as_str()),
            Payload::Binary(b) => f.write_str(&String::from_utf8_lossy(b)),
        }
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.payload {
            Payload::Text(t) => f.debug_tuple("Text").field(&t.as_str()).finish(),
            Payload::Binary(b) => f.debug_tuple("Binary").field(&b.len()).finish(),
        }
    }
}

impl PartialEq<str> for Message {
    fn eq(&self, other: &str) -> bool {
        self.is_text() && self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<&str> for Message {
    fn eq(&self, other: &&str) -> bool {
        self == *other
    }
}

impl From<&str> for Message {
    fn from(s: &str) -> Message {
        Message {
            payload: Payload::Text(Utf8Bytes::from(s)),
        }
    }
}
impl From<String> for Message {
    fn from(s: String) -> Message {
        Message {
            payload: Payload::Text(Utf8Bytes::from(s)),
        }
    }
}
impl From<&String> for Message {
    fn from(s: &String) -> Message {
        Message::from(s.as_str())
    }
}
impl From<Vec<u8>> for Message {
    fn from(b: Vec<u8>) -> Message {
        Message::binary(b)
    }
}
impl From<&[u8]> for Message {
    fn from(b: &[u8]) -> Message {
        Message::binary(Bytes::copy_from_slice(b))
    }
}
impl<const N: usize> From<&[u8; N]> for Message {
    fn from(b: &[u8; N]) -> Message {
        Message::binary(Bytes::copy_from_slice(b))
    }
}
impl From<Bytes> for Message {
    fn from(b: Bytes) -> Message {
        Message::binary(b)
    }
}
impl From<&Message> for Message {
    fn from(m: &Message) -> Message {
        m.clone()
    }
}

// Listener arguments (see `events::Arg`).
crate::events::impl_arg!(Message);
