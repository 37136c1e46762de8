//! Pagination over `_links.next`: what a listing's page says, [`Page`], and the lazy,
//! loop-safe streams [`Pages`] and [`Items`] of the listing builders.
//!
//! A page's data flows one way. A listing's source ([`PageSource`], in `operations`) fetches a
//! page once and hands back what it said ([`Said`]: its items, its next link as sent, the
//! rate-limit figures of its answer), read by [`read_page`] as the call's answer; this module
//! does the rest: it turns the next link into the next page's cursor, or into the fault of a link
//! that cannot be followed, builds the [`Page`], and walks the listing.
//!
//! The next page is found from the `cursor` query parameter of `_links.next.href`, and fetched
//! by calling the same operation with the same filters on the configured base URL: whatever
//! host a next link names, no request (and so no token) goes anywhere else. A listing ends when
//! the server says there is no next page (`_links` or its `next` absent or null). A next link
//! that is present but cannot be followed (no `href`, an `href` that is not a URL, no `cursor`
//! in it) is an [`Error::Pagination`], never a silent end; so is a cursor that repeats. A page
//! whose only fault is in `_links` (a `self` link without its `href`, say) keeps its items.

use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::hash::{BuildHasher, RandomState};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::Stream;
use serde::de::DeserializeOwned;
use serde_json::Value;
use thousandeyes_usage_generated::models::PaginationLinks;
use tracing::Instrument;
use url::Url;

use crate::decode;
use crate::error::Error;
use crate::rate_limit::RateLimit;
use crate::secret::Secret;
use crate::transport::Answer;

/// One page of a listing.
///
/// ```no_run
/// # async fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
/// let page = client.test_units().send().await?;
/// for test in page.items() {
///     println!("{:?}", test.test_name);
/// }
/// if let Some(cursor) = page.next_cursor() {
///     let next = client.test_units().cursor(cursor).send().await?;
///     # let _ = next;
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Page<T> {
    items: Vec<T>,
    next_cursor: Option<String>,
    rate_limit: RateLimit,
    number: Option<usize>,
    /// A next link that cannot be followed: the cursor of this page (redacted) and why.
    unfollowable: Option<(String, String)>,
}

impl<T> Page<T> {
    /// The page of what the page at `cursor` (`None`: the first) `said`, numbered `number` when
    /// its position is known: its next link read into the next page's cursor, or kept as the
    /// fault of a link that cannot be followed.
    fn of(said: Said<T>, cursor: Option<&str>, number: Option<usize>, base: &Url, secret: &Secret) -> Self {
        let Said { items, next, rate_limit } = said;
        let (next_cursor, unfollowable) = match next_cursor(next, base, secret) {
            Ok(next_cursor) => (next_cursor, None),
            Err(reason) => (None, Some((secret.redacted(cursor.unwrap_or_default()), reason))),
        };
        Page { items, next_cursor, rate_limit, number, unfollowable }
    }

    /// The error of a next link that cannot be followed, `pages` pages into the listing.
    pub(crate) fn fault(&self, operation: &'static str, pages: usize) -> Option<Error> {
        let (cursor, reason) = self.unfollowable.clone()?;
        Some(Error::Pagination { operation, cursor, pages, reason })
    }

    /// The page's entries.
    ///
    /// ```no_run
    /// # async fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
    /// let n = client.agent_units().send().await?.items().len();
    /// # let _ = n; Ok(()) }
    /// ```
    pub fn items(&self) -> &[T] {
        &self.items
    }

    /// The page's entries, owned.
    ///
    /// ```no_run
    /// # async fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
    /// let tests = client.test_units().send().await?.into_items();
    /// # let _ = tests; Ok(()) }
    /// ```
    pub fn into_items(self) -> Vec<T> {
        self.items
    }

    /// True when the page has a next page to follow (a next link that cannot be followed makes
    /// the listing's stream yield an error after this page instead).
    ///
    /// ```no_run
    /// # async fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
    /// let more = client.test_units().send().await?.has_next();
    /// # let _ = more; Ok(()) }
    /// ```
    pub fn has_next(&self) -> bool {
        self.next_cursor.is_some()
    }

    /// The cursor of the next page (URL-decoded), for the builders' `cursor(..)`.
    ///
    /// ```no_run
    /// # async fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
    /// let cursor = client.test_units().send().await?.next_cursor().map(str::to_string);
    /// # let _ = cursor; Ok(()) }
    /// ```
    pub fn next_cursor(&self) -> Option<&str> {
        self.next_cursor.as_deref()
    }

    /// The rate-limit figures of the answer that carried this page.
    ///
    /// ```no_run
    /// # async fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
    /// let left = client.test_units().send().await?.rate_limit().remaining;
    /// # let _ = left; Ok(()) }
    /// ```
    pub fn rate_limit(&self) -> &RateLimit {
        &self.rate_limit
    }

    /// The page's position in its listing, from 1; `None` when that is not known (a page
    /// fetched from a cursor, or a listing started from one).
    ///
    /// ```no_run
    /// # async fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
    /// assert_eq!(client.test_units().send().await?.number(), Some(1));
    /// assert_eq!(client.test_units().cursor("c2").send().await?.number(), None);
    /// # Ok(()) }
    /// ```
    pub fn number(&self) -> Option<usize> {
        self.number
    }
}

/// Shows whether there is a next page, never the cursor: a server may echo the token into it.
impl<T: fmt::Debug> fmt::Debug for Page<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Page")
            .field("items", &self.items)
            .field("has_next", &self.next_cursor.is_some())
            .field("rate_limit", &self.rate_limit)
            .field("number", &self.number)
            .finish_non_exhaustive()
    }
}

/// What one page of a listing said: its items, its next link as sent, and the rate-limit
/// figures of the answer that carried it.
#[derive(Debug)]
pub(crate) struct Said<T> {
    pub(crate) items: Vec<T>,
    pub(crate) next: NextLink,
    pub(crate) rate_limit: RateLimit,
}

/// A listing's page, as its schema has it: the items and the links.
pub(crate) trait PageBody: DeserializeOwned {
    /// One entry of a page.
    type Item;
    /// The page's entries and links.
    fn into_parts(self) -> (Option<Vec<Self::Item>>, Option<PaginationLinks>);
}

/// Reads a success answer of listing `operation` as a page of schema `B`: what it said. A page
/// whose only fault is in `_links` (a `self` link without its `href`, say) keeps its items; its
/// next link is then read from the JSON as it is, and one that is present but unusable is
/// reported as such, never taken for the end of the listing.
pub(crate) fn read_page<B: PageBody>(
    operation: &'static str,
    answer: &Answer,
    secret: &Secret,
) -> Result<Said<B::Item>, Error> {
    decode::check_json(operation, answer, secret)?;
    let rate_limit = answer.reported.figures;
    let error = match serde_json::from_slice::<B>(&answer.body) {
        Ok(page) => {
            let (items, links) = page.into_parts();
            let next = match links.and_then(|l| l.next) {
                None => NextLink::None,
                Some(link) if link.templated == Some(true) => {
                    NextLink::Unusable(format!("{:?} is a URI template", secret.redacted(&link.href)))
                }
                Some(link) => NextLink::Href(link.href),
            };
            return Ok(Said { items: items.unwrap_or_default(), next, rate_limit });
        }
        Err(e) => decode::decode_error::<B>(operation, &answer.body, &e, secret),
    };
    let Error::Decode { path, .. } = &error else { return Err(error) };
    if !path.starts_with("_links") {
        return Err(error);
    }
    let Ok(Value::Object(mut page)) = decode::strict_value(&answer.body) else {
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
    let Ok(page) = serde_json::from_value::<B>(Value::Object(page)) else { return Err(error) };
    let (items, _) = page.into_parts();
    tracing::warn!(%path, "malformed pagination links; read what could be read");
    Ok(Said { items: items.unwrap_or_default(), next, rate_limit })
}

/// What `_links.next` of a page says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NextLink {
    /// No next page: `_links` or its `next` is absent or null.
    None,
    /// A next link with this `href`.
    Href(String),
    /// A next link that is present but has no usable `href`; says what it is.
    Unusable(String),
}

/// The cursor of the next page from a page's next link, or why it cannot be followed. The link
/// may be relative (read against the base URL); a link to another origin only lends its cursor,
/// since requests go to the base URL. What the reason and the log quote of the link is
/// redacted: a server may echo the token anywhere.
pub(crate) fn next_cursor(next: NextLink, base: &Url, secret: &Secret) -> Result<Option<String>, String> {
    let href = match next {
        NextLink::None => return Ok(None),
        NextLink::Href(href) => href,
        NextLink::Unusable(what) => return Err(format!("the next link {what}")),
    };
    let quoted = secret.redacted(&format!("{href:?}"));
    let url = base.join(href.trim()).map_err(|e| format!("the next link {quoted} is not a URL ({e})"))?;
    if url.origin() != base.origin() {
        // The host is not logged: a server may echo the token into it (and hosts are lower-cased).
        tracing::warn!(
            "next link points at another origin; its cursor is used against the configured base URL"
        );
    }
    match url.query_pairs().find(|(k, _)| k == "cursor").map(|(_, v)| v.into_owned()) {
        Some(cursor) if !cursor.is_empty() => Ok(Some(cursor)),
        Some(_) => Err(format!("the next link {quoted} has an empty cursor")),
        None => Err(format!("the next link {quoted} has no cursor")),
    }
}

/// How a listing is walked.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Options {
    pub(crate) max_pages: Option<usize>,
    pub(crate) prefetch: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { max_pages: None, prefetch: true }
    }
}

/// A boxed future of one page.
pub(crate) type PageFuture<T> = Pin<Box<dyn Future<Output = Result<Page<T>, Error>> + Send>>;

/// The source of a listing's pages: the listing's operation with fixed, checked filters.
pub(crate) trait PageSource: Send + Sync + 'static {
    /// One entry of a page.
    type Item: Send + 'static;
    /// The operation, by its operationId.
    const OPERATION: &'static str;
    /// Fetches the page at `cursor` (the first when `None`), once, and hands back what it said
    /// (read by [`read_page`] as the call's answer, so that the call's span records a page that
    /// does not decode).
    fn fetch(
        &self,
        cursor: Option<String>,
    ) -> impl Future<Output = Result<Said<Self::Item>, Error>> + Send + 'static;
    /// The base URL requests go to, which next links are read against.
    fn base(&self) -> &Url;
    /// What errors quoting the server must not show.
    fn secret(&self) -> &Secret;
}

/// Fetches the page at `cursor`, numbered `number` when its position is known, and makes it a
/// [`Page`].
fn fetch<S: PageSource>(
    source: &Arc<S>,
    cursor: Option<String>,
    number: Option<usize>,
) -> PageFuture<S::Item> {
    let said = source.fetch(cursor.clone());
    let source = Arc::clone(source);
    Box::pin(async move {
        let said = said.await?;
        Ok(Page::of(said, cursor.as_deref(), number, source.base(), source.secret()))
    })
}

/// One page, for a listing builder's `send()`: the page at `cursor`, or the first (numbered 1).
/// A next link it cannot follow is its error (its items are lost to the call).
pub(crate) async fn one_page<S: PageSource>(
    source: S,
    cursor: Option<String>,
) -> Result<Page<S::Item>, Error> {
    let number = cursor.is_none().then_some(1);
    let said = source.fetch(cursor.clone()).await?;
    let page = Page::of(said, cursor.as_deref(), number, source.base(), source.secret());
    match page.fault(S::OPERATION, 0) {
        Some(fault) => Err(fault),
        None => Ok(page),
    }
}

/// Every page of a listing, as a lazy stream: nothing is sent until it is polled, and dropping
/// it cancels the request in flight. It ends after the last page, or after the first error
/// (which it yields). `Send + Unpin`, so it can be stored, spawned and used with `TryStreamExt`.
///
/// ```no_run
/// use futures::TryStreamExt;
/// use thousandeyes_usage::{models::UnitsByTests, Pages};
///
/// struct Export {
///     pages: Pages<UnitsByTests>,
/// }
///
/// # async fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
/// let mut export = Export { pages: client.test_units().pages() };
/// while let Some(page) = export.pages.try_next().await? {
///     println!("{} tests", page.items().len());
/// }
/// # Ok(()) }
/// ```
pub struct Pages<T> {
    inner: Pin<Box<dyn Stream<Item = Result<Page<T>, Error>> + Send>>,
}

impl<T> fmt::Debug for Pages<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pages").finish_non_exhaustive()
    }
}

impl<T> Stream for Pages<T> {
    type Item = Result<Page<T>, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl<T: Send + 'static> Pages<T> {
    /// The stream of pages. `source` is the checked request: its error, if any, is the stream's
    /// only item.
    pub(crate) fn new<S: PageSource<Item = T>>(
        source: Result<S, Error>,
        first_cursor: Option<String>,
        options: Options,
    ) -> Self {
        let operation = S::OPERATION;
        let inner = async_stream::stream! {
            let source = match source {
                Ok(source) => Arc::new(source),
                Err(error) => {
                    yield Err(error);
                    return;
                }
            };
            if options.max_pages == Some(0) {
                return;
            }
            // Positions are known only for a listing walked from its start.
            let numbered = first_cursor.is_none();
            // Cursors followed so far, as 64-bit hashes: memory stays flat over long listings.
            let hasher = RandomState::new();
            let mut seen: HashSet<u64> = first_cursor.iter().map(|c| hasher.hash_one(c)).collect();
            // The first page starts when the stream is first polled: nothing is sent before.
            let mut pending: Option<PageFuture<T>> = Some(fetch(&source, first_cursor, numbered.then_some(1)));
            let mut received = 0usize;
            while let Some(fetching) = pending.take() {
                let page = match fetching.await {
                    Ok(page) => page,
                    Err(error) => {
                        yield Err(error);
                        return;
                    }
                };
                received += 1;
                let bounded = options.max_pages.is_some_and(|max| received >= max);
                // The page's items are kept; the listing stops after them. A next link the
                // listing would not follow anyway (`max_pages` reached) is no fault.
                let mut fault = if bounded { None } else { page.fault(operation, received) };
                if let (Some(next), false) = (page.next_cursor(), bounded) {
                    if seen.insert(hasher.hash_one(next)) {
                        let number = numbered.then_some(received + 1);
                        pending = Some(start(&source, next.to_string(), number, options.prefetch));
                    } else {
                        fault = Some(Error::Pagination {
                            operation,
                            cursor: source.secret().redacted(next),
                            pages: received,
                            reason: "the server sent a cursor this listing had already followed; \
                                     stopping instead of looping"
                                .into(),
                        });
                    }
                }
                yield Ok(page);
                if let Some(fault) = fault {
                    yield Err(fault);
                    return;
                }
            }
        };
        Pages { inner: Box::pin(inner) }
    }
}

/// Starts fetching a page: in a task of its own when prefetching (on a tokio runtime, in the
/// caller's tracing span), else lazily when awaited.
fn start<S: PageSource>(
    source: &Arc<S>,
    cursor: String,
    number: Option<usize>,
    prefetch: bool,
) -> PageFuture<S::Item> {
    let page = fetch(source, Some(cursor), number);
    match (prefetch, tokio::runtime::Handle::try_current()) {
        (true, Ok(runtime)) => Box::pin(Prefetched {
            task: runtime.spawn(page.instrument(tracing::Span::current())),
            operation: S::OPERATION,
        }),
        _ => page,
    }
}

/// A page being fetched in its own task. Dropping it aborts the task, and with it the request.
/// A panic in the task is raised again in the caller.
pub(crate) struct Prefetched<T> {
    pub(crate) task: tokio::task::JoinHandle<Result<Page<T>, Error>>,
    pub(crate) operation: &'static str,
}

impl<T> Future for Prefetched<T> {
    type Output = Result<Page<T>, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let operation = self.operation;
        Pin::new(&mut self.task).poll(cx).map(|joined| match joined {
            Ok(page) => page,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => Err(Error::Transport {
                operation,
                reason: format!("the task fetching the next page ended without it ({e})"),
                // It may have been sent before the task ended.
                sent: true,
                source: Box::new(e),
            }),
        })
    }
}

impl<T> Drop for Prefetched<T> {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Every item of every page of a listing, as a lazy stream (see [`Pages`]). `Send + Unpin`.
///
/// ```no_run
/// use futures::TryStreamExt;
/// use thousandeyes_usage::{models::EnterpriseAgentUnitsByTestOwnerAccountGroup, Items};
///
/// # async fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
/// let mut agents: Items<EnterpriseAgentUnitsByTestOwnerAccountGroup> = client.agent_units().items();
/// while let Some(agent) = agents.try_next().await? {
///     println!("{:?}: {:?}", agent.agent_name, agent.enterprise_units_used);
/// }
/// # Ok(()) }
/// ```
pub struct Items<T> {
    pages: Pages<T>,
    current: std::vec::IntoIter<T>,
}

impl<T> fmt::Debug for Items<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Items").field("buffered", &self.current.len()).finish_non_exhaustive()
    }
}

impl<T> Items<T> {
    pub(crate) fn new(pages: Pages<T>) -> Self {
        Items { pages, current: Vec::new().into_iter() }
    }
}

impl<T> Unpin for Items<T> {}

impl<T> Stream for Items<T> {
    type Item = Result<T, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if let Some(item) = self.current.next() {
                return Poll::Ready(Some(Ok(item)));
            }
            match Pin::new(&mut self.pages).poll_next(cx) {
                Poll::Ready(Some(Ok(page))) => self.current = page.into_items().into_iter(),
                Poll::Ready(Some(Err(error))) => return Poll::Ready(Some(Err(error))),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

#[cfg(test)]
#[path = "tests/pagination.rs"]
mod tests;
