//! The usage report of a ThousandEyes organization: units used, projected and included, quotas,
//! the tests and enterprise agents that use the most, and totals.
//!
//! ```text
//! cargo run --example usage_report                        # demo data (no TE_TOKEN set)
//! TE_TOKEN=... cargo run --example usage_report -- --top 20
//! cargo run --example usage_report -- --json > report.json
//! cargo run --example usage_report -- --csv --start 2024-05-01T00:00:00Z > tests.csv
//! ```
//!
//! Without `TE_TOKEN` it starts the demo, a fake Usage API in the same process
//! ([`thousandeyes_usage_tests::report::demo_api`]), and reports on its sample data; with
//! it, it asks the API (`TE_AID`, `TE_API_ENDPOINT` and `TE_TIMEOUT` are honoured). The report
//! itself is the same code either way ([`thousandeyes_usage_tests::report`]).
//!
//! Exit status: 0 on success, 1 when the API or the configuration fails, 2 for bad arguments.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use chrono::{DateTime, FixedOffset};
use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};
use thousandeyes_usage::{Client, Error, ENV_TOKEN};
use thousandeyes_usage_fake::FakeUsageApi;
use thousandeyes_usage_tests::report::{
    build_report, demo_api, parse_time, render_csv, render_json, render_stats, render_table, terminal_safe,
    Listing, Period, Progress, Report, ReportOptions, DEFAULT_TOP,
};

/// `eprintln!` that does not panic when stderr is gone (`2>&1 | head`).
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// The command line. clap writes `--help` from it and answers a bad argument with a usage
/// error and exit status 2.
#[derive(Debug, Parser)]
#[command(
    name = "usage_report",
    override_usage = "cargo run --example usage_report -- [OPTIONS]",
    about = "\
Prints a usage report of a ThousandEyes organization: units used, projected and included,
quotas, the tests and enterprise agents that use the most, and totals.

Without TE_TOKEN in the environment the report runs against a fake Usage API in the same
process, with sample data. With it, the report asks the ThousandEyes API; TE_AID (account
group), TE_API_ENDPOINT (base URL) and TE_TIMEOUT (seconds) are honoured.",
    after_help = "\
TIME is an RFC 3339 date-time, for example 2024-05-01T00:00:00Z. Without --start the units by
test and by agent cover the current billing period.

What fetching took goes to stderr: pages and calls, requests sent (and why any were sent
again), and the waits by reason, added up over calls that waited at the same time.
Exit status: 0 on success, 1 when the API or the configuration fails, 2 for bad arguments."
)]
struct Args {
    /// Start of the range of the units by test and by agent
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    start: Option<DateTime<FixedOffset>>,
    /// End of that range (needs --start) [default: now]
    #[arg(long, value_name = "TIME", value_parser = parse_time, requires = "start")]
    end: Option<DateTime<FixedOffset>>,
    /// How many tests the top list shows
    #[arg(long, value_name = "N", default_value_t = DEFAULT_TOP, value_parser = at_least_one)]
    top: usize,
    /// Print the report as one JSON document
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// Print one CSV row per test, with a header line
    #[arg(long)]
    csv: bool,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Table,
    Json,
    Csv,
}

impl Args {
    fn format(&self) -> Format {
        match (self.json, self.csv) {
            (true, _) => Format::Json,
            (_, true) => Format::Csv,
            _ => Format::Table,
        }
    }

    /// The period of `--start` and `--end`; a start that is not before the end is a usage error.
    fn period(&self) -> Result<Period, clap::Error> {
        Period::from_times(self.start, self.end)
            .map_err(|message| Args::command().error(ErrorKind::ArgumentConflict, message))
    }
}

/// The arguments of the command line, or the exit status after clap printed the help (0) or a
/// usage error (2).
fn parse_args() -> Result<(Args, Period), ExitCode> {
    let parsed = Args::try_parse().and_then(|args| {
        let period = args.period()?;
        Ok((args, period))
    });
    parsed.map_err(|err| {
        // Help goes to stdout, errors to stderr; a closed pipe is not worth a panic.
        let _ = err.print();
        ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(2))
    })
}

/// The report as `format` prints it on stdout.
fn render(report: &Report, format: Format) -> Result<String, serde_json::Error> {
    match format {
        Format::Table => Ok(render_table(report)),
        Format::Csv => Ok(render_csv(report)),
        Format::Json => render_json(report),
    }
}

/// Prints an error with the details an API error carries. No error of the client ever contains
/// the token.
fn print_error(err: &Error) {
    let message = err.to_string();
    say!("error: {}", terminal_safe(&message, 2_000));
    if let Some(api) = err.as_api() {
        say!("  operation:   {}", api.operation());
        say!("  status:      {}", api.status());
        if let Some(title) = api.title() {
            say!("  title:       {}", terminal_safe(title, 500));
        }
        if let Some(detail) = api.detail() {
            say!("  detail:      {}", terminal_safe(detail, 1_000));
        }
        for field in api.field_errors() {
            say!(
                "  invalid:     {}: {}",
                terminal_safe(field.field.as_deref().unwrap_or("?"), 100),
                terminal_safe(field.message.as_deref().or(field.code.as_deref()).unwrap_or("invalid"), 500)
            );
        }
        if let Some(id) = api.request_id() {
            say!("  request id:  {}", terminal_safe(id, 200));
        }
        if let Some(wait) = api.retry_after() {
            say!("  retry after: {:.0} s", wait.as_secs_f64().ceil());
        }
    }
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        // The first cause is often already part of the message.
        if !message.contains(&cause_text) {
            say!("  caused by:   {}", terminal_safe(&cause_text, 1_000));
        }
        source = cause.source();
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let (args, period) = match parse_args() {
        Ok(parsed) => parsed,
        Err(status) => return status,
    };

    // Kept alive until the end: dropping it stops the fake.
    let _demo: Option<FakeUsageApi>;
    let client = if std::env::var_os(ENV_TOKEN).is_none() {
        let demo = demo_api().start().await;
        say!(
            "Demo mode: no {ENV_TOKEN} set; using the fake Usage API at {} with sample data",
            demo.base_url()
        );
        let client = Client::builder().token(demo.token()).base_url(demo.base_url()).build();
        _demo = Some(demo);
        client
    } else {
        _demo = None;
        Client::from_env()
    };
    let client = match client {
        Ok(client) => client,
        Err(err) => {
            print_error(&err);
            return ExitCode::from(1);
        }
    };

    // The two listings are fetched together: show where each has got to, on one line.
    let show_progress = std::io::stderr().is_terminal();
    let mut progress_shown = false;
    let mut latest: [Option<Progress>; 2] = [None, None];
    let mut progress = |p: &Progress| {
        if show_progress {
            latest[usize::from(p.listing == Listing::AgentUnits)] = Some(*p);
            let parts: Vec<String> = latest
                .iter()
                .flatten()
                .map(|p| format!("{}: page {}, {} items", p.listing.label(), p.pages, p.items))
                .collect();
            let _ = write!(std::io::stderr(), "\r\x1b[2K  fetching {}", parts.join("; "));
            progress_shown = true;
        }
    };
    let options = ReportOptions { period, top: args.top };
    let result = build_report(&client, &options, &mut progress).await;
    if progress_shown {
        let _ = write!(std::io::stderr(), "\r\x1b[2K");
    }
    let report = match result {
        Ok(report) => report,
        Err(err) => {
            print_error(&err);
            return ExitCode::from(1);
        }
    };

    let text = match render(&report, args.format()) {
        Ok(text) => text,
        Err(err) => {
            say!("error: the report cannot be written as JSON: {err}");
            return ExitCode::from(1);
        }
    };
    let mut stdout = std::io::stdout().lock();
    if let Err(err) = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        if err.kind() == std::io::ErrorKind::BrokenPipe {
            // The reader went away (`| head`): nothing more to say.
            return ExitCode::SUCCESS;
        }
        say!("error: cannot write the report: {err}");
        return ExitCode::from(1);
    }
    say!("{}", render_stats(&report));
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The arguments `usage_report` would get, or clap's error.
    fn parse(args: &[&str]) -> Result<(Args, Period), clap::Error> {
        let args = Args::try_parse_from(std::iter::once("usage_report").chain(args.iter().copied()))?;
        let period = args.period()?;
        Ok((args, period))
    }

    #[test]
    fn the_command_line_is_well_formed() {
        Args::command().debug_assert();
    }

    #[test]
    fn defaults_and_options() {
        let (args, period) = parse(&[]).expect("no arguments");
        assert_eq!(
            (args.top, args.format(), period),
            (DEFAULT_TOP, Format::Table, Period::CurrentBillingPeriod)
        );

        let (args, period) = parse(&[
            "--top",
            "3",
            "--csv",
            "--start=2024-05-01T00:00:00Z",
            "--end",
            "2024-05-02T00:00:00+02:00",
        ])
        .expect("options");
        assert_eq!((args.top, args.format()), (3, Format::Csv));
        assert!(matches!(period, Period::Range { end: Some(_), .. }), "{period:?}");
        assert_eq!(parse(&["--json"]).expect("json").0.format(), Format::Json);
    }

    #[test]
    fn bad_arguments_are_usage_errors_with_status_2() {
        for args in [
            &["--top", "0"][..],
            &["--top", "ten"],
            &["--top"],
            &["--bogus"],
            &["extra"],
            &["--json", "--csv"],
            &["--end", "2024-05-01T00:00:00Z"],
            &["--start", "yesterday"],
            &["--start", "2024-05-02T00:00:00Z", "--end", "2024-05-01T00:00:00Z"],
            &["--start", "2024-05-01T00:00:00Z", "--start", "2024-05-01T00:00:00Z"],
            &["--help=1"],
        ] {
            let err = parse(args).expect_err(&format!("{args:?} is refused"));
            assert_eq!(err.exit_code(), 2, "{args:?}: {err}");
            assert!(err.use_stderr(), "{args:?}");
        }
        let err = parse(&["--start", "yesterday"]).expect_err("not a time");
        assert!(err.to_string().contains("for example 2024-05-01T00:00:00Z"), "{err}");
    }

    /// The demo's report as each format prints it, and its stats line.
    async fn demo_output() -> (Report, [String; 3], String) {
        let demo = demo_api().start().await;
        let client = Client::builder().token(demo.token()).base_url(demo.base_url()).build().expect("client");
        let report = build_report(&client, &ReportOptions::default(), &mut |_| {}).await.expect("report");
        let text = [Format::Table, Format::Json, Format::Csv].map(|f| render(&report, f).expect("rendered"));
        let stats = render_stats(&report);
        (report, text, stats)
    }

    #[tokio::test(start_paused = true)]
    async fn the_demo_flags_its_over_quota_group_in_the_table_and_the_json() {
        let (_, [table, json, _], _) = demo_output().await;
        // The demo's EMEA Retail (1238) used 1,386,383 units of a 1,000,000 quota.
        let row = table.lines().find(|l| l.contains("EMEA Retail") && l.contains("1238")).expect("its row");
        assert!(row.contains("138.6 %") && row.contains("OVER by 386,383"), "{row}");
        assert!(
            table
                .contains("Over quota         EMEA Retail (1238): 1,386,383 units used of a 1,000,000 quota"),
            "{table}"
        );
        assert_eq!(table.matches("OVER by").count(), 1, "only that group is over: {table}");
        let json: serde_json::Value = serde_json::from_str(&json).expect("JSON");
        let over: Vec<&str> = json["account_groups"]
            .as_array()
            .expect("account groups")
            .iter()
            .filter(|g| g["over_quota"] == true)
            .filter_map(|g| g["aid"].as_str())
            .collect();
        assert_eq!(over, ["1238"]);
    }

    #[tokio::test(start_paused = true)]
    async fn the_demos_json_names_counts_as_counts_and_its_csv_rows_carry_their_period() {
        let (report, [_, json, csv], _) = demo_output().await;
        let json: serde_json::Value = serde_json::from_str(&json).expect("JSON");
        assert_eq!(json["organization_quotas"][0]["account_group_quota_count"], 4);
        assert!(json["organization_quotas"][0].get("account_group_quotas").is_none());
        assert_eq!(json["totals"]["test_count"], report.tests.len());
        assert!(json["account_groups"][0]["test_count"].is_u64());
        assert!(json["stats"]["request_count"].is_u64() && json["stats"]["retry_count"].is_u64());

        let mut lines = csv.lines();
        assert!(lines.next().expect("header").starts_with("period_start,period_end,rank,"));
        let (start, end) = (report.period.billing_period_start, report.period.billing_period_end);
        let utc = |t: Option<chrono::DateTime<FixedOffset>>| {
            t.expect("GET /usage names the billing period")
                .with_timezone(&chrono::Utc)
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        };
        let period = format!("{},{},", utc(start), utc(end));
        assert!(lines.clone().count() == report.tests.len() && lines.all(|row| row.starts_with(&period)));
    }

    #[tokio::test(start_paused = true)]
    async fn the_demos_stats_say_what_they_count_and_agree() {
        let (report, _, stats) = demo_output().await;
        let s = &report.stats;
        assert_eq!(s.request_count, (s.page_count + s.other_request_count) as u64 + s.retry_count, "{s:?}");
        assert!(s.retry_count >= 1 && s.retry_count == s.rate_limited_count, "{s:?}");
        let first = s.request_count - s.retry_count;
        assert!(
            stats.contains(&format!(
                "Requests sent: {} ({first} first tries, {} sent again: {} after a 429 Too Many Requests).",
                s.request_count, s.retry_count, s.rate_limited_count
            )),
            "{stats}"
        );
        let after_429 = s.waits.after_rate_limit;
        assert!(after_429.call_count >= 1, "{s:?}");
        assert!(
            stats.contains(&format!(
                "{} call{} waited for the rate-limit window to reopen after a 429, {:.2} s",
                after_429.call_count,
                if after_429.call_count == 1 { "" } else { "s" },
                after_429.total_ms as f64 / 1000.0
            )),
            "{stats}"
        );
        assert!(stats.contains("calls in flight together wait at the same time"), "{stats}");
    }

    #[test]
    fn help_is_generated_and_exits_0() {
        for flag in ["-h", "--help"] {
            let help = parse(&[flag]).expect_err("help");
            assert_eq!(
                (help.kind(), help.exit_code(), help.use_stderr()),
                (ErrorKind::DisplayHelp, 0, false)
            );
            let text = help.to_string();
            for option in
                ["--start <TIME>", "--end <TIME>", "--top <N>", "--json", "--csv", "-h, --help", "TE_TOKEN"]
            {
                assert!(text.contains(option), "{flag} lacks {option}: {text}");
            }
            assert!(text.contains("Exit status: 0 on success, 1 when the API"), "{text}");
        }
    }
}
