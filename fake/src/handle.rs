//! A running fake: where it listens, its token, and what it tells a test about the requests it
//! answered, its clock, its quotas and its data. Started by the builder (`builder.rs`), which
//! hands it the server's state; dropping it stops the server.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::SystemTime;

use thousandeyes_usage_generated::apis::OperationId as Operation;
use thousandeyes_usage_generated::models::Quota;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::clock::FakeClock;
use crate::dataset::{Dataset, ExpectedTotals};
use crate::record::{RateLimitWindow, Record, RecordedRequest};
use crate::server::{self, Shared};

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
    shared: Arc<Shared>,
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
    /// Serves on `listener`, bound at `addr`, as a task of the current tokio runtime, from the
    /// server's `shared` state; `token` is the token that state accepts, lent by
    /// [`token`](Self::token).
    pub(crate) fn serve(
        listener: TcpListener,
        addr: SocketAddr,
        token: String,
        shared: Arc<Shared>,
    ) -> FakeUsageApi {
        let task = tokio::spawn(server::serve(listener, Arc::clone(&shared)));
        FakeUsageApi { addr, token, shared, task }
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

    /// The bearer token the fake accepts: the one it was built with (the builder's `token`), or
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
    /// accepted for [`PREVIOUS_TOKEN_GRACE`](crate::record::PREVIOUS_TOKEN_GRACE) (14 days) of
    /// the fake's clock, each request carrying it recorded as
    /// [`TokenCheck::Previous`](crate::record::TokenCheck::Previous). A token replaced earlier is
    /// no longer accepted. For a test of code that picks up a rotated token: the record shows
    /// which token each request carried.
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
    /// when paused), plus the clock skew (the builder's `clock_ahead`). Its `Date` headers
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
    /// more than the builder's `record_limit` (default `DEFAULT_RECORD_LIMIT`, 1,000) were
    /// answered, the most recent of them.
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
    /// held the builder's `record_limit` of requests, and those
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

    /// Requests answered 429 so far (by the rate limit or by a [`Failure`](crate::failure::Failure); counted as they are
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
    /// one so far, or the most recent of them, as many as the builder's `record_limit`
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
