//! Fails fast on invalid UTF-8 inside a text frame that is still arriving.
//!
//! tungstenite validates a text frame only once its whole payload has been read, so
//! a peer that sends `valid… 0xF4 0x90 …` slowly keeps the connection open until the
//! frame ends (Autobahn 6.4.3/6.4.4 "NON-STRICT"); we fail fast instead.
//! This transport sits *under* tungstenite and follows the frames in the byte stream
//! it hands up: it unmasks text payload bytes into a stack buffer (tungstenite still
//! gets the original bytes) and validates them incrementally across reads and across
//! the continuation frames of a message. On the first bad byte, reading fails with
//! [`Utf8Invalid`] (an `io::ErrorKind::InvalidData` error) from then on; frames
//! before the bad one in the same read are handed up first, so their messages are
//! still delivered (as ws does: it parses frames in order).
//!
//! Anything that tungstenite rejects by itself (RSV bits, wrong masking, reserved
//! opcodes, bad fragmentation or control frames, oversized frames, data after a
//! close frame) switches the guard off, so that tungstenite reports its own error.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::io::{AsyncRead, AsyncWrite, IoSlice};

/// The error inside the `io::Error` a read fails with on invalid UTF-8.
#[derive(Debug)]
pub(crate) struct Utf8Invalid;

impl std::fmt::Display for Utf8Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("invalid UTF-8 sequence in a text message")
    }
}

impl std::error::Error for Utf8Invalid {}

/// Whether a read failed because [`Utf8Guard`] found invalid UTF-8.
pub(crate) fn is_utf8_invalid(err: &io::Error) -> bool {
    err.get_ref()
        .is_some_and(|e| e.downcast_ref::<Utf8Invalid>().is_some())
}

/// Masked non-ASCII text is unmasked through a stack buffer of this size (a
/// multiple of 8, so the mask key stays aligned from one chunk to the next).
const CHUNK: usize = 256;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Phase {
    /// Client side: the HTTP response, until its blank line.
    Http,
    /// Collecting a frame header (2 to 14 bytes).
    Header,
    /// Inside a payload: `remaining` bytes to go.
    Payload,
    /// Not checking any more (tungstenite will fail or has ended the stream).
    Off,
    /// Invalid UTF-8 was seen: every read fails.
    Failed,
}

/// See the module docs. Writes pass through unchanged.
pub(crate) struct Utf8Guard<S> {
    inner: S,
    phase: Phase,
    /// Frames we read carry a mask (we are the server).
    masked: bool,
    /// Frames or messages longer than this are tungstenite's to reject (1009).
    limit: u64,
    /// `Http`: how much of "\r\n\r\n" was just seen; the first bytes of the
    /// response ("HTTP/1.1 101"), and how many of them.
    http_match: u8,
    status: [u8; 12],
    status_len: usize,
    /// `Header`: the bytes so far.
    head: [u8; 14],
    head_len: u8,
    /// `Payload`: the current frame.
    remaining: u64,
    /// Ends a data message (FIN on a data frame).
    last: bool,
    /// Is text (or the continuation of text): validate it.
    check: bool,
    mask: [u8; 4],
    /// Payload bytes of the current frame seen so far, modulo 4 (the mask offset).
    mask_off: usize,
    /// Inside a data message: is it text? (`None` between messages.)
    message: Option<bool>,
    message_len: u64,
    /// The start of a UTF-8 sequence cut by a read or frame boundary.
    pending: [u8; 4],
    pending_len: usize,
}

impl<S> Utf8Guard<S> {
    /// For a server: the stream starts with frames, which the client masks.
    pub(crate) fn server(inner: S) -> Self {
        Self::new(inner, Phase::Header, true)
    }

    /// For a client, before the handshake: the HTTP response passes through
    /// untouched; frame tracking starts right after its headers, if it is a 101.
    pub(crate) fn client_after_http(inner: S) -> Self {
        Self::new(inner, Phase::Http, false)
    }

    /// Frames or messages longer than `max` are left to tungstenite's size check,
    /// so that they fail with 1009 as in ws, even if their first bytes are bad UTF-8.
    pub(crate) fn max_payload(mut self, max: usize) -> Self {
        self.limit = max as u64;
        self
    }

    /// Follows bytes that were read before this guard existed (and that tungstenite
    /// gets first): a bad sequence among them fails the next read.
    pub(crate) fn already_read(mut self, data: &[u8]) -> Self {
        if self.inspect(data).is_err() {
            self.phase = Phase::Failed;
        }
        self
    }

    fn new(inner: S, phase: Phase, masked: bool) -> Self {
        Utf8Guard {
            inner,
            phase,
            masked,
            limit: u64::MAX,
            http_match: 0,
            status: [0; 12],
            status_len: 0,
            head: [0; 14],
            head_len: 0,
            remaining: 0,
            last: false,
            check: false,
            mask: [0; 4],
            mask_off: 0,
            message: None,
            message_len: 0,
            pending: [0; 4],
            pending_len: 0,
        }
    }

    /// Follows `data`, the next bytes of the stream. On invalid UTF-8, `Err` with
    /// an offset in `data` before which all frames are complete and valid, and
    /// past which the bad frame is never complete (so tungstenite reads again).
    fn inspect(&mut self, mut data: &[u8]) -> Result<(), usize> {
        let total = data.len();
        while !data.is_empty() {
            let at = total - data.len();
            match self.phase {
                Phase::Http => data = self.http(data),
                Phase::Header => {
                    let have = usize::from(self.head_len);
                    if have == 0 && data.len() >= 2 && header_len(data) <= data.len() {
                        // Usually the whole header is in this read: parse it in place.
                        let (head, rest) = data.split_at(header_len(data));
                        data = rest;
                        self.start_frame(head).map_err(|_| at)?;
                        continue;
                    }
                    // Otherwise collect it across reads. The 2nd byte tells its size.
                    let take = (header_len(&self.head[..have]) - have).min(data.len());
                    self.head[have..have + take].copy_from_slice(&data[..take]);
                    self.head_len += take as u8;
                    data = &data[take..];
                    let have = have + take;
                    if have == header_len(&self.head[..have]) {
                        self.head_len = 0;
                        let head = self.head;
                        self.start_frame(&head[..have]).map_err(|_| at)?;
                    }
                }
                Phase::Payload => {
                    let n = self.remaining.min(data.len() as u64) as usize;
                    if self.check {
                        self.text(&data[..n]).map_err(|_| at)?;
                    }
                    self.remaining -= n as u64;
                    data = &data[n..];
                    if self.remaining == 0 {
                        self.end_frame().map_err(|_| at)?;
                    }
                }
                Phase::Off | Phase::Failed => return Ok(()),
            }
        }
        Ok(())
    }

    /// Skips the HTTP response; returns the bytes past its end.
    fn http<'a>(&mut self, data: &'a [u8]) -> &'a [u8] {
        for (i, &b) in data.iter().enumerate() {
            if let Some(slot) = self.status.get_mut(self.status_len) {
                *slot = b;
                self.status_len += 1;
            }
            self.http_match = match (self.http_match, b) {
                (0 | 2, b'\r') => self.http_match + 1,
                (1 | 3, b'\n') => self.http_match + 1,
                (_, b'\r') => 1,
                _ => 0,
            };
            if self.http_match == 4 {
                // Not a 101: tungstenite keeps what follows as the body.
                self.phase = if &self.status[9..] == b"101" {
                    Phase::Header
                } else {
                    Phase::Off
                };
                return &data[i + 1..];
            }
        }
        &[]
    }

    /// A header is complete: decide what to do with its payload.
    fn start_frame(&mut self, h: &[u8]) -> Result<(), Utf8Invalid> {
        let (fin, rsv, opcode, masked) =
            (h[0] & 0x80 != 0, h[0] & 0x70, h[0] & 0x0F, h[1] & 0x80 != 0);
        let (len, at) = match h[1] & 0x7F {
            126 => (u64::from(u16::from_be_bytes([h[2], h[3]])), 4),
            127 => (u64::from_be_bytes(h[2..10].try_into().unwrap()), 10),
            n => (u64::from(n), 2),
        };
        if masked {
            self.mask.copy_from_slice(&h[at..at + 4]);
        }
        let check = match (opcode, self.message) {
            _ if rsv != 0 || masked != self.masked || len > self.limit => None,
            // Ping and pong, possibly between the fragments of a message.
            (9 | 10, _) if fin && len <= 125 => Some(false),
            (0, Some(text)) => Some(text),
            (1 | 2, None) => {
                self.message_len = 0;
                Some(opcode == 1)
            }
            // Close (nothing may follow it), or tungstenite's protocol errors.
            _ => None,
        };
        let Some(check) = check else {
            self.phase = Phase::Off;
            return Ok(());
        };
        if opcode < 8 {
            self.message_len = self.message_len.saturating_add(len);
            if self.message_len > self.limit {
                self.phase = Phase::Off;
                return Ok(());
            }
            self.message = Some(check);
        }
        self.last = fin && opcode < 8;
        (self.check, self.remaining, self.mask_off) = (check, len, 0);
        self.phase = Phase::Payload;
        if len == 0 {
            self.end_frame()?;
        }
        Ok(())
    }

    fn end_frame(&mut self) -> Result<(), Utf8Invalid> {
        self.phase = Phase::Header;
        if self.last {
            // The last frame of a data message: a sequence cut here never ends.
            self.message = None;
            if self.check && self.pending_len != 0 {
                return Err(Utf8Invalid);
            }
        }
        Ok(())
    }

    /// Validates text payload bytes, unmasking them first through a stack buffer.
    fn text(&mut self, data: &[u8]) -> Result<(), Utf8Invalid> {
        // The mask from this payload offset on, 8 bytes at a time (0: not masked).
        let key = match self.masked {
            true => u64::from_ne_bytes(std::array::from_fn(|k| self.mask[(self.mask_off + k) & 3])),
            false => 0,
        };
        self.mask_off = (self.mask_off + data.len()) & 3;
        // Most text is ASCII: then one pass over the high bits is enough.
        if self.pending_len == 0 && is_ascii_masked(data, key) {
            return Ok(());
        }
        if !self.masked {
            return self.feed(data);
        }
        let mut buf = [0u8; CHUNK];
        for chunk in data.chunks(CHUNK) {
            let out = &mut buf[..chunk.len()];
            unmask(out, chunk, key);
            self.feed(out)?;
        }
        Ok(())
    }

    /// Incremental UTF-8 check of unmasked text; keeps a cut sequence for later.
    fn feed(&mut self, mut data: &[u8]) -> Result<(), Utf8Invalid> {
        if self.pending_len != 0 {
            // Complete the cut sequence first, with just the bytes it still needs.
            let have = self.pending_len;
            let width = match self.pending[0] {
                0xF0.. => 4,
                0xE0.. => 3,
                _ => 2,
            };
            let take = (width - have).min(data.len());
            self.pending[have..have + take].copy_from_slice(&data[..take]);
            self.pending_len += take;
            data = &data[take..];
            match std::str::from_utf8(&self.pending[..self.pending_len]) {
                Ok(_) => self.pending_len = 0,
                Err(e) if e.error_len().is_none() => return Ok(()), // still cut: data is empty
                Err(_) => return Err(Utf8Invalid),
            }
        }
        match std::str::from_utf8(data) {
            Ok(_) => Ok(()),
            // Cut at the end: at most 3 bytes, valid so far.
            Err(e) if e.error_len().is_none() => {
                let rest = &data[e.valid_up_to()..];
                self.pending[..rest.len()].copy_from_slice(rest);
                self.pending_len = rest.len();
                Ok(())
            }
            Err(_) => Err(Utf8Invalid),
        }
    }
}

/// The size of the header that starts with `head` (at least 2 bytes).
fn header_len(head: &[u8]) -> usize {
    let Some(&b1) = head.get(1) else { return 2 };
    let len = match b1 & 0x7F {
        126 => 2,
        127 => 8,
        _ => 0,
    };
    2 + len + if b1 & 0x80 != 0 { 4 } else { 0 }
}

/// Whether `data` masked with `key` is ASCII once unmasked (no high bit set).
fn is_ascii_masked(data: &[u8], key: u64) -> bool {
    let mut words = data.chunks_exact(8);
    let mut high = 0;
    for w in &mut words {
        high |= u64::from_ne_bytes(w.try_into().unwrap()) ^ key;
    }
    for (b, k) in words.remainder().iter().zip(key.to_ne_bytes()) {
        high |= u64::from(b ^ k);
    }
    high & 0x8080_8080_8080_8080 == 0
}

/// `out = data ^ key`, 8 bytes at a time.
fn unmask(out: &mut [u8], data: &[u8], key: u64) {
    let mut outs = out.chunks_exact_mut(8);
    for (o, w) in (&mut outs).zip(data.chunks_exact(8)) {
        o.copy_from_slice(&(u64::from_ne_bytes(w.try_into().unwrap()) ^ key).to_ne_bytes());
    }
    let tail = &data[data.len() & !7..];
    for ((o, b), k) in outs
        .into_remainder()
        .iter_mut()
        .zip(tail)
        .zip(key.to_ne_bytes())
    {
        *o = b ^ k;
    }
}

fn invalid() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, Utf8Invalid)
}

impl<S: AsyncRead + Unpin> AsyncRead for Utf8Guard<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.phase == Phase::Failed {
            return Poll::Ready(Err(invalid()));
        }
        let n = match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(n)) => n,
            other => return other,
        };
        match this.inspect(&buf[..n]) {
            Ok(()) => Poll::Ready(Ok(n)),
            Err(at) => {
                this.phase = Phase::Failed;
                // Hand up what precedes the bad frame (the rest is dropped: the
                // connection is failed); the next read fails. 0 would mean EOF.
                Poll::Ready(if at > 0 { Ok(at) } else { Err(invalid()) })
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Utf8Guard<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_close(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// Yields one queued chunk per read, like a peer writing slowly.
    struct Chunked(VecDeque<Vec<u8>>);

    impl AsyncRead for Chunked {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &mut [u8],
        ) -> Poll<io::Result<usize>> {
            let Some(chunk) = self.0.pop_front() else {
                return Poll::Ready(Ok(0));
            };
            assert!(chunk.len() <= buf.len());
            buf[..chunk.len()].copy_from_slice(&chunk);
            Poll::Ready(Ok(chunk.len()))
        }
    }

    const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

    /// One frame: the header (7-, 16- or 64-bit length) then the payload, masked
    /// with MASK if `masked`.
    fn frame(fin: bool, opcode: u8, payload: &[u8], masked: bool) -> Vec<u8> {
        let mut out = vec![u8::from(fin) << 7 | opcode];
        let m = if masked { 0x80 } else { 0 };
        match payload.len() {
            n @ 0..=125 => out.push(m | n as u8),
            n @ 126..=0xFFFF => {
                out.push(m | 126);
                out.extend((n as u16).to_be_bytes());
            }
            n => {
                out.push(m | 127);
                out.extend((n as u64).to_be_bytes());
            }
        }
        if masked {
            out.extend(MASK);
        }
        out.extend(payload.iter().enumerate().map(
            |(i, b)| {
                if masked { b ^ MASK[i % 4] } else { *b }
            },
        ));
        out
    }

    fn text(payload: &[u8], masked: bool) -> Vec<u8> {
        frame(true, 1, payload, masked)
    }

    /// Reads `chunks` through the guard. Ok(all bytes, as read), or Err(index of
    /// the chunk whose read failed).
    fn run(guard: fn(Chunked) -> Utf8Guard<Chunked>, chunks: &[&[u8]]) -> Result<Vec<u8>, usize> {
        let mut g = guard(Chunked(chunks.iter().map(|c| c.to_vec()).collect()));
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let (mut out, mut buf) = (Vec::new(), vec![0u8; 1 << 18]);
        for (i, chunk) in chunks.iter().enumerate() {
            match Pin::new(&mut g).poll_read(&mut cx, &mut buf) {
                // A short read hands up the frames before a bad one.
                Poll::Ready(Ok(n)) if n < chunk.len() => {
                    let again = Pin::new(&mut g).poll_read(&mut cx, &mut buf);
                    assert!(matches!(again, Poll::Ready(Err(ref e)) if is_utf8_invalid(e)));
                    return Err(i);
                }
                Poll::Ready(Ok(n)) => out.extend_from_slice(&buf[..n]),
                Poll::Ready(Err(e)) => {
                    assert!(is_utf8_invalid(&e));
                    assert_eq!(e.kind(), io::ErrorKind::InvalidData);
                    // Sticky: the connection is failed.
                    let again = Pin::new(&mut g).poll_read(&mut cx, &mut buf);
                    assert!(matches!(again, Poll::Ready(Err(ref e)) if is_utf8_invalid(e)));
                    return Err(i);
                }
                Poll::Pending => unreachable!(),
            }
        }
        Ok(out)
    }

    fn server(s: Chunked) -> Utf8Guard<Chunked> {
        Utf8Guard::server(s)
    }
    fn client(s: Chunked) -> Utf8Guard<Chunked> {
        Utf8Guard::client_after_http(s)
    }
    const HTTP_101: &[u8] =
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nX-Bin: \xff\xfe\r\n\r\n";

    /// Runs the same frames on both sides (server: masked; client: after HTTP).
    fn both(frames: impl Fn(bool) -> Vec<Vec<u8>>) -> [Result<Vec<u8>, usize>; 2] {
        let s = frames(true);
        let mut c = frames(false);
        c.insert(0, HTTP_101.to_vec());
        let s_res = run(server, &s.iter().map(Vec::as_slice).collect::<Vec<_>>());
        let c_res = run(client, &c.iter().map(Vec::as_slice).collect::<Vec<_>>());
        // The client's results count chunks after the HTTP response.
        [s_res, c_res.map_err(|i| i - 1)]
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn valid_text_split_at_every_byte() {
        let payload = "a κόσμε 𝄞 ü €!".as_bytes();
        for masked in [true, false] {
            let f = text(payload, masked);
            let guard = if masked { server } else { client };
            let prefix: &[u8] = if masked { b"" } else { HTTP_101 };
            for i in 0..=f.len() {
                let (a, b) = f.split_at(i);
                let out = run(guard, &[prefix, a, b]).unwrap();
                assert_eq!(out[prefix.len()..], f[..], "bytes pass through unchanged");
            }
            // And one byte per read.
            let bytes: Vec<&[u8]> = f.chunks(1).collect();
            assert_eq!(
                run(guard, &[&[prefix], &bytes[..]].concat()).unwrap()[prefix.len()..],
                f[..]
            );
        }
    }

    #[test]
    fn autobahn_6_4_3_fails_at_second_chunk() {
        let parts = ["cebae1bdb9cf83cebcceb5", "f4908080", "656469746564"].map(hex);
        for res in both(|masked| {
            let f = text(&parts.concat(), masked);
            let (first, rest) = f.split_at(f.len() - 10);
            let (second, third) = rest.split_at(4);
            vec![first.to_vec(), second.to_vec(), third.to_vec()]
        }) {
            assert_eq!(res, Err(1));
        }
    }

    #[test]
    fn autobahn_6_4_4_fails_at_second_chunk() {
        for res in both(|masked| {
            let f = text(&hex("cebae1bdb9cf83cebcceb5f490"), masked);
            let (first, second) = f.split_at(f.len() - 1);
            vec![first.to_vec(), second.to_vec(), vec![]]
        }) {
            assert_eq!(res, Err(1));
        }
    }

    #[test]
    fn fragmented_text_with_a_ping_in_between() {
        // "κό" cut inside "ό" (cf 8c) by the fragment boundary; the ping's payload is not text.
        let (a, b) = "κόσμε".as_bytes().split_at(3);
        for res in both(|m| {
            vec![
                frame(false, 1, a, m),
                frame(true, 9, b"\xff\xfe", m),
                frame(true, 0, b, m),
            ]
        }) {
            assert!(res.is_ok());
        }
        // Bad bytes in the continuation are caught there.
        for res in both(|m| {
            vec![
                frame(false, 1, a, m),
                frame(true, 10, b"", m),
                frame(true, 0, b"\xff", m),
            ]
        }) {
            assert_eq!(res, Err(2));
        }
        // A sequence still cut when the message ends is invalid.
        for res in both(|m| vec![frame(false, 1, b"ab", m), frame(true, 0, a, m)]) {
            assert_eq!(res, Err(1));
        }
        for res in both(|m| vec![text(b"ok\xe2\x82", m)]) {
            assert_eq!(res, Err(0));
        }
    }

    #[test]
    fn frames_before_the_bad_one_are_handed_up() {
        for masked in [true, false] {
            let good = [text(b"ok", masked), frame(true, 9, b"", masked)].concat();
            let read = [&good[..], &text(b"\xff", masked)].concat();
            let mut g = Utf8Guard::server(Chunked([read.clone()].into()));
            g.masked = masked;
            let mut cx = Context::from_waker(std::task::Waker::noop());
            let mut buf = [0u8; 64];
            let first = Pin::new(&mut g).poll_read(&mut cx, &mut buf);
            // Up to the bad frame's payload: tungstenite waits for the rest of it.
            let n = if masked { 6 } else { 2 } + good.len();
            assert!(matches!(first, Poll::Ready(Ok(m)) if m == n && buf[..n] == read[..n]));
            let next = Pin::new(&mut g).poll_read(&mut cx, &mut buf);
            assert!(matches!(next, Poll::Ready(Err(ref e)) if is_utf8_invalid(e)));
        }
    }

    #[test]
    fn binary_is_not_checked() {
        for res in both(|m| {
            vec![
                frame(true, 2, b"\xff\xfe\xc0", m),
                frame(false, 2, b"\xce", m),
                frame(true, 0, b"\xff", m),
                text("then text: é".as_bytes(), m),
            ]
        }) {
            assert!(res.is_ok());
        }
    }

    #[test]
    fn masking_must_match_the_side() {
        // A frame tungstenite rejects (wrong masking) is left to it: no check.
        assert!(run(server, &[&text(b"\xff", false)]).is_ok());
        assert!(run(client, &[HTTP_101, &text(b"\xff", true)]).is_ok());
        assert_eq!(run(server, &[&text(b"\xff", true)]), Err(0));
        assert_eq!(run(client, &[HTTP_101, &text(b"\xff", false)]), Err(1));
    }

    #[test]
    fn long_lengths() {
        for len in [300, 70_000] {
            let mut payload = "é".repeat(len / 2).into_bytes();
            for res in both(|m| {
                let f = text(&payload, m);
                f.chunks(4096).map(<[u8]>::to_vec).collect()
            }) {
                assert!(res.is_ok());
            }
            payload[len - 100] = 0xff;
            for res in both(|m| {
                let f = text(&payload, m);
                f.chunks(4096).map(<[u8]>::to_vec).collect()
            }) {
                assert_eq!(res, Err((len - 100) / 4096));
            }
        }
    }

    #[test]
    fn http_response_passes_through() {
        let f = text(b"\xff", false);
        // The end of the headers cut across reads, the frame in the same read.
        let (a, b) = HTTP_101.split_at(HTTP_101.len() - 3);
        assert_eq!(run(client, &[a, &[b, &f[..1]].concat(), &f[1..]]), Err(2));
        // Not a 101: what follows is a body, left alone.
        let refused = [b"HTTP/1.1 401 Unauthorized\r\n\r\n".as_slice(), &f].concat();
        assert!(run(client, &[&refused]).is_ok());
    }

    #[test]
    fn left_to_tungstenite() {
        // Over the size limit (1009), RSV bits, data after a close frame.
        let big = Utf8Guard::server as fn(Chunked) -> Utf8Guard<Chunked>;
        let limited = |s| Utf8Guard::server(s).max_payload(2);
        assert_eq!(run(big, &[&text(b"\xff\xff\xff", true)]), Err(0));
        assert!(run(limited, &[&text(b"\xff\xff\xff", true)]).is_ok());
        let mut rsv = text(b"\xff", true);
        rsv[0] |= 0x40;
        assert!(run(server, &[&rsv]).is_ok());
        assert!(
            run(
                server,
                &[&frame(true, 8, b"\x03\xe8", true), &text(b"\xff", true)]
            )
            .is_ok()
        );
    }
}
