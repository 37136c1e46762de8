//! A client for the ThousandEyes Usage API v7: organization usage, cloud and enterprise agent
//! units by test and by agent, and organization and account group quotas.
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use thousandeyes_usage::{Client, Expand};
//!
//! # async fn run() -> Result<(), thousandeyes_usage::Error> {
//! let client = Client::from_env()?; // TE_TOKEN, and optionally TE_AID, TE_API_ENDPOINT, TE_TIMEOUT
//!
//! let usage = client.usage().expand([Expand::Tests]).send().await?;
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
//!   state, so one 429 holds back all of them until the window resets.
//! * Every operation is a builder ([`operations`]) checked before anything is sent.
//! * The two units listings are [`futures::Stream`]s of [`Page`]s or of items ([`pagination`]).
//! * 429 answers are retried after the reset the server names; transient failures of GETs with
//!   backoff ([`retry`]).
//! * One error type, [`Error`]; the token never appears in any `Debug`, `Display` or log line.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod client;
mod config;
mod error;
pub mod models;
pub mod operations;
pub mod pagination;
#[cfg(test)]
#[path = "tests/proptests.rs"]
mod proptests;
mod rate_limit;
pub mod retry;
mod transport;

pub use client::{Client, ClientStats};
pub use config::{
    ClientBuilder, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_BODY_BYTES,
    DEFAULT_REQUEST_TIMEOUT, ENV_AID, ENV_API_ENDPOINT, ENV_TIMEOUT, ENV_TOKEN,
};
pub use error::{ApiError, Error, FieldError};
pub use operations::Expand;
pub use pagination::Page;
pub use rate_limit::RateLimit;
pub use retry::{RetryPolicy, Sleeper, TokioSleeper};

/// The README's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
