//! The bearer tokens the fake accepts: its own, and after a rotation the one before it, for as
//! long as the API accepts a regenerated token's predecessor. Neither is ever shown.

use std::fmt;
use std::time::SystemTime;

use http::header;
use http::HeaderMap;

use crate::record::{TokenCheck, PREVIOUS_TOKEN_GRACE};

/// The fake's token, and the one before it with the end of its grace.
pub(crate) struct Tokens {
    current: String,
    previous: Option<(String, SystemTime)>,
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokens")
            .field("previous_until", &self.previous.as_ref().map(|(_, until)| until))
            .finish_non_exhaustive()
    }
}

impl Tokens {
    /// `current`, and `previous` accepted for [`PREVIOUS_TOKEN_GRACE`] from `now`.
    pub(crate) fn new(current: String, previous: Option<String>, now: SystemTime) -> Tokens {
        Tokens { current, previous: previous.map(|p| (p, now + PREVIOUS_TOKEN_GRACE)) }
    }

    /// `new` becomes the token; the one it replaces is accepted for [`PREVIOUS_TOKEN_GRACE`]
    /// from `now`, and any earlier one no longer.
    pub(crate) fn rotate(&mut self, new: String, now: SystemTime) {
        let old = std::mem::replace(&mut self.current, new);
        self.previous = Some((old, now + PREVIOUS_TOKEN_GRACE));
    }

    /// How the request's `Authorization` header compares with the tokens at `now`.
    pub(crate) fn check(&self, headers: &HeaderMap, now: SystemTime) -> TokenCheck {
        let Some(value) = headers.get(header::AUTHORIZATION) else { return TokenCheck::Missing };
        let Ok(value) = value.to_str() else { return TokenCheck::Wrong };
        let mut parts = value.trim().splitn(2, ' ');
        let scheme = parts.next().unwrap_or_default();
        let credentials = parts.next().unwrap_or_default().trim();
        if !scheme.eq_ignore_ascii_case("bearer") || credentials.is_empty() {
            return TokenCheck::Wrong;
        }
        if credentials == self.current {
            return TokenCheck::Matched;
        }
        match &self.previous {
            Some((previous, until)) if credentials == previous && now < *until => TokenCheck::Previous,
            _ => TokenCheck::Wrong,
        }
    }
}
