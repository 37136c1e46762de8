//! What ends a command unsuccessfully ([`CliError`]), the one line that says so on stderr, and
//! the exit status it gets.
//!
//! Exit statuses: 0 success; 1 a failure (the API, the configuration, a file); 2 a usage error
//! (a bad argument, also one the client refuses before sending: `--start` in the future). Two commands speak the conventions of the tools that run them:
//! `check` exits 3 (UNKNOWN, in the Monitoring Plugins guidelines) for any failure or bad
//! argument, and `quotas plan` exits 1 for both, as `terraform plan -detailed-exitcode` does,
//! since its 2 means "changes pending".

use std::error::Error as StdError;
use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::args::Command;
use crate::output::{note, print, terminal_safe};
use crate::quotas::{QuotasArgs, QuotasCommand};

/// Longest error line printed, in characters.
const MAX_LINE: usize = 2_000;

/// What ends a command unsuccessfully.
#[derive(Debug)]
#[non_exhaustive]
pub enum CliError {
    /// `TE_TOKEN` is not set and `--demo` was not given.
    NoToken,
    /// The client could not be built, or a call failed.
    Client(thousandeyes_usage::Error),
    /// An argument the parser cannot judge alone is wrong (a format the command does not print,
    /// say).
    Usage(String),
    /// A file could not be read or written.
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong, in a few words ("cannot read", ...).
        action: &'static str,
        /// The cause.
        source: std::io::Error,
    },
    /// A file the user wrote is wrong at one place (the quotas file): what is wrong, where.
    InFile {
        /// The file (`<stdin>` for standard input).
        path: PathBuf,
        /// The line, from 1.
        line: usize,
        /// The column, in characters from 1.
        column: usize,
        /// What is wrong, naming the value.
        message: String,
    },
    /// The history database cannot be used: locked, read-only, damaged, of a newer schema, ...
    Database {
        /// The database file.
        path: PathBuf,
        /// What is wrong with it, in a few words ("is locked by another process", ...).
        problem: String,
        /// SQLite's error, if it gave one.
        source: Option<rusqlite::Error>,
    },
    /// `quotas apply` stopped at a call that failed: what was applied and what was not.
    ApplyStopped {
        /// The account, in one line.
        message: String,
        /// Why the call failed.
        source: thousandeyes_usage::Error,
    },
    /// Stdout could not be written.
    Output(std::io::Error),
    /// Anything else, said in one line.
    Failed(String),
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::NoToken => f.write_str(
                "TE_TOKEN is not set, or empty: set it to a ThousandEyes API token for your organization, \
                 or pass --demo to run on the embedded sample data",
            ),
            CliError::Client(err) => fmt::Display::fmt(err, f),
            CliError::Usage(message) | CliError::Failed(message) | CliError::ApplyStopped { message, .. } => {
                f.write_str(message)
            }
            CliError::File { path, action, .. } => write!(f, "{action} {}", path.display()),
            CliError::InFile { path, line, column, message } => {
                write!(f, "{}:{line}:{column}: {message}", path.display())
            }
            CliError::Database { path, problem, .. } => {
                write!(f, "history database {} {problem}", path.display())
            }
            CliError::Output(_) => f.write_str("cannot write to stdout"),
        }
    }
}

impl StdError for CliError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            CliError::Client(err) | CliError::ApplyStopped { source: err, .. } => Some(err),
            CliError::File { source, .. } | CliError::Output(source) => Some(source),
            // SQLite's own error under rusqlite's, which says the same in fewer words.
            CliError::Database { source: Some(rusqlite::Error::SqliteFailure(sqlite, _)), .. } => {
                Some(sqlite)
            }
            CliError::Database { source: Some(source), .. } => Some(source),
            _ => None,
        }
    }
}

impl From<thousandeyes_usage::Error> for CliError {
    fn from(err: thousandeyes_usage::Error) -> Self {
        CliError::Client(err)
    }
}

/// The error and every cause in its `source()` chain that its message does not already say,
/// joined by ": " on one line, safe for a terminal.
///
/// ```
/// use thousandeyes_usage_cli::error::{one_line, CliError};
/// let err = CliError::File {
///     path: "quotas.toml".into(),
///     action: "cannot read",
///     source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
/// };
/// assert_eq!(one_line(&err), "cannot read quotas.toml: no such file");
/// ```
pub fn one_line(err: &dyn StdError) -> String {
    let mut line = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !text.is_empty() && !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        source = cause.source();
    }
    terminal_safe(&line.replace(['\n', '\r'], " "), MAX_LINE)
}

/// Which conventions a command's failures follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsageContext {
    /// 1 for a failure, 2 for a bad argument; the error on stderr.
    General,
    /// `check`: 3 (UNKNOWN) for both, and the status line on stdout, as monitoring systems read
    /// it.
    Check,
    /// `quotas plan`: 1 for both (2 means changes are pending).
    Plan,
}

impl UsageContext {
    /// The context of a command line that did not parse, from the command it names: the first
    /// word that is not a flag or the value of `-o/--output`.
    ///
    /// ```
    /// use std::ffi::OsString;
    /// use thousandeyes_usage_cli::error::UsageContext;
    /// let args = |a: &[&str]| a.iter().map(OsString::from).collect::<Vec<_>>();
    /// assert_eq!(UsageContext::of(&args(&["te-usage", "-o", "json", "check", "--bogus"])), UsageContext::Check);
    /// assert_eq!(UsageContext::of(&args(&["te-usage", "quotas", "plan"])), UsageContext::Plan);
    /// assert_eq!(UsageContext::of(&args(&["te-usage", "report", "--bogus"])), UsageContext::General);
    /// ```
    pub fn of(args: &[OsString]) -> UsageContext {
        let mut words = args.iter().skip(1).map(|a| a.to_string_lossy());
        let mut positional = Vec::new();
        while let Some(word) = words.next() {
            if word == "-o" || word == "--output" {
                words.next();
            } else if !word.starts_with('-') {
                positional.push(word.into_owned());
                if positional.len() == 2 {
                    break;
                }
            }
        }
        match positional.iter().map(String::as_str).collect::<Vec<_>>()[..] {
            ["check", ..] => UsageContext::Check,
            ["quotas", "plan"] => UsageContext::Plan,
            _ => UsageContext::General,
        }
    }

    /// The context of a parsed command.
    pub fn of_command(command: &Command) -> UsageContext {
        match command {
            Command::Check(_) => UsageContext::Check,
            Command::Quotas(QuotasArgs { command: QuotasCommand::Plan(_) }) => UsageContext::Plan,
            Command::Report(_)
            | Command::Completions(_)
            | Command::Quotas(_)
            | Command::Snapshot(_)
            | Command::History(_)
            | Command::Serve(_) => UsageContext::General,
        }
    }
}

/// Says `err` in one line and returns the exit status of a failed command in `context`: on
/// stderr as `te-usage: <message>` (status 1), or for `check` as `UNKNOWN - <message>` on stdout
/// (status 3).
pub fn failure(context: UsageContext, err: &CliError) -> ExitCode {
    let line = one_line(err);
    // A value the client refuses before sending anything (a `--start` in the future) is a bad
    // argument too.
    let usage =
        matches!(err, CliError::Usage(_) | CliError::Client(thousandeyes_usage::Error::InvalidInput { .. }));
    match context {
        UsageContext::Check => {
            let _ = print(&format!("UNKNOWN - {line}\n"));
            ExitCode::from(3)
        }
        UsageContext::General if usage => {
            note(&format!("te-usage: {line}"));
            ExitCode::from(2)
        }
        UsageContext::General | UsageContext::Plan => {
            note(&format!("te-usage: {line}"));
            ExitCode::from(1)
        }
    }
}

/// Prints what clap said of a command line that did not parse (help and version to stdout,
/// errors to stderr) and returns its exit status: 0 for help and version; for a usage error 2,
/// or the context's status for a failure (`check` 3, with its status line on stdout;
/// `quotas plan` 1).
pub fn usage_failure(context: UsageContext, err: clap::Error) -> ExitCode {
    if !err.use_stderr() {
        let _ = err.print();
        return ExitCode::SUCCESS;
    }
    match context {
        UsageContext::General => {
            let _ = err.print();
            ExitCode::from(2)
        }
        UsageContext::Check => {
            let rendered = err.render().to_string();
            let first = rendered.lines().next().unwrap_or("bad arguments");
            let first = first.strip_prefix("error: ").unwrap_or(first);
            let _ = print(&format!("UNKNOWN - {}\n", terminal_safe(first, MAX_LINE)));
            let _ = err.print();
            ExitCode::from(3)
        }
        UsageContext::Plan => {
            let _ = err.print();
            ExitCode::from(1)
        }
    }
}
