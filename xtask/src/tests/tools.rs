//! The pinned tools: one home for both, a folder per version, found by one test, installed whole
//! or not at all; and the one cargo, run in the workspace.
//!
//! The installs here are stand-ins that write the tool's file (the real ones fetch from PyPI and
//! compile from crates.io: `cargo xtask codegen` and `cargo xtask release-check` run them).

use std::cell::Cell;
use std::ffi::{OsStr, OsString};
use std::fs;
use std::path::{Path, PathBuf};

use crate::tools::{cargo_on, home_from, Origin, Tool, GENERATOR, SEMVER_CHECKS};
use crate::{Failure, Result};

/// A fresh, empty folder for one test.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xtask-tools-{test}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = match fs::read_dir(dir) {
        Ok(entries) => entries.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}

/// An install that writes `tool`'s file into the folder it is given, counting its calls.
fn writes_the_file<'a>(tool: &'a Tool, calls: &'a Cell<usize>) -> impl FnOnce(&Path) -> Result<()> + 'a {
    move |dir| {
        calls.set(calls.get() + 1);
        let file = dir.join(tool.file);
        fs::create_dir_all(file.parent().unwrap())?;
        fs::write(file, "the tool")?;
        Ok(())
    }
}

#[test]
fn the_tools_home_is_thousandeyes_usage_in_cargos_home_else_the_checkouts_target() {
    let root = Path::new("/checkout");
    let some = |s: &str| Some(OsString::from(s));
    assert_eq!(
        home_from(some("/ci/cargo"), some("/home/me"), root),
        Path::new("/ci/cargo/thousandeyes-usage")
    );
    assert_eq!(home_from(None, some("/home/me"), root), Path::new("/home/me/.cargo/thousandeyes-usage"));
    assert_eq!(home_from(some(""), some("/home/me"), root), Path::new("/home/me/.cargo/thousandeyes-usage"));
    assert_eq!(home_from(None, None, root), Path::new("/checkout/target/tools"));
}

#[test]
fn both_pinned_tools_live_in_the_one_home_each_in_a_folder_named_for_its_version() {
    let home = Path::new("/home/me/.cargo/thousandeyes-usage");
    assert_eq!(GENERATOR.dir(home), home.join("openapi-generator-cli-7.26.0"));
    assert_eq!(SEMVER_CHECKS.dir(home), home.join("cargo-semver-checks-0.51.0"));
    assert_eq!(GENERATOR.file, "openapi_generator_cli/openapi-generator.jar");
    assert_eq!(SEMVER_CHECKS.file, "bin/cargo-semver-checks");
    assert!(matches!(SEMVER_CHECKS.origin, Origin::CratesIo));
}

#[test]
fn the_generators_wheel_is_pinned_by_hash_at_the_generators_version() {
    let Origin::PyPi { requirements } = GENERATOR.origin else { panic!("the generator comes from PyPI") };
    let text = fs::read_to_string(super::root().join(requirements)).unwrap();
    assert!(text.contains(&format!("openapi-generator-cli=={} \\", GENERATOR.version)), "{text}");
    assert!(text.contains("--hash=sha256:"), "{text}");
}

#[test]
fn an_installed_tool_is_found_without_installing() {
    let home = scratch("found");
    let calls = Cell::new(0);
    let installed = SEMVER_CHECKS.ensure_in(&home, writes_the_file(&SEMVER_CHECKS, &calls)).unwrap();
    assert_eq!(installed, SEMVER_CHECKS.dir(&home).join("bin/cargo-semver-checks"));
    assert_eq!(SEMVER_CHECKS.locate(&home), Some(installed.clone()));

    let again = SEMVER_CHECKS.ensure_in(&home, writes_the_file(&SEMVER_CHECKS, &calls)).unwrap();
    assert_eq!(again, installed);
    assert_eq!(calls.get(), 1, "installed once, then found");
    // Another version of the same tool is not it.
    let next = Tool { version: "0.52.0", ..SEMVER_CHECKS };
    assert_eq!(next.locate(&home), None);
    fs::remove_dir_all(&home).unwrap();
}

#[test]
fn a_tool_is_installed_in_a_staging_folder_and_moved_into_place_whole() {
    let home = scratch("staged");
    let staged_in = std::cell::RefCell::new(PathBuf::new());
    let jar = GENERATOR
        .ensure_in(&home, |dir| {
            *staged_in.borrow_mut() = dir.to_path_buf();
            // While it installs, its folder is not there to be found.
            assert_eq!(GENERATOR.locate(&home), None);
            assert!(!GENERATOR.dir(&home).exists());
            writes_the_file(&GENERATOR, &Cell::new(0))(dir)
        })
        .unwrap();
    assert_eq!(jar, GENERATOR.dir(&home).join("openapi_generator_cli/openapi-generator.jar"));
    let staged_in = staged_in.into_inner();
    assert_eq!(staged_in.parent(), Some(home.as_path()), "staged beside its folder");
    assert_ne!(staged_in, GENERATOR.dir(&home));
    assert_eq!(names(&home), ["openapi-generator-cli-7.26.0"], "no staging folder is left");
    fs::remove_dir_all(&home).unwrap();
}

#[test]
fn a_failed_install_leaves_nothing_to_be_found() {
    let home = scratch("failed");
    let err = GENERATOR
        .ensure_in(&home, |dir| {
            fs::create_dir_all(dir.join("openapi_generator_cli"))?;
            Err(Failure("pip was interrupted".into()))
        })
        .unwrap_err()
        .0;
    assert_eq!(err, "pip was interrupted");
    assert_eq!(GENERATOR.locate(&home), None);
    assert!(names(&home).is_empty(), "{:?}", names(&home));

    // An install that says it succeeded but did not write the tool's file is a failure too.
    let err = GENERATOR.ensure_in(&home, |dir| Ok(fs::create_dir_all(dir)?)).unwrap_err().0;
    assert!(
        err.starts_with("openapi-generator-cli 7.26.0 installed, but ")
            && err.ends_with("openapi_generator_cli/openapi-generator.jar is missing"),
        "{err}"
    );
    assert!(names(&home).is_empty(), "{:?}", names(&home));
    fs::remove_dir_all(&home).unwrap();
}

#[test]
fn a_folder_without_the_tools_file_is_replaced_by_a_whole_install() {
    let home = scratch("replaced");
    fs::create_dir_all(SEMVER_CHECKS.dir(&home).join("bin")).unwrap();
    fs::write(SEMVER_CHECKS.dir(&home).join(".crates.toml"), "left by an interrupted install").unwrap();
    let calls = Cell::new(0);
    let bin = SEMVER_CHECKS.ensure_in(&home, writes_the_file(&SEMVER_CHECKS, &calls)).unwrap();
    assert_eq!(calls.get(), 1);
    assert!(bin.is_file());
    assert!(!SEMVER_CHECKS.dir(&home).join(".crates.toml").exists());
    fs::remove_dir_all(&home).unwrap();
}

#[test]
fn a_tool_another_run_installed_meanwhile_is_used() {
    let home = scratch("raced");
    let calls = Cell::new(0);
    let bin = SEMVER_CHECKS
        .ensure_in(&home, |dir| {
            // Another checkout finishes the same install first.
            writes_the_file(&SEMVER_CHECKS, &Cell::new(0))(&SEMVER_CHECKS.dir(&home))?;
            writes_the_file(&SEMVER_CHECKS, &calls)(dir)
        })
        .unwrap();
    assert_eq!(calls.get(), 1);
    assert_eq!(bin, SEMVER_CHECKS.dir(&home).join("bin/cargo-semver-checks"));
    assert_eq!(names(&home), ["cargo-semver-checks-0.51.0"], "no staging folder is left");
    fs::remove_dir_all(&home).unwrap();
}

#[test]
fn cargo_runs_in_the_workspace_root_wherever_xtask_was_started() {
    let root = fs::canonicalize(super::root()).unwrap();
    let command = cargo_on(OsStr::new("pwd"), &root);
    assert_eq!(command.get_current_dir(), Some(root.as_path()));
    let out = cargo_on(OsStr::new("pwd"), &root).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), root.to_string_lossy());
}
