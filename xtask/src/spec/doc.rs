//! Reading an OpenAPI document as a YAML value: JSON pointers, `$ref`s, scalars as text.

use std::path::Path;

use yaml_serde::{Mapping, Value};

use crate::{Failure, Result};

/// The HTTP methods a path item holds operations under.
pub const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// Schema keywords whose value is a fact as it is written.
pub const SCHEMA_FACTS: &[&str] = &[
    "type",
    "format",
    "default",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
];

/// Schema keywords (a vendor extension among them) that state a fact only when true.
pub const SCHEMA_FLAGS: &[&str] = &["nullable", "readOnly", "writeOnly", "deprecated", "x-paginated-items"];

/// Schema keywords that list facts, each read by a rule of its own: enum values, required
/// properties.
pub const SCHEMA_LISTS: &[&str] = &["enum", "required"];

/// Whether `keyword` of a schema states a fact (rather than prose, or a subschema): what the cut
/// keeps and the check compares.
pub fn is_schema_fact(keyword: &str) -> bool {
    SCHEMA_FACTS.contains(&keyword) || SCHEMA_FLAGS.contains(&keyword) || SCHEMA_LISTS.contains(&keyword)
}

/// Reads and parses a YAML (or JSON) document.
pub fn load(path: &Path) -> Result<Value> {
    let text =
        std::fs::read_to_string(path).map_err(|e| Failure(format!("cannot read {}: {e}", path.display())))?;
    parse(&text).map_err(|e| Failure(format!("{}: {}", path.display(), e.0)))
}

/// Parses a YAML (or JSON) document.
pub fn parse(text: &str) -> Result<Value> {
    yaml_serde::from_str(text).map_err(|e| Failure(format!("not a YAML document: {e}")))
}

/// `map[key]`, when `value` is a mapping that has it.
pub fn get<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    value.as_mapping().and_then(|m| m.get(key))
}

/// The mapping entries of `value` as (text key, value), in document order; nothing for a non-mapping.
pub fn entries(value: Option<&Value>) -> Vec<(String, &Value)> {
    match value.and_then(Value::as_mapping) {
        Some(map) => map.iter().map(|(k, v)| (scalar(k), v)).collect(),
        None => Vec::new(),
    }
}

/// The items of a sequence; nothing for a non-sequence.
pub fn items(value: Option<&Value>) -> &[Value] {
    match value.and_then(Value::as_sequence) {
        Some(seq) => seq.as_slice(),
        None => &[],
    }
}

/// A scalar as text (`null`, `true`, `12`, `text`); other values as compact flow YAML.
pub fn scalar(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Tagged(t) => scalar(&t.value),
        Value::Sequence(seq) => format!("[{}]", seq.iter().map(scalar).collect::<Vec<_>>().join(", ")),
        Value::Mapping(map) => format!(
            "{{{}}}",
            map.iter().map(|(k, v)| format!("{}: {}", scalar(k), scalar(v))).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// True when `value` is the boolean `true`.
pub fn is_true(value: Option<&Value>) -> bool {
    matches!(value, Some(Value::Bool(true)))
}

/// `pointer` extended by one reference token, escaped as RFC 6901 says (`~` as `~0`, `/` as `~1`).
pub fn child(pointer: &str, token: &str) -> String {
    format!("{pointer}/{}", token.replace('~', "~0").replace('/', "~1"))
}

/// The value a local JSON pointer (`#/components/schemas/Link`) designates.
pub fn resolve<'a>(doc: &'a Value, pointer: &str) -> Option<&'a Value> {
    let path = pointer.strip_prefix('#')?;
    if path.is_empty() {
        return Some(doc);
    }
    let mut node = doc;
    for token in path.strip_prefix('/')?.split('/') {
        let token = token.replace("~1", "/").replace("~0", "~");
        node = match node {
            Value::Mapping(map) => map.get(token.as_str())?,
            Value::Sequence(seq) => seq.get(token.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(node)
}

/// The `$ref` of a reference object.
pub fn reference(value: &Value) -> Option<&str> {
    get(value, "$ref").and_then(Value::as_str)
}

/// (kind, name) of a `#/components/{kind}/{name}` reference.
pub fn component_of(reference: &str) -> Option<(&str, &str)> {
    let rest = reference.strip_prefix("#/components/")?;
    let (kind, name) = rest.split_once('/')?;
    (!name.contains('/')).then_some((kind, name))
}

/// Follows `$ref`s from `value` (at `pointer`) to the object they designate, returning it and its
/// pointer, with the pointers of every reference site passed on the way.
pub fn follow<'a>(
    doc: &'a Value,
    value: &'a Value,
    pointer: &str,
) -> Result<(&'a Value, String, Vec<String>)> {
    let mut sites = Vec::new();
    let (mut value, mut pointer) = (value, pointer.to_string());
    while let Some(target) = reference(value) {
        if sites.len() > 32 {
            return Err(Failure(format!("{pointer}: a cycle of $refs")));
        }
        sites.push(pointer.clone());
        value = resolve(doc, target)
            .ok_or_else(|| Failure(format!("{pointer}: $ref {target} designates nothing in the document")))?;
        pointer = target.to_string();
    }
    Ok((value, pointer, sites))
}

/// A new mapping from (key, value) pairs, in their order.
pub fn mapping<I: IntoIterator<Item = (String, Value)>>(pairs: I) -> Value {
    let mut map = Mapping::new();
    for (k, v) in pairs {
        map.insert(Value::String(k), v);
    }
    Value::Mapping(map)
}
