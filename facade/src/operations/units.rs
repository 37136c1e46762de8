//! The two paginated listings: `GET /usage/units/tests` and `GET /usage/units/enterprise-agents`.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value;
use thousandeyes_usage_generated::apis::{usage_api as api, Operation};
use thousandeyes_usage_generated::models::{EnterpriseAgentsUsage, PaginationLinks, TestsUsage};

use super::{resolve_aid, CheckedPeriod, Period};
use crate::error::Error;
use crate::models::{EnterpriseAgentUnitsByTestOwnerAccountGroup, UnitsByTests};
use crate::pagination::{self, Items, NextLink, Page, PageFuture, PageSource, Pages};
use crate::retry::RetryPolicy;
use crate::secret::Secret;
use crate::transport::Answer;
use crate::Client;

/// What a listing operation adds to the generated descriptor: how to read its page, and where
/// the account group it is made in and its time range go in its parameters.
trait Listing: Operation<Output: Send> + Send + Sync + 'static {
    /// One entry of a page.
    type Item: Send + 'static;
    /// The page's entries and links.
    fn into_parts(page: Self::Output) -> (Option<Vec<Self::Item>>, Option<PaginationLinks>);
    /// Sets the account group the request is made in and the time range, both checked.
    fn set_parameters(params: &mut Self::Params, aid: Option<String>, period: CheckedPeriod);
    /// Sets the cursor.
    fn set_cursor(params: &mut Self::Params, cursor: Option<String>);
}

impl Listing for api::GetTestsUnitsUsage {
    type Item = UnitsByTests;
    fn into_parts(page: TestsUsage) -> (Option<Vec<UnitsByTests>>, Option<PaginationLinks>) {
        (page.breakdowns, page._links)
    }
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
    type Item = EnterpriseAgentUnitsByTestOwnerAccountGroup;
    fn into_parts(
        page: EnterpriseAgentsUsage,
    ) -> (Option<Vec<EnterpriseAgentUnitsByTestOwnerAccountGroup>>, Option<PaginationLinks>) {
        (page.breakdowns, page._links)
    }
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
        Ok(Fetcher { client: self.client.clone(), params: Arc::new(params), policy: self.policy.clone() })
    }

    async fn send(self) -> Result<Page<O::Item>, Error> {
        let number = self.cursor.is_none().then_some(1);
        let page = self.source()?.fetch(self.cursor, number).await?;
        match page.fault(O::OPERATION_ID, 0) {
            Some(fault) => Err(fault),
            None => Ok(page),
        }
    }

    fn pages(self) -> Pages<O::Item> {
        let source = self.source();
        Pages::new(source, self.cursor, self.options)
    }
}

/// Fetches pages of one listing with fixed, checked parameters.
struct Fetcher<O: Listing> {
    client: Client,
    params: Arc<O::Params>,
    policy: Option<RetryPolicy>,
}

impl<O: Listing> PageSource for Fetcher<O> {
    type Item = O::Item;
    const OPERATION: &'static str = O::OPERATION_ID;

    fn fetch(&self, cursor: Option<String>, number: Option<usize>) -> PageFuture<O::Item> {
        let client = self.client.clone();
        let mut params = (*self.params).clone();
        let policy = self.policy.clone();
        Box::pin(async move {
            let at = cursor.clone();
            O::set_cursor(&mut params, cursor);
            let reply = client.execute::<O, _>(&params, policy.as_ref(), read_page::<O>).await?;
            let (items, next) = reply.value;
            Ok(match pagination::next_cursor(next, client.base(), client.secret()) {
                Ok(next_cursor) => Page::new(items, next_cursor, reply.rate_limit, number),
                Err(reason) => {
                    let at = client.secret().redacted(at.as_deref().unwrap_or_default());
                    Page::new(items, None, reply.rate_limit, number).with_unfollowable_next(at, reason)
                }
            })
        })
    }

    fn redacted(&self, text: &str) -> String {
        self.client.secret().redacted(text)
    }
}

/// Reads one page: its items and what its next link says. A page whose only fault is in
/// `_links` (a `self` link without its `href`, say) keeps its items; its next link is then read
/// from the JSON as it is, and one that is present but unusable is reported as such, never
/// taken for the end of the listing.
fn read_page<O: Listing>(answer: &Answer, secret: &Secret) -> Result<(Vec<O::Item>, NextLink), Error> {
    let operation = O::OPERATION_ID;
    crate::decode::check_json(operation, answer, secret)?;
    let error = match serde_json::from_slice::<O::Output>(&answer.body) {
        Ok(page) => {
            let (items, links) = O::into_parts(page);
            let next = match links.and_then(|l| l.next) {
                None => NextLink::None,
                Some(link) if link.templated == Some(true) => {
                    NextLink::Unusable(format!("{:?} is a URI template", secret.redacted(&link.href)))
                }
                Some(link) => NextLink::Href(link.href),
            };
            return Ok((items.unwrap_or_default(), next));
        }
        Err(e) => crate::decode::decode_error::<O::Output>(operation, &answer.body, &e, secret),
    };
    let Error::Decode { path, .. } = &error else { return Err(error) };
    if !path.starts_with("_links") {
        return Err(error);
    }
    let Ok(Value::Object(mut page)) = crate::decode::strict_value(&answer.body) else {
        return Err(error);
    };
    let links = page.remove("_links");
    let next = match &links {
        None | Some(Value::Null) => NextLink::None,
        Some(Value::Object(links)) => match links.get("next") {
            None | Some(Value::Null) => NextLink::None,
            Some(Value::Object(next)) => match next.get("href") {
                Some(Value::String(href)) => NextLink::Href(href.clone()),
                None => NextLink::Unusable("has no href".into()),
                Some(other) => NextLink::Unusable(format!(
                    "has an href that is not a string: {}",
                    secret.redacted(&other.to_string())
                )),
            },
            Some(other) => {
                NextLink::Unusable(format!("is not an object: {}", secret.redacted(&other.to_string())))
            }
        },
        Some(_) => return Err(error),
    };
    let Ok(page) = serde_json::from_value::<O::Output>(Value::Object(page)) else { return Err(error) };
    let (items, _) = O::into_parts(page);
    tracing::warn!(%path, "malformed pagination links; read what could be read");
    Ok((items.unwrap_or_default(), next))
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
