//! Node's timers: they fire, can be cleared, and keep `run()` alive while pending.

mod support;

use std::time::{Duration, Instant};

use support::Log;

#[test]
fn timeouts_fire_in_deadline_order_and_cleared_ones_do_not() {
    let log = Log::new();
    let (a, b, c) = (log.clone(), log.clone(), log.clone());
    nodews::set_timeout(60, move || a.push("60"));
    nodews::set_timeout(20, move || b.push("20"));
    let cleared = nodews::set_timeout(40, move || c.push("40"));
    nodews::clear_timeout(&cleared);
    log.wait_for("two timers", |e| e.len() == 2);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(log.entries(), vec!["20", "60"]);
}

#[test]
fn interval_repeats_until_cleared_from_inside_itself() {
    let log = Log::new();
    let slot = std::sync::Arc::new(parking_lot::Mutex::new(None::<nodews::Timeout>));
    let me = slot.clone();
    let l = log.clone();
    let interval = nodews::set_interval(10, move || {
        l.push("tick");
        if l.count("tick") == 3
            && let Some(t) = me.lock().as_ref()
        {
            nodews::clear_interval(t);
        }
    });
    *slot.lock() = Some(interval);
    log.wait_for("3 ticks", |e| e.len() == 3);
    std::thread::sleep(Duration::from_millis(80));
    assert_eq!(log.count("tick"), 3);
}

/// `run()` waits for pending timers, including ones set by timer callbacks, then returns.
#[test]
fn run_waits_for_timers_and_returns() {
    let log = Log::new();
    let l = log.clone();
    let started = Instant::now();
    nodews::set_timeout(50, move || {
        let l2 = l.clone();
        l.push("first");
        nodews::set_timeout(50, move || l2.push("second"));
    });
    nodews::run();
    assert!(
        log.entries()
            .ends_with(&["first".to_string(), "second".to_string()]),
        "{:?}",
        log.entries()
    );
    assert!(started.elapsed() >= Duration::from_millis(100));
}

/// A panicking timer callback is logged and does not stop the runtime.
#[test]
fn panicking_timer_does_not_stop_others() {
    let log = Log::new();
    let l = log.clone();
    nodews::set_timeout(5, || panic!("timer exploded"));
    nodews::set_timeout(30, move || l.push("still running"));
    log.wait_contains("still running");
}
