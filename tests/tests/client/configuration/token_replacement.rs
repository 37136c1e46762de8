//! `Client::set_token`: a rotated token replaces the old one for the client and all its clones,
//! while what the client learned and counted carries on.

use std::time::Duration;

use thousandeyes_usage::{Client, Error, RetryPolicy};
use thousandeyes_usage_fake::{FakeUsageApi, TokenCheck};
use thousandeyes_usage_tests::raw::{RawServer, Reply};
use thousandeyes_usage_tests::support::{self, HAL_JSON};

const OLD: &str = "rotated-away-t0ken-Wm3x";
const NEW: &str = "rotated-in-t0ken-Hc8q";

#[tokio::test]
async fn set_token_on_a_clone_switches_every_clone_and_the_count_carries_on() {
    let fake = FakeUsageApi::builder().token(NEW).start().await;
    let client = Client::builder().token(OLD).base_url(fake.base_url()).build().expect("client");
    let clone = client.clone();
    let err = client.usage().send().await.expect_err("the old token is refused");
    assert_eq!(err.status(), Some(401));
    assert!(!format!("{err} {err:?}").contains(OLD), "{err:?}");
    let figures = client.rate_limit();
    assert!(figures.remaining.is_some(), "the 401 carried rate-limit figures");

    clone.set_token(NEW).expect("a good token");
    assert_eq!(client.rate_limit(), figures, "the rate-limit state is kept");
    client.usage().send().await.expect("the client sends the new token");
    clone.usage().send().await.expect("so does the clone");

    // The fake keeps no token, only whether it was the one it accepts: the old one went once,
    // before set_token, and never again.
    let checks: Vec<TokenCheck> = fake.requests().iter().map(|r| r.token).collect();
    assert_eq!(checks, [TokenCheck::Wrong, TokenCheck::Matched, TokenCheck::Matched]);
    assert_eq!(client.stats().requests_sent, 3);
    assert_eq!(clone.stats().requests_sent, 3);
    assert!(!format!("{client:?}").contains("t0ken"), "{client:?}");
}

#[tokio::test(start_paused = true)]
async fn a_request_in_flight_during_set_token_finishes_with_its_token() {
    let ok = Reply::status(200).header("Content-Type", HAL_JSON).json(&support::usage_body());
    let slow = Reply::raw(Vec::new()).then_sleep(Duration::from_secs(2)).then_write(ok.to_bytes());
    let server = RawServer::script(vec![slow, ok.into()]).await;
    let client = Client::builder().token(OLD).base_url(server.base_url()).build().expect("client");
    let worker = client.clone();
    let in_flight = tokio::spawn(async move { worker.usage().send().await });
    while server.count() == 0 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    client.set_token(NEW).expect("a good token");
    in_flight.await.expect("join").expect("the call in flight succeeds");
    client.usage().send().await.expect("the next call");
    let bearers: Vec<Option<String>> =
        server.requests().iter().map(|r| r.bearer().map(str::to_string)).collect();
    assert_eq!(bearers, [Some(OLD.to_string()), Some(NEW.to_string())]);
}

#[tokio::test(start_paused = true)]
async fn a_retry_sent_after_set_token_carries_the_new_token() {
    let ok = Reply::status(200).header("Content-Type", HAL_JSON).json(&support::usage_body());
    let server = RawServer::script(vec![Reply::status(503).into(), ok.into()]).await;
    let client = Client::builder()
        .token(OLD)
        .base_url(server.base_url())
        .retry_policy(RetryPolicy::default().with_jitter(false))
        .build()
        .expect("client");
    let worker = client.clone();
    let call = tokio::spawn(async move { worker.usage().send().await });
    // The first attempt has reached the server; its retry waits out a backoff of 500 ms.
    while server.count() == 0 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    client.set_token(NEW).expect("a good token");
    call.await.expect("join").expect("the retry succeeds");
    let bearers: Vec<Option<String>> =
        server.requests().iter().map(|r| r.bearer().map(str::to_string)).collect();
    assert_eq!(bearers, [Some(OLD.to_string()), Some(NEW.to_string())]);
    assert_eq!(client.stats().retries, 1);
}

#[tokio::test]
async fn an_old_token_a_server_echoes_after_set_token_stays_redacted() {
    let echo = format!(r#"{{"error":"invalid_token","error_description":"token {OLD} was revoked"}}"#);
    let refused = Reply::status(401).header("Content-Type", "application/json").body(echo);
    let server = RawServer::script(vec![refused.into()]).await;
    let client = Client::builder().token(OLD).base_url(server.base_url()).build().expect("client");
    client.set_token(NEW).expect("a good token");
    let err = client.usage().send().await.expect_err("401");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(OLD) && !shown.contains(NEW), "{shown}");
    assert!(matches!(err, Error::Api(_)), "{err:?}");
    assert_eq!(server.requests()[0].bearer(), Some(NEW));
}
