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
    /// The token's own organization's quotas, when `GET /quotas` gives them without its id (it
    /// does for an organization with account group quotas but no quota of its own): the entry
    /// without an `orgId` that lists one of the account groups `GET /usage` names.
    pub(crate) unnamed: Option<Unnamed>,
    /// The other entries without an `orgId`: organizations the token manages, which a file
    /// cannot name.
    pub(crate) others_without_id: Vec<Unnamed>,
}

/// An organization's quotas as `GET /quotas` gives them without its id.
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
    /// API does not name by id: it is the organization `GET /quotas` lists with one of those
    /// groups (by id, or else without an id: [`unnamed`](Current::unnamed)), or the one it lists
    /// when it lists one, by id, and no entry without an id. When none can be told, they are
    /// [`unplaced`](Current::unplaced).
    pub(crate) fn of(quotas: &[Quota], usage: &UsageDetails) -> Current {
        let names = account_group_names(usage);
        let mut current = Current::default();
        let mut without_id = Vec::new();
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
            match org.and_then(|o| o.org_id.clone()) {
                Some(id) => current.organizations.push(OrganizationNow {
                    id,
                    quota: org.map(|o| o.value),
                    account_groups,
                }),
                None => without_id.push(Unnamed { quota: org.map(|o| o.value), account_groups }),
            }
        }
        let lists_a_usage_group = |groups: &[GroupNow]| groups.iter().any(|g| names.contains_key(&g.aid));
        let listed_anywhere = |aid: &str, current: &Current, without_id: &[Unnamed]| {
            current.organizations.iter().any(|o| o.account_groups.iter().any(|g| g.aid == aid))
                || without_id.iter().any(|u| u.account_groups.iter().any(|g| g.aid == aid))
        };
        let missing: Vec<GroupNow> = names
            .iter()
            .filter(|(aid, _)| !listed_anywhere(aid, &current, &without_id))
            .map(|(aid, name)| GroupNow { aid: aid.clone(), name: Some(name.clone()), quota: None })
            .collect();
        let named_home = current.organizations.iter().position(|o| lists_a_usage_group(&o.account_groups));
        let unnamed_home = without_id.iter().position(|u| lists_a_usage_group(&u.account_groups));
        match (named_home, unnamed_home) {
            (Some(home), _) => current.organizations[home].account_groups.extend(missing),
            (None, Some(home)) => {
                let mut own = without_id.remove(home);
                own.account_groups.extend(missing);
                current.unnamed = Some(own);
            }
            (None, None) if current.organizations.len() == 1 && without_id.is_empty() => {
                current.organizations[0].account_groups.extend(missing);
            }
            (None, None) => current.unplaced = missing,
        }
        for groups in current
            .organizations
            .iter_mut()
            .map(|o| &mut o.account_groups)
            .chain(current.unnamed.iter_mut().map(|u| &mut u.account_groups))
        {
            groups.sort_by(|a, b| by_id(&a.aid, &b.aid));
        }
        current.others_without_id = without_id;
        current
    }

    /// Takes the file's one organization that `GET /quotas` does not list by id as the token's
    /// own, when `GET /quotas` does not give that one's id ([`unnamed`](Current::unnamed)) or does
    /// not list it ([`unplaced`](Current::unplaced) account groups): if the file lists one of
    /// the own organization's account groups under it, or the own organization has no quota in
    /// force that a wrong guess would remove. Otherwise (or with several such organizations in
    /// the file) none is taken, and [`check_known`](super::plan::check_known) refuses them.
    pub(crate) fn adopt(&mut self, desired: &Desired) {
        if self.unnamed.is_none() && self.unplaced.is_empty() {
            return;
        }
        let unlisted: Vec<_> =
            desired.organizations.iter().filter(|o| self.organization(&o.id).is_none()).collect();
        let [org] = unlisted[..] else { return };
        let own = self.unnamed.as_ref();
        let own_groups = own.map(|u| &u.account_groups[..]).unwrap_or_default().iter().chain(&self.unplaced);
        let named = own_groups.clone().any(|g| org.account_groups.iter().any(|d| d.aid == g.aid));
        let in_force =
            own.is_some_and(|u| u.quota.is_some() || u.account_groups.iter().any(|g| g.quota.is_some()));
        if !named && in_force {
            return;
        }
        let own = self.unnamed.take().unwrap_or_default();
        let mut account_groups = own.account_groups;
        account_groups.append(&mut self.unplaced);
        account_groups.sort_by(|a, b| by_id(&a.aid, &b.aid));
        self.organizations.push(OrganizationNow { id: org.id.clone(), quota: own.quota, account_groups });
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
        // Listing none of GET /usage's groups, it is not known to be the token's own.
        let current = Current::of(&[no_id], &UsageDetails::default());
        assert!(current.unnamed.is_none());
        assert_eq!(current.others_without_id.iter().map(|u| u.quota).collect::<Vec<_>>(), [Some(5)]);
    }

    fn without_id(value: Option<i64>, groups: &[(&str, i64)]) -> Quota {
        Quota {
            organization_quota: value.map(|value| OrganizationQuota { value, org_id: None }),
            account_group_quotas: Some(
                groups
                    .iter()
                    .map(|(aid, v)| AccountGroupQuota { aid: Some((*aid).into()), value: Some(*v) })
                    .collect(),
            ),
        }
    }

    fn desired(text: &str) -> Desired {
        super::super::file::parse(std::path::Path::new("q.toml"), text).expect("a file")
    }

    /// A managed organization with group quotas only comes without an id too: it is not the
    /// token's own (none of its groups is `GET /usage`'s), and the usage groups stay with the
    /// organization that lists one of them.
    #[test]
    fn an_entry_without_id_that_lists_no_usage_group_is_another_organization() {
        let quotas = [quota("1001", 25, &[("1234", 15)]), without_id(None, &[("5678", 2)])];
        let current = Current::of(&quotas, &usage(&[("1234", "Net"), ("1237", "IT")]));
        let aids: Vec<_> = current.organizations[0].account_groups.iter().map(|g| g.aid.as_str()).collect();
        assert_eq!(aids, ["1234", "1237"]);
        assert!(current.unnamed.is_none() && current.unplaced.is_empty());
        assert_eq!(current.others_without_id.len(), 1);

        // A file giving that other organization a quota is not taken as the token's own.
        let mut adopted = current.clone();
        adopted.adopt(&desired("[[organization]]\nid = \"2002\"\nquota = 5\n"));
        assert_eq!(adopted, current);
    }

    /// The token's own organization without a quota of its own, its group quotas without its id:
    /// the entry lists `GET /usage`'s groups. A file naming one of them takes it; a file naming
    /// another organization and none of its groups does not, as that would remove its quotas.
    #[test]
    fn the_own_organization_without_id_is_adopted_only_by_a_file_naming_its_groups() {
        let quotas = [without_id(None, &[("1234", 15)])];
        let current = Current::of(&quotas, &usage(&[("1234", "Net"), ("1237", "IT")]));
        let own = current.unnamed.as_ref().expect("the own organization");
        assert_eq!(own.account_groups.iter().map(|g| g.aid.as_str()).collect::<Vec<_>>(), ["1234", "1237"]);

        let mut other = current.clone();
        other.adopt(&desired("[[organization]]\nid = \"3003\"\nquota = 500\n"));
        assert!(other.organization("3003").is_none(), "{other:?}");

        let mut own = current.clone();
        own.adopt(&desired(
            "[[organization]]\nid = \"1001\"\n\n[[organization.account_group]]\naid = \"1234\"\nquota = 15\n",
        ));
        let adopted = own.organization("1001").expect("adopted");
        assert_eq!(adopted.account_groups.len(), 2);
        assert!(own.unnamed.is_none());
    }

    /// No quota anywhere: a file's one organization is taken as the token's own, since nothing a
    /// wrong guess could remove is in force.
    #[test]
    fn with_no_quota_in_force_the_files_one_organization_is_adopted() {
        let mut current = Current::of(&[], &usage(&[("1234", "Net")]));
        assert_eq!(current.unplaced.len(), 1);
        current.adopt(&desired("[[organization]]\nid = \"1001\"\nquota = 25\n"));
        let org = current.organization("1001").expect("adopted");
        assert_eq!((org.quota, org.account_groups.len()), (None, 1));
        assert!(current.unplaced.is_empty());
    }
}
