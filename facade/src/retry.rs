//! Retrying: which failures are retried (the classifier, [`classify`]) and how long to wait
//! before the next attempt ([`RetryPolicy`]). Kept apart: the classifier knows nothing of waits,
//! the policy nothing of statuses.
//!
//! * A 429 is retried for every method: the server did not process the request.
//! * A failure to connect that a retry may mend (refused, reset or closed before the request
//!   was written, a host name that did not resolve, the connect timeout) is retried for every
//!   method: nothing was sent.
//! * A failure to connect that a retry cannot mend (a certificate the client does not trust, a
//!   handshake the server refuses, a proxy that refuses) is final: trying again only repeats it,
//!   and a proxy may lock an account after a few refused logins.
//! * Timeouts, other transport failures and 500/502/503/504 are retried for GETs only: a POST
//!   that may have reached the server is never sent twice.
//! * Any other status is final.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How requests are retried. The defaults suit the ThousandEyes limit of a number of calls a
/// minute per organization. Setters start with `with_`; each getter has the setter's name
/// without it.
///
/// ```
/// use std::time::Duration;
/// use thousandeyes_usage::RetryPolicy;
///
/// let patient = RetryPolicy::default()
///     .with_rate_limited_attempts(8)
///     .with_max_wait(Duration::from_secs(90));
/// assert_eq!(patient.rate_limited_attempts(), 8);
/// assert_eq!(patient.max_wait(), Duration::from_secs(90));
/// let once = RetryPolicy::disabled();
/// assert_eq!(once.rate_limited_attempts(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    rate_limited_attempts: u32,
    transient_attempts: u32,
    max_wait: Duration,
    initial_backoff: Duration,
    jitter: bool,
}

/// The backoff never grows past this, whatever the attempt.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

impl Default for RetryPolicy {
    /// 5 attempts on 429, 3 on transient failures (failures to connect that a retry may mend,
    /// and GETs' timeouts, lost connections and 5xx), waits of at most 60 s, backoff from 500 ms
    /// up to 30 s, with jitter.
    fn default() -> Self {
        RetryPolicy {
            rate_limited_attempts: 5,
            transient_attempts: 3,
            max_wait: Duration::from_secs(60),
            initial_backoff: Duration::from_millis(500),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// Every request is sent once: no retry on 429 or on a transient failure. The client still
    /// paces requests by the rate-limit figures.
    ///
    /// ```
    /// let policy = thousandeyes_usage::RetryPolicy::disabled();
    /// assert_eq!((policy.rate_limited_attempts(), policy.transient_attempts()), (1, 1));
    /// ```
    pub fn disabled() -> Self {
        RetryPolicy { rate_limited_attempts: 1, transient_attempts: 1, ..RetryPolicy::default() }
    }

    /// Attempts in all when the server answers 429 (default 5; at least 1).
    ///
    /// ```
    /// let policy = thousandeyes_usage::RetryPolicy::default().with_rate_limited_attempts(3);
    /// assert_eq!(policy.rate_limited_attempts(), 3);
    /// ```
    #[must_use]
    pub fn with_rate_limited_attempts(mut self, attempts: u32) -> Self {
        self.rate_limited_attempts = attempts.max(1);
        self
    }

    /// Attempts in all for a request that fails to connect (refused, reset before the request
    /// was written, a host name that did not resolve, the connect timeout: any method, nothing
    /// was sent), or a GET that times out, loses its connection or gets 500/502/503/504 (default
    /// 3; at least 1). A certificate the client does not trust, a handshake the server refuses
    /// and a proxy's refusal are never retried, whatever this says.
    ///
    /// ```
    /// let policy = thousandeyes_usage::RetryPolicy::default().with_transient_attempts(2);
    /// assert_eq!(policy.transient_attempts(), 2);
    /// ```
    #[must_use]
    pub fn with_transient_attempts(mut self, attempts: u32) -> Self {
        self.transient_attempts = attempts.max(1);
        self
    }

    /// The longest single wait (default 60 s). When the server asks for longer, the error is
    /// returned at once, carrying the server's `retry_after`.
    ///
    /// ```
    /// use std::time::Duration;
    /// let policy = thousandeyes_usage::RetryPolicy::default().with_max_wait(Duration::from_secs(10));
    /// assert_eq!(policy.max_wait(), Duration::from_secs(10));
    /// ```
    #[must_use]
    pub fn with_max_wait(mut self, wait: Duration) -> Self {
        self.max_wait = wait;
        self
    }

    /// The first backoff when the server names no wait (default 500 ms); it doubles with each
    /// attempt up to 30 s.
    ///
    /// ```
    /// use std::time::Duration;
    /// let policy = thousandeyes_usage::RetryPolicy::default()
    ///     .with_initial_backoff(Duration::from_millis(100));
    /// assert_eq!(policy.initial_backoff(), Duration::from_millis(100));
    /// ```
    #[must_use]
    pub fn with_initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// Whether waits get random jitter (default on), so that many clients do not come back in
    /// the same instant.
    ///
    /// ```
    /// let exact = thousandeyes_usage::RetryPolicy::default().with_jitter(false);
    /// assert!(!exact.jitter());
    /// ```
    #[must_use]
    pub fn with_jitter(mut self, on: bool) -> Self {
        self.jitter = on;
        self
    }

    /// Attempts in all on 429.
    ///
    /// ```
    /// assert_eq!(thousandeyes_usage::RetryPolicy::default().rate_limited_attempts(), 5);
    /// ```
    pub fn rate_limited_attempts(&self) -> u32 {
        self.rate_limited_attempts
    }

    /// Attempts in all on a transient failure: a failure to connect, or a GET's timeout,
    /// transport failure or 500/502/503/504.
    ///
    /// ```
    /// assert_eq!(thousandeyes_usage::RetryPolicy::default().transient_attempts(), 3);
    /// ```
    pub fn transient_attempts(&self) -> u32 {
        self.transient_attempts
    }

    /// The longest single wait.
    ///
    /// ```
    /// use std::time::Duration;
    /// assert_eq!(thousandeyes_usage::RetryPolicy::default().max_wait(), Duration::from_secs(60));
    /// ```
    pub fn max_wait(&self) -> Duration {
        self.max_wait
    }

    /// The first backoff.
    ///
    /// ```
    /// use std::time::Duration;
    /// assert_eq!(thousandeyes_usage::RetryPolicy::default().initial_backoff(), Duration::from_millis(500));
    /// ```
    pub fn initial_backoff(&self) -> Duration {
        self.initial_backoff
    }

    /// Whether waits get jitter.
    ///
    /// ```
    /// assert!(thousandeyes_usage::RetryPolicy::default().jitter());
    /// ```
    pub fn jitter(&self) -> bool {
        self.jitter
    }

    /// Exponential backoff for the given attempt (1-based), capped, with "equal jitter" when on
    /// (half fixed, half random).
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let exp = attempt.saturating_sub(1).min(20);
        let base = self.initial_backoff.saturating_mul(1u32 << exp).min(MAX_BACKOFF).min(self.max_wait);
        if self.jitter {
            base / 2 + base.mul_f64(random_unit() / 2.0)
        } else {
            base
        }
    }

    /// A little jitter to add to a wait the server named: up to a tenth of it, between 50 and
    /// 200 ms, so that a crowd of clients does not come back in the same instant without coming
    /// back much later than asked. Zero when jitter is off.
    pub(crate) fn jitter_for(&self, wait: Duration) -> Duration {
        if self.jitter {
            (wait / 10).clamp(Duration::from_millis(50), Duration::from_millis(200)).mul_f64(random_unit())
        } else {
            Duration::ZERO
        }
    }
}

/// What a failed attempt calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// 429: wait as the server says, then retry (any method).
    RateLimited,
    /// A transient failure: a failure to connect, or one of a safe request. Back off, then
    /// retry.
    Transient,
    /// Do not retry.
    Final,
}

/// What one attempt ended with, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// An answer with this status.
    Status(u16),
    /// The connection could not be made, in a way a retry may mend (refused, reset or closed
    /// while connecting, a host name that did not resolve, the connect timeout): nothing was
    /// sent.
    Connect,
    /// The connection could not be made, in a way a retry does not mend (a certificate the
    /// client does not trust, a handshake the server refuses, a proxy that refuses): nothing
    /// was sent, and nothing is sent again.
    Permanent,
    /// No answer in time: the request may have reached the server (the request timeout can also
    /// end an attempt still connecting; it is not told apart).
    Timeout,
    /// The connection failed after it was made: the request may have reached the server.
    Transport,
}

/// Classifies an attempt's outcome: what is retryable, independent of how long to wait.
pub(crate) fn classify(method: &str, outcome: Outcome) -> Verdict {
    let safe = method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("HEAD");
    match outcome {
        Outcome::Status(429) => Verdict::RateLimited,
        Outcome::Connect => Verdict::Transient,
        Outcome::Permanent => Verdict::Final,
        Outcome::Status(500 | 502 | 503 | 504) | Outcome::Timeout | Outcome::Transport if safe => {
            Verdict::Transient
        }
        _ => Verdict::Final,
    }
}

/// A uniformly distributed number in [0, 1), from std's randomly keyed hasher (jitter needs no
/// better randomness, and no extra dependency).
pub(crate) fn random_unit() -> f64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
#[path = "tests/retry.rs"]
mod tests;
