//! Running `te-usage` as a user does: the built binary in a child process, with only the
//! environment a test gives it (no `TE_*` variable of the machine running the tests), against
//! a fake Usage API running in the test's process.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use thousandeyes_usage_fake::FakeUsageApi;
use tokio::io::{AsyncBufReadExt, BufReader};

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
    // A test that gives up waiting (a timeout) leaves no te-usage behind.
    command.kill_on_drop(true);
    let output = command.output().await.expect("te-usage runs");
    Run {
        status: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// `te-usage` with `args`, on the organization of `fake`: `TE_TOKEN` and `TE_API_ENDPOINT` set
/// for it (and no other `TE_*` variable).
pub fn te_usage_on<I, S>(fake: &FakeUsageApi, args: I) -> tokio::process::Command
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

/// `name` in `dir`, written with `contents`.
pub fn write_file(dir: &Path, name: &str, contents: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("a file written");
    path
}

/// The requests `fake` recorded that change something (every method but GET).
pub fn posts(fake: &thousandeyes_usage_fake::FakeUsageApi) -> Vec<String> {
    fake.requests().iter().filter(|r| r.method != "GET").map(|r| format!("{} {}", r.method, r.path)).collect()
}

/// A `te-usage serve` running in a child process (killed if still running when dropped), and
/// what it has written on stderr so far.
#[derive(Debug)]
pub struct Served {
    child: tokio::process::Child,
    /// The address it serves on.
    pub addr: SocketAddr,
    stderr: Arc<Mutex<String>>,
    http: reqwest::Client,
}

impl Served {
    /// Starts `command` (a `serve` with `--listen 127.0.0.1:0`) and waits for its
    /// "serving http://ADDR/metrics" line; panics with its stderr if it ends or takes more than
    /// 10 s.
    pub async fn start(mut command: tokio::process::Command) -> Served {
        command.kill_on_drop(true);
        let mut child = command.spawn().expect("te-usage serve starts");
        let stderr = Arc::new(Mutex::new(String::new()));
        let (found, mut addr) = tokio::sync::watch::channel(None);
        let mut lines = BufReader::new(child.stderr.take().expect("stderr piped")).lines();
        let log = Arc::clone(&stderr);
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(rest) = line.split("serving http://").nth(1) {
                    let text = rest.split('/').next().unwrap_or_default();
                    let _ = found.send(text.parse::<SocketAddr>().ok());
                }
                let mut log = log.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let waited = tokio::time::timeout(Duration::from_secs(10), addr.wait_for(Option::is_some)).await;
        let addr = match waited {
            Ok(Ok(addr)) => addr.expect("an address"),
            _ => panic!("te-usage serve did not start: {}", stderr.lock().unwrap()),
        };
        let http = reqwest::Client::builder().no_proxy().build().expect("http client");
        Served { child, addr, stderr, http }
    }

    /// What it wrote on stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// `GET path`: the status and the body.
    pub async fn get(&self, path: &str) -> (u16, String) {
        self.get_with(path, "*/*").await.0
    }

    /// `GET path` with `Accept: accept`: the status and body, and the content type.
    pub async fn get_with(&self, path: &str, accept: &str) -> ((u16, String), String) {
        let response = self
            .http
            .get(format!("http://{}{path}", self.addr))
            .header("accept", accept)
            .send()
            .await
            .expect("te-usage serve answers");
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        ((status, response.text().await.expect("a body")), content_type)
    }

    /// `/metrics` in the Prometheus text format.
    pub async fn metrics(&self) -> String {
        let (status, body) = self.get("/metrics").await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Waits (up to `within`) until `/metrics` satisfies `ready`, and returns it; panics with
    /// the last one and the log otherwise.
    pub async fn metrics_when(&self, within: Duration, ready: impl Fn(&str) -> bool) -> String {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let text = self.metrics().await;
            if ready(&text) {
                return text;
            }
            if tokio::time::Instant::now() > deadline {
                panic!("/metrics did not get there in {within:?}:\n{text}\nstderr:\n{}", self.stderr());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Sends the signal `name` (`TERM`, `INT`, `HUP`).
    pub fn signal(&self, name: &str) {
        let pid = self.child.id().expect("still running").to_string();
        let status = std::process::Command::new("kill").args(["-s", name, &pid]).status().expect("kill runs");
        assert!(status.success(), "kill -s {name} {pid}");
    }

    /// Waits up to `within` for it to exit: its exit status, or `None` if it is still running.
    pub async fn exit_within(&mut self, within: Duration) -> Option<i32> {
        match tokio::time::timeout(within, self.child.wait()).await {
            Ok(status) => Some(status.expect("waited").code().unwrap_or(-1)),
            Err(_) => None,
        }
    }
}

/// The samples of metric `name` in a text exposition: each one's labels and value.
pub fn samples(text: &str, name: &str) -> Vec<(BTreeMap<String, String>, f64)> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(parse_sample)
        .filter(|(n, _, _)| n == name)
        .map(|(_, labels, value)| (labels, value))
        .collect()
}

/// The value of the one sample of `name` whose labels include `labels`; panics if there are
/// several.
pub fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let matching: Vec<f64> = samples(text, name)
        .into_iter()
        .filter(|(have, _)| labels.iter().all(|(k, v)| have.get(*k).map(String::as_str) == Some(*v)))
        .map(|(_, value)| value)
        .collect();
    assert!(matching.len() <= 1, "several samples of {name} {labels:?}: {matching:?}");
    matching.first().copied()
}

/// `name{label="value",...} value`.
fn parse_sample(line: &str) -> Option<(String, BTreeMap<String, String>, f64)> {
    let line = line.trim();
    if line.is_empty() {
        return None;
    }
    let name_end = line.find(['{', ' ']).unwrap_or(line.len());
    let name = line[..name_end].to_string();
    let mut labels = BTreeMap::new();
    let mut rest = &line[name_end..];
    if let Some(inner) = rest.strip_prefix('{') {
        let mut chars = inner.char_indices();
        let mut key = String::new();
        loop {
            let (i, c) = chars.next()?;
            match c {
                '}' => {
                    rest = &inner[i + 1..];
                    break;
                }
                ',' => {}
                '=' => {
                    chars.next(); // the opening quote
                    let mut value = String::new();
                    while let Some((_, c)) = chars.next() {
                        match c {
                            '\\' => match chars.next()?.1 {
                                'n' => value.push('\n'),
                                other => value.push(other),
                            },
                            '"' => break,
                            other => value.push(other),
                        }
                    }
                    labels.insert(std::mem::take(&mut key), value);
                }
                other => key.push(other),
            }
        }
    }
    let value = rest.split_whitespace().next()?.parse().ok()?;
    Some((name, labels, value))
}

/// A program on the PATH, or `None` (with a loud note on stderr naming what is skipped and the
/// Debian package that has the program).
pub fn program(name: &str, package: &str, skipped: &str) -> Option<PathBuf> {
    use std::io::Write;
    let found = std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|dir| dir.join(name)).find(|p| p.is_file()));
    if found.is_none() {
        // Straight to the process's stderr, past the test harness's capture: loud in every run.
        let _ = writeln!(
            std::io::stderr(),
            "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\
             !!! SKIPPED: {skipped}: `{name}` is not installed (Debian: apt-get install {package})\n\
             !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
        );
    }
    found
}

/// `promtool ARGS` with `stdin`: its exit status and its output (stdout and stderr).
pub fn promtool(promtool: &Path, args: &[&str], stdin: &str) -> (i32, String) {
    use std::io::Write;
    let mut child = std::process::Command::new(promtool)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool runs");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("promtool reads");
    let out = child.wait_with_output().expect("promtool ends");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

/// `te-usage` with `args`, with a token and an endpoint on a loopback port nothing listens on.
pub fn te_usage_unreachable<I, S>(args: I) -> tokio::process::Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut command = te_usage(args);
    command.env("TE_TOKEN", "a-token").env("TE_API_ENDPOINT", format!("http://127.0.0.1:{}/v7", free_port()));
    command
}

/// A loopback port nothing listens on now.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
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
