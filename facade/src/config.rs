//! Configuring a client: [`ClientBuilder`], the `TE_*` environment variables, and the checks on
//! what they are given. It produces an immutable [`Config`]; the client is built from that.

use std::fmt;
use std::time::Duration;

use url::Url;

use crate::error::Error;
use crate::retry::RetryPolicy;
use crate::secret::Secret;

/// The API's address when none is configured.
///
/// ```
/// assert_eq!(thousandeyes_usage::DEFAULT_BASE_URL, "https://api.thousandeyes.com/v7");
/// ```
pub const DEFAULT_BASE_URL: &str = "https://api.thousandeyes.com/v7";
/// How long connecting may take, by default.
///
/// ```
/// assert_eq!(thousandeyes_usage::DEFAULT_CONNECT_TIMEOUT.as_secs(), 10);
/// ```
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one attempt of a request (sending it and reading the whole answer) may take, by
/// default.
///
/// ```
/// assert_eq!(thousandeyes_usage::DEFAULT_REQUEST_TIMEOUT.as_secs(), 60);
/// ```
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// The largest answer body the client reads, by default (32 MiB).
///
/// ```
/// assert_eq!(thousandeyes_usage::DEFAULT_MAX_BODY_BYTES, 32 << 20);
/// ```
pub const DEFAULT_MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// Environment variable with the bearer token (required by
/// [`Client::from_env`](crate::Client::from_env)).
///
/// ```
/// let configured = std::env::var(thousandeyes_usage::ENV_TOKEN).is_ok();
/// # let _ = configured;
/// ```
pub const ENV_TOKEN: &str = "TE_TOKEN";
/// Environment variable with the default account group id.
///
/// ```
/// assert_eq!(thousandeyes_usage::ENV_AID, "TE_AID");
/// ```
pub const ENV_AID: &str = "TE_AID";
/// Environment variable with the API's base URL.
///
/// ```
/// assert_eq!(thousandeyes_usage::ENV_API_ENDPOINT, "TE_API_ENDPOINT");
/// ```
pub const ENV_API_ENDPOINT: &str = "TE_API_ENDPOINT";
/// Environment variable with the request timeout, in seconds.
///
/// ```
/// assert_eq!(thousandeyes_usage::ENV_TIMEOUT, "TE_TIMEOUT");
/// ```
pub const ENV_TIMEOUT: &str = "TE_TIMEOUT";
/// Environment variable with the share of the organization's rate limit the client may use, a
/// number in (0, 1] (see [`ClientBuilder::rate_limit_share`]).
///
/// ```
/// assert_eq!(thousandeyes_usage::ENV_RATE_LIMIT_SHARE, "TE_RATE_LIMIT_SHARE");
/// ```
pub const ENV_RATE_LIMIT_SHARE: &str = "TE_RATE_LIMIT_SHARE";

/// Builds a [`Client`](crate::Client). Every setting but the token has a default.
///
/// ```no_run
/// use std::time::Duration;
/// use thousandeyes_usage::{Client, RetryPolicy};
///
/// # fn main() -> Result<(), thousandeyes_usage::Error> {
/// let client = Client::builder()
///     .token("my-api-token")
///     .default_aid("1234")
///     .request_timeout(Duration::from_secs(30))
///     .retry_policy(RetryPolicy::default().with_rate_limited_attempts(3))
///     .build()?;
/// # let _ = client; Ok(()) }
/// ```
#[derive(Clone)]
#[must_use]
pub struct ClientBuilder {
    token: Option<Secret>,
    base_url: String,
    /// Where the base URL came from: the builder, or `TE_API_ENDPOINT`.
    base_url_setting: &'static str,
    default_aid: Option<String>,
    connect_timeout: Duration,
    request_timeout: Duration,
    user_agent: Option<String>,
    http: Option<reqwest::Client>,
    allow_insecure_http: bool,
    retry: RetryPolicy,
    max_body_bytes: usize,
    rate_limit_share: f64,
    proxy: ProxyChoice,
    /// PEM text given to `add_root_certificate`, one entry a call.
    root_certificates: Vec<Vec<u8>>,
}

/// What the builder was told of proxies.
#[derive(Clone)]
enum ProxyChoice {
    /// The proxy the environment names, except for a loopback base URL.
    Environment,
    /// This proxy URL (checked at `build()`).
    Url(String),
    /// None at all.
    Direct,
}

impl fmt::Debug for ProxyChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProxyChoice::Environment => f.write_str("Environment"),
            ProxyChoice::Url(url) => f.debug_tuple("Url").field(&redact_userinfo(url)).finish(),
            ProxyChoice::Direct => f.write_str("Direct"),
        }
    }
}

/// How requests reach the base URL, decided at `build()`.
#[derive(Clone)]
pub(crate) enum Route {
    /// Through the proxy the environment names for the base URL's scheme and host, if any:
    /// `HTTPS_PROXY`/`https_proxy` or `HTTP_PROXY`/`http_proxy`, else `ALL_PROXY`/`all_proxy`,
    /// unless `NO_PROXY`/`no_proxy` lists the host.
    Environment,
    /// Straight to the host.
    Direct,
    /// Through this proxy, for every request.
    Proxy(Url),
}

impl fmt::Debug for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Route::Environment => f.write_str("Environment"),
            Route::Direct => f.write_str("Direct"),
            Route::Proxy(url) => f.debug_tuple("Proxy").field(&redact_userinfo(url.as_str())).finish(),
        }
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("token", &self.token)
            .field("base_url", &redact_userinfo(&self.base_url))
            .field("default_aid", &self.default_aid)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("user_agent", &self.user_agent)
            .field("custom_http_client", &self.http.is_some())
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("retry", &self.retry)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("rate_limit_share", &self.rate_limit_share)
            .field("proxy", &self.proxy)
            .field("root_certificates", &self.root_certificates.len())
            .finish()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            token: None,
            base_url: DEFAULT_BASE_URL.to_string(),
            base_url_setting: "base_url",
            default_aid: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            user_agent: None,
            http: None,
            allow_insecure_http: false,
            retry: RetryPolicy::default(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            rate_limit_share: 1.0,
            proxy: ProxyChoice::Environment,
            root_certificates: Vec::new(),
        }
    }
}

impl ClientBuilder {
    /// A builder with the defaults.
    ///
    /// ```
    /// let builder = thousandeyes_usage::ClientBuilder::new();
    /// # let _ = builder;
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// The bearer token (required). Create one in the ThousandEyes app under
    /// *Account Settings > Users and Roles > User API Tokens*.
    ///
    /// ```
    /// let builder = thousandeyes_usage::Client::builder().token("my-api-token");
    /// # let _ = builder;
    /// ```
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(Secret::new(token));
        self
    }

    /// The API's base URL, up to and including the version (default
    /// `https://api.thousandeyes.com/v7`). A trailing slash is ignored.
    ///
    /// ```
    /// let builder = thousandeyes_usage::Client::builder().base_url("https://api.thousandeyes.com/v7");
    /// # let _ = builder;
    /// ```
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self.base_url_setting = "base_url";
        self
    }

    /// The account group (`aid`) used by operations that take one when the call does not name one.
    ///
    /// ```
    /// let builder = thousandeyes_usage::Client::builder().default_aid("1234");
    /// # let _ = builder;
    /// ```
    pub fn default_aid(mut self, aid: impl Into<String>) -> Self {
        self.default_aid = Some(aid.into());
        self
    }

    /// How long connecting may take (default 10 s). Ignored with [`http_client`](Self::http_client).
    ///
    /// ```
    /// let builder = thousandeyes_usage::Client::builder()
    ///     .connect_timeout(std::time::Duration::from_secs(5));
    /// # let _ = builder;
    /// ```
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long one attempt may take, from sending the request to reading the last byte of the
    /// answer (default 60 s). Retries each get the full time; waits between them are not counted.
    ///
    /// ```
    /// let builder = thousandeyes_usage::Client::builder()
    ///     .request_timeout(std::time::Duration::from_secs(20));
    /// # let _ = builder;
    /// ```
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// The `User-Agent` header (default `thousandeyes-usage-rust/<version>`).
    ///
    /// ```
    /// let builder = thousandeyes_usage::Client::builder().user_agent("billing-job/2.1");
    /// # let _ = builder;
    /// ```
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Use this `reqwest::Client` (for a shared pool, or settings this builder does not offer).
    /// Its own timeouts, redirect policy, proxies and roots then apply (so [`proxy`](Self::proxy),
    /// [`no_proxy`](Self::no_proxy) and [`add_root_certificate`](Self::add_root_certificate)
    /// cannot be combined with it); the request timeout of this builder is still enforced.
    ///
    /// ```
    /// let http = reqwest::Client::builder().build().expect("client");
    /// let builder = thousandeyes_usage::Client::builder().http_client(http);
    /// # let _ = builder;
    /// ```
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Allow a plain `http://` base URL on a host other than loopback (also one given in
    /// `TE_API_ENDPOINT`). Off by default: the token would cross the network unencrypted.
    ///
    /// ```
    /// let builder = thousandeyes_usage::Client::builder()
    ///     .base_url("http://proxy.internal:8080/v7")
    ///     .allow_insecure_http(true);
    /// # let _ = builder;
    /// ```
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// How requests are retried (see [`RetryPolicy`]).
    ///
    /// ```
    /// use thousandeyes_usage::RetryPolicy;
    /// let builder = thousandeyes_usage::Client::builder().retry_policy(RetryPolicy::disabled());
    /// # let _ = builder;
    /// ```
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The largest answer body read, in bytes (default 32 MiB); a larger one fails with
    /// [`Error::BodyTooLarge`] instead of exhausting memory. Memory grows with the bytes that
    /// arrive, never with what a `Content-Length` announces.
    ///
    /// ```
    /// let builder = thousandeyes_usage::Client::builder().max_body_bytes(4 << 20);
    /// # let _ = builder;
    /// ```
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// The share of the organization's rate limit this client may use, in (0, 1] (default 1:
    /// the whole limit; also `TE_RATE_LIMIT_SHARE`). Below 1 the client leaves a reserve of
    /// `(1 - share) × limit` calls of every window untouched for the organization's other
    /// integrations: it waits for the next window rather than eat into it. Several clients or
    /// processes with the same share keep the same reserve between them.
    ///
    /// ```
    /// // A nightly export that leaves half of every window to the rest of the organization.
    /// let builder = thousandeyes_usage::Client::builder().rate_limit_share(0.5);
    /// # let _ = builder;
    /// ```
    pub fn rate_limit_share(mut self, share: f64) -> Self {
        self.rate_limit_share = share;
        self
    }

    /// Send every request through this proxy (`http://` or `https://`, with the port; a
    /// `user:password@` in it is sent to the proxy as Basic credentials, its `/`, `?`, `#`, `@`
    /// and `%` percent-encoded), whatever the environment says and whatever the base URL's
    /// host, loopback included. Checked at `build()`; no error, `Debug` or log shows the
    /// password. A proxy that answers 407 or refuses `CONNECT` is asked once: the call fails
    /// with [`Error::ProxyRefused`], not retried.
    ///
    /// Without `proxy` or [`no_proxy`](Self::no_proxy), the client uses the proxy the
    /// environment names for the base URL (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, in upper
    /// or lower case, unless `NO_PROXY` lists the host), except for a loopback base URL
    /// (`localhost`, `127.0.0.0/8`, `::1`, `::ffff:127.0.0.1`), which is always reached directly.
    ///
    /// ```
    /// let client = thousandeyes_usage::Client::builder()
    ///     .token("my-api-token")
    ///     .proxy("http://proxy.corp.example:3128")
    ///     .build()?;
    /// # let _ = client; Ok::<(), thousandeyes_usage::Error>(())
    /// ```
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = ProxyChoice::Url(url.into());
        self
    }

    /// Send every request straight to the base URL's host, whatever proxy the environment
    /// names.
    ///
    /// ```
    /// let client = thousandeyes_usage::Client::builder().token("my-api-token").no_proxy().build()?;
    /// # let _ = client; Ok::<(), thousandeyes_usage::Error>(())
    /// ```
    pub fn no_proxy(mut self) -> Self {
        self.proxy = ProxyChoice::Direct;
        self
    }

    /// Trust the certificate authorities in this PEM text (one or more `BEGIN CERTIFICATE`
    /// blocks, such as a corporate CA's file) besides the ones the TLS backend trusts already
    /// (the system's store, or `SSL_CERT_FILE`): a corporate CA, or the CA of a proxy that
    /// intercepts TLS. A server whose certificate none of them trusts fails the call after one
    /// handshake, with [`Error::Tls`]. Checked at `build()`: text holding no
    /// certificate, or one that does not parse, is an [`Error::Config`] naming
    /// `add_root_certificate` (as is any, in a build without a TLS feature). Calls add up.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let pem = std::fs::read("/etc/pki/corporate-ca.pem")?;
    /// let client = thousandeyes_usage::Client::builder()
    ///     .token("my-api-token")
    ///     .add_root_certificate(pem)
    ///     .build()?;
    /// # let _ = client; Ok(()) }
    /// ```
    pub fn add_root_certificate(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.root_certificates.push(pem.into());
        self
    }

    /// Checks every setting and produces the client's immutable configuration.
    pub(crate) fn into_config(self) -> Result<Config, Error> {
        let token = self.token.ok_or_else(|| Error::config("token", "no token was given"))?.expose();
        check_token(&token, "token")?;
        // A secret of the client's own: clones of this builder build clients that do not share
        // `set_token`.
        let token = Secret::new(&*token);
        let base = parse_base_url(&self.base_url, self.allow_insecure_http, self.base_url_setting)?;
        let default_aid = match self.default_aid {
            Some(aid) => Some(check_aid(&aid).map_err(|reason| Error::config("default_aid", reason))?),
            None => None,
        };
        if self.request_timeout.is_zero() {
            return Err(Error::config("request_timeout", "must be longer than zero"));
        }
        if self.connect_timeout.is_zero() {
            return Err(Error::config("connect_timeout", "must be longer than zero"));
        }
        if self.max_body_bytes == 0 {
            return Err(Error::config("max_body_bytes", "must be at least one byte"));
        }
        check_share(self.rate_limit_share, "rate_limit_share")?;
        let user_agent = self
            .user_agent
            .unwrap_or_else(|| format!("thousandeyes-usage-rust/{}", env!("CARGO_PKG_VERSION")));
        let user_agent = http::HeaderValue::from_str(&user_agent)
            .map_err(|_| Error::config("user_agent", format!("{user_agent:?} cannot be sent as a header")))?;
        let custom_client = self.http.is_some();
        let proxy_setting = if matches!(self.proxy, ProxyChoice::Direct) { "no_proxy" } else { "proxy" };
        let route = match self.proxy {
            ProxyChoice::Url(_) | ProxyChoice::Direct if custom_client => {
                return Err(Error::config(
                    proxy_setting,
                    "cannot be combined with http_client(..): set the proxy on that client",
                ))
            }
            ProxyChoice::Url(raw) => Route::Proxy(parse_proxy_url(&raw)?),
            ProxyChoice::Direct => Route::Direct,
            ProxyChoice::Environment if is_loopback(&base) => Route::Direct,
            ProxyChoice::Environment => Route::Environment,
        };
        if custom_client && !self.root_certificates.is_empty() {
            return Err(Error::config(
                "add_root_certificate",
                "cannot be combined with http_client(..): add the root certificate to that client",
            ));
        }
        let root_certificates = parse_root_certificates(&self.root_certificates)?;
        Ok(Config {
            base_path: base.as_str().trim_end_matches('/').to_string(),
            base,
            token,
            default_aid,
            connect_timeout: self.connect_timeout,
            request_timeout: self.request_timeout,
            user_agent,
            http: self.http,
            retry: self.retry,
            max_body_bytes: self.max_body_bytes,
            rate_limit_share: self.rate_limit_share,
            route,
            root_certificates,
        })
    }

    /// A builder filled from the `TE_*` environment variables: `TE_TOKEN` (required), `TE_AID`,
    /// `TE_API_ENDPOINT`, `TE_TIMEOUT` (seconds) and `TE_RATE_LIMIT_SHARE`. A value that is
    /// wrong on its own is refused here, naming the variable; rules that depend on other
    /// settings (plain http needs `allow_insecure_http`) apply at `build()`, still naming it.
    pub(crate) fn from_env_with(get: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let mut builder = ClientBuilder::new();
        match get(ENV_TOKEN) {
            Some(token) if !token.trim().is_empty() => {
                check_token(&token, ENV_TOKEN)?;
                builder = builder.token(token);
            }
            Some(_) => return Err(Error::config(ENV_TOKEN, "is set but empty")),
            None => {
                return Err(Error::config(ENV_TOKEN, "is not set; it must hold a ThousandEyes API token"))
            }
        }
        if let Some(aid) = get(ENV_AID).filter(|v| !v.is_empty()) {
            let aid = check_aid(&aid).map_err(|reason| Error::config(ENV_AID, reason))?;
            builder = builder.default_aid(aid);
        }
        if let Some(endpoint) = get(ENV_API_ENDPOINT).filter(|v| !v.is_empty()) {
            // Checked as a URL now; whether plain http is allowed is decided at build().
            parse_base_url(&endpoint, true, ENV_API_ENDPOINT)?;
            builder.base_url = endpoint;
            builder.base_url_setting = ENV_API_ENDPOINT;
        }
        if let Some(timeout) = get(ENV_TIMEOUT).filter(|v| !v.is_empty()) {
            builder = builder.request_timeout(parse_seconds(&timeout, ENV_TIMEOUT)?);
        }
        if let Some(share) = get(ENV_RATE_LIMIT_SHARE).filter(|v| !v.is_empty()) {
            let value: f64 = share.trim().parse().map_err(|_| {
                Error::config(ENV_RATE_LIMIT_SHARE, format!("{share:?} is not a number between 0 and 1"))
            })?;
            check_share(value, ENV_RATE_LIMIT_SHARE)?;
            builder = builder.rate_limit_share(value);
        }
        Ok(builder)
    }
}

/// A client's settings, checked.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) base: Url,
    /// The base URL as text, without a trailing slash.
    pub(crate) base_path: String,
    pub(crate) token: Secret,
    pub(crate) default_aid: Option<String>,
    pub(crate) connect_timeout: Duration,
    pub(crate) request_timeout: Duration,
    /// The `User-Agent` header, checked (made of the text the builder was given).
    pub(crate) user_agent: http::HeaderValue,
    /// The caller's own HTTP client, if any.
    pub(crate) http: Option<reqwest::Client>,
    pub(crate) retry: RetryPolicy,
    pub(crate) max_body_bytes: usize,
    pub(crate) rate_limit_share: f64,
    /// How requests reach the base URL (with the client's own HTTP client).
    pub(crate) route: Route,
    /// Certificate authorities trusted besides the TLS backend's own.
    pub(crate) root_certificates: Vec<RootCertificate>,
}

/// A certificate authority as the TLS backend takes it.
#[cfg(any(feature = "rustls", feature = "rustls-ring", feature = "native-tls"))]
pub(crate) type RootCertificate = reqwest::Certificate;
/// A build without a TLS feature has no TLS backend to give a certificate authority to:
/// `add_root_certificate` is refused at `build()`, so there is never one.
#[cfg(not(any(feature = "rustls", feature = "rustls-ring", feature = "native-tls")))]
pub(crate) type RootCertificate = std::convert::Infallible;

/// A number of seconds from a variable: finite, above zero (at least a millisecond), at most a
/// day.
fn parse_seconds(text: &str, setting: &str) -> Result<Duration, Error> {
    let secs: f64 = text
        .trim()
        .parse()
        .map_err(|_| Error::config(setting, format!("{text:?} is not a number of seconds")))?;
    if !(secs.is_finite() && secs > 0.0 && secs <= 86_400.0) {
        return Err(Error::config(
            setting,
            format!("{text:?} must be more than 0 and at most 86400 seconds"),
        ));
    }
    let duration = Duration::from_secs_f64(secs);
    if duration < Duration::from_millis(1) {
        return Err(Error::config(setting, format!("{text:?} is shorter than a millisecond")));
    }
    Ok(duration)
}

/// A share of the rate limit: a number in (0, 1].
fn check_share(share: f64, setting: &str) -> Result<(), Error> {
    if share.is_finite() && share > 0.0 && share <= 1.0 {
        Ok(())
    } else {
        Err(Error::config(
            setting,
            format!("{share} is not a share of the limit: it must be more than 0 and at most 1"),
        ))
    }
}

/// A token must be sendable as `Authorization: Bearer <token>`: not empty, visible ASCII only
/// (which also refuses a newline that would inject a header). The token is never echoed.
pub(crate) fn check_token(token: &str, setting: &str) -> Result<(), Error> {
    if token.trim().is_empty() {
        return Err(Error::config(setting, "the token is empty"));
    }
    if let Some(bad) = token.chars().find(|c| !c.is_ascii_graphic()) {
        let what = match bad {
            '\r' | '\n' => "a line break".to_string(),
            ' ' | '\t' => "white space".to_string(),
            c if c.is_control() => format!("a control character (U+{:04X})", c as u32),
            _ => "a character outside visible ASCII".to_string(),
        };
        return Err(Error::config(
            setting,
            format!("the token contains {what}; it cannot be sent as a header"),
        ));
    }
    Ok(())
}

/// An account group or organization id: a non-empty string of decimal digits (surrounding white
/// space removed). Used by the configuration (`default_aid`, `TE_AID`) and the operations.
pub(crate) fn check_aid(aid: &str) -> Result<String, String> {
    let trimmed = aid.trim();
    if trimmed.is_empty() {
        return Err(format!("{aid:?} is empty; an account group id is a decimal number"));
    }
    if !trimmed.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{aid:?} is not a decimal account group id"));
    }
    if trimmed.len() > 20 {
        return Err(format!("{aid:?} is too long for an account group id"));
    }
    Ok(trimmed.to_string())
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
fn is_loopback(url: &Url) -> bool {
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
fn parse_proxy_url(raw: &str) -> Result<Url, Error> {
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
fn parse_root_certificates(pems: &[Vec<u8>]) -> Result<Vec<RootCertificate>, Error> {
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
fn parse_root_certificates(pems: &[Vec<u8>]) -> Result<Vec<RootCertificate>, Error> {
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
fn parse_base_url(raw: &str, allow_insecure_http: bool, setting: &str) -> Result<Url, Error> {
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
#[path = "tests/config.rs"]
mod tests;
