//! What fetching took, for stderr: pages and calls, requests sent and why some were sent again,
//! and the waits by reason.

use std::fmt::Write as _;

use crate::fetch::{FetchStats, Listing};

/// What fetching took, in three lines: pages and calls, requests sent and why some were sent
/// again, and the waits by reason (added up over calls that waited at the same time, which the
/// text says, since that sum can exceed the time elapsed).
pub fn render_stats(s: &FetchStats) -> String {
    let mut out = format!(
        "Fetched {} pages ({}: {}, {}: {}) and {} other calls (GET /usage, GET /quotas) in {:.2} s.\n",
        s.page_count,
        Listing::TestUnits.label(),
        s.test_page_count,
        Listing::AgentUnits.label(),
        s.agent_page_count,
        s.other_request_count,
        s.elapsed_ms as f64 / 1000.0
    );
    let first_tries = s.request_count.saturating_sub(s.retry_count);
    let _ = write!(out, "Requests sent: {} ({first_tries} first tries", s.request_count);
    if s.retry_count > 0 {
        let after_429 = s.rate_limited_count.min(s.retry_count);
        let _ = write!(out, ", {} sent again: {after_429} after a 429 Too Many Requests", s.retry_count);
        if s.retry_count > after_429 {
            let _ = write!(out, ", {} after a transient failure", s.retry_count - after_429);
        }
    }
    out.push_str(").\n");
    let waits: Vec<String> = s
        .waits
        .by_reason()
        .iter()
        .filter(|(_, w)| w.call_count > 0)
        .map(|(why, w)| {
            let calls = if w.call_count == 1 { "call" } else { "calls" };
            format!("{} {calls} waited {why}, {:.2} s", w.call_count, w.total_ms as f64 / 1000.0)
        })
        .collect();
    if waits.is_empty() {
        out.push_str("Waits: none.");
    } else {
        let _ = write!(
            out,
            "Waits: {}. Each call's wait is counted; calls in flight together wait at the same time, so \
             their sum can exceed the time elapsed.",
            waits.join("; ")
        );
    }
    out
}
