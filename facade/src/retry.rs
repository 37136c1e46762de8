//! Retry and pacing: which failures are retried, how long to wait before the next attempt
//! ([`RetryPolicy`]), and the rate-limit state shared by every clone of a client.
//!
//! * A 429 is retried for every method (the server did not process the request) after the wait
//!   the server names: the later of `Retry-After` (seconds or HTTP date),
//!   `x-organization-rate-limit-reset` and `x-instant-test-rate-limit-reset` (epoch seconds,
//!   measured against the answer's `Date` header so that a skewed local clock does not matter),
//!   plus a little jitter. Without a usable header: exponential backoff with jitter.
//! * Connect failures, timeouts and 500/502/503/504 are retried with backoff for GETs only; a
//!   POST that may have reached the server is never sent twice.
//! * Any other 4xx is never retried.
//! * When the server asks for a wait longer than [`RetryPolicy::max_wait`], or attempts run out,
//!   the rate-limited error is returned at once with the server's `retry_after`.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use chrono::{DateTime, Utc};
use http::HeaderMap;

use crate::rate_limit::{self, RateLimit};

/// How requests are retried. The defaults suit the ThousandEyes limit of a number of calls a
/// minute per organization.
///
/// ```
/// use std::time::Duration;
/// use thousandeyes_usage::RetryPolicy;
///
/// let patient = RetryPolicy::default()
///     .max_attempts(8)
///     .max_wait(Duration::from_secs(90));
/// let impatient = RetryPolicy::disabled();
/// # let _ = (patient, impatient);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    max_attempts: u32,
    transient_attempts: u32,
    max_wait: Duration,
    initial_backoff: Duration,
    max_backoff: Duration,
    jitter: bool,
}

impl Default for RetryPolicy {
    /// 5 attempts on 429, 3 on transient failures of GETs, waits of at most 60 s, backoff from
    /// 500 ms up to 30 s, with jitter.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            transient_attempts: 3,
            max_wait: Duration::from_secs(60),
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// No retries at all: every request is sent once. Pacing on an exhausted rate limit still
    /// applies.
    ///
    /// ```
    /// let policy = thousandeyes_usage::RetryPolicy::disabled();
    /// assert_eq!(policy.attempts_on_rate_limit(), 1);
    /// ```
    pub fn disabled() -> Self {
        RetryPolicy { max_attempts: 1, transient_attempts: 1, ..Self::default() }
    }

    /// Attempts in all for a request answered 429 (default 5; at least 1).
    ///
    /// ```
    /// let policy = thousandeyes_usage::RetryPolicy::default().max_attempts(3);
    /// assert_eq!(policy.attempts_on_rate_limit(), 3);
    /// ```
    #[must_use]
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Attempts in all for a GET that fails to connect, times out or gets 500/502/503/504
    /// (default 3; at least 1).
    ///
    /// ```
    /// let policy = thousandeyes_usage::RetryPolicy::default().transient_attempts(2);
    /// assert_eq!(policy.attempts_on_transient_failure(), 2);
    /// ```
    #[must_use]
    pub fn transient_attempts(mut self, attempts: u32) -> Self {
        self.transient_attempts = attempts.max(1);
        self
    }

    /// The longest single wait (default 60 s). When the server asks for longer, the error is
    /// returned at once, carrying the server's `retry_after`.
    ///
    /// ```
    /// let policy = thousandeyes_usage::RetryPolicy::default()
    ///     .max_wait(std::time::Duration::from_secs(10));
    /// assert_eq!(policy.longest_wait(), std::time::Duration::from_secs(10));
    /// ```
    #[must_use]
    pub fn max_wait(mut self, wait: Duration) -> Self {
        self.max_wait = wait;
        self
    }

    /// The first backoff when the server names no wait (default 500 ms); it doubles with each
    /// attempt up to 30 s.
    ///
    /// ```
    /// let policy = thousandeyes_usage::RetryPolicy::default()
    ///     .initial_backoff(std::time::Duration::from_millis(100));
    /// # let _ = policy;
    /// ```
    #[must_use]
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// Whether waits get random jitter (default on), so that many clients do not come back in
    /// the same instant.
    ///
    /// ```
    /// let exact = thousandeyes_usage::RetryPolicy::default().jitter(false);
    /// # let _ = exact;
    /// ```
    #[must_use]
    pub fn jitter(mut self, on: bool) -> Self {
        self.jitter = on;
        self
    }

    /// Attempts in all on 429.
    ///
    /// ```
    /// assert_eq!(thousandeyes_usage::RetryPolicy::default().attempts_on_rate_limit(), 5);
    /// ```
    pub fn attempts_on_rate_limit(&self) -> u32 {
        self.max_attempts
    }

    /// Attempts in all on a transient failure of a GET.
    ///
    /// ```
    /// assert_eq!(thousandeyes_usage::RetryPolicy::default().attempts_on_transient_failure(), 3);
    /// ```
    pub fn attempts_on_transient_failure(&self) -> u32 {
        self.transient_attempts
    }

    /// The longest single wait.
    ///
    /// ```
    /// assert_eq!(
    ///     thousandeyes_usage::RetryPolicy::default().longest_wait(),
    ///     std::time::Duration::from_secs(60)
    /// );
    /// ```
    pub fn longest_wait(&self) -> Duration {
        self.max_wait
    }

    /// Exponential backoff for the given attempt (1-based), capped, with jitter when on.
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let exp = attempt.saturating_sub(1).min(20);
        let base = self.initial_backoff.saturating_mul(1u32 << exp).min(self.max_backoff).min(self.max_wait);
        if self.jitter {
            // "Equal jitter": half fixed, half random.
            base / 2 + base.mul_f64(random_unit() / 2.0)
        } else {
            base
        }
    }

    /// The server's wait plus a small jitter (up to 10 % and at most 1 s) when on.
    pub(crate) fn with_jitter(&self, wait: Duration) -> Duration {
        if self.jitter {
            let jitter =
                (wait / 10).min(Duration::from_secs(1)).max(Duration::from_millis(50)).mul_f64(random_unit());
            wait.saturating_add(jitter)
        } else {
            wait
        }
    }
}

/// What a failed attempt calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// 429: wait as the server says, then retry (any method).
    RateLimited,
    /// A transient failure of a safe request: back off, then retry.
    Transient,
    /// Do not retry.
    Final,
}

/// What one attempt ended with, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Status(u16),
    Timeout,
    Transport,
}

/// Classifies an attempt's outcome: what is retryable, independent of how long to wait.
pub(crate) fn classify(method: &http::Method, outcome: Outcome) -> Verdict {
    let safe = method == http::Method::GET || method == http::Method::HEAD;
    match outcome {
        Outcome::Status(429) => Verdict::RateLimited,
        Outcome::Status(500 | 502 | 503 | 504) | Outcome::Timeout | Outcome::Transport if safe => {
            Verdict::Transient
        }
        _ => Verdict::Final,
    }
}

/// The wait the server asks for, if any header names one in the future: the latest of
/// `Retry-After`, `x-organization-rate-limit-reset` and `x-instant-test-rate-limit-reset`.
/// Epoch resets are measured against the `Date` header when present, else against `now`.
///
/// A wait longer than an hour is not believed (a reset in milliseconds, say): it counts as no
/// usable header.
pub(crate) fn server_wait(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let server_now = server_now(headers, now);
    let resets = [rate_limit::RESET, rate_limit::INSTANT_TEST_RESET]
        .into_iter()
        .filter_map(|name| epoch_wait(headers, name, server_now));
    retry_after(headers, now).into_iter().chain(resets).filter(|w| *w <= MAX_HOLD).max()
}

/// The wait named by `Retry-After` alone (delta-seconds, or an HTTP date measured against the
/// `Date` header), if it is in the future.
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let v = headers.get(http::header::RETRY_AFTER)?.to_str().ok()?.trim();
    let wait = match v.parse::<u64>() {
        Ok(secs) if secs > 0 => Some(Duration::from_secs(secs)),
        Ok(_) => None,
        Err(_) => parse_http_date(v).and_then(|t| wait_until(t, server_now(headers, now))),
    };
    wait.filter(|w| *w <= MAX_HOLD)
}

/// The server's idea of now: its `Date` header, else the local clock.
fn server_now(headers: &HeaderMap, now: SystemTime) -> DateTime<Utc> {
    headers
        .get(http::header::DATE)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_http_date)
        .unwrap_or_else(|| now.into())
}

/// The wait until the epoch-seconds time in header `name`, if it is in the future.
fn epoch_wait(headers: &HeaderMap, name: &str, server_now: DateTime<Utc>) -> Option<Duration> {
    let t = rate_limit::epoch_to_utc(rate_limit::header_u64(headers, name)?)?;
    wait_until(t, server_now)
}

fn wait_until(t: DateTime<Utc>, from: DateTime<Utc>) -> Option<Duration> {
    (t - from).to_std().ok().filter(|d| !d.is_zero())
}

fn parse_http_date(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(s.trim()).ok().map(|t| t.with_timezone(&Utc))
}

/// What waits: between attempts and for the rate-limit window. The default is [`TokioSleeper`];
/// tests inject one that records the waits and returns at once.
///
/// ```
/// use std::{future::Future, pin::Pin, time::Duration};
/// use thousandeyes_usage::Sleeper;
///
/// #[derive(Debug)]
/// struct NoWait;
/// impl Sleeper for NoWait {
///     fn sleep(&self, _: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
///         Box::pin(async {})
///     }
/// }
/// ```
pub trait Sleeper: Send + Sync + fmt::Debug + 'static {
    /// A future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>>;
}

/// Waits with `tokio::time::sleep` (the default [`Sleeper`]).
///
/// ```
/// let sleeper = thousandeyes_usage::TokioSleeper;
/// # let _ = sleeper;
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// Rate-limit state shared by every clone of a client: the latest figures, and until when new
/// requests must hold back (after a 429, or when the window is used up).
#[derive(Debug, Default)]
pub(crate) struct Pacer {
    state: Mutex<PaceState>,
}

#[derive(Debug, Default)]
struct PaceState {
    latest: RateLimit,
    /// Until when a 429 told the client to hold back; kept until it passes.
    after_429: Option<Instant>,
    /// Until when an answer said the window was used up, and that window's reset (epoch
    /// seconds); released early by an answer from a later window that has calls remaining.
    window_used_up: Option<(Instant, u64)>,
}

/// The longest wait believed from a server: a reset further away is taken for a wrong header.
pub(crate) const MAX_HOLD: Duration = Duration::from_secs(3_600);

/// The longest hold taken from an answer that says the window is used up: the window is a
/// minute, so a reset further away than this is not paced on.
const MAX_WINDOW_HOLD: Duration = Duration::from_secs(300);

fn later(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

impl Pacer {
    /// Until when new attempts must wait, if that is in the future.
    pub(crate) fn hold_until(&self) -> Option<Instant> {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        later(state.after_429, state.window_used_up.map(|(t, _)| t)).filter(|t| *t > Instant::now())
    }

    /// Records an answer: its figures, and a hold when it was a 429 (for `wait`) or said that
    /// nothing remains of the window (until its reset). An answer from a later window with calls
    /// remaining releases a hold of the latter kind; nothing releases a 429's.
    pub(crate) fn observe(&self, headers: &HeaderMap, status: u16, wait: Option<Duration>, now: SystemTime) {
        let figures = RateLimit::from_headers(headers);
        let reset_epoch = rate_limit::header_u64(headers, rate_limit::RESET);
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if !figures.is_empty() {
            state.latest = figures;
        }
        if status == 429 {
            if let Some(until) = wait.and_then(|w| Instant::now().checked_add(w)) {
                state.after_429 = later(state.after_429, Some(until));
            }
            return;
        }
        match (figures.remaining, reset_epoch) {
            (Some(0), Some(epoch)) => {
                match epoch_wait(headers, rate_limit::RESET, server_now(headers, now)) {
                    Some(wait) if wait <= MAX_WINDOW_HOLD => {
                        if let Some(until) = Instant::now().checked_add(wait) {
                            let held = state.window_used_up.map(|(t, _)| t);
                            if held.is_none_or(|t| t < until) {
                                state.window_used_up = Some((until, epoch));
                            }
                        }
                    }
                    Some(wait) => tracing::warn!(
                        wait_s = wait.as_secs(),
                        "rate-limit window used up, but its reset is implausibly far away; not pacing on it"
                    ),
                    None => {}
                }
            }
            (Some(remaining), Some(epoch))
                if remaining > 0 && state.window_used_up.is_some_and(|(_, used_up)| epoch > used_up) =>
            {
                state.window_used_up = None;
            }
            _ => {}
        }
    }

    /// Holds every request of the client for `wait` from now (unless already held longer).
    pub(crate) fn hold_for(&self, wait: Duration) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(until) = Instant::now().checked_add(wait) {
            state.after_429 = later(state.after_429, Some(until));
        }
    }

    /// The latest figures any answer reported.
    pub(crate) fn latest(&self) -> RateLimit {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).latest
    }
}

/// A uniformly distributed number in [0, 1), from std's randomly keyed hasher (jitter needs no
/// better randomness, and no extra dependency).
fn random_unit() -> f64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
#[path = "tests/retry.rs"]
mod tests;
