//! A client for the ThousandEyes Usage API v7: organization usage, cloud and enterprise agent
//! units by test and by agent, and organization and account group quotas.
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use thousandeyes_usage::{models::ExpandUsageOptions, Client};
//!
//! # async fn run() -> Result<(), thousandeyes_usage::Error> {
//! let client = Client::from_env()?; // TE_TOKEN; optionally TE_AID, TE_API_ENDPOINT, TE_TIMEOUT, TE_RATE_LIMIT_SHARE
//!
//! let usage = client.usage().expand([ExpandUsageOptions::Test]).send().await?;
//! println!("cloud units used: {:?}", usage.cloud_units_used);
//!
//! let mut tests = client.test_units().items(); // every page, lazily, next page prefetched
//! while let Some(test) = tests.try_next().await? {
//!     println!("{:?} {:?}", test.test_name, test.cloud_units_used);
//! }
//! # Ok(()) }
//! ```
//!
//! * [`Client`] is cheap to clone and shared by every task; its clones share the rate-limit
//!   state, so they pace together and one 429 holds back all of them until the window resets.
//! * Every operation is a builder ([`operations`]) checked before anything is sent.
//! * The two units listings are [`futures::Stream`]s: [`Pages`] of [`Page`]s, or [`Items`].
//! * 429 answers are retried after the reset the server names; failures to connect that a retry
//!   may mend (any method) and transient failures of GETs with backoff ([`RetryPolicy`]); a
//!   certificate the client does not trust ([`Error::Tls`]) or a proxy's refusal
//!   ([`Error::ProxyRefused`]) after one attempt, not retried. Requests are spread over the
//!   rate-limit window when little of it remains, and a
//!   [budget share](ClientBuilder::rate_limit_share) leaves room for the organization's other
//!   integrations.
//! * One error type, [`Error`], whose message ends with the cause in plain words; the token and
//!   a proxy's password never appear in any `Debug`, `Display`, error or log line, even when a
//!   server echoes them back.
//! * The data types are the spec's schemas ([`models`]), generated from it.
//! * [`rollup`] adds the answers up by account group: units under each of the API's two
//!   attributions (by test owner, by the agent's home group), and an account group's quota.
//!
//! Layout, in the order a call runs through it: `operations` (the builders) → `client` →
//! `pipeline` (one call: asks, sleeps, sends, reads the answer, builds the errors) → `strategy`
//! (every decision to send, wait, retry or give up) → `pacing`, `retry` (classifier and policy);
//! `transport`, `decode`; `config` checks settings; `pagination` turns what a listing's pages
//! said into cursors and `Page`s, and walks listings.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod client;
mod clock;
mod config;
mod decode;
mod error;
pub mod models;
pub mod operations;
mod pacing;
mod pagination;
mod pipeline;
mod rate_limit;
mod retry;
pub mod rollup;
mod secret;
mod stats;
mod strategy;
mod transport;

#[cfg(test)]
#[path = "tests/proptests.rs"]
mod proptests;

// The test support the unit tests share with the integration tests names this crate as they do.
#[cfg(test)]
extern crate self as thousandeyes_usage;
#[cfg(test)]
#[path = "../tests/support/mod.rs"]
mod test_support;

/// The `chrono` crate, whose [`DateTime`](chrono::DateTime) the listings' `start` and `end`
/// take and the models' times are: use it from here, and your `chrono` is always the client's.
///
/// ```no_run
/// use thousandeyes_usage::chrono::{Duration, Utc};
///
/// # async fn f(client: thousandeyes_usage::Client) -> Result<(), thousandeyes_usage::Error> {
/// let week = client.test_units().start(Utc::now() - Duration::days(7)).collect_all().await?;
/// # let _ = week; Ok(()) }
/// ```
pub use chrono;

pub use client::Client;
pub use config::{
    ClientBuilder, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_BODY_BYTES,
    DEFAULT_REQUEST_TIMEOUT, ENV_AID, ENV_API_ENDPOINT, ENV_RATE_LIMIT_SHARE, ENV_TIMEOUT, ENV_TOKEN,
};
pub use error::{ApiError, Error, FieldError, NotSentReason, TlsProblem};
pub use pagination::{Items, Page, Pages};
pub use rate_limit::RateLimit;
pub use retry::RetryPolicy;
pub use stats::{ClientStats, Waits};

/// The workspace README's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

/// This crate's README's examples (its page on crates.io), compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct CrateReadmeDoctests;
