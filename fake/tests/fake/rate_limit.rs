//! The organization's rate-limit window, under virtual time: its headers, its 429s, its end on a
//! whole multiple of its length, and exactly the limit for concurrent requests.

use std::time::Duration;

use thousandeyes_usage_fake::FakeUsageApi;

use crate::{get, header, header_i64, http, parts};

#[tokio::test(start_paused = true)]
async fn the_rate_limit_window_follows_virtual_time() {
    let fake = FakeUsageApi::builder().rate_limit(3, Duration::from_secs(10)).start().await;
    let mut remaining = Vec::new();
    let mut resets = Vec::new();
    for _ in 0..3 {
        let r = get(&fake, "/quotas").await;
        assert_eq!(r.status(), 200);
        assert_eq!(header_i64(&r, "x-organization-rate-limit-limit"), 3);
        remaining.push(header_i64(&r, "x-organization-rate-limit-remaining"));
        resets.push(header_i64(&r, "x-organization-rate-limit-reset"));
    }
    // The window may have turned between two requests only if they straddled its end; virtual
    // time does not move here, so all three share it.
    assert_eq!(remaining, [2, 1, 0]);
    let reset = resets[0];
    assert!(resets.iter().all(|r| *r == reset));
    assert_eq!(reset % 10, 0, "windows end on whole multiples of their length");

    let refused = get(&fake, "/usage").await;
    assert_eq!(refused.status(), 429);
    assert_eq!(header_i64(&refused, "x-organization-rate-limit-remaining"), 0);
    assert_eq!(header_i64(&refused, "x-organization-rate-limit-reset"), reset);
    let date = chrono::DateTime::parse_from_rfc2822(&header(&refused, "date")).expect("IMF-fixdate Date");
    assert!(header(&refused, "date").ends_with(" GMT"));
    let wait = reset - date.timestamp();
    assert!((1..=10).contains(&wait), "{wait}");
    let (status, content_type, body) = parts(refused).await;
    assert_eq!((status.as_u16(), content_type.as_str()), (429, "application/problem+json"));
    assert_eq!(body["status"], 429);
    // A 429 does not use up the budget: still limit 3 in the window's statistics.
    assert_eq!(fake.rate_limit_windows().last().map(|w| (w.used, w.rate_limited)), Some((3, 1)));

    // Wait out the window in virtual time: a fresh window, the next multiple of 10.
    let real = std::time::Instant::now();
    tokio::time::sleep(Duration::from_secs(wait as u64)).await;
    let r = get(&fake, "/usage").await;
    assert_eq!(r.status(), 200);
    assert_eq!(header_i64(&r, "x-organization-rate-limit-remaining"), 2);
    assert_eq!(header_i64(&r, "x-organization-rate-limit-reset"), reset + 10);
    let date = chrono::DateTime::parse_from_rfc2822(&header(&r, "date")).expect("Date");
    assert!(date.timestamp() >= reset, "the Date follows virtual time");
    assert!(real.elapsed() < Duration::from_secs(5), "no real waiting");

    let windows = fake.rate_limit_windows();
    assert_eq!(windows.len(), 2);
    assert_eq!((windows[0].reset, windows[0].succeeded, windows[0].rate_limited), (reset, 3, 1));
    assert_eq!((windows[1].reset, windows[1].succeeded, windows[1].used), (reset + 10, 1, 1));
    assert_eq!(windows[0].limit, 3);
}

#[tokio::test(start_paused = true)]
async fn concurrent_requests_get_exactly_the_limit() {
    let fake = FakeUsageApi::builder().rate_limit(10, Duration::from_secs(3600)).start().await;
    let client = http();
    let url = fake.url("/usage");
    let calls = (0..25).map(|_| {
        let request = client.get(&url).bearer_auth(fake.token());
        async move { request.send().await.expect("answer").status().as_u16() }
    });
    let statuses = futures_join_all(calls).await;
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 10);
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 15);
    let window = fake.rate_limit_windows().pop().expect("window");
    assert_eq!((window.used, window.succeeded, window.rate_limited, window.answered), (10, 10, 15, 25));
}

/// `futures::future::join_all` without the dependency: spawn and join in order.
async fn futures_join_all<F>(futures: impl Iterator<Item = F>) -> Vec<u16>
where
    F: std::future::Future<Output = u16> + Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.expect("task"));
    }
    out
}
