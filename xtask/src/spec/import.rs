//! `cargo xtask spec import FILE`: the Usage API cut out of ThousandEyes' OpenAPI document
//! (see [`cut`]) into the upstream reference `openapi/upstream/usage.yaml`, and what
//! changed in the API against the previous reference.

use std::fmt::Write as _;
use std::path::Path;

use sha2::{Digest, Sha256};
use yaml_serde::Value;

use super::cut::{self, Cut, Source};
use super::diff::compare::{self, Difference};
use super::diff::{classify, render};
use super::{doc, facts};
use crate::{count, Failure, Result, Workspace};

/// The first lines of the upstream reference.
const REFERENCE_HEADER: &str = "\
# The ThousandEyes Usage API as the vendor's OpenAPI document states it: the paths /usage* and
# /quotas* and every component they reach, facts only (no descriptions, summaries or examples),
# with the unified document's Usage_API_ prefix dropped. x-source names the document it was cut
# from. Written by `cargo xtask spec import FILE`: do not edit. `cargo xtask spec check` proves
# that openapi/usage.yaml states each of these facts, or marks where it deliberately differs.
";

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
            (Source::recorded(previous), compare::differences(&new_facts, &old_facts))
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
            let (one, many) = match kind.as_str() {
                "securitySchemes" => ("security scheme", "security schemes"),
                "requestBodies" => ("request body", "request bodies"),
                other => (other.trim_end_matches('s'), other),
            };
            count(*n, one, many)
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
            let breaking = import.changes.iter().filter(|d| classify::breaking(d)).count();
            let _ = writeln!(out, "  Usage API changes: {} ({breaking} breaking)", import.changes.len());
            for line in render::change_lines(&import.changes) {
                let _ = writeln!(out, "    {line}");
            }
            let _ = writeln!(
                out,
                "  CHANGELOG entry, ready to paste under \"## [Unreleased]\" in CHANGELOG.md once \
                 openapi/usage.yaml and generated/ follow (leave out what you mark as a deviation):"
            );
            out.push_str(&render::changelog_entry(&import.changes, &import.source.version));
        }
    }
    out
}
