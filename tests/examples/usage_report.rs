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

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use thousandeyes_usage::{Client, Error, ENV_TOKEN};
use thousandeyes_usage_fake::FakeUsageApi;
use thousandeyes_usage_tests::report::{
    build_report, demo_api, render_csv, render_json, render_stats, render_table, terminal_safe, Period,
    Progress, ReportOptions, DEFAULT_TOP,
};

const USAGE: &str = "\
Usage: cargo run --example usage_report -- [OPTIONS]

Prints a usage report of a ThousandEyes organization: units used, projected and included,
quotas, the tests and enterprise agents that use the most, and totals.

Without TE_TOKEN in the environment the report runs against a fake Usage API in the same
process, with sample data. With it, the report asks the ThousandEyes API; TE_AID (account group),
TE_API_ENDPOINT (base URL) and TE_TIMEOUT (seconds) are honoured.

Options:
  --start <TIME>   start of the range of the units by test and by agent, in RFC 3339
                   (for example 2024-05-01T00:00:00Z); default: the current billing period
  --end <TIME>     end of that range, in RFC 3339; default: now (needs --start)
  --top <N>        how many tests the top list shows (default 10)
  --json           print the report as one JSON document
  --csv            print one CSV row per test, with a header line
  -h, --help       print this help

Pages fetched, retries and the time spent go to stderr.
Exit status: 0 on success, 1 when the API or the configuration fails, 2 for bad arguments.
";

/// `eprintln!` that does not panic when stderr is gone (`2>&1 | head`).
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Table,
    Json,
    Csv,
}

#[derive(Debug)]
struct Args {
    start: Option<String>,
    end: Option<String>,
    top: usize,
    format: Format,
    help: bool,
}

/// The value of option `name`: the part after `=`, else the next argument.
fn value_of(
    name: &str,
    inline: Option<String>,
    args: &mut impl Iterator<Item = OsString>,
) -> Result<String, String> {
    match inline {
        Some(v) => Ok(v),
        None => match args.next() {
            Some(v) => v.into_string().map_err(|v| format!("the value of {name}, {v:?}, is not valid UTF-8")),
            None => Err(format!("{name} needs a value")),
        },
    }
}

fn set_once(slot: &mut Option<String>, name: &str, value: String) -> Result<(), String> {
    if slot.is_some() {
        return Err(format!("{name} is given twice"));
    }
    *slot = Some(value);
    Ok(())
}

fn parse_args(mut args: impl Iterator<Item = OsString>) -> Result<Args, String> {
    let mut parsed = Args { start: None, end: None, top: DEFAULT_TOP, format: Format::Table, help: false };
    let mut format_flag: Option<&str> = None;
    while let Some(arg) = args.next() {
        let arg = arg.into_string().map_err(|a| format!("argument {a:?} is not valid UTF-8"))?;
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name.to_string(), Some(value.to_string())),
            _ => (arg, None),
        };
        match name.as_str() {
            "--start" => set_once(&mut parsed.start, "--start", value_of("--start", inline, &mut args)?)?,
            "--end" => set_once(&mut parsed.end, "--end", value_of("--end", inline, &mut args)?)?,
            "--top" => {
                let v = value_of("--top", inline, &mut args)?;
                parsed.top = v
                    .trim()
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| format!("--top {v:?} is not a whole number of at least 1"))?;
            }
            "--json" | "--csv" | "--help" if inline.is_some() => {
                return Err(format!("{name} takes no value"))
            }
            "--json" | "--csv" => {
                if let Some(other) = format_flag.filter(|f| *f != name) {
                    return Err(format!("{other} and {name} cannot be combined"));
                }
                parsed.format = if name == "--json" { Format::Json } else { Format::Csv };
                format_flag = Some(if name == "--json" { "--json" } else { "--csv" });
            }
            "-h" | "--help" => parsed.help = true,
            other => return Err(format!("unknown argument {:?}", terminal_safe(other, 80))),
        }
    }
    Ok(parsed)
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
    let args = match parse_args(std::env::args_os().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            say!("usage_report: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if args.help {
        print!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let period = match Period::from_args(args.start.as_deref(), args.end.as_deref()) {
        Ok(period) => period,
        Err(message) => {
            say!("usage_report: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
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

    let show_progress = std::io::stderr().is_terminal();
    let mut progress_shown = false;
    let mut progress = |p: &Progress| {
        if show_progress {
            let _ = write!(
                std::io::stderr(),
                "\r\x1b[2K  fetching {}: page {}, {} items",
                p.listing.label(),
                p.pages,
                p.items
            );
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

    let text = match args.format {
        Format::Table => render_table(&report),
        Format::Csv => render_csv(&report),
        Format::Json => match render_json(&report) {
            Ok(json) => json,
            Err(err) => {
                say!("error: the report cannot be written as JSON: {err}");
                return ExitCode::from(1);
            }
        },
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
