//! The cut: prefix dropped, components reached transitively, prose left out.

use super::{all_keys, reference, vendor};
use crate::spec::cut::{self, Source};
use crate::spec::doc;
use crate::spec::facts;

fn source() -> Source {
    Source { file: "fixture.yaml".into(), version: "1.2.3".into(), sha256: "00".into() }
}

/// A small unified document: the Usage API beside another API, with prose, examples, an unknown
/// key, components reached only through other components, and one reached by nothing.
const UNIFIED: &str = r##"
openapi: 3.0.1
info: {version: "1.2.3", title: Everything API, description: All of it}
servers: [{url: "https://api.example.com/v7", description: production}]
paths:
  /usage:
    get:
      summary: Get the usage
      description: Long prose.
      operationId: getUsage
      tags: [Usage]
      parameters:
        - $ref: '#/components/parameters/Usage_API_Aid'
      responses:
        '200':
          description: OK
          headers:
            x-thing: {$ref: '#/components/headers/Usage_API_Thing'}
          content:
            application/hal+json:
              schema: {$ref: '#/components/schemas/Usage_API_Usage'}
              example: {usage: {}}
        '401': {$ref: '#/components/responses/Usage_API_401'}
      security: [{Usage_API_BearerAuth: []}]
  /tests:
    get:
      operationId: getTests
      responses:
        '200': {$ref: '#/components/responses/Tests_API_200'}
components:
  securitySchemes:
    Usage_API_BearerAuth: {type: http, scheme: bearer, description: A token}
    Tests_API_BearerAuth: {type: http, scheme: bearer}
  parameters:
    Usage_API_Aid:
      name: aid
      in: query
      description: The account group.
      example: '12'
      schema: {type: string, example: '12'}
  headers:
    Usage_API_Thing:
      description: A header.
      schema: {$ref: '#/components/schemas/Usage_API_Count'}
  responses:
    Usage_API_401:
      description: Unauthorized
      content:
        application/problem+json:
          schema: {$ref: '#/components/schemas/Usage_API_Problem'}
    Tests_API_200: {description: OK}
  schemas:
    Usage_API_Usage:
      type: object
      title: The usage
      description: Usage of an organization.
      xml: {name: usage}
      properties:
        total: {type: integer, format: int64, description: Units, example: 12}
        parts:
          type: array
          x-paginated-items: true
          x-displayName: Parts
          items: {$ref: '#/components/schemas/Usage_API_Part'}
    Usage_API_Part:
      allOf:
        - $ref: '#/components/schemas/Usage_API_Base'
        - type: object
          required: [kind]
          properties:
            kind: {type: string, enum: [a, b], description: Kind}
    Usage_API_Base:
      type: object
      properties:
        title: {type: string, description: A property named title is a fact}
    Usage_API_Count: {type: integer, format: int64}
    Usage_API_Problem:
      type: object
      properties:
        detail: {type: string}
    Usage_API_Unused: {type: string}
    Tests_API_Test: {type: object}
"##;

#[test]
fn the_cut_drops_the_prefix_reaches_components_transitively_and_keeps_no_prose() {
    let doc = doc::parse(UNIFIED).unwrap();
    let cut = cut::cut(&doc, &source()).unwrap();
    assert!(cut.prefixed);
    let text = yaml_serde::to_string(&cut.doc).unwrap();
    assert!(!text.contains("Usage_API_"), "the prefix is dropped everywhere:\n{text}");
    assert!(!text.contains("Tests_API_") && !text.contains("/tests"), "the other API is left out:\n{text}");

    let components = doc::get(&cut.doc, "components").unwrap();
    let names = |kind: &str| -> Vec<String> {
        doc::entries(doc::get(components, kind)).into_iter().map(|(name, _)| name).collect()
    };
    // Reached through a response, a header, a property's items and an allOf member.
    assert_eq!(names("schemas"), ["Usage", "Part", "Base", "Count", "Problem"]);
    assert_eq!(names("parameters"), ["Aid"]);
    assert_eq!(names("headers"), ["Thing"]);
    assert_eq!(names("responses"), ["401"]);
    assert_eq!(names("securitySchemes"), ["BearerAuth"]);

    let mut keys = Vec::new();
    all_keys(&cut.doc, &mut keys);
    for prose in ["description", "summary", "example", "examples", "x-displayName"] {
        assert!(!keys.iter().any(|k| k == prose), "{prose} is left out:\n{text}");
    }
    // A property named `title` is a name, not prose; the schema's own title is prose.
    let base = doc::get(doc::get(components, "schemas").unwrap(), "Base").unwrap();
    assert!(doc::get(doc::get(base, "properties").unwrap(), "title").is_some(), "{text}");
    assert!(!text.contains("The usage"), "{text}");
    // Facts stay.
    for fact in [
        "x-paginated-items: true",
        "format: int64",
        "required:\n",
        "- kind",
        "enum:",
        "scheme: bearer",
        "operationId: getUsage",
        "application/problem+json",
        "- BearerAuth: []",
        "url: https://api.example.com/v7",
    ] {
        assert!(text.contains(fact), "{fact} is kept:\n{text}");
    }
    // What is neither a kept fact nor known prose is reported, not dropped unseen.
    assert_eq!(cut.left_out.get("xml"), Some(&1));
    assert_eq!(
        doc::get(doc::get(&cut.doc, "x-source").unwrap(), "file").map(doc::scalar),
        Some("fixture.yaml".into())
    );
}

#[test]
fn the_cut_of_the_vendors_unified_document() {
    let Some((_, doc)) = vendor("7.0.100") else { return };
    let cut = cut::cut(doc, &source()).unwrap();
    let text = yaml_serde::to_string(&cut.doc).unwrap();
    assert!(!text.contains("Usage_API_"));
    let paths: Vec<String> = doc::entries(doc::get(&cut.doc, "paths")).into_iter().map(|(p, _)| p).collect();
    assert_eq!(
        paths,
        [
            "/usage",
            "/usage/units/enterprise-agents",
            "/usage/units/tests",
            "/quotas",
            "/quotas/assign",
            "/quotas/unassign",
            "/quotas/account-groups/assign",
            "/quotas/account-groups/unassign"
        ]
    );
    let schemas = doc::get(doc::get(&cut.doc, "components").unwrap(), "schemas").unwrap();
    // Reached only through a property (AccountGroupIds), an allOf member (Error via
    // ValidationError) and a response component (UnauthorizedError).
    for name in
        ["UnitsByTests", "AccountGroupIds", "Error", "ValidationErrorItem", "UnauthorizedError", "Link"]
    {
        assert!(doc::get(schemas, name).is_some(), "{name} is reached");
    }
    let mut keys = Vec::new();
    all_keys(&cut.doc, &mut keys);
    assert!(!keys.iter().any(|k| k == "description" || k == "example" || k == "summary"));
    // No prose of the vendor's: a sentence of its descriptions is nowhere in the cut.
    assert!(!text.contains("Number of cloud units"), "{text}");
    assert!(cut.left_out.is_empty(), "{:?}", cut.left_out);
}

#[test]
fn a_per_api_document_without_the_prefix_cuts_to_the_same_facts() {
    // The reference is itself a per-API document: cutting it again changes no fact.
    let reference = reference();
    let again = cut::cut(&reference, &source()).unwrap();
    assert!(!again.prefixed);
    let (a, b) = (facts::flatten(&again.doc).unwrap(), facts::flatten(&reference).unwrap());
    assert!(crate::spec::diff::compare::differences(&a, &b).is_empty());
}

#[test]
fn a_document_without_the_usage_api_is_refused() {
    let doc = doc::parse("openapi: 3.0.1\ninfo: {version: '1'}\npaths:\n  /tests: {get: {responses: {}}}\n")
        .unwrap();
    let err = cut::cut(&doc, &source()).err().expect("refused").0;
    assert!(err.contains("no path starting with /usage or /quotas"), "{err}");
}
