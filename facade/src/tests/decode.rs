//! Unit tests of `decode.rs`.

use super::*;

#[test]
fn json_media_types_are_matched_without_regard_to_case() {
    for yes in [
        "application/json",
        "Application/JSON",
        "APPLICATION/HAL+JSON; Charset=UTF-8",
        "application/hal+json; charset=utf-8",
        "application/problem+json",
    ] {
        assert!(is_json(yes), "{yes}");
    }
    for no in ["text/html", "text/json", "application/jsonp", "application/xml", "", "json"] {
        assert!(!is_json(no), "{no}");
    }
}
