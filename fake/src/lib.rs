//! A fake ThousandEyes Usage API v7 server for your tests, started in one line.
//!
//! [`FakeUsageApi::start()`] serves, on `127.0.0.1` and a free port, the eight operations of the
//! Usage API with realistic seeded data (a made-up "Acme Corp" organization; the same every
//! run), and behaves like the real API:
//!
//! * `GET /usage` honours `expand`; the two listings (`GET /usage/units/tests`,
//!   `GET /usage/units/enterprise-agents`) are paginated with absolute `_links.next.href` links
//!   carrying an opaque `cursor` that binds the query parameters; `aid` (of `GET /usage` and
//!   `GET /usage/units/tests`) is the account group a request is made in, not a filter: it must
//!   be one of the organization's (else a 404, as the API refuses an account group the caller is
//!   not a member of), and the answer is the whole organization's whichever it is, the fake
//!   serving one organization (see [Account groups](#account-groups)); the query is read as the spec declares
//!   it (a value outside an enum, an empty `expand` included, or a date-time that is not
//!   RFC 3339 is a 400 naming the parameter and the value), and `startDate`/`endDate` and `aid`
//!   are checked further as the API checks them; the quota operations change the quotas
//!   `GET /quotas` shows (an organization quota without `orgId` is set on the fake's own
//!   organization, as the API sets it on the organization the caller is authenticated in);
//! * answers are `application/hal+json`, errors RFC 7807 `application/problem+json` (a 400 lists
//!   the invalid fields; a 401, for a missing or wrong bearer token, has OAuth-style `error` and
//!   `error_description`); unknown paths are 404;
//! * its token can be [rotated](FakeUsageApi::rotate_token) while it runs: the token it replaces
//!   stays accepted for 14 days of its clock, as a regenerated token's predecessor is by the API,
//!   and the record says which token each request carried ([`TokenCheck`]);
//! * every answer carries a `Date` and the `x-organization-rate-limit-limit`, `-remaining` and
//!   `-reset` headers of an organization-wide window (240 calls a minute unless
//!   [configured](FakeUsageApiBuilder::rate_limit)); a call beyond the limit is a 429.
//!
//! The [builder](FakeUsageApi::builder) sets the data, the token, page sizes, the rate limit,
//! latency, [scripted failures](Failure), a clock skew and the size of the record. The fake
//! [records the most recent requests](FakeUsageApi::requests) for assertions (1,000 unless
//! [configured](FakeUsageApiBuilder::record_limit)), counts every request
//! ([by status](FakeUsageApi::status_counts)), and tells what its data
//! [adds up to](FakeUsageApi::expected_totals). Its memory stays flat however long it runs.
//!
//! # Account groups
//!
//! `aid` names the account group a request is made in. The API answers for that account group's
//! organization: `GET /usage` covers every account group of it, and `GET /usage/units/tests`
//! lists every test of it, each entry naming the account group that owns it in its own `aid`.
//! The fake serves one organization, so any of its account groups ([`Dataset::account_groups`]
//! and those appearing in the data) gives the same answer, and an `aid` it does not know is a 404
//! naming it. A listing's cursor is bound to the `aid` of its first page, like its time range.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use thousandeyes_usage_fake::FakeUsageApi;
//!
//! let fake = FakeUsageApi::builder().page_size(100).start().await;
//! let http = reqwest::Client::builder().no_proxy().build().unwrap();
//! let list = |aid: &str| {
//!     http.get(fake.url(&format!("/usage/units/tests?aid={aid}"))).bearer_auth(fake.token()).send()
//! };
//! let made_in_1234: serde_json::Value = list("1234").await.unwrap().json().await.unwrap();
//! let tests = made_in_1234["breakdowns"].as_array().unwrap();
//! assert_eq!(tests.len(), 81, "every test of the organization");
//! assert!(tests.iter().any(|t| t["aid"] != "1234"), "not only those of account group 1234");
//! assert_eq!(list("999").await.unwrap().status(), 404);
//! # }
//! ```
//!
//! # Time
//!
//! The server is a task on your tokio runtime (`start()` must be called within one), and all of
//! its time is tokio's: its clock ([`FakeClock`]) is the wall-clock time at start plus tokio's
//! elapsed time, latency is `tokio::time::sleep`. Under `#[tokio::test(start_paused = true)]` the rate-limit
//! windows, the `Date` header and latency follow virtual time, so a test of a client that waits
//! out a 429 runs in no real time. Dropping the [`FakeUsageApi`] stops the server.
//!
//! # Testing your code
//!
//! A function of your own that sums the cloud units of every test with the
//! `thousandeyes-usage` client, and its test (this crate does not depend on the client, so the
//! example is not compiled here; the client's README compiles it, and the project's
//! `tests/tests/fake/consumer.rs` runs tests of its kind):
//!
//! ```ignore
//! use futures::TryStreamExt;
//! use thousandeyes_usage_fake::FakeUsageApi;
//!
//! async fn total_cloud_units(client: &thousandeyes_usage::Client) -> Result<i64, thousandeyes_usage::Error> {
//!     let mut total = 0;
//!     let mut tests = client.test_units().items();
//!     while let Some(test) = tests.try_next().await? {
//!         total += test.cloud_units_used.unwrap_or(0);
//!     }
//!     Ok(total)
//! }
//!
//! #[tokio::test]
//! async fn sums_every_page() {
//!     let fake = FakeUsageApi::start().await;
//!     let client = thousandeyes_usage::Client::builder()
//!         .token(fake.token())
//!         .base_url(fake.base_url())
//!         .build()
//!         .unwrap();
//!     assert_eq!(total_cloud_units(&client).await.unwrap(), fake.expected_totals().cloud_units_used);
//!     assert_eq!(fake.pages_served(), fake.expected_totals().test_pages);
//! }
//! ```
//!
//! The same with plain `reqwest`, following the next links:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use thousandeyes_usage_fake::FakeUsageApi;
//!
//! let fake = FakeUsageApi::start().await;
//! // reqwest follows the environment's proxy even to loopback: talk to the fake directly.
//! let http = reqwest::Client::builder().no_proxy().build().unwrap();
//! let mut next = Some(format!("{}/usage/units/tests", fake.base_url()));
//! let mut total = 0;
//! while let Some(url) = next {
//!     let page: serde_json::Value =
//!         http.get(url).bearer_auth(fake.token()).send().await.unwrap().json().await.unwrap();
//!     for test in page["breakdowns"].as_array().unwrap() {
//!         total += test["cloudUnitsUsed"].as_i64().unwrap_or(0);
//!     }
//!     next = page["_links"]["next"]["href"].as_str().map(str::to_string);
//! }
//! assert_eq!(total, fake.expected_totals().cloud_units_used);
//! assert_eq!(fake.request_count(), fake.expected_totals().test_pages);
//! # }
//! ```
//!
//! Under virtual time, with a window of 2 calls a minute and your own data:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! use std::time::Duration;
//! use thousandeyes_usage_fake::models::UnitsByTests;
//! use thousandeyes_usage_fake::FakeUsageApi;
//!
//! let tests = (0..5)
//!     .map(|i| UnitsByTests { test_id: Some(i.to_string()), cloud_units_used: Some(10), ..Default::default() })
//!     .collect();
//! let fake = FakeUsageApi::builder()
//!     .test_units(tests)
//!     .page_size(2)
//!     .rate_limit(2, Duration::from_secs(60))
//!     .start()
//!     .await;
//! let http = reqwest::Client::builder().no_proxy().build().unwrap();
//! let url = format!("{}/usage/units/tests", fake.base_url());
//! let statuses: Vec<u16> = [
//!     http.get(&url).bearer_auth(fake.token()).send().await.unwrap().status().as_u16(),
//!     http.get(&url).bearer_auth(fake.token()).send().await.unwrap().status().as_u16(),
//!     http.get(&url).bearer_auth(fake.token()).send().await.unwrap().status().as_u16(),
//! ]
//! .into();
//! assert_eq!(statuses, [200, 200, 429]);
//! tokio::time::sleep(Duration::from_secs(60)).await; // virtual: instant
//! let again = http.get(&url).bearer_auth(fake.token()).send().await.unwrap();
//! assert_eq!(again.status(), 200);
//! # }
//! ```

// Literals of the generated models end in `..Default::default()` even when every field is
// given, so that a field the spec adds later does not break the fake's build.
#![allow(clippy::needless_update)]
#![deny(missing_docs)]
#![warn(rustdoc::broken_intra_doc_links)]

mod acme;
mod clock;
mod cursor;
mod dataset;
mod failure;
mod mix;
mod record;
mod server;

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use thousandeyes_usage_generated::models::{
    EnterpriseAgentUnitsByTestOwnerAccountGroup, Quota, UnitsByTests, UsageDetails,
};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use clock::FakeClock;
pub use dataset::{AccountGroup, Dataset, ExpectedTotals};
pub use failure::Failure;
use record::Record;
pub use record::{RateLimitWindow, RecordedRequest, TokenCheck, PREVIOUS_TOKEN_GRACE};
/// One of the operations of the Usage API, named as in the spec: the operation enum of
/// `thousandeyes-usage-generated`, whose variants, [`ALL`](Operation::ALL), `operation_id()`,
/// `method()` and `path()` come from the spec.
///
/// Used to aim a [`Failure`] at an operation and to pick recorded requests
/// ([`FakeUsageApi::requests_for`]).
///
/// ```
/// use thousandeyes_usage_fake::Operation;
///
/// let op = Operation::GetTestsUnitsUsage;
/// assert_eq!(op.operation_id(), "getTestsUnitsUsage");
/// assert_eq!((op.method(), op.path()), ("GET", "/usage/units/tests"));
/// assert_eq!(Operation::from_operation_id("getQuotas"), Some(Operation::GetQuotas));
/// assert_eq!(op.to_string(), "getTestsUnitsUsage");
/// ```
pub use thousandeyes_usage_generated::apis::OperationId as Operation;

/// The data types the fake serves (`UsageDetails`, `UnitsByTests`, `Quota`, …): the models of
/// `thousandeyes-usage-generated`, re-exported so that you need not depend on it.
///
/// ```
/// use thousandeyes_usage_fake::models::UnitsByTests;
///
/// let test = UnitsByTests { test_name: Some("www.example.com - HTTP".into()), ..Default::default() };
/// assert!(test.cloud_units_used.is_none());
/// ```
pub use thousandeyes_usage_generated::models;

/// The `http` crate, whose types [`RecordedRequest`] uses (`Method`, `HeaderMap`, `StatusCode`).
///
/// ```
/// use thousandeyes_usage_fake::http::StatusCode;
///
/// assert_eq!(StatusCode::TOO_MANY_REQUESTS, 429);
/// ```
pub use http;

/// The bearer token a fake accepts unless [`FakeUsageApiBuilder::token`] sets another.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let fake = thousandeyes_usage_fake::FakeUsageApi::start().await;
/// assert_eq!(fake.token(), thousandeyes_usage_fake::DEFAULT_TOKEN);
/// # }
/// ```
pub const DEFAULT_TOKEN: &str = "fake-token-not-a-secret";

/// Calls the organization may make in a window, unless [`FakeUsageApiBuilder::rate_limit`] says
/// otherwise: 240, the API's default.
///
/// ```
/// assert_eq!(thousandeyes_usage_fake::DEFAULT_RATE_LIMIT, 240);
/// ```
pub const DEFAULT_RATE_LIMIT: u64 = 240;

/// The length of a rate-limit window unless [`FakeUsageApiBuilder::rate_limit`] says otherwise:
/// one minute.
///
/// ```
/// use std::time::Duration;
///
/// assert_eq!(thousandeyes_usage_fake::DEFAULT_RATE_LIMIT_WINDOW, Duration::from_secs(60));
/// ```
pub const DEFAULT_RATE_LIMIT_WINDOW: Duration = Duration::from_secs(60);

/// The most requests the fake's record keeps unless [`FakeUsageApiBuilder::record_limit`] says
/// otherwise: 1,000, the most recent.
///
/// A test's whole traffic fits: listing the seeded data takes 9 pages, and the project's largest
/// test against the fake (a hundred tasks each walking the test units listing through rate-limit
/// windows and 503s) makes 550 requests. Yet a full record is small, about a megabyte (a
/// request of a client takes about a kilobyte of it, its slot included), so a fake that runs for
/// days, such as a demo, levels off within its first thousand requests. The counters
/// ([`FakeUsageApi::request_count`], [`FakeUsageApi::status_counts`], ...) count every request
/// whatever the bound.
///
/// ```
/// assert_eq!(thousandeyes_usage_fake::DEFAULT_RECORD_LIMIT, 1_000);
/// ```
pub const DEFAULT_RECORD_LIMIT: usize = 1_000;

/// Entries on a page of `GET /usage/units/tests` unless the builder says otherwise (the seeded 81
/// tests take 5 pages).
///
/// ```
/// assert_eq!(thousandeyes_usage_fake::DEFAULT_TEST_UNITS_PAGE_SIZE, 18);
/// ```
pub const DEFAULT_TEST_UNITS_PAGE_SIZE: usize = 18;

/// Entries on a page of `GET /usage/units/enterprise-agents` unless the builder says otherwise
/// (the seeded 33 entries take 4 pages).
///
/// ```
/// assert_eq!(thousandeyes_usage_fake::DEFAULT_AGENT_UNITS_PAGE_SIZE, 9);
/// ```
pub const DEFAULT_AGENT_UNITS_PAGE_SIZE: usize = 9;

/// A running fake Usage API. Dropping it stops the server (its task and open connections).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use thousandeyes_usage_fake::FakeUsageApi;
///
/// let fake = FakeUsageApi::start().await;
/// let usage: serde_json::Value = reqwest::Client::builder().no_proxy().build().unwrap()
///     .get(format!("{}/usage", fake.base_url()))
///     .bearer_auth(fake.token())
///     .send()
///     .await
///     .unwrap()
///     .json()
///     .await
///     .unwrap();
/// assert_eq!(usage["usage"]["cloudUnitsUsed"], fake.expected_totals().cloud_units_used);
/// # }
/// ```
pub struct FakeUsageApi {
    addr: SocketAddr,
    /// The token accepted, as [`FakeUsageApi::token`] lends it (the server holds its own copy).
    token: String,
    shared: Arc<server::Shared>,
    task: JoinHandle<()>,
}

impl fmt::Debug for FakeUsageApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeUsageApi").field("base_url", &self.base_url()).finish_non_exhaustive()
    }
}

impl Drop for FakeUsageApi {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeUsageApi {
    /// Starts a fake with the seeded data and the defaults: token [`DEFAULT_TOKEN`], 240 calls a
    /// minute, no latency, no failures.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime, or if no loopback port can be bound (see
    /// [`FakeUsageApiBuilder::try_start`]).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let fake = thousandeyes_usage_fake::FakeUsageApi::start().await;
    /// assert!(fake.base_url().starts_with("http://127.0.0.1:"));
    /// # }
    /// ```
    pub async fn start() -> FakeUsageApi {
        FakeUsageApi::builder().start().await
    }

    /// A builder, to set the data and behaviour before starting.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use std::time::Duration;
    /// use thousandeyes_usage_fake::{Failure, FakeUsageApi, Operation};
    ///
    /// let fake = FakeUsageApi::builder()
    ///     .token("my-test-token")
    ///     .page_size(5)
    ///     .rate_limit(10, Duration::from_secs(60))
    ///     .latency(Duration::from_millis(20))
    ///     .fail(Failure::new(Operation::GetQuotas, 503).retry_after(Duration::from_secs(1)))
    ///     .start()
    ///     .await;
    /// assert_eq!(fake.token(), "my-test-token");
    /// # }
    /// ```
    pub fn builder() -> FakeUsageApiBuilder {
        FakeUsageApiBuilder::new()
    }

    /// The base URL to give a client: `http://127.0.0.1:PORT/v7` (the path of the spec's server
    /// URL).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let fake = thousandeyes_usage_fake::FakeUsageApi::start().await;
    /// assert_eq!(fake.base_url(), format!("http://{}/v7", fake.addr()));
    /// # }
    /// ```
    pub fn base_url(&self) -> String {
        format!("http://{}{}", self.addr, thousandeyes_usage_generated::apis::BASE_PATH)
    }

    /// The URL of `path` below the base URL: `fake.url("/usage")` is
    /// `http://127.0.0.1:PORT/v7/usage`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let fake = thousandeyes_usage_fake::FakeUsageApi::start().await;
    /// assert_eq!(fake.url("/quotas"), format!("{}/quotas", fake.base_url()));
    /// # }
    /// ```
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url(), path)
    }

    /// The address the fake listens on (loopback).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let fake = thousandeyes_usage_fake::FakeUsageApi::start().await;
    /// assert!(fake.addr().ip().is_loopback());
    /// # }
    /// ```
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The bearer token the fake accepts: the builder's [`token`](FakeUsageApiBuilder::token), or
    /// the last one [`rotate_token`](Self::rotate_token) set.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let fake = thousandeyes_usage_fake::FakeUsageApi::builder().token("t0k3n").start().await;
    /// assert_eq!(fake.token(), "t0k3n");
    /// # }
    /// ```
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Rotates the fake's token, as regenerating a token does in ThousandEyes: `new` becomes the
    /// fake's token (what [`token`](Self::token) returns), and the token it replaces stays
    /// accepted for [`PREVIOUS_TOKEN_GRACE`] (14 days) of the fake's clock, each request
    /// carrying it recorded as [`TokenCheck::Previous`]. A token replaced earlier is no longer
    /// accepted. For a test of code that picks up a rotated token: the record shows which token
    /// each request carried.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// use std::time::Duration;
    /// use thousandeyes_usage_fake::{FakeUsageApi, TokenCheck};
    ///
    /// let mut fake = FakeUsageApi::builder().token("old-token").start().await;
    /// fake.rotate_token("new-token");
    /// assert_eq!(fake.token(), "new-token");
    /// let http = reqwest::Client::builder().no_proxy().build().unwrap();
    /// let quotas = |token: &'static str| http.get(fake.url("/quotas")).bearer_auth(token).send();
    /// assert_eq!(quotas("new-token").await.unwrap().status(), 200);
    /// assert_eq!(quotas("old-token").await.unwrap().status(), 200); // for 14 days
    /// tokio::time::sleep(Duration::from_secs(14 * 24 * 3600)).await; // virtual time
    /// assert_eq!(quotas("old-token").await.unwrap().status(), 401);
    /// let checks: Vec<TokenCheck> = fake.requests().iter().map(|r| r.token).collect();
    /// assert_eq!(checks, [TokenCheck::Matched, TokenCheck::Previous, TokenCheck::Wrong]);
    /// # }
    /// ```
    pub fn rotate_token(&mut self, new: impl Into<String>) {
        let new = new.into();
        self.shared.tokens().rotate(new.clone(), self.shared.clock.now());
        self.token = new;
    }

    /// The fake's time now: the wall-clock time at start, plus tokio's elapsed time (virtual
    /// when paused), plus the [clock skew](FakeUsageApiBuilder::clock_ahead). Its `Date` headers
    /// and rate-limit resets are on this clock.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use std::time::{Duration, SystemTime};
    ///
    /// let fake = thousandeyes_usage_fake::FakeUsageApi::builder()
    ///     .clock_ahead(Duration::from_secs(3600))
    ///     .start()
    ///     .await;
    /// assert!(fake.now() > SystemTime::now() + Duration::from_secs(3500));
    /// # }
    /// ```
    pub fn now(&self) -> SystemTime {
        self.shared.clock.now()
    }

    /// The fake's clock, skew included: for a test that reckons in the fake's time, such as
    /// the instant a rate-limit reset falls on.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// use std::time::Duration;
    /// use thousandeyes_usage_fake::{FakeClock, FakeUsageApi};
    ///
    /// let fake = FakeUsageApi::builder().clock_behind(Duration::from_secs(30)).start().await;
    /// let clock = fake.clock();
    /// assert_eq!(FakeClock::epoch_secs(clock.now()), FakeClock::epoch_secs(fake.now()));
    /// # }
    /// ```
    pub fn clock(&self) -> FakeClock {
        self.shared.clock
    }

    /// The requests in the record, in arrival order: every request answered so far, or, once
    /// more than [`record_limit`](FakeUsageApiBuilder::record_limit) (default
    /// [`DEFAULT_RECORD_LIMIT`]) were answered, the most recent of them.
    /// [`requests_dropped`](Self::requests_dropped) counts the others; the counters
    /// ([`request_count`](Self::request_count), [`status_counts`](Self::status_counts),
    /// [`pages_served`](Self::pages_served), ...) count every request.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let fake = thousandeyes_usage_fake::FakeUsageApi::start().await;
    /// let http = reqwest::Client::builder().no_proxy().build().unwrap();
    /// http.get(fake.url("/quotas")).send().await.unwrap(); // no token
    /// let requests = fake.requests();
    /// assert_eq!(requests.len(), 1);
    /// assert_eq!(requests[0].status, 401);
    /// # }
    /// ```
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.with_record(|record| record.requests())
    }

    /// The requests of one operation in the record (see [`requests`](Self::requests)), in
    /// arrival order.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use thousandeyes_usage_fake::{FakeUsageApi, Operation};
    ///
    /// let fake = FakeUsageApi::start().await;
    /// let http = reqwest::Client::builder().no_proxy().build().unwrap();
    /// http.get(fake.url("/usage")).bearer_auth(fake.token()).send().await.unwrap();
    /// http.get(fake.url("/quotas")).bearer_auth(fake.token()).send().await.unwrap();
    /// assert_eq!(fake.requests_for(Operation::GetQuotas).len(), 1);
    /// # }
    /// ```
    pub fn requests_for(&self, operation: Operation) -> Vec<RecordedRequest> {
        self.shared.with_record(|record| record.requests_where(|r| r.operation == Some(operation)))
    }

    /// How many requests answered are no longer in the record: the oldest, pushed out once it
    /// held [`record_limit`](FakeUsageApiBuilder::record_limit) requests, and those
    /// [`clear_requests`](Self::clear_requests) removed. Always
    /// `request_count() == requests().len() + requests_dropped()`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use thousandeyes_usage_fake::FakeUsageApi;
    ///
    /// let fake = FakeUsageApi::builder().record_limit(2).start().await;
    /// let http = reqwest::Client::builder().no_proxy().build().unwrap();
    /// for _ in 0..5 {
    ///     http.get(fake.url("/quotas")).bearer_auth(fake.token()).send().await.unwrap();
    /// }
    /// assert_eq!(fake.requests().len(), 2); // the last two
    /// assert_eq!(fake.requests()[0].sequence, 3);
    /// assert_eq!(fake.requests_dropped(), 3);
    /// assert_eq!(fake.request_count(), 5); // counters count every request
    /// # }
    /// ```
    pub fn requests_dropped(&self) -> usize {
        self.shared.with_record(Record::dropped)
    }

    /// Empties the record of requests (they count as [dropped](Self::requests_dropped)). The
    /// counters, the rate-limit windows, the quotas and the failure rules are not touched: the fake
    /// serves on as before. For a long-running fake whose record a caller reads in batches, or a
    /// test that checks only what one step sent.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use thousandeyes_usage_fake::FakeUsageApi;
    ///
    /// let fake = FakeUsageApi::start().await;
    /// let http = reqwest::Client::builder().no_proxy().build().unwrap();
    /// http.get(fake.url("/usage")).bearer_auth(fake.token()).send().await.unwrap();
    /// fake.clear_requests();
    /// http.get(fake.url("/quotas")).bearer_auth(fake.token()).send().await.unwrap();
    /// assert_eq!(fake.requests().len(), 1);
    /// assert_eq!(fake.requests()[0].path, "/v7/quotas");
    /// assert_eq!((fake.request_count(), fake.requests_dropped()), (2, 1));
    /// # }
    /// ```
    pub fn clear_requests(&self) {
        self.shared.clear_record();
    }

    /// How many requests were answered so far (every path, every status), whether or not the
    /// record still holds them.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let fake = thousandeyes_usage_fake::FakeUsageApi::start().await;
    /// assert_eq!(fake.request_count(), 0);
    /// # }
    /// ```
    pub fn request_count(&self) -> usize {
        self.shared.with_record(Record::answered)
    }

    /// How many requests were answered with `status` so far (counted as they are answered: exact
    /// past the record's bound).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let fake = thousandeyes_usage_fake::FakeUsageApi::start().await;
    /// let http = reqwest::Client::builder().no_proxy().build().unwrap();
    /// http.get(fake.url("/usage")).send().await.unwrap();
    /// assert_eq!(fake.responses_with_status(401), 1);
    /// # }
    /// ```
    pub fn responses_with_status(&self, status: u16) -> usize {
        self.shared.with_record(|record| record.with_status(status))
    }

    /// Requests answered so far, by status (counted as they are answered: exact past the
    /// record's bound).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let fake = thousandeyes_usage_fake::FakeUsageApi::start().await;
    /// let http = reqwest::Client::builder().no_proxy().build().unwrap();
    /// http.get(fake.url("/usage")).bearer_auth(fake.token()).send().await.unwrap();
    /// http.get(fake.url("/nowhere")).bearer_auth(fake.token()).send().await.unwrap();
    /// let counts = fake.status_counts();
    /// assert_eq!((counts[&200], counts[&404]), (1, 1));
    /// # }
    /// ```
    pub fn status_counts(&self) -> BTreeMap<u16, usize> {
        self.shared.with_record(Record::by_status)
    }

    /// Listing pages answered 2xx so far (test units and enterprise agent units; counted as they
    /// are answered: exact past the record's bound).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let fake = thousandeyes_usage_fake::FakeUsageApi::start().await;
    /// reqwest::Client::builder().no_proxy().build().unwrap()
    ///     .get(fake.url("/usage/units/enterprise-agents"))
    ///     .bearer_auth(fake.token())
    ///     .send()
    ///     .await
    ///     .unwrap();
    /// assert_eq!(fake.pages_served(), 1);
    /// # }
    /// ```
    pub fn pages_served(&self) -> usize {
        self.shared.with_record(Record::pages_served)
    }

    /// Requests answered 429 so far (by the rate limit or by a [`Failure`]; counted as they are
    /// answered: exact past the record's bound).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use thousandeyes_usage_fake::{Failure, FakeUsageApi, Operation};
    ///
    /// let fake = FakeUsageApi::builder().fail(Failure::rate_limited(Operation::GetUsage)).start().await;
    /// reqwest::Client::builder().no_proxy().build().unwrap().get(fake.url("/usage")).bearer_auth(fake.token()).send().await.unwrap();
    /// assert_eq!(fake.rate_limited_responses(), 1);
    /// # }
    /// ```
    pub fn rate_limited_responses(&self) -> usize {
        self.responses_with_status(429)
    }

    /// The rate-limit windows that saw requests, oldest first, with what each answered: every
    /// one so far, or the most recent [`record_limit`](FakeUsageApiBuilder::record_limit) of them
    /// (at least the current one). A window is opened by a request, so those kept cover every
    /// request in the record.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// use std::time::Duration;
    /// use thousandeyes_usage_fake::FakeUsageApi;
    ///
    /// let fake = FakeUsageApi::builder().rate_limit(5, Duration::from_secs(10)).start().await;
    /// let http = reqwest::Client::builder().no_proxy().build().unwrap();
    /// for _ in 0..3 {
    ///     http.get(fake.url("/quotas")).bearer_auth(fake.token()).send().await.unwrap();
    ///     tokio::time::sleep(Duration::from_secs(10)).await;
    /// }
    /// let windows = fake.rate_limit_windows();
    /// assert_eq!(windows.len(), 3);
    /// assert!(windows.iter().all(|w| w.succeeded == 1 && w.reset % 10 == 0));
    /// # }
    /// ```
    pub fn rate_limit_windows(&self) -> Vec<RateLimitWindow> {
        self.shared.windows()
    }

    /// What the served data adds up to, computed from that same data (and the current quotas),
    /// with the fake's page sizes.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let fake = thousandeyes_usage_fake::FakeUsageApi::builder().page_size(100).start().await;
    /// let totals = fake.expected_totals();
    /// assert_eq!((totals.test_pages, totals.agent_pages), (1, 1));
    /// assert_eq!(totals.organization_quota, Some(25_000_000));
    /// # }
    /// ```
    pub fn expected_totals(&self) -> ExpectedTotals {
        self.shared.expected_totals()
    }

    /// The quotas now, as `GET /quotas` answers them (the quota operations change them).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let fake = thousandeyes_usage_fake::FakeUsageApi::start().await;
    /// let org = fake.quotas()[0].organization_quota.clone().unwrap();
    /// assert_eq!((org.org_id.as_deref(), org.value), (Some("1001"), 25_000_000));
    /// # }
    /// ```
    pub fn quotas(&self) -> Vec<Quota> {
        self.shared.quotas()
    }

    /// The data served, with the quotas as they are now.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let fake = thousandeyes_usage_fake::FakeUsageApi::start().await;
    /// assert_eq!(fake.dataset().test_units.len(), 81);
    /// # }
    /// ```
    pub fn dataset(&self) -> Dataset {
        self.shared.dataset()
    }
}

/// Sets up a [`FakeUsageApi`]: its data, token, page sizes, rate limit, latency, failures and
/// clock skew. From [`FakeUsageApi::builder()`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use thousandeyes_usage_fake::{Dataset, FakeUsageApi};
///
/// let fake = FakeUsageApi::builder().dataset(Dataset::empty()).start().await;
/// assert_eq!(fake.expected_totals().tests, 0);
/// # }
/// ```
#[derive(Clone)]
#[must_use = "a builder does nothing until .start().await"]
pub struct FakeUsageApiBuilder {
    token: String,
    previous_token: Option<String>,
    dataset: Option<Dataset>,
    usage: Option<UsageDetails>,
    test_units: Option<Vec<UnitsByTests>>,
    agent_units: Option<Vec<EnterpriseAgentUnitsByTestOwnerAccountGroup>>,
    quotas: Option<Vec<Quota>>,
    account_groups: Vec<AccountGroup>,
    test_page_size: usize,
    agent_page_size: usize,
    limit: u64,
    window: Duration,
    latency: Duration,
    failures: Vec<Failure>,
    skew_ms: i64,
    record_limit: usize,
}

impl fmt::Debug for FakeUsageApiBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The token is left out, like everywhere else in the fake.
        f.debug_struct("FakeUsageApiBuilder")
            .field("dataset", &self.dataset.as_ref().map(|_| "custom"))
            .field("test_page_size", &self.test_page_size)
            .field("agent_page_size", &self.agent_page_size)
            .field("limit", &self.limit)
            .field("window", &self.window)
            .field("latency", &self.latency)
            .field("failures", &self.failures.len())
            .field("skew_ms", &self.skew_ms)
            .field("record_limit", &self.record_limit)
            .finish_non_exhaustive()
    }
}

impl Default for FakeUsageApiBuilder {
    fn default() -> FakeUsageApiBuilder {
        FakeUsageApiBuilder::new()
    }
}

impl FakeUsageApiBuilder {
    /// The defaults: seeded data, token [`DEFAULT_TOKEN`], 240 calls a minute, no latency, no
    /// failures, no skew. Same as [`FakeUsageApi::builder()`].
    ///
    /// ```
    /// let builder = thousandeyes_usage_fake::FakeUsageApiBuilder::new();
    /// # let _ = builder;
    /// ```
    pub fn new() -> FakeUsageApiBuilder {
        FakeUsageApiBuilder {
            token: DEFAULT_TOKEN.to_string(),
            previous_token: None,
            dataset: None,
            usage: None,
            test_units: None,
            agent_units: None,
            quotas: None,
            account_groups: Vec::new(),
            test_page_size: DEFAULT_TEST_UNITS_PAGE_SIZE,
            agent_page_size: DEFAULT_AGENT_UNITS_PAGE_SIZE,
            limit: DEFAULT_RATE_LIMIT,
            window: DEFAULT_RATE_LIMIT_WINDOW,
            latency: Duration::ZERO,
            failures: Vec::new(),
            skew_ms: 0,
            record_limit: DEFAULT_RECORD_LIMIT,
        }
    }

    /// The bearer token to accept (default [`DEFAULT_TOKEN`]); any other token, or none, is
    /// answered 401, but for a [previous token](Self::previous_token) within its grace.
    ///
    /// ```
    /// let builder = thousandeyes_usage_fake::FakeUsageApi::builder().token("my-test-token");
    /// # let _ = builder;
    /// ```
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = token.into();
        self
    }

    /// Also accept `token` as the fake's previous token, as if its token had been regenerated
    /// just before start: for [`PREVIOUS_TOKEN_GRACE`] (14 days) of the fake's clock, requests
    /// carrying it are answered and recorded as [`TokenCheck::Previous`]. To rotate a running
    /// fake's token, see [`FakeUsageApi::rotate_token`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use thousandeyes_usage_fake::{FakeUsageApi, TokenCheck};
    ///
    /// let fake = FakeUsageApi::builder().token("new-token").previous_token("old-token").start().await;
    /// reqwest::Client::builder().no_proxy().build().unwrap()
    ///     .get(fake.url("/quotas")).bearer_auth("old-token").send().await.unwrap();
    /// let request = &fake.requests()[0];
    /// assert_eq!((request.status.as_u16(), request.token), (200, TokenCheck::Previous));
    /// # }
    /// ```
    pub fn previous_token(mut self, token: impl Into<String>) -> Self {
        self.previous_token = Some(token.into());
        self
    }

    /// Serve this data instead of the seeded data (parts set with [`usage`](Self::usage),
    /// [`test_units`](Self::test_units), [`agent_units`](Self::agent_units) or
    /// [`quotas`](Self::quotas) still replace its parts).
    ///
    /// ```
    /// use thousandeyes_usage_fake::{Dataset, FakeUsageApi};
    ///
    /// let mut data = Dataset::acme();
    /// data.agent_units.clear();
    /// let builder = FakeUsageApi::builder().dataset(data);
    /// # let _ = builder;
    /// ```
    pub fn dataset(mut self, dataset: Dataset) -> Self {
        self.dataset = Some(dataset);
        self
    }

    /// What `GET /usage` answers, with every breakdown the fake may be asked to expand (it drops
    /// those not asked for).
    ///
    /// ```
    /// use thousandeyes_usage_fake::models::UsageDetails;
    ///
    /// let usage = UsageDetails { cloud_units_used: Some(1_234), ..Default::default() };
    /// let builder = thousandeyes_usage_fake::FakeUsageApi::builder().usage(usage);
    /// # let _ = builder;
    /// ```
    pub fn usage(mut self, usage: UsageDetails) -> Self {
        self.usage = Some(usage);
        self
    }

    /// Every entry of `GET /usage/units/tests`, in order.
    ///
    /// ```
    /// use thousandeyes_usage_fake::models::UnitsByTests;
    ///
    /// let test = UnitsByTests { test_id: Some("1".into()), cloud_units_used: Some(10), ..Default::default() };
    /// let builder = thousandeyes_usage_fake::FakeUsageApi::builder().test_units(vec![test]);
    /// # let _ = builder;
    /// ```
    pub fn test_units(mut self, test_units: Vec<UnitsByTests>) -> Self {
        self.test_units = Some(test_units);
        self
    }

    /// Every entry of `GET /usage/units/enterprise-agents`, in order.
    ///
    /// ```
    /// use thousandeyes_usage_fake::models::EnterpriseAgentUnitsByTestOwnerAccountGroup as AgentUnits;
    ///
    /// let entry = AgentUnits { agent_id: Some("7".into()), enterprise_units_used: Some(5), ..Default::default() };
    /// let builder = thousandeyes_usage_fake::FakeUsageApi::builder().agent_units(vec![entry]);
    /// # let _ = builder;
    /// ```
    pub fn agent_units(mut self, agent_units: Vec<EnterpriseAgentUnitsByTestOwnerAccountGroup>) -> Self {
        self.agent_units = Some(agent_units);
        self
    }

    /// The quotas at start (`GET /quotas`).
    ///
    /// ```
    /// use thousandeyes_usage_fake::models::{OrganizationQuota, Quota};
    ///
    /// let quota = Quota {
    ///     organization_quota: Some(OrganizationQuota { value: 1_000, org_id: Some("1001".into()), ..Default::default() }),
    ///     account_group_quotas: Some(vec![]),
    ///     ..Default::default()
    /// };
    /// let builder = thousandeyes_usage_fake::FakeUsageApi::builder().quotas(vec![quota]);
    /// # let _ = builder;
    /// ```
    pub fn quotas(mut self, quotas: Vec<Quota>) -> Self {
        self.quotas = Some(quotas);
        self
    }

    /// Also know this account group (for `aid` checks and account group quotas), besides those
    /// appearing in the data.
    ///
    /// ```
    /// use thousandeyes_usage_fake::AccountGroup;
    ///
    /// let builder = thousandeyes_usage_fake::FakeUsageApi::builder().account_group(AccountGroup::new("99", "Lab"));
    /// # let _ = builder;
    /// ```
    pub fn account_group(mut self, group: AccountGroup) -> Self {
        self.account_groups.push(group);
        self
    }

    /// Entries on a page of both listings.
    ///
    /// # Panics
    ///
    /// If `entries` is 0.
    ///
    /// ```
    /// let builder = thousandeyes_usage_fake::FakeUsageApi::builder().page_size(10);
    /// # let _ = builder;
    /// ```
    pub fn page_size(self, entries: usize) -> Self {
        self.test_units_page_size(entries).agent_units_page_size(entries)
    }

    /// Entries on a page of `GET /usage/units/tests` (default
    /// [`DEFAULT_TEST_UNITS_PAGE_SIZE`]).
    ///
    /// # Panics
    ///
    /// If `entries` is 0.
    ///
    /// ```
    /// let builder = thousandeyes_usage_fake::FakeUsageApi::builder().test_units_page_size(1);
    /// # let _ = builder;
    /// ```
    pub fn test_units_page_size(mut self, entries: usize) -> Self {
        assert!(entries > 0, "thousandeyes-usage-fake: a page holds at least one entry");
        self.test_page_size = entries;
        self
    }

    /// Entries on a page of `GET /usage/units/enterprise-agents` (default
    /// [`DEFAULT_AGENT_UNITS_PAGE_SIZE`]).
    ///
    /// # Panics
    ///
    /// If `entries` is 0.
    ///
    /// ```
    /// let builder = thousandeyes_usage_fake::FakeUsageApi::builder().agent_units_page_size(3);
    /// # let _ = builder;
    /// ```
    pub fn agent_units_page_size(mut self, entries: usize) -> Self {
        assert!(entries > 0, "thousandeyes-usage-fake: a page holds at least one entry");
        self.agent_page_size = entries;
        self
    }

    /// The organization may make `limit` calls in each window of `window` (whole seconds,
    /// rounded up; at least one). Windows are consecutive and end on whole multiples of their
    /// length in epoch seconds of the fake's clock (a one-minute window ends on the minute).
    ///
    /// Every answer carries `x-organization-rate-limit-limit`, `-remaining` (after counting this
    /// request) and `-reset` (the window's end, UTC epoch seconds). Every answer but a 401 or a
    /// 429 counts; beyond the limit the answer is a 429 `application/problem+json` with
    /// `remaining` 0 until the window ends.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let builder = thousandeyes_usage_fake::FakeUsageApi::builder().rate_limit(3, Duration::from_secs(10));
    /// # let _ = builder;
    /// ```
    pub fn rate_limit(mut self, limit: u64, window: Duration) -> Self {
        self.limit = limit;
        self.window = window;
        self
    }

    /// Wait this long (`tokio::time::sleep`) before answering each request.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let builder = thousandeyes_usage_fake::FakeUsageApi::builder().latency(Duration::from_millis(250));
    /// # let _ = builder;
    /// ```
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// Add a [`Failure`] rule; rules are tried in the order added.
    ///
    /// ```
    /// use std::time::Duration;
    /// use thousandeyes_usage_fake::{Failure, Operation};
    ///
    /// let builder = thousandeyes_usage_fake::FakeUsageApi::builder()
    ///     .fail(Failure::rate_limited(Operation::GetTestsUnitsUsage).on_page(2).reset_after(Duration::from_secs(1)))
    ///     .fail(Failure::new(Operation::GetQuotas, 500).times(2));
    /// # let _ = builder;
    /// ```
    pub fn fail(mut self, failure: Failure) -> Self {
        self.failures.push(failure);
        self
    }

    /// The fake's clock runs this far ahead of the local clock (its `Date` headers, rate-limit
    /// resets and the check that `startDate` is not in the future).
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let builder = thousandeyes_usage_fake::FakeUsageApi::builder().clock_ahead(Duration::from_secs(90));
    /// # let _ = builder;
    /// ```
    pub fn clock_ahead(mut self, skew: Duration) -> Self {
        self.skew_ms = clock::duration_ms(skew);
        self
    }

    /// The fake's clock runs this far behind the local clock.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let builder = thousandeyes_usage_fake::FakeUsageApi::builder().clock_behind(Duration::from_secs(90));
    /// # let _ = builder;
    /// ```
    pub fn clock_behind(mut self, skew: Duration) -> Self {
        self.skew_ms = -clock::duration_ms(skew);
        self
    }

    /// The fake's clock runs `seconds` ahead of the local clock (behind when negative).
    ///
    /// ```
    /// let builder = thousandeyes_usage_fake::FakeUsageApi::builder().clock_skew_secs(-300);
    /// # let _ = builder;
    /// ```
    pub fn clock_skew_secs(mut self, seconds: i64) -> Self {
        self.skew_ms = seconds.saturating_mul(1000);
        self
    }

    /// Keep the most recent `requests` requests in the record (default [`DEFAULT_RECORD_LIMIT`],
    /// 1,000), and as many rate-limit windows (at least the current one). Older requests leave
    /// the record as new ones come and are counted by [`FakeUsageApi::requests_dropped`]; the
    /// counters count every request whatever the bound. 0 keeps no request; `usize::MAX` keeps
    /// every one (memory then grows with each request, by about a kilobyte).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use thousandeyes_usage_fake::FakeUsageApi;
    ///
    /// let fake = FakeUsageApi::builder().record_limit(10_000).start().await;
    /// # let _ = fake;
    /// # }
    /// ```
    pub fn record_limit(mut self, requests: usize) -> Self {
        self.record_limit = requests;
        self
    }

    /// Binds `127.0.0.1:0` and starts serving on the current tokio runtime.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime, or if no loopback port can be bound.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let fake = thousandeyes_usage_fake::FakeUsageApi::builder().start().await;
    /// # let _ = fake;
    /// # }
    /// ```
    pub async fn start(self) -> FakeUsageApi {
        match self.try_start().await {
            Ok(fake) => fake,
            Err(e) => panic!("thousandeyes-usage-fake: cannot listen on 127.0.0.1: {e}"),
        }
    }

    /// Like [`start`](Self::start), but returns the error if no loopback port can be bound.
    ///
    /// # Errors
    ///
    /// The error of binding `127.0.0.1:0`.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let fake = thousandeyes_usage_fake::FakeUsageApi::builder().try_start().await?;
    /// # let _ = fake;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn try_start(self) -> io::Result<FakeUsageApi> {
        let listener = TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let clock = FakeClock::start_skewed(self.skew_ms);
        let mut data = match self.dataset {
            Some(d) => d,
            None => Dataset::acme_at(clock.now()),
        };
        if let Some(usage) = self.usage {
            data.usage = usage;
        }
        if let Some(test_units) = self.test_units {
            data.test_units = test_units;
        }
        if let Some(agent_units) = self.agent_units {
            data.agent_units = agent_units;
        }
        if let Some(quotas) = self.quotas {
            data.quotas = quotas;
        }
        data.account_groups.extend(self.account_groups);
        let window_secs = i64::try_from(self.window.as_secs() + u64::from(self.window.subsec_nanos() > 0))
            .unwrap_or(i64::MAX / 2)
            .max(1);
        let tokens = server::Tokens::new(self.token.clone(), self.previous_token, clock.now());
        let config = server::Config {
            root: format!("http://{addr}"),
            test_page_size: self.test_page_size,
            agent_page_size: self.agent_page_size,
            limit: self.limit,
            window_secs,
            latency: self.latency,
            record_limit: self.record_limit,
        };
        let shared = Arc::new(server::Shared::new(config, clock, tokens, data, self.failures));
        let task = tokio::spawn(server::serve(listener, Arc::clone(&shared)));
        Ok(FakeUsageApi { addr, token: self.token, shared, task })
    }
}
