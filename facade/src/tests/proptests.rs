//! Property tests: whatever a server sends (any JSON, any header value), the decoding and header
//! parsing paths return a value or an error, never a panic; realistic pages round-trip.

// Model literals end in `..Default::default()`: a field the spec adds does not break these tests.
#![allow(clippy::needless_update)]

use std::time::Duration;

use http::{HeaderMap, HeaderValue, StatusCode};
use proptest::prelude::*;
use serde_json::Value;
use thousandeyes_usage_generated::models as wire;

use crate::clock::Clock;
use crate::decode::{api_error, excerpt};
use crate::pacing::{Decision, Pacer};
use crate::pagination::{next_cursor, NextLink};
use crate::rate_limit::Reported;
use crate::retry::RetryPolicy;
use crate::secret::Secret;
use crate::transport::Answer;

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
        Just(Value::String("2024-05-01T00:00:00Z".into())),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        let keys = prop_oneof![
            Just("breakdowns".to_string()),
            Just("_links".to_string()),
            Just("next".to_string()),
            Just("href".to_string()),
            Just("usage".to_string()),
            Just("cloudUnitsUsed".to_string()),
            Just("errors".to_string()),
            Just("title".to_string()),
            "[a-zA-Z_]{1,8}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(keys, inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn header_value() -> impl Strategy<Value = HeaderValue> {
    prop_oneof![
        "[ -~]{0,24}",
        any::<u64>().prop_map(|n| n.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        Just("Wed, 21 Oct 2015 07:28:00 GMT".to_string()),
    ]
    .prop_filter_map("a header value", |s| HeaderValue::from_str(&s).ok())
}

fn headers() -> impl Strategy<Value = HeaderMap> {
    let names = prop_oneof![
        Just("retry-after"),
        Just("date"),
        Just("x-organization-rate-limit-limit"),
        Just("x-organization-rate-limit-remaining"),
        Just("x-organization-rate-limit-reset"),
        Just("x-request-id"),
        Just("content-type"),
    ];
    prop::collection::vec((names, header_value()), 0..8).prop_map(|pairs| {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.append(name, value);
        }
        h
    })
}

fn units_by_tests() -> impl Strategy<Value = wire::UnitsByTests> {
    (
        proptest::option::of("[0-9]{1,10}"),
        proptest::option::of(".{0,20}"),
        proptest::option::of(any::<i64>()),
        proptest::option::of(any::<i64>()),
        proptest::option::of(any::<i64>()),
        proptest::option::of(any::<i64>()),
        proptest::option::of("[0-9]{1,20}"),
        proptest::option::of(".{0,30}"),
        proptest::option::of(".{0,20}"),
        proptest::option::of(any::<bool>()),
    )
        .prop_map(|(aid, name, eu, ep, cu, cp, id, test, ty, instant)| wire::UnitsByTests {
            aid,
            account_group_name: name,
            enterprise_units_used: eu,
            enterprise_units_projected: ep,
            cloud_units_used: cu,
            cloud_units_projected: cp,
            test_id: id,
            test_name: test,
            test_type: ty,
            is_instant_test: instant,
            ..Default::default()
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_json_decodes_or_fails_cleanly(value in json_value()) {
        let text = value.to_string();
        let _ = serde_json::from_str::<wire::TestsUsage>(&text);
        let _ = serde_json::from_str::<wire::EnterpriseAgentsUsage>(&text);
        let _ = serde_json::from_str::<wire::Usage>(&text);
        let _ = serde_json::from_str::<wire::Quotas>(&text);
        let _ = serde_json::from_str::<wire::OrganizationsQuotasAssign>(&text);
    }

    #[test]
    fn any_error_answer_is_read_without_panic(
        value in json_value(),
        raw in prop::collection::vec(any::<u8>(), 0..64),
        status in 100u16..600,
        headers in headers(),
        use_raw in any::<bool>(),
    ) {
        let body = if use_raw { raw } else { value.to_string().into_bytes() };
        let status = StatusCode::from_u16(status).expect("in range");
        let answer = Answer { status, reported: Reported::read(&headers), headers, body: body.into() };
        let api = api_error("getUsage", &answer, None, &Secret::new("a-secret-token"));
        prop_assert_eq!(api.status(), status.as_u16());
        let _ = api.to_string();
        prop_assert!(api.body_excerpt().len() <= 512 + '…'.len_utf8());
    }

    #[test]
    fn any_headers_parse_and_pace_without_panic(
        headers in headers(),
        status in prop_oneof![Just(200u16), Just(429u16), Just(503u16)],
    ) {
        let reported = Reported::read(&headers);
        let pacer = Pacer::new(Clock::new(), 1.0);
        let now = pacer.clock().now();
        if let Some(wait) = pacer.server_wait(&reported, now) {
            prop_assert!(!wait.is_zero());
            let _ = RetryPolicy::default().jitter_for(wait);
            pacer.hold_until(now.checked_add(wait).unwrap_or(now));
        }
        pacer.observe(&reported, status, 1, now, now);
        match pacer.decide(&mut None) {
            // A window's wait is bounded by what a window can be.
            Decision::Wait { until, .. } => prop_assert!(until.duration_since(now) <= Duration::from_secs(7 * 24 * 3_600)),
            Decision::Go { .. } => {}
        }
    }

    #[test]
    fn a_present_next_link_yields_a_cursor_or_says_why_not(href in ".{0,80}") {
        let base = url::Url::parse("https://api.thousandeyes.com/v7").expect("url");
        match next_cursor(NextLink::Href(href), &base, &Secret::new("token")) {
            Ok(Some(cursor)) => prop_assert!(!cursor.is_empty()),
            Ok(None) => prop_assert!(false, "a present next link never reads as the end"),
            Err(reason) => prop_assert!(reason.contains("next link")),
        }
    }

    #[test]
    fn excerpts_are_bounded(body in prop::collection::vec(any::<u8>(), 0..2048), max in 0usize..600) {
        let e = excerpt(&body, max);
        prop_assert!(e.len() <= max.max(1) * 3 + '…'.len_utf8());
    }

    #[test]
    fn realistic_pages_round_trip(items in prop::collection::vec(units_by_tests(), 0..20), cursor in "[A-Za-z0-9+/=]{1,40}") {
        let page = wire::TestsUsage {
            breakdowns: Some(items),
            _links: Some(wire::PaginationLinks {
                next: Some(wire::Link::new(format!("https://api.thousandeyes.com/v7/usage/units/tests?cursor={}",
                    url::form_urlencoded::byte_serialize(cursor.as_bytes()).collect::<String>()))),
                ..Default::default()
            }), ..Default::default()
        };
        let text = serde_json::to_string(&page).expect("serialize");
        let back: wire::TestsUsage = serde_json::from_str(&text).expect("deserialize");
        prop_assert_eq!(&back, &page);
        let base = url::Url::parse("https://api.thousandeyes.com/v7").expect("url");
        let href = back._links.and_then(|l| l.next).map(|n| n.href).expect("a next link");
        prop_assert_eq!(next_cursor(NextLink::Href(href), &base, &Secret::new("token")), Ok(Some(cursor)));
    }
}
