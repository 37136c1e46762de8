//! The fake, seen from a plain HTTP client (reqwest): data, pagination and cursors, parameter
//! checks, authentication, rate-limit windows under virtual time, failure rules, latency, clock
//! skew, quota operations and request recording.

use std::time::Duration;

use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use thousandeyes_usage_fake::models::{EnterpriseAgentUnitsByTestOwnerAccountGroup, UnitsByTests};
use thousandeyes_usage_fake::{
    AccountGroup, Dataset, Failure, FakeUsageApi, Operation, TokenCheck, DEFAULT_TOKEN, PREVIOUS_TOKEN_GRACE,
};

fn http() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().expect("reqwest client")
}

async fn get(fake: &FakeUsageApi, path_and_query: &str) -> Response {
    get_url(fake, &fake.url(path_and_query)).await
}

async fn get_url(fake: &FakeUsageApi, url: &str) -> Response {
    http().get(url).bearer_auth(fake.token()).send().await.expect("answer")
}

async fn post(fake: &FakeUsageApi, path: &str, body: Value) -> Response {
    http().post(fake.url(path)).bearer_auth(fake.token()).json(&body).send().await.expect("answer")
}

fn header(r: &Response, name: &str) -> String {
    r.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
}

fn header_i64(r: &Response, name: &str) -> i64 {
    header(r, name).parse().unwrap_or_else(|_| panic!("{name}: {:?}", header(r, name)))
}

/// The status, the content type and the JSON body (Null when empty).
async fn parts(r: Response) -> (StatusCode, String, Value) {
    let status = r.status();
    let content_type = header(&r, "content-type");
    let bytes = r.bytes().await.expect("body");
    let body =
        if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).expect("JSON body") };
    (status, content_type, body)
}

/// Asserts a 400 problem naming `field`.
async fn assert_invalid(r: Response, field: &str) -> Value {
    let (status, content_type, body) = parts(r).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(body["status"], 400);
    assert_eq!(body["title"], "Bad Request");
    assert!(body["detail"].is_string() && body["instance"].is_string() && body["type"].is_string(), "{body}");
    let errors = body["errors"].as_array().expect("errors[]");
    assert!(errors.iter().any(|e| e["field"] == field), "no error for {field}: {body}");
    body
}

/// Every page of a listing, following the next links; with the URLs asked for.
async fn all_pages(fake: &FakeUsageApi, first: &str) -> (Vec<Value>, Vec<String>) {
    let mut pages = Vec::new();
    let mut urls = Vec::new();
    let mut next = Some(fake.url(first));
    while let Some(url) = next {
        let r = get_url(fake, &url).await;
        assert_eq!(r.status(), 200, "{url}");
        assert_eq!(header(&r, "content-type"), "application/hal+json");
        assert_eq!(r.headers().get_all("date").iter().count(), 1, "one Date, the fake's");
        assert!(header(&r, "x-request-id").starts_with("fake-"));
        let page: Value = r.json().await.expect("page");
        next = page["_links"]["next"]["href"].as_str().map(str::to_string);
        urls.push(url);
        pages.push(page);
        assert!(pages.len() < 100, "endless listing");
    }
    (pages, urls)
}

fn sum(items: &[Value], field: &str) -> i64 {
    items.iter().map(|i| i[field].as_i64().unwrap_or(0)).sum()
}

fn items(pages: &[Value]) -> Vec<Value> {
    pages.iter().flat_map(|p| p["breakdowns"].as_array().expect("breakdowns").clone()).collect()
}

// ---------------------------------------------------------------------------------------------
// Data.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_seeded_data_adds_up_and_usage_honours_expand() {
    let fake = FakeUsageApi::start().await;
    let totals = fake.expected_totals();
    assert_eq!((totals.tests, totals.instant_tests, totals.account_groups), (81, 4, 5));
    assert_eq!((totals.agents, totals.agent_entries), (14, 33));
    assert_eq!((totals.test_pages, totals.agent_pages, totals.pages), (5, 4, 9));
    assert_eq!(totals.enterprise_units_used, totals.agent_enterprise_units_used);
    assert_eq!(totals.cloud_units_included, Some(20_000_000));
    assert_eq!(totals.organization_quota, Some(25_000_000));

    let (status, content_type, plain) = parts(get(&fake, "/usage").await).await;
    assert_eq!((status.as_u16(), content_type.as_str()), (200, "application/hal+json"));
    let usage = &plain["usage"];
    assert_eq!(usage["cloudUnitsUsed"], totals.cloud_units_used);
    assert_eq!(usage["cloudUnitsProjected"], totals.cloud_units_projected);
    assert_eq!(usage["enterpriseUnitsUsed"], totals.enterprise_units_used);
    assert_eq!(usage["enterpriseUnitsProjected"], totals.enterprise_units_projected);
    assert_eq!(usage["quota"]["cloudUnitsIncluded"], 20_000_000);
    assert!(usage["quota"]["monthStart"].is_string() && usage["quota"]["monthEnd"].is_string());
    for breakdown in
        ["tests", "enterpriseAgentUnits", "enterpriseAgents", "endpointAgents", "endpointAgentsEssentials"]
    {
        assert!(usage.get(breakdown).is_none(), "{breakdown} without expand");
    }
    assert_eq!(plain["_links"]["self"]["href"], fake.url("/usage"));

    let expanded: Value =
        get(&fake, "/usage?expand=test,enterprise-agent-unit").await.json().await.expect("json");
    let usage = &expanded["usage"];
    assert_eq!(usage["tests"].as_array().map(Vec::len), Some(81));
    assert_eq!(usage["enterpriseAgentUnits"].as_array().map(Vec::len), Some(14));
    assert_eq!(sum(usage["tests"].as_array().expect("tests"), "cloudUnitsUsed"), totals.cloud_units_used);
    assert_eq!(
        sum(usage["enterpriseAgentUnits"].as_array().expect("units"), "enterpriseUnitsUsed"),
        totals.enterprise_units_used
    );
    assert!(usage.get("endpointAgents").is_none());

    // Exploded form too, and every breakdown.
    let all: Value = get(
        &fake,
        "/usage?expand=enterprise-agent&expand=endpoint-agent,endpoint-agent-essential,endpoint-agent-embedded",
    )
    .await
    .json()
    .await
    .expect("json");
    let usage = &all["usage"];
    assert_eq!(usage["enterpriseAgents"].as_array().map(Vec::len), Some(5));
    assert_eq!(usage["endpointAgents"].as_array().map(Vec::len), Some(5));
    assert_eq!(usage["endpointAgentsEssentials"].as_array().map(Vec::len), Some(2));
    assert_eq!(usage["endpointAgentsEmbedded"], json!([]));
    assert_eq!(sum(usage["endpointAgents"].as_array().expect("agents"), "endpointAgentsUsed"), 412);

    assert_invalid(get(&fake, "/usage?expand=test,everything").await, "expand").await;

    // The same data every run.
    let other = FakeUsageApi::start().await;
    assert_eq!(other.expected_totals(), totals);
    let a: Value = get(&fake, "/usage/units/tests").await.json().await.expect("json");
    let b: Value = get(&other, "/usage/units/tests").await.json().await.expect("json");
    assert_eq!(a["breakdowns"], b["breakdowns"]);
    let cursor = |v: &Value| {
        v["_links"]["next"]["href"].as_str().and_then(|h| h.split("cursor=").nth(1)).map(str::to_string)
    };
    assert_eq!(cursor(&a), cursor(&b));
}

#[tokio::test]
async fn data_of_your_own() {
    let tests: Vec<UnitsByTests> = (1..=5)
        .map(|i| UnitsByTests {
            aid: Some("42".into()),
            test_id: Some(i.to_string()),
            cloud_units_used: Some(100 * i),
            enterprise_units_used: Some(i),
            ..Default::default()
        })
        .collect();
    let agents = vec![EnterpriseAgentUnitsByTestOwnerAccountGroup {
        aid: Some("42".into()),
        agent_id: Some("9".into()),
        enterprise_units_used: Some(15),
        ..Default::default()
    }];
    let fake = FakeUsageApi::builder()
        .dataset(Dataset::empty())
        .test_units(tests)
        .agent_units(agents)
        .account_group(AccountGroup::new("77", "Lab"))
        .test_units_page_size(2)
        .start()
        .await;
    let totals = fake.expected_totals();
    assert_eq!((totals.tests, totals.test_pages, totals.agent_pages), (5, 3, 1));
    assert_eq!((totals.cloud_units_used, totals.enterprise_units_used), (1_500, 15));
    assert_eq!((totals.organization_quota, totals.cloud_units_included), (None, None));

    let (pages, _) = all_pages(&fake, "/usage/units/tests?aid=42").await;
    assert_eq!(
        pages.iter().map(|p| p["breakdowns"].as_array().map_or(0, Vec::len)).collect::<Vec<_>>(),
        [2, 2, 1]
    );
    assert_eq!(sum(&items(&pages), "cloudUnitsUsed"), 1_500);
    // Known account groups: those in the data, and those added.
    assert_eq!(get(&fake, "/usage?aid=77").await.status(), 200);
    assert_eq!(get(&fake, "/usage?aid=1234").await.status(), 404);

    // An empty listing is one page without a next link.
    let empty = FakeUsageApi::builder().dataset(Dataset::empty()).start().await;
    let (pages, _) = all_pages(&empty, "/usage/units/enterprise-agents").await;
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0]["breakdowns"], json!([]));
    assert_eq!(empty.expected_totals().pages, 2);
    let usage: Value = get(&empty, "/usage").await.json().await.expect("json");
    assert_eq!(usage["usage"]["cloudUnitsUsed"], 0);
}

// ---------------------------------------------------------------------------------------------
// Pagination and cursors.
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Parameter checks, authentication, unknown paths.
// ---------------------------------------------------------------------------------------------

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

#[tokio::test]
async fn a_missing_or_wrong_token_is_a_401_that_is_not_counted() {
    let fake = FakeUsageApi::builder().token("right").start().await;
    let none = http().get(fake.url("/usage")).send().await.expect("answer");
    assert_eq!(header(&none, "www-authenticate"), r#"Bearer error="invalid_token""#);
    assert_eq!(header_i64(&none, "x-organization-rate-limit-remaining"), 240);
    let (status, content_type, body) = parts(none).await;
    assert_eq!((status.as_u16(), content_type.as_str()), (401, "application/problem+json"));
    assert_eq!(body["error"], "invalid_token");
    assert!(body["error_description"].is_string());

    let wrong = http().get(fake.url("/usage")).bearer_auth("wrong").send().await.expect("answer");
    assert_eq!(wrong.status(), 401);
    let basic = http().get(fake.url("/usage")).basic_auth("right", Some("x")).send().await.expect("answer");
    assert_eq!(basic.status(), 401);
    // Authentication comes first, even for unknown paths.
    let unknown = http().get(fake.url("/nowhere")).bearer_auth("wrong").send().await.expect("answer");
    assert_eq!(unknown.status(), 401);
    let ok = http().get(fake.url("/usage")).bearer_auth("right").send().await.expect("answer");
    assert_eq!(header_i64(&ok, "x-organization-rate-limit-remaining"), 239);

    let checks: Vec<TokenCheck> = fake.requests().iter().map(|r| r.token).collect();
    assert_eq!(
        checks,
        [TokenCheck::Missing, TokenCheck::Wrong, TokenCheck::Wrong, TokenCheck::Wrong, TokenCheck::Matched]
    );
    assert!(fake.requests().iter().all(|r| r.headers.get("authorization").is_none()));
    assert!(!format!("{:?}", fake.requests()).contains("right"), "the token is never recorded");
    assert_eq!(fake.rate_limit_windows().iter().map(|w| w.used).sum::<u64>(), 1);
    assert_eq!(fake.responses_with_status(401), 4);
}

/// A token regenerated in ThousandEyes leaves the old one working for 14 days: the fake's
/// rotation does the same on its clock, and the record says which token each request carried.
#[tokio::test(start_paused = true)]
async fn after_a_rotation_the_previous_token_is_accepted_for_fourteen_days_and_recorded_as_such() {
    let mut fake = FakeUsageApi::builder().token("first-token-value").start().await;
    let url = fake.url("/quotas");
    let status = |token: &'static str| {
        let url = url.clone();
        async move { http().get(url).bearer_auth(token).send().await.expect("answer").status().as_u16() }
    };
    assert_eq!(status("first-token-value").await, 200);
    fake.rotate_token("second-token-value");
    assert_eq!(fake.token(), "second-token-value");
    assert_eq!(status("second-token-value").await, 200);
    assert_eq!(status("first-token-value").await, 200, "the previous token, within its 14 days");

    fake.rotate_token("third-token-value");
    assert_eq!(status("first-token-value").await, 401, "two rotations ago: no longer accepted");
    assert_eq!(status("second-token-value").await, 200);
    tokio::time::sleep(PREVIOUS_TOKEN_GRACE - Duration::from_secs(1)).await;
    assert_eq!(status("second-token-value").await, 200, "a second before the grace ends");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(status("second-token-value").await, 401, "the grace is over");
    assert_eq!(status("third-token-value").await, 200);

    let checks: Vec<TokenCheck> = fake.requests().iter().map(|r| r.token).collect();
    use TokenCheck::{Matched, Previous, Wrong};
    assert_eq!(checks, [Matched, Matched, Previous, Wrong, Previous, Previous, Wrong, Matched]);
    let recorded = format!("{:?}", fake.requests());
    for token in ["first-token-value", "second-token-value", "third-token-value"] {
        assert!(!recorded.contains(token), "{token} recorded");
    }
    assert!(!format!("{fake:?}").contains("token-value"));
    let windows = fake.rate_limit_windows();
    assert_eq!(windows.iter().map(|w| w.used).sum::<u64>(), 6, "requests with the previous token count");
}

#[tokio::test]
async fn a_fake_can_start_with_a_previous_token_as_just_after_a_regeneration() {
    let fake =
        FakeUsageApi::builder().token("new-token-value").previous_token("old-token-value").start().await;
    for token in ["old-token-value", "new-token-value", "other-token-value"] {
        http().get(fake.url("/usage")).bearer_auth(token).send().await.expect("answer");
    }
    let answered: Vec<(u16, TokenCheck)> =
        fake.requests().iter().map(|r| (r.status.as_u16(), r.token)).collect();
    assert_eq!(answered, [(200, TokenCheck::Previous), (200, TokenCheck::Matched), (401, TokenCheck::Wrong)]);
    assert!(fake
        .requests()
        .iter()
        .take(2)
        .all(|r| r.token.is_accepted() && r.token_matched() == (r.sequence == 1)));
}

#[tokio::test]
async fn unknown_paths_are_404_and_wrong_methods_405() {
    let fake = FakeUsageApi::start().await;
    let (status, content_type, body) = parts(get(&fake, "/usage/units").await).await;
    assert_eq!((status.as_u16(), content_type.as_str()), (404, "application/problem+json"));
    assert_eq!(body["instance"], "/v7/usage/units");
    let root = http()
        .get(format!("http://{}/usage", fake.addr()))
        .bearer_auth(fake.token())
        .send()
        .await
        .expect("answer");
    assert_eq!(root.status(), 404, "only below /v7");
    let r = http().post(fake.url("/usage")).bearer_auth(fake.token()).send().await.expect("answer");
    assert_eq!(r.status(), 405);
    assert_eq!(header(&r, "allow"), "GET");
    let r = http().get(fake.url("/quotas/assign")).bearer_auth(fake.token()).send().await.expect("answer");
    assert_eq!((r.status().as_u16(), header(&r, "allow")), (405, "POST".to_string()));
    // A trailing slash is the same path.
    assert_eq!(get(&fake, "/quotas/").await.status(), 200);
    assert!(fake.requests().iter().take(4).all(|r| r.operation.is_none()));
}

// ---------------------------------------------------------------------------------------------
// Rate-limit windows, under virtual time.
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn the_rate_limit_window_follows_virtual_time() {
    let fake = FakeUsageApi::builder().rate_limit(3, Duration::from_secs(10)).start().await;
    let mut remaining = Vec::new();
    let mut resets = Vec::new();
    for _ in 0..3 {
        let r = get(&fake, "/quotas").await;
        assert_eq!(r.status(), 200);
        assert_eq!(header_i64(&r, "x-organization-rate-limit-limit"), 3);
        remaining.push(header_i64(&r, "x-organization-rate-limit-remaining"));
        resets.push(header_i64(&r, "x-organization-rate-limit-reset"));
    }
    // The window may have turned between two requests only if they straddled its end; virtual
    // time does not move here, so all three share it.
    assert_eq!(remaining, [2, 1, 0]);
    let reset = resets[0];
    assert!(resets.iter().all(|r| *r == reset));
    assert_eq!(reset % 10, 0, "windows end on whole multiples of their length");

    let refused = get(&fake, "/usage").await;
    assert_eq!(refused.status(), 429);
    assert_eq!(header_i64(&refused, "x-organization-rate-limit-remaining"), 0);
    assert_eq!(header_i64(&refused, "x-organization-rate-limit-reset"), reset);
    let date = chrono::DateTime::parse_from_rfc2822(&header(&refused, "date")).expect("IMF-fixdate Date");
    assert!(header(&refused, "date").ends_with(" GMT"));
    let wait = reset - date.timestamp();
    assert!((1..=10).contains(&wait), "{wait}");
    let (status, content_type, body) = parts(refused).await;
    assert_eq!((status.as_u16(), content_type.as_str()), (429, "application/problem+json"));
    assert_eq!(body["status"], 429);
    // A 429 does not use up the budget: still limit 3 in the window's statistics.
    assert_eq!(fake.rate_limit_windows().last().map(|w| (w.used, w.rate_limited)), Some((3, 1)));

    // Wait out the window in virtual time: a fresh window, the next multiple of 10.
    let real = std::time::Instant::now();
    tokio::time::sleep(Duration::from_secs(wait as u64)).await;
    let r = get(&fake, "/usage").await;
    assert_eq!(r.status(), 200);
    assert_eq!(header_i64(&r, "x-organization-rate-limit-remaining"), 2);
    assert_eq!(header_i64(&r, "x-organization-rate-limit-reset"), reset + 10);
    let date = chrono::DateTime::parse_from_rfc2822(&header(&r, "date")).expect("Date");
    assert!(date.timestamp() >= reset, "the Date follows virtual time");
    assert!(real.elapsed() < Duration::from_secs(5), "no real waiting");

    let windows = fake.rate_limit_windows();
    assert_eq!(windows.len(), 2);
    assert_eq!((windows[0].reset, windows[0].succeeded, windows[0].rate_limited), (reset, 3, 1));
    assert_eq!((windows[1].reset, windows[1].succeeded, windows[1].used), (reset + 10, 1, 1));
    assert_eq!(windows[0].limit, 3);
}

#[tokio::test(start_paused = true)]
async fn concurrent_requests_get_exactly_the_limit() {
    let fake = FakeUsageApi::builder().rate_limit(10, Duration::from_secs(3600)).start().await;
    let client = http();
    let url = fake.url("/usage");
    let calls = (0..25).map(|_| {
        let request = client.get(&url).bearer_auth(fake.token());
        async move { request.send().await.expect("answer").status().as_u16() }
    });
    let statuses = futures_join_all(calls).await;
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 10);
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 15);
    let window = fake.rate_limit_windows().pop().expect("window");
    assert_eq!((window.used, window.succeeded, window.rate_limited, window.answered), (10, 10, 15, 25));
}

/// `futures::future::join_all` without the dependency: spawn and join in order.
async fn futures_join_all<F>(futures: impl Iterator<Item = F>) -> Vec<u16>
where
    F: std::future::Future<Output = u16> + Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.expect("task"));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Failure rules.
// ---------------------------------------------------------------------------------------------

/// The demo's scripted 429: the second page of test units refused once, the window used up and
/// reset one second later.
#[tokio::test(start_paused = true)]
async fn the_demo_429_second_page_refused_once_then_a_new_window() {
    let fake = FakeUsageApi::builder()
        .fail(
            Failure::rate_limited(Operation::GetTestsUnitsUsage)
                .on_page(2)
                .reset_after(Duration::from_secs(1)),
        )
        .start()
        .await;
    let first: Value = get(&fake, "/usage/units/tests").await.json().await.expect("json");
    let next = first["_links"]["next"]["href"].as_str().expect("next").to_string();

    let refused = get_url(&fake, &next).await;
    assert_eq!(refused.status(), 429);
    assert_eq!(header_i64(&refused, "x-organization-rate-limit-remaining"), 0);
    let reset = header_i64(&refused, "x-organization-rate-limit-reset");
    let date = chrono::DateTime::parse_from_rfc2822(&header(&refused, "date")).expect("Date").timestamp();
    assert_eq!(reset, date + 1, "reset one second later");
    assert_eq!(header(&refused, "content-type"), "application/problem+json");

    // The window is used up for everyone until then.
    let held = get(&fake, "/quotas").await;
    assert_eq!(held.status(), 429);
    assert_eq!(header_i64(&held, "x-organization-rate-limit-reset"), reset);

    tokio::time::sleep(Duration::from_secs(1)).await;
    let served = get_url(&fake, &next).await;
    assert_eq!(served.status(), 200);
    assert_eq!(header_i64(&served, "x-organization-rate-limit-remaining"), 239);
    assert!(header_i64(&served, "x-organization-rate-limit-reset") > reset);
    // Once only.
    let (_, urls) = all_pages(&fake, "/usage/units/tests").await;
    assert_eq!(urls.len(), 5);
    assert_eq!(fake.rate_limited_responses(), 2);
    let windows = fake.rate_limit_windows();
    assert_eq!((windows[0].reset, windows[0].rate_limited, windows[0].used), (reset, 2, 240));
}

#[tokio::test(start_paused = true)]
async fn failure_rules_skip_repeat_and_say_retry_after() {
    let fake = FakeUsageApi::builder()
        .fail(
            Failure::new(Operation::GetQuotas, 503)
                .after(1)
                .times(2)
                .retry_after(Duration::from_millis(1_500)),
        )
        .fail(Failure::new(Operation::GetUsage, 500).always().detail("Database on fire."))
        .fail(
            Failure::rate_limited(Operation::GetEnterpriseAgentsUnitsUsage)
                .retry_after_date(Duration::from_secs(30)),
        )
        .fail(Failure::new(Operation::AssignOrganizationsQuotas, 401))
        .start()
        .await;
    let mut quotas = Vec::new();
    for _ in 0..4 {
        let r = get(&fake, "/quotas").await;
        quotas.push((r.status().as_u16(), header(&r, "retry-after")));
    }
    assert_eq!(
        quotas,
        [(200, String::new()), (503, "2".to_string()), (503, "2".to_string()), (200, String::new())]
    );

    for _ in 0..3 {
        let (status, content_type, body) = parts(get(&fake, "/usage").await).await;
        assert_eq!((status.as_u16(), content_type.as_str()), (500, "application/problem+json"));
        assert_eq!(
            (body["title"].as_str(), body["detail"].as_str()),
            (Some("Internal Server Error"), Some("Database on fire."))
        );
    }

    let r = get(&fake, "/usage/units/enterprise-agents").await;
    assert_eq!(r.status(), 429);
    let date = chrono::DateTime::parse_from_rfc2822(&header(&r, "date")).expect("Date");
    let retry =
        chrono::DateTime::parse_from_rfc2822(&header(&r, "retry-after")).expect("HTTP-date Retry-After");
    assert_eq!((retry - date).num_seconds(), 30);
    // Without reset_after, the used-up window keeps its end.
    let reset = header_i64(&r, "x-organization-rate-limit-reset");
    assert_eq!(reset % 60, 0);
    assert_eq!(get(&fake, "/quotas").await.status(), 429);

    tokio::time::sleep(Duration::from_secs(61)).await;
    let (status, _, body) =
        parts(post(&fake, "/quotas/assign", json!({"organizations": [{"orgId": "1001", "value": 1}]})).await)
            .await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "invalid_token");
    // Not applied.
    assert_eq!(fake.quotas()[0].organization_quota.as_ref().map(|q| q.value), Some(25_000_000));
    // Other statuses use up a call each.
    let counts = fake.status_counts();
    assert_eq!((counts[&503], counts[&500], counts[&429], counts[&401]), (2, 3, 2, 1));
}

#[tokio::test]
async fn failures_on_any_operation_and_with_a_body_of_your_own() {
    let fake = FakeUsageApi::builder()
        .fail(Failure::new(Operation::GetUsage, 200).body("application/hal+json", r#"{"usage": 7}"#))
        .fail(Failure::on_any_operation(502).after(1).body("text/html", "<html>Bad gateway</html>"))
        .start()
        .await;
    let r = get(&fake, "/usage").await;
    assert_eq!((r.status().as_u16(), header(&r, "content-type")), (200, "application/hal+json".to_string()));
    assert_eq!(r.text().await.expect("body"), r#"{"usage": 7}"#);
    // The first rule answered that one, so the second did not count it: it lets this one
    // through, and refuses the next, whatever its path.
    assert_eq!(get(&fake, "/quotas").await.status(), 200);
    let r = get(&fake, "/nowhere").await;
    assert_eq!((r.status().as_u16(), header(&r, "content-type")), (502, "text/html".to_string()));
    assert_eq!(get(&fake, "/usage").await.status(), 200);
}

// ---------------------------------------------------------------------------------------------
// Latency and clock skew.
// ---------------------------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn latency_is_virtual_time() {
    let fake = FakeUsageApi::builder().latency(Duration::from_secs(5)).start().await;
    let real = std::time::Instant::now();
    let before = tokio::time::Instant::now();
    assert_eq!(get(&fake, "/usage").await.status(), 200);
    assert!(before.elapsed() >= Duration::from_secs(5));
    assert!(real.elapsed() < Duration::from_secs(3), "{:?}", real.elapsed());
    let request = &fake.requests()[0];
    assert_eq!(request.answered_at - request.arrived_at, Duration::from_secs(5));
    assert!(request.arrived_at >= before);
}

#[tokio::test]
async fn the_clock_can_run_ahead_or_behind() {
    let now = chrono::Utc::now().timestamp();
    let ahead = FakeUsageApi::builder().clock_ahead(Duration::from_secs(3600)).start().await;
    let r = get(&ahead, "/usage").await;
    let date = chrono::DateTime::parse_from_rfc2822(&header(&r, "date")).expect("Date").timestamp();
    assert!((date - now - 3600).abs() <= 2, "{date} {now}");
    assert!(header_i64(&r, "x-organization-rate-limit-reset") > now + 3600);

    let behind = FakeUsageApi::builder().clock_skew_secs(-3600).start().await;
    let r = get(&behind, "/usage").await;
    let date = chrono::DateTime::parse_from_rfc2822(&header(&r, "date")).expect("Date").timestamp();
    assert!((now - 3600 - date).abs() <= 2, "{date} {now}");
    // A start half an hour ago is in the future for a clock an hour behind.
    let start = (chrono::Utc::now() - chrono::Duration::minutes(30)).format("%Y-%m-%dT%H:%M:%SZ");
    let body =
        assert_invalid(get(&behind, &format!("/usage/units/tests?startDate={start}")).await, "startDate")
            .await;
    assert_eq!(body["errors"][0]["code"], "INVALID_DATE_RANGE");
    assert_eq!(get(&ahead, &format!("/usage/units/tests?startDate={start}")).await.status(), 200);
    let skewed = FakeUsageApi::builder().clock_behind(Duration::from_secs(60)).start().await;
    assert!(skewed.now() < std::time::SystemTime::now());
}

// ---------------------------------------------------------------------------------------------
// Quotas.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn quota_operations_change_the_quotas() {
    let fake = FakeUsageApi::start().await;
    let quotas: Value = get(&fake, "/quotas").await.json().await.expect("json");
    assert_eq!(quotas["quotas"][0]["organizationQuota"], json!({"orgId": "1001", "value": 25_000_000}));
    assert_eq!(quotas["quotas"][0]["accountGroupQuotas"].as_array().map(Vec::len), Some(4));
    assert_eq!(quotas["_links"]["self"]["href"], fake.url("/quotas"));

    let (status, content_type, body) = parts(
        post(&fake, "/quotas/assign", json!({"organizations": [{"orgId": "1001", "value": 30_000_000}]}))
            .await,
    )
    .await;
    assert_eq!((status.as_u16(), content_type.as_str()), (200, "application/hal+json"));
    assert_eq!(body, json!({"organizations": [{"orgId": "1001", "value": 30_000_000}]}));
    assert_eq!(fake.expected_totals().organization_quota, Some(30_000_000));

    let assign = json!({"organizations": [{"orgId": "1001", "accountGroups": [
        {"aid": "1234", "value": 2_000_000}, {"aid": "1237", "value": 700_000}
    ]}]});
    let (status, _, body) = parts(post(&fake, "/quotas/account-groups/assign", assign.clone()).await).await;
    assert_eq!(status, 200);
    assert_eq!(body, assign);
    let groups: Value = get(&fake, "/quotas").await.json().await.expect("json");
    let groups = groups["quotas"][0]["accountGroupQuotas"].as_array().expect("groups").clone();
    assert_eq!(groups.len(), 5, "assignments add up");
    assert!(groups.contains(&json!({"aid": "1234", "value": 2_000_000})));
    assert!(groups.contains(&json!({"aid": "1237", "value": 700_000})));
    assert!(groups.contains(&json!({"aid": "1235", "value": 5_000_000})), "others keep theirs");

    let r = post(
        &fake,
        "/quotas/account-groups/unassign",
        json!({"organizations": [{"orgId": "1001", "accountGroups": ["1234", "1235"]}]}),
    )
    .await;
    assert_eq!(r.status(), 204);
    assert!(header(&r, "content-type").is_empty());
    assert!(header(&r, "x-organization-rate-limit-remaining").parse::<u64>().is_ok());
    assert!(r.bytes().await.expect("body").is_empty());
    let aids: Vec<String> =
        fake.quotas()[0].account_group_quotas.iter().flatten().filter_map(|g| g.aid.clone()).collect();
    assert_eq!(aids, ["1236", "1238", "1237"]);

    assert_eq!(post(&fake, "/quotas/unassign", json!({"organizations": ["1001"]})).await.status(), 204);
    assert_eq!(fake.expected_totals().organization_quota, None);
    let now: Value = get(&fake, "/quotas").await.json().await.expect("json");
    assert!(now["quotas"][0].get("organizationQuota").is_none());
}

/// The example request of `assignOrganizationsQuotas` in ThousandEyes' API reference: its first
/// entry has no `orgId`, and is the authenticated organization's.
#[tokio::test]
async fn the_api_references_example_assigns_a_quota_without_org_id_to_the_fakes_own_organization() {
    let fake = FakeUsageApi::start().await;
    let example = r#"{"organizations":[{"value":12000},{"orgId":"1234","value":10000}]}"#;
    let answer = http()
        .post(fake.url("/quotas/assign"))
        .bearer_auth(fake.token())
        .header("content-type", "application/json")
        .body(example)
        .send()
        .await
        .expect("answer");
    let (status, content_type, body) = parts(answer).await;
    assert_eq!((status.as_u16(), content_type.as_str()), (200, "application/hal+json"), "{body}");
    assert_eq!(
        body,
        json!({"organizations": [{"orgId": "1001", "value": 12000}, {"orgId": "1234", "value": 10000}]}),
        "the answer names the organization each quota was set on"
    );
    let organization_quotas: Vec<(Option<String>, i64)> =
        fake.quotas().into_iter().filter_map(|q| q.organization_quota).map(|o| (o.org_id, o.value)).collect();
    assert_eq!(organization_quotas, [(Some("1001".to_string()), 12000), (Some("1234".to_string()), 10000)]);
    assert_eq!(fake.expected_totals().organization_quota, Some(12000));

    // Without orgId alone, on a fake of another organization.
    let mut data = thousandeyes_usage_fake::Dataset::empty();
    data.organization_id = "777".into();
    let other = FakeUsageApi::builder().dataset(data).start().await;
    let (status, _, body) =
        parts(post(&other, "/quotas/assign", json!({"organizations": [{"value": 5}]})).await).await;
    assert_eq!((status.as_u16(), body), (200, json!({"organizations": [{"orgId": "777", "value": 5}]})));
    assert_eq!(other.expected_totals().organization_quota, Some(5));
}

#[tokio::test]
async fn quota_operations_check_their_body() {
    let fake = FakeUsageApi::start().await;
    assert_invalid(post(&fake, "/quotas/assign", json!({"organizations": []})).await, "organizations").await;
    assert_invalid(post(&fake, "/quotas/assign", json!({})).await, "organizations").await;
    let empty_org = assert_invalid(
        post(&fake, "/quotas/assign", json!({"organizations": [{"orgId": "", "value": 5}]})).await,
        "organizations[0].orgId",
    )
    .await;
    assert_eq!(empty_org["errors"][0]["message"], "empty; leave it out for the caller's own organization");
    assert_invalid(
        post(&fake, "/quotas/assign", json!({"organizations": [{"orgId": "1001", "value": -5}]})).await,
        "organizations[0].value",
    )
    .await;
    assert_invalid(
        post(&fake, "/quotas/assign", json!({"organizations": [{"orgId": "1001"}]})).await,
        "body",
    )
    .await;
    assert_invalid(post(&fake, "/quotas/unassign", json!({"organizations": []})).await, "organizations")
        .await;
    assert_invalid(
        post(
            &fake,
            "/quotas/account-groups/assign",
            json!({"organizations": [{"orgId": "1001", "accountGroups": [{"aid": "x1", "value": 1}]}]}),
        )
        .await,
        "organizations[0].accountGroups[0].aid",
    )
    .await;
    assert_invalid(
        post(
            &fake,
            "/quotas/account-groups/assign",
            json!({"organizations": [{"orgId": "1001", "accountGroups": [{"aid": "1234"}]}]}),
        )
        .await,
        "organizations[0].accountGroups[0].value",
    )
    .await;
    assert_invalid(
        post(
            &fake,
            "/quotas/account-groups/unassign",
            json!({"organizations": [{"orgId": "1001", "accountGroups": []}]}),
        )
        .await,
        "organizations[0].accountGroups",
    )
    .await;

    // Unknown organizations and account groups.
    assert_eq!(
        post(&fake, "/quotas/assign", json!({"organizations": [{"orgId": "2002", "value": 1}]}))
            .await
            .status(),
        404
    );
    assert_eq!(post(&fake, "/quotas/unassign", json!({"organizations": ["2002"]})).await.status(), 404);
    let unknown_group =
        json!({"organizations": [{"orgId": "1001", "accountGroups": [{"aid": "999", "value": 1}]}]});
    assert_eq!(post(&fake, "/quotas/account-groups/assign", unknown_group).await.status(), 404);

    // Not JSON, or not declared JSON.
    let r = http()
        .post(fake.url("/quotas/unassign"))
        .bearer_auth(fake.token())
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .expect("answer");
    assert_invalid(r, "body").await;
    let r = http().post(fake.url("/quotas/unassign")).bearer_auth(fake.token()).send().await.expect("answer");
    assert_invalid(r, "body").await;
    let r = http()
        .post(fake.url("/quotas/unassign"))
        .bearer_auth(fake.token())
        .header("content-type", "text/plain")
        .body(r#"{"organizations": ["1001"]}"#)
        .send()
        .await
        .expect("answer");
    assert_eq!(r.status(), 415);

    // Nothing changed.
    assert_eq!(fake.quotas(), FakeUsageApi::start().await.quotas());
}

// ---------------------------------------------------------------------------------------------
// Recording.
// ---------------------------------------------------------------------------------------------

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

#[tokio::test]
async fn dropping_the_fake_stops_it() {
    let fake = FakeUsageApi::start().await;
    let url = fake.url("/usage");
    assert_eq!(get(&fake, "/usage").await.status(), 200);
    drop(fake);
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    // A new connection (no pooled one): refused.
    let fresh = reqwest::Client::builder().no_proxy().build().expect("client");
    assert!(fresh.get(&url).send().await.is_err());
}
