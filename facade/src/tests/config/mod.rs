//! Unit tests of `config/mod.rs`: every setting checked into the configuration.

use super::*;
use crate::test_support::TOKEN;

#[test]
fn a_base_url_without_a_path_is_refused_naming_the_setting_and_the_fix() {
    for raw in ["https://api.thousandeyes.com", "https://api.thousandeyes.com/", "http://127.0.0.1:8080//"] {
        let built = ClientBuilder::new().token(TOKEN).base_url(raw).into_config();
        match built {
            Err(Error::Config { setting, reason }) => {
                assert_eq!(setting, "base_url", "{raw}");
                assert!(reason.contains(&format!("{raw:?} has no path")), "{reason}");
                assert!(reason.contains("/v7\""), "{raw}: the fix ends in /v7: {reason}");
            }
            other => panic!("{raw}: expected a config error, got {other:?}"),
        }
    }
    let err = ClientBuilder::new().token(TOKEN).base_url("https://api.thousandeyes.com").into_config();
    let err = err.expect_err("no path").to_string();
    assert!(err.contains("use \"https://api.thousandeyes.com/v7\""), "{err}");

    let env = |endpoint: &'static str| {
        move |name: &str| match name {
            ENV_TOKEN => Some(TOKEN.to_string()),
            ENV_API_ENDPOINT => Some(endpoint.to_string()),
            _ => None,
        }
    };
    match ClientBuilder::from_env_with(env("https://api.thousandeyes.com/")) {
        Err(Error::Config { setting, reason }) => {
            assert_eq!(setting, ENV_API_ENDPOINT);
            assert!(reason.contains("\"https://api.thousandeyes.com/v7\""), "{reason}");
        }
        other => panic!("expected a config error naming TE_API_ENDPOINT, got {other:?}"),
    }
    assert!(ClientBuilder::from_env_with(env("https://api.thousandeyes.com/v7")).is_ok());
}

use crate::test_support::passwords;
pub(crate) use passwords::shows_a_password_piece;

/// The proxy passwords of the tests of redaction, and one with a colon (which ends a userinfo's
/// user name, not its password).
pub(crate) fn awkward_passwords() -> Vec<String> {
    let mut all = passwords::awkward_passwords();
    all.insert(5, "Xq7:Zw9".into());
    all
}

#[test]
fn a_password_with_an_unencoded_slash_question_mark_or_hash_is_never_partly_shown() {
    for password in awkward_passwords() {
        for raw in [
            format!("http://user:{password}@proxy.test:3128"),
            format!("http://user:{password}@proxy.test:3128/"),
            format!("https://user:{password}@api.example.test/v7"),
            format!("user:{password}@proxy.test:3128"),
            format!("http://{password}@proxy.test:3128"),
        ] {
            let shown = redact_userinfo(&raw);
            assert!(!shows_a_password_piece(&shown), "{raw} -> {shown}");
            assert!(
                shown.contains("[REDACTED]@proxy.test:3128") || shown.contains("[REDACTED]@api.example.test"),
                "{raw} -> {shown}"
            );
            // Whatever `build()` makes of it, nothing shows the password either.
            let builder = ClientBuilder::new().token(TOKEN).proxy(raw.clone());
            assert!(!shows_a_password_piece(&format!("{builder:?}")), "{raw}: {builder:?}");
            let text = match builder.into_config() {
                Ok(config) => format!("{config:?}"),
                Err(err) => format!("{err} {err:?}"),
            };
            assert!(!shows_a_password_piece(&text), "{raw}: {text}");
            let base = ClientBuilder::new().token(TOKEN).base_url(raw.clone());
            assert!(!shows_a_password_piece(&format!("{base:?}")), "{raw}: {base:?}");
            let err = base.into_config().expect_err("a base URL with credentials");
            assert!(!shows_a_password_piece(&format!("{err} {err:?}")), "{raw}: {err}");
        }
    }
}

#[test]
fn ipv4_mapped_loopback_addresses_are_loopback() {
    for loopback in
        ["http://[::ffff:127.0.0.1]:8080/v7", "http://[::ffff:7f00:1]/v7", "http://[::FFFF:127.9.9.9]:1/v7"]
    {
        assert!(parse_base_url(loopback, false, "base_url").is_ok(), "{loopback}: plain http to loopback");
        let route = route_of(ClientBuilder::new().base_url(loopback));
        assert!(matches!(route, Route::Direct), "{loopback}: {route:?}");
    }
    // Mapped addresses outside 127.0.0.0/8 are not.
    for remote in ["http://[::ffff:10.0.0.1]/v7", "http://[::ffff:7e00:1]/v7", "http://[::127.0.0.1]/v7"] {
        assert!(parse_base_url(remote, false, "base_url").is_err(), "{remote}");
        let route = route_of(ClientBuilder::new().base_url(remote).allow_insecure_http(true));
        assert!(matches!(route, Route::Environment), "{remote}: {route:?}");
    }
}

fn route_of(builder: ClientBuilder) -> Route {
    builder.token(TOKEN).into_config().expect("config").route
}

#[test]
fn a_loopback_base_url_is_reached_directly_and_a_remote_one_by_the_environments_proxy() {
    for loopback in
        ["http://127.0.0.1:8080/v7", "http://127.3.4.5/v7", "http://[::1]:1/v7", "http://LocalHost:9/v7"]
    {
        let route = route_of(ClientBuilder::new().base_url(loopback));
        assert!(matches!(route, Route::Direct), "{loopback}: {route:?}");
    }
    for remote in
        ["https://api.thousandeyes.com/v7", "https://localhost.example.test/v7", "https://10.0.0.1/v7"]
    {
        let route = route_of(ClientBuilder::new().base_url(remote));
        assert!(matches!(route, Route::Environment), "{remote}: {route:?}");
    }
}

#[test]
fn an_explicit_proxy_or_no_proxy_wins_over_the_environment_and_loopback() {
    let route =
        route_of(ClientBuilder::new().base_url("http://127.0.0.1:8080/v7").proxy("http://127.0.0.1:3128"));
    assert!(matches!(&route, Route::Proxy(url) if url.as_str() == "http://127.0.0.1:3128/"), "{route:?}");
    let route = route_of(ClientBuilder::new().proxy("http://proxy.test:1").no_proxy());
    assert!(matches!(route, Route::Direct), "{route:?}");
}

#[test]
fn proxy_urls_are_checked_at_build_naming_the_setting_never_the_password() {
    for raw in [
        "socks5://user:hunter2@proxy.test:1080",
        "http://user:hunter2@proxy.test:3128/some/path",
        "user:hunter2@proxy.test:3128",
        "http://user:hunter2@proxy test:3128",
        "http://user:hunter2@proxy.test:3128?x=1",
    ] {
        let err = ClientBuilder::new().token(TOKEN).proxy(raw).into_config().expect_err(raw);
        let text = err.to_string();
        assert!(text.contains("proxy"), "{raw}: {text}");
        assert!(!text.contains("hunter2"), "{raw}: {text}");
    }
    let builder = ClientBuilder::new().proxy("http://user:hunter2@proxy.test:3128");
    assert!(!format!("{builder:?}").contains("hunter2"), "{builder:?}");
    let config = builder.token(TOKEN).into_config().expect("a password in a proxy URL is allowed");
    let shown = format!("{config:?}");
    assert!(!shown.contains("hunter2") && shown.contains("proxy.test"), "{shown}");
}

#[test]
fn proxy_settings_and_root_certificates_cannot_be_combined_with_a_callers_http_client() {
    let http = reqwest::Client::new();
    let with =
        |builder: ClientBuilder| builder.token(TOKEN).http_client(http.clone()).into_config().unwrap_err();
    assert!(with(ClientBuilder::new().proxy("http://proxy.test:1")).to_string().contains("proxy"));
    assert!(with(ClientBuilder::new().no_proxy()).to_string().contains("no_proxy"));
    // Refused before the PEM text is even read.
    let err = with(ClientBuilder::new().add_root_certificate("-----BEGIN CERTIFICATE-----")).to_string();
    assert!(err.contains("add_root_certificate"), "{err}");
}

#[cfg(any(feature = "rustls", feature = "rustls-ring", feature = "native-tls"))]
#[test]
fn root_certificates_that_are_not_pem_certificates_are_a_config_error_naming_the_setting() {
    for (pem, why) in [
        ("", "holds no PEM certificate"),
        ("just some text", "holds no PEM certificate"),
        ("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "holds no PEM certificate"),
        ("-----BEGIN CERTIFICATE-----\n!!!not base64!!!\n-----END CERTIFICATE-----\n", "does not parse"),
    ] {
        let err = ClientBuilder::new().token(TOKEN).add_root_certificate(pem).into_config().expect_err(pem);
        assert!(matches!(err, Error::Config { .. }), "{err:?}");
        let text = err.to_string();
        assert!(text.contains("add_root_certificate") && text.contains(why), "{pem:?}: {text}");
    }
}

#[cfg(not(any(feature = "rustls", feature = "rustls-ring", feature = "native-tls")))]
#[test]
fn without_a_tls_feature_a_root_certificate_is_a_config_error_naming_the_features() {
    let pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    let err = ClientBuilder::new().token(TOKEN).add_root_certificate(pem).into_config().expect_err("no TLS");
    assert!(matches!(err, Error::Config { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("add_root_certificate") && text.contains("TLS feature"), "{text}");
    ClientBuilder::new().token(TOKEN).into_config().expect("no certificate, no TLS needed");
}
