//! The facade checks after codegen: the right commands, failures said plainly.

use std::ffi::OsStr;

use crate::codegen::{run_steps, spec_summary, verify_facade, Step, FACADE_STEPS};

#[test]
fn the_facade_is_compile_checked_then_its_coverage_test_runs() {
    let commands: Vec<String> = FACADE_STEPS.iter().map(|s| s.args.join(" ")).collect();
    assert_eq!(
        commands,
        [
            "check -p thousandeyes-usage -p thousandeyes-usage-fake --all-targets",
            "test -p thousandeyes-usage --test spec_coverage"
        ]
    );
    assert_eq!(FACADE_STEPS[1].needs, Some("facade/tests/spec_coverage.rs"));
}

#[test]
fn failures_name_the_step_and_the_command() {
    let root = super::root();
    // `false` stands for a cargo whose every command fails.
    let failures = run_steps(OsStr::new("false"), &root, FACADE_STEPS);
    assert_eq!(failures.len(), 2, "{failures:#?}");
    assert!(
        failures[0].starts_with(
            "compile check of the generated crate's users (the facade, the fake, their tests): \
             `cargo check -p thousandeyes-usage -p thousandeyes-usage-fake --all-targets` failed"
        ),
        "{failures:#?}"
    );
    assert!(failures[1].contains("not checked"), "{failures:#?}");
    let err = verify_facade(OsStr::new("false"), &root).expect_err("fails").0;
    assert!(err.contains("the facade does not keep up with the generated API"), "{err}");

    // `true` stands for a cargo whose every command passes.
    let steps = [Step { what: "it compiles", args: &["check"], needs: None }];
    assert!(run_steps(OsStr::new("true"), &root, &steps).is_empty());
}

#[test]
fn a_missing_coverage_test_is_a_failure_naming_the_file() {
    let steps = [Step { what: "coverage", args: &["test"], needs: Some("facade/tests/no_such_test.rs") }];
    let failures = run_steps(OsStr::new("true"), &super::root(), &steps);
    assert_eq!(failures.len(), 1);
    assert!(failures[0].contains("facade/tests/no_such_test.rs is missing"), "{failures:#?}");
}

#[test]
fn the_summary_lists_the_spec_changes_since_the_commit_breaking_ones_tagged() {
    let dir = std::env::temp_dir().join(format!("xtask-spec-summary-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("openapi")).unwrap();
    let spec = dir.join("openapi/usage.yaml");
    std::fs::copy(super::root().join("openapi/usage.yaml"), &spec).unwrap();
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(&dir)
            .args(["-c", "user.name=xtask", "-c", "user.email=xtask@localhost"])
            .args(args)
            .output()
            .expect("git runs");
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    git(&["init", "-q"]);
    git(&["add", "openapi/usage.yaml"]);
    git(&["commit", "-q", "-m", "spec"]);
    let same = spec_summary(&dir);
    assert!(same.contains("states the same API facts as committed"), "{same}");

    let text = std::fs::read_to_string(&spec).unwrap();
    let edited = text.replacen("        - endpoint-agent-embedded\n", "", 1);
    assert_ne!(edited, text, "the spec lists endpoint-agent-embedded as an expand value");
    std::fs::write(&spec, edited).unwrap();
    let summary = spec_summary(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        summary.contains("openapi/usage.yaml changes since the commit: 1 (1 breaking for clients)"),
        "{summary}"
    );
    assert!(
        summary.contains("BREAKING removed enum value endpoint-agent-embedded: GET /usage query expand[]"),
        "{summary}"
    );
}
