//! `cargo xtask spec check`: proof that `openapi/usage.yaml`, written in our own words, states
//! every fact of the upstream reference, or marks (see [`marks`]) where and why it
//! deliberately differs; and that it keeps our own rules.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use yaml_serde::Value;

use super::cut::Source;
use super::diff::compare::{self, Difference};
use super::diff::{classify, render};
use super::doc;
use super::facts::{self, Fact, Facts, Kind};
use super::marks::{self, Mark};
use crate::{count, Failure, Result, Workspace};

/// What `spec check` found.
pub struct Check {
    pub operations: usize,
    pub schemas: usize,
    pub facts: usize,
    /// Differences each mark accepted (marks in document order).
    pub accepted: Vec<(Mark, Vec<Difference>)>,
    /// Differences no mark accepts, grouped by where a mark would go and what it would say.
    pub unmarked: Vec<Vec<Difference>>,
    /// Marks that accept no difference.
    pub stale: Vec<Mark>,
    /// Breaches of our own rules.
    pub policy: Vec<String>,
}

impl Check {
    pub fn passed(&self) -> bool {
        self.unmarked.is_empty() && self.stale.is_empty() && self.policy.is_empty()
    }
}

/// Checks `ours` against the `upstream` reference.
pub fn check_documents(ours: &Value, upstream: &Value) -> Result<Check> {
    let ours_facts = facts::flatten(ours)?;
    let upstream_facts = facts::flatten(upstream)?;
    let operations = upstream_facts.operations().count();
    if operations == 0 {
        return Err(Failure("the upstream reference has no operation: import it again".into()));
    }
    let differences = compare::differences(&ours_facts, &upstream_facts);
    let mut accepted: Vec<(Mark, Vec<Difference>)> =
        marks::collect(ours)?.into_iter().map(|m| (m, Vec::new())).collect();
    let mut unmarked: Vec<Vec<Difference>> = Vec::new();
    let mut groups: BTreeMap<(String, (String, String, String)), usize> = BTreeMap::new();
    for d in differences {
        let key = classify::mark_key(&d);
        if let Some((_, list)) =
            accepted.iter_mut().find(|(m, _)| m.key() == key && d.sources.contains(&m.pointer))
        {
            list.push(d);
            continue;
        }
        let group = (d.anchor().to_string(), key);
        match groups.get(&group) {
            Some(&i) => unmarked[i].push(d),
            None => {
                groups.insert(group, unmarked.len());
                unmarked.push(vec![d]);
            }
        }
    }
    let stale = accepted.iter().filter(|(_, l)| l.is_empty()).map(|(m, _)| m.clone()).collect();
    accepted.retain(|(_, l)| !l.is_empty());
    Ok(Check {
        operations,
        schemas: upstream_facts.schemas().count(),
        facts: upstream_facts.root.fact_count(),
        accepted,
        unmarked,
        stale,
        policy: policy(&ours_facts),
    })
}

/// Our own rule, beyond the vendor's document: every
/// integer property is an int64 (counters of units and agents exceed 2^31), but the HTTP `status`
/// of a problem report.
fn policy(ours: &Facts) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(node: &facts::Node, path: &str, out: &mut Vec<String>) {
        for (key, child) in &node.children {
            let path = format!("{path}{}", child.segment);
            let is = |k: &str, v: &str| matches!(child.facts.get(k), Some(Fact::One(x)) if x == v);
            if child.kind == Kind::Property
                && is("type", "integer")
                && !is("format", "int64")
                && key != "property status"
            {
                let format = child.facts.get("format").map(Fact::text).unwrap_or_else(|| "none".into());
                out.push(format!("{path}: integer property with format {format}; our rule: int64"));
            }
            walk(child, &path, out);
        }
    }
    for (name, schema) in ours.schemas() {
        walk(schema, name, &mut out);
    }
    out
}

/// What `spec check` prints.
pub fn render_check(check: &Check) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "compared {} operations and {} schemas ({} facts upstream)",
        check.operations, check.schemas, check.facts
    );
    if !check.accepted.is_empty() {
        let total: usize = check.accepted.iter().map(|(_, l)| l.len()).sum();
        let _ =
            writeln!(out, "marked differences: {} marks accept {total} differences", check.accepted.len());
        for (mark, list) in &check.accepted {
            let what = if mark.fact == "presence" {
                format!("{} here, {} upstream", mark.here, mark.upstream)
            } else {
                format!("{} {} here, {} upstream", mark.fact, mark.here, mark.upstream)
            };
            let places = match list.len() {
                1 => list[0].path.clone(),
                n => format!("{n} places, e.g. {}", list[0].path),
            };
            let _ = writeln!(out, "  {}: {what} ({places})", mark.pointer);
        }
    }
    for group in &check.unmarked {
        let d = &group[0];
        let (fact, here, upstream) = classify::mark_key(d);
        let _ = writeln!(out, "UNMARKED {}", render::describe_difference(d));
        let inside = d.schema_path.as_deref().map(|s| format!(" ({s})")).unwrap_or_default();
        let _ = writeln!(
            out,
            "    at {}{inside}: fix openapi/usage.yaml, or mark it there with\n    \
             x-deviation: {{fact: {fact}, here: {here}, upstream: {upstream}, reason: ...}}",
            d.anchor()
        );
        if group.len() > 1 {
            const SHOWN: usize = 3;
            let more: Vec<&str> = group[1..].iter().take(SHOWN).map(|d| d.path.as_str()).collect();
            let rest = group.len() - 1 - more.len();
            let _ = writeln!(
                out,
                "    and {}: {}{}",
                count(group.len() - 1, "more place", "more places"),
                more.join("; "),
                if rest > 0 { format!("; and {rest} more") } else { String::new() }
            );
        }
    }
    for mark in &check.stale {
        let _ = writeln!(
            out,
            "STALE mark at {}: {{fact: {}, here: {}, upstream: {}}} matches no difference; remove it (or fix it)",
            mark.pointer, mark.fact, mark.here, mark.upstream
        );
    }
    for breach in &check.policy {
        let _ = writeln!(out, "RULE {breach}");
    }
    if check.passed() {
        let _ = writeln!(out, "own rule: every integer property is int64 (a problem's status excepted): ok");
    }
    out
}

/// `cargo xtask spec check`.
pub fn check(ws: &Workspace) -> Result<()> {
    let ours_path = ws.spec();
    let reference_path = ws.upstream_reference();
    if !reference_path.exists() {
        return Err(Failure(format!(
            "no upstream reference at {}: run `cargo xtask spec import <the vendor's document>` first",
            reference_path.display()
        )));
    }
    let ours = doc::load(&ours_path)?;
    let upstream = doc::load(&reference_path)?;
    println!("spec check: {}", ours_path.display());
    let source = Source::recorded(&upstream)
        .map(|s| format!(" (cut from {}, info.version {})", s.file, s.version))
        .unwrap_or_default();
    println!("   against: {}{source}", reference_path.display());
    let check = check_documents(&ours, &upstream)?;
    print!("{}", render_check(&check));
    if check.passed() {
        println!("spec check: ok: openapi/usage.yaml states every fact of the upstream reference, or marks why not");
        Ok(())
    } else {
        Err(Failure(format!(
            "spec check failed: {}, {}, {} of our own rule",
            count(check.unmarked.len(), "unmarked difference", "unmarked differences"),
            count(check.stale.len(), "stale mark", "stale marks"),
            count(check.policy.len(), "breach", "breaches"),
        )))
    }
}
