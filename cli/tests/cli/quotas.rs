//! `te-usage quotas show | plan | apply` against the fake's Acme quotas: organization 1001 at
//! 25,000,000 units; account groups 1234 (1,500,000), 1235 (5,000,000), 1236 (2,500,000), 1238
//! (1,000,000), and 1237 "Corporate IT" without a quota.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use thousandeyes_usage_fake::{Failure, FakeUsageApi, Operation};

use crate::support::{posts, run, scratch_dir, te_usage_on, without_te_variables, Run};

/// The fake's quotas now: the organization's, and each account group's.
fn quotas_of(fake: &FakeUsageApi) -> (Option<i64>, BTreeMap<String, i64>) {
    let quotas = fake.quotas();
    let org = quotas.iter().find_map(|q| q.organization_quota.as_ref().map(|o| o.value));
    let groups = quotas
        .iter()
        .flat_map(|q| q.account_group_quotas.iter().flatten())
        .filter_map(|g| Some((g.aid.clone()?, g.value?)))
        .collect();
    (org, groups)
}

fn groups(pairs: &[(&str, i64)]) -> BTreeMap<String, i64> {
    pairs.iter().map(|(aid, v)| ((*aid).to_string(), *v)).collect()
}

async fn show(fake: &FakeUsageApi) -> String {
    let out = run(te_usage_on(fake, ["quotas", "show"])).await;
    assert_eq!(out.status, 0, "{out:?}");
    out.stdout
}

/// `quotas show`'s file, edited: the organization to 20,000,000, Payments (1236) without a
/// quota, Corporate IT (1237) given 750,000, EMEA Retail (1238) left out (so removed).
fn edited(shown: &str) -> String {
    let edited = shown
        .replace("quota = 25_000_000", "quota = 20_000_000")
        .replace("quota = 2_500_000", "quota = \"none\"")
        .replace("name = \"Corporate IT\"\nquota = \"none\"", "name = \"Corporate IT\"\nquota = 750_000");
    let cut = edited.find("[[organization.account_group]]\naid = \"1238\"").expect("1238 is shown");
    edited[..cut].to_string()
}

/// [`edited`] written to a quotas file in a scratch directory named `test`.
async fn edited_file(fake: &FakeUsageApi, test: &str) -> PathBuf {
    write(&scratch_dir(test), "quotas.toml", &edited(&show(fake).await))
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write the quotas file");
    path
}

async fn plan(fake: &FakeUsageApi, file: &Path) -> Run {
    run(te_usage_on(fake, ["quotas".as_ref(), "plan".as_ref(), file.as_os_str()])).await
}

async fn apply_yes(fake: &FakeUsageApi, file: &Path) -> Run {
    run(te_usage_on(fake, ["quotas".as_ref(), "apply".as_ref(), "--yes".as_ref(), file.as_os_str()])).await
}

#[tokio::test]
async fn show_prints_every_quota_and_the_account_group_without_one_and_plan_on_it_exits_0() {
    let fake = FakeUsageApi::start().await;
    let dir = scratch_dir("quotas-show-plan");
    let shown = show(&fake).await;
    for line in [
        "id = \"1001\"\nquota = 25_000_000",
        "aid = \"1234\"\nname = \"Network Operations\"\nquota = 1_500_000",
    ] {
        assert!(shown.contains(line), "{line:?} not in:\n{shown}");
    }
    assert!(shown.contains("aid = \"1237\"\nname = \"Corporate IT\"\nquota = \"none\""), "{shown}");
    let file = write(&dir, "quotas.toml", &shown);
    let out = plan(&fake, &file).await;
    assert_eq!(out.status, 0, "{out:?}");
    assert!(out.stdout.starts_with("No changes"), "{}", out.stdout);
    assert_eq!(posts(&fake), Vec::<String>::new());
}

#[tokio::test]
async fn show_as_json_and_table_give_the_same_quotas() {
    let fake = FakeUsageApi::start().await;
    let out = run(te_usage_on(&fake, ["quotas", "show", "-o", "json"])).await;
    assert_eq!(out.status, 0, "{out:?}");
    let json: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    let org = &json["organizations"][0];
    assert_eq!((org["id"].as_str(), org["quota"].as_i64()), (Some("1001"), Some(25_000_000)));
    let group = |aid: &str| {
        org["account_groups"].as_array().unwrap().iter().find(|g| g["aid"] == aid).cloned().unwrap()
    };
    assert_eq!(group("1235")["quota"].as_i64(), Some(5_000_000));
    assert!(group("1237")["quota"].is_null());
    let table = run(te_usage_on(&fake, ["quotas", "show", "-o", "table"])).await;
    assert_eq!(table.status, 0, "{table:?}");
    assert!(
        table
            .stdout
            .lines()
            .any(|l| l.contains("1235") && l.contains("Web Platform") && l.ends_with("5,000,000")),
        "{}",
        table.stdout
    );
    let csv = run(te_usage_on(&fake, ["quotas", "show", "-o", "csv"])).await;
    assert_eq!(csv.status, 2, "{csv:?}");
    assert!(csv.stderr.contains("quotas show does not print csv"), "{}", csv.stderr);
}

#[tokio::test]
async fn plan_on_a_changed_file_lists_each_change_with_old_and_new_exits_2_and_sends_no_post() {
    let fake = FakeUsageApi::start().await;
    let file = edited_file(&fake, "quotas-plan-changes").await;
    let out = plan(&fake, &file).await;
    assert_eq!(out.status, 2, "{out:?}");
    let expected = [
        "organization 1001 ",
        "change   25,000,000 → 20,000,000",
        "account group 1236 \"Payments\" (organization 1001)",
        "unassign 2,500,000 → none",
        "account group 1237 \"Corporate IT\" (organization 1001)",
        "assign   none → 750,000",
        "account group 1238 \"EMEA Retail\" (organization 1001)",
        "unassign 1,000,000 → none",
        "Plan: 1 to assign, 1 to change, 2 to unassign.",
    ];
    for text in expected {
        assert!(out.stdout.contains(text), "{text:?} not in:\n{}", out.stdout);
    }
    assert_eq!(posts(&fake), Vec::<String>::new());
    assert_eq!(quotas_of(&fake).0, Some(25_000_000));

    let json = run(te_usage_on(
        &fake,
        ["quotas".as_ref(), "plan".as_ref(), file.as_os_str(), "-o".as_ref(), "json".as_ref()],
    ))
    .await;
    assert_eq!(json.status, 2, "{json:?}");
    let plan: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    let changes = plan["changes"].as_array().expect("changes");
    let seen: Vec<_> = changes
        .iter()
        .map(|c| (c["action"].as_str(), c["aid"].as_str(), c["old"].as_i64(), c["new"].as_i64()))
        .collect();
    assert_eq!(
        seen,
        [
            (Some("change"), None, Some(25_000_000), Some(20_000_000)),
            (Some("unassign"), Some("1236"), Some(2_500_000), None),
            (Some("assign"), Some("1237"), None, Some(750_000)),
            (Some("unassign"), Some("1238"), Some(1_000_000), None),
        ]
    );
    assert_eq!(posts(&fake), Vec::<String>::new());
}

#[tokio::test]
async fn apply_yes_reaches_the_file_in_one_call_per_kind_and_a_second_apply_sends_no_post() {
    let fake = FakeUsageApi::start().await;
    let file = edited_file(&fake, "quotas-apply").await;
    let out = apply_yes(&fake, &file).await;
    assert_eq!(out.status, 0, "{out:?}");
    assert_eq!(
        quotas_of(&fake),
        (Some(20_000_000), groups(&[("1234", 1_500_000), ("1235", 5_000_000), ("1237", 750_000)]))
    );
    // Removals first, then the organization, then the account groups: three calls, not four.
    let sent: Vec<String> = posts(&fake)
        .iter()
        .map(|p| p.split_once("/quotas").map(|(_, rest)| format!("/quotas{rest}")).unwrap())
        .collect();
    assert_eq!(sent, ["/quotas/account-groups/unassign", "/quotas/assign", "/quotas/account-groups/assign"]);
    assert!(out.stdout.contains("Applied 4 changes in 3 calls."), "{}", out.stdout);

    let again = apply_yes(&fake, &file).await;
    assert_eq!(again.status, 0, "{again:?}");
    assert!(again.stdout.starts_with("No changes"), "{}", again.stdout);
    assert_eq!(posts(&fake).len(), 3, "the second apply sent a change");
    let out = plan(&fake, &file).await;
    assert_eq!(out.status, 0, "{out:?}");
}

/// GET /quotas stops listing an organization once all its quotas are gone; the file that removed
/// them still plans to no change.
#[tokio::test]
async fn a_file_that_removes_every_quota_applies_once_and_then_plans_to_no_change() {
    let fake = FakeUsageApi::start().await;
    let dir = scratch_dir("quotas-remove-all");
    let file = write(&dir, "quotas.toml", "[[organization]]\nid = \"1001\"\n");
    let out = apply_yes(&fake, &file).await;
    assert_eq!(out.status, 0, "{out:?}");
    assert!(out.stdout.contains("Applied 5 changes in 2 calls."), "{}", out.stdout);
    assert_eq!(fake.quotas(), []);
    let out = plan(&fake, &file).await;
    assert_eq!(out.status, 0, "{out:?}");
    let again = apply_yes(&fake, &file).await;
    assert_eq!(again.status, 0, "{again:?}");
    assert_eq!(posts(&fake).len(), 2, "{:?}", posts(&fake));
}

/// An organization without a quota of its own but with account group quotas: `GET /quotas`
/// gives them without its id. A file that removes the organization's quota and keeps the groups'
/// applies, then plans to no change and applies nothing more; `show` then says the id is not
/// given, and keeps the groups' quotas under it.
#[tokio::test]
async fn removing_only_the_organizations_own_quota_applies_once_and_then_plans_to_no_change() {
    let fake = FakeUsageApi::start().await;
    let dir = scratch_dir("quotas-org-none");
    let shown = show(&fake).await;
    let file = write(&dir, "quotas.toml", &shown.replace("quota = 25_000_000", "quota = \"none\""));
    let out = apply_yes(&fake, &file).await;
    assert_eq!(out.status, 0, "{out:?}");
    let kept = groups(&[("1234", 1_500_000), ("1235", 5_000_000), ("1236", 2_500_000), ("1238", 1_000_000)]);
    assert_eq!(quotas_of(&fake), (None, kept.clone()));
    assert!(fake.quotas().iter().all(|q| q.organization_quota.is_none()), "{:?}", fake.quotas());

    let out = plan(&fake, &file).await;
    assert_eq!(out.status, 0, "{out:?}");
    assert!(out.stdout.starts_with("No changes"), "{}", out.stdout);
    let posted = posts(&fake).len();
    let again = apply_yes(&fake, &file).await;
    assert_eq!(again.status, 0, "{again:?}");
    assert_eq!(posts(&fake).len(), posted, "a second apply sent a POST");

    // `show` keeps the groups' quotas, under an organization whose id it asks for.
    let out = run(te_usage_on(&fake, ["quotas", "show"])).await;
    assert_eq!(out.status, 0, "{out:?}");
    assert!(out.stdout.contains("id = \"\"\nquota = \"none\""), "{}", out.stdout);
    assert!(
        out.stdout.contains("aid = \"1235\"\nname = \"Web Platform\"\nquota = 5_000_000"),
        "{}",
        out.stdout
    );
    assert!(out.stderr.contains("without its id"), "{}", out.stderr);
    let unnamed = write(&dir, "shown.toml", &out.stdout);
    let refused = plan(&fake, &unnamed).await;
    assert_eq!(refused.status, 1, "{refused:?}");
    assert!(refused.stderr.contains("organization id is empty: write the id"), "{}", refused.stderr);
    // With its id written back, the organization is given its quota again.
    let restored = write(&dir, "restored.toml", &shown);
    assert_eq!(apply_yes(&fake, &restored).await.status, 0);
    assert_eq!(quotas_of(&fake), (Some(25_000_000), kept));
}

/// An organization without any quota (a new one, or after every quota was removed) is not
/// listed by `GET /quotas`: a file naming it is taken as the token's own, and its quotas are
/// assigned.
#[tokio::test]
async fn an_organization_without_any_quota_is_given_the_files_quotas() {
    let fake = FakeUsageApi::builder().quotas(Vec::new()).start().await;
    let dir = scratch_dir("quotas-from-none");
    let file = write(
        &dir,
        "quotas.toml",
        "[[organization]]\nid = \"1001\"\nquota = 25_000_000\n\n\
         [[organization.account_group]]\naid = \"1234\"\nquota = 1_500_000\n",
    );
    let out = plan(&fake, &file).await;
    assert_eq!(out.status, 2, "{out:?}");
    assert!(out.stdout.contains("Plan: 2 to assign, 0 to change, 0 to unassign."), "{}", out.stdout);
    let out = apply_yes(&fake, &file).await;
    assert_eq!(out.status, 0, "{out:?}");
    assert_eq!(quotas_of(&fake), (Some(25_000_000), groups(&[("1234", 1_500_000)])));
    assert_eq!(plan(&fake, &file).await.status, 0);
}

#[tokio::test]
async fn apply_without_yes_off_a_terminal_refuses_before_any_request() {
    let fake = FakeUsageApi::start().await;
    let dir = scratch_dir("quotas-apply-no-yes");
    let file = write(&dir, "quotas.toml", "[[organization]]\nid = \"1001\"\nquota = 1\n");
    let out = run(te_usage_on(&fake, ["quotas".as_ref(), "apply".as_ref(), file.as_os_str()])).await;
    assert_ne!(out.status, 0, "{out:?}");
    assert!(out.stderr.contains("pass --yes"), "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert_eq!(fake.request_count(), 0);
}

/// On a terminal (a pseudo-terminal made by util-linux's `script`), apply asks; "n" changes
/// nothing, "y" applies.
#[tokio::test]
async fn apply_on_a_terminal_asks_first_and_applies_only_on_yes() {
    use tokio::io::AsyncWriteExt;
    let fake = FakeUsageApi::start().await;
    let dir = scratch_dir("quotas-apply-tty");
    let file =
        write(&dir, "quotas.toml", &show(&fake).await.replace("quota = 25_000_000", "quota = 24_000_000"));
    let apply = format!("'{}' quotas apply '{}'", env!("CARGO_BIN_EXE_te-usage"), file.display());
    for (answer, applied) in [("n\n", false), ("y\n", true)] {
        let mut tty = without_te_variables(tokio::process::Command::new("script"));
        tty.args(["-q", "-e", "-c", &apply, "/dev/null"])
            .env("TE_TOKEN", fake.token())
            .env("TE_API_ENDPOINT", fake.base_url())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = tty.spawn().expect("util-linux's script runs");
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(answer.as_bytes()).await.expect("answer");
        let output = child.wait_with_output().await.expect("script ends");
        drop(stdin);
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(text.contains("Apply these 1 changes? [y/N]"), "{text}");
        assert_eq!(output.status.success(), applied, "{text}");
        if !applied {
            assert!(text.contains("apply cancelled: no quota was changed"), "{text}");
        }
        let expected = if applied { 24_000_000 } else { 25_000_000 };
        assert_eq!(quotas_of(&fake).0, Some(expected), "{text}");
        assert_eq!(posts(&fake).len(), usize::from(applied), "{text}");
    }
}

#[tokio::test]
async fn an_apply_stopped_halfway_says_what_was_applied_and_what_was_not() {
    let fake =
        FakeUsageApi::builder().fail(Failure::new(Operation::AssignOrganizationsQuotas, 500)).start().await;
    let file = edited_file(&fake, "quotas-apply-partial").await;
    let out = apply_yes(&fake, &file).await;
    assert_eq!(out.status, 1, "{out:?}");
    let lines: Vec<&str> = out.stdout.lines().filter(|l| l.contains("applied")).collect();
    assert_eq!(lines.len(), 4, "{}", out.stdout);
    assert!(
        lines[0].starts_with("applied: POST /quotas/account-groups/unassign: account group 1236"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with("applied: POST /quotas/account-groups/unassign: account group 1238"),
        "{}",
        lines[1]
    );
    // A 500 to a POST: the API may have made the change before it failed.
    assert!(
        lines[2].starts_with(
            "outcome unknown: POST /quotas/assign (failed; it may have been applied): organization 1001"
        ),
        "{}",
        lines[2]
    );
    assert!(
        lines[3]
            .starts_with("not applied: POST /quotas/account-groups/assign (not sent): account group 1237"),
        "{}",
        lines[3]
    );
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(
        out.stderr.starts_with(
            "te-usage: apply stopped: POST /quotas/assign failed; 2 of 4 changes applied, 1 of unknown \
             outcome, 1 not"
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(&format!("`te-usage quotas plan {}` shows what remains", file.display())),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("HTTP 500"), "the cause is said: {}", out.stderr);
    // Exactly what the account says: the two removals, nothing else.
    assert_eq!(quotas_of(&fake), (Some(25_000_000), groups(&[("1234", 1_500_000), ("1235", 5_000_000)])));

    // The same file again finishes the job: the failure was scripted once.
    let out = apply_yes(&fake, &file).await;
    assert_eq!(out.status, 0, "{out:?}");
    assert!(out.stdout.contains("Applied 2 changes in 2 calls."), "{}", out.stdout);
    assert_eq!(quotas_of(&fake).0, Some(20_000_000));
}

/// A call the API refuses (a 4xx) changed nothing: its changes are `not applied`, none of
/// unknown outcome.
#[tokio::test]
async fn an_apply_refused_by_the_api_says_its_changes_were_not_applied() {
    let fake =
        FakeUsageApi::builder().fail(Failure::new(Operation::AssignOrganizationsQuotas, 403)).start().await;
    let file = edited_file(&fake, "quotas-apply-refused").await;
    let out = apply_yes(&fake, &file).await;
    assert_eq!(out.status, 1, "{out:?}");
    assert!(
        out.stdout.contains("not applied: POST /quotas/assign (failed): organization 1001"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("outcome unknown"), "{}", out.stdout);
    assert!(
        out.stderr.starts_with(
            "te-usage: apply stopped: POST /quotas/assign failed; 2 of 4 changes applied, 2 not"
        ),
        "{}",
        out.stderr
    );
}

#[tokio::test]
async fn file_errors_name_the_file_line_column_and_value_before_any_request() {
    let fake = FakeUsageApi::start().await;
    let dir = scratch_dir("quotas-file-errors");
    let cases = [
        (
            "negative.toml",
            "[[organization]]\nid = \"1001\"\n\n[[organization.account_group]]\naid = \"1234\"\nquota = -500\n",
            ":6:9: quota -500 of account group 1234 is negative",
        ),
        (
            "duplicate.toml",
            "[[organization]]\nid = \"1001\"\n[[organization.account_group]]\naid = \"1234\"\nquota = 1\n\
             [[organization.account_group]]\naid = \"1234\"\nquota = 2\n",
            ":7:7: account group \"1234\" is listed twice (first at line 4)",
        ),
        ("misspelt.toml", "[[organization]]\nid = \"1001\"\nqouta = 5\n", ":3:1: unknown field `qouta`"),
        ("syntax.toml", "[[organization]]\nid = \"1001\"\nquota = = 5\n", ":3:9: "),
    ];
    for (name, text, expected) in cases {
        let file = write(&dir, name, text);
        for command in ["plan", "apply"] {
            let out = run(te_usage_on(
                &fake,
                ["quotas".as_ref(), command.as_ref(), "--yes".as_ref(), file.as_os_str()]
                    .into_iter()
                    .filter(|a| command == "apply" || *a != "--yes"),
            ))
            .await;
            assert_eq!(out.status, 1, "{name} {command}: {out:?}");
            let line = format!("te-usage: {}{expected}", file.display());
            assert!(
                out.stderr.starts_with(&line),
                "{name} {command}: {:?} does not start with {line:?}",
                out.stderr
            );
            assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
        }
    }
    assert_eq!(fake.request_count(), 0, "a request was sent");
}

#[tokio::test]
async fn unknown_organizations_and_account_groups_name_their_line_and_no_change_is_sent() {
    let fake = FakeUsageApi::start().await;
    let dir = scratch_dir("quotas-unknown");
    let cases = [
        ("[[organization]]\nid = \"1001\"\nquota = 1\n\n[[organization]]\nid = \"4242\"\nquota = 10\n", ":6:6: organization \"4242\" is unknown: GET /quotas, which lists the organizations whose quotas you manage, lists only 1001"),
        (
            "[[organization]]\nid = \"1001\"\nquota = 1\n\n[[organization.account_group]]\naid = 999\nquota = 5\n",
            ":6:7: account group \"999\" is unknown in organization 1001",
        ),
    ];
    for (i, (text, expected)) in cases.into_iter().enumerate() {
        let file = write(&dir, &format!("unknown-{i}.toml"), text);
        for apply in [false, true] {
            let out = if apply { apply_yes(&fake, &file).await } else { plan(&fake, &file).await };
            assert_eq!(out.status, 1, "{out:?}");
            let line = format!("te-usage: {}{expected}", file.display());
            assert!(out.stderr.starts_with(&line), "{:?} does not start with {line:?}", out.stderr);
        }
    }
    assert_eq!(posts(&fake), Vec::<String>::new());
}

#[tokio::test]
async fn plan_failures_and_bad_arguments_exit_1_not_2() {
    let fake = FakeUsageApi::builder().fail(Failure::new(Operation::GetQuotas, 403).always()).start().await;
    let dir = scratch_dir("quotas-plan-failures");
    let file = write(&dir, "quotas.toml", "[[organization]]\nid = \"1001\"\nquota = 1\n");
    let forbidden = plan(&fake, &file).await;
    assert_eq!(forbidden.status, 1, "{forbidden:?}");
    assert!(forbidden.stderr.contains("403"), "{}", forbidden.stderr);
    let no_file = run(te_usage_on(&fake, ["quotas", "plan"])).await;
    assert_eq!(no_file.status, 1, "{no_file:?}");
    let missing = run(te_usage_on(&fake, ["quotas", "plan", "/nonexistent/quotas.toml"])).await;
    assert_eq!(missing.status, 1, "{missing:?}");
    assert!(missing.stderr.contains("/nonexistent/quotas.toml"), "{}", missing.stderr);
    let csv = run(te_usage_on(
        &fake,
        ["quotas".as_ref(), "plan".as_ref(), file.as_os_str(), "-o".as_ref(), "csv".as_ref()],
    ))
    .await;
    assert_eq!(csv.status, 1, "{csv:?}");
}

#[tokio::test]
async fn plan_reads_the_file_from_stdin_with_a_dash() {
    let fake = FakeUsageApi::start().await;
    let shown = show(&fake).await;
    let mut command = te_usage_on(&fake, ["quotas", "plan", "-"]);
    command.stdin(Stdio::piped());
    let mut child = command.spawn().expect("te-usage runs");
    use tokio::io::AsyncWriteExt;
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(shown.replace("25_000_000", "1").as_bytes()).await.expect("write");
    drop(stdin);
    let output = child.wait_with_output().await.expect("te-usage ends");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{stdout}");
    assert!(stdout.contains("Changes to reach <stdin>"), "{stdout}");
}
