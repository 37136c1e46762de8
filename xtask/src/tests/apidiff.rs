//! The generated API's changes, item by item, docs left out.

use std::fs;

use crate::apidiff::{compare_items, compare_trees, items_of_source};

const OLD: &str = r#"
//! Models.
use serde::{Deserialize, Serialize};

/// A usage.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Usage {
    /// Units.
    #[serde(rename = "units")]
    pub units: Option<i32>,
    pub gone: String,
}

pub enum Kind { Test, Agent }

pub trait Operation { const ACCEPT: &'static str; }
pub struct GetUsage;
impl Operation for GetUsage {
    const ACCEPT: &'static str = "application/hal+json, application/json";
}
pub fn urlencode(s: &str) -> String { s.to_string() }
"#;

const NEW: &str = r#"
//! Models, regenerated.
use serde::{Deserialize, Serialize};

/// A usage, described anew.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Usage {
    // a plain comment
    #[serde(rename = "unitsUsed")]
    pub units: Option<i64>,
    pub added: bool,
}

pub enum Kind { Test, Agent, Endpoint }

pub trait Operation { const ACCEPT: &'static str; }
pub struct GetUsage;
impl Operation for GetUsage {
    const ACCEPT: &'static str = "application/hal+json";
}
pub struct New;
"#;

#[test]
fn types_fields_variants_functions_consts_and_impls_are_compared() {
    let old = items_of_source("models", OLD).unwrap();
    let new = items_of_source("models", NEW).unwrap();
    assert_eq!(
        compare_items(&old, &new),
        [
            "~ enum models::Kind: + variant Endpoint",
            "- fn models::urlencode",
            "~ impl Operation for GetUsage (in models): const ACCEPT: \"application/hal+json, application/json\" → \"application/hal+json\"",
            "+ struct models::New",
            "~ struct models::Usage: + field added",
            "~ struct models::Usage: - field gone",
            "~ struct models::Usage: field units: pub units: Option<i32> → pub units: Option<i64>",
            "~ struct models::Usage: field units attributes: #[serde(rename = \"units\")] → #[serde(rename = \"unitsUsed\")]",
        ]
    );
}

#[test]
fn comments_and_docs_are_not_api_changes() {
    let docs_changed =
        OLD.replace("/// A usage.", "/// Another text.\n// and a comment").replace("//! Models.", "");
    let old = items_of_source("models", OLD).unwrap();
    let new = items_of_source("models", &docs_changed).unwrap();
    assert!(compare_items(&old, &new).is_empty());
}

#[test]
fn trees_say_which_files_differ_only_in_comments_or_docs() {
    let base = std::env::temp_dir().join(format!("xtask-apidiff-{}", std::process::id()));
    let (old, new) = (base.join("old"), base.join("new"));
    for dir in [&old, &new] {
        fs::create_dir_all(dir.join("src/models")).unwrap();
    }
    fs::write(old.join("src/lib.rs"), "pub mod models;\n").unwrap();
    fs::write(new.join("src/lib.rs"), "pub mod models;\n").unwrap();
    fs::write(old.join("src/models/usage.rs"), OLD).unwrap();
    fs::write(new.join("src/models/usage.rs"), format!("{OLD}// edited by hand\n")).unwrap();
    fs::write(old.join("src/models/kind.rs"), "pub struct K(pub i32);\n").unwrap();
    fs::write(new.join("src/models/kind.rs"), "pub struct K(pub i64);\n").unwrap();
    fs::write(old.join("README.md"), "a").unwrap();
    fs::write(new.join("README.md"), "b").unwrap();
    let differing: Vec<String> =
        ["README.md", "src/models/kind.rs", "src/models/usage.rs"].iter().map(|s| s.to_string()).collect();
    let diff = compare_trees(&old, &new, &differing);
    fs::remove_dir_all(&base).unwrap();
    assert_eq!(diff.changes, ["~ struct models::kind::K: field 0: pub 0: i32 → pub 0: i64"]);
    assert_eq!(diff.doc_only, ["src/models/usage.rs"]);
    assert_eq!(diff.other, ["README.md"]);
    let text = diff.render("regenerating would change");
    assert!(
        text.contains("1 file differs only in comments or docs: generated/src/models/usage.rs"),
        "{text}"
    );
}

#[test]
fn identical_trees_have_no_api_change() {
    let old = items_of_source("models", OLD).unwrap();
    assert!(compare_items(&old, &old.clone()).is_empty());
    let diff = crate::apidiff::ApiDiff::default();
    assert_eq!(diff.render("regenerating changed"), "  regenerating changed the generated API: nothing\n");
}

#[test]
fn a_long_changed_value_shows_where_it_changed() {
    let list = |extra: &str| {
        let names: Vec<String> = (0..30).map(|i| format!("\"name-{i}\"")).collect();
        format!("pub const NAMES: &[&str] = &[{}{extra}];", names.join(", "))
    };
    let old = items_of_source("models", &list("")).unwrap();
    let new = items_of_source("models", &list(", \"cloud-agent\"")).unwrap();
    let lines = compare_items(&old, &new);
    assert_eq!(lines.len(), 1);
    assert!(lines[0].starts_with("~ const models::NAMES: value: …"), "{lines:?}");
    assert!(lines[0].contains("\"name-29\"] → …"), "{lines:?}");
    assert!(lines[0].ends_with("\"name-29\", \"cloud-agent\"]"), "{lines:?}");
}
