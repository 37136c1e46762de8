//! Unit tests of `pagination.rs`.

// Model literals end in `..Default::default()`, so that a field the spec adds needs no edit here.
#![allow(clippy::needless_update)]

use http::StatusCode;
use thousandeyes_usage_generated::models::{Link, TestsUsage, UnitsByTests};

use super::*;

fn base() -> Url {
    Url::parse("https://api.thousandeyes.com/v7").expect("url")
}

fn cursor(href: &str) -> Result<Option<String>, String> {
    next_cursor(NextLink::Href(href.to_string()), &base(), &Secret::new("token"))
}

#[test]
fn cursor_is_url_decoded() {
    let href = "https://api.thousandeyes.com/v7/usage/units/tests?aid=1&cursor=a%2Fb%3D%3D&x=1";
    assert_eq!(cursor(href), Ok(Some("a/b==".to_string())));
}

#[test]
fn relative_links_are_read_against_the_base() {
    assert_eq!(cursor("/v7/usage/units/tests?cursor=abc"), Ok(Some("abc".to_string())));
}

#[test]
fn no_next_link_is_the_end() {
    assert_eq!(next_cursor(NextLink::None, &base(), &Secret::new("token")), Ok(None));
}

#[test]
fn a_present_but_unusable_next_link_is_an_error_not_the_end() {
    for href in [
        "/v7/usage/units/tests?page=2",
        "/v7/usage/units/tests?Cursor=c2",
        "/v7/usage/units/tests?cursor=",
        "/v7/usage/units/tests{?cursor}",
        "http://[::1/v7/usage/units/tests?cursor=c2",
        "http://127.0.0.1:99999/v7/usage/units/tests?cursor=c2",
        "http://exa mple.com/v7/usage/units/tests?cursor=c2",
    ] {
        let reason = cursor(href).expect_err(href);
        assert!(reason.contains("next link"), "{href}: {reason}");
    }
    let reason = next_cursor(NextLink::Unusable("has no href".into()), &base(), &Secret::new("token"))
        .expect_err("no href");
    assert_eq!(reason, "the next link has no href");
}

fn answer(body: &Value) -> Answer {
    let mut headers = http::HeaderMap::new();
    headers.insert("content-type", http::HeaderValue::from_static("application/hal+json"));
    Answer {
        status: StatusCode::OK,
        headers,
        reported: Default::default(),
        body: serde_json::to_vec(body).expect("json").into(),
    }
}

/// The names the lenient reading of a page's links uses (`_links`, `next`, `href`) are the
/// spec's: a page built from the generated models, with a fault elsewhere in its links, still
/// gives its next link. A renamed field in the spec fails here.
#[test]
fn a_page_with_a_fault_in_its_links_still_gives_the_next_link_under_the_specs_names() {
    let href = "/v7/usage/units/tests?cursor=c2";
    let page = TestsUsage {
        breakdowns: Some(vec![UnitsByTests::default()]),
        _links: Some(PaginationLinks { next: Some(Link::new(href.into())), ..Default::default() }),
        ..Default::default()
    };
    let mut body = serde_json::to_value(&page).expect("json");
    // A `self` link without its `href`: the typed reading fails on `_links`.
    let links = body.get_mut("_links").and_then(Value::as_object_mut).expect("_links is an object");
    links.insert("self".into(), serde_json::json!({"title": "no href"}));
    assert!(serde_json::from_value::<TestsUsage>(body.clone()).is_err(), "the typed reading fails");
    let said = read_page::<TestsUsage>("getTestsUnitsUsage", &answer(&body), &Secret::new("token-123456"))
        .expect("a page");
    assert_eq!((said.items.len(), said.next), (1, NextLink::Href(href.into())));
}

#[tokio::test]
async fn a_panic_in_the_prefetch_task_is_raised_again_not_turned_into_an_error() {
    let task = tokio::spawn(async { panic!("boom in the prefetch task") });
    let prefetched: Prefetched<()> = Prefetched { task, operation: "getTestsUnitsUsage" };
    let outcome = tokio::spawn(prefetched).await.expect_err("the panic propagates");
    assert!(outcome.is_panic());
    let message = outcome.into_panic();
    assert_eq!(message.downcast_ref::<&str>(), Some(&"boom in the prefetch task"));
}

#[test]
fn pages_and_items_are_send_and_unpin() {
    fn check<T: Send + Unpin>() {}
    check::<Pages<thousandeyes_usage_generated::models::UnitsByTests>>();
    check::<Items<thousandeyes_usage_generated::models::UnitsByTests>>();
}

#[test]
fn a_pages_debug_shows_whether_there_is_a_next_page_never_its_cursor() {
    let page = Page {
        items: vec![1, 2],
        next_cursor: Some("c2-echoed-token".to_string()),
        rate_limit: RateLimit::default(),
        number: Some(1),
        unfollowable: None,
    };
    let shown = format!("{page:?}");
    assert!(shown.contains("has_next: true") && !shown.contains("c2-echoed-token"), "{shown}");
}

#[test]
fn a_page_is_what_it_said_with_its_next_link_read_into_a_cursor_or_kept_as_its_fault() {
    let secret = Secret::new("t0ken-in-a-cursor");
    let said = |next| Said { items: vec![1, 2], next, rate_limit: RateLimit::default() };
    let next = NextLink::Href("/v7/usage/units/tests?cursor=c2".into());
    let page = Page::of(said(next), None, Some(1), &base(), &secret);
    assert_eq!((page.items(), page.next_cursor(), page.number()), (&[1, 2][..], Some("c2"), Some(1)));
    assert!(page.fault("getTestsUnitsUsage", 1).is_none());
    let page = Page::of(said(NextLink::None), None, Some(1), &base(), &secret);
    assert!(!page.has_next() && page.fault("getTestsUnitsUsage", 1).is_none(), "the end");
    // A link that cannot be followed: the page keeps its items, and its fault names the cursor
    // it was fetched at, redacted.
    let unusable = NextLink::Unusable("has no href".into());
    let page = Page::of(said(unusable), Some("c1-t0ken-in-a-cursor"), None, &base(), &secret);
    assert_eq!((page.items().len(), page.has_next()), (2, false));
    match page.fault("getTestsUnitsUsage", 3) {
        Some(Error::Pagination { operation, cursor, pages, reason }) => {
            assert_eq!((operation, cursor.as_str(), pages), ("getTestsUnitsUsage", "c1-[REDACTED]", 3));
            assert_eq!(reason, "the next link has no href");
        }
        other => panic!("{other:?}"),
    }
}
