//! One builder per API operation, named after its operationId, started from a
//! [`Client`](crate::Client) method and finished with `.send().await` (or, for the two listings,
//! `.pages()` / `.items()`).
//!
//! Every builder checks its input when it is sent, before any request: a bad value is an
//! [`Error::InvalidInput`](crate::Error::InvalidInput) naming the field and the value.
//!
//! ```no_run
//! use thousandeyes_usage::{models::ExpandUsageOptions, Error};
//!
//! # async fn run(client: thousandeyes_usage::Client) -> Result<(), Error> {
//! let usage = client.usage().aid("1234").expand([ExpandUsageOptions::Test]).send().await?;
//! # let _ = usage;
//! match client.usage().aid("not-a-number").send().await {
//!     Err(Error::InvalidInput { field, .. }) => assert_eq!(field, "aid"), // nothing was sent
//!     other => panic!("{other:?}"),
//! }
//! # Ok(()) }
//! ```

/// Adds the per-request `retry_policy` setter to builders that keep it in a `policy` field.
macro_rules! retry_policy_setter {
    ($($builder:ty => $make:literal;)+) => {$(
        impl $builder {
            #[doc = concat!(
                "A retry policy for this request only, instead of the client's ",
                "(a POST is retried only on 429, whatever the policy).\n\n```\n",
                "# fn f(client: thousandeyes_usage::Client) {\n",
                "let request = client.", $make, ".retry_policy(thousandeyes_usage::RetryPolicy::disabled());\n",
                "# let _ = request; }\n```"
            )]
            pub fn retry_policy(mut self, policy: crate::RetryPolicy) -> Self {
                self.policy = Some(policy);
                self
            }
        }
    )+};
}

pub(crate) mod ids;
mod period;
mod quotas;
mod units;
mod usage;

retry_policy_setter! {
    GetUsage => "usage()";
    GetQuotas => "quotas()";
    AssignOrganizationsQuotas => "assign_organization_quotas()";
    UnassignOrganizationsQuotas => "unassign_organization_quotas()";
    AssignOrganizationsAccountGroupsQuotas => "assign_account_group_quotas()";
    UnassignOrganizationsAccountGroupsQuotas => "unassign_account_group_quotas()";
}

pub use quotas::{
    AssignOrganizationsAccountGroupsQuotas, AssignOrganizationsQuotas, GetQuotas,
    UnassignOrganizationsAccountGroupsQuotas, UnassignOrganizationsQuotas,
};
pub use units::{GetEnterpriseAgentsUnitsUsage, GetTestsUnitsUsage};
pub use usage::GetUsage;

impl crate::Client {
    /// The organization's usage for the period (`GET /usage`).
    ///
    /// ```no_run
    /// # async fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
    /// let usage = client.usage().send().await?;
    /// # let _ = usage; Ok(()) }
    /// ```
    pub fn usage(&self) -> GetUsage {
        GetUsage::new(self.clone())
    }

    /// Cloud and enterprise units by test, paginated (`GET /usage/units/tests`).
    ///
    /// ```no_run
    /// # async fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
    /// let tests = client.test_units().collect_all().await?;
    /// # let _ = tests; Ok(()) }
    /// ```
    pub fn test_units(&self) -> GetTestsUnitsUsage {
        GetTestsUnitsUsage::new(self.clone())
    }

    /// Enterprise agent units by agent and account group, paginated
    /// (`GET /usage/units/enterprise-agents`).
    ///
    /// ```no_run
    /// # async fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
    /// let agents = client.agent_units().collect_all().await?;
    /// # let _ = agents; Ok(()) }
    /// ```
    pub fn agent_units(&self) -> GetEnterpriseAgentsUnitsUsage {
        GetEnterpriseAgentsUnitsUsage::new(self.clone())
    }

    /// Organization and account group quotas (`GET /quotas`).
    ///
    /// ```no_run
    /// # async fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
    /// let quotas = client.quotas().send().await?;
    /// # let _ = quotas; Ok(()) }
    /// ```
    pub fn quotas(&self) -> GetQuotas {
        GetQuotas::new(self.clone())
    }

    /// Set organization quotas (`POST /quotas/assign`).
    ///
    /// ```no_run
    /// # async fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
    /// client.assign_organization_quotas().quota("1001", 50_000).send().await?;
    /// # Ok(()) }
    /// ```
    pub fn assign_organization_quotas(&self) -> AssignOrganizationsQuotas {
        AssignOrganizationsQuotas::new(self.clone())
    }

    /// Remove organization quotas (`POST /quotas/unassign`).
    ///
    /// ```no_run
    /// # async fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
    /// client.unassign_organization_quotas().organization("1001").send().await?;
    /// # Ok(()) }
    /// ```
    pub fn unassign_organization_quotas(&self) -> UnassignOrganizationsQuotas {
        UnassignOrganizationsQuotas::new(self.clone())
    }

    /// Set account group quotas (`POST /quotas/account-groups/assign`).
    ///
    /// ```no_run
    /// # async fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
    /// client.assign_account_group_quotas().quota("1001", "1234", 5_000).send().await?;
    /// # Ok(()) }
    /// ```
    pub fn assign_account_group_quotas(&self) -> AssignOrganizationsAccountGroupsQuotas {
        AssignOrganizationsAccountGroupsQuotas::new(self.clone())
    }

    /// Remove account group quotas (`POST /quotas/account-groups/unassign`).
    ///
    /// ```no_run
    /// # async fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
    /// client.unassign_account_group_quotas().account_group("1001", "1234").send().await?;
    /// # Ok(()) }
    /// ```
    pub fn unassign_account_group_quotas(&self) -> UnassignOrganizationsAccountGroupsQuotas {
        UnassignOrganizationsAccountGroupsQuotas::new(self.clone())
    }
}

#[cfg(test)]
#[path = "../tests/operations.rs"]
mod tests;
