//! Setting up a fake: the builder, its defaults, the data it is given (a whole dataset, or parts
//! that replace the seeded data's), and the start, which binds a loopback port and hands the
//! server's state to the running fake (`handle.rs`).

use std::fmt;
use std::io;
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Duration;

use thousandeyes_usage_generated::models::{
    EnterpriseAgentUnitsByTestOwnerAccountGroup, Quota, UnitsByTests, UsageDetails,
};
use tokio::net::TcpListener;

use crate::clock::{duration_ms, FakeClock};
use crate::dataset::{AccountGroup, Dataset};
use crate::failure::Failure;
use crate::handle::FakeUsageApi;
use crate::server::{Config, Shared, Tokens};

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
    data: Data,
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
            .field("dataset", &self.data.dataset.as_ref().map(|_| "custom"))
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
            data: Data::default(),
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
    /// just before start: for [`PREVIOUS_TOKEN_GRACE`](crate::record::PREVIOUS_TOKEN_GRACE) (14 days) of the fake's clock, requests
    /// carrying it are answered and recorded as [`TokenCheck::Previous`](crate::record::TokenCheck::Previous). To rotate a running
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
        self.data.dataset = Some(dataset);
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
        self.data.usage = Some(usage);
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
        self.data.test_units = Some(test_units);
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
        self.data.agent_units = Some(agent_units);
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
        self.data.quotas = Some(quotas);
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
        self.data.account_groups.push(group);
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
        self.skew_ms = duration_ms(skew);
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
        self.skew_ms = -duration_ms(skew);
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
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let clock = FakeClock::start_skewed(self.skew_ms);
        let data = self.data.merge(|| Dataset::acme_at(clock.now()));
        let window_secs = i64::try_from(self.window.as_secs() + u64::from(self.window.subsec_nanos() > 0))
            .unwrap_or(i64::MAX / 2)
            .max(1);
        let tokens = Tokens::new(self.token.clone(), self.previous_token, clock.now());
        let config = Config {
            root: format!("http://{addr}"),
            test_page_size: self.test_page_size,
            agent_page_size: self.agent_page_size,
            limit: self.limit,
            window_secs,
            latency: self.latency,
            record_limit: self.record_limit,
        };
        let shared = Arc::new(Shared::new(config, clock, tokens, data, self.failures));
        Ok(FakeUsageApi::serve(listener, addr, self.token, shared))
    }
}

/// The data a builder was given: a whole dataset, parts that replace the dataset's, and account
/// groups known besides.
#[derive(Clone, Default)]
struct Data {
    dataset: Option<Dataset>,
    usage: Option<UsageDetails>,
    test_units: Option<Vec<UnitsByTests>>,
    agent_units: Option<Vec<EnterpriseAgentUnitsByTestOwnerAccountGroup>>,
    quotas: Option<Vec<Quota>>,
    account_groups: Vec<AccountGroup>,
}

impl Data {
    /// The data to serve: the dataset given, else `seeded`'s, each part given replacing its own,
    /// with the account groups given added.
    fn merge(self, seeded: impl FnOnce() -> Dataset) -> Dataset {
        let mut data = self.dataset.unwrap_or_else(seeded);
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
        data
    }
}
