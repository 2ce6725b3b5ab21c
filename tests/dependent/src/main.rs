//! nodews as a user's crate gets it: checks run against real Node `ws`.
//!
//! This crate depends on nodews by path and nothing else, and is its own workspace,
//! so nodews's root-only settings ([patch], [profile], its lock file) do not apply:
//! what is checked here is what a user builds. It checks
//!
//! 1. the close-code matrix against Node `ws`, nodews as server and as client;
//! 2. the memory an idle connection costs a nodews server.
//!
//! It prints a table and exits non-zero if anything failed. `run.sh` is the entry
//! point (it raises `ulimit -n`); `nodews-dependent idle-server` is the server that
//! the idle-memory check starts in a process of its own.

mod close_codes;
mod idle;
mod node;

use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    if std::env::args().nth(1).as_deref() == Some("idle-server") {
        idle::serve();
    }
    let started = Instant::now();
    let max_bytes = match std::env::var("IDLE_BYTES_PER_CONN_MAX") {
        Err(_) => idle::DEFAULT_MAX_BYTES_PER_CONN,
        Ok(v) => match v.parse() {
            Ok(n) => n,
            Err(_) => {
                eprintln!("IDLE_BYTES_PER_CONN_MAX={v:?} is not a number of bytes");
                return ExitCode::FAILURE;
            }
        },
    };

    println!("== nodews as a dependency, against Node ws");
    let node_modules = match node::ensure_ws() {
        Ok(dir) => dir,
        Err(e) => {
            eprintln!("cannot set up Node ws: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "node {}, ws {} from {}",
        node::node_version(),
        node::WS_VERSION,
        node_modules.display()
    );

    println!();
    println!("== close codes (127.0.0.1)");
    let rows = close_codes::run(&node_modules);
    close_codes::print(&rows);
    let close_ok = rows.iter().all(close_codes::Row::ok);

    println!();
    println!(
        "== idle memory: {} idle connections to a nodews echo server",
        idle::CONNECTIONS
    );
    let idle = idle::check(&node_modules, max_bytes);

    println!();
    println!("== summary ({:.1} s)", started.elapsed().as_secs_f64());
    let failed_rows = rows.iter().filter(|r| !r.ok()).count();
    println!(
        "{}{}",
        close_codes::summary(&rows),
        if close_ok {
            String::new()
        } else {
            format!(": {failed_rows} row(s) FAILED")
        }
    );
    match (idle.bytes_per_conn, &idle.error) {
        (_, Some(e)) => println!("idle memory: FAILED: {e}"),
        (Some(b), None) => println!(
            "idle memory: {b} bytes/conn (bound {}): {}",
            idle.max,
            if idle.ok() { "ok" } else { "FAILED" }
        ),
        (None, None) => println!("idle memory: no measurement: FAILED"),
    }
    if close_ok && idle.ok() {
        println!("all checks passed");
        ExitCode::SUCCESS
    } else {
        println!("SOME CHECKS FAILED");
        ExitCode::FAILURE
    }
}
