//! Unit tests of `pipeline.rs`: what it does with the strategy's decisions (sleep, send, count,
//! read, build the error), one call of `GET /usage` against the fake Usage API, in virtual time.

use std::time::Duration;

use thousandeyes_usage_fake::{Failure, FakeUsageApi};
use thousandeyes_usage_generated::apis::usage_api::{GetUsage, GetUsageParams};
use tokio::time::Instant;

use super::*;
use crate::clock::Clock;
use crate::error::ApiError;
use crate::stats::Waits;
use crate::test_support::builder_of;

const SECOND: Duration = Duration::from_secs(1);

/// A pipeline of its own (not shared with any other test's client) sending to `base_url`,
/// retrying as `retry` says.
fn pipeline(base_url: &str, retry: RetryPolicy) -> Pipeline {
    let config = builder_of(base_url).retry_policy(retry).into_config().expect("config");
    Pipeline::new(&config, Arc::new(Pacer::new(Clock::new(), 1.0))).expect("pipeline")
}

/// A pipeline for `fake`, retrying by the default policy without jitter.
fn pipeline_of(fake: &FakeUsageApi) -> Pipeline {
    pipeline(&fake.base_url(), RetryPolicy::default().with_jitter(false))
}

/// `GET /usage`, read as its output schema.
async fn usage(pipeline: &Pipeline) -> Result<crate::models::Usage, Error> {
    pipeline.call::<GetUsage>(&GetUsageParams { aid: None, expand: None }, None).await
}

#[tokio::test(start_paused = true)]
async fn a_wait_before_sending_is_slept_and_counted_once_by_its_reason() {
    let fake = FakeUsageApi::start().await;
    let pipeline = pipeline_of(&fake);
    let start = Instant::now();
    pipeline.pacer.hold_until(start + 10 * SECOND);
    usage(&pipeline).await.expect("sent once the hold is over");
    assert!(start.elapsed() >= 10 * SECOND, "{:?}", start.elapsed());
    let stats = pipeline.counters.snapshot();
    assert_eq!(stats.after_rate_limit.count, 1);
    let waited = stats.after_rate_limit.total;
    assert!(waited >= 10 * SECOND && waited < 10 * SECOND + Duration::from_millis(10), "{waited:?}");
    assert_eq!((stats.requests_sent, stats.retries, stats.not_sent), (1, 0, 0));
}

#[tokio::test(start_paused = true)]
async fn a_refusal_is_a_not_sent_error_counted_and_nothing_is_sent() {
    let fake = FakeUsageApi::start().await;
    let pipeline = pipeline_of(&fake);
    pipeline.pacer.hold_until(Instant::now() + 120 * SECOND);
    let err = usage(&pipeline).await.expect_err("held beyond max_wait");
    match err {
        Error::NotSent { operation, reason: NotSentReason::WindowClosed, retry_after, .. } => {
            assert_eq!((operation, retry_after), ("getUsage", 120 * SECOND));
        }
        other => panic!("{other:?}"),
    }
    let stats = pipeline.counters.snapshot();
    assert_eq!((stats.not_sent, stats.requests_sent), (1, 0));
    assert_eq!(fake.request_count(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_retry_with_a_backoff_sleeps_it_counts_it_and_sends_again() {
    let fake = FakeUsageApi::builder().fail(Failure::on_any_operation(503)).start().await;
    let pipeline = pipeline_of(&fake);
    usage(&pipeline).await.expect("the second attempt succeeds");
    let stats = pipeline.counters.snapshot();
    assert_eq!((stats.requests_sent, stats.retries, stats.rate_limited), (2, 1, 0));
    assert_eq!(stats.retry_backoff, Waits { count: 1, total: Duration::from_millis(500) });
    assert_eq!(fake.request_count(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_a_429_waits_for_the_pacers_hold_not_a_backoff_and_counts_the_429() {
    // The window, used up, resets on a whole second within 2 s. (A retry may come a little early
    // by the server's clock, whose `Date` tells whole seconds only, and be refused once more.)
    let failure = Failure::on_any_operation(429).reset_after(2 * SECOND);
    let fake = FakeUsageApi::builder().fail(failure).start().await;
    let pipeline = pipeline_of(&fake);
    usage(&pipeline).await.expect("a retry succeeds");
    let stats = pipeline.counters.snapshot();
    assert!(stats.requests_sent >= 2, "{stats:?}");
    assert_eq!((stats.retries, stats.rate_limited), (stats.requests_sent - 1, stats.requests_sent - 1));
    assert_eq!(stats.after_rate_limit.count, stats.rate_limited, "each retry waited for the hold");
    assert_eq!(stats.retry_backoff.count, 0, "never a backoff");
    assert_eq!(fake.responses_with_status(429) as u64, stats.rate_limited);
}

#[tokio::test(start_paused = true)]
async fn a_failure_on_an_answer_is_its_api_error_reporting_the_wait_decided() {
    let failure = Failure::on_any_operation(503).retry_after(7 * SECOND).detail("down for maintenance");
    let fake = FakeUsageApi::builder().fail(failure).start().await;
    let pipeline = pipeline(&fake.base_url(), RetryPolicy::disabled());
    let err = usage(&pipeline).await.expect_err("503, not retried");
    let api = err.as_api().expect("an API error");
    assert_eq!((api.operation(), api.status(), api.retry_after()), ("getUsage", 503, Some(7 * SECOND)));
    assert_eq!(api.detail(), Some("down for maintenance"));
    assert_eq!(api.hint, None, "only a 404 has a hint");
}

#[tokio::test(start_paused = true)]
async fn a_404_gets_the_hint_of_where_it_was_sent() {
    let fake = FakeUsageApi::start().await;
    // Without the version path: the path sent is unknown to the API.
    let pipeline = pipeline(&format!("http://{}/api", fake.addr()), RetryPolicy::default());
    let err = usage(&pipeline).await.expect_err("404");
    let api = err.as_api().expect("an API error");
    assert_eq!(api.status(), 404);
    let hint = api.hint.as_deref().expect("a hint");
    assert!(hint.starts_with("404 for /api/usage, below the base URL's path \"/api\""), "{hint}");
}

#[tokio::test(start_paused = true)]
async fn a_407_is_a_proxys_refusal_carrying_the_answer() {
    let fake = FakeUsageApi::builder().fail(Failure::on_any_operation(407)).start().await;
    let pipeline = pipeline_of(&fake);
    let err = usage(&pipeline).await.expect_err("407");
    match &err {
        Error::ProxyRefused {
            operation: "getUsage",
            status: Some(407),
            proxy: None,
            credentials: false,
            ..
        } => {}
        other => panic!("{other:?}"),
    }
    let source = std::error::Error::source(&err).expect("a source");
    assert_eq!(source.downcast_ref::<ApiError>().map(ApiError::status), Some(407));
    assert_eq!(fake.request_count(), 1, "asked once");
}

#[tokio::test(start_paused = true)]
async fn a_failure_without_an_answer_is_the_transports_own_error() {
    // A port nobody listens on: every attempt is refused while connecting.
    let port =
        std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a port").port();
    let base = format!("http://127.0.0.1:{port}/v7");
    let pipeline = pipeline(&base, RetryPolicy::default().with_jitter(false));
    let err = usage(&pipeline).await.expect_err("refused");
    match &err {
        Error::Transport { operation: "getUsage", reason, .. } => {
            assert_eq!(reason, &format!("the connection to 127.0.0.1:{port} was refused"));
        }
        other => panic!("{other:?}"),
    }
    let stats = pipeline.counters.snapshot();
    assert_eq!((stats.requests_sent, stats.retries, stats.retry_backoff.count), (3, 2, 2));
}

#[tokio::test(start_paused = true)]
async fn a_success_is_read_with_the_callers_reader() {
    let fake = FakeUsageApi::start().await;
    let pipeline = pipeline_of(&fake);
    let params = GetUsageParams { aid: None, expand: None };
    let read = |answer: &Answer, _: &Secret| Ok((answer.status.as_u16(), answer.reported.figures.limit));
    let (status, limit) = pipeline.execute::<GetUsage, _>(&params, None, read).await.expect("read");
    assert_eq!((status, limit), (200, Some(240)));
    // A reader's error is the call's.
    let refuse = |_: &Answer, _: &Secret| Err::<(), _>(Error::invalid("reader", "x", "refused"));
    let err = pipeline.execute::<GetUsage, _>(&params, None, refuse).await.expect_err("the reader's error");
    assert!(matches!(err, Error::InvalidInput { field: "reader", .. }), "{err:?}");
    assert_eq!(pipeline.counters.snapshot().requests_sent, 2, "read once each, never sent again");
}
