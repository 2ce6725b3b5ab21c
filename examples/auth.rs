//! ws README, "Client authentication", ported line for line.
//!
//! ```js
//! const server = createServer();
//! const wss = new WebSocketServer({ noServer: true });
//! wss.on('connection', function connection(ws, request, client) {
//!   ws.on('error', console.error);
//!   ws.on('message', function message(data) {
//!     console.log(`Received message ${data} from user ${client}`);
//!   });
//! });
//! server.on('upgrade', function upgrade(request, socket, head) {
//!   socket.on('error', onSocketError);
//!   // This function is not defined on purpose. Implement it with your own logic.
//!   authenticate(request, function next(err, client) {
//!     if (err || !client) {
//!       socket.write('HTTP/1.1 401 Unauthorized\r\n\r\n');
//!       socket.destroy();
//!       return;
//!     }
//!     socket.removeListener('error', onSocketError);
//!     wss.handleUpgrade(request, socket, head, function done(ws) {
//!       wss.emit('connection', ws, request, client);
//!     });
//!   });
//! });
//! server.listen(8080);
//! ```
//!
//! Two differences: `authenticate` is defined here (a token in the query string names
//! the user, so the example runs), and `client` travels in the `connection` listener's
//! closure instead of as a third `emit` argument, since nodews events have fixed
//! argument types. Socket errors never throw in nodews, so `onSocketError` has no
//! counterpart.
//!
//! Run: `cargo run --example auth`, then connect to ws://localhost:8080/?token=alice-secret.

use nodews::http::{HttpServer, Socket};
use nodews::{Bytes, Message, Request, ServerOptions, WebSocket, WebSocketServer};

/// A stand-in for your own logic: `?token=<user>-secret` authenticates `<user>`.
fn authenticate(request: &Request, next: impl FnOnce(Option<&str>, Option<String>)) {
    let token = request
        .url()
        .split_once("token=")
        .map(|(_, t)| t.split('&').next().unwrap_or(""));
    match token.and_then(|t| t.strip_suffix("-secret")) {
        Some(user) if !user.is_empty() => next(None, Some(user.to_string())),
        _ => next(Some("invalid token"), None),
    }
}

fn main() {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8080);
    let server = HttpServer::new();
    let wss = WebSocketServer::new(ServerOptions {
        no_server: true,
        ..Default::default()
    });

    server.on(
        "upgrade",
        move |request: Request, socket: Socket, head: Bytes| {
            authenticate(&request, |err, client| {
                let Some(client) = client.filter(|_| err.is_none()) else {
                    socket.write("HTTP/1.1 401 Unauthorized\r\n\r\n");
                    socket.destroy();
                    return;
                };
                wss.handle_upgrade(
                    &request,
                    socket,
                    head,
                    move |ws: WebSocket, _request: Request| {
                        // wss.emit('connection', ws, request, client), with the listener inline:
                        ws.on("error", |error: nodews::Error| eprintln!("{error}"));
                        ws.on("message", move |data: Message| {
                            println!("Received message {data} from user {client}");
                        });
                    },
                );
            });
        },
    );

    server.listen(port, move || println!("listening on port {port}"));
    nodews::run();
}
