//! Scripted failures (`Failure`): the demo's 429 on the second page, rules that let requests
//! through, repeat and say `Retry-After`, and answers of any status and body.

use std::time::Duration;

use serde_json::{json, Value};
use thousandeyes_usage_fake::{Failure, FakeUsageApi, Operation};

use crate::{all_pages, get, get_url, header, header_i64, parts, post};

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
