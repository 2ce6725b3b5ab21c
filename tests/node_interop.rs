//! Interop with Node `ws` 8.23.0 itself, both directions: our server with its client,
//! its server with our client. Needs `node` and `npm` (ws is installed on first use).

mod support;

use nodews::{Error, Message, SendOptions, WebSocket};
use support::{Log, echo_server, lines_of, node, url};

/// Node's client against our echo server: text (non-ASCII), binary, empty, a
/// fragmented message, ping/pong, and a close code with a reason, seen on both ends.
#[test]
fn node_client_against_nodews_server() {
    let (wss, port) = echo_server();
    let server_log = Log::new();
    let l = server_log.clone();
    wss.on("connection", move |ws: WebSocket| {
        let (l1, l2) = (l.clone(), l.clone());
        ws.on("ping", move |data: nodews::Bytes| {
            l1.push(format!("ping {}", String::from_utf8_lossy(&data)))
        });
        ws.on("close", move |code: u16, reason: String| {
            l2.push(format!("close {code} {reason}"))
        });
    });
    nodews::release_events();
    let mut child = node("interop_client.js", &[&url(port)], &[]);
    let node_log = lines_of(&mut child);
    let lines = node_log.wait_for("node's close", |e| e.iter().any(|l| l.starts_with("close")));
    assert_eq!(lines[0], "open ");
    let mut middle = lines[1..lines.len() - 1].to_vec();
    middle.sort();
    assert_eq!(
        middle,
        vec![
            "message binary 000102ff",
            "message text \"\"",
            "message text \"fragment\"",
            "message text \"héllo wörld ✓\"",
            "pong pingdata",
        ]
    );
    assert_eq!(lines.last().unwrap(), "close 4321 done from node");
    let seen = server_log.wait_for("server close", |e| e.iter().any(|l| l.starts_with("close")));
    assert!(seen.contains(&"ping pingdata".to_string()), "{seen:?}");
    assert!(
        seen.contains(&"close 4321 done from node".to_string()),
        "{seen:?}"
    );
    assert!(support::wait_child(&mut child, support::PATIENCE * 6).success());
    wss.close();
}

/// Node's client terminating: we see 1006.
#[test]
fn node_client_terminate_is_1006_here() {
    let (wss, port) = echo_server();
    let log = Log::new();
    let l = log.clone();
    wss.on("connection", move |ws: WebSocket| {
        let l = l.clone();
        ws.on("close", move |code: u16| l.push(code.to_string()));
    });
    nodews::release_events();
    let mut child = node("interop_client.js", &[&url(port), "terminate"], &[]);
    assert_eq!(log.wait_for("close", |e| !e.is_empty()), vec!["1006"]);
    support::wait_child(&mut child, support::PATIENCE * 6);
    wss.close();
}

/// Node's client offering two subprotocols: our server picks the first by default.
#[test]
fn node_client_subprotocol() {
    let (wss, port) = echo_server();
    nodews::release_events();
    let mut child = node("interop_client.js", &[&url(port), "protocols"], &[]);
    let lines =
        lines_of(&mut child).wait_for("close", |e| e.iter().any(|l| l.starts_with("close")));
    assert_eq!(lines, vec!["open first", "close 1000 ok"]);
    wss.close();
}

struct NodeServer {
    child: std::process::Child,
    log: Log,
    port: u16,
}

impl NodeServer {
    fn start() -> NodeServer {
        let mut child = node("interop_server.js", &[], &[]);
        let log = lines_of(&mut child);
        let lines = log.wait_for("port", |e| !e.is_empty());
        let port = lines[0].strip_prefix("port ").unwrap().parse().unwrap();
        NodeServer { child, log, port }
    }
}

impl Drop for NodeServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Our client against Node's server: text, binary, large, fragments, ping, and a
/// close initiated by Node with a code and reason.
#[test]
fn nodews_client_against_node_server() {
    let server = NodeServer::start();
    let ws = WebSocket::new(&url(server.port));
    let log = Log::new();
    let big = "x".repeat(1 << 20);
    let b = big.clone();
    ws.on("open", move |ws: WebSocket| {
        ws.send("héllo ✓");
        ws.send(vec![9u8, 8, 7]);
        ws.send(b.clone());
        ws.send_with(
            "frag",
            SendOptions {
                fin: false,
                ..Default::default()
            },
        );
        ws.send_with("ment", SendOptions::default());
        ws.ping("from rust").unwrap();
        ws.send("close please");
    });
    let l = log.clone();
    ws.on("message", move |data: Message, is_binary: bool| {
        let shown = if data.len() > 100 {
            format!("{} bytes", data.len())
        } else {
            data.to_string()
        };
        l.push(format!(
            "{} {shown}",
            if is_binary { "binary" } else { "text" }
        ));
    });
    let l = log.clone();
    ws.on("pong", move |data: nodews::Bytes| {
        l.push(format!("pong {}", String::from_utf8_lossy(&data)))
    });
    let l = log.clone();
    ws.on("close", move |code: u16, reason: String| {
        l.push(format!("close {code} {reason}"))
    });
    support::wait_closed(&ws);
    let mut entries = log.entries();
    assert_eq!(entries.remove(0), "text welcome ✓");
    assert_eq!(entries.pop().unwrap(), "close 4005 node says bye");
    let mut rest = entries.clone();
    rest.sort();
    assert_eq!(
        rest,
        vec![
            "binary \u{9}\u{8}\u{7}".to_string(),
            "pong from rust".to_string(),
            format!("text {} bytes", big.len()),
            "text fragment".to_string(),
            "text héllo ✓".to_string(),
        ]
    );
    let node_lines = server
        .log
        .wait_for("node's close", |e| e.iter().any(|l| l.starts_with("close")));
    assert!(
        node_lines.contains(&"ping from rust".to_string()),
        "{node_lines:?}"
    );
    assert!(
        node_lines.contains(&"close 4005 node says bye".to_string()),
        "{node_lines:?}"
    );
}

/// Close codes both ways with Node's server: our code and reason reach Node; Node's
/// `close()` without status is 1005 here; Node's `terminate()` is 1006 here.
#[test]
fn close_codes_with_node_server() {
    let server = NodeServer::start();
    let reason = "r".repeat(123);
    for (message, expected) in [
        ("close without status", "close 1005 ".to_string()),
        ("terminate please", "close 1006 ".to_string()),
    ] {
        let ws = WebSocket::new(&url(server.port));
        ws.on("open", move |ws: WebSocket| ws.send(message));
        let log = Log::new();
        let l = log.clone();
        ws.on("close", move |code: u16, reason: String| {
            l.push(format!("close {code} {reason}"))
        });
        support::wait_closed(&ws);
        assert_eq!(log.entries(), vec![expected]);
    }
    let ws = WebSocket::new(&url(server.port));
    let r = reason.clone();
    ws.on("open", move |ws: WebSocket| {
        ws.close_with(3999, &r).unwrap()
    });
    support::wait_closed(&ws);
    let expected = format!("close 3999 {reason}");
    server
        .log
        .wait_for("node saw our close", |e| e.contains(&expected));
}

/// Subprotocol negotiation with Node's `handleProtocols`.
#[test]
fn nodews_client_subprotocol_with_node_server() {
    let server = NodeServer::start();
    let ws = WebSocket::with_protocols(&url(server.port), &["first", "second"]);
    let log = Log::new();
    let l = log.clone();
    ws.on("open", move |ws: WebSocket| {
        l.push(ws.protocol());
        ws.close();
    });
    let l = log.clone();
    ws.on("error", move |e: Error| l.push(e.to_string()));
    support::wait_closed(&ws);
    assert_eq!(log.entries(), vec!["second"]);
}

const CODES: [u16; 16] = [
    1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999,
];

/// The matrix against Node's client: every valid close code range both ways with a
/// 123-byte reason, and 16 MiB text and binary messages echoed intact.
#[test]
fn matrix_node_client_against_nodews_server() {
    let (wss, port) = support::server(nodews::ServerOptions::default());
    let seen = Log::new();
    let s = seen.clone();
    wss.on("connection", move |ws: WebSocket| {
        let s = s.clone();
        ws.on("message", |ws: WebSocket, data: Message| {
            match data.as_str().and_then(|t| t.strip_prefix("close:")) {
                Some(code) => ws
                    .close_with(code.parse().unwrap(), &"r".repeat(123))
                    .unwrap(),
                None => ws.send(data),
            }
        });
        ws.on("close", move |code: u16, reason: String| {
            s.push(format!("{code} {}", reason.len()))
        });
    });
    nodews::release_events();
    let mut child = node("interop_matrix.js", &[&url(port)], &[]);
    let out = lines_of(&mut child);
    assert!(
        support::wait_child(&mut child, support::PATIENCE * 6).success(),
        "{:?}",
        out.entries()
    );
    let lines = out.wait_for("all lines", |e| e.len() == 2 * CODES.len() + 2);
    for code in CODES {
        assert!(
            lines.contains(&format!("node-closed {code} {code} true")),
            "{code}: {lines:?}"
        );
        assert!(
            lines.contains(&format!("nodews-closed {code} {code} true")),
            "{code}: {lines:?}"
        );
    }
    assert!(lines.contains(&"big-text true".to_string()), "{lines:?}");
    assert!(lines.contains(&"big-binary true".to_string()), "{lines:?}");
    let server_side = seen.wait_for("server closes", |e| e.len() >= 2 * CODES.len());
    for code in CODES {
        assert_eq!(
            server_side
                .iter()
                .filter(|l| **l == format!("{code} 123"))
                .count(),
            2,
            "{code}: {server_side:?}"
        );
    }
    wss.close();
}

/// The matrix against Node's server: our client closes with every code range, Node's
/// server closes with every code range, and 16 MiB text and binary come back intact.
#[test]
fn matrix_nodews_client_against_node_server() {
    let server = NodeServer::start();
    let reason = "r".repeat(123);
    for code in CODES {
        // We close.
        let ws = WebSocket::new(&url(server.port));
        let r = reason.clone();
        ws.on("open", move |ws: WebSocket| {
            ws.close_with(code, &r).unwrap()
        });
        let log = Log::new();
        let l = log.clone();
        ws.on("close", move |c: u16, reason: String| {
            l.push(format!("{c} {}", reason.len()))
        });
        support::wait_closed(&ws);
        assert_eq!(log.entries(), vec![format!("{code} 123")]);
        // Node closes.
        let ws = WebSocket::new(&url(server.port));
        ws.on("open", move |ws: WebSocket| {
            ws.send(format!("close:{code}"))
        });
        let log = Log::new();
        let l = log.clone();
        ws.on("close", move |c: u16, reason: String| {
            l.push(format!("{c} {}", reason.len()))
        });
        support::wait_closed(&ws);
        assert_eq!(log.entries(), vec![format!("{code} 123")]);
    }
    let big = 16 * 1024 * 1024;
    let text = "é".repeat(big / 2);
    let binary: Vec<u8> = (0..big).map(|i| (i * 7 % 251) as u8).collect();
    let ws = WebSocket::with_options(
        &url(server.port),
        nodews::ClientOptions {
            max_payload: 64 << 20,
            ..Default::default()
        },
    );
    let (t, b) = (text.clone(), binary.clone());
    ws.on("open", move |ws: WebSocket| {
        ws.send(t.clone());
        ws.send(b.clone());
    });
    let log = Log::new();
    let l = log.clone();
    let (t, b) = (text.clone(), binary.clone());
    ws.on(
        "message",
        move |ws: WebSocket, data: Message, is_binary: bool| {
            if data.len() < 1000 {
                return; // the welcome
            }
            l.push(if is_binary {
                format!("binary {}", data.as_bytes() == &b[..])
            } else {
                format!("text {}", data == t.as_str())
            });
            if is_binary {
                ws.close();
            }
        },
    );
    support::wait_closed(&ws);
    assert_eq!(log.entries(), vec!["text true", "binary true"]);
}

/// Node's client through one nodews HTTP server shared by two WebSocketServers on two
/// paths: each path reaches its own server.
#[test]
fn node_client_through_shared_http_server_paths() {
    let server = nodews::http::create_server(|_req, res| res.end("http"));
    let log = Log::new();
    for path in ["/a", "/b"] {
        let wss = nodews::WebSocketServer::new(nodews::ServerOptions {
            server: Some(server.clone()),
            path: Some(path.into()),
            ..Default::default()
        });
        let l = log.clone();
        wss.on("connection", move |_ws: WebSocket, req: nodews::Request| {
            l.push(format!("{path} got {}", req.url()))
        });
        let _ = wss; // kept alive by the HTTP server it is attached to
    }
    server.listen_on(Some("127.0.0.1"), 0, 511, || {});
    let port = server.address().unwrap().port();
    nodews::release_events();
    for path in ["/a", "/b"] {
        let mut child = node(
            "interop_client.js",
            &[&format!("{}{path}", url(port)), "protocols"],
            &[],
        );
        let lines =
            lines_of(&mut child).wait_for("close", |e| e.iter().any(|l| l.starts_with("close")));
        assert_eq!(lines, vec!["open first", "close 1000 ok"]);
        assert!(support::wait_child(&mut child, support::PATIENCE).success());
    }
    let mut seen = log.wait_for("both", |e| e.len() == 2);
    seen.sort();
    assert_eq!(seen, vec!["/a got /a", "/b got /b"]);
    server.close();
}
