//! An answer being built, and the API's error bodies: an RFC 7807 problem, the 400 that lists
//! the invalid fields, the OAuth-style 401, the 429 of a used-up window.

use bytes::Bytes;
use chrono::DateTime;
use http::header::{self, HeaderName};
use http::StatusCode;
use serde::Serialize;
use thousandeyes_usage_generated::models::{
    Problem, UnauthorizedError, ValidationError, ValidationErrorItem,
};

pub(crate) const HAL_JSON: &str = "application/hal+json";
pub(crate) const PROBLEM_JSON: &str = "application/problem+json";

/// A handler's answer: `Err` for a refusal (the request is invalid), `Ok` otherwise.
pub(crate) type Handled = Result<Answer, Answer>;

/// An answer being built.
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) content_type: Option<String>,
    pub(crate) body: Bytes,
    pub(crate) headers: Vec<(HeaderName, String)>,
}

impl Answer {
    pub(crate) fn json(status: StatusCode, content_type: &str, body: &impl Serialize) -> Answer {
        Answer {
            status,
            content_type: Some(content_type.to_string()),
            body: Bytes::from(serde_json::to_vec(body).unwrap_or_default()),
            headers: Vec::new(),
        }
    }

    /// A 200 with a HAL body.
    pub(crate) fn ok(body: &impl Serialize) -> Answer {
        Answer::json(StatusCode::OK, HAL_JSON, body)
    }

    pub(crate) fn no_content() -> Answer {
        Answer { status: StatusCode::NO_CONTENT, content_type: None, body: Bytes::new(), headers: Vec::new() }
    }

    pub(crate) fn with_header(mut self, name: HeaderName, value: impl Into<String>) -> Answer {
        self.headers.push((name, value.into()));
        self
    }
}

fn title(status: StatusCode) -> String {
    status.canonical_reason().unwrap_or("Error").to_string()
}

/// An RFC 7807 problem.
pub(crate) fn problem(status: StatusCode, detail: impl Into<String>, instance: &str) -> Answer {
    let body = Problem {
        r#type: Some("about:blank".into()),
        title: Some(title(status)),
        status: Some(i32::from(status.as_u16())),
        detail: Some(detail.into()),
        instance: Some(instance.to_string()),
        ..Default::default()
    };
    Answer::json(status, PROBLEM_JSON, &body)
}

/// A 400 listing the invalid values.
pub(crate) fn invalid(detail: impl Into<String>, instance: &str, errors: Vec<ValidationErrorItem>) -> Answer {
    let status = StatusCode::BAD_REQUEST;
    let body = ValidationError {
        r#type: Some("about:blank".into()),
        title: Some(title(status)),
        status: Some(i32::from(status.as_u16())),
        detail: Some(detail.into()),
        instance: Some(instance.to_string()),
        errors: Some(Some(errors)),
        ..Default::default()
    };
    Answer::json(status, PROBLEM_JSON, &body)
}

/// One entry of a 400's `errors`.
pub(crate) fn field_error(
    field: impl Into<String>,
    code: &str,
    message: impl Into<String>,
) -> ValidationErrorItem {
    ValidationErrorItem {
        code: Some(code.into()),
        field: Some(field.into()),
        message: Some(message.into()),
        ..Default::default()
    }
}

/// A 400 with one invalid value.
pub(crate) fn bad(
    detail: impl Into<String>,
    instance: &str,
    field: &str,
    code: &str,
    message: impl Into<String>,
) -> Answer {
    invalid(detail, instance, vec![field_error(field, code, message)])
}

/// An OAuth-style 401.
pub(crate) fn unauthorized(status: StatusCode, description: &str) -> Answer {
    let body = UnauthorizedError {
        error: Some("invalid_token".into()),
        error_description: Some(description.into()),
        ..Default::default()
    };
    Answer::json(status, PROBLEM_JSON, &body)
        .with_header(header::WWW_AUTHENTICATE, r#"Bearer error="invalid_token""#)
}

/// The 429 of a used-up window.
pub(crate) fn rate_limited(path: &str, limit: u64, reset: i64) -> Answer {
    let when = DateTime::from_timestamp(reset, 0).map(|t| t.to_rfc3339()).unwrap_or_default();
    problem(
        StatusCode::TOO_MANY_REQUESTS,
        format!("The organization has used its {limit} calls for this window; the window resets at {when}."),
        path,
    )
}
