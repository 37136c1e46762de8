//! What every test of the facade shares: the one token its clients carry, the one way to
//! build a client for a base URL, and the proxy passwords that must never show ([`passwords`],
//! which the integration suite's support includes too). Included by the unit tests
//! (`src/lib.rs`) and by each integration test binary (`tests/spec_coverage.rs`,
//! `tests/network`), which each use a part.

#![allow(dead_code)]

use thousandeyes_usage::{Client, ClientBuilder};

pub mod passwords;

/// The token of the tests' clients: the fake Usage API's own, so that a fake started with its
/// defaults lets them in.
pub const TOKEN: &str = thousandeyes_usage_fake::DEFAULT_TOKEN;

/// A builder of a client for the API at `base_url`, carrying [`TOKEN`], for the settings a test
/// adds.
pub fn builder_of(base_url: impl Into<String>) -> ClientBuilder {
    Client::builder().token(TOKEN).base_url(base_url)
}

/// A client for the API at `base_url`, carrying [`TOKEN`].
pub fn client_of(base_url: impl Into<String>) -> Client {
    builder_of(base_url).build().expect("a client")
}
