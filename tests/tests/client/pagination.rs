//! Listings over `_links.next`: the exact sequence of requests, cursor decoding, empty pages,
//! loops, foreign next links, errors mid-listing, cancellation, and prefetch.

mod duplicate_keys;
mod next_link_shapes;

use std::time::Duration;

use chrono::{TimeZone, Utc};
use futures::{StreamExt, TryStreamExt};
use httpmock::prelude::*;
use httpmock::Mock;
use serde_json::Value;
use thousandeyes_usage::Error;
use thousandeyes_usage_tests::raw::{RawServer, Reply, Request};
use thousandeyes_usage_tests::support::{self, base_url, client_of, HAL_JSON, PROBLEM_JSON};

const TESTS_PATH: &str = "/v7/usage/units/tests";

fn items(range: std::ops::Range<usize>) -> Vec<Value> {
    range.map(support::test_units_item).collect()
}

fn next(server: &MockServer, cursor: &str) -> String {
    server.url(format!("{TESTS_PATH}?aid=1234&cursor={cursor}"))
}

/// A page answered for the request with `cursor` (`None`: the first page, which has none).
async fn page<'a>(server: &'a MockServer, cursor: Option<&str>, body: Value) -> Mock<'a> {
    let cursor = cursor.map(str::to_string);
    server
        .mock_async(|when, then| {
            let when = when.method(GET).path(TESTS_PATH).query_param("aid", "1234");
            match &cursor {
                Some(c) => when.query_param("cursor", c.as_str()),
                None => when.query_param_missing("cursor"),
            };
            then.status(200).header("content-type", HAL_JSON).json_body(body);
        })
        .await
}

fn names(items: &[thousandeyes_usage::models::UnitsByTests]) -> Vec<String> {
    items.iter().map(|t| t.test_name.clone().unwrap_or_default()).collect()
}

#[tokio::test]
async fn walks_every_page_repeating_the_filters_and_changing_only_the_cursor() {
    let server = MockServer::start_async().await;
    let start = Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap();
    let with_filters = |cursor: Option<&'static str>| {
        let server = &server;
        async move {
            server
                .mock_async(|when, then| {
                    let when = when
                        .method(GET)
                        .path(TESTS_PATH)
                        .query_param("aid", "1234")
                        .query_param("startDate", "2024-05-01T00:00:00Z")
                        .query_param_count(".*", ".*", if cursor.is_some() { 3 } else { 2 });
                    match cursor {
                        Some(c) => when.query_param("cursor", c),
                        None => when.query_param_missing("cursor"),
                    };
                    let body = match cursor {
                        None => support::page_body(items(0..3), Some(&next(server, "c2"))),
                        Some("c2") => support::page_body(items(3..5), Some(&next(server, "c3"))),
                        Some(_) => support::page_body(items(5..6), None),
                    };
                    then.status(200).header("content-type", HAL_JSON).json_body(body);
                })
                .await
        }
    };
    let p1 = with_filters(None).await;
    let p2 = with_filters(Some("c2")).await;
    let p3 = with_filters(Some("c3")).await;

    let pages: Vec<_> = client_of(base_url(&server))
        .test_units()
        .aid("1234")
        .start(start)
        .pages()
        .try_collect()
        .await
        .expect("pages");

    assert_eq!(pages.iter().map(|p| p.items().len()).collect::<Vec<_>>(), vec![3, 2, 1]);
    assert_eq!(pages.iter().map(|p| p.number()).collect::<Vec<_>>(), vec![Some(1), Some(2), Some(3)]);
    assert_eq!(pages[0].next_cursor(), Some("c2"));
    assert!(!pages[2].has_next());
    p1.assert_calls_async(1).await;
    p2.assert_calls_async(1).await;
    p3.assert_calls_async(1).await;
}

#[tokio::test]
async fn items_stream_yields_every_item_in_order() {
    let server = MockServer::start_async().await;
    page(&server, None, support::page_body(items(0..4), Some(&next(&server, "b")))).await;
    page(&server, Some("b"), support::page_body(items(4..9), None)).await;
    let all: Vec<_> =
        client_of(base_url(&server)).test_units().aid("1234").items().try_collect().await.expect("items");
    assert_eq!(names(&all), (0..9).map(|n| format!("test {n}")).collect::<Vec<_>>());
}

#[tokio::test]
async fn cursors_are_url_decoded_before_they_are_sent_again() {
    let server = MockServer::start_async().await;
    page(&server, None, support::page_body(items(0..1), Some(&next(&server, "eyJwIjoyfQ%3D%3D%2Fx%2By"))))
        .await;
    let second = page(&server, Some("eyJwIjoyfQ==/x+y"), support::page_body(items(1..2), None)).await;
    let all: Vec<_> =
        client_of(base_url(&server)).test_units().aid("1234").items().try_collect().await.expect("items");
    assert_eq!(all.len(), 2);
    second.assert_calls_async(1).await;
}

#[tokio::test]
async fn an_empty_page_with_a_next_link_does_not_end_the_listing() {
    let server = MockServer::start_async().await;
    page(&server, None, support::page_body(items(0..2), Some(&next(&server, "e1")))).await;
    page(&server, Some("e1"), support::page_body(vec![], Some(&next(&server, "e2")))).await;
    page(&server, Some("e2"), support::page_body(vec![], Some(&next(&server, "e3")))).await;
    page(&server, Some("e3"), support::page_body(items(2..3), None)).await;
    let all: Vec<_> =
        client_of(base_url(&server)).test_units().aid("1234").items().try_collect().await.expect("items");
    assert_eq!(names(&all), vec!["test 0", "test 1", "test 2"]);
}

#[tokio::test]
async fn a_repeated_cursor_is_an_error_naming_it_and_the_page_count_then_the_end() {
    let server = MockServer::start_async().await;
    page(&server, None, support::page_body(items(0..1), Some(&next(&server, "A")))).await;
    let a = page(&server, Some("A"), support::page_body(items(1..2), Some(&next(&server, "B")))).await;
    let b = page(&server, Some("B"), support::page_body(items(2..3), Some(&next(&server, "A")))).await;
    let mut pages = client_of(base_url(&server)).test_units().aid("1234").prefetch(false).pages();
    let mut received = 0;
    let error = loop {
        match pages.next().await.expect("the stream must not end before the error") {
            Ok(_) => received += 1,
            Err(e) => break e,
        }
    };
    assert_eq!(received, 3, "every page received before the loop is yielded");
    match &error {
        Error::Pagination { cursor, pages, .. } => assert_eq!((cursor.as_str(), *pages), ("A", 3)),
        other => panic!("expected a pagination error, got {other:?}"),
    }
    assert!(error.to_string().contains("\"A\"") && error.to_string().contains("3 pages"), "{error}");
    assert!(pages.next().await.is_none(), "the stream ends after the error");
    a.assert_calls_async(1).await;
    b.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_next_link_without_a_cursor_or_href_is_an_error_not_the_end() {
    let server = MockServer::start_async().await;
    let no_cursor = format!("{}?aid=1234&page=2", server.url(TESTS_PATH));
    page(&server, None, support::page_body(items(0..2), Some(&no_cursor))).await;
    let result: Result<Vec<_>, _> =
        client_of(base_url(&server)).test_units().aid("1234").items().try_collect().await;
    let err = result.expect_err("a next link the client cannot follow");
    assert!(matches!(err, Error::Pagination { .. }), "{err:?}");
    assert!(err.to_string().contains("page=2"), "the error names the link: {err}");

    let server = MockServer::start_async().await;
    let mut body = support::page_body(items(0..1), None);
    body["_links"]["next"] = serde_json::json!({"title": "no href"});
    page(&server, None, body).await;
    let result: Result<Vec<_>, _> =
        client_of(base_url(&server)).test_units().aid("1234").items().try_collect().await;
    assert!(matches!(result, Err(Error::Pagination { .. })), "{result:?}");
}

#[tokio::test]
async fn the_items_of_a_page_whose_next_link_cannot_be_followed_come_before_the_error() {
    let server = MockServer::start_async().await;
    let no_cursor = format!("{}?aid=1234&page=3", server.url(TESTS_PATH));
    page(&server, None, support::page_body(items(0..2), Some(&next(&server, "p2")))).await;
    page(&server, Some("p2"), support::page_body(items(2..4), Some(&no_cursor))).await;
    for prefetch in [true, false] {
        let mut pages = client_of(base_url(&server)).test_units().aid("1234").prefetch(prefetch).pages();
        assert_eq!(pages.next().await.expect("page 1").expect("ok").items().len(), 2);
        let second = pages.next().await.expect("page 2").expect("page 2 and its items");
        assert_eq!((second.items().len(), second.next_cursor()), (2, None));
        match pages.next().await.expect("then the error") {
            Err(Error::Pagination { cursor, pages: yielded, reason, .. }) => {
                assert_eq!((cursor.as_str(), yielded), ("p2", 2));
                assert!(reason.contains("no cursor"), "{reason}");
            }
            other => panic!("expected the pagination error, got {other:?}"),
        }
        assert!(pages.next().await.is_none(), "the stream ends after the error");
    }
    // A listing bounded by `max_pages` before that link is no fault.
    let bounded: Vec<_> = client_of(base_url(&server))
        .test_units()
        .aid("1234")
        .max_pages(2)
        .items()
        .try_collect()
        .await
        .expect("two pages");
    assert_eq!(bounded.len(), 4);
    // A single page's `send` returns the error: its caller could not tell the page was the last.
    let err = client_of(base_url(&server))
        .test_units()
        .aid("1234")
        .cursor("p2")
        .send()
        .await
        .expect_err("the link");
    assert!(matches!(err, Error::Pagination { ref cursor, pages: 0, .. } if cursor == "p2"), "{err:?}");
}

#[tokio::test]
async fn a_next_link_to_another_host_never_gets_a_request_or_the_token() {
    let server = MockServer::start_async().await;
    let elsewhere = MockServer::start_async().await;
    let trap = elsewhere
        .mock_async(|when, then| {
            when.any_request();
            then.status(200).header("content-type", HAL_JSON).json_body(support::page_body(vec![], None));
        })
        .await;
    let foreign = format!("{}?cursor=z9", elsewhere.url(TESTS_PATH));
    page(&server, None, support::page_body(items(0..1), Some(&foreign))).await;
    let followed = page(&server, Some("z9"), support::page_body(items(1..2), None)).await;
    let all: Vec<_> =
        client_of(base_url(&server)).test_units().aid("1234").items().try_collect().await.expect("items");
    assert_eq!(all.len(), 2);
    assert_eq!(trap.calls_async().await, 0, "a request went to the other host");
    followed.assert_calls_async(1).await;
}

#[tokio::test]
async fn an_error_on_page_three_comes_after_pages_one_and_two_and_ends_the_stream() {
    let server = MockServer::start_async().await;
    page(&server, None, support::page_body(items(0..2), Some(&next(&server, "p2")))).await;
    page(&server, Some("p2"), support::page_body(items(2..4), Some(&next(&server, "p3")))).await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(TESTS_PATH).query_param("cursor", "p3");
            then.status(403)
                .header("content-type", PROBLEM_JSON)
                .body(r#"{"title":"Forbidden","status":403}"#);
        })
        .await;
    for prefetch in [true, false] {
        let mut pages = client_of(base_url(&server)).test_units().aid("1234").prefetch(prefetch).pages();
        assert_eq!(pages.next().await.expect("page 1").expect("ok").number(), Some(1));
        assert_eq!(pages.next().await.expect("page 2").expect("ok").number(), Some(2));
        let err = pages.next().await.expect("an error").expect_err("page 3 fails");
        assert_eq!(err.status(), Some(403));
        assert!(pages.next().await.is_none(), "the stream ends after the error");
    }
}

#[tokio::test]
async fn a_next_link_of_the_wrong_shape_is_an_error_not_a_short_listing() {
    for next in [
        serde_json::json!({"href": 42}),
        serde_json::json!("https://x.test/?cursor=a"),
        serde_json::json!([1]),
    ] {
        let server = MockServer::start_async().await;
        let mut body = support::page_body(items(0..1), None);
        body["_links"]["next"] = next.clone();
        page(&server, None, body).await;
        let result: Result<Vec<_>, _> =
            client_of(base_url(&server)).test_units().aid("1234").items().try_collect().await;
        assert!(matches!(result, Err(Error::Pagination { .. })), "{next}: {result:?}");
    }
}

#[tokio::test]
async fn max_pages_zero_sends_nothing() {
    let server = MockServer::start_async().await;
    let first = page(&server, None, support::page_body(items(0..1), None)).await;
    let pages: Vec<_> = client_of(base_url(&server))
        .test_units()
        .aid("1234")
        .max_pages(0)
        .pages()
        .try_collect()
        .await
        .expect("pages");
    assert!(pages.is_empty());
    assert_eq!(first.calls_async().await, 0);
}

#[tokio::test]
async fn a_malformed_self_link_does_not_stop_a_listing_that_has_a_next() {
    let server = MockServer::start_async().await;
    let mut body = support::page_body(items(0..1), Some(&next(&server, "two")));
    body["_links"]["self"] = serde_json::json!({"title": "self without href"});
    page(&server, None, body).await;
    let second = page(&server, Some("two"), support::page_body(items(1..2), None)).await;
    let all: Vec<_> =
        client_of(base_url(&server)).test_units().aid("1234").items().try_collect().await.expect("items");
    assert_eq!(all.len(), 2, "no silent truncation");
    second.assert_calls_async(1).await;
}

#[tokio::test]
async fn max_pages_ends_the_listing_early_on_purpose() {
    let server = MockServer::start_async().await;
    page(&server, None, support::page_body(items(0..1), Some(&next(&server, "m2")))).await;
    page(&server, Some("m2"), support::page_body(items(1..2), Some(&next(&server, "m3")))).await;
    let third = page(&server, Some("m3"), support::page_body(items(2..3), None)).await;
    let pages: Vec<_> = client_of(base_url(&server))
        .test_units()
        .aid("1234")
        .max_pages(2)
        .pages()
        .try_collect()
        .await
        .expect("pages");
    assert_eq!(pages.len(), 2);
    assert!(pages[1].has_next(), "the bound, not the server, ended it");
    assert_eq!(third.calls_async().await, 0);
}

#[tokio::test]
async fn prefetch_on_and_off_give_identical_items() {
    let server = MockServer::start_async().await;
    page(&server, None, support::page_body(items(0..5), Some(&next(&server, "q2")))).await;
    page(&server, Some("q2"), support::page_body(vec![], Some(&next(&server, "q3")))).await;
    page(&server, Some("q3"), support::page_body(items(5..12), Some(&next(&server, "q4")))).await;
    page(&server, Some("q4"), support::page_body(items(12..13), None)).await;
    let on: Vec<_> = client_of(base_url(&server))
        .test_units()
        .aid("1234")
        .prefetch(true)
        .items()
        .try_collect()
        .await
        .expect("on");
    let off: Vec<_> = client_of(base_url(&server))
        .test_units()
        .aid("1234")
        .prefetch(false)
        .items()
        .try_collect()
        .await
        .expect("off");
    assert_eq!(on, off);
    assert_eq!(on.len(), 13);
}

/// A raw server on the test's runtime answering `/v7/usage/units/tests`: page 1 (no cursor)
/// links to cursor `c2`, whose answer is `second`.
async fn two_pages(second: Reply) -> RawServer {
    RawServer::start(move |req: &Request| match req.query("cursor") {
        None => Reply::status(200)
            .header("Content-Type", HAL_JSON)
            .json(&support::page_body(items(0..2), Some("/v7/usage/units/tests?cursor=c2")))
            .into(),
        Some(_) => second.clone(),
    })
    .await
}

fn last_page() -> Reply {
    Reply::status(200).header("Content-Type", HAL_JSON).json(&support::page_body(items(2..4), None)).into()
}

#[tokio::test(start_paused = true)]
async fn nothing_is_sent_until_the_stream_is_polled() {
    let server = two_pages(last_page()).await;
    let stream = client_of(server.base_url()).test_units().aid("1234").items();
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(server.count(), 0);
    let all: Vec<_> = stream.try_collect().await.expect("items");
    assert_eq!(all.len(), 4);
    assert_eq!(server.count(), 2);
}

#[tokio::test(start_paused = true)]
async fn dropping_mid_listing_cancels_the_prefetch_and_sends_nothing_more() {
    // Page 2 answers 429 (retry after 1 s): a prefetch that outlived the stream would come back.
    let server = two_pages(Reply::status(429).header("Retry-After", "1").into()).await;
    let mut pages = client_of(server.base_url()).test_units().aid("1234").prefetch(true).pages();
    pages.next().await.expect("page 1").expect("ok");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(server.count(), 2, "page 2 was prefetched and rate limited");
    drop(pages); // the prefetch task is waiting out its 429; dropping the stream aborts it
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(server.count(), 2, "the aborted prefetch retried after the drop");
}

/// With prefetch, the next page is requested while the caller still holds the current one;
/// without it, not before the caller asks. Observed through the server's request count, in
/// virtual time.
#[tokio::test(start_paused = true)]
async fn prefetch_requests_the_next_page_while_the_caller_works_on_the_current_one() {
    for prefetch in [true, false] {
        let server = two_pages(last_page()).await;
        let mut pages = client_of(server.base_url()).test_units().aid("1234").prefetch(prefetch).pages();
        let first = pages.next().await.expect("page 1").expect("ok");
        // "Working" on page 1 for a second without polling the stream.
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(
            server.count(),
            1 + usize::from(prefetch),
            "prefetch {prefetch}: page 2 requested while page 1 was held"
        );
        assert_eq!(first.items().len(), 2);
        let rest: Vec<_> = pages.try_collect().await.expect("rest");
        assert_eq!(rest.len(), 1);
        assert_eq!(server.count(), 2);
    }
}

#[tokio::test]
async fn the_enterprise_agent_listing_paginates_the_same_way() {
    let server = MockServer::start_async().await;
    let path = "/v7/usage/units/enterprise-agents";
    let next_href = server.url(format!("{path}?cursor=ag2"));
    server
        .mock_async(|when, then| {
            when.method(GET).path(path).query_param_missing("cursor").query_param_missing("aid");
            then.status(200).header("content-type", HAL_JSON).json_body(support::page_body(
                (0..3).map(support::agent_units_item).collect(),
                Some(&next_href),
            ));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(path).query_param("cursor", "ag2");
            then.status(200)
                .header("content-type", HAL_JSON)
                .json_body(support::page_body((3..5).map(support::agent_units_item).collect(), None));
        })
        .await;
    let agents = client_of(base_url(&server)).agent_units().collect_all().await.expect("agents");
    assert_eq!(
        agents.iter().filter_map(|a| a.enterprise_units_used).sum::<i64>(),
        (0..5_i64).map(|n| 100 * n).sum::<i64>()
    );
}

#[tokio::test]
async fn streams_are_send_and_work_inside_spawned_tasks() {
    let server = MockServer::start_async().await;
    page(&server, None, support::page_body(items(0..3), Some(&next(&server, "s2")))).await;
    page(&server, Some("s2"), support::page_body(items(3..4), None)).await;
    let stream = client_of(base_url(&server)).test_units().aid("1234").items();
    let count = tokio::spawn(async move { stream.try_collect::<Vec<_>>().await.map(|v| v.len()) })
        .await
        .expect("task")
        .expect("items");
    assert_eq!(count, 4);
}

#[tokio::test(start_paused = true)]
async fn pages_of_a_listing_started_from_a_cursor_do_not_claim_a_position() {
    let server = two_pages(last_page()).await;
    let client = client_of(server.base_url());
    let from_start: Vec<_> = client.test_units().pages().try_collect().await.expect("pages");
    assert_eq!(from_start.iter().map(|p| p.number()).collect::<Vec<_>>(), vec![Some(1), Some(2)]);
    let from_cursor: Vec<_> = client.test_units().cursor("c2").pages().try_collect().await.expect("pages");
    assert_eq!(
        from_cursor.iter().map(|p| p.number()).collect::<Vec<_>>(),
        vec![None],
        "not page 1 of anything"
    );
    assert_eq!(client.test_units().cursor("c2").send().await.expect("page").number(), None);
    assert_eq!(client.test_units().send().await.expect("page").number(), Some(1));
}
