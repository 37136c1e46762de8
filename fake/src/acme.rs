//! The seeded data: "Acme Corp", a made-up but realistic organization with five account groups,
//! 81 tests (4 of them instant tests) and 14 enterprise agents.
//!
//! The data is deterministic: the same every run, derived from fixed tables by a fixed mixing
//! function (SplitMix64's finalizer). Only the usage period (the current month) depends on the
//! clock.

use std::collections::BTreeMap;
use std::time::SystemTime;

use chrono::{DateTime, Datelike, Duration as ChronoDuration, TimeZone, Utc};
use thousandeyes_usage_generated::models::{
    AccountGroupQuota, EndpointAgentsEmbedded, EndpointAgentsEssentials, EndpointAgentsUsage,
    EnterpriseAgentUnits, EnterpriseAgentUnitsByTestOwnerAccountGroup, EnterpriseAgents, OrganizationQuota,
    Quota, TestUsage, UnitsByTests, UsageDetails, UsageQuota,
};

use crate::dataset::{AccountGroup as PublicAccountGroup, Dataset, ORGANIZATION_ID as ORG_ID};
use crate::mix::mix;

/// Another organization whose quotas Acme's user may set: the `orgId` of the API reference's
/// examples (`{"organizations":[{"value":12000},{"orgId":"1234","value":10000}]}`).
const MANAGED_ORG_ID: &str = "1234";

/// Projections scale the use so far by this ratio (day 18 of a 30-day period: 30/18 = 5/3).
const PROJECTION: (i64, i64) = (5, 3);

/// Cloud units the Acme contract includes each month.
const CLOUD_UNITS_INCLUDED: i64 = 20_000_000;

/// Acme's organization unit quota (`GET /quotas`).
const ORG_QUOTA: i64 = 25_000_000;

struct AccountGroup {
    aid: &'static str,
    name: &'static str,
    quota: Option<i64>,
    endpoint_agents: i64,
    endpoint_agents_essentials: i64,
}

const ACCOUNT_GROUPS: [AccountGroup; 5] = [
    AccountGroup {
        aid: "1234",
        name: "Network Operations",
        quota: Some(1_500_000),
        endpoint_agents: 12,
        endpoint_agents_essentials: 0,
    },
    AccountGroup {
        aid: "1235",
        name: "Web Platform",
        quota: Some(5_000_000),
        endpoint_agents: 8,
        endpoint_agents_essentials: 0,
    },
    AccountGroup {
        aid: "1236",
        name: "Payments",
        quota: Some(2_500_000),
        endpoint_agents: 5,
        endpoint_agents_essentials: 0,
    },
    AccountGroup {
        aid: "1237",
        name: "Corporate IT",
        quota: None,
        endpoint_agents: 355,
        endpoint_agents_essentials: 48,
    },
    AccountGroup {
        aid: "1238",
        name: "EMEA Retail",
        quota: Some(1_000_000),
        endpoint_agents: 32,
        endpoint_agents_essentials: 12,
    },
];

const NET_OPS: usize = 0;
const WEB: usize = 1;
const PAYMENTS: usize = 2;
const CORP_IT: usize = 3;
const RETAIL: usize = 4;

/// Enterprise agents: name and primary account group.
const AGENTS: [(&str, usize); 14] = [
    ("ea-fra-dc1-01", NET_OPS),
    ("ea-fra-dc1-02", NET_OPS),
    ("ea-ash-dc2-01", NET_OPS),
    ("ea-ash-dc2-02", NET_OPS),
    ("ea-azure-weu-01", NET_OPS),
    ("ea-lon-hq-01", CORP_IT),
    ("ea-nyc-office-01", CORP_IT),
    ("ea-sin-office-01", CORP_IT),
    ("ea-aws-use1-k8s-01", WEB),
    ("ea-pci-fra-01", PAYMENTS),
    ("ea-pci-ash-01", PAYMENTS),
    ("ea-par-store-014", RETAIL),
    ("ea-mad-store-027", RETAIL),
    ("ea-ber-store-103", RETAIL),
];

/// A test type: display name, short name for test names, monthly cloud units (range), monthly
/// enterprise units on one agent (range; zero when the type does not run on enterprise agents),
/// and whether it runs on enterprise agents only.
struct TestType {
    name: &'static str,
    short: &'static str,
    cloud: (i64, i64),
    enterprise: (i64, i64),
    enterprise_only: bool,
}

const HTTP: usize = 0;
const PAGE_LOAD: usize = 1;
const TRANSACTION: usize = 2;
const API: usize = 3;
const A2S: usize = 4;
const A2A: usize = 5;
const DNS: usize = 6;
const DNS_TRACE: usize = 7;
const DNSSEC: usize = 8;
const BGP: usize = 9;
const VOICE: usize = 10;
const SIP: usize = 11;

const TEST_TYPES: [TestType; 12] = [
    TestType {
        name: "HTTP Server",
        short: "HTTP",
        cloud: (40_000, 260_000),
        enterprise: (1_500, 6_000),
        enterprise_only: false,
    },
    TestType {
        name: "Page Load",
        short: "Page Load",
        cloud: (120_000, 520_000),
        enterprise: (4_000, 12_000),
        enterprise_only: false,
    },
    TestType {
        name: "Transaction",
        short: "Transaction",
        cloud: (260_000, 900_000),
        enterprise: (8_000, 20_000),
        enterprise_only: false,
    },
    TestType {
        name: "API",
        short: "API",
        cloud: (50_000, 300_000),
        enterprise: (2_000, 7_000),
        enterprise_only: false,
    },
    TestType {
        name: "Agent to Server",
        short: "Network",
        cloud: (20_000, 150_000),
        enterprise: (1_000, 5_000),
        enterprise_only: false,
    },
    TestType {
        name: "Agent to Agent",
        short: "A2A",
        cloud: (0, 0),
        enterprise: (3_000, 9_000),
        enterprise_only: true,
    },
    TestType {
        name: "DNS Server",
        short: "DNS",
        cloud: (15_000, 90_000),
        enterprise: (500, 2_000),
        enterprise_only: false,
    },
    TestType {
        name: "DNS Trace",
        short: "DNS Trace",
        cloud: (10_000, 60_000),
        enterprise: (0, 0),
        enterprise_only: false,
    },
    TestType {
        name: "DNSSEC",
        short: "DNSSEC",
        cloud: (8_000, 40_000),
        enterprise: (0, 0),
        enterprise_only: false,
    },
    TestType { name: "BGP", short: "BGP", cloud: (0, 0), enterprise: (0, 0), enterprise_only: false },
    TestType {
        name: "Voice",
        short: "RTP",
        cloud: (0, 0),
        enterprise: (4_000, 10_000),
        enterprise_only: true,
    },
    TestType {
        name: "SIP Server",
        short: "SIP",
        cloud: (30_000, 120_000),
        enterprise: (1_000, 3_000),
        enterprise_only: false,
    },
];

/// A monitored service: its name, the account group owning its tests, the test types run
/// against it, and the enterprise agents those tests may run on.
struct Service {
    name: &'static str,
    group: usize,
    types: &'static [usize],
    agents: &'static [usize],
}

const WEB_AGENTS: &[usize] = &[8, 0, 2, 1, 3, 4];
const PAYMENT_AGENTS: &[usize] = &[9, 10, 0, 2, 8];
const NET_AGENTS: &[usize] = &[0, 1, 2, 3, 4, 5, 6, 7, 11];
const OFFICE_AGENTS: &[usize] = &[5, 6, 7, 0, 2, 4, 1];
const STORE_AGENTS: &[usize] = &[11, 12, 13, 0, 1, 5];

const SERVICES: [Service; 37] = [
    Service { name: "www.acme.com", group: WEB, types: &[HTTP, PAGE_LOAD, DNS], agents: WEB_AGENTS },
    Service { name: "api.acme.com", group: WEB, types: &[HTTP, API, A2S], agents: WEB_AGENTS },
    Service {
        name: "checkout.acme.com",
        group: WEB,
        types: &[HTTP, TRANSACTION, PAGE_LOAD],
        agents: WEB_AGENTS,
    },
    Service { name: "login.acme.com", group: WEB, types: &[HTTP, TRANSACTION], agents: WEB_AGENTS },
    Service { name: "cdn.acme-static.net", group: WEB, types: &[HTTP, DNS_TRACE], agents: WEB_AGENTS },
    Service { name: "search.acme.com", group: WEB, types: &[API, HTTP], agents: WEB_AGENTS },
    Service {
        name: "payments-gw.acme.com",
        group: PAYMENTS,
        types: &[HTTP, API, A2S],
        agents: PAYMENT_AGENTS,
    },
    Service { name: "Stripe API", group: PAYMENTS, types: &[API, A2S], agents: PAYMENT_AGENTS },
    Service { name: "Adyen API", group: PAYMENTS, types: &[API, A2S], agents: PAYMENT_AGENTS },
    Service { name: "PayPal Checkout", group: PAYMENTS, types: &[TRANSACTION, HTTP], agents: PAYMENT_AGENTS },
    Service {
        name: "fraud-scoring.acme.internal",
        group: PAYMENTS,
        types: &[A2A, HTTP],
        agents: PAYMENT_AGENTS,
    },
    Service { name: "DC Frankfurt core", group: NET_OPS, types: &[A2A, A2S], agents: NET_AGENTS },
    Service { name: "DC Ashburn core", group: NET_OPS, types: &[A2A, A2S], agents: NET_AGENTS },
    Service { name: "SD-WAN hub London", group: NET_OPS, types: &[A2A, A2S], agents: NET_AGENTS },
    Service { name: "SD-WAN hub Singapore", group: NET_OPS, types: &[A2A, A2S], agents: NET_AGENTS },
    Service { name: "AS64500 prefixes", group: NET_OPS, types: &[BGP], agents: NET_AGENTS },
    Service { name: "ns1.acme.com", group: NET_OPS, types: &[DNS, DNSSEC, DNS_TRACE], agents: NET_AGENTS },
    Service { name: "Cloudflare 1.1.1.1", group: NET_OPS, types: &[DNS, A2S], agents: NET_AGENTS },
    Service { name: "AWS us-east-1 VPC", group: NET_OPS, types: &[A2S, A2A], agents: NET_AGENTS },
    Service {
        name: "Azure West Europe ExpressRoute",
        group: NET_OPS,
        types: &[A2S, A2A],
        agents: NET_AGENTS,
    },
    Service { name: "sip.acme.com", group: NET_OPS, types: &[SIP, VOICE], agents: NET_AGENTS },
    Service {
        name: "Microsoft 365 Outlook",
        group: CORP_IT,
        types: &[HTTP, PAGE_LOAD],
        agents: OFFICE_AGENTS,
    },
    Service { name: "Microsoft Teams", group: CORP_IT, types: &[HTTP, VOICE], agents: OFFICE_AGENTS },
    Service { name: "Zoom", group: CORP_IT, types: &[HTTP, A2S], agents: OFFICE_AGENTS },
    Service { name: "Webex", group: CORP_IT, types: &[HTTP, A2S], agents: OFFICE_AGENTS },
    Service {
        name: "Salesforce",
        group: CORP_IT,
        types: &[HTTP, PAGE_LOAD, TRANSACTION],
        agents: OFFICE_AGENTS,
    },
    Service { name: "Workday", group: CORP_IT, types: &[HTTP, PAGE_LOAD], agents: OFFICE_AGENTS },
    Service { name: "ServiceNow", group: CORP_IT, types: &[HTTP, PAGE_LOAD], agents: OFFICE_AGENTS },
    Service { name: "Okta SSO", group: CORP_IT, types: &[HTTP, TRANSACTION], agents: OFFICE_AGENTS },
    Service { name: "Slack", group: CORP_IT, types: &[HTTP], agents: OFFICE_AGENTS },
    Service { name: "GitHub", group: CORP_IT, types: &[HTTP, API], agents: OFFICE_AGENTS },
    Service { name: "Atlassian Cloud", group: CORP_IT, types: &[HTTP, PAGE_LOAD], agents: OFFICE_AGENTS },
    Service { name: "Google Workspace", group: CORP_IT, types: &[HTTP], agents: OFFICE_AGENTS },
    Service { name: "pos-api.emea.acme.com", group: RETAIL, types: &[API, HTTP, A2S], agents: STORE_AGENTS },
    Service {
        name: "store-portal.emea.acme.com",
        group: RETAIL,
        types: &[PAGE_LOAD, HTTP],
        agents: STORE_AGENTS,
    },
    Service { name: "vpn-emea.acme.com", group: RETAIL, types: &[A2S], agents: STORE_AGENTS },
    Service { name: "inventory.emea.acme.com", group: RETAIL, types: &[API, HTTP], agents: STORE_AGENTS },
];

/// Instant tests run this period: name, type, owning account group, agents they ran on.
const INSTANT_TESTS: [(&str, usize, usize, &[usize]); 4] = [
    ("Instant: checkout.acme.com latency spike", HTTP, WEB, &[]),
    ("Instant: Zoom call quality, London office", A2S, CORP_IT, &[5]),
    ("Instant: payments-gw.acme.com TLS check", HTTP, PAYMENTS, &[]),
    ("Instant: ns1.acme.com resolution", DNS, NET_OPS, &[]),
];

/// The service whose test was created this week: its projection is not computed yet.
const NEW_TEST: &str = "search.acme.com - API";

/// A test and what it used.
struct AcmeTest {
    id: String,
    name: String,
    kind: usize,
    group: usize,
    instant: bool,
    cloud_used: i64,
    /// Absent for a test created too recently for a projection.
    cloud_projected: Option<i64>,
    /// Enterprise units on each agent the test runs on.
    runs: Vec<Run>,
}

struct Run {
    agent: usize,
    used: i64,
    projected: i64,
}

impl AcmeTest {
    fn enterprise_used(&self) -> i64 {
        self.runs.iter().map(|r| r.used).sum()
    }

    fn enterprise_projected(&self) -> i64 {
        self.runs.iter().map(|r| r.projected).sum()
    }
}

/// Enterprise units used on one agent by the tests of one account group.
struct AgentEntry {
    agent: usize,
    group: usize,
    used: i64,
    projected: i64,
}

/// A value in `lo..=hi` derived from `seed`.
fn pick(seed: u64, (lo, hi): (i64, i64)) -> i64 {
    if hi <= lo {
        return lo;
    }
    let span = (hi - lo + 1) as u64;
    lo + (mix(seed) % span) as i64
}

fn project(used: i64) -> i64 {
    used * PROJECTION.0 / PROJECTION.1
}

fn agent_id(agent: usize) -> String {
    (512_300 + 17 * agent).to_string()
}

fn month_bounds(now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = Utc.with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0).single().unwrap_or(now);
    let next_month = if now.month() == 12 {
        Utc.with_ymd_and_hms(now.year() + 1, 1, 1, 0, 0, 0)
    } else {
        Utc.with_ymd_and_hms(now.year(), now.month() + 1, 1, 0, 0, 0)
    };
    let end = next_month.single().unwrap_or(now) - ChronoDuration::seconds(1);
    (start, end)
}

fn generate_tests() -> Vec<AcmeTest> {
    let mut tests = Vec::new();
    let mut seed = 0u64;
    for service in &SERVICES {
        for &kind in service.types {
            seed += 1;
            let t = &TEST_TYPES[kind];
            let name = format!("{} - {}", service.name, t.short);
            let cloud_used = pick(seed, t.cloud);
            let cloud_projected = (name != NEW_TEST).then(|| project(cloud_used));
            let cloud_used = if name == NEW_TEST { cloud_used / 6 } else { cloud_used };
            let agent_count = match (t.enterprise, t.enterprise_only) {
                ((0, 0), _) => 0,
                (_, true) => 2 + (mix(seed ^ 0xA6E) % 2) as usize,
                (_, false) => (mix(seed ^ 0xA6E) % 4) as usize,
            }
            .min(service.agents.len());
            let first = (mix(seed ^ 0x5EED) % service.agents.len() as u64) as usize;
            let runs = (0..agent_count)
                .map(|i| {
                    let agent = service.agents[(first + i) % service.agents.len()];
                    let used = pick(seed * 31 + i as u64, t.enterprise);
                    Run { agent, used, projected: project(used) }
                })
                .collect();
            tests.push(AcmeTest {
                id: String::new(),
                name,
                kind,
                group: service.group,
                instant: false,
                cloud_used,
                cloud_projected,
                runs,
            });
        }
    }
    for (name, kind, group, agents) in INSTANT_TESTS {
        seed += 1;
        let cloud_used = pick(seed, (600, 4_800));
        let runs = agents
            .iter()
            .map(|&agent| {
                let used = pick(seed ^ 0x1257, (150, 900));
                // An instant test does not run again: its projection is what it used.
                Run { agent, used, projected: used }
            })
            .collect();
        tests.push(AcmeTest {
            id: String::new(),
            name: name.to_string(),
            kind,
            group,
            instant: true,
            cloud_used,
            cloud_projected: Some(cloud_used),
            runs,
        });
    }
    // Test ids grow with creation order; the listing is ordered by test id.
    for (n, test) in tests.iter_mut().enumerate() {
        test.id = (7_104_233 + 1_979 * n as u64 + mix(n as u64) % 1_000).to_string();
    }
    tests
}

fn agent_entries(tests: &[AcmeTest]) -> Vec<AgentEntry> {
    let mut entries: BTreeMap<(usize, usize), (i64, i64)> = BTreeMap::new();
    for test in tests {
        for run in &test.runs {
            let e = entries.entry((run.agent, test.group)).or_insert((0, 0));
            e.0 += run.used;
            e.1 += run.projected;
        }
    }
    entries
        .into_iter()
        .map(|((agent, group), (used, projected))| AgentEntry { agent, group, used, projected })
        .collect()
}

fn group_fields(group: usize) -> (Option<String>, Option<String>) {
    let g = &ACCOUNT_GROUPS[group];
    (Some(g.aid.to_string()), Some(g.name.to_string()))
}

impl Dataset {
    /// The seeded "Acme Corp" organization: five account groups, 81 tests (4 of them instant
    /// tests), 14 enterprise agents in 33 agent entries, an organization quota and four account
    /// group quotas; its user may also set the quota of organization `1234`. The same every run,
    /// except for the usage period, which is the current month (of the local clock here; of the
    /// fake's clock when the fake seeds it).
    ///
    /// ```
    /// use thousandeyes_usage_fake::Dataset;
    ///
    /// let acme = Dataset::acme();
    /// assert_eq!(acme.organization_id, "1001");
    /// assert_eq!(acme.managed_organizations, ["1234"]);
    /// assert_eq!(acme.account_groups.len(), 5);
    /// let used: i64 = acme.test_units.iter().filter_map(|t| t.cloud_units_used).sum();
    /// assert_eq!(acme.usage.cloud_units_used, Some(used));
    /// ```
    pub fn acme() -> Dataset {
        dataset(Utc::now())
    }

    /// Acme's data with the usage period of the month of `now`.
    pub(crate) fn acme_at(now: SystemTime) -> Dataset {
        dataset(DateTime::<Utc>::from(now))
    }
}

/// Acme's data, for a usage period that is the month of `now`.
fn dataset(now: DateTime<Utc>) -> Dataset {
    let (period_start, period_end) = month_bounds(now);
    let tests = generate_tests();
    let entries = agent_entries(&tests);

    let test_units: Vec<UnitsByTests> = tests
        .iter()
        .map(|t| {
            let (aid, account_group_name) = group_fields(t.group);
            UnitsByTests {
                aid,
                account_group_name,
                enterprise_units_used: Some(t.enterprise_used()),
                enterprise_units_projected: Some(t.enterprise_projected()),
                cloud_units_used: Some(t.cloud_used),
                cloud_units_projected: t.cloud_projected,
                test_id: Some(t.id.clone()),
                test_name: Some(t.name.clone()),
                test_type: Some(TEST_TYPES[t.kind].name.to_string()),
                is_instant_test: Some(t.instant),
                ..Default::default()
            }
        })
        .collect();

    let agent_units: Vec<EnterpriseAgentUnitsByTestOwnerAccountGroup> = entries
        .iter()
        .map(|e| {
            let (aid, account_group_name) = group_fields(e.group);
            EnterpriseAgentUnitsByTestOwnerAccountGroup {
                aid,
                account_group_name,
                agent_id: Some(agent_id(e.agent)),
                agent_name: Some(AGENTS[e.agent].0.to_string()),
                enterprise_units_used: Some(e.used),
                enterprise_units_projected: Some(e.projected),
                ..Default::default()
            }
        })
        .collect();

    let cloud_used: i64 = tests.iter().map(|t| t.cloud_used).sum();
    // A new test without its own projection counts with what it used so far.
    let cloud_projected: i64 = tests.iter().map(|t| t.cloud_projected.unwrap_or(t.cloud_used)).sum();
    // What the scheduled tests will use in a whole period.
    let cloud_next: i64 = tests.iter().filter(|t| !t.instant).map(|t| project(t.cloud_used)).sum();
    let enterprise_used: i64 = tests.iter().map(AcmeTest::enterprise_used).sum();
    let enterprise_projected: i64 = tests.iter().map(AcmeTest::enterprise_projected).sum();
    let enterprise_next: i64 =
        tests.iter().filter(|t| !t.instant).map(|t| project(t.enterprise_used())).sum();

    let utc = |t: DateTime<Utc>| t.fixed_offset();
    let usage_tests: Vec<TestUsage> = tests
        .iter()
        .map(|t| {
            let (aid, account_group_name) = group_fields(t.group);
            TestUsage {
                aid,
                account_group_name,
                test_id: Some(t.id.clone()),
                test_name: Some(t.name.clone()),
                test_type: Some(TEST_TYPES[t.kind].name.to_string()),
                cloud_units_used: Some(t.cloud_used),
                cloud_units_projected: t.cloud_projected,
                ..Default::default()
            }
        })
        .collect();
    // `/usage` books an agent's units to its primary account group.
    let usage_agent_units: Vec<EnterpriseAgentUnits> = AGENTS
        .iter()
        .enumerate()
        .map(|(a, (name, primary))| {
            let used: i64 = entries.iter().filter(|e| e.agent == a).map(|e| e.used).sum();
            let projected: i64 = entries.iter().filter(|e| e.agent == a).map(|e| e.projected).sum();
            let (aid, account_group_name) = group_fields(*primary);
            EnterpriseAgentUnits {
                aid,
                account_group_name,
                agent_id: Some(agent_id(a)),
                agent_name: Some(name.to_string()),
                enterprise_units_used: Some(used),
                enterprise_units_projected: Some(projected),
                ..Default::default()
            }
        })
        .collect();
    // Per account group breakdowns list only the groups with a non-zero count.
    let per_group =
        |value: &dyn Fn(usize, &AccountGroup) -> i64| -> Vec<(Option<String>, Option<String>, i64)> {
            ACCOUNT_GROUPS
                .iter()
                .enumerate()
                .map(|(i, g)| (i, value(i, g)))
                .filter(|(_, n)| *n > 0)
                .map(|(i, n)| {
                    let (aid, name) = group_fields(i);
                    (aid, name, n)
                })
                .collect()
        };
    let enterprise_agents =
        per_group(&|i, _| AGENTS.iter().filter(|(_, primary)| *primary == i).count() as i64)
            .into_iter()
            .map(|(aid, account_group_name, n)| EnterpriseAgents {
                aid,
                account_group_name,
                enterprise_agents_used: Some(n),
                ..Default::default()
            })
            .collect();
    let endpoint_agents = per_group(&|_, g| g.endpoint_agents)
        .into_iter()
        .map(|(aid, account_group_name, n)| EndpointAgentsUsage {
            aid,
            account_group_name,
            endpoint_agents_used: Some(n),
            ..Default::default()
        })
        .collect();
    let endpoint_agents_essentials = per_group(&|_, g| g.endpoint_agents_essentials)
        .into_iter()
        .map(|(aid, account_group_name, n)| EndpointAgentsEssentials {
            aid,
            account_group_name,
            endpoint_agents_essentials_used: Some(n),
            ..Default::default()
        })
        .collect();

    let usage = UsageDetails {
        quota: Some(UsageQuota {
            month_start: Some(utc(period_start)),
            month_end: Some(utc(period_end)),
            cloud_units_included: Some(CLOUD_UNITS_INCLUDED),
            device_agents_included: Some(25),
            endpoint_agents_included: Some(500),
            endpoint_agents_essentials_included: Some(100),
            endpoint_agents_embedded_included: Some(0),
            enterprise_agents_included: Some(0),
            ..Default::default()
        }),
        cloud_units_used: Some(cloud_used),
        cloud_units_projected: Some(cloud_projected),
        cloud_units_next_billing_period: Some(cloud_next),
        enterprise_units_used: Some(enterprise_used),
        enterprise_units_projected: Some(enterprise_projected),
        enterprise_units_next_billing_period: Some(enterprise_next),
        connected_devices_units_used: Some(3_240),
        connected_devices_units_projected: Some(5_400),
        connected_devices_units_next_billing_period: Some(5_520),
        endpoint_agents_used: Some(ACCOUNT_GROUPS.iter().map(|g| g.endpoint_agents).sum()),
        endpoint_agents_essentials_used: Some(
            ACCOUNT_GROUPS.iter().map(|g| g.endpoint_agents_essentials).sum(),
        ),
        endpoint_agents_embedded_used: Some(0),
        enterprise_agents_used: Some(AGENTS.len() as i64),
        enterprise_agent_units: Some(usage_agent_units),
        tests: Some(usage_tests),
        endpoint_agents: Some(endpoint_agents),
        endpoint_agents_essentials: Some(endpoint_agents_essentials),
        endpoint_agents_embedded: Some(Vec::<EndpointAgentsEmbedded>::new()),
        enterprise_agents: Some(enterprise_agents),
        allocations: None,
        ..Default::default()
    };

    let quotas = vec![Quota {
        organization_quota: Some(OrganizationQuota {
            value: ORG_QUOTA,
            org_id: Some(ORG_ID.to_string()),
            ..Default::default()
        }),
        account_group_quotas: Some(
            ACCOUNT_GROUPS
                .iter()
                .filter_map(|g| {
                    g.quota.map(|q| AccountGroupQuota {
                        value: Some(q),
                        aid: Some(g.aid.to_string()),
                        ..Default::default()
                    })
                })
                .collect(),
        ),
        ..Default::default()
    }];

    Dataset {
        organization_id: ORG_ID.to_string(),
        managed_organizations: vec![MANAGED_ORG_ID.to_string()],
        account_groups: ACCOUNT_GROUPS.iter().map(|g| PublicAccountGroup::new(g.aid, g.name)).collect(),
        usage,
        test_units,
        agent_units,
        quotas,
    }
}
