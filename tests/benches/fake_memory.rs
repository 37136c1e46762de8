//! Memory of the fake Usage API (`thousandeyes-usage-fake`) over 100,000 requests in one process.
//!
//! ```text
//! cargo bench -p thousandeyes-usage-tests --bench fake_memory
//! ```
//!
//! Each variant runs in a fresh child process (this binary, re-invoked with [`CHILD_ENV`] set):
//! the fake and a `thousandeyes-usage` client on one multi-thread runtime, 4 tasks sharing the
//! client. Each task sends, again and again, the calls a usage exporter makes: `GET /usage` with
//! every breakdown, the first page of units by test, `GET /quotas`, and a quota POST. The child
//! prints its resident set size (`VmRSS` of `/proc/self/status`) and the bytes it holds (allocated
//! and not yet freed, counted by this binary's global allocator) once the fake has answered
//! 1,000, 10,000, 25,000, 50,000 and 100,000 requests (the tasks stop at each mark and wait for
//! each other), and its peak RSS (`VmHWM`) at the end. The bytes held say what the process keeps;
//! the RSS adds what the allocator keeps of freed memory and the pages touched once.
//!
//! Variants: the fake as it starts (`record_limit` 1,000, its default), and the same fake keeping
//! every request (`record_limit(usize::MAX)`), which shows what a request costs when kept. The
//! default is judged against its own figures after the first 1,000 requests (the baseline, in
//! the same process): from there to 100,000 its bytes held and its RSS must each grow by less
//! than 1 % of what a kept request costs, a request (a record that kept one request in a
//! hundred would fail); and its RSS after 100,000 must be within 5 % of its RSS after 10,000,
//! once the allocator is warm.
//!
//! Without `--bench` (as `cargo test --benches` runs it), each variant runs to 2,000 requests
//! only, to check the code paths; no target is judged.

use std::process::{Command, ExitCode};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use thousandeyes_usage::models::ExpandUsageOptions;
use thousandeyes_usage::Client;
use thousandeyes_usage_fake::{FakeUsageApi, DEFAULT_RECORD_LIMIT};
use thousandeyes_usage_tests::support::{client_of, TOKEN};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[path = "../../fake/tests/support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::HELD;

/// Set in a child process: `variant:requests`.
const CHILD_ENV: &str = "TEU_FAKE_MEMORY_BENCH_CHILD";
/// Tasks sharing the client.
const TASKS: usize = 4;
/// The marks of a judged run, in requests answered; the first is the baseline.
const MARKS: [usize; 5] = [1_000, 10_000, 25_000, 50_000, 100_000];
/// The marks of a smoke run.
const SMOKE_MARKS: [usize; 2] = [1_000, 2_000];

/// What the fake keeps of its requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    /// `record_limit` left at its default.
    Default,
    /// `record_limit(usize::MAX)`: every request kept.
    Unbounded,
}

impl Variant {
    fn key(self) -> &'static str {
        match self {
            Variant::Default => "default",
            Variant::Unbounded => "unbounded",
        }
    }

    fn name(self) -> String {
        match self {
            Variant::Default => format!("record_limit {DEFAULT_RECORD_LIMIT} (default)"),
            Variant::Unbounded => "record_limit(usize::MAX)".to_string(),
        }
    }

    fn from_key(key: &str) -> Option<Variant> {
        [Variant::Default, Variant::Unbounded].into_iter().find(|v| v.key() == key)
    }
}

fn main() -> ExitCode {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        return child(&spec);
    }
    let judged = std::env::args().any(|a| a == "--bench");
    let marks: &[usize] = if judged { &MARKS } else { &SMOKE_MARKS };
    println!("thousandeyes-usage-fake memory benchmark");
    println!("machine: {}", thousandeyes_usage_tests::support::machine());
    if !judged {
        println!(
            "(smoke run, without --bench: {} requests only, targets not judged)",
            marks[marks.len() - 1]
        );
    }
    let mut reports = Vec::new();
    for variant in [Variant::Default, Variant::Unbounded] {
        match run_child(variant, marks) {
            Ok(report) => reports.push((variant, report)),
            Err(e) => {
                eprintln!("fake_memory: {} failed: {e}", variant.key());
                return ExitCode::FAILURE;
            }
        }
    }
    let header: String = marks.iter().map(|m| format!("{:>11}", thousands(*m))).collect();
    println!(
        "\n== RSS (VmRSS) of one process running the fake and a client ({TASKS} tasks), after so \
         many requests answered"
    );
    println!("{:<34}{header} {:>11} {:>8}", "variant", "peak", "wall");
    for (variant, report) in &reports {
        let row: String = report.rss_kib.iter().map(|k| format!("{:>7.2} MiB", mib(*k))).collect();
        println!(
            "{:<34}{row} {:>7.2} MiB {:>7.1}s",
            variant.name(),
            mib(report.peak_kib),
            report.wall.as_secs_f64()
        );
    }
    println!("\n== Bytes the same process holds (allocated and not freed, counted), at the same marks");
    println!("{:<34}{header}", "variant");
    for (variant, report) in &reports {
        let row: String = report.held.iter().map(|b| format!("{:>7.2} MiB", *b as f64 / MIB)).collect();
        println!("{:<34}{row}", variant.name());
    }
    let verdicts = verdicts(&reports, marks);
    print_summary(judged, &verdicts);
    ExitCode::SUCCESS
}

// ------------------------------------------------------------------------------------------------
// The child
// ------------------------------------------------------------------------------------------------

/// Runs one variant to each mark in turn, printing `rss_kib=` after each and `peak_kib=` at the
/// end.
fn child(spec: &str) -> ExitCode {
    let parsed = spec.split_once(':').and_then(|(variant, marks)| {
        let marks: Option<Vec<usize>> = marks.split(',').map(|m| m.parse().ok()).collect();
        Some((Variant::from_key(variant)?, marks?))
    });
    let Some((variant, marks)) = parsed else {
        eprintln!("bad {CHILD_ENV}: {spec:?}");
        return ExitCode::FAILURE;
    };
    let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(drive(variant, &marks)) {
        Ok(()) => {
            println!("peak_kib={}", vm_kib("VmHWM").unwrap_or(0));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("child run failed: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn drive(variant: Variant, marks: &[usize]) -> Result<(), BoxError> {
    let builder = FakeUsageApi::builder()
        .token(TOKEN)
        // A window the run never uses up: the client is not paced, the fake never answers 429.
        .rate_limit(1_000_000_000, Duration::from_secs(60));
    let builder = match variant {
        Variant::Default => builder,
        Variant::Unbounded => builder.record_limit(usize::MAX),
    };
    let fake = builder.start().await;
    let client = client_of(fake.base_url());
    let mut done = 0;
    for &mark in marks {
        let per_task = (mark - done) / TASKS;
        let tasks: Vec<_> = (0..TASKS)
            .map(|_| {
                let client = client.clone();
                tokio::spawn(async move { calls(&client, done / TASKS, per_task).await })
            })
            .collect();
        for task in tasks {
            task.await??;
        }
        done += per_task * TASKS;
        if fake.request_count() != done {
            return Err(
                format!("the fake answered {} requests, {done} were sent", fake.request_count()).into()
            );
        }
        if fake.status_counts().keys().any(|status| !(200..300).contains(status)) {
            return Err(format!("not every request succeeded: {:?}", fake.status_counts()).into());
        }
        let kept = fake.requests().len();
        println!(
            "mark={mark} rss_kib={} held={} kept={kept}",
            vm_kib("VmRSS").unwrap_or(0),
            HELD.load(Ordering::SeqCst)
        );
    }
    Ok(())
}

/// Calls `from..from + count` of a task, each answer read whole: the calls an exporter makes,
/// in turn (usage, a listing page, quotas, a quota POST).
async fn calls(client: &Client, from: usize, count: usize) -> Result<(), thousandeyes_usage::Error> {
    for k in from..from + count {
        match k % 4 {
            0 => drop(std::hint::black_box(client.usage().expand(ExpandUsageOptions::ALL).send().await?)),
            1 => drop(std::hint::black_box(client.test_units().send().await?)),
            2 => drop(std::hint::black_box(client.quotas().send().await?)),
            _ => drop(std::hint::black_box(
                client.assign_account_group_quotas().quota("1001", "1234", 5_000).send().await?,
            )),
        }
    }
    Ok(())
}

/// A `Vm*` line of `/proc/self/status`, in KiB.
fn vm_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field) && l[field.len()..].starts_with(':'))?;
    line[field.len() + 1..].trim().trim_end_matches("kB").trim().parse().ok()
}

// ------------------------------------------------------------------------------------------------
// The parent
// ------------------------------------------------------------------------------------------------

/// What one child printed.
struct ChildReport {
    /// RSS after each mark.
    rss_kib: Vec<u64>,
    /// Bytes held (allocated, not freed) after each mark.
    held: Vec<u64>,
    peak_kib: u64,
    wall: Duration,
}

fn run_child(variant: Variant, marks: &[usize]) -> Result<ChildReport, BoxError> {
    let marks_arg: Vec<String> = marks.iter().map(usize::to_string).collect();
    let started = Instant::now();
    let output = Command::new(std::env::current_exe()?)
        .env(CHILD_ENV, format!("{}:{}", variant.key(), marks_arg.join(",")))
        .output()?;
    let wall = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!("{}: {stdout}{}", output.status, String::from_utf8_lossy(&output.stderr)).into());
    }
    let field = |line: &str, name: &str| -> Option<u64> {
        line.split_whitespace().find_map(|kv| kv.strip_prefix(name)?.strip_prefix('=')?.parse().ok())
    };
    let rss_kib: Vec<u64> = stdout.lines().filter_map(|l| field(l, "rss_kib")).collect();
    let held: Vec<u64> = stdout.lines().filter_map(|l| field(l, "held")).collect();
    let peak_kib = stdout.lines().find_map(|l| field(l, "peak_kib"));
    match peak_kib {
        Some(peak_kib) if rss_kib.len() == marks.len() && held.len() == marks.len() => {
            Ok(ChildReport { rss_kib, held, peak_kib, wall })
        }
        _ => Err(format!("the child printed no figures: {stdout}").into()),
    }
}

/// One target and whether it was met.
struct Verdict {
    target: String,
    wanted: String,
    measured: String,
    pass: bool,
}

/// Growth a request from the first mark to the last: of the bytes held, and of the RSS (bytes).
fn growth_per_request(r: &ChildReport, span: f64) -> (f64, f64) {
    let held = r.held[r.held.len() - 1] as f64 - r.held[0] as f64;
    let rss = (r.rss_kib[r.rss_kib.len() - 1] as f64 - r.rss_kib[0] as f64) * 1024.0;
    (held.max(0.0) / span, rss.max(0.0) / span)
}

/// The default variant judged against its own first marks, and against what a request costs
/// when every one is kept (the unbounded variant, in the same run): growing by less than 1 % of
/// that a request is flat.
fn verdicts(reports: &[(Variant, ChildReport)], marks: &[usize]) -> Vec<Verdict> {
    let (first, last) = (marks[0], marks[marks.len() - 1]);
    let span = (last - first) as f64;
    let report = |variant: Variant| reports.iter().find(|(v, _)| *v == variant).map(|(_, r)| r);
    let (Some(bounded), Some(unbounded)) = (report(Variant::Default), report(Variant::Unbounded)) else {
        return Vec::new();
    };
    let (held, rss) = growth_per_request(bounded, span);
    let (kept_held, kept_rss) = growth_per_request(unbounded, span);
    let range = format!("{} -> {}", thousands(first), thousands(last));
    let (rss_first, rss_last) =
        (bounded.rss_kib[0] as f64, bounded.rss_kib[bounded.rss_kib.len() - 1] as f64);
    let mut out = vec![
        Verdict {
            target: format!("bytes held, growth a request, {range}"),
            wanted: "< 1 % kept".into(),
            measured: format!("{held:.1} B ({:.1} % of {kept_held:.0} B)", 100.0 * held / kept_held),
            pass: held < 0.01 * kept_held,
        },
        Verdict {
            target: format!("RSS, growth a request, {range}"),
            wanted: "< 1 % kept".into(),
            measured: format!(
                "{rss:.1} B ({:.2} -> {:.2} MiB; {:.1} % of {kept_rss:.0} B)",
                rss_first / 1024.0,
                rss_last / 1024.0,
                100.0 * rss / kept_rss
            ),
            pass: rss < 0.01 * kept_rss,
        },
    ];
    // The second mark: the record has turned over several times, and the allocator is warm.
    if marks.len() > 2 {
        let warm = bounded.rss_kib[1] as f64;
        out.push(Verdict {
            target: format!("RSS after {} vs after {}", thousands(last), thousands(marks[1])),
            wanted: "<= 1.05x".into(),
            measured: format!(
                "{:.3}x ({:.2} -> {:.2} MiB)",
                rss_last / warm,
                warm / 1024.0,
                rss_last / 1024.0
            ),
            pass: rss_last <= 1.05 * warm,
        });
    }
    out
}

fn print_summary(judged: bool, verdicts: &[Verdict]) {
    println!("\n== Summary");
    println!("{:<44} {:>10} {:>46}  result", "target", "wanted", "measured");
    for v in verdicts {
        let result = match (judged, v.pass) {
            (false, _) => "-",
            (true, true) => "PASS",
            (true, false) => "MISS",
        };
        println!("{:<44} {:>10} {:>46}  {result}", v.target, v.wanted, v.measured);
    }
}

const MIB: f64 = 1024.0 * 1024.0;

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// `1234567` as `1,234,567`.
fn thousands(x: usize) -> String {
    let digits = x.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
