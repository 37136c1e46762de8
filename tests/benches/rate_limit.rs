//! Rate-limit pacing benchmark of `thousandeyes-usage`, in real time, against the fake Usage API
//! (`thousandeyes-usage-fake`) enforcing an organization-wide window.
//!
//! ```text
//! cargo bench -p thousandeyes-usage-tests --bench rate_limit [-- client|processes|share|precision]
//! ```
//!
//! The fake runs in this process, on a multi-thread runtime, and allows the organization `L`
//! calls per window of `W` (windows end on whole multiples of `W` in epoch seconds); every answer
//! carries `Date` and `x-organization-rate-limit-{limit,remaining,reset}`, and a call beyond the
//! limit is a 429. Every task of every scenario walks the test-units listing (81 items, small
//! pages) again and again, far more calls than the windows allow, and checks each complete walk
//! against the seeded data (items lost or duplicated).
//!
//! 1. `client`: 16 tasks on one client, share 1.0.
//! 2. `processes`: 4 processes × 4 tasks, one client each, share 1.0. This binary re-executes
//!    itself with [`CHILD_ENV`] set to what the child runs (JSON); the child prints its report
//!    as one line of JSON.
//! 3. `share`: 16 tasks on one client with `rate_limit_share(0.5)`, then 4 processes × 4 tasks,
//!    each client with share 0.5.
//! 4. `precision`: how late the retry after a 429 arrives at the server, relative to the reset
//!    the 429 named. Another integration (plain `reqwest` in this process) uses up the window at
//!    a chosen moment, then the client's call gets a 429 and waits. Sets: clocks that agree, the
//!    server's clock 5 minutes ahead of and behind the client's (a new client per run), 5
//!    minutes ahead with one client kept over the runs; and, as a probe shown but not judged,
//!    0.4 s behind (a new client per run).
//!
//! With [`LOG_ENV`] set to a directory, each throughput scenario writes there the server's record
//! of every request (`scenario-<n>.csv`) and each client's `tracing` events, its waits with their
//! reasons (`client-<n>-p<i>.log`).
//!
//! Each throughput scenario starts in the middle of a window, on purpose: that first window is
//! partial and is left out of the "≥ 90 % of L" target (the output marks it). Every figure per
//! window is the server's: the fake records every request with its status, its window and the
//! `User-Agent` that names the process.
//!
//! Without `--bench` (as `cargo test --benches` runs it), every scenario runs for a couple of
//! short windows and a few precision runs, to check that the code paths work; no target is judged.

use std::collections::{BTreeMap, HashMap};
use std::process::{Command, ExitCode};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::TryStreamExt;
use serde::{Deserialize, Serialize};
use thousandeyes_usage::{Client, ClientStats, Error};
use thousandeyes_usage_fake::{FakeUsageApi, RecordedRequest};
use tokio::runtime::Runtime;
use tokio::time::Instant;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Set in a child process: the JSON of the [`WorkerSpec`] it runs.
const CHILD_ENV: &str = "TEU_RATE_LIMIT_BENCH_CHILD";
/// The `User-Agent` of the requests that use up a window in the precision runs.
const EXHAUSTER: &str = "bench-exhauster";
/// When set to a directory, every request the server saw in each scenario is written there, one
/// CSV file a scenario (arrival on the server's clock, process, status, remaining, window).
const LOG_ENV: &str = "TEU_RATE_LIMIT_BENCH_LOG";

/// The sizes of one run of the benchmark.
#[derive(Debug, Clone)]
struct Config {
    /// Judge the targets (a real `--bench` run) or only smoke-test the code paths.
    judged: bool,
    /// Calls per window of the throughput scenarios.
    limit: u64,
    /// The window of the throughput scenarios, whole seconds.
    window_secs: u64,
    /// Windows each throughput scenario spans, the first one partial (it starts mid-window).
    windows: u64,
    /// Entries per page of the listing (81 entries in all).
    page_size: usize,
    /// The fake's latency, per request.
    latency: Duration,
    processes: usize,
    tasks: usize,
    /// Calls per window of the precision runs (their window is one second).
    precision_limit: u64,
    /// Runs of the precision set with clocks that agree.
    precision_runs: usize,
    /// Runs of each other precision set.
    skew_runs: usize,
}

impl Config {
    fn bench() -> Self {
        Config {
            judged: true,
            limit: 60,
            window_secs: 2,
            windows: 10,
            page_size: 9,
            latency: Duration::from_millis(20),
            processes: 4,
            tasks: 4,
            precision_limit: 5,
            precision_runs: 30,
            skew_runs: 15,
        }
    }

    fn smoke() -> Self {
        Config {
            judged: false,
            limit: 20,
            window_secs: 1,
            windows: 2,
            page_size: 27,
            latency: Duration::from_millis(2),
            processes: 2,
            tasks: 2,
            precision_limit: 3,
            precision_runs: 2,
            skew_runs: 1,
        }
    }

    fn window(&self) -> Duration {
        Duration::from_secs(self.window_secs)
    }
}

fn main() -> ExitCode {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        return child(&spec);
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = if args.iter().any(|a| a == "--bench") { Config::bench() } else { Config::smoke() };
    let filters: Vec<&str> = args.iter().filter(|a| !a.starts_with('-')).map(String::as_str).collect();
    let wanted = |name: &str| filters.is_empty() || filters.iter().any(|f| name.contains(f));

    print_machine(&config);
    init_log();
    let rt = runtime();
    let began = std::time::Instant::now();
    let mut verdicts = Vec::new();
    let n = config.processes * config.tasks;
    let scenarios = [
        ("client", format!("1. One client, {n} tasks, share 1.0"), 1, n, 1.0),
        (
            "processes",
            format!("2. {} processes x {} tasks, one client each, share 1.0", config.processes, config.tasks),
            config.processes,
            config.tasks,
            1.0,
        ),
        ("share", format!("3a. One client, {n} tasks, share 0.5"), 1, n, 0.5),
        (
            "share",
            format!(
                "3b. {} processes x {} tasks, one client each, share 0.5 each",
                config.processes, config.tasks
            ),
            config.processes,
            config.tasks,
            0.5,
        ),
    ];
    for (key, title, processes, tasks, share) in scenarios {
        if !wanted(key) {
            continue;
        }
        match rt.block_on(throughput(&config, &title, processes, tasks, share)) {
            Ok(v) => verdicts.extend(v),
            Err(e) => {
                eprintln!("scenario {title:?} failed: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    if wanted("precision") {
        match rt.block_on(precision(&config)) {
            Ok(v) => verdicts.extend(v),
            Err(e) => {
                eprintln!("precision scenario failed: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    print_summary(&config, &verdicts, began.elapsed());
    ExitCode::SUCCESS
}

/// The runtime of the fake and of in-process clients: what `#[tokio::main]` gives (one worker per
/// core).
fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime")
}

fn epoch_now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

fn secs(x: f64) -> Duration {
    Duration::try_from_secs_f64(x.max(0.0)).unwrap_or(Duration::ZERO)
}

// ------------------------------------------------------------------------------------------------
// A worker: one client, its tasks walking the listing until the stop time
// ------------------------------------------------------------------------------------------------

/// What one process (the bench itself, or a child) runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct WorkerSpec {
    base_url: String,
    token: String,
    /// The client's `User-Agent`: how the server's records tell processes apart.
    tag: String,
    tasks: usize,
    share: f64,
    /// When the tasks start and stop, epoch seconds of the (shared) system clock.
    start_epoch: f64,
    stop_epoch: f64,
    /// The `testId` of every entry of the listing, in order.
    expected: Vec<String>,
    /// Where to write the client's `tracing` events (its waits, with their reasons), if anywhere.
    log: Option<String>,
}

/// The client's [`ClientStats`], as plain figures (times in seconds).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct StatsReport {
    requests_sent: u64,
    retries: u64,
    rate_limited: u64,
    not_sent: u64,
    spreading: (u64, f64),
    window_used_up: (u64, f64),
    after_rate_limit: (u64, f64),
    retry_backoff: (u64, f64),
}

impl StatsReport {
    fn of(s: &ClientStats) -> Self {
        let w = |w: thousandeyes_usage::Waits| (w.count, w.total.as_secs_f64());
        StatsReport {
            requests_sent: s.requests_sent,
            retries: s.retries,
            rate_limited: s.rate_limited,
            not_sent: s.not_sent,
            spreading: w(s.spreading),
            window_used_up: w(s.window_used_up),
            after_rate_limit: w(s.after_rate_limit),
            retry_backoff: w(s.retry_backoff),
        }
    }

    fn describe(&self) -> String {
        let w = |(n, t): (u64, f64)| format!("{n} ({t:.1} s)");
        format!(
            "sent {}, 429s {}, retries {}, not sent {}; waits: spreading {}, window used up {}, after 429 {}, \
             backoff {}",
            self.requests_sent,
            self.rate_limited,
            self.retries,
            self.not_sent,
            w(self.spreading),
            w(self.window_used_up),
            w(self.after_rate_limit),
            w(self.retry_backoff)
        )
    }
}

/// What one process reports.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct WorkerReport {
    tag: String,
    walks_completed: u64,
    /// Walks that ended with an error (their missing items count as lost).
    walks_failed: u64,
    /// Walks cut off by the stop time (not judged).
    walks_abandoned: u64,
    items: u64,
    lost: u64,
    duplicated: u64,
    errors: Vec<String>,
    stats: StatsReport,
}

impl WorkerReport {
    fn add(&mut self, other: &WorkerReport) {
        self.walks_completed += other.walks_completed;
        self.walks_failed += other.walks_failed;
        self.walks_abandoned += other.walks_abandoned;
        self.items += other.items;
        self.lost += other.lost;
        self.duplicated += other.duplicated;
        self.errors.extend(other.errors.iter().cloned());
    }
}

/// Items missing from and extra in one walk's `got`, against the listing.
fn compare(got: &[String], expected: &HashMap<String, u64>) -> (u64, u64) {
    let mut seen: HashMap<&str, u64> = HashMap::new();
    for id in got {
        *seen.entry(id.as_str()).or_default() += 1;
    }
    let lost =
        expected.iter().map(|(id, n)| n.saturating_sub(seen.get(id.as_str()).copied().unwrap_or(0))).sum();
    let extra = seen.iter().map(|(id, n)| n.saturating_sub(expected.get(*id).copied().unwrap_or(0))).sum();
    (lost, extra)
}

/// Walks the listing once: the `testId`s received, and the error that ended it early, if any.
async fn walk(client: &Client) -> (Vec<String>, Option<Error>) {
    let mut items = client.test_units().items();
    let mut got = Vec::new();
    loop {
        match items.try_next().await {
            Ok(Some(test)) => got.push(test.test_id.unwrap_or_default()),
            Ok(None) => return (got, None),
            Err(e) => return (got, Some(e)),
        }
    }
}

/// Runs `spec`: a client, its tasks walking the listing from the start time until the stop time.
async fn work(spec: WorkerSpec) -> Result<WorkerReport, BoxError> {
    let client = Client::builder()
        .token(spec.token.clone())
        .base_url(spec.base_url.clone())
        .user_agent(spec.tag.clone())
        .rate_limit_share(spec.share)
        .build()?;
    let mut expected: HashMap<String, u64> = HashMap::new();
    for id in &spec.expected {
        *expected.entry(id.clone()).or_default() += 1;
    }
    let expected = Arc::new(expected);
    tokio::time::sleep(secs(spec.start_epoch - epoch_now())).await;
    let stop = Instant::now() + secs(spec.stop_epoch - epoch_now());
    if let Some(path) = &spec.log {
        *log_file() = Some(std::fs::File::create(path)?);
    }
    let mut handles = Vec::new();
    for _ in 0..spec.tasks {
        let client = client.clone();
        let expected = Arc::clone(&expected);
        let task = async move {
            let mut report = WorkerReport::default();
            while Instant::now() < stop {
                match tokio::time::timeout_at(stop, walk(&client)).await {
                    Err(_) => report.walks_abandoned += 1,
                    Ok((got, error)) => {
                        let (lost, extra) = compare(&got, &expected);
                        report.items += got.len() as u64;
                        report.duplicated += extra;
                        match error {
                            None => {
                                report.walks_completed += 1;
                                report.lost += lost;
                            }
                            Some(e) => {
                                report.walks_failed += 1;
                                report.lost += lost;
                                if report.errors.len() < 3 {
                                    report.errors.push(e.to_string());
                                }
                            }
                        }
                    }
                }
            }
            report
        };
        handles.push(tokio::spawn(task));
    }
    let mut report = WorkerReport { tag: spec.tag.clone(), ..WorkerReport::default() };
    for handle in handles {
        report.add(&handle.await?);
    }
    report.stats = StatsReport::of(&client.stats());
    *log_file() = None;
    Ok(report)
}

/// The file the client's `tracing` events go to while a worker with a log runs.
fn log_file() -> std::sync::MutexGuard<'static, Option<std::fs::File>> {
    static FILE: std::sync::Mutex<Option<std::fs::File>> = std::sync::Mutex::new(None);
    FILE.lock().unwrap_or_else(|p| p.into_inner())
}

/// Writes to [`log_file`], or nowhere.
struct LogWriter;

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match log_file().as_mut() {
            Some(file) => file.write(buf),
            None => Ok(buf.len()),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// With [`LOG_ENV`] set, the process's `tracing` events go to [`log_file`].
fn init_log() {
    if std::env::var_os(LOG_ENV).is_some() {
        let subscriber = tracing_subscriber::fmt()
            .with_writer(|| LogWriter)
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
    }
}

/// A child process: runs the spec of [`CHILD_ENV`] and prints its report as one line of JSON.
fn child(spec: &str) -> ExitCode {
    init_log();
    let spec: WorkerSpec = match serde_json::from_str(spec) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("bad {CHILD_ENV}: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime().block_on(work(spec)) {
        Ok(report) => {
            println!("{}", serde_json::to_string(&report).expect("report"));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("child failed: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `spec` in a child process (blocking until it ends).
fn run_child(spec: &WorkerSpec) -> Result<WorkerReport, BoxError> {
    let output =
        Command::new(std::env::current_exe()?).env(CHILD_ENV, serde_json::to_string(spec)?).output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "child {} failed ({}): {stdout}{}",
            spec.tag,
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    let line = stdout.lines().rev().find(|l| l.starts_with('{')).unwrap_or_default();
    Ok(serde_json::from_str(line).map_err(|e| format!("child {} printed {stdout:?}: {e}", spec.tag))?)
}

// ------------------------------------------------------------------------------------------------
// Scenarios 1 to 3: calls per window
// ------------------------------------------------------------------------------------------------

/// One window of a scenario, as the server counted it.
#[derive(Debug, Default)]
struct WindowRow {
    /// Its end, epoch seconds.
    reset: i64,
    succeeded: u64,
    rate_limited: u64,
    /// By process tag: successes and 429s.
    by_tag: BTreeMap<String, (u64, u64)>,
    /// The run started mid-window.
    partial: bool,
    /// When the first and the last successful call of the window arrived, seconds into it.
    ok_from: f64,
    ok_until: f64,
}

/// Per window, from the server's records: successes and 429s, by process.
fn window_rows(
    requests: &[RecordedRequest],
    resets: &[i64],
    window: f64,
    arrival: impl Fn(&RecordedRequest) -> f64,
) -> Vec<WindowRow> {
    let mut rows: Vec<WindowRow> = resets
        .iter()
        .enumerate()
        .map(|(i, &reset)| WindowRow {
            reset,
            partial: i == 0,
            ok_from: f64::INFINITY,
            ok_until: f64::NEG_INFINITY,
            ..WindowRow::default()
        })
        .collect();
    for r in requests {
        let Some(row) = rows.iter_mut().find(|w| w.reset == r.rate_limit_reset) else { continue };
        let tag = r.header("user-agent").unwrap_or("?").to_string();
        let entry = row.by_tag.entry(tag).or_default();
        if r.status.is_success() {
            row.succeeded += 1;
            entry.0 += 1;
            let at = arrival(r) - (row.reset as f64 - window);
            row.ok_from = row.ok_from.min(at);
            row.ok_until = row.ok_until.max(at);
        } else if r.status == 429 {
            row.rate_limited += 1;
            entry.1 += 1;
        }
    }
    rows
}

async fn throughput(
    config: &Config,
    title: &str,
    processes: usize,
    tasks: usize,
    share: f64,
) -> Result<Vec<Verdict>, BoxError> {
    let limit = config.limit;
    let w = config.window_secs as f64;
    // The per-window figures are read from the record: it keeps every request of the scenario.
    let fake = FakeUsageApi::builder()
        .page_size(config.page_size)
        .rate_limit(limit, config.window())
        .latency(config.latency)
        .record_limit(usize::MAX)
        .start()
        .await;
    let expected: Vec<String> =
        fake.dataset().test_units.iter().map(|t| t.test_id.clone().unwrap_or_default()).collect();
    let pages = expected.len().div_ceil(config.page_size);

    // Start in the middle of a window, at least a second from now (children must be up by then);
    // stop at the end of the last window.
    let lead = 1.0;
    let now = epoch_now();
    let mut start = (now / w).floor() * w + w / 2.0;
    while start < now + lead {
        start += w;
    }
    let first_reset = ((start / w).floor() + 1.0) * w;
    let stop = first_reset + (config.windows - 1) as f64 * w;
    println!(
        "\n== {title}\nL = {limit} calls per {} s window; {} windows, the first one partial (the run starts \
         mid-window); {} ms server latency; every task walks the test-units listing ({} items, {} pages of \
         {}) again and again",
        config.window_secs,
        config.windows,
        config.latency.as_millis(),
        expected.len(),
        pages,
        config.page_size
    );
    let spec = |i: usize| WorkerSpec {
        base_url: fake.base_url(),
        token: fake.token().to_string(),
        tag: format!("bench-p{i}"),
        tasks,
        share,
        start_epoch: start,
        stop_epoch: stop,
        expected: expected.clone(),
        log: std::env::var_os(LOG_ENV).map(|dir| {
            let name = title.split('.').next().unwrap_or("scenario");
            std::path::Path::new(&dir).join(format!("client-{name}-p{i}.log")).to_string_lossy().into_owned()
        }),
    };
    let reports: Vec<WorkerReport> = if processes == 1 {
        vec![work(spec(0)).await?]
    } else {
        let children: Vec<_> = (0..processes)
            .map(|i| {
                let spec = spec(i);
                tokio::task::spawn_blocking(move || run_child(&spec).map_err(|e| e.to_string()))
            })
            .collect();
        let mut reports = Vec::new();
        for child in children {
            reports.push(child.await?.map_err(BoxError::from)?);
        }
        reports
    };
    // Answers in flight at the stop time arrive in the next window, left out below.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let requests = fake.requests();
    let resets: Vec<i64> =
        (0..config.windows).map(|i| first_reset as i64 + (i * config.window_secs) as i64).collect();
    let rows = window_rows(&requests, &resets, w, |r| server_epoch_at(&fake, r.arrived_at));
    if let Some(dir) = std::env::var_os(LOG_ENV) {
        let name = title.split('.').next().unwrap_or("scenario");
        write_log(&fake, &requests, &std::path::Path::new(&dir).join(format!("scenario-{name}.csv")))?;
    }
    let after = requests.iter().filter(|r| r.rate_limit_reset > stop as i64).count();
    let tags: Vec<String> = (0..processes).map(|i| format!("bench-p{i}")).collect();

    // The table.
    let per_process = processes > 1;
    println!(
        "{:<8} {:>9} {:>6} {:>12} {:>6}{}",
        "window",
        "ok / L",
        "% L",
        "ok at (s)",
        "429s",
        if per_process { "   ok by process    429s by process" } else { "" }
    );
    for (i, row) in rows.iter().enumerate() {
        let by = |f: fn(&(u64, u64)) -> u64| {
            tags.iter().map(|t| row.by_tag.get(t).map_or(0, f).to_string()).collect::<Vec<_>>().join("/")
        };
        let ok_at = if row.succeeded > 0 {
            format!("{:.2}..{:.2}", row.ok_from, row.ok_until)
        } else {
            "-".to_string()
        };
        println!(
            "{:<8} {:>9} {:>5.0}% {:>12} {:>6}{}",
            format!("{}{}", i + 1, if row.partial { "*" } else { "" }),
            format!("{}/{limit}", row.succeeded),
            100.0 * row.succeeded as f64 / limit as f64,
            ok_at,
            row.rate_limited,
            if per_process { format!("   {:<18} {}", by(|e| e.0), by(|e| e.1)) } else { String::new() }
        );
    }
    println!(
        "* partial: the run started {:.1} s into this {} s window; left out of the >= 90 % target. \
         ok at: when the window's first and last successful calls arrived, seconds into it. {after} \
         requests in flight at the stop arrived in the next window (not shown).",
        w - (first_reset - start),
        config.window_secs
    );
    let mut total = WorkerReport::default();
    for r in &reports {
        total.add(r);
        println!(
            "{}: walks {} complete, {} failed, {} cut off at the stop; {} items; lost {}, duplicated {}",
            r.tag, r.walks_completed, r.walks_failed, r.walks_abandoned, r.items, r.lost, r.duplicated
        );
        println!("  client stats: {}", r.stats.describe());
        for e in &r.errors {
            println!("  error: {e}");
        }
    }

    // The targets.
    let short = title.split('.').next().unwrap_or(title);
    let mut verdicts = vec![Verdict::new(
        &format!("{short}: items lost or duplicated"),
        "0",
        format!(
            "{} lost, {} dup ({} walks)",
            total.lost,
            total.duplicated,
            total.walks_completed + total.walks_failed
        ),
        total.lost == 0 && total.duplicated == 0 && total.walks_completed > 0,
    )];
    let worst_429 = rows
        .iter()
        .enumerate()
        .flat_map(|(i, row)| row.by_tag.iter().map(move |(tag, e)| (e.1, i + 1, tag.clone())))
        .max_by_key(|(n, _, _)| *n);
    let over = rows.iter().flat_map(|row| row.by_tag.values()).filter(|e| e.1 > 1).count();
    let (worst, at) = match &worst_429 {
        Some((n, window, tag)) if *n > 0 => (*n, format!(" (w{window} {tag}); {over} over")),
        _ => (0, String::new()),
    };
    verdicts.push(Verdict::new(
        &format!("{short}: 429s per window per process"),
        "<= 1",
        format!("max {worst}{at}"),
        worst <= 1,
    ));
    let full: Vec<&WindowRow> = rows.iter().filter(|r| !r.partial).collect();
    let pct = |r: &WindowRow| 100.0 * r.succeeded as f64 / limit as f64;
    if share >= 1.0 {
        let min = full.iter().map(|r| pct(r)).fold(f64::INFINITY, f64::min);
        let below = full.iter().filter(|r| pct(r) < 90.0).count();
        verdicts.push(Verdict::new(
            &format!("{short}: L used per full window"),
            ">= 90 %",
            format!("min {min:.0} % ({below} of {} below)", full.len()),
            below == 0,
        ));
    } else {
        let max = rows.iter().map(pct).fold(0.0, f64::max);
        let above = rows.iter().filter(|r| pct(r) > 55.0).count();
        verdicts.push(Verdict::new(
            &format!("{short}: L used per window (share 0.5)"),
            "<= 55 %",
            format!("max {max:.0} % ({above} of {} above)", rows.len()),
            above == 0,
        ));
    }
    Ok(verdicts)
}

/// Writes the server's record of every request as CSV, for a closer look at a scenario.
fn write_log(
    fake: &FakeUsageApi,
    requests: &[RecordedRequest],
    path: &std::path::Path,
) -> Result<(), BoxError> {
    use std::fmt::Write as _;
    let mut out = String::from("arrived_epoch,window_reset,process,status,remaining,page\n");
    for r in requests {
        let _ = writeln!(
            out,
            "{:.3},{},{},{},{},{}",
            server_epoch_at(fake, r.arrived_at),
            r.rate_limit_reset,
            r.header("user-agent").unwrap_or("?"),
            r.status.as_u16(),
            r.rate_limit_remaining,
            r.page.map_or(String::new(), |p| p.to_string())
        );
    }
    std::fs::write(path, out)?;
    Ok(())
}

// ------------------------------------------------------------------------------------------------
// Scenario 4: how late the retry after a 429 goes out
// ------------------------------------------------------------------------------------------------

/// One set of precision runs.
#[derive(Debug, Clone, Copy)]
struct PrecisionSet {
    key: &'static str,
    name: &'static str,
    /// How far the server's clock runs ahead of the client's, in ms (negative: behind).
    skew_ms: i64,
    /// One client kept over all runs (its clock offset narrows) rather than a new one each run.
    warm: bool,
    /// A probe beyond the targets: its figures are shown, not judged.
    probe: bool,
}

/// What one run measured.
#[derive(Debug, Clone, Copy)]
struct Run {
    /// Where in its window the 429 came (0..1 of the window).
    phase: f64,
    /// Arrival of the retry at the server minus the reset the 429 named, seconds (negative:
    /// early, answered 429 again).
    lateness: f64,
    /// The same for the attempt that got through.
    through: f64,
    /// 429s the call received after the first.
    extra_429: u64,
    ok: bool,
}

/// The moment the fake's clock read `epoch` (seconds), as an instant of this process.
fn server_epoch_at(fake: &FakeUsageApi, t: Instant) -> f64 {
    let now = Instant::now();
    let server_now = fake.now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64());
    server_now - now.saturating_duration_since(t).as_secs_f64()
        + t.saturating_duration_since(now).as_secs_f64()
}

fn server_now(fake: &FakeUsageApi) -> f64 {
    fake.now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

async fn precision_set(config: &Config, set: PrecisionSet, runs: usize) -> Result<Vec<Run>, BoxError> {
    // Each run's arrivals are read from the record: it keeps every request of the set.
    let builder = FakeUsageApi::builder()
        .rate_limit(config.precision_limit, Duration::from_secs(1))
        .record_limit(usize::MAX);
    let builder = if set.skew_ms >= 0 {
        builder.clock_ahead(Duration::from_millis(set.skew_ms.unsigned_abs()))
    } else {
        builder.clock_behind(Duration::from_millis(set.skew_ms.unsigned_abs()))
    };
    let fake = builder.start().await;
    let http = reqwest::Client::builder().user_agent(EXHAUSTER).build()?;
    let usage_url = fake.url("/usage");
    let new_client =
        |tag: String| Client::builder().token(fake.token()).base_url(fake.base_url()).user_agent(tag).build();
    // Only the set that keeps one client builds it: a client alive for the whole set would share
    // its rate-limit state with every new client of the organization (one process), and the new
    // clients would not start afresh.
    let warm = if set.warm { Some(new_client(format!("bench-{}", set.key))?) } else { None };
    let mut out = Vec::new();
    for k in 0..runs {
        // Where in the window the 429 comes: spread evenly over 0.05..0.9 (golden-ratio steps).
        let phase = 0.05 + 0.85 * ((k as f64 + 1.0) * 0.618_033_988_75).fract();
        let now = server_now(&fake);
        let mut at = now.floor() + phase;
        if at < now + 0.02 {
            at += 1.0;
        }
        tokio::time::sleep(secs(at - now)).await;
        let began = Instant::now();
        // Another integration of the organization uses up the window.
        for _ in 0..100 {
            let status = http.get(&usage_url).bearer_auth(fake.token()).send().await?.status();
            if status == 429 {
                break;
            }
        }
        let tag = if set.warm { format!("bench-{}", set.key) } else { format!("bench-{}-{k}", set.key) };
        let client = match &warm {
            Some(warm) => warm.clone(),
            None => new_client(tag.clone())?,
        };
        let result = client.usage().send().await;
        let mine: Vec<RecordedRequest> = fake
            .requests()
            .into_iter()
            .filter(|r| r.arrived_at >= began && r.header("user-agent") == Some(tag.as_str()))
            .collect();
        let Some(first) = mine.first().filter(|r| r.status == 429) else {
            return Err(format!("{}: run {k}: the client's first request was not a 429", set.key).into());
        };
        let reset = first.rate_limit_reset as f64;
        let first_at = server_epoch_at(&fake, first.arrived_at);
        let extra_429 = mine.iter().skip(1).filter(|r| r.status == 429).count() as u64;
        let late = |r: &RecordedRequest| server_epoch_at(&fake, r.arrived_at) - reset;
        // The first retry: how late (or early) it came; and the one that got through.
        let lateness = mine.get(1).map_or(f64::NAN, late);
        let through = mine.iter().skip(1).find(|r| r.status.is_success()).map_or(f64::NAN, late);
        out.push(Run { phase: first_at - (reset - 1.0), lateness, through, extra_429, ok: result.is_ok() });
    }
    Ok(out)
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn precision(config: &Config) -> Result<Vec<Verdict>, BoxError> {
    let minutes = 300_000;
    let set = |key, name, skew_ms, warm, probe| PrecisionSet { key, name, skew_ms, warm, probe };
    let sets = [
        set("agree", "clocks agree, new client each run", 0, false, false),
        set("ahead", "server +5 min, new client each run", minutes, false, false),
        set("behind", "server -5 min, new client each run", -minutes, false, false),
        set("ahead-warm", "server +5 min, one client for all runs", minutes, true, false),
        set("subsecond", "server -0.4 s, new client each run", -400, false, true),
    ];
    println!(
        "\n== 4. Precision of the wait after a 429: L = {} calls per 1 s window; at a chosen point of a window \
         another integration (plain reqwest) uses it up, then the client calls GET /usage, gets a 429 and \
         retries. Lateness: the retry's arrival at the server minus the reset the 429 named (server clock). \
         The five sets run at the same time, each on its own fake; default retry policy (jitter on: up to \
         a tenth of the wait, 50..200 ms). The last set is a probe beyond the targets, shown and not judged: a \
         clock a fraction of a second off, which a client whose first answer is the 429 cannot tell from \
         clocks that agree (Date has a resolution of one second).",
        config.precision_limit
    );
    let tasks: Vec<_> = sets
        .iter()
        .map(|&set| {
            let runs = if set.key == "agree" { config.precision_runs } else { config.skew_runs };
            let config = config.clone();
            tokio::spawn(async move { precision_set(&config, set, runs).await.map_err(|e| e.to_string()) })
        })
        .collect();
    let mut results = Vec::new();
    for (set, task) in sets.iter().zip(tasks) {
        results.push((*set, task.await?.map_err(BoxError::from)?));
    }
    println!(
        "{:<44} {:>5} {:>9} {:>7} {:>7} {:>7} {:>6} {:>16}",
        "set (lateness of the first retry, s)",
        "runs",
        "median",
        "p90",
        "min",
        "max",
        "early",
        "got through: max"
    );
    let mut verdicts = Vec::new();
    for (set, runs) in &results {
        let sorted = |f: fn(&Run) -> f64| {
            let mut v: Vec<f64> = runs.iter().map(f).filter(|x| x.is_finite()).collect();
            v.sort_by(f64::total_cmp);
            v
        };
        let late = sorted(|r| r.lateness);
        let through = sorted(|r| r.through);
        let (median, p90) = (quantile(&late, 0.5), quantile(&late, 0.9));
        let (min, max) =
            (late.first().copied().unwrap_or(f64::NAN), late.last().copied().unwrap_or(f64::NAN));
        let through_max = through.last().copied().unwrap_or(f64::NAN);
        let early = runs.iter().filter(|r| r.lateness < 0.0).count();
        let extra: u64 = runs.iter().map(|r| r.extra_429).sum();
        let failed = runs.iter().filter(|r| !r.ok).count();
        println!(
            "{:<44} {:>5} {:>9.3} {:>7.3} {:>7.3} {:>7.3} {:>6} {:>16.3}{}",
            set.name,
            runs.len(),
            median,
            p90,
            min,
            max,
            early,
            through_max,
            if failed > 0 { format!("  ({failed} calls failed)") } else { String::new() }
        );
        let detail: Vec<String> = runs.iter().map(|r| format!("{:.2}:{:+.3}", r.phase, r.lateness)).collect();
        println!("    429 at phase of its window : lateness of the retry, s: {}", detail.join(" "));
        if extra > 0 {
            println!(
                "    retries before the reset, answered 429 again: {extra}; the calls got through \
                 at most {through_max:.3} s after the reset"
            );
        }
        let precise = Verdict::new(
            &format!("4. 429 precision, {}", set.name),
            "median 0..0.25 s",
            format!("median {median:.3} s, p90 {p90:.3} s"),
            (0.0..=0.25).contains(&median) && failed == 0,
        );
        let timely = Verdict::new(
            &format!("4. 429 retry early or late, {}", set.name),
            "0 early, max < 2 s",
            format!("{early} early, max {max:.3} s"),
            early == 0 && extra == 0 && max < 2.0 && failed == 0,
        );
        if set.probe {
            verdicts.extend([precise.probe(), timely.probe()]);
        } else {
            verdicts.extend([precise, timely]);
        }
    }
    println!(
        "(Lateness includes the jitter. A new client whose first answer is the 429 knows the server's clock \
         only to the second of that answer's Date header; a wait that never ends early then ends up to a \
         second late, by where in the server's second the 429 came.)"
    );
    Ok(verdicts)
}

// ------------------------------------------------------------------------------------------------
// Report
// ------------------------------------------------------------------------------------------------

/// One target and whether it was met.
struct Verdict {
    target: String,
    wanted: &'static str,
    measured: String,
    pass: bool,
    /// Shown for information, not judged.
    probe: bool,
}

impl Verdict {
    fn new(target: &str, wanted: &'static str, measured: String, pass: bool) -> Self {
        Verdict { target: target.to_string(), wanted, measured, pass, probe: false }
    }

    fn probe(self) -> Self {
        Verdict { probe: true, ..self }
    }
}

fn print_machine(config: &Config) {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("thousandeyes-usage rate-limit pacing benchmark (real time)");
    println!("machine: {}", thousandeyes_usage_tests::support::machine());
    println!(
        "server: thousandeyes-usage-fake in this process (tokio multi-thread, {cpus} workers); clients: in \
         this process, or child processes of this binary over loopback"
    );
    if !config.judged {
        println!("(smoke run, without --bench: short windows and few runs, targets not judged)");
    }
}

fn print_summary(config: &Config, verdicts: &[Verdict], took: Duration) {
    println!("\n== Summary (took {:.0} s)", took.as_secs_f64());
    println!("{:<67} {:>18} {:>32}  result", "target", "wanted", "measured");
    for v in verdicts {
        let result = match (config.judged, v.probe, v.pass) {
            (false, _, _) => "-",
            (true, true, true) => "probe: met",
            (true, true, false) => "probe: not met",
            (true, false, true) => "PASS",
            (true, false, false) => "MISS",
        };
        println!("{:<67} {:>18} {:>32}  {result}", v.target, v.wanted, v.measured);
    }
    if config.judged {
        let judged: Vec<&Verdict> = verdicts.iter().filter(|v| !v.probe).collect();
        let missed = judged.iter().filter(|v| !v.pass).count();
        if missed == 0 {
            println!("overall: PASS ({} of {} targets met)", judged.len(), judged.len());
        } else {
            println!("overall: MISS ({missed} of {} targets missed)", judged.len());
        }
    } else {
        println!("overall: not judged (smoke run)");
    }
}
