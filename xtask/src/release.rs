//! `cargo xtask release-check`: the version bump each published crate's API changes need since
//! the last release, from a pinned cargo-semver-checks, against the versions in `Cargo.toml`.
//!
//! The last release is recorded in `release.toml` (its version and the commit it was cut from),
//! so a clean clone has its baseline without tags. cargo-semver-checks builds each crate's
//! rustdoc JSON at that commit and now, and runs its lints on the two; this module asks it for
//! every finding (`--release-type patch`: no lint is skipped because the version already allows
//! it), then decides with Cargo's rules which version the findings need.

use std::fmt::{self, Write as _};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::tools::{self, run_quiet, SEMVER_CHECKS};
use crate::{Failure, Result, Workspace};

/// The crates published to crates.io, in the order they publish.
pub const PUBLISHED: &[&str] =
    &["thousandeyes-usage-generated", "thousandeyes-usage", "thousandeyes-usage-fake"];

/// A version `MAJOR.MINOR.PATCH` (no pre-release or build part: this project releases none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
}

impl Version {
    pub fn parse(text: &str) -> Result<Version> {
        let bad = || {
            Failure(format!(
                "version {text:?} is not MAJOR.MINOR.PATCH (release-check knows no pre-releases)"
            ))
        };
        let mut parts = text.trim().split('.').map(|p| {
            if p.is_empty() || (p.len() > 1 && p.starts_with('0')) || !p.bytes().all(|b| b.is_ascii_digit()) {
                Err(bad())
            } else {
                p.parse::<u64>().map_err(|_| bad())
            }
        });
        let (Some(major), Some(minor), Some(patch), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        Ok(Version { major: major?, minor: minor?, patch: patch? })
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// What a change is in semver's terms, as cargo-semver-checks' lints state it: `Minor` adds to
/// the API (users' code still compiles), `Major` can break users' code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    None,
    Minor,
    Major,
}

/// Which number of the version goes up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Bump {
    None,
    Patch,
    Minor,
    Major,
}

impl Bump {
    pub fn name(self) -> &'static str {
        match self {
            Bump::None => "none",
            Bump::Patch => "patch",
            Bump::Minor => "minor",
            Bump::Major => "major",
        }
    }
}

/// The least version after `released` that may carry changes of `level`, and the bump that makes
/// it, by Cargo's rules (<https://doc.rust-lang.org/cargo/reference/semver.html>): a version
/// requirement `^x.y.z` accepts any later version up to the next change of its left-most non-zero
/// number. So
///
/// * at 1.0.0 and above, a breaking change bumps the major number (1.4.2 → 2.0.0) and an
///   addition the minor number (1.4.2 → 1.5.0);
/// * at 0.y.z (y > 0), a breaking change bumps the minor number (0.1.0 → 0.2.0: `^0.1` does not
///   accept 0.2.0) and an addition the patch number (0.1.0 → 0.1.1: `^0.1` accepts it);
/// * at 0.0.z, every release is incompatible with every other (`^0.0.3` is `=0.0.3`): a
///   breaking change and an addition alike bump the patch number (0.0.3 → 0.0.4).
///
/// No change needs no new version (a bug fix may still be released as a patch).
pub fn needed(released: Version, level: Level) -> (Version, Bump) {
    let Version { major, minor, patch } = released;
    let bump_major = (Version { major: major + 1, minor: 0, patch: 0 }, Bump::Major);
    let bump_minor = (Version { major, minor: minor + 1, patch: 0 }, Bump::Minor);
    let bump_patch = (Version { major, minor, patch: patch + 1 }, Bump::Patch);
    match (level, major, minor) {
        (Level::None, _, _) => (released, Bump::None),
        (_, 0, 0) => bump_patch,
        (Level::Major, 0, _) => bump_minor,
        (Level::Minor, 0, _) => bump_patch,
        (Level::Major, _, _) => bump_major,
        (Level::Minor, _, _) => bump_minor,
    }
}

/// What a bump means to users, at the released version.
pub fn meaning(released: Version, bump: Bump) -> &'static str {
    match (bump, released.major, released.minor) {
        (Bump::None, _, _) => "no API change calls for a new version",
        (_, 0, 0) => "every 0.0.z release is incompatible with every other",
        (Bump::Minor, 0, _) => "a breaking release: at 0.x Cargo treats a minor bump as breaking",
        (Bump::Patch, 0, _) => {
            "a compatible release with additions: at 0.x Cargo treats a patch bump as compatible"
        }
        (Bump::Major, _, _) => "a breaking release",
        (Bump::Minor, _, _) => "a compatible release with additions",
        (Bump::Patch, _, _) => "a compatible release",
    }
}

/// Whether the `current` version may carry changes of `level` made since `released`; the reason
/// when it may not.
pub fn decide(released: Version, current: Version, level: Level) -> Result<(), String> {
    let (least, bump) = needed(released, level);
    if current < released {
        Err(format!("its version {current} is below the last release, {released}"))
    } else if current < least {
        Err(format!(
            "its changes need version {least} or later (a {} bump), and it is {current}",
            bump.name()
        ))
    } else {
        Ok(())
    }
}

/// The last release, as `release.toml` records it.
#[derive(Debug, PartialEq, Eq)]
pub struct Release {
    pub version: Version,
    /// The full commit id the release was cut from.
    pub commit: String,
}

/// Reads `release.toml`: `version = "X.Y.Z"` and `commit = "<40 hex digits>"`, comments with `#`.
pub fn parse_release(text: &str) -> Result<Release> {
    let (mut version, mut commit) = (None, None);
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        let bad = || Failure(format!("release.toml line {}: {line:?} is not `key = \"value\"`", n + 1));
        let (key, value) = line.split_once('=').ok_or_else(bad)?;
        let value = value.trim().strip_prefix('"').and_then(|v| v.strip_suffix('"')).ok_or_else(bad)?;
        match key.trim() {
            "version" => version = Some(Version::parse(value)?),
            "commit" if value.len() == 40 && value.bytes().all(|b| b.is_ascii_hexdigit()) => {
                commit = Some(value.to_ascii_lowercase())
            }
            "commit" => {
                return Err(Failure(format!(
                    "release.toml: commit {value:?} is not a full commit id (40 hex digits)"
                )))
            }
            other => return Err(Failure(format!("release.toml line {}: unknown key {other:?}", n + 1))),
        }
    }
    match (version, commit) {
        (Some(version), Some(commit)) => Ok(Release { version, commit }),
        _ => Err(Failure("release.toml must state both `version` and `commit` of the last release".into())),
    }
}

/// One result of a cargo-semver-checks lint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The lint's id, which says the kind of change (`enum_variant_missing`).
    pub lint: String,
    pub level: Level,
    /// A warn-level lint: it suggests the bump but does not require it.
    pub warning: bool,
    /// The item, as the lint names it (`variant ExpandUsageOptions::EndpointAgentEmbedded`).
    pub item: String,
    /// Where it is (or was), relative to the checkout when it is inside one.
    pub file: String,
}

/// The findings in cargo-semver-checks' output (run with `--verbose --color never`): each
/// `--- failure <lint>: ... ---` (or `--- warning`) block on stdout lists its results under
/// `Failed in:`; the lint's level is in its `FAIL`/`WARN` line on stderr. `roots` are stripped
/// from file paths (the checkout, then cargo-semver-checks' copy of the baseline inside it).
pub fn parse_findings(stdout: &str, stderr: &str, roots: &[&Path]) -> Result<Vec<Finding>, String> {
    let level_of = |lint: &str| {
        stderr.lines().find_map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            let (first, last) = (words.first()?, words.last()?);
            if (*first == "FAIL" || *first == "WARN") && *last == lint {
                words.iter().rev().nth(1).and_then(|w| match *w {
                    "major" => Some(Level::Major),
                    "minor" => Some(Level::Minor),
                    _ => None,
                })
            } else {
                None
            }
        })
    };
    let mut findings = Vec::new();
    let mut current: Option<(String, bool)> = None;
    let mut listing = false;
    for line in stdout.lines() {
        if let Some(header) = line.strip_prefix("--- failure ").or_else(|| line.strip_prefix("--- warning "))
        {
            let lint = header.split(':').next().unwrap_or_default().trim().to_string();
            current = Some((lint, line.starts_with("--- warning")));
            listing = false;
        } else if line.trim_end() == "Failed in:" {
            listing = current.is_some();
        } else if listing && line.starts_with("  ") && !line.trim().is_empty() {
            let (lint, warning) = current.clone().expect("a lint block is open");
            let level = level_of(&lint)
                .ok_or_else(|| format!("cargo-semver-checks did not say the level of lint {lint}"))?;
            let (item, file) = split_location(line.trim(), roots);
            findings.push(Finding { lint, level, warning, item, file });
        } else if line.trim().is_empty() {
            listing = false;
        }
    }
    Ok(findings)
}

/// A lint's message split into the item and its `file:line`: messages end `in file F:L`,
/// `, previously in file F:L`, `in F:L` or `, previously at F:L`.
fn split_location(message: &str, roots: &[&Path]) -> (String, String) {
    let connectors = [", previously in file ", ", previously at ", " in file ", ", in ", " in "];
    for connector in connectors {
        if let Some(at) = message.rfind(connector) {
            let file = &message[at + connector.len()..];
            let looks_like_location = file
                .rsplit_once(':')
                .is_some_and(|(_, line)| !line.is_empty() && line.bytes().all(|b| b.is_ascii_digit()));
            if looks_like_location {
                return (message[..at].to_string(), relative(file, roots));
            }
        }
    }
    (message.to_string(), "-".to_string())
}

/// `file` without the first of `roots` it starts with (the checkout, the target directory), and
/// without cargo-semver-checks' folder of a baseline checkout (`semver-checks/.../`) up to the
/// crate's folder.
fn relative(file: &str, roots: &[&Path]) -> String {
    let mut rest = file.to_string();
    for root in roots {
        let root = format!("{}/", root.display());
        if let Some(stripped) = rest.strip_prefix(&root) {
            rest = stripped.to_string();
        }
    }
    if let Some(inside) = rest.strip_prefix("target/").unwrap_or(&rest).strip_prefix("semver-checks/") {
        rest = inside.to_string();
        if let Some(at) = ["generated/", "facade/", "fake/"].iter().filter_map(|dir| rest.find(dir)).min() {
            rest = rest[at..].to_string();
        }
    }
    rest
}

/// Published crates whose API carries another's types, `(crate, carried)`: the facade re-exports
/// the generated models (`pub use thousandeyes_usage_generated::models::*`), and the fake takes
/// and serves them. cargo-semver-checks does not follow items into another crate, so a change of
/// the carried crate is a change of the carrier too.
pub const CARRIES: &[(&str, &str)] = &[
    ("thousandeyes-usage", "thousandeyes-usage-generated"),
    ("thousandeyes-usage-fake", "thousandeyes-usage-generated"),
];

/// One crate's verdict.
pub struct Verdict {
    pub krate: String,
    pub version: Version,
    pub findings: Vec<Finding>,
    /// The levels of the published crates whose types its API carries (see [`CARRIES`]), where
    /// they have changes.
    pub carried: Vec<(String, Level)>,
}

impl Verdict {
    /// The level of its required (deny-level) findings and of the changes it carries.
    pub fn level(&self) -> Level {
        let own = self.findings.iter().filter(|f| !f.warning).map(|f| f.level);
        own.chain(self.carried.iter().map(|(_, level)| *level)).max().unwrap_or(Level::None)
    }
}

/// Tag of a finding or carried change by its level.
fn tag(level: Level, warning: bool) -> &'static str {
    match (level, warning) {
        (_, true) => "warning",
        (Level::Major, false) => "breaking",
        (_, false) => "addition",
    }
}

/// What release-check prints for one crate; `Err` carries the same text when it fails.
pub fn render_verdict(released: Version, verdict: &Verdict) -> Result<String, String> {
    let level = verdict.level();
    let (least, bump) = needed(released, level);
    let decision = decide(released, verdict.version, level);
    let mut out = String::new();
    let need = match bump {
        Bump::None => "needs no bump".to_string(),
        _ => format!("needs a {} bump, to {least} or later", bump.name()),
    };
    let _ = writeln!(
        out,
        "  {} {}: {need} ({}): {}",
        verdict.krate,
        verdict.version,
        meaning(released, bump),
        match &decision {
            Ok(()) => "ok".to_string(),
            Err(why) => format!("FAILS: {why}"),
        }
    );
    for f in &verdict.findings {
        let _ = writeln!(out, "    {:<8} {}: {} ({})", tag(f.level, f.warning), f.lint, f.item, f.file);
    }
    for (carried, level) in &verdict.carried {
        let _ = writeln!(
            out,
            "    {:<8} the changes of {carried} above: its types are part of this crate's API",
            tag(*level, false)
        );
    }
    decision.map(|()| out.clone()).map_err(|_| out)
}

/// `cargo xtask release-check`.
pub fn release_check(ws: &Workspace, verbose: bool) -> Result<()> {
    let started = Instant::now();
    let record = ws.root.join("release.toml");
    let text =
        fs::read_to_string(&record).map_err(|e| Failure(format!("cannot read {}: {e}", record.display())))?;
    let release = parse_release(&text)?;
    let Metadata { versions, target } = metadata(ws)?;
    let tool = SEMVER_CHECKS.ensure(ws)?;
    let short = &release.commit[..12];
    println!(
        "release-check: the published crates against release {} (commit {short}), cargo-semver-checks {}",
        release.version, SEMVER_CHECKS.version
    );
    let logs = ws.root.join("target/release-check");
    fs::create_dir_all(&logs)?;
    let mut failed = Vec::new();
    let mut levels: Vec<(&str, Level)> = Vec::new();
    for krate in PUBLISHED {
        let version = versions
            .iter()
            .find(|(name, _)| name == krate)
            .map(|(_, v)| *v)
            .ok_or_else(|| Failure(format!("cargo metadata lists no package {krate}")))?;
        let crate_started = Instant::now();
        let output = Command::new(&tool)
            .args([
                "semver-checks",
                "check-release",
                "--color",
                "never",
                "--verbose",
                "--release-type",
                "patch",
            ])
            // The crates' public API does not depend on their features (only the TLS library
            // does), so they are built without any: no TLS library to compile.
            .arg("--only-explicit-features")
            .args(["--baseline-rev", &release.commit, "--package", krate, "--manifest-path"])
            .arg(ws.root.join("Cargo.toml"))
            .current_dir(&ws.root)
            .output()
            .map_err(|e| Failure(format!("could not start {}: {e}", tool.display())))?;
        let (stdout, stderr) = (
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        );
        let log = logs.join(format!("{krate}.txt"));
        fs::write(&log, format!("{stdout}\n--- stderr ---\n{stderr}"))?;
        if verbose {
            println!("{stdout}{stderr}");
        }
        let ran = stderr.lines().any(|l| l.trim_start().starts_with("Summary "));
        let parsed = parse_findings(&stdout, &stderr, &[ws.root.as_path(), target.as_path()]);
        match (ran, parsed) {
            (true, Ok(findings)) => {
                let carried = CARRIES
                    .iter()
                    .filter(|(carrier, _)| carrier == krate)
                    .filter_map(|(_, carried)| levels.iter().find(|(name, _)| name == carried))
                    .filter(|(_, level)| *level > Level::None)
                    .map(|(name, level)| (name.to_string(), *level))
                    .collect();
                let verdict = Verdict { krate: krate.to_string(), version, findings, carried };
                levels.push((krate, verdict.level()));
                match render_verdict(release.version, &verdict) {
                    Ok(text) => print!("{text}"),
                    Err(text) => {
                        print!("{text}");
                        // Relative to the workspace, where xtask is run, when the target directory is in it.
                        let shown = log.strip_prefix(&ws.root).unwrap_or(&log);
                        println!("    (cargo-semver-checks' own output: {})", shown.display());
                        failed.push(format!("{krate} {version} is below the bump its changes need"));
                    }
                }
            }
            (_, parsed) => {
                if !verbose {
                    println!("{stdout}{stderr}");
                }
                let why = parsed.err().unwrap_or_else(|| format!("{} ({})", "no verdict", output.status));
                println!(
                    "  {krate} {version}: NOT CHECKED: cargo-semver-checks gave {why}; its output is above"
                );
                failed.push(format!("{krate} could not be checked"));
            }
        }
        if verbose {
            println!("    ({krate} checked in {:.0?})", crate_started.elapsed());
        }
    }
    println!("release-check: took {:.0?}", started.elapsed());
    if failed.is_empty() {
        println!(
            "release-check: ok: every published crate's version allows its changes since {}",
            release.version
        );
        Ok(())
    } else {
        Err(Failure(format!(
            "release-check failed: {}. Raise the version to the one named: `packageVersion` in \
             openapi/generator.yaml (then `cargo xtask codegen`), then `version` in Cargo.toml's \
             [workspace.package] and the three crates' [workspace.dependencies]; and say the \
             changes in CHANGELOG.md.",
            failed.join("; ")
        )))
    }
}

/// What `cargo metadata` says of the workspace.
pub struct Metadata {
    /// Each workspace package's name and version.
    pub versions: Vec<(String, Version)>,
    /// The target directory (where cargo-semver-checks keeps its copy of the baseline).
    pub target: PathBuf,
}

/// Asks `cargo metadata` about the workspace.
pub fn metadata(ws: &Workspace) -> Result<Metadata> {
    let output = run_quiet(
        tools::cargo(ws).args(["metadata", "--no-deps", "--format-version", "1"]),
        "cargo metadata",
    )?;
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| Failure(format!("cargo metadata's output is not JSON: {e}")))?;
    let packages = metadata["packages"].as_array().map(Vec::as_slice).unwrap_or_default();
    let versions = packages
        .iter()
        .map(|p| {
            let name = p["name"].as_str().unwrap_or_default().to_string();
            Version::parse(p["version"].as_str().unwrap_or_default()).map(|v| (name, v))
        })
        .collect::<Result<_>>()?;
    let target =
        metadata["target_directory"].as_str().map(PathBuf::from).unwrap_or_else(|| ws.root.join("target"));
    Ok(Metadata { versions, target })
}
