//! The public API listing, rendered from small rustdoc JSON documents (format 57's shape).

use serde_json::{json, Value};

use crate::public_api::render;

/// An item of the index.
fn item(id: u32, name: Option<&str>, visibility: &str, attrs: Value, inner: Value) -> (String, Value) {
    let item = json!({
        "id": id, "crate_id": 0, "name": name, "visibility": visibility, "attrs": attrs,
        "docs": null, "links": {}, "deprecation": null, "inner": inner,
    });
    (id.to_string(), item)
}

/// A path to a type or trait, with its generic arguments (types).
fn path(name: &str, args: &[Value]) -> Value {
    let args = if args.is_empty() {
        Value::Null
    } else {
        json!({ "angle_bracketed": { "args": args.iter().map(|t| json!({ "type": t })).collect::<Vec<_>>(), "constraints": [] } })
    };
    json!({ "path": name, "id": 999, "args": args })
}

fn resolved(name: &str, args: &[Value]) -> Value {
    json!({ "resolved_path": path(name, args) })
}

fn generic(name: &str) -> Value {
    json!({ "generic": name })
}

/// `T: Bound + Bound` as a where-predicate.
fn predicate(ty: &str, bounds: &[&str]) -> Value {
    let bounds: Vec<Value> = bounds
        .iter()
        .map(
            |b| json!({ "trait_bound": { "trait": path(b, &[]), "generic_params": [], "modifier": "none" } }),
        )
        .collect();
    json!({ "bound_predicate": { "type": generic(ty), "bounds": bounds, "generic_params": [] } })
}

/// `<T>` (no bounds) as an implementation's or a type's parameters.
fn params_t(predicates: Vec<Value>) -> Value {
    json!({
        "params": [{ "name": "T", "kind": { "type": { "bounds": [], "default": null, "is_synthetic": false } } }],
        "where_predicates": predicates,
    })
}

fn no_generics() -> Value {
    json!({ "params": [], "where_predicates": [] })
}

/// An implementation of `tr` for `for_`.
fn imp(
    id: u32,
    tr: &str,
    for_: Value,
    generics: Value,
    synthetic: bool,
    negative: bool,
    blanket: bool,
) -> (String, Value) {
    let inner = json!({ "impl": {
        "is_unsafe": false, "generics": generics, "provided_trait_methods": [],
        "trait": path(tr, &[]), "for": for_, "items": [], "is_negative": negative,
        "is_synthetic": synthetic, "blanket_impl": if blanket { generic("T") } else { Value::Null },
    }});
    item(id, None, "default", json!([]), inner)
}

fn field(id: u32, name: &str, visibility: &str, ty: Value) -> (String, Value) {
    item(id, Some(name), visibility, json!([]), json!({ "struct_field": ty }))
}

/// A crate `demo` with an enum `Error` (struct, tuple and unit variants), a generic struct
/// `Pages<T>`, a struct with a private field and a tuple struct, with auto-trait, blanket and
/// written implementations.
fn fixture() -> Value {
    let string = resolved("String", &[]);
    let error_ty = resolved("Error", &[]);
    let pages_ty = resolved("Pages", &[generic("T")]);
    let items = vec![
        item(
            0,
            Some("demo"),
            "public",
            json!([]),
            json!({ "module": { "is_crate": true, "items": [1, 10, 20, 30], "is_stripped": false } }),
        ),
        item(
            1,
            Some("Error"),
            "public",
            json!(["non_exhaustive"]),
            json!({ "enum": {
                "generics": no_generics(), "has_stripped_variants": false, "variants": [2, 3, 4],
                "impls": [50, 51, 52, 53, 54, 55],
            }}),
        ),
        item(
            2,
            Some("Pagination"),
            "default",
            json!(["non_exhaustive"]),
            json!({ "variant": { "kind": { "struct": { "fields": [5, 6], "has_stripped_fields": false } }, "discriminant": null } }),
        ),
        item(
            3,
            Some("Api"),
            "default",
            json!([]),
            json!({ "variant": { "kind": { "tuple": [7] }, "discriminant": null } }),
        ),
        item(
            4,
            Some("Closed"),
            "default",
            json!([]),
            json!({ "variant": { "kind": "plain", "discriminant": null } }),
        ),
        field(5, "cursor", "default", string.clone()),
        field(6, "pages", "default", json!({ "primitive": "usize" })),
        field(7, "0", "default", resolved("Box", &[resolved("ApiError", &[])])),
        imp(50, "Send", error_ty.clone(), no_generics(), true, false, false),
        imp(51, "UnwindSafe", error_ty.clone(), no_generics(), true, true, false),
        // Unstable auto traits and blanket implementations are left out.
        imp(52, "Freeze", error_ty.clone(), no_generics(), true, false, false),
        imp(53, "From", generic("T"), params_t(vec![]), false, false, true),
        imp(54, "Debug", error_ty.clone(), no_generics(), false, false, false),
        imp(55, "StructuralPartialEq", error_ty, no_generics(), false, false, false),
        item(
            10,
            Some("Pages"),
            "public",
            json!([]),
            json!({ "struct": {
                "kind": { "plain": { "fields": [], "has_stripped_fields": true } },
                "generics": params_t(vec![]), "impls": [60, 61, 62, 63, 64],
            }}),
        ),
        imp(60, "Send", pages_ty.clone(), params_t(vec![predicate("T", &["Send"])]), true, false, false),
        // The compiler's bounds in no particular order: listed sorted.
        imp(
            61,
            "Sync",
            pages_ty.clone(),
            params_t(vec![predicate("T", &["Sync", "Send"])]),
            true,
            false,
            false,
        ),
        imp(62, "Unpin", pages_ty.clone(), params_t(vec![]), true, true, false),
        imp(
            63,
            "Clone",
            pages_ty.clone(),
            json!({
                "params": [{ "name": "T", "kind": { "type": {
                    "bounds": [{ "trait_bound": { "trait": path("$crate::clone::Clone", &[]), "generic_params": [], "modifier": "none" } }],
                    "default": null, "is_synthetic": false,
                } } }],
                "where_predicates": [],
            }),
            false,
            false,
            false,
        ),
        imp(64, "Any", generic("T"), params_t(vec![predicate("T", &["'static"])]), false, false, true),
        item(
            20,
            Some("Stats"),
            "public",
            // rustdoc before format 54 wrote an attribute as its source text.
            json!(["#[non_exhaustive]"]),
            json!({ "struct": {
                "kind": { "plain": { "fields": [21, 22], "has_stripped_fields": false } },
                "generics": no_generics(), "impls": [],
            }}),
        ),
        field(21, "sent", "public", json!({ "primitive": "u64" })),
        field(22, "secret", "crate", string.clone()),
        item(
            30,
            Some("Cursor"),
            "public",
            json!([]),
            json!({ "struct": { "kind": { "tuple": [31, null] }, "generics": no_generics(), "impls": [] } }),
        ),
        field(31, "0", "public", string),
    ];
    json!({
        "root": 0, "crate_version": null, "includes_private": false, "format_version": 57,
        "index": items.into_iter().collect::<serde_json::Map<String, Value>>(), "paths": {}, "external_crates": {},
    })
}

fn lines(doc: &Value) -> Vec<String> {
    render(doc, "demo").unwrap().lines().map(String::from).collect()
}

#[test]
fn the_listing_of_the_fixture() {
    assert_eq!(
        lines(&fixture()),
        [
            "#[non_exhaustive] pub enum demo::Error",
            "#[non_exhaustive] pub struct demo::Stats",
            "#[non_exhaustive] variant demo::Error::Pagination",
            "impl !UnwindSafe for demo::Error",
            "impl Debug for demo::Error",
            "impl Send for demo::Error",
            "impl<T: Clone> Clone for demo::Pages<T>",
            "impl<T> !Unpin for demo::Pages<T>",
            "impl<T> Send for demo::Pages<T> where T: Send",
            "impl<T> Sync for demo::Pages<T> where T: Send + Sync",
            "pub field demo::Cursor::0: String",
            "pub field demo::Error::Api::0: Box<ApiError>",
            "pub field demo::Error::Pagination::cursor: String",
            "pub field demo::Error::Pagination::pages: usize",
            "pub field demo::Stats::sent: u64",
            "pub struct demo::Cursor",
            "pub struct demo::Pages<T>",
            "variant demo::Error::Api",
            "variant demo::Error::Closed",
        ]
    );
}

#[test]
fn a_variant_field_renamed_or_retyped_changes_the_listing() {
    let before = lines(&fixture());
    let mut doc = fixture();
    doc["index"]["5"]["name"] = json!("next");
    doc["index"]["6"]["inner"]["struct_field"] = json!({ "primitive": "u32" });
    let after = lines(&doc);
    let gone: Vec<&String> = before.iter().filter(|l| !after.contains(l)).collect();
    let new: Vec<&String> = after.iter().filter(|l| !before.contains(l)).collect();
    assert_eq!(
        gone,
        [
            "pub field demo::Error::Pagination::cursor: String",
            "pub field demo::Error::Pagination::pages: usize"
        ]
    );
    assert_eq!(
        new,
        ["pub field demo::Error::Pagination::next: String", "pub field demo::Error::Pagination::pages: u32"]
    );
}

#[test]
fn losing_an_auto_trait_changes_the_listing() {
    let mut doc = fixture();
    doc["index"]["50"]["inner"]["impl"]["is_negative"] = json!(true);
    let after = lines(&doc);
    assert!(after.contains(&"impl !Send for demo::Error".to_string()), "{after:#?}");
    assert!(!after.contains(&"impl Send for demo::Error".to_string()));
}

#[test]
fn the_listing_is_sorted_and_does_not_depend_on_rustdocs_order() {
    let doc = fixture();
    let listing = lines(&doc);
    let mut sorted = listing.clone();
    sorted.sort();
    assert_eq!(listing, sorted);

    // Implementations, variants, fields and where-predicates in another order: the same listing.
    let mut shuffled = doc.clone();
    for list in ["/index/1/inner/enum/impls", "/index/1/inner/enum/variants", "/index/10/inner/struct/impls"]
    {
        shuffled.pointer_mut(list).unwrap().as_array_mut().unwrap().reverse();
    }
    shuffled
        .pointer_mut("/index/2/inner/variant/kind/struct/fields")
        .unwrap()
        .as_array_mut()
        .unwrap()
        .reverse();
    let where_61 = shuffled.pointer_mut("/index/61/inner/impl/generics/where_predicates").unwrap();
    *where_61 = json!([predicate("T", &["Send", "Sync"])]);
    assert_eq!(lines(&shuffled), listing);
}
