//! Pagination over `_links.next`: [`Page`], and the lazy, loop-safe streams of pages and items
//! behind [`UnitsRequest::pages`](crate::operations::UnitsRequest::pages) and
//! [`UnitsRequest::items`](crate::operations::UnitsRequest::items).
//!
//! The next page is found from the `cursor` query parameter of `_links.next.href`, and fetched
//! by calling the same operation with the same filters on the configured base URL: whatever
//! host a next link names, no request (and so no token) goes anywhere else. A listing ends when
//! there is no next link, no `href`, or no cursor in it. A cursor that repeats is a server fault:
//! the stream yields [`Error::Pagination`] and ends instead of looping.
//!
//! ```no_run
//! use futures::TryStreamExt;
//!
//! # async fn run(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
//! // Pages, with their rate-limit figures...
//! let mut pages = client.test_units().pages();
//! while let Some(page) = pages.try_next().await? {
//!     println!("page {}: {} items", page.number(), page.items().len());
//! }
//! // ...or items, at most ten pages of them.
//! let agents: Vec<_> = client.agent_units().max_pages(10).items().try_collect().await?;
//! # let _ = agents; Ok(()) }
//! ```

use std::collections::HashSet;
use std::future::Future;
use std::hash::{BuildHasher, RandomState};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::{Stream, StreamExt, TryStreamExt};
use url::Url;

use crate::error::Error;
use crate::rate_limit::RateLimit;

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
#[derive(Debug, Clone)]
pub struct Page<T> {
    items: Vec<T>,
    next_cursor: Option<String>,
    rate_limit: RateLimit,
    number: usize,
}

impl<T> Page<T> {
    pub(crate) fn new(
        items: Vec<T>,
        next_href: Option<String>,
        base: &Url,
        rate_limit: RateLimit,
        number: usize,
    ) -> Self {
        let next_cursor = next_href.as_deref().and_then(|href| cursor_of(href, base));
        Page { items, next_cursor, rate_limit, number }
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

    /// True when the server announced a next page.
    ///
    /// ```no_run
    /// # async fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
    /// let more = client.test_units().send().await?.has_next();
    /// # let _ = more; Ok(()) }
    /// ```
    pub fn has_next(&self) -> bool {
        self.next_cursor.is_some()
    }

    /// The cursor of the next page (URL-decoded), for
    /// [`UnitsRequest::cursor`](crate::operations::UnitsRequest::cursor).
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

    /// The page's position in its listing, from 1.
    ///
    /// ```no_run
    /// # async fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
    /// assert_eq!(client.test_units().send().await?.number(), 1);
    /// # Ok(()) }
    /// ```
    pub fn number(&self) -> usize {
        self.number
    }
}

/// The `cursor` query parameter of a next link (relative links are read against the base URL).
/// A link to another origin still only lends its cursor: the request goes to the base URL.
fn cursor_of(href: &str, base: &Url) -> Option<String> {
    let url = base.join(href.trim()).ok()?;
    if url.origin() != base.origin() {
        tracing::warn!(
            next_host = url.host_str().unwrap_or(""),
            "next link points at another origin; its cursor is used against the configured base URL"
        );
    }
    url.query_pairs().find(|(k, _)| k == "cursor").map(|(_, v)| v.into_owned()).filter(|c| !c.is_empty())
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

/// Fetches one page of a listing with fixed filters.
pub(crate) trait PageSource: Send + Sync + 'static {
    type Item: Send + 'static;
    fn fetch(&self, cursor: Option<String>, number: usize) -> PageFuture<Self::Item>;
}

/// A boxed future of one page.
pub(crate) type PageFuture<T> = Pin<Box<dyn Future<Output = Result<Page<T>, Error>> + Send>>;

type PageStream<T> = Pin<Box<dyn Stream<Item = Result<Page<T>, Error>> + Send>>;

/// The stream of pages. `source` is the checked request: its error, if any, is the stream's
/// only item.
pub(crate) fn pages<S: PageSource>(
    operation: &'static str,
    source: Result<S, Error>,
    first_cursor: Option<String>,
    options: Options,
) -> PageStream<S::Item> {
    Box::pin(async_stream::stream! {
        let source = match source {
            Ok(source) => source,
            Err(error) => {
                yield Err(error);
                return;
            }
        };
        if options.max_pages == Some(0) {
            return;
        }
        // Cursors followed so far, as 64-bit hashes: memory stays flat over long listings.
        let hasher = RandomState::new();
        let mut seen: HashSet<u64> = first_cursor.iter().map(|c| hasher.hash_one(c)).collect();
        // The first page starts when the stream is first polled: nothing is sent before.
        let mut pending: Option<PageFuture<S::Item>> = Some(source.fetch(first_cursor, 1));
        let mut received = 0usize;
        while let Some(fetch) = pending.take() {
            let page = match fetch.await {
                Ok(page) => page,
                Err(error) => {
                    yield Err(error);
                    return;
                }
            };
            received += 1;
            let mut fault = None;
            let bounded = options.max_pages.is_some_and(|max| received >= max);
            if let (Some(next), false) = (page.next_cursor(), bounded) {
                if seen.insert(hasher.hash_one(next)) {
                    pending = Some(start(&source, next.to_string(), received + 1, options.prefetch, operation));
                } else {
                    fault = Some(Error::Pagination {
                        operation,
                        cursor: next.to_string(),
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
    })
}

/// Starts fetching a page: in a task of its own when prefetching (on a tokio runtime), else
/// lazily when awaited.
fn start<S: PageSource>(
    source: &S,
    cursor: String,
    number: usize,
    prefetch: bool,
    operation: &'static str,
) -> PageFuture<S::Item> {
    let fetch = source.fetch(Some(cursor), number);
    match (prefetch, tokio::runtime::Handle::try_current()) {
        (true, Ok(runtime)) => Box::pin(Prefetched { task: runtime.spawn(fetch), operation }),
        _ => fetch,
    }
}

/// A page being fetched in its own task. Dropping it aborts the task, and with it the request.
struct Prefetched<T> {
    task: tokio::task::JoinHandle<Result<Page<T>, Error>>,
    operation: &'static str,
}

impl<T> Future for Prefetched<T> {
    type Output = Result<Page<T>, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let operation = self.operation;
        Pin::new(&mut self.task)
            .poll(cx)
            .map(|joined| joined.unwrap_or_else(|e| Err(Error::Transport { operation, source: Box::new(e) })))
    }
}

impl<T> Drop for Prefetched<T> {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The stream of items of a stream of pages.
pub(crate) fn items<T: Send + 'static>(
    pages: impl Stream<Item = Result<Page<T>, Error>> + Send + Unpin + 'static,
) -> impl Stream<Item = Result<T, Error>> + Send + Unpin + 'static {
    pages.map_ok(|page| futures::stream::iter(page.into_items().into_iter().map(Ok))).try_flatten().boxed()
}

#[cfg(test)]
#[path = "tests/pagination.rs"]
mod tests;
