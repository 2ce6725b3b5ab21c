//! ws README, "Multiple servers sharing a single HTTP server", ported line for line.
//!
//! ```js
//! const server = createServer();
//! const wss1 = new WebSocketServer({ noServer: true });
//! const wss2 = new WebSocketServer({ noServer: true });
//! wss1.on('connection', function connection(ws) { ws.on('error', console.error); /* ... */ });
//! wss2.on('connection', function connection(ws) { ws.on('error', console.error); /* ... */ });
//! server.on('upgrade', function upgrade(request, socket, head) {
//!   const { pathname } = new URL(request.url, 'wss://base.url');
//!   if (pathname === '/foo') {
//!     wss1.handleUpgrade(request, socket, head, function done(ws) { wss1.emit('connection', ws, request); });
//!   } else if (pathname === '/bar') {
//!     wss2.handleUpgrade(request, socket, head, function done(ws) { wss2.emit('connection', ws, request); });
//!   } else {
//!     socket.destroy();
//!   }
//! });
//! server.listen(8080);
//! ```
//!
//! Run: `cargo run --example shared_http_server` (port 8080, or `PORT=...`), then
//! connect to ws://localhost:8080/foo or /bar; any other path is refused.

use nodews::http::{HttpServer, Socket};
use nodews::{Bytes, Request, ServerOptions, WebSocket, WebSocketServer};

fn main() {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8080);
    let server = HttpServer::new();
    let wss1 = WebSocketServer::new(ServerOptions {
        no_server: true,
        ..Default::default()
    });
    let wss2 = WebSocketServer::new(ServerOptions {
        no_server: true,
        ..Default::default()
    });

    wss1.on("connection", |ws: WebSocket| {
        ws.on("error", |error: nodews::Error| eprintln!("{error}"));
        ws.send("this is /foo");
    });
    wss2.on("connection", |ws: WebSocket| {
        ws.on("error", |error: nodews::Error| eprintln!("{error}"));
        ws.send("this is /bar");
    });

    server.on(
        "upgrade",
        move |request: Request, socket: Socket, head: Bytes| {
            let pathname = request.url().split('?').next().unwrap_or("");
            if pathname == "/foo" {
                let wss = wss1.clone();
                wss1.handle_upgrade(
                    &request,
                    socket,
                    head,
                    move |ws: WebSocket, request: Request| {
                        wss.emit("connection", &[&ws, &request]);
                    },
                );
            } else if pathname == "/bar" {
                let wss = wss2.clone();
                wss2.handle_upgrade(
                    &request,
                    socket,
                    head,
                    move |ws: WebSocket, request: Request| {
                        wss.emit("connection", &[&ws, &request]);
                    },
                );
            } else {
                socket.destroy();
            }
        },
    );

    server.listen(port, move || println!("listening on port {port}"));
    nodews::run();
}
