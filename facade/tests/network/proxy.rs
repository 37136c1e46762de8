//! Proxies: which requests go through one, and which never do.
//!
//! The fake Usage API serves as the proxy: an HTTP proxy is sent the request with the target's
//! absolute URL (`GET http://api.example.test/v7/usage`), which the fake answers itself. A
//! request it records with `Host: api.example.test` can only have reached it as a proxy, since
//! the client was given that host, not the fake's address. A target host is then never
//! resolved, so nothing is asked of DNS either.

use thousandeyes_usage::Client;
use thousandeyes_usage_fake::FakeUsageApi;

use crate::{dead_port, is_child, run_child};

/// A base URL on a host that is not loopback and does not exist.
const REMOTE: &str = "http://api.example.test/v7";

/// The `Host` header of every request the fake received.
fn hosts(fake: &FakeUsageApi) -> Vec<String> {
    fake.requests()
        .iter()
        .map(|r| r.headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or_default().to_string())
        .collect()
}

/// The child's part: a client from the `TE_*` variables (plain http allowed) gets `/usage`.
async fn child_gets_usage() {
    let client = Client::builder_from_env().expect("TE_* variables").allow_insecure_http(true).build();
    let usage = client.expect("client").usage().send().await;
    usage.expect("usage through the route the environment gives");
}

#[tokio::test]
async fn a_remote_base_url_goes_through_the_proxy_given_to_the_builder() {
    let proxy = FakeUsageApi::start().await;
    let client = Client::builder()
        .token(proxy.token())
        .base_url(REMOTE)
        .allow_insecure_http(true)
        .proxy(format!("http://{}", proxy.addr()))
        .build()
        .expect("client");
    client.usage().send().await.expect("usage through the proxy");
    assert_eq!(hosts(&proxy), ["api.example.test"]);
}

#[tokio::test]
async fn a_proxy_given_to_the_builder_carries_loopback_requests_too() {
    let (proxy, target) = (FakeUsageApi::start().await, FakeUsageApi::start().await);
    let client = Client::builder()
        .token(proxy.token())
        .base_url(target.base_url())
        .proxy(format!("http://{}", proxy.addr()))
        .build()
        .expect("client");
    client.usage().send().await.expect("usage through the proxy");
    assert_eq!(hosts(&proxy), [target.addr().to_string()]);
    assert_eq!(target.request_count(), 0);
}

#[tokio::test]
async fn each_proxy_variable_carries_a_remote_request() {
    const NAME: &str = "proxy::each_proxy_variable_carries_a_remote_request";
    if is_child(NAME) {
        return child_gets_usage().await;
    }
    for var in ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"] {
        let proxy = FakeUsageApi::start().await;
        let url = format!("http://{}", proxy.addr());
        run_child(NAME, &[(var, &url), ("TE_TOKEN", proxy.token()), ("TE_API_ENDPOINT", REMOTE)]).await;
        assert_eq!(hosts(&proxy), ["api.example.test"], "{var}");
    }
}

#[tokio::test]
async fn no_proxy_excludes_a_host_from_the_environments_proxy() {
    const NAME: &str = "proxy::no_proxy_excludes_a_host_from_the_environments_proxy";
    if is_child(NAME) {
        return child_gets_usage().await;
    }
    // 0.0.0.0 is not loopback (so the environment's proxy applies to it), yet a connection to
    // it stays on this machine: Linux connects it to the local host. (Also used below.)
    let (proxy, target) = (FakeUsageApi::start().await, FakeUsageApi::start().await);
    let base = format!("http://0.0.0.0:{}/v7", target.addr().port());
    let proxy_url = format!("http://{}", proxy.addr());
    let vars = |no_proxy: Option<(&'static str, &'static str)>| {
        let mut vars = vec![("HTTP_PROXY", proxy_url.clone()), ("TE_TOKEN", target.token().to_string())];
        vars.push(("TE_API_ENDPOINT", base.clone()));
        vars.extend(no_proxy.map(|(k, v)| (k, v.to_string())));
        vars
    };
    for (var, list) in [("NO_PROXY", "api.example.test, 0.0.0.0"), ("no_proxy", "0.0.0.0")] {
        let vars = vars(Some((var, list)));
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        run_child(NAME, &vars).await;
    }
    assert_eq!(proxy.request_count(), 0, "a host NO_PROXY lists went through the proxy");
    assert_eq!(target.request_count(), 2);
    // Without NO_PROXY, the same host goes through the proxy.
    let vars = vars(None);
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    run_child(NAME, &vars).await;
    assert_eq!(hosts(&proxy), [format!("0.0.0.0:{}", target.addr().port())]);
}

#[tokio::test]
async fn loopback_base_urls_never_go_through_the_environments_proxy() {
    const NAME: &str = "proxy::loopback_base_urls_never_go_through_the_environments_proxy";
    if is_child(NAME) {
        return child_gets_usage().await;
    }
    let target = FakeUsageApi::start().await;
    let dead = format!("http://127.0.0.1:{}", dead_port());
    let port = target.addr().port();
    for base in [target.base_url(), format!("http://localhost:{port}/v7")] {
        let mut vars: Vec<(&str, &str)> = ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"]
            .into_iter()
            .chain(["ALL_PROXY", "all_proxy"])
            .map(|var| (var, dead.as_str()))
            .collect();
        vars.extend([("TE_TOKEN", target.token()), ("TE_API_ENDPOINT", base.as_str())]);
        run_child(NAME, &vars).await;
    }
    assert_eq!(target.request_count(), 2);
}

#[tokio::test]
async fn no_proxy_on_the_builder_ignores_the_environments_proxy() {
    const NAME: &str = "proxy::no_proxy_on_the_builder_ignores_the_environments_proxy";
    if is_child(NAME) {
        let builder = Client::builder_from_env().expect("TE_* variables").allow_insecure_http(true);
        let client = builder.no_proxy().build().expect("client");
        client.usage().send().await.expect("usage straight from the target");
        return;
    }
    let (proxy, target) = (FakeUsageApi::start().await, FakeUsageApi::start().await);
    let base = format!("http://0.0.0.0:{}/v7", target.addr().port());
    let proxy_url = format!("http://{}", proxy.addr());
    run_child(NAME, &[("HTTP_PROXY", &proxy_url), ("TE_TOKEN", target.token()), ("TE_API_ENDPOINT", &base)])
        .await;
    assert_eq!((proxy.request_count(), target.request_count()), (0, 1));
}
