//! The usage report, built in this process from one [`fetch`] against the demo (the fake Usage
//! API as [`demo_api`] sets it up) or a fake of the test's own: its totals are those of the data
//! served, its renderers agree with it, the demo's one 429 is retried, and the four calls of a
//! report go out together.
//!
//! The fake runs on the test's tokio runtime and follows its clock: under `start_paused` the
//! rate-limit waits and the fake's latency take no real time. What a billing analyst reads (quota
//! flags, counts, periods, the stats line) is the submodule `for_analysts`; the command as a user
//! runs it, `command`; the chargeback view, `chargeback`.

mod chargeback;
mod command;
mod for_analysts;

use std::time::Duration;

use serde_json::Value;
use thousandeyes_usage::Error;
use thousandeyes_usage_cli::fetch::{fetch, Listing, Period, Progress};
use thousandeyes_usage_cli::figures::percent_of;
use thousandeyes_usage_cli::output::Format;
use thousandeyes_usage_cli::report::render::csv::CSV_HEADER;
use thousandeyes_usage_cli::report::{render, Report};
use thousandeyes_usage_cli::session::demo_api;
use thousandeyes_usage_fake::{ExpectedTotals, FakeUsageApi, Operation};

use crate::support::{client_of, csv_rows};

/// The report on `fake` for `period`, its table showing `top` tests, and the progress reported.
async fn report_of(fake: &FakeUsageApi, period: Period, top: usize) -> (Report, Vec<Progress>) {
    let client = client_of(fake);
    let mut seen = Vec::new();
    let fetched = fetch(&client, period, &mut |p| seen.push(*p)).await.expect("fetched");
    (Report::build(fetched, top, false), seen)
}

fn table(report: &Report) -> String {
    render::report(report, Format::Table).expect("table")
}

fn json(report: &Report) -> Value {
    serde_json::from_str(&render::report(report, Format::Json).expect("json")).expect("the JSON parses")
}

fn csv(report: &Report) -> String {
    render::report(report, Format::Csv).expect("csv")
}

fn assert_totals(report: &Report, expected: &ExpectedTotals) {
    let t = &report.totals;
    assert_eq!(t.test_count, expected.tests);
    assert_eq!(t.instant_test_count, expected.instant_tests);
    assert_eq!(t.cloud_units_used, expected.cloud_units_used);
    assert_eq!(t.enterprise_units_used, expected.enterprise_units_used);
    assert_eq!(t.units_used, expected.cloud_units_used + expected.enterprise_units_used);
    assert_eq!(t.agent_count, expected.agents);
    assert_eq!(t.agent_entry_count, expected.agent_entries);
    assert_eq!(t.agent_enterprise_units_used, expected.agent_enterprise_units_used);
    assert_eq!(t.account_group_count, expected.account_groups);
}

/// The demo as `te-usage report --demo` runs it (seeded data, the one scripted 429), on virtual
/// time: the wait for the window's reset takes no real time.
#[tokio::test(start_paused = true)]
async fn report_adds_up_to_the_demo_data_and_retries_the_429() {
    let fake = demo_api().start().await;
    let expected = fake.expected_totals();
    assert!(expected.tests > 0 && expected.cloud_units_used > 0 && expected.enterprise_units_used > 0);
    assert!(expected.agents > 0 && expected.test_pages > 1 && expected.agent_pages > 1);
    // The figures the demo prints and cli/README.md shows.
    assert_eq!((expected.cloud_units_used, expected.enterprise_units_used), (11_152_765, 619_200));

    let (report, progress) = report_of(&fake, Period::CurrentBillingPeriod, 7).await;

    // Totals: those of the data served, and non-zero.
    assert_totals(&report, &expected);
    assert!(report.totals.cloud_units_used > 0 && report.totals.enterprise_units_used > 0);
    assert_eq!(expected.agent_enterprise_units_used, expected.enterprise_units_used);

    // The lines add up to the totals.
    let tests_cloud: i64 = report.tests.iter().map(|t| t.cloud_units_used.unwrap_or(0)).sum();
    assert_eq!(tests_cloud, report.totals.cloud_units_used);
    let groups_total: i64 = report.account_groups.iter().map(|g| g.units_used).sum();
    assert_eq!(groups_total, report.totals.units_used);
    assert_eq!(report.account_groups.iter().map(|g| g.test_count).sum::<usize>(), expected.tests);
    let agents_total: i64 = report.agents.iter().map(|a| a.enterprise_units_used).sum();
    assert_eq!(agents_total, expected.enterprise_units_used);
    assert_eq!(report.agents.len(), expected.agents);
    assert_eq!(report.agents.iter().map(|a| a.shares.len()).sum::<usize>(), expected.agent_entries);
    assert!(report.agents.iter().all(|a| a.primary_account_group.is_some()), "expand=enterprise-agent-unit");
    assert!(
        report.account_groups.iter().all(|g| g.enterprise_agent_count.is_some()),
        "expand=enterprise-agent"
    );

    // The billing period summary, from GET /usage.
    let included = expected.cloud_units_included.expect("the seeded contract includes cloud units");
    assert_eq!(report.cloud.used, Some(expected.cloud_units_used));
    assert_eq!(report.cloud.projected, Some(expected.cloud_units_projected));
    assert_eq!(report.cloud.included, Some(included));
    assert_eq!(report.cloud.used_percent, percent_of(Some(expected.cloud_units_used), Some(included)));
    assert!(report.cloud.used_percent.is_some_and(|p| p > 0.0 && p < 100.0));
    assert_eq!(report.enterprise.used, Some(expected.enterprise_units_used));
    assert_eq!(report.enterprise.projected, Some(expected.enterprise_units_projected));
    assert_eq!((report.enterprise.included, report.enterprise.used_percent), (None, None));
    assert_eq!(report.organization_quotas.len(), 1);
    assert_eq!(Some(report.organization_quotas[0].quota), expected.organization_quota);
    assert_eq!(
        report.organization_quotas[0].used,
        Some(expected.cloud_units_used + expected.enterprise_units_used)
    );
    assert!(report.period.billing_period_start.is_some() && report.period.billing_period_end.is_some());

    // Tests are ranked, and the top list is the first N of them.
    assert_eq!(report.top_tests().len(), 7);
    assert!(report.tests.windows(2).all(|w| w[0].units_used >= w[1].units_used));
    assert!(report.tests.iter().enumerate().all(|(i, t)| t.rank == i + 1));

    // Pages: as many as the server served, which is what the data needs.
    assert_eq!(report.stats.test_page_count, expected.test_pages);
    assert_eq!(report.stats.agent_page_count, expected.agent_pages);
    assert_eq!(report.stats.page_count, expected.pages);
    assert_eq!(report.stats.page_count, fake.pages_served());
    // The scripted 429 (the second page of test units) was waited out and retried. A request of
    // another call that reached the fake while the window was closed is refused too, and retried
    // the same way.
    let refused: Vec<_> = fake.requests().into_iter().filter(|r| r.status == 429).collect();
    assert!(!refused.is_empty() && refused.len() <= 4, "{refused:?}");
    assert_eq!((refused[0].operation, refused[0].page), (Some(Operation::GetTestsUnitsUsage), Some(2)));
    assert_eq!(report.stats.retry_count, refused.len() as u64, "{:?}", report.stats);
    assert_eq!(report.stats.rate_limited_count, refused.len() as u64, "{:?}", report.stats);
    assert!(report.stats.waits.after_rate_limit.total_ms > 0, "{:?}", report.stats);
    // Every request: usage, quotas, every page, and those refused.
    assert_eq!(fake.request_count(), 2 + expected.pages + refused.len());
    assert_eq!(fake.status_counts().get(&200), Some(&(2 + expected.pages)));

    // Progress was reported after every page of each listing.
    for (listing, pages, items) in [
        (Listing::TestUnits, expected.test_pages, expected.tests),
        (Listing::AgentUnits, expected.agent_pages, expected.agent_entries),
    ] {
        let seen: Vec<_> = progress.iter().filter(|p| p.listing == listing).collect();
        assert_eq!(seen.len(), pages, "{listing:?}");
        assert!(seen.iter().enumerate().all(|(i, p)| p.pages == i + 1), "{seen:?}");
        assert_eq!(seen.last().map(|p| p.items), Some(items), "{listing:?}");
    }

    // JSON: one document, with the same totals.
    let json = json(&report);
    assert_eq!(json["totals"]["test_count"], expected.tests);
    assert_eq!(json["totals"]["cloud_units_used"], expected.cloud_units_used);
    assert_eq!(json["totals"]["enterprise_units_used"], expected.enterprise_units_used);
    assert_eq!(json["totals"]["agent_enterprise_units_used"], expected.enterprise_units_used);
    assert_eq!(json["cloud"]["used"], expected.cloud_units_used);
    assert_eq!(json["enterprise"]["included"], Value::Null);
    assert_eq!(json["stats"]["page_count"], expected.pages);
    assert_eq!(json["tests"].as_array().map(Vec::len), Some(expected.tests));
    let json_cloud: i64 = json["tests"]
        .as_array()
        .expect("tests")
        .iter()
        .map(|t| t["cloud_units_used"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(json_cloud, expected.cloud_units_used);

    // CSV: the header, then one row per test; its units add up too.
    let csv = csv(&report);
    assert_eq!(csv.lines().next(), Some(CSV_HEADER));
    let rows = csv_rows(&csv);
    assert_eq!(rows.len(), expected.tests + 1);
    let columns = CSV_HEADER.split(',').count();
    assert_eq!(rows[0].iter().collect::<Vec<_>>(), CSV_HEADER.split(',').collect::<Vec<_>>());
    let mut csv_total = 0i64;
    let mut names = Vec::new();
    for row in &rows[1..] {
        assert_eq!(row.len(), columns, "{row:?}");
        csv_total += row[columns - 1].parse::<i64>().expect("units_used");
        names.push(row[4].to_string());
    }
    let report_names: Vec<String> = report.tests.iter().map(|t| t.name.clone().unwrap_or_default()).collect();
    assert_eq!(names, report_names, "names round-trip, commas included");
    assert!(names.iter().any(|n| n.contains(',')), "the demo has a name that needs quoting");
    assert_eq!(csv_total, expected.cloud_units_used + expected.enterprise_units_used);

    // The table shows the top tests and the totals.
    let table = table(&report);
    assert!(table.contains("Top 7 of"), "{table}");
    for test in report.top_tests() {
        assert!(table.contains(test.name.as_deref().expect("name")), "{table}");
    }
    assert!(!table.contains(&report.tests[7].name.clone().expect("name")), "only the top 7");
    assert!(table.contains("(matches GET /usage)"), "{table}");
    assert!(table.contains("Cloud units        11,152,765 (matches GET /usage)"), "{table}");
}

#[tokio::test(start_paused = true)]
async fn a_range_is_sent_and_checked_by_the_server() {
    let fake = FakeUsageApi::start().await;
    let expected = fake.expected_totals();
    let period =
        Period::from_args(Some("2024-05-01T00:00:00Z"), Some("2024-05-15T12:00:00+02:00")).expect("period");
    let (report, _) = report_of(&fake, period, 3).await;
    assert_totals(&report, &expected);
    assert_eq!(report.period.kind, "range");
    assert_eq!(report.period.start.map(|t| t.to_rfc3339()).as_deref(), Some("2024-05-01T00:00:00+00:00"));
    assert_eq!(report.stats.page_count, fake.pages_served());
    // Every page of both listings asked for the range, in UTC; GET /usage takes none.
    let pages: Vec<_> = fake.requests().into_iter().filter(|r| r.page.is_some()).collect();
    assert_eq!(pages.len(), expected.pages);
    for page in &pages {
        assert_eq!(page.query_param("startDate"), Some("2024-05-01T00:00:00Z"), "{page:?}");
        assert_eq!(page.query_param("endDate"), Some("2024-05-15T10:00:00Z"), "{page:?}");
    }
    assert!(fake.requests_for(Operation::GetUsage).iter().all(|r| r.query_param("startDate").is_none()));
    let table = table(&report);
    assert!(table.contains("2024-05-01 00:00:00 UTC to 2024-05-15 10:00:00 UTC"), "{table}");
    assert!(!table.contains("matches GET /usage"), "a range is not the billing period: {table}");
    // The units of the listings say their dates; GET /usage's the billing period's days.
    assert!(
        table.contains("Units by account group, by test owner (1 May 2024 to 15 May 2024 10:00 UTC)"),
        "{table}"
    );
    assert!(table.contains("Units in the billing period (used: month to date, "), "{table}");
}

#[tokio::test]
async fn a_wrong_token_is_an_api_error_with_its_details() {
    let fake = FakeUsageApi::start().await;
    let client = thousandeyes_usage::Client::builder()
        .token("not-the-fake-token")
        .base_url(fake.base_url())
        .build()
        .expect("client");
    let err = fetch(&client, Period::CurrentBillingPeriod, &mut |_| {}).await.expect_err("401");
    let api = err.as_api().expect("an API error");
    assert_eq!(api.status(), 401);
    assert_eq!(api.oauth_error(), Some("invalid_token"));
    assert!(err.to_string().contains("401"), "{err}");
    assert!(!err.to_string().contains("not-the-fake-token"), "{err}");
    assert_eq!(client.stats().retries, 0, "a 401 is not retried");
    // The report's calls go out together: each was sent at most once, and the first 401 ended
    // the report (the others, if still in flight, were dropped).
    let sent = client.stats().requests_sent;
    assert!((1..=4).contains(&sent), "{sent}");
    assert!(fake.request_count() <= 4);
    assert_eq!(fake.responses_with_status(401), fake.request_count());
    assert_eq!(fake.pages_served(), 0);
}

#[tokio::test]
async fn a_start_in_the_future_is_refused_before_anything_is_sent() {
    let fake = FakeUsageApi::start().await;
    let client = client_of(&fake);
    let start = (chrono::Utc::now() + chrono::Duration::days(2)).fixed_offset();
    let err =
        fetch(&client, Period::Range { start, end: None }, &mut |_| {}).await.expect_err("future start");
    assert!(matches!(err, Error::InvalidInput { field: "start", .. }), "{err}");
    assert_eq!(client.stats().requests_sent, 0);
    assert_eq!(fake.request_count(), 0);
}

/// A user allowed to see usage but not quotas still gets a report, with a note.
#[tokio::test]
async fn quotas_that_are_forbidden_leave_a_note() {
    let fake = FakeUsageApi::builder()
        .fail(thousandeyes_usage_fake::Failure::new(Operation::GetQuotas, 403).detail("Missing permission."))
        .start()
        .await;
    let (report, _) = report_of(&fake, Period::CurrentBillingPeriod, 10).await;
    assert_totals(&report, &fake.expected_totals());
    assert!(report.organization_quotas.is_empty());
    assert!(report.account_groups.iter().all(|g| g.quota.is_none()));
    assert_eq!(report.notes.len(), 1, "{:?}", report.notes);
    assert!(report.notes[0].starts_with("quotas not shown:"), "{:?}", report.notes);
    assert!(table(&report).contains("Note: quotas not shown:"));
}

/// The report's four calls (`GET /usage`, `GET /quotas` and the two listings) go out together,
/// and each listing's next page as soon as the page before it came, so the report takes as long
/// as its longest listing, not the sum of its calls. Measured in virtual time against the fake
/// with 100 ms of latency per answer: deterministic, and no real time spent (the benchmark,
/// `cargo bench -p thousandeyes-usage-cli`, measures the same in real time). `--nocapture`
/// prints the figures.
#[tokio::test(start_paused = true)]
async fn the_report_fetches_its_four_parts_concurrently() {
    use futures::TryStreamExt;
    use thousandeyes_usage::models::ExpandUsageOptions;

    const LATENCY: Duration = Duration::from_millis(100);
    let fake = FakeUsageApi::builder().latency(LATENCY).start().await;
    let expected = fake.expected_totals();
    let longest = u32::try_from(expected.test_pages.max(expected.agent_pages)).expect("pages");
    let bound = LATENCY * longest * 11 / 10;

    let client = client_of(&fake);
    let started = tokio::time::Instant::now();
    let fetched = fetch(&client, Period::CurrentBillingPeriod, &mut |_| {}).await.expect("fetched");
    let concurrent = started.elapsed();
    let report = Report::build(fetched, 10, false);
    assert_totals(&report, &expected);
    assert_eq!(report.stats.page_count, expected.pages);
    assert!(concurrent <= bound, "the report took {concurrent:?}, more than {bound:?}");
    assert!(report.stats.elapsed_ms <= bound.as_millis() as u64, "{:?}", report.stats);
    // The first request of each call arrived at once.
    let first = |operation: Operation| {
        fake.requests_for(operation).first().map(|r| r.arrived_at).expect("a request of each call")
    };
    let arrivals = [
        first(Operation::GetUsage),
        first(Operation::GetQuotas),
        first(Operation::GetTestsUnitsUsage),
        first(Operation::GetEnterpriseAgentsUnitsUsage),
    ];
    assert!(arrivals.iter().all(|a| *a == arrivals[0]), "{arrivals:?}");

    // The same calls one after another: the sum of them.
    let client = client_of(&fake);
    let started = tokio::time::Instant::now();
    client
        .usage()
        .expand([ExpandUsageOptions::EnterpriseAgent, ExpandUsageOptions::EnterpriseAgentUnit])
        .send()
        .await
        .expect("usage");
    client.quotas().send().await.expect("quotas");
    let test_pages: Vec<_> = client.test_units().pages().try_collect().await.expect("test units");
    let agent_pages: Vec<_> = client.agent_units().pages().try_collect().await.expect("agent units");
    let sequential = started.elapsed();
    assert_eq!((test_pages.len(), agent_pages.len()), (expected.test_pages, expected.agent_pages));
    let calls = u32::try_from(2 + expected.pages).expect("calls");
    assert!(sequential >= LATENCY * calls, "{sequential:?}");
    assert!(sequential > bound, "the bound tells the two apart");

    println!(
        "usage report against the fake, {} ms a request, virtual time: one call after another {} ms, \
         concurrently {} ms; pages: test units {}, enterprise agent units {}",
        LATENCY.as_millis(),
        sequential.as_millis(),
        concurrent.as_millis(),
        expected.test_pages,
        expected.agent_pages
    );
}
