//! [`Client`]: cheap to clone, shared by every task, the entry point to every operation.

use std::fmt;
use std::sync::Arc;

use crate::config::{check_token, ClientBuilder, Config};
use crate::error::Error;
use crate::pacing::Pacer;
use crate::pipeline::Pipeline;
use crate::rate_limit::RateLimit;
use crate::secret::Secret;
use crate::stats::ClientStats;

/// A ThousandEyes Usage API client.
///
/// Cloning is cheap (one `Arc`), and clones share the connection pool, the rate-limit state and
/// the statistics, so one client can serve many tasks at once. Clients built separately for one
/// organization (same base URL, token and rate-limit share) in one process share the rate-limit
/// state too, while any of them is alive, so that together they stay under the limit.
///
/// ```no_run
/// use thousandeyes_usage::{models::ExpandUsageOptions, Client};
///
/// # async fn run() -> Result<(), thousandeyes_usage::Error> {
/// let client = Client::from_env()?; // TE_TOKEN, TE_AID, TE_API_ENDPOINT, TE_TIMEOUT, TE_RATE_LIMIT_SHARE
/// let usage = client.usage().expand([ExpandUsageOptions::Test]).send().await?;
/// println!("cloud units used: {:?}", usage.cloud_units_used);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    pipeline: Pipeline,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let config = &self.inner.config;
        f.debug_struct("Client")
            .field("base_url", &config.base_path)
            .field("token", &config.token)
            .field("default_aid", &config.default_aid)
            // As given to the builder: the header was made of that text.
            .field("user_agent", &String::from_utf8_lossy(config.user_agent.as_bytes()))
            .field("retry", &config.retry)
            .field("request_timeout", &config.request_timeout)
            .field("max_body_bytes", &config.max_body_bytes)
            .field("rate_limit_share", &config.rate_limit_share)
            .finish()
    }
}

impl ClientBuilder {
    /// Checks the settings and builds the client. A client built while another of the same
    /// organization (same base URL, token and rate-limit share) is alive in this process shares
    /// its rate-limit state (figures, requests in flight, spreading slots, holds): together they
    /// pace as one client's clones do. Fails with [`Error::Config`] naming the setting
    /// (or `TE_*` variable) at fault: no token, a token that cannot be a header value, a
    /// malformed base URL, plain HTTP to a non-loopback host, a malformed default `aid`, a zero
    /// timeout or body limit, a budget share outside (0, 1].
    ///
    /// ```
    /// let err = thousandeyes_usage::Client::builder().build().unwrap_err();
    /// assert!(err.to_string().contains("token"));
    /// ```
    pub fn build(self) -> Result<Client, Error> {
        Client::from_config(self.into_config()?)
    }
}

impl Client {
    /// A builder for a client.
    ///
    /// ```
    /// let client = thousandeyes_usage::Client::builder().token("my-api-token").build()?;
    /// # let _ = client; Ok::<(), thousandeyes_usage::Error>(())
    /// ```
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A client configured from the environment, as the ThousandEyes Terraform provider is:
    /// `TE_TOKEN` (required), `TE_AID` (default account group), `TE_API_ENDPOINT` (base URL),
    /// `TE_TIMEOUT` (request timeout in seconds), and `TE_RATE_LIMIT_SHARE` (the share of the
    /// organization's rate limit to use). A missing or malformed variable is an [`Error::Config`]
    /// naming it.
    ///
    /// ```no_run
    /// let client = thousandeyes_usage::Client::from_env()?;
    /// # let _ = client; Ok::<(), thousandeyes_usage::Error>(())
    /// ```
    pub fn from_env() -> Result<Client, Error> {
        Self::builder_from_env()?.build()
    }

    /// A builder filled from the `TE_*` variables (see [`from_env`](Self::from_env)), for
    /// settings the environment does not cover.
    ///
    /// ```no_run
    /// let client = thousandeyes_usage::Client::builder_from_env()?
    ///     .user_agent("billing-job/1.0")
    ///     .build()?;
    /// # let _ = client; Ok::<(), thousandeyes_usage::Error>(())
    /// ```
    pub fn builder_from_env() -> Result<ClientBuilder, Error> {
        ClientBuilder::from_env_with(|name| std::env::var(name).ok())
    }

    /// A builder filled from the given variables instead of the process environment.
    ///
    /// ```
    /// let vars = [("TE_TOKEN", "t0ken"), ("TE_AID", "1234")];
    /// let builder = thousandeyes_usage::Client::builder_from_vars(vars)?;
    /// # let _ = builder; Ok::<(), thousandeyes_usage::Error>(())
    /// ```
    pub fn builder_from_vars<K, V>(vars: impl IntoIterator<Item = (K, V)>) -> Result<ClientBuilder, Error>
    where
        K: Into<String>,
        V: Into<String>,
    {
        let vars: Vec<(String, String)> = vars.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        ClientBuilder::from_env_with(|name| {
            vars.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }

    fn from_config(config: Config) -> Result<Client, Error> {
        let pacer = Pacer::shared(&config.base_path, &config.token, config.rate_limit_share);
        let pipeline = Pipeline::new(&config, pacer)?;
        Ok(Client { inner: Arc::new(Inner { config, pipeline }) })
    }

    /// The base URL requests go to.
    ///
    /// ```
    /// let client = thousandeyes_usage::Client::builder().token("t").build()?;
    /// assert_eq!(client.base_url(), "https://api.thousandeyes.com/v7");
    /// # Ok::<(), thousandeyes_usage::Error>(())
    /// ```
    pub fn base_url(&self) -> &str {
        &self.inner.config.base_path
    }

    /// Replaces the bearer token, at once, for this client and every clone of it: each attempt
    /// sent from now on carries `token` (a retry of a call under way too), while an attempt
    /// already sent finishes with the token it went with. The rate-limit state and the
    /// statistics carry on, and a client built later with `token` for the same base URL and
    /// share joins this client's rate-limit state. The token is checked as
    /// [`ClientBuilder::token`] is at `build()`: empty, or holding characters that cannot be sent
    /// in a header, it is an [`Error::Config`] (never showing it) and the client keeps its
    /// token. The last 16 tokens it replaced stay redacted from errors, should a server echo one
    /// (the API accepts a regenerated token's predecessor for 14 days: daily rotation leaves 14
    /// that still work).
    ///
    /// ```
    /// let client = thousandeyes_usage::Client::builder().token("token-of-monday").build()?;
    /// let worker = client.clone();
    /// client.set_token("token-of-tuesday")?; // `worker` sends it too from now on
    /// assert!(worker.set_token("").is_err());
    /// # Ok::<(), thousandeyes_usage::Error>(())
    /// ```
    pub fn set_token(&self, token: impl Into<String>) -> Result<(), Error> {
        let token = token.into();
        check_token(&token, "token")?;
        let config = &self.inner.config;
        config.token.replace(token);
        Pacer::share_as(&self.inner.pipeline.pacer, &config.base_path, &config.token);
        Ok(())
    }

    /// The latest rate-limit figures any answer to this client (or its clones, or the other
    /// clients of its organization in this process) reported.
    ///
    /// ```
    /// let client = thousandeyes_usage::Client::builder().token("t").build()?;
    /// assert_eq!(client.rate_limit().remaining, None); // nothing sent yet
    /// # Ok::<(), thousandeyes_usage::Error>(())
    /// ```
    pub fn rate_limit(&self) -> RateLimit {
        self.inner.pipeline.pacer.latest()
    }

    /// What this client and its clones have done so far: requests sent, retries, 429s, and
    /// every wait by its reason.
    ///
    /// ```
    /// let client = thousandeyes_usage::Client::builder().token("t").build()?;
    /// assert_eq!(client.stats().requests_sent, 0);
    /// # Ok::<(), thousandeyes_usage::Error>(())
    /// ```
    pub fn stats(&self) -> ClientStats {
        self.inner.pipeline.counters.snapshot()
    }

    pub(crate) fn default_aid(&self) -> Option<&str> {
        self.inner.config.default_aid.as_deref()
    }

    pub(crate) fn base(&self) -> &url::Url {
        &self.inner.config.base
    }

    pub(crate) fn secret(&self) -> &Secret {
        &self.inner.pipeline.secret
    }

    /// The pipeline the client's calls run through.
    pub(crate) fn pipeline(&self) -> &Pipeline {
        &self.inner.pipeline
    }
}

#[cfg(test)]
#[path = "tests/client.rs"]
mod tests;
