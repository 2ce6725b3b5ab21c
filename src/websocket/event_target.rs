//! The browser-style API (ws's `lib/event-target.js`): `onopen`, `onmessage`,
//! `onclose`, `onerror` and `add_event_listener`, with event objects instead of
//! positional arguments. This is what browser code and the seed tutorial's client use.
//!
//! `onX` methods take one concrete closure type each, so closures need no type
//! annotations: `ws.onmessage(|event| println!("{}", event.data))`. Setting one
//! replaces the previous `onX` listener of that event and leaves the others alone.

use std::fmt;

use crate::events::{Emit, EventSpec, Handler, IntoListener, Origin, arg};
use crate::{Error, Message, WebSocket};

/// A plain event (`open`).
#[derive(Clone, Debug)]
pub struct Event {
    /// `"open"`.
    pub kind: &'static str,
    /// The socket that fired it (`event.target`).
    pub target: WebSocket,
}

/// `MessageEvent`: `event.data` is the message (text or binary).
///
/// ```no_run
/// # let ws = nodews::WebSocket::new("ws://127.0.0.1:8080");
/// ws.onmessage(|event| {
///     println!("收到服务器消息: {}", event.data);
///     if event.data.to_string().contains("欢迎") { /* ... */ }
/// });
/// ```
#[derive(Clone, Debug)]
pub struct MessageEvent {
    /// The message; `Display` gives its text.
    pub data: Message,
    /// The socket that received it.
    pub target: WebSocket,
}

/// `CloseEvent`: `code`, `reason` and `was_clean` (both close frames exchanged).
///
/// ```no_run
/// # let ws = nodews::WebSocket::new("ws://127.0.0.1:8080");
/// ws.onclose(|event| println!("Code: {}, Reason: {}, clean: {}", event.code, event.reason, event.was_clean));
/// ```
#[derive(Clone, Debug)]
pub struct CloseEvent {
    /// The close code (1005: no status sent; 1006: no close frame at all).
    pub code: u16,
    /// The reason the peer gave.
    pub reason: String,
    /// `true` when both close frames were exchanged before the connection ended.
    pub was_clean: bool,
    /// The socket that closed.
    pub target: WebSocket,
}

/// `ErrorEvent`: `message` and the `error` itself. `Display` prints the message.
///
/// ```no_run
/// # let ws = nodews::WebSocket::new("ws://127.0.0.1:8080");
/// ws.onerror(|error| eprintln!("WebSocket客户端错误: {error}"));
/// ```
#[derive(Clone, Debug)]
pub struct ErrorEvent {
    /// The error's message.
    pub message: String,
    /// The error.
    pub error: Error,
    /// The socket that failed.
    pub target: WebSocket,
}

impl fmt::Display for ErrorEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

static BROWSER_EVENTS: &[EventSpec] = &[
    EventSpec {
        name: "open",
        args: &[arg!("event": Event)],
    },
    EventSpec {
        name: "message",
        args: &[arg!("event": MessageEvent)],
    },
    EventSpec {
        name: "close",
        args: &[arg!("event": CloseEvent)],
    },
    EventSpec {
        name: "error",
        args: &[arg!("event": ErrorEvent)],
    },
];

/// Turns the socket's positional event arguments into the browser event object.
fn adapt(kind: &'static str, emit: &Emit<'_>, call: &mut dyn FnMut(&Emit<'_>)) {
    let this: &dyn std::any::Any = emit.this;
    let target = this
        .downcast_ref::<WebSocket>()
        .expect("a WebSocket event")
        .clone();
    let get = |i: usize| -> &dyn std::any::Any { emit.args[i] };
    match kind {
        "open" => {
            let event = Event { kind, target };
            call(&Emit {
                this: emit.this,
                args: &[&event],
            });
        }
        "message" => {
            let data = get(0)
                .downcast_ref::<Message>()
                .expect("message data")
                .clone();
            let event = MessageEvent { data, target };
            call(&Emit {
                this: emit.this,
                args: &[&event],
            });
        }
        "close" => {
            let code = *get(0).downcast_ref::<u16>().expect("close code");
            let reason = get(1)
                .downcast_ref::<String>()
                .expect("close reason")
                .clone();
            let was_clean = target.was_clean();
            let event = CloseEvent {
                code,
                reason,
                was_clean,
                target,
            };
            call(&Emit {
                this: emit.this,
                args: &[&event],
            });
        }
        _ => {
            let error = get(0).downcast_ref::<Error>().expect("error").clone();
            let event = ErrorEvent {
                message: error.to_string(),
                error,
                target,
            };
            call(&Emit {
                this: emit.this,
                args: &[&event],
            });
        }
    }
}

impl WebSocket {
    fn add_browser_listener(
        &self,
        kind: &str,
        handler: Handler,
        origin: Origin,
        once: bool,
    ) -> Result<(), Error> {
        let spec = BROWSER_EVENTS.iter().find(|e| e.name == kind).ok_or_else(|| {
            Error::new(crate::ErrorCode::WS_ERR_UNKNOWN_EVENT,
                format!(
                    "unknown event type \"{kind}\" for add_event_listener; expected \"open\" (Event), \
                     \"message\" (MessageEvent), \"close\" (CloseEvent) or \"error\" (ErrorEvent)"
                ),
            )
        })?;
        handler
            .check::<WebSocket>(spec)
            .map_err(|why| Error::new(crate::ErrorCode::WS_ERR_LISTENER_SHAPE, why))?;
        let name = spec.name;
        let adapted = Handler::adapted(handler.clone(), move |emit, call| adapt(name, emit, call));
        self.inner
            .registry
            .add::<WebSocket>(name, adapted, once, origin, Some(handler))
    }

    /// `ws.onopen = () => ...`: replaces the previous `onopen` listener.
    ///
    /// ```no_run
    /// # use nodews::WebSocket;
    /// let ws = WebSocket::new("ws://localhost:8080");
    /// let sender = ws.clone();
    /// ws.onopen(move || {
    ///     println!("成功连接到WebSocket服务器。");
    ///     sender.send("你好,服务器!我是客户端。");
    /// });
    /// ```
    pub fn onopen(&self, listener: impl FnMut() + Send + 'static) -> &Self {
        let mut listener = listener;
        let handler = (move |_event: Event| listener()).into_handler();
        self.add_browser_listener("open", handler, Origin::Attribute, false)
            .expect("onopen's listener shape is fixed");
        self
    }

    /// `ws.onmessage = event => ...`: replaces the previous `onmessage` listener.
    ///
    /// ```no_run
    /// # let ws = nodews::WebSocket::new("ws://localhost:8080");
    /// ws.onmessage(|event| println!("收到服务器消息: {}", event.data));
    /// ```
    pub fn onmessage(&self, listener: impl FnMut(MessageEvent) + Send + 'static) -> &Self {
        self.add_browser_listener("message", listener.into_handler(), Origin::Attribute, false)
            .expect("onmessage's listener shape is fixed");
        self
    }

    /// `ws.onclose = event => ...`: replaces the previous `onclose` listener.
    ///
    /// ```no_run
    /// # let ws = nodews::WebSocket::new("ws://localhost:8080");
    /// ws.onclose(|event| if event.code != 1000 { println!("连接异常关闭") });
    /// ```
    pub fn onclose(&self, listener: impl FnMut(CloseEvent) + Send + 'static) -> &Self {
        self.add_browser_listener("close", listener.into_handler(), Origin::Attribute, false)
            .expect("onclose's listener shape is fixed");
        self
    }

    /// `ws.onerror = error => ...`: replaces the previous `onerror` listener.
    ///
    /// ```no_run
    /// # let ws = nodews::WebSocket::new("ws://localhost:8080");
    /// ws.onerror(|error| eprintln!("WebSocket客户端错误: {error}"));
    /// ```
    pub fn onerror(&self, listener: impl FnMut(ErrorEvent) + Send + 'static) -> &Self {
        self.add_browser_listener("error", listener.into_handler(), Origin::Attribute, false)
            .expect("onerror's listener shape is fixed");
        self
    }

    /// `ws.addEventListener(type, listener)`: the listener takes the event object
    /// (`Event`, `MessageEvent`, `CloseEvent`, `ErrorEvent`), annotated. Panics at your
    /// line on an unknown type or a listener that does not fit.
    ///
    /// ```no_run
    /// use nodews::{MessageEvent, WebSocket};
    /// let ws = WebSocket::new("ws://localhost:8080");
    /// ws.add_event_listener("message", |event: MessageEvent| println!("{}", event.data));
    /// ```
    #[track_caller]
    pub fn add_event_listener<M>(&self, kind: &str, listener: impl IntoListener<M>) -> &Self {
        if let Err(e) =
            self.add_browser_listener(kind, listener.into_handler(), Origin::Plain, false)
        {
            panic!("{e}");
        }
        self
    }

    /// `ws.addEventListener(type, listener, { once: true })`: the listener runs at
    /// most once, then is removed.
    ///
    /// ```no_run
    /// use nodews::{Event, WebSocket};
    /// let ws = WebSocket::new("ws://localhost:8080");
    /// ws.add_event_listener_once("open", |_event: Event| println!("open, once"));
    /// ```
    #[track_caller]
    pub fn add_event_listener_once<M>(&self, kind: &str, listener: impl IntoListener<M>) -> &Self {
        if let Err(e) =
            self.add_browser_listener(kind, listener.into_handler(), Origin::Plain, true)
        {
            panic!("{e}");
        }
        self
    }

    /// `ws.removeEventListener(type, listener)`, with the [`Handler`] that was added.
    ///
    /// ```no_run
    /// use nodews::{Handler, MessageEvent, WebSocket};
    /// let ws = WebSocket::new("ws://localhost:8080");
    /// let log = Handler::new(|event: MessageEvent| println!("{}", event.data));
    /// ws.add_event_listener("message", log.clone());
    /// ws.remove_event_listener("message", &log);
    /// ```
    #[track_caller]
    pub fn remove_event_listener(&self, kind: &str, handler: &Handler) -> &Self {
        self.off(kind, handler)
    }
}

// Listener arguments (see `events::Arg`).
crate::events::impl_arg!(Event, MessageEvent, CloseEvent, ErrorEvent);
