//! Node's crash semantics as an opt-in: with `exit_on_uncaught(true)`, a panicking
//! listener ends the process with exit code 1 and the error on stderr, as an uncaught
//! exception ends a Node program (checked against Node itself); with a handler
//! (`on_uncaught_exception`) the handler gets it and the program goes on.
//!
//! The scenarios run in a child process (this test binary, re-run with `CRASH_CHILD`
//! to run only the `child` test).

mod support;

use std::process::Command;

fn run_child(scenario: &str) -> std::process::Output {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--nocapture", "--test-threads", "1"])
        .env("CRASH_CHILD", scenario)
        .output()
        .unwrap()
}

/// The child side: does nothing unless run by `run_child()`.
#[test]
fn child() {
    let Ok(scenario) = std::env::var("CRASH_CHILD") else {
        return;
    };
    match scenario.as_str() {
        "exit" => nodews::exit_on_uncaught(true),
        "handler" => {
            nodews::on_uncaught_exception(|error| println!("handled: {}", error.code()));
        }
        _ => {}
    }
    let (wss, port) = support::echo_server();
    let ws = nodews::WebSocket::new(&support::url(port));
    ws.on("open", || panic!("boom in a listener"));
    ws.on("error", |e: nodews::Error| {
        println!("error event: {}", e.code())
    });
    ws.wait_close_timeout(std::time::Duration::from_secs(2));
    println!("still running");
    wss.close();
}

#[test]
fn a_panicking_listener_ends_the_process_as_in_node_when_asked() {
    let out = run_child("exit");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "Uncaught WS_ERR_LISTENER_PANIC: a \"open\" listener panicked: boom in a listener"
        ),
        "{stderr}"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("still running"));

    // Node: an exception thrown in a listener ends the process with code 1 too.
    let node = Command::new("node")
        .args([
            "-e",
            "setTimeout(() => { throw new Error('boom in a listener') }, 1)",
        ])
        .output()
        .expect("node must be installed");
    assert_eq!(node.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&node.stderr).contains("boom in a listener"));
}

#[test]
fn a_handler_takes_uncaught_errors_and_the_default_reports_them() {
    let out = run_child("handler");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("handled: WS_ERR_LISTENER_PANIC"),
        "{stdout}"
    );
    assert!(!stdout.contains("error event"), "{stdout}");
    assert!(stdout.contains("still running"), "{stdout}");

    // The default: the panic becomes the socket's `error` event; the process lives.
    let out = run_child("default");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        stdout.contains("error event: WS_ERR_LISTENER_PANIC"),
        "{stdout}"
    );
    assert!(stdout.contains("still running"), "{stdout}");
}
