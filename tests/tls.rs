//! wss: `https::create_server` with a certificate made by rcgen for each test, the
//! client's `ca` and `danger_accept_invalid_certs`, certificate errors with Node's
//! codes, and what happens when one side does not speak TLS.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use nodews::http::HttpServer;
use nodews::https::{self, TlsOptions};
use nodews::{
    ClientOptions, Error, Message, Request, ServerOptions, VerifyClient, WebSocket, WebSocketServer,
};
use support::{Log, echo_server, raw_exchange};

/// A self-signed certificate for localhost and 127.0.0.1: (cert PEM, key PEM).
fn self_signed(names: &[&str]) -> (String, String) {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let certified = rcgen::generate_simple_self_signed(names).unwrap();
    (certified.cert.pem(), certified.signing_key.serialize_pem())
}

fn localhost() -> (String, String) {
    self_signed(&["localhost", "127.0.0.1"])
}

/// A private CA and a server certificate it signed: (CA PEM, server cert PEM, key PEM).
fn private_ca() -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "nodews test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "nodews test server");
    let cert = params.signed_by(&key, &ca).unwrap();
    (ca.pem(), cert.pem(), key.serialize_pem())
}

/// An https server on 127.0.0.1 with an echo WebSocketServer attached; the log gets
/// what the server saw of each connection.
fn wss_echo(cert: &str, key: &str) -> (HttpServer, WebSocketServer, u16, Log) {
    let server = https::create_server(TlsOptions::from_pem(cert, key), |req, res| {
        res.end(format!("https answer for {}\n", req.url()))
    });
    let log = Log::new();
    let l = log.clone();
    let wss = WebSocketServer::new(ServerOptions {
        server: Some(server.clone()),
        verify_client: Some(VerifyClient::sync(move |info| {
            l.push(format!("verify secure={}", info.secure));
            true
        })),
        ..Default::default()
    });
    let l = log.clone();
    wss.on("connection", move |ws: WebSocket, req: Request| {
        l.push(format!("connection secure={}", req.is_secure()));
        ws.on("message", |ws: WebSocket, data: Message| ws.send(data));
    });
    server.listen_on(Some("127.0.0.1"), 0, 511, || {});
    let port = server.address().unwrap().port();
    (server, wss, port, log)
}

/// Connects, sends text and binary, records the echoes (or the error) and the close.
fn round_trip(url: &str, options: ClientOptions) -> Vec<String> {
    let ws = WebSocket::with_options(url, options);
    let log = Log::new();
    ws.on("open", |ws: WebSocket| {
        ws.send("héllo over tls ✓");
        ws.send(vec![0u8, 1, 255]);
    });
    let (l1, l2, l3) = (log.clone(), log.clone(), log.clone());
    ws.on(
        "message",
        move |ws: WebSocket, data: Message, is_binary: bool| {
            l1.push(format!("{} {:?}", is_binary, data.as_bytes()));
            if is_binary {
                ws.close();
            }
        },
    );
    ws.on("error", move |e: Error| {
        l2.push(format!("error {} {}", e.code(), e.message()))
    });
    ws.on("close", move |code: u16| l3.push(format!("close {code}")));
    support::wait_closed(&ws);
    log.entries()
}

fn echoed() -> Vec<String> {
    vec![
        format!("false {:?}", "héllo over tls ✓".as_bytes()),
        "true [0, 1, 255]".to_string(),
        "close 1005".to_string(),
    ]
}

fn with_ca(pem: &str) -> ClientOptions {
    ClientOptions {
        ca: Some(pem.as_bytes().to_vec()),
        ..Default::default()
    }
}

/// The failure of a connection that should not open: (error line, close line).
fn failure(url: &str, options: ClientOptions) -> (String, String) {
    let started = Instant::now();
    let entries = round_trip(url, options);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(entries.len(), 2, "{entries:?}");
    (entries[0].clone(), entries[1].clone())
}

/// A GET over TLS with rustls's blocking client, trusting `ca`.
fn https_get(port: u16, ca: &str, path: &str) -> String {
    use rustls_pki_types::pem::PemObject;
    use std::io::{Read, Write};
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pki_types::CertificateDer::pem_slice_iter(ca.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let tcp = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    write!(
        tls,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = Vec::new();
    let _ = tls.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn wss_round_trip_with_ca() {
    let (cert, key) = localhost();
    let (server, wss, port, log) = wss_echo(&cert, &key);
    assert_eq!(
        round_trip(&format!("wss://127.0.0.1:{port}/chat"), with_ca(&cert)),
        echoed()
    );
    // The certificate's DNS name works as well as its IP address.
    assert_eq!(
        round_trip(&format!("wss://localhost:{port}/"), with_ca(&cert)),
        echoed()
    );
    // `https://` means `wss://`, as in ws.
    assert_eq!(
        round_trip(&format!("https://127.0.0.1:{port}/"), with_ca(&cert)),
        echoed()
    );
    assert_eq!(
        log.wait_for("three connections", |e| e.len() == 6),
        ["verify secure=true", "connection secure=true"].repeat(3)
    );
    // Plain requests on the same port go to the handler, over TLS.
    let answer = https_get(port, &cert, "/page");
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    assert!(answer.ends_with("https answer for /page\n"), "{answer}");
    wss.close();
    server.close();
    server.wait_close();
}

#[test]
fn self_signed_certificate_rejected_without_ca() {
    let (cert, key) = localhost();
    let (server, _wss, port, log) = wss_echo(&cert, &key);
    let (error, close) = failure(&format!("wss://127.0.0.1:{port}"), ClientOptions::default());
    assert_eq!(
        error,
        "error DEPTH_ZERO_SELF_SIGNED_CERT self-signed certificate: certificate verify \
         failed: UnknownIssuer (trust it with the `ca` option)"
    );
    assert_eq!(close, "close 1006");
    // Another certificate as `ca` does not help.
    let (other, _) = localhost();
    let (error, close) = failure(&format!("wss://127.0.0.1:{port}"), with_ca(&other));
    assert!(
        error.starts_with("error DEPTH_ZERO_SELF_SIGNED_CERT"),
        "{error}"
    );
    assert_eq!(close, "close 1006");
    assert!(log.entries().is_empty(), "{:?}", log.entries());
    server.close();
}

#[test]
fn private_ca_trusted_with_ca_and_rejected_without() {
    let (ca, cert, key) = private_ca();
    let (server, _wss, port, _log) = wss_echo(&cert, &key);
    let url = format!("wss://localhost:{port}");
    assert_eq!(round_trip(&url, with_ca(&ca)), echoed());
    let (error, close) = failure(&url, ClientOptions::default());
    assert_eq!(
        error,
        "error UNABLE_TO_VERIFY_LEAF_SIGNATURE unable to verify the first certificate: \
         certificate verify failed: UnknownIssuer"
    );
    assert_eq!(close, "close 1006");
    server.close();
}

#[test]
fn certificate_for_another_name_is_rejected() {
    let (cert, key) = self_signed(&["example.com"]);
    let (server, _wss, port, _log) = wss_echo(&cert, &key);
    let (error, close) = failure(&format!("wss://127.0.0.1:{port}"), with_ca(&cert));
    assert!(
        error.starts_with(
            "error ERR_TLS_CERT_ALTNAME_INVALID Hostname/IP does not match certificate's altnames"
        ),
        "{error}"
    );
    assert_eq!(close, "close 1006");
    server.close();
}

#[test]
fn danger_accept_invalid_certs_connects() {
    let (cert, key) = self_signed(&["example.com"]);
    let (server, _wss, port, log) = wss_echo(&cert, &key);
    let options = ClientOptions {
        danger_accept_invalid_certs: true,
        ..Default::default()
    };
    assert_eq!(
        round_trip(&format!("wss://127.0.0.1:{port}"), options),
        echoed()
    );
    log.wait_contains("connection secure=true");
    server.close();
}

#[test]
fn plain_ws_client_to_https_port_fails_cleanly() {
    let (cert, key) = localhost();
    let (server, _wss, port, log) = wss_echo(&cert, &key);
    let (error, close) = failure(&format!("ws://127.0.0.1:{port}"), ClientOptions::default());
    assert!(error.starts_with("error "), "{error}");
    assert_eq!(close, "close 1006");
    // The server goes on serving TLS clients.
    assert_eq!(
        round_trip(&format!("wss://127.0.0.1:{port}"), with_ca(&cert)),
        echoed()
    );
    assert_eq!(log.count("connection secure=true"), 1);
    server.close();
}

#[test]
fn wss_client_to_plain_port_fails_cleanly() {
    let (wss, port) = echo_server();
    let (error, close) = failure(&format!("wss://127.0.0.1:{port}"), ClientOptions::default());
    assert!(
        error.starts_with("error WS_ERR_TLS TLS handshake failed") || error.contains("ECONNRESET"),
        "{error}"
    );
    assert_eq!(close, "close 1006");
    wss.close();
}

#[test]
fn tls_garbage_does_not_break_the_server() {
    let (cert, key) = localhost();
    let (server, _wss, port, _log) = wss_echo(&cert, &key);
    let garbage: &[&[u8]] = &[
        b"\x16\x03\x01\x00\x05hello", // a TLS record that is no ClientHello
        b"\x16\x03\x01\xff\xff",      // a truncated record, then silence
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", // plain HTTP
        &[0xffu8; 4096],              // noise
        b"\x16\x03\x03\x00\x2a\x01\x00\x00\x26\x03\x03", // a cut-off ClientHello
    ];
    for bytes in garbage {
        let answer = raw_exchange(port, bytes);
        assert!(
            !answer.contains("HTTP/1.1"),
            "no plaintext HTTP on a TLS port: {answer:?}"
        );
    }
    assert_eq!(
        round_trip(&format!("wss://127.0.0.1:{port}"), with_ca(&cert)),
        echoed()
    );
    server.close();
}

#[test]
fn bad_certificate_or_key_is_an_error_on_listen() {
    let (cert, key) = localhost();
    let (_, other_key) = localhost();
    for (options, expected) in [
        (
            TlsOptions::from_pem("not a certificate", key.clone()),
            "cert: no \"-----BEGIN CERTIFICATE-----\" block found",
        ),
        (
            TlsOptions::from_pem(cert.clone(), "not a key"),
            "key: no usable private key",
        ),
        (
            TlsOptions::from_pem(cert.clone(), other_key.clone()),
            "cert and key cannot be used together",
        ),
    ] {
        let error = options.validate().unwrap_err();
        assert_eq!(error.code(), "WS_ERR_TLS");
        assert!(error.message().starts_with(expected), "{error}");

        let server = https::create_server(options, |_req, res| res.end("never"));
        let wss = WebSocketServer::new(ServerOptions {
            server: Some(server.clone()),
            ..Default::default()
        });
        let log = Log::new();
        let (l1, l2) = (log.clone(), log.clone());
        server.on("error", move |e: Error| {
            l1.push(format!("server error {}", e.code()))
        });
        wss.on("error", move |e: Error| {
            l2.push(format!("wss error {}", e.code()))
        });
        server.listen(0, || panic!("must not listen"));
        server.wait_close();
        let entries = log.wait_for("both errors", |e| e.len() >= 2);
        assert!(
            entries.contains(&"server error WS_ERR_TLS".to_string()),
            "{entries:?}"
        );
        assert!(
            entries.contains(&"wss error WS_ERR_TLS".to_string()),
            "{entries:?}"
        );
        assert!(server.address().is_none());
    }
    assert!(TlsOptions::from_pem(cert, key).validate().is_ok());
}

#[test]
fn tls_options_debug_hides_the_key() {
    let (cert, key) = localhost();
    let shown = format!("{:?}", TlsOptions::from_pem(cert, key.clone()));
    assert!(shown.contains("<redacted>"), "{shown}");
    assert!(!shown.contains("PRIVATE"), "{shown}");
}
