//! Authentication: a missing or wrong bearer token is an OAuth-style 401 that uses up no call,
//! and a rotated token's predecessor is accepted for 14 days of the fake's clock.

use std::time::Duration;

use thousandeyes_usage_fake::{FakeUsageApi, TokenCheck, PREVIOUS_TOKEN_GRACE};

use crate::{header, header_i64, http, parts};

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
