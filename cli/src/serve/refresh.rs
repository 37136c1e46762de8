//! Refreshing one organization's figures every interval, in the background: each refresh is one
//! [`fetch`], whose [`Snapshot`] replaces the last good one. A refresh that fails keeps the last
//! good figures (the organization's `thousandeyes_up` turns 0), counts the failure by cause, and
//! logs it the first time its cause is seen in a run of failures, not every interval; the first
//! success after failures is logged too. With a history (`--history`), every successful refresh
//! is stored in it as its billing period's snapshot (the SQLite history of `te-usage snapshot`).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use thousandeyes_usage::{Client, Error};

use tokio::sync::watch;
use tokio::time::{Instant, MissedTickBehavior};

use crate::error::{one_line, CliError};
use crate::fetch::{fetch, Fetched, Period, Progress};
use crate::history::History;
use crate::serve::budget::Budget;
use crate::serve::causes::cause;
use crate::serve::log::Log;
use crate::serve::snapshot::Snapshot;
use crate::serve::state::{count, Exporter};
use crate::serve::token::TokenFile;

/// How long a refresh in flight may go on after shutdown is asked for, before it is abandoned.
pub const GRACE: Duration = Duration::from_secs(2);

/// Refreshes one organization of an [`Exporter`].
#[derive(Debug)]
pub struct Refresher {
    exporter: Arc<Exporter>,
    index: usize,
    client: Client,
    interval: Duration,
    share: f64,
    per_test: Option<usize>,
    token: Option<Arc<TokenFile>>,
    /// The organization's history, with `--history` (taken out while a write is under way).
    history: Option<History>,
    /// Whether the last history write failed (logged).
    history_failing: bool,
    log: Log,
    /// The causes logged in the current run of failures.
    logged: BTreeSet<&'static str>,
    /// Failures since the last success.
    failures: u64,
    /// Whether the budget was checked against a counted refresh.
    budget_counted: bool,
}

impl Refresher {
    /// The refresher of organization `index` of `exporter`: every `interval`, with `client`
    /// (which keeps to `share` of the organization's rate limit), publishing the `per_test`
    /// tests that use the most. `token` is the organization's token file, and `history` its
    /// history, if it has them; the history is closed when [`run`](Self::run) ends.
    pub fn new(
        exporter: Arc<Exporter>,
        index: usize,
        share: f64,
        per_test: Option<usize>,
        token: Option<Arc<TokenFile>>,
        history: Option<History>,
        log: Log,
    ) -> Refresher {
        let org = &exporter.orgs()[index];
        let (client, interval) = (org.client.clone(), org.interval);
        Refresher {
            exporter,
            index,
            client,
            interval,
            share,
            per_test,
            token,
            history,
            history_failing: false,
            log,
            logged: BTreeSet::new(),
            failures: 0,
            budget_counted: false,
        }
    }

    fn name(&self) -> &str {
        &self.exporter.orgs()[self.index].name
    }

    /// Refreshes at once, then every interval, until `shutdown` turns true; a refresh in flight
    /// then has [`GRACE`] to finish before it is abandoned.
    ///
    /// # Errors
    ///
    /// [`CliError::Usage`] when the first successful refresh shows that the interval is below
    /// the floor of the organization's budget (its calls counted).
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) -> Result<(), CliError> {
        let mut ticks = tokio::time::interval(self.interval);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                _ = shutdown.changed() => return Ok(()),
            }
            let started = Instant::now();
            let generation = self.token.as_ref().map_or(0, |t| t.generation());
            let client = self.client.clone();
            let mut no_progress = |_: &Progress| {};
            let (result, stopping) = {
                let refresh = fetch(&client, Period::CurrentBillingPeriod, &mut no_progress);
                tokio::pin!(refresh);
                tokio::select! {
                    result = &mut refresh => (Some(result), false),
                    _ = shutdown.changed() => (tokio::time::timeout(GRACE, refresh).await.ok(), true),
                }
            };
            match result {
                Some(result) => self.settle(result, generation, started.elapsed()).await?,
                None => self
                    .log
                    .info(&format!("[{}] the refresh in flight was abandoned at shutdown", self.name())),
            }
            if stopping {
                return Ok(());
            }
        }
    }

    /// Records the outcome of a refresh that started when `generation` tokens had been read
    /// from the token file. A success confirms the token it was sent with; a 401 to a new token
    /// from the token file (every request of the refresh carried it) sends the token before it
    /// back, and refreshes again at once.
    async fn settle(
        &mut self,
        result: Result<Fetched, Error>,
        generation: u64,
        took: Duration,
    ) -> Result<(), CliError> {
        let result = match result {
            Ok(fetched) => {
                if let Some(token) = &self.token {
                    token.confirm(generation);
                }
                Ok(fetched)
            }
            Err(err) if err.status() == Some(401) => {
                let reverted = self
                    .token
                    .as_ref()
                    .is_some_and(|t| t.revert(generation, &self.client, &self.exporter, &self.log));
                if reverted {
                    fetch(&self.client, Period::CurrentBillingPeriod, &mut |_| {}).await
                } else {
                    Err(err)
                }
            }
            Err(err) => Err(err),
        };
        match result {
            Ok(fetched) => {
                self.succeeded(&fetched, took)?;
                self.write_history(fetched).await;
                Ok(())
            }
            Err(err) => {
                self.failed(&err, took);
                Ok(())
            }
        }
    }

    fn succeeded(&mut self, fetched: &Fetched, took: Duration) -> Result<(), CliError> {
        if !self.budget_counted {
            self.budget_counted = true;
            let budget = Budget::counted(&fetched.stats, self.client.rate_limit().limit, self.share);
            budget
                .check(self.interval)
                .map_err(|e| CliError::Usage(format!("organization {:?}: {e}", self.name())))?;
        }
        let snapshot = Arc::new(Snapshot::of(fetched, self.per_test));
        if self.failures > 0 {
            self.log.warn(&format!(
                "[{}] refreshed again after {} failed refresh{}",
                self.name(),
                self.failures,
                if self.failures == 1 { "" } else { "es" }
            ));
        }
        self.failures = 0;
        self.logged.clear();
        self.exporter.update(self.index, |s| {
            s.snapshot = Some(snapshot);
            s.up = true;
            s.failing = None;
            s.last_success = Some(Utc::now());
            s.last_duration = Some(took);
            s.refreshes += 1;
        });
        Ok(())
    }

    /// Stores `fetched` in the organization's history, if it has one, on a thread of its own
    /// (SQLite waits for another process's lock). A failure is counted and logged once, until a
    /// write succeeds again; the figures served are not touched.
    async fn write_history(&mut self, fetched: Fetched) {
        let Some(mut history) = self.history.take() else { return };
        let written = tokio::task::spawn_blocking(move || {
            let result = history.store(&fetched).map(|_| ());
            (history, result)
        })
        .await;
        let result = match written {
            Ok((history, result)) => {
                self.history = Some(history);
                result
            }
            // The thread panicked: the history is gone with it.
            Err(err) => Err(CliError::Failed(format!("the history's writer stopped: {err}"))),
        };
        match result {
            Ok(()) if self.history_failing => {
                self.history_failing = false;
                self.log.warn(&format!("[{}] the history is written again", self.name()));
            }
            Ok(()) => {}
            Err(err) => {
                if !self.history_failing {
                    self.history_failing = true;
                    self.log.warn(&format!(
                        "[{}] the history was not written: {}; further failures are counted in \
                         thousandeyes_history_errors_total, not logged",
                        self.name(),
                        one_line(&err)
                    ));
                }
                self.exporter.update(self.index, |s| {
                    s.history_errors = Some(s.history_errors.unwrap_or(0) + 1);
                });
            }
        }
    }

    fn failed(&mut self, err: &Error, took: Duration) {
        let cause = cause(err);
        self.failures += 1;
        if self.logged.insert(cause) {
            self.log.warn(&format!(
                "[{}] refresh failed ({cause}): {}; the last good figures stay, and further {cause} \
                 failures are counted in thousandeyes_refresh_errors_total, not logged",
                self.name(),
                one_line(err)
            ));
        }
        self.exporter.update(self.index, |s| {
            s.up = false;
            s.failing = Some(cause);
            s.last_duration = Some(took);
            s.refreshes += 1;
            count(&mut s.errors, cause);
        });
    }
}
