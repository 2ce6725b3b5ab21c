//! Autobahn TestSuite client driver: the standard "echo client" that a fuzzing
//! server (Autobahn's `wstest -m fuzzingserver`, or `kosoku -m fuzzingserver`)
//! tests, written with nodews's public API only.
//!
//! 1. connect to `/getCaseCount`; the first message is the number of cases;
//! 2. for each case N, connect to `/runCase?case=N&agent=AGENT` and echo every
//!    message back with the same kind (text as text, binary as binary) until the
//!    server closes the connection;
//! 3. connect to `/updateReports?agent=AGENT`, which ends the run and writes the
//!    reports.
//!
//! Each connection is awaited with a blocking `ws.wait_close()` from `main`, so the
//! cases run one after another, like ws's own `test/autobahn.js`.
//!
//! Run (with a fuzzing server listening on 9001):
//!
//! ```text
//! kosoku -m fuzzingserver 127.0.0.1:9001 &
//! cargo run --release --example autobahn_client -- ws://127.0.0.1:9001 nodews
//! ```
//!
//! `tests/autobahn.sh` does all of this, both sides, and summarises the reports.
//! Set `AUTOBAHN_VERBOSE=1` to print every socket error (most cases provoke one on
//! purpose).

use std::sync::{Arc, Mutex};
use std::time::Instant;

use nodews::{ClientOptions, Message, WebSocket};

/// Autobahn's largest messages are 16 MiB (case 9.1.6); leave room above that.
const MAX_PAYLOAD: usize = 64 * 1024 * 1024;

fn main() {
    let mut args = std::env::args().skip(1);
    let base = args
        .next()
        .unwrap_or_else(|| "ws://127.0.0.1:9001".to_string());
    let base = base.trim_end_matches('/').to_string();
    let agent = args.next().unwrap_or_else(|| "nodews".to_string());
    let verbose = std::env::var_os("AUTOBAHN_VERBOSE").is_some_and(|v| v != "0");

    let connect = |path: &str| {
        let ws = WebSocket::with_options(
            &format!("{base}{path}"),
            ClientOptions {
                max_payload: MAX_PAYLOAD,
                ..Default::default()
            },
        );
        let url = path.to_string();
        ws.on("error", move |error: nodews::Error| {
            if verbose {
                eprintln!("{url}: error: {error}");
            }
        });
        ws
    };

    // 1. How many cases?
    let count: Arc<Mutex<Option<String>>> = Arc::default();
    let ws = connect("/getCaseCount");
    let first = count.clone();
    ws.once("message", move |data: Message| {
        *first.lock().unwrap() = Some(data.to_string());
    });
    ws.wait_close();
    let text = count.lock().unwrap().take();
    let count: usize = match text.as_deref().map(str::trim).map(str::parse) {
        Some(Ok(n)) => n,
        other => {
            eprintln!("autobahn_client: no case count from {base}/getCaseCount: {other:?}");
            std::process::exit(1);
        }
    };
    println!("autobahn_client: running {count} cases against {base} as agent {agent:?}");

    // 2. Every case: echo until the server closes.
    let started = Instant::now();
    for case in 1..=count {
        let ws = connect(&format!("/runCase?case={case}&agent={agent}"));
        ws.on("message", |ws: WebSocket, data: Message| ws.send(data));
        ws.wait_close();
        if case % 50 == 0 || case == count {
            println!(
                "autobahn_client: {case}/{count} cases done ({:.0?})",
                started.elapsed()
            );
        }
    }

    // 3. Tell the server to write its reports (this also ends a kosoku run).
    let ws = connect(&format!("/updateReports?agent={agent}"));
    ws.wait_close();
    println!("autobahn_client: reports updated");
}
