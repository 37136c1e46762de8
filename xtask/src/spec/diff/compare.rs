//! Comparing: every difference between the fact trees of two documents, `a` and `b` (ours and
//! the upstream reference for `spec check`, the new and the previous reference for `spec import`),
//! as facts only: what differs, where, and on which side. Whether a difference breaks clients is
//! the classifying's to say, and how it is worded the rendering's (the modules beside this one,
//! which use it; it uses neither).

use std::collections::BTreeSet;

use crate::spec::facts::{Fact, Facts, Kind, Node, Usage};

/// How a node differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The node is in `a` only.
    Added,
    /// The node is in `b` only.
    Removed,
    /// A fact of the node differs (`None`: not stated).
    Fact { name: String, a: Option<String>, b: Option<String> },
    /// An enum value is in one side only.
    EnumValue { value: String, in_a: bool },
}

/// One difference.
#[derive(Debug, Clone)]
pub struct Difference {
    /// Where, as a display path: `GET /usage/units/tests 200 application/hal+json TestsUsage.breakdowns[].cloudUnitsUsed`.
    pub path: String,
    /// Where inside a named schema, when it is inside one: `UnitsByTests.cloudUnitsUsed`.
    pub schema_path: Option<String>,
    /// The node concerned (the added or removed one, or the one whose fact differs).
    pub kind: Kind,
    /// Its key in its parent (`property cloudUnitsUsed`, `status 200`, `media type application/json`).
    pub key: String,
    pub change: Change,
    /// Pointers in `a` of the object a mark for this difference sits on: the node itself, or for a
    /// node only `b` has, its parent in `a`.
    pub sources: Vec<String>,
    /// Whether requests or answers carry it.
    pub usage: Usage,
    /// The facts of the added or removed node.
    pub node_facts: std::collections::BTreeMap<String, Fact>,
}

impl Difference {
    /// The pointer a mark for it is looked up at first (the object itself, past `$ref`s).
    pub fn anchor(&self) -> &str {
        self.sources.last().map(String::as_str).unwrap_or("#")
    }
}

/// Every difference between `a` and `b`.
pub fn differences(a: &Facts, b: &Facts) -> Vec<Difference> {
    let mut out = Vec::new();
    let mut walker = Walker { out: &mut out };
    walker.facts(&a.root, &b.root, "document", "", None, Usage::default());
    let keys: BTreeSet<&String> = a.root.children.keys().chain(b.root.children.keys()).collect();
    for key in keys {
        let (na, nb) = (a.root.children.get(key), b.root.children.get(key));
        let node = na.or(nb).expect("a key of one side");
        let (path, schema_path, usage) = if node.kind == Kind::Schema {
            let name = key.strip_prefix("schema ").unwrap_or(key);
            let reached = a.reach.get(name).or_else(|| b.reach.get(name));
            let usage = [a.reach.get(name), b.reach.get(name)].into_iter().flatten().fold(
                Usage::default(),
                |u, (_, r)| Usage { request: u.request || r.request, response: u.response || r.response },
            );
            let path = reached.map(|(p, _)| p.clone()).unwrap_or_else(|| format!("schema {name}"));
            (path, Some(name.to_string()), usage)
        } else {
            (node.segment.trim_start().to_string(), None, node.usage)
        };
        walker.node(na, nb, key, path, schema_path, usage, &a.root.sources);
    }
    // In the order of their places (stable: the facts of one place stay in their order).
    out.sort_by(|x, y| x.path.cmp(&y.path));
    out
}

struct Walker<'o> {
    out: &'o mut Vec<Difference>,
}

impl Walker<'_> {
    #[allow(clippy::too_many_arguments)]
    fn node(
        &mut self,
        a: Option<&Node>,
        b: Option<&Node>,
        key: &str,
        path: String,
        schema_path: Option<String>,
        usage: Usage,
        parent_sources: &[String],
    ) {
        let usage = match a.or(b) {
            Some(n) if n.usage != Usage::default() => n.usage,
            _ => usage,
        };
        match (a, b) {
            (Some(a), None) => self.out.push(Difference {
                path,
                schema_path,
                kind: a.kind,
                key: key.to_string(),
                change: Change::Added,
                sources: a.sources.clone(),
                usage,
                node_facts: a.facts.clone(),
            }),
            (None, Some(b)) => self.out.push(Difference {
                path,
                schema_path,
                kind: b.kind,
                key: key.to_string(),
                change: Change::Removed,
                sources: parent_sources.to_vec(),
                usage,
                node_facts: b.facts.clone(),
            }),
            (Some(a), Some(b)) => {
                if !self.facts(a, b, key, &path, schema_path.as_deref(), usage) {
                    return;
                }
                let keys: BTreeSet<&String> = a.children.keys().chain(b.children.keys()).collect();
                for child_key in keys {
                    let (ca, cb) = (a.children.get(child_key), b.children.get(child_key));
                    let segment = &ca.or(cb).expect("a key of one side").segment;
                    let child_path = format!("{path}{segment}");
                    let child_schema_path = schema_path.as_ref().map(|s| format!("{s}{segment}"));
                    self.node(ca, cb, child_key, child_path, child_schema_path, usage, &a.sources);
                }
            }
            (None, None) => {}
        }
    }

    /// Compares the facts of two nodes; false when they name different schemas (what they hold
    /// is then not comparable, and the named schemas are compared on their own).
    fn facts(
        &mut self,
        a: &Node,
        b: &Node,
        key: &str,
        path: &str,
        schema_path: Option<&str>,
        usage: Usage,
    ) -> bool {
        let diff = |change: Change| Difference {
            path: path.to_string(),
            schema_path: schema_path.map(str::to_string),
            kind: a.kind,
            key: key.to_string(),
            change,
            sources: a.sources.clone(),
            usage,
            node_facts: Default::default(),
        };
        if a.facts.get("schema") != b.facts.get("schema") {
            let text = |n: &Node| n.facts.get("schema").map(Fact::text).or_else(|| Some("inline".into()));
            self.out.push(diff(Change::Fact { name: "schema".into(), a: text(a), b: text(b) }));
            return false;
        }
        let names: BTreeSet<&String> = a.facts.keys().chain(b.facts.keys()).collect();
        for name in names {
            match (a.facts.get(name), b.facts.get(name)) {
                (Some(Fact::Set(x)), Some(Fact::Set(y))) => {
                    for value in x.difference(y) {
                        self.out.push(diff(Change::EnumValue { value: value.clone(), in_a: true }));
                    }
                    for value in y.difference(x) {
                        self.out.push(diff(Change::EnumValue { value: value.clone(), in_a: false }));
                    }
                }
                (x, y) if x != y => self.out.push(diff(Change::Fact {
                    name: name.clone(),
                    a: x.map(Fact::text),
                    b: y.map(Fact::text),
                })),
                _ => {}
            }
        }
        true
    }
}
