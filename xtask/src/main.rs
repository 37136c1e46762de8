//! Project automation.
//!
//! `cargo xtask codegen` regenerates `generated/` from `openapi/usage.yaml` with the pinned
//! openapi-generator; `cargo xtask codegen --check` fails when `generated/` is not exactly what
//! the spec and the pin produce.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Output};

/// The one openapi-generator version this project generates with. Its wheel's hash is pinned in
/// `openapi/generator-requirements.txt`; change both together.
const GENERATOR_VERSION: &str = "7.26.0";

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

const USAGE: &str = "usage: cargo xtask codegen [--check]

  codegen           regenerate generated/ from openapi/usage.yaml
  codegen --check   fail, listing the files that differ, when generated/ is stale";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["codegen"] => codegen(Mode::Write),
        ["codegen", "--check"] => codegen(Mode::Check),
        ["help" | "--help" | "-h"] | [] => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
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

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Write,
    Check,
}

/// Why a task failed, as said to the person who ran it.
struct Failure(String);

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

type Result<T, E = Failure> = std::result::Result<T, E>;

struct Workspace {
    root: PathBuf,
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
    fn spec(&self) -> PathBuf {
        self.root.join("openapi/usage.yaml")
    }
    fn generator_config(&self) -> PathBuf {
        self.root.join("openapi/generator.yaml")
    }
    fn requirements(&self) -> PathBuf {
        self.root.join("openapi/generator-requirements.txt")
    }
    fn generated(&self) -> PathBuf {
        self.root.join("generated")
    }
    fn tools(&self) -> PathBuf {
        self.root.join("target/tools").join(format!("openapi-generator-cli-{GENERATOR_VERSION}"))
    }
    fn scratch(&self) -> PathBuf {
        self.root.join("target/xtask-codegen")
    }
}

fn codegen(mode: Mode) -> Result<()> {
    let ws = Workspace::locate()?;
    let java = find_java()?;
    let jar = ensure_generator(&ws)?;

    run_quiet(
        Command::new(&java).arg("-jar").arg(&jar).arg("validate").arg("-i").arg(ws.spec()),
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
            .arg(ws.spec())
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

    match mode {
        Mode::Write => {
            let target = ws.generated();
            if target.exists() {
                fs::remove_dir_all(&target)?;
            }
            fs::rename(&out, &target)?;
            fs::remove_dir_all(&scratch)?;
            println!(
                "generated/ regenerated from openapi/usage.yaml with openapi-generator {GENERATOR_VERSION}"
            );
            Ok(())
        }
        Mode::Check => {
            let differing = differing_files(&ws.generated(), &out)?;
            fs::remove_dir_all(&scratch)?;
            if differing.is_empty() {
                println!("generated/ is up to date with openapi/usage.yaml");
                Ok(())
            } else {
                let list: Vec<String> = differing.iter().map(|f| format!("  generated/{f}")).collect();
                Err(Failure(format!(
                    "generated/ is not what openapi/usage.yaml and openapi-generator {GENERATOR_VERSION} produce; \
                     these files differ:\n{}\nRun `cargo xtask codegen` (never edit generated/ by hand).",
                    list.join("\n")
                )))
            }
        }
    }
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

/// The pinned generator's jar, installed from PyPI into `target/tools/` on first use (the wheel's
/// hash is checked by pip against `openapi/generator-requirements.txt`).
fn ensure_generator(ws: &Workspace) -> Result<PathBuf> {
    let dir = ws.tools();
    let jar = dir.join("openapi_generator_cli/openapi-generator.jar");
    if jar.exists() {
        return Ok(jar);
    }
    let python = ["python3", "python"]
        .into_iter()
        .find(|p| Command::new(p).args(["-m", "pip", "--version"]).output().is_ok_and(|o| o.status.success()))
        .ok_or_else(|| {
            Failure(
                "no Python with pip found; it is needed once to fetch openapi-generator-cli \
                 from PyPI (install python3 and python3-pip)"
                    .into(),
            )
        })?;
    eprintln!("xtask: installing openapi-generator-cli {GENERATOR_VERSION} into {}", dir.display());
    if dir.exists() {
        fs::remove_dir_all(&dir)?;
    }
    run_quiet(
        Command::new(python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-deps",
                "--require-hashes",
                "--target",
            ])
            .arg(&dir)
            .arg("-r")
            .arg(ws.requirements()),
        "installing openapi-generator-cli from PyPI",
    )?;
    if jar.exists() {
        Ok(jar)
    } else {
        Err(Failure(format!(
            "openapi-generator-cli {GENERATOR_VERSION} installed, but {} is missing",
            jar.display()
        )))
    }
}

/// Runs a command, showing its output only when it fails.
fn run_quiet(cmd: &mut Command, what: &str) -> Result<Output> {
    let output =
        cmd.output().map_err(|e| Failure(format!("{what}: could not start {:?}: {e}", cmd.get_program())))?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(Failure(format!(
            "{what} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )))
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
