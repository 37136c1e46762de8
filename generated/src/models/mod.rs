mod account_group_quota;
pub use self::account_group_quota::AccountGroupQuota;
mod allocation_unit_usage_breakdown;
pub use self::allocation_unit_usage_breakdown::AllocationUnitUsageBreakdown;
mod endpoint_agents_embedded;
pub use self::endpoint_agents_embedded::EndpointAgentsEmbedded;
mod endpoint_agents_essentials;
pub use self::endpoint_agents_essentials::EndpointAgentsEssentials;
mod endpoint_agents_usage;
pub use self::endpoint_agents_usage::EndpointAgentsUsage;
mod enterprise_agent_units;
pub use self::enterprise_agent_units::EnterpriseAgentUnits;
mod enterprise_agent_units_by_test_owner_account_group;
pub use self::enterprise_agent_units_by_test_owner_account_group::EnterpriseAgentUnitsByTestOwnerAccountGroup;
mod enterprise_agents;
pub use self::enterprise_agents::EnterpriseAgents;
mod enterprise_agents_usage;
pub use self::enterprise_agents_usage::EnterpriseAgentsUsage;
mod expand_usage_options;
pub use self::expand_usage_options::ExpandUsageOptions;
mod link;
pub use self::link::Link;
mod organization_quota;
pub use self::organization_quota::OrganizationQuota;
mod organization_quota_assignment;
pub use self::organization_quota_assignment::OrganizationQuotaAssignment;
mod organization_quota_unassignment;
pub use self::organization_quota_unassignment::OrganizationQuotaUnassignment;
mod organizations_quotas_assign;
pub use self::organizations_quotas_assign::OrganizationsQuotasAssign;
mod organizations_quotas_unassign;
pub use self::organizations_quotas_unassign::OrganizationsQuotasUnassign;
mod pagination_links;
pub use self::pagination_links::PaginationLinks;
mod error;
pub use self::error::Problem;
mod quota;
pub use self::quota::Quota;
mod quotas;
pub use self::quotas::Quotas;
mod quotas_assign_request;
pub use self::quotas_assign_request::QuotasAssignRequest;
mod quotas_assign_response;
pub use self::quotas_assign_response::QuotasAssignResponse;
mod quotas_unassign;
pub use self::quotas_unassign::QuotasUnassign;
mod self_links;
pub use self::self_links::SelfLinks;
mod test_usage;
pub use self::test_usage::TestUsage;
mod tests_usage;
pub use self::tests_usage::TestsUsage;
mod unauthorized_error;
pub use self::unauthorized_error::UnauthorizedError;
mod unit_allocation_summary;
pub use self::unit_allocation_summary::UnitAllocationSummary;
mod units_by_tests;
pub use self::units_by_tests::UnitsByTests;
mod usage;
pub use self::usage::Usage;
mod usage_details;
pub use self::usage_details::UsageDetails;
mod usage_quota;
pub use self::usage_quota::UsageQuota;
mod validation_error;
pub use self::validation_error::ValidationError;
mod validation_error_item;
pub use self::validation_error_item::ValidationErrorItem;
/// A string that is not one of the values an enum schema lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownEnumValue {
    /// The schema, by its model name.
    pub schema: &'static str,
    /// The value that was given.
    pub value: String,
    /// The values the schema lists.
    pub expected: &'static [&'static str],
}

impl std::fmt::Display for UnknownEnumValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?} is not a {} (one of {})", self.value, self.schema, self.expected.join(", "))
    }
}

impl std::error::Error for UnknownEnumValue {}

impl ExpandUsageOptions {
    /// Every value the spec lists, in its order.
    pub const ALL: &'static [ExpandUsageOptions] = &[
        ExpandUsageOptions::Test,
        ExpandUsageOptions::EnterpriseAgent,
        ExpandUsageOptions::EnterpriseAgentUnit,
        ExpandUsageOptions::EndpointAgent,
        ExpandUsageOptions::EndpointAgentEssential,
        ExpandUsageOptions::EndpointAgentEmbedded,
    ];
    /// The values as the API writes them, in the spec's order.
    pub const NAMES: &'static [&'static str] = &[
        "test",
        "enterprise-agent",
        "enterprise-agent-unit",
        "endpoint-agent",
        "endpoint-agent-essential",
        "endpoint-agent-embedded",
    ];

    /// The value as the API writes it.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Test => "test",
            Self::EnterpriseAgent => "enterprise-agent",
            Self::EnterpriseAgentUnit => "enterprise-agent-unit",
            Self::EndpointAgent => "endpoint-agent",
            Self::EndpointAgentEssential => "endpoint-agent-essential",
            Self::EndpointAgentEmbedded => "endpoint-agent-embedded",
        }
    }
}

impl std::str::FromStr for ExpandUsageOptions {
    type Err = UnknownEnumValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.iter().copied().find(|v| v.as_str() == s).ok_or_else(|| UnknownEnumValue {
            schema: "ExpandUsageOptions",
            value: s.to_string(),
            expected: Self::NAMES,
        })
    }
}
