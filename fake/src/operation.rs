//! The eight operations of the Usage API.

use std::fmt;

/// One of the eight operations of the Usage API v7, by its `operationId`.
///
/// Used to aim a [`Failure`](crate::Failure) at an operation and to pick recorded requests
/// ([`FakeUsageApi::requests_for`](crate::FakeUsageApi::requests_for)).
///
/// ```
/// use thousandeyes_usage_fake::Operation;
///
/// let op = Operation::GetTestsUnitsUsage;
/// assert_eq!(op.operation_id(), "getTestsUnitsUsage");
/// assert_eq!((op.method(), op.path()), ("GET", "/usage/units/tests"));
/// assert_eq!(Operation::from_operation_id("getQuotas"), Some(Operation::GetQuotas));
/// assert_eq!(Operation::ALL.len(), 8);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Operation {
    /// `GET /usage` (`getUsage`).
    GetUsage,
    /// `GET /usage/units/tests` (`getTestsUnitsUsage`), paginated.
    GetTestsUnitsUsage,
    /// `GET /usage/units/enterprise-agents` (`getEnterpriseAgentsUnitsUsage`), paginated.
    GetEnterpriseAgentsUnitsUsage,
    /// `GET /quotas` (`getQuotas`).
    GetQuotas,
    /// `POST /quotas/assign` (`assignOrganizationsQuotas`).
    AssignOrganizationsQuotas,
    /// `POST /quotas/unassign` (`unassignOrganizationsQuotas`).
    UnassignOrganizationsQuotas,
    /// `POST /quotas/account-groups/assign` (`assignOrganizationsAccountGroupsQuotas`).
    AssignOrganizationsAccountGroupsQuotas,
    /// `POST /quotas/account-groups/unassign` (`unassignOrganizationsAccountGroupsQuotas`).
    UnassignOrganizationsAccountGroupsQuotas,
}

impl Operation {
    /// Every operation, in the order of the spec.
    ///
    /// ```
    /// use thousandeyes_usage_fake::Operation;
    ///
    /// let posts = Operation::ALL.iter().filter(|op| op.method() == "POST").count();
    /// assert_eq!(posts, 4);
    /// ```
    pub const ALL: [Operation; 8] = [
        Operation::GetUsage,
        Operation::GetTestsUnitsUsage,
        Operation::GetEnterpriseAgentsUnitsUsage,
        Operation::GetQuotas,
        Operation::AssignOrganizationsQuotas,
        Operation::UnassignOrganizationsQuotas,
        Operation::AssignOrganizationsAccountGroupsQuotas,
        Operation::UnassignOrganizationsAccountGroupsQuotas,
    ];

    /// The `operationId` of the spec, such as `getTestsUnitsUsage`.
    ///
    /// ```
    /// use thousandeyes_usage_fake::Operation;
    ///
    /// assert_eq!(Operation::GetUsage.operation_id(), "getUsage");
    /// ```
    pub fn operation_id(self) -> &'static str {
        match self {
            Operation::GetUsage => "getUsage",
            Operation::GetTestsUnitsUsage => "getTestsUnitsUsage",
            Operation::GetEnterpriseAgentsUnitsUsage => "getEnterpriseAgentsUnitsUsage",
            Operation::GetQuotas => "getQuotas",
            Operation::AssignOrganizationsQuotas => "assignOrganizationsQuotas",
            Operation::UnassignOrganizationsQuotas => "unassignOrganizationsQuotas",
            Operation::AssignOrganizationsAccountGroupsQuotas => "assignOrganizationsAccountGroupsQuotas",
            Operation::UnassignOrganizationsAccountGroupsQuotas => "unassignOrganizationsAccountGroupsQuotas",
        }
    }

    /// The operation with this `operationId`, if any (case-sensitive, as in the spec).
    ///
    /// ```
    /// use thousandeyes_usage_fake::Operation;
    ///
    /// assert_eq!(Operation::from_operation_id("getUsage"), Some(Operation::GetUsage));
    /// assert_eq!(Operation::from_operation_id("getusage"), None);
    /// ```
    pub fn from_operation_id(id: &str) -> Option<Operation> {
        Operation::ALL.into_iter().find(|op| op.operation_id() == id)
    }

    /// The HTTP method: `GET` or `POST`.
    ///
    /// ```
    /// use thousandeyes_usage_fake::Operation;
    ///
    /// assert_eq!(Operation::AssignOrganizationsQuotas.method(), "POST");
    /// ```
    pub fn method(self) -> &'static str {
        match self {
            Operation::GetUsage
            | Operation::GetTestsUnitsUsage
            | Operation::GetEnterpriseAgentsUnitsUsage
            | Operation::GetQuotas => "GET",
            _ => "POST",
        }
    }

    /// The path below the base URL (which ends in `/v7`), such as `/usage/units/tests`.
    ///
    /// ```
    /// use thousandeyes_usage_fake::Operation;
    ///
    /// assert_eq!(Operation::UnassignOrganizationsQuotas.path(), "/quotas/unassign");
    /// ```
    pub fn path(self) -> &'static str {
        match self {
            Operation::GetUsage => "/usage",
            Operation::GetTestsUnitsUsage => "/usage/units/tests",
            Operation::GetEnterpriseAgentsUnitsUsage => "/usage/units/enterprise-agents",
            Operation::GetQuotas => "/quotas",
            Operation::AssignOrganizationsQuotas => "/quotas/assign",
            Operation::UnassignOrganizationsQuotas => "/quotas/unassign",
            Operation::AssignOrganizationsAccountGroupsQuotas => "/quotas/account-groups/assign",
            Operation::UnassignOrganizationsAccountGroupsQuotas => "/quotas/account-groups/unassign",
        }
    }

    /// True for the two paginated listings (`getTestsUnitsUsage`,
    /// `getEnterpriseAgentsUnitsUsage`).
    ///
    /// ```
    /// use thousandeyes_usage_fake::Operation;
    ///
    /// assert!(Operation::GetEnterpriseAgentsUnitsUsage.is_listing());
    /// assert!(!Operation::GetUsage.is_listing());
    /// ```
    pub fn is_listing(self) -> bool {
        matches!(self, Operation::GetTestsUnitsUsage | Operation::GetEnterpriseAgentsUnitsUsage)
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.operation_id())
    }
}
