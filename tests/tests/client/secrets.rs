//! The token stays secret: not in any `Debug` or `Display`, not in errors, not in the log
//! output of a full run with retries and errors, and never sent to another host.

mod echoed_in_listings;
mod echoed_secrets;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use futures::TryStreamExt;
use httpmock::prelude::*;
use thousandeyes_usage::{Client, RetryPolicy};
use thousandeyes_usage_tests::capture::Captured;
use thousandeyes_usage_tests::raw::{RawServer, Reply, Request};
use thousandeyes_usage_tests::support::{
    self, base_url, builder_of, client_of, HAL_JSON, PROBLEM_JSON, TOKEN,
};

#[tokio::test(start_paused = true)]
async fn a_full_run_with_retries_and_errors_never_logs_the_token() {
    let log = Captured::default();
    let _guard = log.install(false);

    // The listing: a 429, a 503, then two pages; /usage a 401, the quota assignment a 400.
    let listing_calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&listing_calls);
    let server = RawServer::start(move |req: &Request| match req.path() {
        "/v7/usage/units/tests" => match (counter.fetch_add(1, Ordering::SeqCst), req.query("cursor")) {
            (0, _) => Reply::status(429).header("Retry-After", "1").into(),
            (1, _) => Reply::status(503).into(),
            (_, None) => page(vec![support::test_units_item(1)], Some("/v7/usage/units/tests?cursor=two")),
            (_, Some(_)) => page(vec![support::test_units_item(2)], None),
        },
        "/v7/usage" => Reply::status(401)
            .header("Content-Type", PROBLEM_JSON)
            .body(r#"{"error":"invalid_token","error_description":"Bad token"}"#)
            .into(),
        _ => {
            Reply::status(400).header("Content-Type", PROBLEM_JSON).body(r#"{"title":"Bad Request"}"#).into()
        }
    })
    .await;
    let client = client_of(server.base_url());

    let items: Vec<_> = client.test_units().items().try_collect().await.expect("listing after retries");
    assert_eq!(items.len(), 2);
    let unauthorized = client.usage().send().await.expect_err("401");
    let bad = client.assign_organization_quotas().quota("1", 1).send().await.expect_err("400");
    let config = Client::builder().token(format!("{TOKEN}\n")).build().expect_err("bad token");

    let output = log.text();
    assert!(output.contains("retrying"), "the run logged its retries:\n{output}");
    for text in [
        output,
        format!("{unauthorized} {unauthorized:?}"),
        format!("{bad} {bad:?}"),
        format!("{config} {config:?}"),
        format!("{client:?}"),
    ] {
        assert!(!text.contains(TOKEN), "the token leaked:\n{text}");
    }
}

fn page(items: Vec<serde_json::Value>, next: Option<&str>) -> Reply {
    Reply::status(200).header("Content-Type", HAL_JSON).json(&support::page_body(items, next)).into()
}

#[tokio::test]
async fn the_token_is_sent_to_the_base_url_only() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.path("/v7/quotas").header("authorization", format!("Bearer {TOKEN}"));
            then.status(200).header("content-type", HAL_JSON).body("{}");
        })
        .await;
    let client = builder_of(base_url(&server)).retry_policy(RetryPolicy::disabled()).build().expect("client");
    client.quotas().send().await.expect("quotas");
    mock.assert_async().await;
}
