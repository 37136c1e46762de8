//! Building a [`Client`]: [`ClientBuilder`], [`Client::from_env`] and the checks on what they are
//! given.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use url::Url;

use crate::client::{Client, Counters, Inner};
use crate::error::Error;
use crate::retry::{Pacer, RetryPolicy, Sleeper, TokioSleeper};

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

/// Environment variable with the bearer token (required by [`Client::from_env`]).
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

/// The bearer token. Its `Debug` never shows it.
#[derive(Clone)]
pub(crate) struct Secret(String);

impl Secret {
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

/// Builds a [`Client`]. Every setting but the token has a default.
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
///     .retry_policy(RetryPolicy::default().max_attempts(3))
///     .build()?;
/// # let _ = client; Ok(()) }
/// ```
#[derive(Clone)]
#[must_use]
pub struct ClientBuilder {
    token: Option<Secret>,
    base_url: String,
    default_aid: Option<String>,
    connect_timeout: Duration,
    request_timeout: Duration,
    user_agent: Option<String>,
    http: Option<reqwest::Client>,
    allow_insecure_http: bool,
    retry: RetryPolicy,
    max_body_bytes: usize,
    sleeper: Option<Arc<dyn Sleeper>>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("token", &self.token.as_ref().map(|_| "[REDACTED]"))
            .field("base_url", &self.base_url)
            .field("default_aid", &self.default_aid)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("user_agent", &self.user_agent)
            .field("custom_http_client", &self.http.is_some())
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("retry", &self.retry)
            .field("max_body_bytes", &self.max_body_bytes)
            .finish()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            token: None,
            base_url: DEFAULT_BASE_URL.to_string(),
            default_aid: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            user_agent: None,
            http: None,
            allow_insecure_http: false,
            retry: RetryPolicy::default(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            sleeper: None,
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
        self.token = Some(Secret(token.into()));
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

    /// Use this `reqwest::Client` (for a proxy, custom roots or a shared pool). Its own timeouts
    /// and redirect policy then apply; the request timeout of this builder is still enforced.
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

    /// Allow a plain `http://` base URL on a host other than loopback. Off by default: the token
    /// would cross the network unencrypted.
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

    /// How requests are retried and paced (see [`RetryPolicy`]).
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
    /// [`Error::BodyTooLarge`] instead of exhausting memory.
    ///
    /// ```
    /// let builder = thousandeyes_usage::Client::builder().max_body_bytes(4 << 20);
    /// # let _ = builder;
    /// ```
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// What waits between retries and for the rate-limit window (default: tokio's timer).
    /// Tests inject one that records waits instead of sleeping.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use thousandeyes_usage::TokioSleeper;
    /// let builder = thousandeyes_usage::Client::builder().sleeper(Arc::new(TokioSleeper));
    /// # let _ = builder;
    /// ```
    pub fn sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> Self {
        self.sleeper = Some(sleeper);
        self
    }

    /// Checks the settings and builds the client. Fails with [`Error::Config`] naming the setting
    /// at fault: no token, a token that cannot be a header value, a malformed base URL, plain
    /// HTTP to a non-loopback host, a malformed default `aid`, a zero timeout or body limit.
    ///
    /// ```
    /// let err = thousandeyes_usage::Client::builder().build().unwrap_err();
    /// assert!(err.to_string().contains("token"));
    /// ```
    pub fn build(self) -> Result<Client, Error> {
        let token = self.token.ok_or_else(|| Error::config("token", "no token was given"))?;
        check_token(token.expose(), "token")?;
        let base = parse_base_url(&self.base_url, self.allow_insecure_http)?;
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
        let user_agent = self
            .user_agent
            .unwrap_or_else(|| format!("thousandeyes-usage-rust/{}", env!("CARGO_PKG_VERSION")));
        if http::HeaderValue::from_str(&user_agent).is_err() {
            return Err(Error::config("user_agent", format!("{user_agent:?} cannot be sent as a header")));
        }
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .connect_timeout(self.connect_timeout)
                .timeout(self.request_timeout)
                // The API does not redirect; following one could carry the request elsewhere.
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|e| Error::config("http_client", e.to_string()))?,
        };
        let base_path = base.as_str().trim_end_matches('/').to_string();
        Ok(Client::from_inner(Inner {
            http,
            base,
            base_path,
            token,
            default_aid,
            user_agent,
            retry: self.retry,
            request_timeout: self.request_timeout,
            max_body_bytes: self.max_body_bytes,
            pacer: Pacer::default(),
            sleeper: self.sleeper.unwrap_or_else(|| Arc::new(TokioSleeper)),
            counters: Counters::default(),
        }))
    }

    /// A builder filled from the `TE_*` environment variables: `TE_TOKEN` (required), `TE_AID`,
    /// `TE_API_ENDPOINT` and `TE_TIMEOUT` (seconds).
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
            parse_base_url(&endpoint, false).map_err(|e| match e {
                Error::Config { reason, .. } => Error::config(ENV_API_ENDPOINT, reason),
                other => other,
            })?;
            builder = builder.base_url(endpoint);
        }
        if let Some(timeout) = get(ENV_TIMEOUT).filter(|v| !v.is_empty()) {
            let secs: f64 = timeout
                .trim()
                .parse()
                .map_err(|_| Error::config(ENV_TIMEOUT, format!("{timeout:?} is not a number of seconds")))?;
            if !(secs.is_finite() && secs > 0.0 && secs <= 86_400.0) {
                return Err(Error::config(
                    ENV_TIMEOUT,
                    format!("{timeout:?} must be more than 0 and at most 86400 seconds"),
                ));
            }
            builder = builder.request_timeout(Duration::from_secs_f64(secs));
        }
        Ok(builder)
    }
}

/// A token must be sendable as `Authorization: Bearer <token>`: not empty, visible ASCII only
/// (which also refuses a newline that would inject a header). The token is never echoed.
fn check_token(token: &str, setting: &str) -> Result<(), Error> {
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

/// An account group id: a non-empty string of decimal digits (surrounding white space removed).
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

/// Parses and checks a base URL: http(s) only, no query or fragment, no credentials, plain HTTP
/// only to loopback unless allowed.
fn parse_base_url(raw: &str, allow_insecure_http: bool) -> Result<Url, Error> {
    let bad = |reason: String| Error::config("base_url", format!("{raw:?} {reason}"));
    let url = Url::parse(raw.trim()).map_err(|e| bad(format!("is not a URL ({e})")))?;
    match url.scheme() {
        "https" => {}
        "http" => {
            let loopback = match url.host() {
                Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => false,
            };
            if !loopback && !allow_insecure_http {
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
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::config(
            "base_url",
            "must not contain credentials; use token() for authentication",
        ));
    }
    Ok(url)
}

#[cfg(test)]
#[path = "tests/config.rs"]
mod tests;
