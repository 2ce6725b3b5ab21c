//! The close-code matrix against real Node `ws`, both directions.
//!
//! Server side: a nodews echo server and Node ws clients. For each valid code the Node
//! client closes with it; the server must echo it (RFC 6455 5.5.1), so Node's `close`
//! event and the nodews server's `close` event both report it. For each invalid code
//! the Node client writes a raw close frame carrying it; the server must answer with
//! 1002 (RFC 6455 7.4.1), which Node's `close` event reports.
//!
//! Client side: a Node ws server and nodews clients. For each valid code the nodews
//! client closes with it, then Node's server closes with it; either way both `close`
//! events must report exactly that code.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nodews::{Message, ServerOptions, WebSocket, WebSocketServer};

use crate::node::Peer;

/// Every valid close code range: the registered codes an endpoint may send, and the
/// edges of the registered (3000-3999) and private (4000-4999) ranges.
pub const VALID: [u16; 16] = [
    1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999,
];

/// Codes a peer must not send: out of range, reserved, or only for local use (1005,
/// 1006, 1015 are never to be put on the wire).
pub const INVALID: [u16; 9] = [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000];

/// The code RFC 6455 requires in answer to an invalid close code: protocol error.
const PROTOCOL_ERROR: u16 = 1002;

/// How long one socket may take to close, or one peer to report a line.
const PATIENCE: Duration = Duration::from_secs(10);

/// How long the whole Node client run of the server side may take.
const NODE_CLIENT_LIMIT: Duration = Duration::from_secs(120);

/// What a row checks.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Node's client closes with a valid code; our server echoes it.
    ServerEcho,
    /// Node's client sends an invalid code raw; our server answers 1002.
    ServerInvalid,
    /// Our client closes with a valid code; Node's server echoes it.
    ClientCloses,
    /// Node's server closes with a valid code; our client echoes it.
    NodeCloses,
}

impl Check {
    fn side(self) -> &'static str {
        match self {
            Check::ServerEcho | Check::ServerInvalid => "server",
            Check::ClientCloses | Check::NodeCloses => "client",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Check::ServerEcho => "node ws client closes, nodews server echoes",
            Check::ServerInvalid => "node ws client sends invalid code (raw frame)",
            Check::ClientCloses => "nodews client closes, node ws server echoes",
            Check::NodeCloses => "node ws server closes, nodews client echoes",
        }
    }
}

/// One line of the table: the code each end's `close` event reported.
pub struct Row {
    pub check: Check,
    pub code: u16,
    /// What Node's `close` event reported (a code, or what went wrong).
    pub node_saw: String,
    /// What nodews's `close` event reported; `None` where it is not checked.
    pub nodews_saw: Option<String>,
    /// What both should have reported.
    pub expected: u16,
}

impl Row {
    pub fn ok(&self) -> bool {
        let want = self.expected.to_string();
        self.node_saw == want && self.nodews_saw.as_ref().is_none_or(|s| *s == want)
    }
}

/// The table, then `close codes: S/16 server side, C/16 client side, invalid I/9`.
pub fn print(rows: &[Row]) {
    println!(
        "{:<7} {:<46} {:>5}  {:<14} {:<14} result",
        "side", "check", "code", "node ws saw", "nodews saw"
    );
    for row in rows {
        let result = if row.ok() {
            "ok".to_string()
        } else {
            format!("FAIL (expected {})", row.expected)
        };
        println!(
            "{:<7} {:<46} {:>5}  {:<14} {:<14} {result}",
            row.check.side(),
            row.check.describe(),
            row.code,
            row.node_saw,
            row.nodews_saw.as_deref().unwrap_or("-"),
        );
    }
    println!("{}", summary(rows));
}

/// Counts per side: a code passes the client side when both client checks pass.
pub fn summary(rows: &[Row]) -> String {
    let passed = |check: Check, code: u16| {
        rows.iter()
            .any(|r| r.check == check && r.code == code && r.ok())
    };
    let server = VALID
        .iter()
        .filter(|&&c| passed(Check::ServerEcho, c))
        .count();
    let client = VALID
        .iter()
        .filter(|&&c| passed(Check::ClientCloses, c) && passed(Check::NodeCloses, c))
        .count();
    let invalid = INVALID
        .iter()
        .filter(|&&c| passed(Check::ServerInvalid, c))
        .count();
    format!(
        "close codes: {server}/{} server side, {client}/{} client side, invalid {invalid}/{}",
        VALID.len(),
        VALID.len(),
        INVALID.len()
    )
}

/// Runs both directions; a peer that cannot start fails every row it would have run.
pub fn run(node_modules: &Path) -> Vec<Row> {
    let mut rows = server_side(node_modules);
    rows.extend(client_side(node_modules));
    rows
}

/// Codes a nodews emitter's `close` event reported, by request path.
type Seen = Arc<Mutex<HashMap<String, u16>>>;

/// Waits up to [`PATIENCE`] for `path` to appear in `seen`.
fn wait_seen(seen: &Seen, path: &str) -> String {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(code) = seen.lock().unwrap().get(path) {
            return code.to_string();
        }
        if Instant::now() >= deadline {
            return "no close".into();
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A nodews echo server on 127.0.0.1 and Node's `close_client.js` against it.
fn server_side(node_modules: &Path) -> Vec<Row> {
    let wss = WebSocketServer::new(ServerOptions {
        host: Some("127.0.0.1".into()),
        port: Some(0),
        ..Default::default()
    });
    let seen: Seen = Arc::default();
    let s = seen.clone();
    wss.on("connection", move |ws: WebSocket, req: nodews::Request| {
        let (s, path) = (s.clone(), req.url().to_string());
        ws.on("message", |ws: WebSocket, data: Message| ws.send(data));
        ws.on("close", move |code: u16| {
            s.lock().unwrap().insert(path.clone(), code);
        });
    });
    // From here on the server's events may fire (see nodews's race rule).
    nodews::release_events();

    let list = |codes: &[u16]| codes.iter().map(u16::to_string).collect::<Vec<_>>();
    let (valid, invalid) = (list(&VALID).join(","), list(&INVALID).join(","));
    let outcome = match wss.address() {
        None => Err("the nodews server did not bind 127.0.0.1:0".to_string()),
        Some(addr) => {
            let url = format!("ws://127.0.0.1:{}", addr.port());
            Peer::node("close_client.js", &[&url, &valid, &invalid], node_modules).and_then(
                |peer| {
                    let done =
                        peer.out
                            .wait_for("close_client.js to finish", NODE_CLIENT_LIMIT, |l| {
                                l == "done" || l.starts_with("fatal")
                            });
                    let lines = peer.out.all();
                    let note = peer.stderr_note();
                    let _ = peer.finish(PATIENCE);
                    done.map(|_| lines).map_err(|e| format!("{e}{note}"))
                },
            )
        }
    };
    let lines = outcome.unwrap_or_else(|e| {
        eprintln!("server side: {e}");
        Vec::new()
    });
    // `valid CODE GOT` / `invalid CODE GOT`: GOT is a code or `error ...`.
    let node_saw = |kind: &str, code: u16| {
        let prefix = format!("{kind} {code} ");
        lines
            .iter()
            .find_map(|l| l.strip_prefix(&prefix))
            .unwrap_or("no result")
            .to_string()
    };

    let mut rows = Vec::new();
    for code in VALID {
        rows.push(Row {
            check: Check::ServerEcho,
            code,
            node_saw: node_saw("valid", code),
            nodews_saw: Some(wait_seen(&seen, &format!("/valid/{code}"))),
            expected: code,
        });
    }
    for code in INVALID {
        rows.push(Row {
            check: Check::ServerInvalid,
            code,
            node_saw: node_saw("invalid", code),
            // nodews reports a connection it failed as 1006 itself; only the code on
            // the wire, which Node reports, is specified.
            nodews_saw: None,
            expected: PROTOCOL_ERROR,
        });
    }
    wss.close();
    rows
}

/// Node's `close_server.js` and nodews clients against it.
fn client_side(node_modules: &Path) -> Vec<Row> {
    let started = Peer::node("close_server.js", &[], node_modules).and_then(|peer| {
        let line = peer
            .out
            .wait_for("close_server.js to listen", PATIENCE, |l| {
                l.starts_with("port ")
            })
            .map_err(|e| format!("{e}{}", peer.stderr_note()))?;
        let port: u16 = line[5..]
            .parse()
            .map_err(|e| format!("bad port line {line:?}: {e}"))?;
        Ok((peer, port))
    });
    let (server, port) = match started {
        Ok(started) => started,
        Err(e) => {
            eprintln!("client side: {e}");
            return VALID
                .iter()
                .flat_map(|&code| [Check::ClientCloses, Check::NodeCloses].map(|c| (c, code)))
                .map(|(check, code)| Row {
                    check,
                    code,
                    node_saw: "no server".into(),
                    nodews_saw: Some("no server".into()),
                    expected: code,
                })
                .collect();
        }
    };

    let mut rows = Vec::new();
    for code in VALID {
        for check in [Check::ClientCloses, Check::NodeCloses] {
            let path = match check {
                Check::ClientCloses => format!("/nodews-closes/{code}"),
                _ => format!("/node-closes/{code}"),
            };
            let nodews_saw = client_close(&format!("ws://127.0.0.1:{port}{path}"), check, code);
            // `closed PATH CODE`, printed by Node's server when its socket closed.
            let prefix = format!("closed {path} ");
            let node_saw = server
                .out
                .wait_for(&format!("node's close of {path}"), PATIENCE, |l| {
                    l.starts_with(&prefix)
                })
                .map(|l| l[prefix.len()..].to_string())
                .unwrap_or_else(|_| "no close".into());
            rows.push(Row {
                check,
                code,
                node_saw,
                nodews_saw: Some(nodews_saw),
                expected: code,
            });
        }
    }
    let _ = server.finish(PATIENCE);
    rows
}

/// One nodews client: connects to `url`, closes with `code` itself if `check` says
/// so, and returns the code its `close` event reported (or what went wrong).
fn client_close(url: &str, check: Check, code: u16) -> String {
    let result: Arc<Mutex<Option<String>>> = Arc::default();
    let ws = WebSocket::new(url);
    if check == Check::ClientCloses {
        let r = result.clone();
        ws.on("open", move |ws: WebSocket| {
            if let Err(e) = ws.close_with(code, &format!("nodews closes {code}")) {
                *r.lock().unwrap() = Some(format!("close_with: {e}"));
                ws.terminate();
            }
        });
    }
    let r = result.clone();
    ws.on("close", move |c: u16| {
        r.lock().unwrap().get_or_insert(c.to_string());
    });
    // An error is followed by `close`; keep the error's text for the table.
    let r = result.clone();
    ws.on("error", move |e: nodews::Error| {
        r.lock()
            .unwrap()
            .get_or_insert(format!("error {}", e.code()));
    });
    if !ws.wait_close_timeout(PATIENCE) {
        ws.terminate();
        return format!("no close in {PATIENCE:?}");
    }
    result
        .lock()
        .unwrap()
        .take()
        .unwrap_or_else(|| "no close".into())
}
