//! The seed tutorial's server (`shared/seed`), ported line for line.
//!
//! ```js
//! const WebSocket = require('ws');
//! const http = require('http');
//! const server = http.createServer((req, res) => {
//!   res.writeHead(200, { 'Content-Type': 'text/plain' });
//!   res.end('WebSocket server is running.\n');
//! });
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
//! const PORT = 8080;
//! server.listen(PORT, () => { console.log(`WebSocket服务器在 http://localhost:${PORT} 上运行`); });
//! ```
//!
//! Run: `cargo run --example seed_server` (port 8080, or `PORT=...`), then open
//! http://localhost:8080 for the HTTP answer, or run `cargo run --example seed_client`.

use nodews::{Message, ServerOptions, WebSocket, WebSocketServer, http};

fn main() {
    // WebSocket通常运行在HTTP服务器之上
    // 创建一个HTTP服务器,WebSocket服务器可以依附于它
    let server = http::create_server(|_req, res| {
        res.write_head(200, &[("Content-Type", "text/plain")]);
        res.end("WebSocket server is running.\n");
    });

    // 创建WebSocket服务器实例,并绑定到HTTP服务器
    let wss = WebSocketServer::new(ServerOptions {
        server: Some(server.clone()),
        ..Default::default()
    });

    wss.on("connection", |ws: WebSocket| {
        println!("一个新的客户端连接了!");

        ws.on("message", |ws: WebSocket, message: Message| {
            // 收到消息,这里可以做各种处理,比如广播给所有连接的客户端
            println!("收到消息: {message}");
            // 假设我们只是把收到的消息原封不动地发回去
            ws.send(format!("服务器收到你的消息: {message}"));
        });

        ws.on("close", || {
            println!("一个客户端断开连接了。");
        });

        ws.on("error", |error: nodews::Error| {
            eprintln!("WebSocket 错误: {error}");
        });

        // 连接建立后,也可以主动向客户端发送消息
        ws.send("欢迎连接到我的WebSocket服务器!");
    });

    wss.on("error", |error: nodews::Error| {
        eprintln!("WebSocket服务器全局错误: {error}");
    });

    // 启动HTTP服务器,监听端口 (PORT from the environment so tests can run several)
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8080);
    server.listen(port, move || {
        println!("WebSocket服务器在 http://localhost:{port} 上运行");
    });

    nodews::run(); // Node runs its event loop after the script; Rust says so
}
