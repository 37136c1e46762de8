//! The usage report that `cargo run --example usage_report` prints: what the organization used
//! and will use, against what its contract includes and its quotas, the tests and enterprise
//! agents that use the most, and totals that add up.
//!
//! The report knows only a [`Client`] and a [`Period`]: it does not know (or care) whether the
//! client talks to the live API or to the [demo](demo_api), a fake Usage API.
//!
//! * [`build_report`] fetches `GET /usage` (with the enterprise agent breakdowns), `GET /quotas`
//!   and every page of both units listings, the four at once, and builds a [`Report`].
//! * [`render_table`] (with `comfy-table`), [`render_json`] and [`render_csv`] (with `csv`) turn it
//!   into text.
//! * Retries and time spent waiting come from the client's own counters ([`Client::stats`]).
//!
//! ```no_run
//! use thousandeyes_usage_tests::report::{build_report, render_table, ReportOptions};
//!
//! # async fn run(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
//! let report = build_report(&client, &ReportOptions::default(), &mut |_| {}).await?;
//! print!("{}", render_table(&report));
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};
use comfy_table::{CellAlignment, ContentArrangement, ContentLineStyle, TableStyle};
use futures::{Stream, TryStreamExt};
use serde::Serialize;
use thousandeyes_usage::models::{
    EnterpriseAgentUnitsByTestOwnerAccountGroup as AgentUnits, ExpandUsageOptions, Quota,
    UnitsByTests as TestUnits, UsageDetails as Usage,
};
use thousandeyes_usage::{Client, Error, Page};
use thousandeyes_usage_fake::{Failure, FakeUsageApi, FakeUsageApiBuilder, Operation};
use tokio::time::Instant;

/// How many tests the table shows when not told otherwise.
pub const DEFAULT_TOP: usize = 10;

/// The demo the example reports on when `TE_TOKEN` is not set: the fake Usage API
/// ([`FakeUsageApi`]) with its seeded "Acme Corp" data, and one 429 on the way, as if another
/// client of the organization had just used up the rate-limit window: the second page of test
/// units is refused once, and the window resets within a second.
///
/// The report's tests run on the same demo, so what they check is what the example shows.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use thousandeyes_usage_tests::report::demo_api;
///
/// let demo = demo_api().start().await;
/// let client = thousandeyes_usage::Client::builder()
///     .token(demo.token())
///     .base_url(demo.base_url())
///     .build()
///     .expect("client");
/// let usage = client.usage().send().await.expect("usage");
/// assert_eq!(usage.cloud_units_used, Some(11_152_765));
/// # }
/// ```
pub fn demo_api() -> FakeUsageApiBuilder {
    FakeUsageApi::builder().fail(
        Failure::rate_limited(Operation::GetTestsUnitsUsage).on_page(2).reset_after(Duration::from_secs(1)),
    )
}

// ---------------------------------------------------------------------------------------------
// Inputs.
// ---------------------------------------------------------------------------------------------

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
    /// use thousandeyes_usage_tests::report::Period;
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
    /// use thousandeyes_usage_tests::report::{parse_time, Period};
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
/// use thousandeyes_usage_tests::report::parse_time;
/// assert!(parse_time(" 2024-05-01T00:00:00+02:00").is_ok());
/// assert!(parse_time("yesterday").unwrap_err().contains("2024-05-01T00:00:00Z"));
/// ```
pub fn parse_time(value: &str) -> Result<DateTime<FixedOffset>, String> {
    DateTime::parse_from_rfc3339(value.trim())
        .map_err(|e| format!("not an RFC 3339 date-time ({e}); for example 2024-05-01T00:00:00Z"))
}

/// What to report on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportOptions {
    /// The range of the units listings.
    pub period: Period,
    /// How many tests the table shows (the report keeps them all, ranked).
    pub top: usize,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions { period: Period::CurrentBillingPeriod, top: DEFAULT_TOP }
    }
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

// ---------------------------------------------------------------------------------------------
// The report.
// ---------------------------------------------------------------------------------------------

/// The period a report covers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodInfo {
    /// `current_billing_period` or `range`.
    pub kind: &'static str,
    /// Start of the requested range (none for the current billing period).
    pub start: Option<DateTime<FixedOffset>>,
    /// End of the requested range (none: now, or the current billing period).
    pub end: Option<DateTime<FixedOffset>>,
    /// Start of the billing period, as `GET /usage` reports it.
    pub billing_period_start: Option<DateTime<FixedOffset>>,
    /// End of the billing period, as `GET /usage` reports it.
    pub billing_period_end: Option<DateTime<FixedOffset>>,
}

impl PeriodInfo {
    /// The start and end of what the units listings cover: the requested range (a range open
    /// to now ends at `now`), or the billing period `GET /usage` reports.
    pub fn covered(&self, now: DateTime<Utc>) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
        let utc = |t: Option<DateTime<FixedOffset>>| t.map(|t| t.with_timezone(&Utc));
        match self.start {
            Some(start) => (Some(start.with_timezone(&Utc)), Some(utc(self.end).unwrap_or(now))),
            None => (utc(self.billing_period_start), utc(self.billing_period_end)),
        }
    }
}

/// Units of one kind in the billing period, against what the contract includes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitSummary {
    /// Used so far.
    pub used: Option<i64>,
    /// Expected by the end of the period.
    pub projected: Option<i64>,
    /// Expected in the next period.
    pub next_billing_period: Option<i64>,
    /// Included in the contract each month; the API reports none for enterprise units.
    pub included: Option<i64>,
    /// `used` as a percentage of `included`; none when either is unknown or nothing is included.
    pub used_percent: Option<f64>,
    /// `projected` as a percentage of `included`, likewise.
    pub projected_percent: Option<f64>,
}

/// The unit quota of one organization (`GET /quotas`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrganizationQuotaLine {
    /// The organization.
    pub org_id: Option<String>,
    /// The quota, in units.
    pub quota: i64,
    /// How many account groups of the organization have a quota of their own.
    pub account_group_quota_count: usize,
    /// Cloud plus enterprise units used in the billing period (`GET /usage`); only when the
    /// quotas list exactly one organization, since `GET /usage` does not say which it covers.
    pub used: Option<i64>,
    /// `used` as a percentage of `quota`.
    pub used_percent: Option<f64>,
    /// True when `used` is above `quota`.
    pub over_quota: bool,
}

/// Units used by the tests of one account group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountGroupLine {
    /// The account group's id.
    pub aid: Option<String>,
    /// The account group's name.
    pub name: Option<String>,
    /// How many tests it owns.
    pub test_count: usize,
    /// Cloud units its tests used.
    pub cloud_units_used: i64,
    /// Enterprise units its tests used.
    pub enterprise_units_used: i64,
    /// Cloud plus enterprise units.
    pub units_used: i64,
    /// Its unit quota (`GET /quotas`), if it has one.
    pub quota: Option<i64>,
    /// `units_used` as a percentage of `quota`.
    pub quota_percent: Option<f64>,
    /// True when `units_used` is above `quota`.
    pub over_quota: bool,
    /// How many enterprise agents it used in the billing period (`GET /usage`,
    /// `expand=enterprise-agent`).
    pub enterprise_agent_count: Option<i64>,
}

/// One test of the units listing, ranked by units used.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestLine {
    /// Rank by `units_used`, from 1.
    pub rank: usize,
    /// The test's id.
    pub test_id: Option<String>,
    /// The test's name.
    pub name: Option<String>,
    /// The display name of its type.
    pub test_type: Option<String>,
    /// The owning account group's id.
    pub aid: Option<String>,
    /// The owning account group's name.
    pub account_group: Option<String>,
    /// True for an instant test.
    pub instant: Option<bool>,
    /// Cloud units used.
    pub cloud_units_used: Option<i64>,
    /// Cloud units expected by the end of the period.
    pub cloud_units_projected: Option<i64>,
    /// Enterprise units used.
    pub enterprise_units_used: Option<i64>,
    /// Enterprise units expected by the end of the period.
    pub enterprise_units_projected: Option<i64>,
    /// Cloud plus enterprise units used (absent counts as zero).
    pub units_used: i64,
}

/// What one account group's tests used on an agent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgentShare {
    /// The account group's id.
    pub aid: Option<String>,
    /// The account group's name.
    pub account_group: Option<String>,
    /// Enterprise units its tests used on the agent.
    pub enterprise_units_used: Option<i64>,
}

/// Enterprise units of one agent: the listing's per-account-group entries added up.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgentLine {
    /// The agent's id (absent when the API does not know it).
    pub agent_id: Option<String>,
    /// The agent's name.
    pub agent_name: Option<String>,
    /// The account group `GET /usage` books the agent's units to (its primary one).
    pub primary_account_group: Option<String>,
    /// The account groups whose tests ran on it.
    pub shares: Vec<AgentShare>,
    /// Enterprise units used on it, all account groups.
    pub enterprise_units_used: i64,
    /// Enterprise units expected by the end of the period; none when no entry said.
    pub enterprise_units_projected: Option<i64>,
}

/// Totals over the listings: they add up the lines of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// How many tests the test units listing has.
    pub test_count: usize,
    /// How many of those are instant tests.
    pub instant_test_count: usize,
    /// Cloud units, summed over the tests.
    pub cloud_units_used: i64,
    /// Enterprise units, summed over the tests.
    pub enterprise_units_used: i64,
    /// Cloud plus enterprise units, summed over the tests.
    pub units_used: i64,
    /// How many distinct agents the enterprise agent units listing has.
    pub agent_count: usize,
    /// How many entries that listing has (one per agent and account group).
    pub agent_entry_count: usize,
    /// Enterprise units, summed over the agent listing.
    pub agent_enterprise_units_used: i64,
    /// How many account groups own tests.
    pub account_group_count: usize,
}

/// What fetching the report took, from the client's own counters ([`Client::stats`]).
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
    /// Time spent building the report, in milliseconds (of tokio's clock: virtual time when it
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

/// The usage report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// When the report was made.
    pub generated_at: DateTime<Utc>,
    /// The API's base URL.
    pub source: String,
    /// The period covered.
    pub period: PeriodInfo,
    /// Cloud units in the billing period.
    pub cloud: UnitSummary,
    /// Enterprise units in the billing period.
    pub enterprise: UnitSummary,
    /// Organization quotas.
    pub organization_quotas: Vec<OrganizationQuotaLine>,
    /// Units by account group, most first.
    pub account_groups: Vec<AccountGroupLine>,
    /// How many tests the table shows.
    pub top_n: usize,
    /// Every test, most units first.
    pub tests: Vec<TestLine>,
    /// Every enterprise agent, most units first.
    pub agents: Vec<AgentLine>,
    /// Totals over the listings.
    pub totals: Totals,
    /// What fetching took.
    pub stats: FetchStats,
    /// Things the reader should know (a part the API would not give, say).
    pub notes: Vec<String>,
}

impl Report {
    /// The first [`top_n`](Self::top_n) tests.
    pub fn top_tests(&self) -> &[TestLine] {
        &self.tests[..self.top_n.min(self.tests.len())]
    }
}

/// `part` as a percentage of `whole`; none when either is unknown or `whole` is not positive.
///
/// ```
/// use thousandeyes_usage_tests::report::percent_of;
/// assert_eq!(percent_of(Some(50), Some(200)), Some(25.0));
/// assert_eq!(percent_of(Some(50), Some(0)), None);
/// assert_eq!(percent_of(Some(50), None), None);
/// ```
pub fn percent_of(part: Option<i64>, whole: Option<i64>) -> Option<f64> {
    let (part, whole) = (part?, whole?);
    if whole <= 0 {
        return None;
    }
    let raw = part as f64 * 100.0 / whole as f64;
    Some((raw * 100.0).round() / 100.0)
}

/// Fetches everything the report needs and builds it; `progress` is called after every listing
/// page. Retries and waits are read from the client's [`Client::stats`] before and after.
///
/// The four calls (`GET /usage`, `GET /quotas` and the two listings, each listing a page at a
/// time with the next page prefetched) go out together, on this task, through `client` and its
/// clones: they share its connection pool and its pacing, so together they stay inside the
/// organization's rate limit as one caller would, and a 429 holds them all. The report takes about
/// as long as its longest listing instead of the sum of its calls. The first error ends the
/// report, dropping the calls still in flight; a listing's invalid range is found before anything
/// is sent. The retries counted are this report's if the client is not used elsewhere meanwhile.
pub async fn build_report(
    client: &Client,
    options: &ReportOptions,
    progress: &mut (dyn FnMut(&Progress) + Send),
) -> Result<Report, Error> {
    let started = Instant::now();
    let before = client.stats();
    // The two listings report progress from the same task, one page at a time.
    let progress = Mutex::new(progress);
    let report_progress = |p: &Progress| (progress.lock().unwrap_or_else(|e| e.into_inner()))(p);

    let mut tests_request = client.test_units();
    let mut agents_request = client.agent_units();
    if let Period::Range { start, end } = options.period {
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
            // A user may view usage without being allowed to see quotas: report without them.
            Err(Error::Api(api)) if matches!(api.status(), 403 | 404) => {
                Ok((Vec::new(), Some(format!("quotas not shown: {api}"))))
            }
            Err(e) => Err(e),
        }
    };
    // The listings come first: `try_join!` polls in order and returns at the first error, so a
    // range the builders refuse ends the report before the other calls are sent.
    let ((tests, test_pages), (agent_units, agent_pages), usage, (quotas, quota_note)) = futures::try_join!(
        walk(tests_request.pages(), Listing::TestUnits, &report_progress),
        walk(agents_request.pages(), Listing::AgentUnits, &report_progress),
        usage,
        quotas,
    )?;
    let notes = quota_note.into_iter().collect();

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
    Ok(assemble(client.base_url(), options, &usage, &quotas, tests, agent_units, stats, notes))
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

/// Builds the report from what the API answered.
#[allow(clippy::too_many_arguments)]
fn assemble(
    source: &str,
    options: &ReportOptions,
    usage: &Usage,
    quotas: &[Quota],
    tests: Vec<TestUnits>,
    agent_units: Vec<AgentUnits>,
    stats: FetchStats,
    notes: Vec<String>,
) -> Report {
    let quota = usage.quota.as_ref();
    let period = match options.period {
        Period::CurrentBillingPeriod => PeriodInfo {
            kind: "current_billing_period",
            start: None,
            end: None,
            billing_period_start: quota.and_then(|q| q.month_start),
            billing_period_end: quota.and_then(|q| q.month_end),
        },
        Period::Range { start, end } => PeriodInfo {
            kind: "range",
            start: Some(start),
            end,
            billing_period_start: quota.and_then(|q| q.month_start),
            billing_period_end: quota.and_then(|q| q.month_end),
        },
    };
    let summary =
        |used: Option<i64>, projected: Option<i64>, next: Option<i64>, included: Option<i64>| UnitSummary {
            used,
            projected,
            next_billing_period: next,
            included,
            used_percent: percent_of(used, included),
            projected_percent: percent_of(projected, included),
        };
    let cloud = summary(
        usage.cloud_units_used,
        usage.cloud_units_projected,
        usage.cloud_units_next_billing_period,
        quota.and_then(|q| q.cloud_units_included),
    );
    // The API states no enterprise unit allowance: they are billed as used.
    let enterprise = summary(
        usage.enterprise_units_used,
        usage.enterprise_units_projected,
        usage.enterprise_units_next_billing_period,
        None,
    );

    let org_used = match (usage.cloud_units_used, usage.enterprise_units_used) {
        (None, None) => None,
        (c, e) => Some(c.unwrap_or(0).saturating_add(e.unwrap_or(0))),
    };
    let organization_quotas = quotas
        .iter()
        .filter_map(|q| {
            let org = q.organization_quota.as_ref()?;
            let used = if quotas.len() == 1 { org_used } else { None };
            Some(OrganizationQuotaLine {
                org_id: org.org_id.clone(),
                quota: org.value,
                account_group_quota_count: q.account_group_quotas.as_ref().map_or(0, Vec::len),
                used,
                used_percent: percent_of(used, Some(org.value)),
                over_quota: used.is_some_and(|u| u > org.value),
            })
        })
        .collect();

    let mut ranked: Vec<TestLine> = tests
        .into_iter()
        .map(|t| TestLine {
            rank: 0,
            units_used: t.cloud_units_used.unwrap_or(0).saturating_add(t.enterprise_units_used.unwrap_or(0)),
            test_id: t.test_id,
            name: t.test_name,
            test_type: t.test_type,
            aid: t.aid,
            account_group: t.account_group_name,
            instant: t.is_instant_test,
            cloud_units_used: t.cloud_units_used,
            cloud_units_projected: t.cloud_units_projected,
            enterprise_units_used: t.enterprise_units_used,
            enterprise_units_projected: t.enterprise_units_projected,
        })
        .collect();
    ranked.sort_by(|a, b| {
        b.units_used
            .cmp(&a.units_used)
            .then_with(|| b.cloud_units_used.cmp(&a.cloud_units_used))
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| a.test_id.cmp(&b.test_id))
    });
    for (i, t) in ranked.iter_mut().enumerate() {
        t.rank = i + 1;
    }

    let account_groups = by_account_group(&ranked, quotas, usage);
    let agent_entries = agent_units.len();
    let agent_enterprise_units_used =
        agent_units.iter().fold(0i64, |sum, a| sum.saturating_add(a.enterprise_units_used.unwrap_or(0)));
    let agents = by_agent(agent_units, usage);

    let sum = |f: fn(&TestLine) -> Option<i64>| {
        ranked.iter().fold(0i64, |s, t| s.saturating_add(f(t).unwrap_or(0)))
    };
    let totals = Totals {
        test_count: ranked.len(),
        instant_test_count: ranked.iter().filter(|t| t.instant == Some(true)).count(),
        cloud_units_used: sum(|t| t.cloud_units_used),
        enterprise_units_used: sum(|t| t.enterprise_units_used),
        units_used: ranked.iter().fold(0i64, |s, t| s.saturating_add(t.units_used)),
        agent_count: agents.len(),
        agent_entry_count: agent_entries,
        agent_enterprise_units_used,
        account_group_count: account_groups.len(),
    };

    Report {
        generated_at: Utc::now(),
        source: source.to_string(),
        period,
        cloud,
        enterprise,
        organization_quotas,
        account_groups,
        top_n: options.top,
        tests: ranked,
        agents,
        totals,
        stats,
        notes,
    }
}

fn by_account_group(tests: &[TestLine], quotas: &[Quota], usage: &Usage) -> Vec<AccountGroupLine> {
    let mut groups: BTreeMap<Option<String>, AccountGroupLine> = BTreeMap::new();
    for t in tests {
        let line = groups.entry(t.aid.clone()).or_insert_with(|| AccountGroupLine {
            aid: t.aid.clone(),
            name: None,
            test_count: 0,
            cloud_units_used: 0,
            enterprise_units_used: 0,
            units_used: 0,
            quota: None,
            quota_percent: None,
            over_quota: false,
            enterprise_agent_count: None,
        });
        if line.name.is_none() {
            line.name.clone_from(&t.account_group);
        }
        line.test_count += 1;
        line.cloud_units_used = line.cloud_units_used.saturating_add(t.cloud_units_used.unwrap_or(0));
        line.enterprise_units_used =
            line.enterprise_units_used.saturating_add(t.enterprise_units_used.unwrap_or(0));
        line.units_used = line.units_used.saturating_add(t.units_used);
    }
    let mut lines: Vec<AccountGroupLine> = groups
        .into_values()
        .map(|mut line| {
            if let Some(aid) = line.aid.as_deref() {
                line.quota = quotas
                    .iter()
                    .flat_map(|q| q.account_group_quotas.iter().flatten())
                    .find(|g| g.aid.as_deref() == Some(aid))
                    .and_then(|g| g.value);
                line.enterprise_agent_count = usage
                    .enterprise_agents
                    .iter()
                    .flatten()
                    .find(|g| g.aid.as_deref() == Some(aid))
                    .and_then(|g| g.enterprise_agents_used);
            }
            line.quota_percent = percent_of(Some(line.units_used), line.quota);
            line.over_quota = line.quota.is_some_and(|q| line.units_used > q);
            line
        })
        .collect();
    lines.sort_by(|a, b| b.units_used.cmp(&a.units_used).then_with(|| a.aid.cmp(&b.aid)));
    lines
}

fn by_agent(entries: Vec<AgentUnits>, usage: &Usage) -> Vec<AgentLine> {
    // An agent is known by its id, else by its name.
    let mut agents: BTreeMap<(Option<String>, Option<String>), AgentLine> = BTreeMap::new();
    for e in entries {
        let key = match &e.agent_id {
            Some(id) => (Some(id.clone()), None),
            None => (None, e.agent_name.clone()),
        };
        let line = agents.entry(key).or_insert_with(|| AgentLine {
            agent_id: e.agent_id.clone(),
            agent_name: None,
            primary_account_group: None,
            shares: Vec::new(),
            enterprise_units_used: 0,
            enterprise_units_projected: None,
        });
        if line.agent_name.is_none() {
            line.agent_name.clone_from(&e.agent_name);
        }
        line.enterprise_units_used =
            line.enterprise_units_used.saturating_add(e.enterprise_units_used.unwrap_or(0));
        if let Some(p) = e.enterprise_units_projected {
            line.enterprise_units_projected =
                Some(line.enterprise_units_projected.unwrap_or(0).saturating_add(p));
        }
        line.shares.push(AgentShare {
            aid: e.aid,
            account_group: e.account_group_name,
            enterprise_units_used: e.enterprise_units_used,
        });
    }
    let mut lines: Vec<AgentLine> = agents
        .into_values()
        .map(|mut line| {
            line.primary_account_group = usage
                .enterprise_agent_units
                .iter()
                .flatten()
                .find(|u| match (&line.agent_id, &u.agent_id) {
                    (Some(a), Some(b)) => a == b,
                    (None, None) => line.agent_name.is_some() && line.agent_name == u.agent_name,
                    _ => false,
                })
                .and_then(|u| u.account_group_name.clone().or_else(|| u.aid.clone()));
            line.shares.sort_by_key(|s| std::cmp::Reverse(s.enterprise_units_used));
            line
        })
        .collect();
    lines.sort_by(|a, b| {
        b.enterprise_units_used
            .cmp(&a.enterprise_units_used)
            .then_with(|| a.agent_name.cmp(&b.agent_name))
            .then_with(|| a.agent_id.cmp(&b.agent_id))
    });
    lines
}

// ---------------------------------------------------------------------------------------------
// Renderers.
// ---------------------------------------------------------------------------------------------

/// `n` with thousands separators: `12,345,678`.
///
/// ```
/// assert_eq!(thousandeyes_usage_tests::report::format_units(-1234567), "-1,234,567");
/// ```
pub fn format_units(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn units(n: Option<i64>) -> String {
    n.map_or_else(|| "n/a".into(), format_units)
}

fn percent(p: Option<f64>) -> String {
    p.map_or_else(|| "n/a".into(), |p| format!("{p:.1} %"))
}

/// The "Over quota" cell: by how many units `used` is above `quota`, when it is.
fn over_quota(used: Option<i64>, quota: Option<i64>) -> String {
    match (used, quota) {
        (Some(used), Some(quota)) if used > quota => format!("OVER by {}", format_units(used - quota)),
        _ => String::new(),
    }
}

/// Server text made safe for a terminal: control and bidirectional-override characters become
/// `?`, and the text is cut to `max` characters (`…` marking the cut).
///
/// ```
/// use thousandeyes_usage_tests::report::terminal_safe;
/// assert_eq!(terminal_safe("a\u{1b}[2Jb", 80), "a?[2Jb");
/// assert_eq!(terminal_safe("abcdef", 4), "abc…");
/// ```
pub fn terminal_safe(text: &str, max: usize) -> String {
    let clean = text.chars().map(|c| {
        if c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}') {
            '?'
        } else {
            c
        }
    });
    if text.chars().count() <= max {
        clean.collect()
    } else {
        let mut cut: String = clean.take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

fn text(s: Option<&str>, max: usize) -> String {
    s.map_or_else(|| "-".into(), |s| terminal_safe(s, max))
}

fn time(t: Option<DateTime<FixedOffset>>) -> String {
    t.map_or_else(|| "?".into(), |t| t.with_timezone(&Utc).format("%Y-%m-%d %H:%M:%S UTC").to_string())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Right,
}

/// The look of the report's tables: no borders and a space between columns (two, with the
/// padding). The line of dashes under the header is the header's second line (see
/// [`Table::render`]), so that it spans each column's text and not its padding.
const TABLE_STYLE: TableStyle = TableStyle::new()
    .header_lines(ContentLineStyle::none().junction(' '))
    .content_lines(ContentLineStyle::none().junction(' '));

/// A table of aligned columns, indented by two spaces, on `comfy-table`.
struct Table {
    inner: comfy_table::Table,
    names: Vec<&'static str>,
}

impl Table {
    fn new(columns: &[(&'static str, Align)]) -> Self {
        let names: Vec<&'static str> = columns.iter().map(|(name, _)| *name).collect();
        let mut inner = comfy_table::Table::new();
        inner
            .load_style(TABLE_STYLE)
            // Never wrap: cells are already cut to size (`terminal_safe`), and a report piped to
            // a file keeps one line per row.
            .set_content_arrangement(ContentArrangement::Disabled)
            .set_header(names.clone());
        for (column, (_, align)) in inner.column_iter_mut().zip(columns) {
            column.set_padding((0, 1));
            column.set_cell_alignment(match align {
                Align::Left => CellAlignment::Left,
                Align::Right => CellAlignment::Right,
            });
        }
        Table { inner, names }
    }

    fn row(&mut self, cells: Vec<String>) {
        self.inner.add_row(cells);
    }

    fn render(mut self, out: &mut String) {
        // Underline each column name with dashes as wide as the column's widest text (its name
        // included), as comfy-table measures it.
        let widths = self.inner.column_max_content_widths();
        let header: Vec<String> = self
            .names
            .iter()
            .zip(widths)
            .map(|(name, width)| format!("{name}\n{}", "-".repeat(usize::from(width))))
            .collect();
        self.inner.set_header(header);
        for line in self.inner.lines() {
            let _ = writeln!(out, "  {}", line.trim_end());
        }
    }
}

/// The report as a human-readable text of aligned tables.
pub fn render_table(report: &Report) -> String {
    use Align::{Left, Right};
    let mut out = String::new();
    let p = &report.period;
    let billing = format!("{} to {}", time(p.billing_period_start), time(p.billing_period_end));
    let range = match (p.start, p.end) {
        (Some(s), Some(e)) => format!("{} to {}", time(Some(s)), time(Some(e))),
        (Some(s), None) => format!("{} to now", time(Some(s))),
        _ => format!("current billing period, {billing}"),
    };
    let _ = writeln!(out, "ThousandEyes usage report");
    let _ = writeln!(out, "  Source     {}", terminal_safe(&report.source, 200));
    let _ = writeln!(out, "  Period     {range}");
    if p.start.is_some() {
        let _ = writeln!(
            out,
            "             (units by test and agent; the billing period figures cover {billing})"
        );
    }
    let _ = writeln!(out, "  Generated  {}", report.generated_at.format("%Y-%m-%d %H:%M:%S UTC"));

    let _ = writeln!(out, "\nUnits in the billing period");
    let mut t = Table::new(&[
        ("Kind", Left),
        ("Used", Right),
        ("Projected", Right),
        ("Next period", Right),
        ("Included", Right),
        ("Used %", Right),
        ("Projected %", Right),
    ]);
    for (kind, s) in [("Cloud", &report.cloud), ("Enterprise", &report.enterprise)] {
        t.row(vec![
            kind.into(),
            units(s.used),
            units(s.projected),
            units(s.next_billing_period),
            units(s.included),
            percent(s.used_percent),
            percent(s.projected_percent),
        ]);
    }
    t.render(&mut out);

    if !report.organization_quotas.is_empty() {
        let _ = writeln!(out, "\nOrganization quotas");
        let mut t = Table::new(&[
            ("Organization", Left),
            ("Quota", Right),
            ("Used (cloud + enterprise)", Right),
            ("Used %", Right),
            ("Over quota", Left),
            ("Account group quotas", Right),
        ]);
        for q in &report.organization_quotas {
            t.row(vec![
                text(q.org_id.as_deref(), 20),
                format_units(q.quota),
                units(q.used),
                percent(q.used_percent),
                over_quota(q.used, Some(q.quota)),
                q.account_group_quota_count.to_string(),
            ]);
        }
        t.render(&mut out);
    }

    let _ = writeln!(out, "\nUnits by account group (owner of the tests)");
    let mut t = Table::new(&[
        ("Account group", Left),
        ("AID", Left),
        ("Tests", Right),
        ("Cloud", Right),
        ("Enterprise", Right),
        ("Total", Right),
        ("Quota", Right),
        ("% of quota", Right),
        ("Over quota", Left),
        ("Enterprise agents", Right),
    ]);
    for g in &report.account_groups {
        t.row(vec![
            text(g.name.as_deref(), 32),
            text(g.aid.as_deref(), 20),
            g.test_count.to_string(),
            format_units(g.cloud_units_used),
            format_units(g.enterprise_units_used),
            format_units(g.units_used),
            units(g.quota),
            percent(g.quota_percent),
            over_quota(Some(g.units_used), g.quota),
            g.enterprise_agent_count.map_or_else(|| "-".into(), |n| n.to_string()),
        ]);
    }
    t.render(&mut out);

    let top = report.top_tests();
    let _ = writeln!(out, "\nTop {} of {} tests by units used", top.len(), report.tests.len());
    let mut t = Table::new(&[
        ("#", Right),
        ("Test", Left),
        ("Type", Left),
        ("Account group", Left),
        ("Cloud", Right),
        ("Enterprise", Right),
        ("Total", Right),
    ]);
    for test in top {
        let mut name = text(test.name.as_deref(), 44);
        if test.instant == Some(true) {
            name.push_str(" (instant)");
        }
        t.row(vec![
            test.rank.to_string(),
            name,
            text(test.test_type.as_deref(), 20),
            text(test.account_group.as_deref().or(test.aid.as_deref()), 24),
            units(test.cloud_units_used),
            units(test.enterprise_units_used),
            format_units(test.units_used),
        ]);
    }
    t.render(&mut out);

    let _ = writeln!(
        out,
        "\nEnterprise agent units by agent ({} agents, {} agent/account group entries)",
        report.agents.len(),
        report.totals.agent_entry_count
    );
    let mut t = Table::new(&[
        ("Agent", Left),
        ("ID", Left),
        ("Primary account group", Left),
        ("Used by", Left),
        ("Units", Right),
        ("Projected", Right),
    ]);
    for a in &report.agents {
        let used_by: Vec<String> =
            a.shares.iter().map(|s| text(s.account_group.as_deref().or(s.aid.as_deref()), 24)).collect();
        t.row(vec![
            text(a.agent_name.as_deref(), 32),
            text(a.agent_id.as_deref(), 20),
            text(a.primary_account_group.as_deref(), 24),
            terminal_safe(&used_by.join(", "), 48),
            format_units(a.enterprise_units_used),
            units(a.enterprise_units_projected),
        ]);
    }
    t.render(&mut out);

    let totals = &report.totals;
    let check = |listed: i64, reported: Option<i64>| match (p.kind, reported) {
        ("current_billing_period", Some(r)) if r == listed => " (matches GET /usage)".to_string(),
        ("current_billing_period", Some(r)) => {
            format!(" (GET /usage reports {}, a difference of {})", format_units(r), format_units(r - listed))
        }
        _ => String::new(),
    };
    let _ = writeln!(out, "\nTotals");
    let _ = writeln!(
        out,
        "  Tests              {} ({} instant) in {} account groups",
        totals.test_count, totals.instant_test_count, totals.account_group_count
    );
    let _ = writeln!(
        out,
        "  Cloud units        {}{}",
        format_units(totals.cloud_units_used),
        check(totals.cloud_units_used, report.cloud.used)
    );
    let _ = writeln!(
        out,
        "  Enterprise units   {} by test, {} by agent{}",
        format_units(totals.enterprise_units_used),
        format_units(totals.agent_enterprise_units_used),
        check(totals.enterprise_units_used, report.enterprise.used)
    );
    let _ = writeln!(out, "  All units          {}", format_units(totals.units_used));
    let _ =
        writeln!(out, "  Enterprise agents  {} ({} entries)", totals.agent_count, totals.agent_entry_count);
    for line in over_quota_lines(report) {
        let _ = writeln!(out, "  Over quota         {line}");
    }
    for note in &report.notes {
        let _ = writeln!(out, "\nNote: {}", terminal_safe(note, 400));
    }
    out
}

/// One sentence per organization and account group above its quota, most over first.
///
/// ```
/// # async fn f(report: thousandeyes_usage_tests::report::Report) {
/// for line in thousandeyes_usage_tests::report::over_quota_lines(&report) {
///     eprintln!("over quota: {line}");
/// }
/// # }
/// ```
pub fn over_quota_lines(report: &Report) -> Vec<String> {
    let organizations = report.organization_quotas.iter().filter(|q| q.over_quota).map(|q| {
        let who = format!("organization {}", text(q.org_id.as_deref(), 20));
        (who, q.used.unwrap_or(0), q.quota, q.used_percent)
    });
    let groups = report.account_groups.iter().filter(|g| g.over_quota).map(|g| {
        let who = format!("{} ({})", text(g.name.as_deref(), 32), text(g.aid.as_deref(), 20));
        (who, g.units_used, g.quota.unwrap_or(0), g.quota_percent)
    });
    let mut over: Vec<_> = organizations.chain(groups).collect();
    over.sort_by(|a, b| b.3.partial_cmp(&a.3).unwrap_or(std::cmp::Ordering::Equal));
    over.into_iter()
        .map(|(who, used, quota, pct)| {
            format!(
                "{who}: {} units used of a {} quota ({}), {} over",
                format_units(used),
                format_units(quota),
                percent(pct),
                format_units(used - quota)
            )
        })
        .collect()
}

/// The report as one JSON document.
pub fn render_json(report: &Report) -> Result<String, serde_json::Error> {
    let mut s = serde_json::to_string_pretty(report)?;
    s.push('\n');
    Ok(s)
}

/// The header line of [`render_csv`].
/// `period_start` and `period_end` are the period the row's units cover (RFC 3339, UTC): the
/// requested range, or the current billing period as `GET /usage` reports it. A range open to
/// now ends at the report's `generated_at`.
pub const CSV_HEADER: &str = "period_start,period_end,rank,test_id,test_name,test_type,aid,account_group,\
    instant_test,cloud_units_used,cloud_units_projected,enterprise_units_used,enterprise_units_projected,\
    units_used";

/// A text field of a CSV row, with a leading `'` when it would otherwise start like a
/// spreadsheet formula (`=`, `+`, `-`, `@`, a tab or a carriage return). Quoting is the CSV
/// writer's.
fn csv_text(s: Option<&str>) -> String {
    let Some(s) = s else { return String::new() };
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

fn csv_number(n: Option<i64>) -> String {
    n.map(|n| n.to_string()).unwrap_or_default()
}

/// Rows as CSV (RFC 4180: fields quoted when they hold a comma, a quote or a line break), each
/// line ending in `\n`.
fn csv_document<const N: usize>(rows: impl IntoIterator<Item = [String; N]>) -> String {
    let mut writer = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
    for row in rows {
        // Writing to memory cannot fail, and every row has the same number of fields.
        writer.write_record(&row).expect("a CSV row written to memory");
    }
    let bytes = writer.into_inner().expect("a CSV writer flushed to memory");
    // Every field was a Rust string, and the writer adds only ASCII.
    String::from_utf8(bytes).expect("UTF-8 CSV")
}

/// Every test of the report as CSV (written by the `csv` crate): [`CSV_HEADER`], then one row per
/// test, most units first.
pub fn render_csv(report: &Report) -> String {
    let header: [String; 14] = CSV_HEADER
        .split(',')
        .map(str::to_string)
        .collect::<Vec<_>>()
        .try_into()
        .unwrap_or_else(|_| unreachable!("CSV_HEADER names 14 columns"));
    let (start, end) = report.period.covered(report.generated_at);
    let csv_time = |t: Option<DateTime<Utc>>| {
        t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)).unwrap_or_default()
    };
    let (start, end) = (csv_time(start), csv_time(end));
    let rows = report.tests.iter().map(|t| {
        [
            start.clone(),
            end.clone(),
            t.rank.to_string(),
            csv_text(t.test_id.as_deref()),
            csv_text(t.name.as_deref()),
            csv_text(t.test_type.as_deref()),
            csv_text(t.aid.as_deref()),
            csv_text(t.account_group.as_deref()),
            t.instant.map(|b| b.to_string()).unwrap_or_default(),
            csv_number(t.cloud_units_used),
            csv_number(t.cloud_units_projected),
            csv_number(t.enterprise_units_used),
            csv_number(t.enterprise_units_projected),
            t.units_used.to_string(),
        ]
    });
    csv_document(std::iter::once(header).chain(rows))
}

/// What fetching took, for stderr: pages and calls, requests sent and why some were sent again,
/// and the waits by reason (added up over calls that waited at the same time, which the text
/// says, since that sum can exceed the time elapsed).
pub fn render_stats(report: &Report) -> String {
    let s = &report.stats;
    let mut out = format!(
        "Fetched {} pages ({}: {}, {}: {}) and {} other calls (GET /usage, GET /quotas) in {:.2} s.\n",
        s.page_count,
        Listing::TestUnits.label(),
        s.test_page_count,
        Listing::AgentUnits.label(),
        s.agent_page_count,
        s.other_request_count,
        s.elapsed_ms as f64 / 1000.0
    );
    let first_tries = s.request_count.saturating_sub(s.retry_count);
    let _ = write!(out, "Requests sent: {} ({first_tries} first tries", s.request_count);
    if s.retry_count > 0 {
        let after_429 = s.rate_limited_count.min(s.retry_count);
        let _ = write!(out, ", {} sent again: {after_429} after a 429 Too Many Requests", s.retry_count);
        if s.retry_count > after_429 {
            let _ = write!(out, ", {} after a transient failure", s.retry_count - after_429);
        }
    }
    out.push_str(").\n");
    let waits: Vec<String> = s
        .waits
        .by_reason()
        .iter()
        .filter(|(_, w)| w.call_count > 0)
        .map(|(why, w)| {
            let calls = if w.call_count == 1 { "call" } else { "calls" };
            format!("{} {calls} waited {why}, {:.2} s", w.call_count, w.total_ms as f64 / 1000.0)
        })
        .collect();
    if waits.is_empty() {
        out.push_str("Waits: none.");
    } else {
        let _ = write!(
            out,
            "Waits: {}. Each call's wait is counted; calls in flight together wait at the same time, so \
             their sum can exceed the time elapsed.",
            waits.join("; ")
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_text(Some("plain")), "plain");
        assert_eq!(csv_text(Some("=HYPERLINK(1)")), "'=HYPERLINK(1)");
        assert_eq!(csv_text(Some("-1")), "'-1");
        assert_eq!(csv_text(None), "");
        let fields = ["plain", "a, b", "say \"hi\"", "two\nlines", ""].map(|f| csv_text(Some(f)));
        assert_eq!(csv_document([fields]), "plain,\"a, b\",\"say \"\"hi\"\"\",\"two\nlines\",\n");
        assert_eq!(csv_document::<2>([]), "");
    }

    #[test]
    fn periods_from_arguments() {
        assert!(Period::from_args(Some("2024-05-02T00:00:00Z"), Some("2024-05-01T00:00:00Z")).is_err());
        let p = Period::from_args(Some("2024-05-01T00:00:00+02:00"), Some("2024-05-02T00:00:00Z"));
        assert!(matches!(p, Ok(Period::Range { end: Some(_), .. })), "{p:?}");
    }

    #[test]
    fn tables_align_columns() {
        let mut t = Table::new(&[("Name", Align::Left), ("Units", Align::Right)]);
        t.row(vec!["a".into(), "1,000".into()]);
        t.row(vec!["longer".into(), "7".into()]);
        let mut out = String::new();
        t.render(&mut out);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines, ["  Name    Units", "  ------  -----", "  a       1,000", "  longer      7"]);

        // Wide characters count twice; an empty table is its header.
        let mut t = Table::new(&[("Name", Align::Left), ("N", Align::Right)]);
        t.row(vec!["東京".into(), "12".into()]);
        let mut out = String::new();
        t.render(&mut out);
        assert_eq!(out, "  Name   N\n  ----  --\n  東京  12\n");
        let mut out = String::new();
        Table::new(&[("Kind", Align::Left), ("Used", Align::Right)]).render(&mut out);
        assert_eq!(out, "  Kind  Used\n  ----  ----\n");
    }
}
