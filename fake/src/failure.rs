//! Scripted failures.

use std::time::Duration;

use bytes::Bytes;
use http::StatusCode;
use thousandeyes_usage_generated::apis::OperationId as Operation;

/// A scripted answer that replaces the normal one: an error status (or any status, with any
/// body) for the requests of one operation, or of every operation.
///
/// A rule counts the requests it matches that reach the API: authenticated, and not refused by
/// the rate limit. It lets the first [`after`](Failure::after) of them through, then answers the
/// next [`times`](Failure::times) (one by default) itself, then lets the rest through. Rules are
/// tried in the order they were added; the first one that fires answers. The answer carries the
/// usual `Date`, rate-limit and request id headers.
///
/// The body is an RFC 7807 problem (`application/problem+json`) with the status's title, or, for
/// a 401, an OAuth-style `error`/`error_description`; [`body`](Failure::body) replaces it.
///
/// A 429 does not use up the organization's budget, and it ends the current window as if other
/// clients of the organization had used it up: `remaining` is 0, and every request is refused
/// until the window's reset (by default the end of the current window; see
/// [`reset_after`](Failure::reset_after)). Other statuses use up one call, like any answer.
///
/// The second page of test units refused once, the window resetting one second later (the 429
/// that `te-usage --demo` shows):
///
/// ```
/// use std::time::Duration;
/// use thousandeyes_usage_fake::{Failure, Operation};
///
/// let rule = Failure::rate_limited(Operation::GetTestsUnitsUsage)
///     .on_page(2)
///     .reset_after(Duration::from_secs(1));
/// # let _ = rule;
/// ```
///
/// Three 503s with a `Retry-After` for every operation, after two good answers:
///
/// ```
/// use std::time::Duration;
/// use thousandeyes_usage_fake::Failure;
///
/// let rule = Failure::on_any_operation(503).after(2).times(3).retry_after(Duration::from_secs(2));
/// # let _ = rule;
/// ```
#[derive(Debug, Clone)]
pub struct Failure {
    pub(crate) operation: Option<Operation>,
    pub(crate) page: Option<usize>,
    pub(crate) status: StatusCode,
    pub(crate) skip: usize,
    pub(crate) times: Option<usize>,
    pub(crate) retry_after: Option<RetryAfter>,
    pub(crate) reset_after: Option<Duration>,
    pub(crate) detail: Option<String>,
    pub(crate) body: Option<(String, Bytes)>,
}

/// How a failure's `Retry-After` is written.
#[derive(Debug, Clone, Copy)]
pub(crate) enum RetryAfter {
    /// Delta-seconds.
    Seconds(Duration),
    /// An HTTP date this far after the fake's now.
    Date(Duration),
}

fn status(code: u16) -> StatusCode {
    match StatusCode::from_u16(code) {
        Ok(s) => s,
        Err(_) => panic!("thousandeyes-usage-fake: {code} is not an HTTP status (100 to 999)"),
    }
}

impl Failure {
    /// Answer requests of `operation` with `status` (once, unless [`times`](Failure::times) or
    /// [`always`](Failure::always) says otherwise).
    ///
    /// # Panics
    ///
    /// If `status` is not a valid HTTP status code (100 to 999).
    ///
    /// ```
    /// use thousandeyes_usage_fake::{Failure, Operation};
    ///
    /// let forbidden = Failure::new(Operation::AssignOrganizationsQuotas, 403);
    /// # let _ = forbidden;
    /// ```
    pub fn new(operation: Operation, status_code: u16) -> Failure {
        Failure {
            operation: Some(operation),
            page: None,
            status: status(status_code),
            skip: 0,
            times: Some(1),
            retry_after: None,
            reset_after: None,
            detail: None,
            body: None,
        }
    }

    /// Answer requests of any operation (and to unknown paths) with `status`.
    ///
    /// # Panics
    ///
    /// If `status` is not a valid HTTP status code (100 to 999).
    ///
    /// ```
    /// use thousandeyes_usage_fake::Failure;
    ///
    /// let outage = Failure::on_any_operation(500).always();
    /// # let _ = outage;
    /// ```
    pub fn on_any_operation(status_code: u16) -> Failure {
        Failure { operation: None, ..Failure::new(Operation::GetUsage, status_code) }
    }

    /// Answer requests of `operation` with 429 Too Many Requests, as if other clients of the
    /// organization had used up the current window.
    ///
    /// ```
    /// use thousandeyes_usage_fake::{Failure, Operation};
    ///
    /// let busy = Failure::rate_limited(Operation::GetUsage);
    /// # let _ = busy;
    /// ```
    pub fn rate_limited(operation: Operation) -> Failure {
        Failure::new(operation, 429)
    }

    /// Let the first `n` matching requests through before failing.
    ///
    /// ```
    /// use thousandeyes_usage_fake::{Failure, Operation};
    ///
    /// // The third page request is the first one refused.
    /// let rule = Failure::new(Operation::GetEnterpriseAgentsUnitsUsage, 502).after(2);
    /// # let _ = rule;
    /// ```
    pub fn after(mut self, n: usize) -> Failure {
        self.skip = n;
        self
    }

    /// Fail `m` matching requests (the default is one), then let the rest through.
    ///
    /// ```
    /// use thousandeyes_usage_fake::{Failure, Operation};
    ///
    /// let flaky = Failure::new(Operation::GetQuotas, 503).times(2);
    /// # let _ = flaky;
    /// ```
    pub fn times(mut self, m: usize) -> Failure {
        self.times = Some(m);
        self
    }

    /// Fail every matching request (after those let through by [`after`](Failure::after)).
    ///
    /// ```
    /// use thousandeyes_usage_fake::{Failure, Operation};
    ///
    /// let down = Failure::new(Operation::GetUsage, 500).always();
    /// # let _ = down;
    /// ```
    pub fn always(mut self) -> Failure {
        self.times = None;
        self
    }

    /// Match only requests for page `page` (1 for the first page, asked for without a cursor;
    /// 2 for the page of the first page's next link, and so on) of a listing. Requests of other
    /// operations, and requests with an invalid cursor, never match.
    ///
    /// ```
    /// use thousandeyes_usage_fake::{Failure, Operation};
    ///
    /// let rule = Failure::new(Operation::GetTestsUnitsUsage, 500).on_page(3);
    /// # let _ = rule;
    /// ```
    pub fn on_page(mut self, page: usize) -> Failure {
        self.page = Some(page);
        self
    }

    /// Send `Retry-After` with this wait, in whole seconds (rounded up).
    ///
    /// ```
    /// use std::time::Duration;
    /// use thousandeyes_usage_fake::{Failure, Operation};
    ///
    /// let rule = Failure::new(Operation::GetUsage, 503).retry_after(Duration::from_secs(5));
    /// # let _ = rule;
    /// ```
    pub fn retry_after(mut self, wait: Duration) -> Failure {
        self.retry_after = Some(RetryAfter::Seconds(wait));
        self
    }

    /// Send `Retry-After` as an HTTP date (IMF-fixdate, on the fake's clock) this long after the
    /// answer.
    ///
    /// ```
    /// use std::time::Duration;
    /// use thousandeyes_usage_fake::{Failure, Operation};
    ///
    /// let rule = Failure::rate_limited(Operation::GetUsage).retry_after_date(Duration::from_secs(3));
    /// # let _ = rule;
    /// ```
    pub fn retry_after_date(mut self, wait: Duration) -> Failure {
        self.retry_after = Some(RetryAfter::Date(wait));
        self
    }

    /// For a 429: the used-up window resets `wait` from now, on the whole second at or before
    /// that time but at least the next whole second (the window ends early, or late). Requests
    /// until then are refused with 429; the first one after it starts a new window.
    ///
    /// Without it, the window keeps its end. Ignored for other statuses.
    ///
    /// ```
    /// use std::time::Duration;
    /// use thousandeyes_usage_fake::{Failure, Operation};
    ///
    /// let rule = Failure::rate_limited(Operation::GetUsage).reset_after(Duration::from_secs(1));
    /// # let _ = rule;
    /// ```
    pub fn reset_after(mut self, wait: Duration) -> Failure {
        self.reset_after = Some(wait);
        self
    }

    /// The `detail` of the problem body.
    ///
    /// ```
    /// use thousandeyes_usage_fake::{Failure, Operation};
    ///
    /// let rule = Failure::new(Operation::GetQuotas, 403).detail("Missing permission: View quotas.");
    /// # let _ = rule;
    /// ```
    pub fn detail(mut self, detail: impl Into<String>) -> Failure {
        self.detail = Some(detail.into());
        self
    }

    /// Answer with this body and `Content-Type` instead of a problem document: an HTML error page
    /// from a proxy, say, or with status 200 a success body of the wrong shape.
    ///
    /// ```
    /// use thousandeyes_usage_fake::{Failure, Operation};
    ///
    /// let proxy = Failure::new(Operation::GetUsage, 502).body("text/html", "<html>Bad gateway</html>");
    /// let garbled = Failure::new(Operation::GetUsage, 200).body("application/hal+json", r#"{"usage": 7}"#);
    /// # let _ = (proxy, garbled);
    /// ```
    pub fn body(mut self, content_type: impl Into<String>, body: impl Into<Bytes>) -> Failure {
        self.body = Some((content_type.into(), body.into()));
        self
    }
}
