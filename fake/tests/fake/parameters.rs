//! The query parameters checked as the API checks them: `aid`, the account group a request is
//! made in (not a filter), and the date range.

use serde_json::Value;
use thousandeyes_usage_fake::FakeUsageApi;

use crate::{all_pages, assert_invalid, get, items, parts};

/// `aid` is the account group a request is made in: with any account group of the organization
/// the usage is the organization's and the listing has every test of it, whatever account group
/// owns each; the entries' own `aid` say which.
#[tokio::test]
async fn aid_is_the_account_group_a_request_is_made_in_not_a_filter() {
    let fake = FakeUsageApi::start().await;
    let usage = |aid: Option<&str>| {
        let path =
            aid.map_or("/usage?expand=test".to_string(), |aid| format!("/usage?expand=test&aid={aid}"));
        let fake = &fake;
        async move {
            let body: Value = get(fake, &path).await.json().await.expect("usage");
            body["usage"].clone()
        }
    };
    let whole = usage(None).await;
    let (pages, _) = all_pages(&fake, "/usage/units/tests").await;
    let every_test = items(&pages);
    let owners: std::collections::BTreeSet<&str> =
        every_test.iter().filter_map(|t| t["aid"].as_str()).collect();
    assert_eq!(owners.len(), 5, "the tests of five account groups");

    for aid in owners.clone() {
        assert_eq!(usage(Some(aid)).await, whole, "usage made in {aid}: the organization's");
        let (pages, _) = all_pages(&fake, &format!("/usage/units/tests?aid={aid}")).await;
        let listed = items(&pages);
        assert_eq!(listed, every_test, "listing made in {aid}: every test of the organization");
        assert!(listed.iter().any(|t| t["aid"] != aid), "not only account group {aid}'s tests");
    }
    let (status, _, body) = parts(get(&fake, "/usage/units/tests?aid=4321").await).await;
    assert_eq!(status, 404);
    assert!(body["detail"].as_str().is_some_and(|d| d.contains("4321")), "{body}");
}

#[tokio::test]
async fn dates_and_aid_are_checked_like_the_api() {
    let fake = FakeUsageApi::start().await;
    let tests = "/usage/units/tests";
    assert_invalid(get(&fake, &format!("{tests}?startDate=yesterday")).await, "startDate").await;
    assert_invalid(get(&fake, &format!("{tests}?startDate=2024-05-01")).await, "startDate").await;
    assert_invalid(
        get(&fake, &format!("{tests}?startDate=2024-05-01T00%3A00%3A00Z&endDate=soon")).await,
        "endDate",
    )
    .await;
    let body =
        assert_invalid(get(&fake, &format!("{tests}?endDate=2024-05-01T00%3A00%3A00Z")).await, "startDate")
            .await;
    assert_eq!(body["errors"][0]["code"], "MISSING_START_DATE");
    assert_invalid(
        get(&fake, &format!("{tests}?startDate=2024-05-02T00%3A00%3A00Z&endDate=2024-05-01T00%3A00%3A00Z"))
            .await,
        "startDate",
    )
    .await;
    assert_invalid(
        get(&fake, &format!("{tests}?startDate=2024-05-01T00%3A00%3A00Z&endDate=2024-05-01T00%3A00%3A00Z"))
            .await,
        "startDate",
    )
    .await;
    assert_invalid(
        get(&fake, "/usage/units/enterprise-agents?startDate=2999-01-01T00%3A00%3A00Z").await,
        "startDate",
    )
    .await;
    assert_eq!(get(&fake, &format!("{tests}?startDate=2024-05-01T00%3A00%3A00Z")).await.status(), 200);

    // aid: decimal, and one of the organization's account groups.
    assert_invalid(get(&fake, "/usage?aid=abc").await, "aid").await;
    assert_invalid(get(&fake, "/usage?aid=").await, "aid").await;
    assert_invalid(get(&fake, &format!("{tests}?aid=12a")).await, "aid").await;
    let (status, content_type, body) = parts(get(&fake, "/usage?aid=999").await).await;
    assert_eq!((status.as_u16(), content_type.as_str()), (404, "application/problem+json"));
    assert_eq!((body["status"].as_i64(), body["instance"].as_str()), (Some(404), Some("/v7/usage")));
    assert_eq!(get(&fake, &format!("{tests}?aid=999")).await.status(), 404);
    assert_eq!(get(&fake, "/usage?aid=1237").await.status(), 200);
    // The agent listing takes no aid: it is ignored.
    assert_eq!(get(&fake, "/usage/units/enterprise-agents?aid=999").await.status(), 200);
}
