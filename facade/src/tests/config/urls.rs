//! Unit tests of `config/urls.rs`.

use super::*;

#[test]
fn base_url_rules() {
    let ok = |raw, insecure| parse_base_url(raw, insecure, "base_url").is_ok();
    assert!(ok("https://api.thousandeyes.com/v7/", false));
    assert!(ok("http://127.0.0.1:8080/v7", false));
    assert!(ok("http://[::1]:8080/v7", false));
    assert!(ok("http://localhost:1/v7", false));
    assert!(!ok("http://example.com/v7", false));
    assert!(ok("http://example.com/v7", true));
    assert!(!ok("https://x.test/v7?a=b", false));
    assert!(!ok("ftp://x.test/", false));
    assert!(!ok("https://user:pw@x.test/", false));
    assert!(!ok("not a url", false));
}

#[test]
fn base_url_errors_never_echo_a_password() {
    for raw in [
        "https://user:hunter2@[::1/v7",
        "https://user:hunter2@exa mple.com/v7",
        "https://u:hunter2@x.test/v7",
    ] {
        let err = parse_base_url(raw, false, "base_url").expect_err(raw).to_string();
        assert!(!err.contains("hunter2"), "{err}");
        assert!(err.contains("[REDACTED]@"), "{err}");
    }
}

#[test]
fn userinfo_is_redacted_even_without_a_scheme() {
    // Up to the last `@`: which `@` ends the userinfo cannot be told when a password may hold
    // an unencoded `/` and `@` ("b@host/p" is a possible password here).
    assert_eq!(redact_userinfo("https://a:b@host/p@x"), "https://[REDACTED]@x");
    assert_eq!(redact_userinfo("https://a:b@host/v7"), "https://[REDACTED]@host/v7");
    assert_eq!(redact_userinfo("a:b@host"), "[REDACTED]@host");
    assert_eq!(redact_userinfo("https://host/v7"), "https://host/v7");
}
