//! What the fake records: every request, and the rate-limit windows.

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use tokio::time::Instant;

use crate::Operation;

/// How a request's `Authorization` header compared with the fake's token. The header's value is
/// never recorded.
///
/// ```
/// use thousandeyes_usage_fake::TokenCheck;
///
/// assert_ne!(TokenCheck::Matched, TokenCheck::Wrong);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenCheck {
    /// `Authorization: Bearer <the fake's token>`.
    Matched,
    /// An `Authorization` header with another token or another scheme.
    Wrong,
    /// No `Authorization` header.
    Missing,
}

/// One request the fake answered, for assertions.
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
    /// The headers, without `Authorization` (see [`token`](RecordedRequest::token)).
    pub headers: HeaderMap,
    /// Whether the bearer token was the fake's.
    pub token: TokenCheck,
    /// The body.
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
    /// When the answer was ready, after any [latency](crate::FakeUsageApiBuilder::latency).
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

    /// True when the bearer token was the fake's.
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
