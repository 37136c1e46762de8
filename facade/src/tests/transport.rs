//! Unit tests of `transport/mod.rs` (with where its connections go, `transport/hops.rs`).

use super::hops::Hop;
use super::*;
use crate::test_support::builder_of;

/// Whatever TLS feature the crate is built with (rustls on aws-lc, rustls on ring, native-tls),
/// the client's own HTTP client builds: with `rustls-ring`, ring is installed as the provider.
#[test]
fn the_default_http_client_builds_with_the_tls_of_the_crates_features() {
    let config = builder_of(crate::DEFAULT_BASE_URL).into_config().expect("config");
    let transport = Transport::new(&config).expect("transport");
    let url = transport
        .url(&Request {
            method: "GET",
            path: "/usage".into(),
            query: vec![("aid", "12 34".into())],
            headers: Vec::new(),
            body: None,
        })
        .expect("url");
    assert_eq!(url.as_str(), "https://api.thousandeyes.com/v7/usage?aid=12+34");
}

/// The proxy given to the builder is named by its host and port, with the credentials the HTTP
/// client sends (as hyper-util makes them of the URL) kept for redaction, never shown.
#[test]
fn a_builders_proxy_is_named_by_host_and_port_and_its_password_is_kept_hidden() {
    let config = builder_of("https://api.example.test/v7")
        .proxy("http://svc-usage:Xq7%40Zw9%2F@proxy.test:3128")
        .into_config()
        .expect("config");
    let transport = Transport::new(&config).expect("transport");
    match &transport.hops.proxy {
        Hop::Proxy { addr, host, credentials, tunnel, .. } => {
            assert_eq!(
                (addr.as_str(), host.as_str(), *credentials, *tunnel),
                ("proxy.test:3128", "proxy.test", true, true)
            );
        }
        other => panic!("{other:?}"),
    }
    let secrets = transport.proxy_secrets();
    assert!(secrets.iter().any(|s| s == "Xq7@Zw9/"), "the password as sent");
    // base64("svc-usage:Xq7@Zw9/"), as in `Proxy-Authorization: Basic ...`.
    assert!(secrets.iter().any(|s| s == "c3ZjLXVzYWdlOlhxN0Badzkv"), "the Basic credentials");
    let shown = format!("{transport:?}");
    assert!(!shown.contains("Xq7") && !shown.contains("c3ZjLXVzYWdl"), "{shown}");
    assert!(shown.contains("proxy.test:3128"), "{shown}");
}

#[test]
fn without_a_proxy_connections_go_to_the_base_urls_host_and_port() {
    let config = builder_of("http://127.0.0.1:8080/v7").into_config().expect("config");
    let transport = Transport::new(&config).expect("transport");
    assert!(matches!(transport.hops.proxy, Hop::Direct), "{:?}", transport.hops);
    assert_eq!(transport.hops.server, "127.0.0.1:8080");
    assert!(transport.proxy_secrets().is_empty());
}
