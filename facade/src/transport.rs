//! The one place a request meets the network: one attempt, from sending a request to reading
//! the last byte of its answer, within the request timeout and the body limit. It knows nothing
//! of retries, pacing or decoding.

use std::error::Error as StdError;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use thousandeyes_usage_generated::apis::Request;
use tokio::time::Instant;

use crate::config::{Config, Route};
use crate::error::{Error, TlsProblem};
use crate::rate_limit::Reported;
use crate::retry::Outcome;
use crate::secret::Secret;

/// An answer, as received: status, headers, what the headers say of the rate limit (read once,
/// here) and the whole body (cut at the body limit for an error status, whose status and
/// headers matter more than the rest of its body).
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) reported: Reported,
    pub(crate) body: Bytes,
}

/// Sends attempts of requests to the configured base URL.
#[derive(Debug)]
pub(crate) struct Transport {
    http: reqwest::Client,
    base_path: String,
    token: Secret,
    user_agent: HeaderValue,
    request_timeout: Duration,
    max_body_bytes: usize,
    /// Where connections go, for naming them in errors.
    hops: Hops,
}

impl Transport {
    /// A transport for `config`: its own HTTP client (no redirects followed, the configured
    /// connect and request timeouts), or the caller's.
    pub(crate) fn new(config: &Config) -> Result<Self, Error> {
        let http = match &config.http {
            Some(http) => http.clone(),
            None => default_http_client(config)?,
        };
        Ok(Transport {
            http,
            base_path: config.base_path.clone(),
            token: config.token.clone(),
            user_agent: config.user_agent.clone(),
            request_timeout: config.request_timeout,
            max_body_bytes: config.max_body_bytes,
            hops: Hops::new(config),
        })
    }

    /// The full URL of a request: the base URL, the operation's path, its query.
    pub(crate) fn url(&self, request: &Request) -> Result<url::Url, url::ParseError> {
        let mut url = url::Url::parse(&format!("{}{}", self.base_path, request.path))?;
        if !request.query.is_empty() {
            url.query_pairs_mut().extend_pairs(request.query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        Ok(url)
    }

    /// The HTTP request for `request`, with `Accept`, `User-Agent` and, for a body, its
    /// `Content-Type`. The bearer token is added to each attempt by [`send`](Self::send).
    pub(crate) fn prepare(
        &self,
        operation: &'static str,
        request: &Request,
        accept: &'static str,
    ) -> Result<reqwest::Request, Error> {
        let url = self.url(request).map_err(|e| Error::Transport {
            operation,
            reason: format!("the request's URL could not be made ({e})"),
            source: Box::new(e),
        })?;
        let method =
            reqwest::Method::from_bytes(request.method.as_bytes()).map_err(|e| Error::Transport {
                operation,
                reason: format!("the request's method could not be made ({e})"),
                source: Box::new(e),
            })?;
        let mut req = reqwest::Request::new(method, url);
        let headers = req.headers_mut();
        headers.insert(http::header::ACCEPT, HeaderValue::from_static(accept));
        headers.insert(http::header::USER_AGENT, self.user_agent.clone());
        for (name, value) in &request.headers {
            let header = http::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| Error::invalid(name, value.clone(), "has a name that cannot be a header"))?;
            let value = HeaderValue::from_str(value)
                .map_err(|_| Error::invalid(name, value.clone(), "cannot be sent as a header value"))?;
            headers.insert(header, value);
        }
        if let Some((media_type, body)) = &request.body {
            headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static(media_type));
            *req.body_mut() = Some(body.clone().into());
        }
        Ok(req)
    }

    /// One attempt, with the token the client holds as it starts: send, then read the whole body
    /// within the size limit, all within the request timeout. Memory grows with the bytes that
    /// arrive, whatever `Content-Length` announces.
    pub(crate) async fn send(
        &self,
        operation: &'static str,
        mut request: reqwest::Request,
    ) -> Result<Answer, (Outcome, Error)> {
        // Tokens are checked before they are taken (builder, set_token): this cannot fail. If it
        // did, nothing would have been sent, and the outcome (no status) is never retried.
        let bearer = self
            .token
            .bearer()
            .ok_or_else(|| (Outcome::Status(0), Error::config("token", "cannot be sent as a header")))?;
        request.headers_mut().insert(http::header::AUTHORIZATION, bearer);
        let started = Instant::now();
        let timeout = self.request_timeout;
        let limit = self.max_body_bytes;
        let exchange = async {
            let mut resp = self
                .http
                .execute(request)
                .await
                .map_err(|e| self.failure(operation, started, e, Phase::Answer))?;
            let status = resp.status();
            let headers = std::mem::take(resp.headers_mut());
            let too_large = || (Outcome::Status(status.as_u16()), Error::BodyTooLarge { operation, limit });
            if status.is_success() && resp.content_length().is_some_and(|n| n > limit as u64) {
                return Err(too_large());
            }
            // The chunks as they arrive, joined once at the end (not at all when there is one).
            let mut chunks: Vec<Bytes> = Vec::new();
            let mut read = 0usize;
            while let Some(chunk) =
                resp.chunk().await.map_err(|e| self.failure(operation, started, e, Phase::Body))?
            {
                if chunk.len() > limit - read {
                    if status.is_success() {
                        return Err(too_large());
                    }
                    chunks.push(chunk.slice(..limit - read));
                    break;
                }
                read += chunk.len();
                chunks.push(chunk);
            }
            let body = match chunks.len() {
                0 => Bytes::new(),
                1 => chunks.swap_remove(0),
                _ => Bytes::from(chunks.concat()),
            };
            Ok(Answer { status, reported: Reported::read(&headers), headers, body })
        };
        match tokio::time::timeout(timeout, exchange).await {
            Ok(result) => result,
            Err(_) => {
                Err((Outcome::Timeout, Error::Timeout { operation, after: timeout, connecting: false }))
            }
        }
    }

    /// What of the proxy's credentials must never show, even echoed by a server.
    pub(crate) fn proxy_secrets(&self) -> &[String] {
        self.hops.secrets()
    }

    /// The error of a proxy's refusal (`status`: 407, or `None` for a refused `CONNECT` whose
    /// status the HTTP client does not report), naming the proxy where it is known.
    pub(crate) fn proxy_refused(
        &self,
        operation: &'static str,
        status: Option<u16>,
        source: Box<dyn StdError + Send + Sync + 'static>,
    ) -> Error {
        let (proxy, credentials) = match &self.hops.proxy {
            Hop::Proxy { addr, credentials, .. } => (Some(addr.clone()), *credentials),
            Hop::Direct | Hop::Unknown => (None, false),
        };
        Error::ProxyRefused { operation, proxy, status, credentials, source }
    }

    /// The error of an attempt that got no complete answer, and what it calls for.
    ///
    /// * A timeout names what timed out and after how long: connecting (the connect timeout,
    ///   or the caller's client's), or the whole attempt (the request timeout).
    /// * A failure to connect that a retry cannot mend is [`Outcome::Permanent`]: a proxy's
    ///   refusal ([`Error::ProxyRefused`]), a certificate the client does not trust or a
    ///   handshake the server refuses ([`Error::Tls`]).
    /// * Any other failure to connect (refused, reset or closed while connecting, a host name
    ///   that did not resolve) is [`Outcome::Connect`]: nothing was sent.
    /// * A failure after the connection was made is [`Outcome::Transport`].
    ///
    /// Each message ends with the cause in plain words, naming the address where it is known.
    fn failure(
        &self,
        operation: &'static str,
        started: Instant,
        e: reqwest::Error,
        phase: Phase,
    ) -> (Outcome, Error) {
        let connecting = e.is_connect();
        if e.is_timeout() {
            let outcome = if connecting { Outcome::Connect } else { Outcome::Timeout };
            let after = if connecting { started.elapsed() } else { self.request_timeout };
            return (outcome, Error::Timeout { operation, after, connecting });
        }
        if !connecting {
            let reason = match phase {
                Phase::Answer => format!("the connection failed before an answer came: {}", innermost(&e)),
                Phase::Body => format!("the connection failed while the answer was read: {}", innermost(&e)),
            };
            return (
                Outcome::Transport,
                Error::Transport { operation, reason, source: Box::new(e.without_url()) },
            );
        }
        let seen = Seen::walk(&e);
        let dns = e.is_dns();
        let source: Box<dyn StdError + Send + Sync> = Box::new(e.without_url());
        match seen.tunnel {
            Some(Tunnel::AuthRequired) => {
                return (Outcome::Permanent, self.proxy_refused(operation, Some(407), source))
            }
            Some(Tunnel::Refused) => {
                return (Outcome::Permanent, self.proxy_refused(operation, None, source))
            }
            _ => {}
        }
        // Through a proxy that forwards plain http, every connection is the proxy's; through a
        // tunnel, only the one that failed before the tunnel was open.
        let at_proxy = seen.before_tunnel || matches!(self.hops.proxy, Hop::Proxy { tunnel: false, .. });
        if let Some((problem, detail)) = seen.tls {
            let peer = if at_proxy { self.hops.proxy_addr() } else { self.hops.server.clone() };
            return (Outcome::Permanent, Error::Tls { operation, peer, at_proxy, problem, detail, source });
        }
        let peer = if at_proxy { self.hops.proxy_named() } else { self.hops.server.clone() };
        let cause = seen.innermost;
        let reason = if seen.tunnel == Some(Tunnel::Closed) {
            format!("{} closed the connection before answering CONNECT", self.hops.proxy_named())
        } else if dns {
            let host = if at_proxy { self.hops.proxy_host() } else { self.hops.server_host.clone() };
            format!("the host name {host} could not be resolved ({cause})")
        } else if seen.io == Some(std::io::ErrorKind::ConnectionRefused) {
            format!("the connection to {peer} was refused")
        } else {
            format!("could not connect to {peer}: {cause}")
        };
        (Outcome::Connect, Error::Transport { operation, reason, source })
    }
}

/// Where in an attempt a failure happened.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Sending the request, or waiting for the answer's head.
    Answer,
    /// Reading the answer's body.
    Body,
}

/// Where an attempt's connections go, as errors name them: hosts and ports, never a password.
#[derive(Debug, Clone)]
struct Hops {
    /// The API's host and port (`api.thousandeyes.com:443`).
    server: String,
    /// The API's host alone.
    server_host: String,
    /// The proxy on the way.
    proxy: Hop,
}

/// The proxy requests go through.
#[derive(Debug, Clone)]
enum Hop {
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
    fn new(config: &Config) -> Self {
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
    pub(crate) fn secrets(&self) -> &[String] {
        match &self.proxy {
            Hop::Proxy { secrets, .. } => &secrets.0,
            Hop::Direct | Hop::Unknown => &[],
        }
    }

    /// The proxy's `host:port`, or "the proxy" when it is not known.
    fn proxy_addr(&self) -> String {
        match &self.proxy {
            Hop::Proxy { addr, .. } => addr.clone(),
            Hop::Direct | Hop::Unknown => "the proxy".into(),
        }
    }

    /// "the proxy host:port", or "the proxy".
    fn proxy_named(&self) -> String {
        match &self.proxy {
            Hop::Proxy { addr, .. } => format!("the proxy {addr}"),
            Hop::Direct | Hop::Unknown => "the proxy".into(),
        }
    }

    /// The proxy's host, or "the proxy's host".
    fn proxy_host(&self) -> String {
        match &self.proxy {
            Hop::Proxy { host, .. } => host.clone(),
            Hop::Direct | Hop::Unknown => "of the proxy".into(),
        }
    }
}

/// Secrets kept for redaction; their `Debug` shows how many, never one.
#[derive(Clone, Default)]
struct Hidden(Vec<String>);

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

/// What the HTTP client's error says, walked along its `source()` chain.
#[derive(Debug, Default)]
struct Seen {
    /// What the `CONNECT` tunnel reported, if one was being opened.
    tunnel: Option<Tunnel>,
    /// The failure happened while reaching the proxy, before the tunnel was open.
    before_tunnel: bool,
    /// A TLS problem that a retry does not mend.
    tls: Option<(TlsProblem, String)>,
    /// The kind of the deepest I/O error.
    io: Option<std::io::ErrorKind>,
    /// The text of the last error of the chain, on one line.
    innermost: String,
}

/// What hyper-util's tunnel reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tunnel {
    /// 407: the proxy wants credentials, or refused ours.
    AuthRequired,
    /// Another answer than 200 (its status not kept).
    Refused,
    /// Connecting to the proxy failed.
    ConnectFailed,
    /// The proxy closed the connection before answering.
    Closed,
    /// Something else (an I/O error, an answer's head too long).
    Other,
}

impl Seen {
    fn walk(e: &reqwest::Error) -> Seen {
        let mut seen = Seen::default();
        let mut next: Option<&(dyn StdError + 'static)> = Some(e);
        while let Some(err) = next {
            if let Some(tunnel) = tunnel_error(err) {
                if tunnel == Tunnel::ConnectFailed {
                    seen.before_tunnel = true;
                }
                seen.tunnel.get_or_insert(tunnel);
            }
            if seen.tls.is_none() {
                seen.tls = tls_problem(err);
            }
            if let Some(io) = err.downcast_ref::<std::io::Error>() {
                seen.io = Some(deepest_io(io).kind());
            }
            seen.innermost = one_line(&err.to_string());
            next = err.source();
        }
        seen
    }
}

/// The text of the last error of `e`'s chain, on one line.
fn innermost(e: &reqwest::Error) -> String {
    let mut last: &(dyn StdError + 'static) = e;
    while let Some(next) = last.source() {
        last = next;
    }
    one_line(&last.to_string())
}

/// `text` with line breaks and other control characters as spaces.
fn one_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>().trim().to_string()
}

/// The innermost I/O error wrapped in `io` (TLS libraries wrap theirs in another).
fn deepest_io(mut io: &std::io::Error) -> &std::io::Error {
    while let Some(inner) = io.get_ref().and_then(|e| e.downcast_ref::<std::io::Error>()) {
        io = inner;
    }
    io
}

/// hyper-util's tunnel error, which it does not export: told by its message's prefix and its
/// variant's name (its `Debug`). The network tests (`facade/tests/network`) hold this to the
/// hyper-util in the lock file: a 407 and a refused `CONNECT` must each give their own error.
fn tunnel_error(err: &(dyn StdError + 'static)) -> Option<Tunnel> {
    if !err.to_string().starts_with("tunnel error: ") {
        return None;
    }
    let debug = format!("{err:?}");
    Some(match debug.as_str() {
        "ProxyAuthRequired" => Tunnel::AuthRequired,
        "TunnelUnsuccessful" => Tunnel::Refused,
        "TunnelUnexpectedEof" => Tunnel::Closed,
        _ if debug.starts_with("ConnectFailed(") => Tunnel::ConnectFailed,
        _ => Tunnel::Other,
    })
}

/// The TLS problem `err` reports, if it is one a retry does not mend, with the TLS library's
/// word for it. A connection lost during the handshake is not one.
fn tls_problem(err: &(dyn StdError + 'static)) -> Option<(TlsProblem, String)> {
    #[cfg(any(feature = "rustls", feature = "rustls-ring"))]
    if let Some(found) = rustls_error(err).and_then(rustls_problem) {
        return Some(found);
    }
    #[cfg(feature = "native-tls")]
    if let Some(found) = err.downcast_ref::<native_tls::Error>().and_then(native_tls_problem) {
        return Some(found);
    }
    let _ = err;
    None
}

/// rustls's error in `err`: the error itself, or inside the I/O errors that carry it.
#[cfg(any(feature = "rustls", feature = "rustls-ring"))]
fn rustls_error<'e>(err: &'e (dyn StdError + 'static)) -> Option<&'e rustls::Error> {
    if let Some(e) = err.downcast_ref::<rustls::Error>() {
        return Some(e);
    }
    let mut io = err.downcast_ref::<std::io::Error>()?;
    loop {
        let inner = io.get_ref()?;
        if let Some(e) = inner.downcast_ref::<rustls::Error>() {
            return Some(e);
        }
        io = inner.downcast_ref::<std::io::Error>()?;
    }
}

/// A rustls error that a retry does not mend: a certificate refused, an alert from the server,
/// or nothing in common with it.
#[cfg(any(feature = "rustls", feature = "rustls-ring"))]
fn rustls_problem(e: &rustls::Error) -> Option<(TlsProblem, String)> {
    use rustls::CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(c) => {
            let problem = match c {
                C::UnknownIssuer | C::BadSignature => TlsProblem::NotTrusted,
                C::Expired | C::ExpiredContext { .. } | C::NotValidYet | C::NotValidYetContext { .. } => {
                    TlsProblem::Expired
                }
                C::NotValidForName | C::NotValidForNameContext { .. } => TlsProblem::WrongName,
                _ => TlsProblem::BadCertificate,
            };
            // The variant's name, without the context (times, names) its `Debug` adds.
            let debug = format!("{c:?}");
            let name = debug.split(|ch: char| !ch.is_ascii_alphanumeric()).next().unwrap_or_default();
            let detail = match name.strip_suffix("Context").unwrap_or(name) {
                "Other" => one_line(&c.to_string()),
                word => word.to_string(),
            };
            Some((problem, detail))
        }
        rustls::Error::AlertReceived(alert) => Some((TlsProblem::Refused, format!("alert {alert:?}"))),
        rustls::Error::PeerIncompatible(why) => Some((TlsProblem::Refused, format!("{why:?}"))),
        rustls::Error::NoApplicationProtocol => Some((TlsProblem::Refused, "NoApplicationProtocol".into())),
        _ => None,
    }
}

/// A native-tls error that a retry does not mend. native-tls does not expose OpenSSL's
/// verification result, so it is read from the error's text: its `Debug` names the result's
/// code (stable across OpenSSL versions, unlike its wording), its `Display` ends with the
/// wording; a fatal alert from the server is OpenSSL's reason `... alert ...`. An I/O error
/// under it (a reset during the handshake) is not a TLS problem. On macOS and Windows, whose
/// libraries word their errors otherwise, nothing is told apart: the failure stays a
/// [`Error::Transport`].
#[cfg(feature = "native-tls")]
fn native_tls_problem(e: &native_tls::Error) -> Option<(TlsProblem, String)> {
    let mut cause = e.source();
    while let Some(err) = cause {
        if err.is::<std::io::Error>() {
            return None;
        }
        cause = err.source();
    }
    let text = one_line(&e.to_string());
    let debug = format!("{e:?}");
    let code = debug
        .split_once("X509VerifyResult { code: ")
        .and_then(|(_, rest)| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|digits| digits.parse::<u32>().ok())
        .unwrap_or(0);
    if code != 0 {
        let detail = text.rsplit_once(" (").map_or_else(
            || format!("X509 verification error {code}"),
            |(_, d)| d.trim_end_matches(')').to_string(),
        );
        // OpenSSL's X509_V_ERR_* codes.
        let problem = match code {
            9 | 10 => TlsProblem::Expired,
            62..=64 => TlsProblem::WrongName,
            2 | 7 | 18..=21 | 27 => TlsProblem::NotTrusted,
            _ => TlsProblem::BadCertificate,
        };
        return Some((problem, detail));
    }
    text.split(':')
        .find(|reason| reason.contains(" alert "))
        .map(|reason| (TlsProblem::Refused, reason.trim().to_string()))
}

/// The client's own HTTP client: no redirects followed (the API does not redirect; following one
/// could carry the request elsewhere), the configured connect and request timeouts, the
/// configured route (a proxy, none, or the environment's), the TLS of the crate's features with
/// the added root certificates, and HTTP/2 when the server offers it by ALPN.
fn default_http_client(config: &Config) -> Result<reqwest::Client, Error> {
    // With `rustls-ring` alone, reqwest's rustls has no crypto provider of its own: ring becomes
    // the process's default, unless the application installed one already.
    #[cfg(all(feature = "rustls-ring", not(feature = "rustls")))]
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = reqwest::Client::builder()
        .connect_timeout(config.connect_timeout)
        .timeout(config.request_timeout)
        .redirect(reqwest::redirect::Policy::none());
    builder = match &config.route {
        // reqwest reads the proxy variables as it builds the client.
        Route::Environment => builder,
        Route::Direct => builder.no_proxy(),
        Route::Proxy(url) => builder.proxy(
            reqwest::Proxy::all(url.as_str())
                .map_err(|_| Error::config("proxy", "is not a proxy URL the HTTP client accepts"))?,
        ),
    };
    #[cfg(any(feature = "rustls", feature = "rustls-ring", feature = "native-tls"))]
    for certificate in &config.root_certificates {
        builder = builder.add_root_certificate(certificate.clone());
    }
    builder.build().map_err(|e| {
        // The added certificates are what the backend can refuse; their PEM was checked already.
        let setting =
            if config.root_certificates.is_empty() { "http_client" } else { "add_root_certificate" };
        Error::config(setting, format!("the HTTP client could not be built ({})", error_chain(&e)))
    })
}

/// An error and its sources, joined by ": ".
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
#[path = "tests/transport.rs"]
mod tests;
