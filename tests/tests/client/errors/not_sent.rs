//! A call the client holds back because of the rate limit is an `Error::NotSent`: no status it
//! never received, and helpers that say it may be sent once the window opens.

use std::time::Duration;

use thousandeyes_usage::{Error, NotSentReason};
use thousandeyes_usage_tests::raw::{RawServer, Reply};
use thousandeyes_usage_tests::support::{client_of, PROBLEM_JSON};

#[tokio::test(start_paused = true)]
async fn a_call_held_back_is_not_sent_has_no_status_and_may_be_sent_after_the_reset() {
    let server = RawServer::script(vec![Reply::status(429)
        .header("Content-Type", PROBLEM_JSON)
        .header("Retry-After", "600")
        .body(r#"{"title":"Too Many Requests","status":429}"#)
        .into()])
    .await;
    let gave_up = client_of(server.base_url());
    let refused = gave_up.usage().send().await.expect_err("a 600 s wait is beyond max_wait");
    assert_eq!(refused.status(), Some(429), "{refused:?}");
    // The same client: it gave up until the reset.
    let err = gave_up.quotas().send().await.expect_err("held back");
    let Error::NotSent { operation, reason, retry_after, .. } = &err else { panic!("{err:?}") };
    assert_eq!((*operation, *reason), ("getQuotas", NotSentReason::GaveUp));
    assert!(*retry_after > Duration::from_secs(590) && *retry_after <= Duration::from_secs(600), "{err:?}");
    assert_eq!((err.status(), err.retry_after()), (None, Some(*retry_after)));
    assert!(err.is_rate_limited() && err.is_retryable() && err.as_api().is_none(), "{err:?}");
    let shown = err.to_string();
    assert!(shown.contains("not sent") && !shown.contains("HTTP") && !shown.contains("429"), "{shown}");
    // Another client of the organization holds until the same reset, longer than it may wait.
    let other = client_of(server.base_url()).usage().send().await.expect_err("held back");
    assert!(matches!(other, Error::NotSent { reason: NotSentReason::WindowClosed, .. }), "{other:?}");
    assert_eq!(server.count(), 1, "only the first call reached the server");
}
