//! Unit tests of `transport/gate.rs`, in virtual time.

use super::*;

#[tokio::test(start_paused = true)]
async fn after_a_refusal_nothing_goes_until_the_hold_ends_then_one_attempt_alone() {
    let gate = Gate::shared("127.0.0.1:3128", &["refusal-test-secret".into()], Duration::from_secs(5));
    let first = gate.admit().await.expect("the first attempt goes");
    gate.refuse();
    drop(first);
    assert!(gate.admit().await.is_err(), "refused while the hold lasts");
    tokio::time::advance(REFUSAL_HOLD - Duration::from_secs(1)).await;
    assert!(gate.admit().await.is_err(), "still refused a second before the hold ends");
    tokio::time::advance(Duration::from_secs(1)).await;
    let probe = gate.admit().await.expect("one attempt once the hold ended");
    assert!(probe._first.is_some(), "it goes alone: no answer has come since the refusal");
    drop(probe);
    gate.answered();
    let any = gate.admit().await.expect("an answer came");
    assert!(any._first.is_none(), "attempts go as they come again");
}

#[tokio::test(start_paused = true)]
async fn a_wait_for_the_attempt_before_is_bounded() {
    let gate = Gate::shared("127.0.0.1:3129", &["bounded-wait-test-secret".into()], Duration::from_secs(5));
    let _first = gate.admit().await.expect("the first attempt goes");
    let started = Instant::now();
    let second = gate.admit().await.expect("the second goes too, after the wait");
    assert_eq!(started.elapsed(), Duration::from_secs(5));
    assert!(second._first.is_none(), "without the first attempt's turn");
}

#[test]
fn clients_sending_one_proxy_the_same_credentials_share_a_gate_and_no_other() {
    let secrets = ["shared-test-secret".to_string()];
    let one = Gate::shared("127.0.0.1:3130", &secrets, Duration::from_secs(5));
    let two = Gate::shared("127.0.0.1:3130", &secrets, Duration::from_secs(9));
    assert!(Arc::ptr_eq(&one, &two));
    let other = Gate::shared("127.0.0.1:3130", &["another-secret".into()], Duration::from_secs(5));
    assert!(!Arc::ptr_eq(&one, &other));
    let elsewhere = Gate::shared("127.0.0.1:3131", &secrets, Duration::from_secs(5));
    assert!(!Arc::ptr_eq(&one, &elsewhere));
}

#[tokio::test(start_paused = true)]
async fn a_route_without_proxy_credentials_lets_every_attempt_through() {
    let gate = Gate::open();
    let first = gate.admit().await.expect("goes");
    let second = gate.admit().await.expect("goes too, at once");
    assert!(first._first.is_none() && second._first.is_none());
}
