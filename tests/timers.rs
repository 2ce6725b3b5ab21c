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

/// Node's timer order: two 16 ms intervals created one after the other tick in turn,
/// each physics step followed by exactly one broadcast, never concurrently. The same
/// program in Node (`tests/node/two_intervals.js`) is run as the reference.
#[test]
fn two_intervals_stay_in_step_as_in_node() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
    const TICKS: u32 = 120;

    let mut node = support::node("two_intervals.js", &[], &[]);
    let node_lines = support::lines_of(&mut node);

    struct Game {
        physics: AtomicU32,
        broadcasts_since_last_step: AtomicU32,
        out_of_step: AtomicU32,
        running: AtomicBool,
        overlapped: AtomicBool,
    }
    let game = Arc::new(Game {
        physics: AtomicU32::new(0),
        broadcasts_since_last_step: AtomicU32::new(0),
        out_of_step: AtomicU32::new(0),
        running: AtomicBool::new(false),
        overlapped: AtomicBool::new(false),
    });
    let enter = |g: &Game| {
        if g.running.swap(true, Ordering::SeqCst) {
            g.overlapped.store(true, Ordering::SeqCst);
        }
    };
    let slots = Arc::new(parking_lot::Mutex::new(Vec::<nodews::Timeout>::new()));
    let (g, s) = (game.clone(), slots.clone());
    let step = nodews::set_interval(16, move || {
        enter(&g);
        let physics = g.physics.fetch_add(1, Ordering::SeqCst) + 1;
        let seen = g.broadcasts_since_last_step.swap(0, Ordering::SeqCst);
        if physics > 1 && seen != 1 {
            g.out_of_step.fetch_add(1, Ordering::SeqCst);
        }
        if physics == TICKS {
            for t in s.lock().iter() {
                t.clear();
            }
        }
        std::thread::sleep(Duration::from_micros(200)); // a step takes time
        g.running.store(false, Ordering::SeqCst);
    });
    let g = game.clone();
    let broadcast = nodews::set_interval(16, move || {
        enter(&g);
        g.broadcasts_since_last_step.fetch_add(1, Ordering::SeqCst);
        g.running.store(false, Ordering::SeqCst);
    });
    slots.lock().extend([step, broadcast]);
    nodews::run();

    assert_eq!(game.physics.load(Ordering::SeqCst), TICKS);
    assert!(
        !game.overlapped.load(Ordering::SeqCst),
        "timer callbacks ran concurrently"
    );
    let node_said = node_lines.wait_for("node's result", |e| !e.is_empty());
    support::wait_child(&mut node, Duration::from_secs(10));
    assert_eq!(node_said, vec![format!("out of step 0 of {}", TICKS - 1)]);
    assert_eq!(
        format!(
            "out of step {} of {}",
            game.out_of_step.load(Ordering::SeqCst),
            TICKS - 1
        ),
        node_said[0],
        "nodews's timers must keep Node's order"
    );
}
