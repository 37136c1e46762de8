//! Why a refresh failed: the causes it is counted and logged under (the label `cause` of
//! `thousandeyes_refresh_errors_total`).

use thousandeyes_usage::Error;

/// Every cause, each published from the start (at 0) so that the first failure of a cause
/// shows in `increase()` and `rate()`.
pub const CAUSES: [&str; 14] = [
    "unauthorized",
    "forbidden",
    "not_found",
    "rate_limited",
    "server_error",
    "client_error",
    "timeout",
    "transport",
    "tls",
    "proxy_refused",
    "bad_answer",
    "pagination",
    "configuration",
    "other",
];

/// The cause `err` is counted under: one of [`CAUSES`].
///
/// ```
/// use thousandeyes_usage_cli::serve::causes::{cause, CAUSES};
///
/// let err = thousandeyes_usage::Client::builder().build().unwrap_err(); // no token
/// assert_eq!(cause(&err), "configuration");
/// assert!(CAUSES.contains(&cause(&err)));
/// ```
pub fn cause(err: &Error) -> &'static str {
    match err.status() {
        Some(401) => "unauthorized",
        Some(403) => "forbidden",
        Some(404) => "not_found",
        Some(429) => "rate_limited",
        Some(s) if s >= 500 => "server_error",
        Some(_) => "client_error",
        None => match err {
            Error::NotSent { .. } => "rate_limited",
            Error::Timeout { .. } => "timeout",
            Error::Transport { .. } => "transport",
            // Not mended by a retry: a certificate not trusted (a proxy intercepting TLS, say),
            // or a proxy refusing our credentials. Each needs its own alert.
            Error::Tls { .. } => "tls",
            Error::ProxyRefused { .. } => "proxy_refused",
            Error::Decode { .. } | Error::UnexpectedBody { .. } | Error::BodyTooLarge { .. } => "bad_answer",
            Error::Pagination { .. } => "pagination",
            Error::Config { .. } | Error::InvalidInput { .. } => "configuration",
            _ => "other",
        },
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;

    /// A proxy that refuses our credentials is counted as such, not as `other`.
    #[tokio::test]
    async fn a_proxy_refusing_our_credentials_is_its_own_cause() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut head = [0u8; 4096];
                let _ = stream.read(&mut head).await;
                let _ = stream
                    .write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\ncontent-length: 0\r\n\r\n")
                    .await;
            }
        });
        let client = thousandeyes_usage::Client::builder()
            .token("a-token-for-the-test")
            .base_url("https://api.example.com/v7")
            .proxy(format!("http://svc:wrong@{proxy}"))
            .build()
            .unwrap();
        let err = client.usage().send().await.unwrap_err();
        assert!(matches!(err, Error::ProxyRefused { .. }), "{err:?}");
        assert_eq!(cause(&err), "proxy_refused");
        assert!(CAUSES.contains(&cause(&err)));
    }
}
