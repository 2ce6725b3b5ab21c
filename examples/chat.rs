//! A broadcast chat: an HTTP server serves one HTML page, and a WebSocket server on the
//! same port relays each message to every other client. Ports ws README's
//! "Server broadcast" recipe (excluding the sender):
//!
//! ```js
//! wss.on('connection', function connection(ws) {
//!   ws.on('error', console.error);
//!   ws.on('message', function message(data, isBinary) {
//!     wss.clients.forEach(function each(client) {
//!       if (client !== ws && client.readyState === WebSocket.OPEN) {
//!         client.send(data, { binary: isBinary });
//!       }
//!     });
//!   });
//! });
//! ```
//!
//! Run: `cargo run --example chat`, open http://localhost:8080 in two browser tabs and
//! type. The browser test (`tests/browser.sh`) drives it with headless Chromium.

use nodews::{Message, ServerOptions, WebSocket, WebSocketServer, http};

/// The page, compiled in so the example runs from anywhere.
const PAGE: &str = include_str!("chat/index.html");

fn main() {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8080);
    let server = http::create_server(|_req, res| {
        res.write_head(200, &[("Content-Type", "text/html; charset=utf-8")]);
        res.end(PAGE);
    });
    let wss = WebSocketServer::new(ServerOptions {
        server: Some(server.clone()),
        path: Some("/chat".into()),
        ..Default::default()
    });

    let clients = wss.clone();
    wss.on("connection", move |ws: WebSocket| {
        ws.on("error", |error: nodews::Error| eprintln!("{error}"));
        let clients = clients.clone();
        ws.on("message", move |ws: WebSocket, data: Message| {
            for client in clients.clients() {
                if client != ws && client.ready_state() == WebSocket::OPEN {
                    client.send(data.clone()); // a Message keeps its kind: text stays text
                }
            }
        });
        ws.on("close", |code: u16, reason: String| {
            println!("client left: {code} {reason}")
        });
    });

    server.listen(port, move || println!("chat on http://localhost:{port}"));
    nodews::run();
}
