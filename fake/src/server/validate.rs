//! The request checks: the query parameters as the spec declares them and as the API checks them
//! further, request bodies, and the organizations and account groups a request names. Each check that fails gives the API's answer (a 400 names the field and the
//! value).

use std::time::SystemTime;

use chrono::{DateTime, FixedOffset, Utc};
use http::header;
use http::StatusCode;
use serde::de::DeserializeOwned;
use thousandeyes_usage_generated::apis::InvalidParameter;
use thousandeyes_usage_generated::models::ValidationErrorItem;

use super::answer::{bad, field_error, invalid, problem, Answer};
use super::request::{Req, MAX_BODY};
use super::state::State;

/// The `from_query` of an operation's parameters struct.
type FromQuery<P> = fn(&[(String, String)]) -> Result<P, InvalidParameter>;

/// The parameters of an operation as its descriptor reads them from the query
/// (`from_query`), or the 400 naming the parameter and the value the spec does not allow.
pub(crate) fn params<P>(from_query: FromQuery<P>, req: &Req) -> Result<P, Answer> {
    from_query(&req.query).map_err(|e| {
        bad(
            format!("The {} parameter is invalid: {}.", e.name, e.reason),
            &req.path,
            e.name,
            "INVALID_VALUE",
            e.reason,
        )
    })
}

fn is_decimal(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// An account group id, if given, must be decimal and one of the organization's.
pub(crate) fn check_aid(state: &State, name: &str, aid: Option<&str>, path: &str) -> Result<(), Answer> {
    let Some(aid) = aid else { return Ok(()) };
    if !is_decimal(aid) {
        return Err(bad(
            format!("{name} must be an account group id in decimal digits, not {aid:?}."),
            path,
            name,
            "INVALID_VALUE",
            format!("{aid:?} is not a decimal account group id"),
        ));
    }
    if state.known_aids.contains(aid) {
        return Ok(());
    }
    Err(problem(
        StatusCode::NOT_FOUND,
        format!("Account group {aid} does not exist or you are not a member of it."),
        path,
    ))
}

/// A time range as the API checks it: no end without a start, a start not in the future and
/// before the end. `names` are the parameters' names, start first.
pub(crate) fn check_range(
    (start, end): (Option<DateTime<FixedOffset>>, Option<DateTime<FixedOffset>>),
    names: (&str, &str),
    now: SystemTime,
    path: &str,
) -> Result<(), Answer> {
    let (start_name, end_name) = names;
    let now = DateTime::<Utc>::from(now);
    match (start, end) {
        (None, Some(_)) => Err(bad(
            format!("{end_name} needs a {start_name}."),
            path,
            start_name,
            "MISSING_START_DATE",
            format!("required when {end_name} is given"),
        )),
        (Some(s), _) if s > now => Err(bad(
            format!("{start_name} is in the future."),
            path,
            start_name,
            "INVALID_DATE_RANGE",
            "must not be in the future",
        )),
        (Some(s), Some(e)) if s >= e => Err(bad(
            format!("{start_name} must be before {end_name}."),
            path,
            start_name,
            "INVALID_DATE_RANGE",
            format!("must be before {end_name}"),
        )),
        _ => Ok(()),
    }
}

/// The request's JSON body: present, not too large, of a JSON media type, of `T`'s shape.
pub(crate) fn json_body<T: DeserializeOwned>(req: &Req) -> Result<T, Answer> {
    let path = req.path.as_str();
    let Ok(body) = &req.body else {
        return Err(problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("The request body is over {MAX_BODY} bytes."),
            path,
        ));
    };
    if let Some(ct) = req.headers.get(header::CONTENT_TYPE) {
        let media = ct.to_str().unwrap_or_default().split(';').next().unwrap_or_default().trim();
        let media = media.to_ascii_lowercase();
        if media != "application/json" && !media.ends_with("+json") {
            return Err(problem(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("The body must be application/json, not {media}."),
                path,
            ));
        }
    }
    if body.is_empty() {
        return Err(bad(
            "The request body is missing.",
            path,
            "body",
            "MISSING_BODY",
            "a JSON body is required",
        ));
    }
    serde_json::from_slice(body).map_err(|e| {
        bad(
            "The request body is not valid JSON of the expected shape.",
            path,
            "body",
            "INVALID_BODY",
            e.to_string(),
        )
    })
}

/// The invalid fields of a request body, gathered before one 400 lists them all.
#[derive(Default)]
pub(crate) struct FieldErrors(Vec<ValidationErrorItem>);

impl FieldErrors {
    fn push(&mut self, field: impl Into<String>, code: &str, message: &str) {
        self.0.push(field_error(field, code, message));
    }

    /// A list that must have an entry.
    pub(crate) fn not_empty(&mut self, field: impl Into<String>, len: usize, what: &str) {
        if len == 0 {
            self.push(field, "REQUIRED", &format!("at least one {what}"));
        }
    }

    /// A field that must be given, and not empty.
    pub(crate) fn required(&mut self, field: impl Into<String>, value: Option<&str>) {
        if value.is_none_or(str::is_empty) {
            self.push(field, "REQUIRED", "required");
        }
    }

    /// A field that may be left out (then it means `absent_means`), but not given empty.
    pub(crate) fn omitted_or_given(
        &mut self,
        field: impl Into<String>,
        value: Option<&str>,
        absent_means: &str,
    ) {
        if value == Some("") {
            self.push(field, "INVALID_VALUE", &format!("empty; leave it out for {absent_means}"));
        }
    }

    /// A quota value: given, and not negative.
    pub(crate) fn quota(&mut self, field: impl Into<String>, value: Option<i64>) {
        match value {
            None => self.push(field, "REQUIRED", "required"),
            Some(v) if v < 0 => self.push(field, "INVALID_VALUE", "must not be negative"),
            Some(_) => {}
        }
    }

    /// An account group id: decimal.
    pub(crate) fn aid(&mut self, field: impl Into<String>, aid: Option<&str>) {
        if !aid.is_some_and(is_decimal) {
            self.push(field, "INVALID_VALUE", "a decimal account group id");
        }
    }

    /// The 400 listing the errors, if any.
    pub(crate) fn finish(self, detail: &str, path: &str) -> Result<(), Answer> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(invalid(detail, path, self.0))
        }
    }
}

/// The 404 of an organization the caller cannot manage.
fn unknown_org(org: &str, path: &str) -> Answer {
    problem(
        StatusCode::NOT_FOUND,
        format!("Organization {org} does not exist or you cannot manage it."),
        path,
    )
}

/// Every organization must be one the caller can manage, and every account group known.
pub(crate) fn check_orgs_and_groups<'a>(
    state: &State,
    orgs: impl IntoIterator<Item = (&'a str, Vec<&'a str>)>,
    path: &str,
) -> Result<(), Answer> {
    for (org, groups) in orgs {
        if !state.known_org(org) {
            return Err(unknown_org(org, path));
        }
        if let Some(aid) = groups.iter().find(|aid| !state.known_aids.contains(**aid)) {
            return Err(problem(
                StatusCode::NOT_FOUND,
                format!("Account group {aid} does not exist in organization {org}."),
                path,
            ));
        }
    }
    Ok(())
}
