//! The SQLite history: [`History`], one file that holds every billing period snapshotted into it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{
    params, Connection, ErrorCode, OpenFlags, OptionalExtension, Transaction, TransactionBehavior,
};
use serde::Serialize;

use crate::error::CliError;
use crate::fetch::{Fetched, Period};

/// The schema's migrations, in order: script `i` takes a database from version `i` (`PRAGMA
/// user_version`) to `i + 1`. A new version appends a script; a script once released never
/// changes, so that every user's database reaches the same schema.
const MIGRATIONS: &[&str] = &[include_str!("migrations/0001_periods.sql")];

/// The mark of a te-usage history (`PRAGMA application_id`, "TEUH"), set by the first migration.
const APPLICATION_ID: i64 = 0x5445_5548;

/// How long an operation waits for another process's lock on the database before failing.
pub const LOCK_WAIT: Duration = Duration::from_secs(2);

/// A te-usage history: an SQLite database of billing periods, each with what its latest
/// snapshot read (usage, quotas, both units listings).
///
/// Open it with [`History::open`] to write (it is created, or its schema upgraded), or
/// [`History::open_read_only`] to read; [`History::store`] writes a [`Fetched`] as its billing
/// period's snapshot, replacing the period's previous one, so that storing the same period again
/// never duplicates it. Opening checks the file first: a database locked by another process
/// (after waiting [`LOCK_WAIT`]), read-only, damaged, of another application or of a newer
/// schema is a [`CliError::Database`] naming the path, and the file is left as it was.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use thousandeyes_usage_cli::fetch::{fetch, Period};
/// use thousandeyes_usage_cli::history::History;
///
/// let demo = thousandeyes_usage_cli::session::demo_api().start().await;
/// let client = thousandeyes_usage::Client::builder().token(demo.token()).base_url(demo.base_url()).build()?;
/// let fetched = fetch(&client, Period::CurrentBillingPeriod, &mut |_| {}).await?;
///
/// let dir = std::env::temp_dir().join(format!("te-usage-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let mut history = History::open(dir.join("history.db"))?;
/// history.store(&fetched)?;
/// let again = history.store(&fetched)?; // the same period: replaced, not added
/// assert_eq!(again.snapshot_count, 2);
/// assert_eq!(history.periods()?.len(), 1);
/// # drop(history);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct History {
    connection: Connection,
    path: PathBuf,
}

/// A billing period of the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct StoredPeriod {
    /// The period's start.
    pub start: DateTime<Utc>,
    /// The period's end.
    pub end: DateTime<Utc>,
    /// When it was first snapshotted.
    pub first_snapshot_at: DateTime<Utc>,
    /// When it was last snapshotted: the time its figures are of.
    pub last_snapshot_at: DateTime<Utc>,
    /// How many snapshots of it were stored (each replacing the one before).
    pub snapshot_count: i64,
    /// The API the snapshot read.
    pub source: String,
    /// Cloud units the organization used (`GET /usage`).
    pub cloud_units_used: Option<i64>,
    /// Cloud units the contract includes.
    pub cloud_units_included: Option<i64>,
    /// Enterprise units the organization used.
    pub enterprise_units_used: Option<i64>,
}

/// The units of one account group in one period, by test owner (the account group owning the
/// tests, as `GET /usage/units/tests` attributes them), summed over its tests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct GroupUnits {
    /// The period's start.
    pub period_start: DateTime<Utc>,
    /// The account group.
    pub aid: String,
    /// Its name, as that period's snapshot gave it.
    pub name: Option<String>,
    /// Cloud units used.
    pub cloud_units_used: i64,
    /// Enterprise units used.
    pub enterprise_units_used: i64,
}

impl History {
    /// Opens the history at `path` to write to it, creating it if there is none, and upgrading
    /// its schema if an older te-usage wrote it (every migration in one transaction: the data is
    /// kept, and a failure leaves the file as it was).
    ///
    /// # Errors
    ///
    /// [`CliError::Database`] naming `path`: read-only, locked, not a te-usage history, damaged,
    /// of a newer schema, or not creatable.
    pub fn open(path: impl AsRef<Path>) -> Result<History, CliError> {
        let path = path.as_ref();
        if let Ok(metadata) = std::fs::metadata(path) {
            a_regular_file(path, &metadata)?;
            if metadata.permissions().readonly() {
                return Err(problem(path, "is read-only (its file mode allows no writing)"));
            }
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut history = History::connect(path, flags)?;
        let version = history.check()?;
        if version < MIGRATIONS.len() {
            migrate(&mut history.connection, MIGRATIONS).map_err(|e| failure(path, e))?;
        }
        Ok(history)
    }

    /// Opens the history at `path` to read it; nothing is written to the file.
    ///
    /// # Errors
    ///
    /// [`CliError::Database`] naming `path`: absent, locked, not a te-usage history, damaged, of
    /// another schema version (an older one is upgraded by opening it with [`History::open`]).
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<History, CliError> {
        let path = path.as_ref();
        match std::fs::metadata(path) {
            Ok(metadata) => a_regular_file(path, &metadata)?,
            Err(_) if !path.exists() => {
                return Err(problem(path, "does not exist: `te-usage snapshot --db PATH` creates it"));
            }
            Err(_) => {}
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let history = History::connect(path, flags)?;
        let version = history.check()?;
        if version < MIGRATIONS.len() {
            let message = if version == 0 {
                "holds no history yet: `te-usage snapshot --db PATH` writes one".to_string()
            } else {
                format!(
                    "has schema version {version}, older than this te-usage's {}: `te-usage snapshot --db PATH` upgrades it",
                    MIGRATIONS.len()
                )
            };
            return Err(problem(path, &message));
        }
        Ok(history)
    }

    fn connect(path: &Path, flags: OpenFlags) -> Result<History, CliError> {
        let connection = Connection::open_with_flags(path, flags).map_err(|e| failure(path, e))?;
        connection.busy_timeout(LOCK_WAIT).map_err(|e| failure(path, e))?;
        Ok(History { connection, path: path.to_path_buf() })
    }

    /// Checks that the file is a whole SQLite database, te-usage's or empty, of a schema version
    /// this te-usage knows; returns that version.
    fn check(&self) -> Result<usize, CliError> {
        let path = self.path.as_path();
        let pragma = |name: &str| -> Result<i64, CliError> {
            self.connection.pragma_query_value(None, name, |row| row.get(0)).map_err(|e| failure(path, e))
        };
        let application_id = pragma("application_id")?;
        let version = pragma("user_version")?;
        // Damage the reads above do not touch (a page of a table overwritten, say).
        let check: Vec<String> = self.query("PRAGMA quick_check(1)", |row| row.get(0))?;
        if check != ["ok"] {
            let found: Vec<&str> = check
                .iter()
                .map(String::as_str)
                .filter(|line| !line.starts_with("*** in database"))
                .collect();
            return Err(problem(path, &format!("is damaged (SQLite's quick_check: {})", found.join("; "))));
        }
        let tables: i64 = self
            .connection
            .query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0))
            .map_err(|e| failure(path, e))?;
        if application_id != APPLICATION_ID && (application_id != 0 || tables > 0 || version != 0) {
            return Err(problem(
                path,
                "is an SQLite database of another application, not a te-usage history",
            ));
        }
        let version = usize::try_from(version).unwrap_or(usize::MAX);
        if version > MIGRATIONS.len() {
            return Err(problem(
                path,
                &format!(
                    "has schema version {version}, newer than this te-usage knows ({}): use a newer te-usage",
                    MIGRATIONS.len()
                ),
            ));
        }
        Ok(version)
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Stores `fetched` as the snapshot of its billing period (`GET /usage`'s `quota.monthStart`
    /// and `monthEnd`), in one transaction: a period not yet in the history is added; one
    /// already there has its rows replaced, so storing the same period again leaves as many rows
    /// as storing it once. Returns the period as stored.
    ///
    /// # Errors
    ///
    /// [`CliError::Failed`] when `fetched` is not of the current billing period
    /// ([`Period::CurrentBillingPeriod`]: the listings of another range would be filed under the
    /// billing period), or `GET /usage` gave no billing period; [`CliError::Database`] when
    /// the database cannot be written (locked, full disk, ...): nothing is stored then.
    pub fn store(&mut self, fetched: &Fetched) -> Result<StoredPeriod, CliError> {
        if fetched.period != Period::CurrentBillingPeriod {
            return Err(CliError::Failed(
                "a snapshot is of the current billing period: its units listings were fetched for another range".into(),
            ));
        }
        let quota = fetched.usage.quota.as_ref();
        let (Some(start), Some(end)) = (quota.and_then(|q| q.month_start), quota.and_then(|q| q.month_end))
        else {
            return Err(CliError::Failed(
                "GET /usage gave no billing period (quota.monthStart, quota.monthEnd) to file the snapshot under"
                    .into(),
            ));
        };
        let (start, end) = (start.with_timezone(&Utc), end.with_timezone(&Utc));
        let path = self.path.clone();
        let tx = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| failure(&path, e))?;
        check_host(&tx, &path, &fetched.source)?;
        write_snapshot(&tx, fetched, start, end).map_err(|e| failure(&path, e))?;
        tx.commit().map_err(|e| failure(&path, e))?;
        let stored = self.periods()?.into_iter().find(|p| p.start == start && p.end == end);
        stored.ok_or_else(|| problem(&path, "lost the period it had just stored"))
    }

    /// Checks, before anything is fetched, that a snapshot read from `base_url` may go into this
    /// history: a history holds the snapshots of one API host (the one its periods were read
    /// from), so that `--demo`'s sample data, read from a fake on loopback, never lands among an
    /// organization's figures, nor one organization's endpoint among another's.
    /// [`store`](Self::store) checks the same.
    ///
    /// # Errors
    ///
    /// [`CliError::Database`] naming the host the history holds and the one given.
    pub fn check_source(&self, base_url: &str) -> Result<(), CliError> {
        check_host(&self.connection, &self.path, base_url)
    }

    /// Every period of the history, oldest first.
    ///
    /// # Errors
    ///
    /// [`CliError::Database`] when the database cannot be read.
    pub fn periods(&self) -> Result<Vec<StoredPeriod>, CliError> {
        let sql =
            "SELECT p.start, p.end, p.first_snapshot_at, p.last_snapshot_at, p.snapshot_count, p.source, \
                   u.cloud_units_used, u.cloud_units_included, u.enterprise_units_used \
                   FROM period p LEFT JOIN usage u ON u.period_id = p.id ORDER BY p.start, p.end";
        self.query(sql, |row| {
            Ok(StoredPeriod {
                start: time(row.get(0)?)?,
                end: time(row.get(1)?)?,
                first_snapshot_at: time(row.get(2)?)?,
                last_snapshot_at: time(row.get(3)?)?,
                snapshot_count: row.get(4)?,
                source: row.get(5)?,
                cloud_units_used: row.get(6)?,
                cloud_units_included: row.get(7)?,
                enterprise_units_used: row.get(8)?,
            })
        })
    }

    /// The units of every account group in every period, by test owner, summed in SQL over the
    /// stored tests; oldest period first, then by account group id.
    ///
    /// # Errors
    ///
    /// [`CliError::Database`] when the database cannot be read.
    pub fn account_group_units(&self) -> Result<Vec<GroupUnits>, CliError> {
        let sql = "SELECT p.start, t.aid, max(t.account_group_name), \
                   coalesce(sum(t.cloud_units_used), 0), coalesce(sum(t.enterprise_units_used), 0) \
                   FROM test_units t JOIN period p ON p.id = t.period_id WHERE t.aid IS NOT NULL \
                   GROUP BY p.id, t.aid ORDER BY p.start, length(t.aid), t.aid";
        self.query(sql, |row| {
            Ok(GroupUnits {
                period_start: time(row.get(0)?)?,
                aid: row.get(1)?,
                name: row.get(2)?,
                cloud_units_used: row.get(3)?,
                enterprise_units_used: row.get(4)?,
            })
        })
    }

    fn query<T>(
        &self,
        sql: &str,
        map: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, CliError> {
        let run = || -> rusqlite::Result<Vec<T>> {
            let mut statement = self.connection.prepare(sql)?;
            let rows = statement.query_map([], map)?;
            rows.collect()
        };
        run().map_err(|e| failure(&self.path, e))
    }
}

/// Applies `migrations` from the database's version on, and sets its version to their count, in
/// one transaction that also holds off any other writer.
fn migrate(connection: &mut Connection, migrations: &[&str]) -> rusqlite::Result<()> {
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Read again under the write lock: another process may have migrated meanwhile.
    let version: i64 = tx.pragma_query_value(None, "user_version", |row| row.get(0))?;
    let from = usize::try_from(version).unwrap_or(usize::MAX);
    for script in migrations.iter().skip(from) {
        tx.execute_batch(script)?;
    }
    if from < migrations.len() {
        tx.pragma_update(None, "user_version", i64::try_from(migrations.len()).unwrap_or(i64::MAX))?;
    }
    tx.commit()
}

fn text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn time(text: String) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(&text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

/// Writes the snapshot in `tx`: the period's row added or updated, its rows replaced.
fn write_snapshot(
    tx: &Transaction<'_>,
    fetched: &Fetched,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> rusqlite::Result<()> {
    let at = text(fetched.fetched_at);
    tx.execute(
        "INSERT INTO period (start, end, first_snapshot_at, last_snapshot_at, snapshot_count, source) \
         VALUES (?1, ?2, ?3, ?3, 1, ?4) \
         ON CONFLICT (start, end) DO UPDATE SET last_snapshot_at = ?3, snapshot_count = snapshot_count + 1, source = ?4",
        params![text(start), text(end), at, fetched.source],
    )?;
    let id: i64 = tx.query_row(
        "SELECT id FROM period WHERE start = ?1 AND end = ?2",
        params![text(start), text(end)],
        |row| row.get(0),
    )?;
    for table in ["usage", "organization_quota", "account_group_quota", "test_units", "agent_units"] {
        tx.execute(&format!("DELETE FROM {table} WHERE period_id = ?1"), [id])?;
    }
    let usage = &fetched.usage;
    let answer =
        serde_json::to_string(usage).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    tx.execute(
        "INSERT INTO usage (period_id, cloud_units_used, cloud_units_projected, cloud_units_next_period, \
         cloud_units_included, enterprise_units_used, enterprise_units_projected, enterprise_units_next_period, answer) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            id,
            usage.cloud_units_used,
            usage.cloud_units_projected,
            usage.cloud_units_next_billing_period,
            usage.quota.as_ref().and_then(|q| q.cloud_units_included),
            usage.enterprise_units_used,
            usage.enterprise_units_projected,
            usage.enterprise_units_next_billing_period,
            answer,
        ],
    )?;
    let mut org_quota =
        tx.prepare("INSERT INTO organization_quota (period_id, org_id, units) VALUES (?1, ?2, ?3)")?;
    let mut group_quota = tx
        .prepare("INSERT INTO account_group_quota (period_id, org_id, aid, units) VALUES (?1, ?2, ?3, ?4)")?;
    for quota in &fetched.quotas {
        let org_id = quota.organization_quota.as_ref().and_then(|o| o.org_id.clone());
        if let Some(org) = &quota.organization_quota {
            org_quota.execute(params![id, org_id, org.value])?;
        }
        for group in quota.account_group_quotas.iter().flatten() {
            if let Some(aid) = &group.aid {
                group_quota.execute(params![id, org_id, aid, group.value])?;
            }
        }
    }
    let mut test = tx.prepare(
        "INSERT INTO test_units (period_id, aid, account_group_name, test_id, test_name, test_type, instant_test, \
         cloud_units_used, cloud_units_projected, enterprise_units_used, enterprise_units_projected) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;
    for t in &fetched.tests {
        test.execute(params![
            id,
            t.aid,
            t.account_group_name,
            t.test_id,
            t.test_name,
            t.test_type,
            t.is_instant_test,
            t.cloud_units_used,
            t.cloud_units_projected,
            t.enterprise_units_used,
            t.enterprise_units_projected,
        ])?;
    }
    let mut agent = tx.prepare(
        "INSERT INTO agent_units (period_id, aid, account_group_name, agent_id, agent_name, \
         enterprise_units_used, enterprise_units_projected) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for a in &fetched.agents {
        agent.execute(params![
            id,
            a.aid,
            a.account_group_name,
            a.agent_id,
            a.agent_name,
            a.enterprise_units_used,
            a.enterprise_units_projected,
        ])?;
    }
    Ok(())
}

/// A history is a regular file (a symbolic link to one will do): SQLite would block forever
/// opening a FIFO, and read or write a device as if it were a database.
fn a_regular_file(path: &Path, metadata: &std::fs::Metadata) -> Result<(), CliError> {
    let kind = metadata.file_type();
    if kind.is_file() {
        return Ok(());
    }
    let what =
        if kind.is_dir() { "is a directory" } else { "is not a regular file (a device, a FIFO or a socket)" };
    Err(problem(path, what))
}

/// The host of an API base URL (`api.thousandeyes.com`, `127.0.0.1`), or the text itself when it
/// is not a URL.
fn host(source: &str) -> &str {
    let rest = source.split_once("://").map_or(source, |(_, rest)| rest);
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    match host_port.strip_prefix('[') {
        Some(v6) => v6.split_once(']').map_or(host_port, |(h, _)| h),
        None => host_port.split_once(':').map_or(host_port, |(h, _)| h),
    }
}

/// Refuses a snapshot read from `source` when the history holds periods read from another host.
fn check_host(connection: &Connection, path: &Path, source: &str) -> Result<(), CliError> {
    let held: Option<String> = connection
        .query_row("SELECT source FROM period ORDER BY last_snapshot_at DESC LIMIT 1", [], |row| row.get(0))
        .optional()
        .map_err(|e| failure(path, e))?;
    match held {
        Some(held) if !host(&held).eq_ignore_ascii_case(host(source)) => Err(problem(
            path,
            &format!(
                "holds snapshots read from {}, and this one is read from {}: a history holds one \
                 organization's snapshots (with --demo, the embedded sample data on 127.0.0.1): use another \
                 --db",
                host(&held),
                host(source)
            ),
        )),
        _ => Ok(()),
    }
}

fn problem(path: &Path, problem: &str) -> CliError {
    CliError::Database { path: path.to_path_buf(), problem: problem.to_string(), source: None }
}

/// SQLite's error on `path`, said for what it means to the user.
fn failure(path: &Path, err: rusqlite::Error) -> CliError {
    let problem = match err.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            format!("is locked by another process (waited {} s)", LOCK_WAIT.as_secs())
        }
        Some(ErrorCode::ReadOnly) => "is read-only".to_string(),
        Some(ErrorCode::NotADatabase) => "is not an SQLite database".to_string(),
        Some(ErrorCode::DatabaseCorrupt) => "is damaged".to_string(),
        Some(ErrorCode::CannotOpen) => "cannot be opened".to_string(),
        Some(ErrorCode::DiskFull) => "cannot grow: the disk is full".to_string(),
        _ => "failed".to_string(),
    };
    CliError::Database { path: path.to_path_buf(), problem, source: Some(err) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_db(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("te-usage-store-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("history.db")
    }

    /// An upgraded te-usage appends a migration: a database at version 1, with data, reaches
    /// version 2 with its data kept, in one step.
    #[test]
    fn a_database_at_version_1_migrates_forward_keeping_its_rows() {
        let path = temp_db("migrate");
        let mut connection = Connection::open(&path).unwrap();
        migrate(&mut connection, &MIGRATIONS[..1]).unwrap();
        connection
            .execute(
                "INSERT INTO period (start, end, first_snapshot_at, last_snapshot_at, snapshot_count, source) \
                 VALUES ('2024-11-01T00:00:00Z', '2024-12-01T00:00:00Z', '2024-11-30T00:00:00Z', '2024-11-30T00:00:00Z', 1, 'x')",
                [],
            )
            .unwrap();
        let version_2 = "ALTER TABLE period ADD COLUMN note TEXT; UPDATE period SET note = 'kept';";
        migrate(&mut connection, &[MIGRATIONS[0], version_2]).unwrap();
        let version: i64 = connection.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        let (start, note): (String, String) = connection
            .query_row("SELECT start, note FROM period", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        assert_eq!((version, start.as_str(), note.as_str()), (2, "2024-11-01T00:00:00Z", "kept"));
    }

    #[test]
    fn a_migration_that_fails_leaves_the_database_at_its_version() {
        let path = temp_db("failed");
        let mut connection = Connection::open(&path).unwrap();
        migrate(&mut connection, &MIGRATIONS[..1]).unwrap();
        let broken = "CREATE TABLE added (x); SELECT * FROM no_such_table;";
        assert!(migrate(&mut connection, &[MIGRATIONS[0], broken]).is_err());
        let version: i64 = connection.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        let added: i64 = connection
            .query_row("SELECT count(*) FROM sqlite_schema WHERE name = 'added'", [], |r| r.get(0))
            .unwrap();
        assert_eq!((version, added), (1, 0));
    }

    #[test]
    fn another_applications_database_is_refused_untouched() {
        let path = temp_db("other");
        Connection::open(&path)
            .unwrap()
            .execute_batch("CREATE TABLE mine (x); INSERT INTO mine VALUES (1);")
            .unwrap();
        let before = std::fs::read(&path).unwrap();
        let err = History::open(&path).unwrap_err().to_string();
        assert!(
            err.ends_with("is an SQLite database of another application, not a te-usage history"),
            "{err}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }
}
