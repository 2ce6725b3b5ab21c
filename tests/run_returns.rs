//! `nodews::run()` returns once everything has closed: server, sockets, timers.
//! (Its own test binary: `run()` waits for everything in the process.)

mod support;

use nodews::{Message, WebSocket};
use support::{Log, echo_server, url};

#[test]
fn run_returns_after_server_sockets_and_timers_are_done() {
    let (wss, port) = echo_server();
    let log = Log::new();
    let ws = WebSocket::new(&url(port));
    ws.on("open", |ws: WebSocket| ws.send("ping"));
    let l = log.clone();
    let server = wss.clone();
    ws.on("message", move |ws: WebSocket, data: Message| {
        l.push(data.to_string());
        let (ws, server, l) = (ws.clone(), server.clone(), l.clone());
        nodews::set_timeout(20, move || {
            l.push("closing");
            ws.close();
            server.close();
        });
    });
    let l = log.clone();
    ws.on("close", move |code: u16| l.push(format!("close {code}")));
    let l = log.clone();
    wss.on("close", move || l.push("server close"));
    nodews::run();
    let entries = log.entries();
    // The two closes happen on different emitters, so either may come first.
    assert_eq!(&entries[..2], &["ping", "closing"], "{entries:?}");
    let mut rest = entries[2..].to_vec();
    rest.sort();
    assert_eq!(rest, vec!["close 1005", "server close"], "{entries:?}");
    assert_eq!(ws.ready_state(), WebSocket::CLOSED);
}
