//! `te-usage report --by account-group`, the chargeback view: one row per account group with
//! both attributions in named columns, each column adding up to its source's total (the fake's
//! own figures, from the data it serves), and the period each covers.

use std::collections::BTreeSet;

use serde_json::Value;
use thousandeyes_usage_cli::fetch::{fetch, Period};
use thousandeyes_usage_cli::report::render::csv::CHARGEBACK_CSV_HEADER;
use thousandeyes_usage_cli::report::Chargeback;
use thousandeyes_usage_cli::session::demo_api;
use thousandeyes_usage_fake::{Dataset, FakeUsageApi};

use crate::support::{client_of, csv_rows, run, te_usage, te_usage_on};

/// The account groups of the data under either attribution: owning tests, or home to agents.
fn account_groups(data: &Dataset) -> BTreeSet<String> {
    let owners = data.test_units.iter().filter_map(|t| t.aid.clone());
    let homes = data.usage.enterprise_agent_units.iter().flatten().filter_map(|a| a.aid.clone());
    owners.chain(homes).collect()
}

/// The sum of a CSV column, by its name.
fn column_sum(rows: &[csv::StringRecord], name: &str) -> i64 {
    let i = rows[0].iter().position(|c| c == name).unwrap_or_else(|| panic!("no column {name}"));
    rows[1..].iter().map(|r| r[i].parse::<i64>().unwrap_or_else(|_| panic!("{name}: {r:?}"))).sum()
}

#[tokio::test]
async fn the_demo_as_csv_has_one_row_per_account_group_and_each_column_sums_to_its_source() {
    // The demo's data, as the demo inside te-usage serves it (seeded, the same every run).
    let fake = demo_api().start().await;
    let (expected, data) = (fake.expected_totals(), fake.dataset());
    let out = run(te_usage(["report", "--demo", "--by", "account-group", "-o", "csv"])).await;
    assert_eq!(out.status, 0, "{out:?}");
    let rows = csv_rows(&out.stdout);
    assert_eq!(out.stdout.lines().next(), Some(CHARGEBACK_CSV_HEADER));

    let aid = rows[0].iter().position(|c| c == "aid").expect("an aid column");
    let aids: Vec<String> = rows[1..].iter().map(|r| r[aid].to_string()).collect();
    let unique: BTreeSet<String> = aids.iter().cloned().collect();
    assert_eq!(aids.len(), unique.len(), "one row per account group: {aids:?}");
    assert_eq!(unique, account_groups(&data));

    assert_eq!(column_sum(&rows, "cloud_units_by_test_owner"), expected.cloud_units_used);
    assert_eq!(column_sum(&rows, "enterprise_units_by_test_owner"), expected.enterprise_units_used);
    assert_eq!(
        column_sum(&rows, "units_by_test_owner"),
        expected.cloud_units_used + expected.enterprise_units_used
    );
    assert_eq!(column_sum(&rows, "test_count"), expected.tests as i64);
    let home_total: i64 =
        data.usage.enterprise_agent_units.iter().flatten().filter_map(|a| a.enterprise_units_used).sum();
    assert_eq!(column_sum(&rows, "enterprise_units_by_agent_home_group"), home_total);
    assert_eq!(
        column_sum(&rows, "home_agent_count"),
        data.usage.enterprise_agent_units.as_ref().map_or(0, Vec::len) as i64
    );
    // The two attributions differ group by group: the demo's data centre agents belong to one
    // group and run the others' tests.
    let differ = rows[1..].iter().filter(|r| {
        let i = |name: &str| rows[0].iter().position(|c| c == name).expect("column");
        r[i("enterprise_units_by_test_owner")] != r[i("enterprise_units_by_agent_home_group")]
    });
    assert!(differ.count() >= 2, "{}", out.stdout);
}

#[tokio::test]
async fn the_table_names_each_attribution_and_its_period_and_is_marked_as_demo_data() {
    let out = run(te_usage(["report", "--demo", "--by", "account-group"])).await;
    assert_eq!(out.status, 0, "{out:?}");
    let table = &out.stdout;
    assert!(table.starts_with("ThousandEyes units by account group (chargeback): DEMO DATA"), "{table}");
    for column in [
        "Cloud (test owner)",
        "Enterprise (test owner)",
        "Total (test owner)",
        "Enterprise (agent's home group)",
        "Quota",
    ] {
        assert!(table.contains(column), "no column {column}: {table}");
    }
    assert!(table.contains("Units by account group, both attributions (month to date, 1"), "{table}");
    assert!(
        table.contains("GET /usage/units/tests") && table.contains("GET /usage's enterpriseAgentUnits"),
        "{table}"
    );
    let total = table.lines().find(|l| l.trim_start().starts_with("Total ")).expect("a total row");
    assert!(total.contains("11,152,765") && total.matches("619,200").count() == 2, "{total}");
}

/// With a range, the test owner columns cover it, and the agent's home group column the billing
/// period (`GET /usage` takes no range): each says so.
#[tokio::test]
async fn with_a_range_each_attribution_says_the_period_it_covers() {
    let fake = FakeUsageApi::start().await;
    let range = ["--start", "2024-05-01T00:00:00Z", "--end", "2024-05-15T00:00:00Z"];
    let args = ["report", "--by", "account-group", "-o", "csv"].iter().chain(&range);
    let out = run(te_usage_on(&fake, args)).await;
    assert_eq!(out.status, 0, "{out:?}");
    let rows = csv_rows(&out.stdout);
    let cell = |row: usize, name: &str| {
        rows[row][rows[0].iter().position(|c| c == name).expect("column")].to_string()
    };
    let billing_start = fake.dataset().usage.quota.and_then(|q| q.month_start).expect("a billing period");
    for row in 1..rows.len() {
        assert_eq!(
            (cell(row, "period_start"), cell(row, "period_end")),
            ("2024-05-01T00:00:00Z".into(), "2024-05-15T00:00:00Z".into())
        );
        let home = chrono::DateTime::parse_from_rfc3339(&cell(row, "agent_home_group_period_start"))
            .expect("a time");
        assert_eq!(home, billing_start);
    }
    let args = ["report", "--by", "account-group"].iter().chain(&range);
    let table = run(te_usage_on(&fake, args)).await.stdout;
    assert!(
        table.contains("by test owner: 1 May 2024 to 15 May 2024; by agent's home group: month to date, "),
        "{table}"
    );
}

#[tokio::test]
async fn the_json_names_both_attributions_and_adds_up() {
    let fake = FakeUsageApi::start().await;
    let fetched = fetch(&client_of(&fake), Period::CurrentBillingPeriod, &mut |_| {}).await.expect("fetched");
    let view = Chargeback::build(&fetched, false);
    let json: Value = serde_json::from_str(
        &thousandeyes_usage_cli::report::render::chargeback(
            &view,
            thousandeyes_usage_cli::output::Format::Json,
        )
        .expect("json"),
    )
    .expect("JSON");
    assert_eq!(json["by_test_owner"]["source"], "GET /usage/units/tests, by each test's aid");
    assert_eq!(
        json["by_agent_home_group"]["source"],
        "GET /usage's enterpriseAgentUnits, by each agent's aid"
    );
    assert!(json["by_test_owner"]["covers"].as_str().is_some_and(|c| c.starts_with("month to date, ")));
    let expected = fake.expected_totals();
    assert_eq!(json["totals"]["enterprise_units_by_test_owner"], expected.enterprise_units_used);
    assert_eq!(json["totals"]["enterprise_units_by_agent_home_group"], expected.agent_enterprise_units_used);
    let groups = json["account_groups"].as_array().expect("account groups");
    let over: Vec<&str> =
        groups.iter().filter(|g| g["over_quota"] == true).filter_map(|g| g["aid"].as_str()).collect();
    assert_eq!(over, ["1238"], "the quota is compared with the units by test owner");
    // Each group: its own tests' enterprise units, and those of the agents it is home to.
    let data = fake.dataset();
    for group in groups {
        let aid = group["aid"].as_str().expect("an aid");
        let owned: i64 = data
            .test_units
            .iter()
            .filter(|t| t.aid.as_deref() == Some(aid))
            .filter_map(|t| t.enterprise_units_used)
            .sum();
        let homed: i64 = data
            .usage
            .enterprise_agent_units
            .iter()
            .flatten()
            .filter(|a| a.aid.as_deref() == Some(aid))
            .filter_map(|a| a.enterprise_units_used)
            .sum();
        assert_eq!(group["enterprise_units_by_test_owner"], owned, "{group}");
        assert_eq!(group["enterprise_units_by_agent_home_group"], homed, "{group}");
    }
}
