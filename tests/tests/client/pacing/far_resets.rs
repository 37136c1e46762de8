//! A reset header far in the future on every answer (milliseconds where seconds are meant, say):
//! requests are not held for it, and the client says so in its log once, not once for every
//! answer, until a window with a plausible reset comes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use thousandeyes_usage_tests::capture::Captured;
use thousandeyes_usage_tests::raw::{RawServer, Reply};
use thousandeyes_usage_tests::support::client_of;

use crate::usage_json;

const WARNING: &str = "resets implausibly far away";
const CALLS: usize = 20;

/// Now plus half a minute, in epoch milliseconds.
fn half_a_minute_away_in_millis() -> u64 {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970");
    u64::try_from(now.as_millis()).expect("fits") + 30_000
}

/// A server answering `GET /usage` with the window's figures and, for its `n`-th answer (from
/// 0), the reset `reset(n)`.
async fn answering_with_resets(reset: impl Fn(u64) -> u64 + Send + Sync + 'static) -> RawServer {
    let answered = AtomicU64::new(0);
    RawServer::start(move |_| {
        Reply::status(200)
            .header("Content-Type", "application/hal+json")
            .header("x-organization-rate-limit-limit", "240")
            .header("x-organization-rate-limit-remaining", "200")
            .header(
                "x-organization-rate-limit-reset",
                reset(answered.fetch_add(1, Ordering::SeqCst)).to_string(),
            )
            .json(&usage_json())
            .into()
    })
    .await
}

/// Makes [`CALLS`] calls to `server`: checks that none waited, and returns the log.
async fn log_of_calls(server: &RawServer) -> String {
    let client = client_of(server.base_url());
    let captured = Captured::default();
    let _guard = captured.install(false);
    let started = tokio::time::Instant::now();
    for _ in 0..CALLS {
        client.usage().send().await.expect("usage");
    }
    assert_eq!(server.count(), CALLS);
    assert!(started.elapsed().is_zero(), "no request waited: {:?}", started.elapsed());
    captured.text()
}

#[tokio::test(start_paused = true)]
async fn a_reset_in_milliseconds_on_every_answer_is_not_waited_for_and_is_said_once() {
    let reset = half_a_minute_away_in_millis();
    let server = answering_with_resets(move |_| reset).await;
    let log = log_of_calls(&server).await;
    assert_eq!(log.matches(WARNING).count(), 1, "one warning for {CALLS} answers:\n{log}");
}

#[tokio::test(start_paused = true)]
async fn another_far_reset_on_every_answer_is_said_once_too() {
    let first = half_a_minute_away_in_millis();
    let server = answering_with_resets(move |n| first + n).await;
    let log = log_of_calls(&server).await;
    assert_eq!(log.matches(WARNING).count(), 1, "one warning for {CALLS} answers:\n{log}");
}

#[tokio::test(start_paused = true)]
async fn far_resets_after_a_plausible_window_are_said_again() {
    let far = half_a_minute_away_in_millis();
    let plausible = far / 1_000;
    // Far for the first half of the answers, then one plausible window, then far again.
    let half = u64::try_from(CALLS / 2).expect("fits");
    let server = answering_with_resets(move |n| if n == half { plausible } else { far + n }).await;
    let log = log_of_calls(&server).await;
    assert_eq!(log.matches(WARNING).count(), 2, "a warning before and after the plausible window:\n{log}");
}
