//! The two paginated listings: `GET /usage/units/tests` and `GET /usage/units/enterprise-agents`.

use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::Stream;
use thousandeyes_usage_generated::apis::configuration::Configuration;
use thousandeyes_usage_generated::apis::usage_api;
use thousandeyes_usage_generated::apis::Error as GeneratedError;
use thousandeyes_usage_generated::models::{EnterpriseAgentsUsage, Link, PaginationLinks, TestsUsage};

use super::{resolve_aid, CheckedPeriod, Period};
use crate::error::Error;
use crate::models::{AgentUnits, TestUnits};
use crate::pagination::{self, Page, PageFuture, PageSource};
use crate::retry::RetryPolicy;
use crate::Client;

/// What tells the two listings apart: the item type, the operation, and the generated call.
/// Implemented by [`Tests`] and [`EnterpriseAgents`] only.
///
/// ```
/// use thousandeyes_usage::operations::{UnitsKind, UnitsRequest};
///
/// // Works for either listing.
/// fn first_ten<K: UnitsKind>(request: UnitsRequest<K>) -> UnitsRequest<K> {
///     request.max_pages(10)
/// }
/// # let _ = first_ten::<thousandeyes_usage::operations::Tests>;
/// ```
pub trait UnitsKind: sealed::Sealed {}

mod sealed {
    use std::future::Future;
    use std::sync::Arc;

    use thousandeyes_usage_generated::apis::configuration::Configuration;
    use thousandeyes_usage_generated::apis::Error as GeneratedError;

    use super::{Envelope, Filters};

    /// How a kind calls its generated operation.
    pub trait Sealed: Sized + Clone + Send + Sync + 'static {
        /// One entry of a page (`breakdowns[]`).
        type Item: Send + 'static;
        /// The OpenAPI operationId.
        const OPERATION: &'static str;
        type Envelope: Envelope<Item = Self::Item> + serde::de::DeserializeOwned + Send + 'static;
        type Error: Send + 'static;
        fn call(
            cfg: Configuration,
            filters: Arc<Filters>,
            cursor: Option<String>,
        ) -> impl Future<Output = Result<Self::Envelope, GeneratedError<Self::Error>>> + Send + 'static;
    }
}

/// The kind of [`TestUnitsRequest`]: units by test.
///
/// ```
/// use thousandeyes_usage::operations::{Tests, UnitsRequest};
/// # fn f(client: thousandeyes_usage::Client) {
/// let request: UnitsRequest<Tests> = client.test_units();
/// # let _ = request; }
/// ```
#[derive(Debug, Clone, Copy)]
pub enum Tests {}
/// The kind of [`AgentUnitsRequest`]: enterprise agent units by agent and account group.
///
/// ```
/// use thousandeyes_usage::operations::{EnterpriseAgents, UnitsRequest};
/// # fn f(client: thousandeyes_usage::Client) {
/// let request: UnitsRequest<EnterpriseAgents> = client.agent_units();
/// # let _ = request; }
/// ```
#[derive(Debug, Clone, Copy)]
pub enum EnterpriseAgents {}

impl UnitsKind for Tests {}
impl UnitsKind for EnterpriseAgents {}

impl sealed::Sealed for Tests {
    type Item = TestUnits;
    const OPERATION: &'static str = "getTestsUnitsUsage";
    type Envelope = TestsUsage;
    type Error = usage_api::GetTestsUnitsUsageError;

    fn call(
        cfg: Configuration,
        filters: Arc<Filters>,
        cursor: Option<String>,
    ) -> impl Future<Output = Result<TestsUsage, GeneratedError<Self::Error>>> + Send + 'static {
        let params = usage_api::GetTestsUnitsUsageParams {
            aid: filters.aid.clone(),
            start_date: filters.period.start,
            end_date: filters.period.end,
            cursor,
        };
        async move { usage_api::get_tests_units_usage(&cfg, params).await }
    }
}

impl sealed::Sealed for EnterpriseAgents {
    type Item = AgentUnits;
    const OPERATION: &'static str = "getEnterpriseAgentsUnitsUsage";
    type Envelope = EnterpriseAgentsUsage;
    type Error = usage_api::GetEnterpriseAgentsUnitsUsageError;

    fn call(
        cfg: Configuration,
        filters: Arc<Filters>,
        cursor: Option<String>,
    ) -> impl Future<Output = Result<EnterpriseAgentsUsage, GeneratedError<Self::Error>>> + Send + 'static
    {
        let params = usage_api::GetEnterpriseAgentsUnitsUsageParams {
            start_date: filters.period.start,
            end_date: filters.period.end,
            cursor,
        };
        async move { usage_api::get_enterprise_agents_units_usage(&cfg, params).await }
    }
}

/// A listing page as the API sends it: `breakdowns` and `_links`.
pub trait Envelope: Sized {
    /// One entry of `breakdowns`.
    type Item: serde::de::DeserializeOwned;
    /// Its items and links.
    fn into_parts(self) -> (Option<Vec<Self::Item>>, Option<PaginationLinks>);
    /// A page from its items and links.
    fn from_parts(items: Vec<Self::Item>, links: Option<PaginationLinks>) -> Self;
}

impl Envelope for TestsUsage {
    type Item = TestUnits;
    fn into_parts(self) -> (Option<Vec<TestUnits>>, Option<PaginationLinks>) {
        (self.breakdowns, self._links)
    }
    fn from_parts(items: Vec<TestUnits>, links: Option<PaginationLinks>) -> Self {
        TestsUsage { breakdowns: Some(items), _links: links }
    }
}

impl Envelope for EnterpriseAgentsUsage {
    type Item = AgentUnits;
    fn into_parts(self) -> (Option<Vec<AgentUnits>>, Option<PaginationLinks>) {
        (self.breakdowns, self._links)
    }
    fn from_parts(items: Vec<AgentUnits>, links: Option<PaginationLinks>) -> Self {
        EnterpriseAgentsUsage { breakdowns: Some(items), _links: links }
    }
}

/// Builder for cloud and enterprise units by test (`GET /usage/units/tests`, operationId
/// `getTestsUnitsUsage`). Made by [`Client::test_units`].
///
/// ```no_run
/// use futures::TryStreamExt;
///
/// # async fn run(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
/// let start = chrono::Utc::now() - chrono::Duration::days(7);
/// let mut tests = client.test_units().aid("1234").start(start).items();
/// while let Some(test) = tests.try_next().await? {
///     println!("{:?}: {:?} cloud units", test.test_name, test.cloud_units_used);
/// }
/// # Ok(()) }
/// ```
pub type TestUnitsRequest = UnitsRequest<Tests>;

/// Builder for enterprise agent units by agent and account group
/// (`GET /usage/units/enterprise-agents`, operationId `getEnterpriseAgentsUnitsUsage`).
/// Made by [`Client::agent_units`].
///
/// ```no_run
/// use futures::TryStreamExt;
///
/// # async fn run(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
/// let agents: Vec<_> = client.agent_units().items().try_collect().await?;
/// for a in &agents {
///     println!("{:?}: {:?}", a.agent_name, a.enterprise_units_used);
/// }
/// # Ok(()) }
/// ```
pub type AgentUnitsRequest = UnitsRequest<EnterpriseAgents>;

/// A units listing request; see [`TestUnitsRequest`] and [`AgentUnitsRequest`].
///
/// `.send()` fetches one page; `.pages()` and `.items()` walk the whole listing lazily,
/// following `_links.next`.
///
/// ```no_run
/// # async fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
/// let first = client.test_units().send().await?;
/// if let Some(cursor) = first.next_cursor() {
///     let second = client.test_units().cursor(cursor).send().await?;
///     # let _ = second;
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
#[must_use = "a request does nothing until it is sent or streamed"]
pub struct UnitsRequest<K: UnitsKind> {
    client: Client,
    aid: Option<String>,
    period: Period,
    cursor: Option<String>,
    options: pagination::Options,
    pub(super) policy: Option<RetryPolicy>,
    kind: PhantomData<fn() -> K>,
}

impl<K: UnitsKind> std::fmt::Debug for UnitsRequest<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnitsRequest")
            .field("operation", &K::OPERATION)
            .field("aid", &self.aid)
            .field("period", &self.period)
            .field("cursor", &self.cursor)
            .field("options", &self.options)
            .finish()
    }
}

impl UnitsRequest<Tests> {
    /// The account group to ask in (default: the client's default `aid`).
    ///
    /// ```
    /// # fn f(client: thousandeyes_usage::Client) {
    /// let request = client.test_units().aid("1234");
    /// # let _ = request; }
    /// ```
    pub fn aid(mut self, aid: impl Into<String>) -> Self {
        self.aid = Some(aid.into());
        self
    }
}

impl<K: UnitsKind> UnitsRequest<K> {
    pub(crate) fn new(client: Client) -> Self {
        UnitsRequest {
            client,
            aid: None,
            period: Period::default(),
            cursor: None,
            options: pagination::Options::default(),
            policy: None,
            kind: PhantomData,
        }
    }

    /// Start of the time range (default: the current billing period). Any time zone; sent as UTC.
    ///
    /// ```
    /// # fn f(client: thousandeyes_usage::Client) {
    /// let request = client.test_units().start(chrono::Utc::now() - chrono::Duration::days(1));
    /// # let _ = request; }
    /// ```
    pub fn start<Tz: chrono::TimeZone>(mut self, start: DateTime<Tz>) -> Self {
        self.period.start = Some(start.with_timezone(&Utc));
        self
    }

    /// End of the time range (default: now). Needs a start.
    ///
    /// ```
    /// # fn f(client: thousandeyes_usage::Client) {
    /// let now = chrono::Utc::now();
    /// let request = client.agent_units().start(now - chrono::Duration::days(2)).end(now);
    /// # let _ = request; }
    /// ```
    pub fn end<Tz: chrono::TimeZone>(mut self, end: DateTime<Tz>) -> Self {
        self.period.end = Some(end.with_timezone(&Utc));
        self
    }

    /// The page to fetch with [`send`](Self::send), or to start a listing from: a cursor from
    /// [`Page::next_cursor`].
    ///
    /// ```
    /// # fn f(client: thousandeyes_usage::Client) {
    /// let request = client.test_units().cursor("opaque-cursor");
    /// # let _ = request; }
    /// ```
    pub fn cursor(mut self, cursor: impl Into<String>) -> Self {
        self.cursor = Some(cursor.into());
        self
    }

    /// Stop a listing after this many pages (default: no bound).
    ///
    /// ```
    /// # fn f(client: thousandeyes_usage::Client) {
    /// let request = client.test_units().max_pages(10);
    /// # let _ = request; }
    /// ```
    pub fn max_pages(mut self, pages: usize) -> Self {
        self.options.max_pages = Some(pages);
        self
    }

    /// Fetch the next page while the caller works on the current one (default on). At most one
    /// page is fetched ahead.
    ///
    /// ```
    /// # fn f(client: thousandeyes_usage::Client) {
    /// let request = client.test_units().prefetch(false);
    /// # let _ = request; }
    /// ```
    pub fn prefetch(mut self, on: bool) -> Self {
        self.options.prefetch = on;
        self
    }

    fn fetcher(&self) -> Result<Fetcher<K>, Error> {
        let period = self.period.check(Utc::now())?;
        let aid = resolve_aid(self.aid.as_deref(), self.client.default_aid())?;
        Ok(Fetcher {
            client: self.client.clone(),
            filters: Arc::new(Filters { aid, period }),
            policy: self.policy.clone(),
            kind: PhantomData,
        })
    }

    /// Fetches one page: the first, or the one [`cursor`](Self::cursor) names.
    ///
    /// ```no_run
    /// # async fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
    /// let page = client.test_units().send().await?;
    /// println!("{} tests, more: {}", page.items().len(), page.has_next());
    /// # Ok(()) }
    /// ```
    pub async fn send(self) -> Result<Page<K::Item>, Error> {
        let fetcher = self.fetcher()?;
        fetcher.fetch(self.cursor, 1).await
    }

    /// Every page of the listing, as a lazy stream: nothing is sent until it is polled, and
    /// dropping it cancels the request in flight. It ends after the last page, or after the
    /// first error (which it yields). Invalid input is its first and only item.
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    ///
    /// # async fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
    /// let mut pages = client.test_units().pages();
    /// while let Some(page) = pages.try_next().await? {
    ///     println!("page of {} items; {:?} calls left", page.items().len(), page.rate_limit().remaining);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn pages(self) -> impl Stream<Item = Result<Page<K::Item>, Error>> + Send + Unpin + 'static {
        let options = self.options;
        let first = self.cursor.clone();
        pagination::pages(K::OPERATION, self.fetcher(), first, options)
    }

    /// Every item of every page, as a lazy stream (see [`pages`](Self::pages)).
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    ///
    /// # async fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
    /// let all: Vec<_> = client.agent_units().items().try_collect().await?;
    /// println!("{} agent entries", all.len());
    /// # Ok(()) }
    /// ```
    pub fn items(self) -> impl Stream<Item = Result<K::Item, Error>> + Send + Unpin + 'static {
        pagination::items(self.pages())
    }

    /// Every item of every page, collected (a shorthand for `items().try_collect()`).
    ///
    /// ```no_run
    /// # async fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
    /// let tests = client.test_units().collect_all().await?;
    /// # let _ = tests; Ok(()) }
    /// ```
    pub async fn collect_all(self) -> Result<Vec<K::Item>, Error> {
        futures::TryStreamExt::try_collect(self.items()).await
    }
}

/// The checked filters of a listing, the same for every page.
pub struct Filters {
    aid: Option<String>,
    period: CheckedPeriod,
}

/// Fetches pages of one listing with fixed, checked filters.
#[derive(Clone)]
pub(crate) struct Fetcher<K> {
    client: Client,
    filters: Arc<Filters>,
    pub(super) policy: Option<RetryPolicy>,
    kind: PhantomData<fn() -> K>,
}

impl<K: UnitsKind> PageSource for Fetcher<K> {
    type Item = K::Item;

    fn fetch(&self, cursor: Option<String>, number: usize) -> PageFuture<K::Item> {
        let this = self.clone();
        Box::pin(async move {
            let filters = Arc::clone(&this.filters);
            let reply = this
                .client
                .call_with_fallback(
                    K::OPERATION,
                    this.policy.clone(),
                    this.filters.period.wire.clone(),
                    move |cfg| K::call(cfg, filters, cursor),
                    lenient_page::<K::Envelope>,
                )
                .await?;
            let (items, links) = reply.value.into_parts();
            let next_href = links.and_then(|l| l.next).map(|n| n.href);
            Ok(Page::new(items.unwrap_or_default(), next_href, this.client.base(), reply.rate_limit, number))
        })
    }
}

/// A page whose only fault is in `_links` (a `self` link without its `href`, say): its items
/// are kept, and so is its `next.href`, which the listing follows. Lenient only where nothing can
/// be lost: when `next` is absent, null or an object with a string `href` (followed) or with no
/// `href` at all (the listing ends, as it does without a next link). Any other shape of `_links`
/// or `next` stays a decode error.
fn lenient_page<V: Envelope>(body: &[u8], error: &Error) -> Option<V> {
    use serde_json::Value;
    let Error::Decode { path, .. } = error else { return None };
    if !path.starts_with("_links") {
        return None;
    }
    let mut page: Value = serde_json::from_str(&String::from_utf8_lossy(body)).ok()?;
    let next = match page.get("_links") {
        None | Some(Value::Null) => None,
        Some(Value::Object(links)) => match links.get("next") {
            None | Some(Value::Null) => None,
            Some(Value::Object(next)) => match next.get("href") {
                None | Some(Value::Null) => None,
                Some(Value::String(href)) => Some(Link::new(href.clone())),
                Some(_) => return None,
            },
            Some(_) => return None,
        },
        Some(_) => return None,
    };
    let items = match page.get_mut("breakdowns").map(Value::take) {
        None | Some(Value::Null) => Vec::new(),
        Some(items) => serde_json::from_value(items).ok()?,
    };
    tracing::warn!(%path, follows_next = next.is_some(), "malformed pagination links; read what could be read");
    let links = next.map(|next| PaginationLinks { next: Some(next), ..PaginationLinks::default() });
    Some(V::from_parts(items, links))
}
