//! `Retry-After` in every form RFC 9110 makes recipients accept: delta-seconds, IMF-fixdate,
//! and the obsolete RFC 850 and asctime dates, each measured against the answer's `Date` (so the
//! local clock does not matter); and a wait longer than the policy's `max_wait` (more than an
//! hour, even), which the client must give up on at once, reporting the server's figure.
//!
//! All on paused time: the delay between attempts is read from the server's arrival times.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;
use thousandeyes_usage::{Error, RetryPolicy};
use thousandeyes_usage_tests::raw::{RawServer, Reply};
use thousandeyes_usage_tests::support::{builder_of, client_of};

use crate::usage_json;

/// The server's clock in these tests (a Wednesday: the weekday is part of every form).
fn server_date() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 11, 6, 8, 49, 37).single().expect("a valid date")
}

/// IMF-fixdate: `Wed, 06 Nov 2024 08:49:37 GMT`.
fn imf_fixdate(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// RFC 850: `Wednesday, 06-Nov-24 08:49:37 GMT`.
fn rfc850(t: DateTime<Utc>) -> String {
    t.format("%A, %d-%b-%y %H:%M:%S GMT").to_string()
}

/// asctime: `Wed Nov  6 08:49:37 2024` (the day padded with a space).
fn asctime(t: DateTime<Utc>) -> String {
    t.format("%a %b %e %H:%M:%S %Y").to_string()
}

/// A 429 dated [`server_date`], asking for `retry_after`.
fn too_many(retry_after: &str) -> Reply {
    Reply::status(429)
        .header("Date", imf_fixdate(server_date()))
        .header("Retry-After", retry_after)
        .header("Content-Type", "application/problem+json")
        .json(&json!({"title": "Too Many Requests", "status": 429}))
        .into()
}

fn ok() -> Reply {
    Reply::status(200).header("Content-Type", "application/hal+json").json(&usage_json()).into()
}

/// One `GET /usage` against a 429 asking for `retry_after`, then a 200: the delay between the
/// two attempts, as the server saw them.
async fn delay_before_retry(retry_after: &str) -> Duration {
    let server = RawServer::script(vec![too_many(retry_after), ok()]).await;
    let usage = client_of(server.base_url()).usage().send().await.expect("success after one retry");
    assert_eq!(usage.cloud_units_used, Some(42));
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "one 429, one retry");
    requests[1].at - requests[0].at
}

/// The retry waited for the 3 s asked for: at least that, plus at most a little jitter.
fn assert_waited_three_seconds(form: &str, retry_after: &str, delay: Duration) {
    assert!(
        delay >= Duration::from_secs(3) && delay <= Duration::from_millis(4_500),
        "Retry-After {retry_after:?} ({form}, 3 s after the answer's Date) was retried after {delay:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn retry_after_as_rfc_850_date_is_waited_for() {
    let retry_after = rfc850(server_date() + chrono::Duration::seconds(3));
    let delay = delay_before_retry(&retry_after).await;
    assert_waited_three_seconds("RFC 850", &retry_after, delay);
}

#[tokio::test(start_paused = true)]
async fn retry_after_as_asctime_date_is_waited_for() {
    let retry_after = asctime(server_date() + chrono::Duration::seconds(3));
    let delay = delay_before_retry(&retry_after).await;
    assert_waited_three_seconds("asctime", &retry_after, delay);
}

#[tokio::test(start_paused = true)]
async fn retry_after_as_imf_fixdate_is_waited_for() {
    let retry_after = imf_fixdate(server_date() + chrono::Duration::seconds(3));
    let delay = delay_before_retry(&retry_after).await;
    assert_waited_three_seconds("IMF-fixdate", &retry_after, delay);
}

#[tokio::test(start_paused = true)]
async fn retry_after_as_delta_seconds_is_waited_for() {
    let delay = delay_before_retry("3").await;
    assert_waited_three_seconds("delta-seconds", "3", delay);
}

#[tokio::test(start_paused = true)]
async fn retry_after_in_every_date_form_is_reported_when_giving_up() {
    let in_three = server_date() + chrono::Duration::seconds(3);
    let mut wrong = Vec::new();
    for (form, retry_after) in [
        ("IMF-fixdate", imf_fixdate(in_three)),
        ("RFC 850", rfc850(in_three)),
        ("asctime", asctime(in_three)),
    ] {
        let server = RawServer::script(vec![too_many(&retry_after)]).await;
        let client =
            builder_of(server.base_url()).retry_policy(RetryPolicy::disabled()).build().expect("client");
        let err = client.usage().send().await.expect_err("429 with retries disabled");
        assert!(err.is_rate_limited(), "{err:?}");
        let reported = err.retry_after();
        if !reported.is_some_and(|d| d >= Duration::from_millis(2_500) && d <= Duration::from_millis(3_500)) {
            wrong.push(format!("{form} {retry_after:?}: retry_after() = {reported:?}"));
        }
    }
    assert!(wrong.is_empty(), "3 s asked for, not reported:\n{}", wrong.join("\n"));
}

/// A 429 asking for two hours (more than `max_wait`, and more than an hour): exactly one
/// request, and the error carries the server's figure.
async fn gives_up_at_once_on(retry_after: &str) {
    let server = RawServer::script(vec![too_many(retry_after)]).await;
    let err = client_of(server.base_url()).usage().send().await.expect_err("a two-hour wait is not waited");
    assert!(err.is_rate_limited(), "{err:?}");
    assert_eq!(server.count(), 1, "Retry-After {retry_after:?}: the client sent {} requests", server.count());
    let reported = err.retry_after();
    assert!(
        reported.is_some_and(|d| d >= Duration::from_secs(7_100) && d <= Duration::from_secs(7_300)),
        "Retry-After {retry_after:?}: retry_after() = {reported:?}, expected about 7200 s"
    );
}

#[tokio::test(start_paused = true)]
async fn retry_after_of_two_hours_gives_up_after_one_request_with_the_servers_figure() {
    gives_up_at_once_on("7200").await;
}

#[tokio::test(start_paused = true)]
async fn retry_after_date_two_hours_past_the_servers_date_gives_up_after_one_request() {
    gives_up_at_once_on(&imf_fixdate(server_date() + chrono::Duration::hours(2))).await;
}

/// A wait over `max_wait` but under an hour gives up at once with the figure.
#[tokio::test(start_paused = true)]
async fn retry_after_beyond_max_wait_gives_up_after_one_request_with_the_servers_figure() {
    let server = RawServer::script(vec![too_many("120")]).await;
    let err = client_of(server.base_url()).usage().send().await.expect_err("a 120 s wait is beyond max_wait");
    assert!(matches!(&err, Error::Api(api) if api.status() == 429), "{err:?}");
    assert_eq!(server.count(), 1);
    let reported = err.retry_after();
    assert!(
        reported.is_some_and(|d| d >= Duration::from_secs(115) && d <= Duration::from_secs(125)),
        "{reported:?}"
    );
}
