//! The seed tutorial's server (`shared/seed`), ported line for line.
//!
//! ```js
//! const wss = new WebSocket.Server({ server });
//! wss.on('connection', ws => {
//!   console.log('一个新的客户端连接了!');
//!   ws.on('message', message => {
//!     console.log(`收到消息: ${message}`);
//!     ws.send(`服务器收到你的消息: ${message}`);
//!   });
//!   ws.on('close', () => { console.log('一个客户端断开连接了。'); });
//!   ws.on('error', error => { console.error('WebSocket 错误:', error); });
//!   ws.send('欢迎连接到我的WebSocket服务器!');
//! });
//! server.listen(PORT, () => { console.log(`WebSocket服务器在 http://localhost:${PORT} 上运行`); });
//! ```
//!
//! The seed attaches the WebSocket server to an `http.createServer` that answers
//! plain requests with "WebSocket server is running.". Until nodews has its HTTP
//! server (the HTTP/TLS issue), the WebSocket server owns the port itself and plain
//! requests get ws's 426 instead; everything WebSocket behaves the same.
//!
//! Run: `cargo run --example seed_server` (port 8080, or `PORT=...`).

use nodews::{Message, ServerOptions, WebSocket, WebSocketServer};

fn main() {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8080);
    let wss = WebSocketServer::new(ServerOptions {
        port: Some(port),
        ..Default::default()
    });

    wss.on("connection", |ws: WebSocket| {
        println!("一个新的客户端连接了!");
        ws.on("message", |ws: WebSocket, message: Message| {
            println!("收到消息: {message}");
            ws.send(format!("服务器收到你的消息: {message}"));
        });
        ws.on("close", || {
            println!("一个客户端断开连接了。");
        });
        ws.on("error", |error: nodews::Error| {
            eprintln!("WebSocket 错误: {error}");
        });
        ws.send("欢迎连接到我的WebSocket服务器!");
    });
    wss.on("error", |error: nodews::Error| {
        eprintln!("WebSocket服务器全局错误: {error}");
    });

    // server.listen(PORT, () => ...): the 'listening' event.
    wss.on("listening", move || {
        println!("WebSocket服务器在 http://localhost:{port} 上运行");
    });
    nodews::run(); // Node runs its event loop after the script; Rust says so
}
