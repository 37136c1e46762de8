//! The usage report as a billing analyst reads it: groups and organizations over their quota are
//! flagged, the JSON names its counts as counts, every CSV row carries the period it covers, and
//! the stats line says what it counts, with figures that agree with one another and with the
//! server's record.

use serde_json::Value;
use thousandeyes_usage::chrono::{DateTime, Duration, FixedOffset, SecondsFormat, Utc};
use thousandeyes_usage::models::{OrganizationQuota, Quota};
use thousandeyes_usage_cli::fetch::{FetchStats, Period, WaitLine, WaitStats};
use thousandeyes_usage_cli::report::render::stats::render_stats;
use thousandeyes_usage_cli::report::render::tables::over_quota_lines;
use thousandeyes_usage_cli::report::{Report, DEFAULT_TOP};
use thousandeyes_usage_cli::session::demo_api;
use thousandeyes_usage_fake::FakeUsageApi;

use super::{csv, json, table};
use crate::support::csv_rows;

async fn report_of(fake: &FakeUsageApi, period: Period) -> Report {
    super::report_of(fake, period, DEFAULT_TOP).await.0
}

/// The first two cells of every row of a CSV document, header first.
fn first_two_cells(text: &str) -> Vec<[String; 2]> {
    csv_rows(text).iter().map(|row| [0, 1].map(|i| row.get(i).unwrap_or_default().to_string())).collect()
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

#[tokio::test(start_paused = true)]
async fn a_group_over_its_quota_is_flagged_with_its_excess_and_the_others_are_not() {
    let fake = demo_api().start().await;
    let report = report_of(&fake, Period::CurrentBillingPeriod).await;
    let over: Vec<_> = report.account_groups.iter().filter(|g| g.over_quota).collect();
    assert_eq!(over.len(), 1, "{:?}", report.account_groups);
    let group = over[0];
    assert_eq!(
        (group.aid.as_deref(), group.units_used, group.quota),
        (Some("1238"), 1_386_383, Some(1_000_000))
    );
    assert_eq!(group.quota_percent, Some(138.64));
    for g in report.account_groups.iter().filter(|g| !g.over_quota) {
        assert!(g.quota.is_none_or(|q| g.units_used <= q), "{g:?}");
    }
    assert_eq!(
        over_quota_lines(&report),
        ["EMEA Retail (1238): 1,386,383 units used of a 1,000,000 quota (138.6 %), 386,383 over"]
    );
    let table = table(&report);
    assert!(table.contains("  Over quota         EMEA Retail (1238): 1,386,383 units used"), "{table}");
    assert_eq!(table.matches("OVER by 386,383").count(), 1, "{table}");
    let json: Value = json(&report);
    assert_eq!(
        json["account_groups"].as_array().map(|g| g.iter().filter(|g| g["over_quota"] == true).count()),
        Some(1)
    );
    assert_eq!(json["organization_quotas"][0]["over_quota"], false);
}

#[tokio::test(start_paused = true)]
async fn an_organization_over_its_quota_is_flagged() {
    let quota = Quota {
        organization_quota: Some(OrganizationQuota { value: 10_000_000, org_id: Some("1001".into()) }),
        ..Default::default()
    };
    let fake = FakeUsageApi::builder().quotas(vec![quota]).start().await;
    let report = report_of(&fake, Period::CurrentBillingPeriod).await;
    let org = &report.organization_quotas[0];
    assert_eq!((org.used, org.over_quota), (Some(11_771_965), true), "{org:?}");
    let table = table(&report);
    let row = table.lines().find(|l| l.trim_start().starts_with("1001")).expect("the organization's row");
    assert!(row.contains("117.7 %") && row.contains("OVER by 1,771,965"), "{row}");
    assert!(
        table.contains("Over quota         organization 1001: 11,771,965 units used of a 10,000,000 quota"),
        "{table}"
    );
}

#[tokio::test(start_paused = true)]
async fn the_json_names_its_counts_as_counts() {
    let fake = demo_api().start().await;
    let report = report_of(&fake, Period::CurrentBillingPeriod).await;
    let json: Value = json(&report);
    let expected = fake.expected_totals();
    let org = &json["organization_quotas"][0];
    assert_eq!(org["account_group_quota_count"], 4);
    let totals = &json["totals"];
    for (key, value) in [
        ("test_count", expected.tests),
        ("instant_test_count", expected.instant_tests),
        ("agent_count", expected.agents),
        ("agent_entry_count", expected.agent_entries),
        ("account_group_count", expected.account_groups),
    ] {
        assert_eq!(totals[key], value, "totals.{key}");
    }
    let group = &json["account_groups"][0];
    assert!(group["test_count"].is_u64() && group["enterprise_agent_count"].is_u64(), "{group}");
    let stats = &json["stats"];
    assert_eq!(stats["page_count"], expected.pages);
    assert_eq!(stats["request_count"], fake.request_count());
    // A count is never named like the list it counts.
    let listlike =
        ["account_group_quotas", "tests", "instant_tests", "agents", "agent_entries", "account_groups"];
    for (object, name) in [(org, "organization quota"), (totals, "totals"), (group, "account group")] {
        for key in listlike {
            assert!(object.get(key).is_none(), "{name} has {key}: {object}");
        }
    }
    for old in ["pages_fetched", "test_pages", "agent_pages", "other_requests", "retries", "waited_ms"] {
        assert!(stats.get(old).is_none(), "stats has {old}: {stats}");
    }
}

#[tokio::test(start_paused = true)]
async fn every_csv_row_carries_the_period_its_units_cover() {
    let fake = FakeUsageApi::start().await;
    // The current billing period: as GET /usage reports it.
    let report = report_of(&fake, Period::CurrentBillingPeriod).await;
    let cells = first_two_cells(&csv(&report));
    assert_eq!(cells[0], ["period_start", "period_end"]);
    let utc = |t: Option<DateTime<FixedOffset>>| rfc3339(t.expect("billing period").with_timezone(&Utc));
    let billing = [utc(report.period.billing_period_start), utc(report.period.billing_period_end)];
    assert!(billing[0] < billing[1], "{billing:?}");
    assert_eq!(cells.len(), report.tests.len() + 1);
    assert!(cells[1..].iter().all(|row| *row == billing), "{:?}", &cells[1]);

    // A range: its ends, in UTC.
    let period =
        Period::from_args(Some("2024-05-01T00:00:00Z"), Some("2024-05-15T12:00:00+02:00")).expect("period");
    let cells = first_two_cells(&csv(&report_of(&fake, period).await));
    let range = ["2024-05-01T00:00:00Z", "2024-05-15T10:00:00Z"];
    assert!(cells.len() > 1 && cells[1..].iter().all(|row| *row == range), "{:?}", &cells[1]);

    // A range open to now ends when the report was made.
    let start = (Utc::now() - Duration::days(3)).fixed_offset();
    let report = report_of(&fake, Period::Range { start, end: None }).await;
    let cells = first_two_cells(&csv(&report));
    let open = [rfc3339(start.with_timezone(&Utc)), rfc3339(report.generated_at)];
    assert!(cells.len() > 1 && cells[1..].iter().all(|row| *row == open), "{:?} {open:?}", &cells[1]);
}

#[tokio::test(start_paused = true)]
async fn the_stats_line_says_what_it_counts_and_agrees_with_the_servers_record() {
    let fake = demo_api().start().await;
    let report = report_of(&fake, Period::CurrentBillingPeriod).await;
    let s = &report.stats;
    // Every request the server received, each counted once, and every 429 it sent.
    assert_eq!(s.request_count, fake.request_count() as u64, "{s:?}");
    assert_eq!(s.request_count, (s.page_count + s.other_request_count) as u64 + s.retry_count, "{s:?}");
    assert_eq!(s.rate_limited_count, fake.responses_with_status(429) as u64, "{s:?}");
    assert_eq!(s.retry_count, s.rate_limited_count, "each 429 was sent again once: {s:?}");
    // After the 429 every call held until the reset: each call's wait counted once.
    assert!(s.waits.after_rate_limit.call_count >= 1 && s.waits.after_rate_limit.call_count <= 4, "{s:?}");
    assert_eq!(s.waits.window_used_up.call_count + s.waits.retry_backoff.call_count, 0, "{s:?}");

    // The words, on figures chosen so that every part shows.
    let mut shown = report.clone();
    shown.stats = FetchStats {
        page_count: 9,
        test_page_count: 5,
        agent_page_count: 4,
        other_request_count: 2,
        request_count: 15,
        rate_limited_count: 3,
        retry_count: 4,
        waits: WaitStats {
            after_rate_limit: WaitLine { call_count: 4, total_ms: 3_390 },
            retry_backoff: WaitLine { call_count: 1, total_ms: 500 },
            ..WaitStats::default()
        },
        elapsed_ms: 900,
    };
    assert_eq!(
        render_stats(&shown.stats),
        "Fetched 9 pages (test units: 5, enterprise agent units: 4) and 2 other calls (GET /usage, GET /quotas) \
         in 0.90 s.\n\
         Requests sent: 15 (11 first tries, 4 sent again: 3 after a 429 Too Many Requests, 1 after a transient \
         failure).\n\
         Waits: 4 calls waited for the rate-limit window to reopen after a 429, 3.39 s; 1 call waited backing off \
         before retrying a transient failure, 0.50 s. Each call's wait is counted; calls in flight together wait \
         at the same time, so their sum can exceed the time elapsed."
    );
    shown.stats = FetchStats {
        request_count: 11,
        rate_limited_count: 0,
        retry_count: 0,
        waits: WaitStats::default(),
        ..shown.stats
    };
    assert_eq!(
        render_stats(&shown.stats).lines().skip(1).collect::<Vec<_>>(),
        ["Requests sent: 11 (11 first tries).", "Waits: none."]
    );
}
