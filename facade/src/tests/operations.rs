//! Unit tests of `operations/mod.rs`.

use super::*;
use chrono::TimeZone;
use thousandeyes_usage_generated::models::ExpandUsageOptions;

fn utc(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).single().expect("time")
}

#[test]
fn error_messages_show_times_as_rfc3339_utc_with_z() {
    let t = chrono::FixedOffset::east_opt(2 * 3600)
        .expect("offset")
        .with_ymd_and_hms(2024, 3, 1, 2, 30, 0)
        .single()
        .expect("time");
    assert_eq!(rfc3339(t.with_timezone(&Utc)), "2024-03-01T00:30:00Z");
}

#[test]
fn periods_are_checked() {
    let now = utc(2024, 6, 1);
    let p = |start, end| Period { start, end };
    assert!(p(Some(utc(2024, 5, 1)), Some(utc(2024, 5, 2))).check(now).is_ok());
    assert!(p(Some(utc(2024, 5, 1)), None).check(now).is_ok());
    assert!(p(None, None).check(now).is_ok());
    let err = p(None, Some(utc(2024, 5, 2))).check(now).expect_err("end without start");
    assert!(matches!(err, Error::InvalidInput { field: "end", .. }));
    let err = p(Some(utc(2024, 5, 3)), Some(utc(2024, 5, 2))).check(now).expect_err("inverted");
    assert!(err.to_string().contains("2024-05-03T00:00:00Z"), "{err}");
    assert!(p(Some(utc(2024, 7, 1)), None).check(now).is_err());
}

#[test]
fn a_range_within_one_second_is_refused_since_the_api_takes_whole_seconds() {
    let start = utc(2024, 5, 1) + chrono::Duration::milliseconds(100);
    let end = utc(2024, 5, 1) + chrono::Duration::milliseconds(900);
    let err = Period { start: Some(start), end: Some(end) }.check(utc(2024, 6, 1)).expect_err("same second");
    assert!(matches!(err, Error::InvalidInput { field: "start", .. }), "{err}");
    // Fractions are cut: what is sent is what was checked.
    let (s, e) = Period { start: Some(start), end: Some(end + chrono::Duration::seconds(1)) }
        .check(utc(2024, 6, 1))
        .expect("a second apart");
    assert_eq!(s.map(|t| t.timestamp_subsec_nanos()), Some(0));
    assert!(s < e);
}

#[test]
fn an_end_a_day_before_the_start_names_both_without_the_whole_seconds_note() {
    let err = Period { start: Some(utc(2024, 5, 3)), end: Some(utc(2024, 5, 2)) }
        .check(utc(2024, 6, 1))
        .expect_err("end before start");
    let Error::InvalidInput { field: "start", value, reason } = &err else { panic!("{err:?}") };
    assert_eq!(value, "2024-05-03T00:00:00Z");
    assert!(reason.contains("is after the end 2024-05-02T00:00:00Z"), "{reason}");
    assert!(!err.to_string().contains("whole seconds"), "{err}");
    // A second apart or more, whichever way: no note either.
    let err =
        Period { start: Some(utc(2024, 5, 2) + chrono::Duration::seconds(1)), end: Some(utc(2024, 5, 2)) }
            .check(utc(2024, 6, 1))
            .expect_err("end a second before start");
    assert!(!err.to_string().contains("whole seconds"), "{err}");
}

#[test]
fn a_start_and_end_within_a_second_name_both_as_given_and_the_whole_seconds_note() {
    for (start_ms, end_ms) in [(100, 900), (900, 100), (500, 500)] {
        let start = utc(2024, 5, 1) + chrono::Duration::milliseconds(start_ms);
        let end = utc(2024, 5, 1) + chrono::Duration::milliseconds(end_ms);
        let err =
            Period { start: Some(start), end: Some(end) }.check(utc(2024, 6, 1)).expect_err("same second");
        let Error::InvalidInput { field: "start", value, reason } = &err else { panic!("{err:?}") };
        assert_eq!(value, &rfc3339(start), "the start as given, fraction and all");
        assert!(reason.contains(&format!("must be before the end {}", rfc3339(end))), "{reason}");
        assert!(reason.contains("whole seconds"), "{reason}");
        assert!(reason.contains("2024-05-01T00:00:00Z and 2024-05-01T00:00:00Z"), "{reason}");
    }
}

#[test]
fn years_rfc3339_cannot_write_are_refused() {
    let now = utc(2024, 6, 1);
    for t in [DateTime::<Utc>::MIN_UTC, utc(-5, 1, 1)] {
        let err = Period { start: Some(t), end: None }.check(now).expect_err("year out of range");
        assert!(matches!(err, Error::InvalidInput { field: "start", .. }), "{err}");
    }
    let err =
        Period { start: Some(utc(2024, 1, 1)), end: Some(utc(10_000, 1, 1)) }.check(now).expect_err("end");
    assert!(matches!(err, Error::InvalidInput { field: "end", .. }), "{err}");
}

#[test]
fn expand_values_round_trip_through_their_api_names() {
    for e in ExpandUsageOptions::ALL {
        assert_eq!(e.as_str().parse::<ExpandUsageOptions>().ok(), Some(*e));
        assert_eq!(e.to_string(), e.as_str());
    }
    let err = "tests".parse::<ExpandUsageOptions>().expect_err("unknown");
    assert!(err.to_string().contains("\"tests\""), "{err}");
}

/// A client of `fake`.
fn client_of(fake: &thousandeyes_usage_fake::FakeUsageApi) -> crate::Client {
    crate::Client::builder().token(fake.token()).base_url(fake.base_url()).build().expect("client")
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
    let client = client_of(&fake);
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
    let client = client_of(&fake);
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
    let wrong = crate::Client::builder()
        .token(fake.token())
        .base_url(format!("http://{}/api", fake.addr()))
        .build()
        .expect("client");
    let err = wrong.usage().send().await.expect_err("404");
    assert_eq!(err.status(), Some(404));
    let message = err.to_string();
    assert!(message.contains("404 for /api/usage, below the base URL's path \"/api\""), "{message}");
    assert!(message.contains("check that base_url ends in the API's version path /v7"), "{message}");
    assert!(message.contains("https://api.thousandeyes.com/v7"), "{message}");
    assert_eq!(fake.requests()[0].path, "/api/usage", "the path named is the one sent");

    // With the version path, a 404 whose details explain it is the API's word on the data: the
    // message is the server's, with no hint on the base URL.
    let err = client_of(&fake).usage().aid("999999").send().await.expect_err("unknown account group");
    let message = err.to_string();
    assert!(message.contains("Account group 999999 does not exist"), "{message}");
    assert!(!message.contains("404 for"), "{message}");
    assert!(!message.contains("check that base_url"), "{message}");
}
