//! Marks: the deliberate differences of `openapi/usage.yaml` from the vendor's document, each
//! stated where it stands, with its reason.
//!
//! A mark is an `x-deviation` on the object that differs (or, for something upstream has and we
//! leave out, on the object that would hold it); its value is one mark or a list of them:
//!
//! ```yaml
//! x-deviation:
//!   fact: format        # the fact that differs: format, type, required, schema, ..., or
//!                       # `presence` (this object is ours only), or the key of what upstream
//!                       # has and we lack (`media type application/xml`, `property x`), or
//!                       # `enum value V`
//!   here: int64         # our value (`none` when we do not state it; present / absent)
//!   upstream: none      # upstream's value, the same way
//!   reason: ...         # why, in a sentence
//! ```
//!
//! A mark accepts exactly the difference it states: a format mark does not accept a type change,
//! nor the same format difference once upstream's value changes. A mark no difference matches is
//! stale, and `spec check` fails on it too.

use yaml_serde::Value;

use super::doc;
use crate::{Failure, Result};

/// The extension that marks a deliberate difference.
pub const MARK: &str = "x-deviation";

/// One mark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    /// The JSON pointer of the object it is on.
    pub pointer: String,
    pub fact: String,
    pub here: String,
    pub upstream: String,
    pub reason: String,
}

impl Mark {
    pub fn key(&self) -> (String, String, String) {
        (self.fact.clone(), self.here.clone(), self.upstream.clone())
    }
}

/// Every mark of a document, in document order.
pub fn collect(document: &Value) -> Result<Vec<Mark>> {
    let mut marks = Vec::new();
    walk(document, "#", &mut marks)?;
    Ok(marks)
}

fn walk(value: &Value, pointer: &str, marks: &mut Vec<Mark>) -> Result<()> {
    match value {
        Value::Mapping(map) => {
            for (key, child) in map {
                let key = doc::scalar(key);
                if key == MARK {
                    let list = match child {
                        Value::Sequence(seq) => seq.clone(),
                        other => vec![other.clone()],
                    };
                    for item in &list {
                        marks.push(parse(item, pointer)?);
                    }
                } else {
                    walk(child, &doc::child(pointer, &key), marks)?;
                }
            }
        }
        Value::Sequence(seq) => {
            for (i, child) in seq.iter().enumerate() {
                walk(child, &doc::child(pointer, &i.to_string()), marks)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn parse(item: &Value, pointer: &str) -> Result<Mark> {
    let bad = |why: &str| {
        Failure(format!(
            "{pointer}: malformed {MARK} ({why}); write {{fact: ..., here: ..., upstream: ..., reason: ...}}"
        ))
    };
    let map = item.as_mapping().ok_or_else(|| bad("not a mapping"))?;
    for key in map.keys() {
        let key = doc::scalar(key);
        if !["fact", "here", "upstream", "reason"].contains(&key.as_str()) {
            return Err(bad(&format!("unknown key {key}")));
        }
    }
    let field = |name: &str| -> Result<String> {
        let text = match map.get(name) {
            None => return Err(bad(&format!("no {name}"))),
            Some(Value::Null) => "none".to_string(),
            Some(v) => doc::scalar(v),
        };
        if text.trim().is_empty() {
            return Err(bad(&format!("empty {name}")));
        }
        Ok(text.trim().to_string())
    };
    Ok(Mark {
        pointer: pointer.to_string(),
        fact: field("fact")?,
        here: field("here")?,
        upstream: field("upstream")?,
        reason: field("reason")?,
    })
}
