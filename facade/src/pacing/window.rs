//! The window the answers told of, and the requests of the clients sharing a pacer against it:
//! its figures and how fast the organization spends them, the requests in flight (each a
//! [`Landing`]) and those answered without figures, and the spreading slots promised to the
//! requests waiting for them. What a request about to be sent is told is a [`Decision`].

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::server_clock::ServerClock;
use crate::clock::Clock;
use crate::rate_limit::RateLimit;

/// A window whose reset is further away than this is not paced on (the API's window is a
/// minute; a reset far away is a wrong header).
pub(super) const MAX_WINDOW: Duration = Duration::from_secs(300);

/// How often a request waiting for its turn while another of the client's is in flight looks
/// again, at least (the round trip's half, when that is longer).
pub(crate) const IN_FLIGHT_POLL: Duration = Duration::from_millis(5);

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
    /// Wait until then, and ask again (with the slot a spreading wait reserved).
    Wait { until: Instant, reason: Reason },
}

/// A spreading slot reserved by a waiting request: when it comes, and the window it was
/// reserved in (a new window voids the promises of the last).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Slot {
    pub(super) until: Instant,
    pub(super) generation: u64,
}

/// What the answers say of the current window.
#[derive(Debug, Clone, Copy)]
pub(super) struct Window {
    /// Its end, epoch seconds of the server's clock.
    pub(super) reset: u64,
    pub(super) limit: u64,
    /// The lowest `remaining` any answer of this window reported: within a window the count only
    /// goes down, so that is the latest the server has told, whatever order answers came in.
    pub(super) remaining: u64,
    /// When that was.
    pub(super) remaining_at: Instant,
    /// The first `remaining` seen in this window, and when: with the lowest, how fast the
    /// organization spends its calls.
    pub(super) first: u64,
    pub(super) first_at: Instant,
}

impl Window {
    /// Calls a second the organization has spent in this window, as far as the answers tell.
    /// Answers that land within one round trip (`round_trip`, seconds) of each other were in
    /// flight together: they tell how many calls went out at once, not how fast calls go, so
    /// the span they are spread over is at least a round trip. (Four concurrent calls answered
    /// a millisecond apart are not 3,000 calls a second.)
    pub(super) fn spend_rate(&self, round_trip: f64) -> f64 {
        let span = self.remaining_at.saturating_duration_since(self.first_at).as_secs_f64().max(round_trip);
        if span > 0.0 {
            self.first.saturating_sub(self.remaining) as f64 / span
        } else {
            0.0
        }
    }
}

/// The spreading slots promised to requests still waiting for them: their times, each as often
/// as it was promised. A slot given back leaves no gap at the end: the next slot is counted from
/// the latest one still promised.
#[derive(Debug, Default)]
struct Reserved {
    /// Each slot's time, with how many requests it is promised to.
    at: BTreeMap<Instant, u64>,
    /// How many slots are promised in all.
    count: u64,
}

impl Reserved {
    /// Promises the slot at `until`.
    fn insert(&mut self, until: Instant) {
        *self.at.entry(until).or_default() += 1;
        self.count += 1;
    }

    /// Takes back one promise of the slot at `until` (none if there is none).
    fn remove(&mut self, until: Instant) {
        if let Some(n) = self.at.get_mut(&until) {
            *n -= 1;
            if *n == 0 {
                self.at.remove(&until);
            }
            self.count -= 1;
        }
    }

    /// How many slots are promised.
    fn len(&self) -> u64 {
        self.count
    }

    /// The latest slot promised.
    fn last(&self) -> Option<Instant> {
        self.at.last_key_value().map(|(t, _)| *t)
    }
}

/// What the answers told of the window, and the requests of the clients sharing the pacer.
#[derive(Debug, Default)]
pub(super) struct State {
    pub(super) latest: RateLimit,
    pub(super) latest_seq: u64,
    pub(super) window: Option<Window>,
    /// Requests sent so far (each gets the next sequence number).
    pub(super) sent: u64,
    /// Requests of this client sent and not yet answered (or failed): not yet in any
    /// `remaining` the client has seen.
    pub(super) in_flight: u64,
    /// The requests (their sequence numbers) answered without the window's figures since the
    /// figures it holds: the server counted them, no `remaining` the client has seen shows it.
    pub(super) unfigured: Vec<u64>,
    /// The round trip of a request, smoothed, in seconds.
    pub(super) round_trip: Option<f64>,
    /// The server's clock, as the answers' `Date` headers tell it.
    pub(super) server_clock: ServerClock,
    /// The spreading slots reserved by requests still waiting for them.
    reserved: Reserved,
    /// When the last request that spread went: with the latest reserved slot, where the next
    /// slot is counted from.
    last_went: Option<Instant>,
    /// Counts the windows seen: slots of an earlier window are void.
    pub(super) generation: u64,
    /// Whether the log has said that resets are implausibly far away, since the last window
    /// whose reset was plausible.
    pub(super) far_reset_told: bool,
}

impl State {
    /// Voids the spreading slots of the window so far: a new window, or none.
    pub(super) fn new_generation(&mut self) {
        self.reserved = Reserved::default();
        self.last_went = None;
        self.generation += 1;
    }

    /// Forgets the window and all that was derived from it: its slots, and the requests counted
    /// against it. The next answer with figures starts a new one.
    pub(super) fn forget_window(&mut self) {
        self.window = None;
        self.unfigured.clear();
        self.new_generation();
    }

    /// Seconds from `at` until the server's clock reads `reset` (epoch seconds), on the server's
    /// clock as the answers tell it: negative once it has passed.
    pub(super) fn seconds_until(&self, clock: &Clock, reset: u64, at: Instant) -> f64 {
        self.server_clock.seconds_until(clock, reset, at)
    }

    /// When `window` resets, on our clock.
    pub(super) fn reset_at(&self, clock: &Clock, window: Window) -> Instant {
        self.server_clock.instant_of(clock, window.reset)
    }

    /// The calls of `window` this client may still use: what remains, less what is in flight or
    /// answered without figures since, less the reserve of a client using `share` of the limit.
    pub(super) fn usable(&self, share: f64, window: Window) -> f64 {
        let reserve = ((1.0 - share) * window.limit as f64).ceil();
        let uncounted = self.in_flight.saturating_add(self.unfigured.len() as u64);
        window.remaining as f64 - uncounted as f64 - reserve
    }

    /// A request holding the spreading slot `held` goes when the slot has come and no other
    /// request of the client is in flight; until then it waits, keeping the slot.
    pub(super) fn use_slot(&mut self, held: Slot, slot: &mut Option<Slot>, now: Instant) -> Option<Decision> {
        let until = if held.until > now {
            held.until
        } else if self.in_flight > 0 {
            now + self.poll()
        } else {
            self.last_went = Some(now);
            return None;
        };
        *slot = Some(held);
        Some(Decision::Wait { until, reason: Reason::Spreading })
    }

    /// Gives a request the next free spreading slot of `window` (`usable` calls left), one
    /// interval after the latest slot still promised (or the last used): the calls not yet
    /// promised, and that slot's, spread over the time left from it. A crowd of waiting tasks
    /// wakes one at a time, and slots given back are given out again. `None` when the slot is
    /// now and nothing else of the client is in flight: the request goes.
    pub(super) fn next_slot(
        &mut self,
        clock: &Clock,
        window: Window,
        usable: f64,
        slot: &mut Option<Slot>,
        now: Instant,
    ) -> Option<Decision> {
        let free = usable - self.reserved.len() as f64;
        if free < 1.0 {
            return Some(Decision::Wait {
                until: self.reset_at(clock, window),
                reason: Reason::WindowUsedUp,
            });
        }
        let next = match self.reserved.last().max(self.last_went) {
            Some(last) => {
                let left = self.seconds_until(clock, window.reset, now);
                let left_at_last = if last > now {
                    left - (last - now).as_secs_f64()
                } else {
                    left + (now - last).as_secs_f64()
                };
                let interval = Duration::try_from_secs_f64(left_at_last.max(0.0) / (free + 1.0))
                    .unwrap_or(MAX_WINDOW)
                    .min(MAX_WINDOW);
                last.checked_add(interval).unwrap_or(now).max(now)
            }
            None => now,
        };
        if next > now || self.in_flight > 0 {
            let until = if next > now { next } else { now + self.poll() };
            self.reserved.insert(until);
            *slot = Some(Slot { until, generation: self.generation });
            return Some(Decision::Wait { until, reason: Reason::Spreading });
        }
        self.last_went = Some(now);
        None
    }

    /// Gives back a slot a request held and will not use: its call was cancelled, or it was
    /// told something else than to wait for it. A slot of an earlier window is void already.
    pub(super) fn release(&mut self, slot: Slot) {
        if slot.generation == self.generation {
            self.reserved.remove(slot.until);
        }
    }

    /// A request that went ([`Decision::Go`]) is no longer in flight: answered, failed, or
    /// dropped. Called once for each, by [`Landing`].
    pub(super) fn landed(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    /// Counts request `seq`, answered at `received` without the window's figures, against the
    /// window the client knows, while it lasts: the server counted it. Never more than the
    /// window's `remaining` are kept (with that many, the window is used up anyway).
    pub(super) fn count_unfigured(&mut self, clock: &Clock, seq: u64, received: Instant) {
        let Some(window) = self.window else { return };
        let left = self.seconds_until(clock, window.reset, received);
        if left > 0.0 && (self.unfigured.len() as u64) < window.remaining {
            self.unfigured.push(seq);
        }
    }

    /// How often a request waiting for its turn while another of the client's is in flight looks
    /// again: every half round trip, at least [`IN_FLIGHT_POLL`].
    pub(super) fn poll(&self) -> Duration {
        let half = self.round_trip.unwrap_or(0.0) / 2.0;
        IN_FLIGHT_POLL.max(Duration::try_from_secs_f64(half).unwrap_or(IN_FLIGHT_POLL))
    }
}

/// A request in flight: dropping it (answered, failed, or the call cancelled) tells the pacer.
#[derive(Debug)]
pub(crate) struct Landing<'a>(&'a Mutex<State>);

impl<'a> Landing<'a> {
    /// The landing of the request the pacer whose state is `state` just let go.
    pub(super) fn of(state: &'a Mutex<State>) -> Self {
        Landing(state)
    }
}

impl Drop for Landing<'_> {
    fn drop(&mut self) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).landed();
    }
}
