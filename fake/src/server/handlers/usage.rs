//! `getUsage`: the organization's usage, with the breakdowns `expand` names.

use std::collections::BTreeSet;

use thousandeyes_usage_generated::apis::usage_api::GetUsageParams;
use thousandeyes_usage_generated::models::{ExpandUsageOptions, Usage, UsageDetails};

use super::super::answer::Answer;
use super::super::request::Req;
use super::super::state::{Config, State};
use super::super::validate::{check_aid, params};
use super::{self_links, Handled};

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

/// The usage with the breakdowns of `expand` only.
fn expanded(full: &UsageDetails, expand: &BTreeSet<ExpandUsageOptions>) -> UsageDetails {
    let keep = |option: ExpandUsageOptions| expand.contains(&option);
    UsageDetails {
        tests: full.tests.clone().filter(|_| keep(ExpandUsageOptions::Test)),
        enterprise_agent_units: full
            .enterprise_agent_units
            .clone()
            .filter(|_| keep(ExpandUsageOptions::EnterpriseAgentUnit)),
        enterprise_agents: full
            .enterprise_agents
            .clone()
            .filter(|_| keep(ExpandUsageOptions::EnterpriseAgent)),
        endpoint_agents: full.endpoint_agents.clone().filter(|_| keep(ExpandUsageOptions::EndpointAgent)),
        endpoint_agents_essentials: full
            .endpoint_agents_essentials
            .clone()
            .filter(|_| keep(ExpandUsageOptions::EndpointAgentEssential)),
        endpoint_agents_embedded: full
            .endpoint_agents_embedded
            .clone()
            .filter(|_| keep(ExpandUsageOptions::EndpointAgentEmbedded)),
        ..full.clone()
    }
}
