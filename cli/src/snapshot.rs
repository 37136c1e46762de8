//! `te-usage snapshot --db PATH`: this billing period's usage, quotas and both units listings,
//! from one [`fetch`], stored in the SQLite history at PATH ([`History`]). Run it as often as
//! you like (hourly, from cron): each run replaces the period's previous snapshot, so a period
//! keeps the figures of the last snapshot taken before it ended.

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use crate::args::GlobalArgs;
use crate::error::CliError;
use crate::fetch::{fetch, Period};
use crate::history::{History, StoredPeriod};
use crate::output::{json, note, print, Format};
use crate::session::Session;

/// The arguments of `snapshot`.
#[derive(Debug, Clone, Args)]
#[command(after_help = "\
Each billing period is stored once: a snapshot of a period already in the history replaces it.
The database is created if it does not exist, and its schema upgraded if an older te-usage
wrote it. Read it with `te-usage history --db PATH`, or with any SQLite tool.

A period keeps the figures of its last snapshot before it ended (periods are in UTC): snapshot
often enough that the last one falls close to the end: hourly, say (each run is one fetch:
GET /usage, GET /quotas and the pages of both units listings).

Example (crontab, every hour):
  5 * * * *  te-usage snapshot --quiet --db /var/lib/te-usage/history.db")]
pub struct SnapshotArgs {
    /// The SQLite history to write to (created if it does not exist)
    #[arg(long, value_name = "PATH")]
    pub db: PathBuf,
}

/// Runs `snapshot`: the database is opened and checked before anything is fetched, then the
/// period's snapshot is stored; prints what was stored.
///
/// # Errors
///
/// [`CliError::Database`] for a database that cannot be written (nothing is stored); the
/// fetch's error.
pub async fn run(global: &GlobalArgs, args: &SnapshotArgs) -> Result<u8, CliError> {
    let format = Format::choose(global.output, "snapshot", &[Format::Table, Format::Json], Format::Table)?;
    let session = Session::open(global).await?;
    let mut history = History::open(&args.db)?;
    history.check_source(session.client().base_url())?;
    let fetched = fetch(session.client(), Period::CurrentBillingPeriod, &mut |_| {}).await?;
    if !global.quiet {
        fetched.notes.iter().for_each(|n| note(&format!("te-usage: {n}")));
    }
    let stored = history.store(&fetched)?;
    let quotas = fetched.quotas.iter().flat_map(|q| q.account_group_quotas.iter().flatten()).count();
    let path = args.db.display().to_string();
    print(&match format {
        Format::Json => {
            #[derive(Serialize)]
            struct Stored<'a> {
                database: &'a str,
                period: &'a StoredPeriod,
                tests: usize,
                agent_entries: usize,
                organization_quotas: usize,
                account_group_quotas: usize,
            }
            json(&Stored {
                database: &path,
                period: &stored,
                tests: fetched.tests.len(),
                agent_entries: fetched.agents.len(),
                organization_quotas: fetched.quotas.iter().filter(|q| q.organization_quota.is_some()).count(),
                account_group_quotas: quotas,
            })
        }
        _ => {
            let again = match stored.snapshot_count {
                1 => "a new period".to_string(),
                n => format!("snapshot {n} of this period, replacing the one before"),
            };
            format!(
                "Stored the billing period {} to {} in {path} ({again}): {} tests, {} enterprise agent \
                 entries, {quotas} account group quotas.\n",
                stored.start.format("%Y-%m-%d"),
                stored.end.format("%Y-%m-%d"),
                fetched.tests.len(),
                fetched.agents.len(),
            )
        }
    })?;
    Ok(0)
}
