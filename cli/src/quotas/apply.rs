//! Applying a plan: the fewest calls that reach the file's quotas, one per kind of change, sent
//! one after the other, each change said as its call succeeds; and the exact account of what was
//! applied and what was not when one fails.
//!
//! The order: removals first (organizations, then account groups), then assignments
//! (organizations, then account groups). Neither ThousandEyes' API description nor the fake
//! refuses an account group quota above its organization's, so no order is needed for the API
//! to accept them; this one means that an apply stopped halfway leaves fewer limits in force,
//! not more, so no test is held back by a quota the file no longer wants.

use std::path::Path;

use thousandeyes_usage::{Client, Error};
use thousandeyes_usage_fake::Operation;

use super::plan::Change;
use crate::error::CliError;
use crate::output::print;

/// One call of an apply, and the changes it makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Call {
    /// The operation.
    pub(crate) operation: Operation,
    /// Its changes, all of the operation's kind.
    pub(crate) changes: Vec<Change>,
}

impl Call {
    /// `POST /quotas/assign`, from the spec.
    pub(crate) fn label(&self) -> String {
        format!("{} {}", self.operation.method(), self.operation.path())
    }

    async fn send(&self, client: &Client) -> Result<(), Error> {
        let group = |c: &Change| c.aid.clone().unwrap_or_default();
        match self.operation {
            Operation::UnassignOrganizationsQuotas => {
                let request = self
                    .changes
                    .iter()
                    .fold(client.unassign_organization_quotas(), |r, c| r.organization(&c.organization));
                request.send().await
            }
            Operation::UnassignOrganizationsAccountGroupsQuotas => {
                let request = self.changes.iter().fold(client.unassign_account_group_quotas(), |r, c| {
                    r.account_group(&c.organization, group(c))
                });
                request.send().await
            }
            Operation::AssignOrganizationsQuotas => {
                let request = self.changes.iter().fold(client.assign_organization_quotas(), |r, c| {
                    r.quota(&c.organization, c.new.unwrap_or_default())
                });
                request.send().await.map(drop)
            }
            _ => {
                let request = self.changes.iter().fold(client.assign_account_group_quotas(), |r, c| {
                    r.quota(&c.organization, group(c), c.new.unwrap_or_default())
                });
                request.send().await.map(drop)
            }
        }
    }
}

/// The calls that make `changes`, in the order they are sent; a kind with no change has no call.
pub(crate) fn calls(changes: &[Change]) -> Vec<Call> {
    let kinds = [
        (Operation::UnassignOrganizationsQuotas, false, false),
        (Operation::UnassignOrganizationsAccountGroupsQuotas, true, false),
        (Operation::AssignOrganizationsQuotas, false, true),
        (Operation::AssignOrganizationsAccountGroupsQuotas, true, true),
    ];
    kinds
        .into_iter()
        .map(|(operation, of_group, assigns)| Call {
            operation,
            changes: changes
                .iter()
                .filter(|c| c.aid.is_some() == of_group && c.new.is_some() == assigns)
                .cloned()
                .collect(),
        })
        .filter(|call| !call.changes.is_empty())
        .collect()
}

/// Sends the calls of `changes` (of the quotas file `file`) in order, printing each change on
/// stdout as its call succeeds (`applied: ...`); returns how many calls were sent.
///
/// # Errors
///
/// [`CliError::ApplyStopped`] when a call fails: the calls after it are not sent, and each
/// change not applied is printed before the error says how many were: the failed call's as `not
/// applied` when the API refused it or it was not sent, as `outcome unknown` when it may have
/// reached the API (no answer, or a 5xx), and the unsent ones' as `not applied`.
pub(crate) async fn apply(client: &Client, changes: &[Change], file: &Path) -> Result<usize, CliError> {
    let calls = calls(changes);
    for (i, call) in calls.iter().enumerate() {
        if let Err(source) = call.send(client).await {
            let unknown = may_have_been_applied(&source);
            let mut lines = String::new();
            for (j, rest) in calls[i..].iter().enumerate() {
                let (what, why) = match j {
                    0 if unknown => ("outcome unknown", "failed; it may have been applied"),
                    0 => ("not applied", "failed"),
                    _ => ("not applied", "not sent"),
                };
                for change in &rest.changes {
                    lines.push_str(&format!(
                        "{what}: {} ({why}): {}: {}\n",
                        rest.label(),
                        change.subject(),
                        change.describe()
                    ));
                }
            }
            print(&lines)?;
            let applied: usize = calls[..i].iter().map(|c| c.changes.len()).sum();
            let in_doubt = if unknown { call.changes.len() } else { 0 };
            let doubt = if unknown { format!(", {in_doubt} of unknown outcome") } else { String::new() };
            return Err(CliError::ApplyStopped {
                message: format!(
                    "apply stopped: {} failed; {applied} of {} changes applied{doubt}, {} not (each listed \
                     on stdout; `te-usage quotas plan {}` shows what remains)",
                    call.label(),
                    changes.len(),
                    changes.len() - applied - in_doubt,
                    file.display()
                ),
                source,
            });
        }
        let lines: String = call
            .changes
            .iter()
            .map(|change| format!("applied: {}: {}: {}\n", call.label(), change.subject(), change.describe()))
            .collect();
        print(&lines)?;
    }
    Ok(calls.len())
}

/// Whether a call that failed with `error` may still have been carried out: it got no answer
/// (a timeout once connected, a connection lost) or a 5xx. A call not sent, not connected,
/// refused on the way (TLS, a proxy) or answered with a 4xx changed nothing.
fn may_have_been_applied(error: &Error) -> bool {
    match error {
        Error::Api(api) => api.status() >= 500,
        Error::NotSent { .. }
        | Error::Tls { .. }
        | Error::ProxyRefused { .. }
        | Error::InvalidInput { .. }
        | Error::Config { .. }
        | Error::Timeout { connecting: true, .. }
        | Error::Transport { sent: false, .. } => false,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::super::plan::Action;
    use super::*;

    fn change(aid: Option<&str>, old: Option<i64>, new: Option<i64>) -> Change {
        let action = match (old, new) {
            (None, _) => Action::Assign,
            (_, None) => Action::Unassign,
            _ => Action::Change,
        };
        Change { action, organization: "1001".into(), aid: aid.map(Into::into), name: None, old, new }
    }

    #[test]
    fn one_call_per_kind_removals_first_organizations_before_account_groups() {
        let changes = [
            change(Some("1"), None, Some(5)),
            change(None, Some(10), Some(20)),
            change(Some("2"), Some(3), None),
            change(Some("3"), Some(3), Some(4)),
            change(None, Some(1), None),
        ];
        let seen: Vec<(String, usize)> =
            calls(&changes).iter().map(|c| (c.label(), c.changes.len())).collect();
        assert_eq!(
            seen,
            [
                ("POST /quotas/unassign".to_string(), 1),
                ("POST /quotas/account-groups/unassign".to_string(), 1),
                ("POST /quotas/assign".to_string(), 1),
                ("POST /quotas/account-groups/assign".to_string(), 2),
            ]
        );
        assert_eq!(calls(&[change(Some("1"), None, Some(5))]).len(), 1);
        assert!(calls(&[]).is_empty());
    }
}
