//! The fake against the spec (`thousandeyes-usage-generated`, generated from
//! `openapi/usage.yaml`): it serves every operation at its method and path, with the response
//! headers the spec documents for the status; it paginates the operations that take a cursor;
//! it refuses with the API's 400 the parameter values the spec does not allow, naming the
//! parameter and the value.

use reqwest::StatusCode;
use serde_json::Value;
use thousandeyes_usage_fake::models::ExpandUsageOptions;
use thousandeyes_usage_fake::{FakeUsageApi, Operation};
use thousandeyes_usage_generated::apis::OPERATIONS;

use crate::{assert_refused, send};

#[tokio::test]
async fn every_operation_of_the_spec_is_served_at_its_method_and_path_with_the_headers_it_documents() {
    let fake = FakeUsageApi::start().await;
    for info in OPERATIONS {
        let r = send(&fake, info.method, info.path).await;
        // The quota changes are sent without a body: the API's 400, not a routing answer.
        let status = r.status().as_u16();
        for (_, name) in info.response_headers.iter().filter(|(s, _)| *s == status) {
            assert!(
                r.headers().contains_key(*name),
                "{} {}: {status} without {name}",
                info.method,
                info.path
            );
        }
        assert!(
            info.statuses.contains(&status),
            "{} {}: {status} is not one of the spec's",
            info.method,
            info.path
        );
        assert!(![404, 405, 501].contains(&status), "{} {}: {status}", info.method, info.path);
        let recorded = fake.requests().pop().expect("recorded");
        assert_eq!(
            recorded.operation,
            Operation::from_operation_id(info.operation_id),
            "{}",
            info.operation_id
        );
        assert_eq!(recorded.operation_id(), Some(info.operation_id));
    }
    assert_eq!(fake.requests().len(), OPERATIONS.len());
}

#[tokio::test]
async fn every_operation_that_takes_a_cursor_is_paginated() {
    let fake = FakeUsageApi::builder().page_size(2).start().await;
    let listings: Vec<_> = OPERATIONS
        .iter()
        .filter(|o| o.parameters.iter().any(|p| (p.name, p.location) == ("cursor", "query")))
        .collect();
    assert!(!listings.is_empty());
    for info in listings {
        let page: Value = send(&fake, info.method, info.path).await.json().await.expect("json");
        let next = page["_links"]["next"]["href"].as_str().unwrap_or_else(|| panic!("{}: {page}", info.path));
        assert!(next.contains("cursor="), "{next}");
        assert_eq!(fake.requests().pop().and_then(|r| r.page), Some(1), "{}", info.path);
    }
}

#[tokio::test]
async fn every_expand_value_of_the_spec_is_accepted() {
    let fake = FakeUsageApi::start().await;
    for value in ExpandUsageOptions::ALL {
        let r = send(&fake, "GET", &format!("/usage?expand={value}")).await;
        assert_eq!(r.status(), StatusCode::OK, "expand={value}");
    }
    let all: Vec<&str> = ExpandUsageOptions::NAMES.to_vec();
    let r = send(&fake, "GET", &format!("/usage?expand={}", all.join(","))).await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_empty_expand_value_is_refused_with_a_400_naming_it() {
    let fake = FakeUsageApi::start().await;
    assert_refused(send(&fake, "GET", "/usage?expand=").await, "expand", "").await;
    // An empty item between two values is outside the enum too.
    assert_refused(send(&fake, "GET", "/usage?expand=test,,enterprise-agent").await, "expand", "").await;
}

#[tokio::test]
async fn an_expand_value_outside_the_enum_is_refused_naming_the_value() {
    let fake = FakeUsageApi::start().await;
    for (query, value) in
        [("expand=everything", "everything"), ("expand=Test", "Test"), ("expand=test,%20test", " test")]
    {
        let body =
            assert_refused(send(&fake, "GET", &format!("/usage?{query}")).await, "expand", value).await;
        // The message lists what the spec allows.
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(ExpandUsageOptions::NAMES.iter().all(|n| message.contains(n)), "{message}");
    }
}

#[tokio::test]
async fn a_date_that_is_not_rfc_3339_is_refused_naming_the_parameter_and_value() {
    let fake = FakeUsageApi::start().await;
    for info in OPERATIONS.iter().filter(|o| o.parameters.iter().any(|p| p.name == "startDate")) {
        let r = send(&fake, info.method, &format!("{}?startDate=2024-05-01", info.path)).await;
        assert_refused(r, "startDate", "2024-05-01").await;
        let r =
            send(&fake, info.method, &format!("{}?startDate=2024-05-01T00:00:00Z&endDate=soon", info.path))
                .await;
        assert_refused(r, "endDate", "soon").await;
    }
}

#[tokio::test]
async fn an_aid_that_is_not_decimal_is_refused_naming_the_value() {
    let fake = FakeUsageApi::start().await;
    for info in OPERATIONS.iter().filter(|o| o.parameters.iter().any(|p| p.name == "aid")) {
        let r = send(&fake, info.method, &format!("{}?aid=12a", info.path)).await;
        assert_refused(r, "aid", "12a").await;
    }
}
