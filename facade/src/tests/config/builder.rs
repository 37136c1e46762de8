//! Unit tests of `config/builder.rs`.

use super::*;

#[test]
fn token_with_newline_is_refused_without_echoing_it() {
    let err = check_token("abc\r\nX-Evil: 1", "token").unwrap_err().to_string();
    assert!(err.contains("line break"), "{err}");
    assert!(!err.contains("abc"), "{err}");
}

#[test]
fn shares_are_between_zero_and_one() {
    for bad in [0.0, -0.5, 1.5, f64::NAN, f64::INFINITY] {
        assert!(check_share(bad, "rate_limit_share").is_err(), "{bad}");
    }
    assert!(check_share(0.25, "rate_limit_share").is_ok());
    assert!(check_share(1.0, "rate_limit_share").is_ok());
}
