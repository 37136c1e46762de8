//! The cut: the Usage API out of one of ThousandEyes' OpenAPI documents, facts only.
//!
//! Keeps the paths `/usage*` and `/quotas*` and every component they reach (schemas, parameters,
//! responses, headers, request bodies, and the security schemes their `security` names), with the
//! unified document's `Usage_API_` prefix dropped from component names, `$ref`s and security
//! requirements. Of each object it keeps what the API *is* (structure, names, types, formats,
//! enums, required, nullable, readOnly, statuses, media types, parameter in/style/explode/required,
//! security) and leaves out what the vendor *says about it* (descriptions, summaries, titles,
//! examples, display extensions), so that the reference holds none of the vendor's prose.

use std::collections::{BTreeMap, BTreeSet};

use yaml_serde::{Mapping, Value};

use super::doc::{self, get};
use crate::{Failure, Result};

/// The prefix of the Usage API's components in the unified document.
pub const PREFIX: &str = "Usage_API_";

/// True for the paths of the Usage API.
pub fn is_usage_path(path: &str) -> bool {
    path.starts_with("/usage") || path.starts_with("/quotas")
}

/// Where a cut came from, as recorded in the reference's `x-source`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The document's file name (not its path: the same file imported from anywhere is the same).
    pub file: String,
    /// Its `info.version`.
    pub version: String,
    /// The sha256 of its bytes, lowercase hex.
    pub sha256: String,
}

impl Source {
    /// The source a reference records in its `x-source` (written by [`cut`]).
    pub fn recorded(reference: &Value) -> Option<Source> {
        let x = get(reference, "x-source")?;
        let field = |k: &str| get(x, k).map(doc::scalar).unwrap_or_default();
        Some(Source { file: field("file"), version: field("info-version"), sha256: field("sha256") })
    }
}

/// A cut and what was left out of it.
pub struct Cut {
    /// The reference document.
    pub doc: Value,
    /// Whether the `Usage_API_` prefix was found and dropped.
    pub prefixed: bool,
    /// Keys that are neither kept nor known prose, with how often each was met (reported so that
    /// a new kind of fact in the vendor's document is not dropped unseen).
    pub left_out: BTreeMap<String, usize>,
    /// How many components of each kind the paths reach.
    pub components: BTreeMap<String, usize>,
}

/// Keys that hold prose or illustrations, never facts: left out silently.
const PROSE: &[&str] =
    &["description", "summary", "title", "example", "examples", "externalDocs", "x-displayName"];

/// The kind of OpenAPI object a filter step is looking at.
#[derive(Clone, Copy)]
enum Obj {
    PathItem,
    Operation,
    Parameter,
    RequestBody,
    Content,
    MediaType,
    Encoding,
    Responses,
    Response,
    Headers,
    Header,
    Schema,
    Schemas,
    SecurityScheme,
}

struct Cutter {
    prefix: Option<&'static str>,
    /// Components reached, as (kind, name in the source document).
    reached: BTreeSet<(String, String)>,
    queue: Vec<(String, String)>,
    left_out: BTreeMap<String, usize>,
}

/// Cuts the Usage API out of `doc` (the unified document or the Usage API's own).
pub fn cut(doc: &Value, source: &Source) -> Result<Cut> {
    let prefixed = doc::entries(get(doc, "components"))
        .iter()
        .any(|(_, kind)| doc::entries(Some(kind)).iter().any(|(name, _)| name.starts_with(PREFIX)));
    let mut cutter = Cutter {
        prefix: prefixed.then_some(PREFIX),
        reached: BTreeSet::new(),
        queue: Vec::new(),
        left_out: BTreeMap::new(),
    };

    let mut paths = Vec::new();
    for (path, item) in doc::entries(get(doc, "paths")) {
        if is_usage_path(&path) {
            paths.push((path, cutter.filter(item, Obj::PathItem, "paths")?));
        }
    }
    if paths.is_empty() {
        return Err(Failure(
            "no Usage API in this document: it has no path starting with /usage or /quotas".into(),
        ));
    }

    // Security schemes are named, not referenced: by each operation's `security` and the global one.
    let mut schemes = BTreeSet::new();
    for (_, item) in doc::entries(get(doc, "paths")).into_iter().filter(|(p, _)| is_usage_path(p)) {
        for (method, op) in doc::entries(Some(item)) {
            if doc::METHODS.contains(&method.as_str()) {
                collect_scheme_names(get(op, "security"), &mut schemes);
            }
        }
    }
    collect_scheme_names(get(doc, "security"), &mut schemes);
    for name in schemes {
        cutter.reach("securitySchemes", &name);
    }

    // Components, transitively; each kept as filtered.
    let mut filtered: BTreeMap<(String, String), Value> = BTreeMap::new();
    while let Some((kind, name)) = cutter.queue.pop() {
        let value = doc::resolve(doc, &format!("#/components/{kind}/{}", escape(&name)))
            .ok_or_else(|| Failure(format!("#/components/{kind}/{name} is referenced but missing")))?;
        let obj = match kind.as_str() {
            "schemas" => Obj::Schema,
            "parameters" => Obj::Parameter,
            "responses" => Obj::Response,
            "headers" => Obj::Header,
            "requestBodies" => Obj::RequestBody,
            "securitySchemes" => Obj::SecurityScheme,
            other => {
                return Err(Failure(format!(
                    "#/components/{other}/{name}: the cut does not handle components of kind {other}"
                )))
            }
        };
        let value = cutter.filter(value, obj, &kind)?;
        filtered.insert((kind, name), value);
    }

    // In the source document's order of kinds and of names.
    let mut components = Mapping::new();
    let mut counts = BTreeMap::new();
    for (kind, members) in doc::entries(get(doc, "components")) {
        let mut out = Mapping::new();
        for (name, _) in doc::entries(Some(members)) {
            if let Some(value) = filtered.remove(&(kind.clone(), name.clone())) {
                let stripped = cutter.strip(&name).to_string();
                if out.contains_key(stripped.as_str()) {
                    return Err(Failure(format!(
                        "#/components/{kind}/{name}: dropping the prefix makes it collide with {stripped}"
                    )));
                }
                out.insert(Value::String(stripped), value);
            }
        }
        if !out.is_empty() {
            counts.insert(kind.clone(), out.len());
            components.insert(Value::String(kind), Value::Mapping(out));
        }
    }

    let version = get(doc, "info").and_then(|i| get(i, "version")).map(doc::scalar).unwrap_or_default();
    let mut out = Mapping::new();
    out.insert("openapi".into(), get(doc, "openapi").cloned().unwrap_or_else(|| "3.0.3".into()));
    out.insert(
        "info".into(),
        doc::mapping([
            ("title".to_string(), Value::from("ThousandEyes Usage API, facts of the vendor's document")),
            ("version".to_string(), Value::from(version)),
        ]),
    );
    out.insert(
        "x-source".into(),
        doc::mapping([
            ("file".to_string(), Value::from(source.file.clone())),
            ("info-version".to_string(), Value::from(source.version.clone())),
            ("sha256".to_string(), Value::from(source.sha256.clone())),
        ]),
    );
    if let Some(servers) = get(doc, "servers") {
        out.insert("servers".into(), self::servers(servers));
    }
    if let Some(security) = get(doc, "security") {
        out.insert("security".into(), cutter.security(security));
    }
    out.insert("paths".into(), doc::mapping(paths));
    out.insert("components".into(), Value::Mapping(components));
    Ok(Cut { doc: Value::Mapping(out), prefixed, left_out: cutter.left_out, components: counts })
}

fn collect_scheme_names(security: Option<&Value>, names: &mut BTreeSet<String>) {
    for requirement in doc::items(security) {
        for (name, _) in doc::entries(Some(requirement)) {
            names.insert(name);
        }
    }
}

fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

impl Cutter {
    fn strip<'n>(&self, name: &'n str) -> &'n str {
        match self.prefix {
            Some(prefix) => name.strip_prefix(prefix).unwrap_or(name),
            None => name,
        }
    }

    fn reach(&mut self, kind: &str, name: &str) {
        let key = (kind.to_string(), name.to_string());
        if self.reached.insert(key.clone()) {
            self.queue.push(key);
        }
    }

    /// A `$ref`, kept (prefix dropped) and its component reached.
    fn reference(&mut self, target: &str, at: &str) -> Result<Value> {
        let (kind, name) = doc::component_of(target).ok_or_else(|| {
            Failure(format!("{at}: $ref {target} is not a local component (#/components/KIND/NAME)"))
        })?;
        let (kind, name) = (kind.to_string(), name.replace("~1", "/").replace("~0", "~"));
        self.reach(&kind, &name);
        Ok(doc::mapping([(
            "$ref".to_string(),
            Value::from(format!("#/components/{kind}/{}", escape(self.strip(&name)))),
        )]))
    }

    fn security(&self, security: &Value) -> Value {
        let requirements = doc::items(Some(security))
            .iter()
            .map(|requirement| {
                doc::mapping(
                    doc::entries(Some(requirement))
                        .into_iter()
                        .map(|(name, scopes)| (self.strip(&name).to_string(), scopes.clone())),
                )
            })
            .collect();
        Value::Sequence(requirements)
    }

    fn left_out(&mut self, key: &str) {
        if !PROSE.contains(&key) {
            *self.left_out.entry(key.to_string()).or_default() += 1;
        }
    }

    /// The facts of `value`, an object of kind `obj`.
    fn filter(&mut self, value: &Value, obj: Obj, at: &str) -> Result<Value> {
        if let Some(target) = doc::reference(value) {
            return self.reference(target, at);
        }
        let Some(map) = value.as_mapping() else {
            return Ok(value.clone());
        };
        let mut out = Mapping::new();
        for (key, v) in map {
            let key_text = doc::scalar(key);
            let k = key_text.as_str();
            let here = doc::child(at, k);
            let kept: Option<Value> = match (obj, k) {
                (Obj::PathItem, m) if doc::METHODS.contains(&m) => {
                    Some(self.filter(v, Obj::Operation, &here)?)
                }
                (Obj::PathItem | Obj::Operation, "parameters") => {
                    Some(self.list(v, Obj::Parameter, &here)?)
                }
                (Obj::PathItem | Obj::Operation, "servers") => Some(servers(v)),
                (Obj::Operation, "operationId" | "tags" | "deprecated") => Some(v.clone()),
                (Obj::Operation, "requestBody") => Some(self.filter(v, Obj::RequestBody, &here)?),
                (Obj::Operation, "responses") => Some(self.filter(v, Obj::Responses, &here)?),
                (Obj::Operation, "security") => Some(self.security(v)),
                (
                    Obj::Parameter,
                    "name" | "in" | "required" | "deprecated" | "allowEmptyValue" | "style" | "explode"
                    | "allowReserved",
                ) => Some(v.clone()),
                (Obj::Parameter | Obj::Header | Obj::MediaType, "schema") => {
                    Some(self.filter(v, Obj::Schema, &here)?)
                }
                (Obj::Parameter | Obj::Header | Obj::RequestBody | Obj::Response, "content") => {
                    Some(self.filter(v, Obj::Content, &here)?)
                }
                (Obj::RequestBody, "required") => Some(v.clone()),
                (Obj::Content, _) => Some(self.filter(v, Obj::MediaType, &here)?),
                (Obj::MediaType, "encoding") => Some(self.each(v, Obj::Encoding, &here)?),
                (Obj::Encoding, "contentType" | "style" | "explode" | "allowReserved") => Some(v.clone()),
                (Obj::Encoding | Obj::Response, "headers") => Some(self.filter(v, Obj::Headers, &here)?),
                (Obj::Responses, _) => Some(self.filter(v, Obj::Response, &here)?),
                (Obj::Headers, _) => Some(self.filter(v, Obj::Header, &here)?),
                (Obj::Header, "required" | "deprecated" | "style" | "explode") => Some(v.clone()),
                (Obj::Schema, s) if doc::is_schema_fact(s) => Some(v.clone()),
                (Obj::Schema, "properties") => Some(self.filter(v, Obj::Schemas, &here)?),
                (Obj::Schemas, _) => Some(self.filter(v, Obj::Schema, &here)?),
                (Obj::Schema, "items" | "not") => Some(self.filter(v, Obj::Schema, &here)?),
                (Obj::Schema, "additionalProperties") => match v {
                    Value::Bool(_) => Some(v.clone()),
                    _ => Some(self.filter(v, Obj::Schema, &here)?),
                },
                (Obj::Schema, "allOf" | "oneOf" | "anyOf") => Some(self.list(v, Obj::Schema, &here)?),
                (Obj::Schema, "discriminator") => Some(self.discriminator(v, &here)?),
                (
                    Obj::SecurityScheme,
                    "type" | "scheme" | "bearerFormat" | "in" | "name" | "openIdConnectUrl",
                ) => Some(v.clone()),
                (Obj::SecurityScheme, "flows") => Some(flows(v)),
                _ => {
                    self.left_out(k);
                    None
                }
            };
            if let Some(kept) = kept {
                out.insert(key.clone(), kept);
            }
        }
        Ok(Value::Mapping(out))
    }

    fn list(&mut self, value: &Value, obj: Obj, at: &str) -> Result<Value> {
        let mut out = Vec::new();
        for (i, item) in doc::items(Some(value)).iter().enumerate() {
            out.push(self.filter(item, obj, &doc::child(at, &i.to_string()))?);
        }
        Ok(Value::Sequence(out))
    }

    fn each(&mut self, value: &Value, obj: Obj, at: &str) -> Result<Value> {
        let mut out = Vec::new();
        for (k, v) in doc::entries(Some(value)) {
            let kept = self.filter(v, obj, &doc::child(at, &k))?;
            out.push((k, kept));
        }
        Ok(doc::mapping(out))
    }

    fn discriminator(&mut self, value: &Value, at: &str) -> Result<Value> {
        let mut out = Vec::new();
        if let Some(name) = get(value, "propertyName") {
            out.push(("propertyName".to_string(), name.clone()));
        }
        if let Some(mapping) = get(value, "mapping") {
            let mut m = Vec::new();
            for (k, target) in doc::entries(Some(mapping)) {
                let target = target.as_str().unwrap_or_default();
                let kept = self.reference(target, at)?;
                m.push((k, get(&kept, "$ref").cloned().unwrap_or(Value::Null)));
            }
            out.push(("mapping".to_string(), doc::mapping(m)));
        }
        Ok(doc::mapping(out))
    }
}

/// Servers: their URLs (and variables' defaults and enums), not their descriptions.
fn servers(value: &Value) -> Value {
    let list = doc::items(Some(value))
        .iter()
        .map(|server| {
            let mut out = Vec::new();
            if let Some(url) = get(server, "url") {
                out.push(("url".to_string(), url.clone()));
            }
            if let Some(vars) = get(server, "variables") {
                let vars = doc::entries(Some(vars)).into_iter().map(|(name, var)| {
                    let facts = ["default", "enum"]
                        .iter()
                        .filter_map(|k| get(var, k).map(|v| (k.to_string(), v.clone())));
                    (name, doc::mapping(facts))
                });
                out.push(("variables".to_string(), doc::mapping(vars)));
            }
            doc::mapping(out)
        })
        .collect();
    Value::Sequence(list)
}

/// OAuth flows: URLs and scope names (a scope's description is prose).
fn flows(value: &Value) -> Value {
    doc::mapping(doc::entries(Some(value)).into_iter().map(|(flow, spec)| {
        let mut out = Vec::new();
        for key in ["authorizationUrl", "tokenUrl", "refreshUrl"] {
            if let Some(v) = get(spec, key) {
                out.push((key.to_string(), v.clone()));
            }
        }
        let scopes = doc::entries(get(spec, "scopes"))
            .into_iter()
            .map(|(name, _)| (name, Value::String(String::new())));
        out.push(("scopes".to_string(), doc::mapping(scopes)));
        (flow, doc::mapping(out))
    }))
}
