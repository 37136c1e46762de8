//! The record of requests and the counters: what a recorded request keeps (never the token), the
//! record's bound, the rate-limit windows kept, and clearing the record.

use std::time::Duration;

use serde_json::json;
use thousandeyes_usage_fake::{FakeUsageApi, Operation, TokenCheck, DEFAULT_TOKEN};

use crate::{all_pages, get, header_i64, http, parts, post};

#[tokio::test(start_paused = true)]
async fn every_request_is_recorded() {
    let fake = FakeUsageApi::start().await;
    assert_eq!(fake.token(), DEFAULT_TOKEN);
    let client = reqwest::Client::builder().no_proxy().user_agent("billing-job/2.1").build().expect("client");
    client
        .get(fake.url("/usage/units/tests?startDate=2024-05-01T00%3A00%3A00%2B02%3A00&aid=1234"))
        .bearer_auth(fake.token())
        .send()
        .await
        .expect("answer");
    tokio::time::sleep(Duration::from_secs(2)).await;
    client
        .post(fake.url("/quotas/unassign"))
        .bearer_auth(fake.token())
        .json(&json!({"organizations": ["1001"]}))
        .send()
        .await
        .expect("answer");
    client.get(fake.url("/nowhere?x=1")).send().await.expect("answer");

    let requests = fake.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(fake.request_count(), 3);
    let [listing, unassign, unknown] = &requests[..] else { panic!("three requests") };
    assert_eq!(listing.sequence, 0);
    assert_eq!((listing.method.as_str(), listing.path.as_str()), ("GET", "/v7/usage/units/tests"));
    assert_eq!(
        listing.query,
        [
            ("startDate".to_string(), "2024-05-01T00:00:00+02:00".to_string()),
            ("aid".to_string(), "1234".to_string())
        ]
    );
    assert_eq!(listing.query_param("aid"), Some("1234"));
    assert_eq!(listing.header("user-agent"), Some("billing-job/2.1"));
    assert_eq!(
        (listing.operation, listing.operation_id()),
        (Some(Operation::GetTestsUnitsUsage), Some("getTestsUnitsUsage"))
    );
    assert_eq!((listing.status.as_u16(), listing.page), (200, Some(1)));
    assert!(listing.token_matched());
    assert!(listing.body.is_empty());
    assert_eq!(listing.rate_limit_remaining, 239);

    assert_eq!(unassign.method, "POST");
    assert_eq!(unassign.status, 204);
    assert_eq!(unassign.body_json().expect("json"), json!({"organizations": ["1001"]}));
    assert_eq!(unassign.header("content-type"), Some("application/json"));
    assert_eq!(unassign.operation, Some(Operation::UnassignOrganizationsQuotas));
    assert!(unassign.arrived_at - listing.arrived_at >= Duration::from_secs(2));

    assert_eq!((unknown.operation, unknown.status.as_u16(), unknown.token), (None, 401, TokenCheck::Missing));
    assert_eq!(unknown.query_param("x"), Some("1"));

    assert_eq!(fake.requests_for(Operation::UnassignOrganizationsQuotas).len(), 1);
    assert_eq!(fake.requests_for(Operation::GetUsage).len(), 0);
    let counts = fake.status_counts();
    assert_eq!((counts[&200], counts[&204], counts[&401]), (1, 1, 1));
    assert_eq!(fake.pages_served(), 1);
}

#[tokio::test]
async fn the_record_keeps_every_header_but_the_token() {
    let fake = FakeUsageApi::start().await;
    let body = r#"{"organizations":["1001"]}"#;
    http()
        .post(fake.url("/quotas/unassign"))
        .bearer_auth(fake.token())
        .header("user-agent", "billing-job/2.1")
        .header("x-correlation-id", "abc-123")
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("answer");
    let request = fake.requests().pop().expect("recorded");
    assert!(request.headers.get("authorization").is_none(), "{:?}", request.headers);
    assert_eq!(request.header("user-agent"), Some("billing-job/2.1"));
    assert_eq!(request.header("x-correlation-id"), Some("abc-123"));
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.header("host"), Some(fake.addr().to_string().as_str()));
    assert_eq!(request.header("content-length"), Some(body.len().to_string().as_str()));
    assert_eq!(request.body, body.as_bytes());
}

/// 25 requests to a fake whose record keeps 10, each kind answered a known number of times:
/// 9 listing pages (200), 5 401s, 3 404s, 4 usage 200s, then 4 429s of a used-up window.
#[tokio::test(start_paused = true)]
async fn past_its_bound_the_record_keeps_the_most_recent_requests_and_the_counters_stay_exact() {
    let fake = FakeUsageApi::builder().record_limit(10).rate_limit(16, Duration::from_secs(60)).start().await;
    let (_, urls) = all_pages(&fake, "/usage/units/tests").await; // 5 pages
    let (_, more) =
        all_pages(&fake, "/usage/units/enterprise-agents?startDate=2024-05-01T00%3A00%3A00Z").await;
    assert_eq!((urls.len(), more.len()), (5, 4));
    for _ in 0..5 {
        assert_eq!(http().get(fake.url("/quotas")).send().await.expect("answer").status(), 401);
    }
    for _ in 0..3 {
        assert_eq!(get(&fake, "/nowhere").await.status(), 404);
    }
    for _ in 0..4 {
        assert_eq!(get(&fake, "/usage").await.status(), 200);
    }
    for _ in 0..4 {
        assert_eq!(get(&fake, "/usage").await.status(), 429, "16 calls of the window used");
    }

    let requests = fake.requests();
    assert_eq!(requests.len(), 10);
    let sequences: Vec<usize> = requests.iter().map(|r| r.sequence).collect();
    assert_eq!(sequences, (15..25).collect::<Vec<_>>(), "the most recent 10, in arrival order");
    assert_eq!(fake.requests_dropped(), 15);
    assert_eq!(fake.request_count(), 25);
    let counts = fake.status_counts();
    assert_eq!(counts.into_iter().collect::<Vec<_>>(), [(200, 13), (401, 5), (404, 3), (429, 4)]);
    assert_eq!(fake.responses_with_status(401), 5, "no 401 is left in the record");
    assert_eq!(fake.pages_served(), 9, "no page is left in the record");
    assert_eq!(fake.rate_limited_responses(), 4);
    assert_eq!(fake.requests_for(Operation::GetTestsUnitsUsage).len(), 0, "pushed out");
    assert_eq!(fake.requests_for(Operation::GetUsage).len(), 8);
    let window = fake.rate_limit_windows().pop().expect("window");
    assert_eq!((window.used, window.succeeded, window.rate_limited, window.answered), (16, 13, 4, 25));
}

#[tokio::test(start_paused = true)]
async fn the_record_keeps_as_many_rate_limit_windows_as_requests_and_at_least_the_current_one() {
    let fake = FakeUsageApi::builder().record_limit(3).rate_limit(1, Duration::from_secs(10)).start().await;
    let mut resets = Vec::new();
    for _ in 0..8 {
        let answer = get(&fake, "/quotas").await;
        assert_eq!(answer.status(), 200);
        resets.push(header_i64(&answer, "x-organization-rate-limit-reset"));
        assert_eq!(get(&fake, "/quotas").await.status(), 429, "one call a window");
        tokio::time::sleep(Duration::from_secs(10)).await;
    }
    let windows = fake.rate_limit_windows();
    assert_eq!(windows.iter().map(|w| w.reset).collect::<Vec<_>>(), resets[5..], "the last three");
    assert!(windows.iter().all(|w| (w.succeeded, w.rate_limited) == (1, 1)), "{windows:?}");
    assert_eq!((fake.request_count(), fake.rate_limited_responses()), (16, 8));

    let none = FakeUsageApi::builder().record_limit(0).rate_limit(1, Duration::from_secs(10)).start().await;
    assert_eq!(get(&none, "/quotas").await.status(), 200);
    assert_eq!(get(&none, "/quotas").await.status(), 429, "the current window is kept, and enforced");
    assert!(none.requests().is_empty());
    assert_eq!((none.request_count(), none.requests_dropped()), (2, 2));
    assert_eq!(none.rate_limit_windows().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn clearing_the_record_keeps_the_counters_the_window_and_the_quotas() {
    let fake = FakeUsageApi::builder().rate_limit(5, Duration::from_secs(60)).start().await;
    assert_eq!(get(&fake, "/usage/units/tests").await.status(), 200);
    let assigned =
        post(&fake, "/quotas/assign", json!({"organizations": [{"orgId": "1001", "value": 7}]})).await;
    assert_eq!(assigned.status(), 200);
    fake.clear_requests();
    assert!(fake.requests().is_empty());
    assert_eq!((fake.request_count(), fake.requests_dropped(), fake.pages_served()), (2, 2, 1));

    let after = get(&fake, "/quotas").await;
    assert_eq!(header_i64(&after, "x-organization-rate-limit-remaining"), 2, "the window goes on");
    let (_, _, body) = parts(after).await;
    assert_eq!(body["quotas"][0]["organizationQuota"]["value"], 7);
    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!((requests[0].sequence, requests[0].path.as_str()), (2, "/v7/quotas"));
    assert_eq!(fake.request_count(), fake.requests().len() + fake.requests_dropped());
}
