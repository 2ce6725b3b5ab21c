//! Idle memory: what an open, idle connection costs a nodews echo server.
//!
//! The server runs in a process of its own (this binary, `idle-server` mode), so its
//! resident set holds nothing but the server. Node ws clients open the connections;
//! the server's `VmRSS` is read before, once all are open, and after all have closed.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use nodews::{Message, ServerOptions, WebSocket, WebSocketServer};

use crate::node::Peer;

/// Connections opened at once.
pub const CONNECTIONS: usize = 2000;

/// The default bound on bytes per idle connection (`IDLE_BYTES_PER_CONN_MAX`): a
/// healthy build needs ~2-3 KB (about 3x headroom for noise); a buffer of 8 KiB or
/// more kept per idle connection fails it, as stock tungstenite's 64+ KiB do.
pub const DEFAULT_MAX_BYTES_PER_CONN: u64 = 8192;

/// How long memory is left to settle before each reading.
const SETTLE: Duration = Duration::from_secs(1);

/// How long opening (or closing) every connection may take.
const OPEN_LIMIT: Duration = Duration::from_secs(60);

/// How long the server may take to report its port, or a process to exit.
const PATIENCE: Duration = Duration::from_secs(10);

/// The `idle-server` mode: a nodews echo server on 127.0.0.1, a free port. Prints
/// `port N`, serves until its stdin ends (the checker closed it or went away), exits.
pub fn serve() -> ! {
    let wss = WebSocketServer::new(ServerOptions {
        host: Some("127.0.0.1".into()),
        port: Some(0),
        ..Default::default()
    });
    wss.on("connection", |ws: WebSocket| {
        ws.on("message", |ws: WebSocket, data: Message| ws.send(data));
    });
    let Some(addr) = wss.address() else {
        eprintln!("idle server: could not bind 127.0.0.1:0");
        std::process::exit(1);
    };
    println!("port {}", addr.port());
    nodews::release_events();
    // Block until stdin ends; the checker never writes to it.
    let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
    std::process::exit(0);
}

/// The outcome of the check, for the summary.
pub struct Report {
    pub bytes_per_conn: Option<u64>,
    pub max: u64,
    /// Why the check failed, if it did.
    pub error: Option<String>,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.error.is_none() && self.bytes_per_conn.is_some_and(|b| b <= self.max)
    }
}

/// Runs the check, printing its lines; `max` is the bound on bytes per connection.
pub fn check(node_modules: &Path, max: u64) -> Report {
    let mut report = Report {
        bytes_per_conn: None,
        max,
        error: None,
    };
    if let Err(e) = measure(node_modules, &mut report) {
        report.error = Some(e);
    }
    match (&report.error, report.bytes_per_conn) {
        (Some(e), _) => println!("idle memory: FAIL: {e}"),
        (None, Some(b)) if b <= max => println!("idle memory: ok ({b} <= {max} bytes/conn)"),
        (None, b) => println!(
            "idle memory: FAIL ({} > {max} bytes/conn, the bound set by IDLE_BYTES_PER_CONN_MAX)",
            b.unwrap_or(0)
        ),
    }
    report
}

fn measure(node_modules: &Path, report: &mut Report) -> Result<(), String> {
    // The server needs a descriptor per connection: fail clearly rather than midway.
    let needed = CONNECTIONS as u64 + 256;
    if let Some(limit) = open_files_limit()
        && limit < needed
    {
        return Err(format!(
            "the open files limit is {limit}, {needed} are needed: raise `ulimit -n` (run.sh does)"
        ));
    }

    let exe = std::env::current_exe().map_err(|e| format!("locating this binary: {e}"))?;
    let mut cmd = Command::new(exe);
    cmd.arg("idle-server");
    let server = Peer::spawn(cmd, "the idle server")?;
    let line = server
        .out
        .wait_for("the idle server's port", PATIENCE, |l| {
            l.starts_with("port ")
        })
        .map_err(|e| format!("{e}{}", server.stderr_note()))?;
    let url = format!("ws://127.0.0.1:{}", &line[5..]);
    let pid = server.pid();

    std::thread::sleep(SETTLE);
    let before = rss(pid)?;
    println!(
        "idle server RSS before connecting:        {:>8} KiB",
        before / 1024
    );

    let count = CONNECTIONS.to_string();
    let mut clients = Peer::node("idle_clients.js", &[&url, &count], node_modules)?;
    let opened = clients
        .out
        .wait_for(
            &format!("{CONNECTIONS} open connections"),
            OPEN_LIMIT,
            |l| l.starts_with("open ") || l.starts_with("error "),
        )
        .map_err(|e| format!("{e}{}", clients.stderr_note()))?;
    if opened.starts_with("error ") {
        return Err(format!("node ws clients: {opened}"));
    }
    std::thread::sleep(SETTLE);
    let after = rss(pid)?;
    let per_conn = after.saturating_sub(before) / CONNECTIONS as u64;
    report.bytes_per_conn = Some(per_conn);
    println!(
        "idle server RSS with {CONNECTIONS} idle connections: {:>8} KiB",
        after / 1024
    );
    println!(
        "idle server memory per connection:        {per_conn:>8} bytes (bound {max})",
        max = report.max
    );

    clients.send_line("close")?;
    let closed = clients
        .out
        .wait_for("every connection to close", OPEN_LIMIT, |l| {
            l.starts_with("closed ") || l.starts_with("error ")
        })
        .map_err(|e| format!("{e}{}", clients.stderr_note()))?;
    if closed.starts_with("error ") {
        return Err(format!("node ws clients: {closed}"));
    }
    std::thread::sleep(SETTLE);
    let closed_rss = rss(pid)?;
    println!(
        "idle server RSS after all have closed:     {:>8} KiB",
        closed_rss / 1024
    );
    clients
        .finish(PATIENCE)
        .map_err(|e| format!("node ws clients: {e}"))?;
    server
        .finish(PATIENCE)
        .map_err(|e| format!("idle server: {e}"))?;
    Ok(())
}

/// A process's resident set size in bytes, from `VmRSS` in `/proc/PID/status`.
fn rss(pid: u32) -> Result<u64, String> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).map_err(|e| format!("reading {path}: {e}"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|kb| kb.trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .ok_or_else(|| format!("no VmRSS in {path}"))
}

/// This process's soft limit on open files (inherited by the server), if known.
fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}
