//! Every shape a server can give `_links.next` on page 1. A listing ends after page 1 only when
//! the server said there is no next page (`_links` absent or null, `next` absent or null); a next
//! link that is there but cannot be followed (not a URL, no cursor, no usable `href`) is an
//! error, never a silent end.

use std::time::Duration;

use futures::TryStreamExt;
use proptest::prelude::*;
use serde_json::{json, Value};
use thousandeyes_usage::Error;
use thousandeyes_usage_tests::raw::{RawServer, Reply};
use thousandeyes_usage_tests::support::{client_of, TOKEN};

use crate::everything_shown;

/// How a walk over the listing ended.
#[derive(Debug, Clone, PartialEq)]
enum Walk {
    /// Page 1, then page 2 (asked for with this cursor), then the end.
    Followed { cursor: Option<String> },
    /// Page 1, then the end, without an error.
    EndedAfterPageOne { has_next: bool },
    /// An error, after this many pages.
    Failed { pages: usize, error: String },
    /// Anything else (no page at all without an error, more than two pages).
    Odd(String),
}

/// A listing page: one item, and `_links` as given (`None`: no `_links` key at all).
fn page(item: &str, links: Option<&Value>) -> Value {
    let mut body = json!({"breakdowns": [{"testName": item, "aid": "1234", "cloudUnitsUsed": 10}]});
    if let Some(links) = links {
        body["_links"] = links.clone();
    }
    body
}

/// A server of a two-page listing: a request without a cursor gets page 1 with `links`, any
/// request with one gets page 2, which has no next link.
async fn listing(links: Option<Value>) -> RawServer {
    RawServer::start(move |req| {
        let body = match req.query("cursor") {
            None => page("p1", links.as_ref()),
            Some(_) => page("p2", Some(&json!({"self": {"href": "/v7/usage/units/tests"}}))),
        };
        Reply::status(200).header("Content-Type", "application/hal+json").json(&body).into()
    })
    .await
}

/// Walks `client.test_units().pages()` over a listing whose page 1 has `links`.
async fn walk(links: Option<Value>) -> Walk {
    let server = listing(links).await;
    let client = client_of(server.base_url());
    let mut pages = client.test_units().pages();
    let mut seen = Vec::new();
    let outcome = loop {
        match tokio::time::timeout(Duration::from_secs(300), pages.try_next()).await {
            Err(_) => break Walk::Odd(format!("the listing hung after {} pages", seen.len())),
            Ok(Err(error)) => {
                let shown = everything_shown(&error);
                assert!(!shown.contains(TOKEN), "the token leaked: {shown}");
                break Walk::Failed { pages: seen.len(), error: format!("{error}") };
            }
            Ok(Ok(Some(page))) => {
                seen.push(page);
                if seen.len() > 2 {
                    break Walk::Odd("more than two pages".into());
                }
            }
            Ok(Ok(None)) => {
                break match seen.as_slice() {
                    [one] => Walk::EndedAfterPageOne { has_next: one.has_next() },
                    [one, two] => {
                        let names: Vec<_> = [one, two]
                            .iter()
                            .map(|p| p.items().first().and_then(|i| i.test_name.clone()))
                            .collect();
                        assert_eq!(names, [Some("p1".to_string()), Some("p2".to_string())]);
                        let cursor = server.requests().get(1).and_then(|r| r.query("cursor"));
                        Walk::Followed { cursor }
                    }
                    _ => Walk::Odd(format!("ended after {} pages without an error", seen.len())),
                };
            }
        }
    };
    outcome
}

/// Walks each `next` link of `cases` (`_links: {"next": case}`) and lists those that ended
/// the listing silently after page 1.
async fn silent_ends(cases: &[Value]) -> Vec<String> {
    let mut silent = Vec::new();
    for next in cases {
        let walk = walk(Some(json!({ "next": next }))).await;
        if !matches!(walk, Walk::Failed { .. }) {
            silent.push(format!("next = {next}: {walk:?}"));
        }
    }
    silent
}

#[tokio::test(start_paused = true)]
async fn next_link_that_is_not_a_url_is_an_error_not_the_end() {
    let cases = [
        json!({"href": "http://[::1/v7/usage/units/tests?cursor=c2"}),
        json!({"href": "http://127.0.0.1:99999/v7/usage/units/tests?cursor=c2"}),
        json!({"href": "http://exa mple.com/v7/usage/units/tests?cursor=c2"}),
        json!({"href": "https://api.thousandeyes.com:-1/v7/usage/units/tests?cursor=c2"}),
    ];
    let silent = silent_ends(&cases).await;
    assert!(
        silent.is_empty(),
        "listings that ended silently on an unusable next link:\n{}",
        silent.join("\n")
    );
}

#[tokio::test(start_paused = true)]
async fn next_link_without_a_cursor_is_an_error_not_the_end() {
    let cases = [
        json!({"href": "https://api.thousandeyes.com/v7/usage/units/tests?page=2"}),
        json!({"href": "https://api.thousandeyes.com/v7/usage/units/tests?Cursor=c2"}),
        json!({"href": "/v7/usage/units/tests{?cursor}", "templated": true}),
        json!({"href": "https://api.thousandeyes.com/v7/usage/units/tests?cursor="}),
        json!({"href": "https://api.thousandeyes.com/v7/usage/units/tests"}),
        json!({"href": ""}),
    ];
    let silent = silent_ends(&cases).await;
    assert!(
        silent.is_empty(),
        "listings that ended silently on a next link without a cursor:\n{}",
        silent.join("\n")
    );
}

#[tokio::test(start_paused = true)]
async fn next_object_without_a_string_href_is_an_error_not_the_end() {
    let cases = [json!({}), json!({"href": null}), json!({"title": "next page"}), json!({"href": 2})];
    let silent = silent_ends(&cases).await;
    assert!(
        silent.is_empty(),
        "listings that ended silently on a next object without href:\n{}",
        silent.join("\n")
    );
}

#[tokio::test(start_paused = true)]
async fn an_unusable_next_link_on_a_single_page_is_not_reported_as_the_last_page() {
    let server = listing(Some(json!({"next": {"href": "http://[::1/v7/usage/units/tests?cursor=c2"}}))).await;
    let result = client_of(server.base_url()).test_units().send().await;
    assert!(
        !matches!(&result, Ok(page) if !page.has_next()),
        "send() returned page 1 with has_next() false although the server announced a next page: {result:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn an_unusable_next_link_of_the_agent_listing_is_an_error_not_the_end() {
    let server = RawServer::start(|req| {
        let links = match req.query("cursor") {
            None => {
                json!({"next": {"href": "http://exa mple.com/v7/usage/units/enterprise-agents?cursor=c2"}})
            }
            Some(_) => json!({}),
        };
        let body = json!({"breakdowns": [{"agentName": "a1", "aid": "1234"}], "_links": links});
        Reply::status(200).header("Content-Type", "application/hal+json").json(&body).into()
    })
    .await;
    let result: Result<Vec<_>, Error> =
        client_of(server.base_url()).agent_units().items().try_collect().await;
    assert!(result.is_err(), "the agent listing ended silently after page 1: {result:?}");
}

/// When the server says there is no next page, the listing ends after page 1.
#[tokio::test(start_paused = true)]
async fn absent_or_null_next_ends_the_listing_after_page_one() {
    for links in [
        None,
        Some(Value::Null),
        Some(json!({})),
        Some(json!({"next": null})),
        Some(json!({"self": {"href": "/x"}})),
    ] {
        let walk = walk(links.clone()).await;
        assert_eq!(walk, Walk::EndedAfterPageOne { has_next: false }, "_links = {links:?}");
    }
}

/// A usable next link is followed with its cursor, whatever host it names.
#[tokio::test(start_paused = true)]
async fn usable_next_links_are_followed_with_their_cursor() {
    for href in [
        "https://api.thousandeyes.com/v7/usage/units/tests?cursor=c2",
        "http://elsewhere.example:8443/v7/usage/units/tests?aid=1234&cursor=c2&limit=10",
        "/v7/usage/units/tests?cursor=c2",
        "?cursor=c2",
        "usage/units/tests?cursor=c2",
    ] {
        let walk = walk(Some(json!({"next": {"href": href}}))).await;
        assert_eq!(walk, Walk::Followed { cursor: Some("c2".into()) }, "href = {href}");
    }
}

// ---------------------------------------------------------------------------------------------
// Property: any `_links` on page 1.

/// One generated page-1 `_links`, and what the server meant by it.
#[derive(Debug, Clone)]
struct Case {
    /// `None`: no `_links` key.
    links: Option<Value>,
    /// The server said there is no next page.
    no_next: bool,
    /// A well-formed next link with this cursor: the listing must follow it.
    cursor: Option<String>,
}

/// A cursor as a next link carries it (percent-encoded), and decoded.
fn cursor_strategy() -> impl Strategy<Value = (String, String)> {
    prop_oneof![
        "[A-Za-z0-9_-]{1,16}".prop_map(|c| (c.clone(), c)),
        "[A-Za-z0-9]{1,12}".prop_map(|c| (format!("{c}%3D%3D"), format!("{c}=="))),
    ]
}

/// Next links that can be followed: an absolute URL (this API's host or another), a relative
/// one, with other parameters around the cursor.
fn usable_href() -> impl Strategy<Value = (String, String)> {
    let prefix = prop_oneof![
        Just("https://api.thousandeyes.com/v7/usage/units/tests?"),
        Just("http://127.0.0.1:1/v7/usage/units/tests?"),
        Just("https://other.example/anything?"),
        Just("/v7/usage/units/tests?"),
        Just("usage/units/tests?"),
        Just("?"),
        Just("/v7/usage/units/tests?aid=1234&"),
    ];
    (prefix, cursor_strategy(), any::<bool>()).prop_map(|(prefix, (sent, decoded), trailing)| {
        let tail = if trailing { "&limit=100" } else { "" };
        (format!("{prefix}cursor={sent}{tail}"), decoded)
    })
}

/// Next links that cannot be followed: not URLs, no cursor, templated.
fn unusable_href() -> impl Strategy<Value = String> {
    let broken_base = prop_oneof![
        Just("http://[::1/v7/usage/units/tests"),
        Just("http://127.0.0.1:99999/v7/usage/units/tests"),
        Just("http://exa mple.com/v7/usage/units/tests"),
        Just("http://a\u{0}b/v7/usage/units/tests"),
        Just("http://[zz]/v7"),
    ];
    prop_oneof![
        (broken_base, cursor_strategy()).prop_map(|(base, (c, _))| format!("{base}?cursor={c}")),
        Just("/v7/usage/units/tests{?cursor}".to_string()),
        Just("https://api.thousandeyes.com/v7/usage/units/tests{?cursor,limit}".to_string()),
        Just("/v7/usage/units/tests?page=2".to_string()),
        Just("/v7/usage/units/tests?Cursor=c2".to_string()),
        Just("/v7/usage/units/tests?cursor=".to_string()),
        Just("/v7/usage/units/tests?cursor".to_string()),
        Just("https://api.thousandeyes.com/v7/usage/units/tests".to_string()),
        Just(String::new()),
    ]
}

fn case_strategy() -> impl Strategy<Value = Case> {
    let no_next = |links: Option<Value>| Case { links, no_next: true, cursor: None };
    let present = |next: Value| Case { links: Some(json!({ "next": next })), no_next: false, cursor: None };
    prop_oneof![
        // The server says there is no next page.
        Just(no_next(None)),
        Just(no_next(Some(Value::Null))),
        Just(no_next(Some(json!({})))),
        Just(no_next(Some(json!({"next": null})))),
        Just(no_next(Some(json!({"self": {"href": "/v7/usage/units/tests"}, "next": null})))),
        // A next link that must be followed.
        usable_href().prop_map(|(href, cursor)| Case {
            links: Some(json!({"self": {"href": "/v7/usage/units/tests"}, "next": {"href": href}})),
            no_next: false,
            cursor: Some(cursor),
        }),
        // A next link that is there but unusable, or anything at all.
        Just(present(json!({}))),
        Just(present(json!({"href": null}))),
        Just(present(json!([]))),
        Just(present(json!(true))),
        any::<i64>().prop_map(move |n| present(json!({ "href": n }))),
        unusable_href().prop_map(move |href| present(json!({ "href": href }))),
        unusable_href().prop_map(move |href| present(json!({ "href": href, "templated": true }))),
        "\\PC{0,40}".prop_map(move |href| present(json!({ "href": href }))),
        "\\PC{0,40}".prop_map(move |href| present(json!(href))),
        ".{0,20}cursor=.{0,20}".prop_map(move |href| present(json!({ "href": href }))),
        // `_links` itself malformed: an error or a walk, never a silent end.
        Just(Case { links: Some(json!("next")), no_next: false, cursor: None }),
        Just(Case { links: Some(json!([{"next": {"href": "?cursor=c2"}}])), no_next: false, cursor: None }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    /// Whatever page 1's `_links`, the walk follows to page 2, ends after page 1 only when the
    /// server said there is no next page, or yields an error; a well-formed next link is followed
    /// with its cursor.
    #[test]
    fn a_listing_never_ends_silently_while_a_next_link_is_present(case in case_strategy()) {
        let walk = crate::paused_runtime().block_on(walk(case.links.clone()));
        if case.no_next {
            prop_assert_eq!(walk, Walk::EndedAfterPageOne { has_next: false }, "_links = {:?}", case.links);
        } else if let Some(cursor) = case.cursor {
            prop_assert_eq!(walk, Walk::Followed { cursor: Some(cursor) }, "_links = {:?}", case.links);
        } else {
            prop_assert!(
                matches!(walk, Walk::Followed { .. } | Walk::Failed { .. }),
                "page 1 had _links = {:?}, and the walk ended {:?}",
                case.links,
                walk
            );
        }
    }
}
