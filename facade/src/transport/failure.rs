//! What a failed attempt means: the HTTP client's error, read along its `source()` chain (a
//! timeout, a refused or reset connection, a host name that does not resolve, a proxy's refusal,
//! a TLS problem under any of the crate's TLS features), as the [`Outcome`] the retry classifier
//! takes and the [`Error`] the call fails with, naming the address where it is known.

use std::error::Error as StdError;
use std::time::Duration;

use tokio::time::Instant;

use super::hops::{Hop, Hops};
use crate::error::{Error, OneLine, TlsProblem};
use crate::retry::Outcome;

/// Where in an attempt a failure happened.
#[derive(Debug, Clone, Copy)]
pub(super) enum Phase {
    /// Sending the request, or waiting for the answer's head.
    Answer,
    /// Reading the answer's body.
    Body,
}

/// The error of an attempt that got no complete answer, and what it calls for (`started`: when
/// the attempt began; `request_timeout`: how long it could take).
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
pub(super) fn read(
    hops: &Hops,
    request_timeout: Duration,
    operation: &'static str,
    started: Instant,
    e: reqwest::Error,
    phase: Phase,
) -> (Outcome, Error) {
    let connecting = e.is_connect();
    if e.is_timeout() {
        let outcome = if connecting { Outcome::Connect } else { Outcome::Timeout };
        let after = if connecting { started.elapsed() } else { request_timeout };
        let (peer, at_proxy) = if connecting { hops.first() } else { (None, false) };
        return (outcome, Error::Timeout { operation, after, connecting, peer, at_proxy });
    }
    if !connecting {
        let reason = match phase {
            Phase::Answer => format!("the connection failed before an answer came: {}", innermost(&e)),
            Phase::Body => format!("the connection failed while the answer was read: {}", innermost(&e)),
        };
        return (
            Outcome::Transport,
            Error::Transport { operation, reason, sent: true, source: Box::new(e.without_url()) },
        );
    }
    let seen = Seen::walk(&e);
    let dns = e.is_dns();
    let source: Box<dyn StdError + Send + Sync> = Box::new(e.without_url());
    match seen.tunnel {
        Some(Tunnel::AuthRequired) => {
            return (Outcome::Permanent, hops.refused(operation, Some(407), source))
        }
        Some(Tunnel::Refused) => return (Outcome::Permanent, hops.refused(operation, None, source)),
        _ => {}
    }
    // Through a proxy that forwards plain http, every connection is the proxy's; through a
    // tunnel, only the one that failed before the tunnel was open.
    let at_proxy = seen.before_tunnel || matches!(hops.proxy, Hop::Proxy { tunnel: false, .. });
    if let Some((problem, detail)) = seen.tls {
        let peer = if at_proxy { hops.proxy_addr() } else { hops.server.clone() };
        return (Outcome::Permanent, Error::Tls { operation, peer, at_proxy, problem, detail, source });
    }
    let peer = if at_proxy { hops.proxy_named() } else { hops.server.clone() };
    let cause = seen.innermost;
    let reason = if seen.tunnel == Some(Tunnel::Closed) {
        format!("{} closed the connection before answering CONNECT", hops.proxy_named())
    } else if dns {
        let host = if at_proxy { hops.proxy_host() } else { hops.server_host.clone() };
        format!("the host name {host} could not be resolved ({cause})")
    } else if seen.io == Some(std::io::ErrorKind::ConnectionRefused) {
        format!("the connection to {peer} was refused")
    } else {
        format!("could not connect to {peer}: {cause}")
    };
    (Outcome::Connect, Error::Transport { operation, reason, sent: false, source })
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
    OneLine(text).to_string().trim().to_string()
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
                // The verifier's own error, wrapped: webpki's names it by a variant
                // (`Other(OtherError(CaUsedAsEndEntity))`), said in plain words where a user meets
                // it; a platform verifier's (macOS, Windows) is a sentence, kept whole.
                "Other" => {
                    let inner = debug.strip_prefix("Other(OtherError(").and_then(|r| r.strip_suffix("))"));
                    match inner.filter(|w| !w.is_empty() && w.chars().all(|ch| ch.is_ascii_alphanumeric())) {
                        Some("CaUsedAsEndEntity") => "it is a CA's certificate (CA:TRUE), presented as the \
                            server's own: the server needs a certificate the CA signed (CaUsedAsEndEntity)"
                            .to_string(),
                        Some("EndEntityUsedAsCa") => "a server's certificate signed another, as only a CA's \
                            may (EndEntityUsedAsCa)"
                            .to_string(),
                        Some(word) => word.to_string(),
                        None => one_line(&c.to_string()),
                    }
                }
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
