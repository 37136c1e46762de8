//! One client shared by 100 tasks, each walking the whole test units listing, against the fake
//! with an organization-wide rate-limit window and 503s on the way: every task gets exactly its
//! items, in order; the client's pacing keeps 429s to what was already in flight and uses the
//! windows whole. Virtual time: the fake runs on the test's runtime and its windows follow
//! tokio's paused clock.
//!
//! The windows last a minute, as the API's do. On the paused clock, tokio moves time on to the next
//! timer whenever the runtime finds nothing ready, also while a request is still in the kernel on
//! its way through loopback (more often on a loaded machine): a request can take virtual time.
//! Beside a minute that drift is small; beside a window of a few seconds it can leave part of a
//! window unused on a loaded machine.

use std::time::Duration;

use thousandeyes_usage::RetryPolicy;
use thousandeyes_usage_fake::{Failure, FakeUsageApi, Operation};
use thousandeyes_usage_tests::support::{builder_of, TOKEN};

const TASKS: usize = 100;
const LIMIT: u64 = 120;
const WINDOW: Duration = Duration::from_secs(60);

#[tokio::test(start_paused = true)]
async fn a_hundred_tasks_get_exactly_their_items_through_rate_limit_windows_and_5xx() {
    let fake = FakeUsageApi::builder()
        .token(TOKEN)
        .rate_limit(LIMIT, WINDOW)
        .fail(Failure::new(Operation::GetTestsUnitsUsage, 503).on_page(2).times(TASKS / 2))
        .start()
        .await;
    let expected: Vec<String> = fake.dataset().test_units.iter().filter_map(|t| t.test_id.clone()).collect();
    let pages = fake.expected_totals().test_pages;
    // Which task meets the scripted 503s depends on the order the tasks run in: with enough
    // attempts, a task that meets several of them still gets its listing.
    let retry =
        RetryPolicy::default().with_transient_attempts(u32::try_from(TASKS / 2 + 1).expect("attempts"));
    let client = builder_of(fake.base_url()).retry_policy(retry).build().expect("client");
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.test_units().collect_all().await })
        })
        .collect();
    for t in tasks {
        let items = t.await.expect("task").expect("every task gets its listing");
        let ids: Vec<_> = items.iter().filter_map(|i| i.test_id.clone()).collect();
        assert_eq!(ids, expected, "no duplicates, no gaps, in order");
    }
    let windows = fake.rate_limit_windows();
    assert!(windows.len() >= (TASKS * pages) / LIMIT as usize, "the work spans several windows");
    for w in &windows {
        assert!(w.succeeded <= LIMIT as usize, "window {w:?} overrun");
        // Only the few requests let go as a window ends, before the next window's figures are
        // known (a quarter of the limit), can be refused: never a burst of every task.
        assert!(w.rate_limited <= (LIMIT as usize).div_ceil(4), "window {w:?}: a burst of 429s");
    }
    let stats = client.stats();
    assert_eq!(fake.responses_with_status(503), TASKS / 2);
    assert!(stats.retry_backoff.count >= (TASKS / 2) as u64, "{stats:?}");
    assert_eq!(stats.rate_limited as usize, fake.rate_limited_responses());
    // Pacing kept to the window: the full windows (all but the first and the last) were used
    // almost whole, and the last calls of each were spread rather than sent in a burst.
    for w in &windows[1..windows.len() - 1] {
        assert!(w.used * 10 >= LIMIT * 9, "a full window at least 90 % used: {w:?}");
    }
    assert!(stats.spreading.count > 0, "{stats:?}");
}
