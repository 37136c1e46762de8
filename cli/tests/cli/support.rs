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
    let mut command = without_te_variables(tokio::process::Command::new(env!("CARGO_BIN_EXE_te-usage")));
    command.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    command
}

/// `command` without any `TE_*` variable of the environment.
pub fn without_te_variables(mut command: tokio::process::Command) -> tokio::process::Command {
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

/// `te-usage` with `args` against `fake`: `TE_TOKEN` and `TE_API_ENDPOINT` name it.
pub fn te_usage_on<I, S>(fake: &thousandeyes_usage_fake::FakeUsageApi, args: I) -> tokio::process::Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut command = te_usage(args);
    command.env("TE_TOKEN", fake.token()).env("TE_API_ENDPOINT", fake.base_url());
    command
}

/// A new empty directory for one test's files (under the system's temporary directory, named
/// after the test and this process, emptied first).
pub fn scratch_dir(test: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("te-usage-tests-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

/// The requests `fake` recorded that change something (every method but GET).
pub fn posts(fake: &thousandeyes_usage_fake::FakeUsageApi) -> Vec<String> {
    fake.requests().iter().filter(|r| r.method != "GET").map(|r| format!("{} {}", r.method, r.path)).collect()
}
