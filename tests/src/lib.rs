//! The integration suite's shared pieces and the usage report.
//!
//! * [`support`]: helpers for tests against local `httpmock` servers.
//! * [`capture`]: what a client shows (an error's text, its log output), for searching.
//! * [`raw`]: a raw HTTP/1.1 server answering from scripted bytes, for tests of servers that misbehave.
//! * [`report`]: the usage report that `cargo run --example usage_report` prints, and the demo
//!   it runs on without `TE_TOKEN` (the fake Usage API of `thousandeyes-usage-fake`).

pub mod capture;
pub mod raw;
pub mod report;
pub mod support;
