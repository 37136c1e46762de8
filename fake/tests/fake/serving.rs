//! Where the fake answers: the spec's paths below `/v7` (others 404, other methods 405), and
//! nowhere once dropped.

use thousandeyes_usage_fake::FakeUsageApi;

use crate::{get, header, http, parts};

#[tokio::test]
async fn unknown_paths_are_404_and_wrong_methods_405() {
    let fake = FakeUsageApi::start().await;
    let (status, content_type, body) = parts(get(&fake, "/usage/units").await).await;
    assert_eq!((status.as_u16(), content_type.as_str()), (404, "application/problem+json"));
    assert_eq!(body["instance"], "/v7/usage/units");
    let root = http()
        .get(format!("http://{}/usage", fake.addr()))
        .bearer_auth(fake.token())
        .send()
        .await
        .expect("answer");
    assert_eq!(root.status(), 404, "only below /v7");
    let r = http().post(fake.url("/usage")).bearer_auth(fake.token()).send().await.expect("answer");
    assert_eq!(r.status(), 405);
    assert_eq!(header(&r, "allow"), "GET");
    let r = http().get(fake.url("/quotas/assign")).bearer_auth(fake.token()).send().await.expect("answer");
    assert_eq!((r.status().as_u16(), header(&r, "allow")), (405, "POST".to_string()));
    // A trailing slash is the same path.
    assert_eq!(get(&fake, "/quotas/").await.status(), 200);
    assert!(fake.requests().iter().take(4).all(|r| r.operation.is_none()));
}

#[tokio::test]
async fn dropping_the_fake_stops_it() {
    let fake = FakeUsageApi::start().await;
    let url = fake.url("/usage");
    assert_eq!(get(&fake, "/usage").await.status(), 200);
    drop(fake);
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    // A new connection (no pooled one): refused.
    let fresh = reqwest::Client::builder().no_proxy().build().expect("client");
    assert!(fresh.get(&url).send().await.is_err());
}
