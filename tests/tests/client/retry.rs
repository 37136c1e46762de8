//! Retry on 429 and transient failures, and pacing shared by the whole client. Every test runs
//! in virtual time against a raw server on the test's own runtime: the waits are read from the
//! arrival times the server records, and no test sleeps in real time.

mod connect;
mod refusals;
mod retry_after_forms;
mod waits;

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use thousandeyes_usage::{Client, ClientStats, Error, RetryPolicy};
use thousandeyes_usage_tests::raw::{RawServer, Reply, Request};
use thousandeyes_usage_tests::support::{self, builder_of, client_of, epoch_now, HAL_JSON, PROBLEM_JSON};
use tokio::time::Instant;

const OK_BODY: &str = r#"{"usage":{"cloudUnitsUsed":42}}"#;

fn ok() -> Reply {
    Reply::status(200).header("Content-Type", HAL_JSON).body(OK_BODY).into()
}

fn too_many(headers: &[(&str, String)]) -> Reply {
    let mut r = Reply::status(429).header("Content-Type", PROBLEM_JSON);
    for (k, v) in headers {
        r = r.header(*k, v.as_str());
    }
    r.body(r#"{"title":"Too Many Requests","status":429}"#).into()
}

fn status(code: u16) -> Reply {
    Reply::status(code).header("Content-Type", PROBLEM_JSON).body("{}").into()
}

fn http_date(t: SystemTime) -> String {
    httpdate::fmt_http_date(t)
}

/// A server answering `script` in order, then 200s.
async fn scripted(script: Vec<Reply>) -> RawServer {
    RawServer::start(move |req: &Request| script.get(req.index).cloned().unwrap_or_else(ok)).await
}

fn exact_client(server: &RawServer) -> Client {
    builder_of(server.base_url())
        .retry_policy(RetryPolicy::default().with_jitter(false))
        .build()
        .expect("client")
}

/// The gaps between the arrivals of consecutive requests, in virtual time.
fn gaps(server: &RawServer) -> Vec<Duration> {
    let at: Vec<Instant> = server.requests().iter().map(|r| r.at).collect();
    at.windows(2).map(|w| w[1] - w[0]).collect()
}

fn secs(d: &[Duration]) -> Vec<f64> {
    d.iter().map(|d| (d.as_secs_f64() * 10.0).round() / 10.0).collect()
}

/// Runs one `usage()` call against `script`: its result, the server, and the client's stats.
async fn run(script: Vec<Reply>) -> (Result<i64, Error>, RawServer, ClientStats) {
    let server = scripted(script).await;
    let client = exact_client(&server);
    let result = client.usage().send().await.map(|u| u.cloud_units_used.unwrap_or(0));
    (result, server, client.stats())
}

fn within(gap: Duration, low: u64, high: u64) -> bool {
    gap >= Duration::from_secs(low) && gap <= Duration::from_secs(high)
}

#[tokio::test(start_paused = true)]
async fn retries_after_the_reset_header_measured_against_the_date_header() {
    let reset = epoch_now() + 7;
    let (result, server, stats) = run(vec![too_many(&[
        ("Date", http_date(SystemTime::now())),
        ("x-organization-rate-limit-reset", reset.to_string()),
    ])])
    .await;
    assert_eq!(result.expect("success after retry"), 42);
    assert_eq!(server.count(), 2);
    let gap = gaps(&server)[0];
    assert!(within(gap, 6, 8), "{gap:?}");
    assert_eq!((stats.rate_limited, stats.retries, stats.after_rate_limit.count), (1, 1, 1));
}

#[tokio::test(start_paused = true)]
async fn retries_after_retry_after_seconds() {
    let (result, server, _) = run(vec![too_many(&[("Retry-After", "3".into())])]).await;
    assert_eq!((result.expect("ok"), server.count()), (42, 2));
    assert_eq!(secs(&gaps(&server)), vec![3.0]);
}

#[tokio::test(start_paused = true)]
async fn retries_after_retry_after_as_an_http_date() {
    let now = SystemTime::now();
    let (result, server, _) = run(vec![too_many(&[
        ("Date", http_date(now)),
        ("Retry-After", http_date(now + Duration::from_secs(5))),
    ])])
    .await;
    assert_eq!((result.expect("ok"), server.count()), (42, 2));
    assert_eq!(secs(&gaps(&server)), vec![5.0]);
}

#[tokio::test(start_paused = true)]
async fn with_both_headers_the_later_one_wins() {
    let (result, server, _) = run(vec![too_many(&[
        ("Date", http_date(SystemTime::now())),
        ("Retry-After", "2".into()),
        ("x-organization-rate-limit-reset", (epoch_now() + 9).to_string()),
    ])])
    .await;
    assert_eq!(result.expect("ok"), 42);
    assert!(within(gaps(&server)[0], 8, 10), "{:?}", gaps(&server));
}

#[tokio::test(start_paused = true)]
async fn a_reset_header_the_spec_does_not_document_is_not_read() {
    // The instant-test window's header belongs to other APIs: the Usage API's spec documents
    // only the organization's window. Without a header it reads, the client backs off.
    let (result, server, _) = run(vec![too_many(&[
        ("Date", http_date(SystemTime::now())),
        ("x-instant-test-rate-limit-reset", (epoch_now() + 4).to_string()),
    ])])
    .await;
    assert_eq!(result.expect("ok"), 42);
    assert_eq!(secs(&gaps(&server)), vec![0.5], "the first backoff");
}

#[tokio::test(start_paused = true)]
async fn without_a_usable_header_it_backs_off_exponentially() {
    for headers in [
        vec![],
        vec![("Retry-After", "soon".to_string()), ("x-organization-rate-limit-reset", "abc".to_string())],
        vec![("x-organization-rate-limit-reset", (epoch_now() - 120).to_string())],
        vec![("x-organization-rate-limit-reset", "0".to_string())],
        vec![("x-organization-rate-limit-reset", "-1".to_string())],
    ] {
        let (result, server, _) = run(vec![too_many(&headers), too_many(&headers)]).await;
        assert_eq!(result.expect("ok"), 42, "{headers:?}");
        assert_eq!(server.count(), 3, "{headers:?}");
        // The backoffs: 0.5 s, then 1 s, each holding the whole client.
        assert_eq!(secs(&gaps(&server)), vec![0.5, 1.0], "{headers:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_reset_beyond_the_cap_returns_the_error_at_once_with_the_servers_wait() {
    let (result, server, stats) = run(vec![too_many(&[
        ("Date", http_date(SystemTime::now())),
        ("x-organization-rate-limit-reset", (epoch_now() + 1_800).to_string()),
    ])])
    .await;
    let err = result.expect_err("rate limited");
    assert!(err.is_rate_limited());
    let wait = err.retry_after().expect("retry after");
    assert!(wait >= Duration::from_secs(1_790), "{wait:?}");
    assert_eq!(server.count(), 1);
    assert!(stats.waited().is_zero(), "slept {stats:?}");
}

#[tokio::test(start_paused = true)]
async fn after_a_reset_beyond_the_cap_other_calls_fail_fast_without_sending() {
    let server = scripted(vec![too_many(&[
        ("Date", http_date(SystemTime::now())),
        ("x-organization-rate-limit-reset", (epoch_now() + 600).to_string()),
    ])])
    .await;
    let client = exact_client(&server);
    let refused = client.usage().send().await.expect_err("429");
    assert!(refused.is_rate_limited() && refused.as_api().is_some());
    let err = client.clone().usage().send().await.expect_err("held");
    assert!(err.is_rate_limited(), "{err:?}");
    assert!(matches!(err, Error::NotSent { .. }), "{err:?}");
    assert!(err.to_string().contains("not sent") && !err.to_string().contains("HTTP"), "{err}");
    assert!(err.retry_after().expect("retry after") > Duration::from_secs(590));
    assert_eq!(server.count(), 1, "the held call was not sent");
    let stats = client.stats();
    assert!(stats.waited().is_zero(), "nobody slept: {stats:?}");
    assert_eq!(stats.not_sent, 1);
}

#[tokio::test(start_paused = true)]
async fn a_429_seen_by_one_clone_holds_back_the_others_until_the_reset() {
    let server = scripted(vec![too_many(&[
        ("Date", http_date(SystemTime::now())),
        ("x-organization-rate-limit-reset", (epoch_now() + 20).to_string()),
    ])])
    .await;
    let client = exact_client(&server);
    let first = tokio::spawn({
        let client = client.clone();
        async move { client.usage().send().await }
    });
    // Once the 429 is in, a clone that never saw it waits for the same reset before it sends.
    while client.stats().rate_limited == 0 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let other = client.clone().usage().send().await.expect("ok");
    assert_eq!(other.cloud_units_used, Some(42));
    first.await.expect("task").expect("retried after the reset");
    let gaps = gaps(&server);
    assert_eq!(gaps.len(), 2, "{gaps:?}");
    assert!(within(gaps[0], 18, 21), "nothing was sent before the reset: {gaps:?}");
    let stats = client.stats();
    assert_eq!((stats.requests_sent, stats.retries, stats.after_rate_limit.count), (3, 1, 2), "clones share");
    assert!(stats.after_rate_limit.total >= Duration::from_secs(36), "{stats:?}");
}

#[tokio::test(start_paused = true)]
async fn an_oversized_error_body_still_counts_as_the_error_it_is() {
    let big = "x".repeat(200_000);
    let server = scripted(vec![Reply::status(429)
        .header("Retry-After", "7")
        .header("Content-Type", "text/html")
        .body(big.clone())
        .into()])
    .await;
    let client = builder_of(server.base_url())
        .retry_policy(RetryPolicy::default().with_jitter(false))
        .max_body_bytes(64 * 1024)
        .build()
        .expect("client");
    assert_eq!(client.usage().send().await.expect("ok").cloud_units_used, Some(42));
    assert_eq!(server.count(), 2);
    assert_eq!(secs(&gaps(&server)), vec![7.0], "the 429's Retry-After was honoured");

    let server =
        scripted(vec![Reply::status(404).header("Content-Type", "text/html").body(big).into()]).await;
    let client = builder_of(server.base_url()).max_body_bytes(64 * 1024).build();
    let err = client.expect("client").usage().send().await.expect_err("404");
    assert_eq!(err.status(), Some(404), "{err:?}");
}

#[tokio::test(start_paused = true)]
async fn a_503_is_retried_no_sooner_than_its_retry_after_and_not_at_all_beyond_max_wait() {
    let (result, server, _) = run(vec![Reply::status(503).header("Retry-After", "7").into(), ok()]).await;
    result.expect("the retry succeeds");
    assert_eq!(secs(&gaps(&server)), vec![7.0], "the server's 7 s, not the 0.5 s backoff");

    let (result, server, _) = run(vec![Reply::status(503).header("Retry-After", "120").into(), ok()]).await;
    let err = result.expect_err("120 s is beyond max_wait");
    assert_eq!((err.status(), err.retry_after()), (Some(503), Some(Duration::from_secs(120))));
    assert_eq!(server.count(), 1, "not retried");
}

#[tokio::test(start_paused = true)]
async fn a_503_reports_only_its_own_retry_after() {
    let server = scripted(vec![Reply::status(503)
        .header("x-organization-rate-limit-reset", (epoch_now() + 44).to_string())
        .into()])
    .await;
    let client = builder_of(server.base_url()).retry_policy(RetryPolicy::disabled()).build().expect("client");
    let err = client.usage().send().await.expect_err("503");
    assert_eq!(err.status(), Some(503));
    assert_eq!(err.retry_after(), None, "the window reset is not a 503's retry time");
}

#[tokio::test(start_paused = true)]
async fn a_reset_in_the_year_3000_or_in_milliseconds_is_not_believed_and_backoff_applies() {
    let millis = (epoch_now() * 1000 + 30_000).to_string();
    for reset in ["32503680000".to_string(), millis] {
        let (result, server, _) =
            run(vec![too_many(&[("x-organization-rate-limit-reset", reset.clone())])]).await;
        assert_eq!(result.expect("success after backoff"), 42, "{reset}");
        assert_eq!(secs(&gaps(&server)), vec![0.5], "{reset}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_skewed_client_clock_does_not_change_the_wait() {
    for skew in [-300_i64, 300] {
        // The server's clock (Date) is `skew` seconds off ours; its reset is 6 s after its now.
        let server_now = epoch_now() as i64 + skew;
        let date = UNIX_EPOCH + Duration::from_secs(server_now as u64);
        let (result, server, _) = run(vec![too_many(&[
            ("Date", http_date(date)),
            ("x-organization-rate-limit-reset", (server_now + 6).to_string()),
        ])])
        .await;
        assert_eq!(result.expect("ok"), 42);
        assert!(within(gaps(&server)[0], 5, 7), "skew {skew}: {:?}", gaps(&server));
    }
}

#[tokio::test(start_paused = true)]
async fn attempts_exhausted_returns_the_rate_limited_error() {
    let storm = vec![too_many(&[("Retry-After", "1".into())]); 10];
    let (result, server, _) = run(storm).await;
    let err = result.expect_err("rate limited");
    assert!(err.is_rate_limited());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(1)));
    assert_eq!(server.count(), 5, "the default policy makes 5 attempts");
}

#[tokio::test(start_paused = true)]
async fn a_post_answered_429_is_retried() {
    let server = scripted(vec![too_many(&[("Retry-After", "2".into())]), Reply::status(204).into()]).await;
    exact_client(&server).unassign_organization_quotas().organization("1001").send().await.expect("ok");
    assert_eq!(server.count(), 2);
    assert!(server.requests().iter().all(|r| r.method == "POST" && r.path() == "/v7/quotas/unassign"));
    assert_eq!(secs(&gaps(&server)), vec![2.0]);
}

#[tokio::test(start_paused = true)]
async fn a_post_answered_503_is_never_sent_twice() {
    let server = scripted(vec![status(503)]).await;
    let err =
        exact_client(&server).assign_organization_quotas().quota("1001", 5).send().await.expect_err("503");
    assert_eq!(err.status(), Some(503));
    assert_eq!(server.count(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_get_answered_503_is_retried_with_backoff() {
    let (result, server, stats) = run(vec![status(503), status(502)]).await;
    assert_eq!(result.expect("ok"), 42);
    assert_eq!(server.count(), 3);
    assert_eq!(secs(&gaps(&server)), vec![0.5, 1.0]);
    assert_eq!(stats.retry_backoff.count, 2);
}

#[tokio::test(start_paused = true)]
async fn a_5xx_storm_longer_than_the_budget_returns_the_last_error() {
    let (result, server, _) = run(vec![status(500); 10]).await;
    assert_eq!(result.expect_err("500").status(), Some(500));
    assert_eq!(server.count(), 3, "the default policy makes 3 attempts on transient failures");
}

#[tokio::test(start_paused = true)]
async fn other_4xx_are_never_retried() {
    for code in [400, 401, 403, 404, 409] {
        let (result, server, stats) = run(vec![status(code)]).await;
        assert_eq!(result.expect_err("error").status(), Some(code));
        assert_eq!(server.count(), 1, "{code}");
        assert!(stats.waited().is_zero());
    }
}

#[tokio::test(start_paused = true)]
async fn a_get_that_times_out_is_retried() {
    let slow = Reply::raw(Vec::new())
        .then_sleep(Duration::from_secs(3))
        .then_write(Reply::status(200).header("Content-Type", HAL_JSON).body(r#"{"quotas":[]}"#).to_bytes());
    let server = RawServer::start(move |_| slow.clone()).await;
    let client = builder_of(server.base_url())
        .request_timeout(Duration::from_millis(300))
        .retry_policy(RetryPolicy::default().with_jitter(false).with_transient_attempts(2))
        .build()
        .expect("client");
    let started = Instant::now();
    let err = client.quotas().send().await.expect_err("timeout");
    assert!(matches!(err, Error::Timeout { operation: "getQuotas", connecting: false, .. }), "{err:?}");
    assert_eq!(server.count(), 2, "one retry after the first timeout");
    assert_eq!(secs(&gaps(&server)), vec![0.8], "a 300 ms timeout, then a 500 ms backoff");
    assert_eq!(started.elapsed(), Duration::from_millis(1_100), "the timeout bounded both attempts");
}

#[tokio::test(start_paused = true)]
async fn a_retry_in_the_middle_of_a_listing_neither_restarts_it_nor_duplicates_items() {
    let limited_once = Arc::new(Mutex::new(false));
    let server = RawServer::start(move |req: &Request| match req.query("cursor").as_deref() {
        None => Reply::status(200)
            .header("Content-Type", HAL_JSON)
            .json(&support::page_body(
                (0..3).map(support::test_units_item).collect(),
                Some("/v7/usage/units/tests?cursor=two"),
            ))
            .into(),
        Some("two") if !std::mem::replace(&mut *limited_once.lock().expect("flag"), true) => {
            too_many(&[("Retry-After", "1".into())])
        }
        Some(_) => Reply::status(200)
            .header("Content-Type", HAL_JSON)
            .json(&support::page_body((3..5).map(support::test_units_item).collect(), None))
            .into(),
    })
    .await;
    let items = exact_client(&server).test_units().collect_all().await.expect("items");
    let ids: Vec<_> = items.iter().filter_map(|t| t.test_id.clone()).collect();
    assert_eq!(ids, vec!["100000", "100001", "100002", "100003", "100004"]);
    assert_eq!(server.count(), 3, "page 1 once, page 2 twice");
}

#[tokio::test(start_paused = true)]
async fn remaining_zero_holds_the_next_request_until_the_reset() {
    let reply: Reply = Reply::status(200)
        .header("Content-Type", HAL_JSON)
        .header("Date", http_date(SystemTime::now()))
        .header("x-organization-rate-limit-remaining", "0")
        .header("x-organization-rate-limit-reset", (epoch_now() + 30).to_string())
        .body(r#"{"quotas":[]}"#)
        .into();
    let server = RawServer::start(move |_| reply.clone()).await;
    let client = exact_client(&server);
    client.quotas().send().await.expect("first");
    assert!(client.stats().waited().is_zero(), "the first request is not held");
    client.clone().quotas().send().await.expect("second");
    assert!(within(gaps(&server)[0], 27, 31), "{:?}", gaps(&server));
    assert_eq!(client.stats().window_used_up.count, 1);
    assert_eq!(client.rate_limit().remaining, Some(0));
}

#[tokio::test(start_paused = true)]
async fn an_answer_from_the_next_window_ends_the_wait_for_the_last() {
    let used_up = Reply::status(200)
        .header("Content-Type", HAL_JSON)
        .header("x-organization-rate-limit-remaining", "0")
        .header("x-organization-rate-limit-reset", (epoch_now() + 30).to_string())
        .body(OK_BODY)
        .into();
    let fresh = Reply::status(200)
        .header("Content-Type", HAL_JSON)
        .header("x-organization-rate-limit-remaining", "239")
        .header("x-organization-rate-limit-reset", (epoch_now() + 90).to_string())
        .body(OK_BODY)
        .into();
    let server = scripted(vec![used_up, fresh]).await;
    let client = exact_client(&server);
    client.usage().send().await.expect("1");
    client.usage().send().await.expect("2: held until the reset, answered from the next window");
    client.usage().send().await.expect("3: not held");
    assert_eq!(client.stats().window_used_up.count, 1, "{:?}", client.stats());
    assert_eq!(gaps(&server)[1], Duration::ZERO, "the third call went at once");
}

/// Twenty tasks share one client; the server answers the first request 429 with a reset two
/// seconds ahead, and keeps answering 429 until then. Until that reset the server may see only
/// requests that were already in flight (at most one per task), and every task still gets its
/// data.
#[tokio::test(start_paused = true)]
async fn twenty_tasks_hitting_a_429_hold_back_until_the_reset() {
    let start = (SystemTime::now(), Instant::now());
    let server_epoch = move || start.0 + (Instant::now() - start.1);
    let reset_at: Arc<Mutex<Option<u64>>> = Arc::default();
    let reset_in = Arc::clone(&reset_at);
    let server = RawServer::start(move |_req: &Request| {
        let now = server_epoch();
        let now_secs = now.duration_since(UNIX_EPOCH).expect("clock").as_secs();
        let mut reset = reset_in.lock().expect("reset");
        let reset = *reset.get_or_insert(now_secs + 2);
        if now_secs < reset {
            too_many(&[("Date", http_date(now)), ("x-organization-rate-limit-reset", reset.to_string())])
        } else {
            ok()
        }
    })
    .await;
    let client = client_of(server.base_url());
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
    let requests = server.requests();
    let first = requests[0].at;
    let reset = *reset_at.lock().expect("reset");
    let reset_in_virtual = Duration::from_secs(reset.expect("a 429"))
        - (start.0 + (first - start.1)).duration_since(UNIX_EPOCH).expect("clock");
    let in_window = requests.iter().filter(|r| r.at > first && r.at - first < reset_in_virtual).count();
    assert!(in_window <= 20, "{in_window} requests between the first 429 and the reset");
    assert_eq!(requests.len() - client.stats().rate_limited as usize, 60);
}

#[tokio::test(start_paused = true)]
async fn a_per_request_policy_overrides_the_clients() {
    let server = scripted(vec![status(503); 10]).await;
    let err =
        exact_client(&server).usage().retry_policy(RetryPolicy::disabled()).send().await.expect_err("503");
    assert_eq!(err.status(), Some(503));
    assert_eq!(server.count(), 1);
}
