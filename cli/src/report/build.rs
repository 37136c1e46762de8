//! The usage report, built from what the API answered ([`Report::build`]): what the
//! organization used and will use against what its contract includes and its quotas, units by
//! account group (by test owner) with their quotas, every test and enterprise agent ranked, and
//! totals that add up.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, Utc};
use serde::Serialize;
use thousandeyes_usage::models::{
    EnterpriseAgentUnitsByTestOwnerAccountGroup as AgentUnits, Quota, UsageDetails,
};
use thousandeyes_usage::rollup;

use crate::fetch::{FetchStats, Fetched, Period};
use crate::figures::{month_to_date, percent_of, range_words};

/// How many tests the top list shows when not told otherwise.
pub const DEFAULT_TOP: usize = 10;

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
    /// The period of `period`, with the billing period `usage` reports.
    pub fn of(period: Period, usage: &UsageDetails) -> PeriodInfo {
        let quota = usage.quota.as_ref();
        let (kind, start, end) = match period {
            Period::CurrentBillingPeriod => ("current_billing_period", None, None),
            Period::Range { start, end } => ("range", Some(start), end),
        };
        PeriodInfo {
            kind,
            start,
            end,
            billing_period_start: quota.and_then(|q| q.month_start),
            billing_period_end: quota.and_then(|q| q.month_end),
        }
    }

    /// The start and end of what the units listings cover: the requested range (a range open
    /// to now ends at `now`), or the billing period `GET /usage` reports.
    pub fn covered(&self, now: DateTime<Utc>) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
        let utc = |t: Option<DateTime<FixedOffset>>| t.map(|t| t.with_timezone(&Utc));
        match self.start {
            Some(start) => (Some(start.with_timezone(&Utc)), Some(utc(self.end).unwrap_or(now))),
            None => (utc(self.billing_period_start), utc(self.billing_period_end)),
        }
    }

    /// What the units listings cover, in words: `month to date, 1–6 Dec`, or the requested
    /// range's dates.
    pub fn listings_words(&self, now: DateTime<Utc>) -> String {
        let utc = |t: Option<DateTime<FixedOffset>>| t.map(|t| t.with_timezone(&Utc));
        match self.start {
            Some(start) => range_words(start.with_timezone(&Utc), utc(self.end), now),
            None => self.billing_words(now),
        }
    }

    /// What `GET /usage`'s figures cover, in words: `month to date, 1–6 Dec` (the billing period
    /// so far, whatever range the listings cover).
    pub fn billing_words(&self, now: DateTime<Utc>) -> String {
        let utc = |t: Option<DateTime<FixedOffset>>| t.map(|t| t.with_timezone(&Utc));
        month_to_date(utc(self.billing_period_start), utc(self.billing_period_end), now)
            .unwrap_or_else(|| "the current billing period".into())
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

impl UnitSummary {
    fn new(used: Option<i64>, projected: Option<i64>, next: Option<i64>, included: Option<i64>) -> Self {
        UnitSummary {
            used,
            projected,
            next_billing_period: next,
            included,
            used_percent: percent_of(used, included),
            projected_percent: percent_of(projected, included),
        }
    }
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

/// Units used by the tests of one account group (by test owner).
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
    /// The account group `GET /usage` books the agent's units to: its home (primary) group.
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

/// The usage report.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Report {
    /// When the report was made (when fetching ended).
    pub generated_at: DateTime<Utc>,
    /// The API's base URL.
    pub source: String,
    /// True on `--demo`'s sample data.
    pub demo: bool,
    /// The period covered.
    pub period: PeriodInfo,
    /// Cloud units in the billing period.
    pub cloud: UnitSummary,
    /// Enterprise units in the billing period.
    pub enterprise: UnitSummary,
    /// Organization quotas.
    pub organization_quotas: Vec<OrganizationQuotaLine>,
    /// Units by account group (by test owner), most first.
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
    /// The report on `fetched`, its table showing the `top` tests; `demo` marks sample data.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use thousandeyes_usage_cli::fetch::{fetch, Period};
    /// use thousandeyes_usage_cli::report::Report;
    ///
    /// let demo = thousandeyes_usage_fake::FakeUsageApi::start().await;
    /// let client = thousandeyes_usage::Client::builder()
    ///     .token(demo.token())
    ///     .base_url(demo.base_url())
    ///     .build()
    ///     .expect("client");
    /// let fetched = fetch(&client, Period::CurrentBillingPeriod, &mut |_| {}).await.expect("fetched");
    /// let report = Report::build(fetched, 5, true);
    /// assert_eq!(report.totals.cloud_units_used, demo.expected_totals().cloud_units_used);
    /// assert_eq!(report.top_tests().len(), 5);
    /// # }
    /// ```
    pub fn build(fetched: Fetched, top: usize, demo: bool) -> Report {
        let Fetched { fetched_at, source, period, usage, quotas, tests, agents, stats, notes, .. } = fetched;
        let quota = usage.quota.as_ref();
        let cloud = UnitSummary::new(
            usage.cloud_units_used,
            usage.cloud_units_projected,
            usage.cloud_units_next_billing_period,
            quota.and_then(|q| q.cloud_units_included),
        );
        // The API states no enterprise unit allowance: they are billed as used.
        let enterprise = UnitSummary::new(
            usage.enterprise_units_used,
            usage.enterprise_units_projected,
            usage.enterprise_units_next_billing_period,
            None,
        );
        let account_groups = by_account_group(&tests, &quotas, &usage);
        let ranked = rank(tests);
        let agent_entry_count = agents.len();
        let agent_enterprise_units_used =
            agents.iter().fold(0i64, |sum, a| sum.saturating_add(a.enterprise_units_used.unwrap_or(0)));
        let agents = by_agent(agents, &usage);
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
            agent_entry_count,
            agent_enterprise_units_used,
            account_group_count: account_groups.iter().filter(|g| g.aid.is_some()).count(),
        };
        Report {
            generated_at: fetched_at,
            source,
            demo,
            period: PeriodInfo::of(period, &usage),
            cloud,
            enterprise,
            organization_quotas: organization_quotas(&quotas, &usage),
            account_groups,
            top_n: top,
            tests: ranked,
            agents,
            totals,
            stats,
            notes,
        }
    }

    /// The first [`top_n`](Self::top_n) tests.
    pub fn top_tests(&self) -> &[TestLine] {
        &self.tests[..self.top_n.min(self.tests.len())]
    }
}

/// Each organization's quota against the organization's units in the billing period.
fn organization_quotas(quotas: &[Quota], usage: &UsageDetails) -> Vec<OrganizationQuotaLine> {
    let org_used = match (usage.cloud_units_used, usage.enterprise_units_used) {
        (None, None) => None,
        (c, e) => Some(c.unwrap_or(0).saturating_add(e.unwrap_or(0))),
    };
    quotas
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
        .collect()
}

/// Every test, most units first (cloud plus enterprise units used; ties by cloud units, name and
/// id), ranked from 1: the report's tests, and the exporter's `--per-test` series.
///
/// ```
/// use thousandeyes_usage::models::UnitsByTests;
/// use thousandeyes_usage_cli::report::rank;
///
/// let test = |id: &str, cloud: i64| UnitsByTests {
///     test_id: Some(id.into()),
///     cloud_units_used: Some(cloud),
///     ..Default::default()
/// };
/// let ranked = rank(vec![test("1", 10), test("2", 30)]);
/// assert_eq!((ranked[0].test_id.as_deref(), ranked[0].rank), (Some("2"), 1));
/// ```
pub fn rank(tests: Vec<thousandeyes_usage::models::UnitsByTests>) -> Vec<TestLine> {
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
    ranked
}

/// Units by test owner ([`rollup::units_by_test_owner`]), each group against its quota
/// ([`rollup::account_group_quota`]), most units first.
fn by_account_group(
    tests: &[thousandeyes_usage::models::UnitsByTests],
    quotas: &[Quota],
    usage: &UsageDetails,
) -> Vec<AccountGroupLine> {
    let mut lines: Vec<AccountGroupLine> = rollup::units_by_test_owner(tests)
        .into_iter()
        .map(|g| {
            let aid = g.aid.as_deref();
            let quota = aid.and_then(|aid| rollup::account_group_quota(quotas, aid));
            let units_used = g.units_used();
            AccountGroupLine {
                enterprise_agent_count: aid.and_then(|aid| {
                    usage
                        .enterprise_agents
                        .iter()
                        .flatten()
                        .find(|e| e.aid.as_deref() == Some(aid))
                        .and_then(|e| e.enterprise_agents_used)
                }),
                quota,
                quota_percent: percent_of(Some(units_used), quota),
                over_quota: quota.is_some_and(|q| units_used > q),
                test_count: g.test_count,
                cloud_units_used: g.cloud_units_used,
                enterprise_units_used: g.enterprise_units_used,
                units_used,
                aid: g.aid,
                name: g.name,
            }
        })
        .collect();
    lines.sort_by(|a, b| b.units_used.cmp(&a.units_used).then_with(|| a.aid.cmp(&b.aid)));
    lines
}

fn by_agent(entries: Vec<AgentUnits>, usage: &UsageDetails) -> Vec<AgentLine> {
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
