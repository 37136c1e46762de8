//! One client shared by 100 tasks, each listing its own multi-page result while the server
//! injects a 429 and 5xx answers: every task gets exactly its items, the server sees no burst
//! between the 429 and the reset it announced, and the run ends in bounded time. Real time.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use httpmock::prelude::*;
use httpmock::{HttpMockRequest, HttpMockResponse};
use thousandeyes_usage::{Client, Error};
use thousandeyes_usage_tests::support::{self, epoch_now, HAL_JSON};

const TASKS: usize = 100;
const PAGES: usize = 3;
const PER_PAGE: usize = 4;

#[derive(Default)]
struct State {
    reset: Option<u64>,
    failed_once: HashSet<(String, String)>,
    log: Vec<(SystemTime, u16)>,
}

fn item(aid: &str, n: usize) -> serde_json::Value {
    let mut v = support::test_units_item(n);
    v["aid"] = aid.into();
    v["testId"] = format!("{aid}-{n}").into();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_tasks_get_exactly_their_items_through_429s_and_5xx() {
    let server = MockServer::start_async().await;
    let base = server.url("/v7/usage/units/tests");
    let state = Arc::new(Mutex::new(State::default()));
    let shared = Arc::clone(&state);
    server.mock(move |when, then| {
        when.path("/v7/usage/units/tests");
        then.respond_with(move |req: &HttpMockRequest| {
            let now = SystemTime::now();
            let params = req.query_params();
            let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
            let aid = get("aid").unwrap_or_default();
            let cursor = get("cursor").unwrap_or_default();
            let page: usize = cursor.parse().unwrap_or(0);
            let mut s = shared.lock().expect("state");
            // The 40th request overall starts a rate-limit window two seconds long.
            if s.reset.is_none() && s.log.len() == 40 {
                s.reset = Some(epoch_now() + 2);
            }
            let limited = s.reset.is_some_and(|r| epoch_now() < r);
            // Every task's second page fails once with a 503.
            let flaky = !limited && page == 1 && s.failed_once.insert((aid.clone(), cursor.clone()));
            let code = if limited {
                429
            } else if flaky {
                503
            } else {
                200
            };
            s.log.push((now, code));
            match code {
                429 => HttpMockResponse::builder()
                    .status(429)
                    .header("date", DateTime::<Utc>::from(now).to_rfc2822())
                    .header("x-organization-rate-limit-reset", s.reset.unwrap_or(0).to_string())
                    .build(),
                503 => HttpMockResponse::builder().status(503).build(),
                _ => {
                    let items = (page * PER_PAGE..(page + 1) * PER_PAGE).map(|n| item(&aid, n)).collect();
                    let next = (page + 1 < PAGES).then(|| format!("{base}?aid={aid}&cursor={}", page + 1));
                    HttpMockResponse::builder()
                        .status(200)
                        .header("content-type", HAL_JSON)
                        .body(support::page_body(items, next.as_deref()).to_string())
                        .build()
                }
            }
        });
    });
    let client =
        Client::builder().token(support::TOKEN).base_url(support::base_url(&server)).build().expect("client");
    let run = async {
        let tasks: Vec<_> = (0..TASKS)
            .map(|t| {
                let c = client.clone();
                tokio::spawn(async move {
                    let aid = format!("{}", 5000 + t);
                    let items = c.test_units().aid(aid.as_str()).collect_all().await?;
                    Ok::<_, Error>((aid, items))
                })
            })
            .collect();
        let mut results = Vec::new();
        for t in tasks {
            results.push(t.await.expect("task").expect("every task gets its listing"));
        }
        results
    };
    let results = tokio::time::timeout(Duration::from_secs(60), run).await.expect("bounded time");

    for (aid, items) in &results {
        let ids: Vec<_> = items.iter().filter_map(|i| i.test_id.clone()).collect();
        let expected: Vec<_> = (0..PAGES * PER_PAGE).map(|n| format!("{aid}-{n}")).collect();
        assert_eq!(ids, expected, "task {aid}: no duplicates, no gaps, in order");
    }
    let s = state.lock().expect("state");
    let reset = SystemTime::UNIX_EPOCH + Duration::from_secs(s.reset.expect("a 429 window"));
    let first_429 = s.log.iter().find(|(_, c)| *c == 429).map(|(t, _)| *t).expect("a 429");
    let in_window = s.log.iter().filter(|(t, _)| *t > first_429 && *t < reset).count();
    assert!(in_window <= TASKS, "{in_window} requests between the first 429 and the reset");
    assert_eq!(s.log.iter().filter(|(_, c)| *c == 503).count(), TASKS);
}
