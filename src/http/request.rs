//! The HTTP side of a handshake as listeners see it: [`Request`] (Node's
//! `http.IncomingMessage` for the upgrade request), [`Response`] (the server's answer,
//! seen by a client) and [`Headers`] (the 101's header lines, which `headers`
//! listeners may extend).

use std::net::SocketAddr;
use std::sync::Arc;

use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::events::{EmitterKind, EventSpec, Registry, arg, event_emitter_methods, event_index};

/// An HTTP request: a plain request to an [`HttpServer`](crate::http::HttpServer)
/// (its `request` event), the upgrade request on the server (`upgrade`,
/// `connection`, `headers`, `wsClientError`), or the request a client sent
/// (`unexpected-response`, `redirect`).
///
/// Header names are lowercase, as in Node's `req.headers`. A `request` event's
/// request also streams its body, as Node's `IncomingMessage`: `data` (a `Bytes`
/// chunk), `end`, `error`, `close`, with `pause`/`resume`; the other requests have
/// no body and emit nothing.
///
/// ```
/// let req = nodews::Request::new("GET", "/chat?room=1", vec![("Origin".into(), "https://a.example".into())], None);
/// assert_eq!(req.url(), "/chat?room=1");
/// assert_eq!(req.header("origin"), Some("https://a.example"));
/// ```
#[derive(Clone, Debug)]
pub struct Request {
    pub(crate) inner: Arc<RequestInner>,
}

#[derive(Clone, Debug)]
pub(crate) struct RequestInner {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    remote_address: Option<SocketAddr>,
    secure: bool,
    /// "1.1", "1.0", ... (Node's `req.httpVersion`).
    http_version: &'static str,
    /// The user's own values (`set_data`), shared by every copy of this request.
    data: Arc<crate::events::data::DataMap>,
    /// Listeners of the body's events (`data`, `end`, `error`, `close`).
    pub(crate) registry: Arc<Registry>,
    /// `req.pause()`: the body is not read until `resume()`.
    flow: Arc<Flow>,
}

/// Whether the body may be read now (`pause`/`resume`).
#[derive(Debug, Default)]
pub(crate) struct Flow {
    paused: AtomicBool,
    resumed: tokio::sync::Notify,
}

/// A request's body events, in Node's order (`http.IncomingMessage`).
static EVENTS: &[EventSpec] = &[
    EventSpec {
        name: "data",
        args: &[arg!("chunk": bytes::Bytes)],
    },
    EventSpec {
        name: "end",
        args: &[],
    },
    EventSpec {
        name: "error",
        args: &[arg!("error": crate::Error)],
    },
    EventSpec {
        name: "close",
        args: &[],
    },
];
const DATA_EVENT: usize = event_index(EVENTS, "data");
const END_EVENT: usize = event_index(EVENTS, "end");
const ERROR_EVENT: usize = event_index(EVENTS, "error");
const CLOSE_EVENT: usize = event_index(EVENTS, "close");

impl EmitterKind for Request {
    const NAME: &'static str = "Request";
    const ERROR_EVENT: usize = ERROR_EVENT;
    const CLOSE_EVENT: usize = CLOSE_EVENT;
    fn this_type() -> std::any::TypeId {
        std::any::TypeId::of::<Request>()
    }
    fn events() -> &'static [EventSpec] {
        EVENTS
    }
}

event_emitter_methods!(
    Request,
    "req",
    "nodews::Request::new(\"POST\", \"/feed\", vec![], None)"
);

impl Request {
    /// `req.pause()`: stops reading the body (its `data` events) until
    /// [`resume`](Self::resume); the client is slowed down by TCP meanwhile.
    ///
    /// ```no_run
    /// let server = nodews::http::create_server(|req, res| {
    ///     req.pause();
    ///     let r = req.clone();
    ///     nodews::set_timeout(100, move || { r.resume(); });
    ///     res.end("ok");
    /// });
    /// # let _ = server;
    /// ```
    pub fn pause(&self) -> &Self {
        self.inner.flow.paused.store(true, Ordering::SeqCst);
        self
    }

    /// `req.resume()`: reads the body again after [`pause`](Self::pause).
    ///
    /// ```no_run
    /// # let req = nodews::Request::new("POST", "/", vec![], None);
    /// req.pause().resume();
    /// ```
    pub fn resume(&self) -> &Self {
        self.inner.flow.paused.store(false, Ordering::SeqCst);
        self.inner.flow.resumed.notify_waiters();
        self
    }

    /// `req.isPaused()`.
    ///
    /// ```
    /// let req = nodews::Request::new("POST", "/", vec![], None);
    /// assert!(!req.is_paused());
    /// ```
    pub fn is_paused(&self) -> bool {
        self.inner.flow.paused.load(Ordering::SeqCst)
    }

    /// Reads the body of a request the `request` listeners have seen, emitting `data`
    /// per chunk, then `end` (or `error`), then `close`, one at a time on this task.
    pub(crate) async fn stream_body<B>(&self, body: B, deadline: Option<tokio::time::Instant>)
    where
        B: hyper::body::Body<Data = bytes::Bytes> + Unpin,
        B::Error: std::fmt::Display,
    {
        let read = self.read_body(body);
        let timed_out = match deadline {
            Some(deadline) => tokio::time::timeout_at(deadline, read).await.is_err(),
            None => {
                read.await;
                false
            }
        };
        if timed_out {
            let error = crate::Error::new(
                crate::ErrorCode::ETIMEDOUT,
                "Request timeout: the request was not received in time",
            );
            self.inner.registry.report_error(self, None, error);
        }
        self.emit(CLOSE_EVENT, &[]);
        // Nothing fires any more: drop the listeners (and what they captured).
        self.inner.registry.remove_all(None);
    }

    /// `data` per chunk, then `end` (or `error`).
    async fn read_body<B>(&self, mut body: B)
    where
        B: hyper::body::Body<Data = bytes::Bytes> + Unpin,
        B::Error: std::fmt::Display,
    {
        use http_body_util::BodyExt;
        loop {
            loop {
                let resumed = self.inner.flow.resumed.notified();
                if !self.is_paused() {
                    break;
                }
                resumed.await;
            }
            match body.frame().await {
                Some(Ok(frame)) => {
                    if let Ok(chunk) = frame.into_data()
                        && !chunk.is_empty()
                    {
                        self.emit(DATA_EVENT, &[&chunk]);
                    }
                }
                Some(Err(error)) => {
                    let error = crate::Error::new(
                        crate::ErrorCode::ECONNRESET,
                        format!("request body: {error}"),
                    );
                    self.inner.registry.report_error(self, None, error);
                    return;
                }
                None => {
                    self.emit(END_EVENT, &[]);
                    return;
                }
            }
        }
    }

    fn emit(&self, index: usize, args: &[&(dyn std::any::Any + Sync)]) {
        self.inner.registry.dispatch(self, None, index, args);
    }
}

impl Request {
    /// A request; header names are lowercased.
    ///
    /// ```
    /// let req = nodews::Request::new("GET", "/", vec![], None);
    /// assert_eq!(req.method(), "GET");
    /// ```
    pub fn new(
        method: impl Into<String>,
        url: impl Into<String>,
        headers: Vec<(String, String)>,
        remote_address: Option<SocketAddr>,
    ) -> Request {
        let headers = headers
            .into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect();
        Request::from_inner(RequestInner {
            method: method.into(),
            url: url.into(),
            headers,
            remote_address,
            secure: false,
            http_version: "1.1",
            data: Arc::default(),
            registry: Arc::new(Registry::new()),
            flow: Arc::default(),
        })
    }

    fn from_inner(inner: RequestInner) -> Request {
        Request {
            inner: Arc::new(inner),
        }
    }

    /// Records the HTTP version the request came with.
    pub(crate) fn with_http_version(self, http_version: &'static str) -> Request {
        if self.inner.http_version == http_version {
            return self;
        }
        let inner = Arc::unwrap_or_clone(self.inner);
        Request::from_inner(RequestInner {
            http_version,
            ..inner
        })
    }

    /// `req.httpVersion`: `"1.1"`, or `"1.0"` for an HTTP/1.0 request.
    ///
    /// ```
    /// assert_eq!(nodews::Request::new("GET", "/", vec![], None).http_version(), "1.1");
    /// ```
    pub fn http_version(&self) -> &str {
        self.inner.http_version
    }

    /// Marks a request that came over TLS.
    pub(crate) fn with_secure(self, secure: bool) -> Request {
        if !secure {
            return self;
        }
        let inner = Arc::unwrap_or_clone(self.inner);
        Request::from_inner(RequestInner { secure, ..inner })
    }

    /// `req.method`.
    ///
    /// ```
    /// assert_eq!(nodews::Request::new("GET", "/", vec![], None).method(), "GET");
    /// ```
    pub fn method(&self) -> &str {
        &self.inner.method
    }

    /// `req.url`: the path and query, as sent.
    ///
    /// ```
    /// assert_eq!(nodews::Request::new("GET", "/a?b", vec![], None).url(), "/a?b");
    /// ```
    pub fn url(&self) -> &str {
        &self.inner.url
    }

    /// All headers as (lowercase name, value) pairs, in the order received.
    ///
    /// ```
    /// let req = nodews::Request::new("GET", "/", vec![("X-A".into(), "1".into())], None);
    /// assert_eq!(req.headers()[0], ("x-a".to_string(), "1".to_string()));
    /// ```
    pub fn headers(&self) -> &[(String, String)] {
        &self.inner.headers
    }

    /// `req.headers[name]`: the first value of a header, name matched without case.
    ///
    /// ```
    /// let req = nodews::Request::new("GET", "/", vec![("X-Forwarded-For".into(), "10.0.0.1".into())], None);
    /// assert_eq!(req.header("X-Forwarded-For"), Some("10.0.0.1"));
    /// ```
    pub fn header(&self, name: &str) -> Option<&str> {
        self.inner
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `req.socket.remoteAddress` (and port): the peer's address, on the server.
    ///
    /// ```
    /// let addr: std::net::SocketAddr = "127.0.0.1:5000".parse().unwrap();
    /// let req = nodews::Request::new("GET", "/", vec![], Some(addr));
    /// assert_eq!(req.remote_address().unwrap().ip().to_string(), "127.0.0.1");
    /// ```
    pub fn remote_address(&self) -> Option<SocketAddr> {
        self.inner.remote_address
    }

    /// `req.socket.encrypted`: `true` when the request came over TLS (an
    /// [`https`](crate::http::https) server).
    ///
    /// ```
    /// assert!(!nodews::Request::new("GET", "/", vec![], None).is_secure());
    /// ```
    pub fn is_secure(&self) -> bool {
        self.inner.secure
    }
}

/// An HTTP response a client received: the 101 (`upgrade` event) or a refusal
/// (`unexpected-response`).
///
/// ```
/// let res = nodews::Response::new(401, vec![("WWW-Authenticate".into(), "Basic".into())], b"no".to_vec());
/// assert_eq!(res.status(), 401);
/// assert_eq!(res.header("www-authenticate"), Some("Basic"));
/// assert_eq!(res.body(), b"no");
/// ```
#[derive(Clone, Debug)]
pub struct Response(Arc<ResponseInner>);

#[derive(Debug)]
struct ResponseInner {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    /// A response; header names are lowercased.
    ///
    /// ```
    /// assert_eq!(nodews::Response::new(101, vec![], vec![]).status(), 101);
    /// ```
    pub fn new(status: u16, headers: Vec<(String, String)>, body: Vec<u8>) -> Response {
        let headers = headers
            .into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect();
        Response(Arc::new(ResponseInner {
            status,
            headers,
            body,
        }))
    }

    /// `res.statusCode`.
    ///
    /// ```
    /// assert_eq!(nodews::Response::new(404, vec![], vec![]).status(), 404);
    /// ```
    pub fn status(&self) -> u16 {
        self.0.status
    }

    /// All headers as (lowercase name, value) pairs.
    ///
    /// ```
    /// assert!(nodews::Response::new(101, vec![], vec![]).headers().is_empty());
    /// ```
    pub fn headers(&self) -> &[(String, String)] {
        &self.0.headers
    }

    /// The first value of a header, name matched without case.
    ///
    /// ```
    /// let res = nodews::Response::new(101, vec![("Upgrade".into(), "websocket".into())], vec![]);
    /// assert_eq!(res.header("upgrade"), Some("websocket"));
    /// ```
    pub fn header(&self, name: &str) -> Option<&str> {
        self.0
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body the server sent with a refusal (empty for a 101).
    ///
    /// ```
    /// assert_eq!(nodews::Response::new(400, vec![], b"bad".to_vec()).body(), b"bad");
    /// ```
    pub fn body(&self) -> &[u8] {
        &self.0.body
    }
}

/// The header lines of the 101 response, passed to `headers` listeners, which may
/// add lines (ws passes a mutable array: `headers.push('Set-Cookie: a=b')`).
///
/// ```
/// let headers = nodews::Headers::default();
/// headers.push("Set-Cookie: session=1");
/// assert_eq!(headers.lines(), vec!["Set-Cookie: session=1".to_string()]);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Headers(Arc<Mutex<Vec<String>>>);

impl Headers {
    pub(crate) fn from_lines(lines: Vec<String>) -> Headers {
        Headers(Arc::new(Mutex::new(lines)))
    }

    /// Appends a header line, `"Name: value"`.
    ///
    /// ```
    /// let h = nodews::Headers::default();
    /// h.push("X-Powered-By: nodews");
    /// assert_eq!(h.lines().len(), 1);
    /// ```
    pub fn push(&self, line: impl Into<String>) {
        self.0.lock().push(line.into());
    }

    /// The current lines, the status line first when there is one.
    ///
    /// ```
    /// assert!(nodews::Headers::default().lines().is_empty());
    /// ```
    pub fn lines(&self) -> Vec<String> {
        self.0.lock().clone()
    }

    /// Edits the lines in place, as ws's `headers` listeners edit the array
    /// (`headers[i] = ...`, `headers.splice(i, 1)`): `edit` gets the whole list. The
    /// first line of a 101 is its status line; keep it first.
    ///
    /// ```
    /// let h = nodews::Headers::default();
    /// h.push("X-A: 1");
    /// h.push("X-B: 2");
    /// h.edit(|lines| lines.retain(|l| !l.starts_with("X-A:")));
    /// assert_eq!(h.lines(), ["X-B: 2"]);
    /// ```
    pub fn edit<R>(&self, edit: impl FnOnce(&mut Vec<String>) -> R) -> R {
        edit(&mut self.0.lock())
    }
}

impl Request {
    fn data_map(&self) -> &crate::events::data::DataMap {
        &self.inner.data
    }
}

crate::events::data::data_methods!(
    Request,
    "req",
    "nodews::Request::new(\"GET\", \"/\", vec![], None)",
    data_map
);

// Listener arguments (see `events::Arg`).
crate::events::impl_arg!(Request, Response, Headers);
