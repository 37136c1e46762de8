//! Roll-ups of the API's answers by account group: units per account group under each of the
//! API's two attributions, and the quota of one account group.
//!
//! The API books an enterprise agent's units to account groups in two ways, and both are
//! legitimate:
//!
//! * **by test owner** ([`units_by_test_owner`]): the units listings
//!   (`GET /usage/units/tests`, `GET /usage/units/enterprise-agents`) count every unit to the
//!   account group that owns the test that used it, also on an agent shared from another account
//!   group. This is what an account group's own tests cost, and what its quota caps: over its
//!   quota, the group can set up no new tests, and some of its tests may be disabled.
//! * **by the agent's home group** ([`enterprise_units_by_agent_home_group`]): `GET /usage`
//!   (`expand=enterprise-agent-unit`) books all of an agent's units to the account group the agent
//!   was created in (its primary account group), whoever's tests ran on it.
//!
//! Both add up to the same organization total, so a sum over the wrong one shows nothing amiss:
//! name the attribution wherever units are charged to account groups. Cloud units have no home
//! group (cloud agents belong to ThousandEyes): they are counted by test owner only.
//!
//! ```
//! use thousandeyes_usage::models::{EnterpriseAgentUnits, UnitsByTests, UsageDetails};
//! use thousandeyes_usage::rollup::{enterprise_units_by_agent_home_group, units_by_test_owner};
//!
//! // Payments (1236) runs a test on an agent that Network Operations (1234) created.
//! let tests = vec![UnitsByTests {
//!     aid: Some("1236".into()),
//!     account_group_name: Some("Payments".into()),
//!     cloud_units_used: Some(900),
//!     enterprise_units_used: Some(300),
//!     ..Default::default()
//! }];
//! let usage = UsageDetails {
//!     enterprise_agent_units: Some(vec![EnterpriseAgentUnits {
//!         aid: Some("1234".into()),
//!         agent_name: Some("ea-fra-dc1-01".into()),
//!         enterprise_units_used: Some(300),
//!         ..Default::default()
//!     }]),
//!     ..Default::default()
//! };
//! let by_owner = units_by_test_owner(&tests);
//! assert_eq!((by_owner[0].aid.as_deref(), by_owner[0].enterprise_units_used), (Some("1236"), 300));
//! let by_home = enterprise_units_by_agent_home_group(&usage).expect("expanded");
//! assert_eq!((by_home[0].aid.as_deref(), by_home[0].enterprise_units_used), (Some("1234"), 300));
//! ```

use std::collections::BTreeMap;

use crate::models::{EnterpriseAgentUnits, Quota, UnitsByTests, UsageDetails};

/// The units of one account group under one attribution, added up.
///
/// Fields the API left out count as zero; a projection it left out counts as what was used (a
/// test cannot end the period below what it has used). Sums saturate at `i64::MAX` rather than
/// overflow.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccountGroupUnits {
    /// The account group's id (`aid`); `None` for units the API gave no account group for.
    pub aid: Option<String>,
    /// The account group's name, as the first entry that named it said.
    pub name: Option<String>,
    /// Cloud units used (by test owner only: cloud agents have no home group).
    pub cloud_units_used: i64,
    /// Cloud units expected by the end of the period.
    pub cloud_units_projected: i64,
    /// Enterprise agent units used.
    pub enterprise_units_used: i64,
    /// Enterprise agent units expected by the end of the period.
    pub enterprise_units_projected: i64,
    /// How many tests were added up (by test owner; zero by the agent's home group).
    pub test_count: usize,
    /// How many agents were added up (by the agent's home group; zero by test owner).
    pub agent_count: usize,
}

impl AccountGroupUnits {
    /// Cloud plus enterprise units used.
    ///
    /// ```
    /// use thousandeyes_usage::models::UnitsByTests;
    /// use thousandeyes_usage::rollup::units_by_test_owner;
    ///
    /// let test = UnitsByTests {
    ///     aid: Some("1234".into()),
    ///     cloud_units_used: Some(10),
    ///     enterprise_units_used: Some(5),
    ///     ..Default::default()
    /// };
    /// assert_eq!(units_by_test_owner([&test])[0].units_used(), 15);
    /// ```
    pub fn units_used(&self) -> i64 {
        self.cloud_units_used.saturating_add(self.enterprise_units_used)
    }

    /// Cloud plus enterprise units expected by the end of the period.
    ///
    /// ```
    /// use thousandeyes_usage::models::UnitsByTests;
    /// use thousandeyes_usage::rollup::units_by_test_owner;
    ///
    /// // A new test has no projection yet: what it used counts.
    /// let test = UnitsByTests {
    ///     aid: Some("1234".into()),
    ///     cloud_units_used: Some(10),
    ///     cloud_units_projected: None,
    ///     enterprise_units_used: Some(5),
    ///     enterprise_units_projected: Some(9),
    ///     ..Default::default()
    /// };
    /// assert_eq!(units_by_test_owner([&test])[0].units_projected(), 19);
    /// ```
    pub fn units_projected(&self) -> i64 {
        self.cloud_units_projected.saturating_add(self.enterprise_units_projected)
    }
}

/// Sums by account group, keyed by `aid`.
type Groups<'a> = BTreeMap<Option<&'a str>, AccountGroupUnits>;

/// The sums of the account group `aid` (new ones start at zero), named `name` unless an earlier
/// entry named it.
fn group<'g, 'a>(
    groups: &'g mut Groups<'a>,
    aid: Option<&'a str>,
    name: Option<&String>,
) -> &'g mut AccountGroupUnits {
    let group = groups.entry(aid).or_insert_with(|| AccountGroupUnits {
        aid: aid.map(str::to_string),
        ..AccountGroupUnits::default()
    });
    if group.name.is_none() {
        group.name = name.cloned();
    }
    group
}

/// Adds `used` and `projected` (or `used` when there is no projection) to the two sums.
fn add(sums: (&mut i64, &mut i64), used: Option<i64>, projected: Option<i64>) {
    let used_or_zero = used.unwrap_or(0);
    *sums.0 = sums.0.saturating_add(used_or_zero);
    *sums.1 = sums.1.saturating_add(projected.unwrap_or(used_or_zero));
}

/// Units per account group **by test owner**: the entries of `GET /usage/units/tests` (each a
/// test, with the `aid` of the account group that owns it) added up by `aid`, cloud and
/// enterprise units apart.
///
/// This is what each account group's own tests used, also on enterprise agents shared from
/// another account group: the attribution an account group's quota is enforced on (over its
/// quota, the group's tests are stopped; see [`account_group_quota`]). The sums over all groups are the
/// listing's totals. The result is ordered by `aid` (text order), units without an `aid` first.
///
/// ```
/// use thousandeyes_usage::models::UnitsByTests;
/// use thousandeyes_usage::rollup::units_by_test_owner;
///
/// let test = |aid: &str, cloud: i64| UnitsByTests {
///     aid: Some(aid.into()),
///     cloud_units_used: Some(cloud),
///     ..Default::default()
/// };
/// let groups = units_by_test_owner(&[test("1235", 40), test("1234", 10), test("1235", 2)]);
/// let sums: Vec<_> = groups.iter().map(|g| (g.aid.as_deref(), g.cloud_units_used, g.test_count)).collect();
/// assert_eq!(sums, [(Some("1234"), 10, 1), (Some("1235"), 42, 2)]);
/// ```
///
/// Against the API, with every page of the listing:
///
/// ```no_run
/// # async fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
/// let tests = client.test_units().collect_all().await?;
/// for group in thousandeyes_usage::rollup::units_by_test_owner(&tests) {
///     println!("{:?}: {} units", group.name, group.units_used());
/// }
/// # Ok(()) }
/// ```
pub fn units_by_test_owner<'a>(tests: impl IntoIterator<Item = &'a UnitsByTests>) -> Vec<AccountGroupUnits> {
    let mut groups = Groups::new();
    for test in tests {
        let group = group(&mut groups, test.aid.as_deref(), test.account_group_name.as_ref());
        group.test_count += 1;
        add(
            (&mut group.cloud_units_used, &mut group.cloud_units_projected),
            test.cloud_units_used,
            test.cloud_units_projected,
        );
        add(
            (&mut group.enterprise_units_used, &mut group.enterprise_units_projected),
            test.enterprise_units_used,
            test.enterprise_units_projected,
        );
    }
    groups.into_values().collect()
}

/// Enterprise units per account group **by the agent's home group**: the entries of
/// `GET /usage`'s `enterpriseAgentUnits` (each an agent, with the `aid` of the account group the
/// agent was created in) added up by `aid`. `None` when the answer has no `enterpriseAgentUnits`:
/// ask for them with `expand` ([`ExpandUsageOptions::EnterpriseAgentUnit`]).
///
/// This books a shared agent's units to its home group, whichever account groups' tests used
/// them; the cloud fields are zero. The sums over all groups are the organization's enterprise
/// units, as [`units_by_test_owner`]'s are, group by group they differ. The result is ordered by
/// `aid` (text order), units without an `aid` first.
///
/// [`ExpandUsageOptions::EnterpriseAgentUnit`]: crate::models::ExpandUsageOptions::EnterpriseAgentUnit
///
/// ```
/// use thousandeyes_usage::models::{EnterpriseAgentUnits, UsageDetails};
/// use thousandeyes_usage::rollup::enterprise_units_by_agent_home_group;
///
/// let agent = |aid: &str, used: i64| EnterpriseAgentUnits {
///     aid: Some(aid.into()),
///     enterprise_units_used: Some(used),
///     ..Default::default()
/// };
/// let usage = UsageDetails {
///     enterprise_agent_units: Some(vec![agent("1234", 100), agent("1234", 50), agent("1237", 7)]),
///     ..Default::default()
/// };
/// let groups = enterprise_units_by_agent_home_group(&usage).expect("expanded");
/// let sums: Vec<_> = groups.iter().map(|g| (g.aid.as_deref(), g.enterprise_units_used, g.agent_count)).collect();
/// assert_eq!(sums, [(Some("1234"), 150, 2), (Some("1237"), 7, 1)]);
/// assert_eq!(enterprise_units_by_agent_home_group(&UsageDetails::default()), None);
/// ```
///
/// Against the API:
///
/// ```no_run
/// use thousandeyes_usage::models::ExpandUsageOptions;
///
/// # async fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
/// let usage = client.usage().expand([ExpandUsageOptions::EnterpriseAgentUnit]).send().await?;
/// let groups = thousandeyes_usage::rollup::enterprise_units_by_agent_home_group(&usage).unwrap_or_default();
/// # let _ = groups; Ok(()) }
/// ```
pub fn enterprise_units_by_agent_home_group(usage: &UsageDetails) -> Option<Vec<AccountGroupUnits>> {
    let agents: &[EnterpriseAgentUnits] = usage.enterprise_agent_units.as_deref()?;
    let mut groups = Groups::new();
    for agent in agents {
        let group = group(&mut groups, agent.aid.as_deref(), agent.account_group_name.as_ref());
        group.agent_count += 1;
        add(
            (&mut group.enterprise_units_used, &mut group.enterprise_units_projected),
            agent.enterprise_units_used,
            agent.enterprise_units_projected,
        );
    }
    Some(groups.into_values().collect())
}

/// The unit quota of the account group `aid` (`GET /quotas`), or `None` when it has none.
///
/// A quota caps what the account group's own tests use, so compare it with the group's units
/// [by test owner](units_by_test_owner). When `quotas` lists the group under several
/// organizations, the first is taken.
///
/// ```
/// use thousandeyes_usage::models::{AccountGroupQuota, Quota};
/// use thousandeyes_usage::rollup::account_group_quota;
///
/// let quotas = vec![Quota {
///     account_group_quotas: Some(vec![AccountGroupQuota {
///         aid: Some("1238".into()),
///         value: Some(1_000_000),
///         ..Default::default()
///     }]),
///     ..Default::default()
/// }];
/// assert_eq!(account_group_quota(&quotas, "1238"), Some(1_000_000));
/// assert_eq!(account_group_quota(&quotas, "1237"), None);
/// ```
pub fn account_group_quota(quotas: &[Quota], aid: &str) -> Option<i64> {
    quotas
        .iter()
        .flat_map(|q| q.account_group_quotas.iter().flatten())
        .find(|g| g.aid.as_deref() == Some(aid))
        .and_then(|g| g.value)
}

#[cfg(test)]
#[path = "tests/rollup.rs"]
mod tests;
