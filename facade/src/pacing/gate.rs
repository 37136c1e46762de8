//! The gate: "send nothing until then", an instant only ever moved later.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use crate::clock::far_future;

/// "Send nothing until then": an instant before which requests are not sent, only ever moved
/// later. Lock-free, as it is read before every attempt. It serves two policies: the
/// organization's hold after a 429 (the pacer's), which requests wait out when their
/// retry policy allows such a wait, and a client's closure after it gave up on 429s (the retry
/// strategy's), during which its calls fail unsent.
#[derive(Debug)]
pub(crate) struct ClosedUntil {
    /// The instant, as nanoseconds after `base`; 0 when never closed.
    until: AtomicU64,
    base: Instant,
}

impl Default for ClosedUntil {
    fn default() -> Self {
        ClosedUntil { until: AtomicU64::new(0), base: Instant::now() }
    }
}

impl ClosedUntil {
    /// Closes until `until`, unless already closed longer.
    pub(crate) fn close_until(&self, until: Instant) {
        let nanos = u64::try_from(until.saturating_duration_since(self.base).as_nanos()).unwrap_or(u64::MAX);
        self.until.fetch_max(nanos.max(1), Ordering::Relaxed);
    }

    /// Until when it is closed, seen from `now`; `None` when open.
    pub(crate) fn until(&self, now: Instant) -> Option<Instant> {
        let nanos = self.until.load(Ordering::Relaxed);
        if nanos == 0 {
            return None;
        }
        let until = self.base.checked_add(Duration::from_nanos(nanos)).unwrap_or_else(|| far_future(now));
        (until > now).then_some(until)
    }
}

#[cfg(test)]
#[path = "../tests/pacing/gate.rs"]
mod tests;
