//! The quota operations: they change the quotas `GET /quotas` shows, set a quota without `orgId`
//! on the fake's own organization, and check their body.

use serde_json::{json, Value};
use thousandeyes_usage_fake::FakeUsageApi;

use crate::{assert_invalid, get, header, http, parts, post};

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
