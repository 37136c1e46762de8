//! The report's fetch in real time: `te-usage report` fetches `GET /usage`, `GET /quotas` and
//! every page of both units listings ([`fetch`]) from the fake Usage API answering each request
//! after 100 ms, against the same calls made one after another.
//!
//! ```text
//! cargo bench -p thousandeyes-usage-cli --bench fetch
//! ```
//!
//! The target: everything within 1.1 × the longest chain of pages that must follow one another
//! (a listing's next page is named by the page before it): on the demo data, 5 pages of test
//! units × 100 ms = 0.50 s, so at most 0.55 s, in every run. Each run starts a new fake (a fresh
//! rate-limit window) and a new client (new connections), as `te-usage` does; the fetch and the
//! baseline alternate. Without `--bench` (as `cargo test --benches` runs it) one round of each at
//! 10 ms a request checks the code paths; no target is judged.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use thousandeyes_usage::models::ExpandUsageOptions;
use thousandeyes_usage::Client;
use thousandeyes_usage_cli::fetch::{fetch, Period};
use thousandeyes_usage_fake::FakeUsageApi;

/// The sizes of one run.
struct Config {
    judged: bool,
    latency: Duration,
    rounds: usize,
}

/// One target and what was measured.
struct Verdict {
    target: String,
    wanted: String,
    measured: String,
    pass: Option<bool>,
}

fn main() -> ExitCode {
    let judged = std::env::args().any(|a| a == "--bench");
    let config = if judged {
        Config { judged, latency: Duration::from_millis(100), rounds: 9 }
    } else {
        Config { judged, latency: Duration::from_millis(10), rounds: 1 }
    };
    println!("te-usage fetch benchmark");
    println!("machine: {}", thousandeyes_usage_tests::support::machine());
    println!(
        "fake Usage API in this process, {} ms per answer; tokio multi-thread runtime; {} rounds",
        config.latency.as_millis(),
        config.rounds
    );
    if !judged {
        println!("(smoke run, without --bench: targets not judged)");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("no tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(measure(&config)) {
        Ok(verdicts) => {
            print_summary(&config, &verdicts);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("fetch benchmark failed: {e}");
            ExitCode::FAILURE
        }
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A new fake with `latency`, and a client of it.
async fn fake_and_client(latency: Duration) -> Result<(FakeUsageApi, Client), BoxError> {
    let fake = FakeUsageApi::builder().latency(latency).start().await;
    let client = Client::builder().token(fake.token()).base_url(fake.base_url()).build()?;
    Ok((fake, client))
}

/// The report's fetch: the four calls at once.
async fn concurrent(latency: Duration) -> Result<(Duration, usize, usize), BoxError> {
    let (fake, client) = fake_and_client(latency).await?;
    let started = Instant::now();
    let fetched = fetch(&client, Period::CurrentBillingPeriod, &mut |_| {}).await?;
    let took = started.elapsed();
    let expected = fake.expected_totals();
    if fetched.tests.len() != expected.tests || fetched.agents.len() != expected.agent_entries {
        return Err(format!(
            "fetched {} tests and {} agent entries",
            fetched.tests.len(),
            fetched.agents.len()
        )
        .into());
    }
    Ok((took, fetched.stats.test_page_count, fetched.stats.agent_page_count))
}

/// The baseline: the same calls, one after another.
async fn sequential(latency: Duration) -> Result<Duration, BoxError> {
    let (fake, client) = fake_and_client(latency).await?;
    let started = Instant::now();
    client
        .usage()
        .expand([ExpandUsageOptions::EnterpriseAgent, ExpandUsageOptions::EnterpriseAgentUnit])
        .send()
        .await?;
    client.quotas().send().await?;
    let tests: Vec<_> = client.test_units().pages().try_collect().await?;
    let agents: Vec<_> = client.agent_units().pages().try_collect().await?;
    let took = started.elapsed();
    let expected = fake.expected_totals();
    if tests.len() != expected.test_pages || agents.len() != expected.agent_pages {
        return Err(format!("walked {} and {} pages", tests.len(), agents.len()).into());
    }
    Ok(took)
}

async fn measure(config: &Config) -> Result<Vec<Verdict>, BoxError> {
    let (mut fetches, mut baselines, mut pages) = (Vec::new(), Vec::new(), (0, 0));
    for round in 0..config.rounds {
        let (took, test_pages, agent_pages) = concurrent(config.latency).await?;
        let base = sequential(config.latency).await?;
        println!("round {}: fetch {:.0} ms, one call after another {:.0} ms", round + 1, ms(took), ms(base));
        fetches.push(took);
        baselines.push(base);
        pages = (test_pages, agent_pages);
    }
    fetches.sort();
    baselines.sort();
    let chain = config.latency * u32::try_from(pages.0.max(pages.1))?;
    let bound = chain * 11 / 10;
    let (median, slowest) = (fetches[fetches.len() / 2], fetches[fetches.len() - 1]);
    let base_median = baselines[baselines.len() / 2];
    let calls = 2 + pages.0 + pages.1;
    let speedup = base_median.as_secs_f64() / median.as_secs_f64();
    let wanted_bound = format!("<= {:.0} ms", ms(bound));
    Ok(vec![
        Verdict {
            target: format!("fetch, median of {}", fetches.len()),
            wanted: wanted_bound.clone(),
            measured: format!("{:.0} ms", ms(median)),
            pass: Some(median <= bound),
        },
        Verdict {
            target: format!("fetch, slowest of {}", fetches.len()),
            wanted: wanted_bound,
            measured: format!("{:.0} ms", ms(slowest)),
            pass: Some(slowest <= bound),
        },
        Verdict {
            target: format!("baseline: {calls} calls one after another, median"),
            wanted: "(reference)".into(),
            measured: format!("{:.0} ms", ms(base_median)),
            pass: None,
        },
        Verdict {
            target: "fetch vs baseline, medians".into(),
            wanted: ">= 2.0x".into(),
            measured: format!("{speedup:.2}x"),
            pass: Some(speedup >= 2.0),
        },
        Verdict {
            target: format!(
                "longest chain: {} pages x {} ms",
                pages.0.max(pages.1),
                config.latency.as_millis()
            ),
            wanted: "(bound / 1.1)".into(),
            measured: format!("{:.0} ms", ms(chain)),
            pass: None,
        },
    ])
}

fn print_summary(config: &Config, verdicts: &[Verdict]) {
    println!("\n== Summary");
    println!("{:<44} {:>12} {:>12}  result", "target", "wanted", "measured");
    for v in verdicts {
        let result = match (config.judged, v.pass) {
            (false, _) | (_, None) => "-",
            (true, Some(true)) => "PASS",
            (true, Some(false)) => "MISS",
        };
        println!("{:<44} {:>12} {:>12}  {result}", v.target, v.wanted, v.measured);
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
