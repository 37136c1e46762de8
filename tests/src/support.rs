//! Helpers for tests against local servers: the suite's one token and the client of a base URL
//! that sends it, the base URL of an `httpmock` server, and realistic response bodies.

use httpmock::MockServer;
use serde_json::{json, Value};
use thousandeyes_usage::{Client, ClientBuilder};

/// The token every client of the suite sends (and every fake the suite starts for such a client
/// accepts), distinctive enough to be searched for: a test that looks for it in what a client
/// shows finds it wherever it leaked.
pub const TOKEN: &str = "client-tok3n-Qz7vR2kP9w";

/// The success media type of the API.
pub const HAL_JSON: &str = "application/hal+json";
/// The error media type of the API.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// The base URL of a mock server, as the client is configured with it (`…/v7`).
pub fn base_url(server: &MockServer) -> String {
    server.url("/v7")
}

/// A builder for a client of the server at `base_url` (`…/v7`), with [`TOKEN`]: for a test that
/// sets more (a retry policy, a timeout, ...).
pub fn builder_of(base_url: impl Into<String>) -> ClientBuilder {
    Client::builder().token(TOKEN).base_url(base_url)
}

/// A client of the server at `base_url` (`…/v7`), with [`TOKEN`] and the default settings: the
/// suite's ordinary client, of an `httpmock` server (`client_of(base_url(&server))`), a raw one
/// (`client_of(server.base_url())`) or a fake started with [`TOKEN`].
pub fn client_of(base_url: impl Into<String>) -> Client {
    builder_of(base_url).build().expect("test client")
}

#[path = "../../facade/tests/support/passwords.rs"]
#[allow(dead_code)] // is_encoded: for the facade's proxy tests
mod passwords;
pub use passwords::{awkward_passwords, shows_a_password_piece};

/// Seconds since the Unix epoch, now.
pub fn epoch_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs()
}

/// A realistic `GET /usage` body using every field, with `expand` of everything.
pub fn usage_body() -> Value {
    json!({
        "usage": {
            "quota": {
                "monthStart": "2024-05-01T00:00:00Z",
                "monthEnd": "2024-05-31T23:59:59Z",
                "cloudUnitsIncluded": 5_000_000_000_i64,
                "deviceAgentsIncluded": 20,
                "endpointAgentsIncluded": 150,
                "endpointAgentsEssentialsIncluded": 40,
                "endpointAgentsEmbeddedIncluded": 10,
                "enterpriseAgentsIncluded": 12
            },
            "cloudUnitsUsed": 3_000_000_000_i64,
            "cloudUnitsProjected": 4_200_000_000_i64,
            "cloudUnitsNextBillingPeriod": 4_300_000_000_i64,
            "enterpriseUnitsUsed": 120_000,
            "enterpriseUnitsProjected": 180_000,
            "enterpriseUnitsNextBillingPeriod": 185_000,
            "connectedDevicesUnitsUsed": 900,
            "connectedDevicesUnitsProjected": 1_300,
            "connectedDevicesUnitsNextBillingPeriod": 1_350,
            "endpointAgentsUsed": 130,
            "endpointAgentsEssentialsUsed": 33,
            "endpointAgentsEmbeddedUsed": 7,
            "enterpriseAgentsUsed": 11,
            "enterpriseAgentUnits": [{
                "aid": "1234", "accountGroupName": "Operations", "agentId": "8001",
                "agentName": "dc1-agent", "enterpriseUnitsUsed": 60_000, "enterpriseUnitsProjected": 90_000
            }],
            "tests": [{
                "aid": "1234", "accountGroupName": "Operations", "testId": "281474976710656",
                "testName": "Checkout API", "testType": "HTTP Server",
                "cloudUnitsUsed": 2_500_000_000_i64, "cloudUnitsProjected": 3_600_000_000_i64
            }],
            "endpointAgents": [{"aid": "1234", "accountGroupName": "Operations", "endpointAgentsUsed": 130}],
            "endpointAgentsEssentials": [{"aid": "1234", "accountGroupName": "Operations", "endpointAgentsEssentialsUsed": 33}],
            "endpointAgentsEmbedded": [{"aid": "1234", "accountGroupName": "Operations", "endpointAgentsEmbeddedUsed": 7}],
            "enterpriseAgents": [{"aid": "1234", "accountGroupName": "Operations", "enterpriseAgentsUsed": 11}],
            "allocations": {
                "used": 500, "projected": 700,
                "allocations": [{"productName": "Cloud Insights", "allocatedUnits": 1_000}]
            }
        },
        "_links": {"self": {"href": "https://api.thousandeyes.com/v7/usage"}}
    })
}

/// One `breakdowns` entry of the test units listing.
pub fn test_units_item(n: usize) -> Value {
    json!({
        "aid": "1234",
        "accountGroupName": "Operations",
        "enterpriseUnitsUsed": 10 * n as i64,
        "enterpriseUnitsProjected": 15 * n as i64,
        "cloudUnitsUsed": 1_000 * n as i64,
        "cloudUnitsProjected": 1_500 * n as i64,
        "testId": format!("{}", 100_000 + n),
        "testName": format!("test {n}"),
        "testType": "Agent to Server",
        "isInstantTest": n.is_multiple_of(7)
    })
}

/// One `breakdowns` entry of the enterprise agent units listing.
pub fn agent_units_item(n: usize) -> Value {
    json!({
        "aid": "1234",
        "accountGroupName": "Operations",
        "agentId": format!("{}", 8_000 + n),
        "agentName": format!("agent-{n}"),
        "enterpriseUnitsUsed": 100 * n as i64,
        "enterpriseUnitsProjected": 140 * n as i64
    })
}

/// A listing page body: `items`, and a next link to `next_href` when given.
pub fn page_body(items: Vec<Value>, next_href: Option<&str>) -> Value {
    let mut links = json!({"self": {"href": "https://api.thousandeyes.com/v7/usage/units/tests"}});
    if let Some(href) = next_href {
        links["next"] = json!({ "href": href });
    }
    json!({ "breakdowns": items, "_links": links })
}

/// The machine a benchmark runs on, for its output: cores, CPU model, kernel, load average.
pub fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name")?.split_once(':').map(|(_, v)| v.trim().to_string()))
        .unwrap_or_else(|| "unknown".into());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    format!(
        "nproc {cpus}, CPU {model}, Linux {}, load average {}",
        kernel.trim(),
        load.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a secrets test searches for is what the suite's client sends: the one [`TOKEN`].
    #[tokio::test]
    async fn the_suites_client_sends_the_suites_token() {
        let server = MockServer::start_async().await;
        let quotas = server
            .mock_async(|when, then| {
                when.method("GET").path("/v7/quotas").header("authorization", format!("Bearer {TOKEN}"));
                then.status(200).header("content-type", HAL_JSON).json_body(json!({"quotas": []}));
            })
            .await;
        client_of(base_url(&server)).quotas().send().await.expect("quotas");
        builder_of(base_url(&server)).build().expect("client").quotas().send().await.expect("quotas");
        quotas.assert_calls_async(2).await;
    }
}
