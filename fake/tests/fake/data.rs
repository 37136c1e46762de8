//! The data a fake serves: the seeded Acme organization (its totals, `GET /usage` and its `expand`,
//! the same every run) and data of your own.

use serde_json::{json, Value};
use thousandeyes_usage_fake::models::{EnterpriseAgentUnitsByTestOwnerAccountGroup, UnitsByTests};
use thousandeyes_usage_fake::{AccountGroup, Dataset, FakeUsageApi};

use crate::{all_pages, assert_invalid, get, items, parts, sum};

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
