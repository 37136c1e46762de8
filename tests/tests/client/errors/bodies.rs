//! Answer bodies at their edges: a chunked body at the limit and one byte over it, an error body
//! over the limit followed by a good retry, a compressed answer however its encoding is spelled.

use crate::{ok_with, usage_json};
use thousandeyes_usage::{Error, RetryPolicy};
use thousandeyes_usage_tests::raw::{RawServer, Reply, Request};
use thousandeyes_usage_tests::support::{builder_of, client_of};

// ---------------------------------------------------------------------------------------------
// Transport and decoding.

/// A chunked body (no Content-Length) of exactly `max_body_bytes` is read; one byte more is
/// `BodyTooLarge`, in many small chunks too.
#[tokio::test(start_paused = true)]
async fn a_chunked_body_at_the_limit_is_read_and_one_byte_more_is_refused() {
    fn chunked(body: &[u8], chunk: usize) -> Reply {
        let mut out =
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                .to_vec();
        for c in body.chunks(chunk) {
            out.extend_from_slice(format!("{:x}\r\n", c.len()).as_bytes());
            out.extend_from_slice(c);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"0\r\n\r\n");
        Reply::raw(out)
    }
    let body = usage_json().to_string().into_bytes();
    let len = body.len();
    for chunk in [1, 7, len] {
        let b = body.clone();
        let server = RawServer::start(move |_: &Request| chunked(&b, chunk)).await;
        let exact = builder_of(server.base_url()).max_body_bytes(len).build().expect("client");
        exact
            .usage()
            .send()
            .await
            .unwrap_or_else(|e| panic!("chunks of {chunk}: a body of exactly the limit: {e}"));
        let short = builder_of(server.base_url()).max_body_bytes(len - 1).build().expect("client");
        let err = short.usage().send().await.expect_err("one byte over");
        assert!(
            matches!(err, Error::BodyTooLarge { limit, .. } if limit == len - 1),
            "chunks of {chunk}: {err:?}"
        );
    }
}

/// "an answer body over max_body_bytes is refused, not buffered", and for an error status "cut
/// at the body limit": a 503 with a body far over the limit (200 kB, limit 256 B) is cut (its
/// excerpt bounded), its connection not reused half-read, and the GET retried to success.
#[tokio::test(start_paused = true)]
async fn an_error_body_over_the_limit_is_cut_and_the_retry_succeeds() {
    let server = RawServer::start(|req: &Request| {
        if req.index == 0 {
            let body = format!(r#"{{"title":"Service Unavailable","detail":"{}"}}"#, "x".repeat(200_000));
            Reply::status(503).header("Content-Type", "application/problem+json").body(body).into()
        } else {
            ok_with(Vec::new())
        }
    })
    .await;
    let c = builder_of(server.base_url()).max_body_bytes(256).build().expect("client");
    let usage = c.usage().send().await.expect("retried after the 503");
    assert_eq!(usage.cloud_units_used, Some(42));
    assert_eq!(server.count(), 2);
    let server2 = RawServer::start(|_: &Request| {
        let body = format!(r#"{{"title":"Service Unavailable","detail":"{}"}}"#, "x".repeat(200_000));
        Reply::status(503).header("Content-Type", "application/problem+json").body(body).into()
    })
    .await;
    let err = builder_of(server2.base_url())
        .max_body_bytes(256)
        .retry_policy(RetryPolicy::disabled())
        .build()
        .expect("client")
        .usage()
        .send()
        .await
        .expect_err("503");
    assert_eq!(err.status(), Some(503), "{err:?}");
    let excerpt_len = err.as_api().map(|a| format!("{a:?}").len()).unwrap_or(0);
    assert!(excerpt_len < 2_000, "the error quotes {excerpt_len} bytes of a body cut at 256");
}

/// "UnexpectedBody: a 2xx that ... came compressed without being asked (content_encoding)":
/// however the server spells the encoding, in one header or two.
#[tokio::test(start_paused = true)]
async fn a_compressed_answer_is_reported_as_compressed_however_the_encoding_is_spelled() {
    let gz: Vec<u8> =
        vec![0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xab, 0xae, 0x05, 0x00];
    let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("gzip", vec![("Content-Encoding", "gzip")]),
        ("GZIP with spaces", vec![("Content-Encoding", " GZIP ")]),
        ("identity, gzip", vec![("Content-Encoding", "identity, gzip")]),
        (
            "two headers: identity then gzip",
            vec![("Content-Encoding", "identity"), ("Content-Encoding", "gzip")],
        ),
        ("x-gzip", vec![("Content-Encoding", "x-gzip")]),
    ];
    let mut misreported = Vec::new();
    for (what, headers) in cases {
        let mut response = Reply::status(200).header("Content-Type", "application/hal+json");
        for (k, v) in headers {
            response = response.header(k, v);
        }
        let reply: Reply = response.body(gz.clone()).into();
        let server = RawServer::script(vec![reply]).await;
        let err = client_of(server.base_url()).usage().send().await.expect_err("compressed");
        if !matches!(err, Error::UnexpectedBody { content_encoding: Some(_), .. }) {
            misreported.push(format!("{what}: {err}"));
        }
    }
    assert!(misreported.is_empty(), "compressed answers not reported as such:\n{}", misreported.join("\n"));
}
