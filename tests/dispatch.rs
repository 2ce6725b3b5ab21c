//! The one dispatcher's promises: no lock held while a listener runs (a shared
//! `Handler` runs on many sockets at once, re-entrant emits work), one rule for a
//! panicking listener on every emitter, and a server's listeners taking turns even
//! with `wss.emit` from a user thread.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use nodews::http::{self, HttpServer};
use nodews::{Error, Handler, Message, ServerOptions, WebSocket, WebSocketServer};
use support::{Log, raw_exchange, server, url};

/// Counts how many runs of a listener overlap.
#[derive(Default)]
struct Overlap {
    running: AtomicUsize,
    most: AtomicUsize,
}

impl Overlap {
    fn enter(&self) {
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
    }
    fn leave(&self) {
        self.running.fetch_sub(1, Ordering::SeqCst);
    }
}

#[test]
fn a_handler_shared_by_100_sockets_runs_on_them_concurrently() {
    const SOCKETS: usize = 100;
    const SLEEP: Duration = Duration::from_millis(50);
    let overlap = Arc::new(Overlap::default());
    let o = overlap.clone();
    let echo_slowly = Handler::new(move |ws: WebSocket, data: Message| {
        o.enter();
        std::thread::sleep(SLEEP);
        o.leave();
        ws.send(data);
    });
    let (wss, port) = server(ServerOptions::default());
    wss.on("connection", move |ws: WebSocket| {
        ws.on("message", echo_slowly.clone());
    });
    let log = Log::new();
    let clients: Vec<WebSocket> = (0..SOCKETS)
        .map(|_| {
            let ws = WebSocket::new(&url(port));
            let l = log.clone();
            ws.on("open", |ws: WebSocket| ws.send("hi"));
            ws.on("message", move |ws: WebSocket| {
                l.push("echo");
                ws.close();
            });
            ws
        })
        .collect();
    let started = Instant::now();
    log.wait_for("every echo", |e| e.len() == SOCKETS);
    let elapsed = started.elapsed();
    let serialized = SLEEP * SOCKETS as u32;
    println!(
        "{SOCKETS} messages through one shared Handler: {elapsed:?} (one at a time: {serialized:?}), \
         at most {} at once",
        overlap.most.load(Ordering::SeqCst)
    );
    assert!(
        overlap.most.load(Ordering::SeqCst) >= 2,
        "the shared handler never ran on two sockets at once"
    );
    assert!(
        elapsed < serialized * 3 / 4,
        "{elapsed:?} is not well under {serialized:?}"
    );
    for ws in &clients {
        support::wait_closed(ws);
    }
    wss.close();
}

#[test]
fn an_emit_from_inside_a_handler_reaches_it_again_without_deadlock() {
    let wss = WebSocketServer::new(ServerOptions {
        no_server: true,
        ..Default::default()
    });
    let calls = Arc::new(AtomicUsize::new(0));
    let (c, w) = (calls.clone(), wss.clone());
    let again = Handler::new(move || {
        if c.fetch_add(1, Ordering::SeqCst) == 0 {
            // Node runs a nested emit at once, listeners included.
            assert!(w.emit("listening", &[]));
        }
    });
    wss.on("listening", again);
    let w = wss.clone();
    let done = std::thread::spawn(move || w.emit("listening", &[]));
    let deadline = Instant::now() + support::PATIENCE;
    while !done.is_finished() {
        assert!(Instant::now() < deadline, "re-entrant emit deadlocked");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(done.join().unwrap());
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    // An FnMut closure given to `on` cannot run inside itself: the inner call is
    // reported as a panicking listener, and the outer one finishes.
    let wss = WebSocketServer::new(ServerOptions {
        no_server: true,
        ..Default::default()
    });
    let log = Log::new();
    let (l, w) = (log.clone(), wss.clone());
    let mut depth = 0;
    wss.on("listening", move || {
        depth += 1;
        l.push(format!("listening {depth}"));
        w.emit("listening", &[]);
    });
    let l = log.clone();
    wss.on("error", move |e: Error| {
        l.push(format!("error {}", e.code()))
    });
    wss.emit("listening", &[]);
    assert_eq!(
        log.entries(),
        vec!["listening 1", "error WS_ERR_LISTENER_PANIC"]
    );
}

#[test]
fn a_panicking_listener_is_reported_as_error_on_every_emitter() {
    // A socket: `error` (WS_ERR_LISTENER_PANIC), then close 1011.
    let (wss, port) = server(ServerOptions::default());
    let log = Log::new();
    let l = log.clone();
    wss.on("connection", move |ws: WebSocket| {
        let (l1, l2) = (l.clone(), l.clone());
        ws.on("message", || panic!("socket listener"));
        ws.on("error", move |e: Error| {
            l1.push(format!("socket error {}", e.code()))
        });
        ws.on("close", move |code: u16| {
            l2.push(format!("socket close {code}"))
        });
    });
    let client = WebSocket::new(&url(port));
    client.on("open", |ws: WebSocket| ws.send("boom"));
    support::wait_closed(&client);
    log.wait_for("socket error and close", |e| e.len() == 2);
    assert_eq!(
        log.entries(),
        vec!["socket error WS_ERR_LISTENER_PANIC", "socket close 1011"]
    );
    wss.close();

    // A WebSocketServer: its `error`; the socket whose `connection` listener
    // panicked closes with 1011.
    let (wss, port) = server(ServerOptions::default());
    let log = Log::new();
    wss.on("connection", || panic!("server listener"));
    let l = log.clone();
    wss.on("error", move |e: Error| {
        l.push(format!("server error {}", e.code()))
    });
    let client = WebSocket::new(&url(port));
    let l = log.clone();
    client.on("close", move |code: u16| {
        l.push(format!("client close {code}"))
    });
    support::wait_closed(&client);
    log.wait_for("server error and client close", |e| e.len() == 2);
    let mut entries = log.entries();
    entries.sort();
    assert_eq!(
        entries,
        vec!["client close 1011", "server error WS_ERR_LISTENER_PANIC"]
    );
    wss.close();

    // An HttpServer: its `error`, as the others (it was only logged before).
    let server: HttpServer = http::create_server(|_req, _res| panic!("request listener"));
    let log = Log::new();
    let l = log.clone();
    server.on("error", move |e: Error| {
        l.push(format!("http error {} {}", e.code(), e.message()))
    });
    server.listen_on(Some("127.0.0.1"), 0, 511, || {});
    let port = server.address().unwrap().port();
    nodews::release_events();
    let _ = raw_exchange(
        port,
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    let entries = log.wait_for("http error", |e| !e.is_empty());
    assert_eq!(
        entries,
        vec!["http error WS_ERR_LISTENER_PANIC a \"request\" listener panicked: request listener"]
    );
    server.close();
}

#[test]
fn wss_emit_from_a_user_thread_waits_for_the_servers_own_listeners() {
    let (wss, port) = server(ServerOptions::default());
    let busy = Arc::new(AtomicBool::new(false));
    let overlapped = Arc::new(AtomicBool::new(false));
    let (b, log) = (busy.clone(), Log::new());
    let l = log.clone();
    wss.on("connection", move || {
        b.store(true, Ordering::SeqCst);
        l.push("connection listener started");
        std::thread::sleep(Duration::from_millis(300));
        l.push("connection listener ends");
        b.store(false, Ordering::SeqCst);
    });
    let (b, o, l) = (busy.clone(), overlapped.clone(), log.clone());
    wss.on("listening", move || {
        if b.load(Ordering::SeqCst) {
            o.store(true, Ordering::SeqCst);
        }
        l.push("listening listener");
    });
    let client = WebSocket::new(&url(port));
    log.wait_contains("connection listener started");
    // From this (user) thread, while the server's own listener runs on the runtime.
    assert!(wss.emit("listening", &[]));
    assert!(
        !overlapped.load(Ordering::SeqCst),
        "wss.emit ran a listener while another listener of the server was running"
    );
    let entries = log.entries();
    let at = |what: &str| entries.iter().rposition(|e| e == what).unwrap();
    assert!(
        at("connection listener ends") < at("listening listener"),
        "{entries:?}"
    );
    client.close();
    support::wait_closed(&client);
    wss.close();
}
