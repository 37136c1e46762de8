//! Servers that echo the bearer token back: in a 401's `error_description`, a 400's `detail`
//! and field errors, an HTML error page, a 200 that is not JSON or does not decode, a header the
//! error keeps. The token must appear in no error's `Display`, `Debug` or `source()` chain, while
//! the error still says what happened (its status).
//!
//! The server echoes what it received in `Authorization`, not a constant: what is tested is what
//! the client sent.

use serde_json::json;
use thousandeyes_usage::{Client, Error, RetryPolicy};
use thousandeyes_usage_tests::raw::{RawServer, Reply, Request};
use thousandeyes_usage_tests::support::{builder_of, TOKEN};

use crate::everything_shown;

/// The token the request carried (the test fails if it carried none).
fn echoed(req: &Request) -> String {
    req.bearer().expect("the request carries a bearer token").to_string()
}

/// A client of `server` that sends each request once.
fn once(server: &RawServer) -> Client {
    builder_of(server.base_url()).retry_policy(RetryPolicy::disabled()).build().expect("client")
}

/// Runs `call` against a server answering with `answer(token)`; returns the error, after
/// checking that the server did receive (and so could echo) the token.
async fn error_from<F, Fut, T>(answer: fn(&str) -> Reply, call: F) -> Error
where
    F: FnOnce(Client) -> Fut,
    Fut: std::future::Future<Output = Result<T, Error>>,
    T: std::fmt::Debug,
{
    let server = RawServer::start(move |req| answer(&echoed(req))).await;
    let err = call(once(&server)).await.expect_err("an error answer");
    let requests = server.requests();
    assert!(
        !requests.is_empty() && requests.iter().all(|r| r.bearer() == Some(TOKEN)),
        "the server saw the token"
    );
    err
}

/// Checks each error: the token nowhere in what it shows, and its status kept (a 2xx that
/// does not decode may report its status or none).
fn assert_no_leaks(cases: Vec<(&str, Error, u16)>) {
    let mut leaked = Vec::new();
    for (case, err, status) in cases {
        let kept = err.status() == Some(status) || (status == 200 && err.status().is_none());
        assert!(kept, "{case}: the status {status} is kept ({err:?})");
        let shown = everything_shown(&err);
        if shown.contains(TOKEN) {
            leaked.push(format!("{case}:\n{shown}\n"));
        }
    }
    assert!(
        leaked.is_empty(),
        "the echoed token is shown by {} errors:\n{}",
        leaked.len(),
        leaked.join("\n")
    );
}

fn problem(status: u16, body: serde_json::Value) -> Reply {
    Reply::status(status).header("Content-Type", "application/problem+json").json(&body).into()
}

#[tokio::test(start_paused = true)]
async fn a_token_echoed_in_an_error_answer_is_not_shown_by_the_error() {
    let cases = vec![
        (
            "401 error_description",
            error_from(
                |t| {
                    Reply::status(401)
                        .header("Content-Type", "application/json")
                        .header("WWW-Authenticate", format!("Bearer error=\"invalid_token\", token=\"{t}\""))
                        .json(&json!({"error": "invalid_token", "error_description": format!("token {t} has expired")}))
                        .into()
                },
                |c| async move { c.usage().send().await },
            )
            .await,
            401,
        ),
        (
            "401 error",
            error_from(
                |t| problem(401, json!({"error": format!("unknown token {t}")})),
                |c| async move { c.usage().send().await },
            )
            .await,
            401,
        ),
        (
            "400 detail",
            error_from(
                |t| problem(400, json!({"title": "Bad Request", "detail": format!("Authorization: Bearer {t} is malformed")})),
                |c| async move { c.usage().send().await },
            )
            .await,
            400,
        ),
        (
            "400 title, type and instance",
            error_from(
                |t| {
                    problem(
                        400,
                        json!({
                            "type": format!("https://errors.example/{t}"),
                            "title": format!("Bad token {t}"),
                            "instance": format!("/v7/usage?token={t}"),
                        }),
                    )
                },
                |c| async move { c.usage().send().await },
            )
            .await,
            400,
        ),
        (
            "400 field error",
            error_from(
                |t| {
                    problem(
                        400,
                        json!({"title": "Validation failed", "errors": [
                            {"field": "Authorization", "code": format!("bad:{t}"), "message": format!("Bearer {t} rejected")},
                            {"field": format!("header[{t}]"), "message": "unknown"}
                        ]}),
                    )
                },
                |c| async move { c.assign_organization_quotas().quota("1001", 5).send().await },
            )
            .await,
            400,
        ),
        (
            "502 HTML page",
            error_from(
                |t| {
                    Reply::status(502)
                        .header("Content-Type", "text/html")
                        .body(format!("<html><body><h1>Bad Gateway</h1><pre>Authorization: Bearer {t}</pre></body></html>"))
                        .into()
                },
                |c| async move { c.quotas().send().await },
            )
            .await,
            502,
        ),
        (
            "403 x-request-id header",
            error_from(
                |t| {
                    Reply::status(403)
                        .header("x-request-id", t)
                        .header("Content-Type", "application/problem+json")
                        .json(&json!({"title": "Forbidden"}))
                        .into()
                },
                |c| async move { c.usage().send().await },
            )
            .await,
            403,
        ),
        (
            "429 detail",
            error_from(
                |t| {
                    Reply::status(429)
                        .header("Retry-After", "1")
                        .header("x-trace-id", format!("trace-{t}"))
                        .header("Content-Type", "application/problem+json")
                        .json(&json!({"title": "Too Many Requests", "detail": format!("slow down, {t}")}))
                        .into()
                },
                |c| async move { c.usage().send().await },
            )
            .await,
            429,
        ),
    ];
    assert_no_leaks(cases);
}

#[tokio::test(start_paused = true)]
async fn a_token_echoed_in_a_success_answer_is_not_shown_by_the_error() {
    let cases = vec![
        (
            "200 HTML",
            error_from(
                |t| {
                    Reply::status(200)
                        .header("Content-Type", "text/html")
                        .body(format!("<html>Signed in with {t}</html>"))
                        .into()
                },
                |c| async move { c.usage().send().await },
            )
            .await,
            200,
        ),
        (
            "200 plain text",
            error_from(
                |t| Reply::status(200).header("Content-Type", "text/plain").body(format!("token={t}")).into(),
                |c| async move { c.quotas().send().await },
            )
            .await,
            200,
        ),
        (
            "200 JSON that does not decode",
            error_from(
                |t| {
                    Reply::status(200)
                        .header("Content-Type", "application/hal+json")
                        .json(&json!({"usage": {"cloudUnitsUsed": t}}))
                        .into()
                },
                |c| async move { c.usage().send().await },
            )
            .await,
            200,
        ),
        (
            "200 listing page that does not decode",
            error_from(
                |t| {
                    Reply::status(200)
                        .header("Content-Type", "application/hal+json")
                        .json(&json!({"breakdowns": [{"testName": 1, "cloudUnitsUsed": t}]}))
                        .into()
                },
                |c| async move { c.test_units().send().await },
            )
            .await,
            200,
        ),
    ];
    assert_no_leaks(cases);
}

/// An error answer that does not echo the token shows its own details.
#[tokio::test(start_paused = true)]
async fn an_error_answer_without_the_token_keeps_its_details() {
    let server =
        RawServer::script(vec![problem(400, json!({"title": "Bad Request", "detail": "aid 99 is unknown"}))])
            .await;
    let err = once(&server).usage().send().await.expect_err("400");
    assert_eq!(err.status(), Some(400));
    assert!(err.to_string().contains("aid 99 is unknown"), "{err}");
    assert!(!everything_shown(&err).contains(TOKEN));
}
