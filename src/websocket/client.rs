//! The client side: `WebSocket::new(url)` connects in the background (ws's
//! `initAsClient`): parses the URL, connects (TCP, then TLS for `wss:`), performs
//! the opening handshake ([`crate::protocol::handshake`]), follows redirects, and
//! turns the outcome into events. The open connection then runs on the same
//! [`FrameStream`] and [`Connection`] task as a server's sockets.

use std::future::pending;

use http::Uri;
use tokio::net::TcpStream;

use crate::net::stream::Stream;
use crate::protocol::handshake;
use crate::protocol::stream::{FrameStream, Role};
use crate::runtime::{Gate, KeepAlive};
use crate::websocket::commands::Command;
use crate::websocket::connection::Connection;
use crate::websocket::{
    CLOSE_EVENT, OPEN_EVENT, REDIRECT_EVENT, UNEXPECTED_RESPONSE_EVENT, UPGRADE_EVENT,
};
use crate::{ClientOptions, Error, Request, Response, WebSocket};

impl WebSocket {
    /// Connects to a WebSocket server (`new WebSocket(url)`).
    ///
    /// Returns at once; the connection is made in the background and reported by the
    /// `open` event, or by `error` then `close` (1006). A bad URL is reported the same
    /// way (ws throws; use [`try_new`](Self::try_new) for an `Err` instead). Events
    /// start when this thread returns to the event loop (see the crate docs), so
    /// listeners added after `new` see everything.
    ///
    /// ```no_run
    /// use nodews::WebSocket;
    /// let ws = WebSocket::new("ws://localhost:8080");
    /// ws.onopen(|| println!("connected"));
    /// nodews::run();
    /// ```
    pub fn new(url: &str) -> WebSocket {
        Self::with_options(url, ClientOptions::default())
    }

    /// `new WebSocket(url, protocols)`: offers subprotocols.
    ///
    /// ```no_run
    /// let ws = nodews::WebSocket::with_protocols("ws://localhost:8080", &["chat", "superchat"]);
    /// ws.on("open", |ws: nodews::WebSocket| println!("server chose {:?}", ws.protocol()));
    /// ```
    pub fn with_protocols(url: &str, protocols: &[&str]) -> WebSocket {
        Self::with_options(
            url,
            ClientOptions {
                protocols: protocols.iter().map(|p| p.to_string()).collect(),
                ..Default::default()
            },
        )
    }

    /// `new WebSocket(url, options)`.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// let ws = nodews::WebSocket::with_options("ws://localhost:8080", nodews::ClientOptions {
    ///     handshake_timeout: Some(Duration::from_secs(5)),
    ///     headers: vec![("Authorization".into(), "Bearer t".into())],
    ///     ..Default::default()
    /// });
    /// # let _ = ws;
    /// ```
    pub fn with_options(url: &str, options: ClientOptions) -> WebSocket {
        let socket = WebSocket::from_parts(url.to_string(), WebSocket::CONNECTING);
        let gate = Gate::for_current_thread();
        let alive = KeepAlive::new();
        let target = parse_url(url);
        crate::runtime::spawn(connect(socket.clone(), target, options, gate, alive));
        socket
    }

    /// Like [`new`](Self::new), but a URL that cannot work is an `Err` (ws's `SyntaxError`).
    ///
    /// ```
    /// let err = nodews::WebSocket::try_new("http//nope").unwrap_err();
    /// assert_eq!(err.code(), "WS_ERR_INVALID_URL");
    /// ```
    pub fn try_new(url: &str) -> Result<WebSocket, Error> {
        parse_url(url)?;
        Ok(WebSocket::new(url))
    }
}

/// Where to connect, from a URL ws would accept.
struct Target {
    uri: Uri,
    host: String,
    port: u16,
    /// The port is the scheme's default (the `Host` header then leaves it out).
    default_port: bool,
    /// `wss://`: TLS first.
    tls: bool,
    /// `ws+unix:`: the Unix domain socket to connect to (`host` is then `localhost`).
    unix: Option<std::path::PathBuf>,
}

fn parse_url(url: &str) -> Result<Target, Error> {
    let invalid = |why: &str| {
        Error::new(
            crate::ErrorCode::WS_ERR_INVALID_URL,
            format!("Invalid URL: {url}: {why}"),
        )
    };
    if url.contains('#') {
        return Err(invalid("the URL contains a fragment identifier"));
    }
    // ws's IPC form: `ws+unix:/path/to.sock:/request/path` (or `ws+unix:///...`).
    if let Some(rest) = url.strip_prefix("ws+unix:") {
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        if rest.is_empty() {
            return Err(invalid("the URL's pathname is empty"));
        }
        let (socket_path, path) = rest.split_once(':').unwrap_or((rest, "/"));
        let path = if path.is_empty() { "/" } else { path };
        let uri: Uri = format!("ws://localhost{path}")
            .parse()
            .map_err(|_| invalid("its request path cannot be parsed"))?;
        return Ok(Target {
            uri,
            host: "localhost".to_string(),
            port: 80,
            default_port: true,
            tls: false,
            unix: Some(socket_path.into()),
        });
    }
    let uri: Uri = url.parse().map_err(|_| invalid("it cannot be parsed"))?;
    let (scheme, default_port) = match uri.scheme_str() {
        Some("ws") | Some("http") => ("ws", 80),
        Some("wss") | Some("https") => ("wss", 443),
        Some(other) => {
            return Err(invalid(&format!(
                "the URL's protocol must be one of \"ws:\", \"wss:\", \"http:\", \"https:\", or \"ws+unix:\", not \"{other}:\""
            )));
        }
        None => return Err(invalid("it has no protocol (ws:// or wss://)")),
    };
    let host = uri
        .host()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| invalid("it has no host"))?;
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = uri.port_u16().unwrap_or(default_port);
    let is_default_port = port == default_port;
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let authority = uri.authority().map_or("", |a| a.as_str());
    let uri: Uri = format!("{scheme}://{authority}{path}")
        .parse()
        .map_err(|_| invalid("it cannot be parsed"))?;
    let tls = scheme == "wss";
    Ok(Target {
        uri,
        host,
        port,
        default_port: is_default_port,
        tls,
        unix: None,
    })
}

/// The client's task: connect, wait for the gate, emit the handshake's outcome, then
/// hand over to [`Connection`].
async fn connect(
    socket: WebSocket,
    target: Result<Target, Error>,
    options: ClientOptions,
    gate: std::sync::Arc<Gate>,
    alive: KeepAlive,
) {
    // Redirects followed while connecting, emitted in order once events may start.
    let mut redirects: Vec<(String, Request)> = Vec::new();
    let outcome = match target {
        Err(e) => Err(Failure::Error(e)),
        Ok(target) => {
            let handshake = follow_redirects(&socket, target, &options, &mut redirects);
            let timed = async {
                match options.handshake_timeout {
                    Some(limit) => {
                        tokio::time::timeout(limit, handshake)
                            .await
                            .unwrap_or_else(|_| {
                                Err(Failure::Error(Error::new(
                                    crate::ErrorCode::ETIMEDOUT,
                                    "Opening handshake has timed out",
                                )))
                            })
                    }
                    None => handshake.await,
                }
            };
            // `close()`/`terminate()` while connecting abort the attempt, as in ws.
            let aborted = async {
                loop {
                    match std::future::poll_fn(|cx| socket.inner.commands.poll_pop(cx)).await {
                        Some(Command::Close(_)) | Some(Command::Terminate) => return,
                        Some(_) => {}
                        None => pending::<()>().await,
                    }
                }
            };
            tokio::select! {
                outcome = timed => outcome,
                () = aborted => Err(Failure::Error(Error::new(crate::ErrorCode::WS_ERR_INVALID_STATE,
                    "WebSocket was closed before the connection was established",
                ))),
            }
        }
    };

    gate.wait().await;
    for (url, request) in redirects {
        socket.emit(REDIRECT_EVENT, &[&url, &request]);
    }
    let outcome = match outcome {
        // Closed before the code that created it returned to the event loop: as in
        // Node, the handshake is abandoned even if it already succeeded.
        Ok(_)
            if socket
                .inner
                .aborted
                .load(std::sync::atomic::Ordering::Acquire) =>
        {
            Err(Failure::Error(Error::new(
                crate::ErrorCode::WS_ERR_INVALID_STATE,
                "WebSocket was closed before the connection was established",
            )))
        }
        other => other,
    };

    match outcome {
        Ok((stream, response)) => {
            socket.set_ready_state(WebSocket::OPEN);
            socket.emit(UPGRADE_EVENT, &[&response]);
            log::debug!("WebSocket connected to {}", socket.url());
            socket.emit(OPEN_EVENT, &[]);
            socket.inner.closed.set_opened();
            // A task of its own, so the handshake's state is freed now.
            let connection = Connection::new(
                socket,
                stream,
                crate::websocket::connection::Settings {
                    close_timeout: options.close_timeout,
                    auto_pong: options.auto_pong,
                    high_water_mark: options.high_water_mark,
                    max_buffered_amount: options.max_buffered_amount,
                    heartbeat: options.heartbeat_interval,
                },
                alive,
            );
            crate::runtime::spawn(connection.run(|| async {}));
        }
        Err(failure) => {
            socket.set_ready_state(WebSocket::CLOSING);
            match failure {
                Failure::Error(error) => socket.emit_error(error),
                Failure::Refused(request, response) => {
                    if socket.listener_count("unexpected-response") > 0 {
                        socket.emit(UNEXPECTED_RESPONSE_EVENT, &[&request, &response]);
                    } else {
                        socket.emit_error(Error::new(
                            crate::ErrorCode::WS_ERR_UNEXPECTED_RESPONSE,
                            format!("Unexpected server response: {}", response.status()),
                        ));
                    }
                }
            }
            socket.set_ready_state(WebSocket::CLOSED);
            socket.emit(CLOSE_EVENT, &[&1006u16, &String::new()]);
            socket.finish_closed();
            drop(alive);
        }
    }
}

enum Failure {
    Error(Error),
    /// The server answered the upgrade with something other than 101.
    Refused(Request, Response),
}

type ClientStream = FrameStream<Stream>;

/// The handshake, following 3xx answers when `follow_redirects` is on (ws's
/// `followRedirects`/`maxRedirects`).
async fn follow_redirects(
    socket: &WebSocket,
    mut target: Target,
    options: &ClientOptions,
    redirects: &mut Vec<(String, Request)>,
) -> Result<(ClientStream, Response), Failure> {
    let (first_host, first_port, first_tls) = (target.host.clone(), target.port, target.tls);
    let first_unix = target.unix.clone();
    let mut hop_options: Option<ClientOptions> = None;
    loop {
        let current = target.uri.clone();
        // As ws (and curl): credentials do not follow a redirect to another host or
        // from wss down to ws; `Host` does not follow one to another host.
        let same_host = target.host.eq_ignore_ascii_case(&first_host)
            && target.port == first_port
            && target.unix == first_unix;
        let downgrade = first_tls && !target.tls;
        if !redirects.is_empty() && (!same_host || downgrade) {
            let mut stripped = options.clone();
            stripped.headers.retain(|(name, _)| {
                let name = name.to_ascii_lowercase();
                !(name == "authorization" || name == "cookie" || (!same_host && name == "host"))
            });
            hop_options = Some(stripped);
        }
        let options = hop_options.as_ref().unwrap_or(options);
        match open(socket, target, options).await {
            Err(Failure::Refused(request, response))
                if options.follow_redirects
                    && (300..400).contains(&response.status())
                    && response.header("location").is_some() =>
            {
                if redirects.len() >= options.max_redirects {
                    return Err(Failure::Error(Error::new(
                        crate::ErrorCode::WS_ERR_MAX_REDIRECTS,
                        "Maximum redirects exceeded",
                    )));
                }
                let next = resolve_location(&current, response.header("location").unwrap_or("/"));
                target = parse_url(&next).map_err(Failure::Error)?;
                redirects.push((next, request));
            }
            other => return other,
        }
    }
}

/// A `Location` header against the URL that answered with it.
fn resolve_location(base: &Uri, location: &str) -> String {
    let has_scheme = ["ws://", "wss://", "http://", "https://"]
        .iter()
        .any(|s| location.to_ascii_lowercase().starts_with(s));
    if has_scheme {
        return location.to_string();
    }
    let scheme = base.scheme_str().unwrap_or("ws");
    let authority = base.authority().map_or("", |a| a.as_str());
    if location.starts_with('/') {
        format!("{scheme}://{authority}{location}")
    } else {
        let dir = base.path().rsplit_once('/').map_or("", |(d, _)| d);
        format!("{scheme}://{authority}{dir}/{location}")
    }
}

/// One attempt: connect, send the upgrade request, check the answer.
async fn open(
    socket: &WebSocket,
    target: Target,
    options: &ClientOptions,
) -> Result<(ClientStream, Response), Failure> {
    let mut io = if let Some(path) = &target.unix {
        let unix = tokio::net::UnixStream::connect(path)
            .await
            .map_err(|e| Failure::Error(Error::io("connect", e)))?;
        Stream::Unix(unix)
    } else {
        connect_tcp(&target, options).await?
    };

    // `Host` as Node's http module writes it: the port only when not the default.
    let host = if target.host.contains(':') {
        format!("[{}]", target.host)
    } else {
        target.host.clone()
    };
    let host = if target.default_port {
        host
    } else {
        format!("{host}:{}", target.port)
    };
    let path = target.uri.path_and_query().map_or("/", |p| p.as_str());
    if !matches!(options.protocol_version, 8 | 13) {
        return Err(Failure::Error(Error::new(
            crate::ErrorCode::WS_ERR_INVALID_ARGUMENT,
            format!(
                "Unsupported protocol version: {} (supported versions: 8, 13)",
                options.protocol_version
            ),
        )));
    }
    let request = handshake::request(
        path,
        &host,
        &options.protocols,
        options.origin.as_deref(),
        &options.headers,
        options.protocol_version,
    );
    let sent = Request::new("GET", path, request.headers.clone(), None);

    let answer = handshake::exchange(&mut io, &request)
        .await
        .map_err(Failure::Error)?;
    if answer.status != 101 {
        let response = Response::new(answer.status, answer.headers, answer.rest.to_vec());
        return Err(Failure::Refused(sent, response));
    }
    let protocol =
        handshake::check_upgrade(&request, &answer, &options.protocols).map_err(Failure::Error)?;
    socket.set_protocol(protocol);
    let stream = FrameStream::new(io, Role::Client, options.max_payload, answer.rest);
    let response = Response::new(answer.status, answer.headers, Vec::new());
    Ok((stream, response))
}

/// A TCP connection to the target, with TLS for `wss://`.
async fn connect_tcp(target: &Target, options: &ClientOptions) -> Result<Stream, Failure> {
    let tcp = TcpStream::connect((target.host.as_str(), target.port))
        .await
        .map_err(|e| Failure::Error(Error::io("connect", e)))?;
    // As ws (and browsers): small messages must not wait for Nagle's algorithm.
    let _ = tcp.set_nodelay(true);
    Ok(if target.tls {
        let tls = crate::net::tls::ClientTls {
            ca: options.ca.as_deref(),
            danger_accept_invalid_certs: options.danger_accept_invalid_certs,
        };
        crate::net::tls::connect(tcp, &target.host, &tls)
            .await
            .map_err(Failure::Error)?
    } else {
        Stream::Tcp(tcp)
    })
}
