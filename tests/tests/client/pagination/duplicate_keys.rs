//! A page whose `_links` repeats a key is a decode error, never the silent end of a listing.

use crate::two_pages;
use thousandeyes_usage_tests::raw::{Reply, Request};
use thousandeyes_usage_tests::support::client_of;

// ---------------------------------------------------------------------------------------------
// Listings: no silent truncation.

/// "A listing ends when the server says there is no next page ... never a silent end": a page
/// whose JSON names `next` (or `_links`) twice, once with a usable link, has a next link; the
/// listing must follow it or fail, not end quietly after page 1.
#[tokio::test(start_paused = true)]
async fn duplicate_keys_do_not_end_a_listing_silently() {
    let cases = [
        (
            "next twice, the link first",
            r#"{"breakdowns":[{"testId":"1"}],"_links":{"next":{"href":"/v7/usage/units/tests?cursor=two"},"next":null}}"#,
        ),
        (
            "next twice, the link last",
            r#"{"breakdowns":[{"testId":"1"}],"_links":{"next":null,"next":{"href":"/v7/usage/units/tests?cursor=two"}}}"#,
        ),
        (
            "_links twice, the link first",
            r#"{"breakdowns":[{"testId":"1"}],"_links":{"next":{"href":"/v7/usage/units/tests?cursor=two"}},"_links":{}}"#,
        ),
        (
            "_links twice, the link last",
            r#"{"breakdowns":[{"testId":"1"}],"_links":{},"_links":{"next":{"href":"/v7/usage/units/tests?cursor=two"}}}"#,
        ),
    ];
    let mut silent = Vec::new();
    for (what, first) in cases {
        let server = two_pages(move |_: &Request| {
            Reply::status(200).header("Content-Type", "application/hal+json").body(first).into()
        })
        .await;
        match client_of(server.base_url()).test_units().collect_all().await {
            Ok(items) if items.len() == 1 => {
                silent.push(format!("{what}: ended after page 1, 1 item, {} request", server.count()))
            }
            Ok(items) => assert_eq!(items.len(), 2, "{what}"),
            Err(_) => {}
        }
    }
    assert!(silent.is_empty(), "silent ends:\n{}", silent.join("\n"));
}
