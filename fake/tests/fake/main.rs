//! The fake, seen from a plain HTTP client (reqwest), one module per subject: `data`,
//! `pagination`, `parameters`, `tokens`, `serving` (paths, methods, a dropped fake), `rate_limit`
//! (windows under virtual time), `failures` (the scripted ones), `clock` (latency and skew),
//! `quotas`, `record` (the requests recorded and the counters) and `spec` (every operation,
//! parameter and value as the spec declares them). The helpers below send requests and read
//! answers for all of them.

use reqwest::{Method, Response, StatusCode};
use serde_json::Value;
use thousandeyes_usage_fake::FakeUsageApi;

mod clock;
mod data;
mod failures;
mod pagination;
mod parameters;
mod quotas;
mod rate_limit;
mod record;
mod serving;
mod spec;
mod tokens;

pub fn http() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().expect("reqwest client")
}

/// A request of `method` to `path_and_query` below the base URL, with the fake's token.
pub async fn send(fake: &FakeUsageApi, method: &str, path_and_query: &str) -> Response {
    let method = Method::from_bytes(method.as_bytes()).expect("method");
    http().request(method, fake.url(path_and_query)).bearer_auth(fake.token()).send().await.expect("answer")
}

pub async fn get(fake: &FakeUsageApi, path_and_query: &str) -> Response {
    get_url(fake, &fake.url(path_and_query)).await
}

pub async fn get_url(fake: &FakeUsageApi, url: &str) -> Response {
    http().get(url).bearer_auth(fake.token()).send().await.expect("answer")
}

pub async fn post(fake: &FakeUsageApi, path: &str, body: Value) -> Response {
    http().post(fake.url(path)).bearer_auth(fake.token()).json(&body).send().await.expect("answer")
}

pub fn header(r: &Response, name: &str) -> String {
    r.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
}

pub fn header_i64(r: &Response, name: &str) -> i64 {
    header(r, name).parse().unwrap_or_else(|_| panic!("{name}: {:?}", header(r, name)))
}

/// The status, the content type and the JSON body (Null when empty).
pub async fn parts(r: Response) -> (StatusCode, String, Value) {
    let status = r.status();
    let content_type = header(&r, "content-type");
    let bytes = r.bytes().await.expect("body");
    let body =
        if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).expect("JSON body") };
    (status, content_type, body)
}

/// Asserts a 400 problem naming `field`.
pub async fn assert_invalid(r: Response, field: &str) -> Value {
    let (status, content_type, body) = parts(r).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(body["status"], 400);
    assert_eq!(body["title"], "Bad Request");
    assert!(body["detail"].is_string() && body["instance"].is_string() && body["type"].is_string(), "{body}");
    let errors = body["errors"].as_array().expect("errors[]");
    assert!(errors.iter().any(|e| e["field"] == field), "no error for {field}: {body}");
    body
}

/// Every page of a listing, following the next links; with the URLs asked for.
pub async fn all_pages(fake: &FakeUsageApi, first: &str) -> (Vec<Value>, Vec<String>) {
    let mut pages = Vec::new();
    let mut urls = Vec::new();
    let mut next = Some(fake.url(first));
    while let Some(url) = next {
        let r = get_url(fake, &url).await;
        assert_eq!(r.status(), 200, "{url}");
        assert_eq!(header(&r, "content-type"), "application/hal+json");
        assert_eq!(r.headers().get_all("date").iter().count(), 1, "one Date, the fake's");
        assert!(header(&r, "x-request-id").starts_with("fake-"));
        let page: Value = r.json().await.expect("page");
        next = page["_links"]["next"]["href"].as_str().map(str::to_string);
        urls.push(url);
        pages.push(page);
        assert!(pages.len() < 100, "endless listing");
    }
    (pages, urls)
}

pub fn sum(items: &[Value], field: &str) -> i64 {
    items.iter().map(|i| i[field].as_i64().unwrap_or(0)).sum()
}

pub fn items(pages: &[Value]) -> Vec<Value> {
    pages.iter().flat_map(|p| p["breakdowns"].as_array().expect("breakdowns").clone()).collect()
}

/// Asserts the API's 400 for a query parameter ([`assert_invalid`]), whose detail and whose
/// error for `field` quote `value`. Returns the body.
pub async fn assert_refused(r: Response, field: &str, value: &str) -> Value {
    let body = assert_invalid(r, field).await;
    let quoted = format!("{value:?}");
    assert!(body["detail"].as_str().is_some_and(|d| d.contains(&quoted)), "detail quotes {quoted}: {body}");
    let errors = body["errors"].as_array().expect("errors[]");
    assert!(
        errors
            .iter()
            .any(|e| e["field"] == field && e["message"].as_str().is_some_and(|m| m.contains(&quoted))),
        "an error for {field} quoting {quoted}: {body}"
    );
    body
}
