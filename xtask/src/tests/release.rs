//! release-check: Cargo's rules for the version a change needs, the release record, and the
//! reading of cargo-semver-checks' output.

use std::path::Path;

use crate::release::{
    decide, metadata, needed, parse_findings, parse_release, render_verdict, Bump, Finding, Level, Verdict,
    Version, CARRIES, PUBLISHED,
};
use crate::Workspace;

fn v(text: &str) -> Version {
    Version::parse(text).unwrap()
}

#[test]
fn at_0_x_a_breaking_change_needs_the_next_minor_and_an_addition_the_next_patch() {
    assert_eq!(needed(v("0.1.0"), Level::Major), (v("0.2.0"), Bump::Minor));
    assert_eq!(needed(v("0.1.3"), Level::Major), (v("0.2.0"), Bump::Minor));
    assert_eq!(needed(v("0.1.0"), Level::Minor), (v("0.1.1"), Bump::Patch));
    assert_eq!(needed(v("0.1.0"), Level::None), (v("0.1.0"), Bump::None));

    assert!(decide(v("0.1.0"), v("0.1.0"), Level::Major).unwrap_err().contains("need version 0.2.0"));
    // 0.1.5 is still compatible with 0.1.0 for Cargo (`^0.1.0` accepts it): not enough.
    assert!(decide(v("0.1.0"), v("0.1.5"), Level::Major).is_err());
    assert_eq!(decide(v("0.1.0"), v("0.2.0"), Level::Major), Ok(()));
    assert_eq!(decide(v("0.1.0"), v("1.0.0"), Level::Major), Ok(()));

    assert!(decide(v("0.1.0"), v("0.1.0"), Level::Minor).unwrap_err().contains("need version 0.1.1"));
    assert_eq!(decide(v("0.1.0"), v("0.1.1"), Level::Minor), Ok(()));
    assert_eq!(decide(v("0.1.0"), v("0.2.0"), Level::Minor), Ok(()));
}

#[test]
fn at_0_0_z_every_change_needs_the_next_patch() {
    assert_eq!(needed(v("0.0.3"), Level::Major), (v("0.0.4"), Bump::Patch));
    assert_eq!(needed(v("0.0.3"), Level::Minor), (v("0.0.4"), Bump::Patch));
    assert!(decide(v("0.0.3"), v("0.0.3"), Level::Minor).is_err());
    assert_eq!(decide(v("0.0.3"), v("0.0.4"), Level::Major), Ok(()));
}

#[test]
fn from_1_0_0_a_breaking_change_needs_the_next_major_and_an_addition_the_next_minor() {
    assert_eq!(needed(v("1.4.2"), Level::Major), (v("2.0.0"), Bump::Major));
    assert_eq!(needed(v("1.4.2"), Level::Minor), (v("1.5.0"), Bump::Minor));
    assert!(decide(v("1.4.2"), v("1.9.0"), Level::Major).is_err());
    assert!(decide(v("1.4.2"), v("1.4.3"), Level::Minor).is_err());
    assert_eq!(decide(v("1.4.2"), v("1.5.0"), Level::Minor), Ok(()));
}

#[test]
fn no_change_passes_at_the_released_version_and_a_version_below_the_release_fails() {
    assert_eq!(decide(v("0.1.0"), v("0.1.0"), Level::None), Ok(()));
    assert_eq!(decide(v("0.1.0"), v("0.1.1"), Level::None), Ok(()));
    assert!(decide(v("0.2.0"), v("0.1.9"), Level::None)
        .unwrap_err()
        .contains("below the last release, 0.2.0"));
}

#[test]
fn versions_are_major_minor_patch_and_anything_else_is_refused_by_name() {
    assert_eq!(v("10.20.30"), Version { major: 10, minor: 20, patch: 30 });
    assert!(v("0.10.0") > v("0.9.9"));
    for bad in ["0.2", "0.2.0.1", "0.2.0-alpha.1", "01.0.0", "a.b.c", ""] {
        let err = Version::parse(bad).expect_err(bad).0;
        assert!(err.contains(&format!("{bad:?}")), "{err}");
    }
}

#[test]
fn the_release_record_states_a_version_and_a_full_commit() {
    let sha = "027f514e738950b0f338a7ea526ced79eb85e49a";
    let text = format!("# the last release\nversion = \"0.1.0\"\ncommit = \"{sha}\" # cut here\n");
    let release = parse_release(&text).unwrap();
    assert_eq!((release.version, release.commit.as_str()), (v("0.1.0"), sha));

    let short = parse_release("version = \"0.1.0\"\ncommit = \"027f514\"\n").unwrap_err().0;
    assert!(short.contains("\"027f514\" is not a full commit id"), "{short}");
    let missing = parse_release("version = \"0.1.0\"\n").unwrap_err().0;
    assert!(missing.contains("both `version` and `commit`"), "{missing}");
    let unknown = parse_release("tag = \"v0.1.0\"\n").unwrap_err().0;
    assert!(unknown.contains("unknown key \"tag\""), "{unknown}");
}

#[test]
fn the_committed_release_record_reads() {
    let text = std::fs::read_to_string(super::root().join("release.toml")).unwrap();
    parse_release(&text).unwrap();
}

/// cargo-semver-checks 0.51.0's report on the generated crate with the expand value
/// `endpoint-agent-embedded` removed and an optional property added to `UnitsByTests`
/// (`--verbose --color never`; the passing lints' lines and the build's left out).
const STDOUT: &str = "
--- failure constructible_struct_adds_field: struct exhaustively constructible through public API adds field ---

Description:
A pub struct that could be exhaustively constructed with a literal using only public API has a new pub field, breaking existing exhaustive literals.
        ref: https://doc.rust-lang.org/reference/expressions/struct-expr.html
       impl: https://github.com/obi1kenobi/cargo-semver-checks/tree/v0.51.0/src/lints/constructible_struct_adds_field.ron

Failed in:
  field UnitsByTests.is_shared_test in /srv/thousandeyes-usage/generated/src/models/units_by_tests.rs:42

--- failure enum_variant_missing: pub enum variant removed or renamed ---

Description:
A publicly-visible enum has at least one variant that is no longer available under its prior name. It may have been renamed or removed entirely.
        ref: https://doc.rust-lang.org/cargo/reference/semver.html#item-remove
       impl: https://github.com/obi1kenobi/cargo-semver-checks/tree/v0.51.0/src/lints/enum_variant_missing.ron

Failed in:
  variant ExpandUsageOptions::EndpointAgentEmbedded, previously in file /srv/thousandeyes-usage/target/semver-checks/git-027f514e738950b0f338a7ea526ced79eb85e49a/56b4b799d0754f9c4d5fc63c0fc6c34c26d27789/generated/src/models/expand_usage_options.rs:22
";

const STDERR: &str = "    Checking thousandeyes-usage-generated v0.1.0 -> v0.1.0 (assume patch change)
    Starting 229 checks, 31 unnecessary on 2 threads
        PASS [   0.001s]       major        enum_missing
        FAIL [   0.007s]       major        constructible_struct_adds_field
        FAIL [   0.000s]       major        enum_variant_missing
        PASS [   0.000s]       minor        enum_variant_added_to_non_exhaustive
     Checked [   0.145s] 229 checks: 227 pass, 2 fail, 0 warn, 31 skip
     Summary semver requires new major version: 2 major and 0 minor checks failed
";

#[test]
fn each_finding_is_read_with_its_lint_level_item_and_file_relative_to_the_checkout() {
    let (root, target) = (Path::new("/srv/thousandeyes-usage"), Path::new("/srv/thousandeyes-usage/target"));
    let findings = parse_findings(STDOUT, STDERR, &[root, target]).unwrap();
    let finding = |lint: &str, item: &str, file: &str| Finding {
        lint: lint.into(),
        level: Level::Major,
        warning: false,
        item: item.into(),
        file: file.into(),
    };
    assert_eq!(
        findings,
        [
            finding(
                "constructible_struct_adds_field",
                "field UnitsByTests.is_shared_test",
                "generated/src/models/units_by_tests.rs:42"
            ),
            finding(
                "enum_variant_missing",
                "variant ExpandUsageOptions::EndpointAgentEmbedded",
                "generated/src/models/expand_usage_options.rs:22"
            ),
        ]
    );
    // A lint whose level the report does not state is an error, not a guess.
    let err = parse_findings(STDOUT, "", &[root]).unwrap_err();
    assert!(err.contains("constructible_struct_adds_field"), "{err}");
}

#[test]
fn the_verdict_names_the_bump_the_version_it_needs_and_each_finding() {
    let findings = parse_findings(STDOUT, STDERR, &[Path::new("/srv/thousandeyes-usage")]).unwrap();
    let verdict = Verdict {
        krate: "thousandeyes-usage-generated".into(),
        version: v("0.1.0"),
        findings,
        carried: Vec::new(),
    };
    let text = render_verdict(v("0.1.0"), &verdict).unwrap_err();
    assert!(
        text.starts_with(
            "  thousandeyes-usage-generated 0.1.0: needs a minor bump, to 0.2.0 or later (a breaking release: \
             at 0.x Cargo treats a minor bump as breaking): FAILS: its changes need version 0.2.0 or later"
        ),
        "{text}"
    );
    assert!(
        text.contains("    breaking enum_variant_missing: variant ExpandUsageOptions::EndpointAgentEmbedded (generated/src/models/expand_usage_options.rs:22)"),
        "{text}"
    );

    let bumped = Verdict { version: v("0.2.0"), ..verdict };
    assert!(render_verdict(v("0.1.0"), &bumped)
        .unwrap()
        .contains("0.2.0: needs a minor bump, to 0.2.0 or later"));
    let none = Verdict {
        krate: "thousandeyes-usage".into(),
        version: v("0.1.0"),
        findings: Vec::new(),
        carried: Vec::new(),
    };
    let text = render_verdict(v("0.1.0"), &none).unwrap();
    assert_eq!(
        text,
        "  thousandeyes-usage 0.1.0: needs no bump (no API change calls for a new version): ok\n"
    );
}

#[test]
fn a_crate_that_re_exports_the_generated_models_needs_the_bump_of_their_changes() {
    assert!(CARRIES.contains(&("thousandeyes-usage", "thousandeyes-usage-generated")));
    assert!(CARRIES.contains(&("thousandeyes-usage-fake", "thousandeyes-usage-generated")));
    let facade = Verdict {
        krate: "thousandeyes-usage".into(),
        version: v("0.1.0"),
        findings: Vec::new(),
        carried: vec![("thousandeyes-usage-generated".into(), Level::Major)],
    };
    assert_eq!(facade.level(), Level::Major);
    let text = render_verdict(v("0.1.0"), &facade).unwrap_err();
    assert!(text.contains("needs a minor bump, to 0.2.0 or later"), "{text}");
    assert!(
        text.contains(
            "    breaking the changes of thousandeyes-usage-generated above: its types are part of this crate's API"
        ),
        "{text}"
    );
}

#[test]
fn cargo_metadata_gives_each_published_crates_version_and_the_target_directory() {
    // The tests run in xtask/: cargo runs in the workspace it is given (tools::cargo).
    let ws = Workspace { root: super::root() };
    let found = metadata(&ws).unwrap();
    let workspace_version = found.versions.iter().find(|(name, _)| name == "xtask").map(|(_, v)| *v);
    for krate in PUBLISHED {
        let version = found.versions.iter().find(|(name, _)| name == krate).map(|(_, v)| *v);
        assert!(version.is_some(), "{krate} is not among {:?}", found.versions);
        assert_eq!(version, workspace_version, "{krate} has the workspace's version");
    }
    assert!(found.target.is_absolute(), "{}", found.target.display());
}
