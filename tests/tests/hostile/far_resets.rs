//! A reset header far in the future on every answer (milliseconds where seconds are meant, say):
//! requests are not held for it, and the client says so in its log once for each such reset, not
//! once for every answer that repeats it.

use std::time::{SystemTime, UNIX_EPOCH};

use thousandeyes_usage_tests::capture::Captured;
use thousandeyes_usage_tests::raw::{RawServer, Reply};

use crate::{client, usage_json};

const WARNING: &str = "resets implausibly far away";

/// A server answering `GET /usage` with the window's figures and a reset `reset` (epoch value).
async fn answering_with_reset(reset: u64) -> RawServer {
    RawServer::start(move |_| {
        Reply::status(200)
            .header("Content-Type", "application/hal+json")
            .header("x-organization-rate-limit-limit", "240")
            .header("x-organization-rate-limit-remaining", "200")
            .header("x-organization-rate-limit-reset", reset.to_string())
            .json(&usage_json())
            .into()
    })
    .await
}

#[tokio::test(start_paused = true)]
async fn a_reset_in_milliseconds_on_every_answer_is_not_waited_for_and_is_said_once() {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970");
    let in_millis = u64::try_from(now.as_millis()).expect("fits") + 30_000;
    let server = answering_with_reset(in_millis).await;
    let client = client(&server);
    let captured = Captured::default();
    let _guard = captured.install(false);
    let started = tokio::time::Instant::now();
    for _ in 0..20 {
        client.usage().send().await.expect("usage");
    }
    assert_eq!(server.count(), 20);
    assert!(started.elapsed().is_zero(), "no request waited: {:?}", started.elapsed());
    let log = captured.text();
    assert_eq!(log.matches(WARNING).count(), 1, "one warning for one far reset:\n{log}");
}
