//! One builder per API operation, started from a [`Client`](crate::Client) method and finished
//! with `.send().await` (or, for the two listings, `.pages()` / `.items()`).
//!
//! Every builder checks its input when it is sent, before any request: a bad value is an
//! [`Error::InvalidInput`] naming the field and the value.
//!
//! ```no_run
//! use thousandeyes_usage::{Error, Expand};
//!
//! # async fn run(client: thousandeyes_usage::Client) -> Result<(), Error> {
//! let usage = client.usage().aid("1234").expand([Expand::Tests]).send().await?;
//! # let _ = usage;
//! match client.usage().aid("not-a-number").send().await {
//!     Err(Error::InvalidInput { field, .. }) => assert_eq!(field, "aid"), // nothing was sent
//!     other => panic!("{other:?}"),
//! }
//! # Ok(()) }
//! ```

/// Adds the per-request `retry_policy` setter to builders that keep it in a `policy` field.
macro_rules! retry_policy_setter {
    ($(impl[$($generics:tt)*] $builder:ty => $make:literal;)+) => {$(
        impl<$($generics)*> $builder {
            #[doc = concat!(
                "A retry policy for this request only, instead of the client's ",
                "(a POST is retried only on 429, whatever the policy).\n\n```\n",
                "# fn f(client: thousandeyes_usage::Client) {\n",
                "let request = client.", $make, ".retry_policy(thousandeyes_usage::RetryPolicy::disabled());\n",
                "# let _ = request; }\n```"
            )]
            pub fn retry_policy(mut self, policy: crate::retry::RetryPolicy) -> Self {
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
    impl[] GetUsage => "usage()";
    impl[K: UnitsKind] UnitsRequest<K> => "test_units()";
    impl[] GetQuotas => "quotas()";
    impl[] AssignOrganizationQuotas => "assign_organization_quotas()";
    impl[] UnassignOrganizationQuotas => "unassign_organization_quotas()";
    impl[] AssignAccountGroupQuotas => "assign_account_group_quotas()";
    impl[] UnassignAccountGroupQuotas => "unassign_account_group_quotas()";
}

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, SecondsFormat, Utc};
use thousandeyes_usage_generated::models::ExpandUsageOptions;

use crate::config::check_aid;
use crate::error::Error;

pub use quotas::{
    AssignAccountGroupQuotas, AssignOrganizationQuotas, GetQuotas, UnassignAccountGroupQuotas,
    UnassignOrganizationQuotas,
};
pub use units::{AgentUnitsRequest, EnterpriseAgents, TestUnitsRequest, Tests, UnitsKind, UnitsRequest};
pub use usage::GetUsage;

/// A breakdown that [`Client::usage`](crate::Client::usage) can include.
///
/// `Display` and `FromStr` use the API's names (`test`, `enterprise-agent`, ...).
///
/// ```
/// use thousandeyes_usage::Expand;
///
/// let e: Expand = "enterprise-agent-unit".parse()?;
/// assert_eq!(e, Expand::EnterpriseAgentUnits);
/// assert_eq!(Expand::Tests.to_string(), "test");
/// # Ok::<(), thousandeyes_usage::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Expand {
    /// Units by test (`test`): fills [`Usage::tests`](crate::models::Usage::tests).
    Tests,
    /// Enterprise agents by account group (`enterprise-agent`).
    EnterpriseAgents,
    /// Enterprise units by agent (`enterprise-agent-unit`).
    EnterpriseAgentUnits,
    /// Endpoint agents by account group (`endpoint-agent`).
    EndpointAgents,
    /// Endpoint agents essentials by account group (`endpoint-agent-essential`).
    EndpointAgentsEssentials,
    /// Embedded endpoint agents by account group (`endpoint-agent-embedded`).
    EndpointAgentsEmbedded,
}

impl Expand {
    /// Every expansion, in the API's order.
    ///
    /// ```
    /// assert_eq!(thousandeyes_usage::Expand::ALL.len(), 6);
    /// ```
    pub const ALL: [Expand; 6] = [
        Expand::Tests,
        Expand::EnterpriseAgents,
        Expand::EnterpriseAgentUnits,
        Expand::EndpointAgents,
        Expand::EndpointAgentsEssentials,
        Expand::EndpointAgentsEmbedded,
    ];

    /// The API's name for it.
    ///
    /// ```
    /// assert_eq!(thousandeyes_usage::Expand::EndpointAgents.as_str(), "endpoint-agent");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Expand::Tests => "test",
            Expand::EnterpriseAgents => "enterprise-agent",
            Expand::EnterpriseAgentUnits => "enterprise-agent-unit",
            Expand::EndpointAgents => "endpoint-agent",
            Expand::EndpointAgentsEssentials => "endpoint-agent-essential",
            Expand::EndpointAgentsEmbedded => "endpoint-agent-embedded",
        }
    }

    pub(crate) fn to_generated(self) -> ExpandUsageOptions {
        match self {
            Expand::Tests => ExpandUsageOptions::Test,
            Expand::EnterpriseAgents => ExpandUsageOptions::EnterpriseAgent,
            Expand::EnterpriseAgentUnits => ExpandUsageOptions::EnterpriseAgentUnit,
            Expand::EndpointAgents => ExpandUsageOptions::EndpointAgent,
            Expand::EndpointAgentsEssentials => ExpandUsageOptions::EndpointAgentEssential,
            Expand::EndpointAgentsEmbedded => ExpandUsageOptions::EndpointAgentEmbedded,
        }
    }
}

impl fmt::Display for Expand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Expand {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        Expand::ALL.into_iter().find(|e| e.as_str() == wanted).ok_or_else(|| {
            let names: Vec<&str> = Expand::ALL.iter().map(|e| e.as_str()).collect();
            Error::invalid("expand", s, format!("not one of {}", names.join(", ")))
        })
    }
}

/// A time range as given to a builder, checked when sent.
#[derive(Debug, Clone, Default)]
pub(crate) struct Period {
    pub(crate) start: Option<DateTime<Utc>>,
    pub(crate) end: Option<DateTime<Utc>>,
}

/// A checked time range: the values for the generated parameters, and the RFC 3339 strings
/// that replace them on the wire.
pub(crate) struct CheckedPeriod {
    pub(crate) start: Option<DateTime<chrono::FixedOffset>>,
    pub(crate) end: Option<DateTime<chrono::FixedOffset>>,
    pub(crate) wire: Vec<(&'static str, String)>,
}

impl Period {
    /// Checks the range: an end needs a start, the start may not be in the future, and the start
    /// must come before the end.
    pub(crate) fn check(&self, now: DateTime<Utc>) -> Result<CheckedPeriod, Error> {
        if let (None, Some(end)) = (self.start, self.end) {
            return Err(Error::invalid("end", rfc3339(end), "an end needs a start; set start() too"));
        }
        if let Some(start) = self.start {
            if start > now {
                return Err(Error::invalid(
                    "start",
                    rfc3339(start),
                    format!("is in the future (now is {})", rfc3339(now)),
                ));
            }
        }
        if let (Some(start), Some(end)) = (self.start, self.end) {
            if start >= end {
                return Err(Error::invalid(
                    "start",
                    rfc3339(start),
                    format!("must be before the end {}", rfc3339(end)),
                ));
            }
        }
        let mut wire = Vec::new();
        if let Some(start) = self.start {
            wire.push(("startDate", rfc3339(start)));
        }
        if let Some(end) = self.end {
            wire.push(("endDate", rfc3339(end)));
        }
        Ok(CheckedPeriod {
            start: self.start.map(|t| t.fixed_offset()),
            end: self.end.map(|t| t.fixed_offset()),
            wire,
        })
    }
}

/// The wire form of a time: RFC 3339, UTC, whole seconds, `Z` suffix.
pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
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
    pub fn test_units(&self) -> TestUnitsRequest {
        UnitsRequest::new(self.clone())
    }

    /// Enterprise agent units by agent and account group, paginated
    /// (`GET /usage/units/enterprise-agents`).
    ///
    /// ```no_run
    /// # async fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
    /// let agents = client.agent_units().collect_all().await?;
    /// # let _ = agents; Ok(()) }
    /// ```
    pub fn agent_units(&self) -> AgentUnitsRequest {
        UnitsRequest::new(self.clone())
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
    pub fn assign_organization_quotas(&self) -> AssignOrganizationQuotas {
        AssignOrganizationQuotas::new(self.clone())
    }

    /// Remove organization quotas (`POST /quotas/unassign`).
    ///
    /// ```no_run
    /// # async fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
    /// client.unassign_organization_quotas().organization("1001").send().await?;
    /// # Ok(()) }
    /// ```
    pub fn unassign_organization_quotas(&self) -> UnassignOrganizationQuotas {
        UnassignOrganizationQuotas::new(self.clone())
    }

    /// Set account group quotas (`POST /quotas/account-groups/assign`).
    ///
    /// ```no_run
    /// # async fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
    /// client.assign_account_group_quotas().quota("1001", "1234", 5_000).send().await?;
    /// # Ok(()) }
    /// ```
    pub fn assign_account_group_quotas(&self) -> AssignAccountGroupQuotas {
        AssignAccountGroupQuotas::new(self.clone())
    }

    /// Remove account group quotas (`POST /quotas/account-groups/unassign`).
    ///
    /// ```no_run
    /// # async fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
    /// client.unassign_account_group_quotas().account_group("1001", "1234").send().await?;
    /// # Ok(()) }
    /// ```
    pub fn unassign_account_group_quotas(&self) -> UnassignAccountGroupQuotas {
        UnassignAccountGroupQuotas::new(self.clone())
    }
}

#[cfg(test)]
#[path = "../tests/operations.rs"]
mod tests;
