//! The metrics `/metrics` publishes, written with `prometheus-client` (the Prometheus project's
//! Rust client), and the two texts a scrape is answered with.
//!
//! Every series carries the `organization` label. Names follow the Prometheus naming
//! conventions: the `thousandeyes_` prefix, the unit as a suffix in the plural (`_units`,
//! `_agents`, `_seconds`), `_total` on counters, timestamps in seconds since the epoch.
//!
//! | metric | labels besides `organization` | what |
//! |---|---|---|
//! | `thousandeyes_used_units` | `kind` (`cloud`, `enterprise`, `connected_devices`) | units used in the billing period so far |
//! | `thousandeyes_projected_units` | `kind` | units expected by the end of the billing period |
//! | `thousandeyes_next_period_units` | `kind` | units expected in the next billing period |
//! | `thousandeyes_included_units` | `kind` | units the contract includes each period |
//! | `thousandeyes_used_agents` | `kind` (`endpoint`, `endpoint_essentials`, `endpoint_embedded`, `enterprise`) | agents used |
//! | `thousandeyes_included_agents` | `kind` (the same, and `connected_devices`) | agents the contract includes |
//! | `thousandeyes_billing_period_start_timestamp_seconds`, `..._end_...` | | the billing period |
//! | `thousandeyes_organization_quota_units` | `org_id` | an organization's quota |
//! | `thousandeyes_account_group_quota_units` | `aid`, `account_group` | an account group's quota |
//! | `thousandeyes_account_group_used_units`, `..._projected_units` | `aid`, `account_group`, `attribution` (`test_owner`, `agent_home_group`), `kind` | units per account group |
//! | `thousandeyes_test_used_units`, `..._projected_units` | `test_id`, `test_name`, `test_type`, `aid`, `account_group`, `kind` | the `--per-test N` tests that use the most |
//! | `thousandeyes_up` | | 1 when the last refresh succeeded, else 0 (the figures above are then the last good ones) |
//! | `thousandeyes_last_refresh_success_timestamp_seconds` | | when the last successful refresh ended |
//! | `thousandeyes_refresh_duration_seconds` | | how long the last refresh took |
//! | `thousandeyes_refresh_interval_seconds` | | the interval between refreshes |
//! | `thousandeyes_refreshes_total` | | refreshes made |
//! | `thousandeyes_refresh_errors_total` | `cause` | refreshes that failed, by cause |
//! | `thousandeyes_client_requests_total` | | requests the client sent (every attempt) |
//! | `thousandeyes_client_retries_total` | | requests sent again |
//! | `thousandeyes_client_rate_limited_responses_total` | | 429 answers |
//! | `thousandeyes_client_requests_not_sent_total` | | calls the client did not send (the rate limit) |
//! | `thousandeyes_client_waits_total`, `thousandeyes_client_wait_seconds_total` | `reason` | the client's waits before requests, by reason |
//! | `thousandeyes_token_reloads_total` | `result` (`applied`, `refused`, `reverted`) | tokens read from `--token-file` |
//! | `thousandeyes_history_errors_total` | | snapshots that could not be written to `--history` |
//!
//! A scrape is answered from text encoded when the figures last changed (after a refresh, or a
//! token reload): never a call to the API, and no encoding per scrape. Prometheus asks for
//! OpenMetrics, the client's own format; any other scraper (curl, `promtool check metrics`) gets
//! the Prometheus text format 0.0.4 of the same metrics.

use std::sync::atomic::{AtomicI64, AtomicU64};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};
use thousandeyes_usage::ClientStats;

use crate::serve::snapshot::Snapshot;

/// The content type of the OpenMetrics text.
pub const OPENMETRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The content type of the Prometheus text format.
pub const TEXT_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The answer to a scrape, in both formats.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// OpenMetrics 1.0, as `prometheus-client` encodes it.
    pub openmetrics: Bytes,
    /// The Prometheus text format 0.0.4.
    pub text: Bytes,
}

/// What the metrics show of one organization.
#[derive(Debug, Clone, Copy)]
pub struct OrgView<'a> {
    /// The `organization` label.
    pub name: &'a str,
    /// The last good refresh's figures.
    pub snapshot: Option<&'a Snapshot>,
    /// Whether the last refresh succeeded.
    pub up: bool,
    /// When the last successful refresh ended.
    pub last_success: Option<DateTime<Utc>>,
    /// How long the last refresh took.
    pub last_duration: Option<Duration>,
    /// The interval between refreshes.
    pub interval: Duration,
    /// Refreshes made.
    pub refreshes: u64,
    /// Failed refreshes by cause.
    pub errors: &'a [(&'static str, u64)],
    /// Tokens read from the token file, by result.
    pub token_reloads: &'a [(&'static str, u64)],
    /// Refreshes whose history could not be written; `None` without a history.
    pub history_errors: Option<u64>,
    /// The client's counters.
    pub client: ClientStats,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Org {
    organization: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OrgKind {
    organization: String,
    kind: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OrgQuota {
    organization: String,
    org_id: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct GroupQuota {
    organization: String,
    aid: String,
    account_group: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct GroupUnits {
    organization: String,
    aid: String,
    account_group: String,
    attribution: &'static str,
    kind: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TestUnits {
    organization: String,
    test_id: String,
    test_name: String,
    test_type: String,
    aid: String,
    account_group: String,
    kind: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OrgCause {
    organization: String,
    cause: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OrgReason {
    organization: String,
    reason: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OrgResult {
    organization: String,
    result: &'static str,
}

type Units<L> = Family<L, Gauge<i64, AtomicI64>>;
type Seconds<L> = Family<L, Gauge<f64, AtomicU64>>;
type Total<L> = Family<L, Counter<u64, AtomicU64>>;
type SecondsTotal<L> = Family<L, Counter<f64, AtomicU64>>;

/// The registry and its metric families, filled from every organization's view for one page.
#[derive(Debug)]
struct Metrics {
    registry: Registry,
    used: Units<OrgKind>,
    projected: Units<OrgKind>,
    next_period: Units<OrgKind>,
    included: Units<OrgKind>,
    used_agents: Units<OrgKind>,
    included_agents: Units<OrgKind>,
    period_start: Seconds<Org>,
    period_end: Seconds<Org>,
    organization_quota: Units<OrgQuota>,
    group_quota: Units<GroupQuota>,
    group_used: Units<GroupUnits>,
    group_projected: Units<GroupUnits>,
    test_used: Units<TestUnits>,
    test_projected: Units<TestUnits>,
    up: Units<Org>,
    last_success: Seconds<Org>,
    duration: Seconds<Org>,
    interval: Seconds<Org>,
    refreshes: Total<Org>,
    errors: Total<OrgCause>,
    requests: Total<Org>,
    retries: Total<Org>,
    rate_limited: Total<Org>,
    not_sent: Total<Org>,
    waits: Total<OrgReason>,
    wait_seconds: SecondsTotal<OrgReason>,
    token_reloads: Total<OrgResult>,
    history_errors: Total<Org>,
}

impl Metrics {
    /// The registry, with every family registered and empty.
    fn new() -> Metrics {
        let mut r = Registry::with_prefix("thousandeyes");
        macro_rules! family {
            ($name:literal, $help:literal) => {{
                let f = Family::default();
                r.register($name, $help, f.clone());
                f
            }};
            ($name:literal, $help:literal, $unit:expr) => {{
                let f = Family::default();
                r.register_with_unit($name, $help, $unit, f.clone());
                f
            }};
        }
        Metrics {
            used: family!("used_units", "Units used in the billing period so far, by kind of unit"),
            projected: family!("projected_units", "Units expected by the end of the billing period, by kind of unit"),
            next_period: family!("next_period_units", "Units expected in the next billing period, by kind of unit"),
            included: family!("included_units", "Units the contract includes each billing period, by kind of unit"),
            used_agents: family!("used_agents", "Agents used in the billing period, by kind of agent"),
            included_agents: family!("included_agents", "Agents the contract includes, by kind of agent"),
            period_start: family!(
                "billing_period_start_timestamp",
                "Start of the billing period, in seconds since the epoch",
                Unit::Seconds
            ),
            period_end: family!(
                "billing_period_end_timestamp",
                "End of the billing period, in seconds since the epoch",
                Unit::Seconds
            ),
            organization_quota: family!("organization_quota_units", "The organization's unit quota"),
            group_quota: family!("account_group_quota_units", "The account group's unit quota"),
            group_used: family!(
                "account_group_used_units",
                "Units used by account group, under an attribution: test_owner (what the group's tests used, what its quota caps) or agent_home_group (enterprise units booked to the group the agent was created in)"
            ),
            group_projected: family!(
                "account_group_projected_units",
                "Units expected by the end of the billing period by account group, under an attribution (test_owner or agent_home_group)"
            ),
            test_used: family!("test_used_units", "Units used by one of the tests that use the most (--per-test)"),
            test_projected: family!(
                "test_projected_units",
                "Units expected by the end of the billing period for one of the tests that use the most (--per-test)"
            ),
            up: family!("up", "1 when the organization's last refresh succeeded, 0 when it failed or none has yet (the figures are then the last good ones)"),
            last_success: family!(
                "last_refresh_success_timestamp",
                "When the organization's last successful refresh ended, in seconds since the epoch",
                Unit::Seconds
            ),
            duration: family!("refresh_duration", "How long the organization's last refresh took", Unit::Seconds),
            interval: family!("refresh_interval", "The interval between the organization's refreshes", Unit::Seconds),
            refreshes: family!("refreshes", "Refreshes of the organization's figures"),
            errors: family!("refresh_errors", "Refreshes that failed, by cause"),
            requests: family!("client_requests", "Requests the client sent to the API, every attempt counted"),
            retries: family!("client_retries", "Requests the client sent again (after a 429 or a transient failure)"),
            rate_limited: family!("client_rate_limited_responses", "429 Too Many Requests answers the client received"),
            not_sent: family!(
                "client_requests_not_sent",
                "Calls the client did not send because the rate-limit window stayed closed"
            ),
            waits: family!("client_waits", "Waits of the client before a request, by reason"),
            wait_seconds: family!("client_wait", "Time the client waited before requests, by reason", Unit::Seconds),
            token_reloads: family!(
                "token_reloads",
                "Tokens read from the token file: applied, refused (not a usable token) or reverted (the API refused it)"
            ),
            history_errors: family!(
                "history_errors",
                "Successful refreshes whose snapshot could not be written to the history (--history)"
            ),
            registry: r,
        }
    }

    fn fill(&self, view: &OrgView<'_>) {
        let organization = || view.name.to_string();
        let org = Org { organization: organization() };
        let kind = |kind| OrgKind { organization: organization(), kind };

        self.up.get_or_create(&org).set(i64::from(view.up));
        if let Some(t) = view.last_success {
            self.last_success.get_or_create(&org).set(epoch_seconds(t));
        }
        if let Some(d) = view.last_duration {
            self.duration.get_or_create(&org).set(d.as_secs_f64());
        }
        self.interval.get_or_create(&org).set(view.interval.as_secs_f64());
        self.refreshes.get_or_create(&org).inc_by(view.refreshes);
        for &(cause, n) in view.errors {
            self.errors.get_or_create(&OrgCause { organization: organization(), cause }).inc_by(n);
        }
        for &(result, n) in view.token_reloads {
            self.token_reloads.get_or_create(&OrgResult { organization: organization(), result }).inc_by(n);
        }
        if let Some(n) = view.history_errors {
            self.history_errors.get_or_create(&org).inc_by(n);
        }
        let c = &view.client;
        self.requests.get_or_create(&org).inc_by(c.requests_sent);
        self.retries.get_or_create(&org).inc_by(c.retries);
        self.rate_limited.get_or_create(&org).inc_by(c.rate_limited);
        self.not_sent.get_or_create(&org).inc_by(c.not_sent);
        for (reason, waits) in [
            ("spreading", c.spreading),
            ("window_used_up", c.window_used_up),
            ("after_rate_limit", c.after_rate_limit),
            ("retry_backoff", c.retry_backoff),
        ] {
            let labels = OrgReason { organization: organization(), reason };
            self.waits.get_or_create(&labels).inc_by(waits.count);
            self.wait_seconds.get_or_create(&labels).inc_by(waits.total.as_secs_f64());
        }

        let Some(s) = view.snapshot else { return };
        for figures in &s.units {
            let labels = kind(figures.kind);
            set(&self.used, &labels, figures.used);
            set(&self.projected, &labels, figures.projected);
            set(&self.next_period, &labels, figures.next_period);
            set(&self.included, &labels, figures.included);
        }
        for figures in &s.agents {
            let labels = kind(figures.kind);
            set(&self.used_agents, &labels, figures.used);
            set(&self.included_agents, &labels, figures.included);
        }
        if let Some(t) = s.period_start {
            self.period_start.get_or_create(&org).set(epoch_seconds(t));
        }
        if let Some(t) = s.period_end {
            self.period_end.get_or_create(&org).set(epoch_seconds(t));
        }
        for q in &s.organization_quotas {
            self.organization_quota
                .get_or_create(&OrgQuota { organization: organization(), org_id: q.id.clone() })
                .set(q.units);
        }
        for q in &s.account_group_quotas {
            let labels = GroupQuota {
                organization: organization(),
                aid: q.id.clone(),
                account_group: s.group_name(&q.id).to_string(),
            };
            self.group_quota.get_or_create(&labels).set(q.units);
        }
        for g in &s.groups {
            let labels = |kind| GroupUnits {
                organization: organization(),
                aid: g.aid.clone(),
                account_group: s.group_name(&g.aid).to_string(),
                attribution: g.attribution.label(),
                kind,
            };
            // Cloud units only by test owner: cloud agents have no home group.
            set(&self.group_used, &labels("cloud"), g.cloud_used);
            set(&self.group_projected, &labels("cloud"), g.cloud_projected);
            self.group_used.get_or_create(&labels("enterprise")).set(g.enterprise_used);
            self.group_projected.get_or_create(&labels("enterprise")).set(g.enterprise_projected);
        }
        for t in &s.top_tests {
            let text = |v: &Option<String>| v.clone().unwrap_or_default();
            let aid = text(&t.aid);
            let labels = |kind| TestUnits {
                organization: organization(),
                test_id: text(&t.test_id),
                test_name: text(&t.name),
                test_type: text(&t.test_type),
                account_group: s.group_name(&aid).to_string(),
                aid: aid.clone(),
                kind,
            };
            set(&self.test_used, &labels("cloud"), t.cloud_units_used);
            set(&self.test_projected, &labels("cloud"), t.cloud_units_projected);
            set(&self.test_used, &labels("enterprise"), t.enterprise_units_used);
            set(&self.test_projected, &labels("enterprise"), t.enterprise_units_projected);
        }
    }
}

/// The page of `orgs`: a registry filled from their views, encoded. A registry a page, so
/// that the series of account groups and tests that went away go with the page before.
pub fn encode(orgs: &[OrgView<'_>]) -> Page {
    let metrics = Metrics::new();
    for org in orgs {
        metrics.fill(org);
    }
    let mut openmetrics = String::with_capacity(64 * 1024);
    // Writing to a String does not fail.
    let _ = prometheus_client::encoding::text::encode(&mut openmetrics, &metrics.registry);
    let text = to_text_format(&openmetrics);
    Page { openmetrics: Bytes::from(openmetrics), text: Bytes::from(text) }
}

/// Sets the series `labels` of `family` to `value`, when there is one.
fn set<L>(family: &Units<L>, labels: &L, value: Option<i64>)
where
    L: Clone + std::hash::Hash + Eq,
{
    if let Some(v) = value {
        family.get_or_create(labels).set(v);
    }
}

fn epoch_seconds(t: DateTime<Utc>) -> f64 {
    t.timestamp_millis() as f64 / 1e3
}

/// The Prometheus text format 0.0.4 of `openmetrics`, an OpenMetrics text of counters and
/// gauges as `prometheus-client` writes it: a counter's `HELP` and `TYPE` name its samples
/// (with `_total`), and the `UNIT` and `EOF` lines, which the older format does not have, go.
///
/// ```
/// use thousandeyes_usage_cli::serve::metrics::to_text_format;
///
/// let openmetrics = "# HELP x_requests Requests.\n# TYPE x_requests counter\nx_requests_total 3\n\
///                    # HELP x_wait_seconds Waits.\n# TYPE x_wait_seconds gauge\n# UNIT x_wait_seconds seconds\n\
///                    x_wait_seconds 1.5\n# EOF\n";
/// assert_eq!(
///     to_text_format(openmetrics),
///     "# HELP x_requests_total Requests.\n# TYPE x_requests_total counter\nx_requests_total 3\n\
///      # HELP x_wait_seconds Waits.\n# TYPE x_wait_seconds gauge\nx_wait_seconds 1.5\n"
/// );
/// ```
pub fn to_text_format(openmetrics: &str) -> String {
    let mut out = String::with_capacity(openmetrics.len());
    let mut help: Option<&str> = None;
    for line in openmetrics.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            help = Some(rest);
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap_or((rest, ""));
            let suffix = if kind == "counter" { "_total" } else { "" };
            if let Some(help) = help.take() {
                let text = help.split_once(' ').map_or("", |(_, text)| text);
                out.push_str(&format!("# HELP {name}{suffix} {text}\n"));
            }
            out.push_str(&format!("# TYPE {name}{suffix} {kind}\n"));
        } else if line.starts_with("# UNIT ") || line == "# EOF" {
            continue;
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}
