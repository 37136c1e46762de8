//! Pacing: the rate-limit state shared by the clients of one organization in this process (and
//! every clone of them), and when each request may go.
//!
//! ThousandEyes counts an organization's calls per window (a minute) across all its
//! integrations, and every answer reports the window's limit, what remains of it and when it
//! resets. The pacer keeps the freshest of those figures and decides, before every attempt that
//! its caller has not already refused (a client that gave up on 429s sends nothing until the
//! reset it was told about, an hour at most):
//!
//! * after a 429, every request waits for the reset the server named;
//! * when the window is used up (counting what this client sent since the figures, also the
//!   requests whose answers carried no figures), requests wait for its reset;
//! * when little of the window remains, requests are spread over the time left until the reset
//!   instead of spending it all at once, one request of the organization's clients in this
//!   process in flight at a time: concurrent tasks, and other clients and processes of the
//!   organization (which all see the same organization-wide `remaining`), then avoid 429s.
//!   "Little" is a quarter of the usable
//!   window, or more when the organization spends calls fast: what it spends in two round trips,
//!   so that the calls already in flight elsewhere when the figures arrive do not overrun it;
//! * otherwise, and whenever there are no figures, a request goes at once.
//!
//! Clients of one organization in one process share one pacer ([`Pacer::shared`]): built
//! separately (another user agent, another part of the program) for the same base URL, token and
//! share, they count each other's requests in flight, as clones do.
//!
//! A budget share below 1 keeps a reserve of the organization's limit untouched, so that a
//! background job leaves room for the organization's other integrations.
//!
//! Times: resets are epoch seconds of the server's clock. The offset between the server's clock
//! and ours is measured from the `Date` headers ([`server_clock`]). When the server's clock is
//! stepped (a `Date` outside the bounds), the window read on the old clock is forgotten; a window
//! whose reset seems further away than five minutes is never waited for.
//!
//! Rooms: the pacer itself is here (what it decides, and what it takes in from each answer);
//! [`window`] holds what the answers told of the window and the requests against it (slots,
//! requests in flight); [`gate`] the "send nothing until then" of a 429; [`server_clock`] the
//! offset of the server's clock; [`registry`] the pacers shared by the clients of this process.

mod gate;
mod registry;
mod server_clock;
mod window;

use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

pub(crate) use gate::ClosedUntil;
use registry::Registry;
pub(crate) use window::{Decision, Landing, Reason, Slot, IN_FLIGHT_POLL};
use window::{State, Window, MAX_WINDOW};

use crate::clock::Clock;
use crate::rate_limit::{RateLimit, Reported, MAX_RESET_WAIT};
use crate::secret::Secret;

/// The limit assumed when answers report `remaining` but no limit (the API's default).
const DEFAULT_LIMIT: u64 = 240;

/// Below this share of the usable limit, what remains is spread over the time left.
const SPREAD_BELOW: f64 = 0.25;

/// The rate-limit state shared by the clients of one organization in this process.
#[derive(Debug)]
pub(crate) struct Pacer {
    clock: Clock,
    /// The share of the organization's limit this client may use, in (0, 1].
    share: f64,
    /// Until when a 429 holds every request.
    hold: ClosedUntil,
    state: Mutex<State>,
}

/// The pacers of the clients alive in this process, by organization: what [`Pacer::shared`]
/// looks up.
static SHARED: LazyLock<Mutex<Registry<Pacer>>> = LazyLock::new(|| Mutex::new(Registry::default()));

impl Pacer {
    /// A pacer of its own, knowing nothing yet, for a client using `share` of the limit.
    pub(crate) fn new(clock: Clock, share: f64) -> Self {
        Pacer { clock, share, hold: ClosedUntil::default(), state: Mutex::new(State::default()) }
    }

    /// The pacer of the clients of this organization in this process (same base URL, token and
    /// share): the one they already share while any of them is alive, else a new one. Clients
    /// built separately for one organization then count each other's requests in flight and
    /// slots, as clones of one client do; each keeps its own statistics.
    pub(crate) fn shared(base_url: &str, token: &Secret, share: f64) -> Arc<Pacer> {
        let mut shared = SHARED.lock().unwrap_or_else(PoisonError::into_inner);
        shared.get_or_insert(base_url, token, share, || Pacer::new(Clock::new(), share))
    }

    /// Makes `pacer` the one [`shared`](Self::shared) finds for `token` too (a client's new
    /// token), unless a client already built with that token has a pacer of its own.
    pub(crate) fn share_as(pacer: &Arc<Pacer>, base_url: &str, token: &Secret) {
        let mut shared = SHARED.lock().unwrap_or_else(PoisonError::into_inner);
        shared.also_as(pacer, base_url, token, pacer.share);
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The landing of the request this pacer just let go ([`Decision::Go`]): dropping it tells
    /// the pacer that the request is no longer in flight.
    pub(crate) fn landing(&self) -> Landing<'_> {
        Landing::of(&self.state)
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
    /// spreading slot this request holds, if any: the decision keeps it (a wait for it), uses it
    /// (the request goes), or gives it back (any other decision).
    ///
    /// In order: a hold after a 429 waits for its end; then the window the answers told of paces
    /// the request ([`Pacer::pace`]); with no window, the request goes.
    pub(crate) fn decide(&self, slot: &mut Option<Slot>) -> Decision {
        let now = self.clock.now();
        let mut state = self.forget_far_window(self.state(), now);
        // The slot is in hand: it goes back unless this decision is a wait for it.
        let held = slot.take().filter(|s| s.generation == state.generation);
        let wait = match self.hold.until(now) {
            Some(hold) => Some(Decision::Wait { until: hold, reason: Reason::AfterRateLimit }),
            None => state.window.and_then(|window| self.pace(&mut state, window, held, slot, now)),
        };
        if let Some(s) = held.filter(|s| *slot != Some(*s)) {
            state.release(s);
        }
        if let Some(wait) = wait {
            return wait;
        }
        state.sent += 1;
        state.in_flight += 1;
        Decision::Go { seq: state.sent }
    }

    /// Forgets a window whose reset seems further away than any window lasts (the offset moved
    /// since it was stored): it is not waited on.
    fn forget_far_window<'a>(
        &'a self,
        mut state: MutexGuard<'a, State>,
        now: Instant,
    ) -> MutexGuard<'a, State> {
        let left = state.window.map(|w| state.seconds_until(&self.clock, w.reset, now));
        if let Some(left) = left.filter(|left| *left > MAX_WINDOW.as_secs_f64()) {
            state.forget_window();
            drop(state);
            tracing::warn!(
                reset_in_s = left as u64,
                "rate-limit window now resets implausibly far away; not pacing on it"
            );
            state = self.state();
        }
        state
    }

    /// Paces a request in `window`: the wait it calls for, or `None` when the request may go
    /// now. `held` is the slot the request holds; a wait for a slot puts it in `slot`.
    ///
    /// After the window's end, with no news of the next one, a few requests go at a time. A
    /// window used up (counting what is in flight and unfigured, and the share's reserve) waits
    /// for its reset. With plenty left, the request goes; with little left, it is spread over
    /// the time until the reset ([`State::use_slot`], [`State::next_slot`]).
    fn pace(
        &self,
        state: &mut State,
        window: Window,
        held: Option<Slot>,
        slot: &mut Option<Slot>,
        now: Instant,
    ) -> Option<Decision> {
        let left = state.seconds_until(&self.clock, window.reset, now);
        let share_of_limit = self.share * window.limit as f64;
        let quarter = (share_of_limit * SPREAD_BELOW).ceil().max(1.0);
        if left <= 0.0 {
            // The window has ended and no answer has told of the next one yet: a few requests at
            // a time until one does, not every waiting request at once.
            return (state.in_flight as f64 >= quarter)
                .then(|| Decision::Wait { until: now + state.poll(), reason: Reason::Spreading });
        }
        let usable = state.usable(self.share, window);
        if usable < 1.0 {
            return Some(Decision::Wait {
                until: state.reset_at(&self.clock, window),
                reason: Reason::WindowUsedUp,
            });
        }
        // Spread when less than a quarter of the usable window is left, or less than the
        // organization spends in two round trips (what may be in flight elsewhere).
        let round_trip = state.round_trip.unwrap_or(0.0);
        let in_two_round_trips = (2.0 * window.spend_rate(round_trip) * round_trip).ceil() + 1.0;
        let plenty = quarter.max(in_two_round_trips).min(share_of_limit).max(1.0);
        if usable >= plenty {
            return None;
        }
        match held {
            Some(held) => state.use_slot(held, slot, now),
            None => state.next_slot(&self.clock, window, usable, slot, now),
        }
    }

    /// Gives back a slot a request held and will not use (its call was cancelled).
    pub(crate) fn release(&self, slot: Slot) {
        self.state().release(slot);
    }

    /// Takes in what the answer to request `seq` reported, sent at `sent` and received at
    /// `received`: the offset of the server's clock, the round trip, and the window's figures
    /// when they are news (a later window, or a lower count in the same one).
    pub(crate) fn observe(
        &self,
        reported: &Reported,
        status: u16,
        seq: u64,
        sent: Instant,
        received: Instant,
    ) {
        let figures = reported.figures;
        let reset = reported.reset;
        let mut state = self.state();
        // A `Date` outside the bounds: a clock was stepped, and the bounds start again from this
        // answer. The window read on the old clock is forgotten (unless this answer names the
        // same reset: then only the offset changed), lest its reset be taken for a later one
        // than the server's new windows, or seem far away.
        let stepped =
            reported.date.is_some_and(|date| state.server_clock.observe(&self.clock, date, sent, received));
        if stepped && !state.window.is_some_and(|w| figures.remaining.is_some() && reset == Some(w.reset)) {
            state.forget_window();
        }
        let (Some(reset), Some(remaining)) = (reset, figures.remaining) else {
            // No figures of the window: the request still counts against it (a 429 does not).
            if status != 429 {
                state.count_unfigured(&self.clock, seq, received);
            }
            if !figures.is_empty() && seq >= state.latest_seq {
                state.latest = figures;
                state.latest_seq = seq;
            }
            return;
        };
        let remaining = if status == 429 { 0 } else { remaining };
        let round_trip = received.saturating_duration_since(sent).as_secs_f64();
        state.round_trip = Some(state.round_trip.map_or(round_trip, |r| 0.8 * r + 0.2 * round_trip));
        let left = state.seconds_until(&self.clock, reset, received);
        match state.window {
            // An older window: nothing to learn.
            Some(w) if reset < w.reset => return,
            // The same window: only a lower count is news.
            Some(w) if reset == w.reset => {
                if remaining < w.remaining {
                    state.window = Some(Window { remaining, remaining_at: received, ..w });
                    state.latest = figures;
                    state.latest_seq = seq;
                    // The requests sent before this one are in its count.
                    state.unfigured.retain(|s| *s > seq);
                }
                return;
            }
            _ => {}
        }
        state.latest = figures;
        state.latest_seq = seq;
        if left <= 0.0 || left > MAX_WINDOW.as_secs_f64() {
            // Said once until a plausible window comes, not for every answer (each may name
            // another such reset).
            let warn = left > MAX_WINDOW.as_secs_f64() && !std::mem::replace(&mut state.far_reset_told, true);
            drop(state);
            if warn {
                tracing::warn!(
                    reset_in_s = left as u64,
                    "rate-limit window resets implausibly far away; not pacing on it"
                );
            }
            return;
        }
        // A new window: the promises of the last one are void, and the requests sent before
        // this one are in its count.
        state.new_generation();
        state.unfigured.retain(|s| *s > seq);
        state.far_reset_told = false;
        let limit = figures.limit.unwrap_or(DEFAULT_LIMIT).max(1);
        state.window = Some(Window {
            reset,
            limit,
            remaining,
            remaining_at: received,
            first: remaining,
            first_at: received,
        });
    }

    /// The wait a 429 answer (received at `received`) names: the later of `Retry-After` and the
    /// reset headers, the latter on the server's clock. A reset more than an hour away is not
    /// believed (it is taken for a unit error); `Retry-After` is believed at any length.
    pub(crate) fn server_wait(&self, reported: &Reported, received: Instant) -> Option<Duration> {
        let retry_after = reported.retry_after(self.clock.wall_at(received));
        let server_clock = self.state().server_clock;
        let reset = reported.reset.and_then(|reset| {
            let at = server_clock.instant_of(&self.clock, reset);
            let wait = at.checked_duration_since(received).filter(|w| !w.is_zero())?;
            (wait <= MAX_RESET_WAIT).then_some(wait)
        });
        retry_after.max(reset)
    }

    /// Holds every request of the client until `until` (unless already held longer).
    pub(crate) fn hold_until(&self, until: Instant) {
        self.hold.close_until(until);
    }
}

#[cfg(test)]
#[path = "../tests/pacing/mod.rs"]
mod tests;
