//! `spec check`: our spec against the upstream reference, marks and their staleness.

use yaml_serde::Value;

use super::{at, ours, reference};
use crate::spec::check::{check_documents, render_check, Check};
use crate::spec::diff::render;
use crate::spec::doc;

fn check(ours: &Value) -> Check {
    check_documents(ours, &reference()).unwrap()
}

fn unmarked(check: &Check) -> Vec<String> {
    check.unmarked.iter().map(|group| render::describe_difference(&group[0])).collect()
}

#[test]
fn our_spec_states_every_fact_of_the_reference() {
    let check = check(&ours());
    let report = render_check(&check);
    assert!(check.passed(), "{report}");
    // The known deliberate differences, each accepted by its mark.
    let marked: Vec<(&str, usize)> =
        check.accepted.iter().map(|(m, l)| (m.pointer.as_str(), l.len())).collect();
    assert_eq!(
        marked,
        [
            ("#/components/headers/RateLimitLimit", 56),
            ("#/components/headers/RateLimitRemaining", 56),
            ("#/components/headers/RateLimitReset", 56),
            ("#/components/schemas/UnitsByTests/properties/enterpriseUnitsUsed", 1),
            ("#/components/schemas/UnitsByTests/properties/enterpriseUnitsProjected", 1),
            ("#/components/schemas/UnitsByTests/properties/cloudUnitsUsed", 1),
            ("#/components/schemas/UnitsByTests/properties/cloudUnitsProjected", 1),
        ]
    );
    assert_eq!(check.operations, 8);
}

#[test]
fn a_401_as_application_json_fails_naming_where() {
    let mut ours = ours();
    let content =
        at(&mut ours, &["components", "responses", "Unauthorized", "content"]).as_mapping_mut().unwrap();
    let schema = content.remove("application/problem+json").unwrap();
    content.insert("application/json".into(), schema);
    let check = check(&ours);
    assert!(!check.passed());
    assert_eq!(
        unmarked(&check),
        [
            "GET /quotas 401 application/json: media type here, not upstream",
            "GET /quotas 401 application/problem+json: media type upstream, not here"
        ]
    );
    // One line each, for all eight operations, with where to look.
    assert_eq!(check.unmarked[0].len(), 8);
    let report = render_check(&check);
    assert!(report.contains("at #/components/responses/Unauthorized/content/application~1json"), "{report}");
    assert!(report.contains("and 7 more places: GET /usage 401 application/json;"), "{report}");
}

#[test]
fn a_counter_without_its_mark_fails_naming_its_path() {
    let mut ours = ours();
    let counter = at(&mut ours, &["components", "schemas", "UnitsByTests", "properties", "cloudUnitsUsed"]);
    counter.as_mapping_mut().unwrap().remove("x-deviation").unwrap();
    let check = check(&ours);
    assert_eq!(
        unmarked(&check),
        ["GET /usage/units/tests 200 application/hal+json TestsUsage.breakdowns[].cloudUnitsUsed: format int64 here, none upstream"]
    );
    let report = render_check(&check);
    assert!(
        report.contains(
            "at #/components/schemas/UnitsByTests/properties/cloudUnitsUsed (UnitsByTests.cloudUnitsUsed)"
        ),
        "{report}"
    );
    assert!(
        report.contains("x-deviation: {fact: format, here: int64, upstream: none, reason: ...}"),
        "{report}"
    );
}

#[test]
fn a_changed_format_fails_and_a_format_mark_does_not_hide_a_type_change() {
    let mut ours = ours();
    let used = at(&mut ours, &["components", "schemas", "UsageDetails", "properties", "cloudUnitsUsed"]);
    *at(used, &["format"]) = Value::from("int32");
    let counter =
        at(&mut ours, &["components", "schemas", "UnitsByTests", "properties", "cloudUnitsProjected"]);
    *at(counter, &["type"]) = Value::from("number");
    let check = check(&ours);
    assert_eq!(
        unmarked(&check),
        [
            "GET /usage 200 application/hal+json Usage.usage.cloudUnitsUsed: format int32 here, int64 upstream",
            "GET /usage/units/tests 200 application/hal+json TestsUsage.breakdowns[].cloudUnitsProjected: type number here, integer upstream",
        ]
    );
    // The format mark on cloudUnitsProjected still accepts its format difference, and only that.
    assert!(check.stale.is_empty());
    // Our own rule (int64 counters) sees the int32 too.
    assert_eq!(
        check.policy,
        ["UsageDetails.cloudUnitsUsed: integer property with format int32; our rule: int64"]
    );
}

#[test]
fn a_mark_that_matches_no_difference_is_stale() {
    let mut ours = ours();
    // Upstream states int64 here: nothing differs, so the mark is stale.
    let used = at(&mut ours, &["components", "schemas", "UsageDetails", "properties", "cloudUnitsUsed"]);
    used.as_mapping_mut().unwrap().insert(
        "x-deviation".into(),
        doc::parse("{fact: format, here: int64, upstream: none, reason: wrong}").unwrap(),
    );
    // A mark naming another upstream value than upstream's does not accept the difference.
    let counter = at(
        &mut ours,
        &["components", "schemas", "UnitsByTests", "properties", "cloudUnitsUsed", "x-deviation"],
    );
    *at(counter, &["upstream"]) = Value::from("int32");
    let check = check(&ours);
    let stale: Vec<&str> = check.stale.iter().map(|m| m.pointer.as_str()).collect();
    assert_eq!(
        stale,
        [
            "#/components/schemas/UsageDetails/properties/cloudUnitsUsed",
            "#/components/schemas/UnitsByTests/properties/cloudUnitsUsed"
        ]
    );
    assert_eq!(
        unmarked(&check),
        ["GET /usage/units/tests 200 application/hal+json TestsUsage.breakdowns[].cloudUnitsUsed: format int64 here, none upstream"]
    );
    assert!(render_check(&check)
        .contains("STALE mark at #/components/schemas/UsageDetails/properties/cloudUnitsUsed"));
}

#[test]
fn a_malformed_mark_is_refused() {
    let mut ours = ours();
    let used = at(&mut ours, &["components", "schemas", "UsageDetails", "properties", "cloudUnitsUsed"]);
    used.as_mapping_mut()
        .unwrap()
        .insert("x-deviation".into(), doc::parse("{fact: format, reason: no values}").unwrap());
    let err = check_documents(&ours, &reference()).err().expect("refused").0;
    assert!(err.contains("malformed x-deviation (no here)"), "{err}");
}

#[test]
fn normalizations_allof_refs_defaults_and_security() {
    // Upstream writes ValidationError with allOf, its parameters and responses under other
    // component names, per-operation security and no `required: false`; ours is flat, global,
    // explicit. They compare equal (the passing check above), and each normalization matters:
    let mut ours = ours();
    // Without our global security, every operation differs.
    ours.as_mapping_mut().unwrap().remove("security");
    let lines = unmarked(&check(&ours));
    assert_eq!(lines.len(), 8, "{lines:#?}");
    assert_eq!(lines[0], "GET /quotas: security none here, http bearer upstream");

    // A required property missing from the merged allOf is a difference of ValidationError.
    let mut ours = super::ours();
    let errors = at(&mut ours, &["components", "schemas", "ValidationError", "properties"]);
    errors.as_mapping_mut().unwrap().remove("detail");
    assert_eq!(
        unmarked(&check(&ours)),
        ["GET /quotas 400 application/problem+json ValidationError.detail: property upstream, not here"]
    );
}

#[test]
fn a_schema_named_upstream_and_inline_here_differs() {
    let mut ours = ours();
    *at(
        &mut ours,
        &["components", "schemas", "OrganizationQuotaUnassignment", "properties", "accountGroups"],
    ) = doc::parse("{type: array, items: {type: string}}").unwrap();
    at(&mut ours, &["components", "schemas"]).as_mapping_mut().unwrap().remove("AccountGroupIds");
    let check = check(&ours);
    assert_eq!(
        unmarked(&check),
        [
            "POST /quotas/account-groups/unassign request application/json OrganizationsQuotasUnassign.organizations[].accountGroups: schema upstream, not here",
            "POST /quotas/account-groups/unassign request application/json OrganizationsQuotasUnassign.organizations[].accountGroups: schema inline here, AccountGroupIds upstream",
        ]
    );
}
