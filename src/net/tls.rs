//! TLS for both sides, all of it rustls's (with the `ring` provider): the server's
//! config from a PEM certificate chain and key, the client's from the public roots
//! (`webpki-roots`) or a `ca`, the client stream that is plain TCP or TLS, and TLS
//! failures as [`Error`]s with Node's codes.
//!
//! | [`Error::code`] | when |
//! |---|---|
//! | `DEPTH_ZERO_SELF_SIGNED_CERT` | the server's certificate is self-signed and not trusted (pass it as `ca`) |
//! | `UNABLE_TO_VERIFY_LEAF_SIGNATURE` | its issuer is not a trusted root |
//! | `CERT_HAS_EXPIRED`, `CERT_NOT_YET_VALID`, `CERT_REVOKED`, `CERT_SIGNATURE_FAILURE` | as named |
//! | `ERR_TLS_CERT_ALTNAME_INVALID` | the certificate is not for the host of the URL |
//! | `WS_ERR_TLS` | any other TLS failure: a bad PEM, a failed handshake, a peer that is not TLS |

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, ServerConfig};
use rustls::{OtherError, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use tokio::net::TcpStream;
use tokio_rustls::{TlsAcceptor, TlsConnector};

use crate::Error;
use crate::net::stream::Stream;

/// How long a TLS client may take to complete its handshake (Node's
/// `tls.Server` `handshakeTimeout`: 120 s).
const SERVER_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(120);

fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    PROVIDER
        .get_or_init(|| Arc::new(rustls::crypto::ring::default_provider()))
        .clone()
}

fn tls_error(message: impl Into<String>) -> Error {
    Error::new(crate::ErrorCode::WS_ERR_TLS, message)
}

/// Every certificate of a PEM bundle; none at all is an error.
fn certificates(pem: &[u8], what: &str) -> Result<Vec<CertificateDer<'static>>, Error> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| tls_error(format!("{what}: invalid PEM: {e}")).with_source(e))?;
    if certs.is_empty() {
        return Err(tls_error(format!(
            "{what}: no \"-----BEGIN CERTIFICATE-----\" block found"
        )));
    }
    Ok(certs)
}

/// The TLS part of Node's `https.createServer(options)`: `{ cert, key }`, both PEM.
///
/// ```
/// let options = nodews::https::TlsOptions {
///     cert: b"-----BEGIN CERTIFICATE-----\n...".to_vec(),
///     key: b"-----BEGIN PRIVATE KEY-----\n...".to_vec(),
/// };
/// # let _ = options;
/// ```
#[derive(Clone)]
pub struct TlsOptions {
    /// The certificate chain, PEM: the server's certificate first, then any
    /// intermediates (Node's `cert`).
    pub cert: Vec<u8>,
    /// The private key of the first certificate, PEM: PKCS#8 (`BEGIN PRIVATE KEY`),
    /// PKCS#1 (`BEGIN RSA PRIVATE KEY`) or SEC1 (`BEGIN EC PRIVATE KEY`) (Node's `key`).
    pub key: Vec<u8>,
}

impl TlsOptions {
    /// `{ cert, key }` from PEM text or bytes, e.g. what `std::fs::read` returns.
    ///
    /// ```no_run
    /// let options = nodews::https::TlsOptions::from_pem(
    ///     std::fs::read("cert.pem").unwrap(),
    ///     std::fs::read("key.pem").unwrap(),
    /// );
    /// # let _ = options;
    /// ```
    pub fn from_pem(cert: impl Into<Vec<u8>>, key: impl Into<Vec<u8>>) -> TlsOptions {
        TlsOptions {
            cert: cert.into(),
            key: key.into(),
        }
    }

    /// Checks that the certificate and key can serve TLS, as Node's
    /// `https.createServer` does when it throws; the servers made from options that
    /// fail here emit the same error when they listen.
    ///
    /// ```
    /// let bad = nodews::https::TlsOptions::from_pem("not a certificate", "not a key");
    /// let error = bad.validate().unwrap_err();
    /// assert_eq!(error.code(), "WS_ERR_TLS");
    /// assert!(error.message().contains("cert"), "{error}");
    /// ```
    pub fn validate(&self) -> Result<(), Error> {
        crate::net::tls::acceptor(self).map(|_| ())
    }
}

impl std::fmt::Debug for TlsOptions {
    /// Never prints the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsOptions")
            .field("cert", &format_args!("<{} bytes of PEM>", self.cert.len()))
            .field("key", &format_args!("<redacted>"))
            .finish()
    }
}

/// The server side of an `https` server, checked now so that a bad PEM is an error.
pub(crate) fn acceptor(options: &TlsOptions) -> Result<TlsAcceptor, Error> {
    let certs = certificates(&options.cert, "cert")?;
    let key = PrivateKeyDer::from_pem_slice(&options.key).map_err(|e| {
        tls_error(format!(
            "key: no usable private key (PKCS#8, PKCS#1 or SEC1 PEM): {e}"
        ))
        .with_source(e)
    })?;
    let config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error(format!("TLS configuration: {e}")).with_source(e))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            tls_error(format!("cert and key cannot be used together: {e}")).with_source(e)
        })?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// The server's TLS handshake on an accepted connection. Failures (a client that is
/// not TLS, does not trust us, or is too slow) end that connection only.
pub(crate) async fn accept(
    acceptor: TlsAcceptor,
    tcp: TcpStream,
    remote: SocketAddr,
) -> Option<tokio_rustls::server::TlsStream<TcpStream>> {
    match tokio::time::timeout(SERVER_HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
        Ok(Ok(stream)) => Some(stream),
        Ok(Err(e)) => {
            log::debug!("TLS handshake with {remote} failed: {e}");
            None
        }
        Err(_) => {
            log::debug!("TLS handshake with {remote} timed out");
            None
        }
    }
}

/// What a client's TLS checks (from `ClientOptions`).
pub(crate) struct ClientTls<'a> {
    /// Trust only these PEM certificates (Node's `ca`), instead of the public roots.
    pub(crate) ca: Option<&'a [u8]>,
    /// Verify nothing (`rejectUnauthorized: false`).
    pub(crate) danger_accept_invalid_certs: bool,
}

/// The client's config: public roots, or only `ca` when given (as Node), or no
/// verification at all with `danger_accept_invalid_certs`.
fn client_config(options: &ClientTls<'_>) -> Result<Arc<ClientConfig>, Error> {
    static PUBLIC_ROOTS: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    let make = |verifier: Arc<dyn ServerCertVerifier>| -> Result<Arc<ClientConfig>, Error> {
        let config = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| tls_error(format!("TLS configuration: {e}")).with_source(e))?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        Ok(Arc::new(config))
    };
    let algorithms = provider().signature_verification_algorithms;
    if options.danger_accept_invalid_certs {
        return make(Arc::new(Verifier {
            webpki: None,
            algorithms,
        }));
    }
    let roots = |store: RootCertStore| -> Result<Arc<dyn ServerCertVerifier>, Error> {
        let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider())
            .build()
            .map_err(|e| tls_error(format!("ca: {e}")).with_source(e))?;
        Ok(Arc::new(Verifier {
            webpki: Some(webpki),
            algorithms,
        }))
    };
    match options.ca {
        Some(pem) => {
            let mut store = RootCertStore::empty();
            for cert in certificates(pem, "ca")? {
                store.add(cert).map_err(|e| {
                    tls_error(format!("ca: not a usable certificate: {e}")).with_source(e)
                })?;
            }
            make(roots(store)?)
        }
        None => {
            if let Some(config) = PUBLIC_ROOTS.get() {
                return Ok(config.clone());
            }
            let store = RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            let config = make(roots(store)?)?;
            Ok(PUBLIC_ROOTS.get_or_init(|| config).clone())
        }
    }
}

/// The client's TLS handshake (SNI and certificate name: `host`).
pub(crate) async fn connect(
    tcp: TcpStream,
    host: &str,
    options: &ClientTls<'_>,
) -> Result<Stream, Error> {
    let config = client_config(options)?;
    let name = ServerName::try_from(host.to_string())
        .map_err(|e| tls_error(format!("{host} is not a valid TLS server name: {e}")))?;
    let stream = TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .map_err(connect_error)?;
    Ok(Stream::TlsClient(Box::new(stream)))
}

/// A failed client handshake as Node reports it: certificate problems with
/// OpenSSL's codes, the rest as `WS_ERR_TLS`, a dropped connection as its I/O code.
fn connect_error(error: io::Error) -> Error {
    let Some(tls) = error
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
        .cloned()
    else {
        return Error::io("TLS handshake", error);
    };
    let rustls::Error::InvalidCertificate(cert) = &tls else {
        return tls_error(format!("TLS handshake failed: {tls}")).with_source(tls);
    };
    use CertificateError::*;
    let (code, text, detail) = match cert {
        Other(OtherError(e)) if e.downcast_ref::<SelfSigned>().is_some() => (
            crate::ErrorCode::DEPTH_ZERO_SELF_SIGNED_CERT,
            "self-signed certificate",
            "UnknownIssuer (trust it with the `ca` option)".to_string(),
        ),
        UnknownIssuer => (
            crate::ErrorCode::UNABLE_TO_VERIFY_LEAF_SIGNATURE,
            "unable to verify the first certificate",
            format!("{cert:?}"),
        ),
        Expired | ExpiredContext { .. } => (
            crate::ErrorCode::CERT_HAS_EXPIRED,
            "certificate has expired",
            format!("{cert:?}"),
        ),
        NotValidYet | NotValidYetContext { .. } => (
            crate::ErrorCode::CERT_NOT_YET_VALID,
            "certificate is not yet valid",
            format!("{cert:?}"),
        ),
        NotValidForName | NotValidForNameContext { .. } => (
            crate::ErrorCode::ERR_TLS_CERT_ALTNAME_INVALID,
            "Hostname/IP does not match certificate's altnames",
            format!("{cert:?}"),
        ),
        Revoked => (
            crate::ErrorCode::CERT_REVOKED,
            "certificate revoked",
            format!("{cert:?}"),
        ),
        BadSignature => (
            crate::ErrorCode::CERT_SIGNATURE_FAILURE,
            "certificate signature failure",
            format!("{cert:?}"),
        ),
        _ => (
            crate::ErrorCode::WS_ERR_TLS,
            "invalid certificate",
            format!("{cert:?}"),
        ),
    };
    Error::new(code, format!("{text}: certificate verify failed: {detail}")).with_source(tls)
}

/// Marks an untrusted certificate that signed itself (Node's
/// `DEPTH_ZERO_SELF_SIGNED_CERT`).
#[derive(Debug)]
struct SelfSigned;

impl std::fmt::Display for SelfSigned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("self-signed certificate")
    }
}

impl std::error::Error for SelfSigned {}

/// Issuer and subject are the same name: the certificate signed itself.
fn is_self_issued(cert: &CertificateDer<'_>) -> bool {
    webpki::EndEntityCert::try_from(cert).is_ok_and(|c| c.issuer() == c.subject())
}

/// rustls's certificate checks (`webpki: Some`), naming a self-signed certificate,
/// or none (`danger_accept_invalid_certs`). The handshake's signatures are always
/// checked, with the provider's algorithms.
#[derive(Debug)]
struct Verifier {
    webpki: Option<Arc<WebPkiServerVerifier>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(webpki) = &self.webpki else {
            return Ok(ServerCertVerified::assertion());
        };
        match webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            // An untrusted self-signed certificate: no anchor has its name, or one
            // has (another self-signed certificate with the same name) and its key
            // did not sign it.
            Err(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer | CertificateError::BadSignature,
            )) if intermediates.is_empty() && is_self_issued(end_entity) => {
                Err(rustls::Error::InvalidCertificate(CertificateError::Other(
                    OtherError(Arc::new(SelfSigned)),
                )))
            }
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
