//! The two paginated listings: `GET /usage/units/tests` and `GET /usage/units/enterprise-agents`.

use std::marker::PhantomData;

use chrono::{DateTime, Utc};
use futures::Stream;
use thousandeyes_usage_generated::apis::usage_api;
use thousandeyes_usage_generated::models::{EnterpriseAgentsUsage, PaginationLinks, TestsUsage};

use super::{resolve_aid, CheckedPeriod, Period};
use crate::client::Reply;
use crate::error::Error;
use crate::models::{AgentUnits, TestUnits};
use crate::pagination::{self, Page, PageFuture, PageSource};
use crate::retry::RetryPolicy;
use crate::Client;

/// What tells the two listings apart: the item type, the operation, and how one page is fetched.
/// Implemented by [`TestUnitsRequest`]'s and [`AgentUnitsRequest`]'s kinds only.
pub trait UnitsKind: sealed::Sealed + Sized + Send + Sync + 'static {
    /// One entry of a page (`breakdowns[]`).
    type Item: Send + 'static;
    /// The OpenAPI operationId.
    const OPERATION: &'static str;
    /// Fetches one page with the fetcher's filters.
    #[doc(hidden)]
    fn fetch(fetcher: &Fetcher<Self>, cursor: Option<String>, number: usize) -> PageFuture<Self::Item>;
}

mod sealed {
    pub trait Sealed {}
}

/// The kind of [`TestUnitsRequest`].
#[derive(Debug, Clone, Copy)]
pub enum Tests {}
/// The kind of [`AgentUnitsRequest`].
#[derive(Debug, Clone, Copy)]
pub enum EnterpriseAgents {}

impl sealed::Sealed for Tests {}
impl sealed::Sealed for EnterpriseAgents {}

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
#[must_use = "a request does nothing until it is sent or streamed"]
pub struct UnitsRequest<K: UnitsKind> {
    client: Client,
    aid: Option<String>,
    period: Period,
    cursor: Option<String>,
    options: pagination::Options,
    policy: Option<RetryPolicy>,
    kind: PhantomData<fn() -> K>,
}

impl<K: UnitsKind> Clone for UnitsRequest<K> {
    fn clone(&self) -> Self {
        UnitsRequest {
            client: self.client.clone(),
            aid: self.aid.clone(),
            period: self.period.clone(),
            cursor: self.cursor.clone(),
            options: self.options,
            policy: self.policy.clone(),
            kind: PhantomData,
        }
    }
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

    /// A retry policy for this request (every page of a listing) only.
    ///
    /// ```
    /// # fn f(client: thousandeyes_usage::Client) {
    /// let request = client.test_units().retry_policy(thousandeyes_usage::RetryPolicy::disabled());
    /// # let _ = request; }
    /// ```
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = Some(policy);
        self
    }

    fn fetcher(&self) -> Result<Fetcher<K>, Error> {
        let period = self.period.check(Utc::now())?;
        let aid = resolve_aid(self.aid.as_deref(), self.client.default_aid())?;
        Ok(Fetcher {
            client: self.client.clone(),
            aid,
            period: std::sync::Arc::new(period),
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

/// Fetches pages of one listing with fixed, checked filters.
#[doc(hidden)]
pub struct Fetcher<K: UnitsKind> {
    client: Client,
    aid: Option<String>,
    period: std::sync::Arc<CheckedPeriod>,
    policy: Option<RetryPolicy>,
    kind: PhantomData<fn() -> K>,
}

impl<K: UnitsKind> Clone for Fetcher<K> {
    fn clone(&self) -> Self {
        Fetcher {
            client: self.client.clone(),
            aid: self.aid.clone(),
            period: self.period.clone(),
            policy: self.policy.clone(),
            kind: PhantomData,
        }
    }
}

impl<K: UnitsKind> PageSource for Fetcher<K> {
    type Item = K::Item;

    fn fetch(&self, cursor: Option<String>, number: usize) -> PageFuture<K::Item> {
        K::fetch(self, cursor, number)
    }
}

impl UnitsKind for Tests {
    type Item = TestUnits;
    const OPERATION: &'static str = "getTestsUnitsUsage";

    fn fetch(fetcher: &Fetcher<Self>, cursor: Option<String>, number: usize) -> PageFuture<TestUnits> {
        let this = fetcher.clone();
        Box::pin(async move {
            let params = usage_api::GetTestsUnitsUsageParams {
                aid: this.aid.clone(),
                start_date: this.period.start,
                end_date: this.period.end,
                cursor,
            };
            let reply = this
                .client
                .call_with_fallback(
                    Self::OPERATION,
                    this.policy.clone(),
                    this.period.wire.clone(),
                    |cfg| async move { usage_api::get_tests_units_usage(&cfg, params).await },
                    |body, error| {
                        without_links(body, error)
                            .map(|breakdowns| TestsUsage { breakdowns: Some(breakdowns), _links: None })
                    },
                )
                .await?;
            Ok(page_from(&this.client, reply, |v| (v.breakdowns, v._links), number))
        })
    }
}

impl UnitsKind for EnterpriseAgents {
    type Item = AgentUnits;
    const OPERATION: &'static str = "getEnterpriseAgentsUnitsUsage";

    fn fetch(fetcher: &Fetcher<Self>, cursor: Option<String>, number: usize) -> PageFuture<AgentUnits> {
        let this = fetcher.clone();
        Box::pin(async move {
            let params = usage_api::GetEnterpriseAgentsUnitsUsageParams {
                start_date: this.period.start,
                end_date: this.period.end,
                cursor,
            };
            let reply = this
                .client
                .call_with_fallback(
                    Self::OPERATION,
                    this.policy.clone(),
                    this.period.wire.clone(),
                    |cfg| async move { usage_api::get_enterprise_agents_units_usage(&cfg, params).await },
                    |body, error| {
                        without_links(body, error).map(|breakdowns| EnterpriseAgentsUsage {
                            breakdowns: Some(breakdowns),
                            _links: None,
                        })
                    },
                )
                .await?;
            Ok(page_from(&this.client, reply, |v| (v.breakdowns, v._links), number))
        })
    }
}

fn page_from<V, T>(
    client: &Client,
    reply: Reply<V>,
    parts: impl FnOnce(V) -> (Option<Vec<T>>, Option<PaginationLinks>),
    number: usize,
) -> Page<T> {
    let (items, links) = parts(reply.value);
    let next_href = links.and_then(|l| l.next).map(|n| n.href);
    Page::new(items.unwrap_or_default(), next_href, client.base(), reply.rate_limit, number)
}

/// A page whose only fault is in `_links` (a `next` without its `href`, say): its items are kept
/// and the listing ends there, as it does for a page without a next link.
fn without_links<T: serde::de::DeserializeOwned>(body: &[u8], error: &Error) -> Option<Vec<T>> {
    let Error::Decode { path, .. } = error else { return None };
    if !path.starts_with("_links") {
        return None;
    }
    let mut page: serde_json::Value = serde_json::from_slice(body).ok()?;
    let items = match page.get_mut("breakdowns").map(serde_json::Value::take) {
        None | Some(serde_json::Value::Null) => Vec::new(),
        Some(items) => serde_json::from_value(items).ok()?,
    };
    tracing::warn!(%path, "malformed pagination links; the listing ends at this page");
    Some(items)
}
