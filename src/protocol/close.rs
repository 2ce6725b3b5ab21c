//! Close codes (RFC 6455 §7.4) and the payload of a close frame.

/// Whether `code` may be sent in a close frame, as ws's `isValidStatusCode`: 1000-1014
/// except 1004, 1005 and 1006 (reserved, never on the wire), and 3000-4999 (for
/// libraries and applications).
///
/// ```
/// assert!(nodews::is_valid_status_code(1000));
/// assert!(nodews::is_valid_status_code(1014));
/// assert!(nodews::is_valid_status_code(4999));
/// assert!(!nodews::is_valid_status_code(1005));
/// assert!(!nodews::is_valid_status_code(2999));
/// ```
pub fn is_valid_status_code(code: u16) -> bool {
    (1000..=1014).contains(&code) && !matches!(code, 1004..=1006) || (3000..=4999).contains(&code)
}

/// The payload of a close frame: empty, or a code and a UTF-8 reason.
pub(crate) fn payload(close: Option<(u16, &str)>) -> Vec<u8> {
    match close {
        None => Vec::new(),
        Some((code, reason)) => {
            let mut payload = Vec::with_capacity(2 + reason.len());
            payload.extend_from_slice(&code.to_be_bytes());
            payload.extend_from_slice(reason.as_bytes());
            payload
        }
    }
}

/// Why a received close payload is not acceptable.
#[derive(Debug, PartialEq)]
pub(crate) enum BadClose {
    /// One byte: too short for a code (ws: "invalid payload length 1").
    Length,
    /// A code that may not be sent (ws: "invalid status code N").
    Code(u16),
    /// A reason that is not UTF-8.
    Reason,
}

/// Reads a received close payload: `None` for an empty one (no status, reported as
/// 1005), else the code and the reason.
pub(crate) fn parse(payload: &[u8]) -> Result<Option<(u16, String)>, BadClose> {
    match payload {
        [] => Ok(None),
        [_] => Err(BadClose::Length),
        [high, low, reason @ ..] => {
            let code = u16::from_be_bytes([*high, *low]);
            if !is_valid_status_code(code) {
                return Err(BadClose::Code(code));
            }
            let reason = std::str::from_utf8(reason).map_err(|_| BadClose::Reason)?;
            Ok(Some((code, reason.to_string())))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip() {
        assert_eq!(parse(&payload(None)), Ok(None));
        assert_eq!(
            parse(&payload(Some((1014, "bad gateway")))),
            Ok(Some((1014, "bad gateway".to_string())))
        );
        assert_eq!(parse(&[3]), Err(BadClose::Length));
        assert_eq!(parse(&payload(Some((1005, "")))), Err(BadClose::Code(1005)));
        assert_eq!(parse(&[0x03, 0xE8, 0xFF]), Err(BadClose::Reason));
    }

    #[test]
    fn valid_codes_are_ws_codes() {
        let valid: Vec<u16> = (0..=u16::MAX)
            .filter(|&c| is_valid_status_code(c))
            .collect();
        assert_eq!(valid.len(), 12 + 2000);
        for code in [
            1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
        ] {
            assert!(is_valid_status_code(code), "{code}");
        }
        for code in [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535] {
            assert!(!is_valid_status_code(code), "{code}");
        }
    }
}
