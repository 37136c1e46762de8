//! Unit tests of `strategy.rs`: what was observed in, the decision out. In virtual time, with
//! jitter off, so that every wait is exact.

use std::time::Duration;

use http::{HeaderMap, HeaderValue};
use tokio::time::Instant;

use super::*;
use crate::clock::Clock;
use crate::rate_limit;

const SECOND: Duration = Duration::from_secs(1);

/// The policy of these tests: the defaults (5 attempts on 429, 3 on transient failures, waits of
/// at most 60 s, backoff from 500 ms), without jitter.
fn policy() -> RetryPolicy {
    RetryPolicy::default().with_jitter(false)
}

/// What an answer with these headers reports.
fn reported(pairs: &[(&'static str, String)]) -> Reported {
    let mut headers = HeaderMap::new();
    for (name, value) in pairs {
        headers.insert(*name, HeaderValue::from_str(value).expect("a header value"));
    }
    Reported::read(&headers)
}

/// An answer's headers asking for a wait of `secs` seconds (`Retry-After`).
fn retry_after(secs: u64) -> Reported {
    reported(&[("retry-after", secs.to_string())])
}

/// An answer's headers saying that `remaining` calls of 240 are left, in a window resetting
/// `reset_in` seconds from `pacer`'s now (on clocks that agree, on a whole second).
fn window_of(pacer: &Pacer, remaining: u64, reset_in: u64) -> Reported {
    let clock = pacer.clock();
    let now = clock.epoch_at(clock.now()).round() as u64;
    reported(&[
        (rate_limit::LIMIT, "240".into()),
        (rate_limit::REMAINING, remaining.to_string()),
        (rate_limit::RESET, (now + reset_in).to_string()),
        ("date", httpdate::fmt_http_date(std::time::UNIX_EPOCH + Duration::from_secs(now))),
    ])
}

fn pacer() -> Pacer {
    Pacer::new(Clock::new(), 1.0)
}

/// Waits (in virtual time) until `pacer`'s clock reads a whole second.
async fn on_a_whole_second(pacer: &Pacer) {
    let clock = pacer.clock();
    let fraction = clock.epoch_at(clock.now()).fract();
    tokio::time::sleep(Duration::from_secs_f64((1.0 - fraction) % 1.0)).await;
}

/// An answer of `status` with `reported`, received now.
fn answer(status: u16, reported: &Reported) -> Observed<'_> {
    Observed::Answer { status, reported, received: Instant::now() }
}

/// One attempt's observation, and the decision it calls for: `after_attempt` in, `after` out.
struct AfterCase {
    name: &'static str,
    method: &'static str,
    policy: RetryPolicy,
    /// Attempts that ended as `observed` before the one decided on.
    earlier: u32,
    observed: Result<(u16, Reported), Outcome>,
    after: After,
}

/// A GET's first attempt, by the default policy without jitter.
fn after(name: &'static str, observed: Result<(u16, Reported), Outcome>, after: After) -> AfterCase {
    AfterCase { name, method: "GET", policy: policy(), earlier: 0, observed, after }
}

impl AfterCase {
    fn post(self) -> Self {
        AfterCase { method: "POST", ..self }
    }
    fn earlier(self, earlier: u32) -> Self {
        AfterCase { earlier, ..self }
    }
    fn policy(self, policy: RetryPolicy) -> Self {
        AfterCase { policy, ..self }
    }
}

/// An answer of `status` whose headers say `reported`.
fn status(status: u16, reported: Reported) -> Result<(u16, Reported), Outcome> {
    Ok((status, reported))
}

fn retry(backoff: Option<Duration>) -> After {
    After::Retry { backoff }
}

fn fail(retry_after: Option<Duration>) -> After {
    After::Fail { retry_after }
}

#[tokio::test(start_paused = true)]
async fn after_an_attempt_the_observed_answer_decides_done_retry_or_fail() {
    let none = Reported::default;
    let backoff = |attempt| Some(policy().backoff(attempt));
    let secs = |n| Some(n * SECOND);
    let cases = [
        after("200", status(200, none()), After::Done),
        after("204 to a POST", status(204, none()), After::Done).post(),
        after("404", status(404, none()), fail(None)),
        after("400 asking for a wait", status(400, retry_after(5)), fail(None)),
        after("501", status(501, none()), fail(None)),
        // Transient: the backoff, or a longer Retry-After; within the attempts and max_wait.
        after("503", status(503, none()), retry(backoff(1))),
        after("500, the second time", status(500, none()), retry(backoff(2))).earlier(1),
        after("503 asking for 10 s", status(503, retry_after(10)), retry(secs(10))),
        after("503 asking for less than the backoff", status(503, retry_after(1)), retry(secs(3)))
            .policy(policy().with_initial_backoff(3 * SECOND)),
        after("503 asking for more than max_wait", status(503, retry_after(120)), fail(secs(120))),
        after("502, attempts used up", status(502, none()), fail(None)).earlier(2),
        after("503, attempts used up, reports its wait", status(503, retry_after(7)), fail(secs(7)))
            .earlier(2),
        after("503 to a POST reports its wait", status(503, retry_after(7)), fail(secs(7))).post(),
        after("500 to a POST", status(500, retry_after(7)), fail(None)).post(),
        // 429, any method: retried when the pacer lets it go, after the server's wait.
        after("429", status(429, retry_after(5)), retry(None)),
        after("429 to a POST", status(429, retry_after(5)), retry(None)).post(),
        after("429 naming no wait", status(429, none()), retry(None)),
        after("429, attempts used up", status(429, retry_after(5)), fail(secs(5))).earlier(4),
        after("429 with retries off", status(429, none()), fail(None)).policy(RetryPolicy::disabled()),
        after("429 asking for more than max_wait", status(429, retry_after(61)), fail(secs(61))),
        // No answer: a failure to connect is retried for every method; one after the request
        // may have reached the server, for GETs only; one a retry cannot mend, never.
        after("connect, POST", Err(Outcome::Connect), retry(backoff(1))).post(),
        after("connect, attempts used up", Err(Outcome::Connect), fail(None)).earlier(2),
        after("connect with retries off", Err(Outcome::Connect), fail(None)).policy(RetryPolicy::disabled()),
        after("timeout", Err(Outcome::Timeout), retry(backoff(1))),
        after("timeout, POST", Err(Outcome::Timeout), fail(None)).post(),
        after("lost connection, the second time", Err(Outcome::Transport), retry(backoff(2))).earlier(1),
        after("lost connection, POST", Err(Outcome::Transport), fail(None)).post(),
        after("TLS or proxy refusal", Err(Outcome::Permanent), fail(None)),
        after("TLS or proxy refusal, POST", Err(Outcome::Permanent), fail(None)).post(),
    ];
    for case in cases {
        let pacer = pacer();
        let strategy = RetryStrategy::new(case.policy.clone());
        let mut call = strategy.call(case.method, &pacer, None);
        let mut decide = || match &case.observed {
            Ok((status, reported)) => call.after_attempt(answer(*status, reported)),
            Err(outcome) => call.after_attempt(Observed::NoAnswer(*outcome)),
        };
        for n in 0..case.earlier {
            assert!(matches!(decide(), After::Retry { .. }), "{}: earlier attempt {n}", case.name);
        }
        assert_eq!(decide(), case.after, "{}", case.name);
    }
}

/// The state a case puts the client in before the decision.
#[derive(Debug, Clone, Copy)]
enum Setup {
    Nothing,
    /// The pacer holds every request for this many seconds (a 429's reset).
    Held(u64),
    /// An answer said this many calls remain of 240, in a window resetting in this many seconds.
    Window {
        remaining: u64,
        reset_in: u64,
    },
    /// A call of this client gave up on 429s, the server asking for this long.
    GaveUp(u64),
}

/// The state before an attempt, and the decision it calls for: `before_attempt` in, `before`
/// out.
struct BeforeCase {
    name: &'static str,
    policy: RetryPolicy,
    setup: Setup,
    /// Requests of the client in flight (sent, not landed).
    in_flight: u32,
    before: Before,
}

/// The first attempt of a GET with nothing else in flight, by the default policy without
/// jitter.
fn before(name: &'static str, setup: Setup, before: Before) -> BeforeCase {
    BeforeCase { name, policy: policy(), setup, in_flight: 0, before }
}

impl BeforeCase {
    fn in_flight(self, in_flight: u32) -> Self {
        BeforeCase { in_flight, ..self }
    }
    fn max_wait(self, wait: Duration) -> Self {
        BeforeCase { policy: self.policy.clone().with_max_wait(wait), ..self }
    }
}

fn wait(secs: u64, reason: Reason) -> Before {
    Before::Wait { wait: Duration::from_secs(secs), reason }
}

fn refuse(reason: NotSentReason, secs: u64) -> Before {
    Before::Refuse { reason, wait: Duration::from_secs(secs) }
}

/// `decision` with its wait to a hundredth of a second: the window's reset is a whole second of
/// the server's clock, which the local clock reaches within a millisecond (tokio's timers tick
/// by milliseconds).
fn to_a_hundredth(decision: Before) -> Before {
    let round = |d: Duration| Duration::from_millis((d.as_secs_f64() * 100.0).round() as u64 * 10);
    match decision {
        Before::Wait { wait, reason } => Before::Wait { wait: round(wait), reason },
        Before::Refuse { reason, wait } => Before::Refuse { reason, wait: round(wait) },
        go => go,
    }
}

#[tokio::test(start_paused = true)]
async fn before_an_attempt_the_state_of_the_window_decides_go_wait_or_refuse() {
    use NotSentReason::{GaveUp, WindowClosed};
    use Reason::{AfterRateLimit, Spreading, WindowUsedUp};
    let window = |remaining, reset_in| Setup::Window { remaining, reset_in };
    let cases = [
        before("nothing known", Setup::Nothing, Before::Go { seq: 1, attempt: 1 }),
        before("plenty left", window(200, 30), Before::Go { seq: 5, attempt: 1 }).in_flight(3),
        // A closed window: waited for within max_wait, refused beyond it.
        before("held 10 s", Setup::Held(10), wait(10, AfterRateLimit)),
        before("held 60 s, max_wait 60 s", Setup::Held(60), wait(60, AfterRateLimit)),
        before("held 90 s, max_wait 60 s", Setup::Held(90), refuse(WindowClosed, 90)),
        before("held 10 s, max_wait 5 s", Setup::Held(10), refuse(WindowClosed, 10)).max_wait(5 * SECOND),
        before("used up, resets in 20 s", window(0, 20), wait(20, WindowUsedUp)),
        before("used up, resets in 90 s", window(0, 90), refuse(WindowClosed, 90)),
        // Spreading is the client's own choice: never refused, at most max_wait at a time. Ten
        // calls left for 20 s, the last one just gone: the next in 2 s.
        before("little left", window(10, 20), wait(2, Spreading)).in_flight(1),
        before("little left, max_wait 1 s", window(10, 20), wait(1, Spreading)).in_flight(1).max_wait(SECOND),
        // A client that gave up sends nothing until the reset.
        before("gave up, 30 s to the reset", Setup::GaveUp(30), refuse(GaveUp, 30)),
    ];
    for case in cases {
        let pacer = pacer();
        on_a_whole_second(&pacer).await;
        let strategy = RetryStrategy::new(case.policy.clone());
        let disabled = RetryPolicy::disabled();
        match case.setup {
            Setup::Nothing => {}
            Setup::Held(secs) => pacer.hold_until(Instant::now() + Duration::from_secs(secs)),
            Setup::Window { remaining, reset_in } => {
                let Decision::Go { seq } = pacer.decide(&mut None) else {
                    panic!("{}: the first goes", case.name)
                };
                let now = Instant::now();
                pacer.observe(&window_of(&pacer, remaining, reset_in), 200, seq, now, now);
                drop(pacer.landing());
            }
            Setup::GaveUp(secs) => {
                let mut call = strategy.call("GET", &pacer, Some(&disabled));
                let gave_up = call.after_attempt(answer(429, &retry_after(secs)));
                assert_eq!(gave_up, fail(Some(Duration::from_secs(secs))), "{}", case.name);
            }
        }
        let landings: Vec<_> = (0..case.in_flight)
            .map(|_| {
                assert!(matches!(pacer.decide(&mut None), Decision::Go { .. }), "{}: in flight", case.name);
                pacer.landing()
            })
            .collect();
        let mut call = strategy.call("GET", &pacer, None);
        assert_eq!(to_a_hundredth(call.before_attempt(&mut None)), case.before, "{}", case.name);
        drop(landings);
    }
}

#[tokio::test(start_paused = true)]
async fn the_waits_for_a_closed_window_are_refused_once_the_calls_attempts_could_not_wait_longer() {
    // Two attempts on 429 of at most 10 s each: 20 s of waiting for closed windows in all.
    let policy = policy().with_rate_limited_attempts(2).with_max_wait(10 * SECOND);
    let pacer = pacer();
    let strategy = RetryStrategy::new(policy);
    let mut call = strategy.call("GET", &pacer, None);
    let mut decisions = Vec::new();
    for _ in 0..3 {
        let until = Instant::now() + 8 * SECOND;
        pacer.hold_until(until);
        decisions.push(call.before_attempt(&mut None));
        tokio::time::sleep_until(until).await;
    }
    let held = Before::Wait { wait: 8 * SECOND, reason: Reason::AfterRateLimit };
    let refused = Before::Refuse { reason: NotSentReason::WindowClosed, wait: 8 * SECOND };
    assert_eq!(decisions, [held, held, refused]);
}

#[tokio::test(start_paused = true)]
async fn a_call_that_gives_up_on_429s_holds_the_pacer_and_closes_the_client_until_the_reset() {
    let pacer = pacer();
    let strategy = RetryStrategy::new(policy().with_rate_limited_attempts(1));
    let received = Instant::now();
    let mut call = strategy.call("GET", &pacer, None);
    assert_eq!(
        call.after_attempt(answer(429, &retry_after(30))),
        After::Fail { retry_after: Some(30 * SECOND) }
    );
    // The organization's other clients here hold until the reset; this client refuses until then.
    assert_eq!(
        pacer.decide(&mut None),
        Decision::Wait { until: received + 30 * SECOND, reason: Reason::AfterRateLimit }
    );
    let default = RetryPolicy::default();
    let mut next = strategy.call("POST", &pacer, Some(&default));
    assert_eq!(
        next.before_attempt(&mut None),
        Before::Refuse { reason: NotSentReason::GaveUp, wait: 30 * SECOND }
    );
    tokio::time::sleep(30 * SECOND).await;
    assert_eq!(next.before_attempt(&mut None), Before::Go { seq: 1, attempt: 1 });
}

#[tokio::test(start_paused = true)]
async fn a_429_to_be_retried_holds_the_pacer_for_the_servers_wait_or_a_backoff() {
    for (reported, hold) in [(retry_after(5), 5 * SECOND), (Reported::default(), policy().backoff(1))] {
        let pacer = pacer();
        let strategy = RetryStrategy::new(policy());
        let received = Instant::now();
        let mut call = strategy.call("GET", &pacer, None);
        assert_eq!(call.after_attempt(answer(429, &reported)), After::Retry { backoff: None });
        assert_eq!(
            pacer.decide(&mut None),
            Decision::Wait { until: received + hold, reason: Reason::AfterRateLimit }
        );
        // Not given up: the client's next call waits as the pacer says, it is not refused.
        let mut next = strategy.call("GET", &pacer, None);
        assert_eq!(
            next.before_attempt(&mut None),
            Before::Wait { wait: hold, reason: Reason::AfterRateLimit }
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_calls_own_policy_wins_over_the_clients() {
    let pacer = pacer();
    let strategy = RetryStrategy::new(policy());
    let disabled = RetryPolicy::disabled();
    let mut own = strategy.call("GET", &pacer, Some(&disabled));
    assert_eq!(own.after_attempt(Observed::NoAnswer(Outcome::Connect)), After::Fail { retry_after: None });
    let mut clients = strategy.call("GET", &pacer, None);
    assert_eq!(
        clients.after_attempt(Observed::NoAnswer(Outcome::Connect)),
        After::Retry { backoff: Some(policy().backoff(1)) }
    );
}

#[tokio::test(start_paused = true)]
async fn attempts_are_numbered_from_one_as_they_go() {
    let pacer = pacer();
    let strategy = RetryStrategy::new(policy());
    let mut call = strategy.call("GET", &pacer, None);
    assert_eq!(call.attempt(), 1);
    assert_eq!(call.before_attempt(&mut None), Before::Go { seq: 1, attempt: 1 });
    assert_eq!(call.attempt(), 2);
    assert_eq!(call.before_attempt(&mut None), Before::Go { seq: 2, attempt: 2 });
}
