//! A test a user of the library would write: a small function of their own that uses the client,
//! tested against the fake Usage API (`thousandeyes-usage-fake`).
//!
//! Only the facade's stable surface is used here: `Client::builder().token(..).base_url(..)
//! .build()`, `client.test_units().items()` / `.pages()`, `client.usage().send()`,
//! `client.set_token(..)`, fields of the returned items, and `thousandeyes_usage::Error`.

use std::time::Duration;

use futures::TryStreamExt;
use thousandeyes_usage::{Client, Error};
use thousandeyes_usage_fake::{Failure, FakeUsageApi, Operation, TokenCheck};

/// The user's code under test: the cloud units used by all tests, over every page.
async fn total_cloud_units(client: &Client) -> Result<i64, Error> {
    let mut total = 0;
    let mut tests = client.test_units().items();
    while let Some(test) = tests.try_next().await? {
        total += test.cloud_units_used.unwrap_or(0);
    }
    Ok(total)
}

/// The client as a user builds it for a test against the fake.
fn users_client(fake: &FakeUsageApi) -> Client {
    Client::builder().token(fake.token()).base_url(fake.base_url()).build().expect("client")
}

#[tokio::test]
async fn total_cloud_units_sums_every_page_of_the_seeded_data() {
    let fake = FakeUsageApi::start().await;
    let expected = fake.expected_totals();
    let client = users_client(&fake);

    assert_eq!(total_cloud_units(&client).await.expect("total"), expected.cloud_units_used);
    assert_eq!(fake.pages_served(), expected.test_pages);

    // The organization's own figure agrees.
    let usage = client.usage().send().await.expect("usage");
    assert_eq!(usage.cloud_units_used, Some(expected.cloud_units_used));

    // Page by page, with a page size of our own.
    let small = FakeUsageApi::builder().page_size(7).start().await;
    let pages: Vec<_> = users_client(&small).test_units().pages().try_collect().await.expect("pages");
    assert_eq!(pages.len(), small.expected_totals().test_pages);
    assert_eq!(pages.len(), 12, "81 tests, 7 a page");
    assert_eq!(total_cloud_units(&users_client(&small)).await.expect("total"), expected.cloud_units_used);
}

#[tokio::test]
async fn total_cloud_units_makes_the_requests_we_expect() {
    let fake = FakeUsageApi::start().await;
    let total = total_cloud_units(&users_client(&fake)).await.expect("total");
    assert_eq!(total, fake.expected_totals().cloud_units_used);

    let requests = fake.requests();
    assert_eq!(requests.len(), fake.expected_totals().test_pages, "one request a page, nothing else");
    for (i, request) in requests.iter().enumerate() {
        assert_eq!(request.method, "GET");
        assert_eq!(request.path, "/v7/usage/units/tests");
        assert_eq!(request.operation, Some(Operation::GetTestsUnitsUsage));
        assert_eq!(request.page, Some(i + 1), "pages in order, each once");
        assert_eq!(request.status, 200);
        assert_eq!(request.token, TokenCheck::Matched);
        assert!(request.headers.get("authorization").is_none(), "the token is never recorded");
        // The first page has no cursor; every other one follows the previous page's link.
        assert_eq!(request.query_param("cursor").is_some(), i > 0);
        assert_eq!(request.query_param("aid"), None);
    }
    assert!(requests.windows(2).all(|w| w[0].arrived_at <= w[1].arrived_at));
}

/// Another integration of the organization has used up the rate-limit window: our function's
/// first request is refused with 429, the client waits for the window's reset (virtual time: no
/// real waiting) and carries on, pacing itself through the next windows without another 429.
#[tokio::test(start_paused = true)]
async fn total_cloud_units_waits_out_a_used_up_window() {
    let limit = 4;
    let fake = FakeUsageApi::builder().page_size(20).rate_limit(limit, Duration::from_secs(10)).start().await;
    let expected = fake.expected_totals();
    assert_eq!(expected.test_pages, 5);

    let other = users_client(&fake);
    for _ in 0..limit {
        other.usage().send().await.expect("the other client's calls");
    }
    assert_eq!(fake.rate_limit_windows()[0].used, limit);
    // The other integration is gone (as if another process): a client of this one alive would
    // share its rate-limit state with ours, which would then know the window is used up.
    drop(other);

    let real = std::time::Instant::now();
    let started = tokio::time::Instant::now();
    let total = total_cloud_units(&users_client(&fake)).await.expect("total despite the 429");
    assert_eq!(total, expected.cloud_units_used);

    // One 429, then the client paces itself. The client's clock and the fake's both follow
    // virtual time from the system time each was made at; the real time that passes between the
    // two can put the client's clock some milliseconds ahead, less than the `Date` header's whole
    // seconds can show. Then the first time it waits for a reset it goes that early, is refused
    // once more, and learns from that answer that its clock runs ahead: never a third 429.
    let refusals: Vec<_> = fake.requests().into_iter().filter(|r| r.status == 429).collect();
    assert!((1..=2).contains(&refusals.len()), "{refusals:?}");
    let refused = refusals[0].clone();
    assert_eq!(
        (refused.operation, refused.page, refused.rate_limit_remaining),
        (Some(Operation::GetTestsUnitsUsage), Some(1), 0)
    );
    let windows = fake.rate_limit_windows();
    assert!(windows.len() >= 3, "{windows:?}");
    assert_eq!(windows[0].succeeded, limit as usize);
    // The retry came after the reset: in a later window, after a wait in virtual time.
    let first_page_served = fake
        .requests()
        .into_iter()
        .find(|r| r.page == Some(1) && r.status == 200)
        .expect("first page served");
    assert!(first_page_served.rate_limit_reset > refused.rate_limit_reset);
    assert!(first_page_served.arrived_at > refused.arrived_at);
    assert!(started.elapsed() >= Duration::from_secs(1), "waited {:?}", started.elapsed());
    assert!(real.elapsed() < Duration::from_secs(10), "no real waiting: {:?}", real.elapsed());
}

#[tokio::test]
async fn total_cloud_units_reports_the_api_errors() {
    // A wrong token.
    let fake = FakeUsageApi::start().await;
    let wrong = Client::builder().token("not-the-token").base_url(fake.base_url()).build().expect("client");
    let err: Error = total_cloud_units(&wrong).await.expect_err("401");
    assert!(err.to_string().contains("401"), "{err}");
    assert!(!err.to_string().contains("not-the-token"), "{err}");
    assert_eq!(fake.requests()[0].token, TokenCheck::Wrong);
    assert_eq!(fake.responses_with_status(401), fake.request_count());

    // A listing that breaks on its third page, every time.
    let fake = FakeUsageApi::builder()
        .fail(Failure::new(Operation::GetTestsUnitsUsage, 404).on_page(3).always())
        .start()
        .await;
    assert!(total_cloud_units(&users_client(&fake)).await.is_err());
    let pages: Vec<usize> = fake.requests().iter().filter_map(|r| r.page).collect();
    assert_eq!(pages, [1, 2, 3], "a 404 is not retried, and the listing stops there");
}

/// ThousandEyes regenerates a token and accepts the old one for 14 days more: the user's code
/// keeps working on the old token until it is given the new one (`Client::set_token`), and the
/// fake's record shows when it switched.
#[tokio::test]
async fn after_a_token_rotation_the_old_token_works_until_the_client_switches_and_the_record_shows_when() {
    let mut fake = FakeUsageApi::builder().token("token-before-rotation").start().await;
    let client = users_client(&fake);
    let expected = fake.expected_totals();
    assert_eq!(total_cloud_units(&client).await.expect("total"), expected.cloud_units_used);
    fake.rotate_token("token-after-rotation");
    assert_eq!(total_cloud_units(&client).await.expect("on the old token"), expected.cloud_units_used);
    client.set_token(fake.token()).expect("new token");
    assert_eq!(total_cloud_units(&client).await.expect("on the new token"), expected.cloud_units_used);

    let checks: Vec<TokenCheck> = fake.requests().iter().map(|r| r.token).collect();
    let walk = |check: TokenCheck| vec![check; expected.test_pages];
    assert_eq!(
        checks,
        [walk(TokenCheck::Matched), walk(TokenCheck::Previous), walk(TokenCheck::Matched)].concat()
    );
    assert_eq!(fake.status_counts().get(&200), Some(&(3 * expected.test_pages)));
}
