//! The peers: installing Node `ws`, starting processes, and reading their output
//! line by line with a time limit on every wait.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// The Node `ws` release nodews follows (also pinned in `package.json`).
pub const WS_VERSION: &str = "8.23.0";

/// How long `npm install` may take.
const NPM_LIMIT: Duration = Duration::from_secs(300);

/// This crate's directory (`tests/dependent`): node scripts and `node_modules` live here.
pub fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The `node_modules` folder holding Node `ws` [`WS_VERSION`], installing it with npm
/// into `tests/dependent/node_modules` if it is missing or another version.
/// `NODEWS_NODE_MODULES` names an existing folder to use instead (as in nodews's tests).
pub fn ensure_ws() -> Result<PathBuf, String> {
    if let Ok(dir) = std::env::var("NODEWS_NODE_MODULES") {
        let dir = PathBuf::from(dir);
        return match ws_version(&dir) {
            Some(v) if v == WS_VERSION => Ok(dir),
            other => Err(format!(
                "NODEWS_NODE_MODULES={} has ws {other:?}, not {WS_VERSION}",
                dir.display()
            )),
        };
    }
    let modules = crate_dir().join("node_modules");
    if ws_version(&modules).as_deref() == Some(WS_VERSION) {
        return Ok(modules);
    }
    println!("installing Node ws {WS_VERSION} into {}", modules.display());
    // package.json pins ws; no lock file is needed for a package without dependencies.
    let child = Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--no-package-lock",
            "--silent",
        ])
        .current_dir(crate_dir())
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run npm (is Node.js with npm installed?): {e}"))?;
    let status = wait_child(child, NPM_LIMIT, "npm install")?;
    if !status.success() {
        return Err(format!("npm install failed: {status}"));
    }
    match ws_version(&modules) {
        Some(v) if v == WS_VERSION => Ok(modules),
        other => Err(format!(
            "after npm install, node_modules has ws {other:?}, not {WS_VERSION}"
        )),
    }
}

/// The `version` field of `node_modules/ws/package.json`, if there is one.
fn ws_version(modules: &Path) -> Option<String> {
    let text = std::fs::read_to_string(modules.join("ws/package.json")).ok()?;
    // `"version": "8.23.0",`: enough parsing for npm's own formatting.
    let line = text.lines().find(|l| l.trim().starts_with("\"version\""))?;
    let value = line.split(':').nth(1)?;
    Some(
        value
            .trim()
            .trim_end_matches(',')
            .trim_matches('"')
            .to_string(),
    )
}

/// `node --version`, for the report.
pub fn node_version() -> String {
    Command::new("node")
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "(node not found)".into())
}

/// Waits for `child` to exit; kills it and fails if that takes longer than `limit`.
pub fn wait_child(mut child: Child, limit: Duration, what: &str) -> Result<ExitStatus, String> {
    let deadline = Instant::now() + limit;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(status),
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{what} did not finish within {limit:?}"));
            }
            Err(e) => return Err(format!("waiting for {what}: {e}")),
        }
    }
}

/// Lines a process printed, collected by a reader thread; waits on them are bounded.
#[derive(Clone, Default)]
pub struct Lines {
    inner: Arc<(Mutex<LinesState>, Condvar)>,
}

#[derive(Default)]
struct LinesState {
    lines: Vec<String>,
    ended: bool,
}

impl Lines {
    /// Starts a thread that reads `from` line by line until it ends.
    fn read(from: impl Read + Send + 'static) -> Lines {
        let lines = Lines::default();
        let inner = lines.inner.clone();
        thread::spawn(move || {
            for line in BufReader::new(from).lines().map_while(Result::ok) {
                inner.0.lock().unwrap().lines.push(line);
                inner.1.notify_all();
            }
            inner.0.lock().unwrap().ended = true;
            inner.1.notify_all();
        });
        lines
    }

    /// Everything read so far.
    pub fn all(&self) -> Vec<String> {
        self.inner.0.lock().unwrap().lines.clone()
    }

    /// Waits until some line satisfies `wanted` and returns it; fails after `limit`, or
    /// as soon as the output has ended without one.
    pub fn wait_for(
        &self,
        what: &str,
        limit: Duration,
        wanted: impl Fn(&str) -> bool,
    ) -> Result<String, String> {
        let deadline = Instant::now() + limit;
        let (lock, changed) = &*self.inner;
        let mut state = lock.lock().unwrap();
        loop {
            if let Some(line) = state.lines.iter().find(|l| wanted(l)) {
                return Ok(line.clone());
            }
            let now = Instant::now();
            if state.ended || now >= deadline {
                let why = if state.ended {
                    "the output ended".to_string()
                } else {
                    format!("timed out after {limit:?}")
                };
                return Err(format!("waiting for {what}: {why}"));
            }
            state = changed.wait_timeout(state, deadline - now).unwrap().0;
        }
    }
}

/// A running child process (a node script or our own idle server) whose stdout and
/// stderr are read into [`Lines`]. It is killed when dropped, so no peer outlives a
/// failed check.
pub struct Peer {
    child: Child,
    stdin: Option<ChildStdin>,
    /// What it printed on stdout.
    pub out: Lines,
    /// What it printed on stderr (shown when something fails).
    pub err: Lines,
}

impl Peer {
    /// Starts `node node/<script> args...` with Node `ws` on its module path.
    pub fn node(script: &str, args: &[&str], node_modules: &Path) -> Result<Peer, String> {
        let mut cmd = Command::new("node");
        cmd.arg(crate_dir().join("node").join(script))
            .args(args)
            .env("NODE_PATH", node_modules);
        Peer::spawn(cmd, script)
    }

    /// Starts `cmd` with piped stdin, stdout and stderr.
    pub fn spawn(mut cmd: Command, what: &str) -> Result<Peer, String> {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {what}: {e}"))?;
        let out = Lines::read(child.stdout.take().expect("piped stdout"));
        let err = Lines::read(child.stderr.take().expect("piped stderr"));
        let stdin = child.stdin.take();
        Ok(Peer {
            child,
            stdin,
            out,
            err,
        })
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Writes one line to the child's stdin.
    pub fn send_line(&mut self, line: &str) -> Result<(), String> {
        let stdin = self.stdin.as_mut().ok_or("stdin already closed")?;
        writeln!(stdin, "{line}")
            .and_then(|()| stdin.flush())
            .map_err(|e| format!("writing to the child's stdin: {e}"))
    }

    /// Closes the child's stdin (our peers exit when it ends) and waits for it to exit;
    /// after `limit` it fails, and dropping `self` kills the child.
    pub fn finish(mut self, limit: Duration) -> Result<ExitStatus, String> {
        self.stdin = None;
        let deadline = Instant::now() + limit;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return Ok(status),
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
                Ok(None) => return Err(format!("did not exit within {limit:?}; killed")),
                Err(e) => return Err(format!("waiting for the child: {e}")),
            }
        }
    }

    /// Its stderr so far, indented, for error messages (empty if it printed nothing).
    pub fn stderr_note(&self) -> String {
        let lines = self.err.all();
        if lines.is_empty() {
            String::new()
        } else {
            format!("\n    stderr: {}", lines.join("\n    stderr: "))
        }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
