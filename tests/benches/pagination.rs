//! Pagination benchmarks of `thousandeyes-usage`, against an in-process HTTP/1.1 server.
//!
//! ```text
//! cargo bench -p thousandeyes-usage-tests --bench pagination [-- throughput|prefetch|memory]
//! ```
//!
//! 1. Throughput: 1,000 pages of 100 test-units items, answered from bytes built once, by a
//!    minimal keep-alive server on its own thread and runtime. The facade's `.items()` stream
//!    with prefetch on and off is measured against a lean loop of plain `reqwest` and
//!    `serde_json::from_slice` into the same typed items. Wall time, and the CPU time of the
//!    client's threads only (per-thread `/proc/self/task/*/schedstat`, the server thread left out).
//! 2. Prefetch: the server waits 20 ms before each of 50 pages and the consumer works 20 ms on
//!    each; sequential against prefetching.
//! 3. Memory: the peak RSS (`VmHWM`) of a child process (this binary, re-invoked) that streams
//!    1,000 and 10,000 pages from a server in this process that builds each page per request.
//!
//! Without `--bench` (as `cargo test --benches` runs it), every scenario runs on a few pages
//! only, to check that each variant reads its whole listing; no target is judged.
//!
//! To profile one variant alone, serve pages from one process and stream them in another:
//!
//! ```text
//! TEU_PAGINATION_BENCH_SERVE=200 target/release/deps/pagination-<hash> &   # prints its URL
//! TEU_PAGINATION_BENCH_CHILD=sequential:<port> valgrind --tool=callgrind target/release/deps/pagination-<hash>
//! ```

use std::borrow::Cow;
use std::collections::HashMap;
use std::future::Future;
use std::hint::black_box;
use std::process::{Command, ExitCode};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use serde::Deserialize;
use thousandeyes_usage::models::UnitsByTests as TestUnits;
use thousandeyes_usage::Client;
use thousandeyes_usage_tests::support;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::runtime::Runtime;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Items on every page.
const ITEMS_PER_PAGE: usize = 100;
/// Set in a child process of the memory scenario: `variant:port` (variant: `prefetch`,
/// `sequential` or `baseline`). Also how one variant is run alone under a profiler, against a
/// server started with [`SERVE_ENV`].
const CHILD_ENV: &str = "TEU_PAGINATION_BENCH_CHILD";
/// Serve this many prebuilt pages on a port it prints, until killed (for profiling a child).
const SERVE_ENV: &str = "TEU_PAGINATION_BENCH_SERVE";
/// The listing's path under the base URL.
const LISTING: &str = "/usage/units/tests";
const MIB: f64 = 1024.0 * 1024.0;

/// The sizes of one run of the benchmark.
#[derive(Debug, Clone)]
struct Config {
    /// Judge the targets (a real `--bench` run) or only smoke-test the code paths.
    judged: bool,
    throughput_pages: usize,
    throughput_reps: usize,
    prefetch_pages: usize,
    prefetch_delay: Duration,
    prefetch_reps: usize,
    memory_pages: [usize; 2],
}

impl Config {
    fn bench() -> Self {
        Config {
            judged: true,
            throughput_pages: 1_000,
            throughput_reps: 11,
            prefetch_pages: 50,
            prefetch_delay: Duration::from_millis(20),
            prefetch_reps: 3,
            memory_pages: [1_000, 10_000],
        }
    }

    fn smoke() -> Self {
        Config {
            judged: false,
            throughput_pages: 5,
            throughput_reps: 1,
            prefetch_pages: 3,
            prefetch_delay: Duration::from_millis(2),
            prefetch_reps: 1,
            memory_pages: [5, 10],
        }
    }
}

fn main() -> ExitCode {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        return child(&spec);
    }
    if let Some(pages) = std::env::var(SERVE_ENV).ok().and_then(|p| p.parse().ok()) {
        let server = start_server(|base| Pages::prebuilt(pages, base), Duration::ZERO);
        println!("serving {pages} pages at {}", server.base_url());
        loop {
            std::thread::park();
        }
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = if args.iter().any(|a| a == "--bench") { Config::bench() } else { Config::smoke() };
    let filters: Vec<&str> = args.iter().filter(|a| !a.starts_with('-')).map(String::as_str).collect();
    let wanted = |name: &str| filters.is_empty() || filters.iter().any(|f| name.contains(f));

    print_machine(&config);
    let rt = client_runtime();
    let mut verdicts = Vec::new();
    if wanted("throughput") {
        verdicts.extend(throughput(&rt, &config));
    }
    if wanted("prefetch") {
        verdicts.extend(prefetch(&rt, &config));
    }
    if wanted("memory") {
        match memory(&config) {
            Ok(v) => verdicts.extend(v),
            Err(e) => {
                eprintln!("memory scenario failed: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    print_summary(&config, &verdicts);
    ExitCode::SUCCESS
}

/// The client side's runtime: what `#[tokio::main]` gives (one worker per core).
fn client_runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("client runtime")
}

// ------------------------------------------------------------------------------------------------
// The server
// ------------------------------------------------------------------------------------------------

/// What the server answers, by page index (0 is the request without a cursor; page `k` links
/// to `cursor=k+1`, the last page to nothing).
enum Pages {
    /// Every answer (head and body) built up front.
    Prebuilt(Vec<Vec<u8>>),
    /// Every answer built per request from one page's items, so that the server's memory does
    /// not grow with the listing.
    Generated { count: usize, items: String, base: String },
}

impl Pages {
    fn prebuilt(count: usize, base: &str) -> Pages {
        Pages::Prebuilt((0..count).map(|k| ok_answer(&page_body(&items_json(k), k, count, base))).collect())
    }

    fn generated(count: usize, base: &str) -> Pages {
        Pages::Generated { count, items: items_json(0), base: base.to_string() }
    }

    fn answer(&self, index: usize) -> Option<Cow<'_, [u8]>> {
        match self {
            Pages::Prebuilt(all) => all.get(index).map(|a| Cow::Borrowed(a.as_slice())),
            Pages::Generated { count, items, base } => {
                (index < *count).then(|| Cow::Owned(ok_answer(&page_body(items, index, *count, base))))
            }
        }
    }

    fn body_bytes(&self) -> usize {
        match self {
            Pages::Prebuilt(all) => all.iter().map(|a| a.len() - head_len(a)).sum(),
            // Every page but the last is as long as the first, give or take a digit.
            Pages::Generated { count, items, base } => page_body(items, 0, *count, base).len() * count,
        }
    }
}

fn head_len(answer: &[u8]) -> usize {
    answer.windows(4).position(|w| w == b"\r\n\r\n").map_or(0, |i| i + 4)
}

/// The `breakdowns` array of page `k`: realistic items, numbered across the listing.
fn items_json(k: usize) -> String {
    let items: Vec<_> =
        (0..ITEMS_PER_PAGE).map(|i| support::test_units_item(k * ITEMS_PER_PAGE + i + 1)).collect();
    serde_json::to_string(&items).expect("items")
}

/// A page as the API sends it: the items, then `_links` with `self` and (but on the last page)
/// `next`, both absolute URLs of the server.
fn page_body(items: &str, k: usize, count: usize, base: &str) -> Vec<u8> {
    let listing = format!("{base}{LISTING}");
    let this = if k == 0 { listing.clone() } else { format!("{listing}?cursor={k}") };
    let mut links = serde_json::json!({ "self": { "href": this } });
    if k + 1 < count {
        links["next"] = serde_json::json!({ "href": format!("{listing}?cursor={}", k + 1) });
    }
    format!(r#"{{"breakdowns":{items},"_links":{links}}}"#).into_bytes()
}

fn ok_answer(body: &[u8]) -> Vec<u8> {
    http_answer("200 OK", support::HAL_JSON, body)
}

/// A whole HTTP/1.1 answer, with the rate-limit headers the API sends (never exhausted).
fn http_answer(status: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let reset = support::epoch_now() + 60;
    let mut out = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\
         x-organization-rate-limit-limit: 240\r\nx-organization-rate-limit-remaining: 239\r\n\
         x-organization-rate-limit-reset: {reset}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

/// A server on 127.0.0.1, running on a thread (and current-thread runtime) of its own.
struct Server {
    port: u16,
    tid: u32,
    body_bytes: usize,
}

impl Server {
    fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/v7", self.port)
    }
}

/// The thread ids of every server, whose CPU time is not the client's.
static SERVER_TIDS: Mutex<Vec<u32>> = Mutex::new(Vec::new());

/// Starts a server answering `pages` (made for its base URL), each after `delay`.
fn start_server(pages: impl FnOnce(&str) -> Pages, delay: Duration) -> Server {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let port = listener.local_addr().expect("local address").port();
    listener.set_nonblocking(true).expect("non-blocking listener");
    let pages = Arc::new(pages(&format!("http://127.0.0.1:{port}/v7")));
    let body_bytes = pages.body_bytes();
    let (tid_tx, tid_rx) = mpsc::channel();
    std::thread::Builder::new()
        .name(format!("bench-server-{port}"))
        .spawn(move || {
            let _ = tid_tx.send(current_tid());
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("server rt");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                loop {
                    if let Ok((socket, _)) = listener.accept().await {
                        tokio::spawn(connection(socket, Arc::clone(&pages), delay));
                    }
                }
            })
        })
        .expect("server thread");
    let tid = tid_rx.recv().expect("server thread id");
    SERVER_TIDS.lock().unwrap_or_else(|p| p.into_inner()).push(tid);
    Server { port, tid, body_bytes }
}

/// One keep-alive connection: read a request head, answer the page its cursor names, repeat.
async fn connection(mut socket: TcpStream, pages: Arc<Pages>, delay: Duration) {
    let _ = socket.set_nodelay(true);
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    loop {
        let end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            match socket.read_buf(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        };
        let index = page_index(&buf[..end]);
        buf.drain(..end);
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let written = match index.and_then(|i| pages.answer(i)) {
            Some(answer) => socket.write_all(&answer).await,
            None => {
                let body = br#"{"title":"Not Found","status":404}"#;
                socket.write_all(&http_answer("404 Not Found", support::PROBLEM_JSON, body)).await
            }
        };
        if written.is_err() {
            return;
        }
    }
}

/// The page a request asks for: `GET /v7/usage/units/tests[?...cursor=k...]`. `None` for any
/// other path or a cursor that is not a page number.
fn page_index(head: &[u8]) -> Option<usize> {
    let line = head.split(|&b| b == b'\r').next()?;
    let target = std::str::from_utf8(line).ok()?.split(' ').nth(1)?;
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if path.strip_prefix("/v7")? != LISTING {
        return None;
    }
    match query.split('&').find_map(|pair| pair.strip_prefix("cursor=")) {
        Some(cursor) => cursor.parse().ok(),
        None => Some(0),
    }
}

// ------------------------------------------------------------------------------------------------
// CPU and memory figures, from /proc
// ------------------------------------------------------------------------------------------------

/// This thread's id, from the `/proc/thread-self` link (`<pid>/task/<tid>`).
fn current_tid() -> u32 {
    std::fs::read_link("/proc/thread-self")
        .ok()
        .and_then(|p| p.file_name()?.to_str()?.parse().ok())
        .unwrap_or(0)
}

/// The CPU time of one thread of this process, in ns: the first field of its `schedstat`
/// (nanoseconds on the CPU), else `utime + stime` of its `stat` (clock ticks, taken as 100 Hz).
fn thread_cpu_ns(tid: u32) -> Option<u64> {
    if let Ok(s) = std::fs::read_to_string(format!("/proc/self/task/{tid}/schedstat")) {
        if let Some(ns) = s.split_whitespace().next().and_then(|v| v.parse().ok()) {
            return Some(ns);
        }
    }
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).ok()?;
    // The command name is in parentheses and may hold spaces; count fields after it.
    let fields: Vec<&str> = stat.get(stat.rfind(')')? + 2..)?.split(' ').collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok());
    // `fields[0]` is field 3 (state); utime and stime are fields 14 and 15.
    Some((ticks(11)? + ticks(12)?) * 10_000_000)
}

/// The CPU time of every live thread of this process, by thread id.
fn cpu_snapshot() -> HashMap<u32, u64> {
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else { return HashMap::new() };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .filter_map(|tid| Some((tid, thread_cpu_ns(tid)?)))
        .collect()
}

/// CPU time spent between two snapshots by the threads `keep` selects.
fn cpu_between(
    before: &HashMap<u32, u64>,
    after: &HashMap<u32, u64>,
    keep: impl Fn(u32) -> bool,
) -> Duration {
    let ns = after
        .iter()
        .filter(|(tid, _)| keep(**tid))
        .map(|(tid, ns)| ns.saturating_sub(before.get(tid).copied().unwrap_or(0)))
        .sum();
    Duration::from_nanos(ns)
}

/// A `Vm*` line of `/proc/self/status`, in KiB.
fn vm_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field) && l[field.len()..].starts_with(':'))?;
    line[field.len() + 1..].trim().trim_end_matches("kB").trim().parse().ok()
}

// ------------------------------------------------------------------------------------------------
// The clients
// ------------------------------------------------------------------------------------------------

/// What a run counted: every item, and a sum over them so that nothing is optimised away.
#[derive(Debug, Default)]
struct Tally {
    items: usize,
    units: i64,
}

impl Tally {
    fn add(&mut self, item: &TestUnits) {
        let item = black_box(item);
        self.items += 1;
        self.units = self.units.wrapping_add(item.cloud_units_used.unwrap_or(0));
    }
}

/// The three ways of reading a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Variant {
    /// The facade's `.items()`, prefetch on (its default).
    Prefetch,
    /// The facade's `.items()`, prefetch off.
    Sequential,
    /// Plain `reqwest` + `serde_json::from_slice`, page after page.
    Baseline,
}

impl Variant {
    const ALL: [Variant; 3] = [Variant::Prefetch, Variant::Sequential, Variant::Baseline];

    fn name(self) -> &'static str {
        match self {
            Variant::Prefetch => "facade .items(), prefetch on",
            Variant::Sequential => "facade .items(), prefetch off",
            Variant::Baseline => "baseline reqwest + serde_json",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Variant::Prefetch => "prefetch",
            Variant::Sequential => "sequential",
            Variant::Baseline => "baseline",
        }
    }

    fn from_key(key: &str) -> Option<Variant> {
        Variant::ALL.into_iter().find(|v| v.key() == key)
    }
}

/// A facade client and a plain `reqwest` client of one server.
struct Clients {
    facade: Client,
    http: reqwest::Client,
    base: String,
}

impl Clients {
    fn new(base: String) -> Self {
        let facade = support::client_of(base.clone());
        let http = reqwest::Client::builder().build().expect("reqwest client");
        Clients { facade, http, base }
    }

    async fn run(&self, variant: Variant) -> Result<Tally, BoxError> {
        match variant {
            Variant::Prefetch => facade_items(&self.facade, true).await,
            Variant::Sequential => facade_items(&self.facade, false).await,
            Variant::Baseline => baseline_items(&self.http, &self.base).await,
        }
    }
}

async fn facade_items(client: &Client, prefetch: bool) -> Result<Tally, BoxError> {
    let mut items = client.test_units().prefetch(prefetch).items();
    let mut tally = Tally::default();
    while let Some(item) = items.try_next().await? {
        tally.add(&item);
    }
    Ok(tally)
}

/// A page as the baseline reads it: the same typed items, and only the next link.
#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    breakdowns: Vec<TestUnits>,
    #[serde(rename = "_links", default)]
    links: Links,
}

#[derive(Deserialize, Default)]
struct Links {
    next: Option<Link>,
}

#[derive(Deserialize)]
struct Link {
    href: String,
}

/// The `cursor` query parameter of a next link, as it is (still percent-encoded).
fn raw_cursor(href: &str) -> Option<&str> {
    let (_, query) = href.split_once('?')?;
    query.split('&').find_map(|pair| pair.strip_prefix("cursor=")).filter(|c| !c.is_empty())
}

/// The lean loop the facade is measured against: one GET per page on one `reqwest::Client`,
/// the body decoded with `serde_json::from_slice`, the next cursor taken from the next link.
async fn baseline_items(http: &reqwest::Client, base: &str) -> Result<Tally, BoxError> {
    let listing = format!("{base}{LISTING}");
    let mut url = listing.clone();
    let mut tally = Tally::default();
    loop {
        let response = http
            .get(&url)
            .bearer_auth(support::TOKEN)
            .header(reqwest::header::ACCEPT, support::HAL_JSON)
            .send()
            .await?
            .error_for_status()?;
        let body = response.bytes().await?;
        let page: Envelope = serde_json::from_slice(&body)?;
        for item in page.breakdowns {
            tally.add(&item);
        }
        match page.links.next.as_ref().and_then(|next| raw_cursor(&next.href)) {
            Some(cursor) => url = format!("{listing}?cursor={cursor}"),
            None => return Ok(tally),
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Scenario 1: throughput
// ------------------------------------------------------------------------------------------------

/// One measured run.
#[derive(Debug, Clone, Copy)]
struct Sample {
    wall: Duration,
    cpu: Duration,
    server_cpu: Duration,
    items: usize,
}

/// Runs `run` to completion on `rt`, timing it and the CPU time of the client's threads (all
/// of this process's threads but the servers').
fn measure(rt: &Runtime, server: &Server, run: impl Future<Output = Result<Tally, BoxError>>) -> Sample {
    let before = cpu_snapshot();
    let start = Instant::now();
    let tally = rt.block_on(run).unwrap_or_else(|e| panic!("benchmark run failed: {e}"));
    let wall = start.elapsed();
    let after = cpu_snapshot();
    let servers = SERVER_TIDS.lock().unwrap_or_else(|p| p.into_inner()).clone();
    Sample {
        wall,
        cpu: cpu_between(&before, &after, |tid| !servers.contains(&tid)),
        server_cpu: cpu_between(&before, &after, |tid| tid == server.tid),
        items: black_box(tally).items,
    }
}

fn median_f64(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => values[n / 2],
        _ => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    let n = values.len();
    if n == 0 {
        Duration::ZERO
    } else if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2
    }
}

/// The figures of one variant over its repetitions.
struct Summary {
    wall: Duration,
    best_wall: Duration,
    worst_wall: Duration,
    cpu: Duration,
    server_cpu: Duration,
    items: usize,
}

impl Summary {
    fn of(samples: &[Sample]) -> Summary {
        let walls: Vec<Duration> = samples.iter().map(|s| s.wall).collect();
        Summary {
            wall: median(walls.clone()),
            best_wall: walls.iter().copied().min().unwrap_or_default(),
            worst_wall: walls.iter().copied().max().unwrap_or_default(),
            cpu: median(samples.iter().map(|s| s.cpu).collect()),
            server_cpu: median(samples.iter().map(|s| s.server_cpu).collect()),
            items: samples.first().map_or(0, |s| s.items),
        }
    }

    fn items_per_sec(&self, wall: Duration) -> f64 {
        self.items as f64 / wall.as_secs_f64()
    }
}

fn throughput(rt: &Runtime, config: &Config) -> Vec<Verdict> {
    let pages = config.throughput_pages;
    let reps = config.throughput_reps;
    let server = start_server(|base| Pages::prebuilt(pages, base), Duration::ZERO);
    let expected = pages * ITEMS_PER_PAGE;
    println!(
        "\n== 1. Throughput: {pages} pages x {ITEMS_PER_PAGE} items ({expected} items, {:.1} MiB of JSON, \
         {:.1} KiB a page), {reps} interleaved runs of each after one warm-up run each",
        server.body_bytes as f64 / MIB,
        server.body_bytes as f64 / pages as f64 / 1024.0
    );
    let clients = Clients::new(server.base_url());
    for variant in Variant::ALL {
        let warm = measure(rt, &server, clients.run(variant));
        assert_eq!(warm.items, expected, "{} read a partial listing", variant.name());
    }
    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); Variant::ALL.len()];
    for rep in 0..reps {
        // Rotate the order, so that no variant always runs first or last.
        for j in 0..Variant::ALL.len() {
            let i = (rep + j) % Variant::ALL.len();
            let sample = measure(rt, &server, clients.run(Variant::ALL[i]));
            assert_eq!(sample.items, expected, "{} read a partial listing", Variant::ALL[i].name());
            samples[i].push(sample);
        }
    }
    let summaries: Vec<Summary> = samples.iter().map(|s| Summary::of(s)).collect();
    println!(
        "{:<31} {:>11} {:>11} {:>23} {:>8} {:>10} {:>7}",
        "variant", "items/s", "(median)", "wall ms best (med..max)", "CPU ms", "CPU/page", "server"
    );
    for (variant, s) in Variant::ALL.iter().zip(&summaries) {
        println!(
            "{:<31} {:>11} {:>11} {:>23} {:>8.1} {:>8.1}us {:>6.0}%",
            variant.name(),
            thousands(s.items_per_sec(s.best_wall)),
            thousands(s.items_per_sec(s.wall)),
            format!("{:.1} ({:.1}..{:.1})", ms(s.best_wall), ms(s.wall), ms(s.worst_wall)),
            ms(s.cpu),
            s.cpu.as_secs_f64() * 1e6 / pages as f64,
            100.0 * s.server_cpu.as_secs_f64() / s.wall.as_secs_f64(),
        );
    }
    let [on, off, base] = [&summaries[0], &summaries[1], &summaries[2]];
    let best = |s: &Summary| base.best_wall.as_secs_f64() / s.best_wall.as_secs_f64();
    let cpu = |s: &Summary| s.cpu.as_secs_f64() / base.cpu.as_secs_f64();
    // The ratio of each round (the three variants back to back), then the median of the rounds:
    // load that comes and goes slows a round's three runs alike, and the odd disturbed run falls out.
    let paired = |i: usize| {
        let ratios =
            samples[i].iter().zip(&samples[2]).map(|(v, b)| b.wall.as_secs_f64() / v.wall.as_secs_f64());
        median_f64(ratios.collect())
    };
    let (paired_on, paired_off) = (paired(0), paired(1));
    println!(
        "facade/baseline throughput, median of the {reps} rounds' ratios: prefetch on {paired_on:.3}, \
         prefetch off {paired_off:.3} (best runs: {:.3}, {:.3})",
        best(on),
        best(off)
    );
    println!("facade/baseline CPU time (medians): prefetch on {:.3}, prefetch off {:.3}", cpu(on), cpu(off));
    println!(
        "(CPU: the client's threads only, from /proc/self/task/*/schedstat; server: its thread's CPU \
         share of the wall time)"
    );
    let verdict = |name: &str, wanted: &'static str, ratio: f64, s: &Summary, at_least: f64| {
        let measured = format!("{ratio:.3}x (CPU {:.2}x)", cpu(s));
        Verdict::new(name, wanted, measured, ratio >= at_least)
    };
    vec![
        verdict("throughput, prefetch off vs baseline", ">= 0.95x", paired_off, off, 0.95),
        verdict("throughput, prefetch on vs baseline", ">= 1.00x", paired_on, on, 1.0),
    ]
}

// ------------------------------------------------------------------------------------------------
// Scenario 2: prefetch
// ------------------------------------------------------------------------------------------------

/// Reads the listing page by page, working `work` on each page.
async fn paced_pages(client: &Client, prefetch: bool, work: Duration) -> Result<Tally, BoxError> {
    let mut pages = client.test_units().prefetch(prefetch).pages();
    let mut tally = Tally::default();
    while let Some(page) = pages.try_next().await? {
        for item in page.items() {
            tally.add(item);
        }
        tokio::time::sleep(work).await;
    }
    Ok(tally)
}

fn prefetch(rt: &Runtime, config: &Config) -> Vec<Verdict> {
    let pages = config.prefetch_pages;
    let delay = config.prefetch_delay;
    let reps = config.prefetch_reps;
    let server = start_server(|base| Pages::prebuilt(pages, base), delay);
    println!(
        "\n== 2. Prefetch: {pages} pages, the server waits {} ms before each answer, the consumer works \
         {} ms on each page; median of {reps} interleaved runs",
        delay.as_millis(),
        delay.as_millis()
    );
    let client = Clients::new(server.base_url()).facade;
    let mut walls = [Vec::new(), Vec::new()];
    for _ in 0..reps {
        for (i, on) in [false, true].into_iter().enumerate() {
            let sample = measure(rt, &server, paced_pages(&client, on, delay));
            assert_eq!(sample.items, pages * ITEMS_PER_PAGE, "partial listing");
            walls[i].push(sample.wall);
        }
    }
    let [sequential, prefetching] = walls.map(median);
    let ideal_sequential = (delay * 2) * pages as u32;
    let ideal_prefetch = delay * pages as u32 + delay;
    println!(
        "prefetch off: {:>8.1} ms  (floor: {} x ({} + {}) ms = {:.0} ms)",
        ms(sequential),
        pages,
        delay.as_millis(),
        delay.as_millis(),
        ms(ideal_sequential)
    );
    println!(
        "prefetch on:  {:>8.1} ms  (floor: {} x {} ms + {} ms = {:.0} ms)",
        ms(prefetching),
        pages,
        delay.as_millis(),
        delay.as_millis(),
        ms(ideal_prefetch)
    );
    let speedup = sequential.as_secs_f64() / prefetching.as_secs_f64();
    println!(
        "speed-up: {speedup:.2}x (at best {:.2}x)",
        ideal_sequential.as_secs_f64() / ideal_prefetch.as_secs_f64()
    );
    vec![Verdict::new(
        &format!("prefetch speed-up ({} ms server, {} ms work)", delay.as_millis(), delay.as_millis()),
        ">= 1.70x",
        format!("{speedup:.2}x"),
        speedup >= 1.7,
    )]
}

// ------------------------------------------------------------------------------------------------
// Scenario 3: memory
// ------------------------------------------------------------------------------------------------

/// A child process of the memory scenario: streams the listing of the server in the parent with
/// one variant, then prints its item count and peak RSS.
fn child(spec: &str) -> ExitCode {
    let mut parts = spec.split(':');
    let (Some(variant), Some(Ok(port))) =
        (parts.next().and_then(Variant::from_key), parts.next().map(str::parse::<u16>))
    else {
        eprintln!("bad {CHILD_ENV}: {spec:?}");
        return ExitCode::FAILURE;
    };
    let start_kib = vm_kib("VmRSS").unwrap_or(0);
    let rt = client_runtime();
    let clients = Clients::new(format!("http://127.0.0.1:{port}/v7"));
    match rt.block_on(clients.run(variant)) {
        Ok(tally) => {
            let peak = vm_kib("VmHWM").unwrap_or(0);
            println!("items={} peak_kib={peak} start_kib={start_kib}", tally.items);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("child run failed: {e}");
            ExitCode::FAILURE
        }
    }
}

/// What one child reported.
struct ChildReport {
    items: usize,
    peak_kib: u64,
    start_kib: u64,
    wall: Duration,
}

fn run_child(variant: Variant, server: &Server) -> Result<ChildReport, BoxError> {
    let start = Instant::now();
    let output = Command::new(std::env::current_exe()?)
        .env(CHILD_ENV, format!("{}:{}", variant.key(), server.port))
        .output()?;
    let wall = start.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "child {} failed ({}): {}{}",
            variant.key(),
            output.status,
            stdout,
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    let field = |name: &str| -> Option<u64> {
        stdout.split_whitespace().find_map(|kv| kv.strip_prefix(name)?.strip_prefix('=')?.parse().ok())
    };
    match (field("items"), field("peak_kib"), field("start_kib")) {
        (Some(items), Some(peak_kib), Some(start_kib)) => {
            Ok(ChildReport { items: items as usize, peak_kib, start_kib, wall })
        }
        _ => Err(format!("child {} printed no figures: {stdout}", variant.key()).into()),
    }
}

fn memory(config: &Config) -> Result<Vec<Verdict>, BoxError> {
    let [small, large] = config.memory_pages;
    println!(
        "\n== 3. Memory: peak RSS (VmHWM) of a fresh child process that streams the listing; the \
         server (pages built per request) runs in this process"
    );
    println!(
        "{:<31} {:>7} {:>10} {:>14} {:>14} {:>10}",
        "variant", "pages", "items", "RSS at start", "peak RSS", "wall"
    );
    let mut peaks = HashMap::new();
    for variant in [Variant::Prefetch, Variant::Sequential, Variant::Baseline] {
        for pages in [small, large] {
            let server = start_server(|base| Pages::generated(pages, base), Duration::ZERO);
            let report = run_child(variant, &server)?;
            if report.items != pages * ITEMS_PER_PAGE {
                return Err(
                    format!("child {} read {} items of {}", variant.key(), report.items, pages).into()
                );
            }
            println!(
                "{:<31} {:>7} {:>10} {:>10.2} MiB {:>10.2} MiB {:>8.0}ms",
                variant.name(),
                pages,
                report.items,
                report.start_kib as f64 / 1024.0,
                report.peak_kib as f64 / 1024.0,
                ms(report.wall)
            );
            peaks.insert((variant, pages), report.peak_kib);
        }
    }
    let facade_small = peaks[&(Variant::Prefetch, small)] as f64;
    let facade_large = peaks[&(Variant::Prefetch, large)] as f64;
    let growth = facade_large / facade_small;
    println!(
        "facade (prefetch on, its default): {large} pages / {small} pages = {growth:.3} ({:+.0} KiB)",
        facade_large - facade_small
    );
    Ok(vec![
        Verdict::new(
            &format!("peak RSS {large} pages vs {small} pages"),
            "<= 1.10x",
            format!("{growth:.3}x"),
            growth <= 1.10,
        ),
        Verdict::new(
            &format!("peak RSS {large} pages"),
            "< 16 MiB",
            format!("{:.2} MiB", facade_large / 1024.0),
            facade_large < 16.0 * 1024.0,
        ),
    ])
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
}

impl Verdict {
    fn new(target: &str, wanted: &'static str, measured: String, pass: bool) -> Self {
        Verdict { target: target.to_string(), wanted, measured, pass }
    }
}

fn print_machine(config: &Config) {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("thousandeyes-usage pagination benchmark");
    println!("machine: {}", thousandeyes_usage_tests::support::machine());
    println!(
        "client runtime: tokio multi-thread, {cpus} workers; server: own thread, current-thread runtime"
    );
    if !config.judged {
        println!("(smoke run, without --bench: a few pages only, targets not judged)");
    }
}

fn print_summary(config: &Config, verdicts: &[Verdict]) {
    println!("\n== Summary");
    println!("{:<46} {:>10} {:>24}  result", "target", "wanted", "measured");
    for v in verdicts {
        let result = match (config.judged, v.pass) {
            (false, _) => "-",
            (true, true) => "PASS",
            (true, false) => "MISS",
        };
        println!("{:<46} {:>10} {:>24}  {result}", v.target, v.wanted, v.measured);
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// `1234567.8` as `1,234,568`.
fn thousands(x: f64) -> String {
    let digits = format!("{:.0}", x.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}
