//! Rendering: the words for [`Difference`]s, as `spec import`, `spec check` and `codegen` print
//! them, with [`classify`]'s verdict where a line carries one.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::classify;
use super::compare::{Change, Difference};

/// Keep a Changelog's section for a change, in the order the sections are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Section {
    Added,
    Changed,
    Removed,
}

impl Section {
    /// The verb a change line starts with.
    fn verb(self) -> &'static str {
        match self {
            Section::Added => "added",
            Section::Changed => "changed",
            Section::Removed => "removed",
        }
    }

    fn heading(self) -> &'static str {
        match self {
            Section::Added => "Added",
            Section::Changed => "Changed",
            Section::Removed => "Removed",
        }
    }
}

/// The place of a difference, with the named schema it is in when that is not plain from the
/// path.
fn place(d: &Difference) -> String {
    match &d.schema_path {
        Some(s) if !d.path.ends_with(s.as_str()) => format!("{} [{s}]", d.path),
        _ => d.path.clone(),
    }
}

/// A change from the previous reference (`b`) to the new one (`a`): its section, and what
/// changed where.
fn change(d: &Difference) -> (Section, String) {
    let what = d.kind.noun();
    match &d.change {
        Change::Added => (Section::Added, format!("{what}: {}", place(d))),
        Change::Removed => (Section::Removed, format!("{what}: {}", place(d))),
        Change::Fact { name, a, b } => (
            Section::Changed,
            format!(
                "{name}: {} ({} → {})",
                place(d),
                b.as_deref().unwrap_or("none"),
                a.as_deref().unwrap_or("none")
            ),
        ),
        Change::EnumValue { value, in_a: true } => {
            (Section::Added, format!("enum value {value}: {}", place(d)))
        }
        Change::EnumValue { value, in_a: false } => {
            (Section::Removed, format!("enum value {value}: {}", place(d)))
        }
    }
}

/// A line for `spec import`: what changed from the previous reference to the new one.
pub fn describe_change(d: &Difference) -> String {
    let (section, rest) = change(d);
    format!("{} {rest}", section.verb())
}

/// A line for `spec check`: how ours (`a`) differs from upstream (`b`).
pub fn describe_difference(d: &Difference) -> String {
    let what = d.kind.noun();
    match &d.change {
        Change::Added => format!("{}: {what} here, not upstream", d.path),
        Change::Removed => format!("{}: {what} upstream, not here", d.path),
        Change::Fact { name, a, b } => format!(
            "{}: {name} {} here, {} upstream",
            d.path,
            a.as_deref().unwrap_or("none"),
            b.as_deref().unwrap_or("none")
        ),
        Change::EnumValue { value, in_a: true } => {
            format!("{}: enum value {value} here, not upstream", d.path)
        }
        Change::EnumValue { value, in_a: false } => {
            format!("{}: enum value {value} upstream, not here", d.path)
        }
    }
}

/// One line per change, the breaking ones tagged `BREAKING` (the others indented to match), as
/// `spec import` and `codegen` list them.
pub fn change_lines(changes: &[Difference]) -> Vec<String> {
    changes
        .iter()
        .map(|d| {
            let tag = if classify::breaking(d) { "BREAKING " } else { "         " };
            format!("{tag}{}", describe_change(d))
        })
        .collect()
}

/// The changes as a CHANGELOG entry in Keep a Changelog's sections (Added, Changed, Removed),
/// each line naming the Usage API `version` it comes with and saying when it breaks clients.
pub fn changelog_entry(changes: &[Difference], version: &str) -> String {
    let mut sections: BTreeMap<Section, Vec<String>> = BTreeMap::new();
    for d in changes {
        let (section, rest) = change(d);
        let breaking = if classify::breaking(d) { " (breaking)" } else { "" };
        sections.entry(section).or_default().push(format!("- Usage API {version}{breaking}: {rest}"));
    }
    let mut out = String::new();
    for (section, lines) in sections {
        let _ = writeln!(out, "### {}", section.heading());
        for line in lines {
            let _ = writeln!(out, "{line}");
        }
    }
    out
}
