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
///
/// ```
/// let x: thousandeyes_usage::models::Usage = serde_json::from_str(r#"{"cloudUnitsUsed":1200,"quota":{"cloudUnitsIncluded":5000}}"#)?;
/// assert_eq!(x.cloud_units_used, Some(1200));
/// # Ok::<(), serde_json::Error>(())
/// ```
pub use thousandeyes_usage_generated::models::UsageDetails as Usage;

/// The usage period and what the contract includes in it.
///
/// ```
/// let x: thousandeyes_usage::models::UsageQuota = serde_json::from_str(r#"{"monthStart":"2024-05-01T00:00:00Z","cloudUnitsIncluded":5000}"#)?;
/// assert_eq!(x.cloud_units_included, Some(5000));
/// # Ok::<(), serde_json::Error>(())
/// ```
pub use thousandeyes_usage_generated::models::UsageQuota;

/// Cloud units of one test, in [`Usage::tests`] (with [`Expand::Tests`](crate::Expand::Tests)).
///
/// ```
/// let x: thousandeyes_usage::models::TestUsage = serde_json::from_str(r#"{"testId":"281","testName":"Checkout","cloudUnitsUsed":70}"#)?;
/// assert_eq!(x.cloud_units_used, Some(70));
/// # Ok::<(), serde_json::Error>(())
/// ```
pub use thousandeyes_usage_generated::models::TestUsage;

/// Enterprise units of one agent, in [`Usage::enterprise_agent_units`].
///
/// ```
/// let x: thousandeyes_usage::models::EnterpriseAgentUnits = serde_json::from_str(r#"{"agentId":"8001","agentName":"dc1","enterpriseUnitsUsed":60}"#)?;
/// assert_eq!(x.enterprise_units_used, Some(60));
/// # Ok::<(), serde_json::Error>(())
/// ```
pub use thousandeyes_usage_generated::models::EnterpriseAgentUnits;

/// Endpoint agents of one account group, in [`Usage::endpoint_agents`].
///
/// ```
/// let x: thousandeyes_usage::models::EndpointAgentsUsage = serde_json::from_str(r#"{"aid":"1234","endpointAgentsUsed":130}"#)?;
/// assert_eq!(x.endpoint_agents_used, Some(130));
/// # Ok::<(), serde_json::Error>(())
/// ```
pub use thousandeyes_usage_generated::models::EndpointAgentsUsage;

/// Endpoint agents essentials of one account group, in [`Usage::endpoint_agents_essentials`].
///
/// ```
/// let x: thousandeyes_usage::models::EndpointAgentsEssentials = serde_json::from_str(r#"{"aid":"1234","endpointAgentsEssentialsUsed":33}"#)?;
/// assert_eq!(x.endpoint_agents_essentials_used, Some(33));
/// # Ok::<(), serde_json::Error>(())
/// ```
pub use thousandeyes_usage_generated::models::EndpointAgentsEssentials;

/// Embedded endpoint agents of one account group, in [`Usage::endpoint_agents_embedded`].
///
/// ```
/// let x: thousandeyes_usage::models::EndpointAgentsEmbedded = serde_json::from_str(r#"{"aid":"1234","endpointAgentsEmbeddedUsed":7}"#)?;
/// assert_eq!(x.endpoint_agents_embedded_used, Some(7));
/// # Ok::<(), serde_json::Error>(())
/// ```
pub use thousandeyes_usage_generated::models::EndpointAgentsEmbedded;

/// Enterprise agents of one account group, in [`Usage::enterprise_agents`].
///
/// ```
/// let x: thousandeyes_usage::models::EnterpriseAgents = serde_json::from_str(r#"{"aid":"1234","enterpriseAgentsUsed":11}"#)?;
/// assert_eq!(x.enterprise_agents_used, Some(11));
/// # Ok::<(), serde_json::Error>(())
/// ```
pub use thousandeyes_usage_generated::models::EnterpriseAgents;

/// Units allocated to products, in [`Usage::allocations`].
///
/// ```
/// let x: thousandeyes_usage::models::UnitAllocationSummary = serde_json::from_str(r#"{"used":500,"projected":700,"allocations":[]}"#)?;
/// assert_eq!(x.used, Some(500));
/// # Ok::<(), serde_json::Error>(())
/// ```
pub use thousandeyes_usage_generated::models::UnitAllocationSummary;

/// Units allocated to one product.
///
/// ```
/// let x: thousandeyes_usage::models::AllocationUnitUsageBreakdown = serde_json::from_str(r#"{"productName":"Cloud Insights","allocatedUnits":1000}"#)?;
/// assert_eq!(x.allocated_units, Some(1000));
/// # Ok::<(), serde_json::Error>(())
/// ```
pub use thousandeyes_usage_generated::models::AllocationUnitUsageBreakdown;

/// Cloud and enterprise units of one test: an item of the test units listing
/// (`GET /usage/units/tests`).
///
/// ```
/// let x: thousandeyes_usage::models::TestUnits = serde_json::from_str(r#"{"testName":"DNS","cloudUnitsUsed":5,"enterpriseUnitsUsed":2,"isInstantTest":false}"#)?;
/// assert_eq!(x.cloud_units_used, Some(5));
/// # Ok::<(), serde_json::Error>(())
/// ```
pub use thousandeyes_usage_generated::models::UnitsByTests as TestUnits;

/// Enterprise units used on one agent by one account group's tests: an item of the enterprise
/// agent units listing (`GET /usage/units/enterprise-agents`).
///
/// ```
/// let x: thousandeyes_usage::models::AgentUnits = serde_json::from_str(r#"{"agentName":"dc1","aid":"1234","enterpriseUnitsUsed":40}"#)?;
/// assert_eq!(x.enterprise_units_used, Some(40));
/// # Ok::<(), serde_json::Error>(())
/// ```
pub use thousandeyes_usage_generated::models::EnterpriseAgentUnitsByTestOwnerAccountGroup as AgentUnits;

/// The quota of one organization and those of its account groups (`GET /quotas`).
///
/// ```
/// let x: thousandeyes_usage::models::Quota = serde_json::from_str(r#"{"organizationQuota":{"value":9000,"orgId":"1001"},"accountGroupQuotas":[]}"#)?;
/// assert_eq!(x.organization_quota.map(|q| q.value), Some(9000));
/// # Ok::<(), serde_json::Error>(())
/// ```
pub use thousandeyes_usage_generated::models::Quota;

/// The unit quota of one organization.
///
/// ```
/// let x: thousandeyes_usage::models::OrganizationQuota = serde_json::from_str(r#"{"value":9000,"orgId":"1001"}"#)?;
/// assert_eq!(x.value, 9000);
/// # Ok::<(), serde_json::Error>(())
/// ```
pub use thousandeyes_usage_generated::models::OrganizationQuota;

/// The unit quota of one account group.
///
/// ```
/// let x: thousandeyes_usage::models::AccountGroupQuota = serde_json::from_str(r#"{"value":500,"aid":"1234"}"#)?;
/// assert_eq!(x.value, Some(500));
/// # Ok::<(), serde_json::Error>(())
/// ```
pub use thousandeyes_usage_generated::models::AccountGroupQuota;

/// Account group quotas of one organization, as set by
/// [`Client::assign_account_group_quotas`](crate::Client::assign_account_group_quotas).
///
/// ```
/// let x: thousandeyes_usage::models::AccountGroupQuotas = serde_json::from_str(r#"{"orgId":"1001","accountGroups":[{"value":5,"aid":"1234"}]}"#)?;
/// assert_eq!(x.account_groups.map(|g| g.len()), Some(1));
/// # Ok::<(), serde_json::Error>(())
/// ```
pub use thousandeyes_usage_generated::models::OrganizationQuotaAssignment as AccountGroupQuotas;
