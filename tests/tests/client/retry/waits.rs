//! Waits between attempts at their edges: `Retry-After` beyond a u64, zero, negative or garbage;
//! no single wait longer than `max_wait`; `max_wait` zero while spreading; huge durations.

use std::time::Duration;

use crate::{figures, ok_with, too_many_with, ServerClock};
use thousandeyes_usage::RetryPolicy;
use thousandeyes_usage_tests::raw::{RawServer, Reply, Request};
use thousandeyes_usage_tests::support::{builder_of, client_of};
use tokio::time::Instant;

// ---------------------------------------------------------------------------------------------
// Retry-After and waits.

/// "Retry-After is believed at any length (it is capped at a week): one longer than max_wait
/// gives up at once". RFC 9110's delta-seconds is `1*DIGIT`, with no bound; a value past what a
/// u64 holds is the longest wait there is (RFC 9111 §1.2.2: take the greatest integer it can
/// represent), not no wait at all. Also u64::MAX and a date in year 9999, for comparison.
#[tokio::test(start_paused = true)]
async fn retry_after_beyond_u64_gives_up_after_one_request() {
    let mut failures = Vec::new();
    for value in [
        "99999999999999999999",
        "18446744073709551616",
        "18446744073709551615",
        "Fri, 31 Dec 9999 23:59:59 GMT",
    ] {
        let v = value.to_string();
        let server = RawServer::start(move |req: &Request| {
            if req.index < 5 {
                too_many_with(vec![("Retry-After".into(), v.clone())])
            } else {
                ok_with(Vec::new())
            }
        })
        .await;
        let result = client_of(server.base_url()).usage().send().await;
        let week = Duration::from_secs(7 * 86_400 - 1);
        match result {
            Err(e) if server.count() == 1 && e.retry_after().is_some_and(|w| w >= week) => {}
            other => failures.push(format!(
                "Retry-After: {value}: {} requests sent, retry_after {:?}, {}",
                server.count(),
                other.as_ref().err().and_then(|e| e.retry_after()),
                match &other {
                    Ok(_) => "then succeeded".to_string(),
                    Err(e) => e.to_string(),
                }
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Retry-After of 0, negative, garbage, a date in the past: backoff, bounded attempts, never
/// hammering (each gap at least half the initial backoff), each wait within max_wait.
#[tokio::test(start_paused = true)]
async fn retry_after_zero_negative_or_garbage_backs_off_within_bounds() {
    for value in ["0", "-1", "-99999999999999999999", "soon", "", "1.5", "Thu, 01 Jan 1970 00:00:00 GMT"] {
        let v = value.to_string();
        let server =
            RawServer::start(move |_: &Request| too_many_with(vec![("Retry-After".into(), v.clone())])).await;
        let client = client_of(server.base_url());
        let err = client.usage().send().await.expect_err("always 429");
        assert!(err.is_rate_limited(), "{value:?}: {err:?}");
        let at: Vec<Instant> = server.requests().iter().map(|r| r.at).collect();
        assert_eq!(at.len(), 5, "Retry-After {value:?}: five attempts");
        for gap in at.windows(2).map(|w| w[1] - w[0]) {
            assert!(
                gap >= Duration::from_millis(250) && gap <= Duration::from_secs(60),
                "Retry-After {value:?}: gap {gap:?}"
            );
        }
    }
}

/// "A single wait between attempts is at most max_wait (60 s)": a Retry-After of exactly
/// max_wait is waited for (it is not longer than max_wait), but the jitter added to it must not
/// take the wait past max_wait.
#[tokio::test(start_paused = true)]
async fn a_single_wait_is_never_longer_than_max_wait() {
    let server = RawServer::script(vec![
        too_many_with(vec![("Retry-After".into(), "60".into())]),
        ok_with(Vec::new()),
    ])
    .await;
    let client = client_of(server.base_url());
    client.usage().send().await.expect("retried after 60 s");
    let requests = server.requests();
    let gap = requests[1].at - requests[0].at;
    assert!(
        gap <= Duration::from_secs(60) + Duration::from_millis(2),
        "the wait between attempts was {gap:?}, max_wait 60 s"
    );
}

/// `with_max_wait(Duration::ZERO)` ("never wait"): spreading waits are "never longer than a
/// policy's longest wait at a time", so each is zero; the call must still come to its slot.
/// On paused time (what the README recommends for tests, with the fake) a zero sleep is ready
/// at once, so a client that re-asks the pacer after each zero wait never lets virtual time
/// advance: the call hangs, spinning. The probe gives it three seconds of real time (a thread
/// and a oneshot channel: no timer, since virtual time is what is stuck), then drops it.
#[tokio::test(start_paused = true)]
async fn max_wait_zero_does_not_hang_while_spreading() {
    let clock = ServerClock::new();
    let reset = clock.after(3);
    let server = RawServer::start(move |req: &Request| {
        let mut headers = figures(240, 3u64.saturating_sub(req.index as u64), reset);
        headers.push(("Date".into(), clock.date(req.at, 0)));
        ok_with(headers)
    })
    .await;
    let client = builder_of(server.base_url())
        .retry_policy(RetryPolicy::default().with_max_wait(Duration::ZERO))
        .build()
        .expect("client");
    client.usage().send().await.expect("first call");
    client.usage().send().await.expect("second call, first slot");
    let (deadline, expired) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(3));
        let _ = deadline.send(());
    });
    let asked = Instant::now();
    let third = tokio::select! {
        r = client.usage().send() => Some(r),
        _ = expired => None,
    };
    let stats = client.stats();
    assert!(
        matches!(third, Some(Ok(_))),
        "the third call, waiting for a spreading slot about a second away, had not finished after 3 s \
         of real time; virtual time advanced {:?}; the client had looked at the pacer {} times ({:?})",
        asked.elapsed(),
        stats.spreading.count,
        third
    );
}

/// Timeouts and waits at the edge of what a Duration holds: no panic.
#[tokio::test(start_paused = true)]
async fn huge_durations_do_not_panic() {
    let server = RawServer::start(|req: &Request| match req.index {
        0 => too_many_with(vec![("Retry-After".into(), "2".into())]),
        1 => Reply::status(503).into(),
        _ => ok_with(Vec::new()),
    })
    .await;
    let client = builder_of(server.base_url())
        .request_timeout(Duration::MAX)
        .connect_timeout(Duration::MAX)
        .retry_policy(
            RetryPolicy::default()
                .with_max_wait(Duration::MAX)
                .with_initial_backoff(Duration::MAX)
                .with_rate_limited_attempts(u32::MAX),
        )
        .max_body_bytes(usize::MAX)
        .build()
        .expect("client");
    client.usage().send().await.expect("a 429, a 503, then a 200");
}
