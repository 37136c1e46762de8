//! The programs xtask runs: the two pinned tools, and the one way of running cargo.
//!
//! # Pinned tools
//!
//! Two tools decide what this project produces, so each is pinned to one version:
//! [`GENERATOR`] (openapi-generator-cli, from its wheel on PyPI, whose hash
//! `openapi/generator-requirements.txt` pins) writes `generated/`, and [`SEMVER_CHECKS`]
//! (cargo-semver-checks, from crates.io with its own `Cargo.lock`) judges a release. Both are
//! installed the same way, on first use, into one place: a folder named for the tool and its
//! version, `<name>-<version>`, inside [`home`], `thousandeyes-usage/` in Cargo's home
//! (`$CARGO_HOME`, else `$HOME/.cargo`).
//!
//! Why there:
//!
//! * It outlives the checkout's `target/`, which `cargo clean` wipes: cargo-semver-checks takes
//!   minutes of every core to compile, and should do so once a machine.
//! * It is shared by every clone and worktree on the machine, as the tools Cargo installs are:
//!   a fresh clone reuses what another installed.
//! * It follows `CARGO_HOME`, so a CI that caches Cargo's home keeps the tools with it.
//! * Its folders are named by version: a branch that pins another version installs beside the
//!   one there, and neither overwrites the other.
//!
//! Where neither `CARGO_HOME` nor `HOME` is set, there is no home to share, and the tools go to
//! the checkout's `target/tools/`.
//!
//! A tool is installed into a staging folder beside its own and moved into place only once its
//! file is there, so its folder is whole or absent: a run that was interrupted, or two checkouts
//! installing at the same time, leave no half-installed tool to be found. So a tool is located by
//! one test, the same for both: its file in its versioned folder.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::{Failure, Result, Workspace};

/// A tool pinned to one version.
#[derive(Debug)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
    /// The file xtask uses, relative to the tool's folder.
    pub file: &'static str,
    pub origin: Origin,
}

/// Where a tool comes from, and so how it is installed.
#[derive(Debug)]
pub enum Origin {
    /// A wheel on PyPI, installed with pip from a requirements file of the workspace that pins
    /// the wheel's hash (`--require-hashes`).
    PyPi { requirements: &'static str },
    /// A crate on crates.io, built with `cargo install --locked` (the crate's own `Cargo.lock`).
    CratesIo,
}

/// The openapi-generator that writes `generated/` (its jar, run with Java). Its wheel's hash is
/// pinned in `openapi/generator-requirements.txt`; change both together.
pub const GENERATOR: Tool = Tool {
    name: "openapi-generator-cli",
    version: "7.26.0",
    file: "openapi_generator_cli/openapi-generator.jar",
    origin: Origin::PyPi { requirements: "openapi/generator-requirements.txt" },
};

/// The cargo-semver-checks that `release-check` judges releases with (the newest that runs on
/// the stable toolchain; 0.51 needs Rust 1.93 or newer).
pub const SEMVER_CHECKS: Tool = Tool {
    name: "cargo-semver-checks",
    version: "0.51.0",
    file: "bin/cargo-semver-checks",
    origin: Origin::CratesIo,
};

/// Where the pinned tools are installed: `thousandeyes-usage/` in Cargo's home (`$CARGO_HOME`,
/// else `$HOME/.cargo`), or the checkout's `target/tools/` when neither is set.
pub fn home(ws: &Workspace) -> PathBuf {
    home_from(std::env::var_os("CARGO_HOME"), std::env::var_os("HOME"), &ws.root)
}

/// [`home`], from the values of `CARGO_HOME` and `HOME` (an empty one counts as unset) and the
/// workspace root.
pub fn home_from(cargo_home: Option<OsString>, home: Option<OsString>, root: &Path) -> PathBuf {
    let set = |value: Option<OsString>| value.filter(|v| !v.is_empty()).map(PathBuf::from);
    match set(cargo_home).or_else(|| set(home).map(|home| home.join(".cargo"))) {
        Some(cargo_home) => cargo_home.join("thousandeyes-usage"),
        None => root.join("target/tools"),
    }
}

impl Tool {
    /// Its folder in the tools' `home`: `<name>-<version>`.
    pub fn dir(&self, home: &Path) -> PathBuf {
        home.join(format!("{}-{}", self.name, self.version))
    }

    /// Its file, when it is installed in `home`.
    pub fn locate(&self, home: &Path) -> Option<PathBuf> {
        let file = self.dir(home).join(self.file);
        file.is_file().then_some(file)
    }

    /// Its file, installed into [`home`] first when it is not there.
    pub fn ensure(&self, ws: &Workspace) -> Result<PathBuf> {
        self.ensure_in(&home(ws), |staging| self.install(ws, staging))
    }

    /// Its file in `home`; when it is not there, `install` puts the tool into a staging folder
    /// (given), which is moved into place once the tool's file is in it.
    pub fn ensure_in(&self, home: &Path, install: impl FnOnce(&Path) -> Result<()>) -> Result<PathBuf> {
        if let Some(file) = self.locate(home) {
            return Ok(file);
        }
        let dir = self.dir(home);
        eprintln!("xtask: installing {} {} into {} ({})", self.name, self.version, dir.display(), self.how());
        fs::create_dir_all(home)?;
        let staging = home.join(format!(".{}-{}.installing-{}", self.name, self.version, std::process::id()));
        if staging.exists() {
            fs::remove_dir_all(&staging)?;
        }
        let installed = install(&staging).and_then(|()| {
            let file = staging.join(self.file);
            if file.is_file() {
                Ok(())
            } else {
                Err(Failure(format!(
                    "{} {} installed, but {} is missing",
                    self.name,
                    self.version,
                    file.display()
                )))
            }
        });
        let moved = installed.and_then(|()| {
            // A folder without the tool's file holds no tool: make way.
            if dir.exists() && self.locate(home).is_none() {
                fs::remove_dir_all(&dir)?;
            }
            match fs::rename(&staging, &dir) {
                Ok(()) => Ok(()),
                // Another run installed it meanwhile: use that one.
                Err(_) if self.locate(home).is_some() => Ok(()),
                Err(e) => Err(Failure(format!("moving {} to {}: {e}", staging.display(), dir.display()))),
            }
        });
        if staging.exists() {
            let _ = fs::remove_dir_all(&staging);
        }
        moved?;
        self.locate(home).ok_or_else(|| Failure(format!("{} is missing after its install", dir.display())))
    }

    /// How it is installed, in a word to the person waiting.
    fn how(&self) -> String {
        match self.origin {
            Origin::PyPi { requirements } => {
                format!("pip install --require-hashes -r {requirements}, from PyPI")
            }
            Origin::CratesIo => format!(
                "cargo install --locked --version {} {}; it compiles for some minutes, once",
                self.version, self.name
            ),
        }
    }

    /// Installs it into `dir`.
    fn install(&self, ws: &Workspace, dir: &Path) -> Result<()> {
        match self.origin {
            Origin::PyPi { requirements } => {
                let python = ["python3", "python"]
                    .into_iter()
                    .find(|p| {
                        Command::new(p)
                            .args(["-m", "pip", "--version"])
                            .output()
                            .is_ok_and(|o| o.status.success())
                    })
                    .ok_or_else(|| {
                        Failure(format!(
                            "no Python with pip found; it is needed once to fetch {} from PyPI \
                             (install python3 and python3-pip)",
                            self.name
                        ))
                    })?;
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
                        .arg(dir)
                        .arg("-r")
                        .arg(ws.root.join(requirements)),
                    &format!("installing {} from PyPI", self.name),
                )
                .map(drop)
            }
            Origin::CratesIo => {
                let status = cargo(ws)
                    .args(["install", "--locked", "--version", self.version, self.name, "--root"])
                    .arg(dir)
                    .status()
                    .map_err(|e| Failure(format!("could not run cargo install: {e}")))?;
                if status.success() {
                    Ok(())
                } else {
                    Err(Failure(format!("installing {} {} failed ({status})", self.name, self.version)))
                }
            }
        }
    }
}

/// Which cargo xtask runs: the one that runs xtask (`$CARGO`, set by `cargo xtask`), else
/// `cargo` on the PATH.
pub fn cargo_program() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"))
}

/// A command of the cargo `program` on the workspace at `root`: it runs in `root`, so that cargo
/// reads that workspace's manifest and configuration, wherever in the checkout xtask was started.
pub fn cargo_on(program: &OsStr, root: &Path) -> Command {
    let mut command = Command::new(program);
    command.current_dir(root);
    command
}

/// `cargo` on the workspace: [`cargo_on`] with [`cargo_program`].
pub fn cargo(ws: &Workspace) -> Command {
    cargo_on(&cargo_program(), &ws.root)
}

/// Runs a command, showing its output only when it fails.
pub fn run_quiet(cmd: &mut Command, what: &str) -> Result<Output> {
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
