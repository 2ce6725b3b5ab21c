//! The seed tutorial's client (`shared/seed`), ported line for line in the browser
//! style it uses (`onopen`, `onmessage`, `event.data`, `readyState`, `setTimeout`).
//!
//! ```js
//! const ws = new WebSocket('ws://localhost:8080');
//! ws.onopen = () => { console.log('成功连接到WebSocket服务器。'); ws.send('你好,服务器!我是客户端。'); };
//! ws.onmessage = event => {
//!   console.log(`收到服务器消息: ${event.data}`);
//!   if (event.data.includes('欢迎')) { setTimeout(() => { ws.send('服务器,我收到你的欢迎了!'); }, 1000); }
//! };
//! ws.onerror = error => { console.error('WebSocket客户端错误:', error); };
//! ws.onclose = () => { console.log('与服务器的连接已关闭。'); };
//! setTimeout(() => {
//!   if (ws.readyState === WebSocket.OPEN) { ws.close(); console.log('客户端主动关闭连接。'); }
//! }, 5000);
//! ```
//!
//! Run against the seed server: `cargo run --example seed_client` (port 8080, or `PORT=...`).
//! Closures that use `ws` take their own clone of the handle (a cheap `Arc` clone):
//! that is the one line Rust adds to JavaScript's shared references.

use nodews::WebSocket;

fn main() {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8080);
    let ws = WebSocket::new(&format!("ws://localhost:{port}"));

    let w = ws.clone();
    ws.onopen(move || {
        println!("成功连接到WebSocket服务器。");
        w.send("你好,服务器!我是客户端。");
    });

    let w = ws.clone();
    ws.onmessage(move |event| {
        println!("收到服务器消息: {}", event.data);
        if event.data.to_string().contains("欢迎") {
            let w = w.clone();
            nodews::set_timeout(1000, move || {
                w.send("服务器,我收到你的欢迎了!");
            });
        }
    });

    ws.onerror(|error| {
        eprintln!("WebSocket客户端错误: {error}");
    });

    ws.onclose(|_event| {
        println!("与服务器的连接已关闭。");
    });

    let w = ws.clone();
    nodews::set_timeout(5000, move || {
        if w.ready_state() == WebSocket::OPEN {
            w.close();
            println!("客户端主动关闭连接。");
        }
    });

    nodews::run();
}
