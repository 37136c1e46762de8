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
//! and ours is measured from the `Date` headers (one-second resolution, bounded by when each
//! request left and its answer came back, narrowed over many answers); it corrects a skewed
//! local clock, while the local clock times the fractions of a second. When the server's clock is
//! stepped (a `Date` outside the bounds), the window read on the old clock is forgotten; a window
//! whose reset seems further away than five minutes is never waited for.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use tokio::time::Instant;

use crate::clock::{far_future, Clock};
use crate::rate_limit::{RateLimit, Reported, MAX_RESET_WAIT};
use crate::secret::Secret;

/// A window whose reset is further away than this is not paced on (the API's window is a
/// minute; a reset far away is a wrong header).
const MAX_WINDOW: Duration = Duration::from_secs(300);

/// Offsets of the server's clock closer to zero than this are taken for rounding.
const CLOCK_RESOLUTION: f64 = 0.001;

/// The limit assumed when answers report `remaining` but no limit (the API's default).
const DEFAULT_LIMIT: u64 = 240;

/// Below this share of the usable limit, what remains is spread over the time left.
const SPREAD_BELOW: f64 = 0.25;

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

/// "Send nothing until then": an instant before which requests are not sent, only ever moved
/// later. Lock-free, as it is read before every attempt. It serves two policies: the
/// organization's hold after a 429 ([`Pacer::hold_until`]), which requests wait out when their
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

/// A spreading slot reserved by a waiting request: when it comes, and the window it was
/// reserved in (a new window voids the promises of the last).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Slot {
    until: Instant,
    generation: u64,
}

/// What the answers say of the current window.
#[derive(Debug, Clone, Copy)]
struct Window {
    /// Its end, epoch seconds of the server's clock.
    reset: u64,
    limit: u64,
    /// The lowest `remaining` any answer of this window reported: within a window the count only
    /// goes down, so that is the latest the server has told, whatever order answers came in.
    remaining: u64,
    /// When that was.
    remaining_at: Instant,
    /// The first `remaining` seen in this window, and when: with the lowest, how fast the
    /// organization spends its calls.
    first: u64,
    first_at: Instant,
}

impl Window {
    /// Calls a second the organization has spent in this window, as far as the answers tell.
    /// Answers that land within one round trip (`round_trip`, seconds) of each other were in
    /// flight together: they tell how many calls went out at once, not how fast calls go, so
    /// the span they are spread over is at least a round trip. (Four concurrent calls answered
    /// a millisecond apart are not 3,000 calls a second.)
    fn spend_rate(&self, round_trip: f64) -> f64 {
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

#[derive(Debug, Default)]
struct State {
    latest: RateLimit,
    latest_seq: u64,
    window: Option<Window>,
    /// Requests sent so far (each gets the next sequence number).
    sent: u64,
    /// Requests of this client sent and not yet answered (or failed): not yet in any
    /// `remaining` the client has seen.
    in_flight: u64,
    /// The requests (their sequence numbers) answered without the window's figures since the
    /// figures it holds: the server counted them, no `remaining` the client has seen shows it.
    unfigured: Vec<u64>,
    /// The round trip of a request, smoothed, in seconds.
    round_trip: Option<f64>,
    /// Bounds on the server's clock minus ours, in seconds.
    offset: Option<(f64, f64)>,
    /// The spreading slots reserved by requests still waiting for them.
    reserved: Reserved,
    /// When the last request that spread went: with the latest reserved slot, where the next
    /// slot is counted from.
    last_went: Option<Instant>,
    /// Counts the windows seen: slots of an earlier window are void.
    generation: u64,
    /// Whether the log has said that resets are implausibly far away, since the last window
    /// whose reset was plausible.
    far_reset_told: bool,
}

impl State {
    /// Voids the spreading slots of the window so far: a new window, or none.
    fn new_generation(&mut self) {
        self.reserved = Reserved::default();
        self.last_went = None;
        self.generation += 1;
    }

    /// Forgets the window and all that was derived from it: its slots, and the requests counted
    /// against it. The next answer with figures starts a new one.
    fn forget_window(&mut self) {
        self.window = None;
        self.unfigured.clear();
        self.new_generation();
    }
}

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
static SHARED: LazyLock<Mutex<Shared>> = LazyLock::new(|| Mutex::new(Shared::default()));

/// The registry of shared pacers.
#[derive(Default)]
struct Shared {
    /// Hashes the tokens, with keys drawn for this process: the registry keeps no token, and a
    /// hash tells nothing of its token outside the process.
    hasher: RandomState,
    /// Each pacer lives as long as a client holds it.
    pacers: HashMap<SharedKey, Weak<Pacer>>,
}

/// What makes clients one organization's, for pacing: where they send, with which token (hashed),
/// and the share of the limit they use.
#[derive(Debug, PartialEq, Eq, Hash)]
struct SharedKey {
    /// The base URL requests go to.
    base_url: String,
    /// The token's hash (with the registry's keys).
    token: u64,
    /// The share's bits: clients with different shares keep different reserves.
    share: u64,
}

impl Shared {
    /// The key of the clients sending to `base_url` with the current token of `token` and `share`.
    fn key(&self, base_url: &str, token: &Secret, share: f64) -> SharedKey {
        SharedKey {
            base_url: base_url.to_owned(),
            token: self.hasher.hash_one(&*token.expose()),
            share: share.to_bits(),
        }
    }
}

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
        let key = shared.key(base_url, token, share);
        if let Some(pacer) = shared.pacers.get(&key).and_then(Weak::upgrade) {
            return pacer;
        }
        // The pacers of clients all gone go with this new one's entry.
        shared.pacers.retain(|_, pacer| pacer.strong_count() > 0);
        let pacer = Arc::new(Pacer::new(Clock::new(), share));
        shared.pacers.insert(key, Arc::downgrade(&pacer));
        pacer
    }

    /// Makes `pacer` the one [`shared`](Self::shared) finds for `token` too (a client's new
    /// token), unless a client already built with that token has a pacer of its own.
    pub(crate) fn share_as(pacer: &Arc<Pacer>, base_url: &str, token: &Secret) {
        let mut shared = SHARED.lock().unwrap_or_else(PoisonError::into_inner);
        let key = shared.key(base_url, token, pacer.share);
        if shared.pacers.get(&key).and_then(Weak::upgrade).is_none() {
            shared.pacers.insert(key, Arc::downgrade(pacer));
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
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

    /// Seconds from `at` until the server's clock reads `reset` (epoch seconds), with the offset
    /// of the server's clock as `state` estimates it: negative once it has passed.
    fn seconds_until(&self, state: &State, reset: u64, at: Instant) -> f64 {
        reset as f64 - (self.clock.epoch_at(at) + estimate(state.offset))
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
            state.reserved.remove(s.until);
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
        let left = state.window.map(|w| self.seconds_until(&state, w.reset, now));
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
    /// the time until the reset ([`Pacer::use_slot`], [`Pacer::next_slot`]).
    fn pace(
        &self,
        state: &mut State,
        window: Window,
        held: Option<Slot>,
        slot: &mut Option<Slot>,
        now: Instant,
    ) -> Option<Decision> {
        let left = self.seconds_until(state, window.reset, now);
        let share_of_limit = self.share * window.limit as f64;
        let quarter = (share_of_limit * SPREAD_BELOW).ceil().max(1.0);
        if left <= 0.0 {
            // The window has ended and no answer has told of the next one yet: a few requests at
            // a time until one does, not every waiting request at once.
            return (state.in_flight as f64 >= quarter)
                .then(|| Decision::Wait { until: now + poll(state), reason: Reason::Spreading });
        }
        let usable = self.usable(state, window);
        if usable < 1.0 {
            return Some(Decision::Wait {
                until: self.reset_at(state, window),
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
            Some(held) => Self::use_slot(state, held, slot, now),
            None => self.next_slot(state, window, usable, slot, now),
        }
    }

    /// The calls of `window` this client may still use: what remains, less what is in flight or
    /// answered without figures since, less the share's reserve.
    fn usable(&self, state: &State, window: Window) -> f64 {
        let reserve = ((1.0 - self.share) * window.limit as f64).ceil();
        let uncounted = state.in_flight.saturating_add(state.unfigured.len() as u64);
        window.remaining as f64 - uncounted as f64 - reserve
    }

    /// When `window` resets, on our clock.
    fn reset_at(&self, state: &State, window: Window) -> Instant {
        self.clock.instant_at_epoch(window.reset as f64 - estimate(state.offset))
    }

    /// A request holding the spreading slot `held` goes when the slot has come and no other
    /// request of the client is in flight; until then it waits, keeping the slot.
    fn use_slot(state: &mut State, held: Slot, slot: &mut Option<Slot>, now: Instant) -> Option<Decision> {
        let until = if held.until > now {
            held.until
        } else if state.in_flight > 0 {
            now + poll(state)
        } else {
            state.last_went = Some(now);
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
    fn next_slot(
        &self,
        state: &mut State,
        window: Window,
        usable: f64,
        slot: &mut Option<Slot>,
        now: Instant,
    ) -> Option<Decision> {
        let free = usable - state.reserved.len() as f64;
        if free < 1.0 {
            return Some(Decision::Wait {
                until: self.reset_at(state, window),
                reason: Reason::WindowUsedUp,
            });
        }
        let next = match state.reserved.last().max(state.last_went) {
            Some(last) => {
                let left = self.seconds_until(state, window.reset, now);
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
        if next > now || state.in_flight > 0 {
            let until = if next > now { next } else { now + poll(state) };
            state.reserved.insert(until);
            *slot = Some(Slot { until, generation: state.generation });
            return Some(Decision::Wait { until, reason: Reason::Spreading });
        }
        state.last_went = Some(now);
        None
    }

    /// Gives back a slot a request held and will not use (its call was cancelled).
    pub(crate) fn release(&self, slot: Slot) {
        let mut state = self.state();
        if slot.generation == state.generation {
            state.reserved.remove(slot.until);
        }
    }

    /// A request that went ([`Decision::Go`]) is no longer in flight: answered, failed, or
    /// dropped. Called once for each, by [`Landing`].
    fn landed(&self) {
        let mut state = self.state();
        state.in_flight = state.in_flight.saturating_sub(1);
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
        if let Some(date) = reported.date {
            let date = date as f64;
            let lo = date - self.clock.epoch_at(received);
            let hi = date + 1.0 - self.clock.epoch_at(sent);
            state.offset = Some(match state.offset {
                Some((a, b)) if a.max(lo) <= b.min(hi) => (a.max(lo), b.min(hi)),
                // The bounds disagree: a clock was stepped. Start again from this answer, and
                // forget the window read on the old clock (unless this answer names the same
                // reset: then only the offset changed), lest its reset be taken for a later one
                // than the server's new windows, or seem far away.
                Some(_) => {
                    let same =
                        state.window.is_some_and(|w| figures.remaining.is_some() && reset == Some(w.reset));
                    if !same {
                        state.forget_window();
                    }
                    (lo, hi)
                }
                None => (lo, hi),
            });
        }
        let (Some(reset), Some(remaining)) = (reset, figures.remaining) else {
            // No figures of the window: the request still counts against it (a 429 does not).
            if status != 429 {
                self.count_unfigured(&mut state, seq, received);
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
        let left = self.seconds_until(&state, reset, received);
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

    /// Counts request `seq`, answered at `received` without the window's figures, against the
    /// window the client knows, while it lasts: the server counted it. Never more than the
    /// window's `remaining` are kept (with that many, the window is used up anyway).
    fn count_unfigured(&self, state: &mut State, seq: u64, received: Instant) {
        let Some(window) = state.window else { return };
        let left = self.seconds_until(state, window.reset, received);
        if left > 0.0 && (state.unfigured.len() as u64) < window.remaining {
            state.unfigured.push(seq);
        }
    }

    /// The wait a 429 answer (received at `received`) names: the later of `Retry-After` and the
    /// reset headers, the latter on the server's clock. A reset more than an hour away is not
    /// believed (it is taken for a unit error); `Retry-After` is believed at any length.
    pub(crate) fn server_wait(&self, reported: &Reported, received: Instant) -> Option<Duration> {
        let retry_after = reported.retry_after(self.clock.wall_at(received));
        let offset = estimate(self.state().offset);
        let reset = reported.reset.and_then(|reset| {
            let at = self.clock.instant_at_epoch(reset as f64 - offset);
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

/// A request in flight: dropping it (answered, failed, or the call cancelled) tells the pacer.
#[derive(Debug)]
pub(crate) struct Landing<'a>(&'a Pacer);

impl<'a> Landing<'a> {
    /// The landing of the request the pacer just let go.
    pub(crate) fn new(pacer: &'a Pacer) -> Self {
        Landing(pacer)
    }
}

impl Drop for Landing<'_> {
    fn drop(&mut self) {
        self.0.landed();
    }
}

/// How often a request waiting for its turn while another of the client's is in flight looks
/// again: every half round trip, at least [`IN_FLIGHT_POLL`].
fn poll(state: &State) -> Duration {
    let half = state.round_trip.unwrap_or(0.0) / 2.0;
    IN_FLIGHT_POLL.max(Duration::try_from_secs_f64(half).unwrap_or(IN_FLIGHT_POLL))
}

/// The offset to use: zero while the bounds allow it (the clocks agree to within what the
/// `Date` header can tell, so the local clock times the fractions), else the lower bound, with
/// which a wait for the server's reset never ends before it (it may end up to the bounds' width
/// after it; they narrow with every answer). The offset is at least the lower bound and less
/// than the upper one: an upper bound at zero (a request refused when our clock read the reset
/// already) says that our clock runs ahead.
fn estimate(offset: Option<(f64, f64)>) -> f64 {
    match offset {
        Some((lo, hi)) if lo <= 0.0 && hi > CLOCK_RESOLUTION => 0.0,
        Some((lo, _)) => lo,
        None => 0.0,
    }
}

#[cfg(test)]
#[path = "tests/pacing.rs"]
mod tests;
