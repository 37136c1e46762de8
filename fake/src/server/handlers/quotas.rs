//! `getQuotas` and the four operations that change quotas: an organization's quota, and the
//! quotas of its account groups, each assigned or removed.

use thousandeyes_usage_generated::models::{
    AccountGroupQuota, OrganizationQuota, OrganizationQuotaAssignment, OrganizationsQuotasAssign,
    OrganizationsQuotasUnassign, Quotas, QuotasAssignRequest, QuotasAssignResponse, QuotasUnassign,
};

use super::super::answer::{bad, Answer, Handled};
use super::super::request::Req;
use super::super::state::{Config, State};
use super::super::validate::{check_orgs_and_groups, json_body, FieldErrors};
use super::links::self_links;

pub(super) fn get_quotas(state: &State, config: &Config, req: &Req) -> Handled {
    Ok(Answer::ok(&Quotas {
        quotas: Some(state.quotas()),
        _links: Some(self_links(config, req)),
        ..Default::default()
    }))
}

/// The field name of the `i`th organization of a body.
fn org_field(i: usize) -> String {
    format!("organizations[{i}]")
}

/// Sets organization quotas. An entry without `orgId` sets the quota of the organization the
/// token belongs to, the fake's own, as the API does for the authenticated organization; the
/// answer names it.
pub(super) fn assign_organizations(state: &mut State, req: &Req) -> Handled {
    let request: QuotasAssignRequest = json_body(req)?;
    let orgs = request.organizations.unwrap_or_default();
    let mut errors = FieldErrors::default();
    errors.not_empty("organizations", orgs.len(), "organization");
    for (i, o) in orgs.iter().enumerate() {
        errors.omitted_or_given(
            format!("{}.orgId", org_field(i)),
            o.org_id.as_deref(),
            "the caller's own organization",
        );
        errors.quota(format!("{}.value", org_field(i)), Some(o.value));
    }
    errors.finish("The quotas to assign are invalid.", &req.path)?;
    let own = state.data.organization_id.clone();
    let set: Vec<(String, i64)> =
        orgs.into_iter().map(|o| (o.org_id.unwrap_or_else(|| own.clone()), o.value)).collect();
    check_orgs_and_groups(state, set.iter().map(|(id, _)| (id.as_str(), Vec::new())), &req.path)?;
    for (id, value) in &set {
        state.org_mut(id).quota = Some(*value);
    }
    let set = set
        .into_iter()
        .map(|(id, value)| OrganizationQuota { value, org_id: Some(id), ..Default::default() })
        .collect();
    Ok(Answer::ok(&QuotasAssignResponse { organizations: Some(set), ..Default::default() }))
}

pub(super) fn unassign_organizations(state: &mut State, req: &Req) -> Handled {
    let request: QuotasUnassign = json_body(req)?;
    let ids = request.organizations.unwrap_or_default();
    if ids.is_empty() || ids.iter().any(String::is_empty) {
        return Err(bad(
            "Name the organizations whose quota to remove.",
            &req.path,
            "organizations",
            "REQUIRED",
            "at least one organization id, none empty",
        ));
    }
    check_orgs_and_groups(state, ids.iter().map(|id| (id.as_str(), Vec::new())), &req.path)?;
    for id in &ids {
        state.org_mut(id).quota = None;
    }
    Ok(Answer::no_content())
}

pub(super) fn assign_account_groups(state: &mut State, req: &Req) -> Handled {
    let request: OrganizationsQuotasAssign = json_body(req)?;
    let orgs = request.organizations.unwrap_or_default();
    let named: Vec<_> =
        orgs.iter().map(|o| (o.org_id.as_deref(), o.account_groups.as_deref().unwrap_or_default())).collect();
    let check = |errors: &mut FieldErrors, at: String, g: &AccountGroupQuota| {
        errors.aid(format!("{at}.aid"), g.aid.as_deref());
        errors.quota(format!("{at}.value"), g.value);
    };
    let aid = |g: &AccountGroupQuota| g.aid.clone();
    check_account_groups(state, req, &named, ("account group", "to assign"), check, aid)?;
    for o in &orgs {
        let org = state.org_mut(o.org_id.as_deref().unwrap_or_default());
        for g in o.account_groups.iter().flatten() {
            let (Some(aid), Some(value)) = (&g.aid, g.value) else { continue };
            match org.groups.iter_mut().find(|(a, _)| a == aid) {
                Some(entry) => entry.1 = value,
                None => org.groups.push((aid.clone(), value)),
            }
        }
    }
    let set = orgs
        .into_iter()
        .map(|o| OrganizationQuotaAssignment {
            org_id: o.org_id,
            account_groups: o.account_groups,
            ..Default::default()
        })
        .collect();
    Ok(Answer::ok(&OrganizationsQuotasAssign { organizations: Some(set), ..Default::default() }))
}

pub(super) fn unassign_account_groups(state: &mut State, req: &Req) -> Handled {
    let request: OrganizationsQuotasUnassign = json_body(req)?;
    let orgs = request.organizations.unwrap_or_default();
    let named: Vec<_> =
        orgs.iter().map(|o| (o.org_id.as_deref(), o.account_groups.as_deref().unwrap_or_default())).collect();
    let check = |errors: &mut FieldErrors, at: String, aid: &String| errors.aid(at, Some(aid));
    let aid = |aid: &String| Some(aid.clone());
    check_account_groups(state, req, &named, ("account group id", "to remove"), check, aid)?;
    for o in &orgs {
        let remove = o.account_groups.clone().unwrap_or_default();
        state
            .org_mut(o.org_id.as_deref().unwrap_or_default())
            .groups
            .retain(|(aid, _)| !remove.contains(aid));
    }
    Ok(Answer::no_content())
}

/// The organizations of an account-group body, each `(orgId, account groups)`: the body's
/// fields checked (an `orgId`, at least one account group, each group by `check_group` at its
/// field name), then every organization and account group known. `what` names an account group
/// entry and the change, for the messages.
fn check_account_groups<G>(
    state: &State,
    req: &Req,
    orgs: &[(Option<&str>, &[G])],
    (entry, change): (&str, &str),
    check_group: impl Fn(&mut FieldErrors, String, &G),
    aid_of: impl Fn(&G) -> Option<String>,
) -> Result<(), Answer> {
    let mut errors = FieldErrors::default();
    errors.not_empty("organizations", orgs.len(), "organization");
    for (i, (org_id, groups)) in orgs.iter().enumerate() {
        errors.required(format!("{}.orgId", org_field(i)), *org_id);
        errors.not_empty(format!("{}.accountGroups", org_field(i)), groups.len(), entry);
        for (j, g) in groups.iter().enumerate() {
            check_group(&mut errors, format!("{}.accountGroups[{j}]", org_field(i)), g);
        }
    }
    errors.finish(&format!("The account group quotas {change} are invalid."), &req.path)?;
    let aids: Vec<Vec<String>> =
        orgs.iter().map(|(_, groups)| groups.iter().filter_map(&aid_of).collect()).collect();
    let named = orgs
        .iter()
        .zip(&aids)
        .map(|((org_id, _), aids)| (org_id.unwrap_or_default(), aids.iter().map(String::as_str).collect()));
    check_orgs_and_groups(state, named, &req.path)
}
