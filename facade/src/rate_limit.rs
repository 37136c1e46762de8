//! What answers say about the rate limit: the organization's figures in every answer, and the
//! waits a 429 (or 503) names. Reading headers only; what to do with them is `pacing`'s.

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
    /// Reads the figures from response headers; absent or malformed values are `None`.
    pub(crate) fn from_headers(headers: &HeaderMap) -> Self {
        RateLimit {
            limit: header_u64(headers, LIMIT),
            remaining: header_u64(headers, REMAINING),
            reset: header_u64(headers, RESET).and_then(epoch_to_utc),
        }
    }

    /// True when no figure was reported.
    pub(crate) fn is_empty(&self) -> bool {
        self.limit.is_none() && self.remaining.is_none() && self.reset.is_none()
    }
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
pub(crate) fn date(headers: &HeaderMap) -> Option<u64> {
    parse_http_date(headers.get(http::header::DATE)?.to_str().ok()?)
}

/// What `Retry-After` asks for, measured from the moment the answer arrived: delta-seconds, or
/// an HTTP date measured against the answer's own `Date` (so that the local clock does not
/// matter; against `received` when there is none). `None` when absent, unreadable, zero or past.
/// Any length is believed; it is capped at [`MAX_RETRY_AFTER`].
pub(crate) fn retry_after(headers: &HeaderMap, received: SystemTime) -> Option<Duration> {
    let v = headers.get(http::header::RETRY_AFTER)?.to_str().ok()?.trim();
    let wait = match v.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs.min(MAX_RETRY_AFTER.as_secs())),
        // Delta-seconds too large for a u64: as long as can be.
        Err(_) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => MAX_RETRY_AFTER,
        Err(_) => {
            let at = parse_http_date(v)?;
            let now = date(headers).unwrap_or_else(|| epoch_secs(received));
            Duration::from_secs(at.checked_sub(now)?)
        }
    };
    (!wait.is_zero()).then_some(wait.min(MAX_RETRY_AFTER))
}

/// Seconds since the epoch of `t` (0 before the epoch).
pub(crate) fn epoch_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
#[path = "tests/rate_limit.rs"]
mod tests;
