//! Unit tests of `retry.rs`.

use super::*;
use http::HeaderValue;

fn headers(pairs: &[(&'static str, String)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.insert(*k, HeaderValue::from_str(v).expect("test header"));
    }
    h
}

fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

#[test]
fn classification_separates_safe_and_unsafe_methods() {
    use http::Method;
    assert_eq!(classify(&Method::POST, Outcome::Status(429)), Verdict::RateLimited);
    assert_eq!(classify(&Method::POST, Outcome::Status(503)), Verdict::Final);
    assert_eq!(classify(&Method::POST, Outcome::Timeout), Verdict::Final);
    assert_eq!(classify(&Method::GET, Outcome::Status(503)), Verdict::Transient);
    assert_eq!(classify(&Method::GET, Outcome::Transport), Verdict::Transient);
    assert_eq!(classify(&Method::GET, Outcome::Status(501)), Verdict::Final);
    assert_eq!(classify(&Method::GET, Outcome::Status(404)), Verdict::Final);
}

#[test]
fn reset_is_measured_against_the_date_header() {
    let now = at(1_000_000);
    // The server's clock is 5 minutes behind ours; its reset is 7 s after its own now.
    let server_now = DateTime::<Utc>::from(at(1_000_000 - 300));
    let h =
        headers(&[("date", server_now.to_rfc2822()), (rate_limit::RESET, (1_000_000 - 300 + 7).to_string())]);
    assert_eq!(server_wait(&h, now), Some(Duration::from_secs(7)));
}

#[test]
fn the_latest_of_all_headers_wins() {
    let now = at(2_000_000);
    let h = headers(&[
        ("retry-after", "3".into()),
        (rate_limit::RESET, "2000005".into()),
        (rate_limit::INSTANT_TEST_RESET, "2000009".into()),
    ]);
    assert_eq!(server_wait(&h, now), Some(Duration::from_secs(9)));
}

#[test]
fn retry_after_as_http_date() {
    let now = at(3_000_000);
    let later = DateTime::<Utc>::from(at(3_000_004)).to_rfc2822();
    assert_eq!(server_wait(&headers(&[("retry-after", later)]), now), Some(Duration::from_secs(4)));
}

#[test]
fn unusable_headers_name_no_wait() {
    let now = at(4_000_000);
    // Epoch resets: zero, negative, garbage, in the past.
    for v in ["0", "-1", "abc", "3999999", ""] {
        let h = headers(&[(rate_limit::RESET, v.into()), (rate_limit::INSTANT_TEST_RESET, v.into())]);
        assert_eq!(server_wait(&h, now), None, "reset {v:?}");
    }
    // Retry-After: zero, negative, garbage, a date in the past.
    let past = DateTime::<Utc>::from(at(3_999_000)).to_rfc2822();
    for v in ["0".to_string(), "-1".into(), "abc".into(), past] {
        assert_eq!(server_wait(&headers(&[("retry-after", v.clone())]), now), None, "retry-after {v:?}");
    }
}

#[test]
fn backoff_doubles_and_is_capped() {
    let p = RetryPolicy::default().jitter(false);
    assert_eq!(p.backoff(1), Duration::from_millis(500));
    assert_eq!(p.backoff(2), Duration::from_secs(1));
    assert_eq!(p.backoff(4), Duration::from_secs(4));
    assert_eq!(p.backoff(30), Duration::from_secs(30));
    let j = RetryPolicy::default();
    for attempt in 1..6 {
        let d = j.backoff(attempt);
        let full = p.backoff(attempt);
        assert!(d >= full / 2 && d <= full, "{d:?} vs {full:?}");
    }
}

#[test]
fn remaining_zero_holds_until_reset() {
    let pacer = Pacer::default();
    let now = SystemTime::now();
    let reset = now.duration_since(SystemTime::UNIX_EPOCH).expect("clock").as_secs() + 30;
    let h = headers(&[(rate_limit::REMAINING, "0".into()), (rate_limit::RESET, reset.to_string())]);
    pacer.observe(&h, 200, None, now);
    let hold = pacer.hold_until().expect("a hold").duration_since(Instant::now());
    assert!(hold > Duration::from_secs(28) && hold <= Duration::from_secs(31), "{hold:?}");
    assert_eq!(pacer.latest().remaining, Some(0));
    // A stale answer from the same window does not release it; one from the next window does.
    let same = headers(&[(rate_limit::REMAINING, "5".into()), (rate_limit::RESET, reset.to_string())]);
    pacer.observe(&same, 200, None, now);
    assert!(pacer.hold_until().is_some());
    let next =
        headers(&[(rate_limit::REMAINING, "239".into()), (rate_limit::RESET, (reset + 60).to_string())]);
    pacer.observe(&next, 200, None, now);
    assert_eq!(pacer.hold_until(), None);
    // A 429's hold is not released by any answer.
    pacer.observe(&headers(&[]), 429, Some(Duration::from_secs(20)), now);
    pacer.observe(&next, 200, None, now);
    assert!(pacer.hold_until().is_some());
}

#[test]
fn absurd_waits_neither_panic_nor_hold_forever() {
    let now = SystemTime::now();
    // Waits beyond an hour are not believed.
    let h = headers(&[("retry-after", u64::MAX.to_string())]);
    assert_eq!(server_wait(&h, now), None);
    let millis = now.duration_since(SystemTime::UNIX_EPOCH).expect("clock").as_millis().to_string();
    let h = headers(&[(rate_limit::RESET, millis.clone()), ("retry-after", "5".into())]);
    assert_eq!(server_wait(&h, now), Some(Duration::from_secs(5)));
    let _ = RetryPolicy::default().with_jitter(Duration::MAX);
    let pacer = Pacer::default();
    pacer.hold_for(Duration::MAX);
    pacer.observe(&h, 429, Some(Duration::MAX), now);
    // A used-up window whose reset is far away is not paced on.
    let other = Pacer::default();
    let h = headers(&[(rate_limit::REMAINING, "0".into()), (rate_limit::RESET, millis)]);
    other.observe(&h, 200, None, now);
    assert_eq!(other.hold_until(), None);
}
