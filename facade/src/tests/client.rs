//! Unit tests of `client.rs`.

use std::sync::Arc;

use super::*;
use crate::test_support::builder_of;

fn client(token: &str) -> Client {
    Client::builder().token(token).base_url("http://127.0.0.1:9/v7").build().expect("client")
}

#[test]
fn after_set_token_a_client_built_with_the_new_token_shares_the_pacer() {
    let rotated = client("set-token-old-Kq81");
    let before = client("set-token-old-Kq81");
    assert!(Arc::ptr_eq(&rotated.inner.pipeline.pacer, &before.inner.pipeline.pacer));
    rotated.set_token("set-token-new-Kq82").expect("a good token");
    let after = client("set-token-new-Kq82");
    assert!(Arc::ptr_eq(&rotated.inner.pipeline.pacer, &after.inner.pipeline.pacer));
    let stranger = client("set-token-other-Kq83");
    assert!(!Arc::ptr_eq(&rotated.inner.pipeline.pacer, &stranger.inner.pipeline.pacer));
}

#[test]
fn set_token_refuses_what_the_builder_refuses_and_keeps_the_token() {
    let client = client("set-token-kept-Zp55");
    for (bad, why) in
        [("", "empty"), ("  ", "empty"), ("new\r\nX-Evil: 1", "line break"), ("tok en", "white space")]
    {
        let err = client.set_token(bad).expect_err(bad);
        assert!(matches!(err, Error::Config { .. }), "{err:?}");
        let text = err.to_string();
        assert!(text.contains("token") && text.contains(why), "{bad:?}: {text}");
        assert!(bad.trim().is_empty() || !text.contains(bad.trim()), "{text}");
    }
    assert_eq!(&*client.secret().expose(), "set-token-kept-Zp55");
}

#[test]
fn builder_clones_build_clients_whose_tokens_are_set_apart() {
    let builder = Client::builder().token("set-token-shared-builder");
    let (a, b) = (builder.clone().build().expect("a"), builder.build().expect("b"));
    a.set_token("set-token-for-a-only").expect("token");
    assert_eq!(&*b.secret().expose(), "set-token-shared-builder");
    assert!(!format!("{a:?}").contains("set-token"), "{a:?}");
}

#[test]
fn a_clients_debug_shows_the_user_agent_as_given() {
    let client =
        builder_of("http://127.0.0.1:9/v7").user_agent("billing-job/2.1 (Zürich)").build().expect("client");
    let shown = format!("{client:?}");
    assert!(shown.contains(r#"user_agent: "billing-job/2.1 (Zürich)""#), "{shown}");
}
