//! Running `te-usage` as a user does: the built binary in a child process, with only the
//! environment a test gives it (no `TE_*` variable of the machine running the tests), against
//! a fake Usage API running in the test's process.

use std::process::Stdio;

/// What a run of `te-usage` did.
#[derive(Debug)]
pub struct Run {
    /// The exit status (-1 when killed by a signal).
    pub status: i32,
    /// What it printed on stdout.
    pub stdout: String,
    /// What it printed on stderr.
    pub stderr: String,
}

/// `te-usage` with `args`, without any `TE_*` variable of the environment.
pub fn te_usage<I, S>(args: I) -> tokio::process::Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_te-usage"));
    command.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("TE_") {
            command.env_remove(name);
        }
    }
    command
}

/// Runs `command` to its end (the test's runtime keeps serving any fake meanwhile).
pub async fn run(mut command: tokio::process::Command) -> Run {
    let output = command.output().await.expect("te-usage runs");
    Run {
        status: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// `te-usage` with `args`, on the organization of `fake`: `TE_TOKEN` and `TE_API_ENDPOINT` set
/// for it (and no other `TE_*` variable).
pub fn te_usage_on<I, S>(fake: &thousandeyes_usage_fake::FakeUsageApi, args: I) -> tokio::process::Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut command = te_usage(args);
    command.env("TE_TOKEN", fake.token()).env("TE_API_ENDPOINT", fake.base_url());
    command
}

/// `te-usage` with `args`, with a token and an endpoint on a loopback port nothing listens on.
pub fn te_usage_unreachable<I, S>(args: I) -> tokio::process::Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.local_addr().expect("its address").port()
    };
    let mut command = te_usage(args);
    command.env("TE_TOKEN", "a-token").env("TE_API_ENDPOINT", format!("http://127.0.0.1:{port}/v7"));
    command
}

/// Asserts that `line` is one line naming why the connection failed (refused), not only that a
/// request failed.
pub fn assert_names_a_refused_connection(line: &str) {
    assert_eq!(line.trim_end().lines().count(), 1, "one line: {line}");
    let lower = line.to_lowercase();
    assert!(lower.contains("tcp connect error") && lower.contains("refused"), "the cause: {line}");
}

/// The rows of a CSV document, header first.
pub fn csv_rows(text: &str) -> Vec<csv::StringRecord> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
    reader.records().collect::<Result<_, _>>().expect("the CSV parses")
}

/// A client of `fake`.
pub fn client_of(fake: &thousandeyes_usage_fake::FakeUsageApi) -> thousandeyes_usage::Client {
    thousandeyes_usage::Client::builder()
        .token(fake.token())
        .base_url(fake.base_url())
        .build()
        .expect("client of the fake")
}
