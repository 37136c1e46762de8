//! What the server holds: its configuration, and behind a lock its data, the organizations'
//! quotas, the rate-limit windows, the failure rules and the record of requests.

use std::collections::BTreeSet;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use thousandeyes_usage_generated::models::{AccountGroupQuota, OrganizationQuota, Quota};

use super::rules::Rules;
use super::tokens::Tokens;
use super::windows::Windows;
use crate::clock::FakeClock;
use crate::dataset::{Dataset, ExpectedTotals};
use crate::failure::Failure;
use crate::record::{RateLimitWindow, Record};

/// What does not change while the fake runs.
#[derive(Debug)]
pub(crate) struct Config {
    /// `http://127.0.0.1:PORT`.
    pub(crate) root: String,
    pub(crate) test_page_size: usize,
    pub(crate) agent_page_size: usize,
    pub(crate) limit: u64,
    pub(crate) window_secs: i64,
    pub(crate) latency: Duration,
    /// The most requests the record keeps (and rate-limit windows, at least one).
    pub(crate) record_limit: usize,
}

/// The state shared by the server task and the handle.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) clock: FakeClock,
    tokens: Mutex<Tokens>,
    state: Mutex<State>,
}

/// What changes while the fake runs.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) data: Dataset,
    pub(crate) known_aids: BTreeSet<String>,
    pub(crate) orgs: Vec<OrgQuotas>,
    pub(crate) rules: Rules,
    pub(crate) windows: Windows,
    pub(crate) record: Record,
    next_sequence: usize,
}

/// The quotas of one organization.
#[derive(Debug, Clone)]
pub(crate) struct OrgQuotas {
    pub(crate) org_id: Option<String>,
    pub(crate) quota: Option<i64>,
    /// `(aid, value)` of each account group with a quota.
    pub(crate) groups: Vec<(String, i64)>,
}

impl OrgQuotas {
    fn empty(org_id: &str) -> OrgQuotas {
        OrgQuotas { org_id: Some(org_id.to_string()), quota: None, groups: Vec::new() }
    }
}

impl Shared {
    pub(crate) fn new(
        config: Config,
        clock: FakeClock,
        tokens: Tokens,
        data: Dataset,
        failures: Vec<Failure>,
    ) -> Shared {
        let known_aids = data.known_aids();
        let mut orgs: Vec<OrgQuotas> = data
            .quotas
            .iter()
            .map(|q| OrgQuotas {
                org_id: q.organization_quota.as_ref().and_then(|o| o.org_id.clone()),
                quota: q.organization_quota.as_ref().map(|o| o.value),
                groups: q
                    .account_group_quotas
                    .iter()
                    .flatten()
                    .filter_map(|g| Some((g.aid.clone()?, g.value?)))
                    .collect(),
            })
            .collect();
        if !orgs.iter().any(|o| o.org_id.as_deref() == Some(data.organization_id.as_str())) {
            orgs.push(OrgQuotas::empty(&data.organization_id));
        }
        let windows = Windows::new(config.limit, config.window_secs, config.record_limit);
        let record = Record::new(config.record_limit);
        Shared {
            config,
            clock,
            tokens: Mutex::new(tokens),
            state: Mutex::new(State {
                data,
                known_aids,
                orgs,
                rules: Rules::new(failures),
                windows,
                record,
                next_sequence: 0,
            }),
        }
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The tokens accepted.
    pub(crate) fn tokens(&self) -> MutexGuard<'_, Tokens> {
        self.tokens.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The next request's sequence number, from 0.
    pub(crate) fn next_sequence(&self) -> usize {
        let mut state = self.state();
        state.next_sequence += 1;
        state.next_sequence - 1
    }

    /// Reads the record of requests.
    pub(crate) fn with_record<T>(&self, f: impl FnOnce(&Record) -> T) -> T {
        f(&self.state().record)
    }

    /// Empties the record of requests.
    pub(crate) fn clear_record(&self) {
        self.state().record.clear();
    }

    pub(crate) fn windows(&self) -> Vec<RateLimitWindow> {
        self.state().windows.all()
    }

    pub(crate) fn quotas(&self) -> Vec<Quota> {
        self.state().quotas()
    }

    pub(crate) fn expected_totals(&self) -> ExpectedTotals {
        let state = self.state();
        let quota = state
            .orgs
            .iter()
            .find(|o| o.org_id.as_deref() == Some(state.data.organization_id.as_str()))
            .and_then(|o| o.quota);
        ExpectedTotals::of(&state.data, quota, self.config.test_page_size, self.config.agent_page_size)
    }

    pub(crate) fn dataset(&self) -> Dataset {
        let state = self.state();
        Dataset { quotas: state.quotas(), ..state.data.clone() }
    }
}

impl State {
    /// The quotas as `GET /quotas` shows them: the organizations with a quota or account group
    /// quotas.
    pub(crate) fn quotas(&self) -> Vec<Quota> {
        self.orgs
            .iter()
            .filter(|o| o.quota.is_some() || !o.groups.is_empty())
            .map(|o| Quota {
                organization_quota: o.quota.map(|value| OrganizationQuota {
                    value,
                    org_id: o.org_id.clone(),
                    ..Default::default()
                }),
                account_group_quotas: Some(
                    o.groups
                        .iter()
                        .map(|(aid, value)| AccountGroupQuota {
                            value: Some(*value),
                            aid: Some(aid.clone()),
                            ..Default::default()
                        })
                        .collect(),
                ),
                ..Default::default()
            })
            .collect()
    }

    /// Whether the caller may manage the quotas of `org_id`.
    pub(crate) fn known_org(&self, org_id: &str) -> bool {
        self.data.organization_id == org_id
            || self.data.managed_organizations.iter().any(|o| o == org_id)
            || self.orgs.iter().any(|o| o.org_id.as_deref() == Some(org_id))
    }

    /// The quotas of `org_id`, added empty when it has none yet.
    pub(crate) fn org_mut(&mut self, org_id: &str) -> &mut OrgQuotas {
        let index = match self.orgs.iter().position(|o| o.org_id.as_deref() == Some(org_id)) {
            Some(i) => i,
            None => {
                self.orgs.push(OrgQuotas::empty(org_id));
                self.orgs.len() - 1
            }
        };
        &mut self.orgs[index]
    }
}
