//! An in-process server that behaves like the ThousandEyes Usage API v7, with the usage of a
//! made-up but realistic organization ("Acme Corp", five account groups, 81 tests, 14 enterprise
//! agents), for the `usage_report` example and the report's tests.
//!
//! It serves, on loopback, what the spec (`openapi/usage.yaml`) describes:
//!
//! * `GET /v7/usage`, honouring `expand` (and `aid`);
//! * `GET /v7/quotas`;
//! * `GET /v7/usage/units/tests` and `GET /v7/usage/units/enterprise-agents`, paginated with
//!   `_links.next.href` links carrying an opaque `cursor`, and checking `startDate`/`endDate`
//!   as the API does (the demo serves the same units whatever the range);
//! * `application/hal+json` answers with the `x-organization-rate-limit-*` headers and a `Date`,
//!   RFC 7807 `application/problem+json` errors, an OAuth-style 401 for a wrong token;
//! * a rate limit of [`RATE_LIMIT`] calls a minute, and exactly one 429 on the way: the second
//!   page of test units is refused once, as if another client of the organization had used up
//!   the window, with a reset one second later.
//!
//! The data is deterministic: the same every run, derived from fixed tables by a fixed mixing
//! function. [`DemoServer::expected_totals`] adds up the very data the server serves.
//!
//! ```no_run
//! # async fn run() {
//! let demo = thousandeyes_usage_tests::demo::DemoServer::start().await;
//! let client = thousandeyes_usage::Client::builder()
//!     .token(thousandeyes_usage_tests::demo::DEMO_TOKEN)
//!     .base_url(demo.base_url())
//!     .build()
//!     .expect("client");
//! let usage = client.usage().send().await.expect("usage");
//! assert_eq!(usage.cloud_units_used, Some(demo.expected_totals().cloud_units_used));
//! # }
//! ```

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Datelike, Duration as ChronoDuration, FixedOffset, TimeZone, Utc};
use httpmock::{HttpMockRequest, HttpMockResponse, Method, MockServer};
use reqwest::Url;
use serde_json::{json, Value};

/// The bearer token the demo server accepts; any other token is answered 401.
pub const DEMO_TOKEN: &str = "demo-token-not-a-secret";

/// Calls the demo organization may make in a one-minute window.
pub const RATE_LIMIT: u64 = 240;

/// Entries on each page of the test units listing.
pub const TESTS_PAGE_SIZE: usize = 18;

/// Entries on each page of the enterprise agent units listing.
pub const AGENTS_PAGE_SIZE: usize = 9;

/// The organization id of the demo organization.
pub const ORG_ID: &str = "1001";

/// Projections scale the use so far by this ratio (day 18 of a 30-day period: 30/18 = 5/3).
const PROJECTION: (i64, i64) = (5, 3);

/// Cloud units the demo contract includes each month.
const CLOUD_UNITS_INCLUDED: i64 = 20_000_000;

/// The demo organization's unit quota (`GET /quotas`).
const ORG_QUOTA: i64 = 25_000_000;

const HAL_JSON: &str = "application/hal+json";
const PROBLEM_JSON: &str = "application/problem+json";

/// What the demo data adds up to; computed from the data the server serves.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DemoTotals {
    /// Entries of the test units listing (one per test).
    pub tests: usize,
    /// Of those, instant tests.
    pub instant_tests: usize,
    /// Cloud units used by all tests (also `cloudUnitsUsed` of `GET /usage`).
    pub cloud_units_used: i64,
    /// Cloud units projected for the period (`cloudUnitsProjected` of `GET /usage`).
    pub cloud_units_projected: i64,
    /// Cloud units the contract includes (`quota.cloudUnitsIncluded` of `GET /usage`).
    pub cloud_units_included: i64,
    /// Enterprise units used by all tests; equal to the sum over the agent listing (also
    /// `enterpriseUnitsUsed` of `GET /usage`).
    pub enterprise_units_used: i64,
    /// Enterprise units projected for the period (`enterpriseUnitsProjected` of `GET /usage`).
    pub enterprise_units_projected: i64,
    /// Distinct enterprise agents in the agent listing.
    pub agents: usize,
    /// Entries of the agent listing (one per agent and account group whose tests ran on it).
    pub agent_entries: usize,
    /// Account groups owning tests.
    pub account_groups: usize,
    /// Pages of the test units listing.
    pub test_pages: usize,
    /// Pages of the enterprise agent units listing.
    pub agent_pages: usize,
    /// Pages of both listings.
    pub pages: usize,
    /// 429 answers the server gives on the way through every page (one).
    pub rate_limited_responses: usize,
    /// The organization's unit quota (`GET /quotas`).
    pub organization_quota: i64,
}

/// A running demo server. Dropping it stops serving (the underlying `httpmock` server returns to
/// its pool).
pub struct DemoServer {
    server: MockServer,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for DemoServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoServer").field("base_url", &self.shared.base_url).finish()
    }
}

impl DemoServer {
    /// Starts a demo server on loopback, with every route in place.
    pub async fn start() -> DemoServer {
        let server = MockServer::start_async().await;
        let base_url = server.url("/v7");
        let shared = Arc::new(Shared {
            data: DemoData::generate(Utc::now()),
            base_url,
            window: Mutex::new(Window { reset: 0, used: 0 }),
            rate_limited_once: AtomicBool::new(false),
            requests: AtomicUsize::new(0),
            pages_served: AtomicUsize::new(0),
            rate_limited: AtomicUsize::new(0),
        });
        register_routes(&server, &shared).await;
        DemoServer { server, shared }
    }

    /// The base URL to configure a client with, ending in `/v7`.
    pub fn base_url(&self) -> String {
        self.server.url("/v7")
    }

    /// What the served data adds up to, computed from that same data.
    pub fn expected_totals(&self) -> DemoTotals {
        self.shared.data.totals()
    }

    /// Requests received so far (every route, every status).
    pub fn requests(&self) -> usize {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// Listing pages answered 200 so far (test units and enterprise agent units).
    pub fn pages_served(&self) -> usize {
        self.shared.pages_served.load(Ordering::SeqCst)
    }

    /// Requests answered 429 so far.
    pub fn rate_limited_responses(&self) -> usize {
        self.shared.rate_limited.load(Ordering::SeqCst)
    }
}

// ---------------------------------------------------------------------------------------------
// The data.
// ---------------------------------------------------------------------------------------------

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
struct DemoTest {
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

impl DemoTest {
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

struct DemoData {
    period_start: DateTime<Utc>,
    period_end: DateTime<Utc>,
    tests: Vec<DemoTest>,
    agent_entries: Vec<AgentEntry>,
}

/// A fixed mixing function (SplitMix64's finalizer): the same input always gives the same output.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
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

impl DemoData {
    /// The demo organization's data; only the period depends on `now` (the current month).
    fn generate(now: DateTime<Utc>) -> DemoData {
        let period_start = Utc.with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0).single().unwrap_or(now);
        let next_month = if now.month() == 12 {
            Utc.with_ymd_and_hms(now.year() + 1, 1, 1, 0, 0, 0)
        } else {
            Utc.with_ymd_and_hms(now.year(), now.month() + 1, 1, 0, 0, 0)
        };
        let period_end = next_month.single().unwrap_or(now) - ChronoDuration::seconds(1);

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
                tests.push(DemoTest {
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
            tests.push(DemoTest {
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

        let mut entries: BTreeMap<(usize, usize), (i64, i64)> = BTreeMap::new();
        for test in &tests {
            for run in &test.runs {
                let e = entries.entry((run.agent, test.group)).or_insert((0, 0));
                e.0 += run.used;
                e.1 += run.projected;
            }
        }
        let agent_entries = entries
            .into_iter()
            .map(|((agent, group), (used, projected))| AgentEntry { agent, group, used, projected })
            .collect();
        DemoData { period_start, period_end, tests, agent_entries }
    }

    fn cloud_used(&self) -> i64 {
        self.tests.iter().map(|t| t.cloud_used).sum()
    }

    /// The organization's cloud projection: a new test without its own projection counts with
    /// what it used so far.
    fn cloud_projected(&self) -> i64 {
        self.tests.iter().map(|t| t.cloud_projected.unwrap_or(t.cloud_used)).sum()
    }

    /// What the scheduled tests will use in a whole period.
    fn cloud_next_period(&self) -> i64 {
        self.tests.iter().filter(|t| !t.instant).map(|t| project(t.cloud_used)).sum()
    }

    fn enterprise_used(&self) -> i64 {
        self.tests.iter().map(DemoTest::enterprise_used).sum()
    }

    fn enterprise_projected(&self) -> i64 {
        self.tests.iter().map(DemoTest::enterprise_projected).sum()
    }

    fn enterprise_next_period(&self) -> i64 {
        self.tests.iter().filter(|t| !t.instant).map(|t| project(t.enterprise_used())).sum()
    }

    fn totals(&self) -> DemoTotals {
        let mut agents: Vec<usize> = self.agent_entries.iter().map(|e| e.agent).collect();
        agents.sort_unstable();
        agents.dedup();
        let mut groups: Vec<usize> = self.tests.iter().map(|t| t.group).collect();
        groups.sort_unstable();
        groups.dedup();
        let test_pages = self.pages(Listing::Tests);
        let agent_pages = self.pages(Listing::Agents);
        DemoTotals {
            tests: self.tests.len(),
            instant_tests: self.tests.iter().filter(|t| t.instant).count(),
            cloud_units_used: self.cloud_used(),
            cloud_units_projected: self.cloud_projected(),
            cloud_units_included: CLOUD_UNITS_INCLUDED,
            enterprise_units_used: self.enterprise_used(),
            enterprise_units_projected: self.enterprise_projected(),
            agents: agents.len(),
            agent_entries: self.agent_entries.len(),
            account_groups: groups.len(),
            test_pages,
            agent_pages,
            pages: test_pages + agent_pages,
            rate_limited_responses: usize::from(test_pages > 1),
            organization_quota: ORG_QUOTA,
        }
    }

    // --- Bodies, as the API shapes them. ---

    fn usage(&self, expand: &[&str]) -> Value {
        let mut usage = json!({
            "quota": {
                "monthStart": self.period_start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "monthEnd": self.period_end.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "cloudUnitsIncluded": CLOUD_UNITS_INCLUDED,
                "deviceAgentsIncluded": 25,
                "endpointAgentsIncluded": 500,
                "endpointAgentsEssentialsIncluded": 100,
                "endpointAgentsEmbeddedIncluded": 0,
                "enterpriseAgentsIncluded": 0
            },
            "cloudUnitsUsed": self.cloud_used(),
            "cloudUnitsProjected": self.cloud_projected(),
            "cloudUnitsNextBillingPeriod": self.cloud_next_period(),
            "enterpriseUnitsUsed": self.enterprise_used(),
            "enterpriseUnitsProjected": self.enterprise_projected(),
            "enterpriseUnitsNextBillingPeriod": self.enterprise_next_period(),
            "connectedDevicesUnitsUsed": 3_240,
            "connectedDevicesUnitsProjected": 5_400,
            "connectedDevicesUnitsNextBillingPeriod": 5_520,
            "endpointAgentsUsed": ACCOUNT_GROUPS.iter().map(|g| g.endpoint_agents).sum::<i64>(),
            "endpointAgentsEssentialsUsed":
                ACCOUNT_GROUPS.iter().map(|g| g.endpoint_agents_essentials).sum::<i64>(),
            "endpointAgentsEmbeddedUsed": 0,
            "enterpriseAgentsUsed": AGENTS.len()
        });
        if expand.contains(&"test") {
            let tests: Vec<Value> = self
                .tests
                .iter()
                .map(|t| {
                    let g = &ACCOUNT_GROUPS[t.group];
                    let mut v = json!({
                        "aid": g.aid,
                        "accountGroupName": g.name,
                        "testId": t.id,
                        "testName": t.name,
                        "testType": TEST_TYPES[t.kind].name,
                        "cloudUnitsUsed": t.cloud_used
                    });
                    if let Some(p) = t.cloud_projected {
                        v["cloudUnitsProjected"] = json!(p);
                    }
                    v
                })
                .collect();
            usage["tests"] = json!(tests);
        }
        if expand.contains(&"enterprise-agent-unit") {
            // `/usage` books an agent's units to its primary account group.
            let units: Vec<Value> = AGENTS
                .iter()
                .enumerate()
                .map(|(a, (name, primary))| {
                    let used: i64 = self.agent_entries.iter().filter(|e| e.agent == a).map(|e| e.used).sum();
                    let projected: i64 =
                        self.agent_entries.iter().filter(|e| e.agent == a).map(|e| e.projected).sum();
                    let g = &ACCOUNT_GROUPS[*primary];
                    json!({
                        "aid": g.aid,
                        "accountGroupName": g.name,
                        "agentId": agent_id(a),
                        "agentName": name,
                        "enterpriseUnitsUsed": used,
                        "enterpriseUnitsProjected": projected
                    })
                })
                .collect();
            usage["enterpriseAgentUnits"] = json!(units);
        }
        let per_group = |field: &str, value: &dyn Fn(usize, &AccountGroup) -> i64| -> Value {
            let rows: Vec<Value> = ACCOUNT_GROUPS
                .iter()
                .enumerate()
                .map(|(i, g)| (value(i, g), g))
                .filter(|(n, _)| *n > 0)
                .map(|(n, g)| json!({"aid": g.aid, "accountGroupName": g.name, field: n}))
                .collect();
            json!(rows)
        };
        if expand.contains(&"enterprise-agent") {
            usage["enterpriseAgents"] = per_group("enterpriseAgentsUsed", &|i, _| {
                AGENTS.iter().filter(|(_, primary)| *primary == i).count() as i64
            });
        }
        if expand.contains(&"endpoint-agent") {
            usage["endpointAgents"] = per_group("endpointAgentsUsed", &|_, g| g.endpoint_agents);
        }
        if expand.contains(&"endpoint-agent-essential") {
            usage["endpointAgentsEssentials"] =
                per_group("endpointAgentsEssentialsUsed", &|_, g| g.endpoint_agents_essentials);
        }
        if expand.contains(&"endpoint-agent-embedded") {
            usage["endpointAgentsEmbedded"] = json!([]);
        }
        usage
    }

    fn quotas(&self) -> Value {
        let groups: Vec<Value> = ACCOUNT_GROUPS
            .iter()
            .filter_map(|g| g.quota.map(|q| json!({"aid": g.aid, "value": q})))
            .collect();
        json!({
            "quotas": [{
                "organizationQuota": {"orgId": ORG_ID, "value": ORG_QUOTA},
                "accountGroupQuotas": groups
            }]
        })
    }

    fn test_item(&self, t: &DemoTest) -> Value {
        let g = &ACCOUNT_GROUPS[t.group];
        let mut v = json!({
            "aid": g.aid,
            "accountGroupName": g.name,
            "enterpriseUnitsUsed": t.enterprise_used(),
            "enterpriseUnitsProjected": t.enterprise_projected(),
            "cloudUnitsUsed": t.cloud_used,
            "testId": t.id,
            "testName": t.name,
            "testType": TEST_TYPES[t.kind].name,
            "isInstantTest": t.instant
        });
        if let Some(p) = t.cloud_projected {
            v["cloudUnitsProjected"] = json!(p);
        }
        v
    }

    fn agent_item(&self, e: &AgentEntry) -> Value {
        let g = &ACCOUNT_GROUPS[e.group];
        json!({
            "aid": g.aid,
            "accountGroupName": g.name,
            "agentId": agent_id(e.agent),
            "agentName": AGENTS[e.agent].0,
            "enterpriseUnitsUsed": e.used,
            "enterpriseUnitsProjected": e.projected
        })
    }

    /// The items of one page of a listing.
    fn page(&self, listing: Listing, index: usize) -> Vec<Value> {
        match listing {
            Listing::Tests => self
                .tests
                .iter()
                .skip(index * TESTS_PAGE_SIZE)
                .take(TESTS_PAGE_SIZE)
                .map(|t| self.test_item(t))
                .collect(),
            Listing::Agents => self
                .agent_entries
                .iter()
                .skip(index * AGENTS_PAGE_SIZE)
                .take(AGENTS_PAGE_SIZE)
                .map(|e| self.agent_item(e))
                .collect(),
        }
    }

    fn pages(&self, listing: Listing) -> usize {
        let items = match listing {
            Listing::Tests => self.tests.len(),
            Listing::Agents => self.agent_entries.len(),
        };
        items.div_ceil(page_size(listing)).max(1)
    }
}

// ---------------------------------------------------------------------------------------------
// The server.
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Listing {
    Tests,
    Agents,
}

impl Listing {
    fn path(self) -> &'static str {
        match self {
            Listing::Tests => "/v7/usage/units/tests",
            Listing::Agents => "/v7/usage/units/enterprise-agents",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Listing::Tests => "tests",
            Listing::Agents => "enterprise-agents",
        }
    }
}

/// The opaque cursor of page `index` (from 0) of a listing: base64url of a small JSON document,
/// as real APIs tend to make them.
fn cursor(listing: Listing, index: usize) -> String {
    let raw = format!(
        r#"{{"v":1,"listing":"{}","offset":{},"sort":"testId"}}"#,
        listing.key(),
        index * page_size(listing)
    );
    base64url(raw.as_bytes())
}

fn page_size(listing: Listing) -> usize {
    match listing {
        Listing::Tests => TESTS_PAGE_SIZE,
        Listing::Agents => AGENTS_PAGE_SIZE,
    }
}

fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

struct Window {
    /// End of the current window, epoch seconds.
    reset: i64,
    /// Calls made in it.
    used: u64,
}

struct Shared {
    data: DemoData,
    base_url: String,
    window: Mutex<Window>,
    rate_limited_once: AtomicBool,
    requests: AtomicUsize,
    pages_served: AtomicUsize,
    rate_limited: AtomicUsize,
}

/// What a route decided.
enum Reply {
    Ok(Value),
    /// A problem: status, title, detail, and the invalid values of a 400.
    Problem(u16, &'static str, String, Vec<Value>),
    /// Refuse this call with 429, as if the window had just been used up by another client.
    Exhausted,
}

fn bad_request(detail: String, field: &str, code: &str, message: String) -> Reply {
    Reply::Problem(
        400,
        "Bad Request",
        detail,
        vec![json!({"code": code, "field": field, "message": message})],
    )
}

/// The first value of query parameter `name`.
fn param(req: &HttpMockRequest, name: &str) -> Option<String> {
    req.query_params().into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

fn authorized(req: &HttpMockRequest) -> bool {
    let wanted = format!("Bearer {DEMO_TOKEN}");
    req.headers_vec().iter().any(|(k, v)| k.eq_ignore_ascii_case("authorization") && v.trim() == wanted)
}

/// The account group named by `aid`, if any, must be one of the organization's.
fn check_aid(req: &HttpMockRequest) -> Option<Reply> {
    let aid = param(req, "aid")?;
    if ACCOUNT_GROUPS.iter().any(|g| g.aid == aid) {
        return None;
    }
    Some(Reply::Problem(
        404,
        "Not Found",
        format!("Account group {aid} does not exist or you are not a member of it."),
        Vec::new(),
    ))
}

/// `startDate` and `endDate` as the API checks them.
fn check_range(req: &HttpMockRequest, now: DateTime<Utc>) -> Option<Reply> {
    let parse = |name: &str| -> Result<Option<DateTime<FixedOffset>>, Reply> {
        match param(req, name) {
            None => Ok(None),
            Some(v) => DateTime::parse_from_rfc3339(&v).map(Some).map_err(|_| {
                bad_request(
                    format!("{name} must be a date and time in ISO 8601 form, such as 2022-07-17T22:00:54Z."),
                    name,
                    "INVALID_DATE",
                    format!("{v:?} is not an ISO 8601 date-time"),
                )
            }),
        }
    };
    let (start, end) = match (parse("startDate"), parse("endDate")) {
        (Ok(s), Ok(e)) => (s, e),
        (Err(r), _) | (_, Err(r)) => return Some(r),
    };
    match (start, end) {
        (None, Some(_)) => Some(bad_request(
            "endDate needs a startDate.".into(),
            "startDate",
            "MISSING_START_DATE",
            "required when endDate is given".into(),
        )),
        (Some(s), _) if s > now => Some(bad_request(
            "startDate is in the future.".into(),
            "startDate",
            "INVALID_DATE_RANGE",
            "must not be in the future".into(),
        )),
        (Some(s), Some(e)) if s >= e => Some(bad_request(
            "startDate must be before endDate.".into(),
            "startDate",
            "INVALID_DATE_RANGE",
            "must be before endDate".into(),
        )),
        _ => None,
    }
}

/// The URL of `path` on the demo server with the request's query, `cursor` replaced.
fn link(shared: &Shared, req: &HttpMockRequest, path: &str, cursor: Option<&str>) -> String {
    let root = shared.base_url.trim_end_matches("/v7");
    let Ok(mut url) = Url::parse(&format!("{root}{path}")) else {
        return format!("{root}{path}");
    };
    {
        let mut query = url.query_pairs_mut();
        for (k, v) in req.query_params() {
            if k != "cursor" {
                query.append_pair(&k, &v);
            }
        }
        if let Some(c) = cursor {
            query.append_pair("cursor", c);
        }
    }
    let mut s = url.to_string();
    if s.ends_with('?') {
        s.pop();
    }
    s
}

fn usage_route(shared: &Shared, req: &HttpMockRequest) -> Reply {
    if let Some(problem) = check_aid(req) {
        return problem;
    }
    const KNOWN: [&str; 6] = [
        "test",
        "enterprise-agent",
        "enterprise-agent-unit",
        "endpoint-agent",
        "endpoint-agent-essential",
        "endpoint-agent-embedded",
    ];
    let raw = param(req, "expand").unwrap_or_default();
    let mut expand = Vec::new();
    for item in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        match KNOWN.iter().find(|k| **k == item) {
            Some(k) => expand.push(*k),
            None => {
                return bad_request(
                    format!("expand has an unknown value {item:?}."),
                    "expand",
                    "INVALID_VALUE",
                    format!("must be one of {}", KNOWN.join(", ")),
                )
            }
        }
    }
    Reply::Ok(json!({
        "usage": shared.data.usage(&expand),
        "_links": {"self": {"href": link(shared, req, "/v7/usage", None)}}
    }))
}

fn quotas_route(shared: &Shared, req: &HttpMockRequest) -> Reply {
    let mut body = shared.data.quotas();
    body["_links"] = json!({"self": {"href": link(shared, req, "/v7/quotas", None)}});
    Reply::Ok(body)
}

fn page_route(
    shared: &Shared,
    req: &HttpMockRequest,
    listing: Listing,
    index: usize,
    now: DateTime<Utc>,
) -> Reply {
    if listing == Listing::Tests {
        if let Some(problem) = check_aid(req) {
            return problem;
        }
    }
    if let Some(problem) = check_range(req, now) {
        return problem;
    }
    // The one 429 on the way: the second page of test units, the first time it is asked for.
    if listing == Listing::Tests && index == 1 && !shared.rate_limited_once.swap(true, Ordering::SeqCst) {
        return Reply::Exhausted;
    }
    let pages = shared.data.pages(listing);
    let this = (index > 0).then(|| cursor(listing, index));
    let mut links = json!({"self": {"href": link(shared, req, listing.path(), this.as_deref())}});
    if index + 1 < pages {
        links["next"] = json!({"href": link(shared, req, listing.path(), Some(&cursor(listing, index + 1)))});
    }
    if index > 0 {
        let previous = (index > 1).then(|| cursor(listing, index - 1));
        links["previous"] = json!({"href": link(shared, req, listing.path(), previous.as_deref())});
    }
    shared.pages_served.fetch_add(1, Ordering::SeqCst);
    Reply::Ok(json!({"breakdowns": shared.data.page(listing, index), "_links": links}))
}

/// Serves one request: authentication, the rate-limit window, the route, and the headers.
fn serve(
    shared: &Shared,
    req: &HttpMockRequest,
    route: impl FnOnce(DateTime<Utc>) -> Reply,
) -> HttpMockResponse {
    shared.requests.fetch_add(1, Ordering::SeqCst);
    let now = Utc::now();
    let date = now.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    if !authorized(req) {
        let body = json!({
            "error": "invalid_token",
            "error_description": "The access token is missing, invalid or expired."
        });
        return HttpMockResponse::builder()
            .status(401)
            .header("content-type", "application/json")
            .header("date", date)
            .header("www-authenticate", r#"Bearer error="invalid_token""#)
            .body(body.to_string())
            .build();
    }
    let secs = now.timestamp();
    let (mut remaining, mut reset, over_limit) = {
        let mut w = shared.window.lock().unwrap_or_else(|p| p.into_inner());
        if secs >= w.reset {
            *w = Window { reset: (secs / 60 + 1) * 60, used: 0 };
        }
        w.used += 1;
        (RATE_LIMIT.saturating_sub(w.used), w.reset, w.used > RATE_LIMIT)
    };
    let reply = if over_limit { Reply::Exhausted } else { route(now) };
    if matches!(reply, Reply::Exhausted) && !over_limit {
        // Another client of the organization used up the window; it resets in a second.
        let mut w = shared.window.lock().unwrap_or_else(|p| p.into_inner());
        *w = Window { reset: secs + 1, used: RATE_LIMIT };
        (remaining, reset) = (0, w.reset);
    }
    let request_id = format!("demo-{:016x}", mix(shared.requests.load(Ordering::SeqCst) as u64));
    let builder = HttpMockResponse::builder()
        .header("date", date)
        .header("x-organization-rate-limit-limit", RATE_LIMIT.to_string())
        .header("x-organization-rate-limit-remaining", remaining.to_string())
        .header("x-organization-rate-limit-reset", reset.to_string())
        .header("x-request-id", request_id);
    let path = req.uri().path().to_string();
    let problem = |status: u16, title: &str, detail: String, errors: Vec<Value>| {
        let mut body = json!({
            "type": "about:blank",
            "title": title,
            "status": status,
            "detail": detail,
            "instance": path
        });
        if !errors.is_empty() {
            body["errors"] = json!(errors);
        }
        body.to_string()
    };
    match reply {
        Reply::Ok(body) => {
            builder.status(200).header("content-type", HAL_JSON).body(body.to_string()).build()
        }
        Reply::Problem(status, title, detail, errors) => builder
            .status(status)
            .header("content-type", PROBLEM_JSON)
            .body(problem(status, title, detail, errors))
            .build(),
        Reply::Exhausted => {
            shared.rate_limited.fetch_add(1, Ordering::SeqCst);
            let when = DateTime::from_timestamp(reset, 0).map(|t| t.to_rfc3339()).unwrap_or_default();
            builder
                .status(429)
                .header("content-type", PROBLEM_JSON)
                .body(problem(
                    429,
                    "Too Many Requests",
                    format!(
                        "The organization has used its {RATE_LIMIT} calls for this minute; \
                         the window resets at {when}."
                    ),
                    Vec::new(),
                ))
                .build()
        }
    }
}

async fn register_routes(server: &MockServer, shared: &Arc<Shared>) {
    // httpmock answers with the first mock (in order of creation) that matches, so the specific
    // routes come first and the fallbacks last.
    let s = Arc::clone(shared);
    server
        .mock_async(|when, then| {
            when.method(Method::GET).path("/v7/usage");
            then.respond_with(move |req| serve(&s, req, |_| usage_route(&s, req)));
        })
        .await;
    let s = Arc::clone(shared);
    server
        .mock_async(|when, then| {
            when.method(Method::GET).path("/v7/quotas");
            then.respond_with(move |req| serve(&s, req, |_| quotas_route(&s, req)));
        })
        .await;
    for listing in [Listing::Tests, Listing::Agents] {
        for index in 0..shared.data.pages(listing) {
            let s = Arc::clone(shared);
            let page_cursor = cursor(listing, index);
            server
                .mock_async(|when, then| {
                    let when = when.method(Method::GET).path(listing.path());
                    if index == 0 {
                        when.query_param_missing("cursor");
                    } else {
                        when.query_param("cursor", page_cursor);
                    }
                    then.respond_with(move |req| {
                        serve(&s, req, |now| page_route(&s, req, listing, index, now))
                    });
                })
                .await;
        }
        // Any other cursor: not one this server gave out.
        let s = Arc::clone(shared);
        server
            .mock_async(|when, then| {
                when.method(Method::GET).path(listing.path());
                then.respond_with(move |req| {
                    serve(&s, req, |_| {
                        bad_request(
                            "The cursor is not valid for this listing; start again from the first page."
                                .into(),
                            "cursor",
                            "INVALID_CURSOR",
                            "unknown or expired cursor".into(),
                        )
                    })
                });
            })
            .await;
    }
    let s = Arc::clone(shared);
    server
        .mock_async(|_when, then| {
            then.respond_with(move |req| {
                let what = format!("{} {}", req.method_str(), req.uri().path());
                serve(&s, req, |_| {
                    Reply::Problem(
                        404,
                        "Not Found",
                        format!("No resource at {what} in the demo API."),
                        Vec::new(),
                    )
                })
            });
        })
        .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_matches_known_values() {
        assert_eq!(base64url(b""), "");
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(b"foo"), "Zm9v");
        assert_eq!(base64url(b"foob"), "Zm9vYg");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn data_is_deterministic_and_consistent() {
        let now = Utc::now();
        let a = DemoData::generate(now).totals();
        let b = DemoData::generate(now).totals();
        assert_eq!(a, b);
        let data = DemoData::generate(now);
        let by_agents: i64 = data.agent_entries.iter().map(|e| e.used).sum();
        assert_eq!(by_agents, a.enterprise_units_used);
        assert!(a.cloud_units_used > 1_000_000, "{a:?}");
        assert!((4..=6).contains(&a.test_pages), "{a:?}");
        assert!((4..=6).contains(&a.agent_pages), "{a:?}");
    }
}
