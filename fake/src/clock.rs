//! The fake's clock: the wall-clock time at start plus tokio's elapsed time, plus a skew.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

/// A wall clock that follows tokio's clock: the system time when it started, plus tokio's
/// elapsed time since, plus a skew.
///
/// Under a paused runtime (`#[tokio::test(start_paused = true)]`) it advances with virtual time,
/// so a server's `Date` header and rate-limit resets written on it agree with the waits a client
/// makes. The fake runs on one (`FakeUsageApi::clock`); a test's own server can use another.
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// use std::time::Duration;
/// use thousandeyes_usage_fake::FakeClock;
///
/// let clock = FakeClock::start();
/// let before = FakeClock::epoch_secs(clock.now());
/// tokio::time::sleep(Duration::from_secs(3600)).await; // no real time under a paused clock
/// assert_eq!(FakeClock::epoch_secs(clock.now()) - before, 3600);
/// # }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct FakeClock {
    system_at_start: SystemTime,
    instant_at_start: Instant,
    /// How far the clock runs ahead of the local one (negative: behind), milliseconds.
    skew_ms: i64,
}

impl FakeClock {
    /// A clock that starts now, without skew.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime with its time driver, as [`tokio::time::Instant::now`] may.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use std::time::{Duration, SystemTime};
    /// use thousandeyes_usage_fake::FakeClock;
    ///
    /// let now = FakeClock::start().now();
    /// assert!(now.duration_since(SystemTime::now()).unwrap_or_default() < Duration::from_secs(1));
    /// # }
    /// ```
    pub fn start() -> FakeClock {
        FakeClock::start_skewed(0)
    }

    /// A clock that starts now and runs `skew_ms` milliseconds ahead of the local clock (behind
    /// when negative).
    pub(crate) fn start_skewed(skew_ms: i64) -> FakeClock {
        FakeClock { system_at_start: SystemTime::now(), instant_at_start: Instant::now(), skew_ms }
    }

    /// This clock, running `skew` ahead of the local clock (in place of any skew it had).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// use std::time::Duration;
    /// use thousandeyes_usage_fake::FakeClock;
    ///
    /// let clock = FakeClock::start();
    /// let ahead = clock.ahead(Duration::from_secs(90));
    /// assert_eq!(ahead.now().duration_since(clock.now()).unwrap(), Duration::from_secs(90));
    /// # }
    /// ```
    pub fn ahead(self, skew: Duration) -> FakeClock {
        FakeClock { skew_ms: duration_ms(skew), ..self }
    }

    /// This clock, running `skew` behind the local clock (in place of any skew it had).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// use std::time::Duration;
    /// use thousandeyes_usage_fake::FakeClock;
    ///
    /// let clock = FakeClock::start();
    /// let behind = clock.behind(Duration::from_secs(90));
    /// assert_eq!(clock.now().duration_since(behind.now()).unwrap(), Duration::from_secs(90));
    /// # }
    /// ```
    pub fn behind(self, skew: Duration) -> FakeClock {
        FakeClock { skew_ms: -duration_ms(skew), ..self }
    }

    /// This clock, running `seconds` ahead of the local clock (behind when negative; in place
    /// of any skew it had).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// use thousandeyes_usage_fake::FakeClock;
    ///
    /// let clock = FakeClock::start();
    /// let behind = clock.skewed_secs(-300);
    /// assert_eq!(FakeClock::epoch_secs(clock.now()) - FakeClock::epoch_secs(behind.now()), 300);
    /// # }
    /// ```
    pub fn skewed_secs(self, seconds: i64) -> FakeClock {
        FakeClock { skew_ms: seconds.saturating_mul(1000), ..self }
    }

    /// The clock's time now.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// use std::time::Duration;
    /// use thousandeyes_usage_fake::FakeClock;
    ///
    /// let clock = FakeClock::start();
    /// let t0 = clock.now();
    /// tokio::time::sleep(Duration::from_millis(1500)).await;
    /// assert_eq!(clock.now().duration_since(t0).unwrap(), Duration::from_millis(1500));
    /// # }
    /// ```
    pub fn now(&self) -> SystemTime {
        self.at(Instant::now())
    }

    /// The clock's time at tokio's `instant`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// use std::time::Duration;
    /// use thousandeyes_usage_fake::FakeClock;
    ///
    /// let clock = FakeClock::start();
    /// let later = tokio::time::Instant::now() + Duration::from_secs(60);
    /// assert_eq!(clock.at(later).duration_since(clock.now()).unwrap(), Duration::from_secs(60));
    /// # }
    /// ```
    pub fn at(&self, instant: Instant) -> SystemTime {
        let local = match instant.checked_duration_since(self.instant_at_start) {
            Some(after) => self.system_at_start + after,
            None => {
                let before = self.instant_at_start.duration_since(instant);
                self.system_at_start.checked_sub(before).unwrap_or(UNIX_EPOCH)
            }
        };
        let skew = Duration::from_millis(self.skew_ms.unsigned_abs());
        if self.skew_ms >= 0 {
            local + skew
        } else {
            local.checked_sub(skew).unwrap_or(UNIX_EPOCH)
        }
    }

    /// Tokio's instant at which the clock reads `time` (the start, for a time before it).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// use std::time::Duration;
    /// use thousandeyes_usage_fake::FakeClock;
    ///
    /// let clock = FakeClock::start();
    /// let reset = clock.now() + Duration::from_secs(30);
    /// tokio::time::sleep_until(clock.instant_of(reset)).await;
    /// assert_eq!(clock.now(), reset);
    /// # }
    /// ```
    pub fn instant_of(&self, time: SystemTime) -> Instant {
        let start = self.at(self.instant_at_start);
        self.instant_at_start + time.duration_since(start).unwrap_or_default()
    }

    /// Milliseconds since the Unix epoch (negative before it).
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use thousandeyes_usage_fake::FakeClock;
    ///
    /// assert_eq!(FakeClock::epoch_ms(UNIX_EPOCH + Duration::from_millis(1500)), 1500);
    /// assert_eq!(FakeClock::epoch_ms(UNIX_EPOCH - Duration::from_millis(1500)), -1500);
    /// ```
    pub fn epoch_ms(time: SystemTime) -> i64 {
        match time.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
        }
    }

    /// Whole seconds since the Unix epoch, rounded down (as a rate-limit reset is written).
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use thousandeyes_usage_fake::FakeClock;
    ///
    /// assert_eq!(FakeClock::epoch_secs(UNIX_EPOCH + Duration::from_millis(1999)), 1);
    /// assert_eq!(FakeClock::epoch_secs(UNIX_EPOCH - Duration::from_millis(1)), -1);
    /// ```
    pub fn epoch_secs(time: SystemTime) -> i64 {
        FakeClock::epoch_ms(time).div_euclid(1000)
    }

    /// `time` in IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the form of HTTP's `Date` and
    /// `Retry-After`.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use thousandeyes_usage_fake::FakeClock;
    ///
    /// let t = UNIX_EPOCH + Duration::from_secs(784_111_777);
    /// assert_eq!(FakeClock::http_date(t), "Sun, 06 Nov 1994 08:49:37 GMT");
    /// ```
    pub fn http_date(time: SystemTime) -> String {
        chrono::DateTime::<chrono::Utc>::from(time).format("%a, %d %b %Y %H:%M:%S GMT").to_string()
    }
}

/// `d` in whole milliseconds, saturating.
pub(crate) fn duration_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn follows_tokio_time_and_skew() {
        let ahead = FakeClock::start_skewed(90_000);
        let behind = FakeClock::start_skewed(-90_000);
        let a0 = FakeClock::epoch_ms(ahead.now());
        let b0 = FakeClock::epoch_ms(behind.now());
        assert!((a0 - b0 - 180_000).abs() < 1_000, "{a0} {b0}");
        tokio::time::sleep(Duration::from_secs(3600)).await;
        let elapsed = FakeClock::epoch_ms(ahead.now()) - a0;
        assert!((3_600_000..3_601_000).contains(&elapsed), "{elapsed}");
    }

    #[tokio::test(start_paused = true)]
    async fn instant_of_inverts_at() {
        let clock = FakeClock::start_skewed(-5_000);
        let later = Instant::now() + Duration::from_secs(42);
        assert_eq!(clock.instant_of(clock.at(later)), later);
    }
}
