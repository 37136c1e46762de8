//! One handler per operation, each answering a request that passed authentication, the
//! rate-limit window and the failure rules.

mod links;
mod listings;
mod quotas;
mod usage;

use std::time::SystemTime;

use http::header;
use http::StatusCode;

use thousandeyes_usage_generated::apis::OperationId as Operation;

use super::answer::{problem, Answer};
use super::request::Req;
use super::routing::Route;
use super::state::{Config, State};

pub(crate) use listings::page;

/// The answer of the route's handler.
pub(crate) fn dispatch(state: &mut State, config: &Config, req: &Req, now: SystemTime) -> Answer {
    let path = req.path.as_str();
    let handled = match req.route {
        Route::NotFound => Err(problem(
            StatusCode::NOT_FOUND,
            format!("No resource at {} {path} in the Usage API.", req.method),
            path,
        )),
        Route::WrongMethod(allowed) => Err(problem(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{path} takes {allowed}, not {}.", req.method),
            path,
        )
        .with_header(header::ALLOW, allowed)),
        Route::Operation(op) => match op {
            Operation::GetUsage => usage::get_usage(state, config, req),
            Operation::GetTestsUnitsUsage | Operation::GetEnterpriseAgentsUnitsUsage => {
                listings::listing(state, config, req, op, now)
            }
            Operation::GetQuotas => quotas::get_quotas(state, config, req),
            Operation::AssignOrganizationsQuotas => quotas::assign_organizations(state, req),
            Operation::UnassignOrganizationsQuotas => quotas::unassign_organizations(state, req),
            Operation::AssignOrganizationsAccountGroupsQuotas => quotas::assign_account_groups(state, req),
            Operation::UnassignOrganizationsAccountGroupsQuotas => {
                quotas::unassign_account_groups(state, req)
            }
            _ => Err(problem(
                StatusCode::NOT_IMPLEMENTED,
                format!("The fake does not serve {op} ({} {}).", op.method(), op.path()),
                path,
            )),
        },
    };
    handled.unwrap_or_else(|refusal| refusal)
}
