//! The token stays secret: not in any `Debug` or `Display`, not in errors, not in the log
//! output of a full run with retries and errors, and never sent to another host.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use futures::TryStreamExt;
use httpmock::prelude::*;
use httpmock::{HttpMockRequest, HttpMockResponse};
use thousandeyes_usage::{Client, RetryPolicy};
use thousandeyes_usage_tests::support::{self, HAL_JSON, PROBLEM_JSON, TOKEN};

/// Log output captured in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn a_full_run_with_retries_and_errors_never_logs_the_token() {
    let log = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(log.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start_async().await;
    let listing = server.url("/v7/usage/units/tests");
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    server.mock(move |when, then| {
        when.path("/v7/usage/units/tests");
        then.respond_with(move |req: &HttpMockRequest| {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            let cursor = req.query_params().into_iter().find(|(k, _)| k == "cursor").map(|(_, v)| v);
            match (n, cursor.as_deref()) {
                (0, _) => HttpMockResponse::builder().status(429).header("retry-after", "1").build(),
                (1, _) => HttpMockResponse::builder().status(503).build(),
                (_, None) => page(vec![support::test_units_item(1)], Some(format!("{listing}?cursor=two"))),
                (_, Some(_)) => page(vec![support::test_units_item(2)], None),
            }
        });
    });
    server
        .mock_async(|when, then| {
            when.path("/v7/usage");
            then.status(401)
                .header("content-type", "application/json")
                .body(r#"{"error":"invalid_token","error_description":"Bad token"}"#);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.path("/v7/quotas/assign");
            then.status(400).header("content-type", PROBLEM_JSON).body(r#"{"title":"Bad Request"}"#);
        })
        .await;
    let client = support::client(&server);

    let items: Vec<_> = client.test_units().items().try_collect().await.expect("listing after retries");
    assert_eq!(items.len(), 2);
    let unauthorized = client.usage().send().await.expect_err("401");
    let bad = client.assign_organization_quotas().quota("1", 1).send().await.expect_err("400");
    let config = Client::builder().token(format!("{TOKEN}\n")).build().expect_err("bad token");

    let output = String::from_utf8(log.0.lock().expect("log").clone()).expect("utf-8");
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

fn page(items: Vec<serde_json::Value>, next: Option<String>) -> HttpMockResponse {
    HttpMockResponse::builder()
        .status(200)
        .header("content-type", HAL_JSON)
        .body(support::page_body(items, next.as_deref()).to_string())
        .build()
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
    let client = support::builder(&server).retry_policy(RetryPolicy::disabled()).build().expect("client");
    client.quotas().send().await.expect("quotas");
    mock.assert_async().await;
}
