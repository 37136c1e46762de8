//! The request pipeline: one call of one operation, from its generated descriptor to a decoded
//! value or an [`Error`]. Before each attempt it asks the retry strategy ([`crate::strategy`])
//! whether to send, and sleeps as told; it sends the attempt ([`crate::transport`]), tells the
//! pacer what came back, asks the strategy what follows, and reads the final answer with the
//! caller's reader. The strategy answers with decisions; the errors they call for (a call not
//! sent, an error answer read by [`crate::decode`], the transport's own) are built here, and
//! the client's statistics counted here. Every call is one `tracing` span; waits and retries are
//! events in it.

use std::sync::Arc;
use std::time::Duration;

use thousandeyes_usage_generated::apis::OperationDescriptor;
use tracing::Instrument;

use crate::config::Config;
use crate::decode;
use crate::error::{Error, NotSentReason};
use crate::pacing::{Landing, Pacer, Reason, Slot};
use crate::retry::RetryPolicy;
use crate::secret::Secret;
use crate::stats::Counters;
use crate::strategy::{millis, After, Before, CallStrategy, Observed, RetryStrategy};
use crate::transport::{Answer, Transport};

/// Everything a call needs, shared by every clone of a client.
#[derive(Debug)]
pub(crate) struct Pipeline {
    pub(crate) transport: Transport,
    /// Shared also with the other clients of the organization in this process.
    pub(crate) pacer: Arc<Pacer>,
    /// Decides, for each call, what is sent, waited for, retried or given up.
    pub(crate) strategy: RetryStrategy,
    pub(crate) secret: Secret,
    pub(crate) counters: Counters,
}

impl Pipeline {
    pub(crate) fn new(config: &Config, pacer: Arc<Pacer>) -> Result<Self, Error> {
        let transport = Transport::new(config)?;
        // A proxy's password is redacted from what servers send back, as the token is.
        for secret in transport.proxy_secrets() {
            config.token.also_redact(secret.as_str());
        }
        Ok(Pipeline {
            transport,
            pacer,
            strategy: RetryStrategy::new(config.retry.clone()),
            secret: config.token.clone(),
            counters: Counters::default(),
        })
    }

    /// Runs operation `O` and reads its success answer as its output schema.
    pub(crate) async fn call<O: OperationDescriptor>(
        &self,
        params: &O::Params,
        policy: Option<&RetryPolicy>,
    ) -> Result<O::Output, Error> {
        self.execute::<O, O::Output>(params, policy, decode::output::<O>).await
    }

    /// Runs operation `O` with `params`, retrying as `policy` (or the client's) allows, and
    /// reads a success answer with `read`.
    pub(crate) async fn execute<O, R>(
        &self,
        params: &O::Params,
        policy: Option<&RetryPolicy>,
        read: impl FnOnce(&Answer, &Secret) -> Result<R, Error>,
    ) -> Result<R, Error>
    where
        O: OperationDescriptor,
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
        let result = self.attempts::<O, R>(prepared, policy, read).instrument(span.clone()).await;
        if let Err(error) = &result {
            span.record("error.type", error.kind());
            // A call not sent got no answer, and has no status to record.
            if let Some(status) = error.status() {
                span.record("http.response.status_code", status);
            }
        }
        result
    }

    async fn attempts<O: OperationDescriptor, R>(
        &self,
        prepared: reqwest::Request,
        policy: Option<&RetryPolicy>,
        read: impl FnOnce(&Answer, &Secret) -> Result<R, Error>,
    ) -> Result<R, Error> {
        let operation = O::OPERATION_ID;
        let span = tracing::Span::current();
        let clock = *self.pacer.clock();
        let mut strategy = self.strategy.call(O::METHOD, &self.pacer, policy);
        let mut backoff: Option<Duration> = None;
        loop {
            if let Some(wait) = backoff.take() {
                tracing::info!(
                    attempt = strategy.attempt(),
                    wait_ms = millis(wait),
                    reason = "transient failure",
                    "backing off"
                );
                tokio::time::sleep(wait).await;
                self.counters.backed_off(wait);
            }
            // Through a proxy that takes credentials, one attempt at a time until the client's first
            // answer (see `transport::gate`); held until the attempt's outcome is read, a proxy's
            // refusal included.
            let _admitted = self.transport.admit(operation).await?;
            let (seq, attempt, landing) = self.wait_turn::<O>(&mut strategy).await?;
            let Some(request) = prepared.try_clone() else {
                return Err(Error::Transport {
                    operation,
                    reason: "the request body cannot be replayed".into(),
                    sent: false,
                    source: "the request body cannot be replayed".into(),
                });
            };
            self.counters.sent(attempt > 1);
            span.record("thousandeyes.attempts", attempt);
            if attempt > 1 {
                span.record("http.request.resend_count", attempt - 1);
            }
            let sent = clock.now();
            let result = self.transport.send(operation, request).await;
            let received = clock.now();
            let answer = match result {
                Ok(answer) => answer,
                Err((outcome, error)) => {
                    drop(landing);
                    match strategy.after_attempt(Observed::NoAnswer(outcome)) {
                        After::Retry { backoff: wait } => {
                            tracing::warn!(attempt, error = %error, "retrying after a transient failure");
                            backoff = wait;
                            continue;
                        }
                        After::Done | After::Fail { .. } => return Err(error),
                    }
                }
            };
            let status = answer.status.as_u16();
            span.record("http.response.status_code", status);
            if !O::STATUSES.contains(&status) {
                tracing::debug!(status, "the spec does not document this status for the operation");
            }
            if status == 429 {
                self.counters.rate_limited();
            }
            self.pacer.observe(&answer.reported, status, seq, sent, received);
            drop(landing);
            let observed = Observed::Answer { status, reported: &answer.reported, received };
            match strategy.after_attempt(observed) {
                After::Done => return read(&answer, &self.secret),
                After::Retry { backoff: wait } => backoff = wait,
                After::Fail { retry_after } => {
                    return Err(self.answer_error::<O>(&answer, retry_after, prepared.url()))
                }
            }
        }
    }

    /// The error of an error answer to the request sent to `sent`, reporting `retry_after` as
    /// its wait. Only a 404 pays for its hint (see [`decode::not_found_hint`]), from the path it
    /// was sent to; a 407 comes from a proxy (one that forwards a plain-http base URL), never
    /// from the API.
    fn answer_error<O: OperationDescriptor>(
        &self,
        answer: &Answer,
        retry_after: Option<Duration>,
        sent: &url::Url,
    ) -> Error {
        let operation = O::OPERATION_ID;
        let mut api = decode::api_error(operation, answer, retry_after, &self.secret);
        match api.status {
            404 => {
                let sent = self.secret.redacted(sent.path());
                api.hint = decode::not_found_hint(&sent, O::PATH, api.detail.as_deref());
            }
            407 => return self.transport.proxy_refused(operation, Some(407), Box::new(api)),
            _ => {}
        }
        Error::Api(Box::new(api))
    }

    /// The error of a call of `O` refused without being sent, for `reason`; the window opens in
    /// `wait`. Counted in the client's stats.
    fn not_sent<O: OperationDescriptor>(&self, attempt: u32, reason: NotSentReason, wait: Duration) -> Error {
        self.counters.not_sent();
        tracing::warn!(
            attempt,
            wait_ms = millis(wait),
            reason = reason.describe(),
            "rate limited: not sending"
        );
        Error::NotSent {
            operation: O::OPERATION_ID,
            reason,
            retry_after: wait,
            rate_limit: self.pacer.latest(),
        }
    }

    /// Waits until the strategy lets the next attempt go, and returns its sequence number, its
    /// number in the call and its landing (dropped when the attempt is over), or the error of a
    /// call refused without being sent. Each wait is counted in the client's stats by its
    /// reason, for the time actually waited, once per attempt.
    async fn wait_turn<O: OperationDescriptor>(
        &self,
        strategy: &mut CallStrategy<'_>,
    ) -> Result<(u64, u32, Landing<'_>), Error> {
        let clock = *self.pacer.clock();
        // A reserved spreading slot goes back to the pacer if this call is dropped while waiting.
        let mut slot = SlotGuard { pacer: &self.pacer, slot: None };
        let mut waited = Waited::default();
        loop {
            let (wait, reason) = match strategy.before_attempt(&mut slot.slot) {
                Before::Go { seq, attempt } => {
                    let landing = self.pacer.landing();
                    waited.count(&self.counters);
                    return Ok((seq, attempt, landing));
                }
                Before::Refuse { reason, wait } => {
                    let error = self.not_sent::<O>(strategy.attempt(), reason, wait);
                    waited.count(&self.counters);
                    return Err(error);
                }
                Before::Wait { wait, reason } => (wait, reason),
            };
            if waited.first(reason) {
                let figures = self.pacer.latest();
                tracing::info!(
                    attempt = strategy.attempt(),
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

#[cfg(test)]
#[path = "tests/pipeline.rs"]
mod tests;
