//! The bearer token: kept out of every `Debug`, and searched for in what a server sends back so
//! that an error quoting an answer never repeats it.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

/// What replaces the token wherever it would show.
pub(crate) const REDACTED: &str = "[REDACTED]";

/// Tokens shorter than this are not searched for in server text: no real API token is that
/// short, and every message would be garbled.
const SHORTEST_SEARCHED: usize = 8;

/// The bearer token. Its `Debug` never shows it; cheap to clone.
#[derive(Clone)]
pub(crate) struct Secret(Arc<str>);

impl Secret {
    pub(crate) fn new(token: impl Into<String>) -> Self {
        Secret(Arc::from(token.into()))
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every occurrence of the token (as is, or percent-encoded) replaced by
    /// [`REDACTED`].
    pub(crate) fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let token = self.expose();
        if token.len() < SHORTEST_SEARCHED {
            return Cow::Borrowed(text);
        }
        let mut out = Cow::Borrowed(text);
        if out.contains(token) {
            out = Cow::Owned(out.replace(token, REDACTED));
        }
        let encoded: String = url::form_urlencoded::byte_serialize(token.as_bytes()).collect();
        if encoded != token && out.contains(encoded.as_str()) {
            out = Cow::Owned(out.replace(encoded.as_str(), REDACTED));
        }
        out
    }

    /// [`redact`](Self::redact) into an owned string.
    pub(crate) fn redacted(&self, text: &str) -> String {
        self.redact(text).into_owned()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

#[cfg(test)]
#[path = "tests/secret.rs"]
mod tests;
