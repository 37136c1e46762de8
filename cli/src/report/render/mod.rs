//! The report and the chargeback view as each `-o` format prints them: `table` and `markdown`
//! from one [`Document`] each ([`tables`]), `csv` one row per test or per account group
//! ([`csv`]), `json` one document; and what fetching took, for stderr
//! ([`stats`]).

pub mod csv;
pub mod stats;
pub mod tables;

use serde::Serialize;

use crate::document::Document;
use crate::error::CliError;
use crate::output::Format;
use crate::report::{Chargeback, Report};

/// The formats `report` prints.
pub const FORMATS: [Format; 4] = [Format::Table, Format::Json, Format::Csv, Format::Markdown];

/// The report as `format` prints it.
///
/// # Errors
///
/// [`CliError::Failed`] if the report cannot be written as JSON; [`CliError::Usage`] for a format
/// `report` does not print.
pub fn report(report: &Report, format: Format) -> Result<String, CliError> {
    render(report, format, tables::report, csv::report)
}

/// The chargeback view as `format` prints it.
///
/// # Errors
///
/// As [`report`].
pub fn chargeback(view: &Chargeback, format: Format) -> Result<String, CliError> {
    render(view, format, tables::chargeback, csv::chargeback)
}

/// `value` in `format`: its `document` as text or Markdown, its `csv`, or its JSON.
fn render<T: Serialize>(
    value: &T,
    format: Format,
    document: fn(&T) -> Document,
    csv: fn(&T) -> String,
) -> Result<String, CliError> {
    match format {
        Format::Table => Ok(document(value).text()),
        Format::Markdown => Ok(document(value).markdown()),
        Format::Csv => Ok(csv(value)),
        Format::Json => json(value),
        other => Err(CliError::Usage(format!("report does not print {}", other.name()))),
    }
}

/// `value` as one pretty-printed JSON document, ending in a line break.
fn json<T: Serialize>(value: &T) -> Result<String, CliError> {
    let mut s = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::Failed(format!("the report cannot be written as JSON: {e}")))?;
    s.push('\n');
    Ok(s)
}
