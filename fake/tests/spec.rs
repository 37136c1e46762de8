//! The fake's operations are the spec's: each one of `apis::OPERATIONS` (generated from
//! `openapi/usage.yaml`) is served, with the same operationId, method and path, and the
//! listings are the operations that take a `cursor`. A spec change that adds, removes or moves
//! an operation fails here, naming it.

use std::collections::BTreeSet;

use thousandeyes_usage_fake::Operation;
use thousandeyes_usage_generated::apis::OPERATIONS;

#[test]
fn the_fakes_operations_are_the_specs() {
    let spec: BTreeSet<(&str, &str, &str)> =
        OPERATIONS.iter().map(|o| (o.operation_id, o.method, o.path)).collect();
    let fake: BTreeSet<(&str, &str, &str)> =
        Operation::ALL.iter().map(|op| (op.operation_id(), op.method(), op.path())).collect();
    let missing: Vec<_> = spec.difference(&fake).collect();
    let extra: Vec<_> = fake.difference(&spec).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "operations of the spec the fake does not serve: {missing:?}; operations of the fake not in the spec: {extra:?}"
    );
}

#[test]
fn the_fakes_listings_are_the_operations_that_take_a_cursor() {
    for info in OPERATIONS {
        let op = Operation::from_operation_id(info.operation_id).expect("checked above");
        let cursor = info.parameters.iter().any(|p| p.name == "cursor" && p.location == "query");
        assert_eq!(op.is_listing(), cursor, "{}", info.operation_id);
    }
}
