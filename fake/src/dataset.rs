//! The data a fake serves, and what it adds up to.

use std::collections::BTreeSet;

use thousandeyes_usage_generated::models::{
    EnterpriseAgentUnitsByTestOwnerAccountGroup, Quota, UnitsByTests, UsageDetails,
};

/// The id of the fake's organization: the seeded data's, and an empty dataset's.
pub(crate) const ORGANIZATION_ID: &str = "1001";

/// An account group of the fake organization: its id (`aid`) and name.
///
/// A request is made in the account group its `aid` names; one naming an account group the fake
/// does not know (listed in [`Dataset::account_groups`], or appearing anywhere in the data) is
/// answered 404, as the API refuses an account group the caller is not a member of. Any known
/// account group gets the same answer: the organization's (see *Account groups* in the crate's
/// documentation).
///
/// ```
/// use thousandeyes_usage_fake::AccountGroup;
///
/// let group = AccountGroup::new("1234", "Network Operations");
/// assert_eq!((group.aid.as_str(), group.name.as_str()), ("1234", "Network Operations"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct AccountGroup {
    /// The account group id, decimal digits.
    pub aid: String,
    /// Its name.
    pub name: String,
}

impl AccountGroup {
    /// An account group with this id and name.
    ///
    /// ```
    /// use thousandeyes_usage_fake::AccountGroup;
    ///
    /// assert_eq!(AccountGroup::new("42", "Lab").aid, "42");
    /// ```
    pub fn new(aid: impl Into<String>, name: impl Into<String>) -> AccountGroup {
        AccountGroup { aid: aid.into(), name: name.into() }
    }
}

/// Everything a fake serves: the organization's usage, the two listings and the quotas.
///
/// `Dataset::acme()` is the seeded data `FakeUsageApi::start()` serves; [`Dataset::empty()`] is
/// an organization with nothing in it. Change any field and pass the dataset to the builder's
/// `dataset`, or replace one part with the builder's `usage`, `test_units`, `agent_units` or
/// `quotas`.
///
/// The parts are served as given; the fake does not make them agree with each other (the seeded
/// data does agree: `GET /usage` totals are the sums of the listings).
///
/// ```
/// use thousandeyes_usage_fake::Dataset;
///
/// let mut data = Dataset::acme();
/// assert_eq!(data.test_units.len(), 81);
/// data.test_units.truncate(5); // a smaller organization
/// assert_eq!(data.test_units.len(), 5);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Dataset {
    /// The id of the organization the token belongs to. Quota operations accept it, any
    /// `orgId` of [`quotas`](Dataset::quotas) and [`managed_organizations`](Dataset::managed_organizations);
    /// an organization quota without `orgId` is set on it (the API sets such a quota on the
    /// organization the caller is authenticated in).
    pub organization_id: String,
    /// Other organizations whose quotas the token's user may set, besides those of
    /// [`quotas`](Dataset::quotas) (an organization the user cannot manage is answered 404).
    /// The seeded data has one, `1234`, without a quota: the organization of the API
    /// reference's examples.
    pub managed_organizations: Vec<String>,
    /// Account groups known besides those appearing in the data: requests may be made in them
    /// (`aid`), and their quotas set.
    pub account_groups: Vec<AccountGroup>,
    /// `GET /usage`, with every breakdown filled in; the answer keeps only the breakdowns asked
    /// for with `expand` (`tests`, `enterpriseAgentUnits`, `enterpriseAgents`, `endpointAgents`,
    /// `endpointAgentsEssentials`, `endpointAgentsEmbedded`).
    pub usage: UsageDetails,
    /// Every entry of `GET /usage/units/tests`, in order; the fake pages through them.
    pub test_units: Vec<UnitsByTests>,
    /// Every entry of `GET /usage/units/enterprise-agents`, in order.
    pub agent_units: Vec<EnterpriseAgentUnitsByTestOwnerAccountGroup>,
    /// The quotas at start (`GET /quotas`); the quota operations change them.
    pub quotas: Vec<Quota>,
}

impl Dataset {
    /// An organization (id `1001`) with no tests, no agents, no quotas, no other organization,
    /// and a usage of zero.
    ///
    /// ```
    /// use thousandeyes_usage_fake::Dataset;
    ///
    /// let empty = Dataset::empty();
    /// assert!(empty.test_units.is_empty() && empty.quotas.is_empty());
    /// assert_eq!(empty.usage.cloud_units_used, Some(0));
    /// ```
    pub fn empty() -> Dataset {
        Dataset {
            organization_id: ORGANIZATION_ID.to_string(),
            managed_organizations: Vec::new(),
            account_groups: Vec::new(),
            usage: UsageDetails {
                cloud_units_used: Some(0),
                cloud_units_projected: Some(0),
                enterprise_units_used: Some(0),
                enterprise_units_projected: Some(0),
                ..UsageDetails::default()
            },
            test_units: Vec::new(),
            agent_units: Vec::new(),
            quotas: Vec::new(),
        }
    }

    /// Every account group id known: listed, or appearing in the data.
    pub(crate) fn known_aids(&self) -> BTreeSet<String> {
        let mut aids: BTreeSet<String> = self.account_groups.iter().map(|g| g.aid.clone()).collect();
        let mut add = |aid: &Option<String>| {
            if let Some(aid) = aid {
                aids.insert(aid.clone());
            }
        };
        self.test_units.iter().for_each(|t| add(&t.aid));
        self.agent_units.iter().for_each(|a| add(&a.aid));
        let u = &self.usage;
        u.tests.iter().flatten().for_each(|t| add(&t.aid));
        u.enterprise_agent_units.iter().flatten().for_each(|a| add(&a.aid));
        u.endpoint_agents.iter().flatten().for_each(|a| add(&a.aid));
        u.endpoint_agents_essentials.iter().flatten().for_each(|a| add(&a.aid));
        u.endpoint_agents_embedded.iter().flatten().for_each(|a| add(&a.aid));
        u.enterprise_agents.iter().flatten().for_each(|a| add(&a.aid));
        for q in &self.quotas {
            q.account_group_quotas.iter().flatten().for_each(|g| add(&g.aid));
        }
        aids
    }
}

/// What the data a fake serves adds up to, for comparing a report's totals with it.
///
/// Computed by `FakeUsageApi::expected_totals` from the very data the fake serves (and its current
/// quotas), with the fake's page sizes.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let fake = thousandeyes_usage_fake::FakeUsageApi::start().await;
/// let totals = fake.expected_totals();
/// assert_eq!((totals.tests, totals.instant_tests, totals.agents), (81, 4, 14));
/// assert_eq!(totals.pages, totals.test_pages + totals.agent_pages);
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExpectedTotals {
    /// Entries of the test units listing (one per test).
    pub tests: usize,
    /// Of those, instant tests (`isInstantTest`).
    pub instant_tests: usize,
    /// Cloud units used, summed over the test units listing (for the seeded data, also
    /// `cloudUnitsUsed` of `GET /usage`).
    pub cloud_units_used: i64,
    /// Cloud units projected, summed over the test units listing, a test without a projection
    /// counting with what it used (for the seeded data, `cloudUnitsProjected` of `GET /usage`).
    pub cloud_units_projected: i64,
    /// Cloud units the contract includes (`quota.cloudUnitsIncluded` of `GET /usage`).
    pub cloud_units_included: Option<i64>,
    /// Enterprise units used, summed over the test units listing (for the seeded data, also the
    /// sum over the agent listing and `enterpriseUnitsUsed` of `GET /usage`).
    pub enterprise_units_used: i64,
    /// Enterprise units projected, summed over the test units listing.
    pub enterprise_units_projected: i64,
    /// Enterprise units used, summed over the enterprise agent units listing.
    pub agent_enterprise_units_used: i64,
    /// Distinct enterprise agents (`agentId`, else `agentName`) in the agent listing.
    pub agents: usize,
    /// Entries of the agent listing (one per agent and account group whose tests ran on it).
    pub agent_entries: usize,
    /// Distinct account groups owning tests in the test units listing.
    pub account_groups: usize,
    /// Pages of the test units listing (at least one, even when empty).
    pub test_pages: usize,
    /// Pages of the enterprise agent units listing (at least one).
    pub agent_pages: usize,
    /// Pages of both listings.
    pub pages: usize,
    /// The organization's unit quota now (`GET /quotas`), if it has one.
    pub organization_quota: Option<i64>,
}

impl ExpectedTotals {
    pub(crate) fn of(
        data: &Dataset,
        organization_quota: Option<i64>,
        test_page_size: usize,
        agent_page_size: usize,
    ) -> ExpectedTotals {
        let tests = &data.test_units;
        let agents = &data.agent_units;
        let distinct_agents: BTreeSet<&str> =
            agents.iter().filter_map(|a| a.agent_id.as_deref().or(a.agent_name.as_deref())).collect();
        let groups: BTreeSet<&str> = tests.iter().filter_map(|t| t.aid.as_deref()).collect();
        let test_pages = pages(tests.len(), test_page_size);
        let agent_pages = pages(agents.len(), agent_page_size);
        ExpectedTotals {
            tests: tests.len(),
            instant_tests: tests.iter().filter(|t| t.is_instant_test == Some(true)).count(),
            cloud_units_used: tests.iter().filter_map(|t| t.cloud_units_used).sum(),
            cloud_units_projected: tests
                .iter()
                .filter_map(|t| t.cloud_units_projected.or(t.cloud_units_used))
                .sum(),
            cloud_units_included: data.usage.quota.as_ref().and_then(|q| q.cloud_units_included),
            enterprise_units_used: tests.iter().filter_map(|t| t.enterprise_units_used).sum(),
            enterprise_units_projected: tests.iter().filter_map(|t| t.enterprise_units_projected).sum(),
            agent_enterprise_units_used: agents.iter().filter_map(|a| a.enterprise_units_used).sum(),
            agents: distinct_agents.len(),
            agent_entries: agents.len(),
            account_groups: groups.len(),
            test_pages,
            agent_pages,
            pages: test_pages + agent_pages,
            organization_quota,
        }
    }
}

/// Pages a listing of `items` entries takes: at least one.
pub(crate) fn pages(items: usize, page_size: usize) -> usize {
    items.div_ceil(page_size.max(1)).max(1)
}
