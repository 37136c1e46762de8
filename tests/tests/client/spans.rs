//! Each call is one `tracing` span with fields named after OpenTelemetry's HTTP client
//! conventions; retries and pacing waits are events inside it; a prefetched page's call runs in
//! its caller's span; the token is never among any field.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use futures::TryStreamExt;
use thousandeyes_usage_tests::raw::{RawServer, Reply, Request};
use thousandeyes_usage_tests::support::{self, client_of, HAL_JSON, TOKEN};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Instrument, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

/// A span as the layer saw it: its name, parent, fields and the events inside it.
#[derive(Debug, Clone, Default)]
struct Captured {
    name: String,
    parent: Option<u64>,
    fields: BTreeMap<String, String>,
    events: Vec<BTreeMap<String, String>>,
}

#[derive(Clone, Default)]
struct Spans(Arc<Mutex<BTreeMap<u64, Captured>>>);

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_string(), format!("{value:?}").trim_matches('"').to_string());
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_string(), value.to_string());
    }
}

impl<S: Subscriber> Layer<S> for Spans {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let parent = attrs.parent().cloned().or_else(|| ctx.current_span().id().cloned());
        let mut span = Captured {
            name: attrs.metadata().name().to_string(),
            parent: parent.map(|p| p.into_u64()),
            ..Captured::default()
        };
        attrs.record(&mut Fields(&mut span.fields));
        self.0.lock().expect("spans").insert(id.into_u64(), span);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
        if let Some(span) = self.0.lock().expect("spans").get_mut(&id.into_u64()) {
            values.record(&mut Fields(&mut span.fields));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let Some(id) = event.parent().cloned().or_else(|| ctx.current_span().id().cloned()) else { return };
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        if let Some(span) = self.0.lock().expect("spans").get_mut(&id.into_u64()) {
            span.events.push(fields);
        }
    }
}

impl Spans {
    fn calls(&self) -> Vec<(u64, Captured)> {
        let spans = self.0.lock().expect("spans");
        spans
            .iter()
            .filter(|(_, s)| s.name == "thousandeyes_usage.request")
            .map(|(id, s)| (*id, s.clone()))
            .collect()
    }

    fn everything(&self) -> String {
        format!("{:?}", self.0.lock().expect("spans"))
    }
}

fn ok_usage() -> Reply {
    Reply::status(200).header("Content-Type", HAL_JSON).body(r#"{"usage":{"cloudUnitsUsed":42}}"#).into()
}

#[tokio::test(start_paused = true)]
async fn a_retried_call_is_one_span_with_the_http_conventions_fields_and_its_retry_inside() {
    let spans = Spans::default();
    let _guard = tracing::subscriber::set_default(tracing_subscriber::registry().with(spans.clone()));
    let server =
        RawServer::script(vec![Reply::status(429).header("Retry-After", "1").into(), ok_usage()]).await;
    let client = client_of(server.base_url());

    client.usage().aid("1234").send().await.expect("usage after a retry");

    let calls = spans.calls();
    assert_eq!(calls.len(), 1, "one span for the call: {calls:#?}");
    let (_, span) = &calls[0];
    let field = |name: &str| span.fields.get(name).map(String::as_str);
    assert_eq!(field("otel.name"), Some("GET /usage"));
    assert_eq!(field("otel.kind"), Some("client"));
    assert_eq!(field("thousandeyes.operation"), Some("getUsage"));
    assert_eq!(field("http.request.method"), Some("GET"));
    assert_eq!(field("url.full"), Some(format!("{}/usage?aid=1234", server.base_url()).as_str()));
    assert_eq!(field("url.template"), Some("/usage"));
    assert_eq!(field("server.address"), Some("127.0.0.1"));
    assert_eq!(field("server.port"), Some(server.addr().port().to_string().as_str()));
    assert_eq!(field("http.response.status_code"), Some("200"));
    assert_eq!(field("http.request.resend_count"), Some("1"));
    assert_eq!(field("thousandeyes.attempts"), Some("2"));
    assert_eq!(field("error.type"), None);
    let messages: Vec<_> = span.events.iter().filter_map(|e| e.get("message").cloned()).collect();
    assert!(
        messages.iter().any(|m| m.contains("retrying")),
        "the retry is an event of the span: {messages:?}"
    );
    assert!(messages.iter().any(|m| m.contains("waiting before sending")), "so is the wait: {messages:?}");
    assert!(!spans.everything().contains(TOKEN), "the token is among the fields: {}", spans.everything());
}

#[tokio::test(start_paused = true)]
async fn a_failed_call_records_its_status_and_error_type() {
    let spans = Spans::default();
    let _guard = tracing::subscriber::set_default(tracing_subscriber::registry().with(spans.clone()));
    let server = RawServer::script(vec![Reply::status(404).body("{}").into()]).await;
    let client = client_of(server.base_url());
    client.quotas().send().await.expect_err("404");
    let (_, span) = &spans.calls()[0];
    assert_eq!(span.fields.get("http.response.status_code").map(String::as_str), Some("404"));
    assert_eq!(span.fields.get("error.type").map(String::as_str), Some("api"));
}

#[tokio::test(start_paused = true)]
async fn a_call_the_client_holds_back_records_no_status_it_never_received() {
    let spans = Spans::default();
    let _guard = tracing::subscriber::set_default(tracing_subscriber::registry().with(spans.clone()));
    let now = std::time::SystemTime::now();
    let reset = now.duration_since(std::time::UNIX_EPOCH).expect("after 1970").as_secs() + 600;
    let server = RawServer::script(vec![Reply::status(429)
        .header("Date", httpdate::fmt_http_date(now))
        .header("x-organization-rate-limit-reset", reset.to_string())
        .into()])
    .await;
    let client = client_of(server.base_url());
    client.usage().send().await.expect_err("429 with a reset beyond the policy's max wait");
    client.usage().send().await.expect_err("held back");
    assert_eq!(server.requests().len(), 1);
    let calls = spans.calls();
    let (refused, held) = (&calls[0].1, &calls[1].1);
    assert_eq!(refused.fields.get("http.response.status_code").map(String::as_str), Some("429"));
    assert_eq!(refused.fields.get("error.type").map(String::as_str), Some("rate_limited"));
    assert_eq!(held.fields.get("http.response.status_code"), None, "{held:?}");
    assert_eq!(held.fields.get("error.type").map(String::as_str), Some("not_sent"));
}

#[tokio::test(start_paused = true)]
async fn a_status_the_spec_does_not_document_is_an_event_of_the_call() {
    let spans = Spans::default();
    let _guard = tracing::subscriber::set_default(tracing_subscriber::registry().with(spans.clone()));
    let server =
        RawServer::script(vec![Reply::status(418).body("{}").into(), Reply::status(404).body("{}").into()])
            .await;
    let client = client_of(server.base_url());
    client.quotas().send().await.expect_err("418");
    client.quotas().send().await.expect_err("404");
    let calls = spans.calls();
    let undocumented = |span: &Captured| {
        span.events.iter().any(|e| e.get("message").is_some_and(|m| m.contains("does not document")))
    };
    assert!(undocumented(&calls[0].1), "{:?}", calls[0].1);
    assert!(!undocumented(&calls[1].1), "404 is documented: {:?}", calls[1].1);
}

#[tokio::test(start_paused = true)]
async fn a_prefetched_page_is_fetched_in_its_callers_span() {
    let spans = Spans::default();
    let _guard = tracing::subscriber::set_default(tracing_subscriber::registry().with(spans.clone()));
    let server = RawServer::start(|req: &Request| {
        let (items, next) = match req.query("cursor").as_deref() {
            None => (vec![support::test_units_item(1)], Some("/v7/usage/units/tests?cursor=two")),
            _ => (vec![support::test_units_item(2)], None),
        };
        Reply::status(200).header("Content-Type", HAL_JSON).json(&support::page_body(items, next)).into()
    })
    .await;
    let client = client_of(server.base_url());

    let export = tracing::info_span!("nightly_export");
    let items: Vec<_> = async { client.test_units().items().try_collect().await }
        .instrument(export.clone())
        .await
        .expect("items");
    assert_eq!(items.len(), 2);

    let export_id = export.id().expect("an enabled span").into_u64();
    let calls = spans.calls();
    assert_eq!(calls.len(), 2, "{calls:#?}");
    for (_, call) in &calls {
        assert_eq!(
            call.parent,
            Some(export_id),
            "each page's call is a child of the caller's span: {call:#?}"
        );
    }
    assert!(calls.iter().any(|(_, c)| c.fields.get("url.full").is_some_and(|u| u.contains("cursor=two"))));
}
