//! `getUsage`: the organization's usage, with the breakdowns `expand` names.

use std::collections::BTreeSet;

use thousandeyes_usage_generated::apis::usage_api::GetUsageParams;
use thousandeyes_usage_generated::models::{ExpandUsageOptions, Usage, UsageDetails};

use super::super::answer::{Answer, Handled};
use super::super::request::Req;
use super::super::state::{Config, State};
use super::super::validate::{check_aid, params};
use super::links::self_links;

pub(super) fn get_usage(state: &State, config: &Config, req: &Req) -> Handled {
    let params = params(GetUsageParams::from_query, req)?;
    check_aid(state, GetUsageParams::AID, params.aid.as_deref(), &req.path)?;
    let expand: BTreeSet<ExpandUsageOptions> = params.expand.into_iter().flatten().collect();
    Ok(Answer::ok(&Usage {
        usage: Some(expanded(&state.data.usage, &expand)),
        _links: Some(self_links(config, req)),
        ..Default::default()
    }))
}

/// The usage with the breakdowns of `expand` only (one copy of `full`, the others dropped).
fn expanded(full: &UsageDetails, expand: &BTreeSet<ExpandUsageOptions>) -> UsageDetails {
    fn keep_if<T>(kept: bool, breakdown: &mut Option<T>) {
        if !kept {
            *breakdown = None;
        }
    }
    let mut usage = full.clone();
    let asked = |option: ExpandUsageOptions| expand.contains(&option);
    keep_if(asked(ExpandUsageOptions::Test), &mut usage.tests);
    keep_if(asked(ExpandUsageOptions::EnterpriseAgentUnit), &mut usage.enterprise_agent_units);
    keep_if(asked(ExpandUsageOptions::EnterpriseAgent), &mut usage.enterprise_agents);
    keep_if(asked(ExpandUsageOptions::EndpointAgent), &mut usage.endpoint_agents);
    keep_if(asked(ExpandUsageOptions::EndpointAgentEssential), &mut usage.endpoint_agents_essentials);
    keep_if(asked(ExpandUsageOptions::EndpointAgentEmbedded), &mut usage.endpoint_agents_embedded);
    usage
}
