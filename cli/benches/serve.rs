//! Benchmark of `te-usage serve`: what a scrape costs, and a month of refreshes.
//!
//! ```text
//! cargo bench -p thousandeyes-usage-cli --bench serve [-- scrape|month]
//! ```
//!
//! 1. `scrape`: `te-usage serve` (the built binary, in a child process) on a fake Usage API in
//!    this process whose organization has 200 account groups (3 tests each, an enterprise agent
//!    each, a quota each), with `--per-test 100`. After its first refresh, one keep-alive
//!    connection scrapes `/metrics` (the Prometheus text format) again and again, each request
//!    timed from sending to the last byte; `/healthz` on the same connection, interleaved, is
//!    the baseline: the same server and HTTP exchange without the metrics' text.
//! 2. `month`: 30 days of refreshes every 5 minutes (8,640) in virtual time (a paused tokio
//!    clock), in a child process of its own (this binary again, with [`MONTH_ENV`] set): the
//!    exporter's refresher and page, in process, against the fake with its seeded data
//!    (9 listing pages and 2 other calls a refresh) and its default rate limit (240 calls a
//!    minute), the client keeping to half of it (`rate_limit_share(0.5)`), the history written
//!    every refresh (`--history`) and the page read every minute as a scrape would. The process's
//!    RSS (`VmRSS`) is read every virtual minute; each day's peak is its highest reading.
//!
//! Without `--bench` (as `cargo test --benches` runs it), each part runs briefly (a few scrapes,
//! a day of refreshes) to check the code paths; no target is judged.

// Literals of the generated models end in `..Default::default()` even when every field is
// given, so that a field the spec adds later does not break the benchmark's build.
#![allow(clippy::needless_update)]

use std::process::{Command, ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use thousandeyes_usage::Client;
use thousandeyes_usage_cli::history::History;
use thousandeyes_usage_cli::serve::log::Log;
use thousandeyes_usage_cli::serve::refresh::Refresher;
use thousandeyes_usage_cli::serve::state::Exporter;
use thousandeyes_usage_fake::models::{
    AccountGroupQuota, EnterpriseAgentUnits, EnterpriseAgentUnitsByTestOwnerAccountGroup, OrganizationQuota,
    Quota, UnitsByTests,
};
use thousandeyes_usage_fake::{Dataset, FakeUsageApi};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Set in the child process that runs the month: the number of days.
const MONTH_ENV: &str = "TEU_SERVE_BENCH_MONTH_DAYS";

/// The refresh interval of the month.
const INTERVAL: Duration = Duration::from_secs(300);

/// A part of the benchmark: its verdicts.
type Part = fn(&Config) -> Result<Vec<Verdict>, Box<dyn std::error::Error>>;

struct Config {
    judged: bool,
    scrapes: usize,
    days: u64,
}

fn main() -> ExitCode {
    if let Some(days) = std::env::var(MONTH_ENV).ok().and_then(|d| d.parse().ok()) {
        return month_child(days);
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let judged = args.iter().any(|a| a == "--bench");
    let config = if judged {
        Config { judged, scrapes: 5_000, days: 30 }
    } else {
        Config { judged, scrapes: 50, days: 1 }
    };
    let filters: Vec<&str> = args.iter().filter(|a| !a.starts_with('-')).map(String::as_str).collect();
    let wanted = |name: &str| filters.is_empty() || filters.iter().any(|f| name.contains(f));

    println!("te-usage serve benchmark");
    println!("machine: {}", thousandeyes_usage_tests::support::machine());
    if !judged {
        println!("(smoke run, without --bench: a few scrapes and one day; targets not judged)");
    }
    let mut verdicts = Vec::new();
    let parts: [(&str, Part); 2] = [("scrape", scrape), ("month", month)];
    for (name, part) in parts {
        if wanted(name) {
            match part(&config) {
                Ok(v) => verdicts.extend(v),
                Err(e) => {
                    eprintln!("{name}: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
    }
    println!("\n== Summary");
    println!("{:<58} {:>12} {:>34}  result", "target", "wanted", "measured");
    for v in &verdicts {
        let result = match (config.judged, v.pass) {
            (false, _) => "-",
            (true, true) => "PASS",
            (true, false) => "MISS",
        };
        println!("{:<58} {:>12} {:>34}  {result}", v.target, v.wanted, v.measured);
    }
    ExitCode::SUCCESS
}

/// One target and whether it was met.
struct Verdict {
    target: String,
    wanted: &'static str,
    measured: String,
    pass: bool,
}

fn verdict(target: &str, wanted: &'static str, measured: String, pass: bool) -> Verdict {
    Verdict { target: target.to_string(), wanted, measured, pass }
}

// ------------------------------------------------------------------------------------------------
// 1. A scrape
// ------------------------------------------------------------------------------------------------

/// An organization of `groups` account groups, each with 3 tests, an enterprise agent and a
/// quota.
fn large_organization(groups: usize) -> Dataset {
    let mut data = Dataset::acme();
    let aid = |g: usize| (10_000 + g).to_string();
    let name = |g: usize| format!("Account group {g:03}");
    data.test_units = (0..groups * 3)
        .map(|t| {
            let g = t / 3;
            UnitsByTests {
                aid: Some(aid(g)),
                account_group_name: Some(name(g)),
                test_id: Some((500_000 + t).to_string()),
                test_name: Some(format!("test {t:04} - HTTP Server")),
                test_type: Some("HTTP Server".into()),
                cloud_units_used: Some(1_000 + (t as i64 * 37) % 5_000),
                cloud_units_projected: Some(2_000 + (t as i64 * 37) % 9_000),
                enterprise_units_used: Some((t as i64 * 11) % 700),
                enterprise_units_projected: Some((t as i64 * 13) % 1_300),
                is_instant_test: Some(false),
                ..Default::default()
            }
        })
        .collect();
    data.agent_units = (0..groups)
        .map(|g| EnterpriseAgentUnitsByTestOwnerAccountGroup {
            aid: Some(aid(g)),
            account_group_name: Some(name(g)),
            agent_id: Some((900_000 + g).to_string()),
            agent_name: Some(format!("ea-{g:03}")),
            enterprise_units_used: Some(500),
            enterprise_units_projected: Some(900),
            ..Default::default()
        })
        .collect();
    data.usage.enterprise_agent_units = Some(
        (0..groups)
            .map(|g| EnterpriseAgentUnits {
                aid: Some(aid((g + 1) % groups)),
                account_group_name: Some(name((g + 1) % groups)),
                agent_id: Some((900_000 + g).to_string()),
                agent_name: Some(format!("ea-{g:03}")),
                enterprise_units_used: Some(500),
                enterprise_units_projected: Some(900),
                ..Default::default()
            })
            .collect(),
    );
    data.quotas = vec![Quota {
        organization_quota: Some(OrganizationQuota {
            org_id: Some(data.organization_id.clone()),
            value: 50_000_000,
        }),
        account_group_quotas: Some(
            (0..groups)
                .map(|g| AccountGroupQuota { aid: Some(aid(g)), value: Some(20_000), ..Default::default() })
                .collect(),
        ),
        ..Default::default()
    }];
    data
}

/// Sends `GET path` on `stream` and reads the whole answer: its status and its body's length.
async fn get(stream: &mut BufReader<TcpStream>, path: &str) -> std::io::Result<(u16, usize)> {
    let request = format!("GET {path} HTTP/1.1\r\nHost: bench\r\nAccept: text/plain\r\n\r\n");
    stream.get_mut().write_all(request.as_bytes()).await?;
    let mut line = String::new();
    stream.read_line(&mut line).await?;
    let status = line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let mut length = None;
    loop {
        line.clear();
        stream.read_line(&mut line).await?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().ok();
            }
        }
    }
    let length = length.ok_or_else(|| std::io::Error::other("an answer without Content-Length"))?;
    let mut body = vec![0; length];
    stream.read_exact(&mut body).await?;
    Ok((status, length))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn micros(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

fn scrape(config: &Config) -> Result<Vec<Verdict>, Box<dyn std::error::Error>> {
    println!(
        "\n== 1. A scrape: 200 account groups, --per-test 100; {} scrapes of /metrics and as many of /healthz, \
         interleaved, on one keep-alive connection",
        config.scrapes
    );
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    rt.block_on(async {
        let fake = FakeUsageApi::builder().dataset(large_organization(200)).page_size(1_000).start().await;
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_te-usage"))
            .args(["serve", "--listen", "127.0.0.1:0", "--interval", "1h", "--per-test", "100"])
            .env("TE_TOKEN", fake.token())
            .env("TE_API_ENDPOINT", fake.base_url())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let mut lines = BufReader::new(child.stderr.take().ok_or("no stderr")?).lines();
        let addr = loop {
            let line = lines.next_line().await?.ok_or("te-usage serve ended")?;
            if let Some(rest) = line.split("serving http://").nth(1) {
                break rest.split('/').next().unwrap_or_default().to_string();
            }
        };
        let mut stream = BufReader::new(TcpStream::connect(&addr).await?);
        stream.get_mut().set_nodelay(true)?;
        let started = Instant::now();
        while get(&mut stream, "/healthz").await?.0 != 200 {
            if started.elapsed() > Duration::from_secs(30) {
                return Err("no successful refresh within 30 s".into());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // Warm up, then measure.
        for _ in 0..20 {
            get(&mut stream, "/metrics").await?;
            get(&mut stream, "/healthz").await?;
        }
        let mut metrics = Vec::with_capacity(config.scrapes);
        let mut health = Vec::with_capacity(config.scrapes);
        let mut bytes = 0;
        for _ in 0..config.scrapes {
            let t = Instant::now();
            bytes = get(&mut stream, "/metrics").await?.1;
            metrics.push(t.elapsed());
            let t = Instant::now();
            get(&mut stream, "/healthz").await?;
            health.push(t.elapsed());
        }
        metrics.sort();
        health.sort();
        let series = {
            let mut s = BufReader::new(TcpStream::connect(&addr).await?);
            let request = "GET /metrics HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n";
            s.get_mut().write_all(request.as_bytes()).await?;
            let mut text = String::new();
            s.read_to_string(&mut text).await?;
            text.split("\r\n\r\n").nth(1).unwrap_or_default().lines().filter(|l| !l.starts_with('#')).count()
        };
        let (p50, p99) = (percentile(&metrics, 0.50), percentile(&metrics, 0.99));
        let (b50, b99) = (percentile(&health, 0.50), percentile(&health, 0.99));
        println!("/metrics: {bytes} bytes, {series} series");
        println!("{:<10} {:>10} {:>10} {:>10}", "", "p50", "p99", "max");
        println!(
            "{:<10} {:>10} {:>10} {:>10}",
            "/metrics",
            micros(p50),
            micros(p99),
            micros(metrics[metrics.len() - 1])
        );
        println!(
            "{:<10} {:>10} {:>10} {:>10}",
            "/healthz",
            micros(b50),
            micros(b99),
            micros(health[health.len() - 1])
        );
        let _ = child.kill().await;
        Ok(vec![verdict(
            "scrape p99, 200 account groups, --per-test 100",
            "< 1 ms",
            format!("{} (p50 {}; /healthz {} / {})", micros(p99), micros(p50), micros(b99), micros(b50)),
            p99 < Duration::from_millis(1),
        )])
    })
}

// ------------------------------------------------------------------------------------------------
// 2. A month
// ------------------------------------------------------------------------------------------------

fn month(config: &Config) -> Result<Vec<Verdict>, Box<dyn std::error::Error>> {
    println!(
        "\n== 2. {} day(s) of refreshes every 5 minutes in virtual time, share 0.5, with a history, in a \
         fresh process",
        config.days
    );
    let started = Instant::now();
    let out = Command::new(std::env::current_exe()?).env(MONTH_ENV, config.days.to_string()).output()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    print!("{text}");
    if !out.status.success() {
        return Err(format!("the month's process failed: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    let field = |name: &str| -> Result<u64, Box<dyn std::error::Error>> {
        let line =
            text.lines().find_map(|l| l.strip_prefix(&format!("{name}="))).ok_or(format!("no {name}"))?;
        Ok(line.trim().parse()?)
    };
    let (refreshes, expected, failed) = (field("refreshes")?, field("expected")?, field("failed")?);
    let (rate_limited, first_kib, last_kib) =
        (field("rate_limited")?, field("first_day_peak_kib")?, field("last_day_peak_kib")?);
    let growth = last_kib as f64 / first_kib.max(1) as f64;
    println!("wall time: {:.1} s", started.elapsed().as_secs_f64());
    Ok(vec![
        verdict(
            &format!("refreshes lost in {} days (of {expected})", config.days),
            "0",
            format!("{} ({refreshes} made, {failed} failed)", expected.saturating_sub(refreshes) + failed),
            refreshes >= expected && failed == 0,
        ),
        verdict("429 answers, share 0.5", "0", rate_limited.to_string(), rate_limited == 0),
        verdict(
            "peak RSS, last day vs first",
            "within 5 %",
            format!(
                "{:+.1} % ({:.2} → {:.2} MiB)",
                (growth - 1.0) * 100.0,
                first_kib as f64 / 1024.0,
                last_kib as f64 / 1024.0
            ),
            (growth - 1.0).abs() <= 0.05,
        ),
    ])
}

/// `VmRSS` of this process, in KiB.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("VmRSS:").map(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
            })
        })
        .flatten()
        .unwrap_or(0)
}

/// The month, in this (child) process: prints `name=value` lines.
fn month_child(days: u64) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let dir = std::env::temp_dir().join(format!("te-usage-serve-bench-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let result = rt.block_on(async {
        let fake = FakeUsageApi::start().await;
        let client = Client::builder()
            .token(fake.token())
            .base_url(fake.base_url())
            .rate_limit_share(0.5)
            .build()
            .map_err(|e| e.to_string())?;
        let history = History::open(dir.join("history.db")).map_err(|e| e.to_string())?;
        let exporter = Exporter::new([("bench".to_string(), client.clone(), INTERVAL, true)]);
        let refresher =
            Refresher::new(Arc::clone(&exporter), 0, 0.5, Some(100), None, Some(history), Log::new(true));
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(refresher.run(stopped));
        let minutes_a_day = 24 * 60;
        let mut peaks = Vec::new();
        let mut scraped = 0usize;
        // Readings at half past each minute: the last one 30 s before the end of the last day, after
        // the refresh due 5 minutes before it (refreshes at 0, 5 min, ..., days - 5 min).
        for day in 0..days {
            let mut peak = 0;
            for minute in 0..minutes_a_day {
                let first = day == 0 && minute == 0;
                tokio::time::sleep(Duration::from_secs(if first { 30 } else { 60 })).await;
                scraped += exporter.page().text.len();
                peak = peak.max(rss_kib());
            }
            peaks.push(peak);
        }
        let _ = stop.send(true);
        let _ = task.await;
        let status = exporter.status(0);
        let failed: u64 = status.errors.iter().map(|(_, n)| n).sum();
        let expected = days * 86_400 / INTERVAL.as_secs();
        println!("refreshes={}", status.refreshes);
        println!("expected={expected}");
        println!("failed={failed}");
        println!("rate_limited={}", client.stats().rate_limited + fake.rate_limited_responses() as u64);
        println!("requests={}", fake.request_count());
        println!("history_errors={}", status.history_errors.unwrap_or(0));
        println!("scraped_bytes={scraped}");
        println!("first_day_peak_kib={}", peaks.first().copied().unwrap_or(0));
        println!("last_day_peak_kib={}", peaks.last().copied().unwrap_or(0));
        let shown: Vec<String> = peaks.iter().map(|k| format!("{:.2}", *k as f64 / 1024.0)).collect();
        println!("daily peak RSS (MiB): {}", shown.join(" "));
        Ok::<(), String>(())
    });
    let _ = std::fs::remove_dir_all(&dir);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
