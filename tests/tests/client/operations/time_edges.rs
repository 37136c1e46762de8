//! Times at the edges: a range shorter than a second, years outside 0000–9999. Each is either
//! refused before sending (`Error::InvalidInput` naming the field, and the server sees nothing)
//! or sent as valid RFC 3339 (four-digit year) with the start before the end. Never two equal
//! or inverted timestamps, never a year RFC 3339 cannot write.

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};
use serde_json::json;
use thousandeyes_usage::{Client, Error};
use thousandeyes_usage_tests::raw::{RawServer, Reply};
use thousandeyes_usage_tests::support::client_of;

/// A server answering every request with an empty listing page.
async fn empty_listing() -> RawServer {
    RawServer::script(vec![Reply::status(200)
        .header("Content-Type", "application/hal+json")
        .json(&json!({"breakdowns": [], "_links": {}}))
        .into()])
    .await
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32, ms: u32) -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(y, mo, d)
        .and_then(|date| date.and_hms_milli_opt(h, mi, s, ms))
        .map(|t| t.and_utc())
        .expect("a valid time")
}

/// RFC 3339 with a four-digit year (chrono alone also reads `+10000-…` and `-0005-…`).
fn rfc3339(s: &str) -> Option<DateTime<FixedOffset>> {
    let b = s.as_bytes();
    let four_digit_year = b.len() > 5 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-';
    four_digit_year.then(|| DateTime::parse_from_rfc3339(s).ok()).flatten()
}

/// Sends both listings with `start` (and `end`), and describes what went wrong, if anything:
/// either nothing was sent and the call failed with `InvalidInput` on `start` or `end`, or
/// what was sent is valid RFC 3339 with the start before the end.
async fn refused_or_well_formed(start: DateTime<Utc>, end: Option<DateTime<Utc>>) -> Vec<String> {
    type Call = fn(
        Client,
        DateTime<Utc>,
        Option<DateTime<Utc>>,
    ) -> futures::future::BoxFuture<'static, Result<(), Error>>;
    let calls: [(&str, Call); 2] = [
        ("test_units", |c, s, e| {
            Box::pin(async move {
                let r = c.test_units().start(s);
                let r = match e {
                    Some(e) => r.end(e),
                    None => r,
                };
                r.send().await.map(|_| ())
            })
        }),
        ("agent_units", |c, s, e| {
            Box::pin(async move {
                let r = c.agent_units().start(s);
                let r = match e {
                    Some(e) => r.end(e),
                    None => r,
                };
                r.send().await.map(|_| ())
            })
        }),
    ];
    let mut wrong = Vec::new();
    for (operation, call) in calls {
        let server = empty_listing().await;
        let result = call(client_of(server.base_url()), start, end).await;
        let requests = server.requests();
        let case = format!("{operation} start {start:?} end {end:?}");
        if requests.is_empty() {
            match result {
                Err(Error::InvalidInput { field, .. }) if field == "start" || field == "end" => {}
                other => wrong.push(format!("{case}: nothing sent, but the call returned {other:?}")),
            }
            continue;
        }
        for req in requests {
            let sent_start = req.query("startDate");
            let sent_end = req.query("endDate");
            let parsed_start = sent_start.as_deref().and_then(rfc3339);
            let parsed_end = sent_end.as_deref().and_then(rfc3339);
            if parsed_start.is_none() {
                wrong.push(format!("{case}: sent startDate={sent_start:?}, not RFC 3339"));
            }
            if end.is_some() && parsed_end.is_none() {
                wrong.push(format!("{case}: sent endDate={sent_end:?}, not RFC 3339"));
            }
            if let (Some(s), Some(e)) = (parsed_start, parsed_end) {
                if s >= e {
                    wrong.push(format!(
                        "{case}: sent startDate={sent_start:?} endDate={sent_end:?}, start not before end"
                    ));
                }
            }
        }
    }
    wrong
}

#[tokio::test(start_paused = true)]
async fn sub_second_range_is_refused_or_sent_with_start_before_end() {
    let mut wrong = Vec::new();
    for (start, end) in [
        (utc(2024, 5, 1, 10, 0, 0, 100), utc(2024, 5, 1, 10, 0, 0, 900)),
        (utc(2024, 5, 1, 10, 0, 0, 0), utc(2024, 5, 1, 10, 0, 0, 1)),
        (utc(2024, 5, 1, 23, 59, 59, 1), utc(2024, 5, 1, 23, 59, 59, 999)),
    ] {
        wrong.extend(refused_or_well_formed(start, Some(end)).await);
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test(start_paused = true)]
async fn years_before_0000_are_refused_or_sent_as_rfc3339() {
    let end = utc(2024, 5, 1, 0, 0, 0, 0);
    let mut wrong = Vec::new();
    for start in [DateTime::<Utc>::MIN_UTC, utc(-5, 1, 1, 0, 0, 0, 0), utc(-1, 12, 31, 23, 59, 59, 0)] {
        wrong.extend(refused_or_well_formed(start, Some(end)).await);
        wrong.extend(refused_or_well_formed(start, None).await);
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test(start_paused = true)]
async fn years_after_9999_are_refused_or_sent_as_rfc3339() {
    let start = utc(2024, 5, 1, 0, 0, 0, 0);
    let mut wrong = Vec::new();
    for end in [DateTime::<Utc>::MAX_UTC, utc(10_000, 1, 1, 0, 0, 0, 0)] {
        wrong.extend(refused_or_well_formed(start, Some(end)).await);
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Years 0000 and 9999 are RFC 3339, and so is their range.
#[tokio::test(start_paused = true)]
async fn years_0000_and_9999_are_refused_or_sent_as_rfc3339() {
    let wrong = refused_or_well_formed(utc(0, 1, 1, 0, 0, 0, 0), Some(utc(2024, 5, 1, 0, 0, 0, 0))).await;
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let wrong =
        refused_or_well_formed(utc(2024, 5, 1, 0, 0, 0, 0), Some(utc(9_999, 12, 31, 23, 59, 59, 0))).await;
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Whole seconds in any zone go out as RFC 3339 UTC, exactly.
#[tokio::test(start_paused = true)]
async fn a_whole_second_range_in_any_zone_goes_out_as_rfc3339_utc() {
    let server = empty_listing().await;
    let india = FixedOffset::east_opt(5 * 3600 + 1800).expect("offset");
    let start = india.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).single().expect("start");
    let end = utc(2024, 5, 2, 0, 0, 0, 0);
    client_of(server.base_url()).test_units().start(start).end(end).send().await.expect("a page");
    let req = &server.requests()[0];
    assert_eq!(req.query("startDate").as_deref(), Some("2024-04-30T18:30:00Z"));
    assert_eq!(req.query("endDate").as_deref(), Some("2024-05-02T00:00:00Z"));
}
