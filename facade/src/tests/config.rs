//! Unit tests of `config.rs`.

use super::*;

#[test]
fn token_with_newline_is_refused_without_echoing_it() {
    let err = check_token("abc\r\nX-Evil: 1", "token").unwrap_err().to_string();
    assert!(err.contains("line break"), "{err}");
    assert!(!err.contains("abc"), "{err}");
}

#[test]
fn base_url_rules() {
    assert!(parse_base_url("https://api.thousandeyes.com/v7/", false).is_ok());
    assert!(parse_base_url("http://127.0.0.1:8080/v7", false).is_ok());
    assert!(parse_base_url("http://[::1]:8080", false).is_ok());
    assert!(parse_base_url("http://localhost:1", false).is_ok());
    assert!(parse_base_url("http://example.com/v7", false).is_err());
    assert!(parse_base_url("http://example.com/v7", true).is_ok());
    assert!(parse_base_url("https://x.test/v7?a=b", false).is_err());
    assert!(parse_base_url("ftp://x.test/", false).is_err());
    assert!(parse_base_url("https://user:pw@x.test/", false).is_err());
    assert!(parse_base_url("not a url", false).is_err());
}

#[test]
fn aid_must_be_decimal() {
    assert_eq!(check_aid(" 1234 ").as_deref(), Ok("1234"));
    assert!(check_aid("").is_err());
    assert!(check_aid("   ").is_err());
    assert!(check_aid("12a4").is_err());
    assert!(check_aid("-5").is_err());
}
