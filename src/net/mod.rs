//! The network under a socket: TLS (rustls) for `wss://` clients and `https`
//! servers, and [`stream::Stream`], the one stream type every WebSocket runs on,
//! whichever way it was opened.

pub(crate) mod stream;
pub(crate) mod tls;
