//! Unit tests of `operations/units.rs`.

// Model literals end in `..Default::default()`, so that a field the spec adds needs no edit here.
#![allow(clippy::needless_update)]

use http::StatusCode;
use thousandeyes_usage_generated::apis::OPERATIONS;
use thousandeyes_usage_generated::models::Link;

use super::*;

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
    let (items, next) =
        read_page::<api::GetTestsUnitsUsage>(&answer(&body), &Secret::new("token-123456")).expect("a page");
    assert_eq!((items.len(), next), (1, NextLink::Href(href.into())));
}

/// The cursor a next link lends is the query parameter the spec's listings take.
#[test]
fn the_listings_of_the_spec_take_the_cursor_a_next_link_carries() {
    for id in [api::GetTestsUnitsUsage::OPERATION_ID, api::GetEnterpriseAgentsUnitsUsage::OPERATION_ID] {
        let op = OPERATIONS.iter().find(|o| o.operation_id == id).expect("a listing of the spec");
        assert!(op.parameters.iter().any(|p| (p.name, p.location) == ("cursor", "query")), "{id}");
    }
}
