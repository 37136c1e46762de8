//! Errors that must say what actually went wrong: a connect timeout reported as such (not as the
//! request timeout), a `TE_TIMEOUT` too small to use named as `TE_TIMEOUT`, a base URL that does
//! not parse reported without the password in it, and a plain-http proxy from `TE_API_ENDPOINT`
//! judged by `build()`, after `allow_insecure_http(true)` had its say.

use std::time::Duration;

use thousandeyes_usage::{Client, Error, RetryPolicy};
use thousandeyes_usage_tests::support::builder_of;

use crate::{everything_shown, listener_with_full_backlog};

#[tokio::test(start_paused = true)]
async fn a_connect_timeout_is_reported_as_the_connect_timeout_not_the_request_timeout() {
    let (addr, _listener, _held) = listener_with_full_backlog();
    let client = builder_of(format!("http://{addr}/v7"))
        .connect_timeout(Duration::from_secs(1))
        .retry_policy(RetryPolicy::disabled())
        .build()
        .expect("client");
    let started = tokio::time::Instant::now();
    let err = client.usage().send().await.expect_err("connecting cannot succeed");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_secs(5),
        "the connect timeout applied: {took:?}"
    );
    let shown = everything_shown(&err);
    assert!(err.is_retryable(), "{err:?}");
    assert!(
        !shown.contains("60.0 s") && !shown.contains("60s"),
        "the error reports the request timeout:\n{shown}"
    );
    // Either a timeout carrying the 1 s that expired, or an error that says it was connecting.
    match err {
        Error::Timeout { after, .. } => {
            assert_eq!(
                after,
                Duration::from_secs(1),
                "a Timeout must carry the timeout that expired:\n{shown}"
            )
        }
        _ => assert!(
            shown.to_lowercase().contains("connect"),
            "the error does not say it was connecting:\n{shown}"
        ),
    }
}

#[test]
fn a_te_timeout_too_small_to_use_is_reported_against_te_timeout() {
    for value in ["1e-10", "0.0000000001", "1e-300"] {
        let result =
            Client::builder_from_vars([("TE_TOKEN", "t0k"), ("TE_TIMEOUT", value)]).and_then(|b| b.build());
        match result {
            Err(Error::Config { setting, reason, .. }) => {
                assert_eq!(setting, "TE_TIMEOUT", "TE_TIMEOUT={value}: reported against {setting} ({reason})")
            }
            other => {
                panic!("TE_TIMEOUT={value}: expected a configuration error naming TE_TIMEOUT, got {other:?}")
            }
        }
    }
}

#[test]
fn a_base_url_that_does_not_parse_is_not_echoed_with_its_password() {
    let urls = [
        "https://user:hunter2@[::1/v7",
        "https://user:hunter2@exa mple.com/v7",
        "https://user:hunter2@api.example.com:99999/v7",
        "http://user:hunter2@proxy.internal:8080/v7",
        "https://user:hunter2@api.example.com/v7",
    ];
    let mut leaked = Vec::new();
    for url in urls {
        let from_builder = Client::builder().token("t0k").base_url(url).build();
        let from_vars = Client::builder_from_vars([("TE_TOKEN", "t0k"), ("TE_API_ENDPOINT", url)])
            .and_then(|b| b.build());
        for (how, result, setting) in
            [("base_url", from_builder, "base_url"), ("TE_API_ENDPOINT", from_vars, "TE_API_ENDPOINT")]
        {
            let err = match result {
                Err(err) => err,
                Ok(client) => panic!("{how} {url:?}: accepted ({client:?})"),
            };
            assert!(
                matches!(&err, Error::Config { setting: s, .. } if s == setting),
                "{how} {url:?}: expected a configuration error naming {setting}, got {err:?}"
            );
            let shown = everything_shown(&err);
            if shown.contains("hunter2") {
                leaked.push(format!("{how} {url:?}:\n{shown}\n"));
            }
        }
    }
    assert!(leaked.is_empty(), "the password is shown by {} errors:\n{}", leaked.len(), leaked.join("\n"));
}

#[test]
fn a_plain_http_proxy_in_te_api_endpoint_is_allowed_by_allow_insecure_http() {
    let vars = [("TE_TOKEN", "t0k"), ("TE_API_ENDPOINT", "http://proxy.internal:8080/v7")];
    let client = Client::builder_from_vars(vars)
        .and_then(|b| b.allow_insecure_http(true).build())
        .expect("allow_insecure_http(true) allows a plain-http endpoint from TE_API_ENDPOINT");
    assert_eq!(client.base_url(), "http://proxy.internal:8080/v7");
}

/// Judged by `build()`, after `allow_insecure_http` had its say.
#[test]
fn a_plain_http_proxy_in_te_api_endpoint_is_refused_without_allow_insecure_http() {
    let vars = [("TE_TOKEN", "t0k"), ("TE_API_ENDPOINT", "http://proxy.internal:8080/v7")];
    match Client::builder_from_vars(vars).and_then(|b| b.build()) {
        Err(Error::Config { setting, .. }) => assert_eq!(setting, "TE_API_ENDPOINT"),
        other => panic!("expected a configuration error naming TE_API_ENDPOINT, got {other:?}"),
    }
    match Client::builder_from_vars(vars).and_then(|b| b.allow_insecure_http(false).build()) {
        Err(Error::Config { setting, .. }) => assert_eq!(setting, "TE_API_ENDPOINT"),
        other => panic!("expected a configuration error naming TE_API_ENDPOINT, got {other:?}"),
    }
}
