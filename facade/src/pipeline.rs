//! The request pipeline: one call of one operation, from its generated descriptor to a decoded
//! value or an [`Error`]. Paces each attempt ([`crate::pacing`]), sends it ([`crate::transport`]),
//! classifies what came back ([`crate::retry`]), waits and retries, and decodes the final answer
//! ([`crate::decode`]). Every call is one `tracing` span; waits and retries are events in it.

use std::time::Duration;

use thousandeyes_usage_generated::apis::Operation;
use tracing::Instrument;

use crate::config::Config;
use crate::decode;
use crate::error::{ApiError, Error};
use crate::pacing::{Decision, Landing, Pacer, Reason};
use crate::rate_limit::{self, RateLimit};
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
    pub(crate) pacer: Pacer,
    pub(crate) retry: RetryPolicy,
    pub(crate) secret: Secret,
    pub(crate) counters: Counters,
}

impl Pipeline {
    pub(crate) fn new(config: &Config, pacer: Pacer) -> Result<Self, Error> {
        Ok(Pipeline {
            transport: Transport::new(config)?,
            pacer,
            retry: config.retry.clone(),
            secret: config.token.clone(),
            counters: Counters::default(),
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
            url.full = url.as_str(),
            url.template = O::PATH,
            server.address = url.host_str().unwrap_or_default(),
            server.port = url.port_or_known_default(),
            http.response.status_code = tracing::field::Empty,
            http.request.resend_count = tracing::field::Empty,
            thousandeyes.attempts = tracing::field::Empty,
            error.type = tracing::field::Empty,
        );
        let policy = policy.unwrap_or(&self.retry);
        let result = self.attempts::<O, R>(prepared, policy, decode).instrument(span.clone()).await;
        if let Err(error) = &result {
            span.record("error.type", error.kind());
            if let Some(status) = error.status() {
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
                self.counters.backed_off(wait);
                tracing::info!(
                    attempt = attempts + 1,
                    wait_ms = millis(wait),
                    reason = "transient failure",
                    "backing off"
                );
                tokio::time::sleep(wait).await;
            }
            let seq = self.wait_turn(operation, policy, attempts + 1, &mut held).await?;
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
            let landing = Landing::new(&self.pacer);
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
                        // Later calls fail without being sent until the reset.
                        self.pacer.close_until(until);
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
                    if transient >= policy.transient_attempts() {
                        return Err(self.api_error(operation, &answer, retry_after));
                    }
                    tracing::warn!(attempt = attempts, status, "retrying after a transient failure");
                    backoff = Some(policy.backoff(transient));
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

    /// Waits until the pacer lets attempt `attempt` go, and returns its sequence number. A wait
    /// for a closed window longer than the policy's `max_wait` (or than what the call's attempts
    /// could wait in all) fails at once, without sending; so does a client that gave up on 429s.
    async fn wait_turn(
        &self,
        operation: &'static str,
        policy: &RetryPolicy,
        attempt: u32,
        held: &mut Duration,
    ) -> Result<u64, Error> {
        let budget = policy.max_wait().saturating_mul(policy.max_attempts());
        let mut slot = None;
        loop {
            let (wait, reason) = match self.pacer.decide(slot.take()) {
                Decision::Go { seq } => return Ok(seq),
                Decision::Refuse { wait } => {
                    return Err(self.not_sent(
                        operation,
                        attempt,
                        wait,
                        "the client gave up on 429s until the window's reset",
                    ));
                }
                Decision::Wait { until, reason } => {
                    if reason == Reason::Spreading {
                        // The slot is this request's: asked again with it, the pacer lets it go.
                        slot = Some(until);
                    }
                    (until.saturating_duration_since(self.pacer.clock().now()), reason)
                }
            };
            let wait = match reason {
                // Spreading is the client's own choice: never a failure, never longer than a
                // policy's longest wait at a time.
                Reason::Spreading => wait.min(policy.max_wait()),
                _ if wait > policy.max_wait() || held.saturating_add(wait) > budget => {
                    return Err(self.not_sent(
                        operation,
                        attempt,
                        wait,
                        "the organization's rate-limit window stays closed for longer than the retry policy's max_wait",
                    ));
                }
                _ => wait.saturating_add(policy.jitter_for(wait)),
            };
            if reason != Reason::Spreading {
                *held = held.saturating_add(wait);
            }
            self.counters.paced(reason, wait);
            let figures = self.pacer.latest();
            tracing::info!(
                attempt,
                wait_ms = millis(wait),
                reason = reason.describe(),
                remaining = figures.remaining,
                limit = figures.limit,
                "waiting before sending"
            );
            tokio::time::sleep(wait).await;
        }
    }

    fn not_sent(&self, operation: &'static str, attempt: u32, wait: Duration, why: &str) -> Error {
        self.counters.not_sent();
        tracing::warn!(attempt, wait_ms = millis(wait), reason = why, "rate limited: not sending");
        Error::Api(Box::new(ApiError::held(operation, wait, self.pacer.latest(), why)))
    }
}

/// A duration in whole milliseconds, for log fields.
fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
