//! What happens to an uncaught error: a panicking listener or timer callback, or an
//! `error` event nobody listens to. Node ends the process (printing the error, exit
//! code 1) unless `process.on('uncaughtException', handler)` takes it; nodews's
//! default is gentler (the panic becomes the emitter's `error` event, an unheard
//! `error` is logged) and a program opts into Node's rule with one line.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::Error;

static EXIT: AtomicBool = AtomicBool::new(false);
type Hook = Box<dyn Fn(&Error) + Send + Sync>;
static HOOK: OnceLock<Hook> = OnceLock::new();

/// Node's crash semantics, process-wide: from now on a listener or timer callback
/// that panics, or an `error` event with no listener, prints the error to stderr and
/// ends the process with exit code 1, as an uncaught exception does in Node.
/// Supervisors that restart crashed programs rely on that. (Without it, nodews keeps
/// running: see the crate docs.)
///
/// ```no_run
/// nodews::exit_on_uncaught(true);
/// ```
pub fn exit_on_uncaught(enabled: bool) {
    EXIT.store(enabled, Ordering::SeqCst);
}

/// `process.on('uncaughtException', handler)`: `handler` gets every uncaught error
/// (see [`exit_on_uncaught`]) instead of the default handling, and the process goes
/// on. It runs on the thread where the error happened. Set once; later calls are
/// ignored and return `false`.
///
/// ```no_run
/// nodews::on_uncaught_exception(|error| eprintln!("uncaught: {error}"));
/// ```
pub fn on_uncaught_exception(handler: impl Fn(&Error) + Send + Sync + 'static) -> bool {
    HOOK.set(Box::new(handler)).is_ok()
}

/// Applies the policy to an uncaught `error`: calls the handler and returns `true`
/// (taken), or exits the process, or returns `false` for the default handling.
pub(crate) fn take(error: &Error) -> bool {
    if let Some(hook) = HOOK.get() {
        if let Err(panic) = crate::runtime::call_user(|| hook(error)) {
            log::error!("the uncaught-exception handler panicked: {panic}");
        }
        return true;
    }
    if EXIT.load(Ordering::SeqCst) {
        eprintln!("Uncaught {}: {}", error.code(), error.message());
        std::process::exit(1);
    }
    false
}
