//! Shared test helpers: an event log that tests can wait on, and servers on port 0.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use nodews::{Message, ServerOptions, WebSocket, WebSocketServer};
use parking_lot::{Condvar, Mutex};

/// How long any wait may take before the test fails (generous: CI machines are slow).
pub const PATIENCE: Duration = Duration::from_secs(10);

/// An ordered log of what listeners saw, shared with them by cloning.
#[derive(Clone, Default)]
pub struct Log {
    inner: Arc<(Mutex<Vec<String>>, Condvar)>,
}

impl Log {
    pub fn new() -> Log {
        Log::default()
    }

    pub fn push(&self, entry: impl Into<String>) {
        let (lock, changed) = &*self.inner;
        lock.lock().push(entry.into());
        changed.notify_all();
    }

    pub fn entries(&self) -> Vec<String> {
        self.inner.0.lock().clone()
    }

    /// Waits until `done` holds for the log; panics with the log after [`PATIENCE`].
    #[track_caller]
    pub fn wait_for(&self, what: &str, done: impl Fn(&[String]) -> bool) -> Vec<String> {
        nodews::release_events();
        let (lock, changed) = &*self.inner;
        let deadline = Instant::now() + PATIENCE;
        let mut entries = lock.lock();
        while !done(&entries) {
            if changed.wait_until(&mut entries, deadline).timed_out() && !done(&entries) {
                panic!("timed out waiting for {what}; log so far: {:#?}", *entries);
            }
        }
        entries.clone()
    }

    /// Waits until the log contains `entry`.
    #[track_caller]
    pub fn wait_contains(&self, entry: &str) -> Vec<String> {
        self.wait_for(entry, |e| e.iter().any(|x| x == entry))
    }

    pub fn count(&self, entry: &str) -> usize {
        self.entries().iter().filter(|x| *x == entry).count()
    }
}

/// A server on a free port with the given options.
pub fn server(options: ServerOptions) -> (WebSocketServer, u16) {
    let wss = WebSocketServer::new(ServerOptions {
        port: Some(0),
        ..options
    });
    let port = wss.address().expect("bound").port();
    (wss, port)
}

/// An echo server on a free port.
pub fn echo_server() -> (WebSocketServer, u16) {
    let (wss, port) = server(ServerOptions::default());
    wss.on("connection", |ws: WebSocket| {
        ws.on("message", |ws: WebSocket, data: Message| ws.send(data));
    });
    (wss, port)
}

pub fn url(port: u16) -> String {
    format!("ws://127.0.0.1:{port}")
}

/// Sends raw bytes to a port and returns everything the server answers until it
/// closes the connection or goes quiet for a second.
pub fn raw_exchange(port: u16, request: &[u8]) -> String {
    use std::io::{Read, Write};
    let mut tcp = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
    tcp.write_all(request).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tcp.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A valid upgrade request for `path`.
pub fn upgrade_request(path: &str, extra: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n"
    )
}

/// A raw TCP WebSocket client that completed the handshake, for sending crafted frames.
pub fn raw_client(port: u16) -> std::net::TcpStream {
    raw_client_sending(port, &[])
}

/// [`raw_client`], with `early` bytes sent in the same write as the upgrade request.
pub fn raw_client_sending(port: u16, early: &[u8]) -> std::net::TcpStream {
    use std::io::{Read, Write};
    let mut tcp = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut request = upgrade_request("/", "").into_bytes();
    request.extend_from_slice(early);
    tcp.write_all(&request).unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        tcp.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    assert!(head.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), "{head}");
    tcp
}

/// Reads one unmasked server frame: (opcode, payload).
pub fn read_frame(tcp: &mut std::net::TcpStream) -> Option<(u8, Vec<u8>)> {
    use std::io::Read;
    let mut h = [0u8; 2];
    tcp.read_exact(&mut h).ok()?;
    let mut len = (h[1] & 0x7f) as usize;
    if len == 126 {
        let mut b = [0u8; 2];
        tcp.read_exact(&mut b).ok()?;
        len = u16::from_be_bytes(b) as usize;
    } else if len == 127 {
        let mut b = [0u8; 8];
        tcp.read_exact(&mut b).ok()?;
        len = u64::from_be_bytes(b) as usize;
    }
    let mut payload = vec![0u8; len];
    tcp.read_exact(&mut payload).ok()?;
    Some((h[0] & 0x0f, payload))
}

/// A masked client frame (mask 0x01020304).
pub fn client_frame(first_byte: u8, payload: &[u8]) -> Vec<u8> {
    let mask = [1u8, 2, 3, 4];
    let mut f = vec![first_byte];
    assert!(payload.len() < 126);
    f.push(0x80 | payload.len() as u8);
    f.extend_from_slice(&mask);
    f.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    f
}

/// A directory with Node `ws` (pinned) installed, installing it on first use.
/// Set `NODEWS_NODE_MODULES` to use an existing `node_modules` instead.
pub fn node_modules() -> std::path::PathBuf {
    static DIR: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        if let Ok(dir) = std::env::var("NODEWS_NODE_MODULES") {
            return dir.into();
        }
        let root = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("node-ws-8.23.0");
        let modules = root.join("node_modules");
        if !modules.join("ws/package.json").exists() {
            std::fs::create_dir_all(&root).unwrap();
            let status = std::process::Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
                .arg(&root)
                .arg("ws@8.23.0")
                .status()
                .expect("npm must be installed to run the Node ws interop tests");
            assert!(status.success(), "npm install ws@8.23.0 failed");
        }
        modules
    })
    .clone()
}

/// Starts `node tests/node/<script>` with `ws` on its path.
pub fn node(script: &str, args: &[&str], env: &[(&str, String)]) -> std::process::Child {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/node")
        .join(script);
    let mut cmd = std::process::Command::new("node");
    cmd.arg(path).args(args).env("NODE_PATH", node_modules());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("node must be installed to run the Node ws interop tests")
}

/// Reads a child's stdout lines as they come, into a [`Log`].
pub fn lines_of(child: &mut std::process::Child) -> Log {
    use std::io::BufRead;
    let log = Log::new();
    let l = log.clone();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            l.push(line);
        }
    });
    log
}

/// A free TCP port on 127.0.0.1 (for programs that take `PORT`).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits for a socket's `close` (its listeners included); fails the test instead of
/// hanging if it does not come within [`PATIENCE`].
#[track_caller]
pub fn wait_closed(ws: &WebSocket) {
    assert!(
        ws.wait_close_timeout(PATIENCE),
        "socket {:?} did not close within {PATIENCE:?}",
        ws.url()
    );
}

/// Waits for a child process; kills it and fails the test if it runs past `limit`.
#[track_caller]
pub fn wait_child(child: &mut std::process::Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("child process did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// RFC 6455 accept key, computed here by a tiny independent SHA-1 so the test does
/// not reuse the library's own code path.
pub fn accept_key(key: &str) -> String {
    let input = format!("{key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    base64(&sha1(input.as_bytes()))
}

fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];
    let mut msg = data.to_vec();
    let bit_len = (data.len() as u64) * 8;
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bit_len.to_be_bytes());
    for chunk in msg.chunks(64) {
        let mut w = [0u32; 80];
        for i in 0..16 {
            w[i] = u32::from_be_bytes([
                chunk[4 * i],
                chunk[4 * i + 1],
                chunk[4 * i + 2],
                chunk[4 * i + 3],
            ]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let (mut a, mut b, mut c, mut d, mut e) = (h[0], h[1], h[2], h[3], h[4]);
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A827999),
                20..=39 => (b ^ c ^ d, 0x6ED9EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1BBCDC),
                _ => (b ^ c ^ d, 0xCA62C1D6),
            };
            let t = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 20];
    for (i, x) in h.iter().enumerate() {
        out[4 * i..4 * i + 4].copy_from_slice(&x.to_be_bytes());
    }
    out
}

fn base64(data: &[u8]) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
