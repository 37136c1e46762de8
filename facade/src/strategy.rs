//! The retry strategy: every decision to send, wait, retry or give up, in one place. Before each
//! attempt, [`CallStrategy::before_attempt`] says whether it goes, waits, or is refused without
//! being sent; after it, [`CallStrategy::after_attempt`] reads what was observed (a status and
//! what the answer said of the rate limit, or the outcome of an attempt that got no answer) and
//! says whether the call is done, retries after a wait, or fails. It answers with decisions
//! only: the pipeline asks, sleeps, sends, counts, and builds the errors the decisions call for.
//!
//! What is retried is the classifier's ([`classify`]); how long to wait, the policy's
//! ([`RetryPolicy`]) and the server's (the pacer reads its waits); this module weighs them
//! against the policy's limits.

use std::time::Duration;

use tokio::time::Instant;

use crate::clock::far_future;
use crate::error::NotSentReason;
use crate::pacing::{ClosedUntil, Decision, Pacer, Reason, Slot, IN_FLIGHT_POLL};
use crate::rate_limit::{Reported, MAX_RESET_WAIT};
use crate::retry::{classify, Outcome, RetryPolicy, Verdict};

/// The retry strategy of a client and its clones: the client's policy, and the time until which
/// the client sends nothing because a call gave up on 429s.
#[derive(Debug)]
pub(crate) struct RetryStrategy {
    policy: RetryPolicy,
    /// Until when the client's calls fail unsent: a call gave up on 429s. The organization's
    /// other clients only see the pacer's hold, and wait it out if their policy allows.
    gave_up: ClosedUntil,
}

impl RetryStrategy {
    /// The strategy of a client retrying as `policy` says.
    pub(crate) fn new(policy: RetryPolicy) -> Self {
        RetryStrategy { policy, gave_up: ClosedUntil::default() }
    }

    /// The strategy of a call of `method`, paced by `pacer`, by the call's own policy if it has
    /// one, else the client's.
    pub(crate) fn call<'a>(
        &'a self,
        method: &'static str,
        pacer: &'a Pacer,
        policy: Option<&'a RetryPolicy>,
    ) -> CallStrategy<'a> {
        CallStrategy {
            method,
            pacer,
            policy: policy.unwrap_or(&self.policy),
            gave_up: &self.gave_up,
            attempts: 0,
            rate_limited: 0,
            transient: 0,
            held: Duration::ZERO,
        }
    }
}

/// The strategy of one call: the policy it follows, and what its attempts have used so far.
#[derive(Debug)]
pub(crate) struct CallStrategy<'a> {
    /// The call's HTTP method.
    method: &'static str,
    /// The rate-limit state the client shares with the organization's other clients here.
    pacer: &'a Pacer,
    policy: &'a RetryPolicy,
    gave_up: &'a ClosedUntil,
    /// Attempts sent.
    attempts: u32,
    /// Attempts answered 429.
    rate_limited: u32,
    /// Attempts that failed transiently.
    transient: u32,
    /// The time waited for a closed window, across the call's attempts.
    held: Duration,
}

/// What to do before an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Before {
    /// Send it now: it is the call's `attempt`-th attempt, and the `seq`-th request the pacer let
    /// go.
    Go { seq: u64, attempt: u32 },
    /// Wait this long, for this reason, then ask again.
    Wait { wait: Duration, reason: Reason },
    /// The call fails without being sent, for `reason`; the window opens in `wait`.
    Refuse { reason: NotSentReason, wait: Duration },
}

/// What an attempt ended with.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Observed<'a> {
    /// No complete answer: what the attempt ended with instead.
    NoAnswer(Outcome),
    /// An answer with this status and what its headers said of the rate limit, received then.
    Answer { status: u16, reported: &'a Reported, received: Instant },
}

/// What to do after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum After {
    /// The answer is the call's result.
    Done,
    /// Attempt again: after this backoff, or (`None`) when the pacer lets the attempt go.
    Retry { backoff: Option<Duration> },
    /// The call fails: with the error of the answer, reporting `retry_after` as the wait it
    /// asked for, or with the attempt's own error when there was no answer (`retry_after` is
    /// then `None`).
    Fail { retry_after: Option<Duration> },
}

impl CallStrategy<'_> {
    /// The attempt about to be made (1 for the first).
    pub(crate) fn attempt(&self) -> u32 {
        self.attempts + 1
    }

    /// Decides whether the next attempt goes now, waits, or is refused without being sent.
    /// `slot` is the spreading slot the call holds while it waits, if any (see
    /// [`Pacer::decide`]).
    ///
    /// A client that gave up on 429s refuses at once. A wait for a closed window longer than the
    /// policy's `max_wait` (or than what the call's attempts could wait in all,
    /// `rate_limited_attempts × max_wait`) is refused at once; a shorter one gets a little
    /// jitter. A spreading wait is the client's own choice: never refused, and never longer than
    /// `max_wait` at a time (the slot stays reserved across the waits).
    pub(crate) fn before_attempt(&mut self, slot: &mut Option<Slot>) -> Before {
        let clock = *self.pacer.clock();
        let now = clock.now();
        if let Some(until) = self.gave_up.until(now) {
            return Before::Refuse { reason: NotSentReason::GaveUp, wait: until - now };
        }
        let (wait, reason) = match self.pacer.decide(slot) {
            Decision::Go { seq } => {
                self.attempts += 1;
                return Before::Go { seq, attempt: self.attempts };
            }
            Decision::Wait { until, reason } => (until.saturating_duration_since(clock.now()), reason),
        };
        let policy = self.policy;
        let budget = policy.max_wait().saturating_mul(policy.rate_limited_attempts());
        let wait = match reason {
            Reason::Spreading => {
                return Before::Wait { wait: wait.min(policy.max_wait().max(IN_FLIGHT_POLL)), reason }
            }
            _ if wait > policy.max_wait() || self.held.saturating_add(wait) > budget => {
                return Before::Refuse { reason: NotSentReason::WindowClosed, wait };
            }
            // Jitter spreads a crowd of clients, within the longest wait.
            _ => wait.saturating_add(policy.jitter_for(wait)).min(policy.max_wait().max(wait)),
        };
        self.held = self.held.saturating_add(wait);
        Before::Wait { wait, reason }
    }

    /// Decides what follows an attempt, from what was `observed`.
    ///
    /// * A success is done.
    /// * A 429 (any method) retries once the pacer lets it go, which is after the server's wait
    ///   (or a backoff when it names none). When that was the last of the policy's rate-limited
    ///   attempts, or the wait is longer than `max_wait`, the call fails, and the client sends
    ///   nothing until the reset (an hour from now at most: then one call is sent to learn
    ///   whether the server still refuses); the organization's other clients hold as long.
    /// * A transient failure retries after a backoff (or the answer's `Retry-After`, when it asks
    ///   for longer), within the policy's transient attempts and `max_wait`.
    /// * Anything else fails the call.
    pub(crate) fn after_attempt(&mut self, observed: Observed<'_>) -> After {
        let policy = self.policy;
        let (status, reported, received) = match observed {
            Observed::NoAnswer(outcome) => {
                if classify(self.method, outcome) == Verdict::Transient {
                    self.transient += 1;
                    if self.transient < policy.transient_attempts() {
                        return After::Retry { backoff: Some(policy.backoff(self.transient)) };
                    }
                }
                return After::Fail { retry_after: None };
            }
            Observed::Answer { status, .. } if (200..300).contains(&status) => return After::Done,
            Observed::Answer { status, reported, received } => (status, reported, received),
        };
        let clock = *self.pacer.clock();
        match classify(self.method, Outcome::Status(status)) {
            Verdict::RateLimited => {
                self.rate_limited += 1;
                let wait = self.pacer.server_wait(reported, received);
                let hold = wait.unwrap_or_else(|| policy.backoff(self.rate_limited));
                let until = received.checked_add(hold).unwrap_or_else(|| far_future(received));
                let give_up = if self.rate_limited >= policy.rate_limited_attempts() {
                    Some("attempts exhausted")
                } else if hold > policy.max_wait() {
                    Some("the server asks for a wait beyond max_wait")
                } else {
                    None
                };
                if let Some(why) = give_up {
                    tracing::warn!(
                        attempt = self.attempts,
                        status,
                        wait_ms = millis(hold),
                        reason = why,
                        "rate limited: giving up"
                    );
                    let until = until.min(received.checked_add(MAX_RESET_WAIT).unwrap_or(until));
                    self.gave_up.close_until(until);
                    self.pacer.hold_until(until);
                    return After::Fail { retry_after: wait };
                }
                tracing::warn!(
                    attempt = self.attempts,
                    status,
                    wait_ms = millis(hold),
                    reason = "rate limited (429)",
                    "retrying after the reset"
                );
                self.pacer.hold_until(until);
                After::Retry { backoff: None }
            }
            Verdict::Transient => {
                self.transient += 1;
                let retry_after = reported.retry_after(clock.wall_at(received));
                // The backoff, or the answer's `Retry-After` (a 503's, typically) when it asks for
                // longer.
                let backoff = policy.backoff(self.transient);
                let wait = retry_after.map_or(backoff, |r| r.max(backoff));
                if self.transient >= policy.transient_attempts() || wait > policy.max_wait() {
                    return After::Fail { retry_after };
                }
                tracing::warn!(
                    attempt = self.attempts,
                    status,
                    wait_ms = millis(wait),
                    "retrying after a transient failure"
                );
                After::Retry { backoff: Some(wait) }
            }
            Verdict::Final => {
                let retry_after = match status {
                    503 => reported.retry_after(clock.wall_at(received)),
                    _ => None,
                };
                After::Fail { retry_after }
            }
        }
    }
}

/// A duration in whole milliseconds, for log fields.
pub(crate) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
#[path = "tests/strategy.rs"]
mod tests;
