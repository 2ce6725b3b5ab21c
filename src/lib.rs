//! # nodews
//!
//! Node's [`ws`](https://github.com/websockets/ws) library, in Rust: the same API,
//! line for line, on a hidden runtime. You write no `async`.
//!
//! ```no_run
//! // const { WebSocketServer } = require('ws');
//! use nodews::{Message, ServerOptions, WebSocket, WebSocketServer};
//!
//! // const wss = new WebSocketServer({ port: 8080 });
//! let wss = WebSocketServer::new(ServerOptions { port: Some(8080), ..Default::default() });
//!
//! // wss.on('connection', function connection(ws) {
//! wss.on("connection", |ws: WebSocket| {
//!     // ws.on('error', console.error);
//!     ws.on("error", |error: nodews::Error| eprintln!("{error}"));
//!     // ws.on('message', function message(data) { console.log('received: %s', data); });
//!     ws.on("message", |data: Message| println!("received: {data}"));
//!     // ws.send('something');
//!     ws.send("something");
//! });
//! nodews::run(); // Node runs its event loop after the script; Rust says so
//! ```
//!
//! # How it runs
//!
//! One tokio runtime starts on background threads the first time you use nodews.
//! Listeners run on it: one socket's listeners never run concurrently with each
//! other, different sockets' may run in parallel. [`run`] blocks until nothing is
//! left that could fire (no listening server, no open or connecting socket, no
//! pending timer), like a Node process; `wait_close` waits for one socket or server.
//!
//! ## The race rule
//!
//! In Node nothing fires while your code is still running, so a listener added right
//! after `new WebSocket(url)` sees `open`. nodews keeps this: **an emitter's events
//! start when the code that created it returns to the event loop**, i.e. when the
//! listener or timer callback that created it returns, or, for code on your own
//! thread (`main`), when that thread calls [`run`], a `wait_*` method or
//! [`release_events`], or exits. The connection itself proceeds in the background
//! meanwhile; only the events wait, in order.
//!
//! ## Listeners
//!
//! `.on(name, closure)` checks the name and the closure's arguments when you
//! register, and panics at your line with the list of valid events if either is
//! wrong (`try_on` returns an `Err` instead). Arguments follow Node's order and
//! must be annotated: `|data: Message, is_binary: bool|`. A listener may take fewer
//! arguments, and may ask for its emitter first (Node's `this`):
//! `|ws: WebSocket, data: Message| ws.send(data)`.
//!
//! A panicking listener is caught and logged with `log::error!`, and reported as its
//! emitter's `error` event (a socket then closes with 1011). An `error` with no
//! listener is logged, never fatal.
//!
//! # Layout
//!
//! One file per concept, after ws's `lib/`: `websocket.rs` (the socket handle),
//! `connection.rs` (**where a message goes from the network to your listener**),
//! `protocol/` (frames, the receiver, close codes, the client handshake: RFC 6455
//! from the bytes up), `client.rs`, `websocket_server.rs`, `clients.rs` (`wss.clients`), `emitter.rs` (the
//! listener registry), `event_target.rs` (browser-style API), `message.rs`,
//! `request.rs`, `options.rs`, `timers.rs`, `runtime.rs`, `error.rs`, `http.rs` and
//! `https.rs` (Node's `http.createServer`), `tls.rs`, `upgraded.rs`.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod client;
mod clients;
mod connection;
mod emitter;
mod error;
mod event_target;
pub mod http;
pub mod https;
mod message;
mod options;
mod protocol;
mod request;
mod runtime;
mod timers;
mod tls;
mod upgraded;
mod websocket;
mod websocket_server;

pub use clients::{Clients, IntoIter as ClientsIter};
pub use emitter::{Arg, Handler, IntoListener};
pub use error::Error;
pub use event_target::{CloseEvent, ErrorEvent, Event, MessageEvent};
pub use message::{Bytes, Message};
pub use options::{
    ClientOptions, DEFAULT_CLOSE_TIMEOUT, DEFAULT_MAX_PAYLOAD, HandleProtocols, SendOptions,
    ServerOptions, VerifyCallback, VerifyClient, VerifyInfo,
};
pub use protocol::close::is_valid_status_code;
pub use request::{Headers, Request, Response};
pub use runtime::{release_events, run};
pub use timers::{Timeout, clear_interval, clear_timeout, set_interval, set_timeout};
pub use websocket::WebSocket;
pub use websocket_server::WebSocketServer;
