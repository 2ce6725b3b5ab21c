//! The stock baseline: a plain async-tungstenite server (crates.io's, with its stock
//! tungstenite: nodews's Cargo.toml patches nothing) on the same tokio runtime
//! (multi-threaded, one worker per available core), with the buffer sizes nodews
//! uses (64 KiB reads as `src/protocol/stream.rs`'s `READ_SIZE`, 100 MiB max message
//! and frame as ws's `maxPayload`), and the most straightforward per-connection loop:
//! read a message, send (write + flush) it.
//!
//! ```text
//! PORT=9001 MODE=echo      target/release/deps/plain_echo-HASH --serve
//! PORT=9001 MODE=broadcast target/release/deps/plain_echo-HASH --serve
//! ```
//!
//! `benches/compare.sh` builds and starts it. Run by `cargo bench` without `--serve`
//! it only says how to use it and exits, so `cargo bench` does not hang on it.
//!
//! Broadcast relays each data message to every connection, the sender included: the
//! reading task clones the message (a reference count, no copy) into each connection's
//! channel, and each connection's task writes what its channel holds, then flushes.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_tungstenite::tokio::{TokioAdapter, accept_async_with_config};
use async_tungstenite::tungstenite::Message;
use async_tungstenite::tungstenite::protocol::WebSocketConfig;
use futures_util::{SinkExt, StreamExt};
use parking_lot::Mutex;
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::mpsc;

/// As `src/protocol/stream.rs`'s `READ_SIZE`.
const READ_BUFFER_SIZE: usize = 64 * 1024;
const MAX_PAYLOAD: usize = 100 * 1024 * 1024;

type Clients = Arc<Mutex<Vec<(u64, mpsc::UnboundedSender<Message>)>>>;

fn main() {
    if !std::env::args().any(|a| a == "--serve") {
        println!(
            "plain_echo: a server for benches/compare.sh; run it with --serve (PORT, MODE=echo|broadcast)"
        );
        return;
    }
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8080);
    let broadcast = match std::env::var("MODE").as_deref() {
        Ok("broadcast") => true,
        Ok("echo") | Err(_) => false,
        Ok(other) => panic!("MODE must be echo or broadcast, not {other}"),
    };
    // The same runtime as nodews's src/runtime.rs.
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name("plain")
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(serve(port, broadcast));
}

async fn serve(port: u16, broadcast: bool) {
    // As nodews: `::` (dual stack), SO_REUSEADDR, backlog 511, TCP_NODELAY.
    let addr = SocketAddr::from(([0u16; 8], port));
    let socket = TcpSocket::new_v6().expect("socket");
    socket.set_reuseaddr(true).expect("SO_REUSEADDR");
    socket.bind(addr).expect("bind");
    let listener = socket.listen(511).expect("listen");
    let mode = if broadcast { "broadcast" } else { "echo" };
    println!("plain async-tungstenite {mode} server listening on port {port}");
    let clients: Clients = Arc::default();
    let next_id = Arc::new(AtomicU64::new(0));
    loop {
        let (tcp, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                eprintln!("accept failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        if broadcast {
            let id = next_id.fetch_add(1, Ordering::Relaxed);
            tokio::spawn(relay(tcp, id, clients.clone()));
        } else {
            tokio::spawn(echo(tcp));
        }
    }
}

fn config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER_SIZE)
        .max_message_size(Some(MAX_PAYLOAD))
        .max_frame_size(Some(MAX_PAYLOAD))
}

async fn echo(tcp: TcpStream) {
    let Ok(mut ws) = accept_async_with_config(tcp, Some(config())).await else {
        return;
    };
    while let Some(Ok(message)) = ws.next().await {
        if (message.is_text() || message.is_binary()) && ws.send(message).await.is_err() {
            break;
        }
    }
}

async fn relay(tcp: TcpStream, id: u64, clients: Clients) {
    let Ok(mut ws) = accept_async_with_config(tcp, Some(config())).await else {
        return;
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    clients.lock().push((id, tx));
    relay_loop(&mut ws, &mut rx, &clients).await;
    clients.lock().retain(|(c, _)| *c != id);
}

async fn relay_loop(
    ws: &mut async_tungstenite::WebSocketStream<TokioAdapter<TcpStream>>,
    rx: &mut mpsc::UnboundedReceiver<Message>,
    clients: &Clients,
) {
    loop {
        tokio::select! {
            read = ws.next() => match read {
                Some(Ok(message)) if message.is_text() || message.is_binary() => {
                    for (_, client) in clients.lock().iter() {
                        let _ = client.send(message.clone());
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return,
            },
            Some(out) = rx.recv() => {
                if ws.feed(out).await.is_err() {
                    return;
                }
                while let Ok(out) = rx.try_recv() {
                    if ws.feed(out).await.is_err() {
                        return;
                    }
                }
                if ws.flush().await.is_err() {
                    return;
                }
            }
        }
    }
}
