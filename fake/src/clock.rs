//! The fake's clock: the wall-clock time at start plus tokio's elapsed time, plus a skew.
//!
//! Read through tokio, so that under a paused runtime (`#[tokio::test(start_paused = true)]`) the
//! `Date` header and the rate-limit windows follow virtual time.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    system_at_start: SystemTime,
    instant_at_start: Instant,
    /// How far the fake's clock runs ahead of the local one (negative: behind), milliseconds.
    skew_ms: i64,
}

impl Clock {
    /// Starts now (must be called within a tokio runtime).
    pub(crate) fn start(skew_ms: i64) -> Clock {
        Clock { system_at_start: SystemTime::now(), instant_at_start: Instant::now(), skew_ms }
    }

    /// The fake's time now.
    pub(crate) fn now(&self) -> SystemTime {
        let local = self.system_at_start + self.instant_at_start.elapsed();
        let skew = Duration::from_millis(self.skew_ms.unsigned_abs());
        if self.skew_ms >= 0 {
            local + skew
        } else {
            local.checked_sub(skew).unwrap_or(UNIX_EPOCH)
        }
    }
}

/// Milliseconds since the Unix epoch (negative before it).
pub(crate) fn epoch_ms(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

/// `t` in IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the form of HTTP's `Date`.
pub(crate) fn http_date(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t).format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let t = UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(http_date(t), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(epoch_ms(t), 784_111_777_000);
        assert_eq!(epoch_ms(UNIX_EPOCH - Duration::from_millis(1500)), -1500);
    }

    #[tokio::test(start_paused = true)]
    async fn follows_tokio_time_and_skew() {
        let ahead = Clock::start(90_000);
        let behind = Clock::start(-90_000);
        let a0 = epoch_ms(ahead.now());
        let b0 = epoch_ms(behind.now());
        assert!((a0 - b0 - 180_000).abs() < 1_000, "{a0} {b0}");
        tokio::time::sleep(Duration::from_secs(3600)).await;
        let elapsed = epoch_ms(ahead.now()) - a0;
        assert!((3_600_000..3_601_000).contains(&elapsed), "{elapsed}");
    }
}
