//! The one place a request meets the network: one attempt, from sending a request to reading
//! the last byte of its answer, within the request timeout and the body limit. It knows nothing
//! of retries, pacing or decoding. What an attempt that failed means is [`failure`]'s; where its
//! connections go (the server, the proxy), [`hops`]'; which attempts a route through a proxy
//! that takes credentials lets through (one at a time until the first answer, none for a while
//! once the proxy refused them), [`gate`]'s.

mod failure;
mod gate;
mod hops;

use std::error::Error as StdError;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use thousandeyes_usage_generated::apis::Request;
use tokio::time::Instant;

use failure::Phase;
pub(crate) use gate::Admitted;
use gate::Gate;
use hops::Hops;

use crate::config::{Config, Route};
use crate::error::Error;
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
    /// Which attempts go: shared with the clients that send the same proxy the same
    /// credentials.
    gate: std::sync::Arc<Gate>,
}

impl Transport {
    /// A transport for `config`: its own HTTP client (no redirects followed, the configured
    /// connect and request timeouts), or the caller's.
    pub(crate) fn new(config: &Config) -> Result<Self, Error> {
        let http = match &config.http {
            Some(http) => http.clone(),
            None => default_http_client(config)?,
        };
        let hops = Hops::new(config);
        Ok(Transport {
            http,
            base_path: config.base_path.clone(),
            token: config.token.clone(),
            user_agent: config.user_agent.clone(),
            request_timeout: config.request_timeout,
            max_body_bytes: config.max_body_bytes,
            gate: match hops.proxy_login() {
                Some((proxy, secrets)) => Gate::shared(
                    proxy,
                    secrets,
                    config.connect_timeout.saturating_add(config.request_timeout),
                ),
                None => Gate::open(),
            },
            hops,
        })
    }

    /// Lets an attempt of `operation` through, waiting, on a route that sends a proxy
    /// credentials, while the client's first attempt is out and unanswered; hold what it returns
    /// until the attempt is over. The error of a call not
    /// sent when a proxy refused the credentials of an earlier one.
    pub(crate) async fn admit(&self, operation: &'static str) -> Result<Admitted<'_>, Error> {
        self.gate.admit().await.map_err(|()| {
            self.hops.refused(
                operation,
                Some(407),
                format!(
                    "not sent: the proxy refused these credentials less than {} minutes ago, and \
                     nothing goes to it meanwhile (a directory locks an account after a few failed \
                     logins): give the client the right ones",
                    gate::REFUSAL_HOLD.as_secs() / 60
                )
                .into(),
            )
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
            sent: false,
            reason: format!("the request's URL could not be made ({e})"),
            source: Box::new(e),
        })?;
        let method =
            reqwest::Method::from_bytes(request.method.as_bytes()).map_err(|e| Error::Transport {
                operation,
                sent: false,
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
            let mut resp = self.http.execute(request).await.map_err(|e| {
                failure::read(&self.hops, self.request_timeout, operation, started, e, Phase::Answer)
            })?;
            let status = resp.status();
            let headers = std::mem::take(resp.headers_mut());
            let too_large = || (Outcome::Status(status.as_u16()), Error::BodyTooLarge { operation, limit });
            if status.is_success() && resp.content_length().is_some_and(|n| n > limit as u64) {
                return Err(too_large());
            }
            // The chunks as they arrive, joined once at the end (not at all when there is one).
            let mut chunks: Vec<Bytes> = Vec::new();
            let mut read = 0usize;
            while let Some(chunk) = resp.chunk().await.map_err(|e| {
                failure::read(&self.hops, self.request_timeout, operation, started, e, Phase::Body)
            })? {
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
        let result = match tokio::time::timeout(timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err((
                Outcome::Timeout,
                Error::Timeout { operation, after: timeout, connecting: false, peer: None, at_proxy: false },
            )),
        };
        match &result {
            // A forwarding proxy's 407 is read as the call's error (`proxy_refused`).
            Ok(answer) if answer.status.as_u16() != 407 => self.gate.answered(),
            Err((_, error)) => self.note_refusal(error),
            Ok(_) => {}
        }
        result
    }

    /// Remembers a proxy's refusal of the credentials the client sends.
    fn note_refusal(&self, error: &Error) {
        if let Error::ProxyRefused { status: Some(407), credentials: true, .. } = error {
            self.gate.refuse();
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
        let error = self.hops.refused(operation, status, source);
        self.note_refusal(&error);
        error
    }
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
#[path = "../tests/transport.rs"]
mod tests;
