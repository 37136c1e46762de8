//! The command line of `te-usage`: the flags every command takes ([`GlobalArgs`]) and one
//! subcommand ([`Command`]). clap writes `--help` from these, and answers a bad argument with a
//! usage error.

use clap::{Args, Parser, Subcommand};

use crate::output::Format;

/// What `--help` says of the environment, under every command.
pub const ENVIRONMENT_HELP: &str = "\
Environment (as the ThousandEyes Terraform provider reads it):
  TE_TOKEN             the bearer token (required unless --demo)
  TE_AID               the default account group id
  TE_API_ENDPOINT      the API's base URL [default: https://api.thousandeyes.com/v7]
  TE_TIMEOUT           the request timeout, in seconds [default: 60]
  TE_RATE_LIMIT_SHARE  the share of the organization's rate limit to use, in (0, 1] [default: 1]
  HTTPS_PROXY, NO_PROXY, SSL_CERT_FILE: a proxy, and a corporate CA";

/// `te-usage`: ThousandEyes usage, on the command line.
#[derive(Debug, Parser)]
#[command(
    name = "te-usage",
    version,
    about = "ThousandEyes usage: reports and chargeback, alert checks, quotas as code, history",
    after_help = ENVIRONMENT_HELP,
    propagate_version = true
)]
pub struct Cli {
    /// The flags every command takes.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The flags every command takes, before or after the command's name.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Run on the embedded fake Usage API's sample data ("Acme Corp"), not your organization
    #[arg(long, global = true)]
    pub demo: bool,
    /// Write nothing to stderr but errors: no progress bar, notes or statistics
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// The output format (each command names the ones it offers, and its default)
    #[arg(short, long, global = true, value_enum, value_name = "FORMAT")]
    pub output: Option<Format>,
}

/// The commands.
#[derive(Debug, Subcommand)]
#[non_exhaustive]
pub enum Command {
    /// The usage report, or with --by account-group the chargeback view (both attributions)
    #[command(long_about = crate::report::LONG_ABOUT)]
    Report(crate::report::ReportArgs),
    /// Usage against what is included and against quotas, for monitoring (exit 0/1/2/3)
    #[command(long_about = crate::check::LONG_ABOUT)]
    Check(crate::check::CheckArgs),
    /// Quotas as code: show the quotas in force as a file, plan and apply a file's
    Quotas(crate::quotas::QuotasArgs),
    /// Store this billing period's usage, quotas and units listings in an SQLite history
    Snapshot(crate::snapshot::SnapshotArgs),
    /// Show the periods of an SQLite history side by side, per account group, with the trend
    History(crate::history::HistoryArgs),
    /// Print a completion script for a shell (source it from the shell's start-up file)
    Completions(crate::completions::CompletionsArgs),
    /// Serve ThousandEyes usage to Prometheus: /metrics and /healthz, refreshed every --interval
    Serve(crate::serve::ServeArgs),
}
