//! Where an attempt's connections go, as errors name them: the API's host and port, and the
//! proxy on the way (the builder's, or the one the environment names), with what of its
//! credentials must never show.

use std::error::Error as StdError;

use crate::config::{Config, Route};
use crate::error::Error;

/// Where an attempt's connections go, as errors name them: hosts and ports, never a password.
#[derive(Debug, Clone)]
pub(super) struct Hops {
    /// The API's host and port (`api.thousandeyes.com:443`).
    pub(super) server: String,
    /// The API's host alone.
    pub(super) server_host: String,
    /// The proxy on the way.
    pub(super) proxy: Hop,
}

/// The proxy requests go through.
#[derive(Debug, Clone)]
pub(super) enum Hop {
    /// None: straight to the API.
    Direct,
    /// This one, at `addr` (`host:port`); `credentials` when the client sends it some, and
    /// `secrets` what of them must never show (the password, the Basic credentials); `tunnel`
    /// for an `https://` base URL, reached through `CONNECT` (a plain-http one is forwarded by
    /// the proxy).
    Proxy { addr: String, host: String, credentials: bool, secrets: Hidden, tunnel: bool },
    /// Whatever the caller's own HTTP client uses.
    Unknown,
}

impl Hops {
    /// The hops of `config`'s route, as its HTTP client takes it: the proxy given to the
    /// builder, none, or the one the environment names for the base URL (read now, as reqwest
    /// reads it when the client is built). Both are read by hyper-util's matcher, which reqwest
    /// reads them with, so the credentials are the ones sent.
    pub(super) fn new(config: &Config) -> Self {
        use hyper_util::client::proxy::matcher::Matcher;
        let base = &config.base;
        let server_host = base.host_str().unwrap_or_default().to_string();
        let server = format!("{server_host}:{}", base.port_or_known_default().unwrap_or(443));
        let matcher = match &config.route {
            _ if config.http.is_some() => None,
            Route::Direct => Some(Matcher::builder().build()),
            Route::Proxy(url) => Some(Matcher::builder().all(url.as_str()).build()),
            Route::Environment => Some(Matcher::from_env()),
        };
        let proxy = match matcher {
            None => Hop::Unknown,
            Some(matcher) => proxy_hop(&matcher, base).unwrap_or(Hop::Direct),
        };
        Hops { server, server_host, proxy }
    }

    /// What of the proxy's credentials must never show: the password, and the Basic
    /// credentials (`user:password` in base64) that carry it.
    pub(super) fn secrets(&self) -> &[String] {
        match &self.proxy {
            Hop::Proxy { secrets, .. } => &secrets.0,
            Hop::Direct | Hop::Unknown => &[],
        }
    }

    /// Where an attempt's connection goes first, and whether that is the proxy: the proxy's
    /// `host:port` when there is one, else the API's; none with the caller's own HTTP client.
    pub(super) fn first(&self) -> (Option<String>, bool) {
        match &self.proxy {
            Hop::Proxy { addr, .. } => (Some(addr.clone()), true),
            Hop::Direct => (Some(self.server.clone()), false),
            Hop::Unknown => (None, false),
        }
    }

    /// The proxy the client sends credentials to (in the URL of the builder's proxy or of the
    /// environment's), and what of them must never show: its `host:port` and the secrets.
    pub(super) fn proxy_login(&self) -> Option<(&str, &[String])> {
        match &self.proxy {
            Hop::Proxy { addr, credentials: true, secrets, .. } => Some((addr, &secrets.0)),
            _ => None,
        }
    }

    /// The error of a proxy's refusal (`status`: 407, or `None` for a refused `CONNECT` whose
    /// status the HTTP client does not report), naming the proxy where it is known.
    pub(super) fn refused(
        &self,
        operation: &'static str,
        status: Option<u16>,
        source: Box<dyn StdError + Send + Sync + 'static>,
    ) -> Error {
        let (proxy, credentials) = match &self.proxy {
            Hop::Proxy { addr, credentials, .. } => (Some(addr.clone()), *credentials),
            Hop::Direct | Hop::Unknown => (None, false),
        };
        Error::ProxyRefused { operation, proxy, status, credentials, source }
    }

    /// The proxy's `host:port`, or "the proxy" when it is not known.
    pub(super) fn proxy_addr(&self) -> String {
        match &self.proxy {
            Hop::Proxy { addr, .. } => addr.clone(),
            Hop::Direct | Hop::Unknown => "the proxy".into(),
        }
    }

    /// "the proxy host:port", or "the proxy".
    pub(super) fn proxy_named(&self) -> String {
        match &self.proxy {
            Hop::Proxy { addr, .. } => format!("the proxy {addr}"),
            Hop::Direct | Hop::Unknown => "the proxy".into(),
        }
    }

    /// The proxy's host, or "the proxy's host".
    pub(super) fn proxy_host(&self) -> String {
        match &self.proxy {
            Hop::Proxy { host, .. } => host.clone(),
            Hop::Direct | Hop::Unknown => "of the proxy".into(),
        }
    }
}

/// Secrets kept for redaction; their `Debug` shows how many, never one.
#[derive(Clone, Default)]
pub(super) struct Hidden(Vec<String>);

impl std::fmt::Debug for Hidden {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{} REDACTED]", self.0.len())
    }
}

/// The proxy `matcher` gives `base`, if any (for the environment: `HTTPS_PROXY`, `HTTP_PROXY`,
/// `ALL_PROXY`, in either case, unless `NO_PROXY` lists the host).
fn proxy_hop(matcher: &hyper_util::client::proxy::matcher::Matcher, base: &url::Url) -> Option<Hop> {
    use base64::Engine;
    let uri: http::Uri = base.as_str().parse().ok()?;
    let intercept = matcher.intercept(&uri)?;
    let proxy = intercept.uri();
    // `host()` is what follows the authority's last `@`: never a part of a password.
    let host = proxy.host()?.to_string();
    let port = proxy.port_u16().unwrap_or(if proxy.scheme_str() == Some("https") { 443 } else { 80 });
    let mut secrets = Vec::new();
    if let Some(basic) =
        intercept.basic_auth().and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Basic "))
    {
        let decoded = base64::engine::general_purpose::STANDARD.decode(basic).unwrap_or_default();
        let decoded = String::from_utf8_lossy(&decoded);
        if let Some((_, password)) = decoded.split_once(':') {
            secrets.push(password.to_string());
        }
        secrets.push(basic.to_string());
    }
    if let Some((_, password)) = intercept.raw_auth() {
        secrets.push(password.to_string());
    }
    secrets.retain(|s| !s.is_empty());
    let secrets = Hidden(secrets);
    let credentials = intercept.basic_auth().is_some() || intercept.raw_auth().is_some();
    let tunnel = base.scheme() == "https";
    Some(Hop::Proxy { addr: format!("{host}:{port}"), host, credentials, secrets, tunnel })
}
