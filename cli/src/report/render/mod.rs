//! The report and the chargeback view as each `-o` format prints them: `table` and `markdown`
//! from one [`Document`](crate::document::Document) each ([`tables`]), `csv` one row per test or
//! per account group ([`csv`]), `json` one document; and what fetching took, for stderr
//! ([`stats`]).

pub mod csv;
pub mod stats;
pub mod tables;

use serde::Serialize;

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
    match format {
        Format::Table => Ok(tables::report(report).text()),
        Format::Markdown => Ok(tables::report(report).markdown()),
        Format::Csv => Ok(csv::report(report)),
        Format::Json => json(report),
        other => Err(CliError::Usage(format!("report does not print {}", other.name()))),
    }
}

/// The chargeback view as `format` prints it.
///
/// # Errors
///
/// As [`report`].
pub fn chargeback(view: &Chargeback, format: Format) -> Result<String, CliError> {
    match format {
        Format::Table => Ok(tables::chargeback(view).text()),
        Format::Markdown => Ok(tables::chargeback(view).markdown()),
        Format::Csv => Ok(csv::chargeback(view)),
        Format::Json => json(view),
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
