//! `te-usage check` as a monitoring system runs it: one status line on stdout with performance
//! data after `|`, and the exit status of the Monitoring Plugins guidelines (0 OK, 1 WARNING,
//! 2 CRITICAL, 3 UNKNOWN).

// Model literals end in `..Default::default()`, so that a field the spec adds needs no edit here.
#![allow(clippy::needless_update)]

use thousandeyes_usage::models::{AccountGroupQuota, OrganizationQuota, Quota};
use thousandeyes_usage_fake::{Failure, FakeUsageApi, Operation};

use crate::support::{
    assert_names_a_refused_connection, run, te_usage, te_usage_on, te_usage_unreachable, Run,
};

/// One performance datum: `'label'=value;warn;crit;min;max`.
#[derive(Debug)]
struct Perf {
    label: String,
    value: f64,
    warn: Option<f64>,
    crit: Option<f64>,
    max: f64,
}

/// The status line's parts: the text before `|`, and the performance data after it, parsed as the
/// guidelines define it (labels quoted when they hold spaces, a quote doubled).
fn parse(out: &Run) -> (String, Vec<Perf>) {
    assert_eq!(out.stdout.lines().count(), 1, "one line: {:?}", out.stdout);
    let line = out.stdout.trim_end_matches('\n');
    let (text, perfdata) = line.split_once(" | ").expect("performance data after |");
    let mut perf = Vec::new();
    let mut rest = perfdata;
    while !rest.is_empty() {
        let (label, after) = if let Some(quoted) = rest.strip_prefix('\'') {
            let end = quoted.find("'=").expect("a closing quote");
            (quoted[..end].replace("''", "'"), &quoted[end + 1..])
        } else {
            let end = rest.find('=').expect("=");
            assert!(!rest[..end].contains(' '), "a label with a space is quoted: {rest}");
            (rest[..end].to_string(), &rest[end..])
        };
        let after = after.strip_prefix('=').expect("=");
        let (datum, next) = after.split_once(' ').unwrap_or((after, ""));
        let fields: Vec<&str> = datum.split(';').collect();
        assert_eq!(fields.len(), 5, "value;warn;crit;min;max: {datum}");
        let number =
            |f: &str| (!f.is_empty()).then(|| f.parse::<f64>().unwrap_or_else(|_| panic!("{f} in {datum}")));
        assert_eq!(number(fields[3]), Some(0.0), "{datum}");
        perf.push(Perf {
            label,
            value: number(fields[0]).expect("a value"),
            warn: number(fields[1]),
            crit: number(fields[2]),
            max: number(fields[4]).expect("a max"),
        });
        rest = next;
    }
    (text.to_string(), perf)
}

#[tokio::test]
async fn the_demo_is_critical_with_one_status_line_and_performance_data() {
    let out = run(te_usage(["check", "--demo"])).await;
    assert_eq!(out.status, 2, "{out:?}");
    let (text, perf) = parse(&out);
    assert!(text.starts_with("CRITICAL - month to date, "), "{text}");
    assert!(
        text.contains(
            "EMEA Retail (1238) used 138.6 % of its quota (1,386,383 of 1,000,000 units, by test owner)"
        ),
        "{text}"
    );
    assert!(text.ends_with("[demo data]"), "{text}");
    let labels: Vec<&str> = perf.iter().map(|p| p.label.as_str()).collect();
    for label in [
        "cloud units used",
        "cloud units projected",
        "organization 1001 units used",
        "account group 1238 units used",
        "account group 1238 units projected",
    ] {
        assert!(labels.contains(&label), "{labels:?}");
    }
    // Thresholds in units: the defaults, 80 % and 100 % of the limit; projections only warn.
    let group = perf.iter().find(|p| p.label == "account group 1238 units used").expect("the group");
    assert_eq!(
        (group.value, group.warn, group.crit, group.max),
        (1_386_383.0, Some(800_000.0), Some(1_000_000.0), 1_000_000.0)
    );
    let projected = perf.iter().find(|p| p.label == "cloud units projected").expect("cloud projected");
    assert_eq!((projected.warn, projected.crit), (Some(projected.max * 0.8), None));
}

#[tokio::test]
async fn thresholds_above_every_ratio_are_ok() {
    let (_, perf) = parse(&run(te_usage(["check", "--demo"])).await);
    let highest = perf.iter().map(|p| p.value * 100.0 / p.max).fold(0.0, f64::max);
    let above = format!("{}", highest.ceil() + 1.0);
    let out = run(te_usage(["check", "--demo", "--warn", &above, "--crit", &above])).await;
    assert_eq!(out.status, 0, "{out:?}");
    let (text, perf) = parse(&out);
    assert!(text.starts_with("OK - month to date, "), "{text}");
    assert!(text.contains(&format!("{} figures within", perf.len())), "{text}");
}

/// A projection over the threshold warns while what is used is still under it, and a projection
/// never makes it CRITICAL.
#[tokio::test]
async fn a_projection_over_the_thresholds_warns_before_use_is_over() {
    let (_, perf) = parse(&run(te_usage(["check", "--demo"])).await);
    let ratio = |p: &Perf| p.value * 100.0 / p.max;
    let used = perf.iter().filter(|p| p.label.ends_with(" used")).map(ratio).fold(0.0, f64::max);
    let projected = perf.iter().filter(|p| p.label.ends_with(" projected")).map(ratio).fold(0.0, f64::max);
    assert!(projected > used + 2.0, "the demo projects beyond what it used: {used} {projected}");
    // Above every used ratio, below the highest projection (warn and crit alike).
    let between = format!("{:.1}", (used + projected) / 2.0);
    let out = run(te_usage(["check", "--demo", "--warn", &between, "--crit", &between])).await;
    assert_eq!(out.status, 1, "{out:?}");
    let (text, _) = parse(&out);
    assert!(
        text.starts_with("WARNING - ") && text.contains(" projected ") && !text.contains(" used "),
        "{text}"
    );
}

/// An account group's quota is compared with its units by test owner: a group with little of its
/// own use but home to agents the others' tests use is within its quota.
#[tokio::test]
async fn a_group_quota_is_compared_with_its_units_by_test_owner() {
    let data = thousandeyes_usage_fake::Dataset::acme();
    let owned = |aid: &str| -> i64 {
        data.test_units
            .iter()
            .filter(|t| t.aid.as_deref() == Some(aid))
            .map(|t| t.cloud_units_used.unwrap_or(0) + t.enterprise_units_used.unwrap_or(0))
            .sum()
    };
    let homed = |aid: &str| -> i64 {
        data.usage
            .enterprise_agent_units
            .iter()
            .flatten()
            .filter(|a| a.aid.as_deref() == Some(aid))
            .filter_map(|a| a.enterprise_units_used)
            .sum()
    };
    // Network Operations (1234): a quota above its own tests' units, below them with the
    // cloud units and its agents' units by home group.
    let cloud: i64 = data
        .test_units
        .iter()
        .filter(|t| t.aid.as_deref() == Some("1234"))
        .filter_map(|t| t.cloud_units_used)
        .sum();
    let home_view = cloud + homed("1234");
    assert!(home_view > owned("1234") + 1_000, "{home_view} {}", owned("1234"));
    let quota = (owned("1234") + home_view) / 2;
    let quotas = vec![Quota {
        organization_quota: Some(OrganizationQuota {
            value: 100_000_000,
            org_id: Some("1001".into()),
            ..Default::default()
        }),
        account_group_quotas: Some(vec![AccountGroupQuota {
            aid: Some("1234".into()),
            value: Some(quota),
            ..Default::default()
        }]),
        ..Default::default()
    }];
    let fake = FakeUsageApi::builder().quotas(quotas).start().await;
    let out = run(te_usage_on(&fake, ["check", "--warn", "99", "--crit", "100"])).await;
    let (text, perf) = parse(&out);
    let group = perf.iter().find(|p| p.label == "account group 1234 units used").expect("the group");
    assert_eq!(group.value, owned("1234") as f64, "{text}");
    assert!(!text.contains("Network Operations (1234) used"), "{text}");
}

#[tokio::test]
async fn without_a_token_and_without_demo_check_is_unknown_naming_both() {
    let out = run(te_usage(["check"])).await;
    assert_eq!(out.status, 3, "{out:?}");
    assert_eq!(out.stdout.lines().count(), 1, "{out:?}");
    assert!(
        out.stdout.starts_with("UNKNOWN - ")
            && out.stdout.contains("TE_TOKEN")
            && out.stdout.contains("--demo"),
        "{}",
        out.stdout
    );
}

#[tokio::test]
async fn an_unreachable_endpoint_is_unknown_with_its_cause() {
    let out = run(te_usage_unreachable(["check"])).await;
    assert_eq!(out.status, 3, "{out:?}");
    assert!(out.stdout.starts_with("UNKNOWN - "), "{}", out.stdout);
    assert_names_a_refused_connection(&out.stdout);
}

#[tokio::test]
async fn bad_arguments_are_unknown_before_anything_is_sent() {
    let fake = FakeUsageApi::start().await;
    for args in [
        &["check", "--warn", "95", "--crit", "90"][..],
        &["check", "--warn", "eighty"],
        &["check", "--crit", "0"],
        &["check", "-o", "json"],
        &["check", "--bogus"],
    ] {
        let out = run(te_usage_on(&fake, args)).await;
        assert_eq!(out.status, 3, "{args:?}: {out:?}");
        assert!(out.stdout.starts_with("UNKNOWN - "), "{args:?}: {}", out.stdout);
        assert_eq!(out.stdout.lines().count(), 1, "{args:?}: {}", out.stdout);
    }
    assert_eq!(fake.request_count(), 0);
}

/// A token that may not see quotas: the check still measures what is included, and says that
/// quotas were not checked.
#[tokio::test]
async fn forbidden_quotas_are_said_and_the_rest_is_checked() {
    let fake = FakeUsageApi::builder().fail(Failure::new(Operation::GetQuotas, 403)).start().await;
    let out = run(te_usage_on(&fake, ["check", "--warn", "99", "--crit", "100"])).await;
    assert_eq!(out.status, 0, "{out:?}");
    let (text, perf) = parse(&out);
    assert!(text.contains("quotas not shown"), "{text}");
    let labels: Vec<&str> = perf.iter().map(|p| p.label.as_str()).collect();
    assert_eq!(labels, ["cloud units used", "cloud units projected"]);
}
