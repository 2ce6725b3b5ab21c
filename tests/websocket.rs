//! The socket's promises, grouped like ws's `test/websocket.test.js`: event order,
//! close codes, re-entrancy, panics, errors, flow control.

mod support;

use std::time::Duration;

use nodews::{Error, Message, SendOptions, ServerOptions, WebSocket};
use support::{Log, echo_server, server, url};

mod events {
    use super::*;

    /// `open` comes before any `message`, messages keep their order, `close` comes once and last.
    #[test]
    fn open_then_messages_in_order_then_close_exactly_once() {
        let (wss, port) = echo_server();
        let log = Log::new();
        let ws = WebSocket::new(&url(port));
        let l = log.clone();
        ws.on("open", move |ws: WebSocket| {
            l.push("open");
            for i in 0..100 {
                ws.send(format!("m{i}"));
            }
        });
        let l = log.clone();
        ws.on(
            "message",
            move |ws: WebSocket, data: Message, is_binary: bool| {
                assert!(!is_binary);
                l.push(data.to_string());
                if data == "m99" {
                    ws.close_with(1000, "done").unwrap();
                }
            },
        );
        let l = log.clone();
        ws.on("close", move |code: u16, reason: String| {
            l.push(format!("close {code} {reason}"))
        });
        support::wait_closed(&ws);
        let entries = log.entries();
        let expected: Vec<String> = std::iter::once("open".to_string())
            .chain((0..100).map(|i| format!("m{i}")))
            .chain(std::iter::once("close 1000 done".to_string()))
            .collect();
        assert_eq!(entries, expected);
        // Nothing fires after close.
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(log.count("close 1000 done"), 1);
        assert_eq!(ws.ready_state(), WebSocket::CLOSED);
        wss.close();
    }

    /// A client built on the main thread whose `open` listener is added 50 ms later still sees `open`.
    #[test]
    fn open_listener_added_50ms_after_new_still_fires() {
        let (wss, port) = echo_server();
        let ws = WebSocket::new(&url(port));
        std::thread::sleep(Duration::from_millis(50));
        let log = Log::new();
        let l = log.clone();
        ws.on("open", move |ws: WebSocket| {
            l.push("open");
            ws.close();
        });
        support::wait_closed(&ws);
        assert_eq!(log.entries(), vec!["open"]);
        wss.close();
    }

    /// A server-side socket's first message reaches a listener added inside `connection`,
    /// even when the client sends it in the same packet as its handshake would allow.
    #[test]
    fn first_message_reaches_listener_added_in_connection() {
        let (wss, port) = server(ServerOptions::default());
        let log = Log::new();
        let l = log.clone();
        wss.on("connection", move |ws: WebSocket| {
            // Give the client every chance to have sent its message already.
            std::thread::sleep(Duration::from_millis(50));
            let l = l.clone();
            ws.on("message", move |data: Message| {
                l.push(format!("got {data}"))
            });
        });
        let ws = WebSocket::new(&url(port));
        ws.on("open", |ws: WebSocket| ws.send("first"));
        log.wait_contains("got first");
        ws.close();
        support::wait_closed(&ws);
        wss.close();
    }

    /// Browser-style listeners: `onmessage` replaces only the previous `onmessage`.
    #[test]
    fn onmessage_replaces_only_itself() {
        let (wss, port) = echo_server();
        let log = Log::new();
        let ws = WebSocket::new(&url(port));
        let l = log.clone();
        ws.onmessage(move |e| l.push(format!("old {}", e.data)));
        let l = log.clone();
        ws.onmessage(move |e| l.push(format!("on {}", e.data)));
        let l = log.clone();
        ws.add_event_listener("message", move |e: nodews::MessageEvent| {
            l.push(format!("added {}", e.data))
        });
        let l = log.clone();
        ws.on("message", move |data: Message| {
            l.push(format!("node {data}"))
        });
        let w = ws.clone();
        ws.onopen(move || w.send("x"));
        let l = log.clone();
        ws.onclose(move |e| {
            l.push(format!(
                "closeevent {} {} {}",
                e.code, e.reason, e.was_clean
            ))
        });
        log.wait_for("three listeners", |e| e.len() >= 3);
        ws.close_with(4001, "bye").unwrap();
        support::wait_closed(&ws);
        let mut entries = log.entries();
        let last = entries.pop().unwrap();
        assert_eq!(entries, vec!["on x", "added x", "node x"]);
        assert_eq!(last, "closeevent 4001 bye true");
        assert_eq!(
            ws.listener_count("message"),
            0,
            "listeners are dropped after close"
        );
        wss.close();
    }
}

mod close {
    use super::*;

    fn closed_pair(
        close: impl Fn(&WebSocket) + Send + Sync + 'static,
        from_server: bool,
    ) -> (String, String) {
        let (wss, port) = server(ServerOptions::default());
        let server_log = Log::new();
        let l = server_log.clone();
        let close = std::sync::Arc::new(close);
        let c = close.clone();
        wss.on("connection", move |ws: WebSocket| {
            let l = l.clone();
            ws.on("close", move |code: u16, reason: String| {
                l.push(format!("{code} {reason}"))
            });
            if from_server {
                c(&ws);
            }
        });
        let client_log = Log::new();
        let ws = WebSocket::new(&url(port));
        let l = client_log.clone();
        ws.on("close", move |code: u16, reason: String| {
            l.push(format!("{code} {reason}"))
        });
        if !from_server {
            let c = close.clone();
            ws.on("open", move |ws: WebSocket| c(&ws));
        }
        support::wait_closed(&ws);
        let server_seen = server_log.wait_for("server close", |e| !e.is_empty())[0].clone();
        wss.close();
        (client_log.entries()[0].clone(), server_seen)
    }

    #[test]
    fn client_close_with_code_and_reason_is_seen_by_both_ends() {
        let (client, server) = closed_pair(|ws| ws.close_with(4000, "bye now").unwrap(), false);
        assert_eq!(client, "4000 bye now");
        assert_eq!(server, "4000 bye now");
    }

    #[test]
    fn server_close_with_code_is_seen_by_both_ends() {
        let (client, server) = closed_pair(|ws| ws.close_with(1001, "going away").unwrap(), true);
        assert_eq!(client, "1001 going away");
        assert_eq!(server, "1001 going away");
    }

    #[test]
    fn close_without_code_is_1005_on_both_ends() {
        let (client, server) = closed_pair(|ws| ws.close(), false);
        assert_eq!(client, "1005 ");
        assert_eq!(server, "1005 ");
    }

    #[test]
    fn terminate_is_1006_on_both_ends() {
        let (client, server) = closed_pair(|ws| ws.terminate(), false);
        assert_eq!(client, "1006 ");
        assert_eq!(server, "1006 ");
        let (client, server) = closed_pair(|ws| ws.terminate(), true);
        assert_eq!(client, "1006 ");
        assert_eq!(server, "1006 ");
    }

    #[test]
    fn max_length_reason_is_delivered() {
        let reason = "é".repeat(61) + "x"; // 123 bytes
        assert_eq!(reason.len(), 123);
        let r = reason.clone();
        let (client, server) = closed_pair(move |ws| ws.close_with(3000, &r).unwrap(), false);
        assert_eq!(client, format!("3000 {reason}"));
        assert_eq!(server, format!("3000 {reason}"));
    }

    #[test]
    fn invalid_codes_and_long_reasons_are_rejected() {
        let ws = WebSocket::new("ws://127.0.0.1:9"); // never opens; validation is local
        for code in [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535] {
            let err = ws.close_with(code, "").unwrap_err();
            assert_eq!(err.code(), "WS_ERR_INVALID_CLOSE_CODE", "code {code}");
        }
        for code in [1000, 1001, 1002, 1003, 1007, 1011, 1014, 3000, 4999] {
            assert!(nodews::is_valid_status_code(code), "code {code}");
        }
        let err = ws.close_with(1000, &"x".repeat(124)).unwrap_err();
        assert_eq!(err.code(), "WS_ERR_INVALID_ARGUMENT");
        assert!(err.message().contains("123 bytes"), "{err}");
        ws.terminate();
        support::wait_closed(&ws);
    }

    /// A peer that never answers our close frame is dropped after `close_timeout`.
    #[test]
    fn close_timeout_ends_a_silent_peer() {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let peer = std::thread::spawn(move || {
            let (mut tcp, _) = listener.accept().unwrap();
            let mut buf = [0u8; 4096];
            let n = tcp.read(&mut buf).unwrap();
            let request = String::from_utf8_lossy(&buf[..n]).to_string();
            let key = request
                .lines()
                .find_map(|l| {
                    l.strip_prefix("Sec-WebSocket-Key: ")
                        .or_else(|| l.strip_prefix("sec-websocket-key: "))
                })
                .unwrap()
                .trim()
                .to_string();
            let accept = support::accept_key(&key);
            write!(tcp, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n").unwrap();
            // Read the close frame, answer nothing, keep the TCP connection open.
            let _ = tcp.read(&mut buf);
            std::thread::sleep(Duration::from_secs(3));
        });
        let ws = WebSocket::with_options(
            &url(port),
            nodews::ClientOptions {
                close_timeout: Duration::from_millis(300),
                ..Default::default()
            },
        );
        let log = Log::new();
        let l = log.clone();
        ws.on("open", |ws: WebSocket| ws.close_with(1000, "").unwrap());
        ws.on("close", move |code: u16| l.push(code.to_string()));
        let started = std::time::Instant::now();
        support::wait_closed(&ws);
        assert_eq!(log.entries(), vec!["1006"]);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "closed by the timeout, not by the peer"
        );
        peer.join().unwrap();
    }

    #[test]
    fn sha1_helper_is_right() {
        assert_eq!(
            support::accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }
}

mod limits {
    use super::*;

    /// A message over `max_payload` closes the connection with 1009 and an error at the receiver.
    #[test]
    fn max_payload_exceeded_closes_with_1009() {
        let (wss, port) = server(ServerOptions {
            max_payload: 1024,
            ..Default::default()
        });
        let server_log = Log::new();
        let l = server_log.clone();
        wss.on("connection", move |ws: WebSocket| {
            let (l1, l2, l3) = (l.clone(), l.clone(), l.clone());
            ws.on("message", move |data: Message| {
                l1.push(format!("message {}", data.len()))
            });
            ws.on("error", move |e: Error| {
                l2.push(format!("error {} {:?}", e.code(), e.close_code()))
            });
            ws.on("close", move |code: u16| l3.push(format!("close {code}")));
        });
        let ws = WebSocket::new(&url(port));
        ws.on("open", |ws: WebSocket| {
            ws.send(vec![7u8; 1024]);
            ws.send(vec![7u8; 1025]);
        });
        let client_log = Log::new();
        let l = client_log.clone();
        ws.on("close", move |code: u16| l.push(format!("close {code}")));
        support::wait_closed(&ws);
        assert_eq!(client_log.entries(), vec!["close 1009"]);
        let seen = server_log.wait_contains("close 1006");
        assert_eq!(
            seen,
            vec![
                "message 1024",
                "error WS_ERR_UNSUPPORTED_MESSAGE_LENGTH Some(1009)",
                "close 1006"
            ]
        );
        wss.close();
    }
}

mod ping_pong {
    use super::*;

    /// Pings are answered automatically with the same payload; both ends see the events.
    #[test]
    fn ping_is_auto_ponged_and_both_events_fire() {
        let (wss, port) = server(ServerOptions::default());
        let log = Log::new();
        let l = log.clone();
        wss.on("connection", move |ws: WebSocket| {
            let l = l.clone();
            ws.on("ping", move |data: nodews::Bytes| {
                l.push(format!("server ping {}", String::from_utf8_lossy(&data)))
            });
        });
        let ws = WebSocket::new(&url(port));
        ws.on("open", |ws: WebSocket| ws.ping("hello").unwrap());
        let l = log.clone();
        ws.on("pong", move |ws: WebSocket, data: nodews::Bytes| {
            l.push(format!("client pong {}", String::from_utf8_lossy(&data)));
            ws.close();
        });
        support::wait_closed(&ws);
        let entries = log.wait_for("both", |e| e.len() == 2);
        assert!(
            entries.contains(&"server ping hello".to_string()),
            "{entries:?}"
        );
        assert!(
            entries.contains(&"client pong hello".to_string()),
            "{entries:?}"
        );
        assert_eq!(
            ws.ping([0u8; 126]).unwrap_err().code(),
            "WS_ERR_INVALID_ARGUMENT"
        );
        wss.close();
    }
}

mod flow {
    use super::*;

    /// `pause()` stops reading: nothing is delivered until `resume()`, then all of it, in order.
    #[test]
    fn pause_stops_reading_until_resume() {
        let (wss, port) = server(ServerOptions::default());
        let log = Log::new();
        let sockets = Log::new();
        let l = log.clone();
        let server_socket = std::sync::Arc::new(parking_lot::Mutex::new(None));
        let slot = server_socket.clone();
        let s = sockets.clone();
        wss.on("connection", move |ws: WebSocket| {
            ws.pause();
            assert!(ws.is_paused());
            let l = l.clone();
            ws.on("message", move |data: Message| l.push(data.to_string()));
            *slot.lock() = Some(ws);
            s.push("connected");
        });
        let ws = WebSocket::new(&url(port));
        let l2 = sockets.clone();
        ws.on("open", move |ws: WebSocket| {
            for i in 0..3 {
                ws.send(format!("p{i}"));
            }
            l2.push("sent");
        });
        sockets.wait_for("sent", |e| e.len() == 2);
        std::thread::sleep(Duration::from_millis(300));
        assert!(
            log.entries().is_empty(),
            "paused socket delivered {:?}",
            log.entries()
        );
        server_socket.lock().as_ref().unwrap().resume();
        assert_eq!(
            log.wait_for("3 messages", |e| e.len() == 3),
            vec!["p0", "p1", "p2"]
        );
        ws.close();
        support::wait_closed(&ws);
        wss.close();
    }

    /// `buffered_amount()` counts queued bytes while the peer does not read, and drains to 0.
    #[test]
    fn buffered_amount_rises_and_drains() {
        let (wss, port) = server(ServerOptions::default());
        let server_socket = std::sync::Arc::new(parking_lot::Mutex::new(None));
        let slot = server_socket.clone();
        let received = Log::new();
        let r = received.clone();
        wss.on("connection", move |ws: WebSocket| {
            ws.pause(); // TCP fills up and the client's data stays queued
            let r = r.clone();
            ws.on("message", move |data: Message| {
                r.push(data.len().to_string())
            });
            *slot.lock() = Some(ws);
        });
        let ws = WebSocket::new(&url(port));
        let opened = Log::new();
        let o = opened.clone();
        ws.on("open", move || o.push("open"));
        opened.wait_contains("open");
        let chunk = vec![1u8; 4 * 1024 * 1024];
        let done = Log::new();
        for i in 0..4 {
            let d = done.clone();
            ws.send_with_callback(chunk.clone(), SendOptions::default(), move |err| {
                d.push(format!("sent {i} {}", err.is_none()))
            });
        }
        let queued = ws.buffered_amount();
        assert!(queued > 0, "nothing counted as buffered");
        std::thread::sleep(Duration::from_millis(300));
        assert!(
            ws.buffered_amount() > 0,
            "16 MiB cannot all be written to a paused peer"
        );
        server_socket.lock().as_ref().unwrap().resume();
        received.wait_for("4 messages", |e| e.len() == 4);
        done.wait_for("4 callbacks", |e| e.len() == 4);
        assert!(
            done.entries().iter().all(|e| e.ends_with("true")),
            "{:?}",
            done.entries()
        );
        assert_eq!(ws.buffered_amount(), 0);
        ws.close();
        support::wait_closed(&ws);
        wss.close();
    }

    /// A send on a socket that is not open reports an error to its callback.
    #[test]
    fn send_callback_reports_not_open() {
        let (wss, port) = echo_server();
        let ws = WebSocket::new(&url(port));
        let log = Log::new();
        let l = log.clone();
        ws.send_with_callback("too early", SendOptions::default(), move |err| {
            l.push(err.map(|e| e.code().to_string()).unwrap_or_default())
        });
        assert_eq!(
            log.wait_for("callback", |e| !e.is_empty()),
            vec!["WS_ERR_INVALID_STATE"]
        );
        ws.close();
        support::wait_closed(&ws);
        wss.close();
    }

    /// `fin: false` sends fragments that the peer receives as one message.
    #[test]
    fn fragments_arrive_as_one_message() {
        let (wss, port) = echo_server();
        let ws = WebSocket::new(&url(port));
        ws.on("open", |ws: WebSocket| {
            ws.send_with(
                "frag",
                SendOptions {
                    fin: false,
                    ..Default::default()
                },
            );
            ws.send_with(
                "men",
                SendOptions {
                    fin: false,
                    ..Default::default()
                },
            );
            ws.send_with("ted", SendOptions::default());
            ws.send_with(
                "bin",
                SendOptions {
                    binary: Some(true),
                    ..Default::default()
                },
            );
        });
        let log = Log::new();
        let l = log.clone();
        ws.on(
            "message",
            move |ws: WebSocket, data: Message, is_binary: bool| {
                l.push(format!("{data} {is_binary}"));
                if is_binary {
                    ws.close();
                }
            },
        );
        support::wait_closed(&ws);
        assert_eq!(log.entries(), vec!["fragmented false", "bin true"]);
        wss.close();
    }
}

mod reentrancy {
    use super::*;

    /// Every method works from inside listeners: on, send, close, terminate, wss.close().
    #[test]
    fn methods_called_inside_listeners_do_not_deadlock() {
        let (wss, port) = server(ServerOptions::default());
        let log = Log::new();
        let l = log.clone();
        wss.on(
            "connection",
            move |wss: nodews::WebSocketServer, ws: WebSocket| {
                let l = l.clone();
                ws.on("message", move |ws: WebSocket, data: Message| {
                    // Register a listener from inside a listener; it sees the next message.
                    let l2 = l.clone();
                    ws.once("message", move |next: Message| {
                        l2.push(format!("inner {next}"))
                    });
                    ws.send(data.clone());
                    if data == "close me" {
                        ws.close_with(4002, "as asked").unwrap();
                    }
                    if data == "kill me" {
                        ws.terminate();
                    }
                });
                wss.close(); // stop accepting while a connection is live: close comes later
            },
        );
        let l = log.clone();
        wss.on("close", move || l.push("server closed"));
        let ws = WebSocket::new(&url(port));
        ws.on("open", |ws: WebSocket| {
            ws.send("one");
            ws.send("close me");
        });
        let l = log.clone();
        ws.on("close", move |code: u16| {
            l.push(format!("client close {code}"))
        });
        support::wait_closed(&ws);
        wss.wait_close();
        let entries = log.entries();
        assert!(
            entries.contains(&"inner close me".to_string()),
            "{entries:?}"
        );
        assert!(
            entries.contains(&"client close 4002".to_string()),
            "{entries:?}"
        );
        // The server's `close` waits for its last client, so it comes after that socket's messages.
        assert_eq!(
            entries.iter().filter(|e| *e == "server closed").count(),
            1,
            "{entries:?}"
        );
        let server_closed = entries.iter().position(|e| e == "server closed").unwrap();
        let inner = entries.iter().position(|e| e == "inner close me").unwrap();
        assert!(inner < server_closed, "{entries:?}");
    }

    #[test]
    fn terminate_inside_a_listener() {
        let (wss, port) = echo_server();
        let ws = WebSocket::new(&url(port));
        ws.on("open", |ws: WebSocket| ws.send("x"));
        ws.on("message", |ws: WebSocket| ws.terminate());
        let log = Log::new();
        let l = log.clone();
        ws.on("close", move |code: u16| l.push(code.to_string()));
        support::wait_closed(&ws);
        assert_eq!(log.entries(), vec!["1006"]);
        wss.close();
    }
}

mod failures {
    use super::*;

    /// A panicking listener is caught and reported as `error`; the socket closes with
    /// 1011 and the server goes on serving others.
    #[test]
    fn panicking_listener_becomes_error_and_others_keep_working() {
        let (wss, port) = server(ServerOptions::default());
        let log = Log::new();
        let l = log.clone();
        wss.on("connection", move |ws: WebSocket| {
            let (l1, l2) = (l.clone(), l.clone());
            ws.on("message", |ws: WebSocket, data: Message| {
                if data == "boom" {
                    panic!("listener exploded");
                }
                ws.send(data);
            });
            ws.on("error", move |e: Error| {
                l1.push(format!(
                    "error {} {}",
                    e.code(),
                    e.message().contains("listener exploded")
                ))
            });
            ws.on("close", move |code: u16| {
                l2.push(format!("server close {code}"))
            });
        });
        let bad = WebSocket::new(&url(port));
        bad.on("open", |ws: WebSocket| ws.send("boom"));
        let l = log.clone();
        bad.on("close", move |code: u16| {
            l.push(format!("bad client close {code}"))
        });
        support::wait_closed(&bad);

        let good = WebSocket::new(&url(port));
        good.on("open", |ws: WebSocket| ws.send("still here"));
        let l = log.clone();
        good.on("message", move |ws: WebSocket, data: Message| {
            l.push(format!("good got {data}"));
            ws.close();
        });
        support::wait_closed(&good);
        let entries = log.wait_for("good reply and the bad socket's close", |e| {
            e.iter().any(|x| x == "good got still here")
                && e.iter().any(|x| x == "server close 1011")
        });
        assert!(
            entries.contains(&"error WS_ERR_LISTENER_PANIC true".to_string()),
            "{entries:?}"
        );
        assert!(
            entries.contains(&"bad client close 1011".to_string()),
            "{entries:?}"
        );
        let err_at = entries.iter().position(|e| e.starts_with("error")).unwrap();
        let close_at = entries
            .iter()
            .position(|e| e == "server close 1011")
            .unwrap();
        assert!(err_at < close_at, "error before close: {entries:?}");
        wss.close();
    }

    /// An `error` with no listener is logged, not fatal; `close` still follows.
    #[test]
    fn error_without_listener_does_not_crash() {
        // Nothing listens on this port (bound then dropped).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let ws = WebSocket::new(&url(port));
        let log = Log::new();
        let l = log.clone();
        ws.on("close", move |code: u16| l.push(code.to_string()));
        support::wait_closed(&ws);
        assert_eq!(log.entries(), vec!["1006"]);
    }

    /// Connecting to a closed port: `error` (ECONNREFUSED) then `close` 1006.
    #[test]
    fn refused_connection_is_error_then_close() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let ws = WebSocket::new(&url(port));
        let log = Log::new();
        let (l1, l2) = (log.clone(), log.clone());
        ws.on("error", move |e: Error| l1.push(e.code()));
        ws.on("close", move |code: u16| l2.push(code.to_string()));
        support::wait_closed(&ws);
        assert_eq!(log.entries(), vec!["ECONNREFUSED", "1006"]);
    }

    /// A bad URL is an `error` then `close` (or an `Err` from `try_new`), never a panic.
    #[test]
    fn bad_urls_are_clear_errors() {
        for bad in ["nope", "ftp://x", "ws://", "ws://host/#frag", "ws://a b"] {
            let err = WebSocket::try_new(bad).unwrap_err();
            assert_eq!(err.code(), "WS_ERR_INVALID_URL", "{bad}: {err}");
            let ws = WebSocket::new(bad);
            let log = Log::new();
            let (l1, l2) = (log.clone(), log.clone());
            ws.on("error", move |e: Error| l1.push(e.code()));
            ws.on("close", move |code: u16| l2.push(code.to_string()));
            support::wait_closed(&ws);
            assert_eq!(log.entries(), vec!["WS_ERR_INVALID_URL", "1006"], "{bad}");
        }
    }

    /// A server that accepts TCP but never answers the upgrade: `handshake_timeout`
    /// gives `error` then `close` 1006, on time, without a hang.
    #[test]
    fn handshake_timeout_against_a_silent_server() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let holder = std::thread::spawn(move || {
            let (tcp, _) = listener.accept().unwrap();
            std::thread::sleep(Duration::from_secs(2));
            drop(tcp);
        });
        let ws = WebSocket::with_options(
            &url(port),
            nodews::ClientOptions {
                handshake_timeout: Some(Duration::from_millis(200)),
                ..Default::default()
            },
        );
        let log = Log::new();
        let (l1, l2) = (log.clone(), log.clone());
        ws.on("error", move |e: Error| {
            l1.push(format!("{} {}", e.code(), e.message()))
        });
        ws.on("close", move |code: u16| l2.push(code.to_string()));
        let started = std::time::Instant::now();
        support::wait_closed(&ws);
        assert!(
            started.elapsed() < Duration::from_millis(1500),
            "took {:?}",
            started.elapsed()
        );
        assert_eq!(
            log.entries(),
            vec!["ETIMEDOUT Opening handshake has timed out", "1006"]
        );
        holder.join().unwrap();
    }

    /// `close()` while connecting aborts: `error` then `close` 1006, as ws.
    #[test]
    fn close_while_connecting_aborts() {
        let (wss, port) = echo_server();
        let ws = WebSocket::new(&url(port));
        ws.close();
        let log = Log::new();
        let (l1, l2, l3) = (log.clone(), log.clone(), log.clone());
        ws.on("open", move || l3.push("open"));
        ws.on("error", move |e: Error| l1.push(e.message().to_string()));
        ws.on("close", move |code: u16| l2.push(code.to_string()));
        support::wait_closed(&ws);
        assert_eq!(
            log.entries(),
            vec![
                "WebSocket was closed before the connection was established",
                "1006"
            ]
        );
        wss.close();
    }
}

mod registry {
    use super::*;

    #[test]
    fn unknown_event_is_rejected_with_the_valid_ones() {
        let ws = WebSocket::new("ws://127.0.0.1:9");
        let err = ws.try_on("mesage", || {}).unwrap_err();
        assert_eq!(err.code(), "WS_ERR_UNKNOWN_EVENT");
        for name in [
            "\"open\"",
            "\"message\" |data: Message, is_binary: bool|",
            "\"close\" |code: u16, reason: String|",
        ] {
            assert!(err.message().contains(name), "{err}");
        }
        let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            ws.on("mesage", |_data: Message| {});
        }))
        .unwrap_err();
        let text = panic.downcast_ref::<String>().unwrap();
        assert!(
            text.contains("unknown event \"mesage\" for WebSocket"),
            "{text}"
        );
        ws.terminate();
        support::wait_closed(&ws);
    }

    #[test]
    fn listener_that_does_not_fit_is_rejected() {
        let ws = WebSocket::new("ws://127.0.0.1:9");
        let err = ws.try_on("close", |_m: Message| {}).unwrap_err();
        assert_eq!(err.code(), "WS_ERR_LISTENER_SHAPE");
        assert!(
            err.message().contains("|code: u16, reason: String|"),
            "{err}"
        );
        assert!(
            ws.try_on("close", |_c: u16, _r: String, _x: bool| {})
                .is_err(),
            "too many arguments"
        );
        assert!(
            ws.try_on("close", |_ws: WebSocket, _c: u16| {}).is_ok(),
            "this first is fine"
        );
        let wss_err = nodews::WebSocketServer::new(ServerOptions {
            port: Some(0),
            ..Default::default()
        });
        assert!(wss_err.try_on("connection", |_m: Message| {}).is_err());
        assert!(
            wss_err
                .try_on("conection", || {})
                .unwrap_err()
                .message()
                .contains("\"connection\"")
        );
        wss_err.close();
        ws.terminate();
        support::wait_closed(&ws);
    }

    #[test]
    fn once_off_and_counts() {
        let ws = WebSocket::new("ws://127.0.0.1:9");
        let h = nodews::Handler::new(|_data: Message| {});
        ws.on("message", h.clone())
            .on("message", h.clone())
            .once("message", || {});
        assert_eq!(ws.listener_count("message"), 3);
        ws.off("message", &h);
        assert_eq!(ws.listener_count("message"), 2);
        ws.remove_all_listeners(Some("message"));
        assert_eq!(ws.listener_count("message"), 0);
        ws.terminate();
        support::wait_closed(&ws);
    }
}

/// `await Promise.all(sockets.map(opened))` in one line per socket: `wait_open` is
/// `true` once open, `false` for a socket that closed without opening.
#[test]
fn wait_open_waits_for_open_or_for_failure() {
    let (wss, port) = support::echo_server();
    let sockets: Vec<WebSocket> = (0..3).map(|_| WebSocket::new(&url(port))).collect();
    assert!(sockets.iter().all(|ws| ws.wait_open()));
    assert!(sockets.iter().all(|ws| ws.ready_state() == WebSocket::OPEN));
    for ws in &sockets {
        ws.close();
        support::wait_closed(ws);
    }
    // Nothing listens there: closes (1006) without opening.
    let refused = WebSocket::new(&format!("ws://127.0.0.1:{}", support::free_port()));
    refused.on("error", |_e: nodews::Error| {});
    assert!(!refused.wait_open());
    wss.close();
}

/// `const t = setInterval(() => { if (++n === 3) clearInterval(t) })`.
#[test]
fn an_interval_can_clear_itself() {
    let ticks = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let t = ticks.clone();
    let log = Log::new();
    let l = log.clone();
    nodews::set_interval_with(5, move |me| {
        if t.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1 == 3 {
            nodews::clear_interval(me);
            l.push("cleared");
        }
    });
    log.wait_contains("cleared");
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert_eq!(ticks.load(std::sync::atomic::Ordering::SeqCst), 3);
}

/// As ws: `pause()` while connecting does nothing, so messages flow once it opens.
#[test]
fn pause_while_connecting_is_a_no_op() {
    let (wss, port) = echo_server();
    let ws = WebSocket::new(&url(port));
    ws.pause();
    assert!(!ws.is_paused());
    let log = Log::new();
    let l = log.clone();
    ws.on("open", |ws: WebSocket| ws.send("hi"));
    ws.on("message", move |ws: WebSocket, data: Message| {
        l.push(data.to_string());
        ws.close();
    });
    assert_eq!(log.wait_for("the echo", |e| !e.is_empty()), vec!["hi"]);
    support::wait_closed(&ws);
    wss.close();
}

/// `addEventListener(type, listener, { once: true })`: runs for the first message only.
#[test]
fn add_event_listener_once_runs_once() {
    use nodews::MessageEvent;
    let (wss, port) = echo_server();
    let ws = WebSocket::new(&url(port));
    let log = Log::new();
    let (l1, l2) = (log.clone(), log.clone());
    ws.add_event_listener_once("message", move |event: MessageEvent| {
        l1.push(format!("once {}", event.data))
    });
    ws.add_event_listener("message", move |event: MessageEvent| {
        l2.push(format!("every {}", event.data))
    });
    ws.on("open", |ws: WebSocket| {
        ws.send("a");
        ws.send("b");
    });
    let entries = log.wait_for("both echoes", |e| e.len() == 3);
    assert_eq!(entries, vec!["once a", "every a", "every b"]);
    ws.close();
    support::wait_closed(&ws);
    wss.close();
}

/// ws's `protocolVersion`: 8 sends `Sec-WebSocket-Version: 8` and
/// `Sec-WebSocket-Origin`; a version ws does not support fails with its message.
#[test]
fn protocol_version_8_and_an_unsupported_one() {
    use nodews::{ClientOptions, Request};
    let (wss, port) = server(ServerOptions::default());
    let log = Log::new();
    let l = log.clone();
    wss.on("connection", move |ws: WebSocket, req: Request| {
        l.push(format!(
            "version {} origin {}",
            req.header("sec-websocket-version").unwrap_or("-"),
            req.header("sec-websocket-origin").unwrap_or("-")
        ));
        ws.close();
    });
    let ws = WebSocket::with_options(
        &url(port),
        ClientOptions {
            protocol_version: 8,
            origin: Some("https://a.example".into()),
            ..Default::default()
        },
    );
    support::wait_closed(&ws);
    assert_eq!(
        log.wait_for("connection", |e| !e.is_empty()),
        vec!["version 8 origin https://a.example"]
    );

    let bad = WebSocket::with_options(
        &url(port),
        ClientOptions {
            protocol_version: 9,
            ..Default::default()
        },
    );
    let errors = Log::new();
    let e = errors.clone();
    bad.on("error", move |err: Error| {
        e.push(format!("{} {}", err.code(), err.message()))
    });
    support::wait_closed(&bad);
    assert_eq!(
        errors.entries(),
        vec!["WS_ERR_INVALID_ARGUMENT Unsupported protocol version: 9 (supported versions: 8, 13)"]
    );
    wss.close();
}
