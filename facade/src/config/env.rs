//! The `TE_*` environment variables: their names, and a builder filled from them.

use std::time::Duration;

use super::builder::{check_share, check_token, ClientBuilder};
use super::urls::parse_base_url;
use crate::error::Error;
use crate::operations::ids::check_aid;

/// Environment variable with the bearer token (required by `Client::from_env`).
///
/// ```
/// let configured = std::env::var(thousandeyes_usage::ENV_TOKEN).is_ok();
/// # let _ = configured;
/// ```
pub const ENV_TOKEN: &str = "TE_TOKEN";
/// Environment variable with the default account group id.
///
/// ```
/// assert_eq!(thousandeyes_usage::ENV_AID, "TE_AID");
/// ```
pub const ENV_AID: &str = "TE_AID";
/// Environment variable with the API's base URL.
///
/// ```
/// assert_eq!(thousandeyes_usage::ENV_API_ENDPOINT, "TE_API_ENDPOINT");
/// ```
pub const ENV_API_ENDPOINT: &str = "TE_API_ENDPOINT";
/// Environment variable with the request timeout, in seconds.
///
/// ```
/// assert_eq!(thousandeyes_usage::ENV_TIMEOUT, "TE_TIMEOUT");
/// ```
pub const ENV_TIMEOUT: &str = "TE_TIMEOUT";
/// Environment variable with the share of the organization's rate limit the client may use, a
/// number in (0, 1] (see [`ClientBuilder::rate_limit_share`]).
///
/// ```
/// assert_eq!(thousandeyes_usage::ENV_RATE_LIMIT_SHARE, "TE_RATE_LIMIT_SHARE");
/// ```
pub const ENV_RATE_LIMIT_SHARE: &str = "TE_RATE_LIMIT_SHARE";

impl ClientBuilder {
    /// A builder filled from the `TE_*` environment variables: `TE_TOKEN` (required), `TE_AID`,
    /// `TE_API_ENDPOINT`, `TE_TIMEOUT` (seconds) and `TE_RATE_LIMIT_SHARE`. A value that is
    /// wrong on its own is refused here, naming the variable; rules that depend on other
    /// settings (plain http needs `allow_insecure_http`) apply at `build()`, still naming it.
    pub(crate) fn from_env_with(get: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let mut builder = ClientBuilder::new();
        match get(ENV_TOKEN) {
            Some(token) if !token.trim().is_empty() => {
                check_token(&token, ENV_TOKEN)?;
                builder = builder.token(token);
            }
            Some(_) => return Err(Error::config(ENV_TOKEN, "is set but empty")),
            None => {
                return Err(Error::config(ENV_TOKEN, "is not set; it must hold a ThousandEyes API token"))
            }
        }
        if let Some(aid) = get(ENV_AID).filter(|v| !v.is_empty()) {
            let aid = check_aid(&aid).map_err(|reason| Error::config(ENV_AID, reason))?;
            builder = builder.default_aid(aid);
        }
        if let Some(endpoint) = get(ENV_API_ENDPOINT).filter(|v| !v.is_empty()) {
            // Checked as a URL now; whether plain http is allowed is decided at build().
            parse_base_url(&endpoint, true, ENV_API_ENDPOINT)?;
            builder.base_url = endpoint;
            builder.base_url_setting = ENV_API_ENDPOINT;
        }
        if let Some(timeout) = get(ENV_TIMEOUT).filter(|v| !v.is_empty()) {
            builder = builder.request_timeout(parse_seconds(&timeout, ENV_TIMEOUT)?);
        }
        if let Some(share) = get(ENV_RATE_LIMIT_SHARE).filter(|v| !v.is_empty()) {
            let value: f64 = share.trim().parse().map_err(|_| {
                Error::config(ENV_RATE_LIMIT_SHARE, format!("{share:?} is not a number between 0 and 1"))
            })?;
            check_share(value, ENV_RATE_LIMIT_SHARE)?;
            builder = builder.rate_limit_share(value);
        }
        Ok(builder)
    }
}

/// A number of seconds from a variable: finite, above zero (at least a millisecond), at most a
/// day.
fn parse_seconds(text: &str, setting: &str) -> Result<Duration, Error> {
    let secs: f64 = text
        .trim()
        .parse()
        .map_err(|_| Error::config(setting, format!("{text:?} is not a number of seconds")))?;
    if !(secs.is_finite() && secs > 0.0 && secs <= 86_400.0) {
        return Err(Error::config(
            setting,
            format!("{text:?} must be more than 0 and at most 86400 seconds"),
        ));
    }
    let duration = Duration::from_secs_f64(secs);
    if duration < Duration::from_millis(1) {
        return Err(Error::config(setting, format!("{text:?} is shorter than a millisecond")));
    }
    Ok(duration)
}

#[cfg(test)]
#[path = "../tests/config/env.rs"]
mod tests;
