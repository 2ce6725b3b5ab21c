//! The listener registry behind `.on(name, closure)`: Node's EventEmitter, checked.
//!
//! Node accepts any event name and any function. nodews checks both **at
//! registration**: an unknown name (`"mesage"`) or a closure whose arguments do not
//! fit the event panics at the caller's line with the list of valid events and their
//! arguments (or, with `try_on`, returns an `Err` saying the same).
//!
//! A listener takes any prefix of the event's arguments, in Node's order, and may
//! first ask for its emitter (Node's `this`):
//!
//! ```no_run
//! # use nodews::{WebSocket, Message};
//! # let ws = WebSocket::new("ws://127.0.0.1:8080");
//! ws.on("message", |data: Message, is_binary: bool| println!("{data} {is_binary}"));
//! ws.on("message", |data: Message| println!("{data}"));
//! ws.on("message", |ws: WebSocket, data: Message| ws.send(data));
//! ws.on("message", || println!("got one"));
//! ```
//!
//! Arguments must be annotated (`data: Message`): one `.on` serves every event, so
//! Rust cannot infer them from the name. The browser-style `onmessage(|event| ..)`
//! methods take one concrete type each and need no annotations.
//!
//! Dispatch takes a snapshot of the listener list (an `Arc` clone, no allocation),
//! releases the registry lock, then calls each listener: listeners may call `on`,
//! `off`, `send`, `close`... on any emitter without deadlock.

pub(crate) mod data;

use std::any::{Any, TypeId};
use std::fmt::Write as _;
use std::sync::Arc;

use parking_lot::{Mutex, ReentrantMutex};

use crate::Error;

/// One argument of an event, for registration checks and error messages.
#[derive(Debug)]
pub(crate) struct ArgSpec {
    pub name: &'static str,
    pub type_name: &'static str,
    pub type_id: fn() -> TypeId,
}

/// An event of an emitter: its name and its arguments in Node's order.
#[derive(Debug)]
pub(crate) struct EventSpec {
    pub name: &'static str,
    pub args: &'static [ArgSpec],
}

macro_rules! arg {
    ($name:literal: $ty:ty) => {
        $crate::events::ArgSpec {
            name: $name,
            type_name: stringify!($ty),
            type_id: std::any::TypeId::of::<$ty>,
        }
    };
}
pub(crate) use arg;

/// The EventEmitter methods every emitter has (`on`, `once`, `off`, ...), written once
/// for `WebSocket`, `WebSocketServer` and `HttpServer`. `$node` names the emitter in
/// the docs (`ws`, `wss`, `server`); `$setup` makes one in the doc examples.
macro_rules! event_emitter_methods {
    ($ty:ty, $node:literal, $setup:literal) => {
        impl $ty {
            #[doc = concat!("Adds a listener (`", $node, ".on(event, listener)`); see the event table above.\n\n",
                "Panics, at your line, on an unknown event or a listener whose arguments do not fit it, ",
                "with the list of valid events and their arguments ([`try_on`](Self::try_on) returns the mistake instead). ",
                "Returns the emitter, so calls chain.\n\n```no_run\n# let ", $node, " = ", $setup, ";\n",
                $node, ".on(\"close\", || println!(\"closed\"));\n```")]
            #[track_caller]
            pub fn on<M>(&self, event: &str, listener: impl $crate::IntoListener<M>) -> &Self {
                if let Err(e) = self.try_on(event, listener) {
                    panic!("{e}");
                }
                self
            }

            #[doc = concat!("Like [`on`](Self::on), but an unknown event or a listener that does not fit is an `Err`.\n\n",
                "```no_run\n# let ", $node, " = ", $setup, ";\n",
                "let err = ", $node, ".try_on(\"clsoe\", || {}).unwrap_err();\nassert_eq!(err.code(), \"WS_ERR_UNKNOWN_EVENT\");\n```")]
            pub fn try_on<M>(
                &self,
                event: &str,
                listener: impl $crate::IntoListener<M>,
            ) -> Result<&Self, $crate::Error> {
                self.inner.registry.add::<$ty>(
                    event,
                    listener.into_handler(),
                    false,
                    $crate::events::Origin::Plain,
                    None,
                )?;
                Ok(self)
            }

            #[doc = concat!("Adds a listener that runs at most once (`", $node, ".once`).\n\n",
                "```no_run\n# let ", $node, " = ", $setup, ";\n", $node, ".once(\"close\", || println!(\"closed\"));\n```")]
            #[track_caller]
            pub fn once<M>(&self, event: &str, listener: impl $crate::IntoListener<M>) -> &Self {
                if let Err(e) = self.inner.registry.add::<$ty>(
                    event,
                    listener.into_handler(),
                    true,
                    $crate::events::Origin::Plain,
                    None,
                ) {
                    panic!("{e}");
                }
                self
            }

            #[doc = concat!("Alias of [`on`](Self::on) (`", $node, ".addListener`).\n\n",
                "```no_run\n# let ", $node, " = ", $setup, ";\n", $node, ".add_listener(\"close\", || {});\n```")]
            #[track_caller]
            pub fn add_listener<M>(&self, event: &str, listener: impl $crate::IntoListener<M>) -> &Self {
                self.on(event, listener)
            }

            #[doc = concat!("Removes a listener registered from a [`Handler`](crate::Handler) (`", $node, ".off`): ",
                "the most recent registration of that handler, as Node compares function identity.\n\n",
                "```no_run\n# let ", $node, " = ", $setup, ";\nlet on_close = nodews::Handler::new(|| println!(\"closed\"));\n",
                $node, ".on(\"close\", on_close.clone()).off(\"close\", &on_close);\n```")]
            #[track_caller]
            pub fn off(&self, event: &str, handler: &$crate::Handler) -> &Self {
                if let Err(e) = self.inner.registry.remove::<$ty>(event, handler) {
                    panic!("{e}");
                }
                self
            }

            #[doc = concat!("Alias of [`off`](Self::off) (`", $node, ".removeListener`).\n\n",
                "```no_run\n# let ", $node, " = ", $setup, ";\nlet h = nodews::Handler::new(|| {});\n",
                $node, ".on(\"close\", h.clone()).remove_listener(\"close\", &h);\n```")]
            #[track_caller]
            pub fn remove_listener(&self, event: &str, handler: &$crate::Handler) -> &Self {
                self.off(event, handler)
            }

            #[doc = concat!("Removes all listeners of one event, or of every event with `None` (`", $node, ".removeAllListeners`).\n\n",
                "```no_run\n# let ", $node, " = ", $setup, ";\n", $node, ".remove_all_listeners(Some(\"close\")).remove_all_listeners(None);\n```")]
            #[track_caller]
            pub fn remove_all_listeners(&self, event: Option<&str>) -> &Self {
                let index = event.map(|e| {
                    $crate::events::Registry::index_of::<$ty>(e).unwrap_or_else(|e| panic!("{e}"))
                });
                self.inner.registry.remove_all(index);
                self
            }

            #[doc = concat!("How many listeners an event has (`", $node, ".listenerCount`).\n\n",
                "```no_run\n# let ", $node, " = ", $setup, ";\n", $node, ".on(\"close\", || {});\nassert!(", $node, ".listener_count(\"close\") >= 1);\n```")]
            #[track_caller]
            pub fn listener_count(&self, event: &str) -> usize {
                let index = $crate::events::Registry::index_of::<$ty>(event)
                    .unwrap_or_else(|e| panic!("{e}"));
                self.inner.registry.count(index)
            }
        }
    };
}
pub(crate) use event_emitter_methods;

/// The kinds of emitter (sealed).
pub(crate) trait EmitterKind: Any + Sync {
    /// "WebSocket", "WebSocketServer": used in messages and to recognise `this`.
    const NAME: &'static str;
    /// The index of its `error` event.
    const ERROR_EVENT: usize;
    /// The index of its `close` event, after which it emits nothing.
    const CLOSE_EVENT: usize;
    /// How log lines name this emitter ("WebSocket ws://host/path").
    fn describe(&self) -> String {
        Self::NAME.to_string()
    }
    /// The emitter's own handle type, which a listener may ask for first.
    fn this_type() -> TypeId;
    fn events() -> &'static [EventSpec];
}

/// What a listener is called with: the emitter (`this`) and the event's arguments.
/// Borrowed, so dispatch allocates nothing. `Sync`, so that an async dispatcher may
/// hold them across an `.await`.
pub(crate) struct Emit<'a> {
    pub this: &'a (dyn Any + Sync),
    pub args: &'a [&'a (dyn Any + Sync)],
}

/// A type a listener argument may have. Implemented for the types nodews events
/// pass: [`Message`](crate::Message), `bool`, `u16`, `String`, [`Error`],
/// [`WebSocket`](crate::WebSocket), [`WebSocketServer`](crate::WebSocketServer),
/// [`Request`](crate::Request), [`Response`](crate::Response),
/// [`Headers`](crate::Headers), [`Bytes`](crate::Bytes) and the browser-style events.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a type any nodews event passes to a listener",
    note = "listener arguments are nodews types in Node's order, e.g. |data: Message, is_binary: bool| for \"message\" or |code: u16, reason: String| for \"close\"; see the event table in the docs of `on`"
)]
pub trait Arg: Any + Clone + Send + sealed::Sealed {}

pub(crate) mod sealed {
    /// Only nodews's own types may be listener arguments.
    pub trait Sealed {}
}

/// Makes types listener arguments ([`Arg`]); each module invokes it beside the
/// types it defines, so this layer names none of them.
macro_rules! impl_arg {
    ($($t:ty),*) => { $( impl $crate::events::sealed::Sealed for $t {} impl $crate::events::Arg for $t {} )* };
}
pub(crate) use impl_arg;

impl_arg!(bool, u16, String, bytes::Bytes, Error);

/// Walks the arguments a listener asked for: `this` first if its first parameter has
/// the emitter's type, then the event's arguments in order.
struct Cursor<'a> {
    emit: &'a Emit<'a>,
    next: usize,
    first: bool,
}

impl<'a> Cursor<'a> {
    fn new(emit: &'a Emit<'a>) -> Self {
        Cursor {
            emit,
            next: 0,
            first: true,
        }
    }

    fn take<T: Arg>(&mut self) -> T {
        let this: &dyn Any = self.emit.this;
        if std::mem::take(&mut self.first)
            && let Some(this) = this.downcast_ref::<T>()
        {
            return this.clone();
        }
        let arg: &dyn Any = self.emit.args[self.next];
        self.next += 1;
        // Registration checked the types, so this cannot fail.
        arg.downcast_ref::<T>()
            .expect("listener argument type checked at registration")
            .clone()
    }
}

/// How a listener is kept: a closure given to `on` is `FnMut` and has exactly one
/// registration, so it is called through a lock nobody else takes; a [`Handler`]
/// made with `Handler::new` is `Fn + Sync` and may run on many emitters at once.
#[derive(Clone)]
enum Call {
    Shared(Arc<dyn Fn(&Emit<'_>) + Send + Sync>),
    Exclusive(Arc<Mutex<Box<ExclusiveFn>>>),
}

type ExclusiveFn = dyn FnMut(&Emit<'_>) + Send;

/// A listener, type-erased. Clone it to register the same listener in several places
/// and to remove it later with `off`, as Node compares function identity:
///
/// ```no_run
/// use nodews::{Handler, Message, WebSocket};
/// let ws = WebSocket::new("ws://127.0.0.1:8080");
/// let log = Handler::new(|data: Message| println!("{data}"));
/// ws.on("message", log.clone());
/// ws.off("message", &log);
/// assert_eq!(ws.listener_count("message"), 0);
/// ```
///
/// One `Handler` registered on many sockets runs on each of them at the same time
/// (no lock is held while it runs), and an `emit` from inside it may call it again;
/// so its closure is `Fn + Sync`: keep state in atomics or a `Mutex` of your own.
/// A closure passed straight to `on` may be `FnMut` instead: it belongs to one
/// registration, whose listeners never run concurrently. Such a closure cannot run
/// inside itself: if an `emit` from inside it reaches it again, that inner call is
/// reported as a panicking listener (`WS_ERR_LISTENER_PANIC`) and skipped.
#[derive(Clone)]
pub struct Handler {
    params: Arc<[(TypeId, &'static str)]>,
    call: Call,
}

impl std::fmt::Debug for Handler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<_> = self.params.iter().map(|p| p.1).collect();
        write!(f, "Handler({})", names.join(", "))
    }
}

impl Handler {
    /// Wraps a closure as a listener that can later be removed with `off`.
    ///
    /// ```
    /// let h = nodews::Handler::new(|code: u16, reason: String| println!("{code} {reason}"));
    /// # let _ = h;
    /// ```
    pub fn new<M>(listener: impl IntoSharedListener<M>) -> Handler {
        listener.into_shared_handler()
    }

    fn exclusive(
        params: Vec<(TypeId, &'static str)>,
        call: impl FnMut(&Emit<'_>) + Send + 'static,
    ) -> Handler {
        Handler {
            params: params.into(),
            call: Call::Exclusive(Arc::new(Mutex::new(Box::new(call)))),
        }
    }

    fn shared(
        params: Vec<(TypeId, &'static str)>,
        call: impl Fn(&Emit<'_>) + Send + Sync + 'static,
    ) -> Handler {
        Handler {
            params: params.into(),
            call: Call::Shared(Arc::new(call)),
        }
    }

    /// Same listener (Node's function identity).
    fn is(&self, other: &Handler) -> bool {
        match (&self.call, &other.call) {
            (Call::Shared(a), Call::Shared(b)) => Arc::ptr_eq(a, b),
            (Call::Exclusive(a), Call::Exclusive(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    #[inline]
    pub(crate) fn call(&self, emit: &Emit<'_>) {
        match &self.call {
            Call::Shared(f) => f(emit),
            // Only its own emitter calls an exclusive listener, one event at a time,
            // so the lock is free unless the listener is running further up this
            // thread's stack: an `FnMut` cannot be entered twice.
            Call::Exclusive(f) => match f.try_lock() {
                Some(mut f) => f(emit),
                None => panic!(
                    "this listener was called again from inside itself (an emit that reaches \
                     it re-entrantly); a closure given to `on` is FnMut and cannot re-enter: \
                     register a nodews::Handler (Fn) to allow it"
                ),
            },
        }
    }

    /// Wraps this handler so it receives a different argument list, built by `adapt`
    /// from the original event (browser-style events are built this way).
    pub(crate) fn adapted(
        inner: Handler,
        adapt: impl Fn(&Emit<'_>, &mut dyn FnMut(&Emit<'_>)) + Send + 'static,
    ) -> Handler {
        let params = inner.params.clone();
        let mut handler = Handler::exclusive(Vec::new(), move |emit| {
            adapt(emit, &mut |adapted| inner.call(adapted))
        });
        handler.params = params;
        handler
    }

    /// Checks this listener's parameters against an event; `Err` explains the mismatch.
    pub(crate) fn check<K: EmitterKind>(&self, event: &EventSpec) -> Result<(), String> {
        let mut params: &[(TypeId, &str)] = &self.params;
        if let Some((first, _)) = params.first()
            && *first == K::this_type()
        {
            params = &params[1..];
        }
        let fits = params.len() <= event.args.len()
            && params
                .iter()
                .zip(event.args)
                .all(|(p, a)| p.0 == (a.type_id)());
        if fits {
            Ok(())
        } else {
            let given: Vec<_> = self.params.iter().map(|p| short(p.1)).collect();
            Err(format!(
                "a \"{}\" listener on {} cannot take ({}): it takes {}, any leading part of them, \
                 optionally preceded by the {} itself",
                event.name,
                K::NAME,
                given.join(", "),
                signature(event),
                K::NAME
            ))
        }
    }
}

fn short(type_name: &str) -> &str {
    // "nodews::message::Message" -> "Message"; keep generics readable enough.
    type_name.rsplit("::").next().unwrap_or(type_name)
}

fn signature(event: &EventSpec) -> String {
    let args: Vec<_> = event
        .args
        .iter()
        .map(|a| format!("{}: {}", a.name, a.type_name))
        .collect();
    format!("|{}|", args.join(", "))
}

/// The list of valid events and their arguments, for error messages.
pub(crate) fn event_table<K: EmitterKind>() -> String {
    let mut out = String::new();
    for e in K::events() {
        let _ = write!(out, "\n  \"{}\" {}", e.name, signature(e));
    }
    out
}

/// A closure that can be registered as a listener: `FnMut` with 0 to 4 arguments of
/// nodews types ([`Arg`]), `Send + 'static`. `M` only tells the shapes apart.
#[diagnostic::on_unimplemented(
    message = "this closure cannot be a nodews listener",
    label = "not a listener",
    note = "a listener is a `move` closure whose arguments are annotated with nodews types, e.g. |data: Message| or |ws: WebSocket, data: Message, is_binary: bool|; it must be Send + 'static"
)]
pub trait IntoListener<M>: Send + 'static {
    /// Erases the closure's type.
    fn into_handler(self) -> Handler;
}

/// A closure that [`Handler::new`] accepts: as [`IntoListener`], but `Fn + Sync`,
/// since a `Handler` may run on several emitters at once.
#[diagnostic::on_unimplemented(
    message = "this closure cannot be a shared nodews Handler",
    label = "not an `Fn + Send + Sync` listener",
    note = "a Handler may run on many sockets at once, so its closure must be Fn + Send + Sync (keep mutable state in an atomic or a Mutex); a closure given directly to `on` may be FnMut"
)]
pub trait IntoSharedListener<M>: Send + Sync + 'static {
    /// Erases the closure's type.
    fn into_shared_handler(self) -> Handler;
}

impl IntoListener<Handler> for Handler {
    fn into_handler(self) -> Handler {
        self
    }
}

macro_rules! listener_shape {
    ($($a:ident),*) => {
        impl<F, $($a: Arg),*> IntoListener<($($a,)*)> for F
        where
            F: FnMut($($a),*) + Send + 'static,
        {
            #[allow(non_snake_case, unused_mut, unused_variables)]
            fn into_handler(mut self) -> Handler {
                Handler::exclusive(
                    vec![$((TypeId::of::<$a>(), std::any::type_name::<$a>())),*],
                    move |emit| {
                        let mut cursor = Cursor::new(emit);
                        $(let $a = cursor.take::<$a>();)*
                        self($($a),*)
                    },
                )
            }
        }

        impl<F, $($a: Arg),*> IntoSharedListener<($($a,)*)> for F
        where
            F: Fn($($a),*) + Send + Sync + 'static,
        {
            #[allow(non_snake_case, unused_mut, unused_variables)]
            fn into_shared_handler(self) -> Handler {
                Handler::shared(
                    vec![$((TypeId::of::<$a>(), std::any::type_name::<$a>())),*],
                    move |emit| {
                        let mut cursor = Cursor::new(emit);
                        $(let $a = cursor.take::<$a>();)*
                        self($($a),*)
                    },
                )
            }
        }
    };
}
listener_shape!();
listener_shape!(A1);
listener_shape!(A1, A2);
listener_shape!(A1, A2, A3);
listener_shape!(A1, A2, A3, A4);

/// What [`Registry::dispatch`] did.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Dispatched {
    /// How many listeners ran.
    pub listeners: usize,
    /// Whether one of them panicked.
    pub panicked: bool,
}

/// The index of event `name` in `events`, at compile time: event indices are derived
/// from the event tables, never kept in step by hand. Fails the build if absent.
pub(crate) const fn event_index(events: &[EventSpec], name: &str) -> usize {
    let mut i = 0;
    while i < events.len() {
        let candidate = events[i].name.as_bytes();
        let wanted = name.as_bytes();
        if candidate.len() == wanted.len() {
            let mut j = 0;
            while j < wanted.len() && candidate[j] == wanted[j] {
                j += 1;
            }
            if j == wanted.len() {
                return i;
            }
        }
        i += 1;
    }
    panic!("no such event in this table")
}

/// Who put a listener there, so `onmessage = ...` replaces only its own.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Origin {
    /// `on`, `once`, `add_event_listener`.
    Plain,
    /// `onopen`, `onmessage`, `onclose`, `onerror` (ws's `kForOnEventAttribute`).
    Attribute,
}

#[derive(Clone)]
struct Entry {
    handler: Handler,
    /// For `remove_event_listener` with the user's original handler.
    original: Option<Handler>,
    once: bool,
    origin: Origin,
}

/// The listeners of one event: a copy-on-write list, and whether any of them is a
/// `once` listener (so that dispatch skips the scan in the usual case: none is).
struct List {
    index: usize,
    has_once: bool,
    entries: Arc<[Entry]>,
}

/// The listeners of one emitter: a copy-on-write list for each event that has any,
/// found by the event's index. (Only those: a socket that listens to one of its nine
/// events keeps one entry, not nine, which matters for thousands of sockets.)
pub(crate) struct Registry {
    lists: Mutex<Vec<List>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Registry({} events with listeners)",
            self.lists.lock().len()
        )
    }
}

/// The list of event `index`, if it has listeners.
fn list_of(lists: &[List], index: usize) -> Option<&List> {
    lists.iter().find(|list| list.index == index)
}

/// Replaces the list of event `index` (an empty one is dropped).
fn set_list(lists: &mut Vec<List>, index: usize, list: Vec<Entry>) {
    let pos = lists.iter().position(|l| l.index == index);
    let has_once = list.iter().any(|e| e.once);
    match (pos, list.is_empty()) {
        (Some(pos), true) => {
            lists.swap_remove(pos);
        }
        (Some(pos), false) => {
            lists[pos].has_once = has_once;
            lists[pos].entries = list.into();
        }
        (None, false) => {
            // One event at a time: most sockets listen to one or two.
            lists.reserve_exact(1);
            lists.push(List {
                index,
                has_once,
                entries: list.into(),
            });
        }
        (None, true) => {}
    }
}

impl Registry {
    pub(crate) fn new() -> Registry {
        Registry {
            lists: Mutex::new(Vec::new()),
        }
    }

    pub(crate) fn index_of<K: EmitterKind>(event: &str) -> Result<usize, Error> {
        K::events()
            .iter()
            .position(|e| e.name == event)
            .ok_or_else(|| {
                Error::new(
                    crate::ErrorCode::WS_ERR_UNKNOWN_EVENT,
                    format!(
                        "unknown event \"{event}\" for {}; expected one of:{}",
                        K::NAME,
                        event_table::<K>()
                    ),
                )
            })
    }

    /// Checks and adds a listener.
    pub(crate) fn add<K: EmitterKind>(
        &self,
        event: &str,
        handler: Handler,
        once: bool,
        origin: Origin,
        original: Option<Handler>,
    ) -> Result<(), Error> {
        let index = Self::index_of::<K>(event)?;
        let spec = &K::events()[index];
        let checked = original.as_ref().unwrap_or(&handler);
        if original.is_none() {
            checked.check::<K>(spec).map_err(|why| {
                Error::new(
                    crate::ErrorCode::WS_ERR_LISTENER_SHAPE,
                    format!("{why}. Events of {}:{}", K::NAME, event_table::<K>()),
                )
            })?;
        }
        let mut lists = self.lists.lock();
        let mut list: Vec<Entry> =
            list_of(&lists, index).map_or_else(Vec::new, |l| l.entries.to_vec());
        if origin == Origin::Attribute {
            list.retain(|e| e.origin != Origin::Attribute);
        }
        list.push(Entry {
            handler,
            original,
            once,
            origin,
        });
        set_list(&mut lists, index, list);
        Ok(())
    }

    /// Removes the most recently added registration of `handler` (Node's `off`).
    pub(crate) fn remove<K: EmitterKind>(
        &self,
        event: &str,
        handler: &Handler,
    ) -> Result<(), Error> {
        let index = Self::index_of::<K>(event)?;
        let mut lists = self.lists.lock();
        let Some(list) = list_of(&lists, index) else {
            return Ok(());
        };
        let mut list: Vec<Entry> = list.entries.to_vec();
        if let Some(pos) = list.iter().rposition(|e| {
            e.handler.is(handler) || e.original.as_ref().is_some_and(|o| o.is(handler))
        }) {
            list.remove(pos);
            set_list(&mut lists, index, list);
        }
        Ok(())
    }

    pub(crate) fn remove_all(&self, index: Option<usize>) {
        self.lists
            .lock()
            .retain(|list| index.is_some_and(|n| n != list.index));
    }

    pub(crate) fn count(&self, index: usize) -> usize {
        list_of(&self.lists.lock(), index).map_or(0, |list| list.entries.len())
    }

    /// **The one dispatcher**, for every emitter (socket, server, HTTP server, and the
    /// browser-style API, whose listeners are adapted `WebSocket` listeners): calls the
    /// listeners of event `index` in registration order, with no lock held while they
    /// run (the list is a snapshot; listeners may add and remove listeners, send,
    /// close, emit). `turn`, for emitters that several tasks or threads dispatch
    /// (servers), makes their dispatches take turns: re-entrant, so an `emit` from
    /// inside a listener runs at once, as in Node. A socket needs none: only its own
    /// task dispatches.
    ///
    /// The one rule for a panicking listener: it is caught (the other listeners still
    /// run), logged with `log::error!`, and reported as the emitter's `error` event
    /// (`WS_ERR_LISTENER_PANIC`), unless it was itself an `error` or a `close` listener
    /// (nothing follows `close`); an `error` with no listener is only logged. What follows is the emitter's own business
    /// (a socket closes with 1011, as after any error).
    #[inline]
    pub(crate) fn dispatch<K: EmitterKind>(
        &self,
        this: &K,
        turn: Option<&ReentrantMutex<()>>,
        index: usize,
        args: &[&(dyn Any + Sync)],
    ) -> Dispatched {
        let _turn = turn.map(ReentrantMutex::lock);
        let (listeners, panics) = self.call_listeners(index, &Emit { this, args });
        let panicked = !panics.is_empty() && self.report_panics(this, turn, index, panics);
        Dispatched {
            listeners,
            panicked,
        }
    }

    /// The panic rule of [`dispatch`](Self::dispatch), for listeners that panicked:
    /// `true` if one of them was reported (not taken by an uncaught-exception rule).
    #[cold]
    #[inline(never)]
    fn report_panics<K: EmitterKind>(
        &self,
        this: &K,
        turn: Option<&ReentrantMutex<()>>,
        index: usize,
        panics: Vec<String>,
    ) -> bool {
        let mut panicked = false;
        for panic in panics {
            let name = K::events()[index].name;
            let error = Error::new(
                crate::ErrorCode::WS_ERR_LISTENER_PANIC,
                format!("a \"{name}\" listener panicked: {panic}"),
            );
            // Node's rule, if the program asked for it (exit, or its handler).
            if crate::runtime::uncaught::take(&error) {
                continue;
            }
            panicked = true;
            log::error!(
                "a \"{name}\" listener of {} panicked: {panic}",
                this.describe()
            );
            if index != K::ERROR_EVENT && index != K::CLOSE_EVENT {
                self.report_error(this, turn, error);
            }
        }
        panicked
    }

    /// Emits `error` through [`dispatch`](Self::dispatch); with no listener it is
    /// logged (Node would crash the process; nodews does not).
    pub(crate) fn report_error<K: EmitterKind>(
        &self,
        this: &K,
        turn: Option<&ReentrantMutex<()>>,
        error: Error,
    ) {
        if self.count(K::ERROR_EVENT) == 0 {
            if !crate::runtime::uncaught::take(&error) {
                log::error!("{} error (no \"error\" listener): {error}", this.describe());
            }
        } else {
            self.dispatch(this, turn, K::ERROR_EVENT, &[&error]);
        }
    }

    /// Calls every listener of event `index` in registration order. Returns how many
    /// ran and the messages of those that panicked (no allocation unless one did).
    #[inline]
    fn call_listeners(&self, index: usize, emit: &Emit<'_>) -> (usize, Vec<String>) {
        let snapshot = {
            let mut lists = self.lists.lock();
            let Some(list) = list_of(&lists, index) else {
                return (0, Vec::new());
            };
            let snapshot = list.entries.clone();
            if list.has_once {
                // Node removes a `once` listener before calling it.
                let kept: Vec<Entry> = snapshot.iter().filter(|e| !e.once).cloned().collect();
                set_list(&mut lists, index, kept);
            }
            snapshot
        };
        let mut panics = Vec::new();
        for entry in snapshot.iter() {
            if let Err(panic) = crate::runtime::call_user(|| entry.handler.call(emit)) {
                panics.push(panic);
            }
        }
        (snapshot.len(), panics)
    }
}
