//! The details of an error answer from the API: [`ApiError`], and the [`FieldError`]s of a 400.

use std::fmt;
use std::time::Duration;

use super::OneLine;
use crate::rate_limit::RateLimit;

/// One invalid value reported in a 400 answer.
///
/// ```no_run
/// # async fn f(client: thousandeyes_usage::Client) {
/// if let Err(err) = client.usage().send().await {
///     for e in err.as_api().map(|a| a.field_errors()).unwrap_or_default() {
///         eprintln!("{:?}: {:?} ({:?})", e.field, e.message, e.code);
///     }
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct FieldError {
    /// The field the server objected to.
    pub field: Option<String>,
    /// The server's error code, for looking up in its documentation.
    pub code: Option<String>,
    /// What is wrong.
    pub message: Option<String>,
}

/// An error answer from the API: its status, the RFC 7807 problem details, and what the
/// response headers said. Every `ApiError` is an answer the server sent; a call the client held
/// back is an `Error::NotSent`.
///
/// ```no_run
/// # async fn f(client: thousandeyes_usage::Client) {
/// if let Err(thousandeyes_usage::Error::Api(api)) = client.quotas().send().await {
///     eprintln!("{} failed: HTTP {} {}", api.operation(), api.status(), api.summary());
/// }
/// # }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApiError {
    pub(crate) operation: &'static str,
    pub(crate) status: u16,
    pub(crate) problem_type: Option<String>,
    pub(crate) title: Option<String>,
    pub(crate) detail: Option<String>,
    pub(crate) instance: Option<String>,
    pub(crate) errors: Vec<FieldError>,
    pub(crate) oauth_error: Option<String>,
    pub(crate) oauth_error_description: Option<String>,
    pub(crate) request_id: Option<String>,
    pub(crate) retry_after: Option<Duration>,
    pub(crate) rate_limit: RateLimit,
    pub(crate) excerpt: String,
    /// Where a 404 was sent, for the message (see `decode::not_found_hint`).
    pub(crate) hint: Option<String>,
}

impl ApiError {
    /// The operation that failed, by its OpenAPI operationId (`getUsage`, ...).
    ///
    /// ```
    /// # fn f(api: &thousandeyes_usage::ApiError) {
    /// println!("{} failed", api.operation());
    /// # }
    /// ```
    pub fn operation(&self) -> &'static str {
        self.operation
    }
    /// The HTTP status.
    ///
    /// ```
    /// # fn f(api: &thousandeyes_usage::ApiError) {
    /// assert!(api.status() >= 300);
    /// # }
    /// ```
    pub fn status(&self) -> u16 {
        self.status
    }
    /// The problem's `type` URI.
    ///
    /// ```
    /// # fn f(api: &thousandeyes_usage::ApiError) {
    /// println!("{:?}", api.problem_type());
    /// # }
    /// ```
    pub fn problem_type(&self) -> Option<&str> {
        self.problem_type.as_deref()
    }
    /// The problem's `title`.
    ///
    /// ```
    /// # fn f(api: &thousandeyes_usage::ApiError) {
    /// println!("{:?}", api.title());
    /// # }
    /// ```
    pub fn title(&self) -> Option<&str> {
        self.title.as_deref()
    }
    /// The problem's `detail`.
    ///
    /// ```
    /// # fn f(api: &thousandeyes_usage::ApiError) {
    /// println!("{:?}", api.detail());
    /// # }
    /// ```
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }
    /// The problem's `instance` URI.
    ///
    /// ```
    /// # fn f(api: &thousandeyes_usage::ApiError) {
    /// println!("{:?}", api.instance());
    /// # }
    /// ```
    pub fn instance(&self) -> Option<&str> {
        self.instance.as_deref()
    }
    /// The invalid values listed by a 400 answer.
    ///
    /// ```
    /// # fn f(api: &thousandeyes_usage::ApiError) {
    /// for e in api.field_errors() { println!("{:?}: {:?}", e.field, e.message); }
    /// # }
    /// ```
    pub fn field_errors(&self) -> &[FieldError] {
        &self.errors
    }
    /// The `error` code of a 401 answer (`invalid_token`, ...).
    ///
    /// ```
    /// # fn f(api: &thousandeyes_usage::ApiError) {
    /// println!("{:?}", api.oauth_error());
    /// # }
    /// ```
    pub fn oauth_error(&self) -> Option<&str> {
        self.oauth_error.as_deref()
    }
    /// The `error_description` of a 401 answer.
    ///
    /// ```
    /// # fn f(api: &thousandeyes_usage::ApiError) {
    /// println!("{:?}", api.oauth_error_description());
    /// # }
    /// ```
    pub fn oauth_error_description(&self) -> Option<&str> {
        self.oauth_error_description.as_deref()
    }
    /// A request or trace id the answer carried (`x-request-id`, `x-trace-id`, `x-b3-traceid`,
    /// `traceparent`), for support cases.
    ///
    /// ```
    /// # fn f(api: &thousandeyes_usage::ApiError) {
    /// println!("{:?}", api.request_id());
    /// # }
    /// ```
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }
    /// How long the server asked the client to wait (from `Retry-After` or the rate-limit
    /// reset headers).
    ///
    /// ```
    /// # fn f(api: &thousandeyes_usage::ApiError) {
    /// println!("{:?}", api.retry_after());
    /// # }
    /// ```
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }
    /// The rate-limit figures of the answer.
    ///
    /// ```
    /// # fn f(api: &thousandeyes_usage::ApiError) {
    /// println!("{:?}", api.rate_limit().remaining);
    /// # }
    /// ```
    pub fn rate_limit(&self) -> &RateLimit {
        &self.rate_limit
    }
    /// The start of the raw body, bounded in length.
    ///
    /// ```
    /// # fn f(api: &thousandeyes_usage::ApiError) {
    /// println!("{}", api.body_excerpt());
    /// # }
    /// ```
    pub fn body_excerpt(&self) -> &str {
        &self.excerpt
    }
    /// True for 429.
    ///
    /// ```
    /// # fn f(api: &thousandeyes_usage::ApiError) {
    /// if api.is_rate_limited() { /* back off */ }
    /// # }
    /// ```
    pub fn is_rate_limited(&self) -> bool {
        self.status == 429
    }
    /// True for 429, 500, 502, 503 and 504.
    ///
    /// ```
    /// # fn f(api: &thousandeyes_usage::ApiError) {
    /// if api.is_retryable() { /* try later */ }
    /// # }
    /// ```
    pub fn is_retryable(&self) -> bool {
        matches!(self.status, 429 | 500 | 502 | 503 | 504)
    }
    /// The most useful one-line description the answer offers: the detail, the title, the
    /// OAuth error description, or the status's reason phrase.
    ///
    /// ```
    /// # fn f(api: &thousandeyes_usage::ApiError) {
    /// eprintln!("{}", api.summary());
    /// # }
    /// ```
    pub fn summary(&self) -> String {
        self.detail
            .clone()
            .or_else(|| self.title.clone())
            .or_else(|| self.oauth_error_description.clone())
            .or_else(|| self.oauth_error.clone())
            .unwrap_or_else(|| {
                http::StatusCode::from_u16(self.status)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("unexpected status")
                    .to_string()
            })
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: HTTP {}", self.operation, self.status)?;
        if let Some(title) = &self.title {
            write!(f, " {}", OneLine(title))?;
        }
        if let Some(detail) = &self.detail {
            write!(f, ": {}", OneLine(detail))?;
        }
        if let Some(desc) = self.oauth_error_description.as_ref().or(self.oauth_error.as_ref()) {
            write!(f, ": {}", OneLine(desc))?;
        }
        for e in &self.errors {
            write!(
                f,
                "; {}: {}",
                OneLine(e.field.as_deref().unwrap_or("?")),
                OneLine(e.message.as_deref().or(e.code.as_deref()).unwrap_or("invalid"))
            )?;
        }
        if self.title.is_none() && self.detail.is_none() && self.oauth_error.is_none() {
            write!(f, " ({})", OneLine(&self.summary()))?;
        }
        if let Some(hint) = &self.hint {
            write!(f, " ({hint})")?;
        }
        if let Some(wait) = self.retry_after {
            write!(f, " (retry after {:.0} s)", wait.as_secs_f64().ceil())?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " [request id {}]", OneLine(id))?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}
