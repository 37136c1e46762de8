//! The workspace is where the command runs, not where xtask was compiled.

use crate::Workspace;

#[test]
fn found_from_any_directory_inside_it() {
    let root = std::fs::canonicalize(super::root()).unwrap();
    let ws = Workspace::locate_from(&root.join("xtask/src/spec")).unwrap();
    assert_eq!(ws.root, root);
    assert!(ws.spec().is_absolute());
}

#[test]
fn outside_a_checkout_it_says_so() {
    let err = Workspace::locate_from(std::path::Path::new("/")).err().expect("no workspace at /").0;
    assert!(err.contains("no thousandeyes-usage workspace at or above /"), "{err}");
}
