//! `te-usage snapshot --db PATH` and `te-usage history --db PATH`: the SQLite history, against
//! the fake; and a database that is locked, read-only, damaged or newer, each refused in one line
//! naming it and left byte for byte as it was.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, FixedOffset, Months, TimeZone, Utc};
use thousandeyes_usage_cli::history::History;
use thousandeyes_usage_fake::{Dataset, FakeUsageApi};

use crate::support::{run, scratch_dir, te_usage, te_usage_on, Run};

async fn snapshot(fake: &FakeUsageApi, db: &Path) -> Run {
    run(te_usage_on(fake, ["snapshot".as_ref(), "--db".as_ref(), db.as_os_str()])).await
}

async fn history(db: &Path, format: &str) -> Run {
    run(te_usage(["history".as_ref(), "--db".as_ref(), db.as_os_str(), "-o".as_ref(), format.as_ref()])).await
}

/// Rows per table.
fn row_counts(db: &Path) -> BTreeMap<&'static str, i64> {
    let connection =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    ["period", "usage", "organization_quota", "account_group_quota", "test_units", "agent_units"]
        .into_iter()
        .map(|table| {
            (table, connection.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0)).unwrap())
        })
        .collect()
}

/// A database holding one snapshot of the fake's Acme data.
async fn a_history(test: &str) -> PathBuf {
    let fake = FakeUsageApi::start().await;
    let db = scratch_dir(test).join("history.db");
    let out = snapshot(&fake, &db).await;
    assert_eq!(out.status, 0, "{out:?}");
    db
}

/// The month before `start`, as a billing period (start and end).
fn month_before(start: DateTime<FixedOffset>) -> (DateTime<FixedOffset>, DateTime<FixedOffset>) {
    let first = Utc.with_ymd_and_hms(start.year(), start.month(), 1, 0, 0, 0).unwrap();
    let before = first.checked_sub_months(Months::new(1)).unwrap();
    (before.fixed_offset(), (first - chrono::Duration::seconds(1)).fixed_offset())
}

/// Cloud units per account group of a dataset's tests.
fn cloud_by_group(data: &Dataset) -> BTreeMap<String, i64> {
    let mut sums = BTreeMap::new();
    for t in &data.test_units {
        *sums.entry(t.aid.clone().unwrap()).or_insert(0) += t.cloud_units_used.unwrap_or(0);
    }
    sums
}

#[tokio::test]
async fn snapshot_twice_keeps_one_period_with_the_same_row_counts() {
    let fake = FakeUsageApi::start().await;
    let db = scratch_dir("snapshot-twice").join("history.db");
    let first = snapshot(&fake, &db).await;
    assert_eq!(first.status, 0, "{first:?}");
    assert!(
        first
            .stdout
            .contains("(a new period): 81 tests, 33 enterprise agent entries, 4 account group quotas"),
        "{}",
        first.stdout
    );
    let once = row_counts(&db);
    assert_eq!(once["period"], 1);
    assert_eq!((once["test_units"], once["agent_units"], once["account_group_quota"]), (81, 33, 4));
    let second = snapshot(&fake, &db).await;
    assert_eq!(second.status, 0, "{second:?}");
    assert!(
        second.stdout.contains("snapshot 2 of this period, replacing the one before"),
        "{}",
        second.stdout
    );
    assert_eq!(row_counts(&db), once);
    let periods = History::open_read_only(&db).unwrap().periods().unwrap();
    assert_eq!(periods.len(), 1);
    assert_eq!(periods[0].snapshot_count, 2);
    assert_eq!(periods[0].cloud_units_used, Some(fake.expected_totals().cloud_units_used));
    let period = fake.dataset().usage.quota.unwrap();
    assert_eq!(Some(periods[0].start.fixed_offset()), period.month_start);
}

#[tokio::test]
async fn the_store_refuses_a_fetch_of_another_range_than_the_billing_period() {
    use thousandeyes_usage_cli::fetch::{fetch, Period};
    let fake = FakeUsageApi::start().await;
    let client =
        thousandeyes_usage::Client::builder().token(fake.token()).base_url(fake.base_url()).build().unwrap();
    let start = (Utc::now() - chrono::Duration::days(2)).fixed_offset();
    let fetched = fetch(&client, Period::Range { start, end: None }, &mut |_| {}).await.unwrap();
    let db = scratch_dir("store-range").join("history.db");
    let mut history = History::open(&db).unwrap();
    let err = history.store(&fetched).unwrap_err().to_string();
    assert!(err.starts_with("a snapshot is of the current billing period"), "{err}");
    assert_eq!(history.periods().unwrap(), []);
}

#[tokio::test]
async fn history_shows_two_periods_side_by_side_per_account_group_with_the_change() {
    // Last month: the same organization with half the cloud units on every test.
    let now = FakeUsageApi::start().await;
    let mut last_month = now.dataset();
    let quota = last_month.usage.quota.as_mut().unwrap();
    let (start, end) = month_before(quota.month_start.unwrap());
    (quota.month_start, quota.month_end) = (Some(start), Some(end));
    for t in &mut last_month.test_units {
        t.cloud_units_used = t.cloud_units_used.map(|u| u / 2);
    }
    let before = FakeUsageApi::builder().dataset(last_month.clone()).start().await;
    let db = scratch_dir("history-two-periods").join("history.db");
    for fake in [&now, &before] {
        let out = snapshot(fake, &db).await;
        assert_eq!(out.status, 0, "{out:?}");
    }
    let (old, new) = (cloud_by_group(&last_month), cloud_by_group(&now.dataset()));

    let csv_out = history(&db, "csv").await;
    assert_eq!(csv_out.status, 0, "{csv_out:?}");
    let mut reader = csv::Reader::from_reader(csv_out.stdout.as_bytes());
    let header = reader.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2 * new.len(), "one row per account group and period");
    for row in &rows {
        let aid = &row[column("aid")];
        let used: i64 = row[column("cloud_units_used")].parse().unwrap();
        if row[column("period_start")].starts_with(&start.format("%Y-%m-%d").to_string()) {
            assert_eq!(used, old[aid], "{aid} last month");
            assert_eq!(&row[column("cloud_units_change")], "", "{aid}: no period before the first");
        } else {
            assert_eq!(used, new[aid], "{aid} this month");
            let change: i64 = row[column("cloud_units_change")].parse().unwrap();
            assert_eq!(change, new[aid] - old[aid], "{aid}");
        }
    }

    let json_out = history(&db, "json").await;
    assert_eq!(json_out.status, 0, "{json_out:?}");
    let json: serde_json::Value = serde_json::from_str(&json_out.stdout).unwrap();
    assert_eq!(json["periods"].as_array().unwrap().len(), 2);
    let net_ops = json["account_groups"].as_array().unwrap().iter().find(|g| g["aid"] == "1234").unwrap();
    assert_eq!(net_ops["name"], "Network Operations");
    assert_eq!(net_ops["periods"][1]["cloud_units_change"].as_i64(), Some(new["1234"] - old["1234"]));

    let table = history(&db, "table").await;
    assert_eq!(table.status, 0, "{table:?}");
    assert!(table.stdout.contains("2 billing periods"), "{}", table.stdout);
    assert!(table.stdout.contains(&start.format("%Y-%m-%d").to_string()), "{}", table.stdout);
    let row = table.stdout.lines().find(|l| l.starts_with("1234 Network Operations")).unwrap();
    let change = new["1234"] - old["1234"];
    assert!(row.contains(&format!("(+{})", thousandeyes_usage_cli::output::thousands(change, ','))), "{row}");
    let markdown = history(&db, "markdown").await;
    assert_eq!(markdown.status, 2, "{markdown:?}");
}

/// Asserts `out` failed with one line naming `db` and saying `problem`.
fn assert_refused(out: &Run, db: &Path, problem: &str) {
    assert_eq!(out.status, 1, "{out:?}");
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    let start = format!("te-usage: history database {} {problem}", db.display());
    assert!(out.stderr.starts_with(&start), "{:?} does not start with {start:?}", out.stderr);
}

#[tokio::test]
async fn a_locked_database_is_refused_in_one_line_and_left_as_it_was() {
    let fake = FakeUsageApi::start().await;
    let db = a_history("locked").await;
    let before = std::fs::read(&db).unwrap();
    let holder = rusqlite::Connection::open(&db).unwrap();
    holder.execute_batch("BEGIN EXCLUSIVE").unwrap();
    assert_refused(&snapshot(&fake, &db).await, &db, "is locked by another process");
    assert_refused(&history(&db, "table").await, &db, "is locked by another process");
    holder.execute_batch("ROLLBACK").unwrap();
    drop(holder);
    assert_eq!(std::fs::read(&db).unwrap(), before);
    assert!(fake.requests().is_empty(), "the database is checked before anything is fetched");
}

#[tokio::test]
async fn a_read_only_database_is_refused_by_snapshot_left_as_it_was_and_still_read_by_history() {
    use std::os::unix::fs::PermissionsExt;
    let fake = FakeUsageApi::start().await;
    let db = a_history("read-only").await;
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o444)).unwrap();
    let before = std::fs::read(&db).unwrap();
    assert_refused(&snapshot(&fake, &db).await, &db, "is read-only");
    assert_eq!(std::fs::read(&db).unwrap(), before);
    let shown = history(&db, "csv").await;
    assert_eq!(shown.status, 0, "{shown:?}");
    assert_eq!(std::fs::read(&db).unwrap(), before);
}

#[tokio::test]
async fn a_damaged_database_garbage_truncated_or_overwritten_is_refused_before_any_fetch() {
    let fake = FakeUsageApi::start().await;
    let dir = scratch_dir("corrupt");
    let garbage = dir.join("garbage.db");
    std::fs::write(&garbage, "this is not a database\n".repeat(400)).unwrap();
    let truncated = a_history("corrupt-truncated").await;
    let whole = std::fs::read(&truncated).unwrap();
    std::fs::write(&truncated, &whole[..whole.len() / 2]).unwrap();
    // Every page but the first (the schema's) overwritten: only a check of the pages sees it.
    let overwritten = a_history("corrupt-overwritten").await;
    let mut pages = std::fs::read(&overwritten).unwrap();
    pages[4096..].fill(0xa5);
    std::fs::write(&overwritten, &pages).unwrap();
    let cases = [
        (&garbage, "is not an SQLite database"),
        (&truncated, "is damaged"),
        (&overwritten, "is damaged (SQLite's quick_check: "),
    ];
    for (db, problem) in cases {
        let before = std::fs::read(db).unwrap();
        assert_refused(&snapshot(&fake, db).await, db, problem);
        assert_refused(&history(db, "table").await, db, problem);
        assert_eq!(&std::fs::read(db).unwrap(), &before, "{}", db.display());
    }
    assert!(fake.requests().is_empty(), "the database is checked before anything is fetched");
}

/// A FIFO held both commands forever (SQLite's open blocks on it), and a link to a device was
/// read as an empty history: anything but a regular file is refused before it is opened.
#[tokio::test]
async fn a_fifo_a_device_or_a_directory_is_refused_in_one_line_before_any_fetch() {
    let fake = FakeUsageApi::start().await;
    let dir = scratch_dir("not-a-file");
    let fifo = dir.join("fifo.db");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let device = dir.join("zero.db");
    std::os::unix::fs::symlink("/dev/zero", &device).unwrap();
    let folder = dir.join("folder.db");
    std::fs::create_dir(&folder).unwrap();
    let not_regular = "is not a regular file (a device, a FIFO or a socket)";
    for (db, problem) in [(&fifo, not_regular), (&device, not_regular), (&folder, "is a directory")] {
        let refused = tokio::time::timeout(std::time::Duration::from_secs(30), async {
            (snapshot(&fake, db).await, history(db, "table").await)
        });
        let (snapshot, history) = refused.await.unwrap_or_else(|_| panic!("{} held te-usage", db.display()));
        assert_refused(&snapshot, db, problem);
        assert_refused(&history, db, problem);
    }
    assert!(fake.requests().is_empty(), "the database is checked before anything is fetched");
}

#[tokio::test]
async fn a_database_of_a_newer_schema_is_refused_and_an_up_to_date_one_is_opened_unchanged() {
    let fake = FakeUsageApi::start().await;
    let db = a_history("schema-versions").await;
    let before = std::fs::read(&db).unwrap();
    drop(History::open(&db).unwrap());
    assert_eq!(std::fs::read(&db).unwrap(), before, "opening an up-to-date database wrote to it");

    rusqlite::Connection::open(&db).unwrap().pragma_update(None, "user_version", 99).unwrap();
    let newer = std::fs::read(&db).unwrap();
    let out = snapshot(&fake, &db).await;
    assert_refused(&out, &db, "has schema version 99, newer than this te-usage knows (1)");
    assert_refused(&history(&db, "table").await, &db, "has schema version 99");
    assert_eq!(std::fs::read(&db).unwrap(), newer);
}

#[tokio::test]
async fn history_of_a_missing_database_says_how_to_make_one_and_creates_nothing() {
    let db = scratch_dir("history-missing").join("none.db");
    let out = history(&db, "table").await;
    assert_refused(&out, &db, "does not exist: `te-usage snapshot --db PATH` creates it");
    assert!(!db.exists());
    let no_token = run(te_usage(["snapshot".as_ref(), "--db".as_ref(), db.as_os_str()])).await;
    assert_eq!(no_token.status, 1, "{no_token:?}");
    assert!(
        no_token.stderr.contains("TE_TOKEN") && no_token.stderr.contains("--demo"),
        "{}",
        no_token.stderr
    );
    assert!(!db.exists(), "snapshot without a token created the database");
}

#[tokio::test]
async fn a_history_holds_one_apis_snapshots_and_refuses_the_demos_before_fetching() {
    let fake = FakeUsageApi::start().await;
    let db = scratch_dir("one-source").join("history.db");
    // The organization's history, read from the fake under the name `localhost`.
    let endpoint = fake.base_url().replace("127.0.0.1", "localhost");
    let from_localhost = || {
        let mut command = te_usage_on(&fake, ["snapshot".as_ref(), "--db".as_ref(), db.as_os_str()]);
        command.env("TE_API_ENDPOINT", &endpoint);
        command
    };
    let first = run(from_localhost()).await;
    assert_eq!(first.status, 0, "{first:?}");
    let before = std::fs::read(&db).unwrap();

    // The demo's fake is on 127.0.0.1: its sample data would land among the organization's.
    let demo = run(te_usage([
        "snapshot".as_ref(),
        "--demo".as_ref(),
        "--quiet".as_ref(),
        "--db".as_ref(),
        db.as_os_str(),
    ]))
    .await;
    assert_refused(
        &demo,
        &db,
        "holds snapshots read from localhost, and this one is read from 127.0.0.1: a history holds one organization's",
    );
    assert!(demo.stderr.contains("use another --db"), "{}", demo.stderr);
    assert_eq!(std::fs::read(&db).unwrap(), before);

    // The organization's next snapshot, from the same host, is stored.
    let requests = fake.request_count();
    let again = run(from_localhost()).await;
    assert_eq!(again.status, 0, "{again:?}");
    assert!(fake.request_count() > requests);
    assert_eq!(History::open_read_only(&db).unwrap().periods().unwrap()[0].snapshot_count, 2);
}
