//! Bytes from the network to messages (ws's `lib/receiver.js`): frames are parsed
//! off the connection's read buffer, checked, unmasked, and assembled into messages.
//!
//! ```text
//!   read buffer ──header──► check (RSV, opcode, FIN, mask, length)
//!               ──payload─► unmask ──► control frame ──────────────► Ping / Pong / Close
//!                                 └──► data frame ──► [extension] ──► assemble ──► Text / Binary
//! ```
//!
//! Payloads are split off the read buffer, never copied, unless a message comes in
//! several fragments (they are joined). Text is checked for UTF-8 while it arrives,
//! so a bad sequence closes the connection (1007) without waiting for the rest of a
//! large frame or message (Autobahn 6.4.*); `max_payload` is checked against each
//! frame's header, before its payload is read, so an oversized message is refused
//! (1009) with at most one read of it buffered.
//!
//! An extension (permessage-deflate, RFC 7692) would transform a data frame's payload
//! where `[extension]` stands, in [`Receiver::on_data_frame`]: until one is
//! negotiated, RSV1 is a protocol error.

use bytes::{Buf, Bytes, BytesMut};
use tungstenite::Utf8Bytes;

use super::close::{self, BadClose};
use super::frame::{self, Control, Data, FrameHeader, OpCode};
use crate::Error;

/// What the receiver hands to the connection.
#[derive(Debug)]
pub(crate) enum Incoming {
    Text(Utf8Bytes),
    Binary(Bytes),
    Ping(Bytes),
    Pong(Bytes),
    /// The peer's close frame: its code and reason, `None` if it carried no code.
    Close(Option<(u16, String)>),
}

pub(crate) struct Receiver {
    /// Servers require masked frames, clients refuse them.
    expect_masked: bool,
    /// Largest message accepted (ws's `maxPayload`; 0 means no limit).
    max_payload: usize,
    /// The frame whose header has been read and whose payload is still arriving.
    frame: Option<PartialFrame>,
    /// A message arriving in fragments.
    fragments: Option<Fragments>,
    /// The state of the UTF-8 check of the text still arriving.
    utf8: Utf8Check,
    /// The peer's close frame has been read: nothing may follow it.
    closed: bool,
}

struct PartialFrame {
    opcode: OpCode,
    is_final: bool,
    mask: Option<[u8; 4]>,
    len: usize,
    /// Payload bytes already unmasked and UTF-8 checked (text only).
    checked: usize,
}

struct Fragments {
    text: bool,
    data: BytesMut,
}

impl Receiver {
    /// Part of a frame or of a fragmented message has arrived, not all of it.
    pub(crate) fn mid_message(&self) -> bool {
        self.frame.is_some() || self.fragments.is_some()
    }

    pub(crate) fn new(is_server: bool, max_payload: usize) -> Receiver {
        Receiver {
            expect_masked: is_server,
            max_payload: if max_payload == 0 {
                usize::MAX
            } else {
                max_payload
            },
            frame: None,
            fragments: None,
            utf8: Utf8Check::default(),
            closed: false,
        }
    }

    /// How many more bytes the frame being read needs (0 between frames): the
    /// stream reserves room for them, so a large frame is read in few system calls.
    pub(crate) fn bytes_missing(&self, buffered: usize) -> usize {
        self.frame
            .as_ref()
            .map_or(0, |f| f.len.saturating_sub(buffered))
    }

    /// The next message or control frame from `buf`, consuming its bytes; `Ok(None)`
    /// when more bytes are needed. After an `Err` the connection must fail.
    pub(crate) fn read(&mut self, buf: &mut BytesMut) -> Result<Option<Incoming>, Error> {
        loop {
            if self.closed {
                // RFC 6455 §5.5.1: nothing after the close frame is read.
                buf.clear();
                return Ok(None);
            }
            if self.frame.is_none() {
                let (header, len, header_len) = match frame::parse_header(buf) {
                    Ok(Some(parsed)) => parsed,
                    Ok(None) => return Ok(None),
                    Err(opcode) => return Err(invalid_frame(format!("invalid opcode {opcode}"))),
                };
                let len = self.check_header(&header, len)?;
                buf.advance(header_len);
                self.frame = Some(PartialFrame {
                    opcode: header.opcode,
                    is_final: header.is_final,
                    mask: header.mask,
                    len,
                    checked: 0,
                });
            }
            let frame = self.frame.as_mut().expect("a frame is being read");
            if buf.len() < frame.len {
                self.check_arriving_text(buf)?;
                return Ok(None);
            }
            let frame = self.frame.take().expect("a frame is being read");
            let mut payload = buf.split_to(frame.len);
            if let Some(mask) = frame.mask {
                frame::apply_mask(&mut payload[frame.checked..], mask, frame.checked);
            }
            if let Some(incoming) = self.on_frame(frame, payload)? {
                return Ok(Some(incoming));
            }
        }
    }

    /// The checks ws's receiver makes on a header (its `getInfo` and
    /// `haveLength`), with its error codes. Returns the payload length.
    fn check_header(&self, header: &FrameHeader, len: u64) -> Result<usize, Error> {
        if header.rsv1 {
            return Err(invalid_frame("RSV1 must be clear")
                .with_code(crate::ErrorCode::WS_ERR_UNEXPECTED_RSV_1));
        }
        if header.rsv2 || header.rsv3 {
            return Err(invalid_frame("RSV2 and RSV3 must be clear")
                .with_code(crate::ErrorCode::WS_ERR_UNEXPECTED_RSV_2_3));
        }
        match header.opcode {
            OpCode::Data(Data::Continue) if self.fragments.is_none() => {
                return Err(invalid_frame("invalid opcode 0"));
            }
            OpCode::Data(Data::Text) | OpCode::Data(Data::Binary) if self.fragments.is_some() => {
                let opcode: u8 = header.opcode.into();
                return Err(invalid_frame(format!("invalid opcode {opcode}")));
            }
            OpCode::Control(_) if !header.is_final => {
                return Err(invalid_frame("FIN must be set")
                    .with_code(crate::ErrorCode::WS_ERR_EXPECTED_FIN));
            }
            OpCode::Control(_) if len > 125 => {
                return Err(invalid_frame(format!("invalid payload length {len}"))
                    .with_code(crate::ErrorCode::WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH));
            }
            _ => {}
        }
        if self.expect_masked && header.mask.is_none() {
            return Err(
                invalid_frame("MASK must be set").with_code(crate::ErrorCode::WS_ERR_EXPECTED_MASK)
            );
        }
        if !self.expect_masked && header.mask.is_some() {
            return Err(invalid_frame("MASK must be clear")
                .with_code(crate::ErrorCode::WS_ERR_UNEXPECTED_MASK));
        }
        if len > (1 << 53) - 1 {
            // JavaScript's largest safe integer: ws refuses longer frames outright.
            return Err(Error::new(
                crate::ErrorCode::WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH,
                "Unsupported WebSocket frame: payload length > 2^53 - 1",
            )
            .with_close_code(1009));
        }
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        if matches!(header.opcode, OpCode::Data(_)) {
            let so_far = self.fragments.as_ref().map_or(0, |f| f.data.len());
            if so_far.saturating_add(len) > self.max_payload {
                return Err(Error::new(
                    crate::ErrorCode::WS_ERR_UNSUPPORTED_MESSAGE_LENGTH,
                    "Max payload size exceeded",
                )
                .with_close_code(1009));
            }
        }
        Ok(len)
    }

    /// Is the frame being read (or the message it continues) text?
    fn is_text(&self, opcode: OpCode) -> bool {
        match opcode {
            OpCode::Data(Data::Text) => true,
            OpCode::Data(Data::Continue) => self.fragments.as_ref().is_some_and(|f| f.text),
            _ => false,
        }
    }

    /// Fails fast on bad UTF-8 in the part of a text frame that has arrived.
    fn check_arriving_text(&mut self, buf: &mut BytesMut) -> Result<(), Error> {
        let frame = self.frame.as_ref().expect("a frame is being read");
        let (opcode, mask, from) = (frame.opcode, frame.mask, frame.checked);
        if !self.is_text(opcode) || buf.len() <= from {
            return Ok(());
        }
        let arrived = &mut buf[from..];
        if let Some(mask) = mask {
            frame::apply_mask(arrived, mask, from);
        }
        self.utf8.feed(arrived).map_err(|()| invalid_utf8())?;
        self.frame.as_mut().expect("a frame is being read").checked = buf.len();
        Ok(())
    }

    fn on_frame(
        &mut self,
        frame: PartialFrame,
        payload: BytesMut,
    ) -> Result<Option<Incoming>, Error> {
        match frame.opcode {
            OpCode::Control(Control::Ping) => Ok(Some(Incoming::Ping(payload.freeze()))),
            OpCode::Control(Control::Pong) => Ok(Some(Incoming::Pong(payload.freeze()))),
            OpCode::Control(Control::Close) => {
                let close = close::parse(&payload).map_err(|bad| match bad {
                    BadClose::Length => invalid_frame("invalid payload length 1")
                        .with_code(crate::ErrorCode::WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH),
                    BadClose::Code(code) => invalid_frame(format!("invalid status code {code}"))
                        .with_code(crate::ErrorCode::WS_ERR_INVALID_CLOSE_CODE),
                    BadClose::Reason => invalid_utf8(),
                })?;
                self.closed = true;
                Ok(Some(Incoming::Close(close)))
            }
            OpCode::Data(_) => self.on_data_frame(frame, payload),
            // Reserved control opcodes were refused with the header.
            OpCode::Control(Control::Reserved(op)) => {
                Err(invalid_frame(format!("invalid opcode {op}")))
            }
        }
    }

    /// A data frame's payload, unmasked: [an extension's transform would go here,
    /// see the module docs], then the message assembly.
    fn on_data_frame(
        &mut self,
        frame: PartialFrame,
        payload: BytesMut,
    ) -> Result<Option<Incoming>, Error> {
        let text = self.is_text(frame.opcode);
        if !frame.is_final {
            // A fragment: check its text now (fail fast), keep its bytes.
            if text {
                self.utf8
                    .feed(&payload[frame.checked..])
                    .map_err(|()| invalid_utf8())?;
            }
            match &mut self.fragments {
                Some(fragments) => fragments.data.extend_from_slice(&payload),
                None => {
                    self.fragments = Some(Fragments {
                        text,
                        data: payload,
                    })
                }
            }
            return Ok(None);
        }
        let whole = match self.fragments.take() {
            Some(mut fragments) => {
                fragments.data.extend_from_slice(&payload);
                fragments.data
            }
            None => payload,
        }
        .freeze();
        if !text {
            return Ok(Some(Incoming::Binary(whole)));
        }
        // The whole message is checked here; the incremental check only made a bad
        // one fail sooner.
        self.utf8 = Utf8Check::default();
        Utf8Bytes::try_from(whole)
            .map(|text| Some(Incoming::Text(text)))
            .map_err(|_| invalid_utf8())
    }
}

fn invalid_frame(what: impl std::fmt::Display) -> Error {
    Error::new(
        crate::ErrorCode::WS_ERR_INVALID_OPCODE,
        format!("Invalid WebSocket frame: {what}"),
    )
    .with_close_code(1002)
}

fn invalid_utf8() -> Error {
    invalid_frame("invalid UTF-8 sequence")
        .with_code(crate::ErrorCode::WS_ERR_INVALID_UTF8)
        .with_close_code(1007)
}

/// An incremental UTF-8 check: text fed piece by piece, split anywhere, fails at
/// the first byte that cannot begin or continue a valid sequence.
#[derive(Default)]
struct Utf8Check {
    /// The start of a character cut off at the end of the last piece.
    partial: [u8; 4],
    partial_len: usize,
}

impl Utf8Check {
    fn feed(&mut self, mut input: &[u8]) -> Result<(), ()> {
        if self.partial_len > 0 {
            let width = utf8_width(self.partial[0]);
            let take = (width - self.partial_len).min(input.len());
            self.partial[self.partial_len..self.partial_len + take].copy_from_slice(&input[..take]);
            self.partial_len += take;
            input = &input[take..];
            match std::str::from_utf8(&self.partial[..self.partial_len]) {
                Ok(_) => self.partial_len = 0,
                // Still a valid beginning, waiting for more.
                Err(e) if e.error_len().is_none() => return Ok(()),
                Err(_) => return Err(()),
            }
        }
        match std::str::from_utf8(input) {
            Ok(_) => Ok(()),
            Err(e) if e.error_len().is_none() => {
                let rest = &input[e.valid_up_to()..];
                self.partial[..rest.len()].copy_from_slice(rest);
                self.partial_len = rest.len();
                Ok(())
            }
            Err(_) => Err(()),
        }
    }
}

/// The length of the UTF-8 sequence a lead byte starts (1 for anything else: the
/// check then fails on it).
fn utf8_width(lead: u8) -> usize {
    match lead {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client_frame(opcode: OpCode, fin: bool, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        frame::encode(&mut out, opcode, fin, payload, Some([9, 8, 7, 6]));
        out
    }

    const TEXT: OpCode = OpCode::Data(Data::Text);
    const CONT: OpCode = OpCode::Data(Data::Continue);

    fn read_all(receiver: &mut Receiver, bytes: &[u8]) -> Result<Vec<Incoming>, Error> {
        let mut buf = BytesMut::from(bytes);
        let mut out = Vec::new();
        while let Some(incoming) = receiver.read(&mut buf)? {
            out.push(incoming);
        }
        Ok(out)
    }

    #[test]
    fn fragments_join_into_one_message() {
        let mut bytes = client_frame(TEXT, false, "hé".as_bytes());
        bytes.extend(client_frame(OpCode::Control(Control::Ping), true, b"p"));
        bytes.extend(client_frame(CONT, true, "llo".as_bytes()));
        let mut receiver = Receiver::new(true, 0);
        let got = read_all(&mut receiver, &bytes).unwrap();
        assert!(matches!(&got[0], Incoming::Ping(p) if &p[..] == b"p"));
        assert!(matches!(&got[1], Incoming::Text(t) if t.as_str() == "héllo"));
    }

    #[test]
    fn bad_utf8_fails_before_the_frame_is_complete() {
        let whole = client_frame(TEXT, true, &[b'a'; 100]);
        let mut start = whole[..20].to_vec();
        // The 5th payload byte (after a 6-byte header) is made invalid once unmasked.
        start[6 + 4] = 0xFF ^ [9, 8, 7, 6][4 % 4];
        let mut receiver = Receiver::new(true, 0);
        let error = read_all(&mut receiver, &start).unwrap_err();
        assert_eq!(error.code(), "WS_ERR_INVALID_UTF8");
        assert_eq!(error.close_code(), Some(1007));
    }

    #[test]
    fn utf8_split_anywhere_is_accepted() {
        let text = "aé€𝄞z".as_bytes();
        for cut in 0..=text.len() {
            let mut check = Utf8Check::default();
            check.feed(&text[..cut]).unwrap();
            check.feed(&text[cut..]).unwrap();
            assert_eq!(check.partial_len, 0);
        }
        let mut check = Utf8Check::default();
        check.feed(&[0xED]).unwrap();
        assert!(check.feed(&[0xA0, 0x80]).is_err(), "a surrogate");
    }

    #[test]
    fn header_errors_have_ws_codes() {
        let cases: &[(&[u8], &str, u16)] = &[
            (&[0xC1, 0x80, 0, 0, 0, 0], "WS_ERR_UNEXPECTED_RSV_1", 1002),
            (&[0xA1, 0x80, 0, 0, 0, 0], "WS_ERR_UNEXPECTED_RSV_2_3", 1002),
            (&[0x83, 0x80, 0, 0, 0, 0], "WS_ERR_INVALID_OPCODE", 1002),
            (&[0x80, 0x80, 0, 0, 0, 0], "WS_ERR_INVALID_OPCODE", 1002),
            (&[0x09, 0x80, 0, 0, 0, 0], "WS_ERR_EXPECTED_FIN", 1002),
            (
                &[0x89, 0xFE, 0, 126, 0, 0, 0, 0],
                "WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH",
                1002,
            ),
            (&[0x81, 0x00], "WS_ERR_EXPECTED_MASK", 1002),
            (
                &[0x88, 0x81, 0, 0, 0, 0, 3],
                "WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH",
                1002,
            ),
            (
                &[0x88, 0x82, 0, 0, 0, 0, 0x03, 0xED],
                "WS_ERR_INVALID_CLOSE_CODE",
                1002,
            ),
            (
                &[0x82, 0x85, 0, 0, 0, 0],
                "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH",
                1009,
            ),
        ];
        for (bytes, code, status) in cases {
            let mut receiver = Receiver::new(true, 4);
            let error = read_all(&mut receiver, bytes).unwrap_err();
            assert_eq!(
                (error.code(), error.close_code()),
                (*code, Some(*status)),
                "{bytes:?}"
            );
        }
        let mut client = Receiver::new(false, 0);
        let error = read_all(&mut client, &[0x81, 0x80, 0, 0, 0, 0]).unwrap_err();
        assert_eq!(error.code(), "WS_ERR_UNEXPECTED_MASK");
    }

    #[test]
    fn close_code_1014_is_accepted() {
        let mut receiver = Receiver::new(true, 0);
        let frame = client_frame(
            OpCode::Control(Control::Close),
            true,
            &close::payload(Some((1014, "x"))),
        );
        let got = read_all(&mut receiver, &frame).unwrap();
        assert!(matches!(&got[0], Incoming::Close(Some((1014, r))) if r == "x"));
    }

    #[test]
    fn nothing_is_read_after_close() {
        let mut bytes = client_frame(OpCode::Control(Control::Close), true, &[]);
        bytes.extend(client_frame(TEXT, true, b"late"));
        let mut receiver = Receiver::new(true, 0);
        let got = read_all(&mut receiver, &bytes).unwrap();
        assert_eq!(got.len(), 1);
        assert!(matches!(got[0], Incoming::Close(None)));
    }
}
