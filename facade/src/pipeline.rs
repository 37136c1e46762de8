//! The request pipeline: one call of one operation, from its generated descriptor to a decoded
//! value or an [`Error`]. Paces each attempt ([`crate::pacing`]), sends it ([`crate::transport`]),
//! classifies what came back ([`crate::retry`]), waits and retries, and decodes the final answer
//! ([`crate::decode`]). Every call is one `tracing` span; waits and retries are events in it.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use thousandeyes_usage_generated::apis::Operation;
use tokio::time::Instant;
use tracing::Instrument;

use crate::config::Config;
use crate::decode;
use crate::error::{ApiError, Error};
use crate::pacing::{Decision, Landing, Pacer, Reason, Slot, IN_FLIGHT_POLL};
use crate::rate_limit::{self, RateLimit, MAX_RESET_WAIT};
use crate::retry::{classify, Outcome, RetryPolicy, Verdict};
use crate::secret::Secret;
use crate::stats::Counters;
use crate::transport::{Answer, Transport};

/// A decoded answer and the rate-limit figures it carried.
#[derive(Debug)]
pub(crate) struct Reply<T> {
    pub(crate) value: T,
    pub(crate) rate_limit: RateLimit,
}

/// Everything a call needs, shared by every clone of a client.
#[derive(Debug)]
pub(crate) struct Pipeline {
    pub(crate) transport: Transport,
    /// Shared also with the other clients of the organization in this process.
    pub(crate) pacer: Arc<Pacer>,
    pub(crate) retry: RetryPolicy,
    pub(crate) secret: Secret,
    pub(crate) counters: Counters,
    /// Until when this client (and its clones) sends nothing: a call gave up on 429s. Other
    /// clients of the organization only see the hold, and wait it out if their policy allows.
    closed: Mutex<Option<Instant>>,
}

impl Pipeline {
    pub(crate) fn new(config: &Config, pacer: Arc<Pacer>) -> Result<Self, Error> {
        Ok(Pipeline {
            transport: Transport::new(config)?,
            pacer,
            retry: config.retry.clone(),
            secret: config.token.clone(),
            counters: Counters::default(),
            closed: Mutex::new(None),
        })
    }

    /// Runs operation `O` with `params`, retrying as `policy` (or the client's) allows, and
    /// decodes a success answer with `decode`.
    pub(crate) async fn execute<O, R>(
        &self,
        params: &O::Params,
        policy: Option<&RetryPolicy>,
        decode: impl FnOnce(&Answer, &Secret) -> Result<R, Error>,
    ) -> Result<Reply<R>, Error>
    where
        O: Operation,
    {
        let operation = O::OPERATION_ID;
        let request = O::request(params)
            .map_err(|e| Error::invalid("body", e.to_string(), "cannot be serialized as JSON"))?;
        let prepared = self.transport.prepare(operation, &request, O::ACCEPT)?;
        let url = prepared.url();
        let span = tracing::info_span!(
            "thousandeyes_usage.request",
            otel.name = format!("{} {}", O::METHOD, O::PATH),
            otel.kind = "client",
            thousandeyes.operation = operation,
            http.request.method = O::METHOD,
            url.full = self.secret.redacted(url.as_str()),
            url.template = O::PATH,
            server.address = url.host_str().unwrap_or_default(),
            server.port = url.port_or_known_default(),
            http.response.status_code = tracing::field::Empty,
            http.request.resend_count = tracing::field::Empty,
            thousandeyes.attempts = tracing::field::Empty,
            error.type = tracing::field::Empty,
        );
        let sent_path = self.secret.redacted(url.path());
        let policy = policy.unwrap_or(&self.retry);
        let mut result = self.attempts::<O, R>(prepared, policy, decode).instrument(span.clone()).await;
        if let Err(Error::Api(api)) = &mut result {
            if api.status == 404 && api.sent {
                api.hint = Some(crate::config::not_found_hint(&sent_path, O::PATH));
            }
        }
        if let Err(error) = &result {
            span.record("error.type", error.kind());
            // A request held back by the client got no answer: no status to record.
            let sent = error.as_api().is_none_or(|api| api.was_sent());
            if let (Some(status), true) = (error.status(), sent) {
                span.record("http.response.status_code", status);
            }
        }
        result
    }

    async fn attempts<O: Operation, R>(
        &self,
        prepared: reqwest::Request,
        policy: &RetryPolicy,
        decode: impl FnOnce(&Answer, &Secret) -> Result<R, Error>,
    ) -> Result<Reply<R>, Error> {
        let operation = O::OPERATION_ID;
        let span = tracing::Span::current();
        let clock = *self.pacer.clock();
        let (mut attempts, mut rate_limited, mut transient) = (0u32, 0u32, 0u32);
        let mut backoff: Option<Duration> = None;
        let mut held = Duration::ZERO;
        loop {
            if let Some(wait) = backoff.take() {
                tracing::info!(
                    attempt = attempts + 1,
                    wait_ms = millis(wait),
                    reason = "transient failure",
                    "backing off"
                );
                tokio::time::sleep(wait).await;
                self.counters.backed_off(wait);
            }
            let (seq, landing) = self.wait_turn(operation, policy, attempts + 1, &mut held).await?;
            let Some(attempt) = prepared.try_clone() else {
                return Err(Error::Transport {
                    operation,
                    source: "the request body cannot be replayed".into(),
                });
            };
            attempts += 1;
            self.counters.sent(attempts > 1);
            span.record("thousandeyes.attempts", attempts);
            if attempts > 1 {
                span.record("http.request.resend_count", attempts - 1);
            }
            let sent = clock.now();
            let result = self.transport.send(operation, attempt).await;
            let received = clock.now();
            let answer = match result {
                Ok(answer) => answer,
                Err((outcome, error)) => {
                    if classify(O::METHOD, outcome) == Verdict::Transient {
                        transient += 1;
                        if transient < policy.transient_attempts() {
                            tracing::warn!(attempt = attempts, error = %error, "retrying after a transient failure");
                            backoff = Some(policy.backoff(transient));
                            continue;
                        }
                    }
                    return Err(error);
                }
            };
            let status = answer.status.as_u16();
            span.record("http.response.status_code", status);
            if !O::STATUSES.contains(&status) {
                tracing::debug!(status, "the spec does not document this status for the operation");
            }
            self.pacer.observe(&answer.headers, status, seq, sent, received);
            drop(landing);
            if answer.status.is_success() {
                let rate_limit = RateLimit::from_headers(&answer.headers);
                return decode(&answer, &self.secret).map(|value| Reply { value, rate_limit });
            }
            match classify(O::METHOD, Outcome::Status(status)) {
                Verdict::RateLimited => {
                    self.counters.rate_limited();
                    rate_limited += 1;
                    let wait = self.pacer.server_wait(&answer.headers, received);
                    let hold = wait.unwrap_or_else(|| policy.backoff(rate_limited));
                    let until =
                        received.checked_add(hold).unwrap_or_else(|| crate::clock::far_future(received));
                    let give_up = if rate_limited >= policy.max_attempts() {
                        Some("attempts exhausted")
                    } else if hold > policy.max_wait() {
                        Some("the server asks for a wait beyond max_wait")
                    } else {
                        None
                    };
                    if let Some(why) = give_up {
                        tracing::warn!(
                            attempt = attempts,
                            status,
                            wait_ms = millis(hold),
                            reason = why,
                            "rate limited: giving up"
                        );
                        // Later calls of this client fail without being sent until the reset, an
                        // hour from now at most (then one is sent to learn whether the server
                        // still refuses); the organization's other clients hold as long.
                        let until = until.min(received.checked_add(MAX_RESET_WAIT).unwrap_or(until));
                        self.close_until(until);
                        self.pacer.hold_until(until);
                        return Err(self.api_error(operation, &answer, wait));
                    }
                    tracing::warn!(
                        attempt = attempts,
                        status,
                        wait_ms = millis(hold),
                        reason = "rate limited (429)",
                        "retrying after the reset"
                    );
                    self.pacer.hold_until(until);
                }
                Verdict::Transient => {
                    transient += 1;
                    let retry_after = rate_limit::retry_after(&answer.headers, clock.wall_at(received));
                    // The backoff, or the answer's `Retry-After` (a 503's, typically) when it asks for
                    // longer.
                    let backoff_wait = policy.backoff(transient);
                    let wait = retry_after.map_or(backoff_wait, |r| r.max(backoff_wait));
                    if transient >= policy.transient_attempts() || wait > policy.max_wait() {
                        return Err(self.api_error(operation, &answer, retry_after));
                    }
                    tracing::warn!(
                        attempt = attempts,
                        status,
                        wait_ms = millis(wait),
                        "retrying after a transient failure"
                    );
                    backoff = Some(wait);
                }
                Verdict::Final => {
                    let retry_after = match status {
                        503 => rate_limit::retry_after(&answer.headers, clock.wall_at(received)),
                        _ => None,
                    };
                    return Err(self.api_error(operation, &answer, retry_after));
                }
            }
        }
    }

    fn api_error(&self, operation: &'static str, answer: &Answer, retry_after: Option<Duration>) -> Error {
        Error::Api(Box::new(decode::api_error(operation, answer, retry_after, &self.secret)))
    }

    /// Waits until the pacer lets attempt `attempt` go, and returns its sequence number and its
    /// landing (dropped when the attempt is over). A wait for a closed window longer than the
    /// policy's `max_wait` (or than what the call's attempts could wait in all) fails at once,
    /// without sending; so does a client that gave up on 429s. Each wait is counted in the
    /// client's stats by its reason, for the time actually waited, once per call.
    async fn wait_turn(
        &self,
        operation: &'static str,
        policy: &RetryPolicy,
        attempt: u32,
        held: &mut Duration,
    ) -> Result<(u64, Landing<'_>), Error> {
        let budget = policy.max_wait().saturating_mul(policy.max_attempts());
        let clock = *self.pacer.clock();
        // A reserved spreading slot goes back to the pacer if this call is dropped while waiting.
        let mut slot = SlotGuard { pacer: &self.pacer, slot: None };
        let mut waited = Waited::default();
        loop {
            if let Some(wait) = self.closed_for(clock.now()) {
                waited.count(&self.counters);
                return Err(self.not_sent(
                    operation,
                    attempt,
                    wait,
                    "the client gave up on 429s until the window's reset",
                ));
            }
            let (wait, reason) = match self.pacer.decide(&mut slot.slot) {
                Decision::Go { seq } => {
                    let landing = Landing::new(&self.pacer);
                    waited.count(&self.counters);
                    return Ok((seq, landing));
                }
                Decision::Wait { until, reason } => (until.saturating_duration_since(clock.now()), reason),
            };
            let wait = match reason {
                // Spreading is the client's own choice: never a failure, and never longer than the
                // policy's longest wait at a time (the slot stays reserved across the waits).
                Reason::Spreading => wait.min(policy.max_wait().max(IN_FLIGHT_POLL)),
                _ if wait > policy.max_wait() || held.saturating_add(wait) > budget => {
                    waited.count(&self.counters);
                    return Err(self.not_sent(
                        operation,
                        attempt,
                        wait,
                        "the organization's rate-limit window stays closed for longer than the retry policy's max_wait",
                    ));
                }
                // Jitter spreads a crowd of clients, within the longest wait.
                _ => wait.saturating_add(policy.jitter_for(wait)).min(policy.max_wait().max(wait)),
            };
            if reason != Reason::Spreading {
                *held = held.saturating_add(wait);
            }
            if waited.first(reason) {
                let figures = self.pacer.latest();
                tracing::info!(
                    attempt,
                    wait_ms = millis(wait),
                    reason = reason.describe(),
                    remaining = figures.remaining,
                    limit = figures.limit,
                    "waiting before sending"
                );
            }
            let before = clock.now();
            tokio::time::sleep(wait).await;
            waited.add(reason, clock.now().saturating_duration_since(before));
        }
    }

    /// Closes this client until `until` (unless already closed longer).
    fn close_until(&self, until: Instant) {
        let mut closed = self.closed.lock().unwrap_or_else(PoisonError::into_inner);
        *closed = Some(closed.map_or(until, |c| c.max(until)));
    }

    /// How long this client stays closed from `now`, if it is.
    fn closed_for(&self, now: Instant) -> Option<Duration> {
        let closed = *self.closed.lock().unwrap_or_else(PoisonError::into_inner);
        closed.filter(|c| *c > now).map(|c| c - now)
    }

    fn not_sent(&self, operation: &'static str, attempt: u32, wait: Duration, why: &str) -> Error {
        self.counters.not_sent();
        tracing::warn!(attempt, wait_ms = millis(wait), reason = why, "rate limited: not sending");
        Error::Api(Box::new(ApiError::held(operation, wait, self.pacer.latest(), why)))
    }
}

/// A spreading slot held by a waiting call; given back to the pacer if the call is dropped.
struct SlotGuard<'a> {
    pacer: &'a Pacer,
    slot: Option<Slot>,
}

impl Drop for SlotGuard<'_> {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            self.pacer.release(slot);
        }
    }
}

/// The time one call waited before an attempt, by reason.
#[derive(Default)]
struct Waited {
    by_reason: [(Option<Reason>, Duration); 3],
}

impl Waited {
    fn index(reason: Reason) -> usize {
        match reason {
            Reason::Spreading => 0,
            Reason::WindowUsedUp => 1,
            Reason::AfterRateLimit => 2,
        }
    }

    /// True the first time this call waits for `reason` (and marks it).
    fn first(&mut self, reason: Reason) -> bool {
        let entry = &mut self.by_reason[Self::index(reason)];
        let first = entry.0.is_none();
        entry.0 = Some(reason);
        first
    }

    fn add(&mut self, reason: Reason, waited: Duration) {
        let entry = &mut self.by_reason[Self::index(reason)];
        entry.1 = entry.1.saturating_add(waited);
    }

    /// Counts the waits in the client's stats: one per reason, for the time waited.
    fn count(&mut self, counters: &Counters) {
        for (reason, waited) in std::mem::take(&mut self.by_reason) {
            if let Some(reason) = reason {
                counters.paced(reason, waited);
            }
        }
    }
}

/// A duration in whole milliseconds, for log fields.
fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
