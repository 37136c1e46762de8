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

#[test]
fn a_404_gets_the_base_url_hint_only_when_its_details_do_not_explain_it() {
    let advice = "check that base_url ends in the API's version path /v7";
    // No detail, or one that says no more than the status: the hint, with the advice when the
    // base path is not the version's.
    for detail in [None, Some("Not Found"), Some("not found."), Some("  ")] {
        let hint = not_found_hint("/api/usage", "/usage", detail).expect("a hint");
        assert!(hint.contains(advice), "{detail:?}: {hint}");
        let hint = not_found_hint("/v7/usage", "/usage", detail).expect("a hint");
        assert_eq!(hint, "404 for /v7/usage, below the base URL's path /v7", "{detail:?}");
    }
    // A detail naming the path sent is about the path: the hint too.
    let detail = Some("No resource at GET /api/usage in the Usage API.");
    let hint = not_found_hint("/api/usage", "/usage", detail).expect("a hint");
    assert!(hint.contains(advice), "{hint}");
    // A detail about the data explains the 404: no hint, whatever the base path.
    for sent in ["/v7/usage", "/api/usage"] {
        let hint = not_found_hint(sent, "/usage", Some("Account group 9999 does not exist"));
        assert_eq!(hint, None, "{sent}");
    }
}

/// A server's words with line breaks, tabs or escapes in them (a title, a detail, a field's
/// message, an OAuth description) are kept as sent by the accessors, and shown on one line.
#[test]
fn an_error_answers_words_with_line_breaks_show_on_one_line_and_are_kept_as_sent() {
    let secret = Secret::new("token-123456");
    let body = serde_json::json!({
        "title": "Bad\nRequest",
        "detail": "line one\r\nline two\u{1b}[31m",
        "errors": [{"field": "org\nId", "message": "must\tbe\nset"}],
        "error_description": "token\nexpired",
    });
    let answer = Answer {
        status: http::StatusCode::BAD_REQUEST,
        headers: Default::default(),
        reported: Default::default(),
        body: serde_json::to_vec(&body).expect("json").into(),
    };
    let api = api_error("op", &answer, None, &secret);
    assert_eq!(api.detail(), Some("line one\r\nline two\u{1b}[31m"));
    let shown = api.to_string();
    assert!(!shown.chars().any(char::is_control), "{shown:?}");
    assert_eq!(
        shown,
        "op: HTTP 400 Bad Request: line one  line two [31m: token expired; org Id: must be set"
    );
    let decode = Error::Decode {
        operation: "op",
        path: "breakdowns[0].a\nb".into(),
        message: "unknown variant `x\ny`".into(),
        excerpt: "{}".into(),
    };
    assert!(!decode.to_string().chars().any(char::is_control), "{decode}");
}
