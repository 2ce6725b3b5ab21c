//! ws README, "External HTTP/S server" (and ws's `examples/ssl.js`), ported line
//! for line: a WebSocket server on an `https` server, so clients connect with `wss://`.
//!
//! ```js
//! import { createServer } from 'https';
//! import { readFileSync } from 'fs';
//! import { WebSocketServer } from 'ws';
//!
//! const server = createServer({
//!   cert: readFileSync('/path/to/cert.pem'),
//!   key: readFileSync('/path/to/key.pem')
//! });
//! const wss = new WebSocketServer({ server });
//!
//! wss.on('connection', function connection(ws) {
//!   ws.on('error', console.error);
//!   ws.on('message', function message(data) {
//!     console.log('received: %s', data);
//!   });
//!   ws.send('something');
//! });
//!
//! server.listen(8080);
//! ```
//!
//! So that it runs with no files, the certificate is a self-signed one for
//! `localhost` and `127.0.0.1`, generated at start with rcgen instead of read from
//! disk. Clients must trust it: set `CERT_OUT` to a path and the certificate's PEM is
//! written there, for the client's `ca` option (Node: `{ ca: readFileSync(path) }`).
//!
//! Run: `CERT_OUT=/tmp/cert.pem cargo run --example wss` (port 8080, or `PORT=...`),
//! then e.g. in Node:
//! `new WebSocket('wss://localhost:8080', { ca: fs.readFileSync('/tmp/cert.pem') })`.

use nodews::https::{self, TlsOptions};
use nodews::{Message, ServerOptions, WebSocket, WebSocketServer};

fn main() {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8080);

    // readFileSync('/path/to/cert.pem') and ('/path/to/key.pem'), made up on the spot.
    let generated =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .expect("generate a self-signed certificate");
    let cert = generated.cert.pem();
    let key = generated.signing_key.serialize_pem();
    if let Ok(path) = std::env::var("CERT_OUT") {
        std::fs::write(&path, &cert).expect("write the certificate to CERT_OUT");
    }

    let server = https::new_server(TlsOptions {
        cert: cert.into_bytes(),
        key: key.into_bytes(),
    });
    let wss = WebSocketServer::new(ServerOptions {
        server: Some(server.clone()),
        ..Default::default()
    });

    wss.on("connection", |ws: WebSocket| {
        ws.on("error", |error: nodews::Error| eprintln!("{error}"));
        ws.on("message", |data: Message| println!("received: {data}"));
        ws.send("something");
    });

    server.listen(port, move || println!("listening on port {port}"));
    nodews::run();
}
