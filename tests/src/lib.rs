//! The integration suite's shared pieces, the demo server and the usage report.
//!
//! * [`support`]: helpers for tests against local `httpmock` servers.
//! * [`raw`]: a raw HTTP/1.1 server answering from scripted bytes, for hostile tests.
//! * [`demo`]: an in-process server that behaves like the Usage API, with realistic data.
//! * [`report`]: the usage report that `cargo run --example usage_report` prints.

pub mod demo;
pub mod raw;
pub mod report;
pub mod support;
