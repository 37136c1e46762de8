//! Time as the client reads it: through tokio, so that tests on a paused runtime control it.
//!
//! The wall clock is the system time when the client was built, advanced by tokio's monotonic
//! clock: it does not jump when the system clock is stepped, and it follows virtual time under
//! `tokio::time::pause`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

/// The client's clock.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    base_wall: SystemTime,
    base: Instant,
}

impl Clock {
    /// A clock reading the system time now.
    pub(crate) fn new() -> Self {
        Clock { base_wall: SystemTime::now(), base: Instant::now() }
    }

    /// The monotonic now.
    pub(crate) fn now(&self) -> Instant {
        Instant::now()
    }

    /// The wall-clock time of instant `t`.
    pub(crate) fn wall_at(&self, t: Instant) -> SystemTime {
        match t.checked_duration_since(self.base) {
            Some(ahead) => self.base_wall.checked_add(ahead).unwrap_or(self.base_wall),
            None => self.base_wall.checked_sub(self.base - t).unwrap_or(self.base_wall),
        }
    }

    /// Instant `t` as seconds since the Unix epoch, with fractions.
    pub(crate) fn epoch_at(&self, t: Instant) -> f64 {
        self.wall_at(t).duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
    }

    /// The instant when the wall clock reads `epoch` seconds (saturating at the ends of what an
    /// `Instant` can hold).
    pub(crate) fn instant_at_epoch(&self, epoch: f64) -> Instant {
        let now = self.now();
        let delta = epoch - self.epoch_at(now);
        if delta >= 0.0 {
            let ahead = Duration::try_from_secs_f64(delta).unwrap_or(Duration::MAX);
            now.checked_add(ahead).unwrap_or_else(|| far_future(now))
        } else {
            let behind = Duration::try_from_secs_f64(-delta).unwrap_or(Duration::MAX);
            now.checked_sub(behind).unwrap_or(now)
        }
    }
}

/// An instant a long way (a year) after `now`, for waits that cannot be represented.
pub(crate) fn far_future(now: Instant) -> Instant {
    now.checked_add(Duration::from_secs(365 * 24 * 3_600)).unwrap_or(now)
}
