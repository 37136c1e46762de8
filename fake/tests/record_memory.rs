//! The fake's memory over thousands of requests in one process: what it keeps of each request it
//! records, and the bound on its record. Bytes held are counted by a counting allocator
//! (`support/counting_alloc.rs`, shared with the benchmark) rather than read from the RSS: the count is exact and the
//! same on every run, where the RSS moves with the allocator's caching and the machine (the RSS
//! over 100,000 requests is the `fake_memory` benchmark's, in `tests/benches/`).
//!
//! The tests here measure one at a time ([`measuring`]): the count is the whole process's.

use std::sync::atomic::Ordering;
use std::sync::{Mutex, MutexGuard};

use serde_json::json;
use thousandeyes_usage_fake::{FakeUsageApi, FakeUsageApiBuilder, Operation};

#[path = "support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::HELD as CURRENT;

/// Held by the test that is measuring, so that no other test of this binary allocates meanwhile.
fn measuring() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A runtime of one thread, built after [`measuring`] is held.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

/// Each round sends these, as a client of the API does: the usage, a listing page with a range,
/// the quotas, and a quota POST with a JSON body.
const ROUND: usize = 4;

/// Sends `rounds` rounds of [`ROUND`] requests to `fake`, each answered 2xx, and reads every
/// answer whole.
async fn send_rounds(fake: &FakeUsageApi, http: &reqwest::Client, rounds: usize) {
    let get = |path: &str| http.get(fake.url(path)).bearer_auth(fake.token());
    for _ in 0..rounds {
        let requests = [
            get("/usage?expand=test,enterprise-agent-unit"),
            get("/usage/units/tests?startDate=2024-05-01T00%3A00%3A00Z&endDate=2024-05-15T10%3A00%3A00Z"),
            get("/quotas"),
            http.post(fake.url("/quotas/account-groups/assign")).bearer_auth(fake.token()).json(&json!({
                "organizations": [{"orgId": "1001", "accountGroups": [{"aid": "1234", "value": 5000}]}]
            })),
        ];
        for request in requests {
            let answer = request.send().await.expect("answer");
            assert!(answer.status().is_success(), "{}", answer.status());
            answer.bytes().await.expect("body");
        }
    }
}

/// The bytes the process holds after `rounds` rounds, less those it held after a warm-up round
/// (connection, buffers, the fake's first window): what the requests added.
fn growth_over(builder: FakeUsageApiBuilder, rounds: usize) -> (usize, FakeUsageApi) {
    let rt = runtime();
    rt.block_on(async {
        // A window that no round uses up.
        let fake = builder.rate_limit(1_000_000, std::time::Duration::from_secs(60)).start().await;
        let http = reqwest::Client::builder()
            .no_proxy()
            // The client's own User-Agent, the header every recorded request carries.
            .user_agent(concat!("thousandeyes-usage-rust/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("client");
        send_rounds(&fake, &http, 1).await;
        let before = CURRENT.load(Ordering::SeqCst);
        send_rounds(&fake, &http, rounds).await;
        let after = CURRENT.load(Ordering::SeqCst);
        (after.saturating_sub(before), fake)
    })
}

#[test]
fn four_thousand_requests_grow_the_fakes_memory_by_less_than_a_kilobyte_each() {
    let _one_at_a_time = measuring();
    let requests = 4_000;
    let (growth, fake) = growth_over(FakeUsageApi::builder(), requests / ROUND);
    let per_request = growth / requests;
    println!("{requests} requests to the fake: {growth} bytes more held, {per_request} bytes a request");
    assert!(
        per_request < 1024,
        "{requests} requests grew the bytes held by {growth} ({per_request} a request)"
    );
    assert_eq!(fake.request_count(), requests + ROUND);
    assert_eq!(fake.requests_for(Operation::GetQuotas).last().map(|r| r.status.as_u16()), Some(200));
}

#[test]
fn a_recorded_request_keeps_under_a_kilobyte_not_the_servers_read_buffer() {
    let _one_at_a_time = measuring();
    let requests = 4_000;
    let (growth, fake) = growth_over(FakeUsageApi::builder().record_limit(usize::MAX), requests / ROUND);
    let per_request = growth / requests;
    println!("{requests} requests, all kept: {growth} bytes more held, {per_request} bytes a request");
    assert_eq!(fake.requests().len(), requests + ROUND, "every request kept");
    assert!(per_request < 1024, "each request kept costs {per_request} bytes");
}

#[test]
fn past_its_bound_the_record_holds_no_more_memory() {
    let _one_at_a_time = measuring();
    let limit = 200;
    let rt = runtime();
    let (filled, more) = rt.block_on(async {
        let fake = FakeUsageApi::builder()
            .record_limit(limit)
            .rate_limit(1_000_000, std::time::Duration::from_secs(60))
            .start()
            .await;
        let http = reqwest::Client::builder().no_proxy().build().expect("client");
        send_rounds(&fake, &http, limit / ROUND + 1).await;
        let filled = CURRENT.load(Ordering::SeqCst);
        send_rounds(&fake, &http, 1_000).await;
        let more = CURRENT.load(Ordering::SeqCst);
        assert_eq!(fake.requests().len(), limit);
        (filled, more)
    });
    let growth = more.saturating_sub(filled);
    println!("4,000 requests past a full record of {limit}: {growth} bytes more held");
    assert!(growth < 16 * 1024, "4,000 requests past the bound grew the bytes held by {growth}");
}
