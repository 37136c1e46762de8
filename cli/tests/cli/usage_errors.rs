use crate::support::{run, te_usage};

#[tokio::test]
async fn an_unknown_flag_is_a_usage_error_with_status_2() {
    let out = run(te_usage(["--bogus"])).await;
    assert_eq!(out.status, 2, "{out:?}");
    assert!(out.stderr.contains("'--bogus'"), "{}", out.stderr);
}

#[tokio::test]
async fn help_and_version_exit_0_on_stdout() {
    let help = run(te_usage(["--help"])).await;
    assert_eq!(help.status, 0, "{help:?}");
    for word in ["--demo", "--quiet", "--output", "TE_TOKEN", "TE_API_ENDPOINT", "HTTPS_PROXY"] {
        assert!(help.stdout.contains(word), "--help lacks {word}: {}", help.stdout);
    }
    let version = run(te_usage(["--version"])).await;
    assert_eq!(version.status, 0, "{version:?}");
    assert!(version.stdout.starts_with("te-usage "), "{}", version.stdout);
}
