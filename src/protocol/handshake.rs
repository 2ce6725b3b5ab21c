//! The client's side of the opening handshake (RFC 6455 §4.1, as ws's
//! `initAsClient` does it): the upgrade request, and the checks on the answer.
//! (The server side runs on hyper: see `websocket_server.rs`.) The key and its
//! accept value are computed by tungstenite; the response head is parsed by httparse.

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tungstenite::handshake::client::generate_key;
use tungstenite::handshake::derive_accept_key;

use crate::Error;

/// A response head longer than this is refused (Node's default `maxHeaderSize`).
const MAX_HEAD: usize = 16 * 1024;
/// The most of a refused upgrade's body kept for `unexpected-response`.
const MAX_BODY: usize = 1024 * 1024;

/// An upgrade request, ready to write.
pub(crate) struct ClientRequest {
    /// `Sec-WebSocket-Key`, to check the answer against.
    key: String,
    /// The headers sent, in order (for the `redirect` and `unexpected-response` events).
    pub(crate) headers: Vec<(String, String)>,
    bytes: Vec<u8>,
}

/// The headers the handshake itself sets; a user's header of the same name is
/// left out rather than sent twice or in place of ours.
const OWN_HEADERS: &[&str] = &[
    "connection",
    "upgrade",
    "sec-websocket-key",
    "sec-websocket-version",
    "sec-websocket-extensions",
];

/// The request for `path` (with its query) on `host` (`host[:port]` as the `Host`
/// header shows it), with the offered subprotocols and the user's headers.
pub(crate) fn request(
    path: &str,
    host: &str,
    protocols: &[String],
    origin: Option<&str>,
    user_headers: &[(String, String)],
    version: u8,
) -> ClientRequest {
    let key = generate_key();
    let mut headers = vec![
        ("Host".to_string(), host.to_string()),
        ("Connection".to_string(), "Upgrade".to_string()),
        ("Upgrade".to_string(), "websocket".to_string()),
        ("Sec-WebSocket-Version".to_string(), version.to_string()),
        ("Sec-WebSocket-Key".to_string(), key.clone()),
    ];
    if !protocols.is_empty() {
        headers.push(("Sec-WebSocket-Protocol".to_string(), protocols.join(",")));
    }
    if let Some(origin) = origin {
        // As ws: version 8 (the hybi-08 draft) named it Sec-WebSocket-Origin.
        let name = if version < 13 {
            "Sec-WebSocket-Origin"
        } else {
            "Origin"
        };
        headers.push((name.to_string(), origin.to_string()));
    }
    for (name, value) in user_headers {
        let lower = name.to_ascii_lowercase();
        if OWN_HEADERS.contains(&lower.as_str()) || !is_token(name) || value.contains(['\r', '\n'])
        {
            continue;
        }
        match headers
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            // Host, Origin or the subprotocols, set by the user.
            Some(existing) => existing.1 = value.clone(),
            None => headers.push((name.clone(), value.clone())),
        }
    }
    let mut bytes = format!("GET {path} HTTP/1.1\r\n").into_bytes();
    for (name, value) in &headers {
        bytes.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    bytes.extend_from_slice(b"\r\n");
    ClientRequest {
        key,
        headers,
        bytes,
    }
}

/// An HTTP token (RFC 9110 §5.6.2): what a header name may be.
fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// The server's answer to the upgrade request.
pub(crate) struct Answer {
    pub(crate) status: u16,
    /// Header names lowercased.
    pub(crate) headers: Vec<(String, String)>,
    /// For a 101: bytes that followed the head (the first frames). Otherwise: the
    /// body (up to its `Content-Length`, or to the end of the connection).
    pub(crate) rest: BytesMut,
}

impl Answer {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Writes the request and reads the answer's head (and, if it is not a 101, its body).
pub(crate) async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    io: &mut S,
    request: &ClientRequest,
) -> Result<Answer, Error> {
    io.write_all(&request.bytes)
        .await
        .map_err(|e| Error::io("handshake", e))?;
    io.flush().await.map_err(|e| Error::io("handshake", e))?;

    let mut buf = BytesMut::with_capacity(4096);
    let mut answer = loop {
        if io
            .read_buf(&mut buf)
            .await
            .map_err(|e| Error::io("handshake", e))?
            == 0
        {
            return Err(handshake_error(
                "the server closed the connection during the handshake",
            ));
        }
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut response = httparse::Response::new(&mut headers);
        match response.parse(&buf) {
            Ok(httparse::Status::Complete(head_len)) => {
                let answer = Answer {
                    status: response.code.unwrap_or(0),
                    headers: response
                        .headers
                        .iter()
                        .map(|h| {
                            (
                                h.name.to_ascii_lowercase(),
                                String::from_utf8_lossy(h.value).into_owned(),
                            )
                        })
                        .collect(),
                    rest: BytesMut::new(),
                };
                let _ = buf.split_to(head_len);
                break Answer {
                    rest: buf,
                    ..answer
                };
            }
            Ok(httparse::Status::Partial) if buf.len() < MAX_HEAD => {}
            Ok(httparse::Status::Partial) => {
                return Err(handshake_error("the response head is too long"));
            }
            Err(e) => return Err(handshake_error(&format!("invalid HTTP response: {e}"))),
        }
    };
    if answer.status != 101 {
        let length = answer
            .header("content-length")
            .and_then(|l| l.trim().parse::<usize>().ok());
        let limit = length.unwrap_or(MAX_BODY).min(MAX_BODY);
        while answer.rest.len() < limit {
            match io.read_buf(&mut answer.rest).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
        answer.rest.truncate(limit);
    }
    Ok(answer)
}

/// ws's checks on a 101 answer. Returns the subprotocol the server chose ("" for none).
pub(crate) fn check_upgrade(
    request: &ClientRequest,
    answer: &Answer,
    offered_protocols: &[String],
) -> Result<String, Error> {
    if !answer
        .header("upgrade")
        .is_some_and(|u| u.trim().eq_ignore_ascii_case("websocket"))
    {
        return Err(handshake_error("Invalid Upgrade header"));
    }
    if answer.header("sec-websocket-accept")
        != Some(derive_accept_key(request.key.as_bytes()).as_str())
    {
        return Err(handshake_error("Invalid Sec-WebSocket-Accept header"));
    }
    let protocol = answer.header("sec-websocket-protocol").map(str::trim);
    let protocol = match protocol {
        Some(p) if offered_protocols.is_empty() => {
            let _ = p;
            return Err(handshake_error(
                "Server sent a subprotocol but none was requested",
            ));
        }
        Some(p) if !offered_protocols.iter().any(|o| o == p) => {
            return Err(handshake_error("Server sent an invalid subprotocol"));
        }
        None if !offered_protocols.is_empty() => {
            return Err(handshake_error("Server sent no subprotocol"));
        }
        Some(p) => p.to_string(),
        None => String::new(),
    };
    if answer.header("sec-websocket-extensions").is_some() {
        // RFC 6455 §4.1: an extension the client did not offer fails the connection.
        return Err(handshake_error(
            "Server sent a Sec-WebSocket-Extensions header but no extension was requested",
        ));
    }
    Ok(protocol)
}

fn handshake_error(message: &str) -> Error {
    Error::new(crate::ErrorCode::WS_ERR_HANDSHAKE, message.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(request: &ClientRequest, extra: &[(&str, &str)]) -> Answer {
        let mut headers = vec![
            ("upgrade".to_string(), "websocket".to_string()),
            ("connection".to_string(), "Upgrade".to_string()),
            (
                "sec-websocket-accept".to_string(),
                derive_accept_key(request.key.as_bytes()),
            ),
        ];
        headers.extend(extra.iter().map(|(n, v)| (n.to_string(), v.to_string())));
        Answer {
            status: 101,
            headers,
            rest: BytesMut::new(),
        }
    }

    #[test]
    fn user_headers_cannot_replace_the_handshake() {
        let user = vec![
            ("Sec-WebSocket-Key".to_string(), "forged".to_string()),
            ("Authorization".to_string(), "Bearer t".to_string()),
            ("Host".to_string(), "example.com".to_string()),
            ("Bad Name".to_string(), "x".to_string()),
            ("X-Split".to_string(), "a\r\nInjected: 1".to_string()),
        ];
        let request = request("/chat?x=1", "127.0.0.1:8080", &[], None, &user, 13);
        let text = String::from_utf8(request.bytes.clone()).unwrap();
        assert!(text.starts_with("GET /chat?x=1 HTTP/1.1\r\nHost: example.com\r\n"));
        assert!(text.contains("Authorization: Bearer t\r\n"));
        assert!(
            !text.contains("forged") && !text.contains("Injected") && !text.contains("Bad Name")
        );
        assert!(text.ends_with("\r\n\r\n"));
    }

    #[test]
    fn answers_are_checked_as_ws_does() {
        let offered = vec!["chat".to_string()];
        let request = request("/", "h", &offered, None, &[], 13);
        assert_eq!(
            check_upgrade(
                &request,
                &answer(&request, &[("sec-websocket-protocol", "chat")]),
                &offered
            )
            .unwrap(),
            "chat"
        );
        let error = |extra: &[(&str, &str)], offered: &[String]| {
            check_upgrade(&request, &answer(&request, extra), offered)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(error(&[], &offered), "Server sent no subprotocol");
        assert_eq!(
            error(&[("sec-websocket-protocol", "other")], &offered),
            "Server sent an invalid subprotocol"
        );
        assert_eq!(
            error(&[("sec-websocket-protocol", "chat")], &[]),
            "Server sent a subprotocol but none was requested"
        );
        assert_eq!(
            error(&[("sec-websocket-extensions", "permessage-deflate")], &[]),
            "Server sent a Sec-WebSocket-Extensions header but no extension was requested"
        );
        let mut wrong = answer(&request, &[]);
        wrong.headers[2].1 = "nope".to_string();
        assert_eq!(
            check_upgrade(&request, &wrong, &[])
                .unwrap_err()
                .to_string(),
            "Invalid Sec-WebSocket-Accept header"
        );
    }
}
