//! The chargeback view (`te-usage report --by account-group`): one line per account group,
//! with both of the API's attributions of its units side by side, each named for what it is.
//!
//! * **By test owner** (`GET /usage/units/tests`): the units of the tests each account group
//!   owns, also those its tests used on enterprise agents shared from other groups. This is what
//!   an account group's quota is enforced on, so its quota stands beside it.
//! * **By agent's home group** (`GET /usage`'s `enterpriseAgentUnits`, by `aid`): every enterprise
//!   unit of an agent booked to the account group the agent was created in, whoever's tests ran
//!   on it. Cloud units have no home group.
//!
//! Both add up to the organization's enterprise units; group by group they differ, and a
//! billing job that sums the wrong one charges the wrong groups without anything warning of it.
//! The roll-ups are the facade's ([`thousandeyes_usage::rollup`]).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use thousandeyes_usage::rollup::{self, AccountGroupUnits};

use crate::fetch::Fetched;
use crate::figures::percent_of;
use crate::report::PeriodInfo;

/// What an attribution is, where its figures come from, and the period they cover.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttributionInfo {
    /// What it books units to, in a few words.
    pub meaning: &'static str,
    /// The API's operation and field its figures are summed from.
    pub source: &'static str,
    /// The period its figures cover, in words (`month to date, 1–6 Dec`).
    pub covers: String,
    /// Start of that period (RFC 3339, UTC).
    pub period_start: Option<DateTime<Utc>>,
    /// End of that period (a period open to now ends when fetching ended).
    pub period_end: Option<DateTime<Utc>>,
}

/// One account group, under both attributions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChargebackLine {
    /// The account group's id (none for units the API gave no account group for).
    pub aid: Option<String>,
    /// Its name.
    pub name: Option<String>,
    /// How many tests it owns.
    pub test_count: usize,
    /// Cloud units of its tests.
    pub cloud_units_by_test_owner: i64,
    /// Enterprise units of its tests, on any agent.
    pub enterprise_units_by_test_owner: i64,
    /// Cloud plus enterprise units of its tests.
    pub units_by_test_owner: i64,
    /// Its unit quota (`GET /quotas`), enforced on its units by test owner.
    pub quota: Option<i64>,
    /// `units_by_test_owner` as a percentage of `quota`.
    pub quota_percent: Option<f64>,
    /// True when `units_by_test_owner` is above `quota`.
    pub over_quota: bool,
    /// Enterprise units of the agents it is the home group of, whoever's tests ran on them.
    pub enterprise_units_by_agent_home_group: i64,
    /// How many agents it is the home group of (that used units).
    pub home_agent_count: usize,
}

/// The sums of the columns: each is its source's total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChargebackTotals {
    /// Tests, over all groups.
    pub test_count: usize,
    /// Cloud units by test owner: the test units listing's total.
    pub cloud_units_by_test_owner: i64,
    /// Enterprise units by test owner: the test units listing's total.
    pub enterprise_units_by_test_owner: i64,
    /// Cloud plus enterprise units by test owner.
    pub units_by_test_owner: i64,
    /// Enterprise units by the agents' home group: the total of `GET /usage`'s
    /// `enterpriseAgentUnits`.
    pub enterprise_units_by_agent_home_group: i64,
}

/// The chargeback view.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Chargeback {
    /// When fetching ended.
    pub generated_at: DateTime<Utc>,
    /// The API's base URL.
    pub source: String,
    /// True on `--demo`'s sample data.
    pub demo: bool,
    /// The period asked for, and the billing period.
    pub period: PeriodInfo,
    /// The "by test owner" columns: what they are, their source, their period.
    pub by_test_owner: AttributionInfo,
    /// The "by agent's home group" column, likewise.
    pub by_agent_home_group: AttributionInfo,
    /// One line per account group appearing under either attribution, most units by test owner
    /// first.
    pub account_groups: Vec<ChargebackLine>,
    /// The columns' sums.
    pub totals: ChargebackTotals,
    /// Things the reader should know.
    pub notes: Vec<String>,
}

/// What "by test owner" means, for the table, `--help` and the JSON.
pub const BY_TEST_OWNER: &str = "the account group that owns the test that used the units, also on an \
    agent shared from another group; what account group quotas are enforced on";

/// What "by agent's home group" means.
pub const BY_AGENT_HOME_GROUP: &str = "the account group an enterprise agent was created in (its primary \
    group), for all of the agent's units, whoever's tests used them";

impl Chargeback {
    /// The chargeback view of `fetched`; `demo` marks sample data.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use thousandeyes_usage_cli::fetch::{fetch, Period};
    /// use thousandeyes_usage_cli::report::Chargeback;
    ///
    /// let demo = thousandeyes_usage_fake::FakeUsageApi::start().await;
    /// let client = thousandeyes_usage::Client::builder()
    ///     .token(demo.token())
    ///     .base_url(demo.base_url())
    ///     .build()
    ///     .expect("client");
    /// let fetched = fetch(&client, Period::CurrentBillingPeriod, &mut |_| {}).await.expect("fetched");
    /// let view = Chargeback::build(&fetched, true);
    /// let expected = demo.expected_totals();
    /// assert_eq!(view.totals.enterprise_units_by_test_owner, expected.enterprise_units_used);
    /// assert_eq!(view.totals.enterprise_units_by_agent_home_group, expected.enterprise_units_used);
    /// # }
    /// ```
    pub fn build(fetched: &Fetched, demo: bool) -> Chargeback {
        let period = PeriodInfo::of(fetched.period, &fetched.usage);
        let now = fetched.fetched_at;
        let (owner_start, owner_end) = period.covered(now);
        let billing = PeriodInfo { start: None, end: None, ..period.clone() };
        let (home_start, home_end) = billing.covered(now);
        let by_test_owner = AttributionInfo {
            meaning: BY_TEST_OWNER,
            source: "GET /usage/units/tests, by each test's aid",
            covers: period.listings_words(now),
            period_start: owner_start,
            period_end: owner_end,
        };
        let by_agent_home_group = AttributionInfo {
            meaning: BY_AGENT_HOME_GROUP,
            source: "GET /usage's enterpriseAgentUnits, by each agent's aid",
            covers: period.billing_words(now),
            period_start: home_start,
            period_end: home_end,
        };

        let mut notes = fetched.notes.clone();
        let home = rollup::enterprise_units_by_agent_home_group(&fetched.usage).unwrap_or_else(|| {
            notes.push("GET /usage listed no enterpriseAgentUnits: no units by agent's home group".into());
            Vec::new()
        });
        let mut groups: BTreeMap<Option<String>, (Option<AccountGroupUnits>, Option<AccountGroupUnits>)> =
            BTreeMap::new();
        for g in rollup::units_by_test_owner(&fetched.tests) {
            let aid = g.aid.clone();
            groups.entry(aid).or_default().0 = Some(g);
        }
        for g in home {
            let aid = g.aid.clone();
            groups.entry(aid).or_default().1 = Some(g);
        }
        let mut account_groups: Vec<ChargebackLine> = groups
            .into_iter()
            .map(|(aid, (owner, home))| {
                let owner = owner.unwrap_or_default();
                let home = home.unwrap_or_default();
                let quota = aid.as_deref().and_then(|aid| rollup::account_group_quota(&fetched.quotas, aid));
                let units = owner.units_used();
                ChargebackLine {
                    name: owner.name.clone().or_else(|| home.name.clone()),
                    aid,
                    test_count: owner.test_count,
                    cloud_units_by_test_owner: owner.cloud_units_used,
                    enterprise_units_by_test_owner: owner.enterprise_units_used,
                    units_by_test_owner: units,
                    quota,
                    quota_percent: percent_of(Some(units), quota),
                    over_quota: quota.is_some_and(|q| units > q),
                    enterprise_units_by_agent_home_group: home.enterprise_units_used,
                    home_agent_count: home.agent_count,
                }
            })
            .collect();
        account_groups.sort_by(|a, b| {
            b.units_by_test_owner.cmp(&a.units_by_test_owner).then_with(|| a.aid.cmp(&b.aid))
        });
        let sum =
            |f: fn(&ChargebackLine) -> i64| account_groups.iter().fold(0i64, |s, g| s.saturating_add(f(g)));
        let totals = ChargebackTotals {
            test_count: account_groups.iter().map(|g| g.test_count).sum(),
            cloud_units_by_test_owner: sum(|g| g.cloud_units_by_test_owner),
            enterprise_units_by_test_owner: sum(|g| g.enterprise_units_by_test_owner),
            units_by_test_owner: sum(|g| g.units_by_test_owner),
            enterprise_units_by_agent_home_group: sum(|g| g.enterprise_units_by_agent_home_group),
        };
        Chargeback {
            generated_at: now,
            source: fetched.source.clone(),
            demo,
            period,
            by_test_owner,
            by_agent_home_group,
            account_groups,
            totals,
            notes,
        }
    }
}
