//! [`FrameStream`]: a connection's byte stream with its read and write buffers, the
//! [receiver](super::receiver) on the way in and frame encoding on the way out.
//!
//! One task owns the stream and polls both directions under its own waker. Its
//! buffers exist only while in use: the read buffer while part of a frame is
//! waiting for the rest, the write buffer until it is flushed. Each worker thread
//! keeps one released buffer of each kind and hands it to the next connection that
//! reads or writes, so a busy thread allocates no buffer per message and an idle
//! connection holds none. Reads go into the buffer's spare room as it is
//! (`ReadBuf`'s uninitialised part), never zero-filled first.

use std::cell::RefCell;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};

use super::frame::{self, Control, Data, OpCode};
use super::receiver::{Incoming, Receiver};
use crate::Error;

/// The most one read asks for. Large reads mean few system calls for large
/// messages; the buffer is shared by the thread's connections, so this costs no
/// memory per connection.
pub(crate) const READ_SIZE: usize = 64 * 1024;
/// Released buffers larger than this are freed rather than kept for reuse, so one
/// huge message does not pin its memory to a worker thread.
const KEEP_AT_MOST: usize = 4 * READ_SIZE;

thread_local! {
    static SPARE_READ: RefCell<BytesMut> = RefCell::new(BytesMut::new());
    static SPARE_WRITE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Which end of the connection this is: clients mask what they send and refuse
/// masked frames, servers the opposite (RFC 6455 §5.1).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Role {
    Server,
    Client,
}

/// A frame to send (see [`FrameStream::send`]).
pub(crate) enum Outgoing<'a> {
    /// A data frame: `text` or binary for the first frame of a message, a
    /// continuation otherwise (`continuation: true`).
    Data {
        payload: &'a [u8],
        text: bool,
        continuation: bool,
        fin: bool,
    },
    Ping(&'a [u8]),
    Pong(&'a [u8]),
    Close(Option<(u16, &'a str)>),
}

/// Why reading stopped.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The peer broke the protocol: fail the connection with the error's close code.
    Protocol(Error),
    /// The network failed (reset, TLS error): the connection is gone.
    Io(io::Error),
}

pub(crate) struct FrameStream<S> {
    io: S,
    role: Role,
    receiver: Receiver,
    read_buf: BytesMut,
    write_buf: Vec<u8>,
    /// Bytes at the front of `write_buf` already written.
    written: usize,
    /// The peer closed its side of the TCP connection.
    eof: bool,
}

impl<S: AsyncRead + AsyncWrite + Unpin> FrameStream<S> {
    /// A stream after the opening handshake; `early` holds bytes already read past
    /// the handshake (frames sent right behind it).
    pub(crate) fn new(io: S, role: Role, max_payload: usize, early: BytesMut) -> Self {
        FrameStream {
            io,
            role,
            receiver: Receiver::new(role == Role::Server, max_payload),
            read_buf: early,
            write_buf: Vec::new(),
            written: 0,
            eof: false,
        }
    }

    /// The peer is in the middle of a message: part of it has arrived.
    pub(crate) fn mid_message(&self) -> bool {
        !self.read_buf.is_empty() || self.receiver.mid_message()
    }

    /// Which end of the connection this is.
    pub(crate) fn role(&self) -> Role {
        self.role
    }

    /// The next message or control frame; `None` once the peer has closed the TCP
    /// connection.
    pub(crate) fn poll_next(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Incoming, ReadError>>> {
        loop {
            match self.receiver.read(&mut self.read_buf) {
                Ok(Some(incoming)) => return Poll::Ready(Some(Ok(incoming))),
                Ok(None) => {}
                Err(error) => return Poll::Ready(Some(Err(ReadError::Protocol(error)))),
            }
            if self.eof {
                return Poll::Ready(None);
            }
            self.make_room();
            // `read_buf` reads into the spare capacity without zero-filling it; the
            // future is polled once and dropped, so nothing is kept across polls.
            let read = std::pin::pin!(self.io.read_buf(&mut self.read_buf)).poll(cx);
            match read {
                Poll::Ready(Ok(0)) => {
                    self.eof = true;
                    return Poll::Ready(None);
                }
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(e)) => {
                    self.eof = true;
                    return Poll::Ready(Some(Err(ReadError::Io(e))));
                }
                Poll::Pending => {
                    if self.read_buf.is_empty() {
                        release_read_buffer(std::mem::take(&mut self.read_buf));
                    }
                    return Poll::Pending;
                }
            }
        }
    }

    /// Room for the next read: the thread's spare buffer if this stream has none,
    /// and space for the rest of the frame being read (up to one read's worth).
    fn make_room(&mut self) {
        if self.read_buf.capacity() == 0 {
            self.read_buf = SPARE_READ.with(|spare| std::mem::take(&mut *spare.borrow_mut()));
        }
        let missing = self.receiver.bytes_missing(self.read_buf.len());
        let want = missing.clamp(4096, READ_SIZE);
        if self.read_buf.capacity() - self.read_buf.len() < want {
            self.read_buf.reserve(want);
        }
    }

    /// Encodes a frame into the write buffer; [`poll_flush`](Self::poll_flush)
    /// writes it out. Frames queued between two flushes leave in one write.
    pub(crate) fn send(&mut self, frame: Outgoing<'_>) {
        if self.write_buf.capacity() == 0 {
            self.write_buf = SPARE_WRITE.with(|spare| std::mem::take(&mut *spare.borrow_mut()));
        } else if self.written > 0 && self.written >= self.write_buf.len() - self.written {
            // A peer that reads, but slower than we write, never lets the buffer drain
            // completely: drop the part already written once it is at least as large
            // as the rest (each byte is moved at most once on average), so the buffer
            // holds at most about twice what is still owed.
            self.write_buf.drain(..self.written);
            self.written = 0;
        }
        let close_payload;
        let (opcode, fin, payload) = match frame {
            Outgoing::Data {
                payload,
                text,
                continuation,
                fin,
            } => {
                let data = match (continuation, text) {
                    (true, _) => Data::Continue,
                    (false, true) => Data::Text,
                    (false, false) => Data::Binary,
                };
                (OpCode::Data(data), fin, payload)
            }
            Outgoing::Ping(payload) => (OpCode::Control(Control::Ping), true, payload),
            Outgoing::Pong(payload) => (OpCode::Control(Control::Pong), true, payload),
            Outgoing::Close(close) => {
                close_payload = super::close::payload(close);
                (OpCode::Control(Control::Close), true, &close_payload[..])
            }
        };
        let mask = (self.role == Role::Client).then(frame::random_mask);
        frame::encode(&mut self.write_buf, opcode, fin, payload, mask);
    }

    /// Writes everything queued.
    /// Bytes encoded and not yet written to the socket.
    pub(crate) fn pending_write(&self) -> usize {
        self.write_buf.len() - self.written
    }

    pub(crate) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.write_buf.len() {
            let n = ready!(Pin::new(&mut self.io).poll_write(cx, &self.write_buf[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        ready!(Pin::new(&mut self.io).poll_flush(cx))?;
        if self.write_buf.capacity() > 0 {
            let mut buf = std::mem::take(&mut self.write_buf);
            buf.clear();
            self.written = 0;
            if buf.capacity() <= KEEP_AT_MOST {
                SPARE_WRITE.with(|spare| {
                    let mut spare = spare.borrow_mut();
                    if spare.capacity() < buf.capacity() {
                        *spare = buf;
                    }
                });
            }
        }
        Poll::Ready(Ok(()))
    }
}

/// Keeps an emptied read buffer as the thread's spare, if it is worth keeping.
fn release_read_buffer(mut buf: BytesMut) {
    buf.clear();
    if buf.capacity() > KEEP_AT_MOST {
        return;
    }
    SPARE_READ.with(|spare| {
        let mut spare = spare.borrow_mut();
        if spare.capacity() < buf.capacity() {
            *spare = buf;
        }
    });
}
