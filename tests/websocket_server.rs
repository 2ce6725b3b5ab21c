//! The server's options, events and HTTP answers, grouped like ws's
//! `test/websocket-server.test.js`.

mod support;

use std::io::Write;

use nodews::{
    Error, HandleProtocols, Headers, Message, Request, Response, ServerOptions, VerifyClient,
    WebSocket, WebSocketServer,
};
use support::{
    Log, client_frame, echo_server, raw_client, raw_client_sending, raw_exchange, read_frame,
    server, upgrade_request, url,
};

mod http_answers {
    use super::*;

    /// A plain HTTP request to a ws-owned port gets 426, as ws's own HTTP server answers.
    #[test]
    fn plain_request_gets_426() {
        let (wss, port) = echo_server();
        let answer = raw_exchange(
            port,
            b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        assert!(
            answer.starts_with("HTTP/1.1 426 Upgrade Required"),
            "{answer}"
        );
        wss.close();
    }

    /// Malformed upgrade requests get ws's status and message, and `wsClientError` fires.
    #[test]
    fn malformed_upgrades_get_ws_statuses() {
        let (wss, port) = server(ServerOptions {
            path: Some("/ws".into()),
            ..Default::default()
        });
        let log = Log::new();
        let l = log.clone();
        wss.on("wsClientError", move |e: Error, req: Request| {
            l.push(format!("{} {}", req.method(), e.message()))
        });
        nodews::release_events();
        let cases = [
            (
                upgrade_request("/ws", "").replace("GET", "POST"),
                "HTTP/1.1 405",
                "Invalid HTTP method",
            ),
            (
                upgrade_request("/ws", "").replace("Upgrade: websocket", "Upgrade: h2c"),
                "HTTP/1.1 400",
                "Invalid Upgrade header",
            ),
            (
                upgrade_request("/ws", "").replace("dGhlIHNhbXBsZSBub25jZQ==", "short"),
                "HTTP/1.1 400",
                "Missing or invalid Sec-WebSocket-Key header",
            ),
            (
                upgrade_request("/ws", "").replace("Version: 13", "Version: 12"),
                "HTTP/1.1 400",
                "Missing or invalid Sec-WebSocket-Version header",
            ),
            (upgrade_request("/other", ""), "HTTP/1.1 400", "Bad Request"),
            (
                upgrade_request("/ws", "Sec-WebSocket-Protocol: a, a\r\n"),
                "HTTP/1.1 400",
                "Invalid Sec-WebSocket-Protocol header",
            ),
        ];
        for (request, status, message) in cases {
            let answer = raw_exchange(port, request.as_bytes());
            assert!(answer.starts_with(status), "{request}\n=> {answer}");
            assert!(answer.ends_with(message), "{request}\n=> {answer}");
        }
        let version = raw_exchange(
            port,
            upgrade_request("/ws", "")
                .replace("Version: 13", "Version: 12")
                .as_bytes(),
        );
        assert!(
            version
                .to_ascii_lowercase()
                .contains("sec-websocket-version: 13, 8"),
            "{version}"
        );
        log.wait_for("5 client errors", |e| e.len() >= 5);
        assert!(
            log.entries()
                .contains(&"POST Invalid HTTP method".to_string())
        );
        // Garbage on the port closes that connection only; the server keeps working.
        let garbage = raw_exchange(port, b"\x00\x01\x02garbage\r\n\r\n");
        assert!(
            garbage.is_empty() || garbage.starts_with("HTTP/1.1 400"),
            "{garbage}"
        );
        let ws = WebSocket::new(&format!("ws://127.0.0.1:{port}/ws"));
        let opened = Log::new();
        let o = opened.clone();
        ws.on("open", move |ws: WebSocket| {
            o.push("open");
            ws.close();
        });
        support::wait_closed(&ws);
        assert_eq!(opened.entries(), vec!["open"]);
        wss.close();
    }
}

mod options {
    use super::*;

    #[test]
    fn port_in_use_is_an_error_event() {
        let (first, port) = echo_server();
        let second = WebSocketServer::new(ServerOptions {
            port: Some(port),
            host: Some("127.0.0.1".into()),
            ..Default::default()
        });
        let log = Log::new();
        let l = log.clone();
        second.on("error", move |e: Error| l.push(e.code()));
        assert_eq!(log.wait_for("error", |e| !e.is_empty()), vec!["EADDRINUSE"]);
        second.wait_close();
        first.close();
    }

    #[test]
    fn verify_client_refuses_with_401() {
        let (wss, port) = server(ServerOptions {
            verify_client: Some(VerifyClient::sync(|info| {
                info.req.header("authorization") == Some("Bearer good")
            })),
            ..Default::default()
        });
        wss.on("connection", |ws: WebSocket| ws.send("welcome"));
        let refused = WebSocket::new(&url(port));
        let log = Log::new();
        let (l1, l2) = (log.clone(), log.clone());
        refused.on("error", move |e: Error| l1.push(e.message().to_string()));
        refused.on("close", move |code: u16| l2.push(code.to_string()));
        support::wait_closed(&refused);
        assert_eq!(
            log.entries(),
            vec!["Unexpected server response: 401", "1006"]
        );

        let seen = Log::new();
        let s = seen.clone();
        let refused = WebSocket::new(&url(port));
        refused.on(
            "unexpected-response",
            move |_req: Request, res: Response| s.push(res.status().to_string()),
        );
        support::wait_closed(&refused);
        assert_eq!(seen.entries(), vec!["401"]);

        let allowed = WebSocket::with_options(
            &url(port),
            nodews::ClientOptions {
                headers: vec![("Authorization".into(), "Bearer good".into())],
                ..Default::default()
            },
        );
        let l = log.clone();
        allowed.on("message", move |ws: WebSocket, m: Message| {
            l.push(m.to_string());
            ws.close();
        });
        support::wait_closed(&allowed);
        assert_eq!(log.entries().last().unwrap(), "welcome");
        wss.close();
    }

    #[test]
    fn subprotocols_are_negotiated() {
        let (plain, port) = server(ServerOptions::default());
        let log = Log::new();
        let l = log.clone();
        plain.on("connection", move |ws: WebSocket| {
            l.push(format!("server {}", ws.protocol()))
        });
        let ws = WebSocket::with_protocols(&url(port), &["chat", "superchat"]);
        let l = log.clone();
        ws.on("open", move |ws: WebSocket| {
            l.push(format!("client {}", ws.protocol()));
            ws.close();
        });
        support::wait_closed(&ws);
        let mut entries = log.entries();
        entries.sort();
        assert_eq!(entries, vec!["client chat", "server chat"]);

        let (picky, port2) = server(ServerOptions {
            handle_protocols: Some(HandleProtocols::new(|offered, _req| {
                offered.iter().find(|p| *p == "superchat").cloned()
            })),
            ..Default::default()
        });
        let ws = WebSocket::with_protocols(&url(port2), &["chat", "superchat"]);
        let chosen = Log::new();
        let c = chosen.clone();
        ws.on("open", move |ws: WebSocket| {
            c.push(ws.protocol());
            ws.close();
        });
        support::wait_closed(&ws);
        assert_eq!(chosen.entries(), vec!["superchat"]);

        // Offered protocols but the server picked none: the client fails, as ws does.
        let (none, port3) = server(ServerOptions {
            handle_protocols: Some(HandleProtocols::new(|_, _| None)),
            ..Default::default()
        });
        let ws = WebSocket::with_protocols(&url(port3), &["chat"]);
        let errors = Log::new();
        let e = errors.clone();
        ws.on("error", move |err: Error| e.push(err.message().to_string()));
        support::wait_closed(&ws);
        assert_eq!(errors.entries(), vec!["Server sent no subprotocol"]);
        plain.close();
        picky.close();
        none.close();
    }

    #[test]
    fn headers_event_adds_response_headers() {
        let (wss, port) = echo_server();
        wss.on("headers", |headers: Headers, req: Request| {
            headers.push(format!("Set-Cookie: path={}", req.url()));
        });
        let ws = WebSocket::new(&format!("{}/room?x=1", url(port)));
        let log = Log::new();
        let l = log.clone();
        ws.on("upgrade", move |res: Response| {
            l.push(res.header("set-cookie").unwrap_or("none").to_string())
        });
        ws.on("open", |ws: WebSocket| ws.close());
        support::wait_closed(&ws);
        assert_eq!(log.entries(), vec!["path=/room?x=1"]);
        wss.close();
    }
}

mod connections {
    use super::*;

    #[test]
    fn connection_gets_the_request_and_clients_are_tracked() {
        let (wss, port) = server(ServerOptions::default());
        let log = Log::new();
        let l = log.clone();
        wss.on(
            "connection",
            move |wss: WebSocketServer, ws: WebSocket, req: Request| {
                // Like Node on a dual-stack socket, IPv4 peers show as ::ffff:a.b.c.d.
                let addr = req.remote_address().unwrap();
                l.push(format!(
                    "{} {} {} {}",
                    req.method(),
                    req.url(),
                    addr.ip().to_canonical(),
                    req.header("x-test").unwrap_or("")
                ));
                l.push(format!("clients {}", wss.clients().len()));
                assert!(wss.clients().contains(&ws));
            },
        );
        let ws = WebSocket::with_options(
            &format!("{}/path?q", url(port)),
            nodews::ClientOptions {
                headers: vec![("X-Test".into(), "yes".into())],
                ..Default::default()
            },
        );
        log.wait_for("connection", |e| e.len() == 2);
        ws.close();
        support::wait_closed(&ws);
        let entries = log.entries();
        assert_eq!(entries[0], "GET /path?q 127.0.0.1 yes");
        assert_eq!(entries[1], "clients 1");
        // The server forgets the socket once it has closed.
        let deadline = std::time::Instant::now() + support::PATIENCE;
        while !wss.clients().is_empty() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(wss.clients().is_empty());
        wss.close();
        wss.wait_close();
    }

    #[test]
    fn close_callback_and_closing_twice() {
        let (wss, _port) = echo_server();
        let log = Log::new();
        let l = log.clone();
        wss.on("listening", move || l.push("listening"));
        let l = log.clone();
        wss.close_with_callback(move |err| l.push(format!("closed {}", err.is_none())));
        wss.wait_close();
        let l = log.clone();
        wss.close_with_callback(move |err| {
            l.push(format!(
                "again {}",
                err.map(|e| e.message().to_string()).unwrap_or_default()
            ))
        });
        log.wait_for("second callback", |e| e.len() == 3);
        assert_eq!(
            log.entries(),
            vec![
                "listening",
                "closed true",
                "again The server is not running"
            ]
        );
    }
}

mod protocol_errors {
    use super::*;

    /// A server whose sockets log their `error` (code and close status) and `close`.
    fn logging_server() -> (WebSocketServer, u16, Log) {
        let (wss, port) = server(ServerOptions::default());
        let log = Log::new();
        let l = log.clone();
        wss.on("connection", move |ws: WebSocket| {
            let (l1, l2) = (l.clone(), l.clone());
            ws.on("error", move |e: Error| {
                l1.push(format!("{} {:?}", e.code(), e.close_code()))
            });
            ws.on("close", move |c: u16| l2.push(format!("close {c}")));
        });
        nodews::release_events();
        (wss, port, log)
    }

    /// Crafted frames (as ws's tests write raw bytes): the server reports ws's error
    /// code, answers with the close status, and reports 1006 itself. `with_request`:
    /// the bytes go in the same write as the upgrade request.
    fn violation_sent(with_request: bool, frame: Vec<u8>, code: &str, status: u16) {
        let (wss, port, log) = logging_server();
        let mut tcp = if with_request {
            raw_client_sending(port, &frame)
        } else {
            let mut tcp = raw_client(port);
            tcp.write_all(&frame).unwrap();
            tcp
        };
        let (opcode, payload) = read_frame(&mut tcp).expect("a close frame");
        assert_eq!(opcode, 8);
        assert_eq!(u16::from_be_bytes([payload[0], payload[1]]), status);
        assert_eq!(
            log.wait_for("close", |e| e.len() == 2),
            vec![format!("{code} Some({status})"), "close 1006".to_string()]
        );
        wss.close();
    }

    fn violation(frame: Vec<u8>, code: &str, status: u16) {
        violation_sent(false, frame, code, status)
    }

    #[test]
    fn unmasked_frame_is_1002() {
        violation(vec![0x81, 0x02, b'h', b'i'], "WS_ERR_EXPECTED_MASK", 1002);
    }

    #[test]
    fn unknown_opcode_is_1002() {
        violation(client_frame(0x85, b""), "WS_ERR_INVALID_OPCODE", 1002);
    }

    #[test]
    fn invalid_utf8_text_is_1007() {
        violation(
            client_frame(0x81, &[0xff, 0xfe]),
            "WS_ERR_INVALID_UTF8",
            1007,
        );
    }

    #[test]
    fn reserved_bit_is_1002() {
        violation(client_frame(0xc1, b"x"), "WS_ERR_UNEXPECTED_RSV_1", 1002);
    }

    /// Frames sent in the same write as the upgrade request (read by the HTTP parser
    /// along with it) are delivered, in order, before later ones.
    #[test]
    fn frames_sent_with_the_request_are_delivered() {
        let (wss, port) = echo_server();
        nodews::release_events();
        let mut early = client_frame(0x81, b"first");
        early.extend(client_frame(0x82, b"second"));
        let mut tcp = raw_client_sending(port, &early);
        tcp.write_all(&client_frame(0x81, b"third")).unwrap();
        assert_eq!(read_frame(&mut tcp), Some((1, b"first".to_vec())));
        assert_eq!(read_frame(&mut tcp), Some((2, b"second".to_vec())));
        assert_eq!(read_frame(&mut tcp), Some((1, b"third".to_vec())));
        wss.close();
    }

    /// Bad UTF-8 at the start of a text frame that came with the request fails the
    /// connection at once (1007), without waiting for the rest of the frame.
    #[test]
    fn bad_utf8_sent_with_the_request_fails_fast() {
        // A 20-byte text frame of which only 4 payload bytes are sent: 0xFF can start
        // no UTF-8 sequence.
        let mut payload = vec![b'o', b'k', 0xff, b'x'];
        payload.resize(20, 0);
        let mut frame = client_frame(0x81, &payload);
        frame.truncate(2 + 4 + 4);
        violation_sent(true, frame, "WS_ERR_INVALID_UTF8", 1007);
    }

    /// A peer that vanishes mid-frame is a 1006 close, with no error event (as ws).
    #[test]
    fn peer_vanishing_mid_frame_is_1006() {
        let (wss, port, log) = logging_server();
        let mut tcp = raw_client(port);
        tcp.write_all(&client_frame(0x81, b"hello")[..4]).unwrap();
        drop(tcp);
        assert_eq!(log.wait_for("close", |e| !e.is_empty()), vec!["close 1006"]);
        wss.close();
    }
}

/// The fourth subprotocol case: the server names a protocol the client never offered.
#[test]
fn server_sending_an_unoffered_subprotocol_is_an_error() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let peer = std::thread::spawn(move || {
        let (mut tcp, _) = listener.accept().unwrap();
        let mut buf = [0u8; 4096];
        let n = tcp.read(&mut buf).unwrap();
        let request = String::from_utf8_lossy(&buf[..n]).to_string();
        let key = request
            .lines()
            .find_map(|l| {
                l.split_once(':')
                    .filter(|(k, _)| k.eq_ignore_ascii_case("sec-websocket-key"))
                    .map(|(_, v)| v.trim().to_string())
            })
            .unwrap();
        let accept = support::accept_key(&key);
        write!(tcp, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\nSec-WebSocket-Protocol: surprise\r\n\r\n").unwrap();
        let _ = tcp.read(&mut buf);
    });
    let ws = WebSocket::new(&url(port));
    let log = Log::new();
    let (l1, l2, l3) = (log.clone(), log.clone(), log.clone());
    ws.on("open", move || l3.push("open"));
    ws.on("error", move |e: Error| l1.push(e.message().to_string()));
    ws.on("close", move |code: u16| l2.push(code.to_string()));
    support::wait_closed(&ws);
    assert_eq!(
        log.entries(),
        vec!["Server sent a subprotocol but none was requested", "1006"]
    );
    peer.join().unwrap();
}

/// Data of your own on a request (Node's `req.peerId = ...` in `headers`, read in
/// `connection`), on the socket (`ws.isAlive`) and on the server (`wss.count`).
#[test]
fn data_set_on_the_request_in_headers_is_seen_in_connection() {
    use nodews::{Headers, Request};
    struct PeerId(u32);
    let (wss, port) = support::server(ServerOptions::default());
    wss.set_data(std::sync::atomic::AtomicU32::new(0));
    wss.on("headers", |_headers: Headers, req: Request| {
        req.set_data(PeerId(42));
    });
    let log = Log::new();
    let l = log.clone();
    wss.on(
        "connection",
        move |wss: WebSocketServer, ws: WebSocket, req: Request| {
            let count = wss.data::<std::sync::atomic::AtomicU32>().unwrap();
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            ws.set_data(String::from("alive"));
            l.push(format!(
                "peer {} count {} ws {}",
                req.data::<PeerId>().map_or(0, |p| p.0),
                count.load(std::sync::atomic::Ordering::SeqCst),
                ws.data::<String>().unwrap()
            ));
        },
    );
    let client = WebSocket::new(&support::url(port));
    assert_eq!(
        log.wait_for("connection", |e| !e.is_empty()),
        vec!["peer 42 count 1 ws alive"]
    );
    client.close();
    support::wait_closed(&client);
    wss.close();
}

/// Graceful shutdown (`close_clients_on_close`): every queued message reaches the
/// client, then the close frame 1001; the server's `close` follows and `run()` returns.
#[test]
fn graceful_shutdown_delivers_queued_messages_then_1001() {
    const QUEUED: usize = 1000;
    let (wss, port) = support::server(ServerOptions {
        close_clients_on_close: true,
        ..Default::default()
    });
    let server = wss.clone();
    wss.on("connection", move |ws: WebSocket| {
        for i in 0..QUEUED {
            ws.send(format!("message {i}"));
        }
        // Shut down with all of them still queued.
        server.close();
    });
    let log = Log::new();
    let l = log.clone();
    wss.on("close", move || l.push("server close"));
    let client = WebSocket::new(&support::url(port));
    let got = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let g = got.clone();
    client.on("message", move |data: Message| {
        let i = g.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        assert_eq!(data, format!("message {i}").as_str());
    });
    let l = log.clone();
    client.on("close", move |code: u16, reason: String| {
        l.push(format!("client close {code} {reason}"))
    });
    nodews::run();
    assert_eq!(got.load(std::sync::atomic::Ordering::SeqCst), QUEUED);
    let mut entries = log.entries();
    entries.sort();
    assert_eq!(
        entries,
        vec!["client close 1001 server shutting down", "server close"]
    );
}

/// ws's `headers` listeners may edit the array, not only push to it.
#[test]
fn headers_listeners_can_edit_the_101_lines() {
    use nodews::{Headers, Request};
    let (wss, port) = support::server(ServerOptions::default());
    wss.on("headers", |headers: Headers, _req: Request| {
        headers.push("X-Drop: me");
        headers.push("X-Keep: 1");
        headers.edit(|lines| {
            lines.retain(|l| !l.starts_with("X-Drop:"));
            if let Some(keep) = lines.iter_mut().find(|l| l.starts_with("X-Keep:")) {
                *keep = "X-Keep: 2".to_string();
            }
        });
    });
    nodews::release_events();
    let answer = support::raw_exchange(port, support::upgrade_request("/", "").as_bytes());
    let head = answer
        .split("\r\n\r\n")
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 101"), "{head}");
    assert!(head.contains("\r\nx-keep: 2"), "{head}");
    assert!(!head.contains("x-drop"), "{head}");
    wss.close();
}
