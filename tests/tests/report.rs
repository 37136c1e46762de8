//! The usage report against the demo server: its totals are those of the data served, its
//! renderers agree with it, and the demo's one 429 is retried.

use serde_json::Value;
use thousandeyes_usage::{Client, Error};
use thousandeyes_usage_tests::demo::{DemoServer, DemoTotals, DEMO_TOKEN};
use thousandeyes_usage_tests::report::{
    build_report, percent_of, render_csv, render_json, render_table, Period, Progress, Report, ReportOptions,
    CSV_HEADER,
};

/// A client of `demo`; its waits are real (the demo enforces its rate-limit window).
fn demo_client(demo: &DemoServer) -> Client {
    Client::builder().token(DEMO_TOKEN).base_url(demo.base_url()).build().expect("demo client")
}

async fn report_of(demo: &DemoServer, options: ReportOptions) -> (Report, Vec<Progress>) {
    let client = demo_client(demo);
    let mut seen = Vec::new();
    let report = build_report(&client, &options, &mut |p| seen.push(*p)).await.expect("report");
    (report, seen)
}

fn assert_totals(report: &Report, expected: &DemoTotals) {
    let t = &report.totals;
    assert_eq!(t.tests, expected.tests);
    assert_eq!(t.instant_tests, expected.instant_tests);
    assert_eq!(t.cloud_units_used, expected.cloud_units_used);
    assert_eq!(t.enterprise_units_used, expected.enterprise_units_used);
    assert_eq!(t.units_used, expected.cloud_units_used + expected.enterprise_units_used);
    assert_eq!(t.agents, expected.agents);
    assert_eq!(t.agent_entries, expected.agent_entries);
    assert_eq!(t.agent_enterprise_units_used, expected.enterprise_units_used);
    assert_eq!(t.account_groups, expected.account_groups);
}

/// The cells of one CSV line (RFC 4180 quoting; no line breaks inside cells).
fn csv_cells(line: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cells.last_mut().expect("cell").push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => cells.push(String::new()),
            (c, _) => cells.last_mut().expect("cell").push(c),
        }
    }
    cells
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_adds_up_to_the_demo_data_and_retries_the_429() {
    let demo = DemoServer::start().await;
    let expected = demo.expected_totals();
    assert!(expected.tests > 0 && expected.cloud_units_used > 0 && expected.enterprise_units_used > 0);
    assert!(expected.agents > 0 && expected.test_pages > 1 && expected.agent_pages > 1);

    let (report, progress) =
        report_of(&demo, ReportOptions { period: Period::CurrentBillingPeriod, top: 7 }).await;

    // Totals: those of the data served, and non-zero.
    assert_totals(&report, &expected);
    assert!(report.totals.cloud_units_used > 0 && report.totals.enterprise_units_used > 0);

    // The lines add up to the totals.
    let tests_cloud: i64 = report.tests.iter().map(|t| t.cloud_units_used.unwrap_or(0)).sum();
    assert_eq!(tests_cloud, report.totals.cloud_units_used);
    let groups_total: i64 = report.account_groups.iter().map(|g| g.units_used).sum();
    assert_eq!(groups_total, report.totals.units_used);
    assert_eq!(report.account_groups.iter().map(|g| g.tests).sum::<usize>(), expected.tests);
    let agents_total: i64 = report.agents.iter().map(|a| a.enterprise_units_used).sum();
    assert_eq!(agents_total, expected.enterprise_units_used);
    assert_eq!(report.agents.len(), expected.agents);
    assert_eq!(report.agents.iter().map(|a| a.shares.len()).sum::<usize>(), expected.agent_entries);
    assert!(report.agents.iter().all(|a| a.primary_account_group.is_some()), "expand=enterprise-agent-unit");
    assert!(report.account_groups.iter().all(|g| g.enterprise_agents.is_some()), "expand=enterprise-agent");

    // The billing period summary, from GET /usage.
    assert_eq!(report.cloud.used, Some(expected.cloud_units_used));
    assert_eq!(report.cloud.projected, Some(expected.cloud_units_projected));
    assert_eq!(report.cloud.included, Some(expected.cloud_units_included));
    assert_eq!(
        report.cloud.used_percent,
        percent_of(Some(expected.cloud_units_used), Some(expected.cloud_units_included))
    );
    assert!(report.cloud.used_percent.is_some_and(|p| p > 0.0 && p < 100.0));
    assert_eq!(report.enterprise.used, Some(expected.enterprise_units_used));
    assert_eq!(report.enterprise.projected, Some(expected.enterprise_units_projected));
    assert_eq!((report.enterprise.included, report.enterprise.used_percent), (None, None));
    assert_eq!(report.organization_quotas.len(), 1);
    assert_eq!(report.organization_quotas[0].quota, expected.organization_quota);
    assert_eq!(
        report.organization_quotas[0].used,
        Some(expected.cloud_units_used + expected.enterprise_units_used)
    );
    assert!(report.period.billing_period_start.is_some() && report.period.billing_period_end.is_some());

    // Tests are ranked, and the top list is the first N of them.
    assert_eq!(report.top_tests().len(), 7);
    assert!(report.tests.windows(2).all(|w| w[0].units_used >= w[1].units_used));
    assert!(report.tests.iter().enumerate().all(|(i, t)| t.rank == i + 1));

    // Pages: as many as the server served, which is what the data needs; the 429 was retried.
    assert_eq!(report.stats.test_pages, expected.test_pages);
    assert_eq!(report.stats.agent_pages, expected.agent_pages);
    assert_eq!(report.stats.pages_fetched, expected.pages);
    assert_eq!(report.stats.pages_fetched, demo.pages_served());
    assert_eq!(demo.rate_limited_responses(), expected.rate_limited_responses);
    assert_eq!(demo.rate_limited_responses(), 1);
    assert!(report.stats.retries.is_some_and(|n| n >= 1), "{:?}", report.stats);
    assert!(report.stats.waited_ms.is_some_and(|ms| ms > 0), "{:?}", report.stats);
    // Every request: usage, quotas, every page, and the one refused.
    assert_eq!(demo.requests(), 2 + expected.pages + 1);

    // Progress was reported after every page.
    assert_eq!(progress.len(), expected.pages);
    let last = progress.last().expect("progress");
    assert_eq!((last.pages, last.items), (expected.agent_pages, expected.agent_entries));

    // JSON: one document, with the same totals.
    let json: Value = serde_json::from_str(&render_json(&report).expect("json")).expect("the JSON parses");
    assert_eq!(json["totals"]["tests"], expected.tests);
    assert_eq!(json["totals"]["cloud_units_used"], expected.cloud_units_used);
    assert_eq!(json["totals"]["enterprise_units_used"], expected.enterprise_units_used);
    assert_eq!(json["totals"]["agent_enterprise_units_used"], expected.enterprise_units_used);
    assert_eq!(json["cloud"]["used"], expected.cloud_units_used);
    assert_eq!(json["enterprise"]["included"], Value::Null);
    assert_eq!(json["stats"]["pages_fetched"], expected.pages);
    assert_eq!(json["tests"].as_array().map(Vec::len), Some(expected.tests));
    let json_cloud: i64 = json["tests"]
        .as_array()
        .expect("tests")
        .iter()
        .map(|t| t["cloud_units_used"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(json_cloud, expected.cloud_units_used);

    // CSV: the header, then one row per test; its units add up too.
    let csv = render_csv(&report);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), expected.tests + 1);
    assert_eq!(lines[0], CSV_HEADER);
    let columns = CSV_HEADER.split(',').count();
    let mut csv_total = 0i64;
    let mut names = Vec::new();
    for line in &lines[1..] {
        let cells = csv_cells(line);
        assert_eq!(cells.len(), columns, "{line}");
        csv_total += cells[columns - 1].parse::<i64>().expect("units_used");
        names.push(cells[2].clone());
    }
    let report_names: Vec<String> = report.tests.iter().map(|t| t.name.clone().unwrap_or_default()).collect();
    assert_eq!(names, report_names, "names round-trip, commas included");
    assert!(names.iter().any(|n| n.contains(',')), "the demo has a name that needs quoting");
    assert_eq!(csv_total, expected.cloud_units_used + expected.enterprise_units_used);

    // The table shows the top tests and the totals.
    let table = render_table(&report);
    assert!(table.contains("Top 7 of"), "{table}");
    for test in report.top_tests() {
        assert!(table.contains(test.name.as_deref().expect("name")), "{table}");
    }
    assert!(!table.contains(&report.tests[7].name.clone().expect("name")), "only the top 7");
    assert!(table.contains("(matches GET /usage)"), "{table}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_range_is_sent_and_checked_by_the_server() {
    let demo = DemoServer::start().await;
    let expected = demo.expected_totals();
    let period =
        Period::from_args(Some("2024-05-01T00:00:00Z"), Some("2024-05-15T12:00:00+02:00")).expect("period");
    let (report, _) = report_of(&demo, ReportOptions { period, top: 3 }).await;
    assert_totals(&report, &expected);
    assert_eq!(report.period.kind, "range");
    assert_eq!(report.period.start.map(|t| t.to_rfc3339()).as_deref(), Some("2024-05-01T00:00:00+00:00"));
    assert_eq!(report.stats.pages_fetched, demo.pages_served());
    let table = render_table(&report);
    assert!(table.contains("2024-05-01 00:00:00 UTC to 2024-05-15 10:00:00 UTC"), "{table}");
    assert!(!table.contains("matches GET /usage"), "a range is not the billing period: {table}");
}

#[tokio::test]
async fn a_wrong_token_is_an_api_error_with_its_details() {
    let demo = DemoServer::start().await;
    let client =
        Client::builder().token("not-the-demo-token").base_url(demo.base_url()).build().expect("client");
    let err = build_report(&client, &ReportOptions::default(), &mut |_| {}).await.expect_err("401");
    let api = err.as_api().expect("an API error");
    assert_eq!(api.status(), 401);
    assert_eq!(api.oauth_error(), Some("invalid_token"));
    assert!(err.to_string().contains("401"), "{err}");
    assert!(!err.to_string().contains("not-the-demo-token"), "{err}");
    assert_eq!(client.stats().retries, 0, "a 401 is not retried");
    assert_eq!(client.stats().requests_sent, 1);
    assert_eq!(demo.requests(), 1);
}

#[tokio::test]
async fn a_start_in_the_future_is_refused_before_anything_is_sent_for_it() {
    let demo = DemoServer::start().await;
    let client = demo_client(&demo);
    let start = (chrono::Utc::now() + chrono::Duration::days(2)).fixed_offset();
    let options = ReportOptions { period: Period::Range { start, end: None }, top: 5 };
    let err = build_report(&client, &options, &mut |_| {}).await.expect_err("future start");
    assert!(matches!(err, Error::InvalidInput { field: "start", .. }), "{err}");
    assert_eq!(demo.pages_served(), 0);
}

#[test]
fn percentages_handle_missing_and_zero_quotas() {
    assert_eq!(percent_of(Some(1), None), None);
    assert_eq!(percent_of(None, Some(100)), None);
    assert_eq!(percent_of(Some(1), Some(0)), None);
    assert_eq!(percent_of(Some(1), Some(-5)), None);
    assert_eq!(percent_of(Some(0), Some(10)), Some(0.0));
    assert_eq!(percent_of(Some(150), Some(100)), Some(150.0));
    assert_eq!(percent_of(Some(1), Some(3)), Some(33.33));
    assert_eq!(percent_of(Some(i64::MAX), Some(1)).map(f64::is_finite), Some(true));
}

/// The demo server answers as the spec says, seen without the client: media types, rate-limit
/// headers, cursor links, `expand`, problem details, and its one 429.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_server_speaks_like_the_api() {
    let demo = DemoServer::start().await;
    let expected = demo.expected_totals();
    let base = demo.base_url();
    assert!(base.starts_with("http://127.0.0.1:") && base.ends_with("/v7"), "{base}");
    let http = reqwest::Client::new();
    let get = |url: String| http.get(url).bearer_auth(DEMO_TOKEN).send();
    let header = |r: &reqwest::Response, name: &str| {
        r.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string).unwrap_or_default()
    };

    let first = get(format!("{base}/usage/units/tests")).await.expect("first page");
    assert_eq!(first.status(), 200);
    assert_eq!(header(&first, "content-type"), "application/hal+json");
    assert_eq!(first.headers().get_all("date").iter().count(), 1);
    assert_eq!(header(&first, "x-organization-rate-limit-limit"), "240");
    assert!(header(&first, "x-organization-rate-limit-remaining").parse::<u64>().is_ok_and(|n| n < 240));
    assert!(header(&first, "x-organization-rate-limit-reset").parse::<i64>().is_ok());
    let body: Value = first.json().await.expect("json");
    assert_eq!(
        body["breakdowns"].as_array().map(Vec::len),
        Some(thousandeyes_usage_tests::demo::TESTS_PAGE_SIZE)
    );
    let next = body["_links"]["next"]["href"].as_str().expect("next link").to_string();
    assert!(next.starts_with(&format!("{base}/usage/units/tests?cursor=")), "{next}");

    // The second page: refused once, held while the window is used up, then served.
    let refused = get(next.clone()).await.expect("429");
    assert_eq!(refused.status(), 429);
    assert_eq!(header(&refused, "content-type"), "application/problem+json");
    assert_eq!(header(&refused, "x-organization-rate-limit-remaining"), "0");
    let reset: i64 = header(&refused, "x-organization-rate-limit-reset").parse().expect("reset");
    assert!(reset > chrono::Utc::now().timestamp() - 1);
    let problem: Value = refused.json().await.expect("problem");
    assert_eq!(problem["status"], 429);
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let second = get(next).await.expect("second page");
    assert_eq!(second.status(), 200);
    assert_eq!(demo.rate_limited_responses(), 1);

    let bogus = get(format!("{base}/usage/units/tests?cursor=bm9wZQ")).await.expect("bogus cursor");
    assert_eq!(bogus.status(), 400);
    assert_eq!(header(&bogus, "content-type"), "application/problem+json");

    let plain: Value = get(format!("{base}/usage")).await.expect("usage").json().await.expect("json");
    assert_eq!(plain["usage"]["cloudUnitsUsed"], expected.cloud_units_used);
    assert!(plain["usage"].get("tests").is_none(), "nothing expanded unless asked");
    let expanded: Value = get(format!("{base}/usage?expand=test,enterprise-agent-unit"))
        .await
        .expect("usage")
        .json()
        .await
        .expect("json");
    assert_eq!(expanded["usage"]["tests"].as_array().map(Vec::len), Some(expected.tests));
    assert_eq!(expanded["usage"]["enterpriseAgentUnits"].as_array().map(Vec::len), Some(expected.agents));
    let bad_expand = get(format!("{base}/usage?expand=tests")).await.expect("bad expand");
    assert_eq!(bad_expand.status(), 400);

    let anonymous = http.get(format!("{base}/quotas")).send().await.expect("401");
    assert_eq!(anonymous.status(), 401);
}
