//! `GET /usage`.

use std::borrow::Borrow;

use thousandeyes_usage_generated::apis::{usage_api as api, OperationDescriptor};

use super::ids::resolve_aid;
use crate::decode;
use crate::error::Error;
use crate::models::{ExpandUsageOptions, UsageDetails};
use crate::retry::RetryPolicy;
use crate::Client;

/// Builder for the organization's usage (`GET /usage`, operationId `getUsage`).
///
/// Made by [`Client::usage`].
///
/// ```no_run
/// use thousandeyes_usage::{models::ExpandUsageOptions, Client};
///
/// # async fn run(client: Client) -> Result<(), thousandeyes_usage::Error> {
/// let usage = client
///     .usage()
///     .aid("1234")
///     .expand([ExpandUsageOptions::Test, ExpandUsageOptions::EnterpriseAgentUnit])
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
    params: api::GetUsageParams,
    pub(super) policy: Option<RetryPolicy>,
}

impl GetUsage {
    pub(crate) fn new(client: Client) -> Self {
        GetUsage { client, params: api::GetUsageParams { aid: None, expand: None }, policy: None }
    }

    /// The account group to make the request in (`aid`; default: the client's
    /// [`default_aid`](crate::ClientBuilder::default_aid), else the token's default account
    /// group); the user must be a member of it, or the API answers with an error
    /// ([`Error::Api`]). It chooses the organization, not a part of it: the usage answered is
    /// that of the account group's whole organization, every account group included. A user who
    /// can view the usage of several organizations asks once for each, through one of its
    /// account groups.
    ///
    /// ```no_run
    /// # async fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
    /// // Two organizations, each through one of its account groups.
    /// for aid in ["1234", "5678"] {
    ///     let usage = client.usage().aid(aid).send().await?;
    ///     println!("the organization of account group {aid}: {:?} cloud units", usage.cloud_units_used);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn aid(mut self, aid: impl Into<String>) -> Self {
        self.params.aid = Some(aid.into());
        self
    }

    /// Breakdowns to include; sent as one comma-separated `expand` parameter, each once. Every
    /// value the spec lists is in [`ExpandUsageOptions::ALL`], and parses from the API's name.
    /// Takes values or references: `ALL` as it is, an array, a `Vec`, any iterator.
    ///
    /// ```
    /// # fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::models::UnknownEnumValue> {
    /// use thousandeyes_usage::models::ExpandUsageOptions;
    /// let everything = client.usage().expand(ExpandUsageOptions::ALL);
    /// let tests = client.usage().expand([ExpandUsageOptions::Test]);
    /// let parsed = client.usage().expand(vec!["test".parse::<ExpandUsageOptions>()?]);
    /// # let _ = (everything, tests, parsed); Ok(()) }
    /// ```
    pub fn expand<I>(mut self, expand: I) -> Self
    where
        I: IntoIterator,
        I::Item: Borrow<ExpandUsageOptions>,
    {
        let list = self.params.expand.get_or_insert_with(Vec::new);
        for e in expand {
            let e = *e.borrow();
            if !list.contains(&e) {
                list.push(e);
            }
        }
        self
    }

    /// Sends the request, and returns the answer's `usage` object. An answer without one is an
    /// [`Error::Decode`] at the path `usage` (the spec leaves the property optional, as it
    /// leaves all but two of the Usage API's, but it is what the operation returns: an answer
    /// without it has none of the figures asked for).
    ///
    /// ```no_run
    /// # async fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
    /// let usage = client.usage().send().await?;
    /// println!("{:?}", usage.cloud_units_projected);
    /// # Ok(()) }
    /// ```
    pub async fn send(mut self) -> Result<UsageDetails, Error> {
        self.params.aid = resolve_aid(self.params.aid.as_deref(), self.client.default_aid())?;
        if self.params.expand.as_ref().is_some_and(Vec::is_empty) {
            self.params.expand = None;
        }
        let operation = <api::GetUsage as OperationDescriptor>::OPERATION_ID;
        self.client
            .pipeline()
            .execute::<api::GetUsage, _>(&self.params, self.policy.as_ref(), |answer, secret| {
                let body: <api::GetUsage as OperationDescriptor>::Output =
                    decode::json(operation, answer, secret)?;
                body.usage.ok_or_else(|| {
                    let why = "missing field `usage`, the object the operation returns";
                    decode::missing(operation, answer, "usage", why, secret)
                })
            })
            .await
    }
}
