//! Echo server: sends every message back with the same kind (text as text, binary as
//! binary) and logs nothing per message. Conformance and benchmark tools drive it.
//!
//! Ports ws's README "Simple server" reduced to an echo:
//!
//! ```js
//! const wss = new WebSocketServer({ port: 8080 });
//! wss.on('connection', ws => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
//! ```
//!
//! Run: `PORT=9001 cargo run --release --example echo`

use nodews::{Message, ServerOptions, WebSocket, WebSocketServer};

fn main() {
    let port = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8080);
    let wss = WebSocketServer::new(ServerOptions {
        port: Some(port),
        ..Default::default()
    });
    wss.on("connection", |ws: WebSocket| {
        // A Message keeps its kind, so sending it back echoes text as text, binary as binary.
        ws.on("message", |ws: WebSocket, data: Message| ws.send(data));
    });
    wss.on("error", |error: nodews::Error| {
        eprintln!("echo server error: {error}")
    });
    wss.on("listening", move || {
        println!("echo server listening on port {port}")
    });
    nodews::run();
}
