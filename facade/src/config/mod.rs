//! Configuring a client: [`ClientBuilder`] and its defaults ([`builder`]), the `TE_*`
//! environment variables ([`env`](mod@env)), and the parsing of what a client is given: its base URL, a
//! proxy's URL and root certificates ([`urls`]). [`ClientBuilder::into_config`] checks every
//! setting into an immutable [`Config`]; the client is built from that.

mod builder;
mod env;
mod urls;

use std::fmt;
use std::time::Duration;

use url::Url;

pub(crate) use builder::check_token;
use builder::{check_share, ProxyChoice};
pub use builder::{ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_BODY_BYTES, DEFAULT_REQUEST_TIMEOUT};
pub use env::{ENV_AID, ENV_API_ENDPOINT, ENV_RATE_LIMIT_SHARE, ENV_TIMEOUT, ENV_TOKEN};
pub use urls::DEFAULT_BASE_URL;
use urls::{
    check_environment_proxy, is_loopback, parse_base_url, parse_proxy_url, parse_root_certificates,
    redact_userinfo,
};
pub(crate) use urls::{version_path, RootCertificate};

use crate::error::Error;
use crate::operations::ids::check_aid;
use crate::retry::RetryPolicy;
use crate::secret::Secret;

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

impl ClientBuilder {
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
            ProxyChoice::Environment => {
                if !custom_client {
                    check_environment_proxy(&base)?;
                }
                Route::Environment
            }
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

#[cfg(test)]
#[path = "../tests/config/mod.rs"]
mod tests;
