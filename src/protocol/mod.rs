//! The WebSocket protocol, ours from the bytes up: frames, the receiver that turns
//! bytes into messages, the stream that owns a connection's buffers, close codes,
//! and the client's opening handshake.
//!
//! | file | role | ws |
//! |---|---|---|
//! | `frame.rs` | a frame's header (parsed into tungstenite's `FrameHeader`), masking, encoding | `sender.js` (`frame`) |
//! | `receiver.rs` | bytes -> checked frames -> messages, UTF-8 checked as it arrives | `receiver.js` |
//! | `stream.rs` | the connection's socket, read and write buffers; frames out | `sender.js`, the socket |
//! | `close.rs` | close codes and close payloads | `validation.js` |
//! | `handshake.rs` | the client's upgrade request and the checks on the answer | `websocket.js` (`initAsClient`) |
//!
//! Nothing here knows about listeners or handles: the connection task
//! (`connection.rs`) drives a [`stream::FrameStream`] and decides what each frame
//! means for the socket (answering pings and close frames, emitting events).

pub(crate) mod message;

pub(crate) mod close;
pub(crate) mod frame;
pub(crate) mod handshake;
pub(crate) mod receiver;
pub(crate) mod stream;
