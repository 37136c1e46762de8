//! Unit tests of `secret.rs`.

use super::*;

#[test]
fn debug_never_shows_the_token() {
    let secret = Secret::new("s3cr3t-token-value");
    assert_eq!(format!("{secret:?}"), "[REDACTED]");
}

#[test]
fn redacts_plain_and_percent_encoded_occurrences() {
    let secret = Secret::new("abc/def+ghi=jkl");
    let text = "token abc/def+ghi=jkl echoed, and abc%2Fdef%2Bghi%3Djkl in a URL";
    assert_eq!(secret.redact(text), "token [REDACTED] echoed, and [REDACTED] in a URL");
}

#[test]
fn short_tokens_are_not_searched_for() {
    let secret = Secret::new("t");
    assert_eq!(secret.redact("the text"), "the text");
}
