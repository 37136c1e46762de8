//! The facade's builders against the fake: what they send, and what the fake makes of it.

use serde_json::json;
use thousandeyes_usage::Client;
use thousandeyes_usage_fake::{FakeUsageApi, Operation};

fn client_of(fake: &FakeUsageApi) -> Client {
    Client::builder().token(fake.token()).base_url(fake.base_url()).build().expect("client")
}

/// The quota of the token's own organization goes without `orgId`, as in ThousandEyes' API
/// reference, and the fake sets it on its organization.
#[tokio::test]
async fn an_own_organization_quota_is_sent_without_org_id_and_lands_on_the_tokens_organization() {
    let fake = FakeUsageApi::start().await;
    let client = client_of(&fake);
    let set = client
        .assign_organization_quotas()
        .own_organization_quota(12_000)
        .quota("1234", 10_000)
        .send()
        .await
        .expect("assigned");

    let sent = fake.requests_for(Operation::AssignOrganizationsQuotas);
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].body_json().expect("JSON body"),
        json!({"organizations": [{"value": 12000}, {"orgId": "1234", "value": 10000}]})
    );
    let answered: Vec<(Option<&str>, i64)> = set.iter().map(|q| (q.org_id.as_deref(), q.value)).collect();
    assert_eq!(answered, [(Some("1001"), 12_000), (Some("1234"), 10_000)]);

    let quotas = client.quotas().send().await.expect("quotas");
    let organizations: Vec<(Option<&str>, i64)> = quotas
        .iter()
        .filter_map(|q| q.organization_quota.as_ref())
        .map(|o| (o.org_id.as_deref(), o.value))
        .collect();
    assert_eq!(organizations, [(Some("1001"), 12_000), (Some("1234"), 10_000)]);
    assert_eq!(fake.expected_totals().organization_quota, Some(12_000));
}
