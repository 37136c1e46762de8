//! What a command prints: the formats of `-o/--output`, and writing to stdout and stderr without
//! dying on a closed pipe.

use std::io::Write;

use clap::ValueEnum;

use crate::document::{Align, Table};
use crate::error::CliError;

/// An output format (`-o/--output`). Each command offers some of them, and has a default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[non_exhaustive]
pub enum Format {
    /// Aligned text tables, for people.
    Table,
    /// One JSON document.
    Json,
    /// RFC 4180 CSV with a header line, one row per item.
    Csv,
    /// Markdown tables, for a wiki or a ticket.
    Markdown,
    /// TOML, the format of the quotas file.
    Toml,
}

impl Format {
    /// The name `-o` takes.
    ///
    /// ```
    /// use thousandeyes_usage_cli::output::Format;
    /// assert_eq!(Format::Markdown.name(), "markdown");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Markdown => "markdown",
            Format::Toml => "toml",
        }
    }

    /// The format `command` prints: the one asked for, if `command` offers it, else `default`.
    /// One it does not offer is a usage error naming the command and what it offers.
    ///
    /// ```
    /// use thousandeyes_usage_cli::output::Format;
    /// let offered = [Format::Table, Format::Json];
    /// assert_eq!(Format::choose(None, "report", &offered, Format::Table).unwrap(), Format::Table);
    /// assert_eq!(Format::choose(Some(Format::Json), "report", &offered, Format::Table).unwrap(), Format::Json);
    /// let err = Format::choose(Some(Format::Toml), "report", &offered, Format::Table).unwrap_err();
    /// assert_eq!(err.to_string(), "report does not print toml: -o takes table or json");
    /// ```
    pub fn choose(
        requested: Option<Format>,
        command: &str,
        offered: &[Format],
        default: Format,
    ) -> Result<Format, CliError> {
        match requested {
            None => Ok(default),
            Some(format) if offered.contains(&format) => Ok(format),
            Some(format) => {
                let names: Vec<&str> = offered.iter().map(|f| f.name()).collect();
                let list = match names.split_last() {
                    Some((last, [])) => (*last).to_string(),
                    Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
                    None => String::new(),
                };
                Err(CliError::Usage(format!("{command} does not print {}: -o takes {list}", format.name())))
            }
        }
    }
}

/// Writes `text` to stdout and flushes it. A reader that went away (`| head`) is not an error:
/// there is nobody left to tell.
///
/// # Errors
///
/// [`CliError::Output`] when stdout cannot be written for another reason (a full disk).
pub fn print(text: &str) -> Result<(), CliError> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError::Output(err)),
        _ => Ok(()),
    }
}

/// `value` as pretty-printed JSON, its fields in their declared order, ending in a newline.
///
/// ```
/// use thousandeyes_usage_cli::output::json;
/// assert_eq!(json(&[1, 2]), "[\n  1,\n  2\n]\n");
/// ```
pub fn json(value: &impl serde::Serialize) -> String {
    // Serializing plain data (no maps with non-string keys) cannot fail.
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

/// Writes one line to stderr, ignoring a closed stderr.
pub fn note(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// `text` made safe to print on a terminal, at most `max` characters: control characters
/// (escape sequences a server could send) and bidirectional overrides become `?`, and a longer
/// text is cut to end in `…`.
///
/// ```
/// use thousandeyes_usage_cli::output::terminal_safe;
/// assert_eq!(terminal_safe("ok\x1b[2Jgone", 100), "ok?[2Jgone");
/// assert_eq!(terminal_safe("abcdef", 4), "abc…");
/// ```
pub fn terminal_safe(text: &str, max: usize) -> String {
    let clean = text.chars().map(|c| {
        if c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}') {
            '?'
        } else {
            c
        }
    });
    if text.chars().count() <= max {
        clean.collect()
    } else {
        let mut cut: String = clean.take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

/// `n` with `separator` between groups of three digits: `12,345,678` (for people), or
/// `12_345_678` (a TOML integer).
///
/// ```
/// use thousandeyes_usage_cli::output::thousands;
/// assert_eq!(thousands(-1234567, ','), "-1,234,567");
/// assert_eq!(thousands(25_000_000, '_'), "25_000_000");
/// assert_eq!(thousands(999, ','), "999");
/// ```
pub fn thousands(n: i64, separator: char) -> String {
    let digits = n.unsigned_abs().to_string();
    let groups: Vec<&str> = digits
        .as_bytes()
        .rchunks(3)
        .rev()
        .map(|chunk| std::str::from_utf8(chunk).unwrap_or_default())
        .collect();
    let sign = if n < 0 { "-" } else { "" };
    format!("{sign}{}", groups.join(&separator.to_string()))
}

/// A text table, not indented: the column names, a line of dashes under each, then one line per
/// row; the columns aligned and two spaces apart, no borders, laid out as a [`Document`]'s
/// tables are. Cells are made [`terminal_safe`].
///
/// ```
/// use thousandeyes_usage_cli::document::Align;
/// use thousandeyes_usage_cli::output::table;
/// let text = table(&[("Group", Align::Left), ("Units", Align::Right)], vec![vec!["Web".into(), "1,000".into()]]);
/// assert_eq!(text, "Group  Units\n-----  -----\nWeb    1,000\n");
/// ```
///
/// [`Document`]: crate::document::Document
pub fn table(columns: &[(&str, Align)], rows: Vec<Vec<String>>) -> String {
    let mut table = Table::new(columns);
    for row in rows {
        table.row(row.iter().map(|cell| terminal_safe(cell, 200)).collect());
    }
    table.text()
}
