//! `cargo xtask codegen`: `generated/` from `openapi/usage.yaml` with the pinned openapi-generator.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::spec::diff::{classify, compare, render};
use crate::spec::{doc, facts};
use crate::tools::{self, run_quiet, GENERATOR};
use crate::{count, Failure, Result, Workspace};

/// Files and folders the generator writes that we do not ship: its docs, its scripts and its own
/// bookkeeping of what to ignore.
const NOT_SHIPPED: &[&str] = &[
    "docs",
    // The reqwest client configuration: our API templates (openapi/templates/) send nothing.
    "src/apis/configuration.rs",
    "git_push.sh",
    ".travis.yml",
    ".gitignore",
    ".openapi-generator-ignore",
    ".openapi-generator/FILES",
];

/// The edition rustfmt formats the generated crate with, as `cargo fmt` would.
const GENERATED_EDITION: &str = "2021";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    Write,
    Check,
}

pub fn codegen(ws: &Workspace, mode: Mode, verify: bool) -> Result<()> {
    let java = find_java()?;
    let jar = GENERATOR.ensure(ws)?;
    let version = GENERATOR.version;
    let (spec, target) = (ws.spec(), ws.generated());

    run_quiet(
        Command::new(&java).arg("-jar").arg(&jar).arg("validate").arg("-i").arg(&spec),
        "validating openapi/usage.yaml",
    )?;

    let scratch = ws.scratch();
    if scratch.exists() {
        fs::remove_dir_all(&scratch)?;
    }
    fs::create_dir_all(&scratch)?;
    let out = scratch.join("generated");
    run_quiet(
        Command::new(&java)
            .arg("-jar")
            .arg(&jar)
            .arg("generate")
            .arg("-i")
            .arg(&spec)
            .arg("-c")
            .arg(ws.generator_config())
            .arg("-o")
            .arg(&out)
            // generator.yaml names its template folder relative to the workspace root.
            .current_dir(&ws.root),
        "generating the Rust client",
    )?;
    for name in NOT_SHIPPED {
        let path = out.join(name);
        if path.is_dir() {
            fs::remove_dir_all(&path)?;
        } else if path.exists() {
            fs::remove_file(&path)?;
        }
    }
    run_quiet(
        Command::new("rustfmt").arg("--edition").arg(GENERATED_EDITION).arg(out.join("src/lib.rs")),
        "formatting the generated crate",
    )?;

    let differing = differing_files(&target, &out)?;
    println!("codegen: {} from {} (openapi-generator {version})", target.display(), spec.display());
    match mode {
        Mode::Write => {
            if differing.is_empty() {
                println!("{} is unchanged", target.display());
                fs::remove_dir_all(&scratch)?;
            } else {
                print!("{}", spec_summary(&ws.root));
                if target.exists() {
                    fs::remove_dir_all(&target)?;
                }
                fs::rename(&out, &target)?;
                fs::remove_dir_all(&scratch)?;
                let n = differing.len();
                println!("{} regenerated ({} changed)", target.display(), count(n, "file", "files"));
            }
        }
        Mode::Check => {
            fs::remove_dir_all(&scratch)?;
            if differing.is_empty() {
                println!("{} is up to date with {}", target.display(), spec.display());
            } else {
                let list: Vec<String> = differing.iter().map(|f| format!("  generated/{f}")).collect();
                return Err(Failure(format!(
                    "{} is not what {} and openapi-generator {version} produce; \
                     these files differ:\n{}\n{}Run `cargo xtask codegen` (never edit generated/ by hand).",
                    target.display(),
                    spec.display(),
                    list.join("\n"),
                    spec_summary(&ws.root),
                )));
            }
        }
    }
    if verify {
        verify_facade(&tools::cargo_program(), &ws.root)
    } else {
        println!("facade checks skipped (--no-verify)");
        Ok(())
    }
}

/// What the spec change behind a regeneration is: the API facts of `openapi/usage.yaml` as
/// committed (`HEAD`) against the working copy's, each line indented by two spaces. What the
/// change means for the crates' versions is `cargo xtask release-check`'s verdict.
pub fn spec_summary(root: &Path) -> String {
    let committed = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["show", "HEAD:./openapi/usage.yaml"])
        .output()
        .map_err(|e| format!("could not run git: {e}"))
        .and_then(|out| {
            if out.status.success() {
                String::from_utf8(out.stdout).map_err(|_| "it is not UTF-8".to_string())
            } else {
                Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
            }
        });
    let changes = committed.and_then(|text| {
        let old = doc::parse(&text).map_err(|e| e.0)?;
        let new = doc::load(&root.join("openapi/usage.yaml")).map_err(|e| e.0)?;
        let (old, new) = (facts::flatten(&old).map_err(|e| e.0)?, facts::flatten(&new).map_err(|e| e.0)?);
        Ok(compare::differences(&new, &old))
    });
    match changes {
        Err(why) => format!("  openapi/usage.yaml not compared with the committed one ({why})\n"),
        Ok(changes) if changes.is_empty() => {
            "  openapi/usage.yaml states the same API facts as committed: the files \
             differ by its prose, by edits under generated/, or by the generator\n"
                .to_string()
        }
        Ok(changes) => {
            let breaking = changes.iter().filter(|d| classify::breaking(d)).count();
            let mut out = format!(
                "  openapi/usage.yaml changes since the commit: {} ({breaking} breaking for clients); \
                 `cargo xtask release-check` says the version they need\n",
                changes.len()
            );
            for line in render::change_lines(&changes) {
                out.push_str(&format!("    {line}\n"));
            }
            out
        }
    }
}

/// One check of the facade against the generated crate.
pub struct Step {
    /// What it proves, as said when it fails.
    pub what: &'static str,
    pub args: &'static [&'static str],
    /// A file the step needs, relative to the workspace root.
    pub needs: Option<&'static str>,
}

/// The facade checks run after codegen.
pub const FACADE_STEPS: &[Step] = &[
    Step {
        what: "compile check of the generated crate's users (the facade, the fake, their tests)",
        args: &["check", "-p", "thousandeyes-usage", "-p", "thousandeyes-usage-fake", "--all-targets"],
        needs: None,
    },
    Step {
        what: "spec coverage test of the facade",
        args: &["test", "-p", "thousandeyes-usage", "--test", "spec_coverage"],
        needs: Some("facade/tests/spec_coverage.rs"),
    },
];

/// Compile-checks the facade and runs its spec coverage test; fails listing what failed.
pub fn verify_facade(cargo: &OsStr, root: &Path) -> Result<()> {
    let failures = run_steps(cargo, root, FACADE_STEPS);
    if failures.is_empty() {
        println!("facade: compiles and covers the spec");
        Ok(())
    } else {
        Err(Failure(format!(
            "the facade does not keep up with the generated API:\n{}\n\
             Change the crates the compiler names above (facade/, fake/) until these pass; \
             `cargo xtask codegen` runs them again.",
            failures.iter().map(|f| format!("  - {f}")).collect::<Vec<_>>().join("\n")
        )))
    }
}

/// Runs each step in `root` (output shown as it comes), returning a line for each that failed.
/// A step is not run after a failed one: it would fail for the same reason.
pub fn run_steps(cargo: &OsStr, root: &Path, steps: &[Step]) -> Vec<String> {
    let mut failures = Vec::new();
    for step in steps {
        let command = format!("cargo {}", step.args.join(" "));
        if !failures.is_empty() {
            failures
                .push(format!("{}: not checked (`{command}` not run after the failure above)", step.what));
            continue;
        }
        if let Some(needed) = step.needs {
            if !root.join(needed).exists() {
                failures.push(format!(
                    "{}: {} is missing, so `{command}` cannot run",
                    step.what,
                    root.join(needed).display()
                ));
                continue;
            }
        }
        println!("facade: {command}");
        let status = tools::cargo_on(cargo, root).args(step.args).status();
        match status {
            Ok(s) if s.success() => {}
            Ok(s) => failures.push(format!("{}: `{command}` failed ({s}; its output is above)", step.what)),
            Err(e) => failures.push(format!("{}: `{command}` could not start: {e}", step.what)),
        }
    }
    failures
}

/// A Java runtime: `$JAVA_HOME/bin/java` when set, else `java` on the PATH.
fn find_java() -> Result<PathBuf> {
    let candidate = std::env::var_os("JAVA_HOME")
        .map(|home| PathBuf::from(home).join("bin/java"))
        .filter(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("java"));
    match Command::new(&candidate).arg("-version").output() {
        Ok(out) if out.status.success() => Ok(candidate),
        _ => Err(Failure(
            "no Java runtime found (openapi-generator needs Java 11 or newer). Install one, for \
             example `apt-get install default-jre-headless` on Debian or Ubuntu, or set JAVA_HOME."
                .into(),
        )),
    }
}

/// Relative paths of files that are in one tree and not the other, or differ in content.
fn differing_files(a: &Path, b: &Path) -> Result<Vec<String>> {
    let files_a = list_files(a)?;
    let files_b = list_files(b)?;
    let mut differing = Vec::new();
    for rel in files_a.union(&files_b) {
        let (pa, pb) = (a.join(rel), b.join(rel));
        let same = match (fs::read(&pa), fs::read(&pb)) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        };
        if !same {
            differing.push(rel.clone());
        }
    }
    Ok(differing)
}

fn list_files(root: &Path) -> Result<BTreeSet<String>> {
    let mut files = BTreeSet::new();
    if root.exists() {
        walk(root, root, &mut files)?;
    }
    Ok(files)
}

fn walk(root: &Path, dir: &Path, files: &mut BTreeSet<String>) -> Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            if path.file_name() == Some(OsStr::new("target")) {
                continue;
            }
            walk(root, &path, files)?;
        } else if let Ok(rel) = path.strip_prefix(root) {
            files.insert(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}
