//! Error answers, undecodable answers and bad input: each becomes the right [`Error`] with its
//! details, and bad input is refused before anything is sent.

mod bodies;
mod content_length_lies;
mod media_type_case;
mod not_sent;

use chrono::{Duration as Days, Utc};
use httpmock::prelude::*;
use serde_json::json;
use thousandeyes_usage::{Error, RetryPolicy};
use thousandeyes_usage_tests::support::{
    self, base_url, builder_of, client_of, HAL_JSON, PROBLEM_JSON, TOKEN,
};

fn assert_send_sync_static<T: Send + Sync + 'static>() {}

#[test]
fn the_error_type_is_send_sync_static_and_a_std_error() {
    assert_send_sync_static::<Error>();
    fn is_error<E: std::error::Error>() {}
    is_error::<Error>();
    is_error::<thousandeyes_usage::ApiError>();
}

async fn usage_error(status: u16, content_type: &str, body: &str, headers: &[(&str, &str)]) -> Error {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path("/v7/usage");
            let mut then = then.status(status).header("content-type", content_type).body(body);
            for (k, v) in headers {
                then = then.header(*k, *v);
            }
        })
        .await;
    let client = builder_of(base_url(&server)).retry_policy(RetryPolicy::disabled()).build().expect("client");
    let err = client.usage().send().await.expect_err("an error");
    mock.assert_async().await;
    assert!(!format!("{err:?}{err}").contains(TOKEN), "the token leaked into {err:?}");
    err
}

#[tokio::test]
async fn a_400_keeps_the_problem_details_and_every_field_error() {
    let body = json!({
        "type": "https://docs.thousandeyes.com/errors/validation",
        "title": "Bad Request",
        "status": 400,
        "detail": "The request has invalid values.",
        "instance": "/v7/usage",
        "errors": [
            {"code": "INVALID_AID", "field": "aid", "message": "must be an account group you belong to"},
            {"field": "expand", "message": "unknown value"}
        ]
    })
    .to_string();
    let err = usage_error(400, PROBLEM_JSON, &body, &[("x-request-id", "req-42")]).await;
    let api = err.as_api().expect("api error");
    assert_eq!(api.status(), 400);
    assert_eq!(err.status(), Some(400));
    assert_eq!(api.problem_type(), Some("https://docs.thousandeyes.com/errors/validation"));
    assert_eq!(api.title(), Some("Bad Request"));
    assert_eq!(api.detail(), Some("The request has invalid values."));
    assert_eq!(api.instance(), Some("/v7/usage"));
    assert_eq!(api.field_errors().len(), 2);
    assert_eq!(api.field_errors()[0].field.as_deref(), Some("aid"));
    assert_eq!(api.field_errors()[0].code.as_deref(), Some("INVALID_AID"));
    assert_eq!(api.field_errors()[1].message.as_deref(), Some("unknown value"));
    assert_eq!(api.request_id(), Some("req-42"));
    assert_eq!(api.operation(), "getUsage");
    assert!(!err.is_retryable());
    let text = err.to_string();
    assert!(text.contains("HTTP 400") && text.contains("aid: must be an account group"), "{text}");
}

#[tokio::test]
async fn a_400_with_null_errors_is_still_read() {
    let err = usage_error(400, PROBLEM_JSON, r#"{"title":"Bad Request","errors":null}"#, &[]).await;
    assert_eq!(err.as_api().expect("api").field_errors().len(), 0);
    assert_eq!(err.as_api().expect("api").title(), Some("Bad Request"));
}

#[tokio::test]
async fn a_401_keeps_the_oauth_error_and_its_description() {
    let err = usage_error(
        401,
        "application/json",
        r#"{"error":"invalid_token","error_description":"The access token expired"}"#,
        &[],
    )
    .await;
    let api = err.as_api().expect("api error");
    assert_eq!(api.status(), 401);
    assert_eq!(api.oauth_error(), Some("invalid_token"));
    assert_eq!(api.oauth_error_description(), Some("The access token expired"));
    assert!(err.to_string().contains("The access token expired"));
}

#[tokio::test]
async fn a_403_and_a_404_are_api_errors_with_their_details() {
    for (status, title) in [(403, "Forbidden"), (404, "Not Found")] {
        let body = json!({"title": title, "status": status, "detail": format!("{title} detail")}).to_string();
        let err = usage_error(status, PROBLEM_JSON, &body, &[("x-trace-id", "trace-9")]).await;
        let api = err.as_api().expect("api error");
        assert_eq!(api.status(), status);
        assert_eq!(api.title(), Some(title));
        assert_eq!(api.detail().map(str::to_string), Some(format!("{title} detail")));
        assert_eq!(api.request_id(), Some("trace-9"));
        assert!(!err.is_retryable() && !err.is_rate_limited());
    }
}

#[tokio::test]
async fn a_429_is_rate_limited_with_the_servers_retry_after() {
    let reset = (support::epoch_now() + 30).to_string();
    let body = json!({"title": "Too Many Requests", "status": 429}).to_string();
    let err = usage_error(
        429,
        PROBLEM_JSON,
        &body,
        &[
            ("x-organization-rate-limit-reset", &reset),
            ("x-organization-rate-limit-limit", "240"),
            ("x-organization-rate-limit-remaining", "0"),
        ],
    )
    .await;
    assert!(err.is_rate_limited() && err.is_retryable());
    let wait = err.retry_after().expect("retry after");
    assert!(wait.as_secs() >= 28 && wait.as_secs() <= 30, "{wait:?}");
    let api = err.as_api().expect("api");
    assert_eq!(api.rate_limit().limit, Some(240));
    assert_eq!(api.rate_limit().remaining, Some(0));
}

#[tokio::test]
async fn a_500_is_a_retryable_api_error() {
    let err = usage_error(500, PROBLEM_JSON, r#"{"title":"Internal Server Error","status":500}"#, &[]).await;
    assert_eq!(err.status(), Some(500));
    assert!(err.is_retryable());
}

#[tokio::test]
async fn an_html_error_page_from_a_proxy_is_an_api_error_not_a_panic() {
    let err = usage_error(502, "text/html", "<html><body><h1>502 Bad Gateway</h1></body></html>", &[]).await;
    let api = err.as_api().expect("api error");
    assert_eq!(api.status(), 502);
    assert!(api.body_excerpt().contains("502 Bad Gateway"));
    assert!(err.to_string().contains("Bad Gateway"), "{err}");
}

#[tokio::test]
async fn a_2xx_of_the_wrong_shape_names_the_operation_and_the_json_path() {
    let err = usage_error(200, HAL_JSON, r#"{"usage":{"cloudUnitsUsed":"lots"}}"#, &[]).await;
    match &err {
        Error::Decode { operation, path, excerpt, .. } => {
            assert_eq!(*operation, "getUsage");
            assert_eq!(path, "usage.cloudUnitsUsed");
            assert!(excerpt.contains("lots"));
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
    assert!(err.to_string().contains("usage.cloudUnitsUsed"));
}

#[tokio::test]
async fn a_2xx_with_invalid_json_is_a_decode_error() {
    let err = usage_error(200, HAL_JSON, r#"{"usage": {"#, &[]).await;
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
}

#[tokio::test]
async fn a_2xx_html_page_is_an_unexpected_body_error_that_says_so() {
    let err = usage_error(200, "text/html; charset=utf-8", "<html>Sign in to continue</html>", &[]).await;
    match &err {
        Error::UnexpectedBody { status, content_type, excerpt, .. } => {
            assert_eq!(*status, 200);
            assert_eq!(content_type.as_deref(), Some("text/html; charset=utf-8"));
            assert!(excerpt.contains("Sign in"));
        }
        other => panic!("expected an unexpected-body error, got {other:?}"),
    }
    assert!(err.to_string().contains("text/html"), "{err}");
}

#[tokio::test]
async fn a_2xx_with_an_empty_body_is_an_error_that_says_so() {
    let err = usage_error(200, HAL_JSON, "", &[]).await;
    assert!(matches!(err, Error::UnexpectedBody { .. }), "{err:?}");
    assert!(err.to_string().contains("empty body"), "{err}");
}

#[tokio::test]
async fn a_huge_body_is_refused_at_the_configured_limit() {
    let server = MockServer::start_async().await;
    let big = format!(r#"{{"usage":{{"tests":[{}]}}}}"#, vec![r#"{"testName":"x"}"#; 20_000].join(","));
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v7/usage");
            then.status(200).header("content-type", HAL_JSON).body(big.clone());
        })
        .await;
    let client = builder_of(base_url(&server)).max_body_bytes(64 * 1024).build().expect("client");
    let err = client.usage().send().await.expect_err("too large");
    assert!(matches!(err, Error::BodyTooLarge { limit: 65_536, .. }), "{err:?}");
}

/// Each bad input, and the field its error must name. Nothing may reach the server.
#[tokio::test]
async fn bad_input_is_refused_before_any_request_naming_the_field() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200).header("content-type", HAL_JSON).body("{}");
        })
        .await;
    let client = client_of(base_url(&server));
    let now = Utc::now();
    let cases: Vec<(&str, &str, Result<(), Error>)> = vec![
        ("empty aid", "aid", client.usage().aid("").send().await.map(drop)),
        ("blank aid", "aid", client.usage().aid("   ").send().await.map(drop)),
        ("non-numeric aid", "aid", client.usage().aid("12ab").send().await.map(drop)),
        ("negative aid", "aid", client.test_units().aid("-4").send().await.map(drop)),
        ("end without start", "end", client.test_units().end(now).send().await.map(drop)),
        (
            "start after end",
            "start",
            client.test_units().start(now - Days::days(1)).end(now - Days::days(2)).send().await.map(drop),
        ),
        (
            "start equal to end",
            "start",
            client.agent_units().start(now - Days::days(1)).end(now - Days::days(1)).send().await.map(drop),
        ),
        (
            "start in the future",
            "start",
            client.agent_units().start(now + Days::days(3)).send().await.map(drop),
        ),
        ("no organization quota", "quota", client.assign_organization_quotas().send().await.map(drop)),
        (
            "negative quota",
            "units",
            client.assign_organization_quotas().quota("1001", -1).send().await.map(drop),
        ),
        (
            "bad organization id",
            "org_id",
            client.assign_organization_quotas().quota("acme", 1).send().await.map(drop),
        ),
        (
            "negative quota of the own organization",
            "units",
            client.assign_organization_quotas().own_organization_quota(-1).send().await.map(drop),
        ),
        (
            "no organization to unassign",
            "organization",
            client.unassign_organization_quotas().send().await.map(drop),
        ),
        ("no account group quota", "quota", client.assign_account_group_quotas().send().await.map(drop)),
        (
            "bad account group",
            "aid",
            client.assign_account_group_quotas().quota("1001", "x", 5).send().await.map(drop),
        ),
        (
            "no account group to unassign",
            "account_group",
            client.unassign_account_group_quotas().send().await.map(drop),
        ),
        (
            "blank org to unassign",
            "org_id",
            client.unassign_account_group_quotas().account_group(" ", "1234").send().await.map(drop),
        ),
    ];
    for (case, field, result) in cases {
        match result {
            Err(Error::InvalidInput { field: f, .. }) => assert_eq!(f, field, "{case}"),
            other => panic!("{case}: expected invalid input naming {field}, got {other:?}"),
        }
    }
    let streamed = futures::StreamExt::next(&mut client.test_units().aid("nope").items()).await;
    assert!(matches!(streamed, Some(Err(Error::InvalidInput { field: "aid", .. }))), "{streamed:?}");
    assert_eq!(any.calls_async().await, 0, "bad input reached the server");
}

#[tokio::test]
async fn a_refused_connection_is_a_transport_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let client = client_of(format!("http://127.0.0.1:{port}/v7"));
    let err = client.quotas().send().await.expect_err("refused");
    assert!(matches!(err, Error::Transport { operation: "getQuotas", .. }), "{err:?}");
    assert!(std::error::Error::source(&err).is_some(), "the cause is chained");
    assert!(err.is_retryable());
}
