//! What the fake records: the most recent requests (with which of its tokens each carried),
//! counters over every request, and the rate-limit windows.
//!
//! A recorded request holds its own copies of what it keeps, each as long as its content: the
//! server reads requests into buffers of several KiB whose slices (header values, bodies) would
//! otherwise keep those buffers alive as long as the record.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, AUTHORIZATION};
use http::{HeaderMap, Method, StatusCode};
use thousandeyes_usage_generated::apis::OperationId as Operation;
use tokio::time::Instant;

/// How long the fake accepts its previous token after a rotation (`FakeUsageApi::rotate_token`),
/// on its clock: 14 days, as ThousandEyes accepts a token for 14 days after it is regenerated.
/// Requests carrying it are recorded as [`TokenCheck::Previous`]; after that, as
/// [`TokenCheck::Wrong`], and answered 401.
///
/// ```
/// use std::time::Duration;
///
/// assert_eq!(thousandeyes_usage_fake::PREVIOUS_TOKEN_GRACE, Duration::from_secs(14 * 24 * 3600));
/// ```
pub const PREVIOUS_TOKEN_GRACE: Duration = Duration::from_secs(14 * 24 * 3600);

/// How a request's `Authorization` header compared with the fake's tokens: which one it
/// carried, never the token itself (the header's value is never recorded).
///
/// ```
/// use thousandeyes_usage_fake::TokenCheck;
///
/// assert_ne!(TokenCheck::Matched, TokenCheck::Wrong);
/// assert!(TokenCheck::Previous.is_accepted());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenCheck {
    /// `Authorization: Bearer <the fake's token>`.
    Matched,
    /// An `Authorization` header with another token (a previous one past its grace included) or
    /// another scheme.
    Wrong,
    /// No `Authorization` header.
    Missing,
    /// `Authorization: Bearer <the fake's previous token>`: the one it had before its last
    /// rotation (`FakeUsageApi::rotate_token`), or the one it started with (the builder's
    /// `previous_token`), within [`PREVIOUS_TOKEN_GRACE`] of it. Accepted, as the API accepts
    /// the token a regeneration replaced for 14 days.
    Previous,
}

impl TokenCheck {
    /// True for a token the fake accepts: [`Matched`](Self::Matched) or
    /// [`Previous`](Self::Previous). A request with any other is answered 401.
    ///
    /// ```
    /// use thousandeyes_usage_fake::TokenCheck;
    ///
    /// assert!(TokenCheck::Matched.is_accepted());
    /// assert!(!TokenCheck::Wrong.is_accepted() && !TokenCheck::Missing.is_accepted());
    /// ```
    pub fn is_accepted(self) -> bool {
        matches!(self, TokenCheck::Matched | TokenCheck::Previous)
    }
}

/// One request the fake answered, for assertions.
///
/// The fake keeps the most recent requests, as many as the builder's `record_limit` (see
/// `FakeUsageApi::requests`). Each holds copies of what it keeps, no larger than their content: a request of a client takes about a kilobyte of
/// the record, its slot included.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use thousandeyes_usage_fake::{FakeUsageApi, Operation, TokenCheck};
///
/// let fake = FakeUsageApi::start().await;
/// reqwest::Client::builder().no_proxy().build().unwrap()
///     .get(format!("{}/usage?expand=test", fake.base_url()))
///     .bearer_auth(fake.token())
///     .send()
///     .await
///     .unwrap();
/// let request = &fake.requests()[0];
/// assert_eq!(request.method, "GET");
/// assert_eq!(request.path, "/v7/usage");
/// assert_eq!(request.query_param("expand"), Some("test"));
/// assert_eq!(request.operation, Some(Operation::GetUsage));
/// assert_eq!(request.token, TokenCheck::Matched);
/// assert!(request.headers.get("authorization").is_none(), "never recorded");
/// assert_eq!(request.status, 200);
/// # }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// Arrival order, from 0.
    pub sequence: usize,
    /// The method.
    pub method: Method,
    /// The path as sent, such as `/v7/usage/units/tests`.
    pub path: String,
    /// The query's pairs, percent-decoded, in order.
    pub query: Vec<(String, String)>,
    /// The headers as sent, without `Authorization` (never recorded: see
    /// [`token`](RecordedRequest::token)).
    pub headers: HeaderMap,
    /// Which of the fake's tokens the request carried, if any (never the token itself).
    pub token: TokenCheck,
    /// The body (empty when it was over the 1 MiB the fake reads, and answered 413).
    pub body: Bytes,
    /// The operation the method and path name, if any.
    pub operation: Option<Operation>,
    /// The status answered.
    pub status: StatusCode,
    /// For a listing request with a valid cursor (or none), the page asked for: 1 for the first.
    pub page: Option<usize>,
    /// The `x-organization-rate-limit-remaining` answered.
    pub rate_limit_remaining: u64,
    /// The `x-organization-rate-limit-reset` answered (UTC epoch seconds on the fake's clock).
    pub rate_limit_reset: i64,
    /// When the request arrived (tokio's clock: virtual time when paused).
    pub arrived_at: Instant,
    /// When the answer was ready, after any latency (the builder's `latency`).
    pub answered_at: Instant,
}

impl RecordedRequest {
    /// The first value of query parameter `name`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let fake = thousandeyes_usage_fake::FakeUsageApi::start().await;
    /// # reqwest::Client::builder().no_proxy().build().unwrap().get(format!("{}/usage?aid=1234", fake.base_url()))
    /// #     .bearer_auth(fake.token()).send().await.unwrap();
    /// assert_eq!(fake.requests()[0].query_param("aid"), Some("1234"));
    /// # }
    /// ```
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The value of header `name`, if present and text.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let fake = thousandeyes_usage_fake::FakeUsageApi::start().await;
    /// # reqwest::Client::builder().no_proxy().build().unwrap().get(format!("{}/quotas", fake.base_url()))
    /// #     .header("user-agent", "billing-job/2.1").bearer_auth(fake.token()).send().await.unwrap();
    /// assert_eq!(fake.requests()[0].header("user-agent"), Some("billing-job/2.1"));
    /// # }
    /// ```
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `operationId` of the operation matched, such as `getTestsUnitsUsage`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let fake = thousandeyes_usage_fake::FakeUsageApi::start().await;
    /// # reqwest::Client::builder().no_proxy().build().unwrap().get(format!("{}/quotas", fake.base_url()))
    /// #     .bearer_auth(fake.token()).send().await.unwrap();
    /// assert_eq!(fake.requests()[0].operation_id(), Some("getQuotas"));
    /// # }
    /// ```
    pub fn operation_id(&self) -> Option<&'static str> {
        self.operation.map(Operation::operation_id)
    }

    /// True when the bearer token was the fake's current one ([`TokenCheck::Matched`]; not its
    /// previous one, see [`TokenCheck::is_accepted`]).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let fake = thousandeyes_usage_fake::FakeUsageApi::start().await;
    /// # reqwest::Client::builder().no_proxy().build().unwrap().get(format!("{}/quotas", fake.base_url()))
    /// #     .bearer_auth("nope").send().await.unwrap();
    /// let request = &fake.requests()[0];
    /// assert!(!request.token_matched());
    /// assert_eq!(request.status, 401);
    /// # }
    /// ```
    pub fn token_matched(&self) -> bool {
        self.token == TokenCheck::Matched
    }

    /// The body parsed as JSON.
    ///
    /// # Errors
    ///
    /// When the body is not JSON.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let fake = thousandeyes_usage_fake::FakeUsageApi::start().await;
    /// # reqwest::Client::builder().no_proxy().build().unwrap().post(format!("{}/quotas/unassign", fake.base_url()))
    /// #     .bearer_auth(fake.token()).json(&serde_json::json!({"organizations": ["1001"]}))
    /// #     .send().await.unwrap();
    /// let body = fake.requests()[0].body_json().unwrap();
    /// assert_eq!(body["organizations"][0], "1001");
    /// # }
    /// ```
    pub fn body_json(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }
}

/// The requests of one rate-limit window of the organization.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::time::Duration;
/// use thousandeyes_usage_fake::FakeUsageApi;
///
/// let fake = FakeUsageApi::builder().rate_limit(1, Duration::from_secs(60)).start().await;
/// let http = reqwest::Client::builder().no_proxy().build().unwrap();
/// for _ in 0..3 {
///     http.get(format!("{}/quotas", fake.base_url())).bearer_auth(fake.token()).send().await.unwrap();
/// }
/// let windows = fake.rate_limit_windows();
/// let last = windows.last().unwrap();
/// assert_eq!((last.limit, last.used), (1, 1));
/// assert_eq!(windows.iter().map(|w| w.succeeded + w.rate_limited).sum::<usize>(), 3);
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimitWindow {
    /// When the window ended or ends: UTC epoch seconds on the fake's clock, the
    /// `x-organization-rate-limit-reset` of its answers (of its last answer, when a scripted 429
    /// moved it).
    pub reset: i64,
    /// Calls allowed in it.
    pub limit: u64,
    /// Calls counted in it (every answer but 401s and 429s); `limit` when a scripted 429 used it
    /// up.
    pub used: u64,
    /// Requests answered 2xx in it.
    pub succeeded: usize,
    /// Requests answered 429 in it.
    pub rate_limited: usize,
    /// Every request answered in it, whatever the status (401s included).
    pub answered: usize,
}

/// Copies of `headers` without `Authorization` (the token: see [`RecordedRequest::token`]), each
/// name and value in an allocation of its own size (the values the server parsed are slices of
/// its read buffer).
pub(crate) fn own_headers(headers: &HeaderMap) -> HeaderMap {
    let kept = headers.keys().filter(|name| *name != AUTHORIZATION).count();
    let mut owned = HeaderMap::with_capacity(kept);
    for (name, value) in headers {
        if name == AUTHORIZATION {
            continue;
        }
        let (Ok(name), Ok(mut copy)) =
            (HeaderName::from_bytes(name.as_str().as_bytes()), HeaderValue::from_bytes(value.as_bytes()))
        else {
            continue;
        };
        copy.set_sensitive(value.is_sensitive());
        owned.append(name, copy);
    }
    owned
}

/// A copy of `body` in an allocation of its own size (the server's is a slice of its read buffer).
pub(crate) fn own_body(body: &[u8]) -> Bytes {
    if body.is_empty() {
        Bytes::new()
    } else {
        Bytes::copy_from_slice(body)
    }
}

/// The requests the fake answered: the most recent `limit` of them, and counters kept as each is
/// answered, exact however many have left the record.
#[derive(Debug)]
pub(crate) struct Record {
    limit: usize,
    kept: VecDeque<RecordedRequest>,
    /// Requests answered that `kept` no longer holds (pushed out, or cleared).
    dropped: usize,
    answered: usize,
    by_status: BTreeMap<u16, usize>,
    pages_served: usize,
}

impl Record {
    /// An empty record keeping at most `limit` requests.
    pub(crate) fn new(limit: usize) -> Record {
        Record {
            limit,
            kept: VecDeque::new(),
            dropped: 0,
            answered: 0,
            by_status: BTreeMap::new(),
            pages_served: 0,
        }
    }

    /// Counts `request` and keeps it, pushing out the oldest kept when the record is full;
    /// `listing_page` says it was a page of a listing.
    pub(crate) fn push(&mut self, request: RecordedRequest, listing_page: bool) {
        self.answered += 1;
        *self.by_status.entry(request.status.as_u16()).or_insert(0) += 1;
        if listing_page && request.status.is_success() {
            self.pages_served += 1;
        }
        if self.limit == 0 {
            self.dropped += 1;
            return;
        }
        if self.kept.len() >= self.limit {
            self.kept.pop_front();
            self.dropped += 1;
        }
        self.kept.push_back(request);
    }

    /// Empties the record; the counters go on.
    pub(crate) fn clear(&mut self) {
        self.dropped += self.kept.len();
        self.kept = VecDeque::new();
    }

    /// The requests kept, in arrival order.
    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        let mut requests: Vec<RecordedRequest> = self.kept.iter().cloned().collect();
        requests.sort_by_key(|r| r.sequence);
        requests
    }

    /// The kept requests `keep` selects, in arrival order.
    pub(crate) fn requests_where(&self, keep: impl Fn(&RecordedRequest) -> bool) -> Vec<RecordedRequest> {
        let mut requests: Vec<RecordedRequest> = self.kept.iter().filter(|r| keep(r)).cloned().collect();
        requests.sort_by_key(|r| r.sequence);
        requests
    }

    pub(crate) fn dropped(&self) -> usize {
        self.dropped
    }

    pub(crate) fn answered(&self) -> usize {
        self.answered
    }

    pub(crate) fn by_status(&self) -> BTreeMap<u16, usize> {
        self.by_status.clone()
    }

    pub(crate) fn with_status(&self, status: u16) -> usize {
        self.by_status.get(&status).copied().unwrap_or(0)
    }

    pub(crate) fn pages_served(&self) -> usize {
        self.pages_served
    }
}
