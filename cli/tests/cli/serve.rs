//! `te-usage serve` in a child process, against the demo or a fake started here.

use std::time::{Duration, Instant};

use thousandeyes_usage_fake::{Failure, FakeUsageApi, FakeUsageApiBuilder, Operation, TokenCheck};

use crate::support::{
    program, promtool, run, sample, samples, scratch_dir, te_usage, te_usage_on, write_file, Served,
};

/// A fake whose listings fit in one page each: a refresh makes 4 calls, so an interval of 1 s
/// is within the budget (4 of 240 calls a minute allow one every second).
fn one_page_fake() -> FakeUsageApiBuilder {
    FakeUsageApi::builder().page_size(1_000)
}

fn serve_on(fake: &FakeUsageApi, args: &[&str]) -> tokio::process::Command {
    te_usage_on(fake, ["serve", "--listen", "127.0.0.1:0"].iter().chain(args))
}

fn up(text: &str, organization: &str) -> Option<f64> {
    sample(text, "thousandeyes_up", &[("organization", organization)])
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_answers_healthz_200_within_5_s_and_its_metrics_pass_promtool() {
    let started = Instant::now();
    let served = Served::start(te_usage(["serve", "--demo", "--listen", "127.0.0.1:0"])).await;
    loop {
        let (status, body) = served.get("/healthz").await;
        if status == 200 {
            assert!(body.contains("demo: ok"), "{body}");
            break;
        }
        assert_eq!(status, 503, "{body}");
        assert!(started.elapsed() < Duration::from_secs(5), "no 200 within 5 s: {}", served.stderr());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(started.elapsed() < Duration::from_secs(5));
    let text = served.metrics().await;
    assert_eq!(up(&text, "demo"), Some(1.0), "{text}");
    let Some(promtool_path) = program("promtool", "prometheus", "promtool check metrics on /metrics") else {
        return;
    };
    let (status, out) = promtool(&promtool_path, &["check", "metrics"], &text);
    assert_eq!((status, out.as_str()), (0, ""), "promtool check metrics:\n{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn healthz_is_503_until_the_first_refresh_succeeds() {
    let fake = one_page_fake().latency(Duration::from_millis(1_500)).start().await;
    let served = Served::start(serve_on(&fake, &["--interval", "1m"])).await;
    let (status, body) = served.get("/healthz").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("default: not refreshed yet; last successful refresh: never"), "{body}");
    let text = served.metrics().await;
    assert_eq!(up(&text, "default"), Some(0.0), "{text}");
    assert_eq!(sample(&text, "thousandeyes_used_units", &[("kind", "cloud")]), None, "{text}");
    let text = served.metrics_when(Duration::from_secs(10), |t| up(t, "default") == Some(1.0)).await;
    assert_eq!(served.get("/healthz").await.0, 200);
    assert_eq!(
        sample(&text, "thousandeyes_used_units", &[("kind", "cloud")]),
        Some(fake.expected_totals().cloud_units_used as f64)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_organization_and_account_group_figures_are_the_fakes() {
    let fake = one_page_fake().start().await;
    let served = Served::start(serve_on(&fake, &["--interval", "1m"])).await;
    let text = served.metrics_when(Duration::from_secs(10), |t| up(t, "default") == Some(1.0)).await;
    let totals = fake.expected_totals();
    let data = fake.dataset();
    let org = [("organization", "default")];
    let value = |name: &str, labels: &[(&str, &str)]| {
        let all: Vec<_> = org.iter().chain(labels).copied().collect();
        sample(&text, name, &all)
    };
    assert_eq!(value("thousandeyes_used_units", &[("kind", "cloud")]), Some(totals.cloud_units_used as f64));
    assert_eq!(
        value("thousandeyes_projected_units", &[("kind", "cloud")]),
        data.usage.cloud_units_projected.map(|v| v as f64)
    );
    assert_eq!(
        value("thousandeyes_included_units", &[("kind", "cloud")]),
        totals.cloud_units_included.map(|v| v as f64)
    );
    assert_eq!(
        value("thousandeyes_organization_quota_units", &[]),
        totals.organization_quota.map(|v| v as f64)
    );
    let quota = data.usage.quota.as_ref().expect("a billing period");
    assert_eq!(
        value("thousandeyes_billing_period_start_timestamp_seconds", &[]),
        quota.month_start.map(|t| t.timestamp() as f64)
    );
    assert_eq!(
        value("thousandeyes_billing_period_end_timestamp_seconds", &[]),
        quota.month_end.map(|t| t.timestamp() as f64)
    );

    // Network Operations (1234) under both attributions: what its tests used, and what was
    // used on the agents it created.
    let by_owner: i64 = data
        .test_units
        .iter()
        .filter(|t| t.aid.as_deref() == Some("1234"))
        .filter_map(|t| t.enterprise_units_used)
        .sum();
    let by_home: i64 = data
        .usage
        .enterprise_agent_units
        .iter()
        .flatten()
        .filter(|a| a.aid.as_deref() == Some("1234"))
        .filter_map(|a| a.enterprise_units_used)
        .sum();
    assert_ne!(by_owner, by_home, "the seeded data tells the attributions apart");
    let group = |attribution| {
        value(
            "thousandeyes_account_group_used_units",
            &[
                ("aid", "1234"),
                ("account_group", "Network Operations"),
                ("attribution", attribution),
                ("kind", "enterprise"),
            ],
        )
    };
    assert_eq!(group("test_owner"), Some(by_owner as f64), "{text}");
    assert_eq!(group("agent_home_group"), Some(by_home as f64), "{text}");
    // Each attribution adds up to the organization's enterprise units.
    for attribution in ["test_owner", "agent_home_group"] {
        let sum: f64 = samples(&text, "thousandeyes_account_group_used_units")
            .iter()
            .filter(|(l, _)| l["attribution"] == attribution && l["kind"] == "enterprise")
            .map(|(_, v)| v)
            .sum();
        assert_eq!(sum, totals.enterprise_units_used as f64, "{attribution}");
    }
    let quota_1238 = data
        .quotas
        .iter()
        .flat_map(|q| q.account_group_quotas.iter().flatten())
        .find(|g| g.aid.as_deref() == Some("1238"))
        .and_then(|g| g.value);
    assert_eq!(
        value("thousandeyes_account_group_quota_units", &[("aid", "1238")]),
        quota_1238.map(|v| v as f64)
    );
    // No series per test without --per-test.
    assert!(samples(&text, "thousandeyes_test_used_units").is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn per_test_publishes_the_n_tests_that_use_the_most() {
    let fake = one_page_fake().start().await;
    let served = Served::start(serve_on(&fake, &["--interval", "1m", "--per-test", "3"])).await;
    let text = served.metrics_when(Duration::from_secs(10), |t| up(t, "default") == Some(1.0)).await;
    let mut tests = fake.dataset().test_units;
    let units = |t: &thousandeyes_usage_fake::models::UnitsByTests| {
        t.cloud_units_used.unwrap_or(0) + t.enterprise_units_used.unwrap_or(0)
    };
    tests.sort_by_key(|t| std::cmp::Reverse(units(t)));
    let published: Vec<_> = samples(&text, "thousandeyes_test_used_units");
    let mut ids: Vec<&str> = published.iter().map(|(l, _)| l["test_id"].as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut top: Vec<&str> = tests[..3].iter().map(|t| t.test_id.as_deref().unwrap_or_default()).collect();
    top.sort_unstable();
    assert_eq!(ids, top);
    let first = &tests[0];
    let test_id = first.test_id.as_deref().unwrap_or_default();
    assert_eq!(
        sample(&text, "thousandeyes_test_used_units", &[("test_id", test_id), ("kind", "cloud")]),
        first.cloud_units_used.map(|v| v as f64)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demos_cloud_units_used_are_what_report_demo_json_prints() {
    let served = Served::start(te_usage(["serve", "--demo", "--listen", "127.0.0.1:0"])).await;
    let text = served.metrics_when(Duration::from_secs(5), |t| up(t, "demo") == Some(1.0)).await;
    let report = run(te_usage(["report", "--demo", "-o", "json"])).await;
    assert_eq!(report.status, 0, "{report:?}");
    let report: serde_json::Value = serde_json::from_str(&report.stdout).expect("the report is JSON");
    let used = report["cloud"]["used"].as_i64().expect("cloud.used");
    assert_eq!(
        sample(&text, "thousandeyes_used_units", &[("organization", "demo"), ("kind", "cloud")]),
        Some(used as f64)
    );
    let projected = report["cloud"]["projected"].as_i64().expect("cloud.projected");
    assert_eq!(
        sample(&text, "thousandeyes_projected_units", &[("organization", "demo"), ("kind", "cloud")]),
        Some(projected as f64)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_and_sigint_stop_it_with_status_0_within_5_s() {
    for signal in ["TERM", "INT"] {
        let mut served = Served::start(te_usage(["serve", "--demo", "--listen", "127.0.0.1:0"])).await;
        served.metrics_when(Duration::from_secs(5), |t| up(t, "demo") == Some(1.0)).await;
        let sent = Instant::now();
        served.signal(signal);
        let status = served.exit_within(Duration::from_secs(5)).await;
        assert_eq!(status, Some(0), "SIG{signal}: {}", served.stderr());
        assert!(sent.elapsed() < Duration::from_secs(5));
        assert!(served.stderr().contains("te-usage serve: stopped"), "{}", served.stderr());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_during_a_refresh_that_does_not_end_abandons_it_and_exits_0_within_5_s() {
    let fake = one_page_fake().latency(Duration::from_secs(30)).start().await;
    let mut served = Served::start(serve_on(&fake, &["--interval", "1m"])).await;
    tokio::time::sleep(Duration::from_millis(300)).await; // the first refresh is in flight
    let sent = Instant::now();
    served.signal("TERM");
    assert_eq!(served.exit_within(Duration::from_secs(5)).await, Some(0), "{}", served.stderr());
    assert!(sent.elapsed() < Duration::from_secs(5));
    assert!(served.stderr().contains("the refresh in flight was abandoned"), "{}", served.stderr());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_interval_below_the_budget_floor_is_refused_naming_the_floor() {
    // Before any refresh: a refresh makes at least 4 calls, and 4 of 240 a minute allow one a second.
    let out = run(te_usage(["serve", "--demo", "--listen", "127.0.0.1:0", "--interval", "500ms"])).await;
    assert_eq!(out.status, 2, "{out:?}");
    assert!(out.stderr.contains("--interval 500ms is below the floor of 1s"), "{}", out.stderr);
    assert!(!out.stderr.contains("serving http://"), "refused before listening: {}", out.stderr);

    // A share of 0.1 leaves 24 calls a minute: one refresh every 10 s.
    let fake = one_page_fake().start().await;
    let mut command = serve_on(&fake, &["--interval", "5s"]);
    command.env("TE_RATE_LIMIT_SHARE", "0.1");
    let out = run(command).await;
    assert_eq!(out.status, 2, "{out:?}");
    assert!(out.stderr.contains("--interval 5s is below the floor of 10s"), "{}", out.stderr);
    assert!(out.stderr.contains("share 0.1 of the organization's 240 calls a minute"), "{}", out.stderr);

    // Counted from the first refresh: the demo's 9 pages and 2 other calls, 11 of 240 a minute.
    let out = run(te_usage(["serve", "--demo", "--listen", "127.0.0.1:0", "--interval", "2s"])).await;
    assert_eq!(out.status, 2, "{out:?}");
    assert!(
        out.stderr.contains("--interval 2s is below the floor of 2.75s: a refresh made 11 calls"),
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_refresh_keeps_the_last_good_figures_counts_it_and_logs_once_per_cause_then_the_recovery() {
    // The first refresh succeeds; the next three refreshes' GET /usage is answered 500 (three
    // attempts each); then the API is well again.
    let fake = one_page_fake().fail(Failure::new(Operation::GetUsage, 500).after(1).times(9)).start().await;
    let served = Served::start(serve_on(&fake, &["--interval", "1s"])).await;
    let good = served.metrics_when(Duration::from_secs(10), |t| up(t, "default") == Some(1.0)).await;
    let used = sample(&good, "thousandeyes_used_units", &[("kind", "cloud")]);
    assert_eq!(used, Some(fake.expected_totals().cloud_units_used as f64));

    let failing = served
        .metrics_when(Duration::from_secs(20), |t| {
            sample(t, "thousandeyes_refresh_errors_total", &[("cause", "server_error")]) >= Some(2.0)
        })
        .await;
    assert_eq!(
        sample(&failing, "thousandeyes_used_units", &[("kind", "cloud")]),
        used,
        "the last good figures stay"
    );
    let success = sample(&good, "thousandeyes_last_refresh_success_timestamp_seconds", &[]);
    assert_eq!(sample(&failing, "thousandeyes_last_refresh_success_timestamp_seconds", &[]), success);

    served
        .metrics_when(Duration::from_secs(20), |t| {
            sample(t, "thousandeyes_refresh_errors_total", &[("cause", "server_error")]) == Some(3.0)
                && up(t, "default") == Some(1.0)
        })
        .await;
    let log = served.stderr();
    assert_eq!(log.matches("refresh failed (server_error)").count(), 1, "{log}");
    assert_eq!(log.matches("refreshed again after 3 failed refreshes").count(), 1, "{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn one_organization_whose_token_is_revoked_goes_stale_while_the_others_serve() {
    let acme = one_page_fake().start().await;
    // Globex's token works for one refresh, then the API answers 401: revoked.
    let globex = one_page_fake().fail(Failure::on_any_operation(401).after(4).always()).start().await;
    let dir = scratch_dir("orgs");
    let config = format!(
        "[[organization]]\nname = \"acme\"\ntoken_file = \"acme.token\"\nendpoint = \"{}\"\n\n\
         [[organization]]\nname = \"globex\"\ntoken_file = \"globex.token\"\nendpoint = \"{}\"\nrate_limit_share = 0.5\n",
        acme.base_url(),
        globex.base_url()
    );
    write_file(&dir, "acme.token", &format!("{}\n", acme.token()));
    write_file(&dir, "globex.token", globex.token());
    let config = write_file(&dir, "organizations.toml", &config);
    let config = config.to_str().expect("a UTF-8 path");
    let served =
        Served::start(te_usage(["serve", "--listen", "127.0.0.1:0", "--interval", "2s", "--config", config]))
            .await;
    let text = served
        .metrics_when(Duration::from_secs(15), |t| {
            sample(
                t,
                "thousandeyes_refresh_errors_total",
                &[("organization", "globex"), ("cause", "unauthorized")],
            ) >= Some(2.0)
        })
        .await;
    assert_eq!(up(&text, "acme"), Some(1.0), "{text}");
    assert_eq!(up(&text, "globex"), Some(0.0), "{text}");
    let cloud = |organization| {
        sample(&text, "thousandeyes_used_units", &[("organization", organization), ("kind", "cloud")])
    };
    assert_eq!(cloud("acme"), Some(acme.expected_totals().cloud_units_used as f64));
    assert_eq!(
        cloud("globex"),
        Some(globex.expected_totals().cloud_units_used as f64),
        "the last good figures stay"
    );
    let (status, health) = served.get("/healthz").await;
    assert_eq!(status, 200, "{health}");
    assert!(health.contains("acme: ok") && health.contains("globex: failing (unauthorized)"), "{health}");
    assert_eq!(
        served.stderr().matches("[globex] refresh failed (unauthorized)").count(),
        1,
        "{}",
        served.stderr()
    );
    // Every series carries the organization.
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        assert!(line.contains("organization=\""), "{line}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_config_file_error_names_the_file_line_and_column_and_arguments_that_do_not_go_together_are_refused(
) {
    let dir = scratch_dir("bad-config");
    let config = write_file(
        &dir,
        "organizations.toml",
        "[[organization]]\nname = \"acme\"\ntoken_file = \"t\"\ncolour = 1\n",
    );
    let out = run(te_usage(["serve", "--config", config.to_str().expect("UTF-8")])).await;
    assert_eq!(out.status, 1, "{out:?}");
    let expected = format!("{}:4:1: unknown field `colour`", config.display());
    assert!(out.stderr.contains(&expected), "{}", out.stderr);

    let out = run(te_usage(["serve", "--demo", "--config", config.to_str().expect("UTF-8")])).await;
    assert_eq!(out.status, 2, "{out:?}");
    assert!(out.stderr.contains("--demo and --config do not go together"), "{}", out.stderr);

    let out = run(te_usage(["serve", "--demo", "-o", "json"])).await;
    assert_eq!(out.status, 2, "{out:?}");
    assert!(out.stderr.contains("-o json does not apply"), "{}", out.stderr);
}

/// `te-usage serve --token-file FILE` on `fake` every second, FILE first holding `token`; and
/// FILE.
async fn serve_with_token_file(
    fake: &FakeUsageApi,
    label: &str,
    token: &str,
) -> (Served, std::path::PathBuf) {
    let file = write_file(&scratch_dir(label), "token", token);
    let mut command = te_usage(["serve", "--listen", "127.0.0.1:0", "--interval", "1s", "--token-file"]);
    command.arg(&file).env("TE_API_ENDPOINT", fake.base_url());
    (Served::start(command).await, file)
}

/// Writes `token` to `file` and sends SIGHUP; then waits until `/metrics` counts one token
/// read with `result`, and returns it.
async fn new_token(served: &Served, file: &std::path::Path, token: &str, result: &str) -> String {
    std::fs::write(file, token).expect("token written");
    served.signal("HUP");
    served
        .metrics_when(Duration::from_secs(10), |t| {
            sample(t, "thousandeyes_token_reloads_total", &[("result", result)]) == Some(1.0)
        })
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_changed_token_file_is_read_within_seconds_without_sighup() {
    let fake = one_page_fake().start().await;
    let (served, file) = serve_with_token_file(&fake, "token-poll", "not-the-token-yet").await;
    served
        .metrics_when(Duration::from_secs(10), |t| {
            sample(t, "thousandeyes_refresh_errors_total", &[("cause", "unauthorized")]) >= Some(1.0)
        })
        .await;
    std::fs::write(&file, format!("{}\n", fake.token())).expect("token written");
    let text = served.metrics_when(Duration::from_secs(10), |t| up(t, "default") == Some(1.0)).await;
    assert_eq!(sample(&text, "thousandeyes_token_reloads_total", &[("result", "applied")]), Some(1.0));
    let log = served.stderr();
    assert!(log.contains("a new token was read from"), "{log}");
    assert!(!log.contains(fake.token()), "the token is never shown: {log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_the_client_refuses_is_logged_without_being_shown_and_the_old_one_stays() {
    let fake = one_page_fake().start().await;
    let (served, file) = serve_with_token_file(&fake, "token-bad", fake.token()).await;
    served.metrics_when(Duration::from_secs(10), |t| up(t, "default") == Some(1.0)).await;
    // A control character cannot go in a header: the client refuses it.
    let text = new_token(&served, &file, "secret-part\u{1}of-a-bad-token", "refused").await;
    let refreshes = sample(&text, "thousandeyes_refreshes_total", &[]).unwrap_or(0.0);
    served
        .metrics_when(Duration::from_secs(10), |t| {
            sample(t, "thousandeyes_refreshes_total", &[]) >= Some(refreshes + 2.0)
                && up(t, "default") == Some(1.0)
        })
        .await;
    let log = served.stderr();
    assert!(log.contains("was refused") && log.contains("the token in use stays"), "{log}");
    assert!(!log.contains("secret-part") && !log.contains("bad-token"), "the token is never shown: {log}");
    assert!(
        fake.requests().iter().all(|r| r.token == TokenCheck::Matched),
        "every request kept the good token"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_token_the_api_refuses_is_dropped_for_the_one_before_it() {
    let fake = one_page_fake().start().await;
    let (served, file) = serve_with_token_file(&fake, "token-revert", fake.token()).await;
    served.metrics_when(Duration::from_secs(10), |t| up(t, "default") == Some(1.0)).await;
    let text = new_token(&served, &file, "a-token-the-api-does-not-know", "reverted").await;
    assert_eq!(up(&text, "default"), Some(1.0), "the refresh went on with the token before: {text}");
    assert_eq!(sample(&text, "thousandeyes_refresh_errors_total", &[("cause", "unauthorized")]), Some(0.0));
    let log = served.stderr();
    assert!(log.contains("the API refused the token read from"), "{log}");
    assert!(!log.contains("a-token-the-api-does-not-know"), "{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn history_stores_every_refresh_as_its_billing_periods_snapshot_and_is_closed_at_exit() {
    let fake = one_page_fake().start().await;
    let db = scratch_dir("serve-history").join("history.db");
    let db_arg = db.to_str().expect("UTF-8");
    let mut served = Served::start(serve_on(&fake, &["--interval", "1s", "--history", db_arg])).await;
    let text = served
        .metrics_when(Duration::from_secs(15), |t| {
            sample(t, "thousandeyes_refreshes_total", &[]) >= Some(3.0)
        })
        .await;
    assert_eq!(sample(&text, "thousandeyes_history_errors_total", &[]), Some(0.0), "{text}");
    served.signal("TERM");
    assert_eq!(served.exit_within(Duration::from_secs(5)).await, Some(0), "{}", served.stderr());

    // Closed: another writer opens it at once; one period, stored once per refresh.
    let history = thousandeyes_usage_cli::history::History::open(&db).expect("the history opens");
    let periods = history.periods().expect("periods");
    assert_eq!(periods.len(), 1, "{periods:?}");
    assert!(periods[0].snapshot_count >= 3, "{periods:?}");
    assert_eq!(periods[0].cloud_units_used, Some(fake.expected_totals().cloud_units_used));
    drop(history);
    let out = run(te_usage(["history", "--db", db_arg])).await;
    assert_eq!(out.status, 0, "{out:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_history_that_cannot_be_opened_or_is_named_twice_is_refused_before_serving() {
    let dir = scratch_dir("serve-history-bad");
    let garbage = write_file(&dir, "garbage.db", &"not a database\n".repeat(400));
    let fake = one_page_fake().start().await;
    let out = run(serve_on(&fake, &["--history", garbage.to_str().expect("UTF-8")])).await;
    assert_eq!(out.status, 1, "{out:?}");
    assert!(out.stderr.contains(&garbage.display().to_string()), "{}", out.stderr);
    assert!(!out.stderr.contains("serving http://"), "{}", out.stderr);

    write_file(&dir, "t", fake.token());
    let config = write_file(
        &dir,
        "organizations.toml",
        &format!(
            "[[organization]]\nname = \"a\"\ntoken_file = \"t\"\nendpoint = \"{0}\"\nhistory = \"h.db\"\n\
             [[organization]]\nname = \"b\"\ntoken_file = \"t\"\nendpoint = \"{0}\"\nhistory = \"h.db\"\n",
            fake.base_url()
        ),
    );
    let out =
        run(te_usage(["serve", "--listen", "127.0.0.1:0", "--config", config.to_str().expect("UTF-8")]))
            .await;
    assert_eq!(out.status, 2, "{out:?}");
    assert!(out.stderr.contains("organizations \"a\" and \"b\" name the same history"), "{}", out.stderr);

    // An organization's history (read from the fake as `localhost`) takes no demo figures.
    let db = dir.join("organization.db");
    let mut snapshot = te_usage_on(&fake, ["snapshot".as_ref(), "--db".as_ref(), db.as_os_str()]);
    snapshot.env("TE_API_ENDPOINT", fake.base_url().replace("127.0.0.1", "localhost"));
    assert_eq!(run(snapshot).await.status, 0);
    let before = std::fs::read(&db).expect("the history");
    let out = run(te_usage([
        "serve".as_ref(),
        "--demo".as_ref(),
        "--listen".as_ref(),
        "127.0.0.1:0".as_ref(),
        "--history".as_ref(),
        db.as_os_str(),
    ]))
    .await;
    assert_eq!(out.status, 1, "{out:?}");
    assert!(
        out.stderr.contains("holds snapshots read from localhost, and this one is read from 127.0.0.1"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("serving http://"), "{}", out.stderr);
    assert_eq!(std::fs::read(&db).expect("the history"), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn sighup_after_a_token_file_change_makes_the_next_refresh_use_the_new_token() {
    let mut fake = one_page_fake().start().await;
    let old = fake.token().to_string();
    let (served, file) = serve_with_token_file(&fake, "token-sighup", &old).await;
    served.metrics_when(Duration::from_secs(10), |t| up(t, "default") == Some(1.0)).await;

    // The token is regenerated: the API takes the new one, and the old one for 14 days more.
    let new = format!("{:-<width$}", "rotated-token", width = old.len());
    fake.rotate_token(new.clone());
    // The file gets the new token with the old file's size and modification time, so that only
    // SIGHUP can tell it changed.
    let modified = std::fs::metadata(&file).and_then(|m| m.modified()).expect("a modification time");
    std::fs::write(&file, &new).expect("token written");
    std::fs::File::options().write(true).open(&file).and_then(|f| f.set_modified(modified)).expect("mtime");
    let refreshes = |t: &str| sample(t, "thousandeyes_refreshes_total", &[]).unwrap_or(0.0);
    let before = refreshes(&served.metrics().await);
    served.metrics_when(Duration::from_secs(10), |t| refreshes(t) >= before + 3.0).await;
    let carried = |fake: &FakeUsageApi| fake.requests().iter().map(|r| r.token).collect::<Vec<_>>();
    let unchanged = carried(&fake);
    assert!(unchanged.ends_with(&[TokenCheck::Previous; 4]), "the old token still in use: {unchanged:?}");

    served.signal("HUP");
    let text = served
        .metrics_when(Duration::from_secs(10), |t| {
            sample(t, "thousandeyes_token_reloads_total", &[("result", "applied")]) == Some(1.0)
        })
        .await;
    fake.clear_requests();
    let now = refreshes(&text);
    served.metrics_when(Duration::from_secs(10), |t| refreshes(t) >= now + 2.0).await;
    let after = carried(&fake);
    assert!(after.len() >= 4 && after.ends_with(&[TokenCheck::Matched; 4]), "the new token: {after:?}");
    assert!(!served.stderr().contains(&new) && !served.stderr().contains(&old), "{}", served.stderr());
}

#[tokio::test]
async fn help_names_the_default_port_and_the_signals() {
    let out = run(te_usage(["serve", "--help"])).await;
    assert_eq!(out.status, 0, "{out:?}");
    for words in
        ["[default: 127.0.0.1:19350]", "The default port, 19350", "SIGHUP", "SIGTERM", "[default: 5m]"]
    {
        assert!(out.stdout.contains(words), "serve --help lacks {words:?}: {}", out.stdout);
    }
}

/// A variable of the environment that is not UTF-8, and none of ours, is left alone (it made
/// serve panic as it read the `TE_*` ones).
#[tokio::test(flavor = "multi_thread")]
async fn an_environment_variable_that_is_not_utf8_is_none_of_its_business() {
    use std::os::unix::ffi::OsStrExt;
    let fake = one_page_fake().start().await;
    let mut command = serve_on(&fake, &["--interval", "1h"]);
    command.env("SOME_OTHER_TOOL", std::ffi::OsStr::from_bytes(b"caf\xe9"));
    let served = Served::start(command).await;
    served.metrics_when(Duration::from_secs(10), |t| up(t, "default") == Some(1.0)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scrape_never_calls_the_api() {
    let fake = one_page_fake().start().await;
    let served = Served::start(serve_on(&fake, &["--interval", "1h"])).await;
    let first = served.metrics_when(Duration::from_secs(10), |t| up(t, "default") == Some(1.0)).await;
    let calls = fake.request_count();
    for _ in 0..20 {
        assert_eq!(served.metrics().await, first);
        assert_eq!(served.get("/healthz").await.0, 200);
    }
    let ((status, openmetrics), content_type) =
        served.get_with("/metrics", "application/openmetrics-text;version=1.0.0,text/plain;q=0.5").await;
    assert_eq!(status, 200);
    assert!(content_type.starts_with("application/openmetrics-text; version=1.0.0"), "{content_type}");
    assert!(openmetrics.ends_with("# EOF\n"), "{openmetrics}");
    assert_eq!(fake.request_count(), calls, "scrapes made calls");
}
