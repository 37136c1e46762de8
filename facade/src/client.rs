//! [`Client`]: cheap to clone, shared by every task, the entry point to every operation.

use std::fmt;
use std::future::Future;

use serde::de::DeserializeOwned;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use thousandeyes_usage_generated::apis::configuration::Configuration;
use thousandeyes_usage_generated::apis::Error as GeneratedError;
use url::Url;

use crate::config::{ClientBuilder, Secret};
use crate::error::{excerpt, ApiError, Error, FieldError};
use crate::rate_limit::RateLimit;
use crate::retry::{retry_after, server_wait, Pacer, RetryPolicy, Sleeper};
use crate::transport::{Answer, Exchange, Record};

/// How much of a body error messages quote.
const EXCERPT_BYTES: usize = 512;

/// Headers that carry a request or trace id, in order of preference.
const REQUEST_ID_HEADERS: &[&str] = &["x-request-id", "x-trace-id", "x-b3-traceid", "traceparent"];

/// A ThousandEyes Usage API client.
///
/// Cloning is cheap (one `Arc`), and clones share the connection pool and the rate-limit state,
/// so one client can serve many tasks at once.
///
/// ```no_run
/// use thousandeyes_usage::{Client, Expand};
///
/// # async fn run() -> Result<(), thousandeyes_usage::Error> {
/// let client = Client::from_env()?; // TE_TOKEN, TE_AID, TE_API_ENDPOINT, TE_TIMEOUT
/// let usage = client.usage().expand([Expand::Tests]).send().await?;
/// println!("cloud units used: {:?}", usage.cloud_units_used);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) base: Url,
    pub(crate) base_path: String,
    pub(crate) token: Secret,
    pub(crate) default_aid: Option<String>,
    pub(crate) user_agent: String,
    pub(crate) retry: RetryPolicy,
    pub(crate) request_timeout: Duration,
    pub(crate) max_body_bytes: usize,
    pub(crate) pacer: Pacer,
    pub(crate) sleeper: Arc<dyn Sleeper>,
    pub(crate) counters: Counters,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_path)
            .field("token", &self.inner.token)
            .field("default_aid", &self.inner.default_aid)
            .field("user_agent", &self.inner.user_agent)
            .field("retry", &self.inner.retry)
            .field("request_timeout", &self.inner.request_timeout)
            .field("max_body_bytes", &self.inner.max_body_bytes)
            .finish()
    }
}

/// What a client and all its clones have done so far, for reports and monitoring.
///
/// ```
/// let client = thousandeyes_usage::Client::builder().token("t").build()?;
/// let stats = client.stats();
/// assert_eq!((stats.requests_sent, stats.retries, stats.pacing_waits), (0, 0, 0));
/// # Ok::<(), thousandeyes_usage::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientStats {
    /// Requests sent; every attempt counts.
    pub requests_sent: u64,
    /// Attempts after the first of a call: after a 429, or a transient failure of a GET.
    pub retries: u64,
    /// Waits before sending because the client was holding back for the rate-limit window
    /// (after another request's 429, or a used-up window); not retries.
    pub pacing_waits: u64,
    /// Time spent waiting, for retries and pacing together.
    pub waited: Duration,
}

/// The counters behind [`ClientStats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) requests_sent: AtomicU64,
    pub(crate) retries: AtomicU64,
    pub(crate) pacing_waits: AtomicU64,
    pub(crate) waited_nanos: AtomicU64,
}

impl Counters {
    pub(crate) fn add_wait(&self, wait: Duration) {
        let nanos = u64::try_from(wait.as_nanos()).unwrap_or(u64::MAX);
        let _ = self
            .waited_nanos
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| Some(n.saturating_add(nanos)));
    }
}

/// A decoded answer and the rate-limit figures it carried.
pub(crate) struct Reply<T> {
    pub(crate) value: T,
    pub(crate) rate_limit: RateLimit,
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
    /// `TE_TOKEN` (required), `TE_AID` (default account group), `TE_API_ENDPOINT` (base URL) and
    /// `TE_TIMEOUT` (request timeout in seconds). A missing or malformed variable is an
    /// [`Error::Config`] naming it.
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

    pub(crate) fn from_inner(inner: Inner) -> Client {
        Client { inner: Arc::new(inner) }
    }

    /// The base URL requests go to.
    ///
    /// ```
    /// let client = thousandeyes_usage::Client::builder().token("t").build()?;
    /// assert_eq!(client.base_url(), "https://api.thousandeyes.com/v7");
    /// # Ok::<(), thousandeyes_usage::Error>(())
    /// ```
    pub fn base_url(&self) -> &str {
        &self.inner.base_path
    }

    /// The latest rate-limit figures any answer to this client (or its clones) reported.
    ///
    /// ```
    /// let client = thousandeyes_usage::Client::builder().token("t").build()?;
    /// assert_eq!(client.rate_limit().remaining, None); // nothing sent yet
    /// # Ok::<(), thousandeyes_usage::Error>(())
    /// ```
    pub fn rate_limit(&self) -> RateLimit {
        self.inner.pacer.latest()
    }

    /// What this client and its clones have done so far: requests sent, retries, pacing waits
    /// and the time spent waiting.
    ///
    /// ```
    /// let client = thousandeyes_usage::Client::builder().token("t").build()?;
    /// assert_eq!(client.stats().requests_sent, 0);
    /// # Ok::<(), thousandeyes_usage::Error>(())
    /// ```
    pub fn stats(&self) -> ClientStats {
        let c = &self.inner.counters;
        ClientStats {
            requests_sent: c.requests_sent.load(Ordering::Relaxed),
            retries: c.retries.load(Ordering::Relaxed),
            pacing_waits: c.pacing_waits.load(Ordering::Relaxed),
            waited: Duration::from_nanos(c.waited_nanos.load(Ordering::Relaxed)),
        }
    }

    pub(crate) fn default_aid(&self) -> Option<&str> {
        self.inner.default_aid.as_deref()
    }

    pub(crate) fn base(&self) -> &Url {
        &self.inner.base
    }

    /// Runs one generated operation through the facade's transport, and decides its result
    /// from the final answer's status and raw body.
    pub(crate) async fn call<T, E, F, Fut>(
        &self,
        operation: &'static str,
        policy: Option<RetryPolicy>,
        query_overrides: Vec<(&'static str, String)>,
        f: F,
    ) -> Result<Reply<T>, Error>
    where
        T: DeserializeOwned,
        F: FnOnce(Configuration) -> Fut,
        Fut: Future<Output = Result<T, GeneratedError<E>>>,
    {
        self.call_with_fallback(operation, policy, query_overrides, f, |_, _| None).await
    }

    /// [`call`](Self::call), with a last chance for a 2xx answer that does not decode:
    /// `fallback` gets the raw body and the decode error, and may read what it can.
    pub(crate) async fn call_with_fallback<T, E, F, Fut>(
        &self,
        operation: &'static str,
        policy: Option<RetryPolicy>,
        query_overrides: Vec<(&'static str, String)>,
        f: F,
        fallback: impl FnOnce(&[u8], &Error) -> Option<T>,
    ) -> Result<Reply<T>, Error>
    where
        T: DeserializeOwned,
        F: FnOnce(Configuration) -> Fut,
        Fut: Future<Output = Result<T, GeneratedError<E>>>,
    {
        let record = Arc::new(Mutex::new(Record::default()));
        let exchange = Exchange {
            operation,
            inner: Arc::clone(&self.inner),
            policy: policy.unwrap_or_else(|| self.inner.retry.clone()),
            query_overrides,
            record: Arc::clone(&record),
        };
        let configuration = Configuration {
            base_path: self.inner.base_path.clone(),
            user_agent: Some(self.inner.user_agent.clone()),
            client: reqwest_middleware::ClientBuilder::new(self.inner.http.clone()).with(exchange).build(),
            basic_auth: None,
            oauth_access_token: None,
            bearer_access_token: Some(self.inner.token.expose().to_string()),
            api_key: None,
        };
        let result = f(configuration).await;
        let record = std::mem::take(&mut *record.lock().unwrap_or_else(|p| p.into_inner()));
        if let Some(error) = record.error {
            return Err(error);
        }
        let Some(answer) = record.answer else {
            // The generated code failed before sending (it could not build the request).
            return Err(match result {
                Ok(_) => Error::Transport { operation, source: "no answer was recorded".into() },
                Err(e) => Error::Transport { operation, source: generated_error_source(e) },
            });
        };
        let rate_limit = RateLimit::from_headers(&answer.headers);
        if !answer.status.is_success() {
            return Err(Error::Api(Box::new(api_error(operation, &answer))));
        }
        match result {
            Ok(value) => Ok(Reply { value, rate_limit }),
            Err(e) => {
                let error = decode_failure::<T, E>(operation, &answer, e);
                match fallback(&answer.body, &error) {
                    Some(value) => Ok(Reply { value, rate_limit }),
                    None => Err(error),
                }
            }
        }
    }
}

fn generated_error_source<E>(e: GeneratedError<E>) -> Box<dyn std::error::Error + Send + Sync> {
    match e {
        GeneratedError::Reqwest(e) => Box::new(e.without_url()),
        GeneratedError::ReqwestMiddleware(e) => Box::new(e.without_url()),
        GeneratedError::Serde(e) => Box::new(e),
        GeneratedError::Io(e) => Box::new(e),
        GeneratedError::ResponseError(r) => format!("HTTP {}", r.status).into(),
    }
}

/// A 2xx answer the generated code could not turn into the model.
fn decode_failure<T: DeserializeOwned, E>(
    operation: &'static str,
    answer: &Answer,
    e: GeneratedError<E>,
) -> Error {
    let content_type =
        answer.headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
    let is_json =
        content_type.as_deref().is_some_and(|ct| ct.starts_with("application") && ct.contains("json"));
    let body_is_blank = answer.body.iter().all(u8::is_ascii_whitespace);
    if !is_json || body_is_blank {
        return Error::UnexpectedBody {
            operation,
            status: answer.status.as_u16(),
            content_type,
            excerpt: excerpt(&answer.body, EXCERPT_BYTES),
        };
    }
    match e {
        // The generated code decodes without path tracking (it costs on every page); only a
        // failure pays for decoding again to find where it failed.
        GeneratedError::Serde(e) => {
            // Read as the generated code reads it (lossily), so that the same bytes fail alike.
            let text = String::from_utf8_lossy(&answer.body);
            let (path, message) = match serde_path_to_error::deserialize::<_, T>(
                &mut serde_json::Deserializer::from_str(&text),
            ) {
                Err(traced) => (traced.path().to_string(), traced.inner().to_string()),
                Ok(_) => (".".to_string(), e.to_string()),
            };
            Error::Decode { operation, path, message, excerpt: excerpt(&answer.body, EXCERPT_BYTES) }
        }
        other => Error::Transport { operation, source: generated_error_source(other) },
    }
}

/// An error answer, read from its status, headers and raw body (RFC 7807 problem details,
/// validation errors, or the OAuth-style body of a 401).
pub(crate) fn api_error(operation: &'static str, answer: &Answer) -> ApiError {
    #[derive(serde::Deserialize)]
    struct Item {
        #[serde(default)]
        field: Option<String>,
        #[serde(default)]
        code: Option<String>,
        #[serde(default)]
        message: Option<String>,
    }
    // Lenient: each field is read if it has the documented type; a body that is not a JSON
    // object (an HTML page from a proxy) leaves them all empty.
    let body = serde_json::from_slice::<serde_json::Value>(&answer.body).unwrap_or_default();
    let field = |name: &str| body.get(name).and_then(|x| x.as_str()).map(str::to_string);
    let errors: Vec<Item> =
        body.get("errors").and_then(|e| serde_json::from_value(e.clone()).ok()).unwrap_or_default();
    let status = answer.status.as_u16();
    ApiError {
        operation,
        status,
        problem_type: field("type"),
        title: field("title"),
        detail: field("detail"),
        instance: field("instance"),
        errors: errors
            .into_iter()
            .map(|i| FieldError { field: i.field, code: i.code, message: i.message })
            .collect(),
        oauth_error: field("error"),
        oauth_error_description: field("error_description"),
        request_id: REQUEST_ID_HEADERS
            .iter()
            .find_map(|h| answer.headers.get(*h).and_then(|v| v.to_str().ok()).map(str::to_string)),
        // The reset headers come with every answer; only a 429 is about them. A 503 may say
        // when to come back with Retry-After.
        retry_after: match status {
            429 => server_wait(&answer.headers, std::time::SystemTime::now()),
            503 => retry_after(&answer.headers, std::time::SystemTime::now()),
            _ => None,
        },
        rate_limit: RateLimit::from_headers(&answer.headers),
        excerpt: excerpt(&answer.body, EXCERPT_BYTES),
    }
}
