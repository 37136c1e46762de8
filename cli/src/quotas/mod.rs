//! `te-usage quotas show | plan FILE | apply FILE [--yes]`: quotas as code.
//!
//! `show` prints the quotas in force as a quotas file (module `file`); `plan` reads a file,
//! checks it against the quotas in force (module `current`) and prints what would change (module
//! `plan`), sending no change; `apply` makes those changes in the fewest calls (module `apply`).
//!
//! The file is read and checked before any request, so a bad value (a negative quota, an entry
//! listed twice, a field the format does not have) is refused, naming its line and column, with
//! nothing sent; an unknown organization or account group is found after the two reads (`GET
//! /quotas`, `GET /usage`) and before any change is sent.

mod apply;
mod current;
mod file;
mod plan;

use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use serde::Serialize;

use self::current::Current;
use self::file::Desired;
use crate::args::GlobalArgs;
use crate::document::Align;
use crate::error::CliError;
use crate::output::{json, print, table, thousands, Format};
use crate::session::Session;

/// The arguments of `quotas`.
#[derive(Debug, Clone, Args)]
#[command(after_help = "\
The quotas file (TOML; units per month):

  [[organization]]
  id = \"1001\"
  quota = 25_000_000

  [[organization.account_group]]
  aid = \"1234\"
  name = \"Network Operations\"    # for people: plan and apply ignore names
  quota = 1_500_000

An organization listed gets exactly the quotas written under it: `quota = \"none\"`, or no
`quota` line, means no quota, and an account group not listed under it has no quota either.
Organizations not listed are left as they are.

Workflow:
  te-usage quotas show > quotas.toml     # the quotas in force
  $EDITOR quotas.toml
  te-usage quotas plan quotas.toml       # exit 0: no changes, 2: changes pending, 1: error
  te-usage quotas apply quotas.toml      # asks first; --yes for cron jobs and scripts")]
pub struct QuotasArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: QuotasCommand,
}

/// The `quotas` subcommands.
#[derive(Debug, Clone, Subcommand)]
#[non_exhaustive]
pub enum QuotasCommand {
    /// Print the quotas in force as a quotas file (-o toml, the default), or -o json or table
    Show,
    /// Print what `apply FILE` would change, and change nothing; exit status 0 no changes,
    /// 2 changes pending, 1 an error
    Plan(PlanArgs),
    /// Change the quotas to FILE's, in the fewest calls (asks first on a terminal)
    Apply(ApplyArgs),
}

/// The arguments of `quotas plan`.
#[derive(Debug, Clone, Args)]
pub struct PlanArgs {
    /// The quotas file (`-`: standard input)
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// The arguments of `quotas apply`.
#[derive(Debug, Clone, Args)]
pub struct ApplyArgs {
    /// The quotas file (`-`: standard input)
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Apply without asking; needed when standard input is not a terminal (cron, scripts)
    #[arg(short, long)]
    pub yes: bool,
}

/// Runs `quotas`: its exit status (`plan`: 0 no changes, 2 changes pending), or the error.
///
/// # Errors
///
/// A file that does not read or check ([`CliError::InFile`] naming the line), a call that fails,
/// `apply` without `--yes` off a terminal or declined, an apply stopped halfway
/// ([`CliError::ApplyStopped`]).
pub async fn run(global: &GlobalArgs, args: &QuotasArgs) -> Result<u8, CliError> {
    match &args.command {
        QuotasCommand::Show => show(global).await,
        QuotasCommand::Plan(args) => plan(global, args).await,
        QuotasCommand::Apply(args) => apply(global, args).await,
    }
}

async fn show(global: &GlobalArgs) -> Result<u8, CliError> {
    let offered = [Format::Toml, Format::Json, Format::Table];
    let format = Format::choose(global.output, "quotas show", &offered, Format::Toml)?;
    let session = Session::open(global).await?;
    let current = Current::read(session.client()).await?;
    if !current.others_without_id.is_empty() && !global.quiet {
        crate::output::note(&format!(
            "te-usage: GET /quotas gives the quotas of {} other organization(s) without their ids \
             (managed organizations with no quota of their own): left out, as a file names \
             organizations by id",
            current.others_without_id.len()
        ));
    }
    if current.unnamed.is_some() && !global.quiet {
        crate::output::note(
            "te-usage: GET /quotas gives the quotas of the token's own organization without its id \
             (it has account group quotas but no quota of its own): write its id in the file",
        );
    }
    print(&match format {
        Format::Json => render_json(&current),
        Format::Table => render_table(&current),
        _ => file::render(&current),
    })?;
    Ok(0)
}

/// The file, read and checked, and the changes it asks for against the quotas in force.
async fn prepare(session: &Session, desired: &Desired) -> Result<Vec<plan::Change>, CliError> {
    let mut current = Current::read(session.client()).await?;
    current.adopt(desired);
    plan::check_known(desired, &current)?;
    Ok(plan::changes(desired, &current))
}

async fn plan(global: &GlobalArgs, args: &PlanArgs) -> Result<u8, CliError> {
    let format = Format::choose(global.output, "quotas plan", &[Format::Table, Format::Json], Format::Table)?;
    let desired = read_file(&args.file)?;
    let session = Session::open(global).await?;
    let changes = prepare(&session, &desired).await?;
    print(&match format {
        Format::Json => plan::render_json(&desired, &changes),
        _ => plan::render_text(&desired, &changes),
    })?;
    Ok(if changes.is_empty() { 0 } else { 2 })
}

async fn apply(global: &GlobalArgs, args: &ApplyArgs) -> Result<u8, CliError> {
    Format::choose(global.output, "quotas apply", &[Format::Table], Format::Table)?;
    let desired = read_file(&args.file)?;
    let ask = !args.yes;
    if ask && (args.file == Path::new("-") || !std::io::stdin().is_terminal()) {
        return Err(CliError::Usage(
            "quotas apply asks before changing quotas, and standard input is not a terminal to \
             answer on: pass --yes to apply without asking"
                .into(),
        ));
    }
    let session = Session::open(global).await?;
    let changes = prepare(&session, &desired).await?;
    print(&plan::render_text(&desired, &changes))?;
    if changes.is_empty() {
        return Ok(0);
    }
    if ask {
        let mut stderr = std::io::stderr().lock();
        let question = format!("Apply these {} changes? [y/N] ", changes.len());
        if !confirm(std::io::stdin().lock(), &mut stderr, &question) {
            return Err(CliError::Failed("apply cancelled: no quota was changed".into()));
        }
    }
    let calls = apply::apply(session.client(), &changes, &desired.path).await?;
    print(&format!("Applied {} changes in {calls} calls.\n", changes.len()))?;
    Ok(0)
}

/// Asks `question` on `output` and reads the answer from `input`: true for `y` or `yes` (any
/// case), false for anything else, an empty line or the end of input.
fn confirm(mut input: impl BufRead, mut output: impl Write, question: &str) -> bool {
    let _ = output.write_all(question.as_bytes()).and_then(|()| output.flush());
    let mut answer = String::new();
    if input.read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

/// Reads and checks the quotas file at `path` (`-`: standard input).
fn read_file(path: &Path) -> Result<Desired, CliError> {
    let (name, text) = if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map_err(|source| CliError::File {
            path: "<stdin>".into(),
            action: "cannot read",
            source,
        })?;
        (PathBuf::from("<stdin>"), text)
    } else {
        let text = std::fs::read_to_string(path).map_err(|source| CliError::File {
            path: path.to_path_buf(),
            action: "cannot read the quotas file",
            source,
        })?;
        (path.to_path_buf(), text)
    };
    file::parse(&name, &text)
}

#[derive(Serialize)]
struct JsonQuotas<'a> {
    organizations: Vec<JsonOrganization<'a>>,
    /// The token's own organization's quotas, when `GET /quotas` does not give its id.
    own_organization_without_id: Option<JsonUnnamed<'a>>,
    /// Account groups without a quota whose organization could not be told.
    unplaced_account_groups: Vec<JsonGroup<'a>>,
}

#[derive(Serialize)]
struct JsonUnnamed<'a> {
    quota: Option<i64>,
    account_groups: Vec<JsonGroup<'a>>,
}

#[derive(Serialize)]
struct JsonGroup<'a> {
    aid: &'a str,
    name: Option<&'a str>,
    quota: Option<i64>,
}

#[derive(Serialize)]
struct JsonOrganization<'a> {
    id: &'a str,
    quota: Option<i64>,
    account_groups: Vec<JsonGroup<'a>>,
}

fn json_group(g: &current::GroupNow) -> JsonGroup<'_> {
    JsonGroup { aid: &g.aid, name: g.name.as_deref(), quota: g.quota }
}

/// The quotas in force as JSON: `quota` in units per month, `null` for none.
fn render_json(current: &Current) -> String {
    let organizations: Vec<JsonOrganization<'_>> = current
        .organizations
        .iter()
        .map(|o| JsonOrganization {
            id: &o.id,
            quota: o.quota,
            account_groups: o.account_groups.iter().map(json_group).collect(),
        })
        .collect();
    let own_organization_without_id = current.unnamed.as_ref().map(|u| JsonUnnamed {
        quota: u.quota,
        account_groups: u.account_groups.iter().map(json_group).collect(),
    });
    let unplaced_account_groups = current.unplaced.iter().map(json_group).collect();
    json(&JsonQuotas { organizations, own_organization_without_id, unplaced_account_groups })
}

/// The quotas in force as a table: one row per organization, then one per account group.
fn render_table(current: &Current) -> String {
    let units = |q: Option<i64>| q.map_or_else(|| "none".to_string(), |u| thousands(u, ','));
    let mut rows = Vec::new();
    for org in &current.organizations {
        rows.push(vec![org.id.clone(), String::new(), "(the organization)".into(), units(org.quota)]);
        for g in &org.account_groups {
            rows.push(vec![
                org.id.clone(),
                g.aid.clone(),
                g.name.clone().unwrap_or_default(),
                units(g.quota),
            ]);
        }
    }
    if let Some(own) = &current.unnamed {
        rows.push(vec![
            "(own, id not given)".into(),
            String::new(),
            "(the organization)".into(),
            units(own.quota),
        ]);
        for g in &own.account_groups {
            rows.push(vec![
                "(own, id not given)".into(),
                g.aid.clone(),
                g.name.clone().unwrap_or_default(),
                units(g.quota),
            ]);
        }
    }
    for g in &current.unplaced {
        rows.push(vec!["?".into(), g.aid.clone(), g.name.clone().unwrap_or_default(), units(g.quota)]);
    }
    let columns = [
        ("Organization", Align::Left),
        ("Account group", Align::Left),
        ("Name", Align::Left),
        ("Quota (units/month)", Align::Right),
    ];
    table(&columns, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confirm_takes_y_or_yes_and_nothing_else() {
        for (answer, yes) in [
            ("y\n", true),
            ("YES\n", true),
            (" yes \n", true),
            ("n\n", false),
            ("\n", false),
            ("", false),
            ("yep\n", false),
        ] {
            let mut asked = Vec::new();
            assert_eq!(confirm(answer.as_bytes(), &mut asked, "Apply? "), yes, "{answer:?}");
            assert_eq!(asked, b"Apply? ");
        }
    }
}
