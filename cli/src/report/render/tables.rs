//! What `-o table` and `-o markdown` show, as one [`Document`] each: the report ([`report`])
//! and the chargeback view ([`chargeback`]). Every heading over units says the period they
//! cover, in words.

use crate::document::{Align, Document, Table};
use crate::figures::{format_units, percent, text, time, units};
use crate::output::terminal_safe;
use crate::report::{AttributionInfo, Chargeback, Report};

/// The title, marked when the figures are `--demo`'s sample data.
fn title(what: &str, demo: bool) -> String {
    if demo {
        format!("{what}: DEMO DATA (the embedded fake Usage API's Acme Corp, not your organization)")
    } else {
        what.to_string()
    }
}

/// The lines under the title: where the figures come from, the period, when.
fn header(doc: &mut Document, report_source: &str, period: String, extra: Option<String>, generated: String) {
    let mut fields =
        vec![("Source".to_string(), terminal_safe(report_source, 200)), ("Period".to_string(), period)];
    if let Some(extra) = extra {
        fields.push((String::new(), extra));
    }
    fields.push(("Generated".to_string(), generated));
    doc.fields(fields);
}

/// The "Over quota" cell: by how many units `used` is above `quota`, when it is.
fn over_quota(used: Option<i64>, quota: Option<i64>) -> String {
    match (used, quota) {
        (Some(used), Some(quota)) if used > quota => {
            format!("OVER by {}", format_units(used.saturating_sub(quota)))
        }
        _ => String::new(),
    }
}

/// The report as a document: header, units in the billing period, organization quotas, units by
/// account group, the top tests, units by enterprise agent, totals and notes.
pub fn report(report: &Report) -> Document {
    use Align::{Left, Right};
    let p = &report.period;
    let now = report.generated_at;
    let billing = format!("{} to {}", time(p.billing_period_start), time(p.billing_period_end));
    let range = match (p.start, p.end) {
        (Some(s), Some(e)) => format!("{} to {}", time(Some(s)), time(Some(e))),
        (Some(s), None) => format!("{} to now", time(Some(s))),
        _ => format!("current billing period, {billing}"),
    };
    let listings = p.listings_words(now);
    let billing_words = p.billing_words(now);
    let mut doc = Document::new(title("ThousandEyes usage report", report.demo));
    header(
        &mut doc,
        &report.source,
        range,
        p.start.map(|_| format!("(units by test and agent; the billing period figures cover {billing})")),
        report.generated_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    );

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
    doc.heading(format!("Units in the billing period (used: {billing_words}; projected: to its end)"))
        .table(t);

    if !report.organization_quotas.is_empty() {
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
        doc.heading(format!("Organization quotas ({billing_words})")).table(t);
    }

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
    doc.heading(format!("Units by account group, by test owner ({listings})")).table(t);

    let top = report.top_tests();
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
    doc.heading(format!("Top {} of {} tests by units used ({listings})", top.len(), report.tests.len()))
        .table(t);

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
    doc.heading(format!(
        "Enterprise agent units by agent ({} agents, {} agent/account group entries; {listings})",
        report.agents.len(),
        report.totals.agent_entry_count
    ))
    .table(t);

    let totals = &report.totals;
    let check = |listed: i64, reported: Option<i64>| match (p.kind, reported) {
        ("current_billing_period", Some(r)) if r == listed => " (matches GET /usage)".to_string(),
        ("current_billing_period", Some(r)) => {
            format!(
                " (GET /usage reports {}, a difference of {})",
                format_units(r),
                format_units(r.saturating_sub(listed))
            )
        }
        _ => String::new(),
    };
    let mut fields = vec![
        (
            "Tests".to_string(),
            format!(
                "{} ({} instant) in {} account groups",
                totals.test_count, totals.instant_test_count, totals.account_group_count
            ),
        ),
        (
            "Cloud units".to_string(),
            format!(
                "{}{}",
                format_units(totals.cloud_units_used),
                check(totals.cloud_units_used, report.cloud.used)
            ),
        ),
        (
            "Enterprise units".to_string(),
            format!(
                "{} by test, {} by agent{}",
                format_units(totals.enterprise_units_used),
                format_units(totals.agent_enterprise_units_used),
                check(totals.enterprise_units_used, report.enterprise.used)
            ),
        ),
        ("All units".to_string(), format_units(totals.units_used)),
        (
            "Enterprise agents".to_string(),
            format!("{} ({} entries)", totals.agent_count, totals.agent_entry_count),
        ),
    ];
    fields.extend(over_quota_lines(report).into_iter().map(|line| ("Over quota".to_string(), line)));
    doc.heading(format!("Totals ({listings})")).fields(fields);
    for note in &report.notes {
        doc.paragraph(format!("Note: {}", terminal_safe(note, 400)));
    }
    doc
}

/// One sentence per organization and account group above its quota, most over first.
///
/// ```
/// # fn f(report: thousandeyes_usage_cli::report::Report) {
/// for line in thousandeyes_usage_cli::report::render::tables::over_quota_lines(&report) {
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
                format_units(used.saturating_sub(quota))
            )
        })
        .collect()
}

/// The chargeback view as a document: header, one row per account group with both attributions
/// and a total row, and what each attribution is.
pub fn chargeback(view: &Chargeback) -> Document {
    use Align::{Left, Right};
    let mut doc = Document::new(title("ThousandEyes units by account group (chargeback)", view.demo));
    let owner = &view.by_test_owner;
    let home = &view.by_agent_home_group;
    let period = if owner.covers == home.covers {
        owner.covers.clone()
    } else {
        format!("by test owner: {}; by agent's home group: {}", owner.covers, home.covers)
    };
    header(
        &mut doc,
        &view.source,
        period,
        None,
        view.generated_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    );

    let mut t = Table::new(&[
        ("Account group", Left),
        ("AID", Left),
        ("Tests", Right),
        ("Cloud (test owner)", Right),
        ("Enterprise (test owner)", Right),
        ("Total (test owner)", Right),
        ("Quota", Right),
        ("% of quota", Right),
        ("Enterprise (agent's home group)", Right),
    ]);
    for g in &view.account_groups {
        t.row(vec![
            text(g.name.as_deref(), 32),
            text(g.aid.as_deref(), 20),
            g.test_count.to_string(),
            format_units(g.cloud_units_by_test_owner),
            format_units(g.enterprise_units_by_test_owner),
            format_units(g.units_by_test_owner),
            units(g.quota),
            if g.over_quota {
                format!("{} OVER", percent(g.quota_percent))
            } else {
                percent(g.quota_percent)
            },
            format_units(g.enterprise_units_by_agent_home_group),
        ]);
    }
    let totals = &view.totals;
    t.row(vec![
        "Total".into(),
        String::new(),
        totals.test_count.to_string(),
        format_units(totals.cloud_units_by_test_owner),
        format_units(totals.enterprise_units_by_test_owner),
        format_units(totals.units_by_test_owner),
        String::new(),
        String::new(),
        format_units(totals.enterprise_units_by_agent_home_group),
    ]);
    let heading = if owner.covers == home.covers {
        format!("Units by account group, both attributions ({})", owner.covers)
    } else {
        "Units by account group, both attributions".to_string()
    };
    doc.heading(heading).table(t);
    let explain = |a: &AttributionInfo| format!("{}. From {}; {}.", a.meaning, a.source, a.covers);
    doc.heading("The two attributions")
        .fields(vec![("Test owner".into(), explain(owner)), ("Agent's home group".into(), explain(home))]);
    doc.paragraph(
        "Both add up to the organization's enterprise units; group by group they differ. Charge back \
         by test owner to bill each group for its own tests; by agent's home group to bill the \
         owners of the agents.",
    );
    for note in &view.notes {
        doc.paragraph(format!("Note: {}", terminal_safe(note, 400)));
    }
    doc
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use thousandeyes_usage::models::{
        AccountGroupQuota, OrganizationQuota, Quota, UnitsByTests, UsageDetails,
    };

    use super::*;
    use crate::fetch::{FetchStats, Fetched, Period, WaitStats};

    /// Figures a server sends at the ends of `i64` (a negative quota, a negative total) are
    /// printed, not an overflow: the differences the report shows saturate.
    #[test]
    fn figures_at_the_ends_of_i64_are_printed_without_overflow() {
        let fetched = Fetched {
            fetched_at: Utc::now(),
            source: "http://127.0.0.1:9/v7".into(),
            period: Period::CurrentBillingPeriod,
            usage: UsageDetails {
                cloud_units_used: Some(i64::MIN),
                enterprise_units_used: Some(i64::MIN),
                ..Default::default()
            },
            quotas: vec![Quota {
                organization_quota: Some(OrganizationQuota { value: -1, org_id: Some("1".into()) }),
                account_group_quotas: Some(vec![AccountGroupQuota {
                    aid: Some("7".into()),
                    value: Some(-1),
                }]),
            }],
            tests: vec![UnitsByTests {
                aid: Some("7".into()),
                cloud_units_used: Some(i64::MAX),
                enterprise_units_used: Some(1),
                ..Default::default()
            }],
            agents: Vec::new(),
            stats: FetchStats {
                page_count: 2,
                test_page_count: 1,
                agent_page_count: 1,
                other_request_count: 2,
                request_count: 4,
                rate_limited_count: 0,
                retry_count: 0,
                waits: WaitStats::default(),
                elapsed_ms: 1,
            },
            notes: Vec::new(),
        };
        let report = Report::build(fetched, 10, false);
        let text = super::report(&report).text();
        assert!(text.contains(&format!("OVER by {}", format_units(i64::MAX))), "{text}");
        assert!(text.contains(&format!("a difference of {}", format_units(i64::MIN))), "{text}");
        let lines = over_quota_lines(&report);
        assert!(lines.iter().any(|l| l.ends_with(&format!("{} over", format_units(i64::MAX)))), "{lines:?}");
    }
}
