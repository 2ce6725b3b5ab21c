//! ws README, "How to get the IP address of the client?", ported line for line.
//!
//! ```js
//! const wss = new WebSocketServer({ port: 8080 });
//! wss.on('connection', function connection(ws, req) {
//!   const ip = req.socket.remoteAddress;
//!   ws.on('error', console.error);
//! });
//! // When the server runs behind a proxy like NGINX, the de-facto standard is to use
//! // the X-Forwarded-For header:
//! wss.on('connection', function connection(ws, req) {
//!   const ip = req.headers['x-forwarded-for'].split(',')[0].trim();
//!   ws.on('error', console.error);
//! });
//! ```
//!
//! Both listeners print what they found; the second one only when the header is there.
//! Run: `cargo run --example client_ip`, then connect to ws://localhost:8080.

use nodews::{Request, ServerOptions, WebSocket, WebSocketServer};

fn main() {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8080);
    let wss = WebSocketServer::new(ServerOptions {
        port: Some(port),
        ..Default::default()
    });

    wss.on("connection", |ws: WebSocket, req: Request| {
        // IPv4 clients of the dual-stack socket show as ::ffff:a.b.c.d, as in Node.
        let ip = req.remote_address().map(|a| a.ip().to_canonical());
        ws.on("error", |error: nodews::Error| eprintln!("{error}"));
        println!(
            "remote address: {}",
            ip.map_or("unknown".to_string(), |ip| ip.to_string())
        );
    });

    // When the server runs behind a proxy like NGINX, the de-facto standard is to use
    // the X-Forwarded-For header.
    wss.on("connection", |ws: WebSocket, req: Request| {
        if let Some(forwarded) = req.header("x-forwarded-for") {
            let ip = forwarded.split(',').next().unwrap_or("").trim();
            println!("forwarded for: {ip}");
        }
        ws.on("error", |error: nodews::Error| eprintln!("{error}"));
    });

    wss.on("listening", move || println!("listening on port {port}"));
    nodews::run();
}
