//! `-o csv`: RFC 4180 (fields quoted when they hold a comma, a quote or a line break, written by
//! the `csv` crate), a header line, then one row per test ([`report`]) or per account group
//! ([`chargeback`]). Every row carries the period its units cover, as RFC 3339 UTC times.

use chrono::{DateTime, SecondsFormat, Utc};

use crate::report::{Chargeback, Report};

/// The header line of [`report`].
/// `period_start` and `period_end` are the period the row's units cover (RFC 3339, UTC): the
/// requested range, or the current billing period as `GET /usage` reports it. A range open to
/// now ends at the report's `generated_at`.
pub const CSV_HEADER: &str = "period_start,period_end,rank,test_id,test_name,test_type,aid,account_group,\
    instant_test,cloud_units_used,cloud_units_projected,enterprise_units_used,enterprise_units_projected,\
    units_used";

/// The header line of [`chargeback`]: the account group, the `*_by_test_owner` columns and the
/// quota (enforced on them) for `period_start` to `period_end`, then the
/// `*_by_agent_home_group` column for `agent_home_group_period_start` to
/// `agent_home_group_period_end` (`GET /usage` always covers the billing period: the two periods
/// differ when `--start` names a range).
pub const CHARGEBACK_CSV_HEADER: &str = "period_start,period_end,aid,account_group,test_count,\
    cloud_units_by_test_owner,enterprise_units_by_test_owner,units_by_test_owner,quota,\
    quota_percent_by_test_owner,enterprise_units_by_agent_home_group,home_agent_count,\
    agent_home_group_period_start,agent_home_group_period_end";

/// Every test of the report as CSV: [`CSV_HEADER`], then one row per test, most units first.
pub fn report(report: &Report) -> String {
    let (start, end) = report.period.covered(report.generated_at);
    let (start, end) = (csv_time(start), csv_time(end));
    let rows = report.tests.iter().map(|t| {
        vec![
            start.clone(),
            end.clone(),
            t.rank.to_string(),
            csv_text(t.test_id.as_deref()),
            csv_text(t.name.as_deref()),
            csv_text(t.test_type.as_deref()),
            csv_text(t.aid.as_deref()),
            csv_text(t.account_group.as_deref()),
            t.instant.map(|b| b.to_string()).unwrap_or_default(),
            csv_number(t.cloud_units_used),
            csv_number(t.cloud_units_projected),
            csv_number(t.enterprise_units_used),
            csv_number(t.enterprise_units_projected),
            t.units_used.to_string(),
        ]
    });
    csv_document(CSV_HEADER, rows)
}

/// The chargeback view as CSV: [`CHARGEBACK_CSV_HEADER`], then one row per account group, most
/// units by test owner first. Each figure column adds up to its source's total.
pub fn chargeback(view: &Chargeback) -> String {
    let owner = [csv_time(view.by_test_owner.period_start), csv_time(view.by_test_owner.period_end)];
    let home =
        [csv_time(view.by_agent_home_group.period_start), csv_time(view.by_agent_home_group.period_end)];
    let rows = view.account_groups.iter().map(|g| {
        vec![
            owner[0].clone(),
            owner[1].clone(),
            csv_text(g.aid.as_deref()),
            csv_text(g.name.as_deref()),
            g.test_count.to_string(),
            g.cloud_units_by_test_owner.to_string(),
            g.enterprise_units_by_test_owner.to_string(),
            g.units_by_test_owner.to_string(),
            csv_number(g.quota),
            g.quota_percent.map(|p| format!("{p:.2}")).unwrap_or_default(),
            g.enterprise_units_by_agent_home_group.to_string(),
            g.home_agent_count.to_string(),
            home[0].clone(),
            home[1].clone(),
        ]
    });
    csv_document(CHARGEBACK_CSV_HEADER, rows)
}

fn csv_time(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true)).unwrap_or_default()
}

/// A text field of a CSV row, with a leading `'` when it would otherwise start like a
/// spreadsheet formula (`=`, `+`, `-`, `@`, a tab or a carriage return). Quoting is the CSV
/// writer's.
fn csv_text(s: Option<&str>) -> String {
    let Some(s) = s else { return String::new() };
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

fn csv_number(n: Option<i64>) -> String {
    n.map(|n| n.to_string()).unwrap_or_default()
}

/// `header`'s columns, then `rows`, as CSV with each line ending in `\n`.
fn csv_document(header: &str, rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let header: Vec<String> = header.split(',').map(str::to_string).collect();
    csv_rows(std::iter::once(header).chain(rows))
}

/// Rows as CSV (RFC 4180), each line ending in `\n`.
fn csv_rows(rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut writer = csv::WriterBuilder::new().has_headers(false).flexible(true).from_writer(Vec::new());
    for row in rows {
        // Writing to memory does not fail: the writer's only errors are its writer's and (with
        // `flexible`) none for rows of another length.
        let _ = writer.write_record(&row);
    }
    let bytes = writer.into_inner().unwrap_or_default();
    // Every field was a Rust string, and the writer adds only ASCII.
    String::from_utf8_lossy(&bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_text(Some("plain")), "plain");
        assert_eq!(csv_text(Some("=HYPERLINK(1)")), "'=HYPERLINK(1)");
        assert_eq!(csv_text(Some("-1")), "'-1");
        assert_eq!(csv_text(None), "");
        let fields = ["plain", "a, b", "say \"hi\"", "two\nlines", ""].map(|f| csv_text(Some(f))).to_vec();
        assert_eq!(csv_rows([fields]), "plain,\"a, b\",\"say \"\"hi\"\"\",\"two\nlines\",\n");
        assert_eq!(csv_rows(Vec::<Vec<String>>::new()), "");
    }

    #[test]
    fn the_headers_name_each_column_once() {
        for header in [CSV_HEADER, CHARGEBACK_CSV_HEADER] {
            let names: Vec<&str> = header.split(',').collect();
            let unique: std::collections::BTreeSet<&str> = names.iter().copied().collect();
            assert_eq!(names.len(), unique.len(), "{header}");
            assert!(names.iter().all(|n| !n.is_empty() && !n.contains(' ')), "{header}");
        }
    }
}
