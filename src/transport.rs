//! How a socket's task talks to tungstenite: read a message, queue one, flush.
//!
//! Server sockets drive tungstenite directly ([`Direct`]): its blocking-style
//! `Read`/`Write` calls go to the socket's non-blocking `poll_read`/`poll_write`
//! under the task's own waker, `Pending` becoming `WouldBlock`. One task owns the
//! socket and polls both directions, so the network wakes that task directly; the
//! general adapter (async-tungstenite's `WebSocketStream`, still used by clients,
//! whose handshake it performs) keeps a waker proxy per direction in between, which
//! costs a second wake-up per message and two allocations per socket.

use std::io::{self, Read, Write};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use async_tungstenite::WebSocketStream;
use async_tungstenite::tungstenite::protocol::{Role, WebSocket as Tungstenite, WebSocketConfig};
use async_tungstenite::tungstenite::{Error as WsError, Message as WsMessage};
use futures_util::io::{AsyncRead, AsyncWrite};
use futures_util::{Sink, Stream};

/// What `Connection` needs of the WebSocket under it.
pub(crate) trait Transport: Send + Unpin + 'static {
    /// The next message; `None` once the connection has ended.
    fn poll_message(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<WsMessage, WsError>>>;
    /// Queues a message (written by `poll_flush`, or sooner if the buffer is full).
    fn start_send(&mut self, message: WsMessage) -> Result<(), WsError>;
    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), WsError>>;
}

impl<S> Transport for WebSocketStream<S>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    fn poll_message(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<WsMessage, WsError>>> {
        Pin::new(self).poll_next(cx)
    }

    fn start_send(&mut self, message: WsMessage) -> Result<(), WsError> {
        Pin::new(self).start_send(message)
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), WsError>> {
        Pin::new(self).poll_flush(cx)
    }
}

/// tungstenite on a non-blocking stream, polled by one task (see the module docs).
pub(crate) struct Direct<S> {
    ws: Tungstenite<TaskIo<S>>,
    /// The connection ended (or failed): report the end from now on.
    ended: bool,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Direct<S> {
    /// A server-side WebSocket after the handshake; `early` holds bytes already read.
    pub(crate) fn server(io: S, early: Vec<u8>, config: WebSocketConfig) -> Self {
        let io = TaskIo {
            inner: io,
            waker: Waker::noop().clone(),
        };
        let ws = if early.is_empty() {
            Tungstenite::from_raw_socket(io, Role::Server, Some(config))
        } else {
            Tungstenite::from_partially_read(io, early, Role::Server, Some(config))
        };
        Direct { ws, ended: false }
    }

    /// Makes the stream's wake-ups go to this task.
    fn set_waker(&mut self, cx: &Context<'_>) {
        let io = self.ws.get_mut();
        if !io.waker.will_wake(cx.waker()) {
            io.waker = cx.waker().clone();
        }
    }
}

impl<S> Transport for Direct<S>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    fn poll_message(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<WsMessage, WsError>>> {
        if self.ended {
            return Poll::Ready(None);
        }
        self.set_waker(cx);
        match self.ws.read() {
            Ok(message) => Poll::Ready(Some(Ok(message))),
            Err(WsError::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => Poll::Pending,
            Err(WsError::ConnectionClosed | WsError::AlreadyClosed) => {
                self.ended = true;
                Poll::Ready(None)
            }
            Err(e) => {
                self.ended = true;
                Poll::Ready(Some(Err(e)))
            }
        }
    }

    fn start_send(&mut self, message: WsMessage) -> Result<(), WsError> {
        match self.ws.write(message) {
            // Queued; the write that was tried on the way waits for `poll_flush`.
            Err(WsError::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => Ok(()),
            other => other,
        }
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), WsError>> {
        self.set_waker(cx);
        match self.ws.flush() {
            Ok(()) | Err(WsError::ConnectionClosed) => Poll::Ready(Ok(())),
            Err(WsError::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => Poll::Pending,
            Err(e) => Poll::Ready(Err(e)),
        }
    }
}

/// A non-blocking stream as `Read`/`Write` for tungstenite, under the waker of the
/// task that polls it.
struct TaskIo<S> {
    inner: S,
    waker: Waker,
}

impl<S> TaskIo<S> {
    /// Polls the stream under the task's waker; `Pending` is `WouldBlock` to tungstenite.
    fn poll<T>(
        &mut self,
        op: impl FnOnce(Pin<&mut S>, &mut Context<'_>) -> Poll<io::Result<T>>,
    ) -> io::Result<T>
    where
        S: Unpin,
    {
        let mut cx = Context::from_waker(&self.waker);
        match op(Pin::new(&mut self.inner), &mut cx) {
            Poll::Ready(result) => result,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
}

impl<S: AsyncRead + Unpin> Read for TaskIo<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.poll(|io, cx| io.poll_read(cx, buf))
    }
}

impl<S: AsyncWrite + Unpin> Write for TaskIo<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.poll(|io, cx| io.poll_write(cx, buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.poll(|io, cx| io.poll_flush(cx))
    }
}
