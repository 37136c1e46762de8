//! What users deploy next to `te-usage serve` (`cli/deploy/`): the alerting rules pass
//! `promtool check rules` and their unit tests, and the Grafana dashboard and the rules query
//! only metrics the exporter publishes.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::support::{program, promtool, sample, scratch_dir, te_usage, write_file, Served};

pub fn deploy(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy").join(path)
}

/// Every PromQL expression of a Grafana dashboard: each panel's targets (rows' panels too) and
/// each query variable's query.
pub fn dashboard_expressions(dashboard: &Value) -> Vec<String> {
    fn panels(list: &Value, out: &mut Vec<String>) {
        for panel in list.as_array().into_iter().flatten() {
            for target in panel["targets"].as_array().into_iter().flatten() {
                if let Some(expr) = target["expr"].as_str() {
                    out.push(expr.to_string());
                }
            }
            panels(&panel["panels"], out);
        }
    }
    let mut out = Vec::new();
    panels(&dashboard["panels"], &mut out);
    for variable in dashboard["templating"]["list"].as_array().into_iter().flatten() {
        if variable["type"] == "query" {
            let query = variable["query"]["query"].as_str().or(variable["query"].as_str());
            out.push(query.expect("a query variable has a query").to_string());
        }
    }
    out
}

/// PromQL words that are not metric names when they are not followed by `(`.
const KEYWORDS: &[&str] = &[
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "and",
    "or",
    "unless",
    "offset",
    "inf",
    "nan",
    "sum",
    "min",
    "max",
    "avg",
    "group",
    "stddev",
    "stdvar",
    "count",
    "count_values",
    "bottomk",
    "topk",
    "quantile",
    "limitk",
    "limit_ratio",
];

/// The metric names `expr` selects: the identifiers left once strings, label matchers, ranges,
/// the label lists of `by`/`without`/`on`/`ignoring`/`group_*`, numbers and function names are
/// taken out. Grafana's `label_values(metric, label)` selects `metric`.
fn metric_names(expr: &str) -> BTreeSet<String> {
    let expr = match expr.trim().strip_prefix("label_values(") {
        Some(args) => args.split(',').next().unwrap_or_default().to_string(),
        None => expr.to_string(),
    };
    let chars: Vec<char> = expr.chars().collect();
    let mut names = BTreeSet::new();
    let mut i = 0;
    let mut after_grouping = false;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '"' | '\'' | '`' => {
                i += 1;
                while i < chars.len() && chars[i] != c {
                    i += if chars[i] == '\\' { 2 } else { 1 };
                }
                i += 1;
            }
            '{' | '[' => {
                let close = if c == '{' { '}' } else { ']' };
                while i < chars.len() && chars[i] != close {
                    i += 1;
                }
                i += 1;
            }
            '(' if after_grouping => {
                while i < chars.len() && chars[i] != ')' {
                    i += 1;
                }
                i += 1;
                after_grouping = false;
            }
            c if c.is_ascii_alphabetic() || c == '_' || c == ':' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == ':')
                {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let next = chars[i..].iter().find(|c| !c.is_whitespace());
                let lower = word.to_ascii_lowercase();
                if ["by", "without", "on", "ignoring", "group_left", "group_right"].contains(&lower.as_str())
                {
                    after_grouping = true;
                } else {
                    after_grouping = false;
                    if next != Some(&'(') && !KEYWORDS.contains(&lower.as_str()) {
                        names.insert(word);
                    }
                }
            }
            c if c.is_ascii_digit() || c == '.' || c == '$' => {
                // A number (1e3 included) or a Grafana variable ($__range) outside a matcher.
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || matches!(chars[i], '.' | '_' | '$'))
                {
                    i += 1;
                }
            }
            _ => i += 1,
        }
        if !c.is_whitespace() && !c.is_ascii_alphabetic() && c != '_' && c != '(' {
            after_grouping = false;
        }
    }
    names
}

/// The metric names `/metrics` of a demo exporter declares (`# TYPE` lines), with series per
/// test, after its first refresh.
async fn published() -> BTreeSet<String> {
    let served =
        Served::start(te_usage(["serve", "--demo", "--listen", "127.0.0.1:0", "--per-test", "5"])).await;
    let text =
        served.metrics_when(Duration::from_secs(5), |t| sample(t, "thousandeyes_up", &[]) == Some(1.0)).await;
    text.lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

#[test]
fn metric_names_are_read_out_of_promql() {
    let names = |e: &str| metric_names(e).into_iter().collect::<Vec<_>>();
    assert_eq!(
        names(
            "100 * sum by (organization, aid) (a_units{x=\"y\",z=~\"$v\"}) / on (organization, aid) group_left () \
             sum by (organization, aid) (b_units)"
        ),
        ["a_units", "b_units"]
    );
    assert_eq!(
        names("increase(c_total{o=\"$organization\"}[1h]) * 1e3 + time() - d_seconds"),
        ["c_total", "d_seconds"]
    );
    assert_eq!(names("topk(20, e_units{kind=\"cloud\"}) unless f_up == bool 0"), ["e_units", "f_up"]);
    assert_eq!(names("label_values(g_up, organization)"), ["g_up"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_metric_the_dashboard_and_the_rules_query_is_one_a_demo_exporter_publishes() {
    let text = std::fs::read_to_string(deploy("grafana/te-usage.json")).expect("the dashboard");
    let dashboard: Value = serde_json::from_str(&text).expect("the dashboard is JSON");
    let expressions = dashboard_expressions(&dashboard);
    assert!(expressions.len() >= 15, "{expressions:?}");
    let mut queried = BTreeSet::new();
    for expr in &expressions {
        let names = metric_names(expr);
        assert!(!names.is_empty(), "no metric in {expr:?}");
        queried.extend(names);
    }
    // The rules: every thousandeyes_ name in them.
    let rules = std::fs::read_to_string(deploy("prometheus/te-usage.rules.yml")).expect("the rules");
    for word in rules.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        if word.starts_with("thousandeyes_") {
            queried.insert(word.to_string());
        }
    }
    let published = published().await;
    let missing: Vec<_> = queried.difference(&published).collect();
    assert!(missing.is_empty(), "queried but not published: {missing:?}\npublished: {published:?}");
    for name in ["thousandeyes_used_units", "thousandeyes_account_group_used_units", "thousandeyes_up"] {
        assert!(queried.contains(name), "the dashboard or rules leave out {name}");
    }
}

#[test]
fn the_alerting_rules_pass_promtool_check_rules_and_their_unit_tests() {
    let Some(promtool_path) =
        program("promtool", "prometheus", "promtool check rules / test rules on cli/deploy")
    else {
        return;
    };
    for (command, file, says) in [
        ("check", "prometheus/te-usage.rules.yml", "SUCCESS: 4 rules found"),
        ("test", "prometheus/te-usage.rules.test.yml", "SUCCESS"),
    ] {
        let path = deploy(file);
        let (status, out) = promtool(&promtool_path, &[command, "rules", path.to_str().expect("UTF-8")], "");
        assert_eq!(status, 0, "promtool {command} rules {file}: {out}");
        assert!(out.contains(says), "promtool {command} rules {file}: {out}");
    }
}

#[test]
fn the_systemd_unit_passes_systemd_analyze_verify_with_an_exposure_of_2_at_most() {
    let Some(analyze) =
        program("systemd-analyze", "systemd", "systemd-analyze verify/security on the systemd unit")
    else {
        return;
    };
    let unit = std::fs::read_to_string(deploy("systemd/te-usage.service")).expect("the unit");
    assert!(unit.contains("ExecStart=/usr/local/bin/te-usage serve "), "{unit}");
    assert!(unit.contains("ExecReload=/bin/kill -HUP $MAINPID"), "{unit}");
    // verify wants the program to exist: the one built here stands in for the installed one.
    let dir = scratch_dir("systemd");
    let path = write_file(
        &dir,
        "te-usage.service",
        &unit.replace("/usr/local/bin/te-usage", env!("CARGO_BIN_EXE_te-usage")),
    );
    let out =
        std::process::Command::new(&analyze).arg("verify").arg(&path).output().expect("systemd-analyze runs");
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && said.trim().is_empty(), "systemd-analyze verify: {said}");
    // Exposure on systemd's 0-10 scale, threshold in tenths.
    let out = std::process::Command::new(&analyze)
        .args(["security", "--offline=yes", "--threshold=20"])
        .arg(&path)
        .output()
        .expect("systemd-analyze runs");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "systemd-analyze security: {said}");
}
