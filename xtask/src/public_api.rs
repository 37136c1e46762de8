//! `cargo xtask public-api [--check]`: the public surface of each published crate, one item per
//! line, from rustdoc's JSON output, written to `public-api/<crate>.txt`; `--check` fails,
//! showing the lines that differ, when the committed listing is not the surface of the code.
//!
//! rustdoc's JSON output is unstable, so it is asked for with `RUSTC_BOOTSTRAP=1` on the stable
//! toolchain (the only one here); the listing reads it as plain JSON, not through a crate tied to
//! one format version. Each line is `kind path` with the signature where there is one: what a
//! user can name and call, with `#[non_exhaustive]` where it stands (structs, enums, variants).
//! Fields are listed with their types: a struct's public ones and every variant's (named or
//! tuple). Trait implementations are listed with their generics and bounds: those written in the
//! code (`Clone`, `Debug`, `Stream`, ...) and the stable auto traits the compiler implements, or
//! does not (`impl<T> Send for Pages<T>`, `impl !UnwindSafe for Error`); blanket implementations
//! (`impl<T> From<T> for T`, `Any`, `Borrow`, ...) are left out.

use std::collections::BTreeSet;
use std::fs;
use std::path::PathBuf;
use std::process::Command;

use serde_json::{Map, Value};

use crate::{Failure, Result, Workspace};

/// The crates whose surface is listed: every crate the project publishes.
pub const CRATES: &[(&str, &str)] = &[
    ("thousandeyes-usage", "thousandeyes_usage"),
    ("thousandeyes-usage-generated", "thousandeyes_usage_generated"),
    ("thousandeyes-usage-fake", "thousandeyes_usage_fake"),
];

/// The auto traits whose implementations (and non-implementations) are listed: the stable ones
/// users bound on. `Freeze` and `UnsafeUnpin`, which rustdoc also reports, are unstable, and
/// the listing should not change with the toolchain that adds such traits.
pub const AUTO_TRAITS: &[&str] = &["RefUnwindSafe", "Send", "Sync", "Unpin", "UnwindSafe"];

/// Writes (or, with `check`, compares) the listings.
pub fn public_api(ws: &Workspace, check: bool) -> Result<()> {
    let dir = ws.root.join("public-api");
    fs::create_dir_all(&dir)?;
    let mut stale = Vec::new();
    for (package, lib) in CRATES {
        let listing = listing(ws, package, lib)?;
        let path = dir.join(format!("{package}.txt"));
        let committed = fs::read_to_string(&path).unwrap_or_default();
        if committed == listing {
            println!(
                "public API of {package}: {} items, unchanged ({})",
                listing.lines().count(),
                path.display()
            );
            continue;
        }
        let diff = line_diff(&committed, &listing);
        if check {
            stale.push(format!("{package} ({}):\n{diff}", path.display()));
        } else {
            fs::write(&path, &listing)?;
            println!("public API of {package} changed, written to {}:\n{diff}", path.display());
        }
    }
    if stale.is_empty() {
        Ok(())
    } else {
        Err(Failure(format!(
            "the public API differs from the committed listing (+ new, - gone):\n{}\n\
             If the change is intended, run `cargo xtask public-api` and commit public-api/.",
            stale.join("\n")
        )))
    }
}

/// The lines only in `old` (`-`) or only in `new` (`+`).
fn line_diff(old: &str, new: &str) -> String {
    let old: BTreeSet<&str> = old.lines().collect();
    let new: BTreeSet<&str> = new.lines().collect();
    let mut out = Vec::new();
    out.extend(old.difference(&new).map(|l| format!("  - {l}")));
    out.extend(new.difference(&old).map(|l| format!("  + {l}")));
    out.join("\n")
}

/// The listing of one crate: rustdoc JSON, walked from the crate root.
fn listing(ws: &Workspace, package: &str, lib: &str) -> Result<String> {
    let target = target_dir(ws)?;
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(&ws.root)
        .env("RUSTC_BOOTSTRAP", "1")
        .args(["rustdoc", "--quiet", "--package", package, "--lib", "--target-dir"])
        .arg(&target)
        .args(["--", "-Zunstable-options", "--output-format", "json", "--cap-lints", "allow"])
        .status()
        .map_err(|e| Failure(format!("could not run cargo rustdoc: {e}")))?;
    if !status.success() {
        return Err(Failure(format!("cargo rustdoc --package {package} failed ({status})")));
    }
    let path: PathBuf = target.join("doc").join(format!("{lib}.json"));
    let text = fs::read_to_string(&path).map_err(|e| Failure(format!("reading {}: {e}", path.display())))?;
    let doc: Value = serde_json::from_str(&text).map_err(|e| Failure(format!("{}: {e}", path.display())))?;
    render(&doc, lib)
}

/// Where rustdoc's JSON is built: `public-api/` in cargo's target directory (`$CARGO_TARGET_DIR`
/// when set, read as cargo reads it, else the workspace's `target/`), apart from the ordinary
/// build, whose flags differ.
fn target_dir(ws: &Workspace) -> Result<PathBuf> {
    Ok(match std::env::var_os("CARGO_TARGET_DIR").filter(|dir| !dir.is_empty()) {
        Some(dir) => std::env::current_dir()?.join(dir).join("public-api"),
        None => ws.root.join("target/public-api"),
    })
}

/// The listing of the crate `lib` whose rustdoc JSON is `doc`: one line per public item, sorted.
pub(crate) fn render(doc: &Value, lib: &str) -> Result<String> {
    let mut lines = BTreeSet::new();
    Lister { doc, lines: &mut lines }.module(root_id(doc)?, lib);
    let mut out: Vec<String> = lines.into_iter().collect();
    out.push(String::new());
    Ok(out.join("\n"))
}

fn root_id(doc: &Value) -> Result<String> {
    doc.get("root").map(id_key).ok_or_else(|| Failure("rustdoc JSON without a root".into()))
}

/// An id as the index's key.
fn id_key(id: &Value) -> String {
    match id {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

struct Lister<'a> {
    doc: &'a Value,
    lines: &'a mut BTreeSet<String>,
}

impl Lister<'_> {
    fn item(&self, id: &str) -> Option<&Value> {
        self.doc.get("index")?.get(id)
    }

    fn public(item: &Value) -> bool {
        item.get("visibility").and_then(Value::as_str) == Some("public")
    }

    /// The item's kind and its inner object.
    fn inner(item: &Value) -> Option<(&str, &Value)> {
        item.get("inner")?.as_object()?.iter().next().map(|(k, v)| (k.as_str(), v))
    }

    fn module(&mut self, id: String, path: &str) {
        let Some(module) = self.item(&id).cloned() else { return };
        let Some(("module", inner)) = Self::inner(&module) else { return };
        for child in inner.get("items").and_then(Value::as_array).into_iter().flatten() {
            let Some(item) = self.item(&id_key(child)).cloned() else { continue };
            if !Self::public(&item) {
                continue;
            }
            self.named(&item, path, None);
        }
    }

    /// An item reachable at `path::name` (`name` overrides the item's own, for re-exports).
    fn named(&mut self, item: &Value, path: &str, name: Option<&str>) {
        let Some((kind, inner)) = Self::inner(item) else { return };
        let name = name.or_else(|| item.get("name").and_then(Value::as_str)).unwrap_or("_");
        let here = format!("{path}::{name}");
        match kind {
            "module" => {
                self.lines.insert(format!("pub mod {here}"));
                self.module(id_key(&item["id"]), &here);
            }
            "use" => {
                let source = inner.get("source").and_then(Value::as_str).unwrap_or("?");
                let target = inner.get("id").filter(|v| !v.is_null()).map(id_key);
                let glob = inner.get("is_glob").and_then(Value::as_bool).unwrap_or(false);
                match target.and_then(|t| self.item(&t).cloned()) {
                    Some(target) if glob => {
                        // A glob of a module documented here: its items belong to this path.
                        if let Some(("module", _)) = Self::inner(&target) {
                            self.module(id_key(&target["id"]), path);
                        }
                    }
                    Some(target) => {
                        let alias = inner.get("name").and_then(Value::as_str);
                        self.named(&target, path, alias);
                    }
                    None if glob => {
                        self.lines.insert(format!("pub use {path}::* (every public item of {source})"));
                    }
                    None => {
                        self.lines.insert(format!("pub use {here} (= {source})"));
                    }
                }
            }
            "struct" => {
                let attrs = Self::attrs(item);
                self.lines
                    .insert(format!("{attrs}pub struct {here}{}", self.generics(inner.get("generics"))));
                // A struct's fields are listed when public (`pub`), a variant's always.
                self.fields(inner.get("kind"), &here, true);
                self.impls(inner, &here);
            }
            "enum" => {
                let attrs = Self::attrs(item);
                self.lines.insert(format!("{attrs}pub enum {here}{}", self.generics(inner.get("generics"))));
                for variant in inner.get("variants").and_then(Value::as_array).into_iter().flatten() {
                    let Some(v) = self.item(&id_key(variant)).cloned() else { continue };
                    let vname = v.get("name").and_then(Value::as_str).unwrap_or("_");
                    let attrs = Self::attrs(&v);
                    let path = format!("{here}::{vname}");
                    self.lines.insert(format!("{attrs}variant {path}"));
                    self.fields(v.pointer("/inner/variant/kind"), &path, false);
                }
                self.impls(inner, &here);
            }
            "function" => {
                let line = self.function(&here, inner);
                self.lines.insert(line);
            }
            "constant" => {
                let ty = inner.get("type").map(|t| self.ty(t)).unwrap_or_default();
                self.lines.insert(format!("pub const {here}: {ty}"));
            }
            "static" => {
                let ty = inner.get("type").map(|t| self.ty(t)).unwrap_or_default();
                self.lines.insert(format!("pub static {here}: {ty}"));
            }
            "type_alias" => {
                let ty = inner.get("type").map(|t| self.ty(t)).unwrap_or_default();
                self.lines.insert(format!("pub type {here} = {ty}"));
            }
            "trait" => {
                self.lines.insert(format!("pub trait {here}"));
                for child in inner.get("items").and_then(Value::as_array).into_iter().flatten() {
                    let Some(item) = self.item(&id_key(child)).cloned() else { continue };
                    self.member(&item, &here);
                }
            }
            "macro" => {
                self.lines.insert(format!("pub macro {here}!"));
            }
            other => {
                self.lines.insert(format!("pub {other} {here}"));
            }
        }
    }

    /// The attributes of an item that are part of its contract, as a prefix of its line:
    /// `#[non_exhaustive] ` (on structs, enums and variants alike), else nothing.
    fn attrs(item: &Value) -> &'static str {
        let non_exhaustive =
            item.get("attrs").and_then(Value::as_array).into_iter().flatten().any(|a| match a {
                // `"non_exhaustive"` (format 57 here); older formats: the source text, `"#[non_exhaustive]"`.
                Value::String(s) => s == "non_exhaustive" || s.replace(' ', "") == "#[non_exhaustive]",
                Value::Object(o) => o.contains_key("non_exhaustive"),
                _ => false,
            });
        if non_exhaustive {
            "#[non_exhaustive] "
        } else {
            ""
        }
    }

    /// The fields of a struct's or variant's `kind` at `here`, each with its type: named ones
    /// (`here::name`) and tuple ones (`here::0`). With `only_pub`, those not `pub` are left out (a
    /// variant's fields have no visibility of their own: they are as public as the enum).
    fn fields(&mut self, kind: Option<&Value>, here: &str, only_pub: bool) {
        let Some(kind) = kind else { return };
        let ids = kind
            .pointer("/plain/fields")
            .or_else(|| kind.pointer("/struct/fields"))
            .or_else(|| kind.get("tuple"))
            .and_then(Value::as_array);
        // A tuple's fields hidden from the documentation are `null`.
        for id in ids.into_iter().flatten().filter(|id| !id.is_null()) {
            let Some(field) = self.item(&id_key(id)).cloned() else { continue };
            if only_pub && !Self::public(&field) {
                continue;
            }
            let ty = field.pointer("/inner/struct_field").map(|t| self.ty(t)).unwrap_or_default();
            let fname = field.get("name").and_then(Value::as_str).unwrap_or("_");
            self.lines.insert(format!("pub field {here}::{fname}: {ty}"));
        }
    }

    /// The implementations of a struct or enum at `here`: inherent methods and constants, the
    /// traits it implements, and the auto traits of [`AUTO_TRAITS`] the compiler implements for it
    /// (or, `!Trait`, not); not blanket implementations (`impl<T> From<T> for T`, `Any`, ...).
    fn impls(&mut self, inner: &Value, here: &str) {
        for id in inner.get("impls").and_then(Value::as_array).into_iter().flatten() {
            let Some(block) = self.item(&id_key(id)).cloned() else { continue };
            let Some(("impl", imp)) = Self::inner(&block) else { continue };
            if imp.get("blanket_impl").is_some_and(|b| !b.is_null()) {
                continue;
            }
            let synthetic = imp.get("is_synthetic").and_then(Value::as_bool).unwrap_or(false);
            match imp.get("trait").filter(|t| !t.is_null()) {
                Some(tr) if synthetic => {
                    let name = tr.get("path").and_then(Value::as_str).unwrap_or("?");
                    let last = name.rsplit("::").next().unwrap_or(name);
                    if AUTO_TRAITS.contains(&last) {
                        let line = self.trait_impl(imp, tr, here, true);
                        self.lines.insert(line);
                    }
                }
                // A synthetic implementation is always of a trait; nothing else to list.
                None if synthetic => {}
                Some(tr) => {
                    // The compiler's marker behind derived PartialEq: not something users name.
                    if tr.get("path").and_then(Value::as_str) != Some("StructuralPartialEq") {
                        let line = self.trait_impl(imp, tr, here, false);
                        self.lines.insert(line);
                    }
                }
                None => {
                    for child in imp.get("items").and_then(Value::as_array).into_iter().flatten() {
                        let Some(item) = self.item(&id_key(child)).cloned() else { continue };
                        if Self::public(&item) {
                            self.member(&item, here);
                        }
                    }
                }
            }
        }
    }

    /// The line of a trait implementation for the type at `here`: `impl<T> Trait for here<T> where
    /// T: Bound` (`!Trait` for a negative one). An auto trait's bounds are the compiler's, in no
    /// order of the source: they are sorted, so the line does not depend on rustdoc's order.
    fn trait_impl(&self, imp: &Value, tr: &Value, here: &str, sort_bounds: bool) -> String {
        let generics = imp.get("generics");
        let negative =
            if imp.get("is_negative").and_then(Value::as_bool).unwrap_or(false) { "!" } else { "" };
        let args = self.args(imp.pointer("/for/resolved_path/args"));
        let mut preds = self.predicates(generics, sort_bounds);
        if sort_bounds {
            preds.sort();
        }
        let bounds = if preds.is_empty() { String::new() } else { format!(" where {}", preds.join(", ")) };
        format!("impl{} {negative}{} for {here}{args}{bounds}", self.generics(generics), self.path(tr))
    }

    /// A method, associated constant or type of `here`.
    fn member(&mut self, item: &Value, here: &str) {
        let name = item.get("name").and_then(Value::as_str).unwrap_or("_");
        match Self::inner(item) {
            Some(("function", f)) => {
                let line = self.function(&format!("{here}::{name}"), f);
                self.lines.insert(line);
            }
            Some(("assoc_const", c)) => {
                let ty = c.get("type").map(|t| self.ty(t)).unwrap_or_default();
                self.lines.insert(format!("pub const {here}::{name}: {ty}"));
            }
            Some(("assoc_type", _)) => {
                self.lines.insert(format!("pub type {here}::{name}"));
            }
            Some((other, _)) => {
                self.lines.insert(format!("pub {other} {here}::{name}"));
            }
            None => {}
        }
    }

    /// The line of a function at `here`: qualifiers, generics, parameters, result, bounds.
    fn function(&self, here: &str, f: &Value) -> String {
        let header = f.get("header");
        let flag = |name: &str| header.and_then(|h| h.get(name)).and_then(Value::as_bool).unwrap_or(false);
        let mut prefix = String::new();
        if flag("is_const") {
            prefix.push_str("const ");
        }
        if flag("is_async") {
            prefix.push_str("async ");
        }
        if flag("is_unsafe") {
            prefix.push_str("unsafe ");
        }
        let inputs: Vec<String> = f
            .pointer("/sig/inputs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|pair| {
                let name = pair.get(0).and_then(Value::as_str).unwrap_or("_");
                let ty = pair.get(1).map(|t| self.ty(t)).unwrap_or_default();
                if name == "self" {
                    match ty.as_str() {
                        "Self" => "self".to_string(),
                        "&Self" => "&self".to_string(),
                        "&mut Self" => "&mut self".to_string(),
                        other => format!("self: {other}"),
                    }
                } else {
                    format!("{name}: {ty}")
                }
            })
            .collect();
        let output = f
            .pointer("/sig/output")
            .filter(|o| !o.is_null())
            .map(|o| format!(" -> {}", self.ty(o)))
            .unwrap_or_default();
        let generics = self.generics(f.get("generics"));
        let bounds = self.where_clause(f.get("generics"));
        format!("pub {prefix}fn {here}{generics}({}){output}{bounds}", inputs.join(", "))
    }

    /// `<T: Bound, ...>` of the explicit (not synthetic) generic parameters.
    fn generics(&self, generics: Option<&Value>) -> String {
        let params: Vec<String> = generics
            .and_then(|g| g.get("params"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|p| {
                let name = p.get("name").and_then(Value::as_str)?;
                let kind = p.get("kind")?.as_object()?;
                if let Some(ty) = kind.get("type") {
                    if ty.get("is_synthetic").and_then(Value::as_bool).unwrap_or(false) {
                        return None;
                    }
                    let bounds = self.bounds(ty.get("bounds"));
                    return Some(if bounds.is_empty() {
                        name.to_string()
                    } else {
                        format!("{name}: {bounds}")
                    });
                }
                Some(name.to_string())
            })
            .collect();
        if params.is_empty() {
            String::new()
        } else {
            format!("<{}>", params.join(", "))
        }
    }

    fn where_clause(&self, generics: Option<&Value>) -> String {
        let preds = self.predicates(generics, false);
        if preds.is_empty() {
            String::new()
        } else {
            format!(" where {}", preds.join(", "))
        }
    }

    /// The where-predicates of `generics`: `T: Bound + Bound`, `'a: 'b`, `<T as Tr>::A = B`; with
    /// `sort_bounds`, each one's bounds sorted.
    fn predicates(&self, generics: Option<&Value>, sort_bounds: bool) -> Vec<String> {
        generics
            .and_then(|g| g.get("where_predicates"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|p| {
                if let Some(bp) = p.get("bound_predicate") {
                    let mut bounds = self.bound_list(bp.get("bounds"));
                    if sort_bounds {
                        bounds.sort();
                    }
                    Some(format!("{}: {}", self.ty(bp.get("type")?), bounds.join(" + ")))
                } else if let Some(lp) = p.get("lifetime_predicate").or_else(|| p.get("region_predicate")) {
                    let outlives: Vec<&str> = lp
                        .get("outlives")
                        .and_then(Value::as_array)?
                        .iter()
                        .filter_map(Value::as_str)
                        .collect();
                    Some(format!("{}: {}", lp.get("lifetime").and_then(Value::as_str)?, outlives.join(" + ")))
                } else if let Some(ep) = p.get("eq_predicate") {
                    let rhs = ep.get("rhs")?;
                    let rhs = rhs.get("type").map_or_else(|| rhs.to_string(), |t| self.ty(t));
                    Some(format!("{} = {rhs}", self.ty(ep.get("lhs")?)))
                } else {
                    None
                }
            })
            .collect()
    }

    fn bounds(&self, bounds: Option<&Value>) -> String {
        self.bound_list(bounds).join(" + ")
    }

    fn bound_list(&self, bounds: Option<&Value>) -> Vec<String> {
        bounds
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|b| {
                if let Some(tb) = b.get("trait_bound") {
                    let maybe =
                        if tb.get("modifier").and_then(Value::as_str) == Some("maybe") { "?" } else { "" };
                    format!("{maybe}{}", tb.get("trait").map(|t| self.path(t)).unwrap_or_default())
                } else if let Some(o) = b.get("outlives") {
                    o.as_str().unwrap_or("'_").to_string()
                } else {
                    "?".to_string()
                }
            })
            .collect()
    }

    /// A path with its generic arguments (`Vec<String>`). A path a macro wrote from its own crate
    /// (`$crate::clone::Clone`, in the bounds of a derived implementation) is shown by its name.
    fn path(&self, p: &Value) -> String {
        let name = p.get("path").and_then(Value::as_str).unwrap_or("?");
        let name = if name.starts_with("$crate::") { name.rsplit("::").next().unwrap_or(name) } else { name };
        format!("{name}{}", self.args(p.get("args")))
    }

    fn args(&self, args: Option<&Value>) -> String {
        let Some(args) = args.filter(|a| !a.is_null()) else { return String::new() };
        if let Some(ab) = args.get("angle_bracketed") {
            let mut parts: Vec<String> = ab
                .get("args")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|a| {
                    if let Some(t) = a.get("type") {
                        self.ty(t)
                    } else if let Some(l) = a.get("lifetime") {
                        l.as_str().unwrap_or("'_").to_string()
                    } else if let Some(c) = a.get("const") {
                        c.get("expr").and_then(Value::as_str).unwrap_or("_").to_string()
                    } else {
                        "_".to_string()
                    }
                })
                .collect();
            for c in ab.get("constraints").and_then(Value::as_array).into_iter().flatten() {
                let name = c.get("name").and_then(Value::as_str).unwrap_or("?");
                let binding = c.get("binding").and_then(Value::as_object);
                let value = match binding.and_then(|b| b.iter().next()).map(|(k, v)| (k.as_str(), v)) {
                    Some(("equality", v)) => {
                        format!(" = {}", v.get("type").map(|t| self.ty(t)).unwrap_or_default())
                    }
                    Some(("constraint", v)) => format!(": {}", self.bounds(Some(v))),
                    _ => String::new(),
                };
                parts.push(format!("{name}{value}"));
            }
            if parts.is_empty() {
                String::new()
            } else {
                format!("<{}>", parts.join(", "))
            }
        } else if let Some(pa) = args.get("parenthesized") {
            let inputs: Vec<String> = pa
                .get("inputs")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|t| self.ty(t))
                .collect();
            let output = pa
                .get("output")
                .filter(|o| !o.is_null())
                .map(|o| format!(" -> {}", self.ty(o)))
                .unwrap_or_default();
            format!("({}){output}", inputs.join(", "))
        } else {
            String::new()
        }
    }

    fn ty(&self, t: &Value) -> String {
        let Some((kind, v)) =
            t.as_object().and_then(|o: &Map<String, Value>| o.iter().next()).map(|(k, v)| (k.as_str(), v))
        else {
            return t
                .as_str()
                .map_or_else(|| "_".to_string(), |s| if s == "infer" { "_".into() } else { s.into() });
        };
        match kind {
            "resolved_path" => self.path(v),
            "primitive" | "generic" => v.as_str().unwrap_or("?").to_string(),
            "borrowed_ref" => {
                let lifetime =
                    v.get("lifetime").and_then(Value::as_str).map(|l| format!("{l} ")).unwrap_or_default();
                let mutable =
                    if v.get("is_mutable").and_then(Value::as_bool).unwrap_or(false) { "mut " } else { "" };
                format!("&{lifetime}{mutable}{}", v.get("type").map(|t| self.ty(t)).unwrap_or_default())
            }
            "raw_pointer" => {
                let mutable = v.get("is_mutable").and_then(Value::as_bool).unwrap_or(false);
                format!(
                    "*{} {}",
                    if mutable { "mut" } else { "const" },
                    v.get("type").map(|t| self.ty(t)).unwrap_or_default()
                )
            }
            "tuple" => {
                let items: Vec<String> = v.as_array().into_iter().flatten().map(|t| self.ty(t)).collect();
                format!("({})", items.join(", "))
            }
            "slice" => format!("[{}]", self.ty(v)),
            "array" => format!(
                "[{}; {}]",
                v.get("type").map(|t| self.ty(t)).unwrap_or_default(),
                v.get("len").and_then(Value::as_str).unwrap_or("_")
            ),
            "impl_trait" => format!("impl {}", self.bounds(Some(v))),
            "dyn_trait" => {
                let traits: Vec<String> = v
                    .get("traits")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|pt| pt.get("trait").map(|p| self.path(p)))
                    .collect();
                let lifetime =
                    v.get("lifetime").and_then(Value::as_str).map(|l| format!(" + {l}")).unwrap_or_default();
                format!("dyn {}{lifetime}", traits.join(" + "))
            }
            "qualified_path" => {
                let name = v.get("name").and_then(Value::as_str).unwrap_or("?");
                let self_type = v.get("self_type").map(|t| self.ty(t)).unwrap_or_default();
                match v.get("trait").filter(|t| !t.is_null()) {
                    Some(tr) => format!("<{self_type} as {}>::{name}", self.path(tr)),
                    None => format!("{self_type}::{name}"),
                }
            }
            "function_pointer" => "fn(..)".to_string(),
            other => other.to_string(),
        }
    }
}
