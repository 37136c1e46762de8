//! The ids the operations take: account groups (`aid`) and organizations, both decimal numbers.

use crate::error::Error;

/// An account group or organization id: a non-empty string of decimal digits (surrounding white
/// space removed), or why not. Used by the operations, and by the configuration for the
/// client's default account group (`default_aid`, `TE_AID`).
pub(crate) fn check_aid(aid: &str) -> Result<String, String> {
    let trimmed = aid.trim();
    if trimmed.is_empty() {
        return Err(format!("{aid:?} is empty; an account group id is a decimal number"));
    }
    if !trimmed.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{aid:?} is not a decimal account group id"));
    }
    if trimmed.len() > 20 {
        return Err(format!("{aid:?} is too long for an account group id"));
    }
    Ok(trimmed.to_string())
}

/// The `aid` to send: the call's own, else the client's default; checked.
pub(crate) fn resolve_aid(own: Option<&str>, default: Option<&str>) -> Result<Option<String>, Error> {
    match own {
        Some(aid) => check_aid(aid).map(Some).map_err(|reason| Error::invalid("aid", aid, reason)),
        None => Ok(default.map(str::to_string)),
    }
}

/// An organization id: like an account group id, a decimal number.
pub(crate) fn check_org_id(field: &'static str, id: &str) -> Result<String, Error> {
    check_aid(id).map_err(|reason| Error::invalid(field, id, reason.replace("account group", "organization")))
}

#[cfg(test)]
#[path = "../tests/ids.rs"]
mod tests;
