//! wss interop with Node `ws` 8.23.0 on Node's `https` module, both directions, with
//! a self-signed certificate made for each test: trusted through `ca` on both sides,
//! and refused without it with the same error code on both sides. Needs `node` and
//! `npm` (ws is installed on first use).

mod support;

use std::path::PathBuf;

use nodews::https::{self, TlsOptions};
use nodews::{ClientOptions, Error, Message, Request, ServerOptions, WebSocket, WebSocketServer};
use support::{Log, lines_of, node};

/// A self-signed certificate for localhost and 127.0.0.1, as PEM text and as files
/// for Node (removed on drop).
struct Certificate {
    cert: String,
    key: String,
    dir: PathBuf,
}

impl Certificate {
    fn new(name: &str) -> Certificate {
        let generated =
            rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
                .unwrap();
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("node-tls-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let certificate = Certificate {
            cert: generated.cert.pem(),
            key: generated.signing_key.serialize_pem(),
            dir,
        };
        std::fs::write(certificate.cert_path(), &certificate.cert).unwrap();
        std::fs::write(certificate.key_path(), &certificate.key).unwrap();
        certificate
    }

    fn cert_path(&self) -> String {
        self.dir.join("cert.pem").display().to_string()
    }

    fn key_path(&self) -> String {
        self.dir.join("key.pem").display().to_string()
    }
}

impl Drop for Certificate {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

struct NodeServer {
    child: std::process::Child,
    log: Log,
    port: u16,
}

impl NodeServer {
    fn start(certificate: &Certificate) -> NodeServer {
        let mut child = node(
            "interop_tls_server.js",
            &[&certificate.cert_path(), &certificate.key_path()],
            &[],
        );
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

/// Our wss client against Node's `https` + `ws` server, trusting its certificate
/// through `ca`: greeting, text and binary echoes, and Node's close code.
#[test]
fn nodews_wss_client_against_node_https_server() {
    let certificate = Certificate::new("client");
    let server = NodeServer::start(&certificate);
    let ws = WebSocket::with_options(
        &format!("wss://127.0.0.1:{}", server.port),
        ClientOptions {
            ca: Some(certificate.cert.clone().into_bytes()),
            ..Default::default()
        },
    );
    ws.on("open", |ws: WebSocket| {
        ws.send("héllo over tls ✓");
        ws.send(vec![0u8, 1, 255]);
        ws.send("close please");
    });
    let log = Log::new();
    let (l1, l2, l3) = (log.clone(), log.clone(), log.clone());
    ws.on("message", move |data: Message, is_binary: bool| {
        l1.push(format!("{is_binary} {:?}", data.as_bytes()))
    });
    ws.on("error", move |e: Error| {
        l2.push(format!("error {}", e.code()))
    });
    ws.on("close", move |code: u16, reason: String| {
        l3.push(format!("close {code} {reason}"))
    });
    support::wait_closed(&ws);
    assert_eq!(
        log.entries(),
        vec![
            format!("false {:?}", "welcome over tls ✓".as_bytes()),
            format!("false {:?}", "héllo over tls ✓".as_bytes()),
            "true [0, 1, 255]".to_string(),
            "close 4005 node says bye".to_string(),
        ]
    );
    let node_lines = server
        .log
        .wait_for("node's close", |e| e.iter().any(|l| l.starts_with("close")));
    assert!(
        node_lines.contains(&"connection encrypted true".to_string()),
        "{node_lines:?}"
    );
    assert!(
        node_lines.contains(&"close 4005 node says bye".to_string()),
        "{node_lines:?}"
    );
}

/// Without `ca`, our client refuses Node's self-signed certificate with Node's code.
#[test]
fn nodews_wss_client_refuses_node_server_without_ca() {
    let certificate = Certificate::new("refuse");
    let server = NodeServer::start(&certificate);
    let ws = WebSocket::new(&format!("wss://127.0.0.1:{}", server.port));
    let log = Log::new();
    let (l1, l2) = (log.clone(), log.clone());
    ws.on("error", move |e: Error| {
        l1.push(format!("error {}", e.code()))
    });
    ws.on("close", move |code: u16| l2.push(format!("close {code}")));
    support::wait_closed(&ws);
    assert_eq!(
        log.entries(),
        vec!["error DEPTH_ZERO_SELF_SIGNED_CERT", "close 1006"]
    );
}

/// Our https server with a WebSocketServer on it.
fn nodews_wss_server(certificate: &Certificate) -> (nodews::http::HttpServer, u16, Log) {
    let server = https::create_server(
        TlsOptions::from_pem(certificate.cert.as_str(), certificate.key.as_str()),
        |_req, res| res.end("https from nodews\n"),
    );
    let wss = WebSocketServer::new(ServerOptions {
        server: Some(server.clone()),
        ..Default::default()
    });
    let log = Log::new();
    let l = log.clone();
    wss.on("connection", move |ws: WebSocket, req: Request| {
        l.push(format!("connection secure={}", req.is_secure()));
        let l = l.clone();
        ws.send("welcome over tls ✓");
        ws.on("message", |ws: WebSocket, data: Message| ws.send(data));
        ws.on("close", move |code: u16, reason: String| {
            l.push(format!("close {code} {reason}"))
        });
    });
    server.listen_on(Some("127.0.0.1"), 0, 511, || {});
    let port = server.address().unwrap().port();
    nodews::release_events();
    (server, port, log)
}

/// Node's client, trusting our certificate through `ca`, against our https server.
#[test]
fn node_wss_client_against_nodews_https_server() {
    let certificate = Certificate::new("server");
    let (server, port, log) = nodews_wss_server(&certificate);
    let mut child = node(
        "interop_tls_client.js",
        &[&format!("wss://127.0.0.1:{port}"), &certificate.cert_path()],
        &[],
    );
    let lines =
        lines_of(&mut child).wait_for("close", |e| e.iter().any(|l| l.starts_with("close")));
    assert_eq!(
        lines,
        vec![
            "open",
            "message text welcome over tls ✓",
            "message text héllo over tls ✓",
            "message binary 0001ff",
            "close 4321 done from node",
        ]
    );
    assert!(support::wait_child(&mut child, support::PATIENCE * 6).success());
    log.wait_contains("close 4321 done from node");
    assert_eq!(log.entries()[0], "connection secure=true");
    server.close();
}

/// Without `ca`, Node refuses our self-signed certificate: the same code as ours.
#[test]
fn node_wss_client_refuses_nodews_server_without_ca() {
    let certificate = Certificate::new("node-refuse");
    let (server, port, log) = nodews_wss_server(&certificate);
    let mut child = node(
        "interop_tls_client.js",
        &[&format!("wss://127.0.0.1:{port}")],
        &[],
    );
    let lines =
        lines_of(&mut child).wait_for("close", |e| e.iter().any(|l| l.starts_with("close")));
    assert_eq!(
        lines,
        vec![
            "error DEPTH_ZERO_SELF_SIGNED_CERT self-signed certificate",
            "close 1006 ",
        ]
    );
    support::wait_child(&mut child, support::PATIENCE * 6);
    assert!(log.entries().is_empty(), "{:?}", log.entries());
    server.close();
}
