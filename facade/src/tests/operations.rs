//! Unit tests of `operations/mod.rs`.

use thousandeyes_usage_generated::models::ExpandUsageOptions;

use crate::error::Error;
use crate::test_support::client_of;

#[test]
fn expand_values_round_trip_through_their_api_names() {
    for e in ExpandUsageOptions::ALL {
        assert_eq!(e.as_str().parse::<ExpandUsageOptions>().ok(), Some(*e));
        assert_eq!(e.to_string(), e.as_str());
    }
    let err = "tests".parse::<ExpandUsageOptions>().expect_err("unknown");
    assert!(err.to_string().contains("\"tests\""), "{err}");
}

/// The `expand` parameter of the last request `fake` received.
fn last_expand(fake: &thousandeyes_usage_fake::FakeUsageApi) -> Option<String> {
    fake.requests().last().and_then(|r| r.query_param("expand").map(str::to_string))
}

// The borrows are the spellings under test.
#[allow(clippy::needless_borrows_for_generic_args)]
#[tokio::test]
async fn expand_takes_all_as_written_and_any_iterator_of_values_or_references() {
    let fake = thousandeyes_usage_fake::FakeUsageApi::start().await;
    let client = client_of(fake.base_url());
    let everything = ExpandUsageOptions::ALL.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(",");
    let test = ExpandUsageOptions::Test;
    let two = [test, ExpandUsageOptions::EnterpriseAgentUnit];
    let both = format!("test,{}", ExpandUsageOptions::EnterpriseAgentUnit.as_str());

    client.usage().expand(ExpandUsageOptions::ALL).send().await.expect("ALL, a slice of references");
    assert_eq!(last_expand(&fake).as_deref(), Some(everything.as_str()));
    client.usage().expand(ExpandUsageOptions::ALL.iter()).send().await.expect("an iterator of references");
    assert_eq!(last_expand(&fake).as_deref(), Some(everything.as_str()));
    client.usage().expand(ExpandUsageOptions::ALL.iter().copied()).send().await.expect("of values");
    assert_eq!(last_expand(&fake).as_deref(), Some(everything.as_str()));
    client.usage().expand(&two).send().await.expect("a reference to an array");
    assert_eq!(last_expand(&fake).as_deref(), Some(both.as_str()));
    client.usage().expand(two).send().await.expect("an array of values");
    assert_eq!(last_expand(&fake).as_deref(), Some(both.as_str()));

    client.usage().expand([test]).send().await.expect("an array of one value");
    assert_eq!(last_expand(&fake).as_deref(), Some("test"));
    client.usage().expand([&test]).send().await.expect("an array of one reference");
    assert_eq!(last_expand(&fake).as_deref(), Some("test"));
    client.usage().expand(vec![test, test]).send().await.expect("a Vec of values, one repeated");
    assert_eq!(last_expand(&fake).as_deref(), Some("test"), "each value is sent once");
    client.usage().expand(&vec![test]).send().await.expect("a reference to a Vec");
    assert_eq!(last_expand(&fake).as_deref(), Some("test"));
    client.usage().expand(std::iter::empty::<ExpandUsageOptions>()).send().await.expect("none");
    assert_eq!(last_expand(&fake), None, "an empty list sends no expand");
    assert_eq!(fake.request_count(), 10);
}

#[tokio::test]
async fn a_negative_quota_is_refused_naming_units_and_the_value_before_any_request() {
    let fake = thousandeyes_usage_fake::FakeUsageApi::start().await;
    let client = client_of(fake.base_url());
    let org = client.assign_organization_quotas().quota("1001", -1).send().await.map(drop);
    let group = client.assign_account_group_quotas().quota("1001", "1234", i64::MIN).send().await.map(drop);
    for (result, value) in [(org, "-1"), (group, "-9223372036854775808")] {
        match result {
            Err(Error::InvalidInput { field: "units", value: v, reason }) => {
                assert_eq!(v, value);
                assert!(reason.contains("negative"), "{reason}");
            }
            other => panic!("expected invalid input naming units, got {other:?}"),
        }
    }
    assert_eq!(fake.request_count(), 0, "nothing was sent");

    // Zero and the largest int64 are quotas, sent as given.
    let org = fake.quotas()[0].organization_quota.as_ref().and_then(|q| q.org_id.clone()).expect("org");
    let set = client.assign_organization_quotas().quota(&org, 0).send().await.expect("a zero quota");
    assert_eq!(set.iter().map(|q| q.value).collect::<Vec<i64>>(), [0]);
    client.assign_organization_quotas().quota(&org, i64::MAX).send().await.expect("the largest quota");
    let sent = fake.requests().last().expect("a request").body_json().expect("json");
    assert_eq!(sent["organizations"][0]["value"], i64::MAX);
}

#[tokio::test]
async fn a_404_names_the_path_sent_and_the_base_urls_path() {
    let fake = thousandeyes_usage_fake::FakeUsageApi::start().await;
    // A base URL without the version path: every path the client sends is unknown to the API.
    let wrong = client_of(format!("http://{}/api", fake.addr()));
    let err = wrong.usage().send().await.expect_err("404");
    assert_eq!(err.status(), Some(404));
    let message = err.to_string();
    assert!(message.contains("404 for /api/usage, below the base URL's path \"/api\""), "{message}");
    assert!(message.contains("check that base_url ends in the API's version path /v7"), "{message}");
    assert!(message.contains("https://api.thousandeyes.com/v7"), "{message}");
    assert_eq!(fake.requests()[0].path, "/api/usage", "the path named is the one sent");

    // With the version path, a 404 whose details explain it is the API's word on the data: the
    // message is the server's, with no hint on the base URL.
    let err =
        client_of(fake.base_url()).usage().aid("999999").send().await.expect_err("unknown account group");
    let message = err.to_string();
    assert!(message.contains("Account group 999999 does not exist"), "{message}");
    assert!(!message.contains("404 for"), "{message}");
    assert!(!message.contains("check that base_url"), "{message}");
}
