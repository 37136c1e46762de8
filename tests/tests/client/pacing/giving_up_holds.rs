//! Once the client gives up on 429s (attempts exhausted, or a wait beyond `max_wait`), later
//! calls of the client, of any operation and on any clone, fail with the rate-limited error
//! without being sent, until the reset the server named; after it, they are sent again.
//!
//! All on paused time: "later" and "after the reset" are virtual seconds.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;
use thousandeyes_usage::{Client, Error, RetryPolicy};
use thousandeyes_usage_tests::raw::{RawServer, Reply};
use thousandeyes_usage_tests::support::{builder_of, client_of};
use tokio::time::Instant;

use crate::usage_json;

fn ok() -> Reply {
    Reply::status(200).header("Content-Type", "application/hal+json").json(&usage_json()).into()
}

fn too_many(headers: &[(&str, String)]) -> Reply {
    let mut response = Reply::status(429).header("Content-Type", "application/problem+json");
    for (name, value) in headers {
        response = response.header(*name, value.as_str());
    }
    response.json(&json!({"title": "Too Many Requests", "status": 429})).into()
}

/// A call that must fail as rate limited without reaching the server (which has seen `sent`
/// requests so far); returns its `retry_after()`.
async fn held_unsent(
    what: &str,
    call: impl std::future::Future<Output = Result<(), Error>>,
    server: &RawServer,
    sent: usize,
) -> Option<Duration> {
    let result = call.await;
    assert_eq!(
        server.count(),
        sent,
        "{what}: sent to the server although the client had given up until the reset"
    );
    let Err(err) = result else {
        panic!("{what}: succeeded although the client had given up until the reset")
    };
    assert!(err.is_rate_limited(), "{what}: {err:?}");
    err.retry_after()
}

async fn usage(client: &Client) -> Result<(), Error> {
    client.usage().send().await.map(|_| ())
}

async fn quotas(client: &Client) -> Result<(), Error> {
    client.quotas().send().await.map(|_| ())
}

/// The common course: the first call gives up after two 429s whose reset is `reset_after` from
/// their arrival; the next calls (same client, another operation, a clone) fail unsent with
/// a `retry_after()` no longer than that; once the reset has passed, a call is sent again.
async fn hold_until_reset(server: &RawServer, reset_after: Duration) {
    let client = builder_of(server.base_url())
        .retry_policy(RetryPolicy::default().with_rate_limited_attempts(2))
        .build()
        .expect("client");
    let clone = client.clone();

    let err = client.usage().send().await.expect_err("two 429s exhaust two attempts");
    assert!(err.is_rate_limited(), "{err:?}");
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "rate_limited_attempts(2)");
    let gap = requests[1].at - requests[0].at;
    assert!(gap >= reset_after, "the retry came {gap:?} after the first 429, before its reset");

    let longest = reset_after + reset_after / 5;
    for (what, retry_after) in [
        ("the next call", held_unsent("the next call", usage(&client), server, 2).await),
        ("another operation", held_unsent("another operation", quotas(&client), server, 2).await),
        ("a clone", held_unsent("a clone", usage(&clone), server, 2).await),
    ] {
        assert!(
            retry_after.is_some_and(|d| !d.is_zero() && d <= longest),
            "{what}: retry_after() = {retry_after:?}, expected what remains of {reset_after:?}"
        );
    }

    tokio::time::sleep(reset_after + Duration::from_secs(1)).await;
    client.usage().send().await.expect("after the reset, calls are sent again and succeed");
    assert_eq!(server.count(), 3);
}

#[tokio::test(start_paused = true)]
async fn after_attempts_run_out_on_retry_after_later_calls_fail_unsent_until_the_reset() {
    let server =
        RawServer::start(|req| if req.index < 2 { too_many(&[("Retry-After", "2".into())]) } else { ok() })
            .await;
    hold_until_reset(&server, Duration::from_secs(2)).await;
}

#[tokio::test(start_paused = true)]
async fn after_attempts_run_out_on_the_organization_reset_later_calls_fail_unsent_until_the_reset() {
    // The server's clock runs with the runtime's: each answer is dated by its arrival, and each
    // 429 names a reset 2 s after its own date.
    let epoch: DateTime<Utc> = Utc.with_ymd_and_hms(2024, 11, 6, 8, 49, 37).single().expect("date");
    let started = Instant::now();
    let server = RawServer::start(move |req| {
        let date = epoch + chrono::Duration::from_std(req.at - started).expect("elapsed");
        let date = date - chrono::Duration::nanoseconds(date.timestamp_subsec_nanos().into());
        if req.index < 2 {
            too_many(&[
                ("Date", date.format("%a, %d %b %Y %H:%M:%S GMT").to_string()),
                ("x-organization-rate-limit-limit", "240".into()),
                ("x-organization-rate-limit-remaining", "0".into()),
                ("x-organization-rate-limit-reset", (date.timestamp() + 2).to_string()),
            ])
        } else {
            ok()
        }
    })
    .await;
    hold_until_reset(&server, Duration::from_secs(2)).await;
}

#[tokio::test(start_paused = true)]
async fn after_a_wait_beyond_max_wait_later_calls_and_clones_fail_unsent() {
    let server = RawServer::script(vec![too_many(&[("Retry-After", "120".into())]), ok()]).await;
    let client = client_of(server.base_url());
    let err = client.usage().send().await.expect_err("120 s is beyond max_wait");
    assert!(err.is_rate_limited(), "{err:?}");
    assert_eq!(server.count(), 1);
    for (what, retry_after) in [
        ("the next call", held_unsent("the next call", usage(&client), &server, 1).await),
        ("a clone", held_unsent("a clone", usage(&client.clone()), &server, 1).await),
    ] {
        assert!(
            retry_after.is_some_and(|d| d > Duration::from_secs(100) && d <= Duration::from_secs(125)),
            "{what}: retry_after() = {retry_after:?}"
        );
    }
}

/// The hold is timed on tokio's clock, like every wait: on paused time it passes with the reset.
#[tokio::test(start_paused = true)]
async fn the_hold_after_a_wait_beyond_max_wait_ends_when_the_reset_passes() {
    let server = RawServer::script(vec![too_many(&[("Retry-After", "120".into())]), ok()]).await;
    let client = client_of(server.base_url());
    client.usage().send().await.expect_err("120 s is beyond max_wait");
    tokio::time::sleep(Duration::from_secs(125)).await;
    client.usage().send().await.expect("after the reset, calls are sent again and succeed");
    assert_eq!(server.count(), 2);
}

#[tokio::test(start_paused = true)]
async fn after_a_retry_after_beyond_an_hour_later_calls_and_clones_fail_unsent() {
    // Five 429s, so that the first call fails even with five attempts; then 200s.
    let mut script = vec![too_many(&[("Retry-After", "7200".into())]); 5];
    script.push(ok());
    let server = RawServer::script(script).await;
    let client = client_of(server.base_url());
    let err = client.usage().send().await.expect_err("two hours is beyond max_wait");
    assert!(err.is_rate_limited(), "{err:?}");
    // How many the first call sent is retry_after_forms' business; none may follow.
    let sent = server.count();
    held_unsent("the next call", usage(&client), &server, sent).await;
    held_unsent("a clone", quotas(&client.clone()), &server, sent).await;
}

#[tokio::test(start_paused = true)]
async fn after_a_wait_of_days_calls_are_refused_for_an_hour_then_one_is_sent_again() {
    let week = (7 * 24 * 3_600).to_string();
    let server = RawServer::script(vec![too_many(&[("Retry-After", week)]), ok()]).await;
    let client = client_of(server.base_url());
    let err = client.usage().send().await.expect_err("a week is beyond max_wait");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7 * 24 * 3_600)), "the server's figure, whole");
    let refused = held_unsent("the next call", usage(&client), &server, 1).await;
    assert!(refused.is_some_and(|d| d <= Duration::from_secs(3_600)), "{refused:?}");
    tokio::time::sleep(Duration::from_secs(3_601)).await;
    client
        .usage()
        .send()
        .await
        .expect("an hour later, a call is sent to learn whether the server still refuses");
    assert_eq!(server.count(), 2);
}

/// Giving up closes the client that gave up (and its clones). Another client of the same
/// organization in this process shares the rate-limit state: it sees the hold, and waits it out
/// when its own policy allows such a wait.
#[tokio::test(start_paused = true)]
async fn a_client_that_gives_up_closes_itself_not_the_organizations_other_clients() {
    let server = RawServer::script(vec![too_many(&[("Retry-After", "5".into())]), ok()]).await;
    let impatient =
        builder_of(server.base_url()).retry_policy(RetryPolicy::disabled()).build().expect("client");
    let patient = client_of(server.base_url());
    impatient.usage().send().await.expect_err("one attempt only");
    held_unsent("the impatient client's next call", usage(&impatient), &server, 1).await;
    let started = Instant::now();
    patient.usage().send().await.expect("the other client waits out the hold and is sent");
    assert!(started.elapsed() >= Duration::from_secs(5), "it waited for the hold: {:?}", started.elapsed());
    assert_eq!(server.count(), 2);
}
