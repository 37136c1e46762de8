//! Classifying: what a [`Difference`] means, by this project's policy. Whether a change between
//! two references breaks a client built on the older one, and which mark (`x-deviation`) accepts
//! a difference of our spec from upstream's. The differences come from [`compare`](super::compare);
//! how they are worded is the rendering's (the module beside this one, which uses it).

use std::collections::BTreeMap;

use super::compare::{Change, Difference};
use crate::spec::facts::{Fact, Kind};

/// Whether a change from `b` (the previous reference) to `a` (the new one) can break a client
/// built on the previous one.
///
/// Breaking: anything removed (but an error status or a response header), a new required
/// parameter or request body, a new required property of a request, a new success status, a
/// narrowed enum, a changed type, format, schema name, operationId, tag, security, server,
/// parameter style or explode, a property that became required in a request or optional in an
/// answer, a value that became nullable in an answer, a tightened constraint on a request.
/// Not breaking: additions otherwise (an added enum value included: answers may carry it from
/// now on), and changes of readOnly, writeOnly, deprecated and default.
pub fn breaking(d: &Difference) -> bool {
    let required =
        |facts: &BTreeMap<String, Fact>| matches!(facts.get("required"), Some(Fact::One(v)) if v == "true");
    let success = |status: Option<&str>| status.is_some_and(|s| s.starts_with('2'));
    // The HTTP status of an added or removed status node.
    let status = || d.key.strip_prefix("status ");
    match &d.change {
        Change::Added => match d.kind {
            Kind::Parameter | Kind::RequestBody => required(&d.node_facts),
            Kind::Property => required(&d.node_facts) && d.usage.request,
            Kind::Response => success(status()),
            _ => false,
        },
        Change::Removed => match d.kind {
            Kind::Response => success(status()),
            Kind::Header => false,
            _ => true,
        },
        Change::EnumValue { in_a, .. } => !in_a,
        Change::Fact { name, a, .. } => {
            let now = a.as_deref();
            match name.as_str() {
                "required" if d.kind == Kind::Property => {
                    (d.usage.request && now == Some("true")) || (d.usage.response && now != Some("true"))
                }
                "required" => now == Some("true"),
                "nullable" => (d.usage.response && now == Some("true")) || (d.usage.request && now.is_none()),
                "readOnly" | "writeOnly" | "deprecated" | "default" => false,
                "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" | "multipleOf"
                | "minLength" | "maxLength" | "pattern" | "minItems" | "maxItems" | "uniqueItems"
                | "minProperties" | "maxProperties" => d.usage.request,
                _ => true,
            }
        }
    }
}

/// The (fact, here, upstream) a mark must state to accept this difference of ours (`a`) from
/// upstream (`b`).
pub fn mark_key(d: &Difference) -> (String, String, String) {
    let (present, absent) = ("present".to_string(), "absent".to_string());
    match &d.change {
        Change::Added => ("presence".into(), present, absent),
        Change::Removed => (d.key.clone(), absent, present),
        Change::Fact { name, a, b } => (
            name.clone(),
            a.clone().unwrap_or_else(|| "none".into()),
            b.clone().unwrap_or_else(|| "none".into()),
        ),
        Change::EnumValue { value, in_a } => {
            let (here, up) = if *in_a { (present, absent) } else { (absent, present) };
            (format!("enum value {value}"), here, up)
        }
    }
}
