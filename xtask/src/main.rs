//! Project automation.
//!
//! * `cargo xtask codegen` regenerates `generated/` from `openapi/usage.yaml` with the pinned
//!   openapi-generator, says what changed in the spec since the commit, then compile-checks the facade
//!   and runs its spec coverage test; `--check` fails when `generated/` is not exactly what the
//!   spec and the pin produce.
//! * `cargo xtask spec import FILE` cuts the Usage API out of ThousandEyes' OpenAPI document into
//!   the upstream reference `openapi/upstream/usage.yaml` and says what changed in the API.
//! * `cargo xtask spec check` proves that `openapi/usage.yaml` states every fact of the upstream
//!   reference, or marks where and why it deliberately differs.
//! * `cargo xtask release-check` says, for each published crate, the version bump its API changes
//!   since the last release (`release.toml`) need, from a pinned cargo-semver-checks, and fails
//!   when a crate's version is below it.
//!
//! [`tools`] owns the pinned tools these commands run (openapi-generator-cli, cargo-semver-checks)
//! and the one way they run cargo.

mod codegen;
mod release;
mod spec;
#[cfg(test)]
mod tests;
mod tools;

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <command>

  spec import <FILE>       cut the Usage API out of ThousandEyes' OpenAPI document FILE (the
                           unified one or the Usage API's own) into openapi/upstream/usage.yaml,
                           and say what changed in the API since the previous reference
  spec check               prove openapi/usage.yaml states every fact of the upstream reference,
                           or marks (x-deviation) where and why it deliberately differs
  codegen [--no-verify]    regenerate generated/ from openapi/usage.yaml, say what changed in
                           the spec since the commit, then compile-check the facade and run its spec
                           coverage test (--no-verify skips those two)
  codegen --check [--no-verify]
                           fail, naming the files and the spec changes, when generated/ is not
                           what the spec produces (and verify the facade as above)
  release-check [--verbose]
                           say, for each published crate, the bump its API changes since the
                           last release (release.toml) need, with the findings of the pinned
                           cargo-semver-checks; fail when a crate's version in Cargo.toml is
                           below that bump (--verbose: show cargo-semver-checks' own output too)

The pinned tools, openapi-generator-cli (for codegen) and cargo-semver-checks (for
release-check), are installed on first use into thousandeyes-usage/ under Cargo's home
($CARGO_HOME, else ~/.cargo), where every checkout on the machine finds them.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["help" | "--help" | "-h"] | [] => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        ["codegen", flags @ ..] => codegen_flags(flags).and_then(|(mode, verify)| {
            let ws = Workspace::locate()?;
            codegen::codegen(&ws, mode, verify)
        }),
        ["spec", "import", file] => {
            Workspace::locate().and_then(|ws| spec::import::import(&ws, Path::new(file)))
        }
        ["spec", "check"] => Workspace::locate().and_then(|ws| spec::check::check(&ws)),
        ["release-check"] => Workspace::locate().and_then(|ws| release::release_check(&ws, false)),
        ["release-check", "--verbose" | "-v"] => {
            Workspace::locate().and_then(|ws| release::release_check(&ws, true))
        }
        _ => Err(Failure(format!("unknown arguments {args:?}\n\n{USAGE}"))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("xtask: {failure}");
            ExitCode::FAILURE
        }
    }
}

fn codegen_flags(flags: &[&str]) -> Result<(codegen::Mode, bool)> {
    let (mut mode, mut verify) = (codegen::Mode::Write, true);
    for flag in flags {
        match *flag {
            "--check" => mode = codegen::Mode::Check,
            "--no-verify" => verify = false,
            other => return Err(Failure(format!("unknown codegen flag {other}\n\n{USAGE}"))),
        }
    }
    Ok((mode, verify))
}

/// Why a task failed, as said to the person who ran it.
#[derive(Debug)]
pub struct Failure(pub String);

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure(e.to_string())
    }
}

pub type Result<T, E = Failure> = std::result::Result<T, E>;

/// A number of things, as said to the person who ran a command: `1 file`, `2 files`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The checkout a command acts on.
pub struct Workspace {
    pub root: PathBuf,
}

impl Workspace {
    /// The workspace this command runs in: the nearest directory, from the current one upwards,
    /// that holds a `Cargo.toml` declaring `[workspace]` and an `openapi/usage.yaml`.
    ///
    /// Not `env!("CARGO_MANIFEST_DIR")`: that is where the xtask binary was compiled, and a binary
    /// built in one checkout (a shared or copied `CARGO_TARGET_DIR`) would then act on that one.
    fn locate() -> Result<Self> {
        let cwd = std::env::current_dir()?;
        Self::locate_from(&cwd)
    }

    fn locate_from(start: &Path) -> Result<Self> {
        for dir in start.ancestors() {
            let manifest = dir.join("Cargo.toml");
            let declares_workspace = fs::read_to_string(&manifest)
                .map(|text| text.lines().any(|line| line.trim() == "[workspace]"))
                .unwrap_or(false);
            if declares_workspace && dir.join("openapi/usage.yaml").is_file() {
                let root = fs::canonicalize(dir)?;
                return Ok(Workspace { root });
            }
        }
        Err(Failure(format!(
            "no thousandeyes-usage workspace at or above {}: run this inside a checkout (a directory \
             whose Cargo.toml has [workspace] and that holds openapi/usage.yaml)",
            start.display()
        )))
    }
    pub fn spec(&self) -> PathBuf {
        self.root.join("openapi/usage.yaml")
    }
    pub fn upstream_reference(&self) -> PathBuf {
        self.root.join("openapi/upstream/usage.yaml")
    }
    fn generator_config(&self) -> PathBuf {
        self.root.join("openapi/generator.yaml")
    }
    fn generated(&self) -> PathBuf {
        self.root.join("generated")
    }
    fn scratch(&self) -> PathBuf {
        self.root.join("target/xtask-codegen")
    }
}
