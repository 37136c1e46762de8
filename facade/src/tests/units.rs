//! Unit tests of `operations/units.rs`.

use thousandeyes_usage_generated::apis::OPERATIONS;

use super::*;

/// The cursor a next link lends is the query parameter the spec's listings take.
#[test]
fn the_listings_of_the_spec_take_the_cursor_a_next_link_carries() {
    for id in [api::GetTestsUnitsUsage::OPERATION_ID, api::GetEnterpriseAgentsUnitsUsage::OPERATION_ID] {
        let op = OPERATIONS.iter().find(|o| o.operation_id == id).expect("a listing of the spec");
        assert!(op.parameters.iter().any(|p| (p.name, p.location) == ("cursor", "query")), "{id}");
    }
}
