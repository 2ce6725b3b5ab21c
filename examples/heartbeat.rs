//! Detects and closes broken connections: ws's README recipe "How to detect and close
//! broken connections?", ported line for line. Every interval the server pings each
//! client; a client that did not answer the previous ping (its `pong` never set
//! `isAlive` back) is terminated. (`ServerOptions::heartbeat_interval` does the same
//! built in.)
//!
//! ```js
//! function heartbeat() {
//!   this.isAlive = true;
//! }
//!
//! const wss = new WebSocketServer({ port: 8080 });
//!
//! wss.on('connection', function connection(ws) {
//!   ws.isAlive = true;
//!   ws.on('error', console.error);
//!   ws.on('pong', heartbeat);
//! });
//!
//! const interval = setInterval(function ping() {
//!   wss.clients.forEach(function each(ws) {
//!     if (ws.isAlive === false) return ws.terminate();
//!
//!     ws.isAlive = false;
//!     ws.ping();
//!   });
//! }, 30000);
//!
//! wss.on('close', function close() {
//!   clearInterval(interval);
//! });
//! ```
//!
//! Run: `PORT=8080 HEARTBEAT_MS=30000 cargo run --example heartbeat`

use std::sync::atomic::{AtomicBool, Ordering};

use nodews::{ServerOptions, WebSocket, WebSocketServer};

/// `ws.isAlive`: data of our own on each socket.
struct IsAlive(AtomicBool);

fn heartbeat(ws: WebSocket) {
    if let Some(alive) = ws.data::<IsAlive>() {
        alive.0.store(true, Ordering::SeqCst);
    }
}

fn main() {
    let port = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8080);
    let every = std::env::var("HEARTBEAT_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .unwrap_or(30_000);

    let wss = WebSocketServer::new(ServerOptions {
        port: Some(port),
        ..Default::default()
    });

    wss.on("connection", |ws: WebSocket| {
        ws.set_data(IsAlive(AtomicBool::new(true)));
        ws.on("error", |error: nodews::Error| eprintln!("{error}"));
        ws.on("pong", heartbeat);
    });

    let server = wss.clone();
    let interval = nodews::set_interval(every, move || {
        for ws in server.clients() {
            let Some(alive) = ws.data::<IsAlive>() else {
                continue;
            };
            if !alive.0.load(Ordering::SeqCst) {
                println!("terminating a client that did not answer the last ping");
                ws.terminate();
                continue;
            }
            alive.0.store(false, Ordering::SeqCst);
            let _ = ws.ping("");
        }
    });

    wss.on("close", move || nodews::clear_interval(&interval));
    wss.on("listening", move || {
        println!("heartbeat server on port {port}, pinging every {every} ms")
    });
    nodews::run();
}
