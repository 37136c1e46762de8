//! One handler per operation, each answering a request that passed authentication, the
//! rate-limit window and the failure rules.

mod listings;
mod quotas;
mod usage;

use std::time::SystemTime;

use http::header;
use http::StatusCode;

use thousandeyes_usage_generated::models::{Link, SelfLinks};

use super::answer::{problem, Answer};
use super::request::Req;
use super::routing::Route;
use super::state::{Config, State};
use crate::Operation;

pub(crate) use listings::page;

/// A handler's answer: `Err` for a refusal (the request is invalid), `Ok` otherwise.
type Handled = Result<Answer, Answer>;

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

/// The absolute URL of the request's path with its query; with `cursor` `(name, value)`, the
/// parameter `name` set to `value` (or removed, for `None`).
fn link(config: &Config, req: &Req, cursor: Option<(&str, Option<&str>)>) -> String {
    let plain = format!("{}{}", config.root, req.path);
    let Ok(mut url) = url::Url::parse(&plain) else { return plain };
    {
        let replaced = cursor.map(|(name, _)| name);
        let mut query = url.query_pairs_mut();
        for (k, v) in req.query.iter().filter(|(k, _)| Some(k.as_str()) != replaced) {
            query.append_pair(k, v);
        }
        if let Some((name, Some(value))) = cursor {
            query.append_pair(name, value);
        }
    }
    let mut s = url.to_string();
    if s.ends_with('?') {
        s.pop();
    }
    s
}

/// The `_links` of an answer that is not a listing page.
fn self_links(config: &Config, req: &Req) -> SelfLinks {
    SelfLinks { param_self: Some(Link::new(link(config, req, None))), ..Default::default() }
}
