//! The API's data types, as the operations return them.
//!
//! These are the generated models, re-exported under names that read well; every field is an
//! `Option` because the API may omit any of them. Counters are `i64`. The envelopes (`_links`,
//! the `usage` wrapper) are unwrapped by the operations, so they do not appear here.
//!
//! ```
//! use thousandeyes_usage::models::TestUnits;
//!
//! fn total(t: &TestUnits) -> i64 {
//!     t.cloud_units_used.unwrap_or(0) + t.enterprise_units_used.unwrap_or(0)
//! }
//! # let _ = total;
//! ```

/// Organization usage for the period (`GET /usage`).
pub use thousandeyes_usage_generated::models::UsageDetails as Usage;

/// The usage period and what the contract includes in it.
pub use thousandeyes_usage_generated::models::UsageQuota;

/// Cloud units of one test, in [`Usage::tests`] (with [`Expand::Tests`](crate::Expand::Tests)).
pub use thousandeyes_usage_generated::models::TestUsage;

/// Enterprise units of one agent, in [`Usage::enterprise_agent_units`].
pub use thousandeyes_usage_generated::models::EnterpriseAgentUnits;

/// Endpoint agents of one account group, in [`Usage::endpoint_agents`].
pub use thousandeyes_usage_generated::models::EndpointAgentsUsage;

/// Endpoint agents essentials of one account group, in [`Usage::endpoint_agents_essentials`].
pub use thousandeyes_usage_generated::models::EndpointAgentsEssentials;

/// Embedded endpoint agents of one account group, in [`Usage::endpoint_agents_embedded`].
pub use thousandeyes_usage_generated::models::EndpointAgentsEmbedded;

/// Enterprise agents of one account group, in [`Usage::enterprise_agents`].
pub use thousandeyes_usage_generated::models::EnterpriseAgents;

/// Units allocated to products, in [`Usage::allocations`].
pub use thousandeyes_usage_generated::models::UnitAllocationSummary;

/// Units allocated to one product.
pub use thousandeyes_usage_generated::models::AllocationUnitUsageBreakdown;

/// Cloud and enterprise units of one test: an item of the test units listing
/// (`GET /usage/units/tests`).
pub use thousandeyes_usage_generated::models::UnitsByTests as TestUnits;

/// Enterprise units used on one agent by one account group's tests: an item of the enterprise
/// agent units listing (`GET /usage/units/enterprise-agents`).
pub use thousandeyes_usage_generated::models::EnterpriseAgentUnitsByTestOwnerAccountGroup as AgentUnits;

/// The quota of one organization and those of its account groups (`GET /quotas`).
pub use thousandeyes_usage_generated::models::Quota;

/// The unit quota of one organization.
pub use thousandeyes_usage_generated::models::OrganizationQuota;

/// The unit quota of one account group.
pub use thousandeyes_usage_generated::models::AccountGroupQuota;

/// Account group quotas of one organization, as set by
/// [`Client::assign_account_group_quotas`](crate::Client::assign_account_group_quotas).
pub use thousandeyes_usage_generated::models::OrganizationQuotaAssignment as AccountGroupQuotas;
