//! Using nodews from inside a user's own tokio runtime must not panic (nodews never
//! calls `block_on` and never drops its runtime).

mod support;

use nodews::{Message, WebSocket};
use support::{Log, echo_server, url};

#[test]
fn api_works_inside_a_users_runtime() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let log = Log::new();
    let l = log.clone();
    runtime.block_on(async move {
        let (wss, port) = echo_server();
        let ws = WebSocket::new(&url(port));
        ws.on("open", |ws: WebSocket| ws.send("from inside tokio"));
        let l2 = l.clone();
        ws.on("message", move |ws: WebSocket, data: Message| {
            l2.push(data.to_string());
            ws.close();
        });
        nodews::set_timeout(1, move || l.push("timer"));
        // Blocking waits are allowed here too: they park this thread, they don't panic.
        support::wait_closed(&ws);
        wss.close();
        wss.wait_close();
    });
    let mut entries = log.wait_for("both", |e| e.len() == 2);
    entries.sort();
    assert_eq!(entries, vec!["from inside tokio", "timer"]);
}

#[test]
fn api_works_inside_a_multi_threaded_runtime_task() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let log = Log::new();
    let l = log.clone();
    runtime.block_on(async move {
        tokio::spawn(async move {
            let (wss, port) = echo_server();
            let ws = WebSocket::new(&url(port));
            ws.on("open", |ws: WebSocket| ws.send("spawned"));
            ws.on("message", move |ws: WebSocket, data: Message| {
                l.push(data.to_string());
                ws.close();
            });
            nodews::release_events(); // this task returns to *its* loop, not nodews's
            let _ = wss;
        })
        .await
        .unwrap();
    });
    assert_eq!(log.wait_for("echo", |e| !e.is_empty()), vec!["spawned"]);
}
