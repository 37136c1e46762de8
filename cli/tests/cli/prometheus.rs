//! A real Prometheus (Debian's `prometheus` package; `.ci/run` installs it) scrapes
//! `te-usage serve`, and PromQL returns the fake's figures.

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use thousandeyes_usage_fake::FakeUsageApi;

use crate::deploy::{dashboard_expressions, deploy};
use crate::support::{free_port, program, sample, scratch_dir, te_usage_on, write_file, Served};

/// The value of the one series `query` returns, once it returns one (up to `within`).
async fn query(
    http: &reqwest::Client,
    base: &str,
    promql: &str,
    within: Duration,
    log: &std::path::Path,
) -> f64 {
    let deadline = tokio::time::Instant::now() + within;
    let mut last = Value::Null;
    let url = reqwest::Url::parse_with_params(&format!("{base}/api/v1/query"), [("query", promql)])
        .expect("a query URL");
    while tokio::time::Instant::now() < deadline {
        if let Ok(response) = http.get(url.clone()).send().await {
            if let Ok(body) = serde_json::from_str::<Value>(&response.text().await.unwrap_or_default()) {
                if let Some(results) = body["data"]["result"].as_array() {
                    if let [only] = results.as_slice() {
                        let value = only["value"][1].as_str().expect("a sample value");
                        return value.parse().expect("a number");
                    }
                    assert!(results.is_empty(), "{promql} returned several series: {body}");
                }
                last = body;
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let log = std::fs::read_to_string(log).unwrap_or_default();
    panic!("{promql}: no series within {within:?}; last answer: {last}\nprometheus' log:\n{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_real_prometheus_scrapes_it_and_promql_returns_the_fakes_cloud_units() {
    let Some(prometheus) = program("prometheus", "prometheus", "the real Prometheus scraping te-usage serve")
    else {
        return;
    };
    let fake = FakeUsageApi::builder().page_size(1_000).start().await;
    let served = Served::start(te_usage_on(
        &fake,
        ["serve", "--listen", "127.0.0.1:0", "--interval", "1m", "--per-test", "5"],
    ))
    .await;
    served.metrics_when(Duration::from_secs(10), |t| sample(t, "thousandeyes_up", &[]) == Some(1.0)).await;

    let dir = scratch_dir("prometheus");
    let config = write_file(&dir,
        "prometheus.yml",
        &format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: te-usage\n    \
             static_configs:\n      - targets: ['{}']\n",
            served.addr
        ),
    );
    let port = free_port();
    let log_path = dir.join("prometheus.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let _prometheus = tokio::process::Command::new(prometheus)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.tsdb.path={}", dir.join("data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log file"))
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .expect("prometheus starts");

    let http = reqwest::Client::builder().no_proxy().build().expect("http client");
    let base = format!("http://127.0.0.1:{port}");
    let within = Duration::from_secs(60);
    assert_eq!(query(&http, &base, "up{job=\"te-usage\"}", within, &log_path).await, 1.0);
    let organization = query(
        &http,
        &base,
        "thousandeyes_used_units{job=\"te-usage\",organization=\"default\",kind=\"cloud\"}",
        within,
        &log_path,
    )
    .await;
    assert_eq!(organization, fake.expected_totals().cloud_units_used as f64);

    let network_operations: i64 = fake
        .dataset()
        .test_units
        .iter()
        .filter(|t| t.aid.as_deref() == Some("1234"))
        .filter_map(|t| t.cloud_units_used)
        .sum();
    let group = query(
        &http,
        &base,
        "thousandeyes_account_group_used_units{organization=\"default\",aid=\"1234\",\
         attribution=\"test_owner\",kind=\"cloud\"}",
        within,
        &log_path,
    )
    .await;
    assert_eq!(group, network_operations as f64);
    // A counter arrives whole through OpenMetrics (its samples end in _total).
    let requests = query(&http, &base, "thousandeyes_client_requests_total", within, &log_path).await;
    assert!(requests >= 4.0, "{requests}");

    // Every expression of the shipped dashboard is PromQL this Prometheus evaluates, and selects
    // series (once there are a few scrapes, for increase()).
    query(&http, &base, "count_over_time(thousandeyes_up[1h]) >= 3", within, &log_path).await;
    let dashboard: Value = serde_json::from_str(
        &std::fs::read_to_string(deploy("grafana/te-usage.json")).expect("the dashboard"),
    )
    .expect("JSON");
    for expr in dashboard_expressions(&dashboard) {
        if expr.starts_with("label_values(") {
            continue; // Grafana's, not PromQL
        }
        let promql = expr.replace("$organization", "default").replace("$attribution", "test_owner");
        let url =
            reqwest::Url::parse_with_params(&format!("{base}/api/v1/query"), [("query", promql.as_str())])
                .expect("a query URL");
        let body = http.get(url).send().await.expect("prometheus answers").text().await.expect("a body");
        let body: Value = serde_json::from_str(&body).expect("JSON");
        assert_eq!(body["status"], "success", "{promql}: {body}");
        assert!(
            !body["data"]["result"].as_array().is_none_or(Vec::is_empty),
            "{promql} selects nothing: {body}"
        );
    }
}
