//! Media types are case-insensitive (RFC 9110 §8.3.1): a JSON 200 labelled `Application/JSON`
//! or `APPLICATION/HAL+JSON; Charset=UTF-8` decodes; what is not JSON (`text/html`, in any case)
//! stays an `UnexpectedBody`.

use serde_json::json;
use thousandeyes_usage::Error;
use thousandeyes_usage_tests::raw::{RawServer, Reply};
use thousandeyes_usage_tests::support::client_of;

use crate::usage_json;

fn labelled(content_type: &str, body: &serde_json::Value) -> Reply {
    Reply::status(200).header("Content-Type", content_type).json(body).into()
}

fn listing_page() -> serde_json::Value {
    json!({"breakdowns": [{"testName": "checkout", "aid": "1234", "cloudUnitsUsed": 7}], "_links": {}})
}

/// The usage and a listing page, each labelled `content_type`: what each call returned.
async fn decode_as(content_type: &str) -> (Result<Option<i64>, Error>, Result<Vec<Option<String>>, Error>) {
    let usage_server = RawServer::script(vec![labelled(content_type, &usage_json())]).await;
    let usage = client_of(usage_server.base_url()).usage().send().await.map(|u| u.cloud_units_used);
    let page_server = RawServer::script(vec![labelled(content_type, &listing_page())]).await;
    let page = client_of(page_server.base_url())
        .test_units()
        .send()
        .await
        .map(|p| p.items().iter().map(|t| t.test_name.clone()).collect());
    (usage, page)
}

#[tokio::test(start_paused = true)]
async fn json_labelled_in_mixed_or_upper_case_decodes() {
    let mut failed = Vec::new();
    for content_type in [
        "Application/JSON",
        "APPLICATION/HAL+JSON; Charset=UTF-8",
        "application/HAL+json",
        "Application/Json;charset=UTF-8",
    ] {
        let (usage, page) = decode_as(content_type).await;
        if !matches!(usage, Ok(Some(42))) {
            failed.push(format!("{content_type:?}: usage {usage:?}"));
        }
        if !matches!(&page, Ok(names) if names == &[Some("checkout".to_string())]) {
            failed.push(format!("{content_type:?}: listing page {page:?}"));
        }
    }
    assert!(failed.is_empty(), "valid JSON refused for the case of its media type:\n{}", failed.join("\n"));
}

#[tokio::test(start_paused = true)]
async fn hal_json_in_lower_case_with_charset_still_decodes() {
    for content_type in ["application/hal+json; charset=utf-8", "application/json", "application/hal+json"] {
        let (usage, page) = decode_as(content_type).await;
        assert_eq!(usage.expect("usage"), Some(42), "{content_type}");
        assert_eq!(page.expect("page"), [Some("checkout".to_string())], "{content_type}");
    }
}

/// The label decides, even over a body that happens to be JSON.
#[tokio::test(start_paused = true)]
async fn html_in_any_case_is_still_an_unexpected_body() {
    let bodies = ["<html><body>Sign in to the proxy</body></html>".to_string(), usage_json().to_string()];
    for content_type in ["text/html", "TEXT/HTML; charset=UTF-8", "Text/Html"] {
        for body in &bodies {
            let server = RawServer::script(vec![Reply::status(200)
                .header("Content-Type", content_type)
                .body(body.clone())
                .into()])
            .await;
            let err = client_of(server.base_url()).usage().send().await.expect_err("HTML is not the usage");
            assert!(
                matches!(err, Error::UnexpectedBody { status: 200, .. }),
                "{content_type} {body}: {err:?}"
            );
        }
    }
}
