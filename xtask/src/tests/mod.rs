//! Unit tests of xtask. The ThousandEyes documents in `../shared/upstream/` (beside the checkout)
//! are read when present; the tests that need them say so and pass without them.

mod codegen;
mod release;
mod spec_check;
mod spec_cut;
mod spec_import;
mod tools;
mod workspace;

use std::path::PathBuf;
use std::sync::OnceLock;

use yaml_serde::Value;

use crate::spec::doc;

/// The checkout these tests were built from.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask is in the workspace").to_path_buf()
}

/// A vendor document of `../shared/upstream/`, parsed once, with its bytes; `None` (and a note)
/// when this machine has no copy.
pub fn vendor(version: &str) -> Option<&'static (Vec<u8>, Value)> {
    /// Each version with its bytes and parsed document, when present.
    type Loaded = Vec<(String, Option<(Vec<u8>, Value)>)>;
    static DOCS: OnceLock<Loaded> = OnceLock::new();
    let docs = DOCS.get_or_init(|| {
        ["7.0.85", "7.0.100"]
            .iter()
            .map(|v| {
                let path = root().join(format!("../shared/upstream/thousandeyes-api-{v}.yaml"));
                let loaded = std::fs::read(&path).ok().map(|bytes| {
                    let text = String::from_utf8(bytes.clone()).expect("UTF-8");
                    let value = doc::parse(&text).expect("the vendor's document parses");
                    (bytes, value)
                });
                (v.to_string(), loaded)
            })
            .collect()
    });
    let found = docs.iter().find(|(v, _)| v == version).and_then(|(_, d)| d.as_ref());
    if found.is_none() {
        eprintln!(
            "note: ../shared/upstream/thousandeyes-api-{version}.yaml is not here; skipping what needs it"
        );
    }
    found
}

/// Our spec, parsed.
pub fn ours() -> Value {
    doc::load(&root().join("openapi/usage.yaml")).expect("openapi/usage.yaml parses")
}

/// The committed upstream reference, parsed.
pub fn reference() -> Value {
    doc::load(&root().join("openapi/upstream/usage.yaml")).expect("openapi/upstream/usage.yaml parses")
}

/// The mapping at `path` below `value`, to change a document in a test.
pub fn at<'a>(value: &'a mut Value, path: &[&str]) -> &'a mut Value {
    let mut node = value;
    for key in path {
        node = match node {
            Value::Mapping(map) => map.get_mut(*key).unwrap_or_else(|| panic!("no {key} in {path:?}")),
            Value::Sequence(seq) => &mut seq[key.parse::<usize>().expect("an index")],
            _ => panic!("{key} of {path:?} is not in a mapping"),
        };
    }
    node
}

/// Every key anywhere in `value`.
pub fn all_keys(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Mapping(map) => {
            for (k, v) in map {
                out.push(doc::scalar(k));
                all_keys(v, out);
            }
        }
        Value::Sequence(seq) => seq.iter().for_each(|v| all_keys(v, out)),
        _ => {}
    }
}
