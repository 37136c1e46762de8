//! `cargo xtask spec import FILE` and `cargo xtask spec check`: our spec against the vendor's.
//!
//! ThousandEyes' published OpenAPI document is the authority on the API's facts. `import` cuts
//! the Usage API out of it, facts only, into `openapi/upstream/usage.yaml` (the upstream
//! reference) and says what changed against the previous reference. `check` proves that
//! `openapi/usage.yaml`, written in our own words, states every fact of the reference, or marks
//! (see [`marks`]) where it deliberately differs.

pub mod cut;
pub mod diff;
pub mod doc;
pub mod facts;
pub mod marks;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use sha2::{Digest, Sha256};
use yaml_serde::Value;

use self::cut::{Cut, Source};
use self::diff::Difference;
use self::facts::{Fact, Facts, Kind};
use self::marks::Mark;
use crate::{Failure, Result, Workspace};

/// The first lines of the upstream reference.
const REFERENCE_HEADER: &str = "\
# The ThousandEyes Usage API as the vendor's OpenAPI document states it: the paths /usage* and
# /quotas* and every component they reach, facts only (no descriptions, summaries or examples),
# with the unified document's Usage_API_ prefix dropped. x-source names the document it was cut
# from. Written by `cargo xtask spec import FILE`: do not edit. `cargo xtask spec check` proves
# that openapi/usage.yaml states each of these facts, or marks where it deliberately differs.
";

// ---------------------------------------------------------------------------------------------
// import

/// What an import produced.
pub struct Import {
    pub source: Source,
    pub cut: Cut,
    /// The reference file's text.
    pub text: String,
    /// The previous reference's source, when there was one.
    pub previous: Option<Source>,
    /// What changed in the API from the previous reference (nothing when there was none).
    pub changes: Vec<Difference>,
}

/// The source record of a document's bytes.
pub fn source_of(file_name: &str, bytes: &[u8], document: &Value) -> Source {
    let version = doc::get(document, "info").and_then(|i| doc::get(i, "version")).map(doc::scalar);
    Source {
        file: file_name.to_string(),
        version: version.unwrap_or_else(|| "unknown".into()),
        sha256: Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect(),
    }
}

/// The source a reference records in its `x-source`.
pub fn recorded_source(reference: &Value) -> Option<Source> {
    let x = doc::get(reference, "x-source")?;
    let field = |k: &str| doc::get(x, k).map(doc::scalar).unwrap_or_default();
    Some(Source { file: field("file"), version: field("info-version"), sha256: field("sha256") })
}

/// Cuts `document` and compares it with the `previous` reference.
pub fn import_document(document: &Value, source: Source, previous: Option<&Value>) -> Result<Import> {
    let cut = cut::cut(document, &source)?;
    let text = format!(
        "{REFERENCE_HEADER}{}",
        yaml_serde::to_string(&cut.doc).map_err(|e| Failure(format!("writing the reference: {e}")))?
    );
    let new_facts = facts::flatten(&cut.doc)?;
    let (previous_source, changes) = match previous {
        Some(previous) => {
            let old_facts = facts::flatten(previous)?;
            (recorded_source(previous), diff::compare(&new_facts, &old_facts))
        }
        None => (None, Vec::new()),
    };
    Ok(Import { source, cut, text, previous: previous_source, changes })
}

/// `cargo xtask spec import FILE`.
pub fn import(ws: &Workspace, file: &Path) -> Result<()> {
    let file =
        std::fs::canonicalize(file).map_err(|e| Failure(format!("cannot read {}: {e}", file.display())))?;
    let bytes = std::fs::read(&file).map_err(|e| Failure(format!("cannot read {}: {e}", file.display())))?;
    let text = String::from_utf8(bytes.clone())
        .map_err(|_| Failure(format!("{} is not UTF-8 text", file.display())))?;
    let document = doc::parse(&text).map_err(|e| Failure(format!("{}: {}", file.display(), e.0)))?;
    let file_name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let source = source_of(&file_name, &bytes, &document);

    let target = ws.upstream_reference();
    let previous_text = std::fs::read_to_string(&target).ok();
    let previous =
        match &previous_text {
            Some(text) => Some(doc::parse(text).map_err(|e| {
                Failure(format!("{}: {} (delete it to import afresh)", target.display(), e.0))
            })?),
            None => None,
        };
    let import = import_document(&document, source, previous.as_ref())?;
    print!("{}", render_import(&file, &import, previous.is_some()));

    if previous_text.as_deref() == Some(import.text.as_str()) {
        println!("{} is unchanged", target.display());
    } else {
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&target, &import.text)?;
        println!("wrote {}", target.display());
    }
    Ok(())
}

/// What `spec import` prints (but the last line).
pub fn render_import(file: &Path, import: &Import, had_previous: bool) -> String {
    let mut out = String::new();
    let s = &import.source;
    let _ = writeln!(out, "spec import: {}", file.display());
    let _ = writeln!(out, "  source: {}, info.version {}, sha256 {}", s.file, s.version, s.sha256);
    let ops = facts::flatten(&import.cut.doc).map(|f| f.operations().count()).unwrap_or(0);
    let components: Vec<String> = import
        .cut
        .components
        .iter()
        .map(|(kind, n)| {
            let noun = match kind.as_str() {
                "securitySchemes" => "security scheme",
                "requestBodies" => "request body",
                other => other.trim_end_matches('s'),
            };
            let plural = match (*n, noun) {
                (1, _) => String::new(),
                (_, "request body") => "ies".into(),
                _ => "s".into(),
            };
            let noun = if plural == "ies" { "request bod" } else { noun };
            format!("{n} {noun}{plural}")
        })
        .collect();
    let _ = writeln!(
        out,
        "  cut: {ops} operations (paths /usage*, /quotas*), reaching {}{}",
        components.join(", "),
        if import.cut.prefixed { "; prefix Usage_API_ dropped" } else { "" }
    );
    if !import.cut.left_out.is_empty() {
        let list: Vec<String> = import.cut.left_out.iter().map(|(k, n)| format!("{k} ({n})")).collect();
        let _ = writeln!(out, "  left out, not facts this tool keeps: {}", list.join(", "));
    }
    match (&import.previous, had_previous) {
        (Some(p), _) => {
            let _ = writeln!(
                out,
                "  previous reference: {}, info.version {}, sha256 {}",
                p.file, p.version, p.sha256
            );
        }
        (None, true) => {
            let _ = writeln!(out, "  previous reference: (no x-source)");
        }
        (None, false) => {
            let _ = writeln!(out, "  previous reference: none (first import)");
        }
    }
    if had_previous {
        if import.changes.is_empty() {
            let same_source = import.previous.as_ref() == Some(&import.source);
            let _ = writeln!(
                out,
                "  Usage API changes: none{}",
                if same_source { "" } else { " (only the source document changed)" }
            );
        } else {
            let breaking = import.changes.iter().filter(|d| diff::breaking(d)).count();
            let _ = writeln!(out, "  Usage API changes: {} ({breaking} breaking)", import.changes.len());
            for d in &import.changes {
                let tag = if diff::breaking(d) { "BREAKING " } else { "         " };
                let _ = writeln!(out, "    {tag}{}", diff::describe_change(d));
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// check

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
    let differences = diff::compare(&ours_facts, &upstream_facts);
    let mut accepted: Vec<(Mark, Vec<Difference>)> =
        marks::collect(ours)?.into_iter().map(|m| (m, Vec::new())).collect();
    let mut unmarked: Vec<Vec<Difference>> = Vec::new();
    let mut groups: BTreeMap<(String, (String, String, String)), usize> = BTreeMap::new();
    for d in differences {
        let key = diff::mark_key(&d);
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
        let (fact, here, upstream) = diff::mark_key(d);
        let _ = writeln!(out, "UNMARKED {}", diff::describe_difference(d));
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
                "    and {} more place{}: {}{}",
                group.len() - 1,
                if group.len() == 2 { "" } else { "s" },
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
    let source = recorded_source(&upstream)
        .map(|s| format!(" (cut from {}, info.version {})", s.file, s.version))
        .unwrap_or_default();
    println!("   against: {}{source}", reference_path.display());
    let check = check_documents(&ours, &upstream)?;
    print!("{}", render_check(&check));
    if check.passed() {
        println!("spec check: ok: openapi/usage.yaml states every fact of the upstream reference, or marks why not");
        Ok(())
    } else {
        let groups = check.unmarked.len();
        Err(Failure(format!(
            "spec check failed: {groups} unmarked difference{}, {} stale mark{}, {} breach{} of our own rule",
            if groups == 1 { "" } else { "s" },
            check.stale.len(),
            if check.stale.len() == 1 { "" } else { "s" },
            check.policy.len(),
            if check.policy.len() == 1 { "" } else { "es" },
        )))
    }
}
