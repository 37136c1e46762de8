//! [`ClientBuilder`]: every setting of a client, each with its default, and the checks of a token
//! and of a budget share that both the builder and the environment's variables go through.

use std::fmt;
use std::time::Duration;

use super::urls::{redact_userinfo, DEFAULT_BASE_URL};
use crate::error::Error;
use crate::retry::RetryPolicy;
use crate::secret::Secret;

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

/// Builds a `Client` (`Client::builder()`). Every setting but the token has a default.
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
    pub(super) token: Option<Secret>,
    pub(super) base_url: String,
    /// Where the base URL came from: the builder, or `TE_API_ENDPOINT`.
    pub(super) base_url_setting: &'static str,
    pub(super) default_aid: Option<String>,
    pub(super) connect_timeout: Duration,
    pub(super) request_timeout: Duration,
    pub(super) user_agent: Option<String>,
    pub(super) http: Option<reqwest::Client>,
    pub(super) allow_insecure_http: bool,
    pub(super) retry: RetryPolicy,
    pub(super) max_body_bytes: usize,
    pub(super) rate_limit_share: f64,
    pub(super) proxy: ProxyChoice,
    /// PEM text given to `add_root_certificate`, one entry a call.
    pub(super) root_certificates: Vec<Vec<u8>>,
}

/// What the builder was told of proxies.
#[derive(Clone)]
pub(super) enum ProxyChoice {
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
}

/// A share of the rate limit: a number in (0, 1].
pub(super) fn check_share(share: f64, setting: &str) -> Result<(), Error> {
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

#[cfg(test)]
#[path = "../tests/config/builder.rs"]
mod tests;
