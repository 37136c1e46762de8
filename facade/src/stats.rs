//! What a client and its clones have done: [`ClientStats`], and the counters behind it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::pacing::Reason;

/// Waits of one kind: how many, and how long in all.
///
/// ```
/// let stats = thousandeyes_usage::Client::builder().token("t").build()?.stats();
/// assert_eq!(stats.spreading.count, 0);
/// assert_eq!(stats.spreading.total, std::time::Duration::ZERO);
/// # Ok::<(), thousandeyes_usage::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Waits {
    /// Waits of this kind.
    pub count: u64,
    /// Their time together.
    pub total: Duration,
}

/// What a client and all its clones have done so far, for reports and monitoring. Each wait is
/// counted by why it happened; the `tracing` events say the same for each request.
///
/// ```
/// let client = thousandeyes_usage::Client::builder().token("t").build()?;
/// let stats = client.stats();
/// assert_eq!((stats.requests_sent, stats.retries, stats.rate_limited), (0, 0, 0));
/// assert_eq!(stats.waited(), std::time::Duration::ZERO);
/// # Ok::<(), thousandeyes_usage::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientStats {
    /// Requests sent; every attempt counts.
    pub requests_sent: u64,
    /// Attempts after the first of a call: after a 429, a failure to connect, or a transient
    /// failure of a GET.
    pub retries: u64,
    /// 429 answers received.
    pub rate_limited: u64,
    /// Calls that failed without being sent: the rate-limit window stayed closed for longer than
    /// the retry policy waits, or the client had given up on 429s until the window's reset.
    pub not_sent: u64,
    /// Waits that spread the window's last calls over the time left until its reset.
    pub spreading: Waits,
    /// Waits for the reset of a window whose calls were used up (or down to the reserve that the
    /// budget share keeps).
    pub window_used_up: Waits,
    /// Waits for the reset a 429 named (this request's or another's).
    pub after_rate_limit: Waits,
    /// Backoff before retrying a transient failure.
    pub retry_backoff: Waits,
}

impl ClientStats {
    /// The time spent waiting, for every reason together.
    ///
    /// ```
    /// let client = thousandeyes_usage::Client::builder().token("t").build()?;
    /// assert!(client.stats().waited().is_zero());
    /// # Ok::<(), thousandeyes_usage::Error>(())
    /// ```
    pub fn waited(&self) -> Duration {
        [self.spreading, self.window_used_up, self.after_rate_limit, self.retry_backoff]
            .iter()
            .map(|w| w.total)
            .sum()
    }
}

/// One kind of wait, counted.
#[derive(Debug, Default)]
struct WaitCounter {
    count: AtomicU64,
    nanos: AtomicU64,
}

impl WaitCounter {
    fn add(&self, wait: Duration) {
        let nanos = u64::try_from(wait.as_nanos()).unwrap_or(u64::MAX);
        self.count.fetch_add(1, Ordering::Relaxed);
        let _ =
            self.nanos.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| Some(n.saturating_add(nanos)));
    }

    fn read(&self) -> Waits {
        Waits {
            count: self.count.load(Ordering::Relaxed),
            total: Duration::from_nanos(self.nanos.load(Ordering::Relaxed)),
        }
    }
}

/// The counters behind [`ClientStats`], shared by every clone of a client.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    requests_sent: AtomicU64,
    retries: AtomicU64,
    rate_limited: AtomicU64,
    not_sent: AtomicU64,
    spreading: WaitCounter,
    window_used_up: WaitCounter,
    after_rate_limit: WaitCounter,
    retry_backoff: WaitCounter,
}

impl Counters {
    pub(crate) fn sent(&self, retry: bool) {
        self.requests_sent.fetch_add(1, Ordering::Relaxed);
        if retry {
            self.retries.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn rate_limited(&self) {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn not_sent(&self) {
        self.not_sent.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn paced(&self, reason: Reason, wait: Duration) {
        match reason {
            Reason::Spreading => self.spreading.add(wait),
            Reason::WindowUsedUp => self.window_used_up.add(wait),
            Reason::AfterRateLimit => self.after_rate_limit.add(wait),
        }
    }

    pub(crate) fn backed_off(&self, wait: Duration) {
        self.retry_backoff.add(wait);
    }

    pub(crate) fn snapshot(&self) -> ClientStats {
        ClientStats {
            requests_sent: self.requests_sent.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            rate_limited: self.rate_limited.load(Ordering::Relaxed),
            not_sent: self.not_sent.load(Ordering::Relaxed),
            spreading: self.spreading.read(),
            window_used_up: self.window_used_up.read(),
            after_rate_limit: self.after_rate_limit.read(),
            retry_backoff: self.retry_backoff.read(),
        }
    }
}
