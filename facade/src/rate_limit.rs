//! What answers say about the rate limit: the organization's figures in every answer, and the
//! waits a 429 (or 503) names, read once per answer into a [`Reported`]. Reading headers only;
//! what to do with them is `pacing`'s and the retry strategy's.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};
use http::HeaderMap;

/// Header with the calls the organization may make in the current window.
pub(crate) const LIMIT: &str = "x-organization-rate-limit-limit";
/// Header with the calls left in the current window.
pub(crate) const REMAINING: &str = "x-organization-rate-limit-remaining";
/// Header with the end of the current window, UTC epoch seconds.
pub(crate) const RESET: &str = "x-organization-rate-limit-reset";

/// The longest wait believed from an epoch reset header: a reset further away is taken for a
/// unit error (milliseconds instead of seconds, say) and ignored.
pub(crate) const MAX_RESET_WAIT: Duration = Duration::from_secs(3_600);

/// The longest `Retry-After` kept: longer ones are believed but capped, so that no arithmetic
/// on them overflows.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(7 * 24 * 3_600);

/// The organization's rate-limit figures as one answer reported them.
///
/// ThousandEyes allows each organization a number of calls a minute (240 by default), shared by
/// all of its integrations. Every field is `None` when the answer did not carry the header or
/// its value was not a number.
///
/// ```
/// # async fn f(client: thousandeyes_usage::Client) {
/// let figures = client.rate_limit();
/// if figures.remaining == Some(0) {
///     println!("window resets at {:?}", figures.reset);
/// }
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RateLimit {
    /// Calls allowed in the current window (`x-organization-rate-limit-limit`).
    pub limit: Option<u64>,
    /// Calls left in the current window (`x-organization-rate-limit-remaining`).
    pub remaining: Option<u64>,
    /// When the window ends (`x-organization-rate-limit-reset`), as the server's clock tells it.
    pub reset: Option<DateTime<Utc>>,
}

impl RateLimit {
    /// True when no figure was reported.
    pub(crate) fn is_empty(&self) -> bool {
        self.limit.is_none() && self.remaining.is_none() && self.reset.is_none()
    }
}

/// What one answer's headers say of the rate limit and of waiting, read once when the answer
/// arrives: the pacer, the retry strategy and the error all take it from here.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Reported {
    /// The window's figures, as callers see them.
    pub(crate) figures: RateLimit,
    /// The window's end, epoch seconds of the server's clock.
    pub(crate) reset: Option<u64>,
    /// The answer's `Date`, epoch seconds.
    pub(crate) date: Option<u64>,
    /// The answer's `Retry-After`, as given.
    retry_after: Option<RetryAfter>,
}

/// A `Retry-After` value: delta-seconds, or an HTTP date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RetryAfter {
    Delay(Duration),
    At(u64),
}

impl Reported {
    /// Reads the answer's headers; absent or malformed values are `None`.
    pub(crate) fn read(headers: &HeaderMap) -> Self {
        let reset = header_u64(headers, RESET);
        Reported {
            figures: RateLimit {
                limit: header_u64(headers, LIMIT),
                remaining: header_u64(headers, REMAINING),
                reset: reset.and_then(epoch_to_utc),
            },
            reset,
            date: date(headers),
            retry_after: headers.get(http::header::RETRY_AFTER).and_then(read_retry_after),
        }
    }

    /// What `Retry-After` asks for, measured from the moment the answer arrived (`received`, on
    /// the wall clock): delta-seconds, or an HTTP date measured against the answer's own `Date`
    /// (so that the local clock does not matter; against `received` when there is none). `None`
    /// when absent, unreadable, zero or past. Any length is believed; it is capped at
    /// [`MAX_RETRY_AFTER`].
    pub(crate) fn retry_after(&self, received: SystemTime) -> Option<Duration> {
        let wait = match self.retry_after? {
            RetryAfter::Delay(wait) => wait,
            RetryAfter::At(at) => {
                let now = self.date.unwrap_or_else(|| epoch_secs(received));
                Duration::from_secs(at.checked_sub(now)?)
            }
        };
        (!wait.is_zero()).then_some(wait.min(MAX_RETRY_AFTER))
    }
}

/// A `Retry-After` header's value; `None` when it is neither delta-seconds nor an HTTP date.
fn read_retry_after(value: &http::HeaderValue) -> Option<RetryAfter> {
    let v = value.to_str().ok()?.trim();
    Some(match v.parse::<u64>() {
        Ok(secs) => RetryAfter::Delay(Duration::from_secs(secs.min(MAX_RETRY_AFTER.as_secs()))),
        // Delta-seconds too large for a u64: as long as can be.
        Err(_) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => {
            RetryAfter::Delay(MAX_RETRY_AFTER)
        }
        Err(_) => RetryAfter::At(parse_http_date(v)?),
    })
}

/// A header's value as an unsigned integer; `None` when absent, not text, or not a number.
pub(crate) fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// Epoch seconds as a UTC time; `None` when out of chrono's range.
pub(crate) fn epoch_to_utc(secs: u64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(i64::try_from(secs).ok()?, 0)
}

/// An HTTP date in any of the three forms RFC 9110 makes recipients accept (IMF-fixdate,
/// RFC 850, asctime), as seconds since the epoch.
pub(crate) fn parse_http_date(text: &str) -> Option<u64> {
    let t = httpdate::parse_http_date(text.trim()).ok()?;
    t.duration_since(UNIX_EPOCH).ok().map(|d| d.as_secs())
}

/// The answer's `Date` header, in epoch seconds.
fn date(headers: &HeaderMap) -> Option<u64> {
    parse_http_date(headers.get(http::header::DATE)?.to_str().ok()?)
}

/// Seconds since the epoch of `t` (0 before the epoch).
pub(crate) fn epoch_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
#[path = "tests/rate_limit.rs"]
mod tests;
