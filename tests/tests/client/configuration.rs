//! Client configuration: the `TE_*` variables, the builder's checks, and the token staying
//! secret in every `Debug` and `Display`.

mod edges;
mod misleading_errors;
mod token_replacement;

use std::time::Duration;

use httpmock::prelude::*;
use thousandeyes_usage::{Client, Error};
use thousandeyes_usage_tests::support::{self, base_url, builder_of, client_of, HAL_JSON, TOKEN};

fn config_error_setting(result: Result<impl std::fmt::Debug, Error>) -> String {
    match result {
        Err(Error::Config { setting, reason, .. }) => {
            assert!(!reason.is_empty());
            setting
        }
        other => panic!("expected a configuration error, got {other:?}"),
    }
}

#[test]
fn the_client_is_clone_send_sync_and_one_pointer_wide() {
    fn shareable<T: Clone + Send + Sync + 'static>() {}
    shareable::<Client>();
    assert_eq!(std::mem::size_of::<Client>(), std::mem::size_of::<usize>(), "a clone is one Arc");
}

#[test]
fn from_env_requires_te_token_and_names_it() {
    let no_vars: [(&str, &str); 0] = [];
    assert_eq!(config_error_setting(Client::builder_from_vars(no_vars)), "TE_TOKEN");
    assert_eq!(config_error_setting(Client::builder_from_vars([("TE_TOKEN", "  ")])), "TE_TOKEN");
    assert_eq!(config_error_setting(Client::builder_from_vars([("TE_TOKEN", "a\nb")])), "TE_TOKEN");
}

#[test]
fn from_env_names_each_malformed_variable() {
    let with = |name: &'static str, value: &'static str| {
        Client::builder_from_vars([("TE_TOKEN", "t0k"), (name, value)])
    };
    assert_eq!(config_error_setting(with("TE_AID", "acme")), "TE_AID");
    assert_eq!(config_error_setting(with("TE_TIMEOUT", "abc")), "TE_TIMEOUT");
    assert_eq!(config_error_setting(with("TE_TIMEOUT", "0")), "TE_TIMEOUT");
    assert_eq!(config_error_setting(with("TE_TIMEOUT", "-3")), "TE_TIMEOUT");
    assert_eq!(config_error_setting(with("TE_API_ENDPOINT", "not a url")), "TE_API_ENDPOINT");
    assert_eq!(config_error_setting(with("TE_RATE_LIMIT_SHARE", "half")), "TE_RATE_LIMIT_SHARE");
    assert_eq!(config_error_setting(with("TE_RATE_LIMIT_SHARE", "1.5")), "TE_RATE_LIMIT_SHARE");
    // Plain http to a remote host is a rule of build(), where allow_insecure_http can lift it;
    // the error still names the variable.
    let remote = with("TE_API_ENDPOINT", "http://api.example.com/v7").expect("a URL");
    assert_eq!(config_error_setting(remote.build()), "TE_API_ENDPOINT");
}

#[tokio::test]
async fn from_env_configures_endpoint_aid_and_timeout() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v7/usage")
                .query_param("aid", "4321")
                .header("authorization", "Bearer env-token");
            then.status(200).header("content-type", HAL_JSON).body(r#"{"usage":{"cloudUnitsUsed":5}}"#);
        })
        .await;
    let endpoint = support::base_url(&server);
    let client = Client::builder_from_vars([
        ("TE_TOKEN", "env-token"),
        ("TE_AID", "4321"),
        ("TE_API_ENDPOINT", endpoint.as_str()),
        ("TE_TIMEOUT", "2.5"),
    ])
    .expect("builder")
    .build()
    .expect("client");
    assert_eq!(client.base_url(), endpoint);
    assert!(format!("{client:?}").contains("2.5s"), "{client:?}");
    assert_eq!(client.usage().send().await.expect("usage").cloud_units_used, Some(5));
    mock.assert_async().await;
}

#[test]
fn the_builder_checks_its_settings_and_names_them() {
    let ok = || Client::builder().token(TOKEN);
    assert_eq!(config_error_setting(Client::builder().build()), "token");
    assert_eq!(config_error_setting(Client::builder().token("").build()), "token");
    assert_eq!(config_error_setting(Client::builder().token("tok\r\nX-Injected: 1").build()), "token");
    assert_eq!(config_error_setting(ok().base_url("http://api.example.com/v7").build()), "base_url");
    assert_eq!(config_error_setting(ok().base_url("https://api.example.com/v7?aid=1").build()), "base_url");
    assert_eq!(config_error_setting(ok().base_url("ftp://api.example.com/").build()), "base_url");
    assert_eq!(config_error_setting(ok().base_url("https://me:pw@api.example.com/").build()), "base_url");
    assert_eq!(config_error_setting(ok().default_aid("12x").build()), "default_aid");
    assert_eq!(config_error_setting(ok().request_timeout(Duration::ZERO).build()), "request_timeout");
    assert_eq!(config_error_setting(ok().max_body_bytes(0).build()), "max_body_bytes");
    assert_eq!(config_error_setting(ok().user_agent("bad\nagent").build()), "user_agent");
    // Allowed: https anywhere, http to loopback, http elsewhere when told so.
    assert!(ok().base_url("https://api.example.com/v7/").build().is_ok());
    assert!(ok().base_url("http://localhost:8080/v7").build().is_ok());
    assert!(ok().base_url("http://[::1]:8080/v7").build().is_ok());
    assert!(ok().base_url("http://api.example.com/v7").allow_insecure_http(true).build().is_ok());
}

#[test]
fn the_token_never_shows_in_debug_or_errors() {
    let builder = Client::builder().token(TOKEN).default_aid("1234");
    assert!(!format!("{builder:?}").contains(TOKEN));
    let client = builder.build().expect("client");
    let shown = format!("{client:?}");
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(shown.contains("REDACTED"), "{shown}");
    let err = Client::builder().token(format!("{TOKEN}\n")).build().expect_err("newline");
    assert!(!format!("{err:?} {err}").contains(TOKEN), "{err:?}");
    let err = Client::builder_from_vars([("TE_TOKEN", format!("{TOKEN}\u{7}"))]).expect_err("control");
    assert!(!format!("{err:?} {err}").contains(TOKEN), "{err:?}");
}

#[tokio::test]
async fn a_custom_user_agent_and_an_injected_http_client_are_used() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v7/quotas")
                .header("user-agent", "billing-job/2.1")
                .header("x-injected-client", "yes");
            then.status(200).header("content-type", HAL_JSON).body(r#"{"quotas":[]}"#);
        })
        .await;
    let mut defaults = reqwest::header::HeaderMap::new();
    defaults.insert("x-injected-client", reqwest::header::HeaderValue::from_static("yes"));
    // An injected client brings its own proxy settings: this one reaches loopback directly.
    let http =
        reqwest::Client::builder().no_proxy().default_headers(defaults).build().expect("reqwest client");
    let client = builder_of(base_url(&server))
        .user_agent("billing-job/2.1")
        .http_client(http)
        .build()
        .expect("client");
    client.quotas().send().await.expect("quotas");
    mock.assert_async().await;
}

#[tokio::test]
async fn clones_share_the_rate_limit_figures_and_work_from_many_tasks() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v7/quotas");
            then.status(200)
                .header("content-type", HAL_JSON)
                .header("x-organization-rate-limit-remaining", "200")
                .body(r#"{"quotas":[]}"#);
        })
        .await;
    let client = client_of(base_url(&server));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.quotas().send().await })
        })
        .collect();
    for t in tasks {
        t.await.expect("task").expect("quotas");
    }
    assert_eq!(client.rate_limit().remaining, Some(200));
}
