//! `te-usage check`: usage against what is included and against quotas, for cron and for
//! monitoring systems (Nagios, Icinga, Sensu, Zabbix), as the Monitoring Plugins guidelines
//! have it: one status line on stdout with performance data after `|`, and the exit status
//! 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (the API or the configuration failed, or an argument
//! is bad).
//!
//! What is measured, each used and projected (to the end of the billing period):
//! * the organization's cloud units against the cloud units its contract includes;
//! * the organization's units (cloud and enterprise) against its organization quota;
//! * each account group with a quota: its units **by test owner** (the units of the tests it
//!   owns, wherever they ran) against its quota. That is the attribution ThousandEyes enforces an
//!   account group's quota on: over its quota, the group can set up no new tests and its tests
//!   may be disabled, whichever agents they run on. Units by the agent's home group (`GET
//!   /usage` by `aid`) would charge a group for other groups' tests on its agents.
//!
//! A figure above `--crit` percent of its limit is CRITICAL when it is used, and WARNING when it
//! is only projected: a projection can still be acted on. A figure above `--warn` percent is a
//! WARNING, used or projected, so a projection over the threshold warns days or weeks before
//! what is used gets there.

use clap::Args;
use thousandeyes_usage::rollup;

use crate::args::GlobalArgs;
use crate::error::CliError;
use crate::fetch::{fetch, Fetched, Period};
use crate::figures::{format_units, percent};
use crate::output::{print, terminal_safe};
use crate::progress::ListingProgress;
use crate::report::PeriodInfo;
use crate::session::Session;

/// `--warn`'s default, percent.
pub const DEFAULT_WARN: f64 = 80.0;
/// `--crit`'s default, percent.
pub const DEFAULT_CRIT: f64 = 100.0;

/// `--help`'s description of the command (the variant of [`crate::args::Command`] shows it).
pub const LONG_ABOUT: &str = "\
Checks the organization's usage for cron and monitoring systems (Nagios, Icinga, Sensu, Zabbix),
as the Monitoring Plugins guidelines have it: one status line on stdout, with performance data
after '|'.

Measured, each used so far and projected to the end of the billing period:
  cloud units                      against the cloud units the contract includes
  organization units               (cloud + enterprise) against the organization quota
  each account group with a quota  its units by test owner against its quota
An account group's quota is compared with its units by test owner (the units of the tests it
owns, on any agent): that is what ThousandEyes enforces the quota on. Over its quota, the group
can set up no new tests and its tests may be disabled.

A used figure above --crit percent is CRITICAL, above --warn percent WARNING. A projected figure
above either is a WARNING: it warns before the units are used.";

/// The arguments of `check`.
#[derive(Debug, Clone, Args)]
#[command(after_help = "\
Exit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (the API or the configuration failed, no
TE_TOKEN without --demo, or a bad argument; its reason is on the status line).

Defaults: --warn 80 leaves a fifth of what is included, or of a quota, to act on, and is reached
by the projection long before the units are used; --crit 100 is where ThousandEyes acts itself
(tests over a quota are disabled; tests whose projection exceeds what is included are refused).

Example (Icinga 2):
  object CheckCommand \"te-usage\" {
    command = [ \"/usr/local/bin/te-usage\", \"check\" ]
    arguments = { \"--warn\" = \"$te_usage_warn$\", \"--crit\" = \"$te_usage_crit$\" }
    env = { \"TE_TOKEN\" = \"$te_usage_token$\" }
  }")]
pub struct CheckArgs {
    /// WARNING above this percentage of what is included or of a quota, used or projected
    #[arg(long, value_name = "PERCENT", default_value_t = DEFAULT_WARN, value_parser = percentage)]
    pub warn: f64,
    /// CRITICAL above this percentage, used (projected: WARNING)
    #[arg(long, value_name = "PERCENT", default_value_t = DEFAULT_CRIT, value_parser = percentage)]
    pub crit: f64,
}

/// A percentage: a positive number, with or without `%`.
fn percentage(value: &str) -> Result<f64, String> {
    let number = value.trim().trim_end_matches('%').trim();
    match number.parse::<f64>() {
        Ok(p) if p.is_finite() && p > 0.0 => Ok(p),
        _ => Err("not a percentage above 0 (for example 80, or 92.5)".into()),
    }
}

/// The state of a check, in the Monitoring Plugins' words; [`State::code`] is its exit status.
/// (UNKNOWN is a failure: see [`crate::error`].)
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum State {
    /// Every figure within `--warn`.
    Ok,
    /// A figure above `--warn`, or a projection above `--crit`.
    Warning,
    /// A figure used above `--crit`.
    Critical,
}

impl State {
    /// The exit status.
    pub fn code(self) -> u8 {
        match self {
            State::Ok => 0,
            State::Warning => 1,
            State::Critical => 2,
        }
    }

    /// The word of the status line.
    pub fn word(self) -> &'static str {
        match self {
            State::Ok => "OK",
            State::Warning => "WARNING",
            State::Critical => "CRITICAL",
        }
    }
}

/// One figure against its limit.
#[derive(Debug, Clone, PartialEq)]
pub struct Measure {
    /// The performance data label (`cloud units used`, `account group 1238 units projected`).
    pub label: String,
    /// What is measured, for the status line (`cloud units`, `EMEA Retail (1238)`).
    pub subject: String,
    /// What it is measured against, for the status line (`what is included`, `its quota`).
    pub limit_name: &'static str,
    /// How its units are counted, when that needs saying (`by test owner`).
    pub counted: Option<&'static str>,
    /// True for a projection to the end of the period, false for units used so far.
    pub projected: bool,
    /// The units.
    pub value: i64,
    /// The limit, in units.
    pub limit: i64,
}

impl Measure {
    /// `value` as a percentage of `limit` (infinite for units against a limit of zero).
    pub fn percent(&self) -> f64 {
        if self.limit > 0 {
            self.value as f64 * 100.0 / self.limit as f64
        } else if self.value > 0 {
            f64::INFINITY
        } else {
            0.0
        }
    }

    /// Its state under the thresholds (percent).
    pub fn state(&self, warn: f64, crit: f64) -> State {
        let p = self.percent();
        match (p > crit, p > warn, self.projected) {
            (true, _, false) => State::Critical,
            (true, _, true) | (false, true, _) => State::Warning,
            (false, false, _) => State::Ok,
        }
    }

    /// Its performance data: `'label'=value;warn;crit;0;limit` (a projection has no critical
    /// threshold: it only warns).
    pub fn perfdata(&self, warn: f64, crit: f64) -> String {
        let at = |p: f64| number(self.limit as f64 * p / 100.0);
        let crit = if self.projected { String::new() } else { at(crit) };
        format!("{}={};{};{crit};0;{}", perf_label(&self.label), self.value, at(warn), self.limit)
    }

    /// How it reads on the status line: `EMEA Retail (1238) used 138.6 % of its quota (1,386,383
    /// of 1,000,000 units, by test owner)`.
    fn sentence(&self) -> String {
        let verb = if self.projected { "projected" } else { "used" };
        let pct = self.percent();
        let pct = if pct.is_finite() { percent(Some(pct)) } else { "all".into() };
        format!(
            "{} {verb} {pct} of {} ({} of {} units{})",
            self.subject,
            self.limit_name,
            format_units(self.value),
            format_units(self.limit),
            self.counted.map(|c| format!(", {c}")).unwrap_or_default()
        )
    }
}

/// A performance data label, quoted when it holds a space (a quote in it doubled; `=` and `|`,
/// which would end it, made `_`).
///
/// ```
/// use thousandeyes_usage_cli::check::perf_label;
/// assert_eq!(perf_label("cloud units used"), "'cloud units used'");
/// assert_eq!(perf_label("load"), "load");
/// assert_eq!(perf_label("O'Brien's=units|x"), "'O''Brien''s_units_x'");
/// ```
pub fn perf_label(label: &str) -> String {
    let clean: String =
        label.chars().map(|c| if matches!(c, '=' | '|') || c.is_control() { '_' } else { c }).collect();
    if clean.contains([' ', '\'']) {
        format!("'{}'", clean.replace('\'', "''"))
    } else {
        clean
    }
}

/// A number as performance data writes it: whole, or to two decimals.
fn number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        let s = format!("{x:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Every figure of `fetched` against its limit: cloud units against what is included, the
/// organization's units against its quota (when `GET /quotas` lists one organization: `GET
/// /usage` does not say which it covers), and each account group with a quota by test owner
/// against it; used, then projected.
pub fn measures(fetched: &Fetched) -> Vec<Measure> {
    let usage = &fetched.usage;
    let mut out = Vec::new();
    let mut pair = |label: &str,
                    subject: String,
                    limit_name: &'static str,
                    counted: Option<&'static str>,
                    used: Option<i64>,
                    projected: Option<i64>,
                    limit: i64| {
        for (projected_flag, value) in [(false, used), (true, projected)] {
            if let Some(value) = value {
                let verb = if projected_flag { "projected" } else { "used" };
                out.push(Measure {
                    label: format!("{label} {verb}"),
                    subject: subject.clone(),
                    limit_name,
                    counted,
                    projected: projected_flag,
                    value,
                    limit,
                });
            }
        }
    };
    if let Some(included) = usage.quota.as_ref().and_then(|q| q.cloud_units_included) {
        pair(
            "cloud units",
            "cloud units".into(),
            "what is included",
            None,
            usage.cloud_units_used,
            usage.cloud_units_projected,
            included,
        );
    }
    let sum = |a: Option<i64>, b: Option<i64>| match (a, b) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0).saturating_add(b.unwrap_or(0))),
    };
    if let [quota] = fetched.quotas.as_slice() {
        if let Some(org) = &quota.organization_quota {
            let id = org.org_id.as_deref().unwrap_or("?");
            pair(
                &format!("organization {id} units"),
                format!("organization {}", terminal_safe(id, 20)),
                "its quota",
                None,
                sum(usage.cloud_units_used, usage.enterprise_units_used),
                sum(usage.cloud_units_projected, usage.enterprise_units_projected),
                org.value,
            );
        }
    }
    let by_owner = rollup::units_by_test_owner(&fetched.tests);
    let mut aids: Vec<&str> = fetched
        .quotas
        .iter()
        .flat_map(|q| q.account_group_quotas.iter().flatten())
        .filter_map(|g| g.aid.as_deref())
        .collect();
    aids.sort_unstable();
    aids.dedup();
    for aid in aids {
        let Some(quota) = rollup::account_group_quota(&fetched.quotas, aid) else { continue };
        let group = by_owner.iter().find(|g| g.aid.as_deref() == Some(aid));
        let name = group.and_then(|g| g.name.as_deref()).map_or_else(
            || format!("account group {}", terminal_safe(aid, 20)),
            |name| format!("{} ({})", terminal_safe(name, 40), terminal_safe(aid, 20)),
        );
        pair(
            &format!("account group {aid} units"),
            name,
            "its quota",
            Some("by test owner"),
            Some(group.map_or(0, |g| g.units_used())),
            Some(group.map_or(0, |g| g.units_projected())),
            quota,
        );
    }
    out
}

/// The check's status line: `STATE - what | perfdata`, and its state.
pub fn status_line(fetched: &Fetched, warn: f64, crit: f64, demo: bool) -> Result<(State, String), CliError> {
    let measures = measures(fetched);
    if measures.is_empty() {
        return Err(CliError::Failed(
            "nothing to check: GET /usage names no included cloud units and GET /quotas no quota".into(),
        ));
    }
    let state = measures.iter().map(|m| m.state(warn, crit)).max().unwrap_or(State::Ok);
    let period =
        PeriodInfo::of(Period::CurrentBillingPeriod, &fetched.usage).billing_words(fetched.fetched_at);
    let mut ranked: Vec<&Measure> = measures.iter().collect();
    ranked.sort_by(|a, b| {
        b.state(warn, crit).cmp(&a.state(warn, crit)).then(b.percent().total_cmp(&a.percent()))
    });
    let summary = if state == State::Ok {
        let highest = ranked.first().map(|m| m.sentence()).unwrap_or_default();
        format!(
            "{} figures within {} of their limits; the highest: {highest}",
            measures.len(),
            percent(Some(warn))
        )
    } else {
        // The worst figure of each subject: a group whose use is over its quota is projected over
        // it too.
        let mut said: Vec<&str> = Vec::new();
        let over: Vec<String> = ranked
            .iter()
            .filter(|m| m.state(warn, crit) != State::Ok)
            .filter(|m| {
                let new = !said.contains(&m.subject.as_str());
                said.push(&m.subject);
                new
            })
            .map(|m| m.sentence())
            .collect();
        over.join("; ")
    };
    let mut line = format!("{} - {period}: {summary}", state.word());
    if demo {
        line.push_str(" [demo data]");
    }
    for note in &fetched.notes {
        line.push_str(&format!(" ({})", note.replace(['\n', '\r', '|'], " ")));
    }
    let perfdata: Vec<String> = measures.iter().map(|m| m.perfdata(warn, crit)).collect();
    Ok((state, format!("{} | {}\n", terminal_safe(&line, 4_000), perfdata.join(" "))))
}

/// Runs `check`: prints its status line on stdout and returns its exit status.
///
/// # Errors
///
/// [`CliError::Usage`] for `--warn` above `--crit` or an `-o`; [`CliError::NoToken`];
/// [`CliError::Client`] when the API or the configuration fails; [`CliError::Failed`] when there
/// is nothing to check. Each is UNKNOWN (3), its status line on stdout.
pub async fn run(global: &GlobalArgs, args: &CheckArgs) -> Result<u8, CliError> {
    if let Some(format) = global.output {
        return Err(CliError::Usage(format!(
            "check prints one status line: -o {} is not for it",
            format.name()
        )));
    }
    if args.warn > args.crit {
        return Err(CliError::Usage(format!(
            "--warn {} is above --crit {}: a warning comes before the critical state",
            number(args.warn),
            number(args.crit)
        )));
    }
    let session = Session::open(global).await?;
    let mut progress = ListingProgress::on_stderr(global.quiet);
    let fetched = fetch(session.client(), Period::CurrentBillingPeriod, &mut |p| progress.update(p)).await;
    progress.finish();
    let (state, line) = status_line(&fetched?, args.warn, args.crit, session.demo().is_some())?;
    print(&line)?;
    Ok(state.code())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measure(projected: bool, value: i64, limit: i64) -> Measure {
        Measure {
            label: "account group 1238 units used".into(),
            subject: "EMEA Retail (1238)".into(),
            limit_name: "its quota",
            counted: Some("by test owner"),
            projected,
            value,
            limit,
        }
    }

    #[test]
    fn used_above_crit_is_critical_and_projected_above_crit_only_warns() {
        assert_eq!(measure(false, 1_386_383, 1_000_000).state(80.0, 100.0), State::Critical);
        assert_eq!(measure(true, 1_386_383, 1_000_000).state(80.0, 100.0), State::Warning);
        assert_eq!(measure(false, 850, 1_000).state(80.0, 100.0), State::Warning);
        assert_eq!(measure(true, 850, 1_000).state(80.0, 100.0), State::Warning);
        // At the threshold is not above it.
        assert_eq!(measure(false, 800, 1_000).state(80.0, 100.0), State::Ok);
        assert_eq!(measure(false, 1_000, 1_000).state(80.0, 100.0), State::Warning);
        // A quota of zero: any unit is over it.
        assert_eq!(measure(false, 1, 0).state(80.0, 100.0), State::Critical);
        assert_eq!(measure(false, 0, 0).state(80.0, 100.0), State::Ok);
    }

    #[test]
    fn perfdata_follows_the_guidelines_syntax() {
        assert_eq!(
            measure(false, 1_386_383, 1_000_000).perfdata(80.0, 100.0),
            "'account group 1238 units used'=1386383;800000;1000000;0;1000000"
        );
        let mut projected = measure(true, 5, 3);
        projected.label = "cloud units projected".into();
        assert_eq!(projected.perfdata(70.0, 90.0), "'cloud units projected'=5;2.1;;0;3");
    }

    #[test]
    fn percentages_are_positive_numbers_with_or_without_a_sign() {
        assert_eq!(percentage("80"), Ok(80.0));
        assert_eq!(percentage(" 92.5% "), Ok(92.5));
        for bad in ["0", "-5", "eighty", "", "inf", "NaN"] {
            assert!(percentage(bad).is_err(), "{bad}");
        }
    }
}
