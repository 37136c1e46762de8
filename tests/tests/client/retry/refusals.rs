//! Failures a retry cannot mend are sent once: a proxy that refuses our credentials gets one
//! request, not one per attempt (a proxy backed by a directory locks an account after a few
//! failed logins), and its refusal names the proxy, never the password, in any output. The TLS
//! failures a retry cannot mend need a TLS server, and are tested under every TLS feature in
//! `facade/tests/network/tls.rs`.

use thousandeyes_usage::{Client, Error};
use thousandeyes_usage_tests::capture::{everything_shown, Captured};
use thousandeyes_usage_tests::raw::{RawServer, Reply};
use thousandeyes_usage_tests::support::{awkward_passwords, builder_of, shows_a_password_piece, TOKEN};

/// A proxy answering every request (a `CONNECT`, or a plain-http request to forward) 407.
async fn proxy_refusing_credentials() -> RawServer {
    let refusal = Reply::status(407)
        .header("Proxy-Authenticate", "Basic realm=\"corp\"")
        .header("Content-Type", "text/plain")
        .body("access denied");
    RawServer::script(vec![refusal.into()]).await
}

/// A client of a plain-http base URL, whose requests `proxy` is to forward, with a proxy password
/// holding every awkward character, percent-encoded.
fn forwarded_through(proxy: &RawServer) -> Client {
    builder_of("http://api.example.test/v7")
        .allow_insecure_http(true)
        .proxy(format!("http://svc-usage:Xq7%2FZw9%3FKp3%23Lm5%40Rt8%25Vb2@{}", proxy.addr()))
        .build()
        .expect("client")
}

/// The proxy's refusal of our credentials, naming it, on one line, not retryable.
fn assert_refused_credentials(err: &Error, proxy: &RawServer) {
    assert!(
        matches!(err, Error::ProxyRefused { proxy: Some(named), status: Some(407), credentials: true, .. }
            if *named == proxy.addr().to_string()),
        "{err:?}"
    );
    assert!(!err.is_retryable(), "{err:?}");
    let message = err.to_string();
    assert!(
        message.ends_with(&format!("the proxy {} refused our credentials (407)", proxy.addr())),
        "{message}"
    );
    assert!(!message.contains('\n'), "{message}");
}

#[tokio::test(start_paused = true)]
async fn a_proxy_refusing_our_credentials_gets_one_connect_and_no_password_in_any_output() {
    let log = Captured::default();
    let _guard = log.install(true);
    let proxy = proxy_refusing_credentials().await;
    let mut shown = String::new();
    let mut refused = 0;
    for password in awkward_passwords() {
        let builder = builder_of("https://api.example.test/v7")
            .proxy(format!("http://svc-usage:{password}@{}", proxy.addr()));
        // A password with an unencoded `/`, `?` or `#` makes a URL that is not a proxy's: refused
        // at build(), without showing it.
        let client = match builder.build() {
            Ok(client) => client,
            Err(err) => {
                shown.push_str(&everything_shown(&err));
                continue;
            }
        };
        let before = proxy.count();
        let err = client.quotas().send().await.expect_err("407");
        assert_refused_credentials(&err, &proxy);
        assert_eq!(proxy.count(), before + 1, "{password}: one CONNECT");
        let stats = client.stats();
        assert_eq!((stats.requests_sent, stats.retries), (1, 0), "{stats:?}");
        shown.push_str(&everything_shown(&err));
        shown.push_str(&format!("{client:?}"));
        refused += 1;
    }
    assert!(refused >= 6, "every percent-encoded password reaches the proxy: {refused}");
    for request in proxy.requests() {
        assert_eq!(request.request_line, "CONNECT api.example.test:443 HTTP/1.1");
        assert!(request.header("proxy-authorization").is_some_and(|v| v.starts_with("Basic ")));
    }
    assert!(!shows_a_password_piece(&shown), "{shown}");
    let logged = log.text();
    assert!(logged.contains("thousandeyes_usage.request"), "the calls' spans were captured: {logged}");
    assert!(!shows_a_password_piece(&logged), "{logged}");
    assert!(!logged.contains(TOKEN), "{logged}");
}

/// A POST refused by the proxy is sent once too (it never reached the API).
#[tokio::test(start_paused = true)]
async fn a_quota_post_through_a_proxy_refusing_our_credentials_is_sent_once() {
    let proxy = proxy_refusing_credentials().await;
    let client = builder_of("https://api.example.test/v7")
        .proxy(format!("http://svc-usage:Xq7%40Zw9@{}", proxy.addr()))
        .build()
        .expect("client");
    let err = client.assign_organization_quotas().quota("1001", 5).send().await.expect_err("407");
    assert_refused_credentials(&err, &proxy);
    assert_eq!(proxy.count(), 1, "one CONNECT");
}

/// A plain-http base URL goes to the proxy as a request to forward: the proxy's 407 is an
/// answer, and the same refusal, whose source is that answer.
#[tokio::test(start_paused = true)]
async fn a_forwarding_proxy_answering_407_is_sent_once_and_shows_no_password() {
    let log = Captured::default();
    let _guard = log.install(true);
    let proxy = proxy_refusing_credentials().await;
    let client = forwarded_through(&proxy);
    let err = client.usage().send().await.expect_err("407");
    assert_refused_credentials(&err, &proxy);
    let source = std::error::Error::source(&err).expect("the proxy's answer");
    assert!(source.to_string().contains("HTTP 407"), "{source}");
    let requests = proxy.requests();
    assert_eq!(requests.len(), 1, "sent once");
    assert_eq!(requests[0].request_line, "GET http://api.example.test/v7/usage HTTP/1.1");
    assert!(!shows_a_password_piece(&everything_shown(&err)), "{}", everything_shown(&err));
    assert!(!shows_a_password_piece(&log.text()), "{}", log.text());
}

/// A proxy that echoes what it was sent (the Basic credentials, and the password in them) into
/// its 407 page: the page is quoted in the error's source, with both redacted.
#[tokio::test(start_paused = true)]
async fn a_proxy_echoing_our_credentials_in_its_407_page_shows_no_password() {
    let proxy = RawServer::start(|request| {
        let credentials = request.header("proxy-authorization").unwrap_or_default().to_string();
        let page = format!("<p>Denied: {credentials} (svc-usage:Xq7/Zw9?Kp3#Lm5@Rt8%Vb2)</p>");
        Reply::status(407).header("Content-Type", "text/html").body(page).into()
    })
    .await;
    let client = forwarded_through(&proxy);
    let err = client.usage().send().await.expect_err("407");
    assert_refused_credentials(&err, &proxy);
    let shown = everything_shown(&err);
    assert!(shown.contains("Denied: Basic [REDACTED] (svc-usage:[REDACTED])"), "{shown}");
    assert!(!shows_a_password_piece(&shown), "{shown}");
}
