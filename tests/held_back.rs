//! Events held back because the creating thread never returns to the loop: nodews
//! says so once, with what to call, instead of staying silent.

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

struct Capture(Arc<Mutex<Vec<String>>>);

impl log::Log for Capture {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::Level::Warn
    }
    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            self.0.lock().push(record.args().to_string());
        }
    }
    fn flush(&self) {}
}

#[test]
fn events_held_back_by_a_busy_thread_are_reported_once() {
    let lines = Arc::new(Mutex::new(Vec::new()));
    log::set_boxed_logger(Box::new(Capture(lines.clone()))).unwrap();
    log::set_max_level(log::LevelFilter::Warn);

    let (port_tx, port_rx) = std::sync::mpsc::channel();
    // A thread of the user's that sets up a server, then keeps working and never
    // calls run(), a wait_* or release_events().
    let busy = std::thread::spawn(move || {
        let wss = nodews::WebSocketServer::new(nodews::ServerOptions {
            port: Some(0),
            ..Default::default()
        });
        wss.on("connection", || {});
        port_tx.send(wss.address().unwrap().port()).unwrap();
        std::thread::sleep(Duration::from_secs(8));
        wss.close();
    });
    let port = port_rx.recv().unwrap();
    let _client = nodews::WebSocket::new(&format!("ws://127.0.0.1:{port}"));
    nodews::release_events();
    let started = Instant::now();
    let warning = loop {
        if let Some(line) = lines.lock().iter().find(|l| l.contains("release_events")) {
            break line.clone();
        }
        assert!(
            started.elapsed() < Duration::from_secs(7),
            "no warning about held-back events: {:?}",
            lines.lock()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(warning.contains("events have waited"), "{warning}");
    busy.join().unwrap();
    let count = lines
        .lock()
        .iter()
        .filter(|l| l.contains("release_events"))
        .count();
    assert_eq!(count, 1, "shown once");
}
