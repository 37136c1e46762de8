//! A token a server echoes into a listing's next link, cursor or next host is shown nowhere: not in
//! the pagination error, a span field or the log.

use crate::{echoed, page, two_pages};
use serde_json::json;
use thousandeyes_usage::{Client, Error};
use thousandeyes_usage_tests::capture::{everything_shown, Captured};
use thousandeyes_usage_tests::raw::{RawServer, Reply, Request};
use thousandeyes_usage_tests::support::{client_of, TOKEN};

// ---------------------------------------------------------------------------------------------
// The token echoed back.

/// A two-page listing whose first page's next link is `href` of the token the request carried.
async fn next_link_of_the_token(href: impl Fn(&str) -> String + Send + Sync + 'static) -> RawServer {
    two_pages(move |req: &Request| {
        page(json!([{"testId": "1"}]), json!({"next": {"href": href(&echoed(req))}}))
    })
    .await
}

/// "it appears in no Debug, Display, error, span field or tracing output, even when a server
/// echoes it back": a next link that cannot be followed is an `Error::Pagination` that quotes
/// the link, which is what the server sent, so it must be redacted like every other quote.
#[tokio::test(start_paused = true)]
async fn a_token_echoed_in_an_unusable_next_link_is_not_shown() {
    type Href = fn(&str) -> String;
    let cases: Vec<(&str, Href)> = vec![
        ("no cursor", |t| format!("https://api.thousandeyes.com/v7/usage/units/tests?token={t}")),
        ("an empty cursor", |t| format!("/v7/usage/units/tests?cursor=&session={t}")),
        ("not a URL", |t| format!("http://exa mple.com/{t}?cursor=2")),
    ];
    let mut leaked = Vec::new();
    for (what, href) in cases {
        let server = RawServer::start(move |req: &Request| {
            page(json!([{"testId": "1"}]), json!({"next": {"href": href(&echoed(req))}}))
        })
        .await;
        let err =
            client_of(server.base_url()).test_units().collect_all().await.expect_err("an unusable next link");
        assert!(matches!(err, Error::Pagination { .. }), "{what}: {err:?}");
        let shown = everything_shown(&err);
        if shown.contains(TOKEN) {
            leaked.push(format!("{what}: {shown}"));
        }
    }
    assert!(leaked.is_empty(), "the echoed token is shown:\n{}", leaked.join("\n"));
}

/// The same for a cursor that repeats: the error names the cursor, which the server sent.
#[tokio::test(start_paused = true)]
async fn a_token_echoed_as_a_repeated_cursor_is_not_shown() {
    let server = RawServer::start(|req: &Request| {
        let t = echoed(req);
        page(
            json!([{"testId": req.index.to_string()}]),
            json!({"next": {"href": format!("/v7/usage/units/tests?cursor={t}")}}),
        )
    })
    .await;
    let err = client_of(server.base_url()).test_units().collect_all().await.expect_err("a repeated cursor");
    assert!(matches!(err, Error::Pagination { .. }), "{err:?}");
    let shown = everything_shown(&err);
    assert!(!shown.contains(TOKEN), "the echoed token is shown: {shown}");
}

/// A cursor that carries the echoed token is sent back in the query of the next request (to the
/// configured base URL only, as it should); the call's span field `url.full` and its log lines
/// must not show it.
#[tokio::test(start_paused = true)]
async fn a_token_echoed_in_a_cursor_is_not_in_span_fields_or_logs() {
    let log = Captured::default();
    let _guard = log.install(true);
    let server = next_link_of_the_token(|t| format!("/v7/usage/units/tests?cursor=s-{t}")).await;
    let items = client_of(server.base_url()).test_units().collect_all().await.expect("two pages");
    assert_eq!(items.len(), 2);
    let text = log.text();
    assert!(text.contains("url.full"), "the spans were captured:\n{text}");
    let lines: Vec<&str> = text.lines().filter(|l| l.contains(TOKEN)).collect();
    assert!(lines.is_empty(), "the echoed token is in the tracing output:\n{}", lines.join("\n"));
}

/// A next link to another origin is logged with its host. A server that puts the (lower-case,
/// UUID-like, like ThousandEyes' own) token in that host gets it logged.
#[tokio::test(start_paused = true)]
async fn a_token_echoed_as_the_host_of_a_next_link_is_not_logged() {
    const UUID_TOKEN: &str = "e0a4a1b2-5c6d-4e7f-8a9b-0c1d2e3f4a5b";
    let log = Captured::default();
    let _guard = log.install(true);
    let server =
        next_link_of_the_token(|t| format!("https://{t}.example.net/v7/usage/units/tests?cursor=two")).await;
    let client = Client::builder().token(UUID_TOKEN).base_url(server.base_url()).build().expect("client");
    let items = client.test_units().collect_all().await.expect("two pages");
    assert_eq!(items.len(), 2);
    let text = log.text();
    let lines: Vec<&str> = text.lines().filter(|l| l.contains(UUID_TOKEN)).collect();
    assert!(lines.is_empty(), "the echoed token is in the tracing output:\n{}", lines.join("\n"));
}

/// A token with `/` and `+` (base64-like bearer tokens) echoed by a server whose JSON writer
/// escapes `/` as `\/` (PHP's `json_encode`, some Java writers do), or percent-encoded in
/// lower-case hex: the excerpt an error quotes must not show it either.
#[tokio::test(start_paused = true)]
async fn a_token_echoed_json_escaped_or_in_lower_case_hex_is_not_shown() {
    const SLASHED: &str = "adv/tok3n+Hq8sW4mZ2x=";
    const TAIL: &str = "Hq8sW4mZ2x"; // a part of it that no escaping changes
    let server = RawServer::start(|req: &Request| {
        let t = echoed(req);
        let body = if req.index == 0 {
            format!(r#"{{"title":"Bad Request","detail":"token {} is not valid"}}"#, t.replace('/', "\\/"))
        } else {
            let hex: String = t
                .bytes()
                .map(
                    |b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02x}") },
                )
                .collect();
            format!(r#"{{"title":"Bad Request","instance":"/v7/usage?token={hex}"}}"#)
        };
        Reply::status(400).header("Content-Type", "application/problem+json").body(body).into()
    })
    .await;
    let client = Client::builder().token(SLASHED).base_url(server.base_url()).build().expect("client");
    let mut leaked = Vec::new();
    for what in ["JSON-escaped", "lower-case percent-encoded"] {
        let err = client.usage().send().await.expect_err("400");
        let shown = everything_shown(&err);
        if shown.contains(TAIL) {
            leaked.push(format!("{what}: {shown}"));
        }
    }
    assert!(leaked.is_empty(), "the echoed token is shown:\n{}", leaked.join("\n"));
}
