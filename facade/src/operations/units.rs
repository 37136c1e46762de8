//! The two paginated listings: `GET /usage/units/tests` and `GET /usage/units/enterprise-agents`.
//! Each listing's source fetches its pages with the builder's checked parameters; what a page
//! says and how a listing is walked are `pagination`'s.

use std::future::Future;

use chrono::{DateTime, Utc};
use thousandeyes_usage_generated::apis::{usage_api as api, OperationDescriptor};
use thousandeyes_usage_generated::models::{EnterpriseAgentsUsage, PaginationLinks, TestsUsage};
use url::Url;

use super::ids::resolve_aid;
use super::period::{CheckedPeriod, Period};
use crate::error::Error;
use crate::models::{EnterpriseAgentUnitsByTestOwnerAccountGroup, UnitsByTests};
use crate::pagination::{self, Items, Page, PageBody, PageSource, Pages, Said};
use crate::retry::RetryPolicy;
use crate::secret::Secret;
use crate::Client;

impl PageBody for TestsUsage {
    type Item = UnitsByTests;
    fn into_parts(self) -> (Option<Vec<UnitsByTests>>, Option<PaginationLinks>) {
        (self.breakdowns, self._links)
    }
}

impl PageBody for EnterpriseAgentsUsage {
    type Item = EnterpriseAgentUnitsByTestOwnerAccountGroup;
    fn into_parts(
        self,
    ) -> (Option<Vec<EnterpriseAgentUnitsByTestOwnerAccountGroup>>, Option<PaginationLinks>) {
        (self.breakdowns, self._links)
    }
}

/// One entry of a listing's page.
type Item<O> = <<O as OperationDescriptor>::Output as PageBody>::Item;

/// What a listing operation adds to the generated descriptor: where the account group it is
/// made in, its time range and its cursor go in its parameters. Its page is read as its output
/// schema says ([`PageBody`]).
trait Listing: OperationDescriptor<Output: PageBody<Item: Send + 'static>> + Send + Sync + 'static {
    /// Sets the account group the request is made in and the time range, both checked.
    fn set_parameters(params: &mut Self::Params, aid: Option<String>, period: CheckedPeriod);
    /// Sets the cursor.
    fn set_cursor(params: &mut Self::Params, cursor: Option<String>);
}

impl Listing for api::GetTestsUnitsUsage {
    fn set_parameters(
        params: &mut api::GetTestsUnitsUsageParams,
        aid: Option<String>,
        period: CheckedPeriod,
    ) {
        params.aid = aid;
        (params.start_date, params.end_date) = period;
    }
    fn set_cursor(params: &mut api::GetTestsUnitsUsageParams, cursor: Option<String>) {
        params.cursor = cursor;
    }
}

impl Listing for api::GetEnterpriseAgentsUnitsUsage {
    fn set_parameters(
        params: &mut api::GetEnterpriseAgentsUnitsUsageParams,
        _aid: Option<String>,
        period: CheckedPeriod,
    ) {
        // The operation takes no account group (see the spec): there is no `aid` to set.
        (params.start_date, params.end_date) = period;
    }
    fn set_cursor(params: &mut api::GetEnterpriseAgentsUnitsUsageParams, cursor: Option<String>) {
        params.cursor = cursor;
    }
}

/// A listing request: its parameters as given, checked when sent.
#[derive(Debug, Clone)]
struct Request<O: Listing> {
    client: Client,
    params: O::Params,
    aid: Option<String>,
    period: Period,
    cursor: Option<String>,
    options: pagination::Options,
    policy: Option<RetryPolicy>,
}

impl<O: Listing> Request<O> {
    fn new(client: Client, params: O::Params) -> Self {
        Request {
            client,
            params,
            aid: None,
            period: Period::default(),
            cursor: None,
            options: pagination::Options::default(),
            policy: None,
        }
    }

    /// The checked parameters, as a page source.
    fn source(&self) -> Result<Fetcher<O>, Error> {
        let period = self.period.check(Utc::now())?;
        let aid = resolve_aid(self.aid.as_deref(), self.client.default_aid())?;
        let mut params = self.params.clone();
        O::set_parameters(&mut params, aid, period);
        Ok(Fetcher { client: self.client.clone(), params, policy: self.policy.clone() })
    }

    async fn send(self) -> Result<Page<Item<O>>, Error> {
        pagination::one_page(self.source()?, self.cursor).await
    }

    fn pages(self) -> Pages<Item<O>> {
        let source = self.source();
        Pages::new(source, self.cursor, self.options)
    }
}

/// Fetches pages of one listing with fixed, checked parameters.
struct Fetcher<O: Listing> {
    client: Client,
    params: O::Params,
    policy: Option<RetryPolicy>,
}

impl<O: Listing> PageSource for Fetcher<O> {
    type Item = Item<O>;
    const OPERATION: &'static str = O::OPERATION_ID;

    fn fetch(
        &self,
        cursor: Option<String>,
    ) -> impl Future<Output = Result<Said<Item<O>>, Error>> + Send + 'static {
        let client = self.client.clone();
        let mut params = self.params.clone();
        O::set_cursor(&mut params, cursor);
        let policy = self.policy.clone();
        async move {
            let read =
                |answer: &_, secret: &_| pagination::read_page::<O::Output>(O::OPERATION_ID, answer, secret);
            client.pipeline().execute::<O, _>(&params, policy.as_ref(), read).await
        }
    }

    fn base(&self) -> &Url {
        self.client.base()
    }

    fn secret(&self) -> &Secret {
        self.client.secret()
    }
}

/// The builder methods both listings share.
macro_rules! listing_builder {
    ($builder:ident, $make:literal, $item:ty) => {
        impl $builder {
            /// Start of the time range (default: the current billing period): a
            /// [`chrono::DateTime`](crate::chrono::DateTime) (`thousandeyes_usage::chrono`) in any
            /// time zone; sent as UTC, to the second (fractions are cut).
            ///
            /// ```
            /// use thousandeyes_usage::chrono::{Duration, Utc};
            /// # fn f(client: thousandeyes_usage::Client) {
            #[doc = concat!("let request = client.", $make, ".start(Utc::now() - Duration::days(1));")]
            /// # let _ = request; }
            /// ```
            pub fn start<Tz: chrono::TimeZone>(mut self, start: DateTime<Tz>) -> Self {
                self.inner.period.start = Some(start.with_timezone(&Utc));
                self
            }

            /// End of the time range (default: now). Needs a start.
            ///
            /// ```
            /// use thousandeyes_usage::chrono::{Duration, Utc};
            /// # fn f(client: thousandeyes_usage::Client) {
            /// let now = Utc::now();
            #[doc = concat!("let request = client.", $make, ".start(now - Duration::days(2)).end(now);")]
            /// # let _ = request; }
            /// ```
            pub fn end<Tz: chrono::TimeZone>(mut self, end: DateTime<Tz>) -> Self {
                self.inner.period.end = Some(end.with_timezone(&Utc));
                self
            }

            /// The page to fetch with `send()`, or to start a listing from: a cursor from
            /// [`Page::next_cursor`].
            ///
            /// ```
            /// # fn f(client: thousandeyes_usage::Client) {
            #[doc = concat!("let request = client.", $make, ".cursor(\"opaque-cursor\");")]
            /// # let _ = request; }
            /// ```
            pub fn cursor(mut self, cursor: impl Into<String>) -> Self {
                self.inner.cursor = Some(cursor.into());
                self
            }

            /// Stop a listing after this many pages (default: no bound).
            ///
            /// ```
            /// # fn f(client: thousandeyes_usage::Client) {
            #[doc = concat!("let request = client.", $make, ".max_pages(10);")]
            /// # let _ = request; }
            /// ```
            pub fn max_pages(mut self, pages: usize) -> Self {
                self.inner.options.max_pages = Some(pages);
                self
            }

            /// Fetch the next page while the caller works on the current one (default on). At
            /// most one page is fetched ahead.
            ///
            /// ```
            /// # fn f(client: thousandeyes_usage::Client) {
            #[doc = concat!("let request = client.", $make, ".prefetch(false);")]
            /// # let _ = request; }
            /// ```
            pub fn prefetch(mut self, on: bool) -> Self {
                self.inner.options.prefetch = on;
                self
            }

            /// A retry policy for this listing's requests only, instead of the client's.
            ///
            /// ```
            /// # fn f(client: thousandeyes_usage::Client) {
            #[doc = concat!("let request = client.", $make, ".retry_policy(thousandeyes_usage::RetryPolicy::disabled());")]
            /// # let _ = request; }
            /// ```
            pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
                self.inner.policy = Some(policy);
                self
            }

            /// Fetches one page: the first, or the one [`cursor`](Self::cursor) names. A page whose
            /// next link cannot be followed is an [`Error::Pagination`] here (its items are lost
            /// to this call; a listing's stream yields them before the error).
            ///
            /// ```no_run
            /// # async fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
            #[doc = concat!("let page = client.", $make, ".send().await?;")]
            /// println!("{} entries, more: {}", page.items().len(), page.has_next());
            /// # Ok(()) }
            /// ```
            pub async fn send(self) -> Result<Page<$item>, Error> {
                self.inner.send().await
            }

            /// Every page of the listing, as a lazy stream (see [`Pages`]). Invalid input is its
            /// first and only item.
            ///
            /// ```no_run
            /// use futures::TryStreamExt;
            ///
            /// # async fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
            #[doc = concat!("let mut pages = client.", $make, ".pages();")]
            /// while let Some(page) = pages.try_next().await? {
            ///     println!("{} entries; {:?} calls left", page.items().len(), page.rate_limit().remaining);
            /// }
            /// # Ok(()) }
            /// ```
            pub fn pages(self) -> Pages<$item> {
                self.inner.pages()
            }

            /// Every entry of every page, as a lazy stream (see [`Items`]).
            ///
            /// ```no_run
            /// use futures::TryStreamExt;
            ///
            /// # async fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
            #[doc = concat!("let all: Vec<_> = client.", $make, ".items().try_collect().await?;")]
            /// println!("{} entries", all.len());
            /// # Ok(()) }
            /// ```
            pub fn items(self) -> Items<$item> {
                Items::new(self.inner.pages())
            }

            /// Every entry of every page, collected (`items().try_collect()`).
            ///
            /// ```no_run
            /// # async fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
            #[doc = concat!("let all = client.", $make, ".collect_all().await?;")]
            /// # let _ = all; Ok(()) }
            /// ```
            pub async fn collect_all(self) -> Result<Vec<$item>, Error> {
                futures::TryStreamExt::try_collect(self.items()).await
            }
        }
    };
}

/// Builder for cloud and enterprise units by test (`GET /usage/units/tests`, operationId
/// `getTestsUnitsUsage`). Made by [`Client::test_units`].
///
/// ```no_run
/// use futures::TryStreamExt;
/// use thousandeyes_usage::chrono::{Duration, Utc};
///
/// # async fn run(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
/// let start = Utc::now() - Duration::days(7);
/// let mut tests = client.test_units().start(start).items();
/// while let Some(test) = tests.try_next().await? {
///     println!("{:?}: {:?} cloud units", test.test_name, test.cloud_units_used);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent or streamed"]
pub struct GetTestsUnitsUsage {
    inner: Request<api::GetTestsUnitsUsage>,
}

impl GetTestsUnitsUsage {
    pub(crate) fn new(client: Client) -> Self {
        let params =
            api::GetTestsUnitsUsageParams { aid: None, start_date: None, end_date: None, cursor: None };
        GetTestsUnitsUsage { inner: Request::new(client, params) }
    }

    /// The account group to make the request in (`aid`; default: the client's
    /// [`default_aid`](crate::ClientBuilder::default_aid), else the token's default account
    /// group); the user must be a member of it, or the API answers with an error
    /// ([`Error::Api`]). It is the request's context, not a filter: the API documents the
    /// listing as every test of the organization, and no filtering by account group. Each
    /// item's own `aid` names the account group that owns its test; to keep one account group's
    /// tests, filter the items on it.
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    ///
    /// # async fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
    /// // Made in account group 1234: every test of its organization, then those it owns.
    /// let owned: Vec<_> = client
    ///     .test_units()
    ///     .aid("1234")
    ///     .items()
    ///     .try_filter(|test| std::future::ready(test.aid.as_deref() == Some("1234")))
    ///     .try_collect()
    ///     .await?;
    /// # let _ = owned; Ok(()) }
    /// ```
    pub fn aid(mut self, aid: impl Into<String>) -> Self {
        self.inner.aid = Some(aid.into());
        self
    }
}

listing_builder!(GetTestsUnitsUsage, "test_units()", UnitsByTests);

/// Builder for enterprise agent units by agent and account group
/// (`GET /usage/units/enterprise-agents`, operationId `getEnterpriseAgentsUnitsUsage`). Made by
/// [`Client::agent_units`]. The operation takes no `aid`: it reports for the organization of the
/// token's default account group.
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
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent or streamed"]
pub struct GetEnterpriseAgentsUnitsUsage {
    inner: Request<api::GetEnterpriseAgentsUnitsUsage>,
}

impl GetEnterpriseAgentsUnitsUsage {
    pub(crate) fn new(client: Client) -> Self {
        let params =
            api::GetEnterpriseAgentsUnitsUsageParams { start_date: None, end_date: None, cursor: None };
        GetEnterpriseAgentsUnitsUsage { inner: Request::new(client, params) }
    }
}

listing_builder!(GetEnterpriseAgentsUnitsUsage, "agent_units()", EnterpriseAgentUnitsByTestOwnerAccountGroup);

#[cfg(test)]
#[path = "../tests/units.rs"]
mod tests;
