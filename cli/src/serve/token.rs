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

/// The token in `path`, without surrounding white space.
///
/// # Errors
///
/// [`CliError::File`] when it cannot be read; [`CliError::Failed`] naming the file when it
/// holds no token.
pub fn read_token(path: &Path) -> Result<String, CliError> {
    let text = std::fs::read_to_string(path).map_err(|source| CliError::File {
        path: path.to_path_buf(),
        action: "cannot read the token file",
        source,
    })?;
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
/// `shutdown` turns true.
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
        file.check(forced, &client, &exporter, &log);
    }
}
