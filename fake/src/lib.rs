// The crate's documentation is its README, also its page on crates.io. There the README's links
// go to docs.rs through the link definitions at its end; here the definitions below come first,
// and so win, and point rustdoc at the items themselves (a link the README adds wants one here).
//! [`FakeUsageApi::start()`]: FakeUsageApi::start
//! [`FakeUsageApi::rotate_token`]: FakeUsageApi::rotate_token
//! [`FakeUsageApi`]: FakeUsageApi
//! [builder]: FakeUsageApiBuilder
//! [`Dataset`]: Dataset
//! [`ExpectedTotals`]: ExpectedTotals
//! [`Failure`]: Failure
//! [`FakeClock`]: FakeClock
//! [`models`]: models
//! [`Operation`]: Operation
//! [`RecordedRequest`]: RecordedRequest
//! [`TokenCheck`]: TokenCheck
#![doc = include_str!("../README.md")]
// Literals of the generated models end in `..Default::default()` even when every field is
// given, so that a field the spec adds later does not break the fake's build.
#![allow(clippy::needless_update)]
#![deny(missing_docs)]
#![warn(rustdoc::broken_intra_doc_links)]

// The rooms, each importing (and linking to) only rooms after it here: `builder` (the builder,
// its defaults, the data it is given, the start) → `handle` (the running fake and what it tells
// a test) → `server` (HTTP, the checks, the handlers and their state) → `failure` (the scripted
// failures), `cursor`, `record` (the requests answered), `clock`; `acme` (the seeded data) →
// `dataset` (the data's types and totals); `mix` (the mixing function behind every made-up
// number) last. `cargo fmt` keeps the declarations in alphabetical order.
mod acme;
mod builder;
mod clock;
mod cursor;
mod dataset;
mod failure;
mod handle;
mod mix;
mod record;
mod server;

pub use builder::{
    FakeUsageApiBuilder, DEFAULT_AGENT_UNITS_PAGE_SIZE, DEFAULT_RATE_LIMIT, DEFAULT_RATE_LIMIT_WINDOW,
    DEFAULT_RECORD_LIMIT, DEFAULT_TEST_UNITS_PAGE_SIZE, DEFAULT_TOKEN,
};
pub use clock::FakeClock;
pub use dataset::{AccountGroup, Dataset, ExpectedTotals};
pub use failure::Failure;
pub use handle::FakeUsageApi;
pub use record::{RateLimitWindow, RecordedRequest, TokenCheck, PREVIOUS_TOKEN_GRACE};

/// One of the operations of the Usage API, named as in the spec: the operation enum of
/// `thousandeyes-usage-generated`, whose variants, [`ALL`](Operation::ALL), `operation_id()`,
/// `method()` and `path()` come from the spec.
///
/// Used to aim a [`Failure`] at an operation and to pick recorded requests
/// ([`FakeUsageApi::requests_for`]).
///
/// ```
/// use thousandeyes_usage_fake::Operation;
///
/// let op = Operation::GetTestsUnitsUsage;
/// assert_eq!(op.operation_id(), "getTestsUnitsUsage");
/// assert_eq!((op.method(), op.path()), ("GET", "/usage/units/tests"));
/// assert_eq!(Operation::from_operation_id("getQuotas"), Some(Operation::GetQuotas));
/// assert_eq!(op.to_string(), "getTestsUnitsUsage");
/// ```
pub use thousandeyes_usage_generated::apis::OperationId as Operation;

/// The data types the fake serves (`UsageDetails`, `UnitsByTests`, `Quota`, …): the models of
/// `thousandeyes-usage-generated`, re-exported so that you need not depend on it.
///
/// ```
/// use thousandeyes_usage_fake::models::UnitsByTests;
///
/// let test = UnitsByTests { test_name: Some("www.example.com - HTTP".into()), ..Default::default() };
/// assert!(test.cloud_units_used.is_none());
/// ```
pub use thousandeyes_usage_generated::models;

/// The `http` crate, whose types [`RecordedRequest`] uses (`Method`, `HeaderMap`, `StatusCode`).
///
/// ```
/// use thousandeyes_usage_fake::http::StatusCode;
///
/// assert_eq!(StatusCode::TOO_MANY_REQUESTS, 429);
/// ```
pub use http;
