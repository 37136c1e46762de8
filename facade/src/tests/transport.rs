//! Unit tests of `transport.rs`.

use super::*;

/// Whatever TLS feature the crate is built with (rustls on aws-lc, rustls on ring, native-tls),
/// the client's own HTTP client builds: with `rustls-ring`, ring is installed as the provider.
#[test]
fn the_default_http_client_builds_with_the_tls_of_the_crates_features() {
    let config = crate::Client::builder().token("a-token-for-tests").into_config().expect("config");
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
