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

use std::any::{Any, TypeId};
use std::fmt::Write as _;
use std::sync::Arc;

use parking_lot::Mutex;

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
pub(crate) trait EmitterKind {
    /// "WebSocket", "WebSocketServer": used in messages and to recognise `this`.
    const NAME: &'static str;
    /// The emitter's own handle type, which a listener may ask for first.
    fn this_type() -> TypeId;
    fn events() -> &'static [EventSpec];
}

/// What a listener is called with: the emitter (`this`) and the event's arguments.
/// Borrowed, so dispatch allocates nothing.
pub(crate) struct Emit<'a> {
    pub this: &'a dyn Any,
    pub args: &'a [&'a dyn Any],
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
        if std::mem::take(&mut self.first)
            && let Some(this) = self.emit.this.downcast_ref::<T>()
        {
            return this.clone();
        }
        let arg = self.emit.args[self.next];
        self.next += 1;
        // Registration checked the types, so this cannot fail.
        arg.downcast_ref::<T>()
            .expect("listener argument type checked at registration")
            .clone()
    }
}

type Call = dyn FnMut(&Emit<'_>) + Send;

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
#[derive(Clone)]
pub struct Handler {
    params: Arc<[(TypeId, &'static str)]>,
    call: Arc<Mutex<Box<Call>>>,
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
    pub fn new<M>(listener: impl IntoListener<M>) -> Handler {
        listener.into_handler()
    }

    fn from_fn(
        params: Vec<(TypeId, &'static str)>,
        call: impl FnMut(&Emit<'_>) + Send + 'static,
    ) -> Handler {
        Handler {
            params: params.into(),
            call: Arc::new(Mutex::new(Box::new(call))),
        }
    }

    /// Same listener (Node's function identity).
    fn is(&self, other: &Handler) -> bool {
        Arc::ptr_eq(&self.call, &other.call)
    }

    pub(crate) fn call(&self, emit: &Emit<'_>) {
        // One emitter's listeners never run concurrently, so this lock is uncontended;
        // it exists to let listeners be `FnMut` and still live behind an `Arc`.
        (self.call.lock())(emit)
    }

    /// Wraps this handler so it receives a different argument list, built by `adapt`
    /// from the original event (browser-style events are built this way).
    pub(crate) fn adapted(
        inner: Handler,
        adapt: impl Fn(&Emit<'_>, &mut dyn FnMut(&Emit<'_>)) + Send + 'static,
    ) -> Handler {
        let params = inner.params.clone();
        let mut handler = Handler::from_fn(Vec::new(), move |emit| {
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
                Handler::from_fn(
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

/// The listeners of one emitter: a copy-on-write list for each event that has any,
/// found by the event's index. (Only those: a socket that listens to one of its nine
/// events keeps one entry, not nine, which matters for thousands of sockets.)
pub(crate) struct Registry {
    lists: Mutex<Vec<(usize, Arc<[Entry]>)>>,
}

/// The list of event `index`, if it has listeners.
fn list_of(lists: &[(usize, Arc<[Entry]>)], index: usize) -> Option<&Arc<[Entry]>> {
    lists
        .iter()
        .find(|(i, _)| *i == index)
        .map(|(_, list)| list)
}

/// Replaces the list of event `index` (an empty one is dropped).
fn set_list(lists: &mut Vec<(usize, Arc<[Entry]>)>, index: usize, list: Vec<Entry>) {
    let pos = lists.iter().position(|(i, _)| *i == index);
    match (pos, list.is_empty()) {
        (Some(pos), true) => {
            lists.swap_remove(pos);
        }
        (Some(pos), false) => lists[pos].1 = list.into(),
        (None, false) => {
            // One event at a time: most sockets listen to one or two.
            lists.reserve_exact(1);
            lists.push((index, list.into()));
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
                    "WS_ERR_UNKNOWN_EVENT",
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
                    "WS_ERR_LISTENER_SHAPE",
                    format!("{why}. Events of {}:{}", K::NAME, event_table::<K>()),
                )
            })?;
        }
        let mut lists = self.lists.lock();
        let mut list: Vec<Entry> = list_of(&lists, index).map_or_else(Vec::new, |l| l.to_vec());
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
        let mut list: Vec<Entry> = list.to_vec();
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
            .retain(|(i, _)| index.is_some_and(|n| n != *i));
    }

    pub(crate) fn count(&self, index: usize) -> usize {
        list_of(&self.lists.lock(), index).map_or(0, |list| list.len())
    }

    /// Calls every listener of event `index` in registration order. Returns how many
    /// ran and the messages of those that panicked.
    pub(crate) fn emit(&self, index: usize, emit: &Emit<'_>) -> (usize, Vec<String>) {
        let snapshot = {
            let mut lists = self.lists.lock();
            let Some(snapshot) = list_of(&lists, index).cloned() else {
                return (0, Vec::new());
            };
            if snapshot.iter().any(|e| e.once) {
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
