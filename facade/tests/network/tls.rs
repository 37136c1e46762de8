//! TLS from a private CA: a local server with a certificate the test's own CA signed, trusted
//! through `SSL_CERT_FILE` or given to the builder, speaking HTTP/2 or only HTTP/1.1 as ALPN
//! settles. Run for each TLS feature of the crate (`.ci/run`): each completes the handshake.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use futures::TryStreamExt;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, Version};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use serde_json::{json, Value};
use thousandeyes_usage::Client;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls;
use tokio_rustls::TlsAcceptor;

use crate::{is_child, run_child};

const TOKEN: &str = "tls-test-t0ken-Rk4n";

/// The host names the server's certificate is for.
const NAMES: [&str; 3] = ["127.0.0.1", "localhost", "api.example.test"];

/// A private CA and a server certificate it signed.
struct Pki {
    ca_pem: String,
    chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    key: rustls::pki_types::PrivateKeyDer<'static>,
}

fn pki() -> Pki {
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, "thousandeyes-usage test CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_key = KeyPair::generate().expect("CA key");
    let ca_cert = ca.self_signed(&ca_key).expect("CA certificate");
    let issuer = Issuer::new(ca, ca_key);
    let mut leaf = CertificateParams::new(NAMES.map(String::from).to_vec()).expect("server params");
    leaf.distinguished_name.push(DnType::CommonName, "localhost");
    let leaf_key = KeyPair::generate().expect("server key");
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).expect("server certificate");
    Pki {
        ca_pem: ca_cert.pem(),
        chain: vec![leaf_cert.der().clone()],
        key: rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
    }
}

/// A listing server over TLS on 127.0.0.1: `GET /v7/usage/units/tests` answers a first page
/// linking to a second, and the second; it records the HTTP version of every request.
struct TlsServer {
    addr: SocketAddr,
    ca_pem: String,
    versions: Arc<Mutex<Vec<Version>>>,
    /// TLS connections accepted.
    connections: Arc<std::sync::atomic::AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TlsServer {
    /// A server offering `alpn` (most preferred first).
    async fn start(alpn: &[&[u8]]) -> TlsServer {
        let pki = pki();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(pki.chain, pki.key)
            .expect("server config");
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let versions = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&versions);
        let connections = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let accepted = Arc::clone(&connections);
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else { continue };
                accepted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let (acceptor, seen) = (acceptor.clone(), Arc::clone(&seen));
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else { return };
                    let service = hyper::service::service_fn(move |req| {
                        let seen = Arc::clone(&seen);
                        async move { Ok::<_, Infallible>(answer(&req, &seen)) }
                    });
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
        });
        TlsServer { addr, ca_pem: pki.ca_pem, versions, connections, task }
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
    Client::builder()
        .token(TOKEN)
        .base_url(server.base_url())
        .add_root_certificate(server.ca_pem.clone())
        .build()
        .expect("client")
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
    assert_eq!(server.connections.load(std::sync::atomic::Ordering::SeqCst), 1);
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
    let client = Client::builder().token(TOKEN).base_url(server.base_url()).build().expect("client");
    let err = client.test_units().aid("1234").items().try_collect::<Vec<_>>().await.expect_err("untrusted");
    assert!(matches!(err, thousandeyes_usage::Error::Transport { .. }), "{err:?}");
    assert!(server.versions().is_empty());
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
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && head.len() < 8192 {
                    if client.read(&mut byte).await.unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                let line = String::from_utf8_lossy(&head).lines().next().unwrap_or_default().to_string();
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
    let client = Client::builder()
        .token(TOKEN)
        .base_url("https://api.example.test/v7")
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
