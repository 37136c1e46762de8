//! Unit tests of `retry.rs`.

use super::*;

#[test]
fn classification_separates_safe_and_unsafe_methods() {
    assert_eq!(classify("POST", Outcome::Status(429)), Verdict::RateLimited);
    assert_eq!(classify("POST", Outcome::Status(503)), Verdict::Final);
    assert_eq!(classify("POST", Outcome::Timeout), Verdict::Final);
    assert_eq!(classify("GET", Outcome::Status(503)), Verdict::Transient);
    assert_eq!(classify("GET", Outcome::Transport), Verdict::Transient);
    assert_eq!(classify("GET", Outcome::Status(501)), Verdict::Final);
    assert_eq!(classify("GET", Outcome::Status(404)), Verdict::Final);
}

#[test]
fn a_failure_to_connect_is_transient_for_every_method_and_a_lost_post_is_final() {
    for method in ["GET", "POST", "PUT", "DELETE"] {
        assert_eq!(classify(method, Outcome::Connect), Verdict::Transient, "{method}");
    }
    assert_eq!(classify("POST", Outcome::Transport), Verdict::Final);
    assert_eq!(classify("POST", Outcome::Timeout), Verdict::Final);
}

#[test]
fn a_failure_to_connect_a_retry_cannot_mend_is_final_for_every_method() {
    for method in ["GET", "HEAD", "POST", "PUT", "DELETE"] {
        assert_eq!(classify(method, Outcome::Permanent), Verdict::Final, "{method}");
    }
}

#[test]
fn backoff_doubles_and_is_capped() {
    let p = RetryPolicy::default().with_jitter(false);
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
fn jitter_is_small_and_bounded() {
    let p = RetryPolicy::default();
    for wait in [Duration::ZERO, Duration::from_millis(300), Duration::from_secs(3), Duration::MAX] {
        assert!(p.jitter_for(wait) <= Duration::from_millis(200), "{wait:?}");
    }
    assert_eq!(RetryPolicy::default().with_jitter(false).jitter_for(Duration::from_secs(3)), Duration::ZERO);
}

#[test]
fn getters_mirror_setters() {
    let p = RetryPolicy::default()
        .with_rate_limited_attempts(7)
        .with_transient_attempts(2)
        .with_max_wait(Duration::from_secs(9))
        .with_initial_backoff(Duration::from_millis(40))
        .with_jitter(false);
    assert_eq!(p.rate_limited_attempts(), 7);
    assert_eq!(p.transient_attempts(), 2);
    assert_eq!(p.max_wait(), Duration::from_secs(9));
    assert_eq!(p.initial_backoff(), Duration::from_millis(40));
    assert!(!p.jitter());
    assert_eq!(RetryPolicy::default().with_rate_limited_attempts(0).rate_limited_attempts(), 1);
}
