//! Proxies: which requests go through one, and which never do.
//!
//! The fake Usage API serves as the proxy: an HTTP proxy is sent the request with the target's
//! absolute URL (`GET http://api.example.test/v7/usage`), which the fake answers itself. A
//! request it records with `Host: api.example.test` can only have reached it as a proxy, since
//! the client was given that host, not the fake's address. A target host is then never
//! resolved, so nothing is asked of DNS either.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use thousandeyes_usage::{Client, Error, RetryPolicy};
use thousandeyes_usage_fake::FakeUsageApi;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

use crate::support::{builder_of, TOKEN};
use crate::{
    awkward_passwords, dead_port, everything_shown, is_child, is_encoded, read_head, run_child,
    shows_a_password_piece,
};

/// A base URL on a host that is not loopback and does not exist.
const REMOTE: &str = "http://api.example.test/v7";

/// The `Host` header of every request the fake received.
fn hosts(fake: &FakeUsageApi) -> Vec<String> {
    fake.requests()
        .iter()
        .map(|r| r.headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or_default().to_string())
        .collect()
}

/// The child's part: a client from the `TE_*` variables (plain http allowed) gets `/usage`.
async fn child_gets_usage() {
    let client = Client::builder_from_env().expect("TE_* variables").allow_insecure_http(true).build();
    let usage = client.expect("client").usage().send().await;
    usage.expect("usage through the route the environment gives");
}

#[tokio::test]
async fn a_remote_base_url_goes_through_the_proxy_given_to_the_builder() {
    let proxy = FakeUsageApi::start().await;
    let client = builder_of(REMOTE)
        .allow_insecure_http(true)
        .proxy(format!("http://{}", proxy.addr()))
        .build()
        .expect("client");
    client.usage().send().await.expect("usage through the proxy");
    assert_eq!(hosts(&proxy), ["api.example.test"]);
}

#[tokio::test]
async fn a_proxy_given_to_the_builder_carries_loopback_requests_too() {
    let (proxy, target) = (FakeUsageApi::start().await, FakeUsageApi::start().await);
    let client =
        builder_of(target.base_url()).proxy(format!("http://{}", proxy.addr())).build().expect("client");
    client.usage().send().await.expect("usage through the proxy");
    assert_eq!(hosts(&proxy), [target.addr().to_string()]);
    assert_eq!(target.request_count(), 0);
}

#[tokio::test]
async fn each_proxy_variable_carries_a_remote_request() {
    const NAME: &str = "proxy::each_proxy_variable_carries_a_remote_request";
    if is_child(NAME) {
        return child_gets_usage().await;
    }
    for var in ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"] {
        let proxy = FakeUsageApi::start().await;
        let url = format!("http://{}", proxy.addr());
        run_child(NAME, &[(var, &url), ("TE_TOKEN", proxy.token()), ("TE_API_ENDPOINT", REMOTE)]).await;
        assert_eq!(hosts(&proxy), ["api.example.test"], "{var}");
    }
}

#[tokio::test]
async fn no_proxy_excludes_a_host_from_the_environments_proxy() {
    const NAME: &str = "proxy::no_proxy_excludes_a_host_from_the_environments_proxy";
    if is_child(NAME) {
        return child_gets_usage().await;
    }
    // 0.0.0.0 is not loopback (so the environment's proxy applies to it), yet a connection to
    // it stays on this machine: Linux connects it to the local host. (Also used below.)
    let (proxy, target) = (FakeUsageApi::start().await, FakeUsageApi::start().await);
    let base = format!("http://0.0.0.0:{}/v7", target.addr().port());
    let proxy_url = format!("http://{}", proxy.addr());
    let vars = |no_proxy: Option<(&'static str, &'static str)>| {
        let mut vars = vec![("HTTP_PROXY", proxy_url.clone()), ("TE_TOKEN", target.token().to_string())];
        vars.push(("TE_API_ENDPOINT", base.clone()));
        vars.extend(no_proxy.map(|(k, v)| (k, v.to_string())));
        vars
    };
    for (var, list) in [("NO_PROXY", "api.example.test, 0.0.0.0"), ("no_proxy", "0.0.0.0")] {
        let vars = vars(Some((var, list)));
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        run_child(NAME, &vars).await;
    }
    assert_eq!(proxy.request_count(), 0, "a host NO_PROXY lists went through the proxy");
    assert_eq!(target.request_count(), 2);
    // Without NO_PROXY, the same host goes through the proxy.
    let vars = vars(None);
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    run_child(NAME, &vars).await;
    assert_eq!(hosts(&proxy), [format!("0.0.0.0:{}", target.addr().port())]);
}

#[tokio::test]
async fn loopback_base_urls_never_go_through_the_environments_proxy() {
    const NAME: &str = "proxy::loopback_base_urls_never_go_through_the_environments_proxy";
    if is_child(NAME) {
        return child_gets_usage().await;
    }
    let target = FakeUsageApi::start().await;
    let dead = format!("http://127.0.0.1:{}", dead_port());
    let port = target.addr().port();
    for base in [target.base_url(), format!("http://localhost:{port}/v7")] {
        let mut vars: Vec<(&str, &str)> = ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"]
            .into_iter()
            .chain(["ALL_PROXY", "all_proxy"])
            .map(|var| (var, dead.as_str()))
            .collect();
        vars.extend([("TE_TOKEN", target.token()), ("TE_API_ENDPOINT", base.as_str())]);
        run_child(NAME, &vars).await;
    }
    assert_eq!(target.request_count(), 2);
}

#[tokio::test]
async fn no_proxy_on_the_builder_ignores_the_environments_proxy() {
    const NAME: &str = "proxy::no_proxy_on_the_builder_ignores_the_environments_proxy";
    if is_child(NAME) {
        let builder = Client::builder_from_env().expect("TE_* variables").allow_insecure_http(true);
        let client = builder.no_proxy().build().expect("client");
        client.usage().send().await.expect("usage straight from the target");
        return;
    }
    let (proxy, target) = (FakeUsageApi::start().await, FakeUsageApi::start().await);
    let base = format!("http://0.0.0.0:{}/v7", target.addr().port());
    let proxy_url = format!("http://{}", proxy.addr());
    run_child(NAME, &[("HTTP_PROXY", &proxy_url), ("TE_TOKEN", target.token()), ("TE_API_ENDPOINT", &base)])
        .await;
    assert_eq!((proxy.request_count(), target.request_count()), (0, 1));
}

/// A proxy that refuses every request with `answer` (a whole HTTP/1.1 response), and records
/// the head of each: a `CONNECT`, or a plain-http request to forward.
struct RefusingProxy {
    addr: SocketAddr,
    heads: Arc<Mutex<Vec<String>>>,
}

/// A 407 that asks for Basic credentials.
const AUTH_REQUIRED: &str = "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic \
                             realm=\"corp\"\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\naccess denied";

impl RefusingProxy {
    async fn start(answer: &'static str) -> RefusingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let heads = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&heads);
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let record = Arc::clone(&record);
                tokio::spawn(async move {
                    while let Some(head) = read_head(&mut client).await {
                        record.lock().expect("heads").push(head);
                        if client.write_all(answer.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        RefusingProxy { addr, heads }
    }

    /// The heads received that start with `method`.
    fn requests(&self, method: &str) -> Vec<String> {
        self.heads.lock().expect("heads").iter().filter(|h| h.starts_with(method)).cloned().collect()
    }
}

/// A client that would try again at once, were it to try again.
fn eager(builder: thousandeyes_usage::ClientBuilder) -> Result<Client, Error> {
    let policy = RetryPolicy::default().with_initial_backoff(Duration::from_millis(1)).with_jitter(false);
    builder.retry_policy(policy).build()
}

/// A proxy's refusal of credentials: not retried, a message naming the proxy and its 407 on one
/// line, and no piece of the password anywhere.
fn assert_refused_credentials(err: &Error, proxy: SocketAddr) {
    match err {
        Error::ProxyRefused { proxy: Some(named), status: Some(407), credentials: true, .. } => {
            assert_eq!(*named, proxy.to_string());
        }
        other => panic!("expected the proxy's refusal of our credentials, got {other:?}"),
    }
    assert!(!err.is_retryable());
    assert_eq!(err.status(), None, "the proxy's status is not the API's");
    let message = err.to_string();
    assert!(message.ends_with(&format!("the proxy {proxy} refused our credentials (407)")), "{message}");
    assert!(!message.contains('\n'), "{message}");
    assert!(!shows_a_password_piece(&everything_shown(err)), "{}", everything_shown(err));
}

#[tokio::test]
async fn a_proxy_refusing_our_credentials_gets_one_connect_and_no_password_shows() {
    let proxy = RefusingProxy::start(AUTH_REQUIRED).await;
    let mut refused = 0;
    for password in awkward_passwords() {
        let url = format!("http://svc-usage:{password}@{}", proxy.addr);
        let builder = builder_of("https://api.example.test/v7");
        let client = match eager(builder.proxy(url.clone())) {
            Ok(client) => client,
            // A URL that does not parse as a proxy's: refused at build(), never shown.
            Err(err) => {
                assert!(!is_encoded(&password), "{password}: {err}");
                assert!(matches!(err, Error::Config { .. }), "{err:?}");
                assert!(!shows_a_password_piece(&everything_shown(&err)), "{err:?}");
                continue;
            }
        };
        let before = proxy.requests("CONNECT").len();
        let err = client.usage().send().await.expect_err("407");
        assert_refused_credentials(&err, proxy.addr);
        assert_eq!(proxy.requests("CONNECT").len(), before + 1, "{password}: one CONNECT");
        assert_eq!(client.stats().requests_sent, 1);
        refused += 1;
    }
    assert!(refused >= 6, "every encoded password reaches the proxy: {refused}");
    for head in proxy.requests("CONNECT") {
        assert!(head.starts_with("CONNECT api.example.test:443 HTTP/1.1\r\n"), "{head}");
        assert!(head.to_ascii_lowercase().contains("proxy-authorization: basic "), "{head}");
    }
}

/// Calls a program starts at once, from one client or several with the same proxy and
/// credentials, wait for the first one's answer: a proxy that refuses our credentials sees one
/// login, not one per call; and after the refusal they send it nothing (for 30 minutes: the
/// gate's unit tests hold the rest), since a directory locks an account after a few failed
/// logins.
#[tokio::test]
async fn calls_started_at_once_through_a_proxy_refusing_our_credentials_make_one_login_and_later_calls_none()
{
    let proxy = RefusingProxy::start(AUTH_REQUIRED).await;
    let url = format!("http://svc-usage:Xq7%2FZw9@{}", proxy.addr);
    let client = eager(builder_of("https://api.example.test/v7").proxy(url.clone())).expect("client");
    // Another client of this process with the same proxy and credentials (another organization,
    // say) shares the gate.
    let other = eager(builder_of("https://api.example.test/v7").proxy(url)).expect("client");
    let calls = (0..4).map(|i| {
        let client = if i % 2 == 0 { client.clone() } else { other.clone() };
        tokio::spawn(async move { client.usage().send().await })
    });
    for call in futures::future::join_all(calls).await {
        let err = call.expect("the call's task").expect_err("407");
        assert_refused_credentials(&err, proxy.addr);
    }
    assert_eq!(proxy.requests("CONNECT").len(), 1, "one login for four calls started at once");

    for client in [&client, &other] {
        let later = client.test_units().send().await.expect_err("not sent");
        assert_refused_credentials(&later, proxy.addr);
        let causes = everything_shown(&later);
        assert!(
            causes.contains("not sent: the proxy refused these credentials less than 30 minutes ago"),
            "{causes}"
        );
    }
    assert_eq!(proxy.requests("CONNECT").len(), 1, "no login after the refusal");
    assert_eq!(client.stats().requests_sent + other.stats().requests_sent, 1);
}

#[tokio::test]
async fn a_proxy_refusing_credentials_from_the_environment_gets_one_connect_and_no_password_shows() {
    // A password cut by an unencoded `/`, `?` or `#` is refused at build() instead, naming the
    // variable (a piece of it would be read as the proxy's host or port).
    const NAME: &str =
        "proxy::a_proxy_refusing_credentials_from_the_environment_gets_one_connect_and_no_password_shows";
    if is_child(NAME) {
        let err = match eager(Client::builder_from_env().expect("TE_* variables")) {
            Ok(client) => client.usage().send().await.expect_err("refused, or no proxy and no such host"),
            Err(err) => err,
        };
        let shown = everything_shown(&err);
        assert!(!shows_a_password_piece(&shown), "{shown}");
        let proxy: SocketAddr = std::env::var("PROXY_ADDR").expect("PROXY_ADDR").parse().expect("addr");
        if std::env::var("EXPECT_REFUSAL").is_ok() {
            assert_refused_credentials(&err, proxy);
        }
        // A password with an unencoded `/`, `?` or `#` is refused at build(), naming the variable.
        if let Ok(var) = std::env::var("EXPECT_CONFIG") {
            match &err {
                Error::Config { setting, reason, .. } => {
                    assert_eq!(setting, &var);
                    assert!(reason.contains("percent-encode them"), "{reason}");
                }
                other => panic!("expected a config error naming {var}, got {other:?}"),
            }
        }
        return;
    }
    let proxy = RefusingProxy::start(AUTH_REQUIRED).await;
    let addr = proxy.addr.to_string();
    for var in ["HTTPS_PROXY", "https_proxy", "ALL_PROXY"] {
        for password in awkward_passwords() {
            let url = format!("http://svc-usage:{password}@{addr}");
            let before = proxy.requests("CONNECT").len();
            let mut vars = vec![
                (var, url.as_str()),
                ("TE_TOKEN", TOKEN),
                ("TE_API_ENDPOINT", "https://api.example.test/v7"),
                ("PROXY_ADDR", addr.as_str()),
            ];
            let cut = password.contains(['/', '?', '#']);
            if is_encoded(&password) {
                vars.push(("EXPECT_REFUSAL", "1"));
            } else if cut {
                vars.push(("EXPECT_CONFIG", var));
            }
            run_child(NAME, &vars).await;
            let connects = proxy.requests("CONNECT").len() - before;
            if is_encoded(&password) {
                assert_eq!(connects, 1, "{var} with {password}: one CONNECT");
            } else if cut {
                assert_eq!(connects, 0, "{var} with {password}: refused before any request");
            } else {
                assert!(connects <= 1, "{var} with {password}: {connects} CONNECTs");
            }
        }
    }
}

/// The check of a proxy variable's password reads the variables as the HTTP client does: a cut
/// password in a variable that does not apply (NO_PROXY excludes the host, or `https_proxy` when
/// `HTTPS_PROXY` is set) is not refused; one in `https_proxy` is, when it applies.
#[tokio::test]
async fn a_cut_proxy_password_is_refused_only_in_the_variable_that_applies() {
    const NAME: &str = "proxy::a_cut_proxy_password_is_refused_only_in_the_variable_that_applies";
    if is_child(NAME) {
        let built = Client::builder_from_env().expect("TE_* variables").build();
        match (built, std::env::var("EXPECT_CONFIG")) {
            (Err(Error::Config { setting, .. }), Ok(var)) => assert_eq!(setting, var),
            (Ok(_), Err(_)) => {}
            (other, expected) => panic!("expected {expected:?}, got {other:?}"),
        }
        return;
    }
    let cut = "http://svc-usage:2024/Summer@127.0.0.1:9";
    let good = "http://127.0.0.1:9";
    let base = ("TE_API_ENDPOINT", "https://api.example.test/v7");
    let token = ("TE_TOKEN", TOKEN);
    for vars in [
        vec![("HTTPS_PROXY", cut), ("NO_PROXY", "example.test"), base, token],
        vec![("HTTPS_PROXY", good), ("https_proxy", cut), base, token],
        vec![("HTTP_PROXY", cut), base, token],
        vec![("https_proxy", cut), ("ALL_PROXY", good), base, token, ("EXPECT_CONFIG", "https_proxy")],
        vec![("HTTPS_PROXY", ""), ("ALL_PROXY", cut), base, token, ("EXPECT_CONFIG", "ALL_PROXY")],
    ] {
        run_child(NAME, &vars).await;
    }
}

#[tokio::test]
async fn a_proxy_asking_for_credentials_none_were_given_says_so_once() {
    let proxy = RefusingProxy::start(AUTH_REQUIRED).await;
    let builder = builder_of("https://api.example.test/v7");
    let client = eager(builder.proxy(format!("http://{}", proxy.addr))).expect("client");
    let err = client.quotas().send().await.expect_err("407");
    assert!(matches!(&err, Error::ProxyRefused { status: Some(407), credentials: false, .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains(&format!("the proxy {} asks for credentials (407)", proxy.addr)), "{message}");
    assert_eq!(proxy.requests("CONNECT").len(), 1);
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn a_proxy_refusing_to_open_the_tunnel_is_not_retried() {
    let proxy = RefusingProxy::start("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n").await;
    let builder = builder_of("https://api.example.test/v7");
    let client = eager(builder.proxy(format!("http://{}", proxy.addr))).expect("client");
    let err = client.usage().send().await.expect_err("403 to CONNECT");
    assert!(matches!(&err, Error::ProxyRefused { status: None, .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains(&format!("the proxy {} refused to open a tunnel", proxy.addr)), "{message}");
    assert_eq!(proxy.requests("CONNECT").len(), 1, "one CONNECT");
    assert!(!err.is_retryable());
}

/// A plain-http base URL goes to the proxy as a request to forward, not through a tunnel: its
/// 407 is an answer, and the same refusal.
#[tokio::test]
async fn a_forwarding_proxy_answering_407_is_the_proxys_refusal_sent_once() {
    let proxy = RefusingProxy::start(AUTH_REQUIRED).await;
    let builder = builder_of(REMOTE)
        .allow_insecure_http(true)
        .proxy(format!("http://svc-usage:Xq7%2FZw9@{}", proxy.addr));
    let err = eager(builder).expect("client").usage().send().await.expect_err("407");
    assert_refused_credentials(&err, proxy.addr);
    let forwarded = proxy.requests("GET");
    assert_eq!(forwarded.len(), 1, "sent once");
    assert!(forwarded[0].starts_with("GET http://api.example.test/v7/usage HTTP/1.1"), "{}", forwarded[0]);
}
