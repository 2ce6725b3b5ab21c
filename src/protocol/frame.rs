//! One WebSocket frame on the wire (RFC 6455 §5.2): its header, parsed into and
//! written from tungstenite's [`FrameHeader`] type, and the masking of its payload.
//!
//! Only the header type is tungstenite's: the bytes are read and written here,
//! straight from and into memory (tungstenite's own `parse` and `format` go through
//! `io::Read`/`io::Write` and cost several times as much per frame). What a frame
//! means (which bits and opcodes are allowed, how long it may be, how frames make a
//! message) is decided by the [receiver](super::receiver) and the
//! [stream](super::stream).

pub(crate) use tungstenite::protocol::frame::FrameHeader;
pub(crate) use tungstenite::protocol::frame::coding::{Control, Data, OpCode};

/// A frame header read off the front of `buf`: the header, its payload length, and
/// how many bytes the header took. `Ok(None)`: the header has not fully arrived.
/// `Err(opcode)`: the frame uses a reserved opcode (reported once the whole header
/// has arrived, as tungstenite's parser does).
pub(crate) fn parse_header(buf: &[u8]) -> Result<Option<(FrameHeader, u64, usize)>, u8> {
    let [first, second, ..] = *buf else {
        return Ok(None);
    };
    let (length, mut header_len) = match second & 0x7F {
        126 => match buf.get(2..4) {
            Some(&[a, b]) => (u64::from(u16::from_be_bytes([a, b])), 4),
            _ => return Ok(None),
        },
        127 => match buf.get(2..10).and_then(|b| <[u8; 8]>::try_from(b).ok()) {
            Some(bytes) => (u64::from_be_bytes(bytes), 10),
            None => return Ok(None),
        },
        short => (u64::from(short), 2),
    };
    let mask = if second & 0x80 != 0 {
        match buf
            .get(header_len..header_len + 4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
        {
            Some(mask) => {
                header_len += 4;
                Some(mask)
            }
            None => return Ok(None),
        }
    } else {
        None
    };
    let opcode = match first & 0x0F {
        0 => OpCode::Data(Data::Continue),
        1 => OpCode::Data(Data::Text),
        2 => OpCode::Data(Data::Binary),
        8 => OpCode::Control(Control::Close),
        9 => OpCode::Control(Control::Ping),
        10 => OpCode::Control(Control::Pong),
        reserved => return Err(reserved),
    };
    let header = FrameHeader {
        is_final: first & 0x80 != 0,
        rsv1: first & 0x40 != 0,
        rsv2: first & 0x20 != 0,
        rsv3: first & 0x10 != 0,
        opcode,
        mask,
    };
    Ok(Some((header, length, header_len)))
}

/// Appends one frame to `out`: the header, then the payload, masked with `mask` if
/// given (clients mask every frame they send; servers never do). The length takes
/// the shortest of its three forms (RFC 6455 §5.2: 7 bits, 16 or 64).
#[inline]
pub(crate) fn encode(
    out: &mut Vec<u8>,
    opcode: OpCode,
    is_final: bool,
    payload: &[u8],
    mask: Option<[u8; 4]>,
) {
    let len = payload.len();
    let first = u8::from(opcode) | if is_final { 0x80 } else { 0 };
    let mask_bit = if mask.is_some() { 0x80 } else { 0 };
    // Header pieces of fixed sizes: each is a plain store, not a memcpy call.
    out.reserve(14 + len);
    if len < 126 {
        out.extend_from_slice(&[first, mask_bit | len as u8]);
    } else if let Ok(short) = u16::try_from(len) {
        let [high, low] = short.to_be_bytes();
        out.extend_from_slice(&[first, mask_bit | 126, high, low]);
    } else {
        out.extend_from_slice(&[first, mask_bit | 127]);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    if let Some(mask) = mask {
        out.extend_from_slice(&mask);
    }
    let start = out.len();
    out.extend_from_slice(payload);
    if let Some(mask) = mask {
        apply_mask(&mut out[start..], mask, 0);
    }
}

/// XORs `buf` with the masking key (RFC 6455 §5.3). `offset` is where `buf` starts
/// within the payload, so a payload can be unmasked piece by piece as it arrives.
pub(crate) fn apply_mask(buf: &mut [u8], mask: [u8; 4], offset: usize) {
    // The key rotated to `offset` (little-endian: byte i of the word is the key byte
    // for position i), repeated to sixteen bytes: the loop below then XORs sixteen
    // bytes at a time with no unsafe code.
    let key = u32::from_le_bytes(mask).rotate_right(8 * (offset % 4) as u32);
    let word = u128::from(key) * 0x0000_0001_0000_0001_0000_0001_0000_0001;
    let mut chunks = buf.chunks_exact_mut(16);
    for chunk in &mut chunks {
        let bytes: &mut [u8; 16] = chunk.try_into().expect("chunks of sixteen");
        *bytes = (u128::from_le_bytes(*bytes) ^ word).to_le_bytes();
    }
    let rest = chunks.into_remainder();
    let rest = match rest.split_first_chunk_mut::<8>() {
        Some((eight, tail)) => {
            *eight = (u64::from_le_bytes(*eight) ^ word as u64).to_le_bytes();
            tail
        }
        None => rest,
    };
    for (byte, k) in rest.iter_mut().zip(word.to_le_bytes()) {
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
    fn mask_matches_the_rfc_definition() {
        let mask = [0xA1, 0xB2, 0xC3, 0xD4];
        for offset in 0..8 {
            for len in 0..50 {
                let data: Vec<u8> = (0..len as u8).map(|b| b.wrapping_mul(37)).collect();
                let mut masked = data.clone();
                apply_mask(&mut masked, mask, offset);
                for (i, (&m, &d)) in masked.iter().zip(&data).enumerate() {
                    assert_eq!(
                        m,
                        d ^ mask[(offset + i) % 4],
                        "offset {offset} len {len} at {i}"
                    );
                }
            }
        }
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

    /// Our header code against tungstenite's `parse` and `format`, byte for byte:
    /// every opcode, FIN and RSV bit, each length form at its edges, masked or not,
    /// and every truncation of each header.
    #[test]
    fn headers_match_tungstenite() {
        use std::io::Cursor;
        let lengths = [
            0u64,
            1,
            125,
            126,
            127,
            65535,
            65536,
            (1 << 53) - 1,
            u64::MAX,
        ];
        for code in 0u8..16 {
            for bits in 0u8..16 {
                for &length in &lengths {
                    for mask in [None, Some([1, 2, 3, 4])] {
                        let header = FrameHeader {
                            is_final: bits & 8 != 0,
                            rsv1: bits & 4 != 0,
                            rsv2: bits & 2 != 0,
                            rsv3: bits & 1 != 0,
                            opcode: OpCode::from(code),
                            mask,
                        };
                        let mut bytes = Vec::new();
                        header.format(length, &mut bytes).unwrap();
                        for cut in 0..=bytes.len() {
                            let theirs = FrameHeader::parse(&mut Cursor::new(&bytes[..cut]));
                            let ours = parse_header(&bytes[..cut]);
                            match (theirs, ours) {
                                (Ok(None), Ok(None)) => {}
                                (Ok(Some((h, l))), Ok(Some((oh, ol, n)))) => {
                                    assert_eq!((h, l, cut), (oh, ol, n));
                                }
                                (Err(_), Err(op)) => assert_eq!(op, code),
                                (t, o) => panic!("{bytes:?}[..{cut}]: {t:?} vs {o:?}"),
                            }
                        }
                        let is_plain = !(header.rsv1 || header.rsv2 || header.rsv3);
                        let reserved = matches!(
                            header.opcode,
                            OpCode::Data(Data::Reserved(_)) | OpCode::Control(Control::Reserved(_))
                        );
                        if is_plain && !reserved && length <= 65536 {
                            let payload = vec![0u8; length as usize];
                            let mut out = Vec::new();
                            encode(&mut out, header.opcode, header.is_final, &payload, mask);
                            assert_eq!(&out[..bytes.len()], &bytes[..], "{header:?} {length}");
                            assert_eq!(out.len(), bytes.len() + payload.len());
                        }
                    }
                }
            }
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
