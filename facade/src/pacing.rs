//! Pacing: the rate-limit state shared by every clone of a client, and when each request may go.
//!
//! ThousandEyes counts an organization's calls per window (a minute) across all its
//! integrations, and every answer reports the window's limit, what remains of it and when it
//! resets. The pacer keeps the freshest of those figures and decides, before every attempt:
//!
//! * after a client gave up on 429s, nothing is sent until the reset it was told about;
//! * after a 429, every request waits for the reset the server named;
//! * when the window is used up (counting what this client sent since the figures), requests
//!   wait for its reset;
//! * when little of the window remains, requests are spread over the time left until the reset
//!   instead of spending it all at once: concurrent tasks, and other clients and processes of the
//!   organization (which all see the same organization-wide `remaining`), then avoid 429s;
//! * otherwise, and whenever there are no figures, a request goes at once.
//!
//! A budget share below 1 keeps a reserve of the organization's limit untouched, so that a
//! background job leaves room for the organization's other integrations.
//!
//! Times: resets are epoch seconds of the server's clock. The offset between the server's clock
//! and ours is measured from the `Date` headers (one-second resolution, bounded by when each
//! request left and its answer came back, narrowed over many answers); it corrects a skewed
//! local clock, while the local clock times the fractions of a second.

use std::sync::Mutex;
use std::time::Duration;

use http::HeaderMap;
use tokio::time::Instant;

use crate::clock::Clock;
use crate::rate_limit::{self, RateLimit, MAX_RESET_WAIT};

/// A window whose reset is further away than this is not paced on (the API's window is a
/// minute; a reset far away is a wrong header).
const MAX_WINDOW: Duration = Duration::from_secs(300);

/// The limit assumed when answers report `remaining` but no limit (the API's default).
const DEFAULT_LIMIT: u64 = 240;

/// Below this share of the usable limit, what remains is spread over the time left.
const SPREAD_BELOW: f64 = 0.25;

/// Why a request waits before it is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reason {
    /// A 429 named a reset: every request of the client waits for it.
    AfterRateLimit,
    /// The window is used up (or down to the share's reserve): wait for its reset.
    WindowUsedUp,
    /// Little remains of the window: requests are spread over the time left.
    Spreading,
}

impl Reason {
    /// How the reason reads in logs.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Reason::AfterRateLimit => "rate limited (429): waiting for the window's reset",
            Reason::WindowUsedUp => "rate-limit window used up: waiting for its reset",
            Reason::Spreading => "spreading the window's remaining calls until its reset",
        }
    }
}

/// What the pacer says of a request about to be sent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Decision {
    /// Send it now; it is the `seq`-th request the client sends.
    Go { seq: u64 },
    /// Wait until then, and ask again. A wait for a spreading slot reserves it: asked again with
    /// it ([`Pacer::decide`]'s `slot`), the pacer lets the request go without another slot.
    Wait { until: Instant, reason: Reason },
    /// Do not send it: the client gave up on 429s and the reset is this far away.
    Refuse { wait: Duration },
}

/// The freshest figures of the current window.
#[derive(Debug, Clone, Copy)]
struct Window {
    /// Its end, epoch seconds of the server's clock.
    reset: u64,
    limit: u64,
    remaining: u64,
    /// The sequence number of the request whose answer reported these figures.
    seq: u64,
}

#[derive(Debug, Default)]
struct State {
    latest: RateLimit,
    latest_seq: u64,
    window: Option<Window>,
    /// Requests sent so far (each gets the next sequence number).
    sent: u64,
    /// Bounds on the server's clock minus ours, in seconds.
    offset: Option<(f64, f64)>,
    /// Until when a 429 holds every request.
    hold: Option<Instant>,
    /// Until when nothing is sent, after a call gave up on 429s.
    closed: Option<Instant>,
    /// When the next request may go while spreading.
    next_slot: Option<Instant>,
    /// Spreading slots reserved by requests still waiting for them.
    reserved: u64,
}

/// The rate-limit state shared by every clone of a client.
#[derive(Debug)]
pub(crate) struct Pacer {
    clock: Clock,
    /// The share of the organization's limit this client may use, in (0, 1].
    share: f64,
    state: Mutex<State>,
}

impl Pacer {
    pub(crate) fn new(clock: Clock, share: f64) -> Self {
        Pacer { clock, share, state: Mutex::new(State::default()) }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The latest figures any answer reported.
    pub(crate) fn latest(&self) -> RateLimit {
        self.state().latest
    }

    /// The client's clock.
    pub(crate) fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Decides whether a request may be sent now; registers it as sent when it may. `slot` is the
    /// spreading slot an earlier decision reserved for this request, if any.
    pub(crate) fn decide(&self, slot: Option<Instant>) -> Decision {
        let now = self.clock.now();
        let mut state = self.state();
        if let Some(closed) = state.closed.filter(|c| *c > now) {
            return Decision::Refuse { wait: closed - now };
        }
        if let Some(hold) = state.hold.filter(|h| *h > now) {
            return Decision::Wait { until: hold, reason: Reason::AfterRateLimit };
        }
        if let Some(window) = state.window {
            let offset = estimate(state.offset);
            let server_now = self.clock.epoch_at(now) + offset;
            let left = window.reset as f64 - server_now;
            if left > 0.0 {
                let reserve = ((1.0 - self.share) * window.limit as f64).ceil();
                let used_since = state.sent.saturating_sub(window.seq) as f64;
                let usable = window.remaining as f64 - used_since - reserve;
                let reset_at = self.clock.instant_at_epoch(window.reset as f64 - offset);
                if usable < 1.0 {
                    return Decision::Wait { until: reset_at, reason: Reason::WindowUsedUp };
                }
                let plenty = (self.share * window.limit as f64 * SPREAD_BELOW).ceil().max(1.0);
                let reserved_slot = slot.is_some_and(|s| s <= now);
                if reserved_slot {
                    state.reserved = state.reserved.saturating_sub(1);
                } else if usable < plenty {
                    // Each request takes the next free slot, one interval after the last, the
                    // calls not yet promised to a waiting request spread over the time left from
                    // that slot: a crowd of waiting tasks wakes one at a time, never all at once.
                    let next = state.next_slot.filter(|s| *s > now).unwrap_or(now);
                    let free = usable - state.reserved as f64;
                    if free < 1.0 {
                        return Decision::Wait { until: reset_at, reason: Reason::WindowUsedUp };
                    }
                    let left_at_next = left - (next - now).as_secs_f64();
                    let interval = Duration::try_from_secs_f64(left_at_next.max(0.0) / free)
                        .unwrap_or(MAX_WINDOW)
                        .min(MAX_WINDOW);
                    state.next_slot = next.checked_add(interval);
                    if next > now {
                        state.reserved += 1;
                        return Decision::Wait { until: next, reason: Reason::Spreading };
                    }
                }
            } else {
                state.next_slot = None;
                state.reserved = 0;
            }
        }
        state.sent += 1;
        Decision::Go { seq: state.sent }
    }

    /// Takes in an answer to request `seq`, sent at `sent` and received at `received`: the
    /// offset of the server's clock, and the window's figures when they are fresher than those
    /// already known.
    pub(crate) fn observe(
        &self,
        headers: &HeaderMap,
        status: u16,
        seq: u64,
        sent: Instant,
        received: Instant,
    ) {
        let figures = RateLimit::from_headers(headers);
        let mut state = self.state();
        if let Some(date) = rate_limit::date(headers) {
            let date = date as f64;
            let lo = date - self.clock.epoch_at(received);
            let hi = date + 1.0 - self.clock.epoch_at(sent);
            state.offset = Some(match state.offset {
                Some((a, b)) if a.max(lo) <= b.min(hi) => (a.max(lo), b.min(hi)),
                // The bounds disagree: a clock was stepped. Start again from this answer.
                _ => (lo, hi),
            });
        }
        if figures.is_empty() {
            return;
        }
        let (Some(reset), Some(remaining)) =
            (rate_limit::header_u64(headers, rate_limit::RESET), figures.remaining)
        else {
            if seq >= state.latest_seq {
                state.latest = figures;
                state.latest_seq = seq;
            }
            return;
        };
        let remaining = if status == 429 { 0 } else { remaining };
        let left = reset as f64 - (self.clock.epoch_at(received) + estimate(state.offset));
        let newer = match state.window {
            None => true,
            Some(w) => reset > w.reset || (reset == w.reset && seq > w.seq),
        };
        if !newer {
            return;
        }
        state.latest = figures;
        state.latest_seq = seq;
        if left <= 0.0 || left > MAX_WINDOW.as_secs_f64() {
            if left > MAX_WINDOW.as_secs_f64() {
                tracing::warn!(
                    reset_in_s = left as u64,
                    "rate-limit window resets implausibly far away; not pacing on it"
                );
            }
            return;
        }
        let limit = figures.limit.unwrap_or(DEFAULT_LIMIT).max(1);
        if state.window.is_some_and(|w| w.reset != reset) {
            // A new window: the promises of the last one are void.
            state.reserved = 0;
            state.next_slot = None;
        }
        state.window = Some(Window { reset, limit, remaining, seq });
    }

    /// The wait a 429 answer (received at `received`) names: the later of `Retry-After` and the
    /// reset headers, the latter on the server's clock. A reset more than an hour away is not
    /// believed (it is taken for a unit error); `Retry-After` is believed at any length.
    pub(crate) fn server_wait(&self, headers: &HeaderMap, received: Instant) -> Option<Duration> {
        let retry_after = rate_limit::retry_after(headers, self.clock.wall_at(received));
        let offset = estimate(self.state().offset);
        let reset = rate_limit::latest_reset(headers).and_then(|reset| {
            let at = self.clock.instant_at_epoch(reset as f64 - offset);
            let wait = at.checked_duration_since(received).filter(|w| !w.is_zero())?;
            (wait <= MAX_RESET_WAIT).then_some(wait)
        });
        retry_after.max(reset)
    }

    /// Holds every request of the client until `until` (unless already held longer).
    pub(crate) fn hold_until(&self, until: Instant) {
        let mut state = self.state();
        state.hold = Some(state.hold.map_or(until, |h| h.max(until)));
    }

    /// Refuses every request of the client until `until`: a call gave up on 429s.
    pub(crate) fn close_until(&self, until: Instant) {
        let mut state = self.state();
        state.closed = Some(state.closed.map_or(until, |c| c.max(until)));
        state.hold = Some(state.hold.map_or(until, |h| h.max(until)));
    }
}

/// The offset to use: zero while the bounds allow it (the clocks agree to within what the
/// `Date` header can tell, so the local clock times the fractions), else the lower bound, with
/// which a wait for the server's reset never ends before it (it may end up to the bounds' width
/// after it; they narrow with every answer).
fn estimate(offset: Option<(f64, f64)>) -> f64 {
    match offset {
        Some((lo, hi)) if lo <= 0.0 && 0.0 <= hi => 0.0,
        Some((lo, _)) => lo,
        None => 0.0,
    }
}

#[cfg(test)]
#[path = "tests/pacing.rs"]
mod tests;
