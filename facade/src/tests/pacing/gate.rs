//! Unit tests of `pacing/gate.rs`, in virtual time.

use super::*;

/// "Closed until": open when never closed, closed until the latest instant it was given (an
/// earlier one does not shorten it), and open again once that instant has passed.
#[tokio::test(start_paused = true)]
async fn closed_until_only_moves_later_and_opens_when_it_has_passed() {
    let closed = ClosedUntil::default();
    let now = Instant::now();
    assert_eq!(closed.until(now), None);
    closed.close_until(now + Duration::from_secs(30));
    closed.close_until(now + Duration::from_secs(10));
    assert_eq!(closed.until(now), Some(now + Duration::from_secs(30)));
    tokio::time::advance(Duration::from_secs(30)).await;
    assert_eq!(closed.until(Instant::now()), None);
    closed.close_until(now);
    assert_eq!(closed.until(Instant::now()), None, "an instant already past closes nothing");
}
