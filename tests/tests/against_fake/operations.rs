//! The facade's builders against the fake: what they send, and what the fake makes of it.

use std::collections::BTreeSet;

use serde_json::json;
use thousandeyes_usage_fake::{FakeUsageApi, Operation};
use thousandeyes_usage_tests::support::{client_of, TOKEN};

/// The quota of the token's own organization goes without `orgId`, as in ThousandEyes' API
/// reference, and the fake sets it on its organization.
#[tokio::test]
async fn an_own_organization_quota_is_sent_without_org_id_and_lands_on_the_tokens_organization() {
    let fake = FakeUsageApi::builder().token(TOKEN).start().await;
    let client = client_of(fake.base_url());
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

/// `aid` is the account group a request is made in, not a filter: with any of the organization's
/// account groups the test units listing has every test of the organization, whatever account
/// group owns it, and the usage is the organization's.
#[tokio::test]
async fn aid_makes_the_request_in_an_account_group_and_does_not_filter_the_listing() {
    let fake = FakeUsageApi::builder().token(TOKEN).start().await;
    let client = client_of(fake.base_url());
    let every_test = client.test_units().collect_all().await.expect("listing");
    let owners: BTreeSet<Option<String>> = every_test.iter().map(|t| t.aid.clone()).collect();
    assert_eq!(owners.len(), 5, "the tests of all five account groups");
    let usage = client.usage().send().await.expect("usage");

    for group in fake.dataset().account_groups {
        let listed = client.test_units().aid(&group.aid).collect_all().await.expect("listing");
        assert_eq!(listed, every_test, "aid {}: the same listing", group.aid);
        assert!(listed.iter().any(|t| t.aid.as_deref() != Some(group.aid.as_str())));
        assert_eq!(client.usage().aid(&group.aid).send().await.expect("usage"), usage);
    }
    let sent: BTreeSet<Option<String>> = fake
        .requests_for(Operation::GetTestsUnitsUsage)
        .iter()
        .map(|r| r.query_param("aid").map(str::to_string))
        .collect();
    assert_eq!(sent.len(), 6, "each account group, and none: {sent:?}");

    // An account group the caller is not a member of: refused.
    let err = client.test_units().aid("999").send().await.expect_err("not a member");
    assert_eq!(err.status(), Some(404), "{err}");
}
