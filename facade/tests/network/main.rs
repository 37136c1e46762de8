//! The client on a network set up like an enterprise's: proxies named in the environment or on
//! the builder ([`proxy`]), and TLS from a private CA, over HTTP/2 and HTTP/1.1 ([`tls`]). Every
//! server here listens on 127.0.0.1; no request leaves the machine.
//!
//! Environment variables are the process's: a test that sets them runs its client in a child
//! process of this binary ([`run_child`]), while its servers run in the parent.

mod proxy;
#[path = "../support/mod.rs"]
mod support;
mod tls;

use std::process::Command;

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

/// Names the test a child process of this binary is to run as the child.
const CHILD: &str = "THOUSANDEYES_NETWORK_CHILD";

/// The variables a child process starts without, whatever the parent has: then only what the
/// test gives it applies.
const CLEARED: &[&str] = &[
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
    "REQUEST_METHOD",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "TE_TOKEN",
    "TE_AID",
    "TE_API_ENDPOINT",
    "TE_TIMEOUT",
    "TE_RATE_LIMIT_SHARE",
];

/// Whether this process is the child that runs test `name`.
pub fn is_child(name: &str) -> bool {
    std::env::var(CHILD).as_deref() == Ok(name)
}

/// Runs test `name` (its path in this binary, `module::test`) in a child process of this binary
/// with `vars` set and every variable of [`CLEARED`] otherwise unset, and fails unless the
/// child ran it and it passed. Blocks a thread of the blocking pool, not the runtime, so that
/// the parent's servers keep serving the child.
pub async fn run_child(name: &str, vars: &[(&str, &str)]) {
    let exe = std::env::current_exe().expect("the test binary");
    let mut command = Command::new(exe);
    command.args([name, "--exact", "--nocapture", "--test-threads=1"]).env(CHILD, name);
    for var in CLEARED {
        command.env_remove(var);
    }
    for (var, value) in vars {
        command.env(var, value);
    }
    let shown = format!("{vars:?}");
    let output = tokio::task::spawn_blocking(move || command.output()).await.expect("join").expect("run");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "the child process running {name} with {shown} failed ({})\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}",
        output.status,
    );
}

/// A port on 127.0.0.1 nobody listens on: a proxy there refuses every connection.
pub fn dead_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// Reads a request's head (up to the blank line, at most 8 KiB) from `stream`, as text.
pub async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 8192 {
        if stream.read(&mut byte).await.unwrap_or(0) == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    Some(String::from_utf8_lossy(&head).into_owned())
}

pub use support::passwords::{awkward_passwords, is_encoded, shows_a_password_piece};

/// Everything an error shows: its `Display`, its `Debug`, and the `Display` and `Debug` of each
/// error in its `source()` chain.
pub fn everything_shown(err: &thousandeyes_usage::Error) -> String {
    let mut text = format!("{err}\n{err:?}");
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(&format!("\n{cause}\n{cause:?}"));
        source = cause.source();
    }
    text
}
