//! The facts of an OpenAPI document as a tree that two documents can be compared on.
//!
//! Normalizations, so that two documents stating the same API compare equal however each is
//! written:
//!
//! * Parameters, request bodies, responses and headers are compared where they are used, with
//!   their `$ref`s resolved: how a document names (or whether it names) those components does not
//!   matter. Path-level parameters are merged into each operation's (the operation's win).
//! * Schemas are compared by name: a use of `#/components/schemas/X` is the fact "schema X" and
//!   each named schema is compared once, under its name. A schema written inline on one side and
//!   by name on the other is a difference (the name becomes a Rust type).
//! * `allOf` is merged into one schema (properties, required and the other facts of every member,
//!   members that are `$ref`s resolved): composition is a way of writing, not a fact.
//! * Security is the requirement in force for each operation (its own `security`, else the
//!   document's), and each scheme is compared by what it is (`http bearer`), not by its name.
//! * Defaults are written out: a parameter's `required: false`, its `style` (`form` in query and
//!   cookie, `simple` in path and header) and `explode` (true for `form`); `nullable`, `readOnly`,
//!   `writeOnly`, `deprecated` and a property's required-ness count only when true;
//!   `additionalProperties: true` is the default. Header names and media types compare
//!   case-insensitively.
//! * Enums compare as sets of values (each value added or removed is its own difference).

use std::collections::{BTreeMap, BTreeSet};

use yaml_serde::Value;

use super::doc::{self, get};
use crate::{Failure, Result};

/// What a node of the tree is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Document,
    Operation,
    Parameter,
    RequestBody,
    Response,
    Header,
    MediaType,
    /// A named schema (`#/components/schemas/X`), compared under its name.
    Schema,
    /// The schema of a parameter, header or media type.
    Body,
    Property,
    Items,
    Values,
    Alternative,
}

impl Kind {
    /// How a report calls it.
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Document => "document",
            Kind::Operation => "operation",
            Kind::Parameter => "parameter",
            Kind::RequestBody => "request body",
            Kind::Response => "status",
            Kind::Header => "header",
            Kind::MediaType => "media type",
            Kind::Schema => "schema",
            Kind::Body => "schema",
            Kind::Property => "property",
            Kind::Items => "items",
            Kind::Values => "map values",
            Kind::Alternative => "alternative",
        }
    }
}

/// One fact's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    One(String),
    /// An enum's values.
    Set(BTreeSet<String>),
}

impl Fact {
    pub fn text(&self) -> String {
        match self {
            Fact::One(s) => s.clone(),
            Fact::Set(set) => format!("[{}]", set.iter().cloned().collect::<Vec<_>>().join(", ")),
        }
    }
}

/// Whether a node is read in requests, in answers, or both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub request: bool,
    pub response: bool,
}

/// A node of the fact tree.
#[derive(Debug, Clone)]
pub struct Node {
    pub kind: Kind,
    /// Its part of a display path: ` GET /usage`, ` 200`, ` application/hal+json`, ` TestsUsage`,
    /// `.cloudUnitsUsed`, `[]`.
    pub segment: String,
    pub facts: BTreeMap<String, Fact>,
    /// By key: `operation GET /usage`, `parameter query aid`, `status 200`, `header x-a`,
    /// `media type application/json`, `request body`, `property aid`, `items`, `schema X`.
    pub children: BTreeMap<String, Node>,
    /// JSON pointers of the objects this node was read from: reference sites first, the object
    /// itself last (more than one for merged `allOf` members).
    pub sources: Vec<String>,
    pub usage: Usage,
}

impl Node {
    fn new(kind: Kind, segment: impl Into<String>, sources: Vec<String>, usage: Usage) -> Node {
        Node {
            kind,
            segment: segment.into(),
            facts: BTreeMap::new(),
            children: BTreeMap::new(),
            sources,
            usage,
        }
    }

    fn fact(&mut self, name: &str, value: impl Into<String>) {
        self.facts.insert(name.to_string(), Fact::One(value.into()));
    }

    /// The number of facts in this subtree (each node's presence counts as one).
    pub fn fact_count(&self) -> usize {
        1 + self.facts.len() + self.children.values().map(Node::fact_count).sum::<usize>()
    }

    /// The schema this node names, when it is a use of a named schema.
    pub fn schema_name(&self) -> Option<&str> {
        match self.facts.get("schema") {
            Some(Fact::One(name)) => Some(name),
            _ => None,
        }
    }
}

/// The facts of a document: its operations and its named schemas, in one tree under a root.
#[derive(Debug, Clone)]
pub struct Facts {
    pub root: Node,
    /// Where each named schema is first reached from an operation (a display path), and whether
    /// requests or answers carry it.
    pub reach: BTreeMap<String, (String, Usage)>,
}

impl Facts {
    pub fn operations(&self) -> impl Iterator<Item = &Node> {
        self.root.children.values().filter(|n| n.kind == Kind::Operation)
    }
    pub fn schemas(&self) -> impl Iterator<Item = (&str, &Node)> {
        self.root
            .children
            .iter()
            .filter(|(_, n)| n.kind == Kind::Schema)
            .map(|(k, n)| (k.strip_prefix("schema ").unwrap_or(k), n))
    }
}

/// Flattens `doc` into its facts.
pub fn flatten(doc: &Value) -> Result<Facts> {
    let mut root = Node::new(Kind::Document, "", vec!["#".into()], Usage::default());
    let servers: Vec<String> =
        doc::items(get(doc, "servers")).iter().filter_map(|s| get(s, "url").map(doc::scalar)).collect();
    root.fact("servers", servers.join(", "));

    let flattener = Flattener { doc };
    for (path, item) in doc::entries(get(doc, "paths")) {
        let item_pointer = doc::child("#/paths", &path);
        let (item, item_pointer, _) = doc::follow(doc, item, &item_pointer)?;
        for (method, op) in doc::entries(Some(item)) {
            if !doc::METHODS.contains(&method.as_str()) {
                continue;
            }
            let node = flattener.operation(&path, &method, op, item, &doc::child(&item_pointer, &method))?;
            root.children.insert(format!("operation {} {path}", method.to_uppercase()), node);
        }
    }
    for (name, schema) in doc::entries(get(doc, "components").and_then(|c| get(c, "schemas"))) {
        let pointer = doc::child("#/components/schemas", &name);
        let node = flattener.named_schema(&name, schema, &pointer)?;
        root.children.insert(format!("schema {name}"), node);
    }
    let reach = reach(&root);
    Ok(Facts { root, reach })
}

struct Flattener<'a> {
    doc: &'a Value,
}

impl Flattener<'_> {
    fn operation(&self, path: &str, method: &str, op: &Value, item: &Value, pointer: &str) -> Result<Node> {
        let request = Usage { request: true, response: false };
        let answer = Usage { request: false, response: true };
        let both = Usage { request: true, response: true };
        let mut node = Node::new(
            Kind::Operation,
            format!("{} {path}", method.to_uppercase()),
            vec![pointer.into()],
            both,
        );
        if let Some(id) = get(op, "operationId") {
            node.fact("operationId", doc::scalar(id));
        }
        let tags: Vec<String> = doc::items(get(op, "tags")).iter().map(doc::scalar).collect();
        if !tags.is_empty() {
            node.fact("tags", tags.join(", "));
        }
        if doc::is_true(get(op, "deprecated")) {
            node.fact("deprecated", "true");
        }
        let security = get(op, "security").or_else(|| get(self.doc, "security"));
        node.fact("security", self.security(security)?);
        let servers = get(op, "servers").or_else(|| get(item, "servers"));
        if let Some(servers) = servers {
            let urls: Vec<String> =
                doc::items(Some(servers)).iter().filter_map(|s| get(s, "url").map(doc::scalar)).collect();
            node.fact("servers", urls.join(", "));
        }

        // Path-level parameters first, then the operation's, which replace those of the same name and place.
        let item_pointer = pointer.rsplit_once('/').map(|(p, _)| p.to_string()).unwrap_or_default();
        let mut params: Vec<(String, &Value)> = Vec::new();
        for (i, p) in doc::items(get(item, "parameters")).iter().enumerate() {
            params.push((format!("{item_pointer}/parameters/{i}"), p));
        }
        for (i, p) in doc::items(get(op, "parameters")).iter().enumerate() {
            params.push((format!("{pointer}/parameters/{i}"), p));
        }
        for (at, p) in params {
            let (param, target, mut sources) = doc::follow(self.doc, p, &at)?;
            sources.push(target.clone());
            let name = get(param, "name").map(doc::scalar).unwrap_or_default();
            let place = get(param, "in").map(doc::scalar).unwrap_or_default();
            let mut child = Node::new(Kind::Parameter, format!(" {place} {name}"), sources, request);
            let required = doc::is_true(get(param, "required"));
            child.fact("required", required.to_string());
            let style = get(param, "style").map(doc::scalar).unwrap_or_else(|| {
                if matches!(place.as_str(), "query" | "cookie") { "form" } else { "simple" }.to_string()
            });
            let explode =
                get(param, "explode").map(doc::scalar).unwrap_or_else(|| (style == "form").to_string());
            child.fact("style", style);
            child.fact("explode", explode);
            for flag in ["deprecated", "allowEmptyValue", "allowReserved"] {
                if doc::is_true(get(param, flag)) {
                    child.fact(flag, "true");
                }
            }
            self.schema_or_content(&mut child, param, &target, request)?;
            node.children.insert(format!("parameter {place} {name}"), child);
        }

        if let Some(body) = get(op, "requestBody") {
            let (body, target, mut sources) =
                doc::follow(self.doc, body, &doc::child(pointer, "requestBody"))?;
            sources.push(target.clone());
            let mut child = Node::new(Kind::RequestBody, " request", sources, request);
            if doc::is_true(get(body, "required")) {
                child.fact("required", "true");
            }
            self.content(&mut child, get(body, "content"), &doc::child(&target, "content"), request)?;
            node.children.insert("request body".into(), child);
        }

        let responses_pointer = doc::child(pointer, "responses");
        for (status, response) in doc::entries(get(op, "responses")) {
            let (response, target, mut sources) =
                doc::follow(self.doc, response, &doc::child(&responses_pointer, &status))?;
            sources.push(target.clone());
            let mut child = Node::new(Kind::Response, format!(" {status}"), sources, answer);
            for (name, header) in doc::entries(get(response, "headers")) {
                let at = doc::child(&doc::child(&target, "headers"), &name);
                let (header, header_target, mut header_sources) = doc::follow(self.doc, header, &at)?;
                header_sources.push(header_target.clone());
                let lower = name.to_ascii_lowercase();
                let mut h = Node::new(Kind::Header, format!(" header {lower}"), header_sources, answer);
                h.fact("required", doc::is_true(get(header, "required")).to_string());
                h.fact("style", get(header, "style").map(doc::scalar).unwrap_or_else(|| "simple".into()));
                h.fact("explode", get(header, "explode").map(doc::scalar).unwrap_or_else(|| "false".into()));
                if doc::is_true(get(header, "deprecated")) {
                    h.fact("deprecated", "true");
                }
                self.schema_or_content(&mut h, header, &header_target, answer)?;
                child.children.insert(format!("header {lower}"), h);
            }
            self.content(&mut child, get(response, "content"), &doc::child(&target, "content"), answer)?;
            node.children.insert(format!("status {status}"), child);
        }
        Ok(node)
    }

    fn schema_or_content(&self, node: &mut Node, object: &Value, pointer: &str, usage: Usage) -> Result<()> {
        if let Some(schema) = get(object, "schema") {
            let child = self.schema(schema, &doc::child(pointer, "schema"), Kind::Body, "", usage, 0)?;
            node.children.insert("schema".into(), child);
        }
        self.content(node, get(object, "content"), &doc::child(pointer, "content"), usage)
    }

    fn content(&self, node: &mut Node, content: Option<&Value>, pointer: &str, usage: Usage) -> Result<()> {
        for (media, object) in doc::entries(content) {
            let lower = media.to_ascii_lowercase();
            let at = doc::child(pointer, &media);
            let mut child = Node::new(Kind::MediaType, format!(" {lower}"), vec![at.clone()], usage);
            if let Some(schema) = get(object, "schema") {
                let schema =
                    self.schema(schema, &doc::child(&at, "schema"), Kind::Body, " schema", usage, 0)?;
                child.children.insert("schema".into(), schema);
            }
            for (name, enc) in doc::entries(get(object, "encoding")) {
                let facts: Vec<String> = ["contentType", "style", "explode", "allowReserved"]
                    .iter()
                    .filter_map(|k| get(enc, k).map(|v| format!("{k}={}", doc::scalar(v))))
                    .collect();
                child.fact(&format!("encoding {name}"), facts.join(" "));
            }
            node.children.insert(format!("media type {lower}"), child);
        }
        Ok(())
    }

    fn security(&self, security: Option<&Value>) -> Result<String> {
        let Some(security) = security else { return Ok("none".into()) };
        let mut alternatives = BTreeSet::new();
        for requirement in doc::items(Some(security)) {
            let mut parts = BTreeSet::new();
            for (name, scopes) in doc::entries(Some(requirement)) {
                let pointer = doc::child("#/components/securitySchemes", &name);
                let scheme = doc::resolve(self.doc, &pointer).ok_or_else(|| {
                    Failure(format!("security names {name}, which {pointer} does not define"))
                })?;
                let (scheme, _, _) = doc::follow(self.doc, scheme, &pointer)?;
                let mut text: Vec<String> =
                    ["type", "scheme", "bearerFormat", "in", "name", "openIdConnectUrl"]
                        .iter()
                        .filter_map(|k| get(scheme, k).map(doc::scalar))
                        .collect();
                if let Some(flows) = get(scheme, "flows") {
                    for (flow, spec) in doc::entries(Some(flows)) {
                        let urls: Vec<String> = ["authorizationUrl", "tokenUrl", "refreshUrl"]
                            .iter()
                            .filter_map(|k| get(spec, k).map(doc::scalar))
                            .collect();
                        let scopes: Vec<String> =
                            doc::entries(get(spec, "scopes")).into_iter().map(|(s, _)| s).collect();
                        text.push(format!("{flow}({} scopes [{}])", urls.join(" "), scopes.join(", ")));
                    }
                }
                let scopes: Vec<String> = doc::items(Some(scopes)).iter().map(doc::scalar).collect();
                if !scopes.is_empty() {
                    text.push(format!("[{}]", scopes.join(", ")));
                }
                parts.insert(text.join(" "));
            }
            alternatives.insert(if parts.is_empty() {
                "anonymous".to_string()
            } else {
                parts.into_iter().collect::<Vec<_>>().join(" + ")
            });
        }
        Ok(if alternatives.is_empty() {
            "none".into()
        } else {
            alternatives.into_iter().collect::<Vec<_>>().join(" | ")
        })
    }

    fn named_schema(&self, name: &str, schema: &Value, pointer: &str) -> Result<Node> {
        if let Some(target) = doc::reference(schema) {
            // A named alias of another schema.
            let mut node = Node::new(Kind::Schema, name, vec![pointer.into()], Usage::default());
            node.fact("schema", schema_ref_name(target, pointer)?);
            return Ok(node);
        }
        let mut node = self.schema(schema, pointer, Kind::Schema, name, Usage::default(), 0)?;
        node.segment = name.to_string();
        Ok(node)
    }

    /// A schema where it is used: a `$ref` is the fact "schema X" (X is compared under its name),
    /// an inline schema is expanded.
    fn schema(
        &self,
        schema: &Value,
        pointer: &str,
        kind: Kind,
        segment: &str,
        usage: Usage,
        depth: usize,
    ) -> Result<Node> {
        if depth > 64 {
            return Err(Failure(format!("{pointer}: schemas nested more than 64 deep")));
        }
        if let Some(target) = doc::reference(schema) {
            let name = schema_ref_name(target, pointer)?;
            let segment = if segment == " schema" { format!(" {name}") } else { segment.to_string() };
            let mut node = Node::new(kind, segment, vec![pointer.into()], usage);
            node.fact("schema", name);
            return Ok(node);
        }
        let view = self.view(schema, pointer, 0)?;
        let mut node = Node::new(kind, segment, view.sources.clone(), usage);
        for (key, value) in &view.facts {
            if doc::SCHEMA_FLAGS.contains(&key.as_str()) {
                if doc::is_true(Some(value)) {
                    node.fact(key, "true");
                }
            } else if key == "enum" {
                let values = doc::items(Some(value)).iter().map(doc::scalar).collect();
                node.facts.insert("enum".into(), Fact::Set(values));
            } else if key == "additionalProperties" {
                if matches!(value, Value::Bool(false)) {
                    node.fact("additionalProperties", "false");
                }
            } else if key == "discriminator" {
                node.fact("discriminator", doc::scalar(value));
            } else {
                node.fact(key, doc::scalar(value));
            }
        }
        for (name, value, at) in &view.properties {
            let mut child = self.schema(value, at, Kind::Property, &format!(".{name}"), usage, depth + 1)?;
            if view.required.contains(name) {
                child.fact("required", "true");
            }
            node.children.insert(format!("property {name}"), child);
        }
        for name in &view.required {
            if !view.properties.iter().any(|(p, _, _)| p == name) {
                let mut child = Node::new(Kind::Property, format!(".{name}"), view.sources.clone(), usage);
                child.fact("required", "true");
                node.children.insert(format!("property {name}"), child);
            }
        }
        if let Some((items, at)) = &view.items {
            node.children
                .insert("items".into(), self.schema(items, at, Kind::Items, "[]", usage, depth + 1)?);
        }
        if let Some((values, at)) = &view.additional {
            node.children
                .insert("values".into(), self.schema(values, at, Kind::Values, "{}", usage, depth + 1)?);
        }
        for (word, list) in [("oneOf", &view.one_of), ("anyOf", &view.any_of)] {
            for (i, (alt, at)) in list.iter().enumerate() {
                let seg = format!(" {word}[{i}]");
                node.children.insert(
                    format!("{word} {i}"),
                    self.schema(alt, at, Kind::Alternative, &seg, usage, depth + 1)?,
                );
            }
        }
        if let Some((not, at)) = &view.not {
            node.children
                .insert("not".into(), self.schema(not, at, Kind::Alternative, " not", usage, depth + 1)?);
        }
        Ok(node)
    }

    /// A schema with its `allOf` merged in.
    fn view<'v>(&'v self, schema: &'v Value, pointer: &str, depth: usize) -> Result<View<'v>> {
        if depth > 32 {
            return Err(Failure(format!("{pointer}: allOf nested more than 32 deep")));
        }
        let mut view = View { sources: vec![pointer.to_string()], ..View::default() };
        for (key, value) in doc::entries(Some(schema)) {
            let at = doc::child(pointer, &key);
            match key.as_str() {
                "properties" => {
                    for (name, p) in doc::entries(Some(value)) {
                        let p_at = doc::child(&at, &name);
                        view.properties.retain(|(n, _, _)| *n != name);
                        view.properties.push((name, p, p_at));
                    }
                }
                "required" => view.required.extend(doc::items(Some(value)).iter().map(doc::scalar)),
                "items" => view.items = Some((value, at)),
                "additionalProperties" if !matches!(value, Value::Bool(_)) => {
                    view.additional = Some((value, at))
                }
                "oneOf" => view.one_of = numbered(value, &at),
                "anyOf" => view.any_of = numbered(value, &at),
                "not" => view.not = Some((value, at)),
                "allOf" => {
                    for (member, member_at) in numbered(value, &at) {
                        let (member, member_at, sites) = doc::follow(self.doc, member, &member_at)?;
                        let inner = self.view(member, &member_at, depth + 1)?;
                        view.sources.extend(sites);
                        view.merge(inner);
                    }
                }
                k if doc::SCHEMA_FACTS.contains(&k) || doc::SCHEMA_FLAGS.contains(&k) => {
                    view.facts.insert(key.clone(), value.clone());
                }
                "enum" | "discriminator" => {
                    view.facts.insert(key.clone(), value.clone());
                }
                "additionalProperties" => {
                    view.facts.insert(key.clone(), value.clone());
                }
                _ => {}
            }
        }
        Ok(view)
    }
}

fn numbered<'v>(value: &'v Value, pointer: &str) -> Vec<(&'v Value, String)> {
    doc::items(Some(value))
        .iter()
        .enumerate()
        .map(|(i, v)| (v, doc::child(pointer, &i.to_string())))
        .collect()
}

fn schema_ref_name(target: &str, pointer: &str) -> Result<String> {
    match doc::component_of(target) {
        Some(("schemas", name)) => Ok(name.replace("~1", "/").replace("~0", "~")),
        _ => Err(Failure(format!("{pointer}: $ref {target} is not a schema of #/components/schemas"))),
    }
}

/// A schema's keywords with `allOf` merged in.
#[derive(Default)]
struct View<'v> {
    facts: BTreeMap<String, Value>,
    properties: Vec<(String, &'v Value, String)>,
    required: BTreeSet<String>,
    items: Option<(&'v Value, String)>,
    additional: Option<(&'v Value, String)>,
    one_of: Vec<(&'v Value, String)>,
    any_of: Vec<(&'v Value, String)>,
    not: Option<(&'v Value, String)>,
    sources: Vec<String>,
}

impl<'v> View<'v> {
    /// Merges an `allOf` member in: its properties and required are added, and its other facts
    /// fill in what the schema itself does not state.
    fn merge(&mut self, member: View<'v>) {
        for (key, value) in member.facts {
            self.facts.entry(key).or_insert(value);
        }
        for (name, value, at) in member.properties {
            if !self.properties.iter().any(|(n, _, _)| *n == name) {
                self.properties.push((name, value, at));
            }
        }
        self.required.extend(member.required);
        self.items = self.items.take().or(member.items);
        self.additional = self.additional.take().or(member.additional);
        self.one_of.extend(member.one_of);
        self.any_of.extend(member.any_of);
        self.not = self.not.take().or(member.not);
        self.sources.extend(member.sources);
    }
}

/// For each named schema, the display path through which an operation first reaches it (operations
/// in order, then breadth first through the schemas they name), and whether requests or answers
/// carry it.
fn reach(root: &Node) -> BTreeMap<String, (String, Usage)> {
    let mut reach: BTreeMap<String, (String, Usage)> = BTreeMap::new();
    let mut queue: Vec<String> = Vec::new();
    fn walk(
        node: &Node,
        base: &str,
        usage: Usage,
        reach: &mut BTreeMap<String, (String, Usage)>,
        queue: &mut Vec<String>,
    ) {
        let path = format!("{base}{}", node.segment);
        // Nodes of operations say whether requests or answers carry them; those of named schemas
        // (Usage::default()) carry on what reached them.
        let usage = if node.usage == Usage::default() {
            usage
        } else {
            Usage {
                request: usage.request && node.usage.request,
                response: usage.response && node.usage.response,
            }
        };
        if let Some(name) = node.schema_name() {
            match reach.get_mut(name) {
                None => {
                    reach.insert(name.to_string(), (path.clone(), usage));
                    queue.push(name.to_string());
                }
                Some((_, seen)) => {
                    if (usage.request && !seen.request) || (usage.response && !seen.response) {
                        seen.request |= usage.request;
                        seen.response |= usage.response;
                        queue.push(name.to_string());
                    }
                }
            }
        }
        for child in node.children.values() {
            walk(child, &path, usage, reach, queue);
        }
    }
    let all = Usage { request: true, response: true };
    for op in root.children.values().filter(|n| n.kind == Kind::Operation) {
        walk(op, "", all, &mut reach, &mut queue);
    }
    let mut i = 0;
    while i < queue.len() {
        let name = queue[i].clone();
        i += 1;
        let (base, usage) = reach[&name].clone();
        if let Some(schema) = root.children.get(&format!("schema {name}")) {
            for child in schema.children.values() {
                walk(child, &base, usage, &mut reach, &mut queue);
            }
            // A named alias: the schema it names is reached the same way.
            if let Some(alias) = schema.schema_name() {
                let alias = alias.to_string();
                if !reach.contains_key(&alias) {
                    reach.insert(alias.clone(), (base.clone(), usage));
                    queue.push(alias);
                }
            }
        }
    }
    reach
}
