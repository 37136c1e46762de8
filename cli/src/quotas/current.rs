//! The quotas in force, as `GET /quotas` gives them, with the account groups' names and the
//! account groups without a quota that `GET /usage` names.
//!
//! `GET /quotas` lists the organizations that have a quota or account group quotas, and under
//! each only the account groups that have a quota. `GET /usage` covers the token's organization:
//! its breakdowns name every account group with tests or agents, with its name. The two together
//! are the account groups a quotas file may name.

use std::collections::BTreeMap;

use thousandeyes_usage::models::{ExpandUsageOptions, Quota, UsageDetails};
use thousandeyes_usage::{Client, Error};

use super::file::Desired;

/// The quotas in force.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Current {
    /// The organizations `GET /quotas` lists, in its order.
    pub(crate) organizations: Vec<OrganizationNow>,
    /// Account groups `GET /usage` names that are in no organization listed here: the token's
    /// organization could not be told among several (see [`Current::of`]).
    pub(crate) unplaced: Vec<GroupNow>,
    /// The quotas `GET /quotas` gave without an `orgId`: the token's own organization's (a quota
    /// without an organization is the authenticated organization's), as it lists an organization
    /// that has account group quotas but no quota of its own.
    pub(crate) unnamed: Option<Unnamed>,
}

/// The quotas of the token's own organization, when `GET /quotas` does not give its id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Unnamed {
    /// Its quota, in units per month.
    pub(crate) quota: Option<i64>,
    /// Its account groups known, ordered by id (as [`OrganizationNow::account_groups`]).
    pub(crate) account_groups: Vec<GroupNow>,
}

/// An organization's quotas in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OrganizationNow {
    /// Its id.
    pub(crate) id: String,
    /// Its quota, in units per month.
    pub(crate) quota: Option<i64>,
    /// Its account groups known: those with a quota, and (in the token's organization) those
    /// `GET /usage` names; ordered by id.
    pub(crate) account_groups: Vec<GroupNow>,
}

/// An account group's quota in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GroupNow {
    /// Its id.
    pub(crate) aid: String,
    /// Its name, when `GET /usage` gives it.
    pub(crate) name: Option<String>,
    /// Its quota, in units per month.
    pub(crate) quota: Option<i64>,
}

impl Current {
    /// Reads the quotas in force: `GET /quotas`, and `GET /usage` with every breakdown (each
    /// names account groups), both at once.
    ///
    /// # Errors
    ///
    /// The first call that fails: quotas cannot be planned without seeing them (a token that
    /// may not see quotas gets the API's 403).
    pub(crate) async fn read(client: &Client) -> Result<Current, Error> {
        // Every breakdown names account groups: tests and agents by their account group.
        let usage = client.usage().expand(ExpandUsageOptions::ALL).send();
        let (quotas, usage) = futures::try_join!(client.quotas().send(), usage)?;
        Ok(Current::of(&quotas, &usage))
    }

    /// The quotas in force from the answers of `GET /quotas` and `GET /usage`.
    ///
    /// The account groups `GET /usage` names are in the token's organization, which the Usage
    /// API does not name by id: it is the [`unnamed`](Current::unnamed) one when `GET /quotas`
    /// gives quotas without an `orgId`, else the one organization `GET /quotas` lists, or among
    /// several the first one that lists one of those groups. When none can be told, they are
    /// [`unplaced`](Current::unplaced).
    pub(crate) fn of(quotas: &[Quota], usage: &UsageDetails) -> Current {
        let names = account_group_names(usage);
        let mut current = Current::default();
        for quota in quotas {
            let org = quota.organization_quota.as_ref();
            let account_groups: Vec<GroupNow> = quota
                .account_group_quotas
                .iter()
                .flatten()
                .filter_map(|g| {
                    let aid = g.aid.clone()?;
                    Some(GroupNow { name: names.get(&aid).cloned(), aid, quota: g.value })
                })
                .collect();
            let Some(id) = org.and_then(|o| o.org_id.clone()) else {
                let unnamed = current.unnamed.get_or_insert_with(Unnamed::default);
                unnamed.quota = unnamed.quota.or(org.map(|o| o.value));
                unnamed.account_groups.extend(account_groups);
                continue;
            };
            current.organizations.push(OrganizationNow { id, quota: org.map(|o| o.value), account_groups });
        }
        if let Some(unnamed) = &mut current.unnamed {
            let listed = |aid: &str| unnamed.account_groups.iter().any(|g| g.aid == aid);
            let missing: Vec<GroupNow> = names
                .iter()
                .filter(|(aid, _)| !listed(aid))
                .map(|(aid, name)| GroupNow { aid: aid.clone(), name: Some(name.clone()), quota: None })
                .collect();
            unnamed.account_groups.extend(missing);
            unnamed.account_groups.sort_by(|a, b| by_id(&a.aid, &b.aid));
            for org in &mut current.organizations {
                org.account_groups.sort_by(|a, b| by_id(&a.aid, &b.aid));
            }
            return current;
        }
        let listed = |org: &OrganizationNow, aid: &str| org.account_groups.iter().any(|g| g.aid == aid);
        let home = match &mut current.organizations[..] {
            [only] => Some(only),
            several => several.iter_mut().find(|org| names.keys().any(|aid| listed(org, aid))),
        };
        let unlisted = names.iter().map(|(aid, name)| GroupNow {
            aid: aid.clone(),
            name: Some(name.clone()),
            quota: None,
        });
        match home {
            Some(home) => {
                let missing: Vec<GroupNow> = unlisted.filter(|g| !listed(home, &g.aid)).collect();
                home.account_groups.extend(missing);
            }
            None => {
                let elsewhere = |aid: &str| current.organizations.iter().any(|org| listed(org, aid));
                current.unplaced = unlisted.filter(|g| !elsewhere(&g.aid)).collect();
            }
        }
        for org in &mut current.organizations {
            org.account_groups.sort_by(|a, b| by_id(&a.aid, &b.aid));
        }
        current
    }

    /// Takes the file's one organization that `GET /quotas` does not list as the token's own,
    /// when `GET /quotas` does not give that one's id: its quotas came without an `orgId`
    /// ([`unnamed`](Current::unnamed)), or it has none, and the account groups `GET /usage` names
    /// are in no organization listed ([`unplaced`](Current::unplaced)). With several such
    /// organizations in the file, none is taken.
    pub(crate) fn adopt(&mut self, desired: &Desired) {
        if self.unnamed.is_none() && self.unplaced.is_empty() {
            return;
        }
        let unlisted: Vec<&str> = desired
            .organizations
            .iter()
            .map(|o| o.id.as_str())
            .filter(|id| self.organization(id).is_none())
            .collect();
        let [id] = unlisted[..] else { return };
        let own = self.unnamed.take().unwrap_or_default();
        let mut account_groups = own.account_groups;
        for group in std::mem::take(&mut self.unplaced) {
            if !account_groups.iter().any(|g| g.aid == group.aid) {
                account_groups.push(group);
            }
        }
        account_groups.sort_by(|a, b| by_id(&a.aid, &b.aid));
        self.organizations.push(OrganizationNow { id: id.to_string(), quota: own.quota, account_groups });
    }

    /// The organization `id`.
    pub(crate) fn organization(&self, id: &str) -> Option<&OrganizationNow> {
        self.organizations.iter().find(|o| o.id == id)
    }
}

/// Decimal ids in numeric order (shorter first), then as text.
pub(crate) fn by_id(a: &str, b: &str) -> std::cmp::Ordering {
    (a.len(), a).cmp(&(b.len(), b))
}

/// The name of every account group `GET /usage`'s breakdowns name, by id.
fn account_group_names(usage: &UsageDetails) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    let mut add = |aid: &Option<String>, name: &Option<String>| {
        if let (Some(aid), Some(name)) = (aid, name) {
            names.entry(aid.clone()).or_insert_with(|| name.clone());
        }
    };
    usage.tests.iter().flatten().for_each(|t| add(&t.aid, &t.account_group_name));
    usage.enterprise_agent_units.iter().flatten().for_each(|a| add(&a.aid, &a.account_group_name));
    usage.enterprise_agents.iter().flatten().for_each(|a| add(&a.aid, &a.account_group_name));
    usage.endpoint_agents.iter().flatten().for_each(|a| add(&a.aid, &a.account_group_name));
    usage.endpoint_agents_essentials.iter().flatten().for_each(|a| add(&a.aid, &a.account_group_name));
    usage.endpoint_agents_embedded.iter().flatten().for_each(|a| add(&a.aid, &a.account_group_name));
    names
}

#[cfg(test)]
mod tests {
    use thousandeyes_usage::models::{AccountGroupQuota, EndpointAgentsUsage, OrganizationQuota};

    use super::*;

    fn quota(org: &str, value: i64, groups: &[(&str, i64)]) -> Quota {
        Quota {
            organization_quota: Some(OrganizationQuota { value, org_id: Some(org.into()) }),
            account_group_quotas: Some(
                groups
                    .iter()
                    .map(|(aid, v)| AccountGroupQuota { aid: Some((*aid).into()), value: Some(*v) })
                    .collect(),
            ),
        }
    }

    fn usage(groups: &[(&str, &str)]) -> UsageDetails {
        UsageDetails {
            endpoint_agents: Some(
                groups
                    .iter()
                    .map(|(aid, name)| EndpointAgentsUsage {
                        aid: Some((*aid).into()),
                        account_group_name: Some((*name).into()),
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        }
    }

    #[test]
    fn groups_usage_names_join_the_one_organization_listed_without_a_quota() {
        let current = Current::of(&[quota("1001", 100, &[("20", 5)])], &usage(&[("20", "B"), ("3", "A")]));
        let org = &current.organizations[0];
        let groups: Vec<_> =
            org.account_groups.iter().map(|g| (g.aid.as_str(), g.name.as_deref(), g.quota)).collect();
        assert_eq!(groups, [("3", Some("A"), None), ("20", Some("B"), Some(5))]);
        assert!(current.unplaced.is_empty());
    }

    #[test]
    fn among_several_organizations_the_one_listing_a_usage_group_is_the_tokens() {
        let quotas = [quota("1", 10, &[("7", 1)]), quota("2", 20, &[("8", 2)])];
        let current = Current::of(&quotas, &usage(&[("8", "Eight"), ("9", "Nine")]));
        assert_eq!(current.organizations[0].account_groups.len(), 1);
        let aids: Vec<_> = current.organizations[1].account_groups.iter().map(|g| g.aid.as_str()).collect();
        assert_eq!(aids, ["8", "9"]);
    }

    #[test]
    fn usage_groups_that_no_organization_can_claim_are_unplaced() {
        let quotas = [quota("1", 10, &[]), quota("2", 20, &[])];
        let current = Current::of(&quotas, &usage(&[("9", "Nine")]));
        assert_eq!(current.unplaced.iter().map(|g| g.aid.as_str()).collect::<Vec<_>>(), ["9"]);
        let no_id = Quota {
            organization_quota: Some(OrganizationQuota { value: 5, org_id: None }),
            ..Default::default()
        };
        assert_eq!(Current::of(&[no_id], &UsageDetails::default()).unnamed.map(|u| u.quota), Some(Some(5)));
    }
}
