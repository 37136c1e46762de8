//! The fake's time: latency in virtual time, and a clock running ahead of or behind the local one.

use std::time::Duration;

use thousandeyes_usage_fake::FakeUsageApi;

use crate::{assert_invalid, get, header, header_i64};

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
