//! Rotating an organization's token without a restart: its token file is read again on SIGHUP,
//! and when its modification time or size changes (looked at every [`POLL`]; a stat, not a
//! read). A new token goes to the client through `Client::set_token`, which every later request
//! carries. A token the client refuses (empty, or not sendable in a header) is logged without
//! being shown, and the old one stays in use; so does the old one when the API answers the new
//! one 401 before it has once been accepted (the refresher asks [`TokenFile::revert`]). The
//! API keeps accepting a regenerated token's predecessor for 14 days, so the file can be
//! replaced at any time in between.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use thousandeyes_usage::Client;
use tokio::sync::watch;

use crate::error::{one_line, CliError};
use crate::serve::log::Log;
use crate::serve::state::{count, Exporter};

/// How often the token file's modification time and size are looked at.
pub const POLL: Duration = Duration::from_secs(2);

/// The most a token file may hold: a bearer token is far shorter.
const TOKEN_FILE_LIMIT: u64 = 64 * 1024;

/// The token in `path`, without surrounding white space.
///
/// # Errors
///
/// [`CliError::File`] when it cannot be read; [`CliError::Failed`] naming the file when it
/// holds no token.
pub fn read_token(path: &Path) -> Result<String, CliError> {
    use std::io::Read;
    let unreadable =
        |source| CliError::File { path: path.to_path_buf(), action: "cannot read the token file", source };
    // At most one byte more than a token file can hold: a path to a device such as /dev/zero,
    // or a large file named by mistake, is refused instead of read into memory without end.
    // A FIFO would block the read (and serve's start, signals and all) until something writes
    // to it, and could be read once only: the token file is a regular file, re-read when it
    // changes.
    let metadata = std::fs::metadata(path).map_err(unreadable)?;
    if !metadata.is_file() {
        return Err(CliError::Failed(format!(
            "the token file {} is not a regular file (a FIFO, a device or a directory)",
            path.display()
        )));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(TOKEN_FILE_LIMIT + 1).read_to_end(&mut bytes))
        .map_err(unreadable)?;
    if bytes.len() as u64 > TOKEN_FILE_LIMIT {
        return Err(CliError::Failed(format!(
            "the token file {} holds more than {} KiB: not a token",
            path.display(),
            TOKEN_FILE_LIMIT / 1024
        )));
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| CliError::Failed(format!("the token file {} is not UTF-8 text", path.display())))?;
    let token = text.trim();
    if token.is_empty() {
        return Err(CliError::Failed(format!("the token file {} is empty", path.display())));
    }
    Ok(token.to_string())
}

/// An organization's token file, and the tokens read from it.
#[derive(Debug)]
pub struct TokenFile {
    path: PathBuf,
    org: usize,
    state: Mutex<TokenState>,
}

#[derive(Debug)]
struct TokenState {
    /// The token the client sends.
    current: String,
    /// The token before `current`, while the API has not yet accepted `current`.
    previous: Option<String>,
    /// How many tokens were applied: a refresh that starts and ends in one generation sent
    /// every request with `current`.
    generation: u64,
    /// The file's contents last read (trimmed), applied or not.
    seen: String,
    /// The file's modification time and size when last read.
    stamp: Option<(SystemTime, u64)>,
    /// The error that stopped the last read, if any (logged once).
    unreadable: Option<String>,
}

fn stamp(path: &Path) -> io::Result<(SystemTime, u64)> {
    let meta = std::fs::metadata(path)?;
    Ok((meta.modified()?, meta.len()))
}

impl TokenFile {
    /// The token file `path` of organization `org` (an index of the exporter), whose token
    /// `current` the client was built with.
    pub fn new(path: PathBuf, org: usize, current: String) -> TokenFile {
        let stamp = stamp(&path).ok();
        let state = TokenState {
            seen: current.clone(),
            current,
            previous: None,
            generation: 0,
            stamp,
            unreadable: None,
        };
        TokenFile { path, org, state: Mutex::new(state) }
    }

    fn state(&self) -> MutexGuard<'_, TokenState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Reads the file again when `forced` (SIGHUP) or when its modification time or size
    /// changed, and gives the client a token that differs from the one last read.
    pub fn check(&self, forced: bool, client: &Client, exporter: &Exporter, log: &Log) {
        let name = &exporter.orgs()[self.org].name;
        let mut state = self.state();
        let now = stamp(&self.path).ok();
        if !forced && now.is_some() && now == state.stamp {
            return;
        }
        let token = match read_token(&self.path) {
            Ok(token) => token,
            Err(err) => {
                let line = one_line(&err);
                if state.unreadable.as_deref() != Some(line.as_str()) {
                    log.warn(&format!("[{name}] {line}; the token in use stays"));
                    state.unreadable = Some(line);
                }
                return;
            }
        };
        state.stamp = now;
        state.unreadable = None;
        if token == state.seen {
            return;
        }
        state.seen.clone_from(&token);
        match client.set_token(token.clone()) {
            Ok(()) => {
                let previous = std::mem::replace(&mut state.current, token);
                state.previous = Some(previous);
                state.generation += 1;
                drop(state);
                log.info(&format!(
                    "[{name}] a new token was read from {}; the next requests carry it",
                    self.path.display()
                ));
                self.count(exporter, "applied");
            }
            Err(err) => {
                drop(state);
                log.warn(&format!(
                    "[{name}] the token read from {} was refused ({}); the token in use stays",
                    self.path.display(),
                    one_line(&err)
                ));
                self.count(exporter, "refused");
            }
        }
    }

    /// Counts a token read with `result` (one of [`TOKEN_RESULTS`](crate::serve::state::TOKEN_RESULTS)).
    fn count(&self, exporter: &Exporter, result: &'static str) {
        exporter.update(self.org, |s| count(&mut s.token_reloads, result));
    }

    /// The tokens applied so far: note it when a refresh starts, and hand it to
    /// [`confirm`](Self::confirm) or [`revert`](Self::revert) when it ends.
    pub fn generation(&self) -> u64 {
        self.state().generation
    }

    /// A refresh that started in `generation` succeeded: when no token was applied meanwhile,
    /// the API accepted the token in use, and it is kept from now on.
    pub fn confirm(&self, generation: u64) {
        let mut state = self.state();
        if state.generation == generation {
            state.previous = None;
        }
    }

    /// A refresh that started in `generation` was answered 401. When no token was applied
    /// meanwhile (so that every request carried it) and the token in use is a new one the API
    /// has not accepted yet, the client goes back to the token before it (until the file
    /// changes again), and `true` is returned.
    pub fn revert(&self, generation: u64, client: &Client, exporter: &Exporter, log: &Log) -> bool {
        let name = &exporter.orgs()[self.org].name;
        let mut state = self.state();
        if state.generation != generation {
            return false;
        }
        let Some(previous) = state.previous.take() else { return false };
        if client.set_token(previous.clone()).is_err() {
            return false;
        }
        state.current = previous;
        state.generation += 1;
        drop(state);
        log.warn(&format!(
            "[{name}] the API refused the token read from {} (401 Unauthorized); back to the token before it",
            self.path.display()
        ));
        self.count(exporter, "reverted");
        true
    }
}

/// Looks at the token file every [`POLL`], and at once when `hangups` changes (SIGHUP), until
/// `shutdown` turns true. Each look is made on tokio's blocking pool: a file that is slow to
/// read (a network file system, a pipe) holds up neither the scrapes nor the refreshes.
pub async fn watch(
    file: Arc<TokenFile>,
    client: Client,
    exporter: Arc<Exporter>,
    log: Log,
    mut hangups: watch::Receiver<u64>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let forced = tokio::select! {
            _ = tokio::time::sleep(POLL) => false,
            changed = hangups.changed() => match changed {
                Ok(()) => true,
                Err(_) => return,
            },
            _ = shutdown.changed() => return,
        };
        let (file, client, exporter) = (Arc::clone(&file), client.clone(), Arc::clone(&exporter));
        let look = tokio::task::spawn_blocking(move || file.check(forced, &client, &exporter, &log));
        tokio::select! {
            _ = look => {}
            _ = shutdown.changed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    /// A FIFO as the token file (whose read would block until something writes to it) is
    /// refused when it is looked at, without opening it: a timer on the same single-threaded
    /// runtime fires on time, the refusal is counted, and the token in use stays. (A token file
    /// that is merely slow to read, on a network file system, is read on tokio's blocking pool.)
    #[tokio::test(flavor = "current_thread")]
    async fn a_fifo_as_the_token_file_is_refused_without_holding_up_any_task() {
        let dir = std::env::temp_dir().join(format!("te-usage-token-fifo-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("token");
        let made = std::process::Command::new("mkfifo").arg(&path).status().expect("mkfifo runs");
        assert!(made.success(), "mkfifo {}", path.display());

        let client =
            Client::builder().token("first-token").base_url("http://127.0.0.1:9/v7").build().unwrap();
        let exporter =
            Exporter::new([("default".to_string(), client.clone(), Duration::from_secs(60), false)]);
        let file = Arc::new(TokenFile::new(path.clone(), 0, "first-token".into()));
        let (hangup, hangups) = watch::channel(0u64);
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(watch(
            Arc::clone(&file),
            client.clone(),
            Arc::clone(&exporter),
            Log::new(true),
            hangups,
            stopped,
        ));

        hangup.send_modify(|n| *n += 1); // SIGHUP: read the file now
        let started = Instant::now();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let waited = started.elapsed();
        assert!(waited < Duration::from_secs(1), "a 100 ms timer fired after {waited:?}");
        let deadline = Instant::now() + Duration::from_secs(5);
        while file.state().unreadable.is_none() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let refusal = file.state().unreadable.clone().expect("the FIFO was looked at and refused");
        assert!(refusal.contains("is not a regular file"), "{refusal}");
        assert_eq!(file.state().current, "first-token", "the token in use stays");
        let _ = stop.send(true);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A token file named by mistake (a link to /dev/zero, a large file, a binary) is refused in
    /// one line naming it, a large one after reading at most 64 KiB; a token with a CRLF line end
    /// is read without it.
    #[test]
    fn a_device_a_large_file_or_a_binary_is_refused_and_a_crlf_token_is_trimmed() {
        let dir = std::env::temp_dir().join(format!("te-usage-token-kinds-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let zero = dir.join("zero");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        let large = dir.join("large");
        std::fs::write(&large, "a".repeat(65 * 1024)).unwrap();
        let binary = dir.join("binary");
        std::fs::write(&binary, [0xff, 0xfe, 0x00, 0x41]).unwrap();
        let crlf = dir.join("crlf");
        std::fs::write(&crlf, "the-token\r\n").unwrap();

        let refused = |path: &Path| read_token(path).unwrap_err().to_string();
        let device = format!(
            "the token file {} is not a regular file (a FIFO, a device or a directory)",
            zero.display()
        );
        assert_eq!(refused(&zero), device);
        assert!(refused(&large).contains("holds more than 64 KiB"), "{}", refused(&large));
        assert_eq!(refused(&binary), format!("the token file {} is not UTF-8 text", binary.display()));
        assert_eq!(read_token(&crlf).unwrap(), "the-token");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
