//! Runs every example, so none can rot: the seed ports talk to each other and to
//! their Node originals, and the echo server echoes.

mod support;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use nodews::{Message, WebSocket};
use support::{Log, free_port, lines_of, node};

/// `cargo test` builds the examples next to the test binaries' `deps/` folder.
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap().join("examples");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} missing: run through `cargo test`, which builds examples",
        path.display()
    );
    path
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(name: &str, port: u16) -> (Running, Log) {
    start_with(name, port, &[])
}

fn start_with(name: &str, port: u16, env: &[(&str, &str)]) -> (Running, Log) {
    let mut child = Command::new(example(name))
        .env("PORT", port.to_string())
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let log = lines_of(&mut child);
    (Running(child), log)
}

/// What the seed's comments say the client prints, in order (the server's reply to
/// the client's reply also contains "欢迎", so the client answers it again).
fn check_client_lines(lines: &[String]) {
    assert_eq!(lines[0], "成功连接到WebSocket服务器。", "{lines:#?}");
    let mut received: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("收到服务器消息: "))
        .collect();
    received.sort();
    assert!(
        received.contains(&"欢迎连接到我的WebSocket服务器!"),
        "{lines:#?}"
    );
    assert!(
        received.contains(&"服务器收到你的消息: 你好,服务器!我是客户端。"),
        "{lines:#?}"
    );
    assert!(
        received.contains(&"服务器收到你的消息: 服务器,我收到你的欢迎了!"),
        "{lines:#?}"
    );
    let n = lines.len();
    assert_eq!(
        &lines[n - 2..],
        &["客户端主动关闭连接。", "与服务器的连接已关闭。"],
        "{lines:#?}"
    );
}

fn check_server_lines(lines: &[String]) {
    assert!(
        lines[0].starts_with("WebSocket服务器在 http://localhost:"),
        "{lines:#?}"
    );
    assert_eq!(lines[1], "一个新的客户端连接了!", "{lines:#?}");
    assert_eq!(lines[2], "收到消息: 你好,服务器!我是客户端。", "{lines:#?}");
    assert!(
        lines.contains(&"收到消息: 服务器,我收到你的欢迎了!".to_string()),
        "{lines:#?}"
    );
    assert_eq!(
        lines.last().unwrap(),
        "一个客户端断开连接了。",
        "{lines:#?}"
    );
}

fn run_client(mut child: Child) -> Vec<String> {
    let log = lines_of(&mut child);
    let status = support::wait_child(&mut child, support::PATIENCE * 6);
    assert!(status.success(), "client failed: {status}");
    std::thread::sleep(std::time::Duration::from_millis(100)); // last lines of the pipe
    log.entries()
}

#[test]
fn seed_client_and_server_ports_talk() {
    let port = free_port();
    let (_server, server_log) = start("seed_server", port);
    server_log.wait_for("listening", |e| !e.is_empty());
    let client = Command::new(example("seed_client"))
        .env("PORT", port.to_string())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    check_client_lines(&run_client(client));
    check_server_lines(&server_log.wait_contains("一个客户端断开连接了。"));
}

#[test]
fn seed_client_port_against_node_seed_server() {
    let port = free_port();
    let mut server = Running(node("seed_server.js", &[], &[("PORT", port.to_string())]));
    let server_log = lines_of(&mut server.0);
    server_log.wait_for("listening", |e| !e.is_empty());
    let client = Command::new(example("seed_client"))
        .env("PORT", port.to_string())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    check_client_lines(&run_client(client));
    check_server_lines(&server_log.wait_contains("一个客户端断开连接了。"));
}

#[test]
fn node_seed_client_against_seed_server_port() {
    let port = free_port();
    let (_server, server_log) = start("seed_server", port);
    server_log.wait_for("listening", |e| !e.is_empty());
    let client = node("seed_client.js", &[], &[("PORT", port.to_string())]);
    check_client_lines(&run_client(client));
    check_server_lines(&server_log.wait_contains("一个客户端断开连接了。"));
}

#[test]
fn echo_example_echoes_text_and_binary() {
    let port = free_port();
    let (_server, server_log) = start("echo", port);
    server_log.wait_for("listening", |e| !e.is_empty());
    let ws = WebSocket::new(&format!("ws://127.0.0.1:{port}"));
    ws.on("open", |ws: WebSocket| {
        ws.send("text ✓");
        ws.send(vec![0u8, 255]);
    });
    let log = Log::new();
    let l = log.clone();
    ws.on(
        "message",
        move |ws: WebSocket, data: Message, is_binary: bool| {
            l.push(format!("{is_binary} {:?}", data.as_bytes()));
            if is_binary {
                ws.close();
            }
        },
    );
    support::wait_closed(&ws);
    assert_eq!(
        log.entries(),
        vec![
            format!("false {:?}", "text ✓".as_bytes()),
            "true [0, 255]".to_string()
        ]
    );
    assert_eq!(
        server_log.entries().len(),
        1,
        "echo logs nothing per message"
    );
}

/// Connects to an example and returns the first message, or the failure.
fn first_reply(url: &str) -> String {
    let ws = WebSocket::new(url);
    let log = Log::new();
    let (l1, l2) = (log.clone(), log.clone());
    ws.on("message", move |ws: WebSocket, data: Message| {
        l1.push(format!("message {data}"));
        ws.send("hello from the test");
        ws.close();
    });
    ws.on(
        "unexpected-response",
        move |_req: nodews::Request, res: nodews::Response| {
            l2.push(format!("refused {}", res.status()))
        },
    );
    support::wait_closed(&ws);
    log.entries().join("; ")
}

#[test]
fn shared_http_server_example_routes_two_paths() {
    let port = free_port();
    let (_server, log) = start("shared_http_server", port);
    log.wait_for("listening", |e| !e.is_empty());
    assert_eq!(
        first_reply(&format!("ws://127.0.0.1:{port}/foo")),
        "message this is /foo"
    );
    assert_eq!(
        first_reply(&format!("ws://127.0.0.1:{port}/bar")),
        "message this is /bar"
    );
    assert_eq!(first_reply(&format!("ws://127.0.0.1:{port}/baz")), "");
}

#[test]
fn auth_example_refuses_then_accepts() {
    let port = free_port();
    let (_server, log) = start("auth", port);
    log.wait_for("listening", |e| !e.is_empty());
    assert_eq!(
        first_reply(&format!("ws://127.0.0.1:{port}/?token=wrong")),
        "refused 401"
    );
    let ws = WebSocket::new(&format!("ws://127.0.0.1:{port}/?token=alice-secret"));
    ws.on("open", |ws: WebSocket| {
        ws.send("hi");
        ws.close();
    });
    support::wait_closed(&ws);
    log.wait_contains("Received message hi from user alice");
}

#[test]
fn client_ip_example_prints_both_addresses() {
    let port = free_port();
    let (_server, log) = start("client_ip", port);
    log.wait_for("listening", |e| !e.is_empty());
    let ws = WebSocket::with_options(
        &format!("ws://127.0.0.1:{port}"),
        nodews::ClientOptions {
            headers: vec![("X-Forwarded-For".into(), "203.0.113.9, 10.0.0.1".into())],
            ..Default::default()
        },
    );
    ws.on("open", |ws: WebSocket| ws.close());
    support::wait_closed(&ws);
    log.wait_contains("remote address: 127.0.0.1");
    log.wait_contains("forwarded for: 203.0.113.9");
}

#[test]
fn chat_example_serves_the_page_and_relays_to_others() {
    let port = free_port();
    let (_server, log) = start("chat", port);
    log.wait_for("listening", |e| !e.is_empty());
    let page = support::raw_exchange(
        port,
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(
        page.starts_with("HTTP/1.1 200 OK") && page.contains("new WebSocket("),
        "{page}"
    );
    let url = format!("ws://127.0.0.1:{port}/chat");
    let received = Log::new();
    let (a, b) = (WebSocket::new(&url), WebSocket::new(&url));
    let opened = Log::new();
    for (name, ws) in [("a", &a), ("b", &b)] {
        let (r, o) = (received.clone(), opened.clone());
        ws.on("message", move |data: Message| {
            r.push(format!("{name} got {data}"))
        });
        ws.on("open", move || o.push(name));
    }
    opened.wait_for("both open", |e| e.len() == 2);
    a.send("hi from a");
    received.wait_contains("b got hi from a");
    b.send("hi from b");
    received.wait_contains("a got hi from b");
    assert_eq!(
        received.entries().len(),
        2,
        "no one hears their own message: {:?}",
        received.entries()
    );
    a.close();
    b.close();
    support::wait_closed(&a);
    support::wait_closed(&b);
}

#[test]
fn broadcast_example_relays_to_everyone_including_the_sender() {
    let port = free_port();
    let (_server, log) = start("broadcast", port);
    log.wait_for("listening", |e| !e.is_empty());
    let url = format!("ws://127.0.0.1:{port}");
    let received = Log::new();
    let opened = Log::new();
    let sockets: Vec<WebSocket> = (0..3).map(|_| WebSocket::new(&url)).collect();
    for (i, ws) in sockets.iter().enumerate() {
        let (r, o) = (received.clone(), opened.clone());
        ws.on("message", move |data: Message, is_binary: bool| {
            r.push(format!("{i} {data} {is_binary}"))
        });
        ws.on("open", move || o.push("open"));
    }
    opened.wait_for("3 open", |e| e.len() == 3);
    sockets[0].send("news");
    sockets[1].send(vec![b'b', b'i', b'n']);
    let mut got = received.wait_for("6 deliveries", |e| e.len() == 6);
    got.sort();
    assert_eq!(
        got,
        vec![
            "0 bin true",
            "0 news false",
            "1 bin true",
            "1 news false",
            "2 bin true",
            "2 news false"
        ]
    );
    for ws in &sockets {
        ws.close();
        support::wait_closed(ws);
    }
}

#[test]
fn wss_example_serves_tls_with_its_generated_certificate() {
    let port = free_port();
    let cert_path =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("wss-example-{port}.pem"));
    let mut child = Command::new(example("wss"))
        .env("PORT", port.to_string())
        .env("CERT_OUT", &cert_path)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let log = lines_of(&mut child);
    let _server = Running(child);
    log.wait_contains(&format!("listening on port {port}"));
    let ws = WebSocket::with_options(
        &format!("wss://localhost:{port}"),
        nodews::ClientOptions {
            ca: Some(std::fs::read(&cert_path).unwrap()),
            ..Default::default()
        },
    );
    let received = Log::new();
    let (l1, l2) = (received.clone(), received.clone());
    ws.on("message", move |ws: WebSocket, data: Message| {
        l1.push(format!("message {data}"));
        ws.send("hello over wss");
        ws.close();
    });
    ws.on("error", move |e: nodews::Error| {
        l2.push(format!("error {e}"))
    });
    support::wait_closed(&ws);
    assert_eq!(received.entries(), vec!["message something"]);
    log.wait_contains("received: hello over wss");
    let _ = std::fs::remove_file(cert_path);
}

#[test]
fn heartbeat_example_terminates_a_client_that_stops_answering_pings() {
    use std::io::Read;
    use std::time::{Duration, Instant};
    let port = free_port();
    let (_server, server_log) = start_with("heartbeat", port, &[("HEARTBEAT_MS", "200")]);
    server_log.wait_for("listening", |e| !e.is_empty());
    // A healthy client: nodews answers pings by itself (auto_pong).
    let healthy = WebSocket::new(&format!("ws://127.0.0.1:{port}"));
    let log = Log::new();
    let l = log.clone();
    healthy.on("ping", move || l.push("ping"));
    // Its events (and with them its reading, so its pongs) start once this thread
    // returns to the loop; the loop below blocks this thread, so release them now.
    nodews::release_events();
    // A broken one: its handshake completed, then it never answers (a peer that
    // vanished without closing looks the same to the server).
    let mut broken = support::raw_client(port);
    let started = Instant::now();
    broken
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut buf = [0u8; 256];
    let ended = loop {
        match broken.read(&mut buf) {
            Ok(0) | Err(_) => break started.elapsed(),
            Ok(_) => {} // its pings, unanswered
        }
    };
    println!("heartbeat example: unresponsive client terminated after {ended:?}");
    assert!(
        ended >= Duration::from_millis(200) && ended < Duration::from_millis(1500),
        "{ended:?}"
    );
    server_log.wait_for("the termination", |e| {
        e.iter().any(|l| l.starts_with("terminating a client"))
    });
    log.wait_for("three pings to the healthy client", |e| e.len() >= 3);
    assert_eq!(healthy.ready_state(), WebSocket::OPEN);
    healthy.close();
    support::wait_closed(&healthy);
}
