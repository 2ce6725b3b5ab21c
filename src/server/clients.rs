//! `wss.clients`: the set of a server's connected sockets.
//!
//! A broadcast calls `clients()` once per message, and connections come and go while
//! it runs, so both must be cheap: a socket is added and removed in O(log N) by the
//! number it got when it joined, and `clients()` hands out a shared, immutable
//! snapshot (one reference count) that is rebuilt only on the first call after the
//! set changed. Iterating a snapshot takes no lock, so listeners may send, close or
//! accept while they iterate.

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::WebSocket;

/// The connected sockets of a [`WebSocketServer`](crate::WebSocketServer), as
/// [`clients()`](crate::WebSocketServer::clients) returns them: a snapshot in the order
/// the sockets connected, as ws's `Set` iterates. Sockets that close after the
/// snapshot was taken stay in it (check `ready_state()`, as ws code does); the next
/// `clients()` call leaves them out.
///
/// ```no_run
/// use nodews::{ServerOptions, WebSocket, WebSocketServer};
/// let wss = WebSocketServer::new(ServerOptions { port: Some(0), ..Default::default() });
/// let clients = wss.clients();
/// println!("{} connected", clients.len()); // ws: wss.clients.size
/// for client in &clients {
///     if client.ready_state() == WebSocket::OPEN {
///         client.send("news");
///     }
/// }
/// ```
#[derive(Clone, Debug, Default)]
pub struct Clients(Arc<[WebSocket]>);

impl Clients {
    /// ws's `wss.clients.size`: how many sockets the snapshot holds (also `len()`).
    ///
    /// ```no_run
    /// # let wss = nodews::WebSocketServer::new(nodews::ServerOptions { port: Some(0), ..Default::default() });
    /// assert_eq!(wss.clients().size(), wss.clients().len());
    /// ```
    pub fn size(&self) -> usize {
        self.0.len()
    }

    /// ws's `wss.clients.has(ws)`: whether `socket` is in the snapshot.
    ///
    /// ```no_run
    /// # let wss = nodews::WebSocketServer::new(nodews::ServerOptions { port: Some(0), ..Default::default() });
    /// let server = wss.clone();
    /// wss.on("connection", move |ws: nodews::WebSocket| assert!(server.clients().has(&ws)));
    /// ```
    pub fn has(&self, socket: &WebSocket) -> bool {
        self.0.contains(socket)
    }
}

impl std::ops::Deref for Clients {
    type Target = [WebSocket];

    /// The sockets as a slice: `iter()`, `len()`, `is_empty()`, indexing.
    fn deref(&self) -> &[WebSocket] {
        &self.0
    }
}

impl<'a> IntoIterator for &'a Clients {
    type Item = &'a WebSocket;
    type IntoIter = std::slice::Iter<'a, WebSocket>;

    /// `for client in &clients`: borrows each socket.
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl IntoIterator for Clients {
    type Item = WebSocket;
    type IntoIter = IntoIter;

    /// `for client in wss.clients()`: yields handles (a reference count each, no copy
    /// of the set).
    fn into_iter(self) -> IntoIter {
        IntoIter {
            clients: self.0,
            next: 0,
        }
    }
}

/// The iterator of `for client in wss.clients()`: a handle per socket.
///
/// ```no_run
/// # let wss = nodews::WebSocketServer::new(nodews::ServerOptions { port: Some(0), ..Default::default() });
/// let mut sockets: nodews::ClientsIter = wss.clients().into_iter();
/// while let Some(client) = sockets.next() { client.send("hi"); }
/// ```
#[derive(Debug)]
pub struct IntoIter {
    clients: Arc<[WebSocket]>,
    next: usize,
}

impl Iterator for IntoIter {
    type Item = WebSocket;

    fn next(&mut self) -> Option<WebSocket> {
        let socket = self.clients.get(self.next)?.clone();
        self.next += 1;
        Some(socket)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.clients.len() - self.next;
        (left, Some(left))
    }
}

impl ExactSizeIterator for IntoIter {}

/// The server's side: the live set, keyed by join order, and the last snapshot.
#[derive(Default)]
pub(crate) struct ClientSet {
    inner: Mutex<SetInner>,
}

#[derive(Default)]
struct SetInner {
    next_id: u64,
    sockets: BTreeMap<u64, WebSocket>,
    /// `None` after a change, until the next `snapshot()`.
    snapshot: Option<Clients>,
}

impl ClientSet {
    /// Adds a socket; the returned number removes it.
    pub(crate) fn insert(&self, socket: WebSocket) -> u64 {
        let mut inner = self.inner.lock();
        let id = inner.next_id;
        inner.next_id += 1;
        inner.sockets.insert(id, socket);
        inner.snapshot = None;
        id
    }

    /// Removes the socket `insert` numbered `id`; returns how many are left.
    pub(crate) fn remove(&self, id: u64) -> usize {
        let mut inner = self.inner.lock();
        if inner.sockets.remove(&id).is_some() {
            inner.snapshot = None;
        }
        inner.sockets.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.inner.lock().sockets.is_empty()
    }

    pub(crate) fn snapshot(&self) -> Clients {
        let mut inner = self.inner.lock();
        if let Some(snapshot) = &inner.snapshot {
            return snapshot.clone();
        }
        let snapshot = Clients(inner.sockets.values().cloned().collect());
        inner.snapshot = Some(snapshot.clone());
        snapshot
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_is_shared_until_the_set_changes() {
        let set = ClientSet::default();
        let a = WebSocket::from_parts(String::new(), WebSocket::OPEN);
        let b = WebSocket::from_parts(String::new(), WebSocket::OPEN);
        let id_a = set.insert(a.clone());
        let _id_b = set.insert(b.clone());
        let first = set.snapshot();
        let second = set.snapshot();
        assert!(
            Arc::ptr_eq(&first.0, &second.0),
            "no rebuild without a change"
        );
        assert_eq!(&first[..], &[a.clone(), b.clone()], "join order");
        assert_eq!(set.remove(id_a), 1);
        let third = set.snapshot();
        assert!(!Arc::ptr_eq(&first.0, &third.0));
        assert_eq!(&third[..], std::slice::from_ref(&b));
        assert!(
            first.has(&a) && !third.has(&a),
            "old snapshots stay as they were"
        );
        assert_eq!(set.remove(id_a), 1, "removing twice is harmless");
        let owned: Vec<WebSocket> = third.into_iter().collect();
        assert_eq!(owned, vec![b]);
    }
}
