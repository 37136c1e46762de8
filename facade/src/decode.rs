//! Reading answers: a success body into the operation's model, an error status into an
//! [`ApiError`] (a 404 with a hint of where it was sent). Whatever the server sent is quoted
//! with the token redacted.

use std::time::Duration;

use serde::de::DeserializeOwned;
use thousandeyes_usage_generated::apis::OperationDescriptor;
use thousandeyes_usage_generated::models::ValidationErrorItem;

use crate::config::{version_path, DEFAULT_BASE_URL};
use crate::error::{ApiError, Error, FieldError};
use crate::secret::Secret;
use crate::transport::Answer;

/// How much of a body error messages quote.
const EXCERPT_BYTES: usize = 512;

/// Headers that carry a request or trace id, in order of preference.
const REQUEST_ID_HEADERS: &[&str] = &["x-request-id", "x-trace-id", "x-b3-traceid", "traceparent"];

/// True for a JSON media type: `application/json` or any `application/*+json`, compared without
/// regard to case (RFC 9110), parameters such as `; charset=utf-8` ignored.
pub(crate) fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match essence.split_once('/') {
        Some(("application", subtype)) => subtype == "json" || subtype.ends_with("+json"),
        _ => false,
    }
}

/// A header's value as text, redacted.
fn header(answer: &Answer, name: impl http::header::AsHeaderName, secret: &Secret) -> Option<String> {
    answer.headers.get(name).and_then(|v| v.to_str().ok()).map(|v| secret.redacted(v))
}

/// The start of the body as text, redacted before it is cut (so no part of the token survives
/// the cut).
fn quoted(body: &[u8], secret: &Secret) -> String {
    let text = String::from_utf8_lossy(body);
    let redacted = secret.redact(&text);
    excerpt(redacted.as_bytes(), EXCERPT_BYTES)
}

/// The start of `body` for error messages: its first `max` bytes as text (invalid UTF-8 shown as
/// U+FFFD, a character cut in two at the end dropped), then `…` when the body was longer.
pub(crate) fn excerpt(body: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(max)]);
    let mut s: String = text.trim_end_matches('\u{FFFD}').to_string();
    if body.len() > max {
        s.push('…');
    }
    s
}

/// Checks that a success answer carries JSON, uncompressed. An empty body, a body compressed
/// without being asked, or one of another media type (an HTML page from a proxy) is an
/// [`Error::UnexpectedBody`].
pub(crate) fn check_json(operation: &'static str, answer: &Answer, secret: &Secret) -> Result<(), Error> {
    let content_type = header(answer, http::header::CONTENT_TYPE, secret);
    // Every coding named, across repeated headers and lists, but `identity` (which is none).
    let codings: Vec<String> = answer
        .headers
        .get_all(http::header::CONTENT_ENCODING)
        .iter()
        .map(|v| secret.redacted(&String::from_utf8_lossy(v.as_bytes())))
        .flat_map(|v| v.split(',').map(|c| c.trim().to_string()).collect::<Vec<_>>())
        .filter(|c| !c.is_empty() && !c.eq_ignore_ascii_case("identity"))
        .collect();
    let content_encoding = (!codings.is_empty()).then(|| codings.join(", "));
    let json = content_type.as_deref().is_some_and(is_json);
    if answer.body.is_empty() || !json || content_encoding.is_some() {
        return Err(Error::UnexpectedBody {
            operation,
            status: answer.status.as_u16(),
            content_type,
            content_encoding,
            excerpt: quoted(&answer.body, secret),
        });
    }
    Ok(())
}

/// Reads a success answer of operation `O` as its output schema (an operation without one
/// reads as JSON `null`).
pub(crate) fn output<O: OperationDescriptor>(answer: &Answer, secret: &Secret) -> Result<O::Output, Error> {
    if O::HAS_OUTPUT {
        json(O::OPERATION_ID, answer, secret)
    } else {
        serde_json::from_value(serde_json::Value::Null)
            .map_err(|e| decode_error::<O::Output>(O::OPERATION_ID, b"null", &e, secret))
    }
}

/// Decodes a success body as `T`. Invalid UTF-8 and any departure from the schema are a
/// [`Error::Decode`] naming the JSON path where it happened.
pub(crate) fn json<T: DeserializeOwned>(
    operation: &'static str,
    answer: &Answer,
    secret: &Secret,
) -> Result<T, Error> {
    check_json(operation, answer, secret)?;
    serde_json::from_slice(&answer.body).map_err(|e| decode_error::<T>(operation, &answer.body, &e, secret))
}

/// The decode error of `body`, with the path where decoding fails. Decoding again with path
/// tracking costs an allocation per key, so only a failure pays for it.
pub(crate) fn decode_error<T: DeserializeOwned>(
    operation: &'static str,
    body: &[u8],
    error: &serde_json::Error,
    secret: &Secret,
) -> Error {
    let (path, message) =
        match serde_path_to_error::deserialize::<_, T>(&mut serde_json::Deserializer::from_slice(body)) {
            Err(traced) => (traced.path().to_string(), traced.inner().to_string()),
            Ok(_) => (".".to_string(), error.to_string()),
        };
    Error::Decode {
        operation,
        path: secret.redacted(&path),
        message: secret.redacted(&message),
        excerpt: quoted(body, secret),
    }
}

/// The decode error of a success answer that lacks what the operation returns, at `path`.
pub(crate) fn missing(
    operation: &'static str,
    answer: &Answer,
    path: &str,
    message: &str,
    secret: &Secret,
) -> Error {
    Error::Decode {
        operation,
        path: path.to_string(),
        message: message.to_string(),
        excerpt: quoted(&answer.body, secret),
    }
}

/// An error answer, read from its status, headers and raw body (RFC 7807 problem details, the
/// field errors of a 400, the OAuth-style fields of a 401), every quoted text redacted.
/// `retry_after` is what the answer asked the client to wait, if anything.
pub(crate) fn api_error(
    operation: &'static str,
    answer: &Answer,
    retry_after: Option<Duration>,
    secret: &Secret,
) -> ApiError {
    // Lenient: each field is read if it has the documented type; a body that is not a JSON
    // object (an HTML page from a proxy) leaves them all empty.
    let body = serde_json::from_slice::<serde_json::Value>(&answer.body).unwrap_or_default();
    let field = |name: &str| body.get(name).and_then(|x| x.as_str()).map(|x| secret.redacted(x));
    let errors: Vec<ValidationErrorItem> =
        body.get("errors").and_then(|e| serde_json::from_value(e.clone()).ok()).unwrap_or_default();
    let redact = |x: Option<String>| x.map(|x| secret.redacted(&x));
    ApiError {
        operation,
        status: answer.status.as_u16(),
        problem_type: field("type"),
        title: field("title"),
        detail: field("detail"),
        instance: field("instance"),
        errors: errors
            .into_iter()
            .map(|i| FieldError { field: redact(i.field), code: redact(i.code), message: redact(i.message) })
            .collect(),
        oauth_error: field("error"),
        oauth_error_description: field("error_description"),
        request_id: REQUEST_ID_HEADERS.iter().find_map(|h| header(answer, *h, secret)),
        retry_after,
        rate_limit: answer.reported.figures,
        excerpt: quoted(&answer.body, secret),
        hint: None,
    }
}

/// What a 404 says of where it was sent, for its error message, when its problem `detail` does
/// not explain it: the path sent, and the base URL's path that the spec's `operation_path` was
/// put below. When that base path does not end in the API's version path, the message says to
/// check `base_url`.
///
/// A detail explains the 404 when it says more than "Not Found" and does not name the path sent
/// (a path that is not there): "Account group 9999 does not exist" is the server's word on the
/// data, and gets no advice on the base URL (`None`).
pub(crate) fn not_found_hint(sent_path: &str, operation_path: &str, detail: Option<&str>) -> Option<String> {
    if let Some(detail) = detail {
        let said = detail.trim().trim_end_matches('.');
        let generic = said.is_empty() || said.eq_ignore_ascii_case("not found");
        if !generic && !detail.contains(sent_path) {
            return None;
        }
    }
    let base = sent_path.strip_suffix(operation_path).unwrap_or_default();
    Some(if base.ends_with(version_path()) {
        format!("404 for {sent_path}, below the base URL's path {base}")
    } else {
        format!(
            "404 for {sent_path}, below the base URL's path {:?}: check that base_url ends in the API's \
             version path {}, as in {DEFAULT_BASE_URL}",
            if base.is_empty() { "/" } else { base },
            version_path()
        )
    })
}

/// JSON read as a [`serde_json::Value`], except that a key repeated within an object is an
/// error: a generic value would keep the last one silently, where the typed models refuse it.
pub(crate) fn strict_value(body: &[u8]) -> Result<serde_json::Value, serde_json::Error> {
    serde_json::from_slice::<Strict>(body).map(|s| s.0)
}

/// A JSON value that refuses repeated keys.
struct Strict(serde_json::Value);

impl<'de> serde::Deserialize<'de> for Strict {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(Strict)
    }
}

/// Builds a [`Strict`] value.
struct StrictVisitor;

impl<'de> serde::de::Visitor<'de> for StrictVisitor {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Strict(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(items.into())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                return Err(serde::de::Error::custom(format_args!("duplicate key {key:?}")));
            }
            let Strict(value) = map.next_value()?;
            object.insert(key, value);
        }
        Ok(object.into())
    }
}

#[cfg(test)]
#[path = "tests/decode.rs"]
mod tests;
