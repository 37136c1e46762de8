//! The two listings' pages: absolute next, self and previous links, and cursors that bind the
//! query parameters and must be the fake's own.

use serde_json::Value;
use thousandeyes_usage_fake::FakeUsageApi;

use crate::{all_pages, assert_invalid, get, get_url, items, sum};

#[tokio::test]
async fn listings_are_paginated_with_absolute_cursor_links() {
    let fake = FakeUsageApi::start().await;
    let totals = fake.expected_totals();

    let (pages, urls) = all_pages(&fake, "/usage/units/tests").await;
    assert_eq!(pages.len(), totals.test_pages);
    let tests = items(&pages);
    assert_eq!(tests.len(), totals.tests);
    assert_eq!(sum(&tests, "cloudUnitsUsed"), totals.cloud_units_used);
    let mut ids: Vec<&str> = tests.iter().map(|t| t["testId"].as_str().expect("testId")).collect();
    ids.dedup();
    assert_eq!(ids.len(), totals.tests, "no entry twice");
    assert!(tests.iter().any(|t| t["testName"].as_str().is_some_and(|n| n.contains(','))));
    assert!(tests.iter().any(|t| t.get("cloudUnitsProjected").is_none()), "the new test has no projection");

    // Links: absolute, on the fake, with an opaque cursor; self and previous too.
    for (i, page) in pages.iter().enumerate() {
        let links = &page["_links"];
        assert_eq!(links["self"]["href"], urls[i].as_str());
        if i + 1 < pages.len() {
            let next = links["next"]["href"].as_str().expect("next");
            assert!(next.starts_with(&format!("{}/usage/units/tests?cursor=", fake.base_url())), "{next}");
        } else {
            assert!(links.get("next").is_none());
        }
        match i {
            0 => assert!(links.get("previous").is_none()),
            1 => assert_eq!(links["previous"]["href"], urls[0].as_str()),
            _ => assert_eq!(links["previous"]["href"], urls[i - 1].as_str()),
        }
    }

    let (pages, _) = all_pages(&fake, "/usage/units/enterprise-agents").await;
    assert_eq!(pages.len(), totals.agent_pages);
    let agents = items(&pages);
    assert_eq!(agents.len(), totals.agent_entries);
    assert_eq!(sum(&agents, "enterpriseUnitsUsed"), totals.enterprise_units_used);
    assert_eq!(fake.pages_served(), totals.pages);
    assert_eq!(
        fake.requests().iter().filter_map(|r| r.page).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5, 1, 2, 3, 4]
    );
}

#[tokio::test]
async fn a_cursor_binds_the_query_parameters_and_must_be_one_the_fake_issued() {
    let fake = FakeUsageApi::start().await;
    let first = "/usage/units/tests?aid=1234&startDate=2024-05-01T00%3A00%3A00Z&endDate=2024-05-15T12%3A00%3A00%2B02%3A00";
    let page: Value = get(&fake, first).await.json().await.expect("json");
    let next = page["_links"]["next"]["href"].as_str().expect("next").to_string();
    // The next link carries the parameters and a cursor.
    let url = reqwest::Url::parse(&next).expect("url");
    let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let value = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    assert_eq!(value("aid").as_deref(), Some("1234"));
    assert_eq!(value("startDate").as_deref(), Some("2024-05-01T00:00:00Z"));
    assert_eq!(value("endDate").as_deref(), Some("2024-05-15T12:00:00+02:00"));
    let cursor = value("cursor").expect("cursor");
    assert!(cursor.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{cursor}");
    assert_eq!(get_url(&fake, &next).await.status(), 200);

    // The same instants written otherwise are the same parameters.
    let same = format!(
        "/usage/units/tests?aid=1234&startDate=2024-05-01T02%3A00%3A00%2B02%3A00&endDate=2024-05-15T10%3A00%3A00Z&cursor={cursor}"
    );
    assert_eq!(get(&fake, &same).await.status(), 200);

    // Another account group, or no range: refused.
    let other_aid = format!(
        "/usage/units/tests?aid=1235&startDate=2024-05-01T00%3A00%3A00Z&endDate=2024-05-15T10%3A00%3A00Z&cursor={cursor}"
    );
    let body = assert_invalid(get(&fake, &other_aid).await, "cursor").await;
    assert!(
        body["detail"].as_str().is_some_and(|d| d.contains("other parameters (aid, startDate, endDate)")),
        "{body}"
    );
    assert_invalid(get(&fake, &format!("/usage/units/tests?cursor={cursor}")).await, "cursor").await;
    // Another listing's cursor, a made-up one, an edited one: refused.
    assert_invalid(get(&fake, &format!("/usage/units/enterprise-agents?cursor={cursor}")).await, "cursor")
        .await;
    assert_invalid(get(&fake, "/usage/units/tests?cursor=bm9wZQ").await, "cursor").await;
    assert_invalid(get(&fake, "/usage/units/tests?cursor=").await, "cursor").await;
    let mut edited = cursor.into_bytes();
    let last = edited.len() - 3;
    edited[last] = if edited[last] == b'A' { b'B' } else { b'A' };
    let edited = String::from_utf8(edited).expect("ascii");
    let tampered = format!(
        "/usage/units/tests?aid=1234&startDate=2024-05-01T00%3A00%3A00Z&endDate=2024-05-15T10%3A00%3A00Z&cursor={edited}"
    );
    assert_invalid(get(&fake, &tampered).await, "cursor").await;
}
