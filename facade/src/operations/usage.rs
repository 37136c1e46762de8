//! `GET /usage`.

use thousandeyes_usage_generated::apis::usage_api;

use super::{resolve_aid, Expand};
use crate::error::Error;
use crate::models::Usage;
use crate::retry::RetryPolicy;
use crate::Client;

/// Builder for the organization's usage (`GET /usage`, operationId `getUsage`).
///
/// Made by [`Client::usage`].
///
/// ```no_run
/// use thousandeyes_usage::{Client, Expand};
///
/// # async fn run(client: Client) -> Result<(), thousandeyes_usage::Error> {
/// let usage = client
///     .usage()
///     .aid("1234")
///     .expand([Expand::Tests, Expand::EnterpriseAgentUnits])
///     .send()
///     .await?;
/// if let Some(quota) = &usage.quota {
///     println!("{:?} of {:?} cloud units", usage.cloud_units_used, quota.cloud_units_included);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent"]
pub struct GetUsage {
    client: Client,
    aid: Option<String>,
    expand: Vec<Expand>,
    pub(super) policy: Option<RetryPolicy>,
}

impl GetUsage {
    pub(crate) fn new(client: Client) -> Self {
        GetUsage { client, aid: None, expand: Vec::new(), policy: None }
    }

    /// The account group to ask in (default: the client's default `aid`, else the user's own).
    ///
    /// ```
    /// # fn f(client: thousandeyes_usage::Client) {
    /// let request = client.usage().aid("1234");
    /// # let _ = request; }
    /// ```
    pub fn aid(mut self, aid: impl Into<String>) -> Self {
        self.aid = Some(aid.into());
        self
    }

    /// Breakdowns to include; sent as one comma-separated `expand` parameter, each once.
    ///
    /// ```
    /// # fn f(client: thousandeyes_usage::Client) {
    /// use thousandeyes_usage::Expand;
    /// let request = client.usage().expand(Expand::ALL);
    /// # let _ = request; }
    /// ```
    pub fn expand(mut self, expand: impl IntoIterator<Item = Expand>) -> Self {
        for e in expand {
            if !self.expand.contains(&e) {
                self.expand.push(e);
            }
        }
        self
    }

    /// Sends the request. The answer's `usage` object is returned (empty when the API sent none).
    ///
    /// ```no_run
    /// # async fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
    /// let usage = client.usage().send().await?;
    /// println!("{:?}", usage.cloud_units_projected);
    /// # Ok(()) }
    /// ```
    pub async fn send(self) -> Result<Usage, Error> {
        let aid = resolve_aid(self.aid.as_deref(), self.client.default_aid())?;
        let expand =
            (!self.expand.is_empty()).then(|| self.expand.iter().map(|e| e.to_generated()).collect());
        let params = usage_api::GetUsageParams { aid, expand };
        let reply = self
            .client
            .call("getUsage", self.policy, Vec::new(), |cfg| async move {
                usage_api::get_usage(&cfg, params).await
            })
            .await?;
        Ok(reply.value.usage.unwrap_or_default())
    }
}
