//! Shared test helpers: an event log that tests can wait on, and servers on port 0.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use nodews::{Message, ServerOptions, WebSocket, WebSocketServer};
use parking_lot::{Condvar, Mutex};

/// How long any wait may take before the test fails (generous: CI machines are slow).
pub const PATIENCE: Duration = Duration::from_secs(10);

/// An ordered log of what listeners saw, shared with them by cloning.
#[derive(Clone, Default)]
pub struct Log {
    inner: Arc<(Mutex<Vec<String>>, Condvar)>,
}

impl Log {
    pub fn new() -> Log {
        Log::default()
    }

    pub fn push(&self, entry: impl Into<String>) {
        let (lock, changed) = &*self.inner;
        lock.lock().push(entry.into());
        changed.notify_all();
    }

    pub fn entries(&self) -> Vec<String> {
        self.inner.0.lock().clone()
    }

    /// Waits until `done` holds for the log; panics with the log after [`PATIENCE`].
    #[track_caller]
    pub fn wait_for(&self, what: &str, done: impl Fn(&[String]) -> bool) -> Vec<String> {
        nodews::release_events();
        let (lock, changed) = &*self.inner;
        let deadline = Instant::now() + PATIENCE;
        let mut entries = lock.lock();
        while !done(&entries) {
            if changed.wait_until(&mut entries, deadline).timed_out() && !done(&entries) {
                panic!("timed out waiting for {what}; log so far: {:#?}", *entries);
            }
        }
        entries.clone()
    }

    /// Waits until the log contains `entry`.
    #[track_caller]
    pub fn wait_contains(&self, entry: &str) -> Vec<String> {
        self.wait_for(entry, |e| e.iter().any(|x| x == entry))
    }

    pub fn count(&self, entry: &str) -> usize {
        self.entries().iter().filter(|x| *x == entry).count()
    }
}

/// A server on a free port with the given options.
pub fn server(options: ServerOptions) -> (WebSocketServer, u16) {
    let wss = WebSocketServer::new(ServerOptions {
        port: Some(0),
        ..options
    });
    let port = wss.address().expect("bound").port();
    (wss, port)
}

/// An echo server on a free port.
pub fn echo_server() -> (WebSocketServer, u16) {
    let (wss, port) = server(ServerOptions::default());
    wss.on("connection", |ws: WebSocket| {
        ws.on("message", |ws: WebSocket, data: Message| ws.send(data));
    });
    (wss, port)
}

pub fn url(port: u16) -> String {
    format!("ws://127.0.0.1:{port}")
}
