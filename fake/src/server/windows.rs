//! The organization's rate-limit windows: fixed windows of `window_secs`, each allowing `limit`
//! calls, on the fake's clock; the most recent are kept for the handle to show.

use std::collections::VecDeque;
use std::time::Duration;

use http::StatusCode;

use crate::record::RateLimitWindow;

/// The most recent windows that saw requests, at most `keep`; the last is the current one.
#[derive(Debug)]
pub(crate) struct Windows {
    limit: u64,
    window_secs: i64,
    keep: usize,
    list: VecDeque<RateLimitWindow>,
}

impl Windows {
    /// Windows of `limit` calls every `window_secs`, keeping the most recent `keep` (at least the
    /// current one).
    pub(crate) fn new(limit: u64, window_secs: i64, keep: usize) -> Windows {
        Windows { limit, window_secs, keep: keep.max(1), list: VecDeque::new() }
    }

    pub(crate) fn limit(&self) -> u64 {
        self.limit
    }

    /// The windows kept, oldest first.
    pub(crate) fn all(&self) -> Vec<RateLimitWindow> {
        self.list.iter().cloned().collect()
    }

    /// The current window at `now_secs`, starting a new one when the last has ended.
    pub(crate) fn current(&mut self, now_secs: i64) -> &mut RateLimitWindow {
        let ended = self.list.back().is_none_or(|w| now_secs >= w.reset);
        if ended {
            if self.list.len() >= self.keep {
                self.list.pop_front();
            }
            let w = self.window_secs;
            self.list.push_back(RateLimitWindow {
                reset: (now_secs.div_euclid(w) + 1) * w,
                limit: self.limit,
                used: 0,
                succeeded: 0,
                rate_limited: 0,
                answered: 0,
            });
        }
        let last = self.list.len() - 1;
        &mut self.list[last]
    }

    /// Whether the current window's calls are used up.
    pub(crate) fn used_up(&mut self, now_secs: i64) -> bool {
        let limit = self.limit;
        self.current(now_secs).used >= limit
    }

    /// One call used in the current window.
    pub(crate) fn spend(&mut self, now_secs: i64) {
        self.current(now_secs).used += 1;
    }

    /// The current window ended as if other clients had used it up; with `reset_after`, its reset
    /// moves to that long after `now_ms` (at least the next second).
    pub(crate) fn use_up(&mut self, now_ms: i64, reset_after: Option<Duration>) {
        let now_secs = now_ms.div_euclid(1000);
        let limit = self.limit;
        let window = self.current(now_secs);
        window.used = limit;
        if let Some(wait) = reset_after {
            let wait_ms = i64::try_from(wait.as_millis()).unwrap_or(i64::MAX / 2);
            window.reset = (now_ms.saturating_add(wait_ms)).div_euclid(1000).max(now_secs + 1);
        }
    }

    /// Counts an answer of `status` in the current window; returns its remaining calls and reset.
    pub(crate) fn tally(&mut self, now_secs: i64, status: StatusCode) -> (u64, i64) {
        let limit = self.limit;
        let window = self.current(now_secs);
        window.answered += 1;
        if status.is_success() {
            window.succeeded += 1;
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            window.rate_limited += 1;
        }
        (limit.saturating_sub(window.used), window.reset)
    }
}
