//! The rate-limit figures the API reports in every answer's headers.

use chrono::{DateTime, Utc};
use http::HeaderMap;

/// Header with the calls the organization may make in the current window.
pub(crate) const LIMIT: &str = "x-organization-rate-limit-limit";
/// Header with the calls left in the current window.
pub(crate) const REMAINING: &str = "x-organization-rate-limit-remaining";
/// Header with the end of the current window, UTC epoch seconds.
pub(crate) const RESET: &str = "x-organization-rate-limit-reset";
/// Header with the end of the instant-test window, UTC epoch seconds.
pub(crate) const INSTANT_TEST_RESET: &str = "x-instant-test-rate-limit-reset";

/// The organization's rate-limit figures as one answer reported them.
///
/// ThousandEyes allows each organization a number of calls a minute (240 by default).
/// Every field is `None` when the answer did not carry the header or its value was not a number.
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

#[cfg(test)]
#[path = "tests/rate_limit.rs"]
mod tests;
