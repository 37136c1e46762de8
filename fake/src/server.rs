//! The server: the accept loop, and how one request is answered.

use std::collections::{BTreeMap, BTreeSet};
use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use chrono::{DateTime, FixedOffset, Utc};
use http::header::{self, HeaderName, HeaderValue};
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde::Serialize;
use thousandeyes_usage_generated::models::{
    self, AccountGroupQuota, EnterpriseAgentsUsage, Link, OrganizationQuota, OrganizationQuotaAssignment,
    OrganizationsQuotasAssign, OrganizationsQuotasUnassign, PaginationLinks, Quota, Quotas,
    QuotasAssignRequest, QuotasAssignResponse, QuotasUnassign, SelfLinks, TestsUsage, UnauthorizedError,
    Usage, UsageDetails, ValidationError, ValidationErrorItem,
};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::acme::mix;
use crate::clock::{epoch_ms, http_date, Clock};
use crate::cursor::{self, Filters};
use crate::dataset::{Dataset, ExpectedTotals};
use crate::failure::{Failure, RetryAfter};
use crate::operation::Operation;
use crate::record::{RateLimitWindow, RecordedRequest, TokenCheck};

pub(crate) const HAL_JSON: &str = "application/hal+json";
pub(crate) const PROBLEM_JSON: &str = "application/problem+json";

/// Request bodies larger than this are answered 413.
const MAX_BODY: usize = 1 << 20;

/// The values of `expand` that `GET /usage` knows: the spec's.
const EXPAND: &[&str] = models::ExpandUsageOptions::NAMES;

/// What does not change while the fake runs.
#[derive(Debug)]
pub(crate) struct Config {
    pub(crate) token: String,
    /// `http://127.0.0.1:PORT`.
    pub(crate) root: String,
    pub(crate) test_page_size: usize,
    pub(crate) agent_page_size: usize,
    pub(crate) limit: u64,
    pub(crate) window_secs: i64,
    pub(crate) latency: Duration,
}

/// The state shared by the server task and the handle.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) clock: Clock,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    data: Dataset,
    known_aids: BTreeSet<String>,
    orgs: Vec<OrgQuotas>,
    rules: Vec<Rule>,
    windows: Vec<RateLimitWindow>,
    requests: Vec<RecordedRequest>,
    next_sequence: usize,
}

/// The quotas of one organization.
#[derive(Debug, Clone)]
struct OrgQuotas {
    org_id: Option<String>,
    quota: Option<i64>,
    groups: Vec<(String, i64)>,
}

#[derive(Debug)]
struct Rule {
    failure: Failure,
    seen: usize,
    fired: usize,
}

impl Shared {
    pub(crate) fn new(config: Config, clock: Clock, data: Dataset, failures: Vec<Failure>) -> Shared {
        let known_aids = data.known_aids();
        let mut orgs: Vec<OrgQuotas> = data
            .quotas
            .iter()
            .map(|q| OrgQuotas {
                org_id: q.organization_quota.as_ref().and_then(|o| o.org_id.clone()),
                quota: q.organization_quota.as_ref().map(|o| o.value),
                groups: q
                    .account_group_quotas
                    .iter()
                    .flatten()
                    .filter_map(|g| Some((g.aid.clone()?, g.value?)))
                    .collect(),
            })
            .collect();
        if !orgs.iter().any(|o| o.org_id.as_deref() == Some(data.organization_id.as_str())) {
            orgs.push(OrgQuotas {
                org_id: Some(data.organization_id.clone()),
                quota: None,
                groups: Vec::new(),
            });
        }
        let rules = failures.into_iter().map(|failure| Rule { failure, seen: 0, fired: 0 }).collect();
        Shared {
            config,
            clock,
            state: Mutex::new(State {
                data,
                known_aids,
                orgs,
                rules,
                windows: Vec::new(),
                requests: Vec::new(),
                next_sequence: 0,
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        let mut requests = self.state().requests.clone();
        requests.sort_by_key(|r| r.sequence);
        requests
    }

    pub(crate) fn with_requests<T>(&self, f: impl FnOnce(&[RecordedRequest]) -> T) -> T {
        f(&self.state().requests)
    }

    pub(crate) fn windows(&self) -> Vec<RateLimitWindow> {
        self.state().windows.clone()
    }

    pub(crate) fn quotas(&self) -> Vec<Quota> {
        render_quotas(&self.state().orgs)
    }

    pub(crate) fn expected_totals(&self) -> ExpectedTotals {
        let state = self.state();
        let quota = state
            .orgs
            .iter()
            .find(|o| o.org_id.as_deref() == Some(state.data.organization_id.as_str()))
            .and_then(|o| o.quota);
        ExpectedTotals::of(&state.data, quota, self.config.test_page_size, self.config.agent_page_size)
    }

    pub(crate) fn dataset(&self) -> Dataset {
        let state = self.state();
        Dataset { quotas: render_quotas(&state.orgs), ..state.data.clone() }
    }
}

fn render_quotas(orgs: &[OrgQuotas]) -> Vec<Quota> {
    orgs.iter()
        .filter(|o| o.quota.is_some() || !o.groups.is_empty())
        .map(|o| Quota {
            organization_quota: o.quota.map(|value| OrganizationQuota {
                value,
                org_id: o.org_id.clone(),
                ..Default::default()
            }),
            account_group_quotas: Some(
                o.groups
                    .iter()
                    .map(|(aid, value)| AccountGroupQuota {
                        value: Some(*value),
                        aid: Some(aid.clone()),
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The accept loop.
// ---------------------------------------------------------------------------------------------

/// Serves connections until the task is aborted; aborting it drops the connections too.
pub(crate) async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    let shared = Arc::clone(&shared);
                    connections.spawn(async move {
                        let service = service_fn(move |req| {
                            let shared = Arc::clone(&shared);
                            async move { Ok::<_, Infallible>(handle(&shared, req).await) }
                        });
                        // No header read timeout: it would need a timer, and idle keep-alive
                        // connections must not fire timers under a paused clock.
                        let _ = http1::Builder::new()
                            .header_read_timeout(None)
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
                // Out of file descriptors, say: try again shortly.
                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

// ---------------------------------------------------------------------------------------------
// One request.
// ---------------------------------------------------------------------------------------------

/// An answer being built.
struct Answer {
    status: StatusCode,
    content_type: Option<String>,
    body: Bytes,
    headers: Vec<(HeaderName, String)>,
}

impl Answer {
    fn json(status: StatusCode, content_type: &str, body: &impl Serialize) -> Answer {
        Answer {
            status,
            content_type: Some(content_type.to_string()),
            body: Bytes::from(serde_json::to_vec(body).unwrap_or_default()),
            headers: Vec::new(),
        }
    }

    fn ok(body: &impl Serialize) -> Answer {
        Answer::json(StatusCode::OK, HAL_JSON, body)
    }

    fn no_content() -> Answer {
        Answer { status: StatusCode::NO_CONTENT, content_type: None, body: Bytes::new(), headers: Vec::new() }
    }

    fn with_header(mut self, name: HeaderName, value: impl Into<String>) -> Answer {
        self.headers.push((name, value.into()));
        self
    }
}

fn title(status: StatusCode) -> String {
    status.canonical_reason().unwrap_or("Error").to_string()
}

/// An RFC 7807 problem.
fn problem(status: StatusCode, detail: impl Into<String>, instance: &str) -> Answer {
    let body = models::Problem {
        r#type: Some("about:blank".into()),
        title: Some(title(status)),
        status: Some(i32::from(status.as_u16())),
        detail: Some(detail.into()),
        instance: Some(instance.to_string()),
        ..Default::default()
    };
    Answer::json(status, PROBLEM_JSON, &body)
}

/// A 400 listing the invalid values.
fn invalid(detail: impl Into<String>, instance: &str, errors: Vec<ValidationErrorItem>) -> Answer {
    let status = StatusCode::BAD_REQUEST;
    let body = ValidationError {
        r#type: Some("about:blank".into()),
        title: Some(title(status)),
        status: Some(400),
        detail: Some(detail.into()),
        instance: Some(instance.to_string()),
        errors: Some(Some(errors)),
        ..Default::default()
    };
    Answer::json(status, PROBLEM_JSON, &body)
}

fn field_error(field: impl Into<String>, code: &str, message: impl Into<String>) -> ValidationErrorItem {
    ValidationErrorItem {
        code: Some(code.into()),
        field: Some(field.into()),
        message: Some(message.into()),
        ..Default::default()
    }
}

/// A 400 with one invalid value.
fn bad(
    detail: impl Into<String>,
    instance: &str,
    field: &str,
    code: &str,
    message: impl Into<String>,
) -> Answer {
    invalid(detail, instance, vec![field_error(field, code, message)])
}

/// An OAuth-style 401.
fn unauthorized(status: StatusCode, description: &str) -> Answer {
    let body = UnauthorizedError {
        error: Some("invalid_token".into()),
        error_description: Some(description.into()),
        ..Default::default()
    };
    Answer::json(status, PROBLEM_JSON, &body)
        .with_header(header::WWW_AUTHENTICATE, r#"Bearer error="invalid_token""#)
}

/// What the handler needs to know about the request.
struct Req {
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    headers: HeaderMap,
    body: Result<Bytes, ()>,
    operation: Option<Operation>,
    route: Route,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Operation(Operation),
    /// A known path with another method: the methods it takes.
    WrongMethod(&'static str),
    NotFound,
}

fn route(method: &Method, path: &str) -> Route {
    let Some(rest) = path.strip_prefix("/v7") else { return Route::NotFound };
    let rest = if rest.len() > 1 { rest.trim_end_matches('/') } else { rest };
    match Operation::ALL.into_iter().find(|op| op.path() == rest) {
        Some(op) if method.as_str() == op.method() => Route::Operation(op),
        Some(op) => Route::WrongMethod(op.method()),
        None => Route::NotFound,
    }
}

fn token_check(headers: &HeaderMap, token: &str) -> TokenCheck {
    let Some(value) = headers.get(header::AUTHORIZATION) else { return TokenCheck::Missing };
    let Ok(value) = value.to_str() else { return TokenCheck::Wrong };
    let mut parts = value.trim().splitn(2, ' ');
    let scheme = parts.next().unwrap_or_default();
    let credentials = parts.next().unwrap_or_default().trim();
    if scheme.eq_ignore_ascii_case("bearer") && credentials == token && !token.is_empty() {
        TokenCheck::Matched
    } else {
        TokenCheck::Wrong
    }
}

fn param<'q>(query: &'q [(String, String)], name: &str) -> Option<&'q str> {
    query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

async fn handle(shared: &Shared, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let arrived_at = Instant::now();
    let sequence = {
        let mut state = shared.state();
        state.next_sequence += 1;
        state.next_sequence - 1
    };
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
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes()).into_owned().collect();
    let route = route(&parts.method, &path);
    let operation = match route {
        Route::Operation(op) => Some(op),
        _ => None,
    };
    let token = token_check(&parts.headers, &shared.config.token);
    let mut headers = parts.headers;
    headers.remove(header::AUTHORIZATION);
    let incoming = Req { method: parts.method, path, query, headers, body, operation, route };

    let mut state = shared.state();
    let (answer, page, remaining, reset) = state.answer(shared, &incoming, token, now);
    let request_id = format!("fake-{:016x}", mix(sequence as u64));

    let mut response = Response::builder().status(answer.status);
    let mut add = |name: HeaderName, value: &str| {
        if let (Ok(v), Some(headers)) = (HeaderValue::from_str(value), response.headers_mut()) {
            headers.append(name, v);
        }
    };
    add(header::DATE, &http_date(now));
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
    state.requests.push(RecordedRequest {
        sequence,
        method: incoming.method,
        path: incoming.path,
        query: incoming.query,
        headers: incoming.headers,
        token,
        body: incoming.body.unwrap_or_default(),
        operation,
        status: answer.status,
        page,
        rate_limit_remaining: remaining,
        rate_limit_reset: reset,
        arrived_at,
        answered_at: Instant::now(),
    });
    drop(state);
    response.body(Full::new(answer.body)).unwrap_or_else(|_| {
        let mut fallback = Response::new(Full::new(Bytes::new()));
        *fallback.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        fallback
    })
}

/// The page (from 1) a listing request asks for, if its cursor is valid (or absent).
fn page_of(op: Option<Operation>, query: &[(String, String)], config: &Config) -> Option<usize> {
    let op = op.filter(|op| op.is_listing())?;
    let size = page_size(op, config);
    match param(query, "cursor") {
        None => Some(1),
        Some(raw) => cursor::decode(raw).filter(|c| c.listing == op).map(|c| c.offset / size + 1),
    }
}

fn page_size(op: Operation, config: &Config) -> usize {
    if op == Operation::GetEnterpriseAgentsUnitsUsage {
        config.agent_page_size
    } else {
        config.test_page_size
    }
}

impl State {
    /// The current window at `now_secs`, starting a new one when the last has ended.
    fn window(&mut self, now_secs: i64, config: &Config) -> &mut RateLimitWindow {
        let ended = self.windows.last().is_none_or(|w| now_secs >= w.reset);
        if ended {
            let w = config.window_secs;
            self.windows.push(RateLimitWindow {
                reset: (now_secs.div_euclid(w) + 1) * w,
                limit: config.limit,
                used: 0,
                succeeded: 0,
                rate_limited: 0,
                answered: 0,
            });
        }
        let last = self.windows.len() - 1;
        &mut self.windows[last]
    }

    /// Answers one request: authentication, the rate-limit window, the failure rules, the route.
    /// Returns the answer, the page asked for, and the rate-limit remaining and reset.
    fn answer(
        &mut self,
        shared: &Shared,
        req: &Req,
        token: TokenCheck,
        now: SystemTime,
    ) -> (Answer, Option<usize>, u64, i64) {
        let config = &shared.config;
        let now_ms = epoch_ms(now);
        let now_secs = now_ms.div_euclid(1000);
        let page = page_of(req.operation, &req.query, config);
        let limit = config.limit;

        let answer = if token != TokenCheck::Matched {
            // Not counted: no organization to count it against.
            let description = if token == TokenCheck::Missing {
                "The access token is missing."
            } else {
                "The access token is invalid or expired."
            };
            unauthorized(StatusCode::UNAUTHORIZED, description)
        } else if self.window(now_secs, config).used >= limit {
            let reset = self.window(now_secs, config).reset;
            rate_limited(&req.path, limit, reset)
        } else if let Some(index) = self.fired_rule(req.operation, page) {
            let failure = self.rules[index].failure.clone();
            let window = self.window(now_secs, config);
            if failure.status == StatusCode::TOO_MANY_REQUESTS {
                window.used = limit;
                if let Some(wait) = failure.reset_after {
                    let wait_ms = i64::try_from(wait.as_millis()).unwrap_or(i64::MAX / 2);
                    window.reset = (now_ms.saturating_add(wait_ms)).div_euclid(1000).max(now_secs + 1);
                }
            } else {
                window.used += 1;
            }
            let reset = window.reset;
            scripted(&failure, &req.path, now, limit, reset)
        } else {
            self.window(now_secs, config).used += 1;
            self.route(shared, req, now)
        };

        let window = self.window(now_secs, config);
        window.answered += 1;
        if answer.status.is_success() {
            window.succeeded += 1;
        }
        if answer.status == StatusCode::TOO_MANY_REQUESTS {
            window.rate_limited += 1;
        }
        let remaining = limit.saturating_sub(window.used);
        let reset = window.reset;
        (answer, page, remaining, reset)
    }

    /// The first rule that fires for this request, counting the request against every rule it
    /// matches until one fires.
    fn fired_rule(&mut self, operation: Option<Operation>, page: Option<usize>) -> Option<usize> {
        for (index, rule) in self.rules.iter_mut().enumerate() {
            let f = &rule.failure;
            let op_matches = f.operation.is_none() || f.operation == operation;
            let page_matches = f.page.is_none() || (f.page == page && page.is_some());
            if !(op_matches && page_matches) {
                continue;
            }
            rule.seen += 1;
            let due = rule.seen > f.skip && f.times.is_none_or(|m| rule.fired < m);
            if due {
                rule.fired += 1;
                return Some(index);
            }
        }
        None
    }

    fn route(&mut self, shared: &Shared, req: &Req, now: SystemTime) -> Answer {
        let path = req.path.as_str();
        match req.route {
            Route::NotFound => problem(
                StatusCode::NOT_FOUND,
                format!("No resource at {} {path} in the Usage API.", req.method),
                path,
            ),
            Route::WrongMethod(allowed) => problem(
                StatusCode::METHOD_NOT_ALLOWED,
                format!("{path} takes {allowed}, not {}.", req.method),
                path,
            )
            .with_header(header::ALLOW, allowed),
            Route::Operation(op) => match op {
                Operation::GetUsage => self.get_usage(shared, req),
                Operation::GetTestsUnitsUsage | Operation::GetEnterpriseAgentsUnitsUsage => {
                    self.listing(shared, req, op, now)
                }
                Operation::GetQuotas => Answer::ok(&Quotas {
                    quotas: Some(render_quotas(&self.orgs)),
                    _links: Some(self_links(&link(&shared.config, req, None))),
                    ..Default::default()
                }),
                _ => self.quota_change(req, op),
            },
        }
    }

    /// `aid`, if given, must be a known account group id.
    fn check_aid(&self, req: &Req) -> Option<Answer> {
        let aid = param(&req.query, "aid")?;
        if aid.is_empty() || !aid.bytes().all(|b| b.is_ascii_digit()) {
            return Some(bad(
                "aid must be an account group id, in decimal digits.",
                &req.path,
                "aid",
                "INVALID_VALUE",
                format!("{aid:?} is not a decimal account group id"),
            ));
        }
        if self.known_aids.contains(aid) {
            return None;
        }
        Some(problem(
            StatusCode::NOT_FOUND,
            format!("Account group {aid} does not exist or you are not a member of it."),
            &req.path,
        ))
    }

    fn get_usage(&self, shared: &Shared, req: &Req) -> Answer {
        if let Some(problem) = self.check_aid(req) {
            return problem;
        }
        let mut expand = BTreeSet::new();
        let values = req.query.iter().filter(|(k, _)| k == "expand").map(|(_, v)| v.as_str());
        for item in values.flat_map(|v| v.split(',')).map(str::trim).filter(|s| !s.is_empty()) {
            if !EXPAND.contains(&item) {
                return bad(
                    format!("expand has an unknown value {item:?}."),
                    &req.path,
                    "expand",
                    "INVALID_VALUE",
                    format!("must be one of {}", EXPAND.join(", ")),
                );
            }
            expand.insert(item);
        }
        let full = &self.data.usage;
        let keep = |name: &str| expand.contains(name);
        let usage = UsageDetails {
            tests: full.tests.clone().filter(|_| keep("test")),
            enterprise_agent_units: full
                .enterprise_agent_units
                .clone()
                .filter(|_| keep("enterprise-agent-unit")),
            enterprise_agents: full.enterprise_agents.clone().filter(|_| keep("enterprise-agent")),
            endpoint_agents: full.endpoint_agents.clone().filter(|_| keep("endpoint-agent")),
            endpoint_agents_essentials: full
                .endpoint_agents_essentials
                .clone()
                .filter(|_| keep("endpoint-agent-essential")),
            endpoint_agents_embedded: full
                .endpoint_agents_embedded
                .clone()
                .filter(|_| keep("endpoint-agent-embedded")),
            ..full.clone()
        };
        Answer::ok(&Usage {
            usage: Some(usage),
            _links: Some(self_links(&link(&shared.config, req, None))),
            ..Default::default()
        })
    }

    fn listing(&self, shared: &Shared, req: &Req, op: Operation, now: SystemTime) -> Answer {
        let path = req.path.as_str();
        let mut filters = Filters::default();
        if op == Operation::GetTestsUnitsUsage {
            if let Some(problem) = self.check_aid(req) {
                return problem;
            }
            filters.aid = param(&req.query, "aid").map(str::to_string);
        }
        match check_range(&req.query, now, path) {
            Ok((start, end)) => {
                let utc = |t: DateTime<FixedOffset>| t.with_timezone(&Utc).to_rfc3339();
                filters.start = start.map(utc);
                filters.end = end.map(utc);
            }
            Err(problem) => return problem,
        }
        let items = if op == Operation::GetTestsUnitsUsage {
            self.data.test_units.len()
        } else {
            self.data.agent_units.len()
        };
        let size = page_size(op, &shared.config);
        let offset = match param(&req.query, "cursor") {
            None => 0,
            Some(raw) => {
                let refuse =
                    |detail: &str, message: &str| bad(detail, path, "cursor", "INVALID_CURSOR", message);
                let Some(c) = cursor::decode(raw).filter(|c| c.listing == op && c.offset < items.max(1))
                else {
                    return refuse(
                        "The cursor is not valid for this listing; start again from the first page.",
                        "unknown or expired cursor",
                    );
                };
                if c.filters != filters {
                    return refuse(
                        "The cursor was issued for other filters (aid, startDate, endDate); send the same \
                         filters as for the first page, or start again from the first page.",
                        "the cursor does not match the filters",
                    );
                }
                c.offset
            }
        };
        let cursor_at = |offset: usize| (offset > 0).then(|| cursor::encode(op, offset, &filters));
        let config = &shared.config;
        let mut links = PaginationLinks {
            param_self: Some(Link::new(link(config, req, cursor_at(offset).as_deref()))),
            ..PaginationLinks::default()
        };
        if offset + size < items {
            links.next = Some(Link::new(link(config, req, cursor_at(offset + size).as_deref())));
        }
        if offset > 0 {
            let previous = offset.saturating_sub(size);
            links.previous = Some(Link::new(link(config, req, cursor_at(previous).as_deref())));
        }
        let range = offset..(offset + size).min(items);
        if op == Operation::GetTestsUnitsUsage {
            Answer::ok(&TestsUsage {
                breakdowns: Some(self.data.test_units[range].to_vec()),
                _links: Some(links),
                ..Default::default()
            })
        } else {
            Answer::ok(&EnterpriseAgentsUsage {
                breakdowns: Some(self.data.agent_units[range].to_vec()),
                _links: Some(links),
                ..Default::default()
            })
        }
    }

    fn known_org(&self, org_id: &str) -> bool {
        self.data.organization_id == org_id || self.orgs.iter().any(|o| o.org_id.as_deref() == Some(org_id))
    }

    fn org_mut(&mut self, org_id: &str) -> &mut OrgQuotas {
        let index = match self.orgs.iter().position(|o| o.org_id.as_deref() == Some(org_id)) {
            Some(i) => i,
            None => {
                self.orgs.push(OrgQuotas {
                    org_id: Some(org_id.to_string()),
                    quota: None,
                    groups: Vec::new(),
                });
                self.orgs.len() - 1
            }
        };
        &mut self.orgs[index]
    }

    /// The four quota operations.
    fn quota_change(&mut self, req: &Req, op: Operation) -> Answer {
        let path = req.path.as_str();
        let Ok(body) = &req.body else {
            return problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("The request body is over {MAX_BODY} bytes."),
                path,
            );
        };
        if let Some(ct) = req.headers.get(header::CONTENT_TYPE) {
            let media = ct.to_str().unwrap_or_default().split(';').next().unwrap_or_default().trim();
            let media = media.to_ascii_lowercase();
            if media != "application/json" && !media.ends_with("+json") {
                return problem(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    format!("The body must be application/json, not {media}."),
                    path,
                );
            }
        }
        if body.is_empty() {
            return bad(
                "The request body is missing.",
                path,
                "body",
                "MISSING_BODY",
                "a JSON body is required",
            );
        }
        let malformed = |e: serde_json::Error| {
            bad(
                "The request body is not valid JSON of the expected shape.",
                path,
                "body",
                "INVALID_BODY",
                e.to_string(),
            )
        };
        match op {
            Operation::AssignOrganizationsQuotas => {
                let request: QuotasAssignRequest = match serde_json::from_slice(body) {
                    Ok(r) => r,
                    Err(e) => return malformed(e),
                };
                let orgs = request.organizations.unwrap_or_default();
                let mut errors = Vec::new();
                if orgs.is_empty() {
                    errors.push(field_error("organizations", "REQUIRED", "at least one organization"));
                }
                for (i, o) in orgs.iter().enumerate() {
                    if o.org_id.as_deref().is_none_or(str::is_empty) {
                        errors.push(field_error(format!("organizations[{i}].orgId"), "REQUIRED", "required"));
                    }
                    if o.value < 0 {
                        errors.push(field_error(
                            format!("organizations[{i}].value"),
                            "INVALID_VALUE",
                            "must not be negative",
                        ));
                    }
                }
                if !errors.is_empty() {
                    return invalid("The quotas to assign are invalid.", path, errors);
                }
                if let Some(unknown) =
                    orgs.iter().filter_map(|o| o.org_id.as_deref()).find(|id| !self.known_org(id))
                {
                    return unknown_org(unknown, path);
                }
                for o in &orgs {
                    if let Some(id) = &o.org_id {
                        self.org_mut(id).quota = Some(o.value);
                    }
                }
                let set = orgs
                    .into_iter()
                    .map(|o| OrganizationQuota { value: o.value, org_id: o.org_id, ..Default::default() })
                    .collect();
                Answer::ok(&QuotasAssignResponse { organizations: Some(set), ..Default::default() })
            }
            Operation::UnassignOrganizationsQuotas => {
                let request: QuotasUnassign = match serde_json::from_slice(body) {
                    Ok(r) => r,
                    Err(e) => return malformed(e),
                };
                let ids = request.organizations.unwrap_or_default();
                if ids.is_empty() || ids.iter().any(String::is_empty) {
                    return bad(
                        "Name the organizations whose quota to remove.",
                        path,
                        "organizations",
                        "REQUIRED",
                        "at least one organization id, none empty",
                    );
                }
                if let Some(unknown) = ids.iter().find(|id| !self.known_org(id)) {
                    return unknown_org(unknown, path);
                }
                for id in &ids {
                    self.org_mut(id).quota = None;
                }
                Answer::no_content()
            }
            Operation::AssignOrganizationsAccountGroupsQuotas => {
                let request: OrganizationsQuotasAssign = match serde_json::from_slice(body) {
                    Ok(r) => r,
                    Err(e) => return malformed(e),
                };
                let orgs = request.organizations.clone().unwrap_or_default();
                let mut errors = Vec::new();
                if orgs.is_empty() {
                    errors.push(field_error("organizations", "REQUIRED", "at least one organization"));
                }
                for (i, o) in orgs.iter().enumerate() {
                    if o.org_id.as_deref().is_none_or(str::is_empty) {
                        errors.push(field_error(format!("organizations[{i}].orgId"), "REQUIRED", "required"));
                    }
                    let groups = o.account_groups.as_deref().unwrap_or_default();
                    if groups.is_empty() {
                        errors.push(field_error(
                            format!("organizations[{i}].accountGroups"),
                            "REQUIRED",
                            "at least one account group",
                        ));
                    }
                    for (j, g) in groups.iter().enumerate() {
                        let at = format!("organizations[{i}].accountGroups[{j}]");
                        if !g.aid.as_deref().is_some_and(is_decimal) {
                            errors.push(field_error(
                                format!("{at}.aid"),
                                "INVALID_VALUE",
                                "a decimal account group id",
                            ));
                        }
                        match g.value {
                            None => errors.push(field_error(format!("{at}.value"), "REQUIRED", "required")),
                            Some(v) if v < 0 => errors.push(field_error(
                                format!("{at}.value"),
                                "INVALID_VALUE",
                                "must not be negative",
                            )),
                            Some(_) => {}
                        }
                    }
                }
                if !errors.is_empty() {
                    return invalid("The account group quotas to assign are invalid.", path, errors);
                }
                if let Some(problem) = self.check_orgs_and_groups(
                    orgs.iter().map(|o| {
                        (
                            o.org_id.clone().unwrap_or_default(),
                            o.account_groups.iter().flatten().filter_map(|g| g.aid.clone()).collect(),
                        )
                    }),
                    path,
                ) {
                    return problem;
                }
                for o in &orgs {
                    let org = self.org_mut(o.org_id.as_deref().unwrap_or_default());
                    for g in o.account_groups.iter().flatten() {
                        let (Some(aid), Some(value)) = (&g.aid, g.value) else { continue };
                        match org.groups.iter_mut().find(|(a, _)| a == aid) {
                            Some(entry) => entry.1 = value,
                            None => org.groups.push((aid.clone(), value)),
                        }
                    }
                }
                let set = orgs
                    .into_iter()
                    .map(|o| OrganizationQuotaAssignment {
                        org_id: o.org_id,
                        account_groups: o.account_groups,
                        ..Default::default()
                    })
                    .collect();
                Answer::ok(&OrganizationsQuotasAssign { organizations: Some(set), ..Default::default() })
            }
            _ => {
                let request: OrganizationsQuotasUnassign = match serde_json::from_slice(body) {
                    Ok(r) => r,
                    Err(e) => return malformed(e),
                };
                let orgs = request.organizations.unwrap_or_default();
                let mut errors = Vec::new();
                if orgs.is_empty() {
                    errors.push(field_error("organizations", "REQUIRED", "at least one organization"));
                }
                for (i, o) in orgs.iter().enumerate() {
                    if o.org_id.as_deref().is_none_or(str::is_empty) {
                        errors.push(field_error(format!("organizations[{i}].orgId"), "REQUIRED", "required"));
                    }
                    let groups = o.account_groups.as_deref().unwrap_or_default();
                    if groups.is_empty() {
                        errors.push(field_error(
                            format!("organizations[{i}].accountGroups"),
                            "REQUIRED",
                            "at least one account group id",
                        ));
                    }
                    for (j, aid) in groups.iter().enumerate() {
                        if !is_decimal(aid) {
                            errors.push(field_error(
                                format!("organizations[{i}].accountGroups[{j}]"),
                                "INVALID_VALUE",
                                "a decimal account group id",
                            ));
                        }
                    }
                }
                if !errors.is_empty() {
                    return invalid("The account group quotas to remove are invalid.", path, errors);
                }
                if let Some(problem) = self.check_orgs_and_groups(
                    orgs.iter().map(|o| {
                        (o.org_id.clone().unwrap_or_default(), o.account_groups.clone().unwrap_or_default())
                    }),
                    path,
                ) {
                    return problem;
                }
                for o in &orgs {
                    let org = self.org_mut(o.org_id.as_deref().unwrap_or_default());
                    let remove = o.account_groups.clone().unwrap_or_default();
                    org.groups.retain(|(aid, _)| !remove.contains(aid));
                }
                Answer::no_content()
            }
        }
    }

    /// Every organization must be known, and every account group.
    fn check_orgs_and_groups(
        &self,
        orgs: impl Iterator<Item = (String, Vec<String>)>,
        path: &str,
    ) -> Option<Answer> {
        for (org, groups) in orgs {
            if !self.known_org(&org) {
                return Some(unknown_org(&org, path));
            }
            if let Some(aid) = groups.iter().find(|aid| !self.known_aids.contains(*aid)) {
                return Some(problem(
                    StatusCode::NOT_FOUND,
                    format!("Account group {aid} does not exist in organization {org}."),
                    path,
                ));
            }
        }
        None
    }
}

fn is_decimal(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn unknown_org(org: &str, path: &str) -> Answer {
    problem(
        StatusCode::NOT_FOUND,
        format!("Organization {org} does not exist or you cannot manage it."),
        path,
    )
}

/// `startDate` and `endDate` as the API checks them: RFC 3339, no end without a start, a start
/// not in the future and before the end.
#[allow(clippy::type_complexity)]
fn check_range(
    query: &[(String, String)],
    now: SystemTime,
    path: &str,
) -> Result<(Option<DateTime<FixedOffset>>, Option<DateTime<FixedOffset>>), Answer> {
    let parse = |name: &str| -> Result<Option<DateTime<FixedOffset>>, Answer> {
        match param(query, name) {
            None => Ok(None),
            Some(v) => DateTime::parse_from_rfc3339(v).map(Some).map_err(|_| {
                bad(
                    format!("{name} must be a date and time in ISO 8601 form, such as 2022-07-17T22:00:54Z."),
                    path,
                    name,
                    "INVALID_DATE",
                    format!("{v:?} is not an ISO 8601 date-time"),
                )
            }),
        }
    };
    let start = parse("startDate")?;
    let end = parse("endDate")?;
    let now = DateTime::<Utc>::from(now);
    match (start, end) {
        (None, Some(_)) => Err(bad(
            "endDate needs a startDate.",
            path,
            "startDate",
            "MISSING_START_DATE",
            "required when endDate is given",
        )),
        (Some(s), _) if s > now => Err(bad(
            "startDate is in the future.",
            path,
            "startDate",
            "INVALID_DATE_RANGE",
            "must not be in the future",
        )),
        (Some(s), Some(e)) if s >= e => Err(bad(
            "startDate must be before endDate.",
            path,
            "startDate",
            "INVALID_DATE_RANGE",
            "must be before endDate",
        )),
        _ => Ok((start, end)),
    }
}

fn self_links(href: &str) -> SelfLinks {
    SelfLinks { param_self: Some(Link::new(href.to_string())), ..Default::default() }
}

/// The absolute URL of the request's path with its query, `cursor` replaced.
fn link(config: &Config, req: &Req, cursor: Option<&str>) -> String {
    let plain = format!("{}{}", config.root, req.path);
    let Ok(mut url) = url::Url::parse(&plain) else { return plain };
    {
        let mut query = url.query_pairs_mut();
        for (k, v) in req.query.iter().filter(|(k, _)| k != "cursor") {
            query.append_pair(k, v);
        }
        if let Some(c) = cursor {
            query.append_pair("cursor", c);
        }
    }
    let mut s = url.to_string();
    if s.ends_with('?') {
        s.pop();
    }
    s
}

/// The 429 of a used-up window.
fn rate_limited(path: &str, limit: u64, reset: i64) -> Answer {
    let when = DateTime::from_timestamp(reset, 0).map(|t| t.to_rfc3339()).unwrap_or_default();
    problem(
        StatusCode::TOO_MANY_REQUESTS,
        format!("The organization has used its {limit} calls for this window; the window resets at {when}."),
        path,
    )
}

/// The answer of a failure rule.
fn scripted(failure: &Failure, path: &str, now: SystemTime, limit: u64, reset: i64) -> Answer {
    let status = failure.status;
    let mut answer = match (&failure.body, status) {
        (Some((content_type, body)), _) => Answer {
            status,
            content_type: Some(content_type.clone()),
            body: body.clone(),
            headers: Vec::new(),
        },
        (None, StatusCode::UNAUTHORIZED) => unauthorized(
            status,
            failure.detail.as_deref().unwrap_or("The access token is invalid or expired."),
        ),
        (None, StatusCode::TOO_MANY_REQUESTS) if failure.detail.is_none() => rate_limited(path, limit, reset),
        (None, _) => problem(
            status,
            failure
                .detail
                .clone()
                .unwrap_or_else(|| format!("A scripted {} answer of the fake.", status.as_u16())),
            path,
        ),
    };
    match failure.retry_after {
        Some(RetryAfter::Seconds(wait)) => {
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            answer = answer.with_header(header::RETRY_AFTER, secs.to_string());
        }
        Some(RetryAfter::Date(wait)) => {
            answer = answer.with_header(header::RETRY_AFTER, http_date(now + wait));
        }
        None => {}
    }
    answer
}

/// Request counts by status, for the handle.
pub(crate) fn by_status(requests: &[RecordedRequest]) -> BTreeMap<u16, usize> {
    let mut counts = BTreeMap::new();
    for r in requests {
        *counts.entry(r.status.as_u16()).or_insert(0) += 1;
    }
    counts
}
