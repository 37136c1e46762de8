//! `te-usage serve`: ThousandEyes usage for Prometheus, for months without a restart.
//!
//! A background task per organization refreshes its figures every `--interval`
//! ([`refresh`]); `/metrics` answers from the last refresh, `/healthz` says whether one has
//! succeeded ([`http`], [`metrics`], [`state`]). SIGTERM and SIGINT stop it within 5 s; SIGHUP
//! re-reads the token files ([`token`]). `--config` lists several organizations ([`config`]),
//! each with its own client, pacing and series; [`budget`] refuses an interval the
//! organization's rate limit cannot carry.

pub mod budget;
pub mod causes;
pub mod config;
pub mod http;
pub mod log;
pub mod metrics;
pub mod refresh;
pub mod snapshot;
pub mod state;
pub mod token;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use thousandeyes_usage::{Client, ENV_RATE_LIMIT_SHARE, ENV_TOKEN};
use thousandeyes_usage_fake::FakeUsageApi;
use tokio::net::TcpListener;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::args::GlobalArgs;
use crate::error::CliError;
use crate::history::History;
use crate::serve::budget::Budget;
use crate::serve::config::{format_duration, parse_duration, read_organizations};
use crate::serve::log::Log;
use crate::serve::refresh::Refresher;
use crate::serve::state::Exporter;
use crate::serve::token::{read_token, TokenFile};
use crate::session::{demo_api, USER_AGENT};

/// The address `serve` listens on unless `--listen` says otherwise: loopback only, on port
/// 19350, outside the block of ports the Prometheus wiki's "Default port allocations" hands out
/// to exporters (from 9100 upwards: full to 9999 since 2023, continued past 10000), echoing 9350,
/// the port of ThousandEyes' own exporter of test results.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:19350";

/// The refresh interval unless `--interval` says otherwise: ThousandEyes updates projections
/// about hourly.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(300);

/// The `organization` label without `--config`.
pub const DEFAULT_ORGANIZATION: &str = "default";

/// The `organization` label with `--demo`.
pub const DEMO_ORGANIZATION: &str = "demo";

/// How long the refreshes may take to end after SIGTERM or SIGINT, before they are dropped.
const STOP_WAIT: Duration = Duration::from_secs(3);

/// The arguments of `serve`.
#[derive(Debug, Clone, Args)]
#[command(after_help = "\
/metrics answers from the last refresh (never a call to the API), in OpenMetrics for Prometheus
and in the Prometheus text format for other clients; /healthz answers 200 once a refresh has
succeeded, 503 before. Every series carries an `organization` label: `default`, `demo` with
--demo, or each name of --config.

The default port, 19350, is outside the block of ports the Prometheus wiki's \"Default port
allocations\" hands out to exporters (from 9100 upwards). A refresh makes one call per listing page plus GET /usage and GET /quotas;
an interval that would use more than the rate-limit share (TE_RATE_LIMIT_SHARE, or each
organization's rate_limit_share) of the organization's calls a minute is refused, naming the
floor.

SIGTERM or SIGINT: stop within 5 s (exit 0). SIGHUP: read the token files again (they are also
read again when they change); a token that is refused, or that the API answers 401 before it has
worked once, is logged without being shown, and the token in use stays.

--config FILE lists organizations, each with its own client, pacing and token file:
  [[organization]]
  name = \"acme\"                       # the organization label
  token_file = \"/etc/te-usage/acme.token\"
  endpoint = \"https://api.thousandeyes.com/v7\"   # optional
  rate_limit_share = 0.5               # optional, in (0, 1]; default 1
  history = \"/var/lib/te-usage/acme.sqlite\"   # optional: its own history

Examples:
  te-usage serve --demo
  TE_TOKEN=... te-usage serve --listen 0.0.0.0:19350 --interval 10m --per-test 20
  te-usage serve --token-file /etc/te-usage/token --history /var/lib/te-usage/history.sqlite
  te-usage serve --config /etc/te-usage/organizations.toml")]
pub struct ServeArgs {
    /// The address to serve /metrics and /healthz on
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_LISTEN)]
    pub listen: SocketAddr,
    /// The time between refreshes, such as 30s, 5m or 1h
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    pub interval: Duration,
    /// Store every refresh in this SQLite history (te-usage snapshot's; one row set per billing
    /// period)
    #[arg(long, value_name = "PATH", conflicts_with = "config")]
    pub history: Option<PathBuf>,
    /// Publish the N tests that use the most units (series per test); none without it
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub per_test: Option<u32>,
    /// Read the token from this file instead of TE_TOKEN (again on SIGHUP and when it changes)
    #[arg(long, value_name = "PATH", conflicts_with = "config")]
    pub token_file: Option<PathBuf>,
    /// The organizations to serve, in TOML (see below), instead of TE_TOKEN and TE_API_ENDPOINT
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// An organization to serve: its label, client, share of the rate limit, token file (and the
/// token read from it), and history.
#[derive(Debug)]
struct Organization {
    name: String,
    client: Client,
    share: f64,
    token_file: Option<(PathBuf, String)>,
    history: Option<PathBuf>,
}

/// Serves until SIGTERM or SIGINT (exit status 0).
///
/// # Errors
///
/// [`CliError::Usage`] for arguments that do not go together, or an interval below the floor
/// of an organization's budget; [`CliError::NoToken`] without a token; [`CliError::File`] for a
/// file that cannot be read; [`CliError::Database`] for a history that cannot be opened;
/// [`CliError::Failed`] when the address cannot be listened on.
pub async fn run(global: &GlobalArgs, args: &ServeArgs) -> Result<u8, CliError> {
    if let Some(format) = global.output {
        return Err(CliError::Usage(format!(
            "serve prints no report: -o {} does not apply (its output is /metrics)",
            format.name()
        )));
    }
    // Taken first, so that a signal during the start is handled, not fatal.
    let signal_error = |e: std::io::Error| CliError::Failed(format!("cannot handle signals: {e}"));
    let mut terminate = signal(SignalKind::terminate()).map_err(signal_error)?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(signal_error)?;
    let mut hangup = signal(SignalKind::hangup()).map_err(signal_error)?;

    let log = Log::new(global.quiet);
    let (orgs, _demo) = organizations(global, args).await?;
    for org in &orgs {
        Budget::estimate(org.client.rate_limit().limit, org.share)
            .check(args.interval)
            .map_err(|e| CliError::Usage(format!("organization {:?}: {e}", org.name)))?;
    }
    let mut histories = Vec::new();
    for (i, org) in orgs.iter().enumerate() {
        if let Some(path) = &org.history {
            if let Some(other) = orgs[..i].iter().find(|o| o.history.as_ref() == Some(path)) {
                return Err(CliError::Usage(format!(
                    "organizations {:?} and {:?} name the same history {}: a history holds one organization",
                    other.name,
                    org.name,
                    path.display()
                )));
            }
        }
        let history = org.history.as_ref().map(History::open).transpose()?;
        if let Some(history) = &history {
            history.check_source(org.client.base_url())?;
        }
        histories.push(history);
    }
    let listener = TcpListener::bind(args.listen)
        .await
        .map_err(|e| CliError::Failed(format!("cannot listen on {}: {e}", args.listen)))?;
    let addr = listener.local_addr().unwrap_or(args.listen);
    let exporter = Exporter::new(
        orgs.iter().map(|o| (o.name.clone(), o.client.clone(), args.interval, o.history.is_some())),
    );
    log.info(&format!(
        "serving http://{addr}/metrics and /healthz; refreshing {} every {}",
        orgs.iter().map(|o| o.name.as_str()).collect::<Vec<_>>().join(", "),
        format_duration(args.interval)
    ));

    let (stop, stopped) = watch::channel(false);
    let (hangups, hung_up) = watch::channel(0u64);
    let server = tokio::spawn(http::serve(listener, Arc::clone(&exporter), stopped.clone()));
    let mut tasks = JoinSet::new();
    let per_test = args.per_test.map(|n| n as usize);
    for (index, (org, history)) in orgs.into_iter().zip(histories).enumerate() {
        let token = org.token_file.map(|(path, current)| Arc::new(TokenFile::new(path, index, current)));
        if let Some(file) = &token {
            tokio::spawn(token::watch(
                Arc::clone(file),
                org.client.clone(),
                Arc::clone(&exporter),
                log,
                hung_up.clone(),
                stopped.clone(),
            ));
        }
        let refresher =
            Refresher::new(Arc::clone(&exporter), index, org.share, per_test, token, history, log);
        tasks.spawn(refresher.run(stopped.clone()));
    }

    let outcome = loop {
        tokio::select! {
            _ = terminate.recv() => break Ok(0),
            _ = interrupt.recv() => break Ok(0),
            _ = hangup.recv() => {
                log.info("SIGHUP: reading the token files again");
                hangups.send_modify(|n| *n += 1);
            }
            Some(ended) = tasks.join_next() => {
                if let Ok(Err(err)) = ended {
                    break Err(err);
                }
            }
        }
    };
    let _ = stop.send(true);
    if tokio::time::timeout(STOP_WAIT, async { while tasks.join_next().await.is_some() {} }).await.is_err() {
        tasks.abort_all();
    }
    let _ = server.await;
    if outcome.is_ok() {
        log.info("stopped");
    }
    outcome
}

/// The organizations the arguments name, and the demo the client of `--demo` talks to (kept
/// alive while serving).
async fn organizations(
    global: &GlobalArgs,
    args: &ServeArgs,
) -> Result<(Vec<Organization>, Option<FakeUsageApi>), CliError> {
    if let Some(path) = &args.config {
        if global.demo {
            return Err(CliError::Usage("--demo and --config do not go together".into()));
        }
        let mut orgs = Vec::new();
        for entry in read_organizations(path)? {
            let token = read_token(&entry.token_file)?;
            let mut builder = Client::builder().token(token.clone()).user_agent(USER_AGENT);
            if let Some(endpoint) = &entry.endpoint {
                builder = builder.base_url(endpoint);
            }
            let share = entry.rate_limit_share.unwrap_or(1.0);
            let client = builder.rate_limit_share(share).build().map_err(|e| {
                CliError::Failed(format!("{}: organization {:?}: {e}", path.display(), entry.name))
            })?;
            orgs.push(Organization {
                name: entry.name,
                client,
                share,
                token_file: Some((entry.token_file, token)),
                history: entry.history,
            });
        }
        return Ok((orgs, None));
    }
    if global.demo {
        if args.token_file.is_some() {
            return Err(CliError::Usage("--token-file does not apply to --demo".into()));
        }
        let demo = demo_api().start().await;
        Log::new(global.quiet)
            .info("--demo: the embedded fake Usage API's sample data (Acme Corp), not your organization");
        let client =
            Client::builder().token(demo.token()).base_url(demo.base_url()).user_agent(USER_AGENT).build()?;
        let org = Organization {
            name: DEMO_ORGANIZATION.into(),
            client,
            share: 1.0,
            token_file: None,
            history: args.history.clone(),
        };
        return Ok((vec![org], Some(demo)));
    }
    // The `TE_*` variables only: another variable that is not UTF-8 is none of ours.
    let mut vars: Vec<(String, String)> = Vec::new();
    for (name, value) in std::env::vars_os() {
        let Some(name) = name.to_str().filter(|name| name.starts_with("TE_")) else { continue };
        let value = value
            .into_string()
            .map_err(|_| CliError::Failed(format!("the environment variable {name} is not UTF-8 text")))?;
        vars.push((name.to_string(), value));
    }
    let token_file = match &args.token_file {
        Some(path) => {
            let token = read_token(path)?;
            vars.push((ENV_TOKEN.into(), token.clone()));
            Some((path.clone(), token))
        }
        None if !crate::session::token_in_environment() => return Err(CliError::NoToken),
        None => None,
    };
    // The builder has checked the share; read as it reads it.
    let share = vars
        .iter()
        .rev()
        .find(|(name, _)| name == ENV_RATE_LIMIT_SHARE)
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(1.0);
    let client = Client::builder_from_vars(vars)?.user_agent(USER_AGENT).build()?;
    let org = Organization {
        name: DEFAULT_ORGANIZATION.into(),
        client,
        share,
        token_file,
        history: args.history.clone(),
    };
    Ok((vec![org], None))
}
