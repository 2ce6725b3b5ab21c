//! Broadcast server: relays every message to every open client, the sender included,
//! with the same kind (text as text, binary as binary), and logs nothing per message.
//! The benchmark (`benches/compare.sh`, broadcast scenario) drives it.
//!
//! Ports ws's README recipe "Server broadcast":
//!
//! ```js
//! import WebSocket, { WebSocketServer } from 'ws';
//!
//! const wss = new WebSocketServer({ port: 8080 });
//!
//! wss.on('connection', function connection(ws) {
//!   ws.on('error', console.error);
//!
//!   ws.on('message', function message(data, isBinary) {
//!     wss.clients.forEach(function each(client) {
//!       if (client.readyState === WebSocket.OPEN) {
//!         client.send(data, { binary: isBinary });
//!       }
//!     });
//!   });
//! });
//! ```
//!
//! Run: `PORT=9001 cargo run --release --example broadcast`

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
    let server = wss.clone();
    wss.on("connection", move |ws: WebSocket| {
        ws.on("error", |error: nodews::Error| eprintln!("{error}"));
        let server = server.clone();
        ws.on("message", move |data: Message| {
            // A Message keeps its kind (ws's isBinary), and cloning it copies no payload.
            for client in server.clients() {
                if client.ready_state() == WebSocket::OPEN {
                    client.send(data.clone());
                }
            }
        });
    });
    wss.on("error", |error: nodews::Error| {
        eprintln!("broadcast server error: {error}")
    });
    wss.on("listening", move || {
        println!("broadcast server listening on port {port}")
    });
    nodews::run();
}
