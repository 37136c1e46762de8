//! What applying a quotas file would change: the file's ids checked against the quotas in force,
//! then one [`Change`] per quota that differs, and how `plan` and `apply` print them.

use std::fmt::Write as _;

use serde::Serialize;

use super::current::Current;
use super::file::Desired;
use crate::error::CliError;
use crate::output::{json, terminal_safe, thousands};

/// One quota to change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Change {
    /// What it does.
    pub(crate) action: Action,
    /// The organization.
    pub(crate) organization: String,
    /// The account group, for an account group's quota.
    pub(crate) aid: Option<String>,
    /// The account group's name, if known.
    pub(crate) name: Option<String>,
    /// The quota in force, in units per month.
    pub(crate) old: Option<i64>,
    /// The quota wanted, in units per month.
    pub(crate) new: Option<i64>,
}

/// What a change does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Action {
    /// A quota where there was none.
    Assign,
    /// Another value.
    Change,
    /// No quota where there was one.
    Unassign,
}

impl Action {
    fn word(self) -> &'static str {
        match self {
            Action::Assign => "assign",
            Action::Change => "change",
            Action::Unassign => "unassign",
        }
    }
}

impl Change {
    fn new(
        organization: &str,
        group: Option<(&str, Option<&str>)>,
        old: Option<i64>,
        new: Option<i64>,
    ) -> Option<Change> {
        let action = match (old, new) {
            (None, Some(_)) => Action::Assign,
            (Some(o), Some(n)) if o != n => Action::Change,
            (Some(_), None) => Action::Unassign,
            _ => return None,
        };
        Some(Change {
            action,
            organization: organization.to_string(),
            aid: group.map(|(aid, _)| aid.to_string()),
            name: group.and_then(|(_, name)| name.map(str::to_string)),
            old,
            new,
        })
    }

    /// What it changes: `organization 1001`, or `account group 1234 "Name" (organization 1001)`.
    pub(crate) fn subject(&self) -> String {
        match &self.aid {
            None => format!("organization {}", self.organization),
            Some(aid) => {
                let name =
                    self.name.as_deref().map(|n| format!(" {:?}", terminal_safe(n, 80))).unwrap_or_default();
                format!("account group {aid}{name} (organization {})", self.organization)
            }
        }
    }

    /// `change 25,000,000 → 20,000,000`.
    pub(crate) fn describe(&self) -> String {
        format!("{} {}", self.action.word(), self.values())
    }

    /// `25,000,000 → 20,000,000`.
    fn values(&self) -> String {
        let units = |q: Option<i64>| q.map_or_else(|| "none".to_string(), |u| thousands(u, ','));
        format!("{} → {}", units(self.old), units(self.new))
    }
}

/// Checks that every organization and account group of the file is one the API knows, in the
/// place the file puts it.
///
/// # Errors
///
/// [`CliError::InFile`] at the first unknown id, in file order: an organization `GET /quotas`
/// does not list, an account group listed in another organization, or one neither `GET /quotas`
/// nor `GET /usage` names.
///
/// `GET /quotas` lists only the organizations with a quota or an account group quota, so an
/// organization whose quotas were all removed is no longer listed: the file may still name it
/// without any quota (as it stands after an apply that removed them), and that is no change.
pub(crate) fn check_known(desired: &Desired, current: &Current) -> Result<(), CliError> {
    for org in &desired.organizations {
        let Some(now) = current.organization(&org.id) else {
            if org.quota.is_none() && org.account_groups.iter().all(|g| g.quota.is_none()) {
                continue;
            }
            let listed: Vec<&str> = current.organizations.iter().map(|o| o.id.as_str()).collect();
            let listed = match &listed[..] {
                [] => "no organization".to_string(),
                ids => format!("only {}", ids.join(", ")),
            };
            return Err(desired.error_at(
                org.at,
                format!(
                    "organization {:?} is unknown: GET /quotas, which lists the organizations whose \
                     quotas you manage, lists {listed}",
                    org.id
                ),
            ));
        };
        for group in &org.account_groups {
            if now.account_groups.iter().any(|g| g.aid == group.aid)
                || current.unplaced.iter().any(|g| g.aid == group.aid)
            {
                continue;
            }
            let elsewhere =
                current.organizations.iter().find(|o| o.account_groups.iter().any(|g| g.aid == group.aid));
            let unnamed = current
                .unnamed
                .iter()
                .chain(&current.others_without_id)
                .any(|u| u.account_groups.iter().any(|g| g.aid == group.aid));
            let message = match elsewhere {
                Some(other) => {
                    format!("account group {:?} is in organization {}, not {}", group.aid, other.id, org.id)
                }
                None if unnamed => format!(
                    "account group {:?} is in an organization GET /quotas gives without its id, not \
                     known to be {}",
                    group.aid, org.id
                ),
                None => format!(
                    "account group {:?} is unknown in organization {}: neither GET /quotas nor \
                     GET /usage names it",
                    group.aid, org.id
                ),
            };
            return Err(desired.error_at(group.at, message));
        }
    }
    Ok(())
}

/// The changes that bring the quotas in force to the file's, organization by organization in
/// the file's order: the organization's quota, its account groups in the file's order, then
/// those with a quota the file does not list (removed). Organizations the file does not list
/// are left alone. The file's ids must be known ([`check_known`]).
pub(crate) fn changes(desired: &Desired, current: &Current) -> Vec<Change> {
    let mut changes = Vec::new();
    for org in &desired.organizations {
        let Some(now) = current.organization(&org.id) else { continue };
        changes.extend(Change::new(&org.id, None, now.quota, org.quota));
        for group in &org.account_groups {
            let in_force = now.account_groups.iter().find(|g| g.aid == group.aid);
            let name = in_force.and_then(|g| g.name.as_deref()).or(group.name.as_deref());
            changes.extend(Change::new(
                &org.id,
                Some((&group.aid, name)),
                in_force.and_then(|g| g.quota),
                group.quota,
            ));
        }
        for group in &now.account_groups {
            if !org.account_groups.iter().any(|g| g.aid == group.aid) {
                changes.extend(Change::new(
                    &org.id,
                    Some((&group.aid, group.name.as_deref())),
                    group.quota,
                    None,
                ));
            }
        }
    }
    changes
}

/// `1 to assign, 2 to change, 1 to unassign`.
fn counts(changes: &[Change]) -> String {
    let count = |action| changes.iter().filter(|c| c.action == action).count();
    format!(
        "{} to assign, {} to change, {} to unassign",
        count(Action::Assign),
        count(Action::Change),
        count(Action::Unassign)
    )
}

/// The plan as text: one line per change, and a count; or that there is nothing to change.
pub(crate) fn render_text(desired: &Desired, changes: &[Change]) -> String {
    let file = desired.path.display();
    if changes.is_empty() {
        return format!("No changes: the quotas in force are those of {file}.\n");
    }
    let mut out = format!("Changes to reach {file} (units per month):\n");
    let width = changes.iter().map(|c| c.subject().chars().count()).max().unwrap_or(0);
    for change in changes {
        let subject = change.subject();
        let pad = width - subject.chars().count();
        let word = change.action.word();
        let _ = writeln!(out, "  {subject}{}  {word:<8} {}", " ".repeat(pad), change.values());
    }
    let _ = writeln!(out, "Plan: {}.", counts(changes));
    out
}

/// The plan as JSON: the file, the changes, and their counts.
pub(crate) fn render_json(desired: &Desired, changes: &[Change]) -> String {
    #[derive(Serialize)]
    struct Plan<'a> {
        file: String,
        changes: &'a [Change],
        assign: usize,
        change: usize,
        unassign: usize,
    }
    let count = |action| changes.iter().filter(|c| c.action == action).count();
    json(&Plan {
        file: desired.path.display().to_string(),
        changes,
        assign: count(Action::Assign),
        change: count(Action::Change),
        unassign: count(Action::Unassign),
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::current::{GroupNow, OrganizationNow};
    use super::super::file::parse;
    use super::*;

    fn current() -> Current {
        let group =
            |aid: &str, name: &str, quota| GroupNow { aid: aid.into(), name: Some(name.into()), quota };
        Current {
            organizations: vec![
                OrganizationNow {
                    id: "1001".into(),
                    quota: Some(1000),
                    account_groups: vec![
                        group("1", "One", Some(10)),
                        group("2", "Two", None),
                        group("3", "Three", Some(30)),
                    ],
                },
                OrganizationNow {
                    id: "1002".into(),
                    quota: Some(5),
                    account_groups: vec![group("9", "Nine", Some(1))],
                },
            ],
            ..Default::default()
        }
    }

    fn desired(text: &str) -> Desired {
        parse(Path::new("q.toml"), text).unwrap()
    }

    #[test]
    fn changes_assign_change_and_unassign_the_listed_organizations_only() {
        let file = desired(
            "[[organization]]\nid = \"1001\"\nquota = 900\n\
             [[organization.account_group]]\naid = \"1\"\nquota = 10\n\
             [[organization.account_group]]\naid = \"2\"\nquota = 20\n",
        );
        check_known(&file, &current()).unwrap();
        let changes = changes(&file, &current());
        let seen: Vec<_> = changes.iter().map(|c| (c.action, c.aid.as_deref(), c.old, c.new)).collect();
        assert_eq!(
            seen,
            [
                (Action::Change, None, Some(1000), Some(900)),
                (Action::Assign, Some("2"), None, Some(20)),
                (Action::Unassign, Some("3"), Some(30), None),
            ]
        );
        let text = render_text(&file, &changes);
        assert!(text.contains("organization 1001"), "{text}");
        assert!(text.contains("account group 3 \"Three\" (organization 1001)  unassign 30 → none"), "{text}");
        assert!(text.ends_with("Plan: 1 to assign, 1 to change, 1 to unassign.\n"), "{text}");
    }

    #[test]
    fn unknown_ids_name_their_line() {
        let unknown_org = desired("[[organization]]\nid = \"1003\"\nquota = 10\n");
        let err = check_known(&unknown_org, &current()).unwrap_err().to_string();
        assert!(err.starts_with("q.toml:2:6: organization \"1003\" is unknown"), "{err}");
        assert!(err.ends_with("lists only 1001, 1002"), "{err}");
        let without_quotas = desired("[[organization]]\nid = \"1003\"\nquota = \"none\"\n");
        check_known(&without_quotas, &current()).unwrap();
        assert_eq!(changes(&without_quotas, &current()), []);
        let misplaced =
            desired("[[organization]]\nid = \"1001\"\n\n[[organization.account_group]]\naid = \"9\"\n");
        let err = check_known(&misplaced, &current()).unwrap_err().to_string();
        assert_eq!(err, "q.toml:5:7: account group \"9\" is in organization 1002, not 1001");
        let unknown =
            desired("[[organization]]\nid = \"1001\"\n[[organization.account_group]]\naid = \"77\"\n");
        let err = check_known(&unknown, &current()).unwrap_err().to_string();
        assert!(err.starts_with("q.toml:4:7: account group \"77\" is unknown in organization 1001"), "{err}");
    }
}
