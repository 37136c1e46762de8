//! The client a command works with: from the `TE_*` variables, as the facade reads them, or on
//! the embedded demo (`--demo`), a fake Usage API with sample data started in this process.
//! Without `--demo` and without `TE_TOKEN` every command fails, naming both: an unattended job
//! whose secret went missing must not report on sample data.

use std::time::Duration;

use thousandeyes_usage::{Client, ENV_TOKEN};
use thousandeyes_usage_fake::{Failure, FakeUsageApi, FakeUsageApiBuilder, Operation};

use crate::args::GlobalArgs;
use crate::error::CliError;
use crate::output::note;

/// The `User-Agent` of te-usage's requests.
pub const USER_AGENT: &str = concat!("te-usage/", env!("CARGO_PKG_VERSION"));

/// The demo `--demo` runs on: the fake Usage API ([`FakeUsageApi`]) with its seeded "Acme Corp"
/// data, and one 429 on the way, as if another integration of the organization had just used up
/// the rate-limit window: the second page of test units is refused once, and the window resets
/// within a second.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let demo = thousandeyes_usage_cli::session::demo_api().start().await;
/// let client = thousandeyes_usage::Client::builder()
///     .token(demo.token())
///     .base_url(demo.base_url())
///     .build()
///     .expect("client");
/// let usage = client.usage().send().await.expect("usage");
/// assert_eq!(usage.cloud_units_used, Some(demo.expected_totals().cloud_units_used));
/// # }
/// ```
pub fn demo_api() -> FakeUsageApiBuilder {
    FakeUsageApi::builder().fail(
        Failure::rate_limited(Operation::GetTestsUnitsUsage).on_page(2).reset_after(Duration::from_secs(1)),
    )
}

/// A command's client, and the demo it talks to, if any (kept alive as long as the session:
/// dropping it stops the fake).
#[derive(Debug)]
pub struct Session {
    client: Client,
    demo: Option<FakeUsageApi>,
}

impl Session {
    /// The session the global flags ask for: on the demo with `--demo` (saying so on stderr
    /// unless `--quiet`), else on the organization of `TE_TOKEN`, configured from the `TE_*`
    /// variables.
    ///
    /// # Errors
    ///
    /// [`CliError::NoToken`] without `--demo` and without `TE_TOKEN`; [`CliError::Client`] for a
    /// `TE_*` variable the client refuses (naming it).
    pub async fn open(global: &GlobalArgs) -> Result<Session, CliError> {
        if global.demo {
            let demo = demo_api().start().await;
            if !global.quiet {
                note(
                    "te-usage: --demo: the embedded fake Usage API's sample data (Acme Corp), \
                     not your organization",
                );
            }
            let client = Client::builder()
                .token(demo.token())
                .base_url(demo.base_url())
                .user_agent(USER_AGENT)
                .build()?;
            return Ok(Session { client, demo: Some(demo) });
        }
        if !token_in_environment() {
            return Err(CliError::NoToken);
        }
        let client = Client::builder_from_env()?.user_agent(USER_AGENT).build()?;
        Ok(Session { client, demo: None })
    }

    /// The client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The demo the client talks to, with `--demo`.
    pub fn demo(&self) -> Option<&FakeUsageApi> {
        self.demo.as_ref()
    }
}

/// Whether `TE_TOKEN` holds something: unset and empty (a secret that failed to load, say) are
/// both no token, told as one.
pub(crate) fn token_in_environment() -> bool {
    std::env::var_os(ENV_TOKEN).is_some_and(|t| !t.to_string_lossy().trim().is_empty())
}
