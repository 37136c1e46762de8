//! Adversarial probes of the public API, from the outside, with hostile local servers.
//!
//! Each probe asserts a promise of the README ("Rate limits, pacing and retry", "What the client
//! guarantees"). Families:
//!
//! * `pacing_*`: the new pacing: cancelled calls, answers without figures, clocks that step,
//!   lying figures, crowds of tasks and clients;
//! * `retry_*`: `Retry-After` and waits;
//! * `secret_*`: a token echoed back where the pagination errors, spans and logs show it;
//! * `listing_*`: silent truncation of a listing;
//! * `transport_*`, `decode_*`, `config_*`.
//!
//! Every probe runs on paused (virtual) time. One
//! (`retry_max_wait_zero_does_not_hang_while_spreading`) would hang for ever if the client spins
//! without letting virtual time advance; it is given three seconds of real time, measured by a
//! thread and a oneshot channel (no timer), and then dropped.
//!
//! Each probe says, in its assertion message, what the client did when it fails.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::TryStreamExt;
use serde_json::{json, Value};
use thousandeyes_usage::{Client, ClientBuilder, Error, RetryPolicy};
use thousandeyes_usage_fake::FakeUsageApi;
use thousandeyes_usage_tests::capture::{everything_shown, Captured};
use thousandeyes_usage_tests::raw::{RawServer, Reply, Request};
use tokio::time::Instant;

// ---------------------------------------------------------------------------------------------
// Shared pieces.

/// The token of these probes: distinctive, so that it can be searched for.
const TOKEN: &str = "adversary-tok3n-Hq8sW4mZ2x";

fn builder(server: &RawServer) -> ClientBuilder {
    Client::builder().token(TOKEN).base_url(server.base_url())
}

fn client(server: &RawServer) -> Client {
    builder(server).build().expect("client")
}

fn usage_json() -> Value {
    json!({"usage": {"cloudUnitsUsed": 42}, "_links": {"self": {"href": "/v7/usage"}}})
}

/// The server's clock: the wall-clock time when the test started, advanced by tokio's clock
/// (virtual when paused), like the client's own.
#[derive(Debug, Clone, Copy)]
struct ServerClock {
    start: Instant,
    epoch0: f64,
}

impl ServerClock {
    fn new() -> Self {
        let epoch0 = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_secs_f64();
        ServerClock { start: Instant::now(), epoch0 }
    }

    /// Whole epoch seconds at `at`, shifted by `skew` seconds.
    fn secs(&self, at: Instant, skew: i64) -> u64 {
        ((self.epoch0 + (at - self.start).as_secs_f64()) as i64 + skew) as u64
    }

    /// The `Date` header at `at`, shifted by `skew` seconds.
    fn date(&self, at: Instant, skew: i64) -> String {
        httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(self.secs(at, skew)))
    }

    /// The instant of epoch second `epoch` (no skew).
    fn instant_of(&self, epoch: u64) -> Instant {
        self.start + Duration::from_secs_f64(epoch as f64 - self.epoch0)
    }

    /// An epoch second `secs` after the start, whole.
    fn after(&self, secs: u64) -> u64 {
        self.epoch0 as u64 + secs
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
// Pacing: cancellation.

/// "each waiting request reserving its own slot": a call cancelled while it waits for its slot
/// (here by the caller's own deadline, `tokio::time::timeout`, the commonest way) must give its
/// slot back. Otherwise the window's calls are promised to requests that no longer exist, and a
/// later call waits for the reset (or is refused unsent) although the organization has calls left.
#[tokio::test(start_paused = true)]
async fn pacing_spreading_slots_of_calls_cancelled_while_waiting_are_given_back() {
    let clock = ServerClock::new();
    // A window of 240 that resets 90 s from now, 40 calls left: the client spreads from now on.
    let reset = clock.after(90);
    let server = RawServer::start(move |req: &Request| {
        let remaining = 40u64.saturating_sub(req.index as u64);
        let mut headers = figures(240, remaining, reset);
        headers.push(("Date".into(), clock.date(req.at, 0)));
        ok_with(headers)
    })
    .await;
    let client = client(&server);
    client.usage().send().await.expect("first call");

    // 38 calls, each with the caller's deadline of 100 ms: one goes at once, the others wait for
    // their spreading slot (1.5 s apart or more) and are cancelled by the deadline.
    let calls = (0..38).map(|_| {
        let c = client.clone();
        async move { tokio::time::timeout(Duration::from_millis(100), c.usage().send()).await }
    });
    let outcomes = futures::future::join_all(calls).await;
    let cancelled = outcomes.iter().filter(|o| o.is_err()).count();
    assert!(cancelled >= 30, "most calls were cancelled while waiting ({cancelled})");
    let sent_before = server.count();

    // What is left of the window: ~38 calls for ~90 s, one every ~2.4 s.
    let asked = Instant::now();
    let result = client.usage().send().await;
    let requests = server.requests();
    let stats = client.stats();
    let result = result.map_err(|e| everything_shown(&e));
    assert!(result.is_ok(), "the next call failed although ~38 calls remain in the window: {result:?}");
    assert_eq!(requests.len(), sent_before + 1);
    let delay = requests.last().expect("sent").at - asked;
    assert!(
        delay <= Duration::from_secs(5),
        "with ~38 calls left for ~90 s, the next call went out only after {delay:?} \
         (the {cancelled} cancelled calls kept their slots; stats: {stats:?})"
    );
}

/// "dropping the stream cancels the request in flight", and an aborted task's request is no
/// longer in flight: neither may leave the client counting a request in flight for ever (which
/// would make every spreading request wait for it, until the window's reset).
#[tokio::test(start_paused = true)]
async fn pacing_requests_dropped_in_flight_are_no_longer_counted() {
    async fn probe(what: &str, drop_it: impl AsyncFnOnce(&Client)) {
        let clock = ServerClock::new();
        let reset = clock.after(90);
        // The first request's answer leaves exactly the spreading threshold (60 of 240); the
        // second (the one dropped) never gets an answer in time; then 59.
        let server = RawServer::start(move |req: &Request| {
            let remaining = if req.index == 0 { 60 } else { 59 };
            let mut headers = figures(240, remaining, reset);
            headers.push(("Date".into(), clock.date(req.at, 0)));
            let page = json!({
                "breakdowns": [{"testId": format!("{}", req.index)}],
                "_links": {"next": {"href": "/v7/usage/units/tests?cursor=two"}}
            });
            let reply: Reply = if req.path().ends_with("/units/tests") {
                with_headers(200, headers).json(&page).into()
            } else {
                ok_with(headers)
            };
            if req.index == 1 {
                // No answer: the request stays in flight until it is dropped.
                Reply::raw(Vec::new()).then_hang()
            } else {
                reply
            }
        })
        .await;
        let client = client(&server);
        drop_it(&client).await;
        assert_eq!(server.count(), 2, "{what}: the dropped request had reached the server");
        let asked = Instant::now();
        client.usage().send().await.unwrap_or_else(|e| panic!("{what}: the next call failed: {e}"));
        let delay = server.requests().last().expect("sent").at - asked;
        assert!(
            delay <= Duration::from_secs(1),
            "{what}: 60 calls of 240 were left and nothing in flight, yet the next call waited {delay:?}"
        );
    }

    probe("a Pages stream dropped while it prefetched page 2", async |client: &Client| {
        let mut pages = client.test_units().pages();
        pages.try_next().await.expect("page 1").expect("a page");
        tokio::time::sleep(Duration::from_secs(1)).await; // page 2 is in flight, prefetched
        drop(pages);
    })
    .await;
    probe("a spawned call aborted in flight", async |client: &Client| {
        client.usage().send().await.expect("first call");
        let c = client.clone();
        let task = tokio::spawn(async move { c.usage().send().await });
        tokio::time::sleep(Duration::from_secs(1)).await;
        task.abort();
        let _ = task.await;
    })
    .await;
    probe("a call dropped by the caller's deadline in flight", async |client: &Client| {
        client.usage().send().await.expect("first call");
        let late = tokio::time::timeout(Duration::from_secs(1), client.usage().send()).await;
        assert!(late.is_err(), "the call cannot finish in a second");
    })
    .await;
}

/// The same slots, without any cancellation: a 429 without the organization's figures (a
/// `Retry-After` only) holds every request; the waiting ones whose slot comes during the hold
/// are told to wait for the hold, drop their slot without giving it back, and take a new one
/// after it. The calls the window has left must still all be usable before its reset.
#[tokio::test(start_paused = true)]
async fn pacing_spreading_slots_survive_a_429_hold() {
    let clock = ServerClock::new();
    let reset = clock.after(250);
    let answered = Arc::new(Mutex::new(0u64));
    let count = Arc::clone(&answered);
    let server = RawServer::start(move |req: &Request| {
        let mut headers = vec![("Date".to_string(), clock.date(req.at, 0))];
        if req.index == 1 {
            headers.push(("Retry-After".into(), "100".into()));
            return too_many_with(headers);
        }
        // 8 calls in the window; a 429 does not count.
        let mut n = count.lock().expect("count");
        *n += 1;
        headers.extend(figures(240, 9u64.saturating_sub(*n), reset));
        ok_with(headers)
    })
    .await;
    let client = builder(&server)
        .retry_policy(RetryPolicy::default().with_max_wait(Duration::from_secs(120)))
        .build()
        .expect("client");
    client.usage().send().await.expect("first call: 8 left for 250 s");
    let calls = (0..7).map(|_| {
        let c = client.clone();
        async move { c.usage().send().await }
    });
    let results = futures::future::join_all(calls).await;
    let failed: Vec<String> =
        results.iter().filter_map(|r| r.as_ref().err()).map(|e| e.to_string()).collect();
    let reset_at = clock.instant_of(reset);
    let asked = Instant::now();
    let last = client.usage().send().await;
    let arrivals: Vec<String> =
        server.requests().iter().map(|r| format!("{:.1}", (r.at - clock.start).as_secs_f64())).collect();
    let last_at = server.requests().last().expect("sent").at;
    assert!(
        failed.is_empty() && last.is_ok() && last_at < reset_at,
        "8 calls allowed in a 250 s window, a 100 s hold after one 429: {} of the 7 calls failed \
         {failed:?}; the last call (asked at {:.1} s) {} at {:.1} s, the reset at 250 s; arrivals {arrivals:?}; {:?}",
        failed.len(),
        (asked - clock.start).as_secs_f64(),
        if last.is_ok() { "sent" } else { "failed" },
        (last_at - clock.start).as_secs_f64(),
        client.stats()
    );
}

/// `client.stats()` counts "every wait by its reason ..., each with its count and total time".
/// A wait cut short (the caller's deadline) lasted what it lasted, not what it was meant to.
#[tokio::test(start_paused = true)]
async fn pacing_stats_count_the_time_waited_not_the_time_meant_to_wait() {
    let clock = ServerClock::new();
    let reset = clock.after(50);
    let server = RawServer::start(move |req: &Request| {
        let mut headers = figures(240, 0, reset);
        headers.push(("Date".into(), clock.date(req.at, 0)));
        ok_with(headers)
    })
    .await;
    let client = client(&server);
    client.usage().send().await.expect("first call: the window is used up for 50 s");
    let started = Instant::now();
    for _ in 0..10 {
        let cut = tokio::time::timeout(Duration::from_secs(1), client.usage().send()).await;
        assert!(cut.is_err(), "cancelled after 1 s of a 50 s wait");
    }
    let elapsed = Instant::now() - started;
    let stats = client.stats();
    assert!(
        stats.window_used_up.total <= elapsed + Duration::from_millis(10),
        "10 calls each waited 1 s ({elapsed:?} in all) before being cancelled; stats say {:?} in {} waits",
        stats.window_used_up.total,
        stats.window_used_up.count
    );
}

// ---------------------------------------------------------------------------------------------
// Pacing: what the figures say.

/// "once less than a quarter of the window remains, counting what this client sent since the
/// figures, the rest is spread over the time left until the reset": when the answers after the
/// figures carry none (a gateway that strips them, an endpoint that omits them), the requests
/// this client sent since must still count. The server said 5 calls remain; the client may send
/// 5 more before the reset, not dozens.
#[tokio::test(start_paused = true)]
async fn pacing_answers_without_figures_still_count_against_the_window() {
    let clock = ServerClock::new();
    let reset = clock.after(60);
    let server = RawServer::start(move |req: &Request| {
        let mut headers = vec![("Date".to_string(), clock.date(req.at, 0))];
        if req.index == 0 {
            headers.extend(figures(240, 5, reset));
        }
        ok_with(headers)
    })
    .await;
    let client = client(&server);
    let started = Instant::now();
    for _ in 0..400 {
        if Instant::now() - started > Duration::from_secs(58) {
            break;
        }
        client.usage().send().await.expect("a call");
    }
    let reset_at = clock.instant_of(reset);
    let in_window = server.requests().iter().filter(|r| r.at < reset_at).count();
    assert!(
        in_window <= 1 + 5,
        "the server said 5 calls remained until the reset; the client sent {} more before it",
        in_window - 1
    );
}

/// A server whose clock is stepped back (an NTP correction, or one backend of a pool whose clock
/// is behind) while the client's window is used up: its new answers name resets before the
/// window the client keeps, which the client takes for an older window and ignores, while the
/// new `Date` moves its offset back. The window it keeps then seems to end far in the future.
/// Waits are bounded by the window ("waits for the reset when the window is used up"); the
/// client must not refuse every call, unsent, for ten minutes, or for decades.
#[tokio::test(start_paused = true)]
async fn pacing_a_server_clock_stepped_back_does_not_close_the_client_beyond_the_window() {
    let mut failures = Vec::new();
    for (what, step_back) in [("ten minutes", 600i64), ("to 1970", i64::MAX)] {
        let clock = ServerClock::new();
        let reset = clock.after(30);
        let server = RawServer::start(move |req: &Request| {
            if req.index == 0 {
                // The window is used up: its reset is 30 s away.
                let mut headers = figures(240, 0, reset);
                headers.push(("Date".into(), clock.date(req.at, 0)));
                return ok_with(headers);
            }
            // From now on the server's clock is `step_back` seconds behind: its windows (a
            // minute, 240 calls) and its Date both say so.
            let now = clock.secs(req.at, 0) as i64;
            let stepped = if step_back == i64::MAX { 1_000 } else { now - step_back };
            let date = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(stepped as u64));
            let mut headers = figures(240, 240 - req.index as u64, (stepped / 60 + 1) * 60);
            headers.push(("Date".into(), date));
            ok_with(headers)
        })
        .await;
        let client = client(&server);
        client.usage().send().await.expect("first call");
        client.usage().send().await.expect("the second call waits for the reset, 30 s");
        let mut refused = Vec::new();
        for call in 3..=6 {
            let asked = Instant::now();
            match client.usage().send().await {
                Ok(_) => {
                    let delay = server.requests().last().expect("sent").at - asked;
                    assert!(
                        delay <= Duration::from_secs(60),
                        "clock stepped back {what}: call {call} waited {delay:?}"
                    );
                }
                Err(e) => refused.push(format!("call {call}: {e} (retry_after {:?})", e.retry_after())),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        if !refused.is_empty() {
            failures.push(format!(
                "server clock stepped back {what}: the server has 238 calls left in its window, yet \
                 the client refused to send:\n{}\n(requests sent: {})",
                refused.join("\n"),
                server.count()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Lying figures: a limit of 0, remaining above the limit, u64::MAX, resets in the past, far
/// away, in milliseconds, negative, changing every answer or going back, `Date` missing or
/// absurd, 429s without any header. No panic; no call fails, or waits longer than the longest
/// window the client believes (300 s, also `rate_limited_attempts × max_wait`), when the server answers
/// 200; a 429 without a usable reset is backed off, not waited out.
#[tokio::test(start_paused = true)]
async fn pacing_lying_figures_neither_panic_nor_starve() {
    type Headers = fn(&ServerClock, &Request) -> Vec<(String, String)>;
    let cases: Vec<(&str, Headers)> = vec![
        ("limit 0, remaining 0, reset in 5 s", |c, r| {
            let mut h = figures(0, 0, c.secs(r.at, 5));
            h.push(("Date".into(), c.date(r.at, 0)));
            h
        }),
        ("limit 0, remaining 10", |c, r| figures(0, 10, c.secs(r.at, 30))),
        ("remaining far above the limit", |c, r| figures(10, 1_000_000, c.secs(r.at, 30))),
        ("remaining and limit u64::MAX", |c, r| figures(u64::MAX, u64::MAX, c.secs(r.at, 30))),
        ("remaining u64::MAX, limit 1", |c, r| figures(1, u64::MAX, c.secs(r.at, 30))),
        ("reset 0", |_, _| figures(240, 0, 0)),
        ("reset u64::MAX", |_, _| figures(240, 0, u64::MAX)),
        ("reset in milliseconds", |c, r| figures(240, 0, c.secs(r.at, 5) * 1000)),
        ("negative and garbage figures", |_, _| figures("abc", "-1", "-5")),
        ("reset a year away", |c, r| figures(240, 0, c.secs(r.at, 365 * 86_400))),
        ("reset 299 s away, remaining 1", |c, r| figures(240, 1, c.secs(r.at, 299))),
        ("reset changing every answer, remaining 0", |c, r| {
            figures(240, 0, c.secs(r.at, 1 + (r.index as i64 * 7) % 50))
        }),
        ("reset going back every answer, remaining low", |c, r| {
            figures(240, 3, c.secs(r.at, 50 - r.index as i64))
        }),
        ("remaining going up within the window", |c, r| figures(240, r.index, c.after(20))),
        ("Date absurd (year 9999), reset 5 s after it", |_, _| {
            let mut h = figures(240, 0, 253_402_300_795u64);
            h.push((
                "Date".into(),
                httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(253_402_300_790)),
            ));
            h
        }),
        ("Date 1970, reset 5 s after it", |_, _| {
            let mut h = figures(240, 0, 5);
            h.push(("Date".into(), "Thu, 01 Jan 1970 00:00:00 GMT".into()));
            h
        }),
        ("Date garbage", |c, r| {
            let mut h = figures(240, 0, c.secs(r.at, 3));
            h.push(("Date".into(), "yesterday".into()));
            h
        }),
    ];
    let mut failures = Vec::new();
    for (what, headers) in cases {
        let clock = ServerClock::new();
        let server = RawServer::start(move |req: &Request| ok_with(headers(&clock, req))).await;
        let client = client(&server);
        for call in 1..=4 {
            let asked = Instant::now();
            let result = client.usage().send().await;
            let waited = Instant::now() - asked;
            match result {
                Ok(_) if waited <= Duration::from_secs(301) => {}
                Ok(_) => failures.push(format!("{what}: call {call} took {waited:?}")),
                Err(e) => failures.push(format!("{what}: call {call} failed after {waited:?}: {e}")),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // 429s without any header, or with resets that lie: bounded, and then sent again.
    let cases: Vec<(&str, Headers)> = vec![
        ("429 without headers", |_, _| Vec::new()),
        ("429 reset in the past", |c, r| figures(240, 0, c.secs(r.at, -30))),
        ("429 reset u64::MAX", |_, _| figures(240, 0, u64::MAX)),
        ("429 reset in ms", |c, r| figures(240, 0, c.secs(r.at, 2) * 1000)),
    ];
    for (what, headers) in cases {
        let clock = ServerClock::new();
        let server = RawServer::start(move |req: &Request| {
            if req.index < 2 {
                too_many_with(headers(&clock, req))
            } else {
                ok_with(Vec::new())
            }
        })
        .await;
        let client = client(&server);
        let asked = Instant::now();
        let result = client.usage().send().await;
        let waited = Instant::now() - asked;
        if result.is_err() || waited > Duration::from_secs(5) {
            failures.push(format!("{what}: {result:?} after {waited:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A crowd after a reset: "Concurrent tasks then stay under the limit". Tasks that waited for a
/// window's reset all wake at its end, within the 50-200 ms of jitter; when an answer takes
/// longer than that (300 ms here, an ordinary round trip to a remote API), none of them has seen
/// the new window's figures, and all go at once, however small the limit.
#[tokio::test(start_paused = true)]
async fn pacing_tasks_waiting_for_a_reset_do_not_stampede_the_next_window() {
    let fake = FakeUsageApi::builder()
        .rate_limit(10, Duration::from_secs(10))
        .latency(Duration::from_millis(300))
        .start()
        .await;
    let client = Client::builder().token(fake.token()).base_url(fake.base_url()).build().expect("client");
    client.usage().send().await.expect("prime: the client knows the window");
    let calls = (0..30).map(|_| {
        let c = client.clone();
        async move { c.usage().send().await }
    });
    let results = futures::future::join_all(calls).await;
    let failed: Vec<String> =
        results.iter().filter_map(|r| r.as_ref().err()).map(|e| e.to_string()).collect();
    let windows: Vec<(usize, usize)> =
        fake.rate_limit_windows().iter().map(|w| (w.succeeded, w.rate_limited)).collect();
    let worst = windows.iter().map(|w| w.1).max().unwrap_or(0);
    assert!(
        worst <= 1 && failed.is_empty(),
        "one client, 30 tasks, a limit of 10 a window: (succeeded, 429s) per window {windows:?}; \
         {} calls failed: {failed:#?}; stats {:?}",
        failed.len(),
        client.stats()
    );
}

/// "and so do several clients or processes of one organization, since they all see the same
/// organization-wide remaining" (the benchmark's own target: at most one 429 a window for each).
#[tokio::test(start_paused = true)]
async fn pacing_several_clients_of_one_organization_in_one_process_stay_under_the_limit() {
    let fake = FakeUsageApi::builder()
        .rate_limit(20, Duration::from_secs(5))
        .latency(Duration::from_millis(50))
        .start()
        .await;
    let clients: Vec<Client> = (0..4)
        .map(|i| {
            Client::builder()
                .token(fake.token())
                .base_url(fake.base_url())
                .user_agent(format!("client-{i}"))
                .build()
                .expect("client")
        })
        .collect();
    // Each client knows the window before the crowd starts (without figures, requests go at
    // once: documented, and not what is probed here).
    for c in &clients {
        c.usage().send().await.expect("prime");
    }
    let primed = fake.request_count();
    let started = Instant::now();
    let tasks = clients.iter().flat_map(|c| (0..4).map(move |_| c.clone())).map(|c| async move {
        let mut errors = Vec::new();
        while Instant::now() - started < Duration::from_secs(30) {
            if let Err(e) = c.usage().send().await {
                errors.push(e.to_string());
            }
        }
        errors
    });
    let errors: Vec<String> = futures::future::join_all(tasks).await.into_iter().flatten().collect();
    // 429s per window, per client.
    let mut per: std::collections::BTreeMap<(i64, String), usize> = Default::default();
    for r in fake.requests().iter().skip(primed) {
        if r.status == 429 {
            let ua = r.header("user-agent").unwrap_or("?").to_string();
            *per.entry((r.rate_limit_reset, ua)).or_default() += 1;
        }
    }
    let worst = per.values().copied().max().unwrap_or(0);
    let windows: Vec<(u64, usize, usize)> =
        fake.rate_limit_windows().iter().map(|w| (w.used, w.succeeded, w.rate_limited)).collect();
    assert!(
        worst <= 1 && errors.is_empty(),
        "4 clients x 4 tasks, 20 calls a 5 s window: most 429s of one client in one window {worst}; \
         429s by (window, client) {per:?}; (used, succeeded, 429s) per window {windows:?}; \
         {} calls failed, e.g. {:?}",
        errors.len(),
        errors.first()
    );
}

/// "one request in flight at a time" while spreading, whatever the number of tasks.
#[tokio::test(start_paused = true)]
async fn pacing_spreading_keeps_one_request_in_flight() {
    let clock = ServerClock::new();
    let reset = clock.after(40);
    let latency = Duration::from_millis(400);
    let server = RawServer::start(move |req: &Request| {
        let mut headers = figures(240, 30u64.saturating_sub(req.index as u64), reset);
        headers.push(("Date".into(), clock.date(req.at, 0)));
        Reply::raw(Vec::new())
            .then_sleep(latency)
            .then_write(with_headers(200, headers).json(&usage_json()).to_bytes())
    })
    .await;
    let client = client(&server);
    client.usage().send().await.expect("first call");
    let calls = (0..12).map(|_| {
        let c = client.clone();
        async move { c.usage().send().await }
    });
    for r in futures::future::join_all(calls).await {
        r.expect("a call");
    }
    let at: Vec<Instant> = server.requests().iter().map(|r| r.at).collect();
    let overlapping = at.windows(2).filter(|w| w[1] - w[0] < latency).count();
    assert_eq!(
        overlapping,
        0,
        "requests sent while another was in flight, arrivals {:?}",
        at.iter().map(|t| *t - at[0]).collect::<Vec<_>>()
    );
}

// ---------------------------------------------------------------------------------------------
// Retry-After and waits.

/// "Retry-After is believed at any length (it is capped at a week): one longer than max_wait
/// gives up at once". RFC 9110's delta-seconds is `1*DIGIT`, with no bound; a value past what a
/// u64 holds is the longest wait there is (RFC 9111 §1.2.2: take the greatest integer it can
/// represent), not no wait at all. Also u64::MAX and a date in year 9999, for comparison.
#[tokio::test(start_paused = true)]
async fn retry_after_beyond_u64_gives_up_after_one_request() {
    let mut failures = Vec::new();
    for value in [
        "99999999999999999999",
        "18446744073709551616",
        "18446744073709551615",
        "Fri, 31 Dec 9999 23:59:59 GMT",
    ] {
        let v = value.to_string();
        let server = RawServer::start(move |req: &Request| {
            if req.index < 5 {
                too_many_with(vec![("Retry-After".into(), v.clone())])
            } else {
                ok_with(Vec::new())
            }
        })
        .await;
        let result = client(&server).usage().send().await;
        let week = Duration::from_secs(7 * 86_400 - 1);
        match result {
            Err(e) if server.count() == 1 && e.retry_after().is_some_and(|w| w >= week) => {}
            other => failures.push(format!(
                "Retry-After: {value}: {} requests sent, retry_after {:?}, {}",
                server.count(),
                other.as_ref().err().and_then(|e| e.retry_after()),
                match &other {
                    Ok(_) => "then succeeded".to_string(),
                    Err(e) => e.to_string(),
                }
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Retry-After of 0, negative, garbage, a date in the past: backoff, bounded attempts, never
/// hammering (each gap at least half the initial backoff), each wait within max_wait.
#[tokio::test(start_paused = true)]
async fn retry_after_zero_negative_or_garbage_backs_off_within_bounds() {
    for value in ["0", "-1", "-99999999999999999999", "soon", "", "1.5", "Thu, 01 Jan 1970 00:00:00 GMT"] {
        let v = value.to_string();
        let server =
            RawServer::start(move |_: &Request| too_many_with(vec![("Retry-After".into(), v.clone())])).await;
        let client = client(&server);
        let err = client.usage().send().await.expect_err("always 429");
        assert!(err.is_rate_limited(), "{value:?}: {err:?}");
        let at: Vec<Instant> = server.requests().iter().map(|r| r.at).collect();
        assert_eq!(at.len(), 5, "Retry-After {value:?}: five attempts");
        for gap in at.windows(2).map(|w| w[1] - w[0]) {
            assert!(
                gap >= Duration::from_millis(250) && gap <= Duration::from_secs(60),
                "Retry-After {value:?}: gap {gap:?}"
            );
        }
    }
}

/// "A single wait between attempts is at most max_wait (60 s)": a Retry-After of exactly
/// max_wait is waited for (it is not longer than max_wait), but the jitter added to it must not
/// take the wait past max_wait.
#[tokio::test(start_paused = true)]
async fn retry_a_single_wait_is_never_longer_than_max_wait() {
    let server = RawServer::script(vec![
        too_many_with(vec![("Retry-After".into(), "60".into())]),
        ok_with(Vec::new()),
    ])
    .await;
    let client = client(&server);
    client.usage().send().await.expect("retried after 60 s");
    let requests = server.requests();
    let gap = requests[1].at - requests[0].at;
    assert!(
        gap <= Duration::from_secs(60) + Duration::from_millis(2),
        "the wait between attempts was {gap:?}, max_wait 60 s"
    );
}

/// `with_max_wait(Duration::ZERO)` ("never wait"): spreading waits are "never longer than a
/// policy's longest wait at a time", so each is zero; the call must still come to its slot.
/// On paused time (what the README recommends for tests, with the fake) a zero sleep is ready
/// at once, so a client that re-asks the pacer after each zero wait never lets virtual time
/// advance: the call hangs, spinning. The probe gives it three seconds of real time (a thread
/// and a oneshot channel: no timer, since virtual time is what is stuck), then drops it.
#[tokio::test(start_paused = true)]
async fn retry_max_wait_zero_does_not_hang_while_spreading() {
    let clock = ServerClock::new();
    let reset = clock.after(3);
    let server = RawServer::start(move |req: &Request| {
        let mut headers = figures(240, 3u64.saturating_sub(req.index as u64), reset);
        headers.push(("Date".into(), clock.date(req.at, 0)));
        ok_with(headers)
    })
    .await;
    let client = builder(&server)
        .retry_policy(RetryPolicy::default().with_max_wait(Duration::ZERO))
        .build()
        .expect("client");
    client.usage().send().await.expect("first call");
    client.usage().send().await.expect("second call, first slot");
    let (deadline, expired) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(3));
        let _ = deadline.send(());
    });
    let asked = Instant::now();
    let third = tokio::select! {
        r = client.usage().send() => Some(r),
        _ = expired => None,
    };
    let stats = client.stats();
    assert!(
        matches!(third, Some(Ok(_))),
        "the third call, waiting for a spreading slot about a second away, had not finished after 3 s \
         of real time; virtual time advanced {:?}; the client had looked at the pacer {} times ({:?})",
        asked.elapsed(),
        stats.spreading.count,
        third
    );
}

/// Timeouts and waits at the edge of what a Duration holds: no panic.
#[tokio::test(start_paused = true)]
async fn retry_huge_durations_do_not_panic() {
    let server = RawServer::start(|req: &Request| match req.index {
        0 => too_many_with(vec![("Retry-After".into(), "2".into())]),
        1 => Reply::status(503).into(),
        _ => ok_with(Vec::new()),
    })
    .await;
    let client = builder(&server)
        .request_timeout(Duration::MAX)
        .connect_timeout(Duration::MAX)
        .retry_policy(
            RetryPolicy::default()
                .with_max_wait(Duration::MAX)
                .with_initial_backoff(Duration::MAX)
                .with_rate_limited_attempts(u32::MAX),
        )
        .max_body_bytes(usize::MAX)
        .build()
        .expect("client");
    client.usage().send().await.expect("a 429, a 503, then a 200");
}

// ---------------------------------------------------------------------------------------------
// The token echoed back.

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

/// "it appears in no Debug, Display, error, span field or tracing output, even when a server
/// echoes it back": a next link that cannot be followed is an `Error::Pagination` that quotes
/// the link, which is what the server sent, so it must be redacted like every other quote.
#[tokio::test(start_paused = true)]
async fn secret_a_token_echoed_in_an_unusable_next_link_is_not_shown() {
    type Href = fn(&str) -> String;
    let cases: Vec<(&str, Href)> = vec![
        ("no cursor", |t| format!("https://api.thousandeyes.com/v7/usage/units/tests?token={t}")),
        ("an empty cursor", |t| format!("/v7/usage/units/tests?cursor=&session={t}")),
        ("not a URL", |t| format!("http://exa mple.com/{t}?cursor=2")),
    ];
    let mut leaked = Vec::new();
    for (what, href) in cases {
        let server = RawServer::start(move |req: &Request| {
            page(json!([{"testId": "1"}]), json!({"next": {"href": href(&echoed(req))}}))
        })
        .await;
        let err = client(&server).test_units().collect_all().await.expect_err("an unusable next link");
        assert!(matches!(err, Error::Pagination { .. }), "{what}: {err:?}");
        let shown = everything_shown(&err);
        if shown.contains(TOKEN) {
            leaked.push(format!("{what}: {shown}"));
        }
    }
    assert!(leaked.is_empty(), "the echoed token is shown:\n{}", leaked.join("\n"));
}

/// The same for a cursor that repeats: the error names the cursor, which the server sent.
#[tokio::test(start_paused = true)]
async fn secret_a_token_echoed_as_a_repeated_cursor_is_not_shown() {
    let server = RawServer::start(|req: &Request| {
        let t = echoed(req);
        page(
            json!([{"testId": req.index.to_string()}]),
            json!({"next": {"href": format!("/v7/usage/units/tests?cursor={t}")}}),
        )
    })
    .await;
    let err = client(&server).test_units().collect_all().await.expect_err("a repeated cursor");
    assert!(matches!(err, Error::Pagination { .. }), "{err:?}");
    let shown = everything_shown(&err);
    assert!(!shown.contains(TOKEN), "the echoed token is shown: {shown}");
}

/// A cursor that carries the echoed token is sent back in the query of the next request (to the
/// configured base URL only, as it should); the call's span field `url.full` and its log lines
/// must not show it.
#[tokio::test(start_paused = true)]
async fn secret_a_token_echoed_in_a_cursor_is_not_in_span_fields_or_logs() {
    let log = Captured::default();
    let _guard = log.install(true);
    let server = two_pages(|req: &Request| {
        let t = echoed(req);
        page(
            json!([{"testId": "1"}]),
            json!({"next": {"href": format!("/v7/usage/units/tests?cursor=s-{t}")}}),
        )
    })
    .await;
    let items = client(&server).test_units().collect_all().await.expect("two pages");
    assert_eq!(items.len(), 2);
    let text = log.text();
    assert!(text.contains("url.full"), "the spans were captured:\n{text}");
    let lines: Vec<&str> = text.lines().filter(|l| l.contains(TOKEN)).collect();
    assert!(lines.is_empty(), "the echoed token is in the tracing output:\n{}", lines.join("\n"));
}

/// A next link to another origin is logged with its host. A server that puts the (lower-case,
/// UUID-like, like ThousandEyes' own) token in that host gets it logged.
#[tokio::test(start_paused = true)]
async fn secret_a_token_echoed_as_the_host_of_a_next_link_is_not_logged() {
    const UUID_TOKEN: &str = "e0a4a1b2-5c6d-4e7f-8a9b-0c1d2e3f4a5b";
    let log = Captured::default();
    let _guard = log.install(true);
    let server = two_pages(|req: &Request| {
        let t = echoed(req);
        page(
            json!([{"testId": "1"}]),
            json!({"next": {"href": format!("https://{t}.example.net/v7/usage/units/tests?cursor=two")}}),
        )
    })
    .await;
    let client = Client::builder().token(UUID_TOKEN).base_url(server.base_url()).build().expect("client");
    let items = client.test_units().collect_all().await.expect("two pages");
    assert_eq!(items.len(), 2);
    let text = log.text();
    let lines: Vec<&str> = text.lines().filter(|l| l.contains(UUID_TOKEN)).collect();
    assert!(lines.is_empty(), "the echoed token is in the tracing output:\n{}", lines.join("\n"));
}

/// A token with `/` and `+` (base64-like bearer tokens) echoed by a server whose JSON writer
/// escapes `/` as `\/` (PHP's `json_encode`, some Java writers do), or percent-encoded in
/// lower-case hex: the excerpt an error quotes must not show it either.
#[tokio::test(start_paused = true)]
async fn secret_a_token_echoed_json_escaped_or_in_lower_case_hex_is_not_shown() {
    const SLASHED: &str = "adv/tok3n+Hq8sW4mZ2x=";
    const TAIL: &str = "Hq8sW4mZ2x"; // a part of it that no escaping changes
    let server = RawServer::start(|req: &Request| {
        let t = echoed(req);
        let body = if req.index == 0 {
            format!(r#"{{"title":"Bad Request","detail":"token {} is not valid"}}"#, t.replace('/', "\\/"))
        } else {
            let hex: String = t
                .bytes()
                .map(
                    |b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02x}") },
                )
                .collect();
            format!(r#"{{"title":"Bad Request","instance":"/v7/usage?token={hex}"}}"#)
        };
        Reply::status(400).header("Content-Type", "application/problem+json").body(body).into()
    })
    .await;
    let client = Client::builder().token(SLASHED).base_url(server.base_url()).build().expect("client");
    let mut leaked = Vec::new();
    for what in ["JSON-escaped", "lower-case percent-encoded"] {
        let err = client.usage().send().await.expect_err("400");
        let shown = everything_shown(&err);
        if shown.contains(TAIL) {
            leaked.push(format!("{what}: {shown}"));
        }
    }
    assert!(leaked.is_empty(), "the echoed token is shown:\n{}", leaked.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Listings: no silent truncation.

/// "A listing ends when the server says there is no next page ... never a silent end": a page
/// whose JSON names `next` (or `_links`) twice, once with a usable link, has a next link; the
/// listing must follow it or fail, not end quietly after page 1.
#[tokio::test(start_paused = true)]
async fn listing_duplicate_keys_do_not_end_a_listing_silently() {
    let cases = [
        (
            "next twice, the link first",
            r#"{"breakdowns":[{"testId":"1"}],"_links":{"next":{"href":"/v7/usage/units/tests?cursor=two"},"next":null}}"#,
        ),
        (
            "next twice, the link last",
            r#"{"breakdowns":[{"testId":"1"}],"_links":{"next":null,"next":{"href":"/v7/usage/units/tests?cursor=two"}}}"#,
        ),
        (
            "_links twice, the link first",
            r#"{"breakdowns":[{"testId":"1"}],"_links":{"next":{"href":"/v7/usage/units/tests?cursor=two"}},"_links":{}}"#,
        ),
        (
            "_links twice, the link last",
            r#"{"breakdowns":[{"testId":"1"}],"_links":{},"_links":{"next":{"href":"/v7/usage/units/tests?cursor=two"}}}"#,
        ),
    ];
    let mut silent = Vec::new();
    for (what, first) in cases {
        let server = two_pages(move |_: &Request| {
            Reply::status(200).header("Content-Type", "application/hal+json").body(first).into()
        })
        .await;
        match client(&server).test_units().collect_all().await {
            Ok(items) if items.len() == 1 => {
                silent.push(format!("{what}: ended after page 1, 1 item, {} request", server.count()))
            }
            Ok(items) => assert_eq!(items.len(), 2, "{what}"),
            Err(_) => {}
        }
    }
    assert!(silent.is_empty(), "silent ends:\n{}", silent.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Transport and decoding.

/// A chunked body (no Content-Length) of exactly `max_body_bytes` is read; one byte more is
/// `BodyTooLarge`, in many small chunks too.
#[tokio::test(start_paused = true)]
async fn transport_a_chunked_body_at_the_limit_is_read_and_one_byte_more_is_refused() {
    fn chunked(body: &[u8], chunk: usize) -> Reply {
        let mut out =
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                .to_vec();
        for c in body.chunks(chunk) {
            out.extend_from_slice(format!("{:x}\r\n", c.len()).as_bytes());
            out.extend_from_slice(c);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"0\r\n\r\n");
        Reply::raw(out)
    }
    let body = usage_json().to_string().into_bytes();
    let len = body.len();
    for chunk in [1, 7, len] {
        let b = body.clone();
        let server = RawServer::start(move |_: &Request| chunked(&b, chunk)).await;
        let exact = builder(&server).max_body_bytes(len).build().expect("client");
        exact
            .usage()
            .send()
            .await
            .unwrap_or_else(|e| panic!("chunks of {chunk}: a body of exactly the limit: {e}"));
        let short = builder(&server).max_body_bytes(len - 1).build().expect("client");
        let err = short.usage().send().await.expect_err("one byte over");
        assert!(
            matches!(err, Error::BodyTooLarge { limit, .. } if limit == len - 1),
            "chunks of {chunk}: {err:?}"
        );
    }
}

/// "an answer body over max_body_bytes is refused, not buffered", and for an error status "cut
/// at the body limit": a 503 with a body far over the limit (200 kB, limit 256 B) is cut (its
/// excerpt bounded), its connection not reused half-read, and the GET retried to success.
#[tokio::test(start_paused = true)]
async fn transport_an_error_body_over_the_limit_is_cut_and_the_retry_succeeds() {
    let server = RawServer::start(|req: &Request| {
        if req.index == 0 {
            let body = format!(r#"{{"title":"Service Unavailable","detail":"{}"}}"#, "x".repeat(200_000));
            Reply::status(503).header("Content-Type", "application/problem+json").body(body).into()
        } else {
            ok_with(Vec::new())
        }
    })
    .await;
    let c = builder(&server).max_body_bytes(256).build().expect("client");
    let usage = c.usage().send().await.expect("retried after the 503");
    assert_eq!(usage.cloud_units_used, Some(42));
    assert_eq!(server.count(), 2);
    let server2 = RawServer::start(|_: &Request| {
        let body = format!(r#"{{"title":"Service Unavailable","detail":"{}"}}"#, "x".repeat(200_000));
        Reply::status(503).header("Content-Type", "application/problem+json").body(body).into()
    })
    .await;
    let err = builder(&server2)
        .max_body_bytes(256)
        .retry_policy(RetryPolicy::disabled())
        .build()
        .expect("client")
        .usage()
        .send()
        .await
        .expect_err("503");
    assert_eq!(err.status(), Some(503), "{err:?}");
    let excerpt_len = err.as_api().map(|a| format!("{a:?}").len()).unwrap_or(0);
    assert!(excerpt_len < 2_000, "the error quotes {excerpt_len} bytes of a body cut at 256");
}

/// "UnexpectedBody: a 2xx that ... came compressed without being asked (content_encoding)":
/// however the server spells the encoding, in one header or two.
#[tokio::test(start_paused = true)]
async fn decode_a_compressed_answer_is_reported_as_compressed_however_the_encoding_is_spelled() {
    let gz: Vec<u8> =
        vec![0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xab, 0xae, 0x05, 0x00];
    let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("gzip", vec![("Content-Encoding", "gzip")]),
        ("GZIP with spaces", vec![("Content-Encoding", " GZIP ")]),
        ("identity, gzip", vec![("Content-Encoding", "identity, gzip")]),
        (
            "two headers: identity then gzip",
            vec![("Content-Encoding", "identity"), ("Content-Encoding", "gzip")],
        ),
        ("x-gzip", vec![("Content-Encoding", "x-gzip")]),
    ];
    let mut misreported = Vec::new();
    for (what, headers) in cases {
        let mut response = Reply::status(200).header("Content-Type", "application/hal+json");
        for (k, v) in headers {
            response = response.header(k, v);
        }
        let reply: Reply = response.body(gz.clone()).into();
        let server = RawServer::script(vec![reply]).await;
        let err = client(&server).usage().send().await.expect_err("compressed");
        if !matches!(err, Error::UnexpectedBody { content_encoding: Some(_), .. }) {
            misreported.push(format!("{what}: {err}"));
        }
    }
    assert!(misreported.is_empty(), "compressed answers not reported as such:\n{}", misreported.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Configuration.

/// `TE_RATE_LIMIT_SHARE` "in (0, 1]": everything else is a `Config` error naming it; the
/// smallest positive share is accepted and does not stop the client for ever (it waits for each
/// window's reset, one call a window).
#[tokio::test(start_paused = true)]
async fn config_rate_limit_share_edges() {
    for bad in
        ["NaN", "nan", "inf", "-inf", "0", "-0", "0.0", "1.0000001", "2", "1e-400", "0x0.5", "½", "0,5"]
    {
        let err = Client::builder_from_vars([("TE_TOKEN", TOKEN), ("TE_RATE_LIMIT_SHARE", bad)])
            .and_then(|b| b.build())
            .expect_err(bad);
        assert!(
            matches!(&err, Error::Config { setting, .. } if setting == "TE_RATE_LIMIT_SHARE"),
            "{bad:?}: {err:?}"
        );
    }
    for good in [" 0.5 ", "1", "1.0", "5e-324", "0.9999999999999999"] {
        Client::builder_from_vars([("TE_TOKEN", TOKEN), ("TE_RATE_LIMIT_SHARE", good)])
            .and_then(|b| b.build())
            .unwrap_or_else(|e| panic!("{good:?}: {e}"));
    }
    let clock = ServerClock::new();
    let server = RawServer::start(move |req: &Request| {
        let window_end = (clock.secs(req.at, 0) / 10 + 1) * 10;
        let mut headers = figures(240, 239, window_end);
        headers.push(("Date".into(), clock.date(req.at, 0)));
        ok_with(headers)
    })
    .await;
    let client = builder(&server).rate_limit_share(f64::from_bits(1)).build().expect("client");
    for _ in 0..3 {
        client.usage().send().await.expect("one call a window");
    }
    assert_eq!(server.count(), 3);
}

/// Base URLs with trailing slashes, surrounding white space, or a loopback host spelled
/// otherwise: requests go to `<base>/usage`.
#[tokio::test(start_paused = true)]
async fn config_base_url_spellings_reach_the_right_path() {
    let server = RawServer::start(|_: &Request| ok_with(Vec::new())).await;
    let port = server.addr().port();
    for base in [
        format!("http://127.0.0.1:{port}/v7/"),
        format!("http://127.0.0.1:{port}/v7//"),
        format!("  http://127.0.0.1:{port}/v7\n"),
        format!("http://0x7f.0.0.1:{port}/v7"),
        format!("http://127.1:{port}/v7"),
        format!("HTTP://127.0.0.1:{port}/v7"),
    ] {
        let before = server.count();
        let client = Client::builder()
            .token(TOKEN)
            .base_url(base.clone())
            .build()
            .unwrap_or_else(|e| panic!("{base:?}: {e}"));
        client.usage().send().await.unwrap_or_else(|e| panic!("{base:?}: {e}"));
        let requests = server.requests();
        assert_eq!(requests.len(), before + 1);
        assert_eq!(requests.last().expect("one").path(), "/v7/usage", "{base:?}");
    }
}
