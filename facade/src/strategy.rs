//! The retry strategy: every decision to send, wait, retry or give up, in one place. Before each
//! attempt, [`CallStrategy::before_attempt`] says whether it goes, waits, or is refused without
//! being sent; after it, [`CallStrategy::after_attempt`] reads what was observed and says whether
//! the call is done, retries after a wait, or stops with an error. The pipeline only asks,
//! sleeps and sends.
//!
//! What is retried is the classifier's ([`classify`]); how long to wait, the policy's
//! ([`RetryPolicy`]) and the server's (the pacer reads its waits); this module weighs them
//! against the policy's limits.

use std::time::Duration;

use tokio::time::Instant;

use crate::clock::far_future;
use crate::decode;
use crate::error::{Error, NotSentReason};
use crate::pacing::{ClosedUntil, Decision, Pacer, Reason, Slot, IN_FLIGHT_POLL};
use crate::rate_limit::MAX_RESET_WAIT;
use crate::retry::{classify, Outcome, RetryPolicy, Verdict};
use crate::secret::Secret;
use crate::stats::Counters;
use crate::transport::Answer;

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

    /// The strategy of `call`, by the call's own policy if it has one, else the client's.
    pub(crate) fn call<'a>(&'a self, call: Call<'a>, policy: Option<&'a RetryPolicy>) -> CallStrategy<'a> {
        CallStrategy {
            call,
            policy: policy.unwrap_or(&self.policy),
            gave_up: &self.gave_up,
            attempts: 0,
            rate_limited: 0,
            transient: 0,
            held: Duration::ZERO,
        }
    }
}

/// What a call's strategy works with: the call, and the client's shared parts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Call<'a> {
    /// The operation, by its operationId.
    pub(crate) operation: &'static str,
    /// Its HTTP method.
    pub(crate) method: &'static str,
    pub(crate) pacer: &'a Pacer,
    pub(crate) counters: &'a Counters,
    pub(crate) secret: &'a Secret,
}

/// The strategy of one call: the policy it follows, and what its attempts have used so far.
#[derive(Debug)]
pub(crate) struct CallStrategy<'a> {
    call: Call<'a>,
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
#[derive(Debug)]
pub(crate) enum Before {
    /// Send it now: it is the call's `attempt`-th attempt, and the `seq`-th request the pacer let
    /// go.
    Go { seq: u64, attempt: u32 },
    /// Wait this long, for this reason, then ask again.
    Wait { wait: Duration, reason: Reason },
    /// The call fails with this error, without being sent.
    Refuse(Error),
}

/// What an attempt ended with.
#[derive(Debug)]
pub(crate) enum Observed<'a> {
    /// No complete answer: the outcome, and the attempt's error.
    NoAnswer(Outcome, Error),
    /// An answer, received then.
    Answer(&'a Answer, Instant),
}

/// What to do after an attempt.
#[derive(Debug)]
pub(crate) enum After<'a> {
    /// This answer is the call's result.
    Done(&'a Answer),
    /// Attempt again: after this backoff, or (`None`) when the pacer lets the attempt go.
    Retry { backoff: Option<Duration> },
    /// The call fails with this error.
    Stop(Error),
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
        let clock = *self.call.pacer.clock();
        let now = clock.now();
        if let Some(until) = self.gave_up.until(now) {
            return Before::Refuse(self.not_sent(until - now, NotSentReason::GaveUp));
        }
        let (wait, reason) = match self.call.pacer.decide(slot) {
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
                return Before::Refuse(self.not_sent(wait, NotSentReason::WindowClosed));
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
    ///   attempts, or the wait is longer than `max_wait`, the call stops, and the client sends
    ///   nothing until the reset (an hour from now at most: then one call is sent to learn
    ///   whether the server still refuses); the organization's other clients hold as long.
    /// * A transient failure retries after a backoff (or the answer's `Retry-After`, when it asks
    ///   for longer), within the policy's transient attempts and `max_wait`.
    /// * Anything else stops the call.
    pub(crate) fn after_attempt<'o>(&mut self, observed: Observed<'o>) -> After<'o> {
        let policy = self.policy;
        let (answer, received) = match observed {
            Observed::NoAnswer(outcome, error) => {
                if classify(self.call.method, outcome) == Verdict::Transient {
                    self.transient += 1;
                    if self.transient < policy.transient_attempts() {
                        tracing::warn!(attempt = self.attempts, error = %error, "retrying after a transient failure");
                        return After::Retry { backoff: Some(policy.backoff(self.transient)) };
                    }
                }
                return After::Stop(error);
            }
            Observed::Answer(answer, received) if !answer.status.is_success() => (answer, received),
            Observed::Answer(answer, _) => return After::Done(answer),
        };
        let status = answer.status.as_u16();
        let clock = *self.call.pacer.clock();
        match classify(self.call.method, Outcome::Status(status)) {
            Verdict::RateLimited => {
                self.call.counters.rate_limited();
                self.rate_limited += 1;
                let wait = self.call.pacer.server_wait(&answer.reported, received);
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
                    self.call.pacer.hold_until(until);
                    return After::Stop(self.api_error(answer, wait));
                }
                tracing::warn!(
                    attempt = self.attempts,
                    status,
                    wait_ms = millis(hold),
                    reason = "rate limited (429)",
                    "retrying after the reset"
                );
                self.call.pacer.hold_until(until);
                After::Retry { backoff: None }
            }
            Verdict::Transient => {
                self.transient += 1;
                let retry_after = answer.reported.retry_after(clock.wall_at(received));
                // The backoff, or the answer's `Retry-After` (a 503's, typically) when it asks for
                // longer.
                let backoff = policy.backoff(self.transient);
                let wait = retry_after.map_or(backoff, |r| r.max(backoff));
                if self.transient >= policy.transient_attempts() || wait > policy.max_wait() {
                    return After::Stop(self.api_error(answer, retry_after));
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
                    503 => answer.reported.retry_after(clock.wall_at(received)),
                    _ => None,
                };
                After::Stop(self.api_error(answer, retry_after))
            }
        }
    }

    /// The error of an answer, reporting `retry_after` as its wait.
    fn api_error(&self, answer: &Answer, retry_after: Option<Duration>) -> Error {
        Error::Api(Box::new(decode::api_error(self.call.operation, answer, retry_after, self.call.secret)))
    }

    /// The error of a call refused without being sent, for `reason`; the window opens in `wait`.
    fn not_sent(&self, wait: Duration, reason: NotSentReason) -> Error {
        self.call.counters.not_sent();
        tracing::warn!(
            attempt = self.attempt(),
            wait_ms = millis(wait),
            reason = reason.describe(),
            "rate limited: not sending"
        );
        Error::NotSent {
            operation: self.call.operation,
            reason,
            retry_after: wait,
            rate_limit: self.call.pacer.latest(),
        }
    }
}

/// A duration in whole milliseconds, for log fields.
pub(crate) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
