//! Why a refresh failed: the causes it is counted and logged under (the label `cause` of
//! `thousandeyes_refresh_errors_total`).

use thousandeyes_usage::Error;

/// Every cause, each published from the start (at 0) so that the first failure of a cause
/// shows in `increase()` and `rate()`.
pub const CAUSES: [&str; 12] = [
    "unauthorized",
    "forbidden",
    "not_found",
    "rate_limited",
    "server_error",
    "client_error",
    "timeout",
    "transport",
    "bad_answer",
    "pagination",
    "configuration",
    "other",
];

/// The cause `err` is counted under: one of [`CAUSES`].
///
/// ```
/// use thousandeyes_usage_cli::serve::causes::{cause, CAUSES};
///
/// let err = thousandeyes_usage::Client::builder().build().unwrap_err(); // no token
/// assert_eq!(cause(&err), "configuration");
/// assert!(CAUSES.contains(&cause(&err)));
/// ```
pub fn cause(err: &Error) -> &'static str {
    match err.status() {
        Some(401) => "unauthorized",
        Some(403) => "forbidden",
        Some(404) => "not_found",
        Some(429) => "rate_limited",
        Some(s) if s >= 500 => "server_error",
        Some(_) => "client_error",
        None => match err {
            Error::NotSent { .. } => "rate_limited",
            Error::Timeout { .. } => "timeout",
            Error::Transport { .. } => "transport",
            Error::Decode { .. } | Error::UnexpectedBody { .. } | Error::BodyTooLarge { .. } => "bad_answer",
            Error::Pagination { .. } => "pagination",
            Error::Config { .. } | Error::InvalidInput { .. } => "configuration",
            _ => "other",
        },
    }
}
