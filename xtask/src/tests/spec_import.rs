//! Import: what changed between two references, breaking changes marked.

use std::path::Path;

use yaml_serde::Value;

use super::{at, reference, vendor};
use crate::spec::cut::Source;
use crate::spec::diff::classify;
use crate::spec::diff::compare::Change;
use crate::spec::diff::render;
use crate::spec::doc;
use crate::spec::facts::Kind;
use crate::spec::import::{import_document, render_import, source_of, Import};

fn import(new: &Value, previous: &Value) -> Import {
    let source = Source { file: "new.yaml".into(), version: "9".into(), sha256: "ff".into() };
    import_document(new, source, Some(previous)).unwrap()
}

fn lines(import: &Import) -> Vec<String> {
    render::change_lines(&import.changes).iter().map(|l| l.trim_start().to_string()).collect()
}

#[test]
fn importing_7_0_85_then_7_0_100_finds_no_change_in_the_usage_api() {
    let (Some((bytes85, doc85)), Some((bytes100, doc100))) = (vendor("7.0.85"), vendor("7.0.100")) else {
        return;
    };
    let first =
        import_document(doc85, source_of("thousandeyes-api-7.0.85.yaml", bytes85, doc85), None).unwrap();
    assert_eq!(first.source.version, "7.0.85");
    assert_eq!(first.source.sha256, "e215cf9eadba69559c133bf72729fccd9eb1b92d0409b05a6a30420efc6dc470");
    let previous = doc::parse(&first.text).unwrap();
    let second = import_document(
        doc100,
        source_of("thousandeyes-api-7.0.100.yaml", bytes100, doc100),
        Some(&previous),
    )
    .unwrap();
    assert!(second.changes.is_empty(), "{:#?}", lines(&second));
    assert_eq!(second.previous.as_ref().map(|s| s.version.as_str()), Some("7.0.85"));
    let report = render_import(Path::new("thousandeyes-api-7.0.100.yaml"), &second, true);
    assert!(report.contains("Usage API changes: none (only the source document changed)"), "{report}");
    // Only x-source and info.version differ between the two references.
    let strip = |text: &str| {
        text.lines().filter(|l| !l.contains("7.0.") && !l.contains("sha256")).collect::<Vec<_>>().join("\n")
    };
    assert_eq!(strip(&first.text), strip(&second.text));
    // And the committed reference is 7.0.100's cut, byte for byte.
    let committed = std::fs::read_to_string(super::root().join("openapi/upstream/usage.yaml")).unwrap();
    assert_eq!(committed, second.text, "openapi/upstream/usage.yaml is not the import of 7.0.100");
}

#[test]
fn a_removed_property_is_a_breaking_change_named_by_its_path() {
    let previous = reference();
    let mut new = previous.clone();
    let props = at(&mut new, &["components", "schemas", "UnitsByTests", "properties"]);
    props.as_mapping_mut().unwrap().remove("cloudUnitsUsed").expect("the property is there");
    let import = import(&new, &previous);
    assert_eq!(
        lines(&import),
        ["BREAKING removed property: GET /usage/units/tests 200 application/hal+json TestsUsage.breakdowns[].cloudUnitsUsed [UnitsByTests.cloudUnitsUsed]"]
    );
    let report = render_import(Path::new("new.yaml"), &import, true);
    assert!(report.contains("Usage API changes: 1 (1 breaking)"), "{report}");
}

#[test]
fn a_property_removed_from_the_vendors_document_is_named_as_breaking() {
    let Some((_, doc100)) = vendor("7.0.100") else { return };
    let mut copy = doc100.clone();
    let props = at(&mut copy, &["components", "schemas", "Usage_API_UsageQuota", "properties"]);
    props.as_mapping_mut().unwrap().remove("cloudUnitsIncluded").expect("the property is there");
    let import = import(&copy, &reference());
    assert_eq!(
        lines(&import),
        ["BREAKING removed property: GET /usage 200 application/hal+json Usage.usage.quota.cloudUnitsIncluded [UsageQuota.cloudUnitsIncluded]"]
    );
}

#[test]
fn an_added_enum_value_is_a_non_breaking_addition() {
    let previous = reference();
    let mut new = previous.clone();
    let values = at(&mut new, &["components", "schemas", "ExpandUsageOptions", "enum"]);
    values.as_sequence_mut().unwrap().push(Value::from("cloud-agent"));
    let import = import(&new, &previous);
    assert_eq!(import.changes.len(), 1);
    let d = &import.changes[0];
    assert_eq!(d.change, Change::EnumValue { value: "cloud-agent".into(), in_a: true });
    assert!(!classify::breaking(d));
    assert_eq!(
        lines(&import),
        ["added enum value cloud-agent: GET /usage query expand[] [ExpandUsageOptions]"]
    );

    // The other way round the enum is narrowed: breaking.
    let back = self::import(&previous, &new);
    assert_eq!(
        lines(&back),
        ["BREAKING removed enum value cloud-agent: GET /usage query expand[] [ExpandUsageOptions]"]
    );
}

#[test]
fn types_formats_required_statuses_and_media_types_are_classified() {
    let previous = reference();
    let mut new = previous.clone();
    // A format changed in an answer.
    *at(&mut new, &["components", "schemas", "Link", "properties", "templated"]) =
        doc::parse("{type: string}").unwrap();
    // A new required parameter.
    let params = at(&mut new, &["paths", "/quotas", "get"]).as_mapping_mut().unwrap();
    params.insert(
        "parameters".into(),
        doc::parse("[{name: region, in: query, required: true, schema: {type: string}}]").unwrap(),
    );
    // A new optional property of a request, a new required one of an answer.
    let quota =
        at(&mut new, &["components", "schemas", "AccountGroupQuota", "properties"]).as_mapping_mut().unwrap();
    quota.insert("note".into(), doc::parse("{type: string}").unwrap());
    let unassign = at(&mut new, &["components", "schemas", "QuotasUnassign"]).as_mapping_mut().unwrap();
    unassign.insert("required".into(), doc::parse("[reason]").unwrap());
    let props =
        at(&mut new, &["components", "schemas", "QuotasUnassign", "properties"]).as_mapping_mut().unwrap();
    props.insert("reason".into(), doc::parse("{type: string}").unwrap());
    // A removed error status and a new media type.
    at(&mut new, &["paths", "/quotas", "get", "responses"]).as_mapping_mut().unwrap().remove("404");
    let content =
        at(&mut new, &["paths", "/quotas", "get", "responses", "200", "content"]).as_mapping_mut().unwrap();
    content.insert(
        "application/json".into(),
        doc::parse("{schema: {$ref: '#/components/schemas/Quotas'}}").unwrap(),
    );

    let import = import(&new, &previous);
    let got = lines(&import);
    let want = [
        "BREAKING changed type: GET /quotas 200 application/hal+json Quotas._links.self.templated [Link.templated] (boolean → string)",
        "added property: GET /quotas 200 application/hal+json Quotas.quotas[].accountGroupQuotas[].note [AccountGroupQuota.note]",
        "added media type: GET /quotas 200 application/json",
        "removed status: GET /quotas 404",
        "BREAKING added parameter: GET /quotas query region",
        "BREAKING added property: POST /quotas/unassign request application/json QuotasUnassign.reason",
    ];
    assert_eq!(got, want);
    assert!(import.changes.iter().any(|d| d.kind == Kind::Parameter));
}

#[test]
fn the_import_prints_a_changelog_entry_in_keep_a_changelog_sections() {
    let previous = reference();
    let mut new = previous.clone();
    at(&mut new, &["components", "schemas", "ExpandUsageOptions", "enum"])
        .as_sequence_mut()
        .unwrap()
        .push(Value::from("cloud-agent"));
    at(&mut new, &["components", "schemas", "UnitsByTests", "properties"])
        .as_mapping_mut()
        .unwrap()
        .remove("isInstantTest")
        .expect("the property is there");
    *at(&mut new, &["components", "schemas", "Link", "properties", "templated"]) =
        doc::parse("{type: string}").unwrap();
    let import = import(&new, &previous);
    let report = render_import(Path::new("new.yaml"), &import, true);
    let entry = report.split_once("CHANGELOG entry").expect("an entry is printed").1;
    let entry: Vec<&str> = entry.lines().skip(1).collect();
    assert_eq!(
        entry,
        [
            "### Added",
            "- Usage API 9: enum value cloud-agent: GET /usage query expand[] [ExpandUsageOptions]",
            "### Changed",
            "- Usage API 9 (breaking): type: GET /quotas 200 application/hal+json Quotas._links.self.templated [Link.templated] (boolean → string)",
            "### Removed",
            "- Usage API 9 (breaking): property: GET /usage/units/tests 200 application/hal+json TestsUsage.breakdowns[].isInstantTest [UnitsByTests.isInstantTest]",
        ]
    );

    // No change, no entry.
    let same = self::import(&previous, &previous);
    assert!(!render_import(Path::new("new.yaml"), &same, true).contains("CHANGELOG"));
}
