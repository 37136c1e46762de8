//! HTTP framing: the request read (body, query, token), the response written with the headers
//! every answer carries (`Date`, the rate-limit headers, a request id), the exchange recorded.

use bytes::Bytes;
use http::header::{self, HeaderName, HeaderValue};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use tokio::time::Instant;

use super::request::{Req, MAX_BODY};
use super::respond::Outcome;
use super::routing::{is_listing, route};
use super::state::Shared;
use crate::clock::FakeClock;
use crate::mix::mix;
use crate::record::{own_body, own_headers, RecordedRequest};

/// Answers one request, after the configured latency, and records it.
pub(crate) async fn handle(shared: &Shared, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let arrived_at = Instant::now();
    let sequence = shared.next_sequence();
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(_) => Err(()),
    };
    if !shared.config.latency.is_zero() {
        tokio::time::sleep(shared.config.latency).await;
    }
    let now = shared.clock.now();
    let path = parts.uri.path().to_string();
    let mut query: Vec<(String, String)> =
        url::form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes()).into_owned().collect();
    query.shrink_to_fit();
    let route = route(&parts.method, &path);
    let token = shared.tokens().check(&parts.headers, now);
    let headers = own_headers(&parts.headers);
    let incoming = Req { method: parts.method, path, query, headers, body, route };

    let mut state = shared.state();
    let Outcome { answer, page, remaining, reset } = state.respond(&shared.config, &incoming, token, now);
    let request_id = format!("fake-{:016x}", mix(sequence as u64));

    let mut response = Response::builder().status(answer.status);
    let mut add = |name: HeaderName, value: &str| {
        if let (Ok(v), Some(headers)) = (HeaderValue::from_str(value), response.headers_mut()) {
            headers.append(name, v);
        }
    };
    add(header::DATE, &FakeClock::http_date(now));
    if let Some(ct) = &answer.content_type {
        add(header::CONTENT_TYPE, ct);
    }
    add(HeaderName::from_static("x-organization-rate-limit-limit"), &shared.config.limit.to_string());
    add(HeaderName::from_static("x-organization-rate-limit-remaining"), &remaining.to_string());
    add(HeaderName::from_static("x-organization-rate-limit-reset"), &reset.to_string());
    add(HeaderName::from_static("x-request-id"), &request_id);
    for (name, value) in &answer.headers {
        add(name.clone(), value);
    }
    let operation = incoming.operation();
    let recorded = RecordedRequest {
        sequence,
        method: incoming.method,
        path: incoming.path,
        query: incoming.query,
        headers: incoming.headers,
        token,
        body: incoming.body.as_deref().map_or_else(|_| Bytes::new(), own_body),
        operation,
        status: answer.status,
        page,
        rate_limit_remaining: remaining,
        rate_limit_reset: reset,
        arrived_at,
        answered_at: Instant::now(),
    };
    state.record.push(recorded, operation.is_some_and(is_listing));
    drop(state);
    response.body(Full::new(answer.body)).unwrap_or_else(|_| {
        let mut fallback = Response::new(Full::new(Bytes::new()));
        *fallback.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        fallback
    })
}
