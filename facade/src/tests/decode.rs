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

#[test]
fn a_key_repeated_in_an_object_is_refused_where_a_generic_value_would_keep_the_last() {
    let body = br#"{"_links":{"next":{"href":"/v7/x?cursor=a"},"next":null}}"#;
    let err = strict_value(body).expect_err("a repeated key");
    assert!(err.to_string().contains("duplicate key \"next\""), "{err}");
    let value = strict_value(br#"{"a":[1,-2,3.5,"x",true,null,{"b":{}}]}"#).expect("no repeats");
    assert_eq!(value, serde_json::json!({"a":[1,-2,3.5,"x",true,null,{"b":{}}]}));
}

#[test]
fn every_content_coding_named_counts_however_the_headers_spell_it() {
    let secret = Secret::new("token-123456");
    for codings in [&["identity", "gzip"][..], &["identity, br"], &[" GZIP "]] {
        let mut answer = Answer {
            status: http::StatusCode::OK,
            headers: Default::default(),
            body: br#"{"a":1}"#[..].into(),
        };
        answer.headers.insert("content-type", "application/json".parse().expect("header"));
        for c in codings {
            answer.headers.append("content-encoding", c.parse().expect("header"));
        }
        let err = check_json("op", &answer, &secret).expect_err("compressed");
        assert!(
            matches!(err, Error::UnexpectedBody { content_encoding: Some(_), .. }),
            "{codings:?}: {err:?}"
        );
    }
}
