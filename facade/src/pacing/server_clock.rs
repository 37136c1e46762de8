//! The server's clock, as far as the answers tell: its offset from ours, measured from the
//! `Date` headers (one-second resolution, bounded by when each request left and its answer came
//! back, narrowed over many answers). Resets are epoch seconds of the server's clock; with the
//! offset they become times of ours. It corrects a skewed local clock, while the local clock
//! times the fractions of a second.

use tokio::time::Instant;

use crate::clock::Clock;

/// Offsets of the server's clock closer to zero than this are taken for rounding.
const CLOCK_RESOLUTION: f64 = 0.001;

/// Bounds on the server's clock minus ours, in seconds; unknown until an answer tells.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct ServerClock {
    offset: Option<(f64, f64)>,
}

impl ServerClock {
    /// Takes in an answer's `Date` (`date`, whole epoch seconds of the server's clock) to a
    /// request sent at `sent` and answered at `received`: the server's clock read `date` at some
    /// moment between them. True when that disagrees with what the earlier answers told (a clock
    /// was stepped): the bounds then start again from this answer.
    pub(super) fn observe(&mut self, clock: &Clock, date: u64, sent: Instant, received: Instant) -> bool {
        let date = date as f64;
        let lo = date - clock.epoch_at(received);
        let hi = date + 1.0 - clock.epoch_at(sent);
        let (offset, stepped) = match self.offset {
            Some((a, b)) if a.max(lo) <= b.min(hi) => ((a.max(lo), b.min(hi)), false),
            Some(_) => ((lo, hi), true),
            None => ((lo, hi), false),
        };
        self.offset = Some(offset);
        stepped
    }

    /// The offset to use: zero while the bounds allow it (the clocks agree to within what the
    /// `Date` header can tell, so the local clock times the fractions), else the lower bound, with
    /// which a wait for the server's reset never ends before it (it may end up to the bounds' width
    /// after it; they narrow with every answer). The offset is at least the lower bound and less
    /// than the upper one: an upper bound at zero (a request refused when our clock read the reset
    /// already) says that our clock runs ahead.
    pub(super) fn estimate(&self) -> f64 {
        match self.offset {
            Some((lo, hi)) if lo <= 0.0 && hi > CLOCK_RESOLUTION => 0.0,
            Some((lo, _)) => lo,
            None => 0.0,
        }
    }

    /// Seconds from `at` until the server's clock reads `reset` (epoch seconds), with the offset
    /// as estimated: negative once it has passed.
    pub(super) fn seconds_until(&self, clock: &Clock, reset: u64, at: Instant) -> f64 {
        reset as f64 - (clock.epoch_at(at) + self.estimate())
    }

    /// The instant of ours when the server's clock reads `reset` (epoch seconds), with the offset
    /// as estimated.
    pub(super) fn instant_of(&self, clock: &Clock, reset: u64) -> Instant {
        clock.instant_at_epoch(reset as f64 - self.estimate())
    }
}
