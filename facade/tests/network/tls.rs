//! TLS from a private CA: a local server with a certificate the test's own CA signed, trusted
//! through `SSL_CERT_FILE` or given to the builder, speaking HTTP/2 or only HTTP/1.1 as ALPN
//! settles. Run for each TLS feature of the crate (`.ci/run`): each completes the handshake.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use futures::TryStreamExt;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, Version};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use serde_json::{json, Value};
use std::time::Duration;

use thousandeyes_usage::{Client, Error, RetryPolicy, TlsProblem};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls;
use tokio_rustls::TlsAcceptor;

use crate::support::{builder_of, client_of, TOKEN};
use crate::{is_child, read_head, run_child};

/// The host names the server's certificate is for.
const NAMES: [&str; 3] = ["127.0.0.1", "localhost", "api.example.test"];

/// A private CA.
struct Ca {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

/// A server certificate, as the server presents it.
struct Leaf {
    chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    key: rustls::pki_types::PrivateKeyDer<'static>,
}

/// How long a server certificate is valid.
#[derive(Clone, Copy)]
enum Validity {
    /// From now on, as rcgen makes it.
    Now,
    /// Through 2021 only: long expired.
    Expired,
}

impl Ca {
    fn new(name: &str) -> Ca {
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name.push(DnType::CommonName, name);
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().expect("CA key");
        let cert = ca.self_signed(&key).expect("CA certificate");
        Ca { pem: cert.pem(), issuer: Issuer::new(ca, key) }
    }

    /// A server certificate for `names`, signed by this CA.
    fn leaf(&self, names: &[&str], validity: Validity) -> Leaf {
        let mut leaf = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .expect("server params");
        leaf.distinguished_name.push(DnType::CommonName, names[0]);
        if let Validity::Expired = validity {
            leaf.not_before = rcgen::date_time_ymd(2020, 1, 1);
            leaf.not_after = rcgen::date_time_ymd(2021, 12, 31);
        }
        let key = KeyPair::generate().expect("server key");
        let cert = leaf.signed_by(&key, &self.issuer).expect("server certificate");
        Leaf {
            chain: vec![cert.der().clone()],
            key: rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        }
    }
}

/// A TLS acceptor presenting `leaf` and offering `alpn` (most preferred first).
fn acceptor(leaf: Leaf, alpn: &[&[u8]]) -> TlsAcceptor {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(leaf.chain, leaf.key)
        .expect("server config");
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    TlsAcceptor::from(Arc::new(config))
}

/// Completes the handshake on `stream` and serves the listing ([`answer`]) over it, recording
/// each request's HTTP version.
async fn serve_tls<S>(acceptor: TlsAcceptor, stream: S, seen: Arc<Mutex<Vec<Version>>>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let Ok(tls) = acceptor.accept(stream).await else { return };
    let service = hyper::service::service_fn(move |req| {
        let seen = Arc::clone(&seen);
        async move { Ok::<_, Infallible>(answer(&req, &seen)) }
    });
    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
        .serve_connection(TokioIo::new(tls), service)
        .await;
}

/// A listing server over TLS on 127.0.0.1: `GET /v7/usage/units/tests` answers a first page
/// linking to a second, and the second; it records the HTTP version of every request.
struct TlsServer {
    addr: SocketAddr,
    ca_pem: String,
    versions: Arc<Mutex<Vec<Version>>>,
    /// TLS connections accepted.
    connections: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TlsServer {
    /// A server offering `alpn` (most preferred first), with a certificate for [`NAMES`] from a
    /// CA of its own.
    async fn start(alpn: &[&[u8]]) -> TlsServer {
        let ca = Ca::new("thousandeyes-usage test CA");
        let leaf = ca.leaf(&NAMES, Validity::Now);
        TlsServer::presenting(alpn, ca.pem, leaf).await
    }

    /// A server offering `alpn`, presenting `leaf` (from the CA whose PEM is `ca_pem`).
    async fn presenting(alpn: &[&[u8]], ca_pem: String, leaf: Leaf) -> TlsServer {
        let acceptor = acceptor(leaf, alpn);
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let versions = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&versions);
        let connections = Arc::new(AtomicUsize::new(0));
        let accepted = Arc::clone(&connections);
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else { continue };
                accepted.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(serve_tls(acceptor.clone(), tcp, Arc::clone(&seen)));
            }
        });
        TlsServer { addr, ca_pem, versions, connections, task }
    }

    /// TLS connections accepted: each one handshake the client began.
    fn handshakes(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    fn base_url(&self) -> String {
        format!("https://127.0.0.1:{}/v7", self.addr.port())
    }

    fn versions(&self) -> Vec<Version> {
        self.versions.lock().expect("versions").clone()
    }

    /// The CA's PEM in a file, for `SSL_CERT_FILE`.
    fn ca_file(&self) -> std::path::PathBuf {
        let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("test-ca-{}.pem", self.addr.port()));
        std::fs::write(&path, &self.ca_pem).expect("write the CA file");
        path
    }
}

fn item(n: usize) -> Value {
    json!({
        "aid": "1234", "accountGroupName": "Operations",
        "enterpriseUnitsUsed": n, "enterpriseUnitsProjected": n,
        "cloudUnitsUsed": n, "cloudUnitsProjected": n,
        "testId": format!("{}", 100 + n), "testName": format!("test {n}"),
        "testType": "Agent to Server", "isInstantTest": false
    })
}

/// Page 1 (no cursor) links to page 2; both hold two items. Anything else is a 404.
fn answer(req: &Request<Incoming>, seen: &Mutex<Vec<Version>>) -> Response<Full<Bytes>> {
    seen.lock().expect("versions").push(req.version());
    let bearer = format!("Bearer {TOKEN}");
    let authorized = req.headers().get("authorization").is_some_and(|v| v.as_bytes() == bearer.as_bytes());
    if req.uri().path() != "/v7/usage/units/tests" || !authorized {
        return Response::builder().status(404).body(Full::new(Bytes::new())).expect("response");
    }
    let second = req.uri().query().is_some_and(|q| q.contains("cursor=p2"));
    let mut links = json!({"self": {"href": "/v7/usage/units/tests"}});
    let items = if second {
        vec![item(3), item(4)]
    } else {
        links["next"] = json!({"href": "/v7/usage/units/tests?aid=1234&cursor=p2"});
        vec![item(1), item(2)]
    };
    let body = json!({"breakdowns": items, "_links": links}).to_string();
    Response::builder()
        .header("content-type", "application/hal+json")
        .body(Full::new(Bytes::from(body)))
        .expect("response")
}

/// Walks the whole listing with `client`: two pages, four items.
async fn walk(client: &Client) {
    let items: Vec<_> =
        client.test_units().aid("1234").items().try_collect().await.expect("the listing over TLS");
    assert_eq!(items.len(), 4);
}

fn client_trusting(server: &TlsServer) -> Client {
    builder_of(server.base_url()).add_root_certificate(server.ca_pem.clone()).build().expect("client")
}

#[tokio::test]
async fn a_listing_over_tls_from_a_ca_given_to_the_builder_uses_http2_when_offered() {
    let server = TlsServer::start(&[b"h2", b"http/1.1"]).await;
    walk(&client_trusting(&server)).await;
    assert_eq!(server.versions(), [Version::HTTP_2, Version::HTTP_2]);
}

#[tokio::test]
async fn concurrent_listings_over_http2_share_one_connection() {
    let server = TlsServer::start(&[b"h2", b"http/1.1"]).await;
    let client = client_trusting(&server);
    walk(&client).await;
    futures::future::join_all((0..4).map(|_| walk(&client))).await;
    assert_eq!(server.versions().len(), 10);
    assert_eq!(server.handshakes(), 1);
}

#[tokio::test]
async fn a_listing_over_tls_uses_http1_when_the_server_offers_only_http1() {
    let server = TlsServer::start(&[b"http/1.1"]).await;
    walk(&client_trusting(&server)).await;
    assert_eq!(server.versions(), [Version::HTTP_11, Version::HTTP_11]);
}

#[tokio::test]
async fn a_server_whose_ca_is_not_trusted_fails_the_handshake() {
    let server = TlsServer::start(&[b"h2", b"http/1.1"]).await;
    let client = client_of(server.base_url());
    let err = client.test_units().aid("1234").items().try_collect::<Vec<_>>().await.expect_err("untrusted");
    assert!(matches!(err, Error::Tls { problem: TlsProblem::NotTrusted, .. }), "{err:?}");
    assert!(server.versions().is_empty());
}

/// A client that tries again at once, were it to try again.
fn eager(builder: thousandeyes_usage::ClientBuilder) -> Client {
    let policy = RetryPolicy::default().with_initial_backoff(Duration::from_millis(1)).with_jitter(false);
    builder.retry_policy(policy).build().expect("client")
}

/// A TLS failure a retry does not mend: one handshake, sent once, not retryable, and a message
/// that ends with the problem in plain words, on one line.
fn assert_tls_failure(err: &Error, client: &Client, problem: TlsProblem, says: &str) {
    match err {
        Error::Tls { problem: p, .. } => assert_eq!(*p, problem, "{err:?}"),
        other => panic!("expected a TLS error ({problem:?}), got {other:?}"),
    }
    assert!(!err.is_retryable(), "{err:?}");
    let message = err.to_string();
    assert!(message.contains(says), "{message}");
    assert!(!message.contains('\n'), "{message}");
    assert!(!message.contains(TOKEN) && !format!("{err:?}").contains(TOKEN), "{err:?}");
    let stats = client.stats();
    assert_eq!((stats.requests_sent, stats.retries), (1, 0), "{stats:?}");
}

#[tokio::test]
async fn a_certificate_from_an_unknown_ca_fails_once_naming_the_problem() {
    let server = TlsServer::start(&[b"h2", b"http/1.1"]).await;
    let client = eager(builder_of(server.base_url()));
    let err = client.usage().send().await.expect_err("untrusted");
    assert_tls_failure(&err, &client, TlsProblem::NotTrusted, "the server's certificate is not trusted (");
    assert!(err.to_string().ends_with("see TLS and a corporate CA in the README"), "{err}");
    let port = server.addr.port();
    assert!(matches!(&err, Error::Tls { peer, at_proxy: false, .. } if *peer == format!("127.0.0.1:{port}")));
    assert_eq!(server.handshakes(), 1, "one handshake");
}

#[tokio::test]
async fn an_expired_certificate_fails_once_naming_the_problem() {
    let ca = Ca::new("thousandeyes-usage test CA");
    let leaf = ca.leaf(&NAMES, Validity::Expired);
    let server = TlsServer::presenting(&[b"h2", b"http/1.1"], ca.pem, leaf).await;
    let client = eager(builder_of(server.base_url()).add_root_certificate(server.ca_pem.clone()));
    let err = client.usage().send().await.expect_err("expired");
    assert_tls_failure(
        &err,
        &client,
        TlsProblem::Expired,
        "the server's certificate has expired or is not valid yet (",
    );
    assert_eq!(server.handshakes(), 1, "one handshake");
}

#[tokio::test]
async fn a_certificate_for_another_name_fails_once_naming_the_problem() {
    let ca = Ca::new("thousandeyes-usage test CA");
    let leaf = ca.leaf(&["other.example.test"], Validity::Now);
    let server = TlsServer::presenting(&[b"h2", b"http/1.1"], ca.pem, leaf).await;
    for host in ["localhost", "127.0.0.1"] {
        let base = format!("https://{host}:{}/v7", server.addr.port());
        let client = eager(builder_of(base).add_root_certificate(server.ca_pem.clone()));
        let err = client.usage().send().await.expect_err("another name");
        let says = format!("the server's certificate is not valid for the name {host} (");
        assert_tls_failure(&err, &client, TlsProblem::WrongName, &says);
    }
    assert_eq!(server.handshakes(), 2, "one handshake for each host");
}

/// A TLS server that refuses every handshake: it reads the ClientHello and answers a fatal
/// `handshake_failure` alert (as one with no cipher or version in common with the client
/// does), then waits for the client to close. Returns its address and the connections
/// accepted.
async fn refusing_tls_server() -> (SocketAddr, Arc<AtomicUsize>) {
    counting_tcp_server(|mut tcp| async move {
        let mut hello = [0u8; 4096];
        let _ = tcp.read(&mut hello).await;
        // A TLS record: alert (21), TLS 1.2, two bytes: fatal (2), handshake_failure (40).
        let _ = tcp.write_all(&[21, 3, 3, 0, 2, 2, 40]).await;
        let mut rest = tokio::io::sink();
        let _ = tokio::time::timeout(Duration::from_secs(5), tokio::io::copy(&mut tcp, &mut rest)).await;
    })
    .await
}

/// A TCP server that hands each connection to `serve` (a task each), and counts them. Returns
/// its address and the connections accepted.
async fn counting_tcp_server<F, Fut>(serve: F) -> (SocketAddr, Arc<AtomicUsize>)
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&accepted);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(serve(tcp));
        }
    });
    (addr, accepted)
}

/// A server that resets the connection after reading the ClientHello (an overloaded load
/// balancer, a restarting server): the handshake did not complete, so nothing was sent, and a
/// retry may mend it. A POST is tried again within the transient budget, and the error is a
/// retryable `Error::Transport`, not an `Error::Tls`.
#[tokio::test]
async fn a_connection_reset_during_the_handshake_is_retried_even_for_a_post() {
    let (addr, accepted) = counting_tcp_server(|mut tcp| async move {
        // One byte of the ClientHello read, the rest left unread: closing then resets the
        // connection instead of ending it in order.
        let mut first = [0u8; 1];
        let _ = tcp.read_exact(&mut first).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(tcp);
    })
    .await;
    let client = eager(builder_of(format!("https://{addr}/v7")));
    let err = client.assign_organization_quotas().quota("1001", 5).send().await.expect_err("reset");
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(err.is_retryable(), "{err:?}");
    let attempts = RetryPolicy::default().transient_attempts();
    assert_eq!(accepted.load(Ordering::SeqCst), attempts as usize, "every attempt connected");
    let stats = client.stats();
    assert_eq!(
        (stats.requests_sent, stats.retries),
        (u64::from(attempts), u64::from(attempts - 1)),
        "{stats:?}"
    );
}

/// A self-signed CA certificate (CA:TRUE, as `openssl req -x509` makes by default) presented as
/// the server's own, and trusted as a root: rustls refuses it, and the message says why in plain
/// words rather than in the verifier's nested names. (OpenSSL accepts such a certificate.)
#[cfg(all(any(feature = "rustls", feature = "rustls-ring"), not(feature = "native-tls")))]
#[tokio::test]
async fn a_cas_certificate_presented_as_the_servers_fails_once_saying_so_in_plain_words() {
    let mut params =
        CertificateParams::new(NAMES.iter().map(|n| n.to_string()).collect::<Vec<_>>()).expect("params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, NAMES[0]);
    let key = KeyPair::generate().expect("key");
    let cert = params.self_signed(&key).expect("certificate");
    let leaf = Leaf {
        chain: vec![cert.der().clone()],
        key: rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
    };
    let server = TlsServer::presenting(&[b"h2", b"http/1.1"], cert.pem(), leaf).await;
    let client = eager(builder_of(server.base_url()).add_root_certificate(server.ca_pem.clone()));
    let err = client.usage().send().await.expect_err("a CA's certificate as the server's");
    assert_tls_failure(
        &err,
        &client,
        TlsProblem::BadCertificate,
        "the server's certificate was refused (it is a CA's certificate (CA:TRUE), presented as the \
         server's own: the server needs a certificate the CA signed (CaUsedAsEndEntity))",
    );
    assert!(!err.to_string().contains("OtherError"), "{err}");
    assert_eq!(server.handshakes(), 1, "one handshake");
}

#[tokio::test]
async fn a_server_refusing_the_handshake_fails_once_naming_the_refusal() {
    let (addr, connections) = refusing_tls_server().await;
    let client = eager(builder_of(format!("https://{addr}/v7")));
    let err = client.assign_organization_quotas().quota("1001", 5).send().await.expect_err("refused");
    assert_tls_failure(&err, &client, TlsProblem::Refused, "the server refused the handshake (");
    assert_eq!(connections.load(Ordering::SeqCst), 1, "one handshake");
}

/// A proxy that intercepts TLS, as a corporate one does: it answers every `CONNECT` with 200,
/// then completes the handshake itself with a certificate for any of [`NAMES`] from its own CA,
/// and serves the listing.
struct InterceptingProxy {
    addr: SocketAddr,
    ca_pem: String,
    /// The request line of every `CONNECT`.
    connects: Arc<Mutex<Vec<String>>>,
    /// Handshakes begun, one per tunnel.
    handshakes: Arc<AtomicUsize>,
    versions: Arc<Mutex<Vec<Version>>>,
}

impl InterceptingProxy {
    async fn start() -> InterceptingProxy {
        let ca = Ca::new("intercepting proxy CA");
        let acceptor = acceptor(ca.leaf(&NAMES, Validity::Now), &[b"h2", b"http/1.1"]);
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let connects: Arc<Mutex<Vec<String>>> = Arc::default();
        let versions: Arc<Mutex<Vec<Version>>> = Arc::default();
        let handshakes = Arc::new(AtomicUsize::new(0));
        let (record, count, seen) = (Arc::clone(&connects), Arc::clone(&handshakes), Arc::clone(&versions));
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let (acceptor, record, count, seen) =
                    (acceptor.clone(), Arc::clone(&record), Arc::clone(&count), Arc::clone(&seen));
                tokio::spawn(async move {
                    let Some(head) = read_head(&mut client).await else { return };
                    let line = head.lines().next().unwrap_or_default().to_string();
                    record.lock().expect("connects").push(line);
                    if client.write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n").await.is_ok() {
                        count.fetch_add(1, Ordering::SeqCst);
                        serve_tls(acceptor, client, seen).await;
                    }
                });
            }
        });
        InterceptingProxy { addr, ca_pem: ca.pem, connects, handshakes, versions }
    }

    fn handshakes(&self) -> usize {
        self.handshakes.load(Ordering::SeqCst)
    }
}

#[tokio::test]
async fn behind_an_intercepting_proxy_whose_ca_is_not_trusted_one_handshake_and_an_error_naming_the_certificate(
) {
    let proxy = InterceptingProxy::start().await;
    let client = eager(builder_of("https://api.example.test/v7").proxy(format!("http://{}", proxy.addr)));
    let err = client.test_units().aid("1234").items().try_collect::<Vec<_>>().await.expect_err("untrusted");
    assert_tls_failure(&err, &client, TlsProblem::NotTrusted, "the server's certificate is not trusted (");
    assert!(
        err.to_string().starts_with("getTestsUnitsUsage: TLS with api.example.test:443 failed: "),
        "{err}"
    );
    assert_eq!(proxy.handshakes(), 1, "one handshake");
    assert_eq!(
        proxy.connects.lock().expect("connects").as_slice(),
        ["CONNECT api.example.test:443 HTTP/1.1"]
    );
    // With its CA trusted, the same proxy carries the listing: it is the CA that failed.
    let trusting = eager(
        builder_of("https://api.example.test/v7")
            .proxy(format!("http://{}", proxy.addr))
            .add_root_certificate(proxy.ca_pem.clone()),
    );
    walk(&trusting).await;
    assert_eq!(proxy.versions.lock().expect("versions").as_slice(), [Version::HTTP_2, Version::HTTP_2]);
}

/// The same, with the proxy and the CA the client trusts named by the environment, as a
/// corporate machine's are: the proxy's CA is not the one in `SSL_CERT_FILE`.
#[tokio::test]
async fn behind_an_intercepting_proxy_from_the_environment_a_ca_not_in_ssl_cert_file_fails_once() {
    const NAME: &str =
        "tls::behind_an_intercepting_proxy_from_the_environment_a_ca_not_in_ssl_cert_file_fails_once";
    if is_child(NAME) {
        let client = eager(Client::builder_from_env().expect("TE_* variables"));
        let err = client.usage().send().await.expect_err("untrusted");
        return assert_tls_failure(
            &err,
            &client,
            TlsProblem::NotTrusted,
            "the server's certificate is not trusted (",
        );
    }
    let proxy = InterceptingProxy::start().await;
    let other = TlsServer::start(&[b"h2"]).await;
    let file = other.ca_file();
    let proxy_url = format!("http://{}", proxy.addr);
    let vars = [
        ("HTTPS_PROXY", proxy_url.as_str()),
        ("SSL_CERT_FILE", file.to_str().expect("path")),
        ("TE_TOKEN", TOKEN),
        ("TE_API_ENDPOINT", "https://api.example.test/v7"),
    ];
    run_child(NAME, &vars).await;
    assert_eq!(proxy.handshakes(), 1, "one handshake");
    let _ = std::fs::remove_file(file);
}

#[tokio::test]
async fn an_https_proxy_whose_certificate_is_not_trusted_is_named_as_the_proxy() {
    let proxy = TlsServer::start(&[b"http/1.1"]).await;
    let client = eager(builder_of("https://api.example.test/v7").proxy(format!("https://{}", proxy.addr)));
    let err = client.usage().send().await.expect_err("untrusted proxy");
    assert_tls_failure(&err, &client, TlsProblem::NotTrusted, "the proxy's certificate is not trusted (");
    let addr = proxy.addr.to_string();
    assert!(matches!(&err, Error::Tls { peer, at_proxy: true, .. } if *peer == addr), "{err:?}");
    assert_eq!(proxy.handshakes(), 1, "one handshake");
}

#[tokio::test]
async fn the_default_client_trusts_a_ca_named_by_ssl_cert_file() {
    const NAME: &str = "tls::the_default_client_trusts_a_ca_named_by_ssl_cert_file";
    if is_child(NAME) {
        let client = Client::builder_from_env().expect("TE_* variables").build().expect("client");
        return walk(&client).await;
    }
    let server = TlsServer::start(&[b"h2", b"http/1.1"]).await;
    let file = server.ca_file();
    let base = server.base_url();
    run_child(
        NAME,
        &[("SSL_CERT_FILE", file.to_str().expect("path")), ("TE_TOKEN", TOKEN), ("TE_API_ENDPOINT", &base)],
    )
    .await;
    assert_eq!(server.versions(), [Version::HTTP_2, Version::HTTP_2]);
    let _ = std::fs::remove_file(file);
}

/// An HTTP proxy on 127.0.0.1 that tunnels every `CONNECT` to `target`, whatever it names, and
/// records what it named.
async fn connect_proxy(target: SocketAddr) -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let named = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&named);
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let record = Arc::clone(&record);
            tokio::spawn(async move {
                let Some(head) = read_head(&mut client).await else { return };
                let line = head.lines().next().unwrap_or_default().to_string();
                record.lock().expect("named").push(line);
                let Ok(mut upstream) = TcpStream::connect(target).await else { return };
                if client.write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n").await.is_ok() {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                }
            });
        }
    });
    (addr, named)
}

#[tokio::test]
async fn an_https_base_url_goes_through_a_proxy_by_connect() {
    let server = TlsServer::start(&[b"h2", b"http/1.1"]).await;
    let (proxy, named) = connect_proxy(server.addr).await;
    let client = builder_of("https://api.example.test/v7")
        .add_root_certificate(server.ca_pem.clone())
        .proxy(format!("http://{proxy}"))
        .build()
        .expect("client");
    walk(&client).await;
    assert_eq!(named.lock().expect("named").as_slice(), ["CONNECT api.example.test:443 HTTP/1.1"]);
    assert_eq!(server.versions(), [Version::HTTP_2, Version::HTTP_2]);
}

#[tokio::test]
async fn https_proxy_in_the_environment_carries_a_remote_https_base_url_by_connect() {
    const NAME: &str = "tls::https_proxy_in_the_environment_carries_a_remote_https_base_url_by_connect";
    if is_child(NAME) {
        let client = Client::builder_from_env().expect("TE_* variables").build().expect("client");
        return walk(&client).await;
    }
    let server = TlsServer::start(&[b"h2", b"http/1.1"]).await;
    let (proxy, named) = connect_proxy(server.addr).await;
    let proxy_url = format!("http://{proxy}");
    let file = server.ca_file();
    let ca = file.to_str().expect("path");
    for var in ["HTTPS_PROXY", "https_proxy"] {
        let vars = [
            (var, proxy_url.as_str()),
            ("SSL_CERT_FILE", ca),
            ("TE_TOKEN", TOKEN),
            ("TE_API_ENDPOINT", "https://api.example.test/v7"),
        ];
        run_child(NAME, &vars).await;
    }
    let connect = "CONNECT api.example.test:443 HTTP/1.1";
    assert_eq!(named.lock().expect("named").as_slice(), [connect, connect]);
    let _ = std::fs::remove_file(file);
}
