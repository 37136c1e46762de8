//! `te-usage report` as a user runs it: the built binary in a child process, on the demo
//! (`--demo`) or on a fake Usage API of the test's own (`TE_TOKEN`, `TE_API_ENDPOINT`); each
//! format parsed back, the exit statuses, and what goes to stderr.

use serde_json::Value;
use thousandeyes_usage_cli::report::render::csv::CSV_HEADER;
use thousandeyes_usage_fake::FakeUsageApi;

use crate::support::{
    assert_names_a_refused_connection, csv_rows, run, te_usage, te_usage_on, te_usage_unreachable, Run,
};

/// `te-usage report --demo` with `args`, which must succeed.
async fn demo(args: &[&str]) -> Run {
    let out = run(te_usage(["report", "--demo"].iter().chain(args))).await;
    assert_eq!(out.status, 0, "{out:?}");
    out
}

#[tokio::test]
async fn the_demo_flags_its_over_quota_group_in_the_table_and_the_json() {
    let table = demo(&[]).await.stdout;
    // The demo's EMEA Retail (1238) used 1,386,383 units of a 1,000,000 quota.
    let row = table.lines().find(|l| l.contains("EMEA Retail") && l.contains("1238")).expect("its row");
    assert!(row.contains("138.6 %") && row.contains("OVER by 386,383"), "{row}");
    assert!(
        table.contains("Over quota         EMEA Retail (1238): 1,386,383 units used of a 1,000,000 quota"),
        "{table}"
    );
    assert_eq!(table.matches("OVER by").count(), 1, "only that group is over: {table}");
    let json: Value = serde_json::from_str(&demo(&["-o", "json"]).await.stdout).expect("JSON");
    let over: Vec<&str> = json["account_groups"]
        .as_array()
        .expect("account groups")
        .iter()
        .filter(|g| g["over_quota"] == true)
        .filter_map(|g| g["aid"].as_str())
        .collect();
    assert_eq!(over, ["1238"]);
}

#[tokio::test]
async fn the_demo_is_marked_as_demo_data_in_the_title_and_says_so_on_stderr() {
    let out = demo(&[]).await;
    let title = out.stdout.lines().next().expect("a title");
    assert!(title.starts_with("ThousandEyes usage report: DEMO DATA"), "{title}");
    assert!(out.stderr.contains("--demo: the embedded fake Usage API's sample data"), "{}", out.stderr);
    let markdown = demo(&["-o", "markdown"]).await.stdout;
    assert!(markdown.starts_with("# ThousandEyes usage report: DEMO DATA"), "{markdown}");
    let json: Value = serde_json::from_str(&demo(&["-o", "json"]).await.stdout).expect("JSON");
    assert_eq!(json["demo"], true);
}

#[tokio::test]
async fn on_an_organization_the_report_is_not_marked_as_demo_data() {
    let fake = FakeUsageApi::start().await;
    let out = run(te_usage_on(&fake, ["report"])).await;
    assert_eq!(out.status, 0, "{out:?}");
    assert_eq!(out.stdout.lines().next(), Some("ThousandEyes usage report"));
    assert!(out.stdout.contains(&format!("Source     {}", fake.base_url())), "{}", out.stdout);
    assert!(!out.stderr.contains("--demo"), "{}", out.stderr);
    assert_eq!(fake.pages_served(), fake.expected_totals().pages);
}

#[tokio::test]
async fn the_demos_json_names_counts_as_counts_and_its_csv_rows_carry_their_period() {
    let json: Value = serde_json::from_str(&demo(&["-o", "json"]).await.stdout).expect("JSON");
    assert_eq!(json["organization_quotas"][0]["account_group_quota_count"], 4);
    assert!(json["organization_quotas"][0].get("account_group_quotas").is_none());
    let tests = json["tests"].as_array().expect("tests").len();
    assert_eq!(json["totals"]["test_count"], tests);
    assert!(json["account_groups"][0]["test_count"].is_u64());
    assert!(json["stats"]["request_count"].is_u64() && json["stats"]["retry_count"].is_u64());

    let csv = demo(&["-o", "csv"]).await.stdout;
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some(CSV_HEADER));
    let utc = |key: &str| {
        let t = json["period"][key].as_str().expect("GET /usage names the billing period");
        chrono::DateTime::parse_from_rfc3339(t)
            .expect("RFC 3339")
            .with_timezone(&chrono::Utc)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    let period = format!("{},{},", utc("billing_period_start"), utc("billing_period_end"));
    assert!(lines.clone().count() == tests && lines.all(|row| row.starts_with(&period)));
}

#[tokio::test]
async fn the_demos_stats_say_what_they_count_and_agree() {
    let out = demo(&["-o", "json"]).await;
    let json: Value = serde_json::from_str(&out.stdout).expect("JSON");
    let s = &json["stats"];
    let n = |key: &str| s[key].as_u64().expect(key);
    assert_eq!(n("request_count"), n("page_count") + n("other_request_count") + n("retry_count"), "{s}");
    assert!(n("retry_count") >= 1 && n("retry_count") == n("rate_limited_count"), "{s}");
    let first = n("request_count") - n("retry_count");
    assert!(
        out.stderr.contains(&format!(
            "Requests sent: {} ({first} first tries, {} sent again: {} after a 429 Too Many Requests).",
            n("request_count"),
            n("retry_count"),
            n("rate_limited_count")
        )),
        "{}",
        out.stderr
    );
    let calls = s["waits"]["after_rate_limit"]["call_count"].as_u64().expect("calls");
    let total = s["waits"]["after_rate_limit"]["total_ms"].as_u64().expect("total");
    assert!(calls >= 1, "{s}");
    assert!(
        out.stderr.contains(&format!(
            "{calls} call{} waited for the rate-limit window to reopen after a 429, {:.2} s",
            if calls == 1 { "" } else { "s" },
            total as f64 / 1000.0
        )),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("calls in flight together wait at the same time"), "{}", out.stderr);
}

/// Markdown is the table's report, for a wiki: the same rows, as pipe tables with figures
/// right-aligned.
#[tokio::test]
async fn markdown_shows_the_tables_rows_as_pipe_tables() {
    let markdown = demo(&["-o", "markdown", "--top", "3"]).await.stdout;
    assert!(markdown.contains("\n## Top 3 of 81 tests by units used (month to date, "), "{markdown}");
    assert!(
        markdown.contains("| # | Test | Type | Account group | Cloud | Enterprise | Total |\n| ---: | --- |"),
        "{markdown}"
    );
    let row = markdown.lines().find(|l| l.starts_with("| EMEA Retail | 1238 |")).expect("the group's row");
    assert!(row.contains("| 138.6 % | OVER by 386,383 |"), "{row}");
    assert!(markdown.contains("- **Over quota**: EMEA Retail (1238): 1,386,383 units used"), "{markdown}");
}

#[tokio::test]
async fn without_a_token_and_without_demo_report_fails_with_status_1_naming_both() {
    // Unset, and set but empty (a secret that failed to load): the same line.
    let mut empty = te_usage(["report"]);
    empty.env("TE_TOKEN", " ");
    for out in [run(te_usage(["report"])).await, run(empty).await] {
        assert_eq!(out.status, 1, "{out:?}");
        assert!(out.stdout.is_empty(), "{}", out.stdout);
        let line = out.stderr.trim_end();
        assert_eq!(line.lines().count(), 1, "one line: {line}");
        assert!(
            line.starts_with("te-usage: ") && line.contains("TE_TOKEN") && line.contains("--demo"),
            "{line}"
        );
    }
}

/// Behind a proxy, the cause is what the user needs to see: the line names the connection's
/// failure, not only "error sending request".
#[tokio::test]
async fn an_unreachable_endpoint_fails_with_status_1_and_a_line_naming_the_cause() {
    let out = run(te_usage_unreachable(["report"])).await;
    assert_eq!(out.status, 1, "{out:?}");
    assert!(out.stderr.starts_with("te-usage: "), "{}", out.stderr);
    assert_names_a_refused_connection(&out.stderr);
}

#[tokio::test]
async fn bad_arguments_are_usage_errors_with_status_2_before_anything_is_sent() {
    let fake = FakeUsageApi::start().await;
    for args in [
        &["report", "--start", "2024-05-02T00:00:00Z", "--end", "2024-05-01T00:00:00Z"][..],
        &["report", "-o", "toml"],
        &["report", "--top", "0"],
        &["report", "--by", "nothing"],
    ] {
        let out = run(te_usage_on(&fake, args)).await;
        assert_eq!(out.status, 2, "{args:?}: {out:?}");
        assert!(out.stdout.is_empty(), "{args:?}: {}", out.stdout);
        assert!(!out.stderr.is_empty(), "{args:?}");
    }
    let out = run(te_usage_on(&fake, ["report", "-o", "toml"])).await;
    assert!(
        out.stderr.contains("report does not print toml: -o takes table, json, csv or markdown"),
        "{}",
        out.stderr
    );
    assert_eq!(fake.request_count(), 0);
}

/// A `--start` in the future is a bad argument like any other the client refuses before
/// sending: status 2 and one line naming it, and nothing sent.
#[tokio::test]
async fn a_start_in_the_future_is_a_bad_argument_with_status_2_and_nothing_sent() {
    let fake = FakeUsageApi::start().await;
    let start = (chrono::Utc::now() + chrono::Duration::days(2)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let out = run(te_usage_on(&fake, ["report", "--start", start.as_str()])).await;
    assert_eq!(out.status, 2, "{out:?}");
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(
        out.stderr.starts_with("te-usage: invalid start") && out.stderr.contains("in the future"),
        "{}",
        out.stderr
    );
    assert_eq!(fake.request_count(), 0);
}

/// `--quiet`: nothing on stderr (no demo note, no progress, no statistics) but an error line.
#[tokio::test]
async fn quiet_leaves_stderr_empty_but_for_the_error_line() {
    let out = demo(&["--quiet"]).await;
    assert_eq!(out.stderr, "", "{out:?}");
    assert!(out.stdout.contains("Totals"), "{}", out.stdout);
    let out = run(te_usage(["report", "-q"])).await;
    assert_eq!(out.status, 1);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(out.stderr.contains("TE_TOKEN"), "{}", out.stderr);
}

/// A progress bar is for a terminal: piped stderr gets none (no carriage returns, no escape
/// sequences), only the notes and statistics.
#[tokio::test]
async fn piped_stderr_gets_no_progress_bar() {
    let out = demo(&["-o", "csv"]).await;
    assert!(!out.stderr.contains('\r') && !out.stderr.contains('\u{1b}'), "{:?}", out.stderr);
    assert!(!out.stderr.contains(" items"), "{:?}", out.stderr);
    assert!(out.stderr.starts_with("te-usage: --demo"), "{:?}", out.stderr);
    assert_eq!(csv_rows(&out.stdout).len(), 82, "the CSV is whole");
}

/// On a terminal (a pseudo-terminal from `script`, util-linux), the listings' pages show as
/// they come, and `--quiet` silences them.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_terminal_shows_the_listings_progress_unless_quiet() {
    let on_a_terminal = |quiet: bool| {
        let te_usage = env!("CARGO_BIN_EXE_te-usage");
        let flag = if quiet { " --quiet" } else { "" };
        let mut command = tokio::process::Command::new("script");
        command
            .args(["--quiet", "--return", "--command"])
            .arg(format!("'{te_usage}' report --demo -o csv{flag}"))
            .arg("/dev/null")
            .env("TERM", "xterm")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        command
    };
    let out = run(on_a_terminal(false)).await;
    assert_eq!(out.status, 0, "script(1) from util-linux runs te-usage on a pseudo-terminal: {out:?}");
    assert!(
        out.stdout.contains("test units") && out.stdout.contains("enterprise agent units"),
        "{:?}",
        out.stdout
    );
    assert!(out.stdout.contains(" items"), "{:?}", out.stdout);
    let quiet = run(on_a_terminal(true)).await;
    assert_eq!(quiet.status, 0, "{quiet:?}");
    assert!(!quiet.stdout.contains("test units") && !quiet.stdout.contains(" items"), "{:?}", quiet.stdout);
}
