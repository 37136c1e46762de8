//! `te-usage report`: the usage report ([`Report`]) or, with `--by account-group`, the chargeback
//! view ([`Chargeback`]), built from one [`fetch`] and printed in the format `-o` asks for
//! ([`render`]).

mod build;
pub mod chargeback;
pub mod render;

use chrono::{DateTime, FixedOffset};
use clap::{Args, ValueEnum};

pub use build::{
    rank, AccountGroupLine, AgentLine, AgentShare, OrganizationQuotaLine, PeriodInfo, Report, TestLine,
    Totals, UnitSummary, DEFAULT_TOP,
};
pub use chargeback::{AttributionInfo, Chargeback, ChargebackLine, ChargebackTotals};

use crate::args::GlobalArgs;
use crate::error::CliError;
use crate::fetch::{fetch, parse_time, Period};
use crate::output::{note, print, Format};
use crate::progress::ListingProgress;
use crate::session::Session;

/// `--help`'s description of the command (the variant of [`crate::args::Command`] shows it).
pub const LONG_ABOUT: &str = "\
Prints the organization's usage: units used, projected and included in the billing period,
organization and account group quotas (a group over its quota is flagged), units by account group,
the top tests, units by enterprise agent, and totals checked against GET /usage.

--by account-group prints the chargeback view instead: one row per account group, with both of
the API's attributions of enterprise agent units side by side:
  by test owner           the units of the tests the group owns, wherever they ran, also on an
                          agent shared from another group (GET /usage/units/tests). A group's
                          quota is enforced on these.
  by agent's home group   all units of the agents created in the group (its primary group),
                          whoever's tests ran on them (GET /usage, enterpriseAgentUnits by aid).
Both add up to the organization's total; group by group they differ. Charge each group for its own
tests by test owner; summing GET /usage by aid charges the agents' owners instead.";

/// The arguments of `report`.
#[derive(Debug, Clone, Args)]
#[command(after_help = "\
TIME is an RFC 3339 date-time, for example 2024-05-01T00:00:00Z. Without --start the units by test
and by agent cover the current billing period (month to date); GET /usage's figures always do.

What fetching took goes to stderr: pages and calls, requests sent (and why any were sent again),
and the waits by reason.
Exit status: 0 success, 1 a failure (the API, the configuration, no TE_TOKEN without --demo),
2 a bad argument.

Examples:
  te-usage report --demo
  te-usage report --by account-group -o csv > chargeback.csv
  te-usage report -o json --start 2024-05-01T00:00:00Z --end 2024-05-15T00:00:00Z")]
pub struct ReportArgs {
    /// How many tests the top list shows
    #[arg(long, value_name = "N", default_value_t = DEFAULT_TOP, value_parser = at_least_one)]
    pub top: usize,
    /// Start of the range of the units by test and by agent [default: the billing period's]
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub start: Option<DateTime<FixedOffset>>,
    /// End of that range (needs --start) [default: now]
    #[arg(long, value_name = "TIME", value_parser = parse_time, requires = "start")]
    pub end: Option<DateTime<FixedOffset>>,
    /// A view of the units instead of the report: account-group is the chargeback view, both
    /// attributions side by side
    #[arg(long, value_enum, value_name = "VIEW")]
    pub by: Option<View>,
}

/// The views of `--by`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[non_exhaustive]
pub enum View {
    /// One row per account group, by test owner and by agent's home group.
    AccountGroup,
}

/// A whole number of at least 1.
fn at_least_one(value: &str) -> Result<usize, String> {
    value
        .trim()
        .parse::<usize>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| "not a whole number of at least 1".into())
}

/// Runs `report`: checks the arguments, fetches (with progress on a terminal), prints the
/// report or the view on stdout and what fetching took on stderr (unless `--quiet`).
///
/// # Errors
///
/// [`CliError::Usage`] for a format `report` does not print or a `--start` not before `--end`
/// (before anything is sent); [`CliError::NoToken`]; [`CliError::Client`] when the API or the
/// configuration fails; [`CliError::Output`] when stdout cannot be written.
pub async fn run(global: &GlobalArgs, args: &ReportArgs) -> Result<u8, CliError> {
    let format = Format::choose(global.output, "report", &render::FORMATS, Format::Table)?;
    let period = Period::from_times(args.start, args.end).map_err(CliError::Usage)?;
    let session = Session::open(global).await?;
    let mut progress = ListingProgress::on_stderr(global.quiet);
    let fetched = fetch(session.client(), period, &mut |p| progress.update(p)).await;
    progress.finish();
    let fetched = fetched?;
    let stats = fetched.stats.clone();
    let demo = session.demo().is_some();
    let text = match args.by {
        None => render::report(&Report::build(fetched, args.top, demo), format)?,
        Some(View::AccountGroup) => render::chargeback(&Chargeback::build(&fetched, demo), format)?,
    };
    print(&text)?;
    if !global.quiet {
        note(&render::stats::render_stats(&stats));
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use clap::error::ErrorKind;
    use clap::Parser;

    use super::*;
    use crate::args::{Cli, Command};

    /// The arguments `te-usage report` would get, or clap's error.
    fn parse(args: &[&str]) -> Result<(GlobalArgs, ReportArgs), clap::Error> {
        let cli = Cli::try_parse_from(["te-usage", "report"].iter().chain(args))?;
        match cli.command {
            Command::Report(report) => Ok((cli.global, report)),
            other => panic!("not report: {other:?}"),
        }
    }

    #[test]
    fn defaults_and_options() {
        let (global, args) = parse(&[]).expect("no arguments");
        assert_eq!((args.top, global.output, args.by), (DEFAULT_TOP, None, None));
        assert_eq!(Period::from_times(args.start, args.end), Ok(Period::CurrentBillingPeriod));

        let (global, args) = parse(&[
            "--top",
            "3",
            "-o",
            "csv",
            "--start=2024-05-01T00:00:00Z",
            "--end",
            "2024-05-02T00:00:00+02:00",
            "--by",
            "account-group",
        ])
        .expect("options");
        assert_eq!((args.top, global.output, args.by), (3, Some(Format::Csv), Some(View::AccountGroup)));
        let period = Period::from_times(args.start, args.end);
        assert!(matches!(period, Ok(Period::Range { end: Some(_), .. })), "{period:?}");
        assert_eq!(parse(&["--output", "markdown"]).expect("markdown").0.output, Some(Format::Markdown));
    }

    #[test]
    fn bad_arguments_are_usage_errors_with_status_2() {
        for args in [
            &["--top", "0"][..],
            &["--top", "ten"],
            &["--top"],
            &["--bogus"],
            &["extra"],
            &["-o", "yaml"],
            &["--by", "test"],
            &["--end", "2024-05-01T00:00:00Z"],
            &["--start", "yesterday"],
            &["--start", "2024-05-01T00:00:00Z", "--start", "2024-05-01T00:00:00Z"],
            &["--help=1"],
        ] {
            let err = parse(args).expect_err(&format!("{args:?} is refused"));
            assert_eq!(err.exit_code(), 2, "{args:?}: {err}");
            assert!(err.use_stderr(), "{args:?}");
        }
        let err = parse(&["--start", "yesterday"]).expect_err("not a time");
        assert!(err.to_string().contains("for example 2024-05-01T00:00:00Z"), "{err}");
        // A start that is not before the end is found before the session opens.
        let (_, args) =
            parse(&["--start", "2024-05-02T00:00:00Z", "--end", "2024-05-01T00:00:00Z"]).expect("parsed");
        assert!(Period::from_times(args.start, args.end).is_err());
    }

    #[test]
    fn help_is_generated_and_explains_both_attributions() {
        for flag in ["-h", "--help"] {
            let help = parse(&[flag]).expect_err("help");
            assert_eq!(
                (help.kind(), help.exit_code(), help.use_stderr()),
                (ErrorKind::DisplayHelp, 0, false)
            );
            let text = help.to_string();
            for option in [
                "--start <TIME>",
                "--end <TIME>",
                "--top <N>",
                "--by <VIEW>",
                "--output <FORMAT>",
                "--demo",
                "-h, --help",
            ] {
                assert!(text.contains(option), "{flag} lacks {option}: {text}");
            }
            assert!(text.contains("Exit status: 0 success, 1 a failure"), "{text}");
        }
        let long = parse(&["--help"]).expect_err("help").to_string();
        for words in [
            "by test owner",
            "by agent's home group",
            "GET /usage/units/tests",
            "enterpriseAgentUnits by aid",
            "quota is enforced",
        ] {
            assert!(long.contains(words), "--help lacks {words:?}: {long}");
        }
    }
}
