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
            reported: Default::default(),
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

/// The JSON names `api_error` reads are those of the spec's error schemas: each generated model,
/// filled in and serialized, is read back whole. A renamed field in the spec fails here.
#[test]
fn every_field_of_the_specs_error_schemas_is_read() {
    use thousandeyes_usage_generated::models::{UnauthorizedError, ValidationError};
    let secret = Secret::new("token-123456");
    let answer = |status: u16, body: serde_json::Value| Answer {
        status: http::StatusCode::from_u16(status).expect("status"),
        headers: Default::default(),
        reported: Default::default(),
        body: serde_json::to_vec(&body).expect("json").into(),
    };
    let item = ValidationErrorItem {
        code: Some("code".into()),
        field: Some("field".into()),
        message: Some("message".into()),
    };
    let problem = ValidationError {
        r#type: Some("type".into()),
        title: Some("title".into()),
        status: Some(400),
        detail: Some("detail".into()),
        instance: Some("instance".into()),
        errors: Some(Some(vec![item])),
    };
    let api = api_error("op", &answer(400, serde_json::to_value(&problem).expect("json")), None, &secret);
    assert_eq!(
        (api.problem_type(), api.title(), api.detail(), api.instance()),
        (Some("type"), Some("title"), Some("detail"), Some("instance"))
    );
    let field = &api.field_errors()[0];
    assert_eq!(
        (field.field.as_deref(), field.code.as_deref(), field.message.as_deref()),
        (Some("field"), Some("code"), Some("message"))
    );
    let oauth =
        UnauthorizedError { error: Some("error".into()), error_description: Some("description".into()) };
    let api = api_error("op", &answer(401, serde_json::to_value(&oauth).expect("json")), None, &secret);
    assert_eq!((api.oauth_error(), api.oauth_error_description()), (Some("error"), Some("description")));
}
