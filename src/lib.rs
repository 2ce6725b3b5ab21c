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
//! One tokio runtime starts on background threads (one per core) the first time you
//! use nodews. [`run`] blocks until nothing is left that could fire (no listening
//! server, no open or connecting socket, no pending timer), like a Node process;
//! `wait_open`/`wait_close` wait for one socket or server.
//!
//! ## Which thread runs what, and what runs concurrently
//!
//! Node runs everything on one thread. nodews runs every listener and timer callback
//! on the runtime's threads, never on yours, with these guarantees:
//!
//! | what | runs concurrently with |
//! |---|---|
//! | one socket's listeners (`message`, `close`, ...) | never with each other: one at a time, in order |
//! | a server's listeners (`connection`, `headers`, ...), an `HttpServer`'s, including `wss.emit` | never with each other (they take turns) |
//! | timer callbacks (`set_timeout`, `set_interval`) | never with each other: one queue, Node's order |
//! | listeners of *different* sockets, servers, timers | yes: in parallel on the runtime's threads |
//! | a [`Handler`] registered on many sockets | yes: it runs on each of them at once (so it is `Fn + Sync`) |
//!
//! State that listeners of different emitters share goes in an `Arc<Mutex<..>>` or an
//! atomic (MIGRATION.md shows the idioms). Warnings nodews does not raise as events
//! (a `send` on a socket that is not open is dropped and logged; an `error` nobody
//! listens to is logged) go through the `log` crate: nothing prints until your
//! program installs a logger, e.g. `simple_logger::init_with_level(log::Level::Warn)`.
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
//! A panicking listener, on any emitter, is caught and logged with `log::error!`,
//! and reported as its emitter's `error` event (`WS_ERR_LISTENER_PANIC`; a socket then
//! closes with 1011), unless it was an `error` or `close` listener. An `error` with
//! no listener is logged, never fatal. No lock is held while a listener runs: a
//! [`Handler`] registered on many sockets runs on them concurrently.
//!
//! # Layout
//!
//! Folders are layers; each uses only the ones listed before it (checked by
//! `tests/layers.rs`): `runtime/` (the hidden runtime, `run()`, the event gate,
//! timers), `events/` (the listener registry and its one dispatcher), `protocol/`
//! (RFC 6455 from the bytes up: frames, the receiver, messages, close codes, the
//! client handshake), `net/` (TLS and the one stream type sockets run on), `http/`
//! (Node's `http`/`https` servers, the upgrade request), `websocket/` (the socket
//! handle, its task in `connection.rs`, **where a message goes from the network to
//! your listener**, the client, the browser-style API), `server/`
//! (`WebSocketServer`, `wss.clients`, its options). `error.rs` is used by all.
//! ARCHITECTURE.md at the repository's top walks through them.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod error;
mod events;
pub mod http;
mod net;
mod protocol;
mod runtime;
mod server;
mod websocket;

pub use error::{Error, ErrorCode};
pub use events::{Arg, Handler, IntoListener, IntoSharedListener};
pub use http::https;
pub use http::request::{Headers, Request, Response};
pub use protocol::close::is_valid_status_code;
pub use protocol::message::{Bytes, Message};
pub use runtime::timers::{
    Timeout, clear_interval, clear_timeout, set_interval, set_interval_with, set_timeout,
};
pub use runtime::uncaught::{exit_on_uncaught, on_uncaught_exception};
pub use runtime::{release_events, run};
pub use server::WebSocketServer;
pub use server::clients::{Clients, IntoIter as ClientsIter};
pub use server::options::{
    HandleProtocols, ServerOptions, VerifyCallback, VerifyClient, VerifyInfo,
};
pub use websocket::WebSocket;
pub use websocket::event_target::{CloseEvent, ErrorEvent, Event, MessageEvent};
pub use websocket::options::{
    ClientOptions, DEFAULT_CLOSE_TIMEOUT, DEFAULT_HIGH_WATER_MARK, DEFAULT_MAX_BUFFERED_AMOUNT,
    DEFAULT_MAX_PAYLOAD, SendOptions,
};
