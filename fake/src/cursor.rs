//! Opaque pagination cursors: base64url (no padding) of a small signed JSON document naming the
//! listing, the offset of the page and the query parameters it was issued for.
//!
//! The signature is a keyed 64-bit hash: enough to refuse a cursor that was edited or made up
//! (this is a test fake, not a security boundary).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use thousandeyes_usage_generated::apis::OperationId as Operation;

use crate::mix::mix;

/// Key of the cursor signatures. Fixed, so that the fake's links are the same every run.
const KEY: u64 = 0x7E5A_6E0F_CA11_AB1E;

/// The query parameters a cursor binds: those of the request that asked for the first page (the
/// account group it was made in, and the time range), normalized (date-times as RFC 3339 UTC).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Bound {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) aid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) start: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) end: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Body {
    v: u8,
    listing: String,
    offset: usize,
    #[serde(flatten)]
    bound: Bound,
}

#[derive(Debug, Serialize, Deserialize)]
struct Signed {
    #[serde(flatten)]
    body: Body,
    sig: String,
}

/// A decoded, authentic cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cursor {
    pub(crate) listing: Operation,
    pub(crate) offset: usize,
    pub(crate) bound: Bound,
}

fn signature(body: &Body) -> String {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut h = KEY;
    for b in bytes {
        h = mix(h ^ u64::from(b));
    }
    format!("{h:016x}")
}

/// The cursor of the page at `offset` of `listing`, for these parameters.
pub(crate) fn encode(listing: Operation, offset: usize, bound: &Bound) -> String {
    let body = Body { v: 1, listing: listing.operation_id().to_string(), offset, bound: bound.clone() };
    let sig = signature(&body);
    let json = serde_json::to_vec(&Signed { body, sig }).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(json)
}

/// The cursor `raw` stands for, if this fake issued it (unchanged).
pub(crate) fn decode(raw: &str) -> Option<Cursor> {
    let bytes = URL_SAFE_NO_PAD.decode(raw.trim()).ok()?;
    let signed: Signed = serde_json::from_slice(&bytes).ok()?;
    if signed.body.v != 1 || signature(&signed.body) != signed.sig {
        return None;
    }
    let listing = Operation::from_operation_id(&signed.body.listing)?;
    Some(Cursor { listing, offset: signed.body.offset, bound: signed.body.bound })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tampering() {
        let bound = Bound { aid: Some("1234".into()), start: None, end: None };
        let c = encode(Operation::GetTestsUnitsUsage, 18, &bound);
        assert!(c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{c}");
        assert_eq!(
            decode(&c),
            Some(Cursor { listing: Operation::GetTestsUnitsUsage, offset: 18, bound: bound.clone() })
        );
        // Same input, same cursor.
        assert_eq!(c, encode(Operation::GetTestsUnitsUsage, 18, &bound));
        // An edited offset no longer matches its signature.
        let json = String::from_utf8(URL_SAFE_NO_PAD.decode(&c).unwrap()).unwrap();
        let edited = URL_SAFE_NO_PAD.encode(json.replace("\"offset\":18", "\"offset\":36"));
        assert_eq!(decode(&edited), None);
        assert_eq!(decode("bm9wZQ"), None);
        assert_eq!(decode("not base64!"), None);
        assert_eq!(decode(""), None);
    }
}
