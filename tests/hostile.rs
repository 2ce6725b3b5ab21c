//! Hostile and broken peers, as raw bytes: at our server (a canary connection must
//! keep echoing beside each probe) and from fake servers at our client, including
//! what the client sends again when it follows a redirect.

mod support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use nodews::{ClientOptions, Error, Message, Response, WebSocket};
use support::{Log, echo_server, raw_exchange, url};

/// An open connection to the echo server that must keep working.
fn canary(port: u16) -> (WebSocket, Log) {
    let ws = WebSocket::new(&url(port));
    let log = Log::new();
    let l = log.clone();
    ws.on("message", move |data: Message| l.push(data.to_string()));
    let l = log.clone();
    ws.on("open", move || l.push("open"));
    log.wait_contains("open");
    (ws, log)
}

fn still_echoes(canary: &(WebSocket, Log), probe: &str) {
    let (ws, log) = canary;
    ws.send(format!("after {probe}"));
    log.wait_contains(&format!("after {probe}"));
}

#[test]
fn server_refuses_http_1_0_and_requests_without_host() {
    let (wss, port) = echo_server();
    let canary = canary(port);
    let upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\n\
                   Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

    // RFC 6455 4.1: the opening handshake is HTTP/1.1 or higher.
    let answer = raw_exchange(
        port,
        format!("GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n{upgrade}\r\n").as_bytes(),
    );
    assert!(
        answer.starts_with("HTTP/1.0 505") || answer.starts_with("HTTP/1.1 505"),
        "{answer}"
    );
    still_echoes(&canary, "HTTP/1.0");

    // RFC 9112 3.2: a request without Host gets 400.
    let answer = raw_exchange(port, format!("GET / HTTP/1.1\r\n{upgrade}\r\n").as_bytes());
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    still_echoes(&canary, "no Host");

    canary.0.close();
    support::wait_closed(&canary.0);
    wss.close();
}

/// A fake server: accepts one connection, returns the request it read, and answers
/// with what `answer` makes of it (the accept key is computed from the request).
fn fake_server(
    answer: impl FnOnce(&str) -> String + Send + 'static,
) -> (u16, std::thread::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let (mut tcp, _) = listener.accept().unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let request = read_head(&mut tcp);
        tcp.write_all(answer(&request).as_bytes()).unwrap();
        // Leave the connection open a little, as a real server would.
        std::thread::sleep(Duration::from_millis(300));
        request
    });
    (port, handle)
}

fn read_head(tcp: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match tcp.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

fn header<'a>(request: &'a str, name: &str) -> Option<&'a str> {
    request.lines().find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn switching_protocols(request: &str, extra: &str) -> String {
    let key = header(request, "sec-websocket-key").unwrap_or_default();
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n{extra}\r\n",
        support::accept_key(key)
    )
}

/// Connects to a fake server and returns what the client reported.
fn client_outcome(port: u16, options: ClientOptions) -> Vec<String> {
    let ws = WebSocket::with_options(&format!("ws://127.0.0.1:{port}/"), options);
    let log = Log::new();
    let (l1, l2, l3) = (log.clone(), log.clone(), log.clone());
    ws.on("open", move || l1.push("open"));
    ws.on("error", move |e: Error| {
        l2.push(format!("error {}", e.message()))
    });
    ws.on("close", move |code: u16| l3.push(format!("close {code}")));
    support::wait_closed(&ws);
    log.entries()
}

#[test]
fn client_fails_on_an_extension_or_subprotocol_it_did_not_offer() {
    // (the server's extra 101 line, the subprotocols the client offers, its error)
    let cases: [(&str, &[&str], &str); 3] = [
        (
            "Sec-WebSocket-Extensions: permessage-deflate\r\n",
            &[],
            "Server sent a Sec-WebSocket-Extensions header but no extension was requested",
        ),
        (
            "Sec-WebSocket-Protocol: chat\r\n",
            &[],
            "Server sent a subprotocol but none was requested",
        ),
        (
            "Sec-WebSocket-Protocol: other\r\n",
            &["chat"],
            "Server sent an invalid subprotocol",
        ),
    ];
    for (extra, offered, error) in cases {
        let (port, server) = fake_server(move |request| switching_protocols(request, extra));
        let options = ClientOptions {
            protocols: offered.iter().map(|p| p.to_string()).collect(),
            ..Default::default()
        };
        let outcome = client_outcome(port, options);
        server.join().unwrap();
        assert_eq!(
            outcome,
            vec![format!("error {error}"), "close 1006".to_string()]
        );
    }
}

/// ws's redirect policy: `Authorization` and `Cookie` are not sent to another host
/// (nor `Host`), and not after a wss -> ws downgrade; on the same host they are.
#[test]
fn redirects_do_not_carry_credentials_to_another_host() {
    let credentials = || ClientOptions {
        follow_redirects: true,
        headers: vec![
            ("Authorization".into(), "Bearer secret".into()),
            ("Cookie".into(), "session=secret".into()),
            ("X-Trace".into(), "kept".into()),
        ],
        ..Default::default()
    };
    // The final server: refuses with 403, so the client stops there.
    let final_server = || {
        fake_server(|_request| "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n".to_string())
    };

    // A redirect to another port of 127.0.0.1: another host for ws (its `host`
    // includes the port), so the credentials stay behind.
    let (final_port, last) = final_server();
    let (first_port, first) = fake_server(move |_| {
        format!(
            "HTTP/1.1 302 Found\r\nLocation: ws://127.0.0.1:{final_port}/next\r\nContent-Length: 0\r\n\r\n"
        )
    });
    let ws = WebSocket::with_options(&format!("ws://127.0.0.1:{first_port}/"), credentials());
    let refused = Log::new();
    let r = refused.clone();
    ws.on(
        "unexpected-response",
        move |_req: nodews::Request, res: Response| r.push(format!("refused {}", res.status())),
    );
    support::wait_closed(&ws);
    let first = first.join().unwrap();
    let last = last.join().unwrap();
    assert_eq!(refused.entries(), vec!["refused 403"]);
    assert_eq!(header(&first, "authorization"), Some("Bearer secret"));
    assert_eq!(header(&first, "cookie"), Some("session=secret"));
    assert_eq!(header(&last, "authorization"), None, "{last}");
    assert_eq!(header(&last, "cookie"), None, "{last}");
    assert_eq!(header(&last, "x-trace"), Some("kept"));
    assert_eq!(
        header(&last, "host"),
        Some(format!("127.0.0.1:{final_port}").as_str())
    );

    // A redirect back to the very same host and port keeps them.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let mut heads = Vec::new();
        for answer in [
            "HTTP/1.1 302 Found\r\nLocation: /again\r\nContent-Length: 0\r\n\r\n",
            "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n",
        ] {
            let (mut tcp, _) = listener.accept().unwrap();
            tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            heads.push(read_head(&mut tcp));
            tcp.write_all(answer.as_bytes()).unwrap();
        }
        heads
    });
    let ws = WebSocket::with_options(&format!("ws://127.0.0.1:{port}/"), credentials());
    support::wait_closed(&ws);
    let heads = server.join().unwrap();
    assert_eq!(heads.len(), 2);
    assert_eq!(header(&heads[1], "authorization"), Some("Bearer secret"));
    assert_eq!(header(&heads[1], "cookie"), Some("session=secret"));
    assert!(heads[1].starts_with("GET /again "), "{}", heads[1]);
}

/// A masked binary frame of any size.
fn big_client_frame(payload: &[u8]) -> Vec<u8> {
    let mask = [1u8, 2, 3, 4];
    let mut f = vec![0x82, 0x80 | 127];
    f.extend_from_slice(&(payload.len() as u64).to_be_bytes());
    f.extend_from_slice(&mask);
    f.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    f
}

/// A peer that sends to an echo server and never reads: the server stops reading
/// from it once `high_water_mark` waits to be written (so the peer's writes block,
/// TCP's own backpressure), holds about that much, keeps serving others, and emits
/// `drain` once the peer reads again.
#[test]
fn a_peer_that_never_reads_is_paused_not_buffered() {
    use nodews::{ServerOptions, WebSocketServer};
    let (wss, port) = support::server(ServerOptions::default());
    let server_side = std::sync::Arc::new(parking_lot::Mutex::new(None::<WebSocket>));
    let (s, drains) = (server_side.clone(), Log::new());
    let d = drains.clone();
    wss.on("connection", move |ws: WebSocket| {
        let s = s.clone();
        ws.on(
            "message",
            move |ws: WebSocket, data: Message, is_binary: bool| {
                if is_binary {
                    // The peer's socket (the canary sends text).
                    s.lock().get_or_insert_with(|| ws.clone());
                }
                ws.send(data)
            },
        );
        let d = d.clone();
        ws.on("drain", move || d.push("drain"));
    });
    let _: &WebSocketServer = &wss;

    let mut peer = support::raw_client(port);
    let canary = canary(port);
    let frame = big_client_frame(&vec![7u8; 64 * 1024]);
    peer.set_write_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let offered = 64 * 1024 * 1024;
    let mut sent = 0usize;
    while sent < offered {
        match peer.write_all(&frame) {
            Ok(()) => sent += frame.len(),
            Err(_) => break, // blocked: the server stopped reading
        }
    }
    let queued = server_side.lock().as_ref().unwrap().buffered_amount();
    println!(
        "peer that never reads: {} KiB accepted of {} KiB offered; {} KiB queued for it",
        sent / 1024,
        offered / 1024,
        queued / 1024
    );
    assert!(
        sent < 32 * 1024 * 1024,
        "the server kept reading ({sent} bytes) from a peer that never reads"
    );
    // What it holds: up to the high-water mark still to write, plus the part of the
    // last batch already written (`buffered_amount()` drops when a batch is done).
    assert!(
        queued <= 2 * nodews::DEFAULT_HIGH_WATER_MARK + frame.len(),
        "{queued} bytes queued for the slow peer"
    );
    still_echoes(&canary, "a peer that never reads");

    // The peer reads now: what was queued leaves, and `drain` comes.
    peer.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut buf = vec![0u8; 1 << 20];
    while drains.entries().is_empty() {
        let _ = peer.read(&mut buf);
    }
    assert_eq!(drains.entries()[0], "drain");
    drop(peer);
    canary.0.close();
    support::wait_closed(&canary.0);
    wss.close();
}

/// Past `max_buffered_amount` (sent to a peer and not yet written), the socket fails
/// with 1008 and says why, instead of taking the server's memory.
#[test]
fn sends_past_max_buffered_amount_fail_the_socket_with_1008() {
    use nodews::ServerOptions;
    let (wss, port) = support::server(ServerOptions {
        max_buffered_amount: 1024 * 1024,
        ..Default::default()
    });
    let log = Log::new();
    let l = log.clone();
    wss.on("connection", move |ws: WebSocket| {
        let (l1, l2) = (l.clone(), l.clone());
        ws.on("error", move |e: Error| {
            l1.push(format!("error {} {:?}", e.code(), e.close_code()))
        });
        ws.on("close", move |code: u16| l2.push(format!("close {code}")));
        // A broadcast to a peer that never reads, 8 x 256 KiB at once.
        for _ in 0..8 {
            ws.send(vec![0u8; 256 * 1024]);
        }
    });
    let peer = support::raw_client(port);
    let entries = log.wait_for("error and close", |e| e.len() == 2);
    assert_eq!(
        entries,
        vec!["error WS_ERR_BUFFER_LIMIT Some(1008)", "close 1006"]
    );
    drop(peer);
    wss.close();
}

/// Slowloris: a connection that sends nothing, and one that sends its upgrade request
/// a byte at a time, are dropped when the headers timeout passes; 100 healthy clients on
/// the same server keep echoing meanwhile.
#[test]
fn slowloris_is_dropped_at_the_headers_timeout() {
    use nodews::ServerOptions;
    use nodews::http;
    use std::time::Instant;
    let server = http::create_server(|_req, res| res.end("ok"));
    server.set_headers_timeout(Duration::from_secs(1));
    let wss = nodews::WebSocketServer::new(ServerOptions {
        server: Some(server.clone()),
        ..Default::default()
    });
    wss.on("connection", |ws: WebSocket| {
        ws.on("message", |ws: WebSocket, data: Message| ws.send(data));
    });
    server.listen_on(Some("127.0.0.1"), 0, 511, || {});
    let port = server.address().unwrap().port();
    nodews::release_events();

    let started = Instant::now();
    let idle = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let dribbler = std::thread::spawn(move || {
        let mut tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let request = support::upgrade_request("/", "");
        for byte in request.as_bytes() {
            if tcp.write_all(&[*byte]).is_err() {
                return started.elapsed();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the whole request went through, byte by byte");
    });
    let healthy: Vec<_> = (0..100).map(|_| canary(port)).collect();
    for (i, c) in healthy.iter().enumerate() {
        still_echoes(c, &format!("slowloris {i}"));
    }
    // The idle connection: closed by the server (read gives 0 or an error).
    let mut idle = idle;
    idle.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 64];
    let closed_after = match idle.read(&mut buf) {
        Ok(0) | Err(_) => started.elapsed(),
        Ok(n) => panic!("the idle connection got {n} bytes"),
    };
    let dribbler_dropped = dribbler.join().unwrap();
    println!(
        "slowloris: idle dropped after {closed_after:?}, byte-by-byte after {dribbler_dropped:?}"
    );
    assert!(closed_after >= Duration::from_millis(900) && closed_after < Duration::from_secs(3));
    assert!(
        dribbler_dropped < Duration::from_secs(4),
        "{dribbler_dropped:?}"
    );
    for (i, c) in healthy.iter().enumerate() {
        still_echoes(c, &format!("after slowloris {i}"));
        c.0.close();
        support::wait_closed(&c.0);
    }
    wss.close();
    server.close();
}

/// The built-in heartbeat (`heartbeat_interval`): a peer that stops answering pings
/// is dropped within two intervals, server side and client side; a healthy one stays.
#[test]
fn heartbeat_drops_a_silent_peer_within_two_intervals() {
    use nodews::ServerOptions;
    use std::time::Instant;
    const EVERY: Duration = Duration::from_millis(200);
    let (wss, port) = support::server(ServerOptions {
        heartbeat_interval: Some(EVERY),
        ..Default::default()
    });
    let closes = Log::new();
    let l = closes.clone();
    wss.on("connection", move |ws: WebSocket| {
        let l = l.clone();
        ws.on("message", |ws: WebSocket, data: Message| ws.send(data));
        ws.on("close", move |code: u16| {
            l.push(format!("server close {code}"))
        });
    });
    let healthy = canary(port);
    let mut silent = support::raw_client(port);
    let started = Instant::now();
    silent
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut buf = [0u8; 256];
    let dropped = loop {
        match silent.read(&mut buf) {
            Ok(0) | Err(_) => break started.elapsed(),
            Ok(_) => {}
        }
    };
    println!("heartbeat: silent peer dropped by the server after {dropped:?}");
    assert!(
        dropped >= EVERY && dropped <= EVERY * 2 + EVERY / 2,
        "{dropped:?}"
    );
    assert_eq!(
        closes.wait_for("server close", |e| !e.is_empty()),
        vec!["server close 1006"]
    );
    std::thread::sleep(EVERY * 3);
    still_echoes(&healthy, "heartbeats");
    healthy.0.close();
    support::wait_closed(&healthy.0);
    wss.close();

    // The client side: a server that completes the handshake and then goes silent.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut tcp, _) = listener.accept().unwrap();
        let request = read_head(&mut tcp);
        tcp.write_all(switching_protocols(&request, "").as_bytes())
            .unwrap();
        // Silent from now on, but the connection stays open for 3 s.
        std::thread::sleep(Duration::from_secs(3));
    });
    let ws = WebSocket::with_options(
        &format!("ws://127.0.0.1:{port}/"),
        ClientOptions {
            heartbeat_interval: Some(Duration::from_millis(100)),
            ..Default::default()
        },
    );
    let log = Log::new();
    let l = log.clone();
    ws.on("close", move |code: u16| {
        l.push(format!("client close {code}"))
    });
    let started = Instant::now();
    support::wait_closed(&ws);
    let took = started.elapsed();
    println!("heartbeat: silent server dropped by the client after {took:?}");
    assert_eq!(log.entries(), vec!["client close 1006"]);
    assert!(took < Duration::from_millis(600), "{took:?}");
    server.join().unwrap();
}

/// A connection reset in the middle of a message: `error` (ECONNRESET), then close
/// 1006. A peer that goes away between messages gets 1006 alone, as in ws.
#[test]
fn a_reset_mid_message_is_an_error_then_1006() {
    use nodews::ServerOptions;
    let (wss, port) = support::server(ServerOptions::default());
    let log = Log::new();
    let l = log.clone();
    wss.on("connection", move |ws: WebSocket| {
        let (l1, l2) = (l.clone(), l.clone());
        ws.on("error", move |e: Error| {
            l1.push(format!("error {}", e.code()))
        });
        ws.on("close", move |code: u16| l2.push(format!("close {code}")));
    });
    let reset = |tcp: TcpStream| {
        // SO_LINGER 0: closing sends RST instead of FIN.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            tcp.set_nonblocking(true).unwrap();
            let tcp = tokio::net::TcpStream::from_std(tcp).unwrap();
            tcp.set_zero_linger().unwrap();
            drop(tcp);
        });
    };

    // Mid-message: a frame header announcing 1,000 bytes, then 10 of them, then RST.
    let mut peer = support::raw_client(port);
    let mut frame = vec![0x82, 0x80 | 126, 0x03, 0xE8, 1, 2, 3, 4];
    frame.extend_from_slice(&[0u8; 10]);
    peer.write_all(&frame).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    reset(peer);
    assert_eq!(
        log.wait_for("error and close", |e| e.len() == 2),
        vec!["error ECONNRESET", "close 1006"]
    );

    // Between messages: 1006 alone.
    let log2 = Log::new();
    let l = log2.clone();
    wss.remove_all_listeners(Some("connection"));
    wss.on("connection", move |ws: WebSocket| {
        let (l1, l2) = (l.clone(), l.clone());
        ws.on("error", move |e: Error| {
            l1.push(format!("error {}", e.code()))
        });
        ws.on("close", move |code: u16| l2.push(format!("close {code}")));
    });
    let peer = support::raw_client(port);
    std::thread::sleep(Duration::from_millis(100));
    reset(peer);
    assert_eq!(
        log2.wait_for("close", |e| !e.is_empty()),
        vec!["close 1006"]
    );
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(log2.entries(), vec!["close 1006"]);
    wss.close();
}

/// A peer's close frame with a code that may not be sent (1005, 999, 5000): ws's
/// `error` (WS_ERR_INVALID_CLOSE_CODE), a close frame with 1002 to the peer, `close`
/// 1006 here; RSV2 or RSV3 set: WS_ERR_UNEXPECTED_RSV_2_3. A canary keeps echoing.
#[test]
fn invalid_close_codes_and_rsv_bits_are_errors_with_ws_codes() {
    use nodews::ServerOptions;
    let (wss, port) = support::server(ServerOptions::default());
    let log = Log::new();
    let l = log.clone();
    wss.on("connection", move |ws: WebSocket| {
        let (l1, l2) = (l.clone(), l.clone());
        ws.on("message", |ws: WebSocket, data: Message| ws.send(data));
        ws.on("error", move |e: Error| {
            l1.push(format!("error {}", e.code()))
        });
        ws.on("close", move |code: u16| l2.push(format!("close {code}")));
    });
    let canary = canary(port);
    let cases: [(&str, Vec<u8>, &str); 4] = [
        (
            "1005",
            1005u16.to_be_bytes().to_vec(),
            "WS_ERR_INVALID_CLOSE_CODE",
        ),
        (
            "999",
            999u16.to_be_bytes().to_vec(),
            "WS_ERR_INVALID_CLOSE_CODE",
        ),
        (
            "5000",
            5000u16.to_be_bytes().to_vec(),
            "WS_ERR_INVALID_CLOSE_CODE",
        ),
        ("rsv2", Vec::new(), "WS_ERR_UNEXPECTED_RSV_2_3"),
    ];
    for (name, payload, code) in cases {
        let before = log.entries().len();
        let mut peer = support::raw_client(port);
        let first_byte = if name == "rsv2" { 0xA1 } else { 0x88 };
        peer.write_all(&support::client_frame(first_byte, &payload))
            .unwrap();
        let answer = support::read_frame(&mut peer);
        assert_eq!(
            answer,
            Some((0x8, 1002u16.to_be_bytes().to_vec())),
            "{name}: the peer gets close 1002"
        );
        let entries = log.wait_for(name, |e| e.len() == before + 2);
        assert_eq!(
            entries[before..],
            [format!("error {code}"), "close 1006".to_string()],
            "{name}"
        );
        still_echoes(&canary, name);
    }
    canary.0.close();
    support::wait_closed(&canary.0);
    wss.close();
}

/// The client side of backpressure: a server that sends and never reads, to a client
/// that echoes: the client stops reading once its high-water mark waits to be
/// written, so the server's writes block instead of the client's memory growing.
#[test]
fn a_client_stops_reading_from_a_server_that_never_reads() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut tcp, _) = listener.accept().unwrap();
        let request = read_head(&mut tcp);
        tcp.write_all(switching_protocols(&request, "").as_bytes())
            .unwrap();
        tcp.set_write_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        let mut frame = vec![0x82, 127];
        frame.extend_from_slice(&(64u64 * 1024).to_be_bytes());
        frame.extend_from_slice(&vec![5u8; 64 * 1024]);
        let offered = 64 * 1024 * 1024;
        let mut sent = 0usize;
        while sent < offered && tcp.write_all(&frame).is_ok() {
            sent += frame.len();
        }
        // Keep the connection open while the client is looked at.
        std::thread::sleep(Duration::from_millis(500));
        sent
    });
    let ws = WebSocket::new(&format!("ws://127.0.0.1:{port}/"));
    ws.on("message", |ws: WebSocket, data: Message| ws.send(data));
    nodews::release_events();
    std::thread::sleep(Duration::from_millis(1200));
    let queued = ws.buffered_amount();
    let sent = server.join().unwrap();
    println!(
        "server that never reads: it wrote {} KiB of 65536 KiB; {} KiB queued in the client",
        sent / 1024,
        queued / 1024
    );
    assert!(
        sent < 32 * 1024 * 1024,
        "the client kept reading: {sent} bytes"
    );
    assert!(
        queued <= 2 * nodews::DEFAULT_HIGH_WATER_MARK + 70 * 1024,
        "{queued} bytes queued in the client"
    );
    ws.terminate();
    support::wait_closed(&ws);
}
