//! Every operation end to end against a local server: the exact method, path, query string,
//! headers and body sent, and the decoding of a realistic answer that uses every field.

mod time_edges;

use chrono::{TimeZone, Utc};
use httpmock::prelude::*;
use serde_json::json;
use thousandeyes_usage::models::ExpandUsageOptions;
use thousandeyes_usage_tests::support::{self, base_url, builder_of, client_of, HAL_JSON, TOKEN};

/// Every media type the spec names for the operations' answers, success and error.
const ACCEPT: &str = "application/hal+json, application/problem+json";

fn query(req: &httpmock::HttpMockRequest) -> String {
    req.uri().query().unwrap_or("").to_string()
}

#[tokio::test]
async fn usage_sends_aid_and_expand_as_one_comma_separated_parameter_and_decodes_every_field() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v7/usage")
                .is_true(|req| query(req) == "aid=1234&expand=test%2Centerprise-agent-unit")
                .header("authorization", format!("Bearer {TOKEN}"))
                .header("accept", ACCEPT)
                .header("user-agent", format!("thousandeyes-usage-rust/{}", env!("CARGO_PKG_VERSION")));
            then.status(200).header("content-type", HAL_JSON).json_body(support::usage_body());
        })
        .await;
    let client = client_of(base_url(&server));

    let usage = client
        .usage()
        .aid("1234")
        .expand([ExpandUsageOptions::Test, ExpandUsageOptions::EnterpriseAgentUnit, ExpandUsageOptions::Test])
        .send()
        .await
        .expect("usage");

    mock.assert_async().await;
    let quota = usage.quota.as_ref().expect("quota");
    assert_eq!(
        quota.month_start.map(|t| t.timestamp()),
        Some(Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap().timestamp())
    );
    assert_eq!(quota.cloud_units_included, Some(5_000_000_000));
    assert_eq!(quota.device_agents_included, Some(20));
    assert_eq!(quota.endpoint_agents_embedded_included, Some(10));
    assert_eq!(quota.enterprise_agents_included, Some(12));
    assert_eq!(usage.cloud_units_used, Some(3_000_000_000));
    assert_eq!(usage.cloud_units_next_billing_period, Some(4_300_000_000));
    assert_eq!(usage.enterprise_units_projected, Some(180_000));
    assert_eq!(usage.connected_devices_units_next_billing_period, Some(1_350));
    assert_eq!(usage.endpoint_agents_essentials_used, Some(33));
    assert_eq!(usage.enterprise_agents_used, Some(11));
    let tests = usage.tests.as_ref().expect("tests");
    assert_eq!(tests[0].test_name.as_deref(), Some("Checkout API"));
    assert_eq!(tests[0].cloud_units_used, Some(2_500_000_000));
    let agents = usage.enterprise_agent_units.as_ref().expect("agent units");
    assert_eq!(agents[0].agent_id.as_deref(), Some("8001"));
    assert_eq!(usage.endpoint_agents.as_ref().expect("ea")[0].endpoint_agents_used, Some(130));
    assert_eq!(
        usage.endpoint_agents_embedded.as_ref().expect("eae")[0].endpoint_agents_embedded_used,
        Some(7)
    );
    assert_eq!(usage.enterprise_agents.as_ref().expect("ent")[0].enterprise_agents_used, Some(11));
    let allocations = usage.allocations.as_ref().expect("allocations");
    assert_eq!(allocations.used, Some(500));
    assert_eq!(allocations.allocations.as_ref().expect("list")[0].allocated_units, Some(1_000));
}

#[tokio::test]
async fn usage_without_options_sends_no_query_and_uses_the_default_aid_when_set() {
    let server = MockServer::start_async().await;
    let plain = server
        .mock_async(|when, then| {
            when.method(GET).path("/v7/usage").is_true(|req| query(req).is_empty());
            then.status(200)
                .header("content-type", HAL_JSON)
                .json_body(json!({"usage": {"cloudUnitsUsed": 1}}));
        })
        .await;
    let with_default = server
        .mock_async(|when, then| {
            when.method(GET).path("/v7/usage").is_true(|req| query(req) == "aid=777");
            then.status(200)
                .header("content-type", HAL_JSON)
                .json_body(json!({"usage": {"cloudUnitsUsed": 2}}));
        })
        .await;

    let usage = client_of(base_url(&server)).usage().send().await.expect("usage");
    assert_eq!(usage.cloud_units_used, Some(1));
    let client = builder_of(base_url(&server)).default_aid("777").build().expect("client");
    assert_eq!(client.usage().send().await.expect("usage").cloud_units_used, Some(2));
    plain.assert_async().await;
    with_default.assert_async().await;
}

/// The spec leaves `usage` optional, but it is what the operation returns: an answer without it
/// is a decode error at `usage`, not a usage whose every figure is `None`. An empty `usage`
/// object is an answer whose figures are all absent, and is returned as it is.
#[tokio::test]
async fn a_usage_answer_without_usage_is_a_decode_error_naming_the_path() {
    let server = MockServer::start_async().await;
    let without = server
        .mock_async(|when, then| {
            when.method(GET).path("/v7/usage");
            then.status(200)
                .header("content-type", HAL_JSON)
                .json_body(json!({"_links": {"self": {"href": "https://api.thousandeyes.com/v7/usage"}}}));
        })
        .await;
    let err = client_of(base_url(&server)).usage().send().await.expect_err("no usage");
    match &err {
        thousandeyes_usage::Error::Decode { operation, path, excerpt, .. } => {
            assert_eq!((*operation, path.as_str()), ("getUsage", "usage"));
            assert!(excerpt.contains("_links"), "the body is quoted: {excerpt}");
        }
        other => panic!("expected a decode error at `usage`, got {other:?}"),
    }
    assert!(err.to_string().contains("`usage`"), "{err}");
    assert!(!err.is_retryable());
    without.assert_calls_async(1).await;
    without.delete_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v7/usage");
            then.status(200).header("content-type", HAL_JSON).json_body(json!({"usage": {}}));
        })
        .await;
    let empty = client_of(base_url(&server)).usage().send().await.expect("an empty usage object");
    assert_eq!(empty.cloud_units_used, None);
}

#[tokio::test]
async fn test_units_sends_times_as_rfc3339_utc_with_z_and_decodes_a_page() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v7/usage/units/tests")
                .is_true(|req| {
                    query(req)
                        == "aid=1234&startDate=2024-05-01T00%3A00%3A00Z&endDate=2024-05-02T12%3A30%3A00Z"
                })
                .header("authorization", format!("Bearer {TOKEN}"))
                .header("accept", ACCEPT);
            then.status(200)
                .header("content-type", HAL_JSON)
                .header("x-organization-rate-limit-limit", "240")
                .header("x-organization-rate-limit-remaining", "239")
                .header("x-organization-rate-limit-reset", "1714521600")
                .json_body(support::page_body(
                    vec![support::test_units_item(1), support::test_units_item(7)],
                    None,
                ));
        })
        .await;
    let client = client_of(base_url(&server));
    // Given in +02:00; sent in UTC.
    let cest = chrono::FixedOffset::east_opt(2 * 3600).expect("offset");
    let start = cest.with_ymd_and_hms(2024, 5, 1, 2, 0, 0).unwrap();
    let end = Utc.with_ymd_and_hms(2024, 5, 2, 12, 30, 0).unwrap();

    let page = client.test_units().aid("1234").start(start).end(end).send().await.expect("page");

    mock.assert_async().await;
    assert_eq!(page.items().len(), 2);
    assert!(!page.has_next());
    let first = &page.items()[0];
    assert_eq!(first.test_id.as_deref(), Some("100001"));
    assert_eq!(first.account_group_name.as_deref(), Some("Operations"));
    assert_eq!(first.cloud_units_used, Some(1_000));
    assert_eq!(first.cloud_units_projected, Some(1_500));
    assert_eq!(first.enterprise_units_used, Some(10));
    assert_eq!(first.enterprise_units_projected, Some(15));
    assert_eq!(first.test_type.as_deref(), Some("Agent to Server"));
    assert_eq!(page.items()[1].is_instant_test, Some(true));
    assert_eq!(page.rate_limit().limit, Some(240));
    assert_eq!(page.rate_limit().remaining, Some(239));
    assert_eq!(page.rate_limit().reset.map(|t| t.timestamp()), Some(1_714_521_600));
    assert_eq!(client.rate_limit().remaining, Some(239));
}

#[tokio::test]
async fn agent_units_takes_no_aid_and_decodes_a_page() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v7/usage/units/enterprise-agents")
                .is_true(|req| query(req) == "startDate=2024-05-01T00%3A00%3A00Z");
            then.status(200)
                .header("content-type", HAL_JSON)
                .json_body(support::page_body(vec![support::agent_units_item(3)], None));
        })
        .await;
    let client = builder_of(base_url(&server)).default_aid("1234").build().expect("client");

    let page = client
        .agent_units()
        .start(Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap())
        .send()
        .await
        .expect("page");

    mock.assert_async().await;
    let item = &page.items()[0];
    assert_eq!(item.agent_id.as_deref(), Some("8003"));
    assert_eq!(item.agent_name.as_deref(), Some("agent-3"));
    assert_eq!(item.aid.as_deref(), Some("1234"));
    assert_eq!(item.enterprise_units_used, Some(300));
    assert_eq!(item.enterprise_units_projected, Some(420));
}

#[tokio::test]
async fn quotas_are_listed() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path("/v7/quotas").is_true(|req| query(req).is_empty()).header("accept", ACCEPT);
            then.status(200).header("content-type", HAL_JSON).json_body(json!({
                "quotas": [{
                    "organizationQuota": {"value": 9_000_000_000_i64, "orgId": "1001"},
                    "accountGroupQuotas": [{"value": 50_000, "aid": "1234"}, {"value": 7, "aid": "1235"}]
                }],
                "_links": {"self": {"href": "https://api.thousandeyes.com/v7/quotas"}}
            }));
        })
        .await;
    let quotas = client_of(base_url(&server)).quotas().send().await.expect("quotas");
    mock.assert_async().await;
    let org = quotas[0].organization_quota.as_ref().expect("org quota");
    assert_eq!((org.value, org.org_id.as_deref()), (9_000_000_000, Some("1001")));
    let groups = quotas[0].account_group_quotas.as_ref().expect("groups");
    assert_eq!(groups.len(), 2);
    assert_eq!((groups[1].value, groups[1].aid.as_deref()), (Some(7), Some("1235")));
}

#[tokio::test]
async fn assign_organization_quotas_posts_a_json_object_and_returns_what_is_in_force() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v7/quotas/assign")
                .header("content-type", "application/json")
                .header("accept", ACCEPT)
                .header("authorization", format!("Bearer {TOKEN}"))
                .json_body(json!({"organizations": [
                    {"value": 50_000, "orgId": "1001"},
                    {"value": 9_000_000_000_i64, "orgId": "1002"}
                ]}));
            then.status(200).header("content-type", HAL_JSON).json_body(json!({"organizations": [
                {"value": 50_000, "orgId": "1001"}, {"value": 9_000_000_000_i64, "orgId": "1002"}
            ]}));
        })
        .await;
    let set = client_of(base_url(&server))
        .assign_organization_quotas()
        .quota("1001", 50_000)
        .quota("1002", 9_000_000_000)
        .send()
        .await
        .expect("assign");
    mock.assert_async().await;
    assert_eq!(set.len(), 2);
    assert_eq!(set[1].value, 9_000_000_000);
}

#[tokio::test]
async fn unassign_organization_quotas_posts_the_ids_and_accepts_204() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v7/quotas/unassign")
                .header("content-type", "application/json")
                .json_body(json!({"organizations": ["1001", "1002"]}));
            then.status(204);
        })
        .await;
    client_of(base_url(&server))
        .unassign_organization_quotas()
        .organization("1001")
        .organization("1002")
        .send()
        .await
        .expect("unassign");
    mock.assert_async().await;
}

#[tokio::test]
async fn assign_account_group_quotas_groups_them_by_organization() {
    let server = MockServer::start_async().await;
    let body = json!({"organizations": [
        {"orgId": "1001", "accountGroups": [{"value": 5_000, "aid": "1234"}, {"value": 2_500, "aid": "1235"}]},
        {"orgId": "1002", "accountGroups": [{"value": 10, "aid": "2001"}]}
    ]});
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v7/quotas/account-groups/assign")
                .header("content-type", "application/json")
                .json_body(body.clone());
            then.status(200).header("content-type", HAL_JSON).json_body(body.clone());
        })
        .await;
    let set = client_of(base_url(&server))
        .assign_account_group_quotas()
        .quota("1001", "1234", 5_000)
        .quota("1002", "2001", 10)
        .quota("1001", "1235", 2_500)
        .send()
        .await
        .expect("assign");
    mock.assert_async().await;
    assert_eq!(set.len(), 2);
    let groups = set[0].account_groups.as_ref().expect("groups");
    assert_eq!(groups[1].aid.as_deref(), Some("1235"));
    assert_eq!(groups[1].value, Some(2_500));
}

#[tokio::test]
async fn unassign_account_group_quotas_posts_ids_by_organization_and_accepts_204() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/v7/quotas/account-groups/unassign").json_body(json!({"organizations": [
                {"orgId": "1001", "accountGroups": ["1234", "1235"]}
            ]}));
            then.status(204);
        })
        .await;
    client_of(base_url(&server))
        .unassign_account_group_quotas()
        .account_group("1001", "1234")
        .account_group("1001", "1235")
        .send()
        .await
        .expect("unassign");
    mock.assert_async().await;
}

#[tokio::test]
async fn a_base_url_with_a_path_prefix_and_a_trailing_slash_is_honoured() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path("/proxy/te/v7/quotas");
            then.status(200).header("content-type", HAL_JSON).json_body(json!({"quotas": []}));
        })
        .await;
    let client = client_of(server.url("/proxy/te/v7/"));
    assert!(client.quotas().send().await.expect("quotas").is_empty());
    mock.assert_async().await;
}

/// Counters are 64-bit whatever the vendor's spec says of their format (a marked deviation in
/// openapi/usage.yaml): values above 2^31 occur, and decode in every counter of every listing.
#[tokio::test]
async fn every_counter_of_the_listings_decodes_values_above_two_to_the_31() {
    const BIG: i64 = 2_500_000_000;
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v7/usage/units/tests");
            then.status(200).header("content-type", HAL_JSON).json_body(json!({"breakdowns": [{
                "enterpriseUnitsUsed": BIG, "enterpriseUnitsProjected": BIG,
                "cloudUnitsUsed": BIG, "cloudUnitsProjected": BIG
            }]}));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v7/usage/units/enterprise-agents");
            then.status(200).header("content-type", HAL_JSON).json_body(json!({"breakdowns": [{
                "enterpriseUnitsUsed": BIG, "enterpriseUnitsProjected": BIG
            }]}));
        })
        .await;
    let client = client_of(base_url(&server));
    let tests = client.test_units().collect_all().await.expect("tests");
    let t = &tests[0];
    assert_eq!(
        [t.enterprise_units_used, t.enterprise_units_projected, t.cloud_units_used, t.cloud_units_projected],
        [Some(BIG); 4]
    );
    let agents = client.agent_units().collect_all().await.expect("agents");
    assert_eq!([agents[0].enterprise_units_used, agents[0].enterprise_units_projected], [Some(BIG); 2]);
}
