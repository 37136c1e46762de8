//! The client against local servers, one module per subject: `configuration`, `operations`,
//! `pagination`, `retry`, `pacing`, `errors`, `secrets`, `spans` and `transport` (connections
//! that fail, time out or redirect). Each test pins a promise of the client (`docs/guarantees.md`
//! names them).
//!
//! Servers are httpmock's, or [`thousandeyes_usage_tests::raw::RawServer`]s (scripted raw HTTP on
//! the test's own runtime) where a server must misbehave. Every test that checks a wait runs on
//! paused (virtual) time and measures the delay between attempts from the arrival times the
//! server recorded: nothing sleeps in real time.
//!
//! This binary counts allocations (a [`GlobalAlloc`] over [`System`]) so that
//! `errors::content_length_lies` can tell how much memory an answer made the client take; those
//! probes run in child processes of their own ([`isolated`]).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, UNIX_EPOCH};

use serde_json::{json, Value};
use thousandeyes_usage_fake::FakeClock;
use thousandeyes_usage_tests::raw::{RawServer, Reply, Request};
use tokio::time::Instant;

/// The test's name as the harness knows it (`content_length_lies::name`), from its module path
/// and function name; for [`isolated`].
macro_rules! test_name {
    ($f:ident) => {{
        let module = module_path!();
        let module = module.split_once("::").map_or("", |(_, rest)| rest);
        format!("{module}::{}", stringify!($f))
    }};
}

mod configuration;
mod errors;
mod operations;
mod pacing;
mod pagination;
mod retry;
mod secrets;
mod spans;
mod transport;

// ---------------------------------------------------------------------------------------------
// Counting allocator.

/// [`System`], counting the bytes currently allocated, their peak, and the largest single
/// request (granted or not).
struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static LARGEST_REQUEST: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let now = CURRENT.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

fn shrank(bytes: usize) {
    CURRENT.fetch_sub(bytes, Ordering::Relaxed);
}

// SAFETY: every call is forwarded to `System` unchanged; only counters are updated besides.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST_REQUEST.fetch_max(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's guarantees for `layout` are passed on.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LARGEST_REQUEST.fetch_max(layout.size(), Ordering::Relaxed);
        // SAFETY: as for `alloc`.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST_REQUEST.fetch_max(new_size, Ordering::Relaxed);
        // SAFETY: the caller's guarantees for `ptr`, `layout` and `new_size` are passed on.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                shrank(layout.size() - new_size);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// What a stretch of code made the process allocate, from [`Allocations::start`] on. Global to
/// the process: meaningful in a child process that runs one test ([`isolated`]).
pub struct Allocations {
    baseline: usize,
}

impl Allocations {
    /// Starts measuring: the peak and the largest request are reset to now.
    pub fn start() -> Allocations {
        let baseline = CURRENT.load(Ordering::SeqCst);
        PEAK.store(baseline, Ordering::SeqCst);
        LARGEST_REQUEST.store(0, Ordering::SeqCst);
        Allocations { baseline }
    }

    /// How far the peak rose above the bytes allocated at the start.
    pub fn peak_growth(&self) -> usize {
        PEAK.load(Ordering::SeqCst).saturating_sub(self.baseline)
    }

    /// The largest single allocation asked for since the start, granted or not.
    pub fn largest_request(&self) -> usize {
        LARGEST_REQUEST.load(Ordering::SeqCst)
    }
}

/// One mebibyte.
pub const MIB: usize = 1 << 20;

// ---------------------------------------------------------------------------------------------
// Child processes, for probes that may abort the process or that measure its allocations.

/// Set in a child process to the test it is to run for real.
const CHILD: &str = "CLIENT_ISOLATED_TEST";

/// Runs `probe` in a child process of this test binary, running only the test `name`: a probe
/// that aborts the process (a failed allocation) then fails that one test, not the whole suite,
/// and the child's allocation counters see nothing but the probe. In the child, runs `probe`.
pub fn isolated(name: &str, probe: impl FnOnce()) {
    if std::env::var(CHILD).as_deref() == Ok(name) {
        probe();
        return;
    }
    let exe = std::env::current_exe().expect("the test binary");
    let output = std::process::Command::new(exe)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, name)
        .output()
        .expect("run the child process");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    #[cfg(unix)]
    let signal = std::os::unix::process::ExitStatusExt::signal(&output.status);
    #[cfg(not(unix))]
    let signal: Option<i32> = None;
    assert!(
        output.status.success(),
        "the child process running {name} failed: {} (signal {signal:?}; 6 is SIGABRT)\n\
         --- stdout ---\n{stdout}\n--- stderr ---\n{stderr}",
        output.status,
    );
    assert!(
        stdout.contains("1 passed"),
        "the child process did not run {name}:\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}"
    );
}

/// A current-thread runtime on paused time, for a probe run outside `#[tokio::test]`.
pub fn paused_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().expect("runtime")
}

// ---------------------------------------------------------------------------------------------
// Clients and errors.

pub use thousandeyes_usage_tests::capture::everything_shown;

/// A loopback listener that never accepts, with its accept queue full: a new connection's SYN
/// is dropped, so connecting hangs until the connect timeout. Returns the address and what must
/// be kept alive (the listener and the connection filling its queue).
pub fn listener_with_full_backlog(
) -> (std::net::SocketAddr, tokio::net::TcpListener, Vec<std::net::TcpStream>) {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.bind("127.0.0.1:0".parse().expect("address")).expect("bind");
    let listener = socket.listen(0).expect("listen with the smallest backlog");
    let addr = listener.local_addr().expect("address");
    // Fill the queue: connections complete until it is full; the first that does not complete
    // within 50 ms (real time, once, for setup only) shows that it is.
    let mut held = Vec::new();
    loop {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(50)) {
            Ok(stream) => held.push(stream),
            Err(e)
                if e.kind() == std::io::ErrorKind::TimedOut || e.kind() == std::io::ErrorKind::WouldBlock =>
            {
                break
            }
            Err(e) => panic!("could not fill the accept queue: {e}"),
        }
        assert!(held.len() < 64, "the accept queue never filled; no way to make a connect hang here");
    }
    (addr, listener, held)
}

/// A `GET /usage` success body.
pub fn usage_json() -> serde_json::Value {
    serde_json::json!({"usage": {"cloudUnitsUsed": 42}, "_links": {"self": {"href": "/v7/usage"}}})
}

// ---------------------------------------------------------------------------------------------
// Raw answers with rate-limit figures, on a server clock.

/// A raw server's clock, in the whole epoch seconds its headers speak: the fake's clock
/// ([`FakeClock`], the wall-clock time at the start advanced by tokio's clock, virtual when
/// paused), read at the instants the raw server records requests at.
#[derive(Debug, Clone, Copy)]
struct ServerClock {
    clock: FakeClock,
    start: Instant,
}

impl ServerClock {
    fn new() -> Self {
        ServerClock { clock: FakeClock::start(), start: Instant::now() }
    }

    /// Whole epoch seconds at `at`, shifted by `skew` seconds.
    fn secs(&self, at: Instant, skew: i64) -> u64 {
        u64::try_from(FakeClock::epoch_secs(self.clock.at(at)) + skew).expect("a time after 1970")
    }

    /// The `Date` header at `at`, shifted by `skew` seconds.
    fn date(&self, at: Instant, skew: i64) -> String {
        FakeClock::http_date(UNIX_EPOCH + Duration::from_secs(self.secs(at, skew)))
    }

    /// The instant of epoch second `epoch` (no skew).
    fn instant_of(&self, epoch: u64) -> Instant {
        self.clock.instant_of(UNIX_EPOCH + Duration::from_secs(epoch))
    }

    /// An epoch second `secs` after the start, whole.
    fn after(&self, secs: u64) -> u64 {
        self.secs(self.start, 0) + secs
    }
}

/// The three organization figures as headers.
fn figures(limit: impl ToString, remaining: impl ToString, reset: impl ToString) -> Vec<(String, String)> {
    vec![
        ("x-organization-rate-limit-limit".into(), limit.to_string()),
        ("x-organization-rate-limit-remaining".into(), remaining.to_string()),
        ("x-organization-rate-limit-reset".into(), reset.to_string()),
    ]
}

fn with_headers(status: u16, headers: Vec<(String, String)>) -> thousandeyes_usage_tests::raw::Response {
    let content_type = if status < 400 { "application/hal+json" } else { "application/problem+json" };
    let mut response = Reply::status(status).header("Content-Type", content_type);
    for (name, value) in headers {
        response = response.header(name, value);
    }
    response
}

/// A `GET /usage` 200 with these headers.
fn ok_with(headers: Vec<(String, String)>) -> Reply {
    with_headers(200, headers).json(&usage_json()).into()
}

/// A 429 with these headers.
fn too_many_with(headers: Vec<(String, String)>) -> Reply {
    with_headers(429, headers).json(&json!({"title": "Too Many Requests", "status": 429})).into()
}

// ---------------------------------------------------------------------------------------------
// A two-page listing.

/// The token the request carried.
fn echoed(req: &Request) -> String {
    req.bearer().expect("a bearer token").to_string()
}

fn page(items: Value, links: Value) -> Reply {
    with_headers(200, Vec::new()).json(&json!({"breakdowns": items, "_links": links})).into()
}

/// A test-units listing of two pages: the first as `first` answers (its next link, if any, is to
/// carry a cursor), the second (one item, `testId` 2, no next link) for any request with a cursor.
async fn two_pages(first: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> RawServer {
    RawServer::start(move |req: &Request| {
        if req.query("cursor").is_some() {
            page(json!([{"testId": "2"}]), json!({}))
        } else {
            first(req)
        }
    })
    .await
}
