//! The library behind `te-usage`, the command-line tool of thousandeyes-usage: usage reports and
//! chargeback by account group, alert checks for monitoring systems, quotas as code, and usage
//! history in SQLite, on the [`thousandeyes_usage`] client.
//!
//! It is the binary's code, published so that its benchmarks and tests can call it; its API is
//! not promised to stay. Roll-ups that are useful in your own programs are functions of
//! [`thousandeyes_usage`] itself.
//!
//! * [`args`]: the command line (clap), one struct of arguments per command;
//! * [`session`]: the client a command works with, from the `TE_*` variables or on the embedded
//!   demo (`--demo`);
//! * [`fetch`]: usage, quotas and both units listings, fetched at once, that every command
//!   reporting on usage starts from; [`progress`] shows the listings' pages on a terminal;
//! * [`output`]: the formats of `-o/--output`, and writing to stdout; [`document`] lays out what
//!   people read (as text or Markdown), [`figures`] writes units, percentages and periods;
//! * [`error`]: what ends a command unsuccessfully, and its exit status;
//! * [`fetch`]: the one fetch of usage, quotas and both listings that reports start from;
//! * [`history`]: the SQLite history of usage ([`history::History`]), and `te-usage history`;
//! * one module per command ([`report`], [`check`], [`quotas`], [`snapshot`], [`serve`],
//!   [`completions`], ...).

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod args;
pub mod check;
pub mod completions;
pub mod document;
pub mod error;
pub mod fetch;
pub mod figures;
pub mod history;
pub mod output;
pub mod progress;
pub mod quotas;
pub mod report;
pub mod serve;
pub mod session;
pub mod snapshot;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};
use crate::error::{CliError, UsageContext};

/// Runs `te-usage` with the command line `args` (the program's name first) and returns its exit
/// status, having written its output to stdout and its notes and errors to stderr.
pub async fn main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let args: Vec<OsString> = args.into_iter().collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(err) => return error::usage_failure(UsageContext::of(&args), err),
    };
    let context = UsageContext::of_command(&cli.command);
    match run(cli).await {
        Ok(status) => ExitCode::from(status),
        Err(err) => error::failure(context, &err),
    }
}

/// Runs the parsed command line: the exit status of a command that ran (0 unless the command
/// reports through its status, as `check` does), or the error that ended it.
pub async fn run(cli: Cli) -> Result<u8, CliError> {
    match cli.command {
        Command::Report(args) => report::run(&cli.global, &args).await,
        Command::Check(args) => check::run(&cli.global, &args).await,
        Command::Quotas(args) => quotas::run(&cli.global, &args).await,
        Command::Snapshot(args) => snapshot::run(&cli.global, &args).await,
        Command::History(args) => history::run(&cli.global, &args),
        Command::Completions(args) => completions::run(&args),
        Command::Serve(args) => serve::run(&cli.global, &args).await,
    }
}
