//! What changed in the generated API: the items of two `generated/src` trees, parsed with `syn`
//! and compared with doc comments left out.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};
use quote::ToTokens;

/// The changes between two generated trees.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ApiDiff {
    /// One line per item added (`+`), removed (`-`) or changed (`~`, one line per changed member).
    pub changes: Vec<String>,
    /// Rust files that differ only in comments or docs.
    pub doc_only: Vec<String>,
    /// Other files that differ (not Rust sources).
    pub other: Vec<String>,
    /// Rust files that do not parse (in either tree), with the error.
    pub unparsable: Vec<String>,
}

impl ApiDiff {
    /// Says it, each line starting with two spaces; `lead` says what the changes are of.
    pub fn render(&self, lead: &str) -> String {
        let mut out = String::new();
        if self.changes.is_empty() {
            let _ = writeln!(out, "  {lead} the generated API: nothing");
        } else {
            let _ = writeln!(out, "  {lead} the generated API ({} changes):", self.changes.len());
            for line in &self.changes {
                let _ = writeln!(out, "    {line}");
            }
        }
        if !self.doc_only.is_empty() {
            let n = self.doc_only.len();
            let _ = writeln!(
                out,
                "  {n} file{} differ{} only in comments or docs: {}",
                if n == 1 { "" } else { "s" },
                if n == 1 { "s" } else { "" },
                self.doc_only.iter().map(|f| format!("generated/{f}")).collect::<Vec<_>>().join(", ")
            );
        }
        if !self.other.is_empty() {
            let _ = writeln!(
                out,
                "  other files differ: {}",
                self.other.iter().map(|f| format!("generated/{f}")).collect::<Vec<_>>().join(", ")
            );
        }
        for bad in &self.unparsable {
            let _ = writeln!(out, "  does not parse: {bad}");
        }
        out
    }
}

/// Compares the Rust API of two generated trees (`old` as it is, `new` as the spec makes it);
/// `differing` are the relative paths of the files that differ in bytes.
pub fn compare_trees(old: &Path, new: &Path, differing: &[String]) -> ApiDiff {
    let mut diff = ApiDiff::default();
    let (old_items, old_files) = read_tree(old, &mut diff.unparsable);
    let (new_items, new_files) = read_tree(new, &mut diff.unparsable);
    diff.changes = compare_items(&old_items, &new_items);
    for file in differing {
        if !file.ends_with(".rs") {
            diff.other.push(file.clone());
        } else if let (Some(a), Some(b)) = (old_files.get(file), new_files.get(file)) {
            if a == b {
                diff.doc_only.push(file.clone());
            }
        }
    }
    diff
}

/// An item of the API and its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Part name (`field cloud_units_used`, `variant Test`, `const ACCEPT`, `signature`) → its
    /// tokens, docs left out.
    pub members: BTreeMap<String, String>,
}

/// The items of every `src/**/*.rs` of `root`, and each file's tokens without docs.
fn read_tree(
    root: &Path,
    unparsable: &mut Vec<String>,
) -> (BTreeMap<String, Item>, BTreeMap<String, String>) {
    let mut items = BTreeMap::new();
    let mut files = BTreeMap::new();
    let mut paths = BTreeSet::new();
    collect_rs(&root.join("src"), &mut paths);
    for path in paths {
        let rel = path.strip_prefix(root).map(|p| p.to_string_lossy().replace('\\', "/")).unwrap_or_default();
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        match syn::parse_file(&text) {
            Ok(file) => {
                files.insert(rel.clone(), strip_docs(file.to_token_stream()).to_string());
                items_of(&module_of(&rel), &file.items, &mut items);
            }
            Err(e) => unparsable.push(format!("{}: {e}", path.display())),
        }
    }
    (items, files)
}

/// Items of one source text (for tests).
#[cfg(test)]
pub fn items_of_source(module: &str, text: &str) -> Result<BTreeMap<String, Item>, syn::Error> {
    let file = syn::parse_file(text)?;
    let mut items = BTreeMap::new();
    items_of(module, &file.items, &mut items);
    Ok(items)
}

fn collect_rs(dir: &Path, out: &mut BTreeSet<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_rs(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.insert(path);
        }
    }
}

/// `src/lib.rs` → `crate`, `src/apis/mod.rs` → `apis`, `src/models/usage.rs` → `models::usage`.
fn module_of(rel: &str) -> String {
    let rel = rel.strip_prefix("src/").unwrap_or(rel).trim_end_matches(".rs");
    let rel = rel.strip_suffix("/mod").unwrap_or(rel);
    if rel == "lib" || rel == "main" {
        "crate".into()
    } else {
        rel.replace('/', "::")
    }
}

fn qualified(module: &str, name: &str) -> String {
    if module == "crate" {
        name.to_string()
    } else {
        format!("{module}::{name}")
    }
}

fn tokens<T: ToTokens>(t: &T) -> String {
    tidy(&strip_docs(t.to_token_stream()).to_string())
}

fn attrs(attrs: &[syn::Attribute]) -> String {
    tidy(&strip_docs(attrs.iter().map(|a| a.to_token_stream()).collect()).to_string())
}

fn items_of(module: &str, items: &[syn::Item], out: &mut BTreeMap<String, Item>) {
    for item in items {
        let mut members = BTreeMap::new();
        let key = match item {
            syn::Item::Struct(s) => {
                members.insert("attributes".into(), attrs(&s.attrs));
                members.insert("generics".into(), tokens(&s.generics));
                for (i, field) in s.fields.iter().enumerate() {
                    let name = field.ident.as_ref().map(|i| i.to_string()).unwrap_or_else(|| i.to_string());
                    members.insert(
                        format!("field {name}"),
                        format!("{}{name}: {}", vis(&field.vis), tokens(&field.ty)),
                    );
                    let a = attrs(&field.attrs);
                    if !a.is_empty() {
                        members.insert(format!("field {name} attributes"), a);
                    }
                }
                format!("struct {}", qualified(module, &s.ident.to_string()))
            }
            syn::Item::Enum(e) => {
                members.insert("attributes".into(), attrs(&e.attrs));
                members.insert("generics".into(), tokens(&e.generics));
                for variant in &e.variants {
                    members.insert(format!("variant {}", variant.ident), tokens(variant));
                }
                format!("enum {}", qualified(module, &e.ident.to_string()))
            }
            syn::Item::Fn(f) => {
                members.insert("signature".into(), format!("{}{}", vis(&f.vis), tokens(&f.sig)));
                members.insert("body".into(), tokens(&f.block));
                format!("fn {}", qualified(module, &f.sig.ident.to_string()))
            }
            syn::Item::Const(c) => {
                members.insert("type".into(), format!("{}{}", vis(&c.vis), tokens(&c.ty)));
                members.insert("value".into(), tokens(&c.expr));
                format!("const {}", qualified(module, &c.ident.to_string()))
            }
            syn::Item::Static(s) => {
                members.insert(
                    "definition".into(),
                    format!("{}: {} = {}", vis(&s.vis), tokens(&s.ty), tokens(&s.expr)),
                );
                format!("static {}", qualified(module, &s.ident.to_string()))
            }
            syn::Item::Type(t) => {
                members.insert("definition".into(), tokens(t));
                format!("type {}", qualified(module, &t.ident.to_string()))
            }
            syn::Item::Trait(t) => {
                members.insert(
                    "declaration".into(),
                    format!("{}{}", tokens(&t.generics), tokens(&t.supertraits)),
                );
                for ti in &t.items {
                    let (name, text) = match ti {
                        syn::TraitItem::Const(c) => (format!("const {}", c.ident), tokens(ti)),
                        syn::TraitItem::Fn(f) => (format!("fn {}", f.sig.ident), tokens(ti)),
                        syn::TraitItem::Type(t) => (format!("type {}", t.ident), tokens(ti)),
                        other => (format!("item {}", tokens(other)), String::new()),
                    };
                    members.insert(name, text);
                }
                format!("trait {}", qualified(module, &t.ident.to_string()))
            }
            syn::Item::Impl(i) => {
                let head = match &i.trait_ {
                    Some((bang, path, _)) => format!(
                        "impl{} {}{} for {}",
                        tokens(&i.generics),
                        if bang.is_some() { "!" } else { "" },
                        tokens(path),
                        tokens(&i.self_ty)
                    ),
                    None => format!("impl{} {}", tokens(&i.generics), tokens(&i.self_ty)),
                };
                for ii in &i.items {
                    match ii {
                        syn::ImplItem::Const(c) => {
                            members.insert(format!("const {}", c.ident), tokens(&c.expr));
                            members.insert(format!("const {} type", c.ident), tokens(&c.ty));
                        }
                        syn::ImplItem::Fn(f) => {
                            members.insert(
                                format!("fn {}", f.sig.ident),
                                format!("{}{}", vis(&f.vis), tokens(&f.sig)),
                            );
                            members.insert(format!("fn {} body", f.sig.ident), tokens(&f.block));
                        }
                        syn::ImplItem::Type(t) => {
                            members.insert(format!("type {}", t.ident), tokens(&t.ty));
                        }
                        other => {
                            members.insert(format!("item {}", tokens(other)), String::new());
                        }
                    }
                }
                let key = if module == "crate" { head } else { format!("{head} (in {module})") };
                // Two inherent impls of one type are one set of members.
                if let Some(existing) = out.get_mut(&key) {
                    existing.members.extend(members);
                    continue;
                }
                key
            }
            syn::Item::Mod(m) => {
                let path = qualified(module, &m.ident.to_string());
                if let Some((_, inner)) = &m.content {
                    items_of(&path, inner, out);
                }
                members.insert("declaration".into(), vis(&m.vis));
                format!("mod {path}")
            }
            syn::Item::Use(u) => format!("use {} (in {module})", tokens(u).trim_end_matches(';')),
            syn::Item::Macro(m) => {
                members.insert("definition".into(), tokens(m));
                match &m.ident {
                    Some(name) => format!("macro {}", qualified(module, &name.to_string())),
                    None => format!("macro call {} (in {module})", tokens(&m.mac.path)),
                }
            }
            other => format!("item {} (in {module})", tokens(other)),
        };
        out.insert(key, Item { members });
    }
}

fn vis(v: &syn::Visibility) -> String {
    let t = tokens(v);
    if t.is_empty() {
        t
    } else {
        format!("{t} ")
    }
}

/// Lines saying how `new` differs from `old`.
pub fn compare_items(old: &BTreeMap<String, Item>, new: &BTreeMap<String, Item>) -> Vec<String> {
    let mut out = Vec::new();
    let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    for key in keys {
        match (old.get(key), new.get(key)) {
            (None, Some(_)) => out.push(format!("+ {key}")),
            (Some(_), None) => out.push(format!("- {key}")),
            (Some(a), Some(b)) if a != b => {
                let members: BTreeSet<&String> = a.members.keys().chain(b.members.keys()).collect();
                for m in members {
                    match (a.members.get(m), b.members.get(m)) {
                        (None, Some(_)) => out.push(format!("~ {key}: + {m}")),
                        (Some(_), None) => out.push(format!("~ {key}: - {m}")),
                        (Some(x), Some(y)) if x != y => {
                            if m == "body" || m.ends_with(" body") {
                                out.push(format!("~ {key}: {m} changed"));
                            } else {
                                let (x, y) = elide_common(x, y);
                                out.push(format!("~ {key}: {m}: {} → {}", short(&x), short(&y)));
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// Two long texts with what they share at both ends cut down to some context, so that the
/// difference shows: `&["a", "b",]` → `&["a", "b", "c",]` stays whole, a long list shows its end.
fn elide_common(x: &str, y: &str) -> (String, String) {
    const CONTEXT: usize = 40;
    let (a, b): (Vec<char>, Vec<char>) = (x.chars().collect(), y.chars().collect());
    if a.len() <= 120 && b.len() <= 120 {
        return (x.to_string(), y.to_string());
    }
    let prefix = a.iter().zip(&b).take_while(|(p, q)| p == q).count();
    let max_suffix = a.len().min(b.len()) - prefix;
    let suffix = a.iter().rev().zip(b.iter().rev()).take(max_suffix).take_while(|(p, q)| p == q).count();
    let cut = |v: &[char]| {
        let start = prefix.saturating_sub(CONTEXT);
        let end = (v.len() - suffix + CONTEXT).min(v.len());
        format!(
            "{}{}{}",
            if start > 0 { "…" } else { "" },
            v[start..end].iter().collect::<String>(),
            if end < v.len() { "…" } else { "" }
        )
    };
    (cut(&a), cut(&b))
}

fn short(s: &str) -> String {
    const MAX: usize = 160;
    if s.chars().count() <= MAX {
        if s.is_empty() {
            "(none)".into()
        } else {
            s.to_string()
        }
    } else {
        format!("{}…", s.chars().take(MAX).collect::<String>())
    }
}

/// The tokens without doc attributes (`#[doc = ..]`, `#![doc = ..]`, which `///` and `//!`
/// comments become); ordinary comments are gone once parsed.
pub fn strip_docs(stream: TokenStream) -> TokenStream {
    let tokens: Vec<TokenTree> = stream.into_iter().collect();
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        if let TokenTree::Punct(p) = &tokens[i] {
            if p.as_char() == '#' {
                let bang = matches!(tokens.get(i + 1), Some(TokenTree::Punct(q)) if q.as_char() == '!');
                let at = if bang { i + 2 } else { i + 1 };
                if let Some(TokenTree::Group(g)) = tokens.get(at) {
                    let first = g.stream().into_iter().next();
                    if g.delimiter() == Delimiter::Bracket
                        && matches!(&first, Some(TokenTree::Ident(id)) if id == "doc")
                    {
                        i = at + 1;
                        continue;
                    }
                }
            }
        }
        match &tokens[i] {
            TokenTree::Group(g) => {
                let mut inner = Group::new(g.delimiter(), strip_docs(g.stream()));
                inner.set_span(g.span());
                out.push(TokenTree::Group(inner));
            }
            other => out.push(other.clone()),
        }
        i += 1;
    }
    out.into_iter().collect()
}

/// Token text made readable: `Option < i64 >` → `Option<i64>`.
fn tidy(s: &str) -> String {
    let mut t = s.to_string();
    for (from, to) in [
        (" :: ", "::"),
        (":: ", "::"),
        (" ::", "::"),
        (" < ", "<"),
        ("< ", "<"),
        (" <", "<"),
        (" >", ">"),
        (" ,", ","),
        (" ;", ";"),
        (" :", ":"),
        ("( ", "("),
        (" )", ")"),
        ("[ ", "["),
        (" ]", "]"),
        ("# [", "#["),
        ("& '", "&'"),
        ("& ", "&"),
        (" (", "("),
        (" .", "."),
        (". ", "."),
        ("! [", "!["),
    ] {
        t = t.replace(from, to);
    }
    t.replace(">=", "> =").replace(":=", ": =")
}
