//! One builder per API operation, named after its operationId, started from a
//! [`Client`](crate::Client) method and finished with `.send().await` (or, for the two listings,
//! `.pages()` / `.items()`).
//!
//! Every builder checks its input when it is sent, before any request: a bad value is an
//! [`Error::InvalidInput`] naming the field and the value.
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

use chrono::{DateTime, Datelike, FixedOffset, SecondsFormat, SubsecRound, Utc};

use crate::config::check_aid;
use crate::error::Error;

pub use quotas::{
    AssignOrganizationsAccountGroupsQuotas, AssignOrganizationsQuotas, GetQuotas,
    UnassignOrganizationsAccountGroupsQuotas, UnassignOrganizationsQuotas,
};
pub use units::{GetEnterpriseAgentsUnitsUsage, GetTestsUnitsUsage};
pub use usage::GetUsage;

/// A time range as given to a builder, checked when sent.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Period {
    pub(crate) start: Option<DateTime<Utc>>,
    pub(crate) end: Option<DateTime<Utc>>,
}

/// The checked range, as the generated parameters take it.
pub(crate) type CheckedPeriod = (Option<DateTime<FixedOffset>>, Option<DateTime<FixedOffset>>);

impl Period {
    /// Checks the range as it will be sent: the API takes whole seconds, so both ends are cut to
    /// the second first; an end needs a start; the start may not be in the future and must come
    /// before the end; years must be 0000 to 9999, all that RFC 3339 can write. A start that is
    /// not before the end names both as given, and speaks of whole seconds only when the two are
    /// less than a second apart (which is when cutting them is what made them collide).
    pub(crate) fn check(&self, now: DateTime<Utc>) -> Result<CheckedPeriod, Error> {
        let start = self.start.map(|t| whole_second("start", t)).transpose()?;
        let end = self.end.map(|t| whole_second("end", t)).transpose()?;
        if let (None, Some(end)) = (start, end) {
            return Err(Error::invalid("end", rfc3339(end), "an end needs a start; set start() too"));
        }
        if let Some(start) = start {
            if start > now {
                return Err(Error::invalid(
                    "start",
                    rfc3339(start),
                    format!("is in the future (now is {})", rfc3339(now)),
                ));
            }
        }
        if let (Some(start), Some(end), Some(given_start), Some(given_end)) =
            (start, end, self.start, self.end)
        {
            if start >= end {
                let reason = if (given_end - given_start).abs() < chrono::TimeDelta::seconds(1) {
                    format!(
                        "must be before the end {}; they are less than a second apart, and the API takes whole \
                         seconds (they would go as {} and {})",
                        rfc3339(given_end),
                        rfc3339(start),
                        rfc3339(end)
                    )
                } else {
                    format!("is after the end {}: the start must come before the end", rfc3339(given_end))
                };
                return Err(Error::invalid("start", rfc3339(given_start), reason));
            }
        }
        Ok((start.map(|t| t.fixed_offset()), end.map(|t| t.fixed_offset())))
    }
}

/// `t` cut to the whole second, if its year is one RFC 3339 can write.
fn whole_second(field: &'static str, t: DateTime<Utc>) -> Result<DateTime<Utc>, Error> {
    if !(0..=9999).contains(&t.year()) {
        return Err(Error::invalid(
            field,
            format!("{t:?}"),
            "is outside the years 0000 to 9999 that the API can take",
        ));
    }
    Ok(t.trunc_subsecs(0))
}

/// A time as error messages show it: RFC 3339, UTC, `Z` suffix.
pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// The `aid` to send: the call's own, else the client's default; checked.
pub(crate) fn resolve_aid(own: Option<&str>, default: Option<&str>) -> Result<Option<String>, Error> {
    match own {
        Some(aid) => check_aid(aid).map(Some).map_err(|reason| Error::invalid("aid", aid, reason)),
        None => Ok(default.map(str::to_string)),
    }
}

/// An organization id: like an account group id, a decimal number.
pub(crate) fn check_org_id(field: &'static str, id: &str) -> Result<String, Error> {
    check_aid(id).map_err(|reason| Error::invalid(field, id, reason.replace("account group", "organization")))
}

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
