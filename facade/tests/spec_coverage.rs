//! The facade keeps up with the spec: every operation the generated crate describes
//! (`apis::OPERATIONS`, one entry per operationId of `openapi/usage.yaml`) has a builder, and
//! every parameter it declares can be set through that builder. `cargo xtask codegen` runs this
//! after regenerating; a spec change the facade does not cover fails here, naming what is missing.
//!
//! Each builder is called with every setter against a loopback server that records what arrives,
//! so what is checked is the request on the wire, not a list the facade keeps about itself.
//! Enum values need no entry: every value of `ExpandUsageOptions::ALL` is sent.

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use chrono::{Duration, Utc};
use support::client_of;
use thousandeyes_usage::models::ExpandUsageOptions;
use thousandeyes_usage::{Client, Error, DEFAULT_BASE_URL};
use thousandeyes_usage_generated::apis::{OperationInfo, OPERATIONS};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

mod support;

type Call = Pin<Box<dyn Future<Output = Result<(), Error>> + Send>>;

/// How the facade sends each operation, with every parameter set.
fn facade_calls(client: &Client) -> Vec<(&'static str, Call)> {
    let end = Utc::now() - Duration::hours(1);
    let start = end - Duration::days(7);
    let c = client.clone();
    vec![
        (
            "getUsage",
            Box::pin(async move {
                c.usage().aid("1234").expand(ExpandUsageOptions::ALL.iter().copied()).send().await.map(drop)
            }),
        ),
        ("getTestsUnitsUsage", {
            let c = client.clone();
            Box::pin(async move {
                c.test_units().aid("1234").start(start).end(end).cursor("c2").send().await.map(drop)
            })
        }),
        ("getEnterpriseAgentsUnitsUsage", {
            let c = client.clone();
            Box::pin(async move { c.agent_units().start(start).end(end).cursor("c2").send().await.map(drop) })
        }),
        ("getQuotas", {
            let c = client.clone();
            Box::pin(async move { c.quotas().send().await.map(drop) })
        }),
        ("assignOrganizationsQuotas", {
            let c = client.clone();
            Box::pin(async move { c.assign_organization_quotas().quota("1001", 5).send().await.map(drop) })
        }),
        ("unassignOrganizationsQuotas", {
            let c = client.clone();
            Box::pin(async move { c.unassign_organization_quotas().organization("1001").send().await })
        }),
        ("assignOrganizationsAccountGroupsQuotas", {
            let c = client.clone();
            Box::pin(async move {
                c.assign_account_group_quotas().quota("1001", "1234", 5).send().await.map(drop)
            })
        }),
        ("unassignOrganizationsAccountGroupsQuotas", {
            let c = client.clone();
            Box::pin(
                async move { c.unassign_account_group_quotas().account_group("1001", "1234").send().await },
            )
        }),
    ]
}

/// A request as it arrived.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<String>,
    body: Vec<u8>,
}

/// A loopback server answering every request `200 {}` and recording it.
async fn recorder() -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}/v7", listener.local_addr().expect("addr"));
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let log = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let log = Arc::clone(&log);
            tokio::spawn(async move {
                let mut data = Vec::new();
                let mut buf = [0u8; 4096];
                loop {
                    let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") else {
                        match stream.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => data.extend_from_slice(&buf[..n]),
                        }
                        continue;
                    };
                    let head = String::from_utf8_lossy(&data[..end]).to_string();
                    let mut lines = head.lines();
                    let mut request_line = lines.next().unwrap_or_default().split(' ');
                    let method = request_line.next().unwrap_or_default().to_string();
                    let target = request_line.next().unwrap_or_default().to_string();
                    let headers: Vec<String> = lines.map(|l| l.to_ascii_lowercase()).collect();
                    let length = headers
                        .iter()
                        .find_map(|h| h.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    while data.len() < end + 4 + length {
                        match stream.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => data.extend_from_slice(&buf[..n]),
                        }
                    }
                    let body = data[end + 4..end + 4 + length].to_vec();
                    data.drain(..end + 4 + length);
                    let (path, query) = target.split_once('?').unwrap_or((target.as_str(), ""));
                    let query = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
                    log.lock().expect("log").push(Seen {
                        method,
                        path: path.to_string(),
                        query,
                        headers,
                        body,
                    });
                    // `{}` decodes as every operation's answer but GET /usage's, which must
                    // carry the `usage` it returns.
                    let reply = if path.ends_with("/usage") { r#"{"usage":{}}"# } else { "{}" };
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/hal+json\r\nContent-Length: {}\r\n\r\n{reply}",
                        reply.len()
                    );
                    if stream.write_all(answer.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (base, seen)
}

/// Sends `call` and returns the one request it made.
async fn sent_by(call: Call, seen: &Arc<Mutex<Vec<Seen>>>, operation: &str) -> Seen {
    let before = seen.lock().expect("log").len();
    call.await.unwrap_or_else(|e| panic!("{operation}: the facade call failed: {e}"));
    let log = seen.lock().expect("log");
    assert_eq!(log.len(), before + 1, "{operation}: one request expected");
    log[before].clone()
}

/// What of `info` the request `seen` does not carry.
fn uncovered(info: &OperationInfo, seen: &Seen) -> Vec<String> {
    let mut missing = Vec::new();
    if seen.method != info.method {
        missing.push(format!("method: the spec says {}, the facade sends {}", info.method, seen.method));
    }
    let spec_path = format!("/v7{}", info.path);
    if !info.path.contains('{') && seen.path != spec_path {
        missing.push(format!("path: the spec says {spec_path}, the facade sends {}", seen.path));
    }
    for p in info.parameters {
        let sent = match p.location {
            "query" => seen.query.iter().any(|(k, _)| k == p.name),
            "header" => {
                seen.headers.iter().any(|h| h.starts_with(&format!("{}:", p.name.to_ascii_lowercase())))
            }
            "body" => !seen.body.is_empty(),
            "path" => !seen.path.contains('{'),
            _ => false,
        };
        if !sent {
            missing.push(format!("{} parameter `{}` cannot be set through the facade", p.location, p.name));
        }
    }
    missing
}

#[test]
fn every_operation_of_the_spec_has_a_facade_builder() {
    let client = client_of(DEFAULT_BASE_URL);
    let covered: BTreeSet<&str> = facade_calls(&client).iter().map(|(id, _)| *id).collect();
    let spec: BTreeSet<&str> = OPERATIONS.iter().map(|o| o.operation_id).collect();
    let missing: Vec<_> = spec.difference(&covered).collect();
    let stale: Vec<_> = covered.difference(&spec).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "operations of the spec without a facade builder: {missing:?} (add a builder in \
         facade/src/operations/ and a line to facade_calls); operations the spec no longer has: {stale:?}"
    );
}

#[tokio::test]
async fn every_parameter_of_every_operation_can_be_set_through_the_facade() {
    let (base, seen) = recorder().await;
    let client = client_of(base);
    let mut problems = Vec::new();
    for (operation, call) in facade_calls(&client) {
        let Some(info) = OPERATIONS.iter().find(|o| o.operation_id == operation) else { continue };
        let request = sent_by(call, &seen, operation).await;
        problems.extend(uncovered(info, &request).into_iter().map(|p| format!("{operation}: {p}")));
    }
    assert!(problems.is_empty(), "the facade lags the spec:\n  {}", problems.join("\n  "));
}

#[tokio::test]
async fn every_expand_value_of_the_spec_can_be_sent() {
    let (base, seen) = recorder().await;
    let client = client_of(base);
    let (_, call) = facade_calls(&client).into_iter().find(|(id, _)| *id == "getUsage").expect("getUsage");
    let request = sent_by(call, &seen, "getUsage").await;
    let sent: BTreeSet<String> = request
        .query
        .iter()
        .filter(|(k, _)| k == "expand")
        .flat_map(|(_, v)| v.split(',').map(str::to_string).collect::<Vec<_>>())
        .collect();
    let spec: BTreeSet<String> = ExpandUsageOptions::NAMES.iter().map(|s| s.to_string()).collect();
    assert_eq!(sent, spec, "every value the spec lists goes on the wire as the spec writes it");
}
