//! The quotas file: the desired organization and account group quotas, in TOML, as a person
//! reads and edits it, and as `quotas show` writes it.
//!
//! ```toml
//! [[organization]]
//! id = "1001"
//! quota = 25_000_000            # units per month
//!
//! [[organization.account_group]]
//! aid = "1234"
//! name = "Network Operations"   # for people; plan and apply ignore it
//! quota = 1_500_000
//!
//! [[organization.account_group]]
//! aid = "1237"
//! name = "Corporate IT"
//! quota = "none"
//! ```
//!
//! An organization listed states its whole desired state: its own quota (`quota` left out, or
//! `"none"`: no quota) and the quotas of its account groups (a group not listed under it: no
//! quota). Organizations not listed are left as they are. Reading checks everything the file
//! alone can show (TOML, fields, ids, values, duplicates) and names the line and column of the
//! fault; [`super::plan`] checks the ids against the API.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::{Spanned, Value};

use super::current::{Current, OrganizationNow};
use crate::error::CliError;

/// The word that means "no quota".
const NONE: &str = "none";

/// The desired quotas of a quotas file, each value checked, with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Desired {
    /// The file's name in messages (`<stdin>` for standard input).
    pub(crate) path: PathBuf,
    /// The organizations listed, in the file's order.
    pub(crate) organizations: Vec<DesiredOrganization>,
}

/// An organization of the file: the whole desired state of its quotas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DesiredOrganization {
    /// Its id.
    pub(crate) id: String,
    /// Where its id is written.
    pub(crate) at: Place,
    /// Its quota, in units per month; `None`: no quota.
    pub(crate) quota: Option<i64>,
    /// Its account groups listed; any other has no quota.
    pub(crate) account_groups: Vec<DesiredGroup>,
}

/// An account group of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DesiredGroup {
    /// Its id.
    pub(crate) aid: String,
    /// Where its id is written.
    pub(crate) at: Place,
    /// Its name as the file gives it (for messages only).
    pub(crate) name: Option<String>,
    /// Its quota, in units per month; `None`: no quota.
    pub(crate) quota: Option<i64>,
}

/// A line and column of the file, from 1 (the column in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Place {
    pub(crate) line: usize,
    pub(crate) column: usize,
}

impl Desired {
    /// The error of a value at `at`, naming the file, the line and the column.
    pub(crate) fn error_at(&self, at: Place, message: String) -> CliError {
        CliError::InFile { path: self.path.clone(), line: at.line, column: at.column, message }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    organization: Vec<RawOrganization>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOrganization {
    id: Spanned<Value>,
    #[serde(default)]
    #[allow(dead_code)] // for people: read so that it is allowed, not used
    name: Option<String>,
    #[serde(default)]
    quota: Option<Spanned<Value>>,
    #[serde(default)]
    account_group: Vec<RawGroup>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    aid: Spanned<Value>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    quota: Option<Spanned<Value>>,
}

/// Reads the quotas file `text`, named `path` in messages.
///
/// # Errors
///
/// [`CliError::InFile`], naming the line, the column and the value: TOML that does not parse, a
/// field the format does not have, an id that is not a decimal number, a quota that is neither
/// a number of units (0 or more) nor `"none"`, an organization or account group listed twice.
pub(crate) fn parse(path: &Path, text: &str) -> Result<Desired, CliError> {
    let at = |span: Range<usize>| place(text, span.start);
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let at = e.span().map_or(Place { line: 1, column: 1 }, at);
        CliError::InFile {
            path: path.to_path_buf(),
            line: at.line,
            column: at.column,
            message: e.message().trim_end().replace('\n', " "),
        }
    })?;
    let mut desired = Desired { path: path.to_path_buf(), organizations: Vec::new() };
    let mut orgs_seen: BTreeMap<String, Place> = BTreeMap::new();
    let mut groups_seen: BTreeMap<String, (Place, String)> = BTreeMap::new();
    for org in raw.organization {
        let (id, org_at) = id_of(&desired, text, &org.id, "organization id")?;
        if let Some(first) = orgs_seen.insert(id.clone(), org_at) {
            return Err(desired.error_at(
                org_at,
                format!("organization {id:?} is listed twice (first at line {})", first.line),
            ));
        }
        let quota = quota_of(&desired, text, org.quota.as_ref(), &format!("organization {id}"))?;
        let mut account_groups = Vec::new();
        for group in org.account_group {
            let (aid, group_at) = id_of(&desired, text, &group.aid, "account group id")?;
            if let Some((first, first_org)) = groups_seen.insert(aid.clone(), (group_at, id.clone())) {
                let under =
                    if first_org == id { String::new() } else { format!(" under organization {first_org}") };
                return Err(desired.error_at(
                    group_at,
                    format!("account group {aid:?} is listed twice (first at line {}{under})", first.line),
                ));
            }
            let quota = quota_of(&desired, text, group.quota.as_ref(), &format!("account group {aid}"))?;
            account_groups.push(DesiredGroup { aid, at: group_at, name: group.name, quota });
        }
        desired.organizations.push(DesiredOrganization { id, at: org_at, quota, account_groups });
    }
    Ok(desired)
}

/// The line and column of byte `offset` of `text`.
fn place(text: &str, offset: usize) -> Place {
    let before = text.get(..offset).unwrap_or(text);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Place { line: before.matches('\n').count() + 1, column: before[line_start..].chars().count() + 1 }
}

/// An id: a decimal number, written as a string (`"1234"`) or an integer (`1234`).
fn id_of(
    desired: &Desired,
    text: &str,
    id: &Spanned<Value>,
    what: &str,
) -> Result<(String, Place), CliError> {
    let at = place(text, id.span().start);
    let digits = match id.get_ref() {
        Value::String(s) if !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.clone()
        }
        Value::Integer(n) if *n >= 0 => n.to_string(),
        Value::String(s) if s.is_empty() => {
            return Err(desired.error_at(at, format!("{what} is empty: write the id")));
        }
        other => {
            return Err(desired.error_at(at, format!("{what} {other} is not a decimal number")));
        }
    };
    Ok((digits, at))
}

/// A quota: a number of units, 0 or more, or `"none"` (or no `quota` at all) for no quota.
fn quota_of(
    desired: &Desired,
    text: &str,
    quota: Option<&Spanned<Value>>,
    of: &str,
) -> Result<Option<i64>, CliError> {
    let Some(quota) = quota else { return Ok(None) };
    let at = place(text, quota.span().start);
    match quota.get_ref() {
        Value::Integer(n) if *n >= 0 => Ok(Some(*n)),
        Value::Integer(n) => Err(desired.error_at(
            at,
            format!("quota {n} of {of} is negative: a quota is a number of units per month, 0 or more"),
        )),
        Value::String(s) if s == NONE => Ok(None),
        other => Err(desired.error_at(
            at,
            format!("quota {other} of {of} is neither a number of units per month nor \"{NONE}\""),
        )),
    }
}

/// What the file's header says, as comments.
const HEADER: &str = "\
# ThousandEyes unit quotas, as code: `te-usage quotas plan FILE` shows what
# `te-usage quotas apply FILE` would change. Quotas are in units per month.
#
# An organization listed here gets exactly the quotas written under it: its own `quota`, and
# those of the account groups listed under it. `quota = \"none\"`, or no `quota` line, means
# no quota; an account group not listed under its organization has no quota either.
# Organizations not listed are left as they are. Names are for people: plan and apply ignore
# them.
";

/// The quotas file of the quotas in force: reading it back gives them, so `plan` on it finds
/// nothing to change.
pub(crate) fn render(current: &Current) -> String {
    let mut out = String::from(HEADER);
    let unnamed = current.unnamed.as_ref().map(|own| OrganizationNow {
        id: String::new(),
        quota: own.quota,
        account_groups: own.account_groups.clone(),
    });
    for org in current.organizations.iter().chain(&unnamed) {
        if org.id.is_empty() {
            out.push_str(
                "\n# The token's own organization: GET /quotas gives its account group quotas without its\n\
                 # id (it has no quota of its own). Write its id (ThousandEyes shows it in the\n\
                 # organization's settings) to manage them with this file.\n",
            );
        }
        let _ = write!(out, "\n[[organization]]\nid = {}\nquota = {}\n", string(&org.id), quota(org.quota));
        for group in &org.account_groups {
            let _ = write!(out, "\n[[organization.account_group]]\naid = {}\n", string(&group.aid));
            if let Some(name) = &group.name {
                let _ = writeln!(out, "name = {}", string(name));
            }
            let _ = writeln!(out, "quota = {}", quota(group.quota));
        }
    }
    if !current.unplaced.is_empty() {
        out.push_str(
            "\n# Account groups without a quota, in an organization GET /usage does not name\n\
             # (list one under its organization to give it a quota):\n",
        );
        for group in &current.unplaced {
            let name = group.name.as_deref().map(|n| format!(" {}", string(n))).unwrap_or_default();
            let _ = writeln!(out, "#   aid = {}{name}", string(&group.aid));
        }
    }
    out
}

/// A TOML string, quoted and escaped.
fn string(s: &str) -> String {
    Value::String(s.to_string()).to_string()
}

/// A quota as the file writes it: an integer with `_` between thousands, or `"none"`.
fn quota(quota: Option<i64>) -> String {
    match quota {
        Some(units) => crate::output::thousands(units, '_'),
        None => format!("\"{NONE}\""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Result<Desired, String> {
        parse(Path::new("q.toml"), text).map_err(|e| e.to_string())
    }

    #[test]
    fn reads_organizations_and_their_account_groups_with_none_and_left_out_quotas() {
        let desired = parse_text(
            "[[organization]]\nid = \"1001\"\nname = \"Acme\"\nquota = 25_000_000\n\n\
             [[organization.account_group]]\naid = 1234\nname = \"Net\"\nquota = 0\n\n\
             [[organization.account_group]]\naid = \"1235\"\nquota = \"none\"\n\n\
             [[organization]]\nid = 1002\n",
        )
        .unwrap();
        let [acme, other] = &desired.organizations[..] else { panic!("{desired:?}") };
        assert_eq!(
            (acme.id.as_str(), acme.quota, acme.at),
            ("1001", Some(25_000_000), Place { line: 2, column: 6 })
        );
        let groups: Vec<_> =
            acme.account_groups.iter().map(|g| (g.aid.as_str(), g.quota, g.at.line)).collect();
        assert_eq!(groups, [("1234", Some(0), 7), ("1235", None, 12)]);
        assert_eq!(acme.account_groups[0].name.as_deref(), Some("Net"));
        assert_eq!((other.id.as_str(), other.quota, other.account_groups.len()), ("1002", None, 0));
    }

    #[test]
    fn a_negative_quota_names_the_line_column_and_value() {
        let err = parse_text(
            "[[organization]]\nid = \"1001\"\n\n[[organization.account_group]]\naid = \"7\"\nquota   = -5\n",
        )
        .unwrap_err();
        assert_eq!(err, "q.toml:6:11: quota -5 of account group 7 is negative: a quota is a number of units per month, 0 or more");
    }

    #[test]
    fn a_quota_of_another_kind_names_the_value() {
        let err = parse_text("[[organization]]\nid = \"1001\"\nquota = \"lots\"\n").unwrap_err();
        assert_eq!(err, "q.toml:3:9: quota \"lots\" of organization 1001 is neither a number of units per month nor \"none\"");
        let err = parse_text("[[organization]]\nid = \"1001\"\nquota = 1.5e6\n").unwrap_err();
        assert!(err.starts_with("q.toml:3:9: quota 1500000.0 of organization 1001"), "{err}");
    }

    #[test]
    fn an_entry_listed_twice_names_both_lines() {
        let err = parse_text("[[organization]]\nid = \"1001\"\n[[organization]]\nid = 1001\n").unwrap_err();
        assert_eq!(err, "q.toml:4:6: organization \"1001\" is listed twice (first at line 2)");
        let err = parse_text(
            "[[organization]]\nid = \"1\"\n[[organization.account_group]]\naid = \"5\"\n\
             [[organization]]\nid = \"2\"\n[[organization.account_group]]\naid = \"5\"\n",
        )
        .unwrap_err();
        assert_eq!(
            err,
            "q.toml:8:7: account group \"5\" is listed twice (first at line 4 under organization 1)"
        );
    }

    #[test]
    fn toml_errors_and_unknown_fields_name_line_and_column() {
        let err = parse_text("[[organization]]\nid = \"1001\"\nqouta = 5\n").unwrap_err();
        assert!(err.starts_with("q.toml:3:1: unknown field `qouta`"), "{err}");
        let err = parse_text("[[organization]]\nid = \"1001\nquota = 5\n").unwrap_err();
        assert!(err.starts_with("q.toml:2:"), "{err}");
        let err = parse_text("[[organization]]\nquota = 5\n").unwrap_err();
        assert!(err.starts_with("q.toml:1:") && err.contains("missing field `id`"), "{err}");
        let err = parse_text("[[organization]]\nid = \"10-01\"\n").unwrap_err();
        assert_eq!(err, "q.toml:2:6: organization id \"10-01\" is not a decimal number");
    }

    #[test]
    fn an_empty_file_lists_nothing() {
        assert_eq!(parse_text("# nothing\n").unwrap().organizations, []);
    }
}
