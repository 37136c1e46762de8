//! Unit tests of `rollup.rs`.

// Model literals end in `..Default::default()`, so that a field the spec adds needs no edit here.
#![allow(clippy::needless_update)]

use std::collections::BTreeMap;

use thousandeyes_usage_fake::Dataset;

use super::*;
use crate::models::{AccountGroupQuota, OrganizationQuota};

fn test(
    aid: Option<&str>,
    name: Option<&str>,
    cloud: (Option<i64>, Option<i64>),
    ent: (Option<i64>, Option<i64>),
) -> UnitsByTests {
    UnitsByTests {
        aid: aid.map(str::to_string),
        account_group_name: name.map(str::to_string),
        cloud_units_used: cloud.0,
        cloud_units_projected: cloud.1,
        enterprise_units_used: ent.0,
        enterprise_units_projected: ent.1,
        ..Default::default()
    }
}

fn agent(aid: Option<&str>, used: Option<i64>, projected: Option<i64>) -> EnterpriseAgentUnits {
    EnterpriseAgentUnits {
        aid: aid.map(str::to_string),
        enterprise_units_used: used,
        enterprise_units_projected: projected,
        ..Default::default()
    }
}

#[test]
fn by_test_owner_adds_up_each_groups_tests_with_cloud_and_enterprise_apart() {
    let tests = [
        test(Some("1235"), Some("Web"), (Some(100), Some(150)), (Some(10), Some(20))),
        test(Some("1234"), Some("NetOps"), (Some(7), Some(9)), (Some(1), Some(2))),
        test(Some("1235"), Some("Web"), (Some(50), Some(60)), (None, None)),
    ];
    let groups = units_by_test_owner(&tests);
    assert_eq!(groups.len(), 2);
    let web = &groups[1];
    assert_eq!(
        (web.aid.as_deref(), web.name.as_deref(), web.test_count, web.agent_count),
        (Some("1235"), Some("Web"), 2, 0)
    );
    assert_eq!((web.cloud_units_used, web.cloud_units_projected), (150, 210));
    assert_eq!((web.enterprise_units_used, web.enterprise_units_projected), (10, 20));
    assert_eq!((web.units_used(), web.units_projected()), (160, 230));
    assert_eq!(groups[0].aid.as_deref(), Some("1234"));
}

#[test]
fn a_missing_projection_counts_what_was_used_and_a_missing_figure_counts_zero() {
    let tests = [
        test(Some("1"), None, (Some(30), None), (Some(4), None)),
        test(Some("1"), None, (None, None), (None, Some(6))),
    ];
    let g = &units_by_test_owner(&tests)[0];
    assert_eq!((g.cloud_units_used, g.cloud_units_projected), (30, 30));
    assert_eq!((g.enterprise_units_used, g.enterprise_units_projected), (4, 10));
    let usage = UsageDetails {
        enterprise_agent_units: Some(vec![agent(Some("1"), Some(8), None)]),
        ..Default::default()
    };
    let g = &enterprise_units_by_agent_home_group(&usage).expect("expanded")[0];
    assert_eq!((g.enterprise_units_used, g.enterprise_units_projected), (8, 8));
}

#[test]
fn units_without_an_aid_are_a_group_of_their_own_listed_first() {
    let tests = [
        test(Some("1234"), None, (Some(1), None), (None, None)),
        test(None, None, (Some(2), None), (None, None)),
        test(None, Some("?"), (Some(3), None), (None, None)),
    ];
    let groups = units_by_test_owner(&tests);
    let sums: Vec<_> = groups.iter().map(|g| (g.aid.as_deref(), g.cloud_units_used, g.test_count)).collect();
    assert_eq!(sums, [(None, 5, 2), (Some("1234"), 1, 1)]);
    assert_eq!(groups[0].name.as_deref(), Some("?"), "the first name given is kept");
}

#[test]
fn the_first_name_given_is_kept() {
    let tests = [
        test(Some("1"), Some("Old name"), (Some(1), None), (None, None)),
        test(Some("1"), Some("New name"), (Some(1), None), (None, None)),
    ];
    assert_eq!(units_by_test_owner(&tests)[0].name.as_deref(), Some("Old name"));
}

#[test]
fn sums_saturate_instead_of_overflowing() {
    let tests = [
        test(Some("1"), None, (Some(i64::MAX), None), (Some(i64::MAX), None)),
        test(Some("1"), None, (Some(1), None), (Some(1), None)),
    ];
    let g = &units_by_test_owner(&tests)[0];
    assert_eq!((g.cloud_units_used, g.units_used(), g.units_projected()), (i64::MAX, i64::MAX, i64::MAX));
}

#[test]
fn by_agent_home_group_needs_the_expansion_and_adds_up_agents_by_their_aid() {
    assert_eq!(enterprise_units_by_agent_home_group(&UsageDetails::default()), None);
    let empty = UsageDetails { enterprise_agent_units: Some(Vec::new()), ..Default::default() };
    assert_eq!(enterprise_units_by_agent_home_group(&empty), Some(Vec::new()));
    let usage = UsageDetails {
        enterprise_agent_units: Some(vec![
            agent(Some("1237"), Some(5), Some(6)),
            agent(None, Some(1), Some(1)),
            agent(Some("1237"), Some(7), Some(8)),
        ]),
        ..Default::default()
    };
    let groups = enterprise_units_by_agent_home_group(&usage).expect("expanded");
    let sums: Vec<_> = groups
        .iter()
        .map(|g| {
            (
                g.aid.as_deref(),
                g.enterprise_units_used,
                g.enterprise_units_projected,
                g.agent_count,
                g.test_count,
                g.cloud_units_used,
            )
        })
        .collect();
    assert_eq!(sums, [(None, 1, 1, 1, 0, 0), (Some("1237"), 12, 14, 2, 0, 0)]);
}

/// The seeded organization: the two attributions give the same total and different groups, and
/// the test owner attribution agrees with the enterprise agent listing, group by group.
#[test]
fn on_the_acme_data_both_attributions_add_up_to_the_same_total_and_differ_by_group() {
    let acme = Dataset::acme();
    let by_owner = units_by_test_owner(&acme.test_units);
    let by_home = enterprise_units_by_agent_home_group(&acme.usage).expect("the seeded usage is expanded");
    let total =
        |groups: &[AccountGroupUnits], f: fn(&AccountGroupUnits) -> i64| groups.iter().map(f).sum::<i64>();
    let enterprise = acme.usage.enterprise_units_used.expect("enterprise units");
    assert_eq!(total(&by_owner, |g| g.enterprise_units_used), enterprise);
    assert_eq!(total(&by_home, |g| g.enterprise_units_used), enterprise);
    assert_eq!(total(&by_owner, |g| g.cloud_units_used), acme.usage.cloud_units_used.expect("cloud units"));
    assert_eq!(
        total(&by_owner, |g| g.cloud_units_projected),
        acme.usage.cloud_units_projected.expect("projected")
    );
    assert_eq!(by_owner.iter().map(|g| g.test_count).sum::<usize>(), acme.test_units.len());
    assert_eq!(
        by_home.iter().map(|g| g.agent_count).sum::<usize>(),
        acme.usage.enterprise_agent_units.as_ref().map_or(0, Vec::len)
    );

    let mut listing: BTreeMap<Option<&str>, i64> = BTreeMap::new();
    for entry in &acme.agent_units {
        *listing.entry(entry.aid.as_deref()).or_default() += entry.enterprise_units_used.unwrap_or(0);
    }
    for group in &by_owner {
        assert_eq!(
            listing.get(&group.aid.as_deref()).copied().unwrap_or(0),
            group.enterprise_units_used,
            "{group:?}"
        );
    }
    let home =
        |aid: &str| by_home.iter().find(|g| g.aid.as_deref() == Some(aid)).map(|g| g.enterprise_units_used);
    let owner =
        |aid: &str| by_owner.iter().find(|g| g.aid.as_deref() == Some(aid)).map(|g| g.enterprise_units_used);
    // Network Operations (1234) is home to the data-centre agents the other groups' tests share.
    assert!(home("1234") > owner("1234"), "{:?} {:?}", home("1234"), owner("1234"));
}

#[test]
fn an_account_groups_quota_is_found_under_any_organization() {
    let quotas = vec![
        Quota {
            organization_quota: Some(OrganizationQuota {
                value: 10,
                org_id: Some("1".into()),
                ..Default::default()
            }),
            account_group_quotas: Some(vec![AccountGroupQuota {
                aid: Some("11".into()),
                value: Some(5),
                ..Default::default()
            }]),
            ..Default::default()
        },
        Quota {
            account_group_quotas: Some(vec![
                AccountGroupQuota { aid: Some("21".into()), value: None, ..Default::default() },
                AccountGroupQuota { aid: Some("22".into()), value: Some(0), ..Default::default() },
            ]),
            ..Default::default()
        },
    ];
    assert_eq!(account_group_quota(&quotas, "11"), Some(5));
    assert_eq!(account_group_quota(&quotas, "22"), Some(0));
    assert_eq!(account_group_quota(&quotas, "21"), None, "a quota without a value");
    assert_eq!(account_group_quota(&quotas, "1"), None, "an organization is not an account group");
    assert_eq!(account_group_quota(&[], "11"), None);
}
