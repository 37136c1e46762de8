//! Faults no well-behaved server produces: connections reset mid-answer, short bodies, servers
//! that never answer or trickle bytes, redirects to other hosts, endless empty listings. Each
//! ends in the documented error within its time budget, without a panic.
//!
//! Raw `tokio::net::TcpListener` servers stand in where httpmock cannot misbehave enough. They
//! run on the test's own runtime, so tests of waiting run in virtual time (`start_paused`).

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::TryStreamExt;
use httpmock::prelude::*;
use httpmock::{HttpMockRequest, HttpMockResponse};
use thousandeyes_usage::{Client, ClientStats, Error, RetryPolicy};
use thousandeyes_usage_tests::support::{self, base_url, builder_of, client_of, HAL_JSON, TOKEN};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Generous bound on any single fault test: none may hang.
const BUDGET: Duration = Duration::from_secs(15);

/// A raw server on loopback: every connection's request head is read, then `answer` decides
/// what happens to the socket. Returns the base URL and the number of connections served.
async fn raw_server<F, Fut>(answer: F) -> (String, Arc<AtomicUsize>)
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&connections);
    let answer = Arc::new(answer);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let answer = Arc::clone(&answer);
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                answer(stream).await;
            });
        }
    });
    (format!("http://127.0.0.1:{port}/v7"), connections)
}

fn client_for(base_url: &str, timeout: Duration) -> Client {
    builder_of(base_url).request_timeout(timeout).build().expect("client")
}

/// Runs `usage()` against the server within the budget; the error, and what the client did.
async fn usage_against(base_url: &str, timeout: Duration) -> (Error, ClientStats) {
    let client = client_for(base_url, timeout);
    let result = tokio::time::timeout(BUDGET, client.usage().send()).await.expect("the call hung");
    let err = result.expect_err("a fault");
    assert!(!format!("{err:?} {err}").contains(TOKEN));
    (err, client.stats())
}

async fn reset(stream: TcpStream) {
    // Linger zero: closing sends RST instead of FIN. (Deprecated because a non-zero linger
    // blocks on drop; zero never does.)
    #[allow(deprecated)]
    let _ = stream.set_linger(Some(Duration::ZERO));
    drop(stream);
}

#[tokio::test(start_paused = true)]
async fn a_connection_reset_mid_headers_is_a_transport_error_after_the_get_retries() {
    let (url, connections) = raw_server(|mut s| async move {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Ty").await;
        reset(s).await;
    })
    .await;
    let (err, stats) = usage_against(&url, Duration::from_secs(5)).await;
    assert!(matches!(err, Error::Transport { operation: "getUsage", .. }), "{err:?}");
    assert_eq!(connections.load(Ordering::SeqCst), 3, "a GET is tried 3 times on transient failures");
    assert_eq!(stats.retry_backoff.count, 2);
}

#[tokio::test(start_paused = true)]
async fn a_connection_reset_mid_body_is_a_transport_error() {
    let (url, _) = raw_server(|mut s| async move {
        let _ = s
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/hal+json\r\nContent-Length: 1000\r\n\r\n{\"usage\":{")
            .await;
        let _ = s.flush().await;
        tokio::time::sleep(Duration::from_millis(20)).await;
        reset(s).await;
    })
    .await;
    let (err, _) = usage_against(&url, Duration::from_secs(5)).await;
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(std::error::Error::source(&err).is_some());
}

#[tokio::test(start_paused = true)]
async fn a_body_shorter_than_its_content_length_is_a_transport_error() {
    let (url, _) = raw_server(|mut s| async move {
        let _ = s
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/hal+json\r\nContent-Length: 500\r\nConnection: close\r\n\r\n{\"usage\":{}}")
            .await;
        let _ = s.shutdown().await;
    })
    .await;
    let (err, _) = usage_against(&url, Duration::from_secs(5)).await;
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
}

#[tokio::test(start_paused = true)]
async fn a_server_that_never_answers_times_out_and_says_so() {
    let (url, connections) = raw_server(|s| async move {
        tokio::time::sleep(Duration::from_secs(60)).await;
        drop(s);
    })
    .await;
    let started = tokio::time::Instant::now();
    let (err, stats) = usage_against(&url, Duration::from_millis(300)).await;
    assert!(
        matches!(err, Error::Timeout { after, connecting: false, .. } if after == Duration::from_millis(300)),
        "{err:?}"
    );
    assert!(err.to_string().contains("0.3 s request timeout"), "{err}");
    assert_eq!(connections.load(Ordering::SeqCst), 3);
    // Three 300 ms attempts and two backoffs, in virtual time (whose timer rounds to the ms).
    let expected = Duration::from_millis(900) + stats.retry_backoff.total;
    let elapsed = started.elapsed();
    assert!(elapsed.abs_diff(expected) <= Duration::from_millis(5), "{elapsed:?} vs {expected:?}");
}

#[tokio::test(start_paused = true)]
async fn a_server_trickling_bytes_past_the_timeout_times_out() {
    let (url, _) = raw_server(|mut s| async move {
        let _ = s
            .write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/hal+json\r\nContent-Length: 100000\r\n\r\n",
            )
            .await;
        for _ in 0..200 {
            if s.write_all(b" ").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    let (err, _) = usage_against(&url, Duration::from_millis(400)).await;
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
}

#[tokio::test]
async fn a_redirect_to_another_host_is_not_followed_and_gets_no_token() {
    let server = MockServer::start_async().await;
    let other = MockServer::start_async().await;
    let trap = other
        .mock_async(|when, then| {
            when.any_request();
            then.status(200).header("content-type", HAL_JSON).body("{}");
        })
        .await;
    let location = other.url("/v7/usage");
    server
        .mock_async(|when, then| {
            when.path("/v7/usage");
            then.status(302).header("location", location.as_str());
        })
        .await;
    let err = client_of(base_url(&server)).usage().send().await.expect_err("302");
    assert_eq!(err.status(), Some(302));
    assert_eq!(trap.calls_async().await, 0, "the redirect was followed");
}

#[tokio::test]
async fn ten_thousand_empty_pages_are_bounded_by_max_pages() {
    let server = MockServer::start_async().await;
    let url = server.url("/v7/usage/units/tests");
    let served = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&served);
    server.mock(move |when, then| {
        when.path("/v7/usage/units/tests");
        then.respond_with(move |_req: &HttpMockRequest| {
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            let next = (n < 10_000).then(|| format!("{url}?cursor=c{n}"));
            HttpMockResponse::builder()
                .status(200)
                .header("content-type", HAL_JSON)
                .body(support::page_body(vec![], next.as_deref()).to_string())
                .build()
        });
    });
    let client = client_of(base_url(&server));
    let pages: Vec<_> = tokio::time::timeout(BUDGET, client.test_units().max_pages(50).pages().try_collect())
        .await
        .expect("bounded")
        .expect("pages");
    assert_eq!(pages.len(), 50);
    assert!(pages.iter().all(|p| p.items().is_empty()));
    assert!(served.load(Ordering::SeqCst) <= 51, "at most one page fetched ahead");
}

#[tokio::test(start_paused = true)]
async fn reset_headers_of_zero_minus_one_and_garbage_fall_back_to_backoff() {
    for value in ["0", "-1", "abc", ""] {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&calls);
        let header = value.to_string();
        let (url, _) = raw_server(move |mut s| {
            let first = counter.fetch_add(1, Ordering::SeqCst) == 0;
            let value = header.clone();
            async move {
                let answer = if first {
                    format!("HTTP/1.1 429 Too Many Requests\r\nx-organization-rate-limit-reset: {value}\r\nContent-Length: 0\r\n\r\n")
                } else {
                    "HTTP/1.1 200 OK\r\nContent-Type: application/hal+json\r\nContent-Length: 2\r\n\r\n{}".to_string()
                };
                let _ = s.write_all(answer.as_bytes()).await;
                let _ = s.shutdown().await;
            }
        })
        .await;
        let client =
            builder_of(url).retry_policy(RetryPolicy::default().with_jitter(false)).build().expect("client");
        client.quotas().send().await.expect("success after backoff");
        let stats = client.stats();
        assert_eq!(stats.after_rate_limit.count, 1, "{value:?}");
        assert_eq!(stats.after_rate_limit.total, Duration::from_millis(500), "{value:?}");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }
}
