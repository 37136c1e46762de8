//! The bearer token: kept out of every `Debug`, and searched for in what a server sends back so
//! that an error quoting an answer never repeats it.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};

use http::HeaderValue;

/// What replaces the token wherever it would show.
pub(crate) const REDACTED: &str = "[REDACTED]";

/// Tokens shorter than this are redacted only where they stand as a word of their own: shorter
/// strings occur inside ordinary words too often to cut out everywhere.
const SHORTEST_ANYWHERE: usize = 8;

/// How many earlier tokens stay redacted besides the current one.
///
/// A server can only echo a token it was sent, and after [`Secret::replace`] only attempts
/// already under way still carry an earlier one, so the last one or two would do. The bound is
/// set by what an earlier token can still do: ThousandEyes accepts a regenerated token's
/// predecessor for 14 days, so a token rotated every day has 14 predecessors that still work.
/// Sixteen keeps every one of them redacted, with room, while each redaction still searches a
/// bounded number of forms (8 a token) however long the process runs and however often the
/// token is rotated. The oldest is forgotten first.
pub(crate) const EARLIER_TOKENS: usize = 16;

/// The bearer token. Its `Debug` never shows it; cheap to clone, and clones share it:
/// [`replace`](Self::replace) on one is seen by every clone.
#[derive(Clone)]
pub(crate) struct Secret(Arc<RwLock<Tokens>>);

/// The token requests carry now, and what is searched for: its forms and those of the tokens it
/// replaced (a server may still echo one of them), at most [`EARLIER_TOKENS`] of them.
struct Tokens {
    current: Arc<str>,
    /// `Authorization: Bearer <current>`, marked sensitive, built once per token (`None` for a
    /// token that cannot be a header value, which the builder's and `set_token`'s checks refuse).
    bearer: Option<HeaderValue>,
    /// The current token (last) and up to [`EARLIER_TOKENS`] it replaced, oldest first, each
    /// once.
    all: VecDeque<Arc<str>>,
    /// Other secrets, redacted as the tokens are for as long as the client lives: the proxy's
    /// password, and the Basic credentials that carry it.
    others: Vec<Arc<str>>,
    /// The forms of every token in `all`, longest first, each with whether it is redacted
    /// anywhere or only as a word of its own.
    forms: Vec<(String, bool)>,
}

impl Tokens {
    fn new(token: Arc<str>) -> Self {
        let mut tokens = Tokens {
            bearer: bearer(&token),
            current: Arc::clone(&token),
            all: VecDeque::from([token]),
            others: Vec::new(),
            forms: Vec::new(),
        };
        tokens.index();
        tokens
    }

    /// Works out `forms` from `all`.
    fn index(&mut self) {
        let mut all: Vec<(String, bool)> = self
            .all
            .iter()
            .chain(&self.others)
            .filter(|token| !token.is_empty())
            .flat_map(|token| {
                let anywhere = token.len() >= SHORTEST_ANYWHERE;
                forms(token).into_iter().map(move |form| (form, anywhere))
            })
            .collect();
        // Longest first (a form that contains a shorter one is replaced whole), equal ones
        // together, the one redacted anywhere kept.
        all.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)).then(b.1.cmp(&a.1)));
        all.dedup_by(|a, b| a.0 == b.0);
        self.forms = all;
    }
}

impl Secret {
    pub(crate) fn new(token: impl Into<String>) -> Self {
        let token: Arc<str> = token.into().into();
        Secret(Arc::new(RwLock::new(Tokens::new(token))))
    }

    fn tokens(&self) -> std::sync::RwLockReadGuard<'_, Tokens> {
        self.0.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The token requests carry now.
    pub(crate) fn expose(&self) -> Arc<str> {
        Arc::clone(&self.tokens().current)
    }

    /// Makes `token` the one requests carry, for this secret and every clone of it. The last
    /// [`EARLIER_TOKENS`] tokens it replaces are still redacted; older ones are forgotten.
    pub(crate) fn replace(&self, token: impl Into<String>) {
        let token: Arc<str> = token.into().into();
        let mut tokens = self.0.write().unwrap_or_else(PoisonError::into_inner);
        if tokens.all.back() != Some(&token) {
            // A token it was before becomes the newest again, not a second entry.
            tokens.all.retain(|t| *t != token);
            tokens.all.push_back(Arc::clone(&token));
            while tokens.all.len() > EARLIER_TOKENS + 1 {
                tokens.all.pop_front();
            }
            tokens.index();
        }
        tokens.bearer = bearer(&token);
        tokens.current = token;
    }

    /// Redacts `secret` too (a proxy's password), in every form a token is, for as long as this
    /// secret lives; it is never sent as the token.
    pub(crate) fn also_redact(&self, secret: impl Into<String>) {
        let secret: Arc<str> = secret.into().into();
        let mut tokens = self.0.write().unwrap_or_else(PoisonError::into_inner);
        if !secret.is_empty() && !tokens.others.contains(&secret) {
            tokens.others.push(secret);
            tokens.index();
        }
    }

    /// The `Authorization` header for the token requests carry now.
    pub(crate) fn bearer(&self) -> Option<HeaderValue> {
        self.tokens().bearer.clone()
    }

    /// `text` with every occurrence of the token, of a token it replaced, or of another secret
    /// ([`also_redact`](Self::also_redact)), in any of the forms a server may echo it in,
    /// replaced by [`REDACTED`].
    pub(crate) fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let tokens = self.tokens();
        let mut out = Cow::Borrowed(text);
        for (form, anywhere) in &tokens.forms {
            if out.contains(form.as_str()) {
                out = Cow::Owned(replace(&out, form, *anywhere));
            }
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

/// `Bearer <token>` as a sensitive header value, if the token can be one.
fn bearer(token: &str) -> Option<HeaderValue> {
    let mut value = HeaderValue::from_str(&format!("Bearer {token}")).ok()?;
    value.set_sensitive(true);
    Some(value)
}

/// The forms a token can take in what a server sends back: as is, JSON-escaped (also with `/`
/// escaped), and percent-encoded (upper- or lower-case hex, `~` encoded or not).
fn forms(token: &str) -> Vec<String> {
    let mut forms = vec![token.to_string()];
    if let Ok(json) = serde_json::to_string(token) {
        // Without the quotes around it (an escaped quote inside stays).
        let inner = json[1..json.len() - 1].to_string();
        forms.push(inner.replace('/', "\\/"));
        forms.push(inner);
    }
    let encoded: String = url::form_urlencoded::byte_serialize(token.as_bytes()).collect();
    let tilde = encoded.replace("%7E", "~");
    forms.push(lower_hex(&tilde));
    forms.push(tilde);
    forms.push(lower_hex(&encoded));
    forms.push(encoded);
    forms
}

/// `text` with `needle` replaced by [`REDACTED`]: everywhere, or only where it is not part of a
/// longer word (letters, digits or `_` around it).
fn replace(text: &str, needle: &str, anywhere: bool) -> String {
    if anywhere {
        return text.replace(needle, REDACTED);
    }
    let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(needle) {
        let before = rest[..at].chars().next_back().or_else(|| out.chars().next_back());
        let after = rest[at + needle.len()..].chars().next();
        out.push_str(&rest[..at]);
        if word(before) || word(after) {
            out.push_str(needle);
        } else {
            out.push_str(REDACTED);
        }
        rest = &rest[at + needle.len()..];
    }
    out.push_str(rest);
    out
}

/// A percent-encoded string with its hex digits in lower case.
fn lower_hex(encoded: &str) -> String {
    let mut out = String::with_capacity(encoded.len());
    let mut hex = 0;
    for c in encoded.chars() {
        if c == '%' {
            hex = 2;
            out.push(c);
        } else if hex > 0 {
            hex -= 1;
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
#[path = "tests/secret.rs"]
mod tests;
