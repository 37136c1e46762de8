//! Retry on 429 and transient failures, and pacing shared by the whole client. Waits are
//! recorded by an injected sleeper instead of slept, except in the one test that measures what
//! the server sees in real time.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use chrono::{DateTime, Utc};
use httpmock::prelude::*;
use httpmock::{HttpMockRequest, HttpMockResponse};
use thousandeyes_usage::{Client, Error, RetryPolicy};
use thousandeyes_usage_tests::support::{self, epoch_now, RecordingSleeper, HAL_JSON, PROBLEM_JSON};

const OK_BODY: &str = r#"{"usage":{"cloudUnitsUsed":42}}"#;

/// A server whose `/v7/usage` answers the given responses in order, then 200s.
fn scripted(server: &MockServer, script: Vec<HttpMockResponse>) -> Arc<AtomicUsize> {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    server.mock(move |when, then| {
        when.path("/v7/usage");
        then.respond_with(move |_req: &HttpMockRequest| {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            script.get(n).cloned().unwrap_or_else(ok)
        });
    });
    calls
}

fn ok() -> HttpMockResponse {
    HttpMockResponse::builder().status(200).header("content-type", HAL_JSON).body(OK_BODY).build()
}

fn too_many(headers: &[(&str, String)]) -> HttpMockResponse {
    let mut b = HttpMockResponse::builder()
        .status(429)
        .header("content-type", PROBLEM_JSON)
        .body(r#"{"title":"Too Many Requests","status":429}"#);
    for (k, v) in headers {
        b = b.header(*k, v.as_str());
    }
    b.build()
}

fn status(code: u16) -> HttpMockResponse {
    HttpMockResponse::builder().status(code).header("content-type", PROBLEM_JSON).body("{}").build()
}

fn http_date(t: SystemTime) -> String {
    DateTime::<Utc>::from(t).to_rfc2822().replace("+0000", "GMT")
}

fn exact_client(server: &MockServer, sleeper: &RecordingSleeper) -> Client {
    support::builder(server, sleeper)
        .retry_policy(RetryPolicy::default().jitter(false))
        .build()
        .expect("client")
}

/// Runs one `usage()` call against `script`; returns the result, the server's call count and
/// the waits.
async fn run(script: Vec<HttpMockResponse>) -> (Result<i64, Error>, usize, Vec<Duration>) {
    let server = MockServer::start_async().await;
    let calls = scripted(&server, script);
    let sleeper = RecordingSleeper::new();
    let result =
        exact_client(&server, &sleeper).usage().send().await.map(|u| u.cloud_units_used.unwrap_or(0));
    (result, calls.load(Ordering::SeqCst), sleeper.waits())
}

fn secs(d: &[Duration]) -> Vec<u64> {
    d.iter().map(|d| d.as_secs_f64().round() as u64).collect()
}

#[tokio::test]
async fn retries_after_the_reset_header_measured_against_the_date_header() {
    let now = SystemTime::now();
    let reset = epoch_now() + 7;
    let (result, calls, waits) = run(vec![too_many(&[
        ("date", http_date(now)),
        ("x-organization-rate-limit-reset", reset.to_string()),
    ])])
    .await;
    assert_eq!(result.expect("success after retry"), 42);
    assert_eq!(calls, 2);
    let wait = waits.iter().max().copied().expect("a wait");
    assert!(wait >= Duration::from_secs(6) && wait <= Duration::from_secs(8), "{waits:?}");
}

#[tokio::test]
async fn retries_after_retry_after_seconds() {
    let (result, calls, waits) = run(vec![too_many(&[("retry-after", "3".into())])]).await;
    assert_eq!((result.expect("ok"), calls), (42, 2));
    assert_eq!(secs(&waits), vec![3]);
}

#[tokio::test]
async fn retries_after_retry_after_as_an_http_date() {
    let now = SystemTime::now();
    let (result, calls, waits) = run(vec![too_many(&[
        ("date", http_date(now)),
        ("retry-after", http_date(now + Duration::from_secs(5))),
    ])])
    .await;
    assert_eq!((result.expect("ok"), calls), (42, 2));
    assert_eq!(secs(&waits), vec![5]);
}

#[tokio::test]
async fn with_both_headers_the_later_one_wins() {
    let now = SystemTime::now();
    let (result, _, waits) = run(vec![too_many(&[
        ("date", http_date(now)),
        ("retry-after", "2".into()),
        ("x-organization-rate-limit-reset", (epoch_now() + 9).to_string()),
    ])])
    .await;
    assert_eq!(result.expect("ok"), 42);
    let wait = *waits.iter().max().expect("a wait");
    assert!(wait >= Duration::from_secs(8) && wait <= Duration::from_secs(10), "{waits:?}");
}

#[tokio::test]
async fn the_instant_test_reset_header_counts_too() {
    let now = SystemTime::now();
    let (result, _, waits) = run(vec![too_many(&[
        ("date", http_date(now)),
        ("x-instant-test-rate-limit-reset", (epoch_now() + 4).to_string()),
    ])])
    .await;
    assert_eq!(result.expect("ok"), 42);
    let wait = *waits.iter().max().expect("a wait");
    assert!(wait >= Duration::from_secs(3) && wait <= Duration::from_secs(5), "{waits:?}");
}

#[tokio::test]
async fn without_a_usable_header_it_backs_off_exponentially() {
    for headers in [
        vec![],
        vec![("retry-after", "soon".to_string()), ("x-organization-rate-limit-reset", "abc".to_string())],
        vec![("x-organization-rate-limit-reset", (epoch_now() - 120).to_string())],
        vec![("x-organization-rate-limit-reset", "0".to_string())],
        vec![("x-organization-rate-limit-reset", "-1".to_string())],
    ] {
        let (result, calls, waits) = run(vec![too_many(&headers), too_many(&headers)]).await;
        assert_eq!(result.expect("ok"), 42, "{headers:?}");
        assert_eq!(calls, 3, "{headers:?}");
        // The backoffs (0.5 s, then 1 s), each paced for the whole client as well.
        let max = waits.iter().max().copied().expect("waits");
        assert!(max <= Duration::from_secs(1), "{headers:?}: {waits:?}");
        assert!(waits.contains(&Duration::from_millis(500)), "{headers:?}: {waits:?}");
        assert!(waits.contains(&Duration::from_secs(1)), "{headers:?}: {waits:?}");
    }
}

#[tokio::test]
async fn a_reset_beyond_the_cap_returns_the_error_at_once_with_the_servers_wait() {
    let now = SystemTime::now();
    let (result, calls, waits) = run(vec![too_many(&[
        ("date", http_date(now)),
        ("x-organization-rate-limit-reset", (epoch_now() + 1_800).to_string()),
    ])])
    .await;
    let err = result.expect_err("rate limited");
    assert!(err.is_rate_limited());
    let wait = err.retry_after().expect("retry after");
    assert!(wait >= Duration::from_secs(1_790), "{wait:?}");
    assert_eq!(calls, 1);
    assert!(waits.is_empty(), "slept {waits:?}");
}

#[tokio::test]
async fn after_a_reset_beyond_the_cap_other_calls_fail_fast_without_sending() {
    let server = MockServer::start_async().await;
    let calls = scripted(
        &server,
        vec![too_many(&[
            ("date", http_date(SystemTime::now())),
            ("x-organization-rate-limit-reset", (epoch_now() + 600).to_string()),
        ])],
    );
    let sleeper = RecordingSleeper::new();
    let client = exact_client(&server, &sleeper);
    assert!(client.usage().send().await.expect_err("429").is_rate_limited());
    let err = client.clone().usage().send().await.expect_err("held");
    assert!(err.is_rate_limited(), "{err:?}");
    assert!(err.retry_after().expect("retry after") > Duration::from_secs(590));
    assert_eq!(calls.load(Ordering::SeqCst), 1, "the held call was not sent");
    assert!(sleeper.waits().is_empty(), "nobody slept: {:?}", sleeper.waits());
}

#[tokio::test]
async fn a_429_seen_by_one_clone_holds_back_the_others_until_the_reset() {
    let server = MockServer::start_async().await;
    let calls = scripted(
        &server,
        vec![too_many(&[
            ("date", http_date(SystemTime::now())),
            ("x-organization-rate-limit-reset", (epoch_now() + 20).to_string()),
        ])],
    );
    let sleeper = RecordingSleeper::new();
    let client = exact_client(&server, &sleeper);
    client.usage().send().await.expect("retried after the reset");
    assert_eq!(sleeper.waits().len(), 1);
    let stats = client.stats();
    assert_eq!((stats.requests_sent, stats.retries, stats.pacing_waits), (2, 1, 0));
    // A clone that never saw the 429 waits for the same reset before it sends.
    let other = client.clone();
    other.usage().send().await.expect("ok");
    let waits = sleeper.waits();
    assert_eq!(waits.len(), 2, "{waits:?}");
    assert!(waits[1] >= Duration::from_secs(18) && waits[1] <= Duration::from_secs(21), "{waits:?}");
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    let stats = client.stats();
    assert_eq!(
        (stats.requests_sent, stats.retries, stats.pacing_waits),
        (3, 1, 1),
        "clones share the counters"
    );
    assert!(stats.waited >= Duration::from_secs(36), "{stats:?}");
}

#[tokio::test]
async fn an_oversized_error_body_still_counts_as_the_error_it_is() {
    let big = "x".repeat(200_000);
    let server = MockServer::start_async().await;
    let calls = scripted(
        &server,
        vec![HttpMockResponse::builder()
            .status(429)
            .header("retry-after", "7")
            .header("content-type", "text/html")
            .body(big.clone())
            .build()],
    );
    let sleeper = RecordingSleeper::new();
    let client = support::builder(&server, &sleeper)
        .retry_policy(RetryPolicy::default().jitter(false))
        .max_body_bytes(64 * 1024)
        .build()
        .expect("client");
    assert_eq!(client.usage().send().await.expect("ok").cloud_units_used, Some(42));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(secs(&sleeper.waits()), vec![7], "the 429's Retry-After was honoured");

    let server = MockServer::start_async().await;
    scripted(
        &server,
        vec![HttpMockResponse::builder().status(404).header("content-type", "text/html").body(big).build()],
    );
    let client = support::builder(&server, &sleeper).max_body_bytes(64 * 1024).build().expect("client");
    let err = client.usage().send().await.expect_err("404");
    assert_eq!(err.status(), Some(404), "{err:?}");
}

#[tokio::test]
async fn a_503_reports_only_its_own_retry_after() {
    let reset = (epoch_now() + 44).to_string();
    let server = MockServer::start_async().await;
    scripted(
        &server,
        vec![HttpMockResponse::builder()
            .status(503)
            .header("x-organization-rate-limit-reset", reset.as_str())
            .build()],
    );
    let client = support::builder(&server, &RecordingSleeper::new())
        .retry_policy(RetryPolicy::disabled())
        .build()
        .expect("client");
    let err = client.usage().send().await.expect_err("503");
    assert_eq!(err.status(), Some(503));
    assert_eq!(err.retry_after(), None, "the window reset is not a 503's retry time");
}

#[tokio::test]
async fn a_reset_in_the_year_3000_or_in_milliseconds_is_not_believed_and_backoff_applies() {
    let millis = (epoch_now() * 1000 + 30_000).to_string();
    for reset in ["32503680000".to_string(), millis] {
        let (result, calls, waits) =
            run(vec![too_many(&[("x-organization-rate-limit-reset", reset.clone())])]).await;
        assert_eq!(result.expect("success after backoff"), 42, "{reset}");
        assert_eq!(calls, 2);
        assert_eq!(waits, vec![Duration::from_millis(500)], "{reset}");
    }
}

#[tokio::test]
async fn a_skewed_client_clock_does_not_change_the_wait() {
    for skew in [-300_i64, 300] {
        // The server's clock (Date) is `skew` seconds off ours; its reset is 6 s after its now.
        let server_now = epoch_now() as i64 + skew;
        let date = SystemTime::UNIX_EPOCH + Duration::from_secs(server_now as u64);
        let (result, _, waits) = run(vec![too_many(&[
            ("date", http_date(date)),
            ("x-organization-rate-limit-reset", (server_now + 6).to_string()),
        ])])
        .await;
        assert_eq!(result.expect("ok"), 42);
        let wait = *waits.iter().max().expect("a wait");
        assert!(wait >= Duration::from_secs(5) && wait <= Duration::from_secs(7), "skew {skew}: {waits:?}");
    }
}

#[tokio::test]
async fn attempts_exhausted_returns_the_rate_limited_error() {
    let storm = vec![too_many(&[("retry-after", "1".into())]); 10];
    let (result, calls, _) = run(storm).await;
    let err = result.expect_err("rate limited");
    assert!(err.is_rate_limited());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(1)));
    assert_eq!(calls, 5, "the default policy makes 5 attempts");
}

#[tokio::test]
async fn a_post_answered_429_is_retried() {
    let server = MockServer::start_async().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    server.mock(move |when, then| {
        when.method(POST).path("/v7/quotas/unassign");
        then.respond_with(move |_req: &HttpMockRequest| {
            if counter.fetch_add(1, Ordering::SeqCst) == 0 {
                too_many(&[("retry-after", "2".into())])
            } else {
                HttpMockResponse::builder().status(204).build()
            }
        });
    });
    let sleeper = RecordingSleeper::new();
    exact_client(&server, &sleeper)
        .unassign_organization_quotas()
        .organization("1001")
        .send()
        .await
        .expect("ok");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(secs(&sleeper.waits()), vec![2]);
}

#[tokio::test]
async fn a_post_answered_503_is_never_sent_twice() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/v7/quotas/assign");
            then.status(503).header("content-type", PROBLEM_JSON).body("{}");
        })
        .await;
    let err = exact_client(&server, &RecordingSleeper::new())
        .assign_organization_quotas()
        .quota("1001", 5)
        .send()
        .await
        .expect_err("503");
    assert_eq!(err.status(), Some(503));
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_get_answered_503_is_retried_with_backoff() {
    let (result, calls, waits) = run(vec![status(503), status(502)]).await;
    assert_eq!(result.expect("ok"), 42);
    assert_eq!(calls, 3);
    assert_eq!(waits, vec![Duration::from_millis(500), Duration::from_secs(1)]);
}

#[tokio::test]
async fn a_5xx_storm_longer_than_the_budget_returns_the_last_error() {
    let (result, calls, _) = run(vec![status(500); 10]).await;
    assert_eq!(result.expect_err("500").status(), Some(500));
    assert_eq!(calls, 3, "the default policy makes 3 attempts on transient failures");
}

#[tokio::test]
async fn other_4xx_are_never_retried() {
    for code in [400, 401, 403, 404, 409] {
        let (result, calls, waits) = run(vec![status(code)]).await;
        assert_eq!(result.expect_err("error").status(), Some(code));
        assert_eq!(calls, 1, "{code}");
        assert!(waits.is_empty());
    }
}

#[tokio::test]
async fn a_get_that_times_out_is_retried() {
    let server = MockServer::start_async().await;
    let slow = server
        .mock_async(|when, then| {
            when.path("/v7/quotas");
            then.status(200)
                .delay(Duration::from_secs(3))
                .header("content-type", HAL_JSON)
                .body(r#"{"quotas":[]}"#);
        })
        .await;
    let sleeper = RecordingSleeper::new();
    let client = support::builder(&server, &sleeper)
        .request_timeout(Duration::from_millis(300))
        .retry_policy(RetryPolicy::default().jitter(false).transient_attempts(2))
        .build()
        .expect("client");
    let started = Instant::now();
    let err = client.quotas().send().await.expect_err("timeout");
    assert!(matches!(err, Error::Timeout { operation: "getQuotas", .. }), "{err:?}");
    assert!(err.to_string().contains("timed out"), "{err}");
    assert_eq!(slow.calls_async().await, 2, "one retry after the first timeout");
    assert_eq!(sleeper.waits(), vec![Duration::from_millis(500)]);
    assert!(started.elapsed() < Duration::from_secs(3), "the timeout did not bound the attempts");
}

#[tokio::test]
async fn a_retry_in_the_middle_of_a_listing_neither_restarts_it_nor_duplicates_items() {
    let server = MockServer::start_async().await;
    let path = "/v7/usage/units/tests";
    let next = server.url(format!("{path}?cursor=two"));
    server
        .mock_async(|when, then| {
            when.path(path).query_param_missing("cursor");
            then.status(200)
                .header("content-type", HAL_JSON)
                .json_body(support::page_body((0..3).map(support::test_units_item).collect(), Some(&next)));
        })
        .await;
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    server.mock(move |when, then| {
        when.path(path).query_param("cursor", "two");
        then.respond_with(move |_req: &HttpMockRequest| {
            if counter.fetch_add(1, Ordering::SeqCst) == 0 {
                too_many(&[("retry-after", "1".into())])
            } else {
                HttpMockResponse::builder()
                    .status(200)
                    .header("content-type", HAL_JSON)
                    .body(
                        support::page_body((3..5).map(support::test_units_item).collect(), None).to_string(),
                    )
                    .build()
            }
        });
    });
    let items =
        exact_client(&server, &RecordingSleeper::new()).test_units().collect_all().await.expect("items");
    let ids: Vec<_> = items.iter().filter_map(|t| t.test_id.clone()).collect();
    assert_eq!(ids, vec!["100000", "100001", "100002", "100003", "100004"]);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn remaining_zero_holds_the_next_request_until_the_reset() {
    let server = MockServer::start_async().await;
    let reset = (epoch_now() + 30).to_string();
    server
        .mock_async(|when, then| {
            when.path("/v7/quotas");
            then.status(200)
                .header("content-type", HAL_JSON)
                .header("date", http_date(SystemTime::now()))
                .header("x-organization-rate-limit-remaining", "0")
                .header("x-organization-rate-limit-reset", reset.as_str())
                .body(r#"{"quotas":[]}"#);
        })
        .await;
    let sleeper = RecordingSleeper::new();
    let client = exact_client(&server, &sleeper);
    client.quotas().send().await.expect("first");
    assert!(sleeper.waits().is_empty(), "the first request is not held");
    client.clone().quotas().send().await.expect("second");
    let waits = sleeper.waits();
    assert_eq!(waits.len(), 1, "{waits:?}");
    assert!(waits[0] >= Duration::from_secs(27) && waits[0] <= Duration::from_secs(31), "{waits:?}");
    assert_eq!(client.rate_limit().remaining, Some(0));
}

#[tokio::test]
async fn an_answer_from_the_next_window_releases_a_used_up_window() {
    let server = MockServer::start_async().await;
    let reset = (epoch_now() + 30).to_string();
    let used_up = HttpMockResponse::builder()
        .status(200)
        .header("content-type", HAL_JSON)
        .header("x-organization-rate-limit-remaining", "0")
        .header("x-organization-rate-limit-reset", reset.as_str())
        .body(OK_BODY)
        .build();
    let next_window = (epoch_now() + 90).to_string();
    let fresh = HttpMockResponse::builder()
        .status(200)
        .header("content-type", HAL_JSON)
        .header("x-organization-rate-limit-remaining", "239")
        .header("x-organization-rate-limit-reset", next_window.as_str())
        .body(OK_BODY)
        .build();
    scripted(&server, vec![used_up, fresh]);
    let sleeper = RecordingSleeper::new();
    let client = exact_client(&server, &sleeper);
    client.usage().send().await.expect("1");
    client.usage().send().await.expect("2: held, then answered with calls remaining");
    client.usage().send().await.expect("3: not held");
    assert_eq!(sleeper.waits().len(), 1, "{:?}", sleeper.waits());
}

/// Twenty tasks share one client; the server answers the first request 429 with a reset two
/// seconds ahead. Until that reset the server may see only requests that were already in
/// flight (at most one per task), and every task still gets its data. Real time: the waits are
/// slept for real here, since the server's view of time is what is measured.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_tasks_hitting_a_429_hold_back_until_the_reset() {
    let server = MockServer::start_async().await;
    let log: Arc<Mutex<Vec<(SystemTime, u16)>>> = Arc::default();
    let reset_at = Arc::new(Mutex::new(None::<u64>));
    let (log_in, reset_in) = (Arc::clone(&log), Arc::clone(&reset_at));
    server.mock(move |when, then| {
        when.path("/v7/usage");
        then.respond_with(move |_req: &HttpMockRequest| {
            let now = SystemTime::now();
            let mut reset = reset_in.lock().expect("reset");
            let first = reset.is_none();
            if first {
                *reset = Some(epoch_now() + 2);
            }
            let limited = first || reset.is_some_and(|r| epoch_now() < r);
            let code = if limited { 429 } else { 200 };
            log_in.lock().expect("log").push((now, code));
            if limited {
                too_many(&[
                    ("date", http_date(now)),
                    ("x-organization-rate-limit-reset", reset.unwrap_or(0).to_string()),
                ])
            } else {
                ok()
            }
        });
    });
    let client =
        Client::builder().token(support::TOKEN).base_url(support::base_url(&server)).build().expect("client");
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move {
                for _ in 0..3 {
                    c.usage().send().await?;
                }
                Ok::<_, Error>(())
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("task").expect("every task gets its data");
    }
    let log = log.lock().expect("log").clone();
    let reset = SystemTime::UNIX_EPOCH + Duration::from_secs(reset_at.lock().expect("reset").expect("a 429"));
    let first_429 = log.iter().find(|(_, c)| *c == 429).map(|(t, _)| *t).expect("a 429");
    let in_window = log.iter().filter(|(t, _)| *t > first_429 && *t < reset).count();
    assert!(in_window <= 20, "{in_window} requests between the first 429 and the reset: {log:?}");
    assert_eq!(log.iter().filter(|(_, c)| *c == 200).count(), 60);
}

#[tokio::test]
async fn a_per_request_policy_overrides_the_clients() {
    let server = MockServer::start_async().await;
    let calls = scripted(&server, vec![status(503); 10]);
    let client = exact_client(&server, &RecordingSleeper::new());
    let err = client.usage().retry_policy(RetryPolicy::disabled()).send().await.expect_err("503");
    assert_eq!(err.status(), Some(503));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}
