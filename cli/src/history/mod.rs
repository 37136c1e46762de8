//! The usage history: an SQLite database of billing periods ([`History`], written by `te-usage
//! snapshot` and by any program that calls [`History::store`]), and `te-usage history --db PATH`,
//! which shows its periods side by side per account group, with the change from each period to
//! the next.

mod store;

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, SecondsFormat, Utc};
use clap::Args;
use serde::Serialize;

pub use self::store::{GroupUnits, History, StoredPeriod, LOCK_WAIT};
use crate::args::GlobalArgs;
use crate::document::Align;
use crate::error::CliError;
use crate::output::{json, print, table, thousands, Format};

/// The arguments of `history`.
#[derive(Debug, Clone, Args)]
#[command(after_help = "\
Units are by test owner: each test's units count for the account group that owns the test
(GET /usage/units/tests). A period whose last snapshot was taken before its end shows its units
to that date. The database is only read.")]
pub struct HistoryArgs {
    /// The SQLite history, as `te-usage snapshot --db PATH` writes it
    #[arg(long, value_name = "PATH")]
    pub db: PathBuf,
}

/// One account group's units in one period, and the change from the period before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeriodUnits {
    /// The period's start.
    pub period_start: DateTime<Utc>,
    /// Cloud units used.
    pub cloud_units_used: i64,
    /// The change from the period before (none for the first period).
    pub cloud_units_change: Option<i64>,
    /// Enterprise units used.
    pub enterprise_units_used: i64,
    /// The change from the period before.
    pub enterprise_units_change: Option<i64>,
}

/// An account group across the periods of a history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupTrend {
    /// The account group.
    pub aid: String,
    /// Its name in the latest period that names it.
    pub name: Option<String>,
    /// One entry per period of the history, oldest first (0 units in a period where it had no
    /// tests).
    pub periods: Vec<PeriodUnits>,
}

/// Every account group of `units` across `periods`, each period with the change from the one
/// before it; ordered by account group id.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use thousandeyes_usage_cli::history::{trends, History};
/// # let path = std::env::temp_dir().join(format!("te-usage-trends-{}.db", std::process::id()));
/// let history = History::open(&path)?;
/// let trends = trends(&history.periods()?, &history.account_group_units()?);
/// assert!(trends.is_empty()); // nothing snapshotted yet
/// # drop(history); std::fs::remove_file(&path)?;
/// # Ok(()) }
/// ```
pub fn trends(periods: &[StoredPeriod], units: &[GroupUnits]) -> Vec<GroupTrend> {
    let mut by_group: BTreeMap<(usize, &str), GroupTrend> = BTreeMap::new();
    for u in units {
        let trend = by_group.entry((u.aid.len(), &u.aid)).or_insert_with(|| GroupTrend {
            aid: u.aid.clone(),
            name: None,
            periods: Vec::new(),
        });
        trend.name = u.name.clone().or(trend.name.take());
    }
    let by_period: BTreeMap<(&str, DateTime<Utc>), &GroupUnits> =
        units.iter().map(|u| ((u.aid.as_str(), u.period_start), u)).collect();
    for trend in by_group.values_mut() {
        let mut before: Option<(i64, i64)> = None;
        for period in periods {
            let found = by_period.get(&(trend.aid.as_str(), period.start));
            let (cloud, enterprise) = found.map_or((0, 0), |u| (u.cloud_units_used, u.enterprise_units_used));
            trend.periods.push(PeriodUnits {
                period_start: period.start,
                cloud_units_used: cloud,
                cloud_units_change: before.map(|(c, _)| cloud.saturating_sub(c)),
                enterprise_units_used: enterprise,
                enterprise_units_change: before.map(|(_, e)| enterprise.saturating_sub(e)),
            });
            before = Some((cloud, enterprise));
        }
    }
    by_group.into_values().collect()
}

/// Runs `history`: reads the database (never writes it) and prints its periods side by side.
///
/// # Errors
///
/// [`CliError::Database`] for a database that cannot be read; [`CliError::Output`].
pub fn run(global: &GlobalArgs, args: &HistoryArgs) -> Result<u8, CliError> {
    let offered = [Format::Table, Format::Json, Format::Csv];
    let format = Format::choose(global.output, "history", &offered, Format::Table)?;
    let history = History::open_read_only(&args.db)?;
    let periods = history.periods()?;
    let trends = trends(&periods, &history.account_group_units()?);
    print(&match format {
        Format::Json => {
            #[derive(Serialize)]
            struct Document<'a> {
                database: String,
                attribution: &'static str,
                periods: &'a [StoredPeriod],
                account_groups: &'a [GroupTrend],
            }
            let database = args.db.display().to_string();
            json(&Document {
                database,
                attribution: "by test owner",
                periods: &periods,
                account_groups: &trends,
            })
        }
        Format::Csv => render_csv(&periods, &trends)?,
        _ => render_table(&args.db, &periods, &trends),
    })?;
    Ok(0)
}

/// One row per account group and period: RFC 4180, with a header line.
fn render_csv(periods: &[StoredPeriod], trends: &[GroupTrend]) -> Result<String, CliError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let header = [
        "period_start",
        "period_end",
        "last_snapshot_at",
        "aid",
        "account_group",
        "cloud_units_used",
        "cloud_units_change",
        "enterprise_units_used",
        "enterprise_units_change",
    ];
    let write_error = |e: csv::Error| CliError::Failed(format!("cannot write CSV: {e}"));
    out.write_record(header).map_err(write_error)?;
    let optional = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
    for trend in trends {
        for (period, units) in periods.iter().zip(&trend.periods) {
            out.write_record([
                period.start.to_rfc3339_opts(SecondsFormat::Secs, true),
                period.end.to_rfc3339_opts(SecondsFormat::Secs, true),
                period.last_snapshot_at.to_rfc3339_opts(SecondsFormat::Secs, true),
                trend.aid.clone(),
                trend.name.clone().unwrap_or_default(),
                units.cloud_units_used.to_string(),
                optional(units.cloud_units_change),
                units.enterprise_units_used.to_string(),
                optional(units.enterprise_units_change),
            ])
            .map_err(write_error)?;
        }
    }
    let bytes = out.into_inner().map_err(|e| CliError::Failed(format!("cannot write CSV: {e}")))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// What a table of `history` shows.
#[derive(Clone, Copy)]
enum Measure {
    Cloud,
    Enterprise,
}

impl Measure {
    fn title(self) -> &'static str {
        match self {
            Measure::Cloud => "Cloud units used",
            Measure::Enterprise => "Enterprise units used",
        }
    }

    /// An account group's units in a period, and the change from the period before.
    fn of(self, units: &PeriodUnits) -> (i64, Option<i64>) {
        match self {
            Measure::Cloud => (units.cloud_units_used, units.cloud_units_change),
            Measure::Enterprise => (units.enterprise_units_used, units.enterprise_units_change),
        }
    }

    /// The organization's units in a period (`GET /usage`).
    fn total(self, period: &StoredPeriod) -> Option<i64> {
        match self {
            Measure::Cloud => period.cloud_units_used,
            Measure::Enterprise => period.enterprise_units_used,
        }
    }
}

/// Two tables, cloud units then enterprise units: one row per account group, one column per
/// period, each cell with the change from the period before; the organization's totals last.
fn render_table(path: &std::path::Path, periods: &[StoredPeriod], trends: &[GroupTrend]) -> String {
    let mut out = format!(
        "History in {}: {} billing period{}, units by test owner (the change from the period before in brackets)\n",
        path.display(),
        periods.len(),
        if periods.len() == 1 { "" } else { "s" }
    );
    if periods.is_empty() {
        out.push_str("No period yet: `te-usage snapshot --db PATH` stores one.\n");
        return out;
    }
    let headers: Vec<String> = periods
        .iter()
        .map(|p| {
            let start = p.start.format("%Y-%m-%d");
            if p.last_snapshot_at < p.end {
                format!("{start} (to {})", p.last_snapshot_at.format("%m-%d"))
            } else {
                start.to_string()
            }
        })
        .collect();
    let cell = |used: i64, change: Option<i64>| match change {
        Some(c) if c > 0 => format!("{} (+{})", thousands(used, ','), thousands(c, ',')),
        Some(c) => format!("{} ({})", thousands(used, ','), thousands(c, ',')),
        None => thousands(used, ','),
    };
    for measure in [Measure::Cloud, Measure::Enterprise] {
        let mut columns: Vec<(&str, Align)> = vec![("Account group", Align::Left)];
        columns.extend(headers.iter().map(|h| (h.as_str(), Align::Right)));
        let mut rows: Vec<Vec<String>> = trends
            .iter()
            .map(|trend| {
                let name = trend.name.as_deref().map(|n| format!(" {n}")).unwrap_or_default();
                let mut row = vec![format!("{}{name}", trend.aid)];
                row.extend(trend.periods.iter().map(|u| {
                    let (used, change) = measure.of(u);
                    cell(used, change)
                }));
                row
            })
            .collect();
        let mut before = None;
        let mut totals = vec!["Organization (GET /usage)".to_string()];
        for period in periods {
            let now = measure.total(period);
            totals.push(match now {
                Some(used) => cell(used, before.and_then(|b: Option<i64>| b).map(|b| used.saturating_sub(b))),
                None => "n/a".into(),
            });
            before = Some(now);
        }
        rows.push(totals);
        out.push_str(&format!("\n{}\n", measure.title()));
        out.push_str(&table(&columns, rows));
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn period(month: u32) -> StoredPeriod {
        let start = Utc.with_ymd_and_hms(2024, month, 1, 0, 0, 0).unwrap();
        StoredPeriod {
            start,
            end: Utc.with_ymd_and_hms(2024, month + 1, 1, 0, 0, 0).unwrap(),
            first_snapshot_at: start,
            last_snapshot_at: start,
            snapshot_count: 1,
            source: "x".into(),
            cloud_units_used: None,
            cloud_units_included: None,
            enterprise_units_used: None,
        }
    }

    fn units(month: u32, aid: &str, cloud: i64) -> GroupUnits {
        GroupUnits {
            period_start: period(month).start,
            aid: aid.into(),
            name: Some(format!("{aid} in {month}")),
            cloud_units_used: cloud,
            enterprise_units_used: 0,
        }
    }

    #[test]
    fn a_group_without_tests_in_a_period_has_0_there_and_its_change_counts_from_0() {
        let periods = [period(9), period(10), period(11)];
        let rows = [units(9, "12", 100), units(10, "12", 150), units(11, "12", 120), units(10, "7", 40)];
        let trends = trends(&periods, &rows);
        let seen: Vec<_> = trends
            .iter()
            .map(|t| {
                (
                    t.aid.as_str(),
                    t.periods.iter().map(|p| (p.cloud_units_used, p.cloud_units_change)).collect(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("7", vec![(0, None), (40, Some(40)), (0, Some(-40))]),
                ("12", vec![(100, None), (150, Some(50)), (120, Some(-30))]),
            ]
        );
        assert_eq!(trends[1].name.as_deref(), Some("12 in 11"), "the latest name");
    }

    /// Units at the ends of `i64` (a history written from a server's odd figures) give a change
    /// that saturates, in the trends and in the table, not an overflow.
    #[test]
    fn changes_between_figures_at_the_ends_of_i64_saturate() {
        let mut periods = [period(9), period(10)];
        periods[0].cloud_units_used = Some(i64::MAX);
        periods[1].cloud_units_used = Some(i64::MIN);
        let rows = [units(9, "12", i64::MAX), units(10, "12", i64::MIN)];
        let trends = trends(&periods, &rows);
        assert_eq!(trends[0].periods[1].cloud_units_change, Some(i64::MIN));
        let text = render_table(std::path::Path::new("h.db"), &periods, &trends);
        assert!(text.contains(&format!("({})", thousands(i64::MIN, ','))), "{text}");
    }
}
