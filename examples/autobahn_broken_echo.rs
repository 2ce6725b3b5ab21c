//! TEMPORARY: a deliberately broken copy of examples/echo.rs (text echoed as binary),
//! to show tests/autobahn.sh goes red. Delete after use.
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
        ws.on("message", |ws: WebSocket, data: Message| {
            ws.send(Message::binary(data.into_bytes()))
        });
    });
    nodews::run();
}
