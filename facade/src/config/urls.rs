//! The addresses and certificates a client is given, parsed and checked: the base URL, a proxy's
//! URL (shown only with its userinfo redacted), and the PEM text of root certificates.

use url::Url;

use crate::error::Error;

/// The API's address when none is configured.
///
/// ```
/// assert_eq!(thousandeyes_usage::DEFAULT_BASE_URL, "https://api.thousandeyes.com/v7");
/// ```
pub const DEFAULT_BASE_URL: &str = "https://api.thousandeyes.com/v7";

/// A certificate authority as the TLS backend takes it.
#[cfg(any(feature = "rustls", feature = "rustls-ring", feature = "native-tls"))]
pub(crate) type RootCertificate = reqwest::Certificate;
/// A build without a TLS feature has no TLS backend to give a certificate authority to:
/// `add_root_certificate` is refused at `build()`, so there is never one.
#[cfg(not(any(feature = "rustls", feature = "rustls-ring", feature = "native-tls")))]
pub(crate) type RootCertificate = std::convert::Infallible;

/// Checks the environment's proxy variable that applies to `base`, read as hyper-util (reqwest's
/// proxy matcher) reads it: `HTTPS_PROXY`, else `https_proxy`, for an `https://` base URL
/// (`HTTP_PROXY` and `http_proxy` for `http://`), else `ALL_PROXY` or `all_proxy`; none under
/// CGI (`REQUEST_METHOD`), or when `NO_PROXY` excludes the host. A `user:password@` whose
/// password holds an unencoded `/`, `?` or `#` ends the authority inside the password: a piece of
/// it would be taken for the proxy's host or port, or the variable ignored. The variable is
/// named, its value never shown.
pub(super) fn check_environment_proxy(base: &Url) -> Result<(), Error> {
    use hyper_util::client::proxy::matcher::Matcher;
    if std::env::var_os("REQUEST_METHOD").is_some() {
        return Ok(());
    }
    let Ok(uri) = base.as_str().parse::<http::Uri>() else { return Ok(()) };
    let first =
        |names: [&'static str; 2]| names.into_iter().find_map(|n| std::env::var(n).ok().map(|v| (n, v)));
    let no_proxy = first(["NO_PROXY", "no_proxy"]).map(|(_, v)| v).unwrap_or_default();
    let excluded =
        Matcher::builder().all("http://proxy.invalid").no(no_proxy).build().intercept(&uri).is_none();
    if excluded {
        return Ok(());
    }
    let specific =
        if base.scheme() == "https" { ["HTTPS_PROXY", "https_proxy"] } else { ["HTTP_PROXY", "http_proxy"] };
    let chosen = first(specific).filter(|(_, v)| !v.is_empty()).or_else(|| first(["ALL_PROXY", "all_proxy"]));
    let Some((name, value)) = chosen else { return Ok(()) };
    let rest = value.split_once("://").map_or(value.as_str(), |(_, rest)| rest);
    if rest.find(['/', '?', '#']).is_some_and(|end| rest[end..].contains('@')) {
        return Err(Error::config(
            name,
            "has a user:password@ whose password holds an unencoded `/`, `?` or `#`: percent-encode them \
             (%2F, %3F, %23), or the proxy's address is read from inside the password",
        ));
    }
    Ok(())
}

/// `raw` with everything between its scheme and its last `@` replaced, for error messages and
/// `Debug`: a URL that does not even parse may still carry a password. The last `@` of the whole
/// text, not of the authority: a password may hold an unencoded `/`, `?`, `#` or `@`, and the
/// authority would then seem to end inside it. A URL with an `@` only in its path or query loses
/// its host from the message too; that is the price of never showing part of a password.
pub(crate) fn redact_userinfo(raw: &str) -> String {
    let Some(at) = raw.rfind('@') else {
        return raw.to_string();
    };
    match raw.find("://") {
        Some(scheme_end) if scheme_end < at => {
            format!("{}[REDACTED]@{}", &raw[..scheme_end + 3], &raw[at + 1..])
        }
        _ => format!("[REDACTED]@{}", &raw[at + 1..]),
    }
}

/// The path of the API's version, `/v7`: the path of [`DEFAULT_BASE_URL`], the spec's server URL.
/// Every operation's path is below it.
pub(crate) fn version_path() -> &'static str {
    let after_scheme = DEFAULT_BASE_URL.split_once("://").map_or(DEFAULT_BASE_URL, |(_, rest)| rest);
    after_scheme.find('/').map_or("", |at| &after_scheme[at..])
}

/// Whether `url`'s host is loopback: `localhost`, an address of `127.0.0.0/8`, `::1`, or an
/// IPv4-mapped address of `127.0.0.0/8` (`::ffff:127.0.0.1`, which is `::ffff:7f00:1`).
pub(super) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        None => false,
    }
}

/// Parses and checks a proxy URL: http(s), a host and a port, nothing after the authority.
/// Errors name `proxy` and never echo a password.
pub(super) fn parse_proxy_url(raw: &str) -> Result<Url, Error> {
    let shown = redact_userinfo(raw);
    let bad = |reason: &str| Error::config("proxy", format!("{shown:?} {reason}"));
    let url = Url::parse(raw.trim()).map_err(|e| bad(&format!("is not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("is not an http:// or https:// proxy URL"));
    }
    if url.host().is_none() {
        return Err(bad("has no host"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(bad("has more than a scheme, a host and a port (no path, query or fragment)"));
    }
    reqwest::Proxy::all(url.as_str()).map_err(|_| bad("is not a proxy URL the HTTP client accepts"))?;
    Ok(url)
}

/// The certificates of each PEM text given to `add_root_certificate`.
#[cfg(any(feature = "rustls", feature = "rustls-ring", feature = "native-tls"))]
pub(super) fn parse_root_certificates(pems: &[Vec<u8>]) -> Result<Vec<RootCertificate>, Error> {
    let mut all = Vec::new();
    for (n, pem) in pems.iter().enumerate() {
        let which = if pems.len() > 1 { format!("PEM text number {}", n + 1) } else { "the PEM text".into() };
        let certificates = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| {
            Error::config("add_root_certificate", format!("{which} does not parse as PEM certificates ({e})"))
        })?;
        if certificates.is_empty() {
            return Err(Error::config(
                "add_root_certificate",
                format!("{which} holds no PEM certificate (-----BEGIN CERTIFICATE-----)"),
            ));
        }
        all.extend(certificates);
    }
    Ok(all)
}

/// Without a TLS feature there is no TLS backend to trust a certificate authority with: any PEM
/// text given to `add_root_certificate` is an error naming the setting and the features.
#[cfg(not(any(feature = "rustls", feature = "rustls-ring", feature = "native-tls")))]
pub(super) fn parse_root_certificates(pems: &[Vec<u8>]) -> Result<Vec<RootCertificate>, Error> {
    if pems.is_empty() {
        return Ok(Vec::new());
    }
    Err(Error::config(
        "add_root_certificate",
        "this build of thousandeyes-usage has no TLS feature (rustls, rustls-ring or native-tls) to trust it with",
    ))
}

/// Parses and checks a base URL: http(s) only, a path (the version, `/v7`), no query or
/// fragment, no credentials, plain HTTP only to loopback unless allowed. Errors name `setting`
/// and never echo credentials.
pub(super) fn parse_base_url(raw: &str, allow_insecure_http: bool, setting: &str) -> Result<Url, Error> {
    let shown = redact_userinfo(raw);
    let bad = |reason: String| Error::config(setting, format!("{shown:?} {reason}"));
    let url = Url::parse(raw.trim()).map_err(|e| bad(format!("is not a URL ({e})")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must not contain credentials; use token() for authentication".into()));
    }
    match url.scheme() {
        "https" => {}
        "http" => {
            if !is_loopback(&url) && !allow_insecure_http {
                return Err(bad("uses plain http to a host that is not loopback; the token would travel \
                     unencrypted (use https, or allow_insecure_http(true) if you must)"
                    .into()));
            }
        }
        other => return Err(bad(format!("has scheme {other:?}; only https (or http) is supported"))),
    }
    if url.host().is_none() {
        return Err(bad("has no host".into()));
    }
    if url.query().is_some() {
        return Err(bad(
            "has a query string; give the base URL only (for example https://api.thousandeyes.com/v7)".into(),
        ));
    }
    if url.fragment().is_some() {
        return Err(bad("has a fragment".into()));
    }
    if url.path().trim_matches('/').is_empty() {
        let fixed = format!("{}{}", url.as_str().trim_end_matches('/'), version_path());
        return Err(bad(format!(
            "has no path; the base URL goes up to and including the API's version path: use {fixed:?}"
        )));
    }
    Ok(url)
}

#[cfg(test)]
#[path = "../tests/config/urls.rs"]
mod tests;
