//! What the exporter knows of each organization ([`OrgStatus`]: the last good figures, whether
//! the last refresh succeeded, the failures by cause), and the page a scrape is answered with,
//! encoded again whenever that changes.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use thousandeyes_usage::Client;

use crate::serve::causes::CAUSES;
use crate::serve::metrics::{encode, OrgView, Page};
use crate::serve::snapshot::Snapshot;

/// What the exporter knows of one organization.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct OrgStatus {
    /// The last good refresh's figures; kept while later refreshes fail.
    pub snapshot: Option<Arc<Snapshot>>,
    /// Whether the last refresh succeeded.
    pub up: bool,
    /// When the last successful refresh ended.
    pub last_success: Option<DateTime<Utc>>,
    /// How long the last refresh took.
    pub last_duration: Option<Duration>,
    /// Refreshes made.
    pub refreshes: u64,
    /// Failed refreshes by cause: every one of [`CAUSES`], from 0.
    pub errors: Vec<(&'static str, u64)>,
    /// The cause of the last refresh, when it failed.
    pub failing: Option<&'static str>,
    /// Tokens read from the token file, by result: every one of [`TOKEN_RESULTS`], from 0.
    pub token_reloads: Vec<(&'static str, u64)>,
    /// Refreshes whose history could not be written; `None` without a history.
    pub history_errors: Option<u64>,
}

/// What became of a token read from a token file: `applied`; `refused` (not a usable token);
/// `reverted` (the API answered it 401, and the token before it went back in use).
pub const TOKEN_RESULTS: [&str; 3] = ["applied", "refused", "reverted"];

impl OrgStatus {
    /// The status of an organization not refreshed yet: down, every count at 0.
    pub fn new() -> OrgStatus {
        OrgStatus {
            errors: CAUSES.iter().map(|&c| (c, 0)).collect(),
            token_reloads: TOKEN_RESULTS.iter().map(|&r| (r, 0)).collect(),
            ..OrgStatus::default()
        }
    }
}

/// Adds one to `key`'s count.
pub(crate) fn count(counts: &mut Vec<(&'static str, u64)>, key: &'static str) {
    match counts.iter_mut().find(|(k, _)| *k == key) {
        Some((_, n)) => *n += 1,
        None => counts.push((key, 1)),
    }
}

/// One organization: its label, its client, its interval, and its status.
#[derive(Debug)]
pub struct OrgSlot {
    /// The `organization` label.
    pub name: String,
    /// Its client (for its counters).
    pub client: Client,
    /// The interval between its refreshes.
    pub interval: Duration,
    status: Mutex<OrgStatus>,
}

/// The organizations' statuses and the page a scrape gets.
#[derive(Debug)]
pub struct Exporter {
    orgs: Vec<OrgSlot>,
    /// Held while a page is encoded and stored, so that pages are stored in the order encoded.
    publishing: Mutex<()>,
    page: RwLock<Arc<Page>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Exporter {
    /// An exporter of `orgs` (label, client, interval, whether it has a history), none
    /// refreshed yet: every organization is down, and `/healthz` answers 503.
    pub fn new(orgs: impl IntoIterator<Item = (String, Client, Duration, bool)>) -> Arc<Exporter> {
        let orgs = orgs
            .into_iter()
            .map(|(name, client, interval, history)| {
                let status = OrgStatus { history_errors: history.then_some(0), ..OrgStatus::new() };
                OrgSlot { name, client, interval, status: Mutex::new(status) }
            })
            .collect();
        let exporter =
            Arc::new(Exporter { orgs, publishing: Mutex::new(()), page: RwLock::new(Arc::default()) });
        exporter.publish();
        exporter
    }

    /// The organizations, in the order given.
    pub fn orgs(&self) -> &[OrgSlot] {
        &self.orgs
    }

    /// A copy of organization `index`'s status.
    ///
    /// # Panics
    ///
    /// If `index` is not an organization's.
    pub fn status(&self, index: usize) -> OrgStatus {
        lock(&self.orgs[index].status).clone()
    }

    /// Changes organization `index`'s status with `change`, then encodes the page again.
    ///
    /// # Panics
    ///
    /// If `index` is not an organization's.
    pub fn update(&self, index: usize, change: impl FnOnce(&mut OrgStatus)) {
        change(&mut lock(&self.orgs[index].status));
        self.publish();
    }

    /// The page a scrape gets now.
    pub fn page(&self) -> Arc<Page> {
        Arc::clone(&self.page.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Whether a refresh has succeeded (for any organization), and one line per organization
    /// saying how it stands.
    pub fn health(&self) -> (bool, String) {
        let mut healthy = false;
        let mut text = String::new();
        for org in &self.orgs {
            let s = lock(&org.status);
            healthy |= s.last_success.is_some();
            let last = s.last_success.map_or_else(|| "never".to_string(), |t| t.to_rfc3339());
            let state = match (s.up, s.failing) {
                (true, _) => "ok".to_string(),
                (false, Some(cause)) => format!("failing ({cause})"),
                (false, None) => "not refreshed yet".to_string(),
            };
            text.push_str(&format!("{}: {state}; last successful refresh: {last}\n", org.name));
        }
        (healthy, text)
    }

    /// Encodes every organization's status into the page.
    fn publish(&self) {
        let _publishing = lock(&self.publishing);
        let statuses: Vec<OrgStatus> = self.orgs.iter().map(|o| lock(&o.status).clone()).collect();
        let views: Vec<OrgView<'_>> = self
            .orgs
            .iter()
            .zip(&statuses)
            .map(|(org, s)| OrgView {
                name: &org.name,
                snapshot: s.snapshot.as_deref(),
                up: s.up,
                last_success: s.last_success,
                last_duration: s.last_duration,
                interval: org.interval,
                refreshes: s.refreshes,
                errors: &s.errors,
                token_reloads: &s.token_reloads,
                history_errors: s.history_errors,
                client: org.client.stats(),
            })
            .collect();
        let page = Arc::new(encode(&views));
        *self.page.write().unwrap_or_else(PoisonError::into_inner) = page;
    }
}
