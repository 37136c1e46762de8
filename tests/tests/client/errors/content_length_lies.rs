//! Answers whose `Content-Length` lies: 64 GiB announced with no body limit, 32 MiB announced
//! by many answers at once that then stall. The client's memory must grow with the bytes that
//! arrive, not with the bytes announced: no reservation up front, no abort.
//!
//! Each probe runs in a child process ([`isolated`]): an abort (a failed 64 GiB allocation)
//! then fails its one test, and the child's allocation counters see nothing but the probe.

use std::time::Duration;

use thousandeyes_usage::{Error, RetryPolicy};
use thousandeyes_usage_tests::raw::{RawServer, Reply};
use thousandeyes_usage_tests::support::builder_of;

use crate::{isolated, paused_runtime, Allocations, MIB};

/// 60 GiB: more than this machine, or most, could ever reserve.
const ANNOUNCED_64_GIB: u64 = 64_424_509_440;

/// The default body limit, 32 MiB.
const ANNOUNCED_32_MIB: u64 = 32 << 20;

/// What a few MiB means here: the most any probe may raise the peak allocation by.
const FEW_MIB: usize = 4 * MIB;

/// An answer with `status` announcing `announced` bytes, sending `sent` bytes of them, then
/// holding the connection open.
fn stalled(status: u16, announced: u64, sent: usize) -> Reply {
    let body: Vec<u8> =
        br#"{"usage":{"cloudUnitsUsed":"#.iter().copied().chain(std::iter::repeat(b' ')).take(sent).collect();
    Reply::status(status)
        .header(
            "Content-Type",
            if status < 400 { "application/hal+json" } else { "application/problem+json" },
        )
        .content_length(announced)
        .body(body)
        .then_hang()
}

/// One `GET /usage` against an answer announcing 64 GiB with no body limit: it ends in a
/// timeout or transport error, having allocated no more than a few MiB.
async fn announced_64_gib(status: u16) {
    let server = RawServer::script(vec![stalled(status, ANNOUNCED_64_GIB, 64 * 1024)]).await;
    let client = builder_of(server.base_url())
        .max_body_bytes(usize::MAX)
        .request_timeout(Duration::from_secs(2))
        .build()
        .expect("client");
    let memory = Allocations::start();
    let result = client.usage().send().await;
    let (growth, largest) = (memory.peak_growth(), memory.largest_request());
    println!("HTTP {status} announcing 64 GiB: peak growth {growth} B, largest allocation {largest} B");
    let err = result.expect_err("an answer that never completes cannot succeed");
    assert!(matches!(err, Error::Timeout { .. } | Error::Transport { .. }), "{err:?}");
    assert!(server.count() >= 1, "the request reached the server");
    assert!(growth < FEW_MIB, "64 KiB arrived, but the peak allocation rose by {growth} bytes");
    assert!(largest < FEW_MIB, "64 KiB arrived, but one allocation of {largest} bytes was asked for");
}

#[test]
fn announced_64_gib_body_with_no_limit_does_not_abort() {
    isolated(&test_name!(announced_64_gib_body_with_no_limit_does_not_abort), || {
        paused_runtime().block_on(announced_64_gib(200))
    });
}

#[test]
fn announced_64_gib_error_body_with_no_limit_does_not_abort() {
    isolated(&test_name!(announced_64_gib_error_body_with_no_limit_does_not_abort), || {
        paused_runtime().block_on(announced_64_gib(503))
    });
}

/// Fifty calls at once, each answered (200 or 503, alternately) with `announced` bytes
/// announced, 40 sent, then silence. Returns the peak growth and the largest allocation asked for.
async fn fifty_stalled(announced: u64) -> (usize, usize) {
    let server = RawServer::start(move |req| {
        let status = if req.index % 2 == 0 { 200 } else { 503 };
        stalled(status, announced, 40)
    })
    .await;
    let client = builder_of(server.base_url())
        .request_timeout(Duration::from_secs(5))
        .retry_policy(RetryPolicy::disabled())
        .build()
        .expect("client");
    let memory = Allocations::start();
    let calls = (0..50).map(|_| {
        let client = client.clone();
        async move { client.usage().send().await }
    });
    let results = futures::future::join_all(calls).await;
    let measured = (memory.peak_growth(), memory.largest_request());
    assert_eq!(server.count(), 50, "every call reached the server");
    for result in results {
        let err = result.expect_err("a stalled answer cannot succeed");
        assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    }
    measured
}

/// Fifty stalled answers announcing 32 MiB each (the default limit) must not reserve what they
/// announce (1.6 GiB): the peak may exceed that of fifty honest answers of 100 bytes, stalled
/// alike, by a few MiB at most.
#[test]
fn fifty_stalled_answers_announcing_32_mib_each_reserve_only_what_arrived() {
    isolated(&test_name!(fifty_stalled_answers_announcing_32_mib_each_reserve_only_what_arrived), || {
        paused_runtime().block_on(async {
            let (honest, honest_largest) = fifty_stalled(100).await;
            let (lying, largest) = fifty_stalled(ANNOUNCED_32_MIB).await;
            println!(
                "50 stalled answers: peak growth {honest} B announcing 100 B (largest allocation \
                 {honest_largest} B), {lying} B announcing 32 MiB (largest allocation {largest} B)"
            );
            assert!(
                lying < honest + FEW_MIB,
                "50 x 40 bytes arrived, but the peak allocation rose by {lying} bytes \
                 ({honest} for the same answers announcing 100 bytes)"
            );
            assert!(
                largest < FEW_MIB,
                "50 x 40 bytes arrived, but one allocation of {largest} bytes was asked for"
            );
        })
    });
}

/// An announcement over the limit is refused at once, before any reservation.
#[test]
fn announced_body_over_the_limit_is_refused_without_reserving_it() {
    isolated(&test_name!(announced_body_over_the_limit_is_refused_without_reserving_it), || {
        paused_runtime().block_on(async {
            let server = RawServer::script(vec![stalled(200, ANNOUNCED_64_GIB, 1024)]).await;
            let client = builder_of(server.base_url()).max_body_bytes(MIB).build().expect("client");
            let memory = Allocations::start();
            let result = client.usage().send().await;
            let growth = memory.peak_growth();
            let err = result.expect_err("over the limit");
            assert!(matches!(err, Error::BodyTooLarge { limit, .. } if limit == MIB), "{err:?}");
            assert_eq!(server.count(), 1, "a body too large is not retried");
            assert!(growth < FEW_MIB, "the peak allocation rose by {growth} bytes");
        })
    });
}

/// A body with no `Content-Length` that keeps coming is cut off at the limit,
/// holding no more than the limit.
#[test]
fn undeclared_body_over_the_limit_is_cut_off_at_the_limit() {
    isolated(&test_name!(undeclared_body_over_the_limit_is_cut_off_at_the_limit), || {
        paused_runtime().block_on(async {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/hal+json\r\nConnection: close\r\n\r\n";
            let server = RawServer::script(vec![Reply::raw(head)
                .then_write(vec![b' '; 3 * MIB])
                .then_write(vec![b' '; 3 * MIB])
                .then_close()])
            .await;
            let client = builder_of(server.base_url()).max_body_bytes(MIB).build().expect("client");
            let memory = Allocations::start();
            let result = client.usage().send().await;
            let growth = memory.peak_growth();
            println!("6 MiB sent, 1 MiB limit: peak growth {growth} B");
            let err = result.expect_err("over the limit");
            assert!(matches!(err, Error::BodyTooLarge { .. }), "{err:?}");
            assert!(
                growth < MIB + FEW_MIB,
                "6 MiB sent, 1 MiB limit: the peak allocation rose by {growth} bytes"
            );
        })
    });
}
