//! The crate's one error type, [`Error`], with the kinds of its TLS problems and of calls not
//! sent; the details of an API error, [`ApiError`], are [`api`]'s.

mod api;

use std::fmt;
use std::time::Duration;

pub use api::{ApiError, FieldError};

use crate::rate_limit::RateLimit;

/// Everything that can go wrong in this crate.
///
/// Errors are `Send + Sync + 'static`, chain their causes through
/// [`source()`](std::error::Error::source), and never contain the bearer token.
///
/// ```
/// use thousandeyes_usage::Error;
///
/// fn explain(err: &Error) -> String {
///     match err {
///         Error::Api(api) if api.is_rate_limited() => {
///             format!("rate limited, retry after {:?}", api.retry_after())
///         }
///         Error::Api(api) => format!("HTTP {}: {}", api.status(), api.summary()),
///         Error::NotSent { retry_after, .. } => format!("not sent, try again in {retry_after:?}"),
///         Error::InvalidInput { field, .. } => format!("fix the value of {field}"),
///         other => other.to_string(),
///     }
/// }
/// # let _ = explain;
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A value given to a builder is invalid; nothing was sent.
    #[non_exhaustive]
    InvalidInput {
        /// The parameter or field, as named in the builder (`aid`, `start`, ...).
        field: &'static str,
        /// The rejected value, as given (never a secret).
        value: String,
        /// Why it was rejected.
        reason: String,
    },
    /// The client could not be configured (a builder setting or a `TE_*` variable).
    #[non_exhaustive]
    Config {
        /// The setting or environment variable at fault.
        setting: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The API answered with an error status (4xx or 5xx, or an unexpected 3xx).
    Api(Box<ApiError>),
    /// The client did not send the request, because of the organization's rate limit: nothing
    /// reached the server, and no status was received. `retry_after` says when the window
    /// opens, as far as the client knows.
    #[non_exhaustive]
    NotSent {
        /// The operation, by its OpenAPI operationId.
        operation: &'static str,
        /// Why the client held the request back.
        reason: NotSentReason,
        /// How long until the rate-limit window opens.
        retry_after: Duration,
        /// The latest rate-limit figures the client had.
        rate_limit: RateLimit,
    },
    /// No answer arrived in time: connecting took longer than the connect timeout, or the
    /// attempt (sending the request and reading the whole answer) longer than the request
    /// timeout.
    #[non_exhaustive]
    Timeout {
        /// The operation, by its OpenAPI operationId.
        operation: &'static str,
        /// How long the client waited: the request timeout, or the time spent connecting.
        after: Duration,
        /// True when the connection could not be made in time.
        connecting: bool,
        /// Where the client was connecting, when it timed out connecting and knows: the proxy's
        /// host and port when there is one (connecting through it), else the API's
        /// (`api.thousandeyes.com:443`).
        peer: Option<String>,
        /// True when `peer` is the proxy.
        at_proxy: bool,
    },
    /// The request could not be sent or the answer could not be read: a connection refused or
    /// reset, a host name that does not resolve, a body cut short. A failure to connect is
    /// retried for every method (nothing was sent); one after the connection was made, for GETs
    /// only. A certificate the client does not trust or a proxy's refusal is not this error but
    /// [`Error::Tls`] or [`Error::ProxyRefused`].
    #[non_exhaustive]
    Transport {
        /// The operation, by its OpenAPI operationId.
        operation: &'static str,
        /// What failed, in plain words, naming the address where the client knows it (`the
        /// connection to 127.0.0.1:8443 was refused`).
        reason: String,
        /// False when nothing of the request was sent: it failed while connecting, or before.
        /// True when it may have reached the server (a connection lost after it was made), so
        /// that a POST may have been carried out.
        sent: bool,
        /// The underlying error.
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
    /// The TLS handshake failed in a way a retry does not mend: the server's certificate is not
    /// trusted, has expired or is for another name, or the server refused the handshake.
    /// Nothing was sent, and the client does not try again. A proxy that intercepts TLS shows
    /// here as a certificate that is not trusted (see "TLS and a corporate CA" in the README).
    #[non_exhaustive]
    Tls {
        /// The operation, by its OpenAPI operationId.
        operation: &'static str,
        /// The host and port of the handshake: the API's server (through a proxy too), or an
        /// `https://` proxy's own when that handshake failed (`at_proxy`).
        peer: String,
        /// True when `peer` is the proxy, reached over TLS, rather than the API's server.
        at_proxy: bool,
        /// What is wrong.
        problem: TlsProblem,
        /// The TLS library's own word for it (`UnknownIssuer`, `certificate has expired`,
        /// `HandshakeFailure`).
        detail: String,
        /// The underlying error.
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
    /// A proxy refused to carry the request: it answered 407 (it wants credentials, or refused
    /// the ones in its URL), or refused to open the `CONNECT` tunnel to an `https://` base URL.
    /// The client does not try again: a proxy backed by a directory may lock the account after a
    /// few failed logins. The password is never shown.
    #[non_exhaustive]
    ProxyRefused {
        /// The operation, by its OpenAPI operationId.
        operation: &'static str,
        /// The proxy's host and port, when the client knows them (not with a caller's own HTTP
        /// client, whose proxy settings are its own).
        proxy: Option<String>,
        /// The proxy's status: 407 when it wants credentials or refused ours; `None` for another
        /// refusal of `CONNECT`, whose status the HTTP client does not report.
        status: Option<u16>,
        /// Whether the client sent the proxy credentials (a `user:password@` in its URL, from
        /// the builder or the environment). False with a caller's own HTTP client, whose
        /// credentials the client does not know.
        credentials: bool,
        /// The underlying error: the HTTP client's, or the proxy's answer.
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
    /// A successful answer whose JSON body does not have the documented shape.
    #[non_exhaustive]
    Decode {
        /// The operation, by its OpenAPI operationId.
        operation: &'static str,
        /// The JSON path where decoding failed (`breakdowns[3].cloudUnitsUsed`).
        path: String,
        /// What was wrong there.
        message: String,
        /// The start of the body, bounded in length.
        excerpt: String,
    },
    /// A successful answer that is not JSON (an HTML page from a proxy, say) or has no body where
    /// one is required.
    #[non_exhaustive]
    UnexpectedBody {
        /// The operation, by its OpenAPI operationId.
        operation: &'static str,
        /// The HTTP status of the answer.
        status: u16,
        /// The answer's `Content-Type`, if any.
        content_type: Option<String>,
        /// The answer's `Content-Encoding`, when the body came compressed without being asked.
        content_encoding: Option<String>,
        /// The start of the body, bounded in length (empty when there was no body).
        excerpt: String,
    },
    /// The answer's body is larger than the configured limit; reading stopped there.
    #[non_exhaustive]
    BodyTooLarge {
        /// The operation, by its OpenAPI operationId.
        operation: &'static str,
        /// The limit, in bytes.
        limit: usize,
    },
    /// A paginated listing went wrong in a way the server is to blame for: a cursor that
    /// repeats, or a next link that cannot be followed.
    #[non_exhaustive]
    Pagination {
        /// The operation, by its OpenAPI operationId.
        operation: &'static str,
        /// The cursor at fault: the one that repeats, or the cursor of the page whose next link
        /// cannot be followed (empty for the first page).
        cursor: String,
        /// Pages the listing yielded, up to and including the page with the fault (0 for a
        /// single page's `send`, which returns the error instead of the page).
        pages: usize,
        /// What happened.
        reason: String,
    },
}

impl Error {
    /// The HTTP status of an API error ([`Error::Api`]), or of a successful answer whose body is
    /// not the JSON expected ([`Error::UnexpectedBody`]). `None` for every other error
    /// ([`Error::Decode`] and [`Error::BodyTooLarge`] included).
    ///
    /// ```
    /// # use thousandeyes_usage::Error;
    /// # fn f(err: Error) {
    /// if err.status() == Some(404) { /* ... */ }
    /// # }
    /// ```
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(api) => Some(api.status),
            Error::UnexpectedBody { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// True when the organization's rate limit was exhausted: a 429 answer, or a call the client
    /// did not send because of it ([`Error::NotSent`]).
    ///
    /// ```
    /// # use thousandeyes_usage::Error;
    /// # fn f(err: Error) {
    /// if err.is_rate_limited() { println!("slow down: {:?}", err.retry_after()); }
    /// # }
    /// ```
    pub fn is_rate_limited(&self) -> bool {
        match self {
            Error::Api(api) => api.is_rate_limited(),
            Error::NotSent { .. } => true,
            _ => false,
        }
    }

    /// True when sending the same request again later may succeed: 429, 500, 502, 503, 504,
    /// timeouts, transport failures (a connection refused or reset, a host name that does not
    /// resolve), and calls not sent because of the rate limit. Invalid input, 4xx answers,
    /// decode errors, TLS problems ([`Error::Tls`]) and a proxy's refusal
    /// ([`Error::ProxyRefused`]) are not: they need a change of settings.
    ///
    /// ```
    /// # use thousandeyes_usage::Error;
    /// # fn f(err: Error) {
    /// if err.is_retryable() { /* schedule a later run */ }
    /// # }
    /// ```
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api(api) => api.is_retryable(),
            Error::Timeout { .. } | Error::Transport { .. } | Error::NotSent { .. } => true,
            _ => false,
        }
    }

    /// How long to wait before sending again: what the server asked for, for an API error that
    /// said so; until the rate-limit window opens, for a call not sent.
    ///
    /// ```
    /// # use thousandeyes_usage::Error;
    /// # fn f(err: Error) {
    /// if let Some(wait) = err.retry_after() { println!("retry in {wait:?}"); }
    /// # }
    /// ```
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Api(api) => api.retry_after,
            Error::NotSent { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }

    /// The details of an API error, if this is one.
    ///
    /// ```
    /// # use thousandeyes_usage::Error;
    /// # fn f(err: Error) {
    /// if let Some(api) = err.as_api() { println!("{:?}", api.detail()); }
    /// # }
    /// ```
    pub fn as_api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(api) => Some(api),
            _ => None,
        }
    }

    /// A short name of the kind of error, for the `error.type` field of a call's span.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Error::InvalidInput { .. } => "invalid_input",
            Error::Config { .. } => "config",
            Error::Api(api) if api.is_rate_limited() => "rate_limited",
            Error::Api(_) => "api",
            Error::NotSent { .. } => "not_sent",
            Error::Timeout { .. } => "timeout",
            Error::Transport { .. } => "transport",
            Error::Tls { .. } => "tls",
            Error::ProxyRefused { .. } => "proxy",
            Error::Decode { .. } => "decode",
            Error::UnexpectedBody { .. } => "unexpected_body",
            Error::BodyTooLarge { .. } => "body_too_large",
            Error::Pagination { .. } => "pagination",
        }
    }

    pub(crate) fn invalid(field: &'static str, value: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidInput { field, value: value.into(), reason: reason.into() }
    }

    pub(crate) fn config(setting: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Config { setting: setting.into(), reason: reason.into() }
    }
}

/// Text a server or a library wrote, shown on one line: each control character (a line break, a
/// tab, an escape) becomes a space.
pub(crate) struct OneLine<'a>(pub(crate) &'a str);

impl fmt::Display for OneLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write;
        for c in self.0.chars() {
            f.write_char(if c.is_control() { ' ' } else { c })?;
        }
        Ok(())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidInput { field, value, reason } => {
                write!(f, "invalid {field} {value:?}: {reason}")
            }
            Error::Config { setting, reason } => write!(f, "invalid configuration {setting}: {reason}"),
            Error::Api(api) => fmt::Display::fmt(api, f),
            Error::NotSent { operation, reason, retry_after, .. } => write!(
                f,
                "{operation}: not sent (rate limited): {} (retry after {:.0} s)",
                reason.describe(),
                retry_after.as_secs_f64().ceil()
            ),
            Error::Timeout { operation, after, connecting: true, peer, at_proxy } => {
                let to = match (peer, at_proxy) {
                    // Through a tunnel, the connect timeout covers the proxy's CONNECT and the
                    // handshake with the API too.
                    (Some(peer), true) => format!(" through the proxy {peer}"),
                    (Some(peer), false) => format!(" to {peer}"),
                    (None, _) => String::new(),
                };
                write!(f, "{operation}: connecting{to} timed out after {:.1} s", after.as_secs_f64())
            }
            Error::Timeout { operation, after, .. } => {
                write!(f, "{operation}: no complete answer within the {:.1} s request timeout", after.as_secs_f64())
            }
            Error::Transport { operation, reason, .. } => write!(f, "{operation}: {reason}"),
            Error::Tls { operation, peer, at_proxy, problem, detail, .. } => {
                let whose = if *at_proxy { "the proxy's" } else { "the server's" };
                write!(f, "{operation}: TLS with {peer} failed: ")?;
                match problem {
                    TlsProblem::NotTrusted => write!(
                        f,
                        "{whose} certificate is not trusted ({detail}): see TLS and a corporate CA in the README"
                    ),
                    TlsProblem::Expired => write!(
                        f,
                        "{whose} certificate has expired or is not valid yet ({detail}): check this machine's clock"
                    ),
                    TlsProblem::WrongName => {
                        let host = peer.rsplit_once(':').map_or(peer.as_str(), |(host, _)| host);
                        write!(f, "{whose} certificate is not valid for the name {host} ({detail})")
                    }
                    TlsProblem::BadCertificate => write!(f, "{whose} certificate was refused ({detail})"),
                    TlsProblem::Refused => write!(
                        f,
                        "{} refused the handshake ({detail}): no TLS version or cipher in common, or it asks for a client certificate",
                        if *at_proxy { "the proxy" } else { "the server" }
                    ),
                }
            }
            Error::ProxyRefused { operation, proxy, status, credentials, .. } => {
                let proxy = proxy.as_deref().map_or_else(|| "the proxy".to_string(), |p| format!("the proxy {p}"));
                match (status, credentials) {
                    (Some(407), true) => write!(f, "{operation}: {proxy} refused our credentials (407)"),
                    (Some(407), false) => write!(
                        f,
                        "{operation}: {proxy} asks for credentials (407): give them in the proxy's URL \
                         (http://user:password@host:port)"
                    ),
                    (Some(status), _) => write!(f, "{operation}: {proxy} refused the request ({status})"),
                    (None, _) => write!(
                        f,
                        "{operation}: {proxy} refused to open a tunnel to the API (its answer to CONNECT was \
                         neither 200 nor 407)"
                    ),
                }
            }
            Error::Decode { operation, path, message, excerpt } => write!(
                f,
                "{operation}: the answer does not decode at `{}`: {} (body starts {excerpt:?})",
                OneLine(path),
                OneLine(message)
            ),
            Error::UnexpectedBody { operation, status, content_encoding: Some(encoding), .. } => write!(
                f,
                "{operation}: HTTP {status} with a body compressed as {encoding:?}, which the client did not ask for"
            ),
            Error::UnexpectedBody { operation, status, content_type, excerpt, .. } => {
                let ct = content_type.as_deref().unwrap_or("no content type");
                if excerpt.is_empty() {
                    write!(f, "{operation}: HTTP {status} with an empty body ({ct}) where JSON was expected")
                } else {
                    write!(f, "{operation}: HTTP {status} answered {ct} where JSON was expected (body starts {excerpt:?})")
                }
            }
            Error::BodyTooLarge { operation, limit } => {
                write!(f, "{operation}: the answer is larger than the {limit}-byte limit")
            }
            Error::Pagination { operation, cursor, pages, reason } => {
                write!(
                    f,
                    "{operation}: pagination stopped after {pages} pages at cursor {cursor:?}: {reason}"
                )
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Transport { source, .. }
            | Error::Tls { source, .. }
            | Error::ProxyRefused { source, .. } => Some(source.as_ref()),
            _ => None,
        }
    }
}

/// What went wrong in a TLS handshake ([`Error::Tls`]). None is mended by a retry.
///
/// ```
/// use thousandeyes_usage::{Error, TlsProblem};
///
/// fn advice(err: &Error) -> Option<&'static str> {
///     match err {
///         Error::Tls { problem: TlsProblem::NotTrusted, .. } => {
///             Some("trust the corporate CA: SSL_CERT_FILE or add_root_certificate")
///         }
///         Error::Tls { problem: TlsProblem::Expired, .. } => Some("check the clock"),
///         Error::Tls { .. } => Some("check base_url and the server's TLS"),
///         _ => None,
///     }
/// }
/// # let _ = advice;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsProblem {
    /// The certificate's issuer is not trusted: a private or corporate CA the client was not
    /// given, a proxy that intercepts TLS with its own CA, a self-signed certificate, or a chain
    /// whose signature does not verify.
    NotTrusted,
    /// The certificate has expired, or is not valid yet (a clock far off can cause either).
    Expired,
    /// The certificate is for another host name than the one connected to.
    WrongName,
    /// The certificate was refused for another reason: revoked, not meant for a server, or
    /// malformed.
    BadCertificate,
    /// The server (or an `https://` proxy) refused the handshake with a fatal alert, or offers
    /// nothing the client accepts: no TLS version or cipher suite in common, or it asks for a
    /// client certificate.
    Refused,
}

/// Why the client did not send a request ([`Error::NotSent`]).
///
/// ```
/// use thousandeyes_usage::{Error, NotSentReason};
///
/// fn later(err: &Error) -> bool {
///     matches!(err, Error::NotSent { reason: NotSentReason::GaveUp, .. })
/// }
/// # let _ = later;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotSentReason {
    /// An earlier call of this client (or of a clone) gave up on 429s: the client sends nothing
    /// until the reset the server named (an hour at most).
    GaveUp,
    /// The organization's rate-limit window stays closed for longer than the retry policy
    /// waits.
    WindowClosed,
}

impl NotSentReason {
    /// How the reason reads in messages and logs.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            NotSentReason::GaveUp => "an earlier call of this client gave up on the rate limit until the window's reset",
            NotSentReason::WindowClosed => {
                "the organization's rate-limit window stays closed for longer than the retry policy lets a call wait"
            }
        }
    }
}
