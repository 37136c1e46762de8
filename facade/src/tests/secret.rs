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
fn short_tokens_are_redacted_where_they_stand_alone() {
    let secret = Secret::new("Ab3$9xZ");
    assert_eq!(secret.redact("invalid token Ab3$9xZ, try again"), "invalid token [REDACTED], try again");
    let secret = Secret::new("t");
    assert_eq!(secret.redact("the text"), "the text");
    assert_eq!(secret.redact("token: t"), "token: [REDACTED]");
    let secret = Secret::new("t0k");
    assert_eq!(secret.redact("invalid token t0k."), "invalid token [REDACTED].");
    assert_eq!(secret.redact("the t0ken"), "the t0ken");
}

#[test]
fn json_escaped_and_lower_case_percent_encoded_echoes_are_redacted() {
    let secret = Secret::new("abcd/efgh-1234-ijkl~x");
    for echo in [
        r#"{"detail":"bad token abcd\/efgh-1234-ijkl~x"}"#,
        "token=abcd%2fefgh-1234-ijkl~x",
        "token=abcd%2Fefgh-1234-ijkl%7Ex",
    ] {
        let redacted = secret.redact(echo);
        assert!(redacted.contains("[REDACTED]") && !redacted.contains("efgh-1234"), "{echo} -> {redacted}");
    }
}

#[test]
fn a_token_ending_in_a_quote_is_found_json_escaped() {
    let secret = Secret::new("abcd-efgh-\"");
    let redacted = secret.redact(r#"{"detail":"bad token abcd-efgh-\""}"#);
    assert!(!redacted.contains("efgh"), "{redacted}");
}

#[test]
fn a_replaced_token_is_shared_by_every_clone_and_the_old_one_stays_redacted() {
    let secret = Secret::new("first-t0ken-value");
    let clone = secret.clone();
    secret.replace("second-t0ken-value");
    assert_eq!(&*clone.expose(), "second-t0ken-value");
    assert_eq!(
        clone.redact("late echo first-t0ken-value, new second-t0ken-value"),
        "late echo [REDACTED], new [REDACTED]"
    );
    // Back to a token it was before: still one entry of each, both redacted.
    secret.replace("first-t0ken-value");
    assert_eq!(&*secret.expose(), "first-t0ken-value");
    assert_eq!(secret.redact("first-t0ken-value second-t0ken-value"), "[REDACTED] [REDACTED]");
}

#[test]
fn a_long_token_containing_a_short_old_one_is_redacted_whole() {
    let secret = Secret::new("ab12");
    secret.replace("xx-ab12-yy-long-token");
    assert_eq!(secret.redact("echo xx-ab12-yy-long-token and ab12."), "echo [REDACTED] and [REDACTED].");
}
