//! The one place a request meets the network: a `reqwest-middleware` layer, installed for each
//! call, that the generated operation functions send through.
//!
//! It mends what the generated code gets wrong (no `Accept` header, date-times in chrono's
//! `Display` form), paces and retries attempts ([`crate::retry`]), bounds each attempt by the
//! request timeout and each body by the size limit, and keeps the final answer's status, headers
//! and raw body, which the generated functions drop, for the facade to decide success or error.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use reqwest::{Request, Response};
use reqwest_middleware::{Middleware, Next};

use crate::client::Inner;
use crate::error::{ApiError, Error};
use crate::retry::{classify, server_wait, Outcome, RetryPolicy, Verdict};

/// The `Accept` header of every request: success bodies are HAL, errors problem details.
pub(crate) const ACCEPT: &str = "application/hal+json, application/json, application/problem+json";

/// The final answer of a call, as received.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

/// What the middleware learnt during one call.
#[derive(Debug, Default)]
pub(crate) struct Record {
    pub(crate) answer: Option<Answer>,
    pub(crate) error: Option<Error>,
}

/// One call's middleware: its settings, and where it leaves its [`Record`].
pub(crate) struct Exchange {
    pub(crate) operation: &'static str,
    pub(crate) inner: Arc<Inner>,
    pub(crate) policy: RetryPolicy,
    /// Query parameters whose value the facade sets itself (RFC 3339 date-times).
    pub(crate) query_overrides: Vec<(&'static str, String)>,
    pub(crate) record: Arc<Mutex<Record>>,
}

/// Stands in the middleware chain's error for an [`Error`] left in the [`Record`].
#[derive(Debug)]
struct Recorded;

impl std::fmt::Display for Recorded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the request failed; the error is in the call record")
    }
}

impl std::error::Error for Recorded {}

impl Exchange {
    fn fail(&self, error: Error) -> reqwest_middleware::Error {
        self.record.lock().unwrap_or_else(|p| p.into_inner()).error = Some(error);
        reqwest_middleware::Error::middleware(Recorded)
    }

    fn prepare(&self, req: &mut Request) {
        req.headers_mut().insert(http::header::ACCEPT, HeaderValue::from_static(ACCEPT));
        if self.query_overrides.is_empty() {
            return;
        }
        let pairs: Vec<(String, String)> = req
            .url()
            .query_pairs()
            .map(|(k, v)| {
                let v = self
                    .query_overrides
                    .iter()
                    .find(|(name, _)| *name == k)
                    .map(|(_, value)| value.clone())
                    .unwrap_or_else(|| v.into_owned());
                (k.into_owned(), v)
            })
            .collect();
        req.url_mut().query_pairs_mut().clear().extend_pairs(pairs);
    }

    /// Waits before an attempt: the longer of what the request owes (a retry's delay) and the
    /// client-wide hold, with jitter on the hold; again if another task extended the hold
    /// meanwhile. A hold longer than the policy's `max_wait` fails at once, without sending.
    async fn wait_turn(
        &self,
        mut owed: Option<(Duration, &'static str)>,
        attempt: u32,
        held: &mut Duration,
    ) -> reqwest_middleware::Result<()> {
        let operation = self.operation;
        // All the holds of one call together: as long as its attempts on 429 could wait.
        let budget = self.policy.longest_wait().saturating_mul(self.policy.attempts_on_rate_limit());
        let mut waited_for: Option<Instant> = None;
        loop {
            let deadline = self.inner.pacer.hold_until().filter(|d| waited_for.is_none_or(|w| *d > w));
            let hold = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            if let Some(hold) =
                hold.filter(|h| *h > self.policy.longest_wait() || held.saturating_add(*h) > budget)
            {
                tracing::warn!(
                    operation,
                    attempt,
                    wait_ms = hold.as_millis() as u64,
                    reason = "rate limit window beyond max_wait",
                    "rate limited: not sending"
                );
                return Err(self.fail(Error::Api(Box::new(ApiError::held(
                    operation,
                    hold,
                    self.inner.pacer.latest(),
                )))));
            }
            let hold = hold.map(|h| (self.policy.with_jitter(h), "rate limit window"));
            let wait = match (owed.take(), hold) {
                (Some(a), Some(b)) => Some(if a.0 >= b.0 { a } else { b }),
                (a, b) => a.or(b),
            };
            let Some((wait, reason)) = wait else { return Ok(()) };
            let counters = &self.inner.counters;
            if hold.is_some_and(|(h, _)| h == wait) {
                *held = held.saturating_add(wait);
                counters.pacing_waits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            counters.add_wait(wait);
            tracing::info!(
                operation,
                attempt,
                wait_ms = wait.as_millis() as u64,
                reason,
                "waiting before sending"
            );
            self.inner.sleeper.sleep(wait).await;
            waited_for = deadline.or(waited_for);
        }
    }

    /// One attempt: send, then read the whole body within the size limit, all within the
    /// request timeout. An error answer's body is cut at the limit rather than refused, so
    /// that its status and headers still count.
    async fn attempt(
        &self,
        req: Request,
        extensions: &mut http::Extensions,
        next: Next<'_>,
    ) -> Result<Answer, (Outcome, Error)> {
        let operation = self.operation;
        let timeout = self.inner.request_timeout;
        let limit = self.inner.max_body_bytes;
        let exchange = async {
            let mut resp =
                next.run(req, extensions).await.map_err(|e| transport_error(operation, timeout, e))?;
            let status = resp.status();
            let headers = std::mem::take(resp.headers_mut());
            let too_large = || (Outcome::Status(status.as_u16()), Error::BodyTooLarge { operation, limit });
            if status.is_success() && resp.content_length().is_some_and(|n| n > limit as u64) {
                return Err(too_large());
            }
            let mut body =
                Vec::with_capacity(resp.content_length().map_or(0, |n| n.min(limit as u64) as usize));
            loop {
                match resp.chunk().await {
                    Ok(Some(chunk)) => {
                        if body.len() + chunk.len() > limit {
                            if status.is_success() {
                                return Err(too_large());
                            }
                            body.extend_from_slice(&chunk[..limit - body.len()]);
                            break;
                        }
                        body.extend_from_slice(&chunk);
                    }
                    Ok(None) => break,
                    Err(e) => {
                        return Err(transport_error(
                            operation,
                            timeout,
                            reqwest_middleware::Error::Reqwest(e),
                        ))
                    }
                }
            }
            Ok(Answer { status, headers, body: Bytes::from(body) })
        };
        match tokio::time::timeout(timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err((Outcome::Timeout, Error::Timeout { operation, after: timeout })),
        }
    }
}

fn transport_error(
    operation: &'static str,
    timeout: Duration,
    e: reqwest_middleware::Error,
) -> (Outcome, Error) {
    match e {
        reqwest_middleware::Error::Reqwest(e) if e.is_timeout() => {
            (Outcome::Timeout, Error::Timeout { operation, after: timeout })
        }
        reqwest_middleware::Error::Reqwest(e) => {
            (Outcome::Transport, Error::Transport { operation, source: Box::new(e.without_url()) })
        }
        reqwest_middleware::Error::Middleware(e) => {
            let source: Box<dyn std::error::Error + Send + Sync> = e.into();
            (Outcome::Transport, Error::Transport { operation, source })
        }
    }
}

#[async_trait::async_trait]
impl Middleware for Exchange {
    async fn handle(
        &self,
        mut req: Request,
        extensions: &mut http::Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        self.prepare(&mut req);
        let method = req.method().clone();
        let operation = self.operation;
        let mut rate_limited = 0u32;
        let mut transient = 0u32;
        let mut attempts = 0u32;
        // The wait this request owes before its next attempt (a retry's delay), if any.
        let mut owed: Option<(Duration, &'static str)> = None;
        let mut held = Duration::ZERO;
        loop {
            self.wait_turn(owed.take(), attempts + 1, &mut held).await?;
            let Some(this_try) = req.try_clone() else {
                return Err(self.fail(Error::Transport {
                    operation,
                    source: "the request body cannot be replayed".into(),
                }));
            };
            attempts += 1;
            self.inner.counters.requests_sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if attempts > 1 {
                self.inner.counters.retries.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            let result = self.attempt(this_try, extensions, next.clone()).await;
            let now = SystemTime::now();
            let (outcome, wait, status) = match &result {
                Ok(answer) => {
                    let status = answer.status.as_u16();
                    let wait = if status == 429 { server_wait(&answer.headers, now) } else { None };
                    self.inner.pacer.observe(&answer.headers, status, wait, now);
                    (Outcome::Status(status), wait, Some(status))
                }
                Err((outcome, _)) => (*outcome, None, None),
            };
            let verdict = match (&result, outcome) {
                (Ok(answer), _) if answer.status.is_success() => Verdict::Final,
                _ => classify(&method, outcome),
            };
            let delay = match verdict {
                Verdict::Final => None,
                Verdict::RateLimited => {
                    rate_limited += 1;
                    let wanted = wait
                        .map(|w| self.policy.with_jitter(w))
                        .unwrap_or_else(|| self.policy.backoff(rate_limited));
                    if rate_limited >= self.policy.attempts_on_rate_limit() {
                        tracing::warn!(
                            operation,
                            attempt = attempts,
                            status,
                            reason = "attempts exhausted",
                            "rate limited: giving up"
                        );
                        None
                    } else if wait.is_some_and(|w| w > self.policy.longest_wait()) {
                        tracing::warn!(
                            operation,
                            attempt = attempts,
                            status,
                            wait_ms = wanted.as_millis() as u64,
                            reason = "server wait beyond max_wait",
                            "rate limited: giving up"
                        );
                        None
                    } else {
                        if wait.is_none() {
                            // Without a reset time, hold every request of this client for the backoff.
                            self.inner.pacer.hold_for(wanted);
                        }
                        Some((wanted, "rate limited (429)"))
                    }
                }
                Verdict::Transient => {
                    transient += 1;
                    if transient >= self.policy.attempts_on_transient_failure() {
                        None
                    } else {
                        Some((self.policy.backoff(transient), "transient failure"))
                    }
                }
            };
            match (delay, result) {
                (Some((delay, reason)), _) => {
                    tracing::warn!(
                        operation,
                        attempt = attempts,
                        status,
                        wait_ms = delay.as_millis() as u64,
                        reason,
                        "retrying"
                    );
                    owed = Some((delay, reason));
                }
                (None, Ok(answer)) => {
                    let mut builder = http::Response::builder().status(answer.status);
                    if let Some(h) = builder.headers_mut() {
                        h.clone_from(&answer.headers);
                    }
                    let body = answer.body.clone();
                    self.record.lock().unwrap_or_else(|p| p.into_inner()).answer = Some(answer);
                    return match builder.body(body) {
                        Ok(resp) => Ok(Response::from(resp)),
                        Err(e) => Err(self.fail(Error::Transport { operation, source: Box::new(e) })),
                    };
                }
                (None, Err((_, error))) => return Err(self.fail(error)),
            }
        }
    }
}
