//! Fetching what every command reports on, in one go: `GET /usage` (with the enterprise agent
//! breakdowns), `GET /quotas`, and every page of both units listings, the four at once through
//! one client, so that its pacing and any 429 hold cover them all. The report, the check, the
//! snapshot and the exporter all start from a [`Fetched`].

use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};
use futures::{Stream, TryStreamExt};
use serde::Serialize;
use thousandeyes_usage::models::{
    EnterpriseAgentUnitsByTestOwnerAccountGroup as AgentUnits, ExpandUsageOptions, Quota,
    UnitsByTests as TestUnits, UsageDetails,
};
use thousandeyes_usage::{Client, Error, Page};
use tokio::time::Instant;

/// The time range the units listings cover.
///
/// `GET /usage` takes no range: its figures always cover the current billing period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Period {
    /// The current billing period: no `startDate`/`endDate` is sent, the API's default.
    #[default]
    CurrentBillingPeriod,
    /// From `start` to `end` (to now when `end` is `None`).
    Range {
        /// Start of the range.
        start: DateTime<FixedOffset>,
        /// End of the range; the API defaults to now.
        end: Option<DateTime<FixedOffset>>,
    },
}

impl Period {
    /// The period named by `--start` and `--end` values (RFC 3339): none for the current billing
    /// period; an end needs a start, and the start must come before the end. The message of an
    /// error names the argument at fault.
    ///
    /// ```
    /// use thousandeyes_usage_cli::fetch::Period;
    /// assert_eq!(Period::from_args(None, None), Ok(Period::CurrentBillingPeriod));
    /// assert!(Period::from_args(Some("2024-05-01T00:00:00Z"), None).is_ok());
    /// assert!(Period::from_args(None, Some("2024-05-01T00:00:00Z")).is_err());
    /// assert!(Period::from_args(Some("yesterday"), None).is_err());
    /// ```
    pub fn from_args(start: Option<&str>, end: Option<&str>) -> Result<Period, String> {
        let parse =
            |name: &str, value: &str| parse_time(value).map_err(|e| format!("{name} {value:?} is {e}"));
        let start = start.map(|s| parse("--start", s)).transpose()?;
        let end = end.map(|e| parse("--end", e)).transpose()?;
        Period::from_times(start, end)
    }

    /// The period from `start` to `end` (to now when `end` is none), or the current billing
    /// period when neither is given; an end needs a start, and the start must come before the
    /// end. The message of an error names the argument at fault (`--start`, `--end`).
    ///
    /// ```
    /// use thousandeyes_usage_cli::fetch::{parse_time, Period};
    /// let (may, june) = (parse_time("2024-05-01T00:00:00Z")?, parse_time("2024-06-01T00:00:00Z")?);
    /// assert_eq!(Period::from_times(Some(may), None), Ok(Period::Range { start: may, end: None }));
    /// assert!(Period::from_times(Some(june), Some(may)).is_err());
    /// assert!(Period::from_times(None, Some(may)).is_err());
    /// # Ok::<(), String>(())
    /// ```
    pub fn from_times(
        start: Option<DateTime<FixedOffset>>,
        end: Option<DateTime<FixedOffset>>,
    ) -> Result<Period, String> {
        match (start, end) {
            (None, None) => Ok(Period::CurrentBillingPeriod),
            (None, Some(_)) => Err("--end needs --start".into()),
            (Some(start), Some(end)) if start >= end => {
                Err(format!("--start {} must be before --end {}", start.to_rfc3339(), end.to_rfc3339()))
            }
            (Some(start), end) => Ok(Period::Range { start, end }),
        }
    }
}

/// An RFC 3339 date-time (surrounding spaces ignored); the error says what is wrong and gives an
/// example.
///
/// ```
/// use thousandeyes_usage_cli::fetch::parse_time;
/// assert!(parse_time(" 2024-05-01T00:00:00+02:00").is_ok());
/// assert!(parse_time("yesterday").unwrap_err().contains("2024-05-01T00:00:00Z"));
/// ```
pub fn parse_time(value: &str) -> Result<DateTime<FixedOffset>, String> {
    DateTime::parse_from_rfc3339(value.trim())
        .map_err(|e| format!("not an RFC 3339 date-time ({e}); for example 2024-05-01T00:00:00Z"))
}

/// A units listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Listing {
    /// `GET /usage/units/tests`.
    TestUnits,
    /// `GET /usage/units/enterprise-agents`.
    AgentUnits,
}

impl Listing {
    /// A short human-readable name.
    pub fn label(self) -> &'static str {
        match self {
            Listing::TestUnits => "test units",
            Listing::AgentUnits => "enterprise agent units",
        }
    }
}

/// Where a listing has got to; given to the progress callback after every page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// The listing being walked.
    pub listing: Listing,
    /// Pages received so far.
    pub pages: usize,
    /// Items received so far.
    pub items: usize,
}

/// Everything the API answered for one period, and what fetching it took.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Fetched {
    /// When fetching ended.
    pub fetched_at: DateTime<Utc>,
    /// The API's base URL.
    pub source: String,
    /// The period asked for.
    pub period: Period,
    /// `GET /usage`, with the enterprise agent breakdowns.
    pub usage: UsageDetails,
    /// `GET /quotas` (empty when the token may not see quotas: see `notes`).
    pub quotas: Vec<Quota>,
    /// Every item of `GET /usage/units/tests`.
    pub tests: Vec<TestUnits>,
    /// Every item of `GET /usage/units/enterprise-agents`.
    pub agents: Vec<AgentUnits>,
    /// What fetching took.
    pub stats: FetchStats,
    /// Things the reader should know (a part the API would not give, say).
    pub notes: Vec<String>,
}

/// What fetching took, from the client's own counters ([`Client::stats`]).
///
/// The figures agree: `request_count` is `page_count + other_request_count + retry_count`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FetchStats {
    /// How many listing pages were received, both listings.
    pub page_count: usize,
    /// How many pages the test units listing had.
    pub test_page_count: usize,
    /// How many pages the enterprise agent units listing had.
    pub agent_page_count: usize,
    /// How many other calls were made (`GET /usage`, `GET /quotas`).
    pub other_request_count: usize,
    /// How many requests were sent, every attempt counted.
    pub request_count: u64,
    /// How many answers were 429 Too Many Requests.
    pub rate_limited_count: u64,
    /// How many requests were sent again (after a 429, or a transient failure).
    pub retry_count: u64,
    /// The waits before requests, by reason. Each is counted once per call that waited, and
    /// calls in flight together wait at the same time: their waits can add up to more than the time
    /// that passed.
    pub waits: WaitStats,
    /// Time spent fetching, in milliseconds (of tokio's clock: virtual time when it
    /// is paused).
    pub elapsed_ms: u64,
}

/// The waits of one reason: how many calls waited, and their waits added up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct WaitLine {
    /// How many calls waited.
    pub call_count: u64,
    /// Their waits added up, in milliseconds.
    pub total_ms: u64,
}

/// The waits before requests, by reason (the reasons of [`thousandeyes_usage::ClientStats`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct WaitStats {
    /// For the reset a 429 named (this call's, or another's that held it back).
    pub after_rate_limit: WaitLine,
    /// For the reset of a window whose calls were used up.
    pub window_used_up: WaitLine,
    /// Spreading the window's last calls over the time left until its reset.
    pub spreading: WaitLine,
    /// Backing off before retrying a transient failure.
    pub retry_backoff: WaitLine,
}

impl WaitStats {
    /// Every reason, with the words the stats line uses for it.
    pub fn by_reason(&self) -> [(&'static str, WaitLine); 4] {
        [
            ("for the rate-limit window to reopen after a 429", self.after_rate_limit),
            ("for a used-up rate-limit window to reset", self.window_used_up),
            ("to spread the window's last calls", self.spreading),
            ("backing off before retrying a transient failure", self.retry_backoff),
        ]
    }
}

/// Fetches everything for `period`; `progress` is called after every listing page. Retries and
/// waits are read from the client's [`Client::stats`] before and after.
///
/// The four calls (`GET /usage`, `GET /quotas` and the two listings, each listing a page at a
/// time with the next page prefetched) go out together, on this task, through `client`: they
/// share its connection pool and its pacing, so together they stay inside the organization's
/// rate limit as one caller would, and a 429 holds them all. Fetching takes about as long as the
/// longest listing instead of the sum of the calls. The first error ends it, dropping the calls
/// still in flight; a listing's invalid range is found before anything is sent. A token that may
/// not see quotas (403, 404) gives no quotas and a note. The retries counted are this fetch's if
/// the client is not used elsewhere meanwhile.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use thousandeyes_usage_cli::fetch::{fetch, Period};
///
/// let demo = thousandeyes_usage_cli::session::demo_api().start().await;
/// let client = thousandeyes_usage::Client::builder()
///     .token(demo.token())
///     .base_url(demo.base_url())
///     .build()
///     .expect("client");
/// let fetched = fetch(&client, Period::CurrentBillingPeriod, &mut |_| {}).await.expect("fetched");
/// assert_eq!(fetched.tests.len(), demo.dataset().test_units.len());
/// assert_eq!(fetched.stats.test_page_count, demo.expected_totals().test_pages);
/// # }
/// ```
pub async fn fetch(
    client: &Client,
    period: Period,
    progress: &mut (dyn FnMut(&Progress) + Send),
) -> Result<Fetched, Error> {
    let started = Instant::now();
    let before = client.stats();
    // The two listings report progress from the same task, one page at a time.
    let progress = Mutex::new(progress);
    let report_progress = |p: &Progress| (progress.lock().unwrap_or_else(|e| e.into_inner()))(p);

    let mut tests_request = client.test_units();
    let mut agents_request = client.agent_units();
    if let Period::Range { start, end } = period {
        tests_request = tests_request.start(start);
        agents_request = agents_request.start(start);
        if let Some(end) = end {
            tests_request = tests_request.end(end);
            agents_request = agents_request.end(end);
        }
    }
    let usage = client
        .usage()
        .expand([ExpandUsageOptions::EnterpriseAgent, ExpandUsageOptions::EnterpriseAgentUnit])
        .send();
    let quotas = async {
        match client.quotas().send().await {
            Ok(quotas) => Ok((quotas, None)),
            // A user may view usage without being allowed to see quotas: go on without them.
            Err(Error::Api(api)) if matches!(api.status(), 403 | 404) => {
                Ok((Vec::new(), Some(format!("quotas not shown: {api}"))))
            }
            Err(e) => Err(e),
        }
    };
    // The listings come first: `try_join!` polls in order and returns at the first error, so a
    // range the builders refuse ends the fetch before the other calls are sent.
    let ((tests, test_pages), (agents, agent_pages), usage, (quotas, quota_note)) = futures::try_join!(
        walk(tests_request.pages(), Listing::TestUnits, &report_progress),
        walk(agents_request.pages(), Listing::AgentUnits, &report_progress),
        usage,
        quotas,
    )?;

    let after = client.stats();
    let waits = |of: fn(&thousandeyes_usage::ClientStats) -> thousandeyes_usage::Waits| {
        let (a, b) = (of(&after), of(&before));
        WaitLine {
            call_count: a.count.saturating_sub(b.count),
            total_ms: millis(a.total.saturating_sub(b.total)),
        }
    };
    let stats = FetchStats {
        page_count: test_pages + agent_pages,
        test_page_count: test_pages,
        agent_page_count: agent_pages,
        other_request_count: 2,
        request_count: after.requests_sent.saturating_sub(before.requests_sent),
        rate_limited_count: after.rate_limited.saturating_sub(before.rate_limited),
        retry_count: after.retries.saturating_sub(before.retries),
        waits: WaitStats {
            after_rate_limit: waits(|s| s.after_rate_limit),
            window_used_up: waits(|s| s.window_used_up),
            spreading: waits(|s| s.spreading),
            retry_backoff: waits(|s| s.retry_backoff),
        },
        elapsed_ms: millis(started.elapsed()),
    };
    Ok(Fetched {
        fetched_at: Utc::now(),
        source: client.base_url().to_string(),
        period,
        usage,
        quotas,
        tests,
        agents,
        stats,
        notes: quota_note.into_iter().collect(),
    })
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Walks a listing to its end: its items, and how many pages carried them.
async fn walk<T>(
    mut pages: impl Stream<Item = Result<Page<T>, Error>> + Unpin,
    listing: Listing,
    progress: &(dyn Fn(&Progress) + Sync),
) -> Result<(Vec<T>, usize), Error> {
    let mut items = Vec::new();
    let mut count = 0;
    while let Some(page) = pages.try_next().await? {
        count += 1;
        items.extend(page.into_items());
        progress(&Progress { listing, pages: count, items: items.len() });
    }
    Ok((items, count))
}
