//! `GET /quotas` and the four quota assign/unassign operations.

use thousandeyes_usage_generated::apis::quotas_api as api;

use super::ids::{check_aid, check_org_id};
use crate::error::Error;
use crate::models::{
    AccountGroupQuota, OrganizationQuota, OrganizationQuotaAssignment, OrganizationQuotaUnassignment,
    OrganizationsQuotasAssign, OrganizationsQuotasUnassign, Quota, QuotasAssignRequest, QuotasUnassign,
};
use crate::retry::RetryPolicy;
use crate::Client;

/// A quota value: a number of units, so 0 or more (the models' `int64`).
fn check_units(field: &'static str, units: i64) -> Result<i64, Error> {
    if units < 0 {
        return Err(Error::invalid(
            field,
            units.to_string(),
            "is negative; a quota is a number of units, 0 or more",
        ));
    }
    Ok(units)
}

/// Builder for the organization and account group quotas (`GET /quotas`, operationId
/// `getQuotas`). Made by [`Client::quotas`].
///
/// ```no_run
/// # async fn run(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
/// for quota in client.quotas().send().await? {
///     println!("{:?}", quota.organization_quota);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent"]
pub struct GetQuotas {
    client: Client,
    pub(super) policy: Option<RetryPolicy>,
}

impl GetQuotas {
    pub(crate) fn new(client: Client) -> Self {
        GetQuotas { client, policy: None }
    }

    /// Sends the request: one entry per organization the user can see.
    ///
    /// ```no_run
    /// # async fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
    /// let quotas = client.quotas().send().await?;
    /// # let _ = quotas; Ok(()) }
    /// ```
    pub async fn send(self) -> Result<Vec<Quota>, Error> {
        let reply = self
            .client
            .pipeline()
            .call::<api::GetQuotas>(&api::GetQuotasParams {}, self.policy.as_ref())
            .await?;
        Ok(reply.quotas.unwrap_or_default())
    }
}

/// Builder for setting organization quotas (`POST /quotas/assign`, operationId
/// `assignOrganizationsQuotas`). Made by [`Client::assign_organization_quotas`]. Each quota
/// names its organization ([`quota`](Self::quota)), or is the quota of the organization the
/// token belongs to ([`own_organization_quota`](Self::own_organization_quota)); organizations not
/// named keep their quotas.
///
/// ```no_run
/// # async fn run(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
/// let set = client
///     .assign_organization_quotas()
///     .quota("1001", 50_000)
///     .quota("1002", 20_000)
///     .send()
///     .await?;
/// # let _ = set; Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent"]
pub struct AssignOrganizationsQuotas {
    client: Client,
    /// `(orgId, units)`; no `orgId` for the token's own organization.
    quotas: Vec<(Option<String>, i64)>,
    pub(super) policy: Option<RetryPolicy>,
}

impl AssignOrganizationsQuotas {
    pub(crate) fn new(client: Client) -> Self {
        AssignOrganizationsQuotas { client, quotas: Vec::new(), policy: None }
    }

    /// Sets organization `org_id`'s quota to `units` (0 or more; the model's `i64`). A negative
    /// value is an [`Error::InvalidInput`] naming `units` at `send()`.
    ///
    /// ```
    /// # fn f(client: thousandeyes_usage::Client) {
    /// let request = client.assign_organization_quotas().quota("1001", 50_000);
    /// # let _ = request; }
    /// ```
    pub fn quota(mut self, org_id: impl Into<String>, units: i64) -> Self {
        self.quotas.push((Some(org_id.into()), units));
        self
    }

    /// Sets the quota of the organization the token belongs to, the one the API authenticates
    /// the request in, to `units` (0 or more), without naming it: the entry goes without
    /// `orgId`, which the API reads as that organization. The answer names the organization
    /// (its `org_id`). A negative value is an [`Error::InvalidInput`] naming `units` at `send()`.
    ///
    /// ```no_run
    /// # async fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
    /// // The example of ThousandEyes' API reference: {"organizations":[{"value":12000},{"orgId":"1234","value":10000}]}
    /// let set = client
    ///     .assign_organization_quotas()
    ///     .own_organization_quota(12_000)
    ///     .quota("1234", 10_000)
    ///     .send()
    ///     .await?;
    /// for quota in &set {
    ///     println!("organization {:?}: {} units", quota.org_id, quota.value);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn own_organization_quota(mut self, units: i64) -> Self {
        self.quotas.push((None, units));
        self
    }

    /// Sends the request; returns the quotas now in force.
    ///
    /// ```no_run
    /// # async fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
    /// let set = client.assign_organization_quotas().quota("1001", 1000).send().await?;
    /// # let _ = set; Ok(()) }
    /// ```
    pub async fn send(self) -> Result<Vec<OrganizationQuota>, Error> {
        if self.quotas.is_empty() {
            return Err(Error::invalid(
                "quota",
                "[]",
                "no organization quota was given; add one with quota() or own_organization_quota()",
            ));
        }
        let organizations = self
            .quotas
            .iter()
            .map(|(org, units)| {
                Ok(OrganizationQuota {
                    value: check_units("units", *units)?,
                    org_id: org.as_deref().map(|org| check_org_id("org_id", org)).transpose()?,
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let params = api::AssignOrganizationsQuotasParams {
            quotas_assign_request: Some(QuotasAssignRequest { organizations: Some(organizations) }),
        };
        let reply = self
            .client
            .pipeline()
            .call::<api::AssignOrganizationsQuotas>(&params, self.policy.as_ref())
            .await?;
        Ok(reply.organizations.unwrap_or_default())
    }
}

/// Builder for removing organization quotas (`POST /quotas/unassign`, operationId
/// `unassignOrganizationsQuotas`). Made by [`Client::unassign_organization_quotas`].
///
/// ```no_run
/// # async fn run(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
/// client.unassign_organization_quotas().organization("1001").send().await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent"]
pub struct UnassignOrganizationsQuotas {
    client: Client,
    organizations: Vec<String>,
    pub(super) policy: Option<RetryPolicy>,
}

impl UnassignOrganizationsQuotas {
    pub(crate) fn new(client: Client) -> Self {
        UnassignOrganizationsQuotas { client, organizations: Vec::new(), policy: None }
    }

    /// Removes organization `org_id`'s quota.
    ///
    /// ```
    /// # fn f(client: thousandeyes_usage::Client) {
    /// let request = client.unassign_organization_quotas().organization("1001");
    /// # let _ = request; }
    /// ```
    pub fn organization(mut self, org_id: impl Into<String>) -> Self {
        self.organizations.push(org_id.into());
        self
    }

    /// Sends the request.
    ///
    /// ```no_run
    /// # async fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
    /// client.unassign_organization_quotas().organization("1001").send().await?;
    /// # Ok(()) }
    /// ```
    pub async fn send(self) -> Result<(), Error> {
        if self.organizations.is_empty() {
            return Err(Error::invalid(
                "organization",
                "[]",
                "no organization was given; add one with organization()",
            ));
        }
        let organizations = self
            .organizations
            .iter()
            .map(|o| check_org_id("org_id", o))
            .collect::<Result<Vec<_>, Error>>()?;
        let params = api::UnassignOrganizationsQuotasParams {
            quotas_unassign: Some(QuotasUnassign { organizations: Some(organizations) }),
        };
        self.client
            .pipeline()
            .call::<api::UnassignOrganizationsQuotas>(&params, self.policy.as_ref())
            .await?;
        Ok(())
    }
}

/// An account group of an organization: both ids checked.
fn check_group(org: &str, aid: &str) -> Result<(String, String), Error> {
    let org = check_org_id("org_id", org)?;
    let aid = check_aid(aid).map_err(|reason| Error::invalid("aid", aid, reason))?;
    Ok((org, aid))
}

/// Groups `(org, item)` pairs by organization, keeping first-seen order.
fn by_organization<T>(pairs: impl IntoIterator<Item = (String, T)>) -> Vec<(String, Vec<T>)> {
    let mut groups: Vec<(String, Vec<T>)> = Vec::new();
    for (org, item) in pairs {
        match groups.iter_mut().find(|(o, _)| *o == org) {
            Some((_, items)) => items.push(item),
            None => groups.push((org, vec![item])),
        }
    }
    groups
}

/// Builder for setting account group quotas (`POST /quotas/account-groups/assign`, operationId
/// `assignOrganizationsAccountGroupsQuotas`). Made by [`Client::assign_account_group_quotas`].
/// Assignments add up: account groups not named keep their quotas.
///
/// ```no_run
/// # async fn run(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
/// let set = client
///     .assign_account_group_quotas()
///     .quota("1001", "1234", 5_000)
///     .quota("1001", "1235", 2_500)
///     .send()
///     .await?;
/// # let _ = set; Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent"]
pub struct AssignOrganizationsAccountGroupsQuotas {
    client: Client,
    quotas: Vec<(String, String, i64)>,
    pub(super) policy: Option<RetryPolicy>,
}

impl AssignOrganizationsAccountGroupsQuotas {
    pub(crate) fn new(client: Client) -> Self {
        AssignOrganizationsAccountGroupsQuotas { client, quotas: Vec::new(), policy: None }
    }

    /// Sets account group `aid`'s quota (in organization `org_id`) to `units` (0 or more; the
    /// model's `i64`). A negative value is an [`Error::InvalidInput`] naming `units` at `send()`.
    ///
    /// ```
    /// # fn f(client: thousandeyes_usage::Client) {
    /// let request = client.assign_account_group_quotas().quota("1001", "1234", 5_000);
    /// # let _ = request; }
    /// ```
    pub fn quota(mut self, org_id: impl Into<String>, aid: impl Into<String>, units: i64) -> Self {
        self.quotas.push((org_id.into(), aid.into(), units));
        self
    }

    /// Sends the request; returns the account group quotas now in force.
    ///
    /// ```no_run
    /// # async fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
    /// let set = client.assign_account_group_quotas().quota("1001", "1234", 10).send().await?;
    /// # let _ = set; Ok(()) }
    /// ```
    pub async fn send(self) -> Result<Vec<OrganizationQuotaAssignment>, Error> {
        if self.quotas.is_empty() {
            return Err(Error::invalid(
                "quota",
                "[]",
                "no account group quota was given; add one with quota()",
            ));
        }
        let checked = self
            .quotas
            .iter()
            .map(|(org, aid, units)| {
                let org = check_org_id("org_id", org)?;
                let aid = check_aid(aid).map_err(|reason| Error::invalid("aid", aid, reason))?;
                let quota = AccountGroupQuota { value: Some(check_units("units", *units)?), aid: Some(aid) };
                Ok((org, quota))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let organizations = by_organization(checked)
            .into_iter()
            .map(|(org, groups)| OrganizationQuotaAssignment {
                org_id: Some(org),
                account_groups: Some(groups),
            })
            .collect();
        let params = api::AssignOrganizationsAccountGroupsQuotasParams {
            organizations_quotas_assign: Some(OrganizationsQuotasAssign {
                organizations: Some(organizations),
            }),
        };
        let reply = self
            .client
            .pipeline()
            .call::<api::AssignOrganizationsAccountGroupsQuotas>(&params, self.policy.as_ref())
            .await?;
        Ok(reply.organizations.unwrap_or_default())
    }
}

/// Builder for removing account group quotas (`POST /quotas/account-groups/unassign`,
/// operationId `unassignOrganizationsAccountGroupsQuotas`). Made by
/// [`Client::unassign_account_group_quotas`].
///
/// ```no_run
/// # async fn run(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
/// client.unassign_account_group_quotas().account_group("1001", "1234").send().await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent"]
pub struct UnassignOrganizationsAccountGroupsQuotas {
    client: Client,
    groups: Vec<(String, String)>,
    pub(super) policy: Option<RetryPolicy>,
}

impl UnassignOrganizationsAccountGroupsQuotas {
    pub(crate) fn new(client: Client) -> Self {
        UnassignOrganizationsAccountGroupsQuotas { client, groups: Vec::new(), policy: None }
    }

    /// Removes account group `aid`'s quota (in organization `org_id`).
    ///
    /// ```
    /// # fn f(client: thousandeyes_usage::Client) {
    /// let request = client.unassign_account_group_quotas().account_group("1001", "1234");
    /// # let _ = request; }
    /// ```
    pub fn account_group(mut self, org_id: impl Into<String>, aid: impl Into<String>) -> Self {
        self.groups.push((org_id.into(), aid.into()));
        self
    }

    /// Sends the request.
    ///
    /// ```no_run
    /// # async fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
    /// client.unassign_account_group_quotas().account_group("1001", "1234").send().await?;
    /// # Ok(()) }
    /// ```
    pub async fn send(self) -> Result<(), Error> {
        if self.groups.is_empty() {
            return Err(Error::invalid(
                "account_group",
                "[]",
                "no account group was given; add one with account_group()",
            ));
        }
        let checked =
            self.groups.iter().map(|(org, aid)| check_group(org, aid)).collect::<Result<Vec<_>, Error>>()?;
        let organizations = by_organization(checked)
            .into_iter()
            .map(|(org, groups)| OrganizationQuotaUnassignment {
                org_id: Some(org),
                account_groups: Some(groups),
            })
            .collect();
        let params = api::UnassignOrganizationsAccountGroupsQuotasParams {
            organizations_quotas_unassign: Some(OrganizationsQuotasUnassign {
                organizations: Some(organizations),
            }),
        };
        self.client
            .pipeline()
            .call::<api::UnassignOrganizationsAccountGroupsQuotas>(&params, self.policy.as_ref())
            .await?;
        Ok(())
    }
}
