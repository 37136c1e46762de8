use crate::support::{run, te_usage};

#[tokio::test]
async fn completions_for_each_shell_name_the_commands_and_the_global_flags() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = run(te_usage(["completions", shell])).await;
        assert_eq!(out.status, 0, "{shell}: {out:?}");
        for word in ["completions", "demo", "output", "quiet"] {
            assert!(out.stdout.contains(word), "{shell} completion lacks {word}: {}", out.stdout);
        }
    }
}

#[tokio::test]
async fn an_unknown_shell_is_a_usage_error_naming_it() {
    let out = run(te_usage(["completions", "tcsh"])).await;
    assert_eq!(out.status, 2, "{out:?}");
    assert!(out.stderr.contains("'tcsh'"), "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
}
