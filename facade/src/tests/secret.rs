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

#[test]
fn the_current_token_and_a_bounded_number_of_earlier_ones_stay_redacted() {
    let token = |n: usize| format!("rotated-t0ken-number-{n:03}");
    let secret = Secret::new(token(0));
    let rotations = 3 * EARLIER_TOKENS;
    for n in 1..=rotations {
        secret.replace(token(n));
    }
    assert_eq!(&*secret.expose(), token(rotations));
    // The current token and the EARLIER_TOKENS before it: redacted.
    for n in rotations - EARLIER_TOKENS..=rotations {
        assert_eq!(secret.redact(&format!("echo {}", token(n))), "echo [REDACTED]", "token {n}");
    }
    // Older ones are forgotten: the record does not grow with each rotation.
    for n in 0..rotations - EARLIER_TOKENS {
        assert_eq!(secret.redact(&token(n)), token(n), "token {n}");
    }
    let tokens = secret.tokens();
    assert_eq!(tokens.all.len(), EARLIER_TOKENS + 1);
    assert!(tokens.forms.len() <= 8 * (EARLIER_TOKENS + 1), "{}", tokens.forms.len());
}

#[test]
fn a_token_used_again_is_the_newest_not_a_second_entry() {
    let secret = Secret::new("first-t0ken-value");
    for n in 0..EARLIER_TOKENS - 1 {
        secret.replace(format!("middle-t0ken-{n:02}"));
    }
    // The first token comes back, then as many new ones as the bound allows: it was the newest
    // earlier one when they came, so it is still redacted.
    secret.replace("first-t0ken-value");
    secret.replace("last-t0ken-value");
    assert_eq!(secret.redact("first-t0ken-value"), "[REDACTED]");
    assert_eq!(secret.tokens().all.len(), EARLIER_TOKENS + 1);
    assert_eq!(secret.tokens().all.iter().filter(|t| &***t == "first-t0ken-value").count(), 1);
}

/// A day's rotation for the 14 days ThousandEyes accepts a regenerated token's predecessor:
/// every token that still works stays redacted.
#[test]
fn daily_rotation_keeps_every_token_the_api_still_accepts_redacted() {
    let secret = Secret::new("day-00-t0ken-value");
    for day in 1..=30_u32 {
        secret.replace(format!("day-{day:02}-t0ken-value"));
        for still_valid in day.saturating_sub(14)..=day {
            let echoed = format!("day-{still_valid:02}-t0ken-value");
            assert_eq!(secret.redact(&echoed), "[REDACTED]", "day {day}: {echoed}");
        }
    }
}

#[test]
fn another_secret_is_redacted_in_every_form_and_outlives_rotations() {
    let secret = Secret::new("the-t0ken-value");
    secret.also_redact("pr0xy/p@ss#word");
    secret.also_redact("");
    for n in 0..2 * EARLIER_TOKENS {
        secret.replace(format!("rotated-t0ken-{n:02}"));
    }
    assert_eq!(
        secret.redact("echo pr0xy/p@ss#word, pr0xy%2Fp%40ss%23word and pr0xy\\/p@ss#word"),
        "echo [REDACTED], [REDACTED] and [REDACTED]"
    );
    assert_eq!(&*secret.expose(), format!("rotated-t0ken-{:02}", 2 * EARLIER_TOKENS - 1), "never the token");
}
