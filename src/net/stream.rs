//! The one stream type every WebSocket runs on: a client's TCP or TLS connection,
//! or on the server the socket hyper hands back after the upgrade, unwrapped from
//! hyper's boxed `Upgraded` when it is one of ours (TCP, or TLS over TCP), which
//! saves an indirection per read and write and an allocation per connection.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

pub(crate) enum Stream {
    /// `ws://`, either side.
    Tcp(TcpStream),
    /// A `wss://` client.
    TlsClient(Box<tokio_rustls::client::TlsStream<TcpStream>>),
    /// A socket of an `https` server.
    TlsServer(Box<tokio_rustls::server::TlsStream<TcpStream>>),
    /// `ws+unix:`, either side: a Unix domain socket.
    Unix(tokio::net::UnixStream),
    /// Anything else hyper may give (kept working, just not unwrapped).
    Upgraded(TokioIo<Upgraded>),
}

impl Stream {
    /// The stream, and the bytes the client sent right after its request (which
    /// hyper read along with it, and which come before anything read from here).
    ///
    /// Those bytes are copied out: hyper's `read_buf`, even when empty, is a view of
    /// its 8 KiB request buffer and would keep all of it alive.
    pub(crate) fn from_upgraded(upgraded: Upgraded) -> (Stream, Vec<u8>) {
        let upgraded = match upgraded.downcast::<TokioIo<TcpStream>>() {
            Ok(parts) => {
                return (Stream::Tcp(parts.io.into_inner()), parts.read_buf.to_vec());
            }
            Err(upgraded) => upgraded,
        };
        let upgraded =
            match upgraded.downcast::<TokioIo<tokio_rustls::server::TlsStream<TcpStream>>>() {
                Ok(parts) => {
                    let tls = Box::new(parts.io.into_inner());
                    return (Stream::TlsServer(tls), parts.read_buf.to_vec());
                }
                Err(upgraded) => upgraded,
            };
        match upgraded.downcast::<TokioIo<tokio::net::UnixStream>>() {
            Ok(parts) => (Stream::Unix(parts.io.into_inner()), parts.read_buf.to_vec()),
            Err(upgraded) => (Stream::Upgraded(TokioIo::new(upgraded)), Vec::new()),
        }
    }
}

/// Forwards a call to whichever stream this is.
macro_rules! each {
    ($self:ident, $io:ident => $call:expr) => {
        match $self.get_mut() {
            Stream::Tcp($io) => $call,
            Stream::TlsClient($io) => $call,
            Stream::TlsServer($io) => $call,
            Stream::Unix($io) => $call,
            Stream::Upgraded($io) => $call,
        }
    };
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        each!(self, io => Pin::new(io).poll_read(cx, buf))
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        each!(self, io => Pin::new(io).poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        each!(self, io => Pin::new(io).poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Stream::Tcp(io) => io.is_write_vectored(),
            Stream::TlsClient(io) => io.is_write_vectored(),
            Stream::TlsServer(io) => io.is_write_vectored(),
            Stream::Unix(io) => io.is_write_vectored(),
            Stream::Upgraded(io) => io.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each!(self, io => Pin::new(io).poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each!(self, io => Pin::new(io).poll_shutdown(cx))
    }
}
