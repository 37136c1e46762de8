//! release-check: Cargo's rules for the version a change needs, the release record, and the
//! reading of cargo-semver-checks' output.

use std::path::Path;

use crate::release::{
    decide, needed, parse_findings, parse_release, render_verdict, Bump, Finding, Level, Verdict, Version,
};

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
