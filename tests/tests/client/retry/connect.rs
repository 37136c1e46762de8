//! Failures to connect: nothing was sent, so they are retried within the transient budget for
//! every method, POST included. A POST whose connection fails after the request was written may
//! have reached the server, and is never sent twice.

use std::net::SocketAddr;
use std::time::Duration;

use thousandeyes_usage::{Error, RetryPolicy};
use thousandeyes_usage_fake::{FakeUsageApi, Operation};
use thousandeyes_usage_tests::capture::Captured;
use thousandeyes_usage_tests::raw::{RawServer, Reply};
use thousandeyes_usage_tests::support::{builder_of, client_of, TOKEN};
use tokio::net::{TcpListener, TcpStream};

use crate::listener_with_full_backlog;

/// A loopback port nothing listens on (until the test binds it).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// Forwards every connection accepted on `listener` to `to`, bytes as they come.
fn forward(listener: TcpListener, to: SocketAddr) {
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            tokio::spawn(async move {
                if let Ok(mut outbound) = TcpStream::connect(to).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
}

/// The fake listens behind a port that refuses the first connect: the port is bound (and
/// forwarded to the fake) only once the client has logged its retry. Virtual time stands still
/// while this test's task runs, so the server is there before the client's backoff ends.
#[tokio::test(start_paused = true)]
async fn a_quota_post_whose_first_connect_is_refused_succeeds_and_reaches_the_server_once() {
    let log = Captured::default();
    let _guard = log.install(false);
    let fake = FakeUsageApi::builder().token(TOKEN).start().await;
    let port = free_port();
    let client = builder_of(format!("http://127.0.0.1:{port}/v7"))
        .retry_policy(RetryPolicy::default().with_jitter(false))
        .build()
        .expect("client");
    let call = tokio::spawn({
        let client = client.clone();
        async move { client.assign_organization_quotas().quota("1001", 5).send().await }
    });
    while !log.text().contains("retrying after a transient failure") {
        assert!(!call.is_finished(), "the refused POST was not retried: {:?}", call.await);
        tokio::task::yield_now().await;
    }
    forward(TcpListener::bind(("127.0.0.1", port)).await.expect("bind the refused port"), fake.addr());
    let set = call.await.expect("the call's task").expect("the retry reaches the server");
    assert_eq!(set.iter().map(|o| (o.org_id.as_deref(), o.value)).collect::<Vec<_>>(), [(Some("1001"), 5)]);
    assert_eq!(fake.requests_for(Operation::AssignOrganizationsQuotas).len(), 1, "received exactly once");
    let stats = client.stats();
    assert_eq!((stats.requests_sent, stats.retries, stats.retry_backoff.count), (2, 1, 1), "{stats:?}");
}

#[tokio::test(start_paused = true)]
async fn a_quota_post_whose_connection_resets_after_the_request_is_written_is_sent_once() {
    let server = RawServer::script(vec![Reply::raw(Vec::new()).then_reset()]).await;
    let client = client_of(server.base_url());
    let err = client.assign_organization_quotas().quota("1001", 5).send().await.expect_err("reset");
    assert!(matches!(err, Error::Transport { sent: true, .. }), "it may have been carried out: {err:?}");
    assert_eq!(server.count(), 1, "a POST that may have reached the server is never sent twice");
    assert_eq!(client.stats().retries, 0);
}

/// A connect that times out sent nothing either: a POST is tried again, within the transient
/// budget, and the last attempt's error says that connecting timed out.
#[tokio::test(start_paused = true)]
async fn a_quota_post_whose_connect_times_out_is_retried_within_the_transient_budget() {
    let (addr, _listener, _held) = listener_with_full_backlog();
    let client = builder_of(format!("http://{addr}/v7"))
        .connect_timeout(Duration::from_secs(1))
        .retry_policy(RetryPolicy::default().with_transient_attempts(2).with_jitter(false))
        .build()
        .expect("client");
    let err = client.assign_organization_quotas().quota("1001", 5).send().await.expect_err("never connects");
    assert!(matches!(err, Error::Timeout { connecting: true, .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.ends_with(&format!("connecting to {addr} timed out after 1.0 s")), "{message}");
    let stats = client.stats();
    assert_eq!((stats.requests_sent, stats.retries, stats.retry_backoff.count), (2, 1, 1), "{stats:?}");
}

/// Through a proxy, the first connection is to the proxy: a connect timeout names it.
#[tokio::test(start_paused = true)]
async fn a_connect_timeout_through_a_proxy_names_the_proxy() {
    let (addr, _listener, _held) = listener_with_full_backlog();
    let client = builder_of("https://api.example.test/v7")
        .proxy(format!("http://{addr}"))
        .connect_timeout(Duration::from_secs(1))
        .retry_policy(RetryPolicy::default().with_transient_attempts(1))
        .build()
        .expect("client");
    let err = client.usage().send().await.expect_err("never connects");
    assert!(
        matches!(&err, Error::Timeout { connecting: true, peer: Some(p), at_proxy: true, .. } if *p == addr.to_string()),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.ends_with(&format!("connecting through the proxy {addr} timed out after 1.0 s")),
        "{message}"
    );
}

/// A refused connection is retried within the transient budget, and the message says what
/// failed and where.
#[tokio::test(start_paused = true)]
async fn a_refused_get_is_retried_and_its_message_names_the_address() {
    let port = free_port();
    let client = builder_of(format!("http://127.0.0.1:{port}/v7"))
        .retry_policy(RetryPolicy::default().with_jitter(false))
        .build()
        .expect("client");
    let err = client.usage().send().await.expect_err("refused");
    assert!(matches!(err, Error::Transport { sent: false, .. }), "nothing was sent: {err:?}");
    assert!(err.is_retryable());
    assert_eq!(err.to_string(), format!("getUsage: the connection to 127.0.0.1:{port} was refused"));
    let stats = client.stats();
    assert_eq!((stats.requests_sent, stats.retries), (3, 2), "{stats:?}");
}

/// Through a proxy that refuses connections, the message names the proxy, and the failure is
/// retried like any refused connection: the request never left.
#[tokio::test(start_paused = true)]
async fn a_proxy_refusing_the_connection_is_retried_and_named() {
    let port = free_port();
    let client = builder_of("https://api.example.test/v7")
        .proxy(format!("http://127.0.0.1:{port}"))
        .retry_policy(RetryPolicy::default().with_jitter(false))
        .build()
        .expect("client");
    let err = client.assign_organization_quotas().quota("1001", 5).send().await.expect_err("refused");
    assert!(err.is_retryable(), "{err:?}");
    let message = err.to_string();
    assert!(
        message.ends_with(&format!("the connection to the proxy 127.0.0.1:{port} was refused")),
        "{message}"
    );
    assert_eq!(client.stats().requests_sent, 3, "a POST that was never sent is tried again");
}

/// A host name that does not resolve (`.invalid` never does, without asking the network) is
/// retried for every method, POST included: nothing was sent. Real time, with a backoff of a
/// millisecond: the name is looked up on a blocking thread, which paused time would not wait
/// for.
#[tokio::test]
async fn a_host_name_that_does_not_resolve_is_retried_and_named() {
    let client = builder_of("https://nonexistent.invalid/v7")
        .no_proxy()
        .retry_policy(
            RetryPolicy::default().with_initial_backoff(Duration::from_millis(1)).with_jitter(false),
        )
        .build()
        .expect("client");
    let get = client.usage().send().await.expect_err("no such host");
    let post = client.assign_organization_quotas().quota("1001", 5).send().await.expect_err("no such host");
    for err in [&get, &post] {
        assert!(matches!(err, Error::Transport { .. }), "{err:?}");
        assert!(err.is_retryable(), "{err:?}");
        let message = err.to_string();
        assert!(message.contains("the host name nonexistent.invalid could not be resolved"), "{message}");
        assert!(!message.contains('\n'), "{message}");
    }
    let stats = client.stats();
    assert_eq!((stats.requests_sent, stats.retries), (6, 4), "three attempts each: {stats:?}");
}
