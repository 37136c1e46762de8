//! Unit tests of `pacing/mod.rs` (the pacer, with its window and server clock), in virtual time.

use std::time::Duration;

use http::{HeaderMap, HeaderValue};

use super::*;
use crate::rate_limit;
use crate::test_support::builder_of;

/// What an answer with these headers reports.
fn headers(pairs: &[(&'static str, String)]) -> Reported {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.insert(*k, HeaderValue::from_str(v).expect("test header"));
    }
    Reported::read(&h)
}

/// An answer's headers: the window's figures, and the server's `Date` at `server_now` (epoch
/// seconds, whole).
fn figures(limit: u64, remaining: u64, reset: u64, server_now: u64) -> Reported {
    let date = httpdate::fmt_http_date(std::time::UNIX_EPOCH + Duration::from_secs(server_now));
    headers(&[
        (rate_limit::LIMIT, limit.to_string()),
        (rate_limit::REMAINING, remaining.to_string()),
        (rate_limit::RESET, reset.to_string()),
        ("date", date),
    ])
}

fn epoch_now(pacer: &Pacer) -> u64 {
    pacer.clock().epoch_at(pacer.clock().now()) as u64
}

/// The oldest request of `pacer` in flight lands.
fn landed(pacer: &Pacer) {
    drop(pacer.landing());
}

fn go(pacer: &Pacer) -> u64 {
    match pacer.decide(&mut None) {
        Decision::Go { seq } => seq,
        other => panic!("expected to go, got {other:?}"),
    }
}

/// A pacer that has sent one request and seen its answer: `remaining` of `limit` calls left in a
/// window resetting `reset_in` seconds from now (on clocks that agree). Returns it and the epoch
/// second it started at.
fn primed(share: f64, limit: u64, remaining: u64, reset_in: u64) -> (Pacer, u64) {
    let pacer = Pacer::new(Clock::new(), share);
    let now = epoch_now(&pacer);
    let t = pacer.clock().now();
    let seq = go(&pacer);
    pacer.observe(&figures(limit, remaining, now + reset_in, now), 200, seq, t, t);
    landed(&pacer);
    (pacer, now)
}

#[tokio::test(start_paused = true)]
async fn with_no_figures_and_with_plenty_left_requests_go_at_once() {
    let pacer = Pacer::new(Clock::new(), 1.0);
    assert_eq!(go(&pacer), 1);
    let now = epoch_now(&pacer);
    let t = pacer.clock().now();
    pacer.observe(&figures(240, 200, now + 30, now), 200, 1, t, t);
    for _ in 0..100 {
        go(&pacer);
    }
}

#[tokio::test(start_paused = true)]
async fn a_used_up_window_holds_until_its_reset_and_the_next_window_releases_it() {
    let pacer = Pacer::new(Clock::new(), 1.0);
    let now = epoch_now(&pacer);
    let t = pacer.clock().now();
    let seq = go(&pacer);
    pacer.observe(&figures(240, 0, now + 30, now), 200, seq, t, t);
    match pacer.decide(&mut None) {
        Decision::Wait { until, reason: Reason::WindowUsedUp } => {
            let wait = until - pacer.clock().now();
            assert!(wait > Duration::from_secs(28) && wait <= Duration::from_secs(31), "{wait:?}");
        }
        other => panic!("{other:?}"),
    }
    // An older answer from the same window changes nothing; one from the next window releases.
    pacer.observe(&figures(240, 5, now + 30, now), 200, 0, t, t);
    assert!(matches!(pacer.decide(&mut None), Decision::Wait { reason: Reason::WindowUsedUp, .. }));
    pacer.observe(&figures(240, 239, now + 90, now), 200, seq, t, t);
    go(&pacer);
}

#[tokio::test(start_paused = true)]
async fn requests_in_flight_count_against_the_figures() {
    // 100 remain: plenty (a quarter of 240 is 60), until 40 more are in flight.
    let (pacer, _) = primed(1.0, 240, 100, 60);
    for _ in 0..40 {
        go(&pacer);
    }
    // 60 usable: still plenty. Below that, spreading, with one request in flight at a time:
    // another waits while these 41 are in flight.
    go(&pacer);
    assert!(matches!(pacer.decide(&mut None), Decision::Wait { reason: Reason::Spreading, .. }));
}

/// Concurrent calls answered microseconds apart (the report's four calls, say) are not a
/// sign that the organization spends calls fast: the next page still goes at once.
#[tokio::test(start_paused = true)]
async fn answers_of_concurrent_calls_landing_together_do_not_start_spreading() {
    let pacer = Pacer::new(Clock::new(), 1.0);
    let now = epoch_now(&pacer);
    let sent = pacer.clock().now();
    let seqs: Vec<u64> = (0..4).map(|_| go(&pacer)).collect();
    tokio::time::advance(Duration::from_millis(100)).await;
    for (i, seq) in seqs.iter().enumerate() {
        let received = pacer.clock().now();
        pacer.observe(&figures(240, 239 - i as u64, now + 60, now), 200, *seq, sent, received);
        landed(&pacer);
        tokio::time::advance(Duration::from_micros(50)).await;
    }
    // 236 of 240 left: plenty. Two pages in flight again, and a third goes too.
    go(&pacer);
    go(&pacer);
    assert!(matches!(pacer.decide(&mut None), Decision::Go { .. }));
}

#[tokio::test(start_paused = true)]
async fn the_lowest_count_of_a_window_wins_whatever_order_answers_arrive_in() {
    let pacer = Pacer::new(Clock::new(), 1.0);
    let now = epoch_now(&pacer);
    let t = pacer.clock().now();
    // The request sent last was counted first: its answer, with the higher count, comes last.
    pacer.observe(&figures(240, 44, now + 30, now), 200, 1, t, t);
    pacer.observe(&figures(240, 58, now + 30, now), 200, 2, t, t);
    assert_eq!(pacer.latest().remaining, Some(44));
}

#[tokio::test(start_paused = true)]
async fn the_last_calls_are_spread_over_the_time_left_one_in_flight_at_a_time() {
    // 10 calls left, 20 s to go: one every 2 s.
    let (pacer, _) = primed(1.0, 240, 10, 20);
    go(&pacer);
    let mut slot = None;
    let Decision::Wait { until, reason: Reason::Spreading } = pacer.decide(&mut slot) else {
        panic!("spread")
    };
    let gap = until - pacer.clock().now();
    assert!(gap > Duration::from_millis(1_500) && gap <= Duration::from_millis(2_100), "{gap:?}");
    // The slot is reserved: a second request gets the one after it.
    let mut second = None;
    let Decision::Wait { until: after, .. } = pacer.decide(&mut second) else { panic!("spread") };
    assert!(after - until > Duration::from_millis(1_500), "{:?}", after - until);
    tokio::time::sleep(gap).await;
    // The slot has come, but the first request is still in flight: not yet.
    assert!(matches!(pacer.decide(&mut slot), Decision::Wait { reason: Reason::Spreading, .. }));
    assert!(slot.is_some(), "the slot is kept while waiting for it");
    landed(&pacer);
    assert!(matches!(pacer.decide(&mut slot), Decision::Go { .. }), "the reserved slot goes");
    assert!(slot.is_none(), "and is used");
}

#[tokio::test(start_paused = true)]
async fn a_share_keeps_a_reserve_of_the_window_untouched() {
    // 130 left of 240 with a reserve of 120: 10 more may go, spread, then the client waits.
    let (pacer, now) = primed(0.5, 240, 130, 30);
    let (mut sent, mut slot) = (0, None);
    loop {
        match pacer.decide(&mut slot) {
            // Each answer says one fewer remains.
            Decision::Go { seq } => {
                sent += 1;
                let t = pacer.clock().now();
                pacer.observe(&figures(240, 130 - sent, now + 30, now), 200, seq, t, t);
                landed(&pacer);
            }
            Decision::Wait { reason: Reason::Spreading, until } => tokio::time::sleep_until(until).await,
            Decision::Wait { reason: Reason::WindowUsedUp, .. } => break,
            other => panic!("{other:?}"),
        }
        assert!(sent <= 10, "more than the share allows");
    }
    assert_eq!(sent, 10);
}

#[tokio::test(start_paused = true)]
async fn resets_are_timed_on_the_servers_clock_when_ours_is_minutes_off() {
    let pacer = Pacer::new(Clock::new(), 1.0);
    let local = epoch_now(&pacer);
    // The server's clock is 5 minutes behind ours; its window resets 7 s after its now.
    let server = local - 300;
    let t = pacer.clock().now();
    let h = figures(240, 0, server + 7, server);
    pacer.observe(&h, 429, go(&pacer), t, t);
    let wait = pacer.server_wait(&h, t).expect("a wait");
    assert!(wait >= Duration::from_secs(6) && wait <= Duration::from_secs(8), "{wait:?}");
}

#[tokio::test(start_paused = true)]
async fn with_agreeing_clocks_the_local_clock_times_the_fractions() {
    let pacer = Pacer::new(Clock::new(), 1.0);
    let clock = *pacer.clock();
    let t = clock.now();
    let local = clock.epoch_at(t);
    let h = figures(240, 0, local.floor() as u64 + 3, local.floor() as u64);
    pacer.observe(&h, 429, go(&pacer), t, t);
    let wait = pacer.server_wait(&h, t).expect("a wait");
    let exact = (local.floor() + 3.0) - local;
    assert!((wait.as_secs_f64() - exact).abs() < 0.01, "{wait:?} vs {exact}");
}

#[tokio::test(start_paused = true)]
async fn a_retry_refused_at_our_reset_teaches_that_our_clock_runs_ahead() {
    let pacer = Pacer::new(Clock::new(), 1.0);
    let clock = *pacer.clock();
    // Halfway through a second of our clock, which runs 0.2 s ahead of the server's: too little
    // for the first `Date` header to show.
    let fraction = clock.epoch_at(clock.now()).fract();
    tokio::time::sleep(Duration::from_secs_f64((1.5 - fraction) % 1.0)).await;
    let t = clock.now();
    let local = clock.epoch_at(t);
    let server = local - 0.2;
    let reset = server.floor() as u64 + 2;
    let h = figures(240, 0, reset, server.floor() as u64);
    pacer.observe(&h, 429, go(&pacer), t, t);
    let wait = pacer.server_wait(&h, t).expect("a wait");
    tokio::time::sleep(wait).await;
    // The retry goes when our clock reads the reset; the server's still reads 0.2 s before it.
    let t = clock.now();
    assert!((clock.epoch_at(t) - reset as f64).abs() < 0.01);
    let h = figures(240, 0, reset, reset - 1);
    pacer.observe(&h, 429, go(&pacer), t, t);
    let wait = pacer.server_wait(&h, t).expect("the next retry waits again for the reset");
    // It waits past the server's reset: not early again.
    assert!(wait >= Duration::from_millis(200) && wait <= Duration::from_secs(1), "{wait:?}");
}

#[tokio::test(start_paused = true)]
async fn holds_are_never_released_early() {
    let pacer = Pacer::new(Clock::new(), 1.0);
    let now = pacer.clock().now();
    pacer.hold_until(now + Duration::from_secs(30));
    pacer.hold_until(now + Duration::from_secs(20));
    assert!(matches!(
        pacer.decide(&mut None),
        Decision::Wait { until, reason: Reason::AfterRateLimit } if until == now + Duration::from_secs(30)
    ));
    tokio::time::sleep(Duration::from_secs(30)).await;
    go(&pacer);
}

#[tokio::test(start_paused = true)]
async fn implausible_resets_are_not_believed() {
    let pacer = Pacer::new(Clock::new(), 1.0);
    let now = epoch_now(&pacer);
    let t = pacer.clock().now();
    // A reset in milliseconds: not a wait of decades.
    let h = figures(240, 0, now * 1000, now);
    pacer.observe(&h, 200, go(&pacer), t, t);
    go(&pacer);
    assert_eq!(pacer.server_wait(&h, t), None);
    // Retry-After is believed at any length.
    let h = headers(&[("retry-after", "7200".into())]);
    assert_eq!(pacer.server_wait(&h, t), Some(Duration::from_secs(7_200)));
}

#[tokio::test(start_paused = true)]
async fn a_slot_given_back_frees_its_call_for_the_next_request() {
    let pacer = Pacer::new(Clock::new(), 1.0);
    let now = epoch_now(&pacer);
    let t = pacer.clock().now();
    let seq = go(&pacer);
    // 2 calls left, 20 s to go, one request in flight: both later requests must reserve slots.
    pacer.observe(&figures(240, 3, now + 20, now), 200, seq, t, t);
    let (mut a, mut b) = (None, None);
    assert!(matches!(pacer.decide(&mut a), Decision::Wait { reason: Reason::Spreading, .. }));
    assert!(matches!(pacer.decide(&mut b), Decision::Wait { reason: Reason::Spreading, .. }));
    // Every call is promised: a third request waits for the reset.
    assert!(matches!(pacer.decide(&mut None), Decision::Wait { reason: Reason::WindowUsedUp, .. }));
    // The two waiting calls are cancelled: their slots come back, and a new request gets one.
    pacer.release(a.take().expect("a slot"));
    pacer.release(b.take().expect("a slot"));
    landed(&pacer);
    let mut c = None;
    let decision = pacer.decide(&mut c);
    assert!(
        matches!(decision, Decision::Go { .. } | Decision::Wait { reason: Reason::Spreading, .. }),
        "{decision:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn after_the_window_ends_only_a_few_requests_go_until_the_next_is_known() {
    let (pacer, _) = primed(0.25, 40, 0, 2);
    tokio::time::sleep(Duration::from_secs(3)).await;
    // The window of 40 (a share of 10) has ended: a quarter of the share, 3, may go at once.
    for _ in 0..3 {
        go(&pacer);
    }
    assert!(matches!(pacer.decide(&mut None), Decision::Wait { reason: Reason::Spreading, .. }));
}

#[tokio::test(start_paused = true)]
async fn slots_given_back_by_cancelled_calls_are_given_out_again_at_once() {
    let (pacer, _) = primed(1.0, 240, 10, 20);
    // 10 calls left, 20 s to go: the first goes, the next five are promised slots 2 s apart.
    go(&pacer);
    let mut slots: Vec<Option<Slot>> = vec![None; 5];
    for slot in &mut slots {
        assert!(matches!(pacer.decide(slot), Decision::Wait { reason: Reason::Spreading, .. }));
    }
    // The waiting calls are cancelled: their slots go back, and the next request gets the one
    // after the request that went, not one after the slots nobody will use.
    for slot in &mut slots {
        pacer.release(slot.take().expect("a slot"));
    }
    let Decision::Wait { until, reason: Reason::Spreading } = pacer.decide(&mut None) else {
        panic!("spread")
    };
    let gap = until - pacer.clock().now();
    assert!(gap <= Duration::from_millis(2_100), "{gap:?}");
}

#[tokio::test(start_paused = true)]
async fn a_slot_given_back_in_the_middle_keeps_the_next_slot_after_the_latest_promised() {
    let (pacer, _) = primed(1.0, 240, 10, 20);
    go(&pacer);
    let (mut a, mut b) = (None, None);
    let Decision::Wait { until: first, .. } = pacer.decide(&mut a) else { panic!("spread") };
    let Decision::Wait { until: second, .. } = pacer.decide(&mut b) else { panic!("spread") };
    // The first of the two is given back; the second stays promised: the next slot follows it,
    // never on top of it.
    pacer.release(a.take().expect("a slot"));
    let Decision::Wait { until: third, .. } = pacer.decide(&mut None) else { panic!("spread") };
    assert!(first < second && third - second >= Duration::from_millis(1_500), "{:?}", third - second);
}

/// An answer's headers without the window's figures: only the server's `Date`.
fn no_figures(server_now: u64) -> Reported {
    let date = httpdate::fmt_http_date(std::time::UNIX_EPOCH + Duration::from_secs(server_now));
    headers(&[("date", date)])
}

#[tokio::test(start_paused = true)]
async fn answers_without_figures_count_against_the_last_known_window() {
    let pacer = Pacer::new(Clock::new(), 1.0);
    let now = epoch_now(&pacer);
    let t = pacer.clock().now();
    let seq = go(&pacer);
    // 3 calls left, 30 s to go; then the answers carry no figures.
    pacer.observe(&figures(240, 3, now + 30, now), 200, seq, t, t);
    landed(&pacer);
    let (mut sent, mut slot) = (0, None);
    loop {
        match pacer.decide(&mut slot) {
            Decision::Go { seq } => {
                sent += 1;
                let t = pacer.clock().now();
                pacer.observe(&no_figures(epoch_now(&pacer)), 200, seq, t, t);
                landed(&pacer);
            }
            Decision::Wait { reason: Reason::Spreading, until } => tokio::time::sleep_until(until).await,
            Decision::Wait { reason: Reason::WindowUsedUp, .. } => break,
            other => panic!("{other:?}"),
        }
        assert!(sent <= 3, "more than the figures allow");
    }
    assert_eq!(sent, 3);
    // Newer figures replace the count: the requests before them are in them.
    let t = pacer.clock().now();
    pacer.observe(&figures(240, 2, now + 30, now), 200, seq + 3, t, t);
    let decision = pacer.decide(&mut None);
    assert!(
        matches!(decision, Decision::Go { .. } | Decision::Wait { reason: Reason::Spreading, .. }),
        "{decision:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn with_never_any_figures_answers_without_them_change_nothing() {
    let pacer = Pacer::new(Clock::new(), 1.0);
    for _ in 0..50 {
        let seq = go(&pacer);
        let t = pacer.clock().now();
        pacer.observe(&no_figures(epoch_now(&pacer)), 200, seq, t, t);
        landed(&pacer);
    }
}

#[tokio::test(start_paused = true)]
async fn a_server_clock_stepped_back_forgets_the_window_read_on_the_old_clock() {
    let (pacer, _) = primed(1.0, 240, 0, 30);
    tokio::time::sleep(Duration::from_secs(30)).await;
    let seq = go(&pacer);
    // The server's clock is now 10 minutes behind: its window, with plenty left, resets before
    // the one the client kept.
    let stepped = epoch_now(&pacer) - 600;
    let t = pacer.clock().now();
    pacer.observe(&figures(240, 239, stepped + 30, stepped), 200, seq, t, t);
    landed(&pacer);
    assert!(matches!(pacer.decide(&mut None), Decision::Go { .. }), "the server's new window is plenty");
}

/// A step too small for the plausibility bound to catch: without forgetting it, the window read
/// on the old clock would seem to reset 150 s from now, and the client would wait for it.
#[tokio::test(start_paused = true)]
async fn a_server_clock_stepped_back_a_minute_forgets_the_used_up_window_of_the_old_clock() {
    let pacer = Pacer::new(Clock::new(), 1.0);
    let now = epoch_now(&pacer);
    let t = pacer.clock().now();
    let seq = go(&pacer);
    pacer.observe(&figures(240, 0, now + 90, now), 200, seq, t, t);
    landed(&pacer);
    assert!(matches!(pacer.decide(&mut None), Decision::Wait { .. }), "the window is used up");
    let stepped = now - 60;
    let seq = pacer.state().sent + 1;
    pacer.observe(&figures(240, 239, stepped + 30, stepped), 200, seq, t, t);
    assert!(matches!(pacer.decide(&mut None), Decision::Go { .. }), "the server's new window is plenty");
}

#[tokio::test(start_paused = true)]
async fn a_stepped_clock_without_figures_forgets_the_window_too() {
    let (pacer, _) = primed(1.0, 240, 0, 30);
    tokio::time::sleep(Duration::from_secs(30)).await;
    let seq = go(&pacer);
    let t = pacer.clock().now();
    pacer.observe(&no_figures(epoch_now(&pacer) - 600), 200, seq, t, t);
    landed(&pacer);
    go(&pacer);
}

#[tokio::test(start_paused = true)]
async fn a_window_that_now_seems_further_away_than_any_lasts_is_not_waited_for() {
    let (pacer, now) = primed(1.0, 240, 0, 30);
    // A server whose clock is 10 minutes behind names the same reset: the window is kept, but
    // with the new offset it would end 630 s from now.
    let seq = pacer.state().sent + 1;
    let t = pacer.clock().now();
    pacer.observe(&figures(240, 0, now + 30, now - 600), 200, seq, t, t);
    assert!(matches!(pacer.decide(&mut None), Decision::Go { .. }));
}

#[test]
fn clients_of_one_organization_in_one_process_share_one_pacer_while_they_live() {
    let base = "https://one-organization.example/v7";
    let token = Secret::new("t0ken-of-the-organization");
    let a = Pacer::shared(base, &token, 1.0);
    let b = Pacer::shared(base, &Secret::new("t0ken-of-the-organization"), 1.0);
    assert!(Arc::ptr_eq(&a, &b), "same base URL, token and share: one pacer");
    for (what, other) in [
        ("another token", Pacer::shared(base, &Secret::new("another-t0ken"), 1.0)),
        ("another base URL", Pacer::shared("https://another.example/v7", &token, 1.0)),
        ("another share", Pacer::shared(base, &token, 0.5)),
    ] {
        assert!(!Arc::ptr_eq(&a, &other), "{what}: a pacer of its own");
    }
    // The pacer lives as long as its clients: once they are gone, a new client starts afresh.
    let weak = Arc::downgrade(&a);
    drop((a, b));
    assert!(weak.upgrade().is_none());
    let c = Pacer::shared(base, &token, 1.0);
    assert!(c.latest().remaining.is_none());
}

#[tokio::test(start_paused = true)]
async fn a_client_built_separately_for_the_same_organization_shares_its_window() {
    let fake = thousandeyes_usage_fake::FakeUsageApi::start().await;
    let build = |agent: &str| builder_of(fake.base_url()).user_agent(agent).build().expect("client");
    let (a, b) = (build("part-a"), build("part-b"));
    a.usage().send().await.expect("a call");
    assert!(b.rate_limit().remaining.is_some(), "b knows the window a's answer told of");
    assert_eq!((a.stats().requests_sent, b.stats().requests_sent), (1, 0), "statistics stay each client's");
}
