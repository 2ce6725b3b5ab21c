//! One port for HTTP and WebSocket, routing by path, authentication on upgrade.

mod support;

use nodews::http::{self, HttpServer, Socket};
use nodews::{
    Bytes, ClientOptions, Error, Request, Response, ServerOptions, VerifyClient, WebSocket,
    WebSocketServer,
};
use support::{Log, raw_exchange, upgrade_request};

fn listen(server: &HttpServer) -> u16 {
    server.listen_on(Some("127.0.0.1"), 0, 511, || {});
    server.address().unwrap().port()
}

/// Connects, records the first message (or the failure) and closes.
fn first_message(url: &str, options: ClientOptions) -> Vec<String> {
    let ws = WebSocket::with_options(url, options);
    let log = Log::new();
    let (l1, l2, l3) = (log.clone(), log.clone(), log.clone());
    ws.on("message", move |ws: WebSocket, data: nodews::Message| {
        l1.push(format!("message {data}"));
        ws.close();
    });
    ws.on("error", move |e: Error| {
        l2.push(format!("error {}", e.message()))
    });
    ws.on(
        "unexpected-response",
        move |_req: Request, res: Response| {
            l3.push(format!(
                "refused {} {} {}",
                res.status(),
                res.header("www-authenticate").unwrap_or("-"),
                String::from_utf8_lossy(res.body())
            ))
        },
    );
    support::wait_closed(&ws);
    log.entries()
}

#[test]
fn http_and_websocket_share_a_port() {
    let server = http::create_server(|req, res| {
        res.write_head(200, &[("Content-Type", "text/plain")]);
        res.end(format!("plain answer for {}\n", req.url()));
    });
    let wss = WebSocketServer::new(ServerOptions {
        server: Some(server.clone()),
        ..Default::default()
    });
    wss.on("connection", |ws: WebSocket| ws.send("over websocket"));
    let port = listen(&server);
    nodews::release_events();
    let answer = raw_exchange(
        port,
        b"GET /page HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    assert!(answer.ends_with("plain answer for /page\n"), "{answer}");
    assert_eq!(
        first_message(
            &format!("ws://127.0.0.1:{port}/any"),
            ClientOptions::default()
        ),
        vec!["message over websocket"]
    );
    assert_eq!(wss.address(), server.address());
    wss.close();
    server.close();
    server.wait_close();
}

/// Two WebSocketServers with `path`s on one HTTP server; a third path gets 400.
#[test]
fn servers_are_routed_by_path() {
    let server = http::create_server(|_req, res| res.end("http"));
    for path in ["/a", "/b"] {
        let wss = WebSocketServer::new(ServerOptions {
            server: Some(server.clone()),
            path: Some(path.into()),
            ..Default::default()
        });
        wss.on("connection", move |ws: WebSocket| {
            ws.send(format!("server {path}"))
        });
    }
    let port = listen(&server);
    assert_eq!(
        first_message(
            &format!("ws://127.0.0.1:{port}/a"),
            ClientOptions::default()
        ),
        vec!["message server /a"]
    );
    assert_eq!(
        first_message(
            &format!("ws://127.0.0.1:{port}/b?x=1"),
            ClientOptions::default()
        ),
        vec!["message server /b"]
    );
    let answer = raw_exchange(port, upgrade_request("/c", "").as_bytes());
    assert!(answer.starts_with("HTTP/1.1 400 Bad Request"), "{answer}");
    server.close();
}

/// ws README's `noServer` recipe: routing in the HTTP server's `upgrade` event and
/// destroying the socket for unknown paths.
#[test]
fn no_server_with_handle_upgrade_and_destroy() {
    let server = HttpServer::new();
    let foo = WebSocketServer::new(ServerOptions {
        no_server: true,
        ..Default::default()
    });
    foo.on("connection", |ws: WebSocket, req: Request| {
        ws.send(format!("foo got {}", req.url()))
    });
    let f = foo.clone();
    server.on(
        "upgrade",
        move |request: Request, socket: Socket, head: Bytes| {
            if request.url().starts_with("/foo") {
                let wss = f.clone();
                f.handle_upgrade(
                    &request,
                    socket,
                    head,
                    move |ws: WebSocket, request: Request| {
                        wss.emit("connection", &[&ws, &request]);
                    },
                );
            } else {
                socket.destroy();
            }
        },
    );
    let port = listen(&server);
    assert_eq!(
        first_message(
            &format!("ws://127.0.0.1:{port}/foo?id=7"),
            ClientOptions::default()
        ),
        vec!["message foo got /foo?id=7"]
    );
    let refused = first_message(
        &format!("ws://127.0.0.1:{port}/nope"),
        ClientOptions::default(),
    );
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(refused[0].starts_with("error"), "{refused:?}");
    // A plain request with no `request` listener: 404, and the server lives on.
    let answer = raw_exchange(
        port,
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
    server.close();
}

/// The README's authentication recipe: reject in `upgrade` with a raw 401.
#[test]
fn upgrade_listener_rejects_with_raw_401() {
    let server = HttpServer::new();
    let wss = WebSocketServer::new(ServerOptions {
        no_server: true,
        ..Default::default()
    });
    wss.on("connection", |ws: WebSocket| ws.send("welcome"));
    let w = wss.clone();
    server.on(
        "upgrade",
        move |request: Request, socket: Socket, head: Bytes| {
            if request.header("authorization") != Some("Bearer ok") {
                socket.write("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\n\r\ndenied");
                socket.destroy();
                return;
            }
            let wss = w.clone();
            w.handle_upgrade(
                &request,
                socket,
                head,
                move |ws: WebSocket, request: Request| {
                    wss.emit("connection", &[&ws, &request]);
                },
            );
        },
    );
    let port = listen(&server);
    let url = format!("ws://127.0.0.1:{port}");
    assert_eq!(
        first_message(&url, ClientOptions::default()),
        vec!["refused 401 Bearer denied"]
    );
    let authorized = ClientOptions {
        headers: vec![("Authorization".into(), "Bearer ok".into())],
        ..Default::default()
    };
    assert_eq!(first_message(&url, authorized), vec!["message welcome"]);
    server.close();
}

/// `verify_client` in ws's callback form: reject with 401, a message and a custom header; accept.
#[test]
fn async_verify_client_rejects_and_accepts() {
    let server = HttpServer::new();
    let wss = WebSocketServer::new(ServerOptions {
        server: Some(server.clone()),
        verify_client: Some(VerifyClient::with_callback(|info, done| {
            let good = info.req.header("authorization") == Some("Bearer good");
            std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_millis(20)); // a slow lookup
                if good {
                    done(true, 0, "", &[]);
                } else {
                    done(
                        false,
                        401,
                        "go away",
                        &[("WWW-Authenticate", "Bearer realm=x")],
                    );
                }
            });
        })),
        ..Default::default()
    });
    wss.on("connection", |ws: WebSocket| ws.send("verified"));
    let port = listen(&server);
    let url = format!("ws://127.0.0.1:{port}");
    assert_eq!(
        first_message(&url, ClientOptions::default()),
        vec!["refused 401 Bearer realm=x go away"]
    );
    let good = ClientOptions {
        headers: vec![("Authorization".into(), "Bearer good".into())],
        ..Default::default()
    };
    assert_eq!(first_message(&url, good), vec!["message verified"]);
    server.close();
}

/// The sync form rejects with 401, and the `error` without an `unexpected-response`
/// listener says so.
#[test]
fn sync_verify_client_rejects_with_401() {
    let server = HttpServer::new();
    let wss = WebSocketServer::new(ServerOptions {
        server: Some(server.clone()),
        verify_client: Some(VerifyClient::sync(|info| {
            info.origin.as_deref() == Some("https://good.example")
        })),
        ..Default::default()
    });
    wss.on("connection", |ws: WebSocket| ws.send("hi"));
    let port = listen(&server);
    let url = format!("ws://127.0.0.1:{port}");
    assert_eq!(
        first_message(&url, ClientOptions::default()),
        vec!["refused 401 - Unauthorized"]
    );
    let good = ClientOptions {
        origin: Some("https://good.example".into()),
        ..Default::default()
    };
    assert_eq!(first_message(&url, good), vec!["message hi"]);
    let ws = WebSocket::new(&url);
    let log = Log::new();
    let l = log.clone();
    ws.on("error", move |e: Error| l.push(e.message().to_string()));
    support::wait_closed(&ws);
    assert_eq!(log.entries(), vec!["Unexpected server response: 401"]);
    server.close();
}

/// `follow_redirects`: a 302 to another path is followed (with a `redirect` event);
/// a redirect loop fails with "Maximum redirects exceeded"; without the option a 302
/// is an unexpected response.
#[test]
fn redirects_are_followed_and_bounded() {
    let server = HttpServer::new();
    let wss = WebSocketServer::new(ServerOptions {
        no_server: true,
        ..Default::default()
    });
    wss.on("connection", |ws: WebSocket, req: Request| {
        ws.send(format!("landed on {}", req.url()))
    });
    let w = wss.clone();
    server.on(
        "upgrade",
        move |request: Request, socket: Socket, head: Bytes| match request.url() {
            "/start" => socket.end("HTTP/1.1 302 Found\r\nLocation: /final\r\n\r\n"),
            "/loop" => socket.end("HTTP/1.1 301 Moved Permanently\r\nLocation: /loop\r\n\r\n"),
            _ => {
                let wss = w.clone();
                w.handle_upgrade(
                    &request,
                    socket,
                    head,
                    move |ws: WebSocket, request: Request| {
                        wss.emit("connection", &[&ws, &request]);
                    },
                );
            }
        },
    );
    let port = listen(&server);
    let follow = ClientOptions {
        follow_redirects: true,
        max_redirects: 3,
        ..Default::default()
    };

    let ws = WebSocket::with_options(&format!("ws://127.0.0.1:{port}/start"), follow.clone());
    let log = Log::new();
    let (l1, l2) = (log.clone(), log.clone());
    ws.on("redirect", move |url: String, req: Request| {
        l1.push(format!("redirect {url} from {}", req.url()))
    });
    ws.on("message", move |ws: WebSocket, data: nodews::Message| {
        l2.push(data.to_string());
        ws.close();
    });
    support::wait_closed(&ws);
    assert_eq!(
        log.entries(),
        vec![
            format!("redirect ws://127.0.0.1:{port}/final from /start"),
            "landed on /final".to_string()
        ]
    );

    let looping = first_message(&format!("ws://127.0.0.1:{port}/loop"), follow);
    assert_eq!(looping, vec!["error Maximum redirects exceeded"]);
    let not_followed = first_message(
        &format!("ws://127.0.0.1:{port}/start"),
        ClientOptions::default(),
    );
    assert_eq!(not_followed, vec!["refused 302 - "]);
    server.close();
}

/// Every `ServerResponse` method, called from inside a `request` listener, in the
/// order Node code calls them (`res.setHeader` once deadlocked the listener).
#[test]
fn every_response_method_works_inside_a_request_listener() {
    let server = http::create_server(|_req, res| {
        res.set_status(201);
        res.set_header("X-Replaced", "first");
        res.set_header("x-replaced", "second");
        res.set_header("Cache-Control", "no-store");
        res.write_head(202, &[("Content-Type", "text/plain")]);
        res.write("part one, ");
        res.end("part two");
    });
    let port = listen(&server);
    nodews::release_events();
    let answer = raw_exchange(
        port,
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(answer.starts_with("HTTP/1.1 202 Accepted\r\n"), "{answer}");
    let lower = answer.to_ascii_lowercase();
    assert!(lower.contains("\r\nx-replaced: second\r\n"), "{answer}");
    assert!(!lower.contains("first"), "set_header replaces: {answer}");
    assert!(
        lower.contains("\r\ncache-control: no-store\r\n"),
        "{answer}"
    );
    assert!(
        lower.contains("\r\ncontent-type: text/plain\r\n"),
        "{answer}"
    );
    assert!(answer.ends_with("\r\n\r\npart one, part two"), "{answer}");
    server.close();
    server.wait_close();
}

/// Node's header calls (`setHeader` with an array, `appendHeader`, `removeHeader`,
/// `hasHeader`, `getHeader`, `statusCode`/`statusMessage`), against Node's own http
/// server doing the same: the same status line and the same header lines.
#[test]
fn response_headers_as_node_writes_them() {
    let server = http::create_server(|_req, res| {
        res.set_header_values("Set-Cookie", &["a=1", "b=2"]);
        res.append_header("Set-Cookie", "c=3");
        res.set_header("X-Removed", "gone");
        res.remove_header("x-removed");
        res.set_header("X-Has", &res.has_header("set-cookie").to_string());
        let got = res.get_header("x-has").unwrap_or_default();
        res.set_header("X-Get", &got);
        res.set_status(418).set_status_message("Short and stout");
        assert_eq!(res.status_code(), 418);
        res.end("teapot");
    });
    let port = listen(&server);
    nodews::release_events();
    let mut node = support::node("headers_server.js", &[], &[]);
    let node_port: u16 = support::lines_of(&mut node).wait_for("node's port", |e| !e.is_empty())[0]
        .parse()
        .unwrap();
    let ask = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let relevant = |answer: &str| -> Vec<String> {
        let mut lines = answer.lines();
        let mut out = vec![lines.next().unwrap_or_default().to_string()];
        out.extend(
            lines
                .map(|l| l.to_ascii_lowercase())
                .filter(|l| l.starts_with("set-cookie") || l.starts_with("x-")),
        );
        out
    };
    let ours = relevant(&raw_exchange(port, ask));
    let nodes = relevant(&raw_exchange(node_port, ask));
    let _ = node.kill();
    let _ = node.wait();
    assert_eq!(ours, nodes);
    assert_eq!(
        ours,
        vec![
            "HTTP/1.1 418 Short and stout",
            "set-cookie: a=1",
            "set-cookie: b=2",
            "set-cookie: c=3",
            "x-has: true",
            "x-get: true"
        ]
    );
    server.close();
    server.wait_close();
}

/// Feeds a relay with a chunked POST, a chunk every 100 ms, while a WebSocket client
/// listens: returns what the client saw, each with whether it came before the POST
/// was complete (streaming), and the POST's answer.
fn feed_relay(port: u16) -> (Vec<String>, String) {
    use std::io::{Read, Write};
    let ws = WebSocket::new(&format!("ws://127.0.0.1:{port}/"));
    let log = Log::new();
    let l = log.clone();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let d = done.clone();
    ws.on("message", move |data: nodews::Message| {
        let sent_all = d.load(std::sync::atomic::Ordering::SeqCst);
        l.push(format!(
            "{data}{}",
            if sent_all { "" } else { " (streaming)" }
        ));
    });
    assert!(ws.wait_open());
    let mut tcp = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.write_all(
        b"POST /feed HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    for chunk in ["one", "two", "three"] {
        std::thread::sleep(std::time::Duration::from_millis(100));
        tcp.write_all(format!("{:x}\r\n{chunk}\r\n", chunk.len()).as_bytes())
            .unwrap();
        let want = format!("chunk {chunk} (streaming)");
        log.wait_for(&want, |e| e.contains(&want));
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    tcp.write_all(b"0\r\n\r\n").unwrap();
    let mut answer = String::new();
    tcp.set_read_timeout(Some(support::PATIENCE)).unwrap();
    let _ = tcp.read_to_string(&mut answer);
    let seen = log.wait_for("end", |e| e.iter().any(|x| x == "end"));
    ws.close();
    support::wait_closed(&ws);
    (
        seen,
        answer.rsplit("\r\n").next().unwrap_or_default().to_string(),
    )
}

/// `req.on('data' | 'end')` on a streaming POST that feeds a WebSocket broadcast,
/// the same program in Node and in nodews, driven alike.
#[test]
fn a_streaming_post_feeds_a_relay_as_in_node() {
    let wss_slot = std::sync::Arc::new(parking_lot::Mutex::new(None::<WebSocketServer>));
    let slot = wss_slot.clone();
    let server = http::create_server(move |req, res| {
        let wss = slot.lock().clone().unwrap();
        let w = wss.clone();
        req.on("data", move |chunk: Bytes| {
            for ws in w.clients() {
                ws.send(format!("chunk {}", String::from_utf8_lossy(&chunk)));
            }
        });
        req.on("end", move || {
            for ws in wss.clients() {
                ws.send("end");
            }
            res.end("fed");
        });
    });
    let wss = WebSocketServer::new(ServerOptions {
        server: Some(server.clone()),
        ..Default::default()
    });
    *wss_slot.lock() = Some(wss.clone());
    let port = listen(&server);
    nodews::release_events();
    let ours = feed_relay(port);

    let mut node = support::node("relay_server.js", &[], &[]);
    let node_port: u16 = support::lines_of(&mut node).wait_for("node's port", |e| !e.is_empty())[0]
        .parse()
        .unwrap();
    let nodes = feed_relay(node_port);
    let _ = node.kill();
    let _ = node.wait();

    assert_eq!(
        ours.0,
        vec![
            "chunk one (streaming)",
            "chunk two (streaming)",
            "chunk three (streaming)",
            "end"
        ]
    );
    assert_eq!(ours, nodes);
    wss.close();
    server.close();
    server.wait_close();
}

/// `req.pause()` holds the body back until `req.resume()`.
#[test]
fn a_paused_request_body_waits_for_resume() {
    use std::io::{Read, Write};
    let log = Log::new();
    let l = log.clone();
    let server = http::create_server(move |req, res| {
        req.pause();
        let (l1, l2) = (l.clone(), l.clone());
        req.on("data", move |chunk: Bytes| {
            l1.push(format!("data {}", String::from_utf8_lossy(&chunk)))
        });
        req.on("end", move || {
            l2.push("end");
            res.end("ok");
        });
        let r = req.clone();
        let l = l.clone();
        nodews::set_timeout(300, move || {
            l.push("resume");
            r.resume();
        });
    });
    let port = listen(&server);
    nodews::release_events();
    let mut tcp = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.write_all(
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
    )
    .unwrap();
    let mut answer = String::new();
    tcp.set_read_timeout(Some(support::PATIENCE)).unwrap();
    let _ = tcp.read_to_string(&mut answer);
    assert!(answer.ends_with("ok"), "{answer}");
    assert_eq!(log.entries(), vec!["resume", "data hello", "end"]);
    server.close();
    server.wait_close();
}

/// `ws+unix:` (WebSocket over a Unix domain socket): a server listening on a path,
/// a client URL naming the socket and the request path, as ws writes them.
#[test]
fn websocket_over_a_unix_domain_socket() {
    let dir = std::env::temp_dir().join(format!("nodews-unix-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("ws.sock");
    let _ = std::fs::remove_file(&path);
    let server = HttpServer::new();
    let wss = WebSocketServer::new(ServerOptions {
        server: Some(server.clone()),
        ..Default::default()
    });
    wss.on("connection", |ws: WebSocket, req: Request| {
        ws.send(format!(
            "hello {} from {:?}",
            req.url(),
            req.remote_address()
        ));
        ws.on("message", |ws: WebSocket, data: nodews::Message| {
            ws.send(data)
        });
    });
    server.listen_path(&path, || {});
    nodews::release_events();
    for _ in 0..100 {
        if path.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(server.address(), None);
    let url = format!("ws+unix:{}:/chat?x=1", path.display());
    let ws = WebSocket::new(&url);
    let log = Log::new();
    let l = log.clone();
    ws.on("message", move |ws: WebSocket, data: nodews::Message| {
        l.push(data.to_string());
        if data == "echo me" {
            ws.close();
        } else {
            ws.send("echo me");
        }
    });
    support::wait_closed(&ws);
    assert_eq!(log.entries(), vec!["hello /chat?x=1 from None", "echo me"]);
    wss.close();
    server.close();
    server.wait_close();
    let _ = std::fs::remove_dir_all(&dir);
}

/// Node's `requestTimeout`: a body still arriving when it passes gets 408, and the
/// request's `error` (ETIMEDOUT).
#[test]
fn a_request_slower_than_request_timeout_gets_408() {
    use std::io::{Read, Write};
    let log = Log::new();
    let l = log.clone();
    let server = http::create_server(move |req, _res| {
        let (l1, l2) = (l.clone(), l.clone());
        req.on("data", move |chunk: Bytes| {
            l1.push(format!("data {}", chunk.len()))
        });
        req.on("error", move |e: Error| {
            l2.push(format!("error {}", e.code()))
        });
    });
    server.set_request_timeout(std::time::Duration::from_millis(300));
    let port = listen(&server);
    nodews::release_events();
    let mut tcp = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        .unwrap();
    let started = std::time::Instant::now();
    let mut answer = String::new();
    tcp.set_read_timeout(Some(support::PATIENCE)).unwrap();
    let mut buf = [0u8; 1024];
    while !answer.contains("\r\n\r\n") {
        match tcp.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => answer.push_str(&String::from_utf8_lossy(&buf[..n])),
        }
    }
    let took = started.elapsed();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(took >= std::time::Duration::from_millis(250), "{took:?}");
    assert_eq!(
        log.wait_for("data and error", |e| e.len() == 2),
        vec!["data 3", "error ETIMEDOUT"]
    );
    server.close();
}
