//! What one refresh leaves for the metrics: the figures of a [`Fetched`], added up by account
//! group with the facade's roll-ups, and the tests that use the most. The rest of the
//! [`Fetched`] (every test, every agent entry) is dropped with it, so the exporter holds one
//! snapshot an organization, whatever its size, between refreshes.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use thousandeyes_usage::rollup::{enterprise_units_by_agent_home_group, units_by_test_owner};

use crate::fetch::{FetchStats, Fetched};
use crate::report::{rank, TestLine};

/// How units are booked to account groups (the label `attribution`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Attribution {
    /// To the account group that owns the test (`/usage/units/*`): what its quota caps.
    TestOwner,
    /// To the account group the enterprise agent was created in (`GET /usage`).
    AgentHomeGroup,
}

impl Attribution {
    /// The label value: `test_owner`, `agent_home_group`.
    pub fn label(self) -> &'static str {
        match self {
            Attribution::TestOwner => "test_owner",
            Attribution::AgentHomeGroup => "agent_home_group",
        }
    }
}

/// A figure of one kind (the label `kind`), used and expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindFigures {
    /// The label value: `cloud`, `enterprise`, `connected_devices`, `endpoint`, ...
    pub kind: &'static str,
    /// Used in the billing period so far.
    pub used: Option<i64>,
    /// Expected by the end of the billing period.
    pub projected: Option<i64>,
    /// Expected in the next billing period.
    pub next_period: Option<i64>,
    /// What the contract includes each period.
    pub included: Option<i64>,
}

/// The units of one account group under one attribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupUnits {
    /// How they are booked.
    pub attribution: Attribution,
    /// The account group's id (empty when the API gave none).
    pub aid: String,
    /// Cloud units used; `None` under an attribution that does not book cloud units.
    pub cloud_used: Option<i64>,
    /// Cloud units expected by the end of the period.
    pub cloud_projected: Option<i64>,
    /// Enterprise units used.
    pub enterprise_used: i64,
    /// Enterprise units expected by the end of the period.
    pub enterprise_projected: i64,
}

/// The quota of an organization or an account group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaLine {
    /// The organization's id (`orgId`) or the account group's (`aid`); empty when not given.
    pub id: String,
    /// The quota, in units.
    pub units: i64,
}

/// What the metrics publish of one refresh.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// When the refresh ended.
    pub fetched_at: DateTime<Utc>,
    /// Start of the billing period, as `GET /usage` reports it.
    pub period_start: Option<DateTime<Utc>>,
    /// End of the billing period.
    pub period_end: Option<DateTime<Utc>>,
    /// Units by kind: cloud, enterprise, connected devices.
    pub units: Vec<KindFigures>,
    /// Agents by kind (endpoint, endpoint essentials, endpoint embedded, enterprise, connected
    /// devices): used, and included.
    pub agents: Vec<KindFigures>,
    /// The organizations' quotas (`GET /quotas`).
    pub organization_quotas: Vec<QuotaLine>,
    /// The account groups' quotas.
    pub account_group_quotas: Vec<QuotaLine>,
    /// Units per account group, under both attributions.
    pub groups: Vec<GroupUnits>,
    /// Account group names by id, from every answer that names one.
    pub group_names: BTreeMap<String, String>,
    /// The tests that use the most, most first (none without `--per-test`).
    pub top_tests: Vec<TestLine>,
    /// What fetching took.
    pub stats: FetchStats,
}

impl Snapshot {
    /// The snapshot of `fetched`, with the `per_test` tests that used the most units (ranked as
    /// the report ranks them), or none.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use thousandeyes_usage_cli::fetch::{fetch, Period};
    /// use thousandeyes_usage_cli::serve::snapshot::Snapshot;
    ///
    /// let demo = thousandeyes_usage_cli::session::demo_api().start().await;
    /// let client = thousandeyes_usage::Client::builder()
    ///     .token(demo.token())
    ///     .base_url(demo.base_url())
    ///     .build()
    ///     .expect("client");
    /// let fetched = fetch(&client, Period::CurrentBillingPeriod, &mut |_| {}).await.expect("fetched");
    /// let snapshot = Snapshot::of(&fetched, Some(3));
    /// assert_eq!(snapshot.units[0].used, Some(demo.expected_totals().cloud_units_used));
    /// assert_eq!(snapshot.top_tests.len(), 3);
    /// # }
    /// ```
    pub fn of(fetched: &Fetched, per_test: Option<usize>) -> Snapshot {
        let usage = &fetched.usage;
        let quota = usage.quota.as_ref();
        let utc = |t: Option<chrono::DateTime<chrono::FixedOffset>>| t.map(|t| t.with_timezone(&Utc));
        let included = |of: fn(&thousandeyes_usage::models::UsageQuota) -> Option<i64>| quota.and_then(of);
        let units = vec![
            KindFigures {
                kind: "cloud",
                used: usage.cloud_units_used,
                projected: usage.cloud_units_projected,
                next_period: usage.cloud_units_next_billing_period,
                included: included(|q| q.cloud_units_included),
            },
            KindFigures {
                kind: "enterprise",
                used: usage.enterprise_units_used,
                projected: usage.enterprise_units_projected,
                next_period: usage.enterprise_units_next_billing_period,
                included: None,
            },
            KindFigures {
                kind: "connected_devices",
                used: usage.connected_devices_units_used,
                projected: usage.connected_devices_units_projected,
                next_period: usage.connected_devices_units_next_billing_period,
                included: None,
            },
        ];
        let agent =
            |kind, used, included| KindFigures { kind, used, projected: None, next_period: None, included };
        let agents = vec![
            agent("endpoint", usage.endpoint_agents_used, included(|q| q.endpoint_agents_included)),
            agent(
                "endpoint_essentials",
                usage.endpoint_agents_essentials_used,
                included(|q| q.endpoint_agents_essentials_included),
            ),
            agent(
                "endpoint_embedded",
                usage.endpoint_agents_embedded_used,
                included(|q| q.endpoint_agents_embedded_included),
            ),
            agent("enterprise", usage.enterprise_agents_used, included(|q| q.enterprise_agents_included)),
            agent("connected_devices", None, included(|q| q.device_agents_included)),
        ];

        let organization_quotas = fetched
            .quotas
            .iter()
            .filter_map(|q| q.organization_quota.as_ref())
            .map(|o| QuotaLine { id: o.org_id.clone().unwrap_or_default(), units: o.value })
            .collect();
        let account_group_quotas = fetched
            .quotas
            .iter()
            .flat_map(|q| q.account_group_quotas.iter().flatten())
            .filter_map(|g| Some(QuotaLine { id: g.aid.clone().unwrap_or_default(), units: g.value? }))
            .collect();

        let mut groups: Vec<GroupUnits> = units_by_test_owner(&fetched.tests)
            .into_iter()
            .map(|g| GroupUnits {
                attribution: Attribution::TestOwner,
                aid: g.aid.unwrap_or_default(),
                cloud_used: Some(g.cloud_units_used),
                cloud_projected: Some(g.cloud_units_projected),
                enterprise_used: g.enterprise_units_used,
                enterprise_projected: g.enterprise_units_projected,
            })
            .collect();
        groups.extend(enterprise_units_by_agent_home_group(usage).unwrap_or_default().into_iter().map(|g| {
            GroupUnits {
                attribution: Attribution::AgentHomeGroup,
                aid: g.aid.unwrap_or_default(),
                cloud_used: None,
                cloud_projected: None,
                enterprise_used: g.enterprise_units_used,
                enterprise_projected: g.enterprise_units_projected,
            }
        }));

        let mut group_names = BTreeMap::new();
        let mut name = |aid: &Option<String>, name: &Option<String>| {
            if let (Some(aid), Some(name)) = (aid, name) {
                group_names.entry(aid.clone()).or_insert_with(|| name.clone());
            }
        };
        fetched.tests.iter().for_each(|t| name(&t.aid, &t.account_group_name));
        fetched.agents.iter().for_each(|a| name(&a.aid, &a.account_group_name));
        usage.enterprise_agent_units.iter().flatten().for_each(|a| name(&a.aid, &a.account_group_name));
        usage.enterprise_agents.iter().flatten().for_each(|a| name(&a.aid, &a.account_group_name));

        Snapshot {
            fetched_at: fetched.fetched_at,
            period_start: utc(quota.and_then(|q| q.month_start)),
            period_end: utc(quota.and_then(|q| q.month_end)),
            units,
            agents,
            organization_quotas,
            account_group_quotas,
            groups,
            group_names,
            top_tests: per_test
                .map(|n| rank(fetched.tests.clone()).into_iter().take(n).collect())
                .unwrap_or_default(),
            stats: fetched.stats.clone(),
        }
    }

    /// The name of account group `aid`, or an empty text when no answer named it.
    pub fn group_name(&self, aid: &str) -> &str {
        self.group_names.get(aid).map_or("", String::as_str)
    }
}
