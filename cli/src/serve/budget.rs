//! The shortest refresh interval an organization's rate-limit budget allows.
//!
//! ThousandEyes allows an organization a number of calls a minute (240 by default), shared by
//! all of its integrations; the client keeps to its `rate_limit_share` of them. Refreshing every
//! `interval` with `calls` calls a refresh uses `calls / interval` of that budget on average, so
//! the interval must be at least `calls × window / (share × limit)`: the floor. A refresh makes
//! one call per listing page, plus `GET /usage` and `GET /quotas`.

use std::fmt;
use std::time::Duration;

use crate::fetch::FetchStats;
use crate::serve::config::format_duration;

/// The calls a refresh makes at the least: one page of each listing, `GET /usage` and
/// `GET /quotas`. The estimate before the first refresh has counted them.
pub const MIN_CALLS_PER_REFRESH: u64 = 4;

/// The organization's calls a window when no answer has said yet: 240, the API's default.
pub const DEFAULT_LIMIT: u64 = 240;

/// The length of the API's rate-limit window: a minute.
pub const WINDOW: Duration = Duration::from_secs(60);

/// What a refresh needs of the organization's budget, and what the budget allows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    /// Calls a refresh makes (first tries: listing pages, `GET /usage`, `GET /quotas`).
    pub calls_per_refresh: u64,
    /// Whether `calls_per_refresh` was counted from a refresh (else it is the least a refresh
    /// makes, [`MIN_CALLS_PER_REFRESH`]).
    pub counted: bool,
    /// The organization's calls a window (`x-organization-rate-limit-limit`).
    pub limit: u64,
    /// The share of them the client keeps to, in (0, 1].
    pub share: f64,
}

impl Budget {
    /// The budget before any refresh: the least a refresh makes, of `limit` (the client's latest
    /// figure, else [`DEFAULT_LIMIT`]).
    pub fn estimate(limit: Option<u64>, share: f64) -> Budget {
        Budget {
            calls_per_refresh: MIN_CALLS_PER_REFRESH,
            counted: false,
            limit: limit.unwrap_or(DEFAULT_LIMIT),
            share,
        }
    }

    /// The budget counted from a refresh's `stats` (its pages and other calls, not the attempts
    /// sent again), of `limit` (the client's latest figure, else [`DEFAULT_LIMIT`]).
    pub fn counted(stats: &FetchStats, limit: Option<u64>, share: f64) -> Budget {
        let calls = u64::try_from(stats.page_count + stats.other_request_count).unwrap_or(u64::MAX);
        Budget {
            calls_per_refresh: calls.max(1),
            counted: true,
            limit: limit.unwrap_or(DEFAULT_LIMIT),
            share,
        }
    }

    /// The shortest interval whose refreshes stay within the share of the budget, rounded up to
    /// a whole millisecond.
    ///
    /// ```
    /// use std::time::Duration;
    /// use thousandeyes_usage_cli::serve::budget::Budget;
    ///
    /// // 11 calls a refresh, half of 240 calls a minute: one refresh every 5.5 s at most.
    /// let budget = Budget { calls_per_refresh: 11, counted: true, limit: 240, share: 0.5 };
    /// assert_eq!(budget.floor(), Duration::from_millis(5_500));
    /// ```
    pub fn floor(&self) -> Duration {
        let allowed = (self.limit as f64 * self.share).max(f64::MIN_POSITIVE);
        let millis = (WINDOW.as_millis() as f64 * self.calls_per_refresh as f64 / allowed).ceil();
        Duration::from_millis(millis.min(u64::MAX as f64) as u64)
    }

    /// `interval`, when it is at least the floor; else an error naming it, the floor and why.
    ///
    /// ```
    /// use std::time::Duration;
    /// use thousandeyes_usage_cli::serve::budget::Budget;
    ///
    /// let budget = Budget { calls_per_refresh: 11, counted: true, limit: 240, share: 0.5 };
    /// assert!(budget.check(Duration::from_secs(300)).is_ok());
    /// let err = budget.check(Duration::from_secs(5)).unwrap_err();
    /// assert!(err.to_string().starts_with("--interval 5s is below the floor of 5.5s"), "{err}");
    /// ```
    pub fn check(&self, interval: Duration) -> Result<Duration, TooShort> {
        let floor = self.floor();
        if interval < floor {
            Err(TooShort { interval, floor, budget: *self })
        } else {
            Ok(interval)
        }
    }
}

/// An interval below the floor of the organization's budget.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TooShort {
    /// The interval asked for.
    pub interval: Duration,
    /// The shortest one allowed.
    pub floor: Duration,
    /// The budget that sets the floor.
    pub budget: Budget,
}

impl fmt::Display for TooShort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Budget { calls_per_refresh, counted, limit, share } = self.budget;
        let calls = if counted {
            format!("a refresh made {calls_per_refresh} calls")
        } else {
            format!("a refresh makes at least {calls_per_refresh} calls")
        };
        write!(
            f,
            "--interval {} is below the floor of {}: {calls} (its listing pages, GET /usage and \
             GET /quotas), and the rate-limit share {share} of the organization's {limit} calls a \
             minute allows {} calls a minute",
            format_duration(self.interval),
            format_duration(self.floor),
            (limit as f64 * share * 10.0).round() / 10.0,
        )
    }
}

impl std::error::Error for TooShort {}
