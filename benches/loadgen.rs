//! Load generator for `benches/compare.sh`: tokio + async-tungstenite, one thread
//! (pin it to a core with `taskset`), no nodews code, so every server is driven alike.
//!
//! ```text
//! loadgen echo      --url ws://127.0.0.1:9001/ --conns 100 --depth 16 --size 64 --kind text --duration 5 --pid PID
//! loadgen broadcast --url ... --clients 1000 --depth 8 --size 64 --duration 5 --pid PID
//! loadgen connect   --url ... --conns 10000 --pid PID
//! loadgen soak      --url ... --conns 10000 --duration 300 --pid PID
//! loadgen report    results.tsv
//! ```
//!
//! (`cargo bench --bench loadgen -- echo --url ...` runs it too.)
//!
//! * `echo`: N connections each keep D messages in flight. Every echo must be the next
//!   message that connection sent, byte for byte and of the same kind (text/binary).
//!   Reports msgs/s, MB/s (payload, one way), latency p50/p99/p99.9 (send to echo,
//!   hdrhistogram), and the server's CPU time (utime + stime from /proc/PID/stat) per
//!   message over the measured window.
//! * `broadcast`: K clients; client 0 also sends, keeping D messages in flight (a
//!   message is done when K deliveries have been counted); every client must receive
//!   every message, in order, intact. Reports deliveries/s and server CPU per delivery.
//! * `connect`: opens N idle connections from 127.0.0.2..=127.0.0.101 (so ephemeral
//!   ports do not run out), reports connect time and the server's RSS (VmRSS from
//!   /proc/PID/status) before and after, i.e. bytes per idle connection; then closes
//!   them all with a close handshake.
//! * `soak`: for `--duration` seconds, cycles: open N connections, one echo on each
//!   (checked), close them all with a close handshake. Prints the server's open file
//!   descriptors (/proc/PID/fd) and RSS before, at each cycle's peak and after each
//!   cycle, and fails if descriptors are not back to where they started or RSS keeps
//!   growing after the first cycle (a leak), not if it stays at the first cycle's
//!   level (allocators keep freed memory).
//!
//! Any wrong echo, lost message (none within `--timeout` seconds), dropped connection
//! or failed close handshake is an error: it is printed, the record says
//! `status=FAIL`, and the exit status is 1.
//!
//! `--record FILE --tags "server=x scenario=y round=1"` appends one tab-separated
//! `key=value` line per run; `report FILE` prints the markdown tables of medians.

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write as _;
use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_tungstenite::WebSocketStream;
use async_tungstenite::tokio::{TokioAdapter, client_async_with_config};
use async_tungstenite::tungstenite::protocol::WebSocketConfig;
use async_tungstenite::tungstenite::{Bytes, Message, Utf8Bytes};
use futures_util::{FutureExt, SinkExt, StreamExt};
use hdrhistogram::Histogram;
use tokio::net::{TcpSocket, TcpStream};

type Ws = WebSocketStream<TokioAdapter<TcpStream>>;
type Res<T> = Result<T, String>;

const WARMUP: u8 = 0;
const MEASURE: u8 = 1;
const STOP: u8 = 2;
/// Every payload starts with this: connection id (8 hex digits) and sequence (16).
const HEADER: usize = 24;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let Some(mode) = args.first().cloned() else {
        println!("{}", USAGE);
        return;
    };
    if mode == "report" {
        let Some(file) = args.get(1) else {
            fail_usage("report needs a results file")
        };
        let text =
            std::fs::read_to_string(file).unwrap_or_else(|e| fail_usage(&format!("{file}: {e}")));
        print!("{}", report(&text));
        return;
    }
    let opts = Opts::parse(&args[1..]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let local = tokio::task::LocalSet::new();
    let result = local.block_on(&runtime, async {
        wait_for_port(&opts).await?;
        match mode.as_str() {
            "echo" => echo(&opts).await,
            "broadcast" => broadcast(&opts).await,
            "connect" => connect(&opts).await,
            "soak" => soak(&opts).await,
            other => fail_usage(&format!("unknown mode {other}")),
        }
    });
    let (status, mut metrics) = match result {
        Ok(metrics) => ("ok", metrics),
        Err(error) => {
            eprintln!("\n*** loadgen {mode} FAILED: {error} ***\n");
            (
                "FAIL",
                vec![("error".to_string(), error.replace(['\t', '\n'], " "))],
            )
        }
    };
    metrics.insert(0, ("status".into(), status.into()));
    metrics.insert(1, ("mode".into(), mode.clone()));
    let line = metrics
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("  ");
    println!("{}  {line}", opts.tags.replace(' ', "  "));
    if let Some(path) = &opts.record {
        let mut fields: Vec<String> = opts.tags.split_whitespace().map(str::to_string).collect();
        fields.extend(metrics.iter().map(|(k, v)| format!("{k}={v}")));
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap_or_else(|e| fail_usage(&format!("{path}: {e}")));
        writeln!(file, "{}", fields.join("\t")).expect("write record");
    }
    if status != "ok" {
        std::process::exit(1);
    }
}

const USAGE: &str =
    "usage: loadgen echo|broadcast|connect|soak [--url ws://127.0.0.1:8080/] [--pid SERVER_PID]
        [--conns N] [--clients K] [--depth D] [--size BYTES] [--kind text|binary]
        [--duration SECS] [--warmup SECS] [--timeout SECS] [--concurrency C]
        [--record FILE --tags \"key=value ...\"]
       loadgen report FILE";

fn fail_usage(why: &str) -> ! {
    eprintln!("loadgen: {why}\n{USAGE}");
    std::process::exit(2);
}

#[derive(Clone, Debug)]
struct Opts {
    url: String,
    addr: SocketAddr,
    pid: Option<u32>,
    conns: usize,
    clients: usize,
    depth: usize,
    size: usize,
    binary: bool,
    duration: Duration,
    warmup: Duration,
    timeout: Duration,
    concurrency: usize,
    record: Option<String>,
    tags: String,
}

impl Opts {
    fn parse(args: &[String]) -> Opts {
        let mut map = BTreeMap::new();
        let mut it = args.iter();
        while let Some(key) = it.next() {
            let Some(name) = key.strip_prefix("--") else {
                fail_usage(&format!("unexpected argument {key}"))
            };
            let Some(value) = it.next() else {
                fail_usage(&format!("{key} needs a value"))
            };
            map.insert(name.to_string(), value.clone());
        }
        let get = |k: &str, default: &str| map.get(k).cloned().unwrap_or_else(|| default.into());
        let num = |k: &str, default: &str| -> f64 {
            get(k, default)
                .parse()
                .unwrap_or_else(|_| fail_usage(&format!("--{k} must be a number")))
        };
        let url = get("url", "ws://127.0.0.1:8080/");
        let hostport = url
            .strip_prefix("ws://")
            .unwrap_or_else(|| fail_usage("--url must start with ws://"))
            .split('/')
            .next()
            .unwrap_or_default()
            .to_string();
        let addr = hostport
            .to_socket_addrs()
            .ok()
            .and_then(|mut a| a.next())
            .unwrap_or_else(|| fail_usage(&format!("cannot resolve {hostport}")));
        let kind = get("kind", "binary");
        let opts = Opts {
            url,
            addr,
            pid: map
                .get("pid")
                .map(|p| p.parse().unwrap_or_else(|_| fail_usage("--pid"))),
            conns: num("conns", "100") as usize,
            clients: num("clients", "1000") as usize,
            depth: num("depth", "1") as usize,
            size: num("size", "64") as usize,
            binary: match kind.as_str() {
                "binary" => true,
                "text" => false,
                _ => fail_usage("--kind must be text or binary"),
            },
            duration: Duration::from_secs_f64(num("duration", "5")),
            warmup: Duration::from_secs_f64(num("warmup", "1")),
            timeout: Duration::from_secs_f64(num("timeout", "10")),
            concurrency: num("concurrency", "200") as usize,
            record: map.get("record").cloned(),
            tags: get("tags", ""),
        };
        if opts.size < HEADER {
            fail_usage(&format!("--size must be at least {HEADER}"));
        }
        if opts.depth == 0 || opts.conns == 0 || opts.clients == 0 {
            fail_usage("--depth, --conns and --clients must be positive");
        }
        opts
    }
}

// ----- server process figures -----

fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// utime + stime of a process (all its threads), in seconds.
fn cpu_seconds(pid: &str, ticks: f64) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // rest[0] is field 3 (state): utime is field 14, stime 15.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / ticks)
}

fn rss_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Server and generator CPU seconds over a window.
struct CpuMeter {
    pid: Option<u32>,
    ticks: f64,
    server0: f64,
    self0: f64,
    busy0: f64,
    t0: Instant,
}

/// What a measured window cost: wall time and CPU seconds.
struct Window {
    wall: f64,
    /// The server's utime + stime, if its pid is known.
    server: Option<f64>,
    /// This generator's.
    generator: f64,
    /// Everything else on the machine (a compile running beside the benchmark...).
    other: f64,
}

/// CPU seconds the whole machine spent busy (all cores), from /proc/stat.
fn machine_busy_seconds(ticks: f64) -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let Some(line) = stat.lines().find(|l| l.starts_with("cpu ")) else {
        return 0.0;
    };
    // user nice system idle iowait irq softirq steal ...
    let v: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    let busy: f64 = v
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4 && *i < 8)
        .map(|(_, x)| x)
        .sum();
    busy / ticks
}

impl CpuMeter {
    fn start(pid: Option<u32>) -> CpuMeter {
        let ticks = clock_ticks();
        CpuMeter {
            pid,
            ticks,
            server0: pid
                .and_then(|p| cpu_seconds(&p.to_string(), ticks))
                .unwrap_or(0.0),
            self0: cpu_seconds("self", ticks).unwrap_or(0.0),
            busy0: machine_busy_seconds(ticks),
            t0: Instant::now(),
        }
    }

    fn stop(&self) -> Window {
        let wall = self.t0.elapsed().as_secs_f64();
        let server = self
            .pid
            .and_then(|p| cpu_seconds(&p.to_string(), self.ticks))
            .map(|s| s - self.server0);
        let generator = cpu_seconds("self", self.ticks).unwrap_or(0.0) - self.self0;
        let busy = machine_busy_seconds(self.ticks) - self.busy0;
        let other = (busy - generator - server.unwrap_or(0.0)).max(0.0);
        Window {
            wall,
            server,
            generator,
            other,
        }
    }
}

fn check_server_alive(opts: &Opts) -> Res<()> {
    match opts.pid {
        Some(pid) if !std::path::Path::new(&format!("/proc/{pid}")).exists() => {
            Err(format!("the server (pid {pid}) has exited"))
        }
        _ => Ok(()),
    }
}

// ----- connections and payloads -----

/// Waits until the server accepts TCP connections (it may still be starting).
async fn wait_for_port(opts: &Opts) -> Res<()> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        check_server_alive(opts)?;
        if TcpStream::connect(opts.addr).await.is_ok() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("nothing listens on {}", opts.addr));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn open(opts: &Opts, source: Option<Ipv4Addr>, read_buffer: usize) -> Res<Ws> {
    let socket = if opts.addr.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }
    .map_err(|e| format!("socket: {e}"))?;
    if let Some(ip) = source {
        socket
            .bind(SocketAddr::from((ip, 0)))
            .map_err(|e| format!("bind {ip}: {e}"))?;
    }
    let tcp = socket
        .connect(opts.addr)
        .await
        .map_err(|e| format!("connect {}: {e}", opts.addr))?;
    tcp.set_nodelay(true).map_err(|e| e.to_string())?;
    let config = WebSocketConfig::default()
        .read_buffer_size(read_buffer)
        .max_message_size(Some(256 << 20))
        .max_frame_size(Some(256 << 20));
    let (ws, _) = client_async_with_config(opts.url.as_str(), tcp, Some(config))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    Ok(ws)
}

async fn open_all(opts: &Opts, n: usize, read_buffer: usize) -> Res<Vec<Ws>> {
    let opened: Vec<Res<Ws>> = futures_util::stream::iter(0..n)
        .map(|_| open(opts, None, read_buffer))
        .buffered(opts.concurrency)
        .collect()
        .await;
    opened.into_iter().collect()
}

/// Closes with a close handshake: the server must answer with a close frame and end TCP.
async fn close(mut ws: Ws, timeout: Duration) -> Res<()> {
    let done = async {
        ws.close(None).await.map_err(|e| format!("close: {e}"))?;
        loop {
            match ws.next().await {
                None => return Ok(()),
                Some(Ok(Message::Close(_))) => {}
                Some(Ok(other)) => {
                    return Err(format!(
                        "unexpected {} B message while closing",
                        other.len()
                    ));
                }
                Some(Err(e)) => return Err(format!("closing: {e}")),
            }
        }
    };
    tokio::time::timeout(timeout, done)
        .await
        .map_err(|_| "no close handshake from the server".to_string())?
}

/// A connection's payload template: the header is overwritten per message; the rest
/// is a pattern unique to the connection. ASCII, so it also serves for text.
fn template(id: usize, size: usize) -> Vec<u8> {
    (0..size)
        .map(|i| b'a' + ((i * 7 + id) % 26) as u8)
        .collect()
}

fn header(id: usize, seq: u64) -> [u8; HEADER] {
    let mut h = [0u8; HEADER];
    let s = format!("{:08x}{:016x}", id as u32, seq);
    h.copy_from_slice(s.as_bytes());
    h
}

fn make_message(template: &[u8], id: usize, seq: u64, binary: bool) -> Message {
    let mut v = Vec::with_capacity(template.len());
    v.extend_from_slice(&header(id, seq));
    v.extend_from_slice(&template[HEADER..]);
    if binary {
        Message::Binary(Bytes::from(v))
    } else {
        Message::Text(Utf8Bytes::try_from(Bytes::from(v)).expect("ASCII"))
    }
}

/// Checks a received message against what was sent as `(id, seq)`.
fn verify(msg: &Message, template: &[u8], id: usize, seq: u64, binary: bool) -> Res<usize> {
    let data: &[u8] = match (msg, binary) {
        (Message::Binary(b), true) => b,
        (Message::Text(t), false) => t.as_bytes(),
        (Message::Close(frame), _) => {
            return Err(format!(
                "connection {id}: the server closed it ({frame:?}) while message {seq} was expected"
            ));
        }
        (other, _) => {
            return Err(format!(
                "connection {id}: expected a {} message, got {} ({} B)",
                if binary { "binary" } else { "text" },
                kind_name(other),
                other.len()
            ));
        }
    };
    if data.len() != template.len() {
        return Err(format!(
            "connection {id}: message {seq}: {} B received, {} B sent",
            data.len(),
            template.len()
        ));
    }
    if data[..HEADER] != header(id, seq) {
        return Err(format!(
            "connection {id}: expected message {seq}, got header {:?} (out of order, lost or foreign)",
            String::from_utf8_lossy(&data[..HEADER])
        ));
    }
    if data[HEADER..] != template[HEADER..] {
        return Err(format!(
            "connection {id}: message {seq}: payload differs from what was sent"
        ));
    }
    Ok(data.len())
}

fn kind_name(m: &Message) -> &'static str {
    match m {
        Message::Text(_) => "text",
        Message::Binary(_) => "binary",
        Message::Ping(_) => "ping",
        Message::Pong(_) => "pong",
        Message::Close(_) => "close",
        Message::Frame(_) => "frame",
    }
}

/// The next message, or an error if the connection ended or nothing came in time.
async fn next_message(ws: &mut Ws, id: usize, timeout: Duration) -> Res<Message> {
    match tokio::time::timeout(timeout, ws.next()).await {
        Err(_) => Err(format!(
            "connection {id}: nothing received for {timeout:?}: message(s) lost"
        )),
        Ok(None) => Err(format!("connection {id}: dropped by the server")),
        Ok(Some(Err(e))) => Err(format!("connection {id}: {e}")),
        Ok(Some(Ok(m))) => Ok(m),
    }
}

/// Fetches a message that is ready now, without waiting.
fn ready_message(ws: &mut Ws, id: usize) -> Option<Res<Message>> {
    match ws.next().now_or_never()? {
        None => Some(Err(format!("connection {id}: dropped by the server"))),
        Some(Err(e)) => Some(Err(format!("connection {id}: {e}"))),
        Some(Ok(m)) => Some(Ok(m)),
    }
}

fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("histogram")
}

struct Shared {
    phase: AtomicU8,
    messages: AtomicU64,
    bytes: AtomicU64,
    failed: AtomicBool,
    /// Every verified message (or delivery), warm-up and drain included.
    total: AtomicU64,
}

fn f(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.3}")
    }
}

// ----- echo -----

async fn echo(opts: &Opts) -> Res<Vec<(String, String)>> {
    let read_buffer = (opts.size + 64).clamp(16 << 10, 256 << 10);
    let conns = open_all(opts, opts.conns, read_buffer).await?;
    let shared = Rc::new(Shared {
        phase: AtomicU8::new(WARMUP),
        messages: AtomicU64::new(0),
        bytes: AtomicU64::new(0),
        failed: AtomicBool::new(false),
        total: AtomicU64::new(0),
    });
    let mut tasks = Vec::new();
    for (id, ws) in conns.into_iter().enumerate() {
        let (shared, opts) = (shared.clone(), opts.clone());
        tasks.push(tokio::task::spawn_local(async move {
            let result = echo_conn(id, ws, &opts, &shared).await;
            if result.is_err() {
                shared.failed.store(true, Ordering::Relaxed);
            }
            result
        }));
    }
    let Window {
        wall,
        server: server_cpu,
        generator: gen_cpu,
        other,
    } = measure(opts, &shared).await;
    let messages = shared.messages.load(Ordering::Relaxed) as f64;
    let bytes = shared.bytes.load(Ordering::Relaxed) as f64;
    let mut latency = new_histogram();
    let mut errors = Vec::new();
    for task in tasks {
        match task.await.map_err(|e| e.to_string()).and_then(|r| r) {
            Ok(h) => latency.add(h).expect("histogram"),
            Err(e) => errors.push(e),
        }
    }
    check_server_alive(opts)?;
    if !errors.is_empty() {
        return Err(format!("{} error(s); first: {}", errors.len(), errors[0]));
    }
    if messages == 0.0 {
        return Err("no message was echoed in the measured window".into());
    }
    let mut out = vec![
        ("msgs_per_s".into(), f(messages / wall)),
        ("mb_per_s".into(), f(bytes / wall / 1e6)),
        ("p50_us".into(), latency.value_at_quantile(0.50).to_string()),
        ("p99_us".into(), latency.value_at_quantile(0.99).to_string()),
        (
            "p999_us".into(),
            latency.value_at_quantile(0.999).to_string(),
        ),
        ("messages".into(), messages.to_string()),
        (
            "total_messages".into(),
            shared.total.load(Ordering::Relaxed).to_string(),
        ),
        ("gen_cpu_pct".into(), f(100.0 * gen_cpu / wall)),
        ("other_cpu_pct".into(), f(100.0 * other / wall)),
        ("errors".into(), "0".into()),
    ];
    if let Some(cpu) = server_cpu {
        out.push(("cpu_us_per_msg".into(), f(cpu * 1e6 / messages)));
        out.push(("srv_cpu_pct".into(), f(100.0 * cpu / wall)));
    }
    Ok(out)
}

/// Warm-up, then the measured window; then tells the tasks to stop sending.
async fn measure(opts: &Opts, shared: &Shared) -> Window {
    tokio::time::sleep(opts.warmup).await;
    let meter = CpuMeter::start(opts.pid);
    shared.phase.store(MEASURE, Ordering::Relaxed);
    let end = Instant::now() + opts.duration;
    // Wake up now and then so that a failed connection ends the run early.
    while Instant::now() < end && !shared.failed.load(Ordering::Relaxed) {
        tokio::time::sleep((end - Instant::now()).min(Duration::from_millis(100))).await;
    }
    shared.phase.store(STOP, Ordering::Relaxed);
    meter.stop()
}

async fn echo_conn(id: usize, mut ws: Ws, opts: &Opts, shared: &Shared) -> Res<Histogram<u64>> {
    let template = template(id, opts.size);
    let mut hist = new_histogram();
    let mut in_flight: VecDeque<(u64, Instant)> = VecDeque::with_capacity(opts.depth);
    let mut next_seq = 0u64;
    let mut next_to_send = |in_flight: &mut VecDeque<(u64, Instant)>| {
        let msg = make_message(&template, id, next_seq, opts.binary);
        in_flight.push_back((next_seq, Instant::now()));
        next_seq += 1;
        msg
    };
    for _ in 0..opts.depth {
        let msg = next_to_send(&mut in_flight);
        // feed() queues without flushing unless tungstenite's buffer is full.
        ws.feed(msg)
            .await
            .map_err(|e| format!("connection {id}: send: {e}"))?;
    }
    ws.flush()
        .await
        .map_err(|e| format!("connection {id}: {e}"))?;
    let mut first = Some(next_message(&mut ws, id, opts.timeout).await?);
    loop {
        // Handle every message that is ready, then flush the replies in one write.
        while let Some(msg) = match first.take() {
            Some(m) => Some(Ok(m)),
            None => ready_message(&mut ws, id),
        } {
            let msg = msg?;
            if matches!(msg, Message::Ping(_) | Message::Pong(_)) {
                continue;
            }
            let Some((seq, sent_at)) = in_flight.pop_front() else {
                return Err(format!("connection {id}: a message that was never sent"));
            };
            let len = verify(&msg, &template, id, seq, opts.binary)?;
            shared.total.fetch_add(1, Ordering::Relaxed);
            let phase = shared.phase.load(Ordering::Relaxed);
            if phase == MEASURE {
                let _ = hist.record(sent_at.elapsed().as_micros().max(1) as u64);
                shared.messages.fetch_add(1, Ordering::Relaxed);
                shared.bytes.fetch_add(len as u64, Ordering::Relaxed);
            }
            if phase != STOP {
                let msg = next_to_send(&mut in_flight);
                ws.feed(msg)
                    .await
                    .map_err(|e| format!("connection {id}: send: {e}"))?;
            }
            if shared.failed.load(Ordering::Relaxed) {
                return Err(format!(
                    "connection {id}: stopped: another connection failed"
                ));
            }
        }
        ws.flush()
            .await
            .map_err(|e| format!("connection {id}: {e}"))?;
        if in_flight.is_empty() {
            break;
        }
        first = Some(next_message(&mut ws, id, opts.timeout).await?);
    }
    close(ws, opts.timeout)
        .await
        .map_err(|e| format!("connection {id}: {e}"))?;
    Ok(hist)
}

// ----- broadcast -----

struct Bcast {
    shared: Shared,
    /// Messages sent by client 0.
    sent: AtomicU64,
    /// Deliveries counted by all clients (for flow control).
    delivered: AtomicU64,
    sender_wake: tokio::sync::Notify,
    done: tokio::sync::watch::Sender<bool>,
}

async fn broadcast(opts: &Opts) -> Res<Vec<(String, String)>> {
    let k = opts.clients as u64;
    let conns = open_all(opts, opts.clients, 16 << 10).await?;
    let state = Rc::new(Bcast {
        shared: Shared {
            phase: AtomicU8::new(WARMUP),
            messages: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            failed: AtomicBool::new(false),
            total: AtomicU64::new(0),
        },
        sent: AtomicU64::new(0),
        delivered: AtomicU64::new(0),
        sender_wake: tokio::sync::Notify::new(),
        done: tokio::sync::watch::channel(false).0,
    });
    let mut tasks = Vec::new();
    for (id, ws) in conns.into_iter().enumerate() {
        let (state, opts) = (state.clone(), opts.clone());
        tasks.push(tokio::task::spawn_local(async move {
            let result = bcast_client(id, ws, &opts, &state).await;
            if result.is_err() {
                state.shared.failed.store(true, Ordering::Relaxed);
                state.sender_wake.notify_one();
            }
            result
        }));
    }
    let Window {
        wall,
        server: server_cpu,
        generator: gen_cpu,
        other,
    } = measure(opts, &state.shared).await;
    let deliveries = state.shared.messages.load(Ordering::Relaxed) as f64;
    state.sender_wake.notify_one();
    // Let the sender see STOP, then wait for every message to reach every client.
    let deadline = Instant::now() + opts.timeout;
    let mut lost = None;
    loop {
        tokio::time::sleep(Duration::from_millis(5)).await;
        let sent = state.sent.load(Ordering::Relaxed);
        let delivered = state.delivered.load(Ordering::Relaxed);
        if state.shared.failed.load(Ordering::Relaxed) || delivered == sent * k {
            break;
        }
        if Instant::now() > deadline {
            lost = Some(format!(
                "{} of {} deliveries missing after {:?}",
                sent * k - delivered,
                sent * k,
                opts.timeout
            ));
            break;
        }
    }
    let _ = state.done.send(true);
    let mut errors: Vec<String> = lost.into_iter().collect();
    for task in tasks {
        if let Err(e) = task.await.map_err(|e| e.to_string()).and_then(|r| r) {
            errors.push(e);
        }
    }
    check_server_alive(opts)?;
    if !errors.is_empty() {
        return Err(format!("{} error(s); first: {}", errors.len(), errors[0]));
    }
    if deliveries == 0.0 {
        return Err("no delivery in the measured window".into());
    }
    let mut out = vec![
        ("deliveries_per_s".into(), f(deliveries / wall)),
        ("msgs_per_s".into(), f(deliveries / wall / k as f64)),
        (
            "messages".into(),
            state.sent.load(Ordering::Relaxed).to_string(),
        ),
        (
            "total_deliveries".into(),
            state.shared.total.load(Ordering::Relaxed).to_string(),
        ),
        ("gen_cpu_pct".into(), f(100.0 * gen_cpu / wall)),
        ("other_cpu_pct".into(), f(100.0 * other / wall)),
        ("errors".into(), "0".into()),
    ];
    if let Some(cpu) = server_cpu {
        out.push(("cpu_us_per_delivery".into(), f(cpu * 1e6 / deliveries)));
        out.push(("srv_cpu_pct".into(), f(100.0 * cpu / wall)));
    }
    Ok(out)
}

/// Client 0 sends (and receives, like every client); all verify order and content.
async fn bcast_client(id: usize, mut ws: Ws, opts: &Opts, state: &Bcast) -> Res<()> {
    const SENDER: usize = 0;
    let template = template(SENDER, opts.size);
    let k = opts.clients as u64;
    let mut expected = 0u64;
    let mut done = state.done.subscribe();
    loop {
        if id == SENDER && state.shared.phase.load(Ordering::Relaxed) != STOP {
            // Keep `depth` messages in flight: a message is done after k deliveries.
            let mut sent = state.sent.load(Ordering::Relaxed);
            let mut fed = false;
            while sent < state.delivered.load(Ordering::Relaxed) / k + opts.depth as u64 {
                ws.feed(make_message(&template, SENDER, sent, opts.binary))
                    .await
                    .map_err(|e| format!("sender: {e}"))?;
                sent += 1;
                fed = true;
            }
            if fed {
                state.sent.store(sent, Ordering::Relaxed);
                ws.flush().await.map_err(|e| format!("sender: {e}"))?;
            }
        }
        let msg = tokio::select! {
            biased;
            m = tokio::time::timeout(opts.timeout, ws.next()) => match m {
                Err(_) => return Err(format!("client {id}: nothing received for {:?}: message(s) lost", opts.timeout)),
                Ok(None) => return Err(format!("client {id}: dropped by the server")),
                Ok(Some(Err(e))) => return Err(format!("client {id}: {e}")),
                Ok(Some(Ok(m))) => m,
            },
            _ = state.sender_wake.notified(), if id == SENDER => continue,
            _ = done.changed() => break,
        };
        if matches!(msg, Message::Ping(_) | Message::Pong(_)) {
            continue;
        }
        verify(&msg, &template, SENDER, expected, opts.binary)
            .map_err(|e| format!("client {id}: {e}"))?;
        expected += 1;
        state.shared.total.fetch_add(1, Ordering::Relaxed);
        let delivered = state.delivered.fetch_add(1, Ordering::Relaxed) + 1;
        if state.shared.phase.load(Ordering::Relaxed) == MEASURE {
            state.shared.messages.fetch_add(1, Ordering::Relaxed);
        }
        if delivered.is_multiple_of(k) {
            state.sender_wake.notify_one();
        }
        if state.shared.failed.load(Ordering::Relaxed) {
            return Err(format!("client {id}: stopped: another client failed"));
        }
    }
    let sent = state.sent.load(Ordering::Relaxed);
    if expected != sent {
        return Err(format!(
            "client {id}: received {expected} of {sent} messages"
        ));
    }
    close(ws, opts.timeout)
        .await
        .map_err(|e| format!("client {id}: {e}"))
}

// ----- connect (idle connections, memory) -----

fn open_fds(pid: u32) -> Option<usize> {
    Some(std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count())
}

async fn soak(opts: &Opts) -> Res<Vec<(String, String)>> {
    let pid = opts
        .pid
        .ok_or("soak needs --pid to read the server's fds and RSS")?;
    let n = opts.conns;
    let source = |i: usize| Ipv4Addr::new(127, 0, 0, 2 + (i % 100) as u8);
    let sample = || -> Res<(usize, u64)> {
        Ok((
            open_fds(pid).ok_or("cannot read the server's fds")?,
            rss_bytes(pid).ok_or("cannot read the server's VmRSS")?,
        ))
    };
    let (fds_start, rss_start) = sample()?;
    eprintln!("soak: {n} connections per cycle for {:?}", opts.duration);
    eprintln!("cycle   fds at peak   RSS at peak (KiB)   fds after   RSS after (KiB)");
    eprintln!(
        "start   {fds_start:>11}   {:>17}   {fds_start:>9}   {:>15}",
        rss_start / 1024,
        rss_start / 1024
    );
    let started = Instant::now();
    let (mut cycles, mut fds_peak, mut rss_peak) = (0usize, 0usize, 0u64);
    let mut rss_first_cycle = 0u64;
    let mut after = (fds_start, rss_start);
    while cycles == 0 || started.elapsed() < opts.duration {
        let opened: Vec<Res<Ws>> = futures_util::stream::iter(0..n)
            .map(|i| open(opts, Some(source(i)), 4 << 10))
            .buffer_unordered(opts.concurrency)
            .collect()
            .await;
        let mut conns = opened.into_iter().collect::<Res<Vec<Ws>>>()?;
        // One echo on each, checked.
        let echoed: Vec<Res<Ws>> = futures_util::stream::iter(conns.drain(..).enumerate())
            .map(|(i, mut ws)| async move {
                let text = format!("soak {cycles} {i}");
                ws.send(Message::text(text.clone()))
                    .await
                    .map_err(|e| format!("send: {e}"))?;
                match tokio::time::timeout(opts.timeout, ws.next()).await {
                    Ok(Some(Ok(Message::Text(t)))) if t.as_str() == text => Ok(ws),
                    other => Err(format!("echo on connection {i}: {other:?}")),
                }
            })
            .buffer_unordered(opts.concurrency)
            .collect()
            .await;
        let conns = echoed.into_iter().collect::<Res<Vec<Ws>>>()?;
        let peak = sample()?;
        fds_peak = fds_peak.max(peak.0);
        rss_peak = rss_peak.max(peak.1);
        let closed: Vec<Res<()>> = futures_util::stream::iter(conns)
            .map(|ws| close(ws, opts.timeout))
            .buffer_unordered(opts.concurrency)
            .collect()
            .await;
        closed.into_iter().collect::<Res<Vec<()>>>()?;
        check_server_alive(opts)?;
        tokio::time::sleep(Duration::from_millis(500)).await;
        after = sample()?;
        cycles += 1;
        if cycles == 1 {
            rss_first_cycle = after.1;
        }
        eprintln!(
            "{cycles:>5}   {:>11}   {:>17}   {:>9}   {:>15}",
            peak.0,
            peak.1 / 1024,
            after.0,
            after.1 / 1024
        );
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (fds_end, rss_end) = sample()?;
    eprintln!(
        "end     {:>11}   {:>17}   {fds_end:>9}   {:>15}",
        "",
        "",
        rss_end / 1024
    );
    if fds_end > fds_start + 5 {
        return Err(format!(
            "fds: {fds_start} before, {fds_end} after {cycles} cycles"
        ));
    }
    let allowed = rss_first_cycle + rss_first_cycle / 4 + (4 << 20);
    if rss_end > allowed {
        return Err(format!(
            "RSS grew from {} KiB after the first cycle to {} KiB after {cycles}",
            rss_first_cycle / 1024,
            rss_end / 1024
        ));
    }
    let _ = after;
    Ok(vec![
        ("cycles".into(), cycles.to_string()),
        ("conns".into(), n.to_string()),
        ("fds_start".into(), fds_start.to_string()),
        ("fds_peak".into(), fds_peak.to_string()),
        ("fds_end".into(), fds_end.to_string()),
        ("rss_start_kib".into(), (rss_start / 1024).to_string()),
        (
            "rss_first_cycle_kib".into(),
            (rss_first_cycle / 1024).to_string(),
        ),
        ("rss_peak_kib".into(), (rss_peak / 1024).to_string()),
        ("rss_end_kib".into(), (rss_end / 1024).to_string()),
        ("errors".into(), "0".into()),
    ])
}

async fn connect(opts: &Opts) -> Res<Vec<(String, String)>> {
    let pid = opts
        .pid
        .ok_or("connect needs --pid to read the server's RSS")?;
    let n = opts.conns;
    let warm = (n / 100).max(10);
    let ticks = clock_ticks();
    let source = |i: usize| Ipv4Addr::new(127, 0, 0, 2 + (i % 100) as u8);
    let rss_start = rss_bytes(pid).ok_or("cannot read the server's VmRSS")?;
    // A few connections first, so one-time allocations (first connection, JIT) are
    // not counted per connection.
    let open_batch = |range: std::ops::Range<usize>| async move {
        let timed: Vec<Res<(Ws, Duration)>> = futures_util::stream::iter(range)
            .map(|i| async move {
                let t = Instant::now();
                open(opts, Some(source(i)), 4 << 10)
                    .await
                    .map(|ws| (ws, t.elapsed()))
            })
            .buffer_unordered(opts.concurrency)
            .collect()
            .await;
        timed.into_iter().collect::<Res<Vec<_>>>()
    };
    let mut conns: Vec<Ws> = open_batch(0..warm)
        .await?
        .into_iter()
        .map(|(ws, _)| ws)
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rss_before = rss_bytes(pid).ok_or("cannot read the server's VmRSS")?;
    let cpu0 = cpu_seconds(&pid.to_string(), ticks).unwrap_or(0.0);
    let t0 = Instant::now();
    let opened = open_batch(warm..warm + n).await?;
    let connect_s = t0.elapsed().as_secs_f64();
    let cpu = cpu_seconds(&pid.to_string(), ticks).unwrap_or(0.0) - cpu0;
    let mut hist = new_histogram();
    for (ws, took) in opened {
        let _ = hist.record(took.as_micros().max(1) as u64);
        conns.push(ws);
    }
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let rss_after = rss_bytes(pid).ok_or("cannot read the server's VmRSS")?;
    check_server_alive(opts)?;
    // All must still be open: close each with a handshake.
    let total = conns.len();
    let closed: Vec<Res<()>> = futures_util::stream::iter(conns)
        .map(|ws| close(ws, opts.timeout))
        .buffer_unordered(opts.concurrency)
        .collect()
        .await;
    let errors: Vec<String> = closed.into_iter().filter_map(Result::err).collect();
    if !errors.is_empty() {
        return Err(format!(
            "{} of {total} idle connections failed to close cleanly; first: {}",
            errors.len(),
            errors[0]
        ));
    }
    let per_conn = (rss_after as f64 - rss_before as f64) / n as f64;
    Ok(vec![
        ("bytes_per_conn".into(), f(per_conn)),
        ("connect_s".into(), f(connect_s)),
        ("conns_per_s".into(), f(n as f64 / connect_s)),
        (
            "connect_p50_us".into(),
            hist.value_at_quantile(0.5).to_string(),
        ),
        (
            "connect_p99_us".into(),
            hist.value_at_quantile(0.99).to_string(),
        ),
        ("cpu_us_per_conn".into(), f(cpu * 1e6 / n as f64)),
        ("rss_start".into(), rss_start.to_string()),
        ("rss_before".into(), rss_before.to_string()),
        ("rss_after".into(), rss_after.to_string()),
        ("conns".into(), n.to_string()),
        ("warm_conns".into(), warm.to_string()),
        ("errors".into(), "0".into()),
    ])
}

// ----- report -----

/// Rows: (scenario, metric, label, lower is better).
const ROWS: &[(&str, &str, &str, bool)] = &[
    (
        "echo64_d1",
        "msgs_per_s",
        "64 B text echo, 100 conns, depth 1: msgs/s",
        false,
    ),
    ("echo64_d1", "cpu_us_per_msg", "  server CPU/msg (us)", true),
    (
        "echo64_d1",
        "srv_cpu_pct",
        "  CPU %: server / generator / rest of machine",
        true,
    ),
    (
        "echo64_d16",
        "msgs_per_s",
        "64 B text echo, 100 conns, depth 16: msgs/s",
        false,
    ),
    (
        "echo64_d16",
        "cpu_us_per_msg",
        "  server CPU/msg (us)",
        true,
    ),
    (
        "echo64_d16",
        "srv_cpu_pct",
        "  CPU %: server / generator / rest of machine",
        true,
    ),
    (
        "bin16k",
        "msgs_per_s",
        "16 KiB binary echo, 10 conns: msgs/s",
        false,
    ),
    ("bin16k", "mb_per_s", "  MB/s", false),
    ("bin16k", "cpu_us_per_msg", "  server CPU/msg (us)", true),
    (
        "bin16k",
        "srv_cpu_pct",
        "  CPU %: server / generator / rest of machine",
        true,
    ),
    (
        "bin1m",
        "msgs_per_s",
        "1 MiB binary echo, 4 conns: msgs/s",
        false,
    ),
    ("bin1m", "mb_per_s", "  MB/s", false),
    ("bin1m", "cpu_us_per_msg", "  server CPU/msg (us)", true),
    (
        "bin1m",
        "srv_cpu_pct",
        "  CPU %: server / generator / rest of machine",
        true,
    ),
    (
        "bcast1000",
        "deliveries_per_s",
        "broadcast 64 B to 1,000 clients: deliveries/s",
        false,
    ),
    (
        "bcast1000",
        "cpu_us_per_delivery",
        "  server CPU/delivery (us)",
        true,
    ),
    (
        "bcast1000",
        "srv_cpu_pct",
        "  CPU %: server / generator / rest of machine",
        true,
    ),
    (
        "idle10k",
        "bytes_per_conn",
        "10,000 idle connections: server memory/conn (bytes)",
        true,
    ),
    ("idle10k", "connect_s", "  time to open all (s)", true),
    (
        "idle10k",
        "cpu_us_per_conn",
        "  server CPU/connection (us)",
        true,
    ),
    (
        "latency",
        "p50_us",
        "latency, 1 conn, depth 1, 64 B: p50 (us)",
        true,
    ),
    ("latency", "p99_us", "  p99 (us)", true),
    ("latency", "p999_us", "  p99.9 (us)", true),
    ("latency", "cpu_us_per_msg", "  server CPU/msg (us)", true),
];

/// Server columns: (tag, heading).
const SERVERS: &[(&str, &str)] = &[
    ("nodews", "nodews"),
    ("plain", "stock async-tungstenite"),
    ("node", "Node ws"),
    ("node-bu", "Node ws + bufferutil"),
    ("bun", "Bun"),
];

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let m = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    })
}

fn fmt_num(v: f64) -> String {
    if v >= 10_000.0 {
        let s = format!("{v:.0}");
        // Thousands separators.
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        out
    } else if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn report(text: &str) -> String {
    let records: Vec<BTreeMap<String, String>> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            l.split('\t')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .collect();
    let cell = |server: &str, scenario: &str, metric: &str| -> (Option<f64>, usize, usize) {
        let runs: Vec<&BTreeMap<String, String>> = records
            .iter()
            .filter(|r| r.get("server").map(String::as_str) == Some(server))
            .filter(|r| r.get("scenario").map(String::as_str) == Some(scenario))
            .collect();
        let ok: Vec<f64> = runs
            .iter()
            .filter(|r| r.get("status").map(String::as_str) == Some("ok"))
            .filter_map(|r| r.get(metric)?.parse().ok())
            .collect();
        let failed = runs
            .iter()
            .filter(|r| r.get("status").map(String::as_str) != Some("ok"))
            .count();
        let n = ok.len();
        (median(ok), n, failed)
    };
    let show = |server: &str, scenario: &str, metric: &str| -> String {
        let (m, n, failed) = cell(server, scenario, metric);
        let mut s = match m {
            Some(v) if metric == "srv_cpu_pct" => {
                let g = cell(server, scenario, "gen_cpu_pct").0.unwrap_or(f64::NAN);
                let o = cell(server, scenario, "other_cpu_pct")
                    .0
                    .unwrap_or(f64::NAN);
                format!("{v:.0} / {g:.0} / {o:.0}")
            }
            Some(v) => fmt_num(v),
            None if failed == 0 => "–".to_string(),
            None => String::new(),
        };
        if failed > 0 {
            let _ = write!(s, " ({failed} FAIL)");
        }
        let _ = n;
        s
    };
    let ratio = |a: &str, b: &str, scenario: &str, metric: &str, lower: bool| -> String {
        if metric == "srv_cpu_pct" {
            return String::new();
        }
        match (cell(a, scenario, metric).0, cell(b, scenario, metric).0) {
            (Some(x), Some(y)) if y != 0.0 => {
                let r = x / y;
                // Mark where nodews is behind.
                let behind = if lower { r > 1.0 } else { r < 1.0 };
                format!("{r:.2}{}", if behind { " ⚠" } else { "" })
            }
            _ => "–".to_string(),
        }
    };
    let table = |out: &mut String, ours: &str, ours_heading: &str| {
        let others: Vec<&(&str, &str)> = SERVERS.iter().filter(|(t, _)| *t != "nodews").collect();
        let _ = write!(out, "| scenario | {ours_heading} |");
        for (_, h) in &others {
            let _ = write!(out, " {h} |");
        }
        let _ = writeln!(
            out,
            " nodews/Node | nodews/Node+bu | nodews/Bun | nodews/stock |"
        );
        let _ = writeln!(out, "|---|{}", "---|".repeat(others.len() + 5));
        let ran = |scenario: &str| {
            records
                .iter()
                .any(|r| r.get("scenario").map(String::as_str) == Some(scenario))
        };
        for (scenario, metric, label, lower) in ROWS.iter().filter(|r| ran(r.0)) {
            let _ = write!(out, "| {label} | {} |", show(ours, scenario, metric));
            for (tag, _) in &others {
                let _ = write!(out, " {} |", show(tag, scenario, metric));
            }
            for other in ["node", "node-bu", "bun", "plain"] {
                let _ = write!(out, " {} |", ratio(ours, other, scenario, metric, *lower));
            }
            let _ = writeln!(out);
        }
    };
    let rounds = records
        .iter()
        .filter_map(|r| r.get("round")?.parse::<u32>().ok())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n### Server on one core (taskset -c 0), generator on core 1: medians of {rounds} round(s)\n"
    );
    table(&mut out, "nodews", "nodews");
    if records
        .iter()
        .any(|r| r.get("server").map(String::as_str) == Some("nodews-2c"))
    {
        let _ = writeln!(
            out,
            "\n### nodews on both cores (taskset -c 0,1, sharing core 1 with the generator); the others as above, on one core\n"
        );
        table(&mut out, "nodews-2c", "nodews, 2 cores");
    }
    if records
        .iter()
        .any(|r| r.get("server").map(String::as_str) == Some("nodews-before"))
    {
        let _ = writeln!(
            out,
            "\n### nodews before and after a change (NODEWS_BEFORE), same run, one core\n"
        );
        let _ = writeln!(out, "| scenario | before | after | after/before |");
        let _ = writeln!(out, "|---|---|---|---|");
        let ran = |scenario: &str| {
            records
                .iter()
                .any(|r| r.get("scenario").map(String::as_str) == Some(scenario))
        };
        for (scenario, metric, label, lower) in ROWS.iter().filter(|r| ran(r.0)) {
            if *metric == "srv_cpu_pct" {
                continue;
            }
            let _ = writeln!(
                out,
                "| {label} | {} | {} | {} |",
                show("nodews-before", scenario, metric),
                show("nodews", scenario, metric),
                ratio("nodews", "nodews-before", scenario, metric, *lower)
            );
        }
    }
    let _ = writeln!(
        out,
        "\nRatios are nodews ÷ other; ⚠ marks where nodews is behind (lower throughput, or higher CPU, memory or latency).\n\
         \"CPU %\": the generator near 100 means it was the limit (compare CPU/msg there); \"rest of machine\" is other load (noise)."
    );
    let failures: Vec<String> = records
        .iter()
        .filter(|r| r.get("status").map(String::as_str) != Some("ok"))
        .map(|r| {
            format!(
                "- {} {} round {}: {}",
                r.get("server").map_or("?", String::as_str),
                r.get("scenario").map_or("?", String::as_str),
                r.get("round").map_or("?", String::as_str),
                r.get("error").map_or("?", String::as_str)
            )
        })
        .collect();
    if !failures.is_empty() {
        let _ = writeln!(out, "\n**Failed runs:**\n{}", failures.join("\n"));
    }
    out
}
