//! One WebSocket frame on the wire (RFC 6455 §5.2): its header, read and written with
//! tungstenite's [`FrameHeader`], and the masking of its payload.
//!
//! Only the header layout is tungstenite's; what a frame means (which bits and
//! opcodes are allowed, how long it may be, how frames make a message) is decided by
//! the [receiver](super::receiver) and the [sender](super::sender).

use std::io::Cursor;

pub(crate) use tungstenite::protocol::frame::FrameHeader;
pub(crate) use tungstenite::protocol::frame::coding::{Control, Data, OpCode};

/// A frame header read off the front of `buf`: the header, its payload length, and
/// how many bytes the header took. `Ok(None)`: the header has not fully arrived.
/// `Err(opcode)`: the frame uses a reserved opcode.
pub(crate) fn parse_header(buf: &[u8]) -> Result<Option<(FrameHeader, u64, usize)>, u8> {
    let mut cursor = Cursor::new(buf);
    match FrameHeader::parse(&mut cursor) {
        Ok(Some((header, length))) => Ok(Some((header, length, cursor.position() as usize))),
        Ok(None) => Ok(None),
        // The only error a header in memory can have: a reserved opcode.
        Err(_) => Err(buf[0] & 0x0F),
    }
}

/// Appends one frame to `out`: the header, then the payload, masked with `mask` if
/// given (clients mask every frame they send; servers never do).
pub(crate) fn encode(
    out: &mut Vec<u8>,
    opcode: OpCode,
    is_final: bool,
    payload: &[u8],
    mask: Option<[u8; 4]>,
) {
    let header = FrameHeader {
        is_final,
        opcode,
        mask,
        ..FrameHeader::default()
    };
    let length = payload.len() as u64;
    out.reserve(header.len(length) + payload.len());
    header
        .format(length, out)
        .expect("writing to a Vec cannot fail");
    let start = out.len();
    out.extend_from_slice(payload);
    if let Some(mask) = mask {
        apply_mask(&mut out[start..], mask, 0);
    }
}

/// XORs `buf` with the masking key (RFC 6455 §5.3). `offset` is where `buf` starts
/// within the payload, so a payload can be unmasked piece by piece as it arrives.
pub(crate) fn apply_mask(buf: &mut [u8], mask: [u8; 4], offset: usize) {
    // The key rotated to `offset`, repeated to eight bytes: the loop below then XORs
    // a machine word at a time (the compiler vectorises it) with no unsafe code.
    let key: [u8; 8] = std::array::from_fn(|i| mask[(offset + i) & 3]);
    let word = u64::from_ne_bytes(key);
    let mut chunks = buf.chunks_exact_mut(8);
    for chunk in &mut chunks {
        let bytes: &mut [u8; 8] = chunk.try_into().expect("chunks of eight");
        *bytes = (u64::from_ne_bytes(*bytes) ^ word).to_ne_bytes();
    }
    for (byte, k) in chunks.into_remainder().iter_mut().zip(key) {
        *byte ^= k;
    }
}

/// A fresh masking key for a client frame. RFC 6455 §5.3 asks for one the server
/// (or a proxy in between) cannot predict.
pub(crate) fn random_mask() -> [u8; 4] {
    rand::random()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_in_pieces_equals_mask_at_once() {
        let mask = [0x12, 0x34, 0x56, 0x78];
        let data: Vec<u8> = (0..100u8).collect();
        let mut whole = data.clone();
        apply_mask(&mut whole, mask, 0);
        for (i, (&masked, &plain)) in whole.iter().zip(&data).enumerate() {
            assert_eq!(masked, plain ^ mask[i % 4]);
        }
        let mut pieces = data.clone();
        let (a, rest) = pieces.split_at_mut(3);
        let (b, c) = rest.split_at_mut(29);
        apply_mask(a, mask, 0);
        apply_mask(b, mask, 3);
        apply_mask(c, mask, 32);
        assert_eq!(pieces, whole);
    }

    #[test]
    fn encoded_frames_parse_back() {
        for len in [0usize, 125, 126, 65535, 65536] {
            let payload = vec![7u8; len];
            let mut out = Vec::new();
            encode(
                &mut out,
                OpCode::Data(Data::Binary),
                true,
                &payload,
                Some([1, 2, 3, 4]),
            );
            let (header, length, header_len) = parse_header(&out).unwrap().unwrap();
            assert_eq!(length as usize, len);
            assert!(header.is_final);
            assert_eq!(header.mask, Some([1, 2, 3, 4]));
            let mut body = out[header_len..].to_vec();
            apply_mask(&mut body, [1, 2, 3, 4], 0);
            assert_eq!(body, payload);
        }
    }

    #[test]
    fn partial_and_reserved_headers() {
        assert_eq!(parse_header(&[0x81]).unwrap().map(|h| h.1), None);
        assert_eq!(parse_header(&[0x81, 126, 0]).unwrap().map(|h| h.1), None);
        assert_eq!(parse_header(&[0x83, 0]).unwrap_err(), 3);
        assert_eq!(parse_header(&[0x8B, 0]).unwrap_err(), 0xB);
    }
}
