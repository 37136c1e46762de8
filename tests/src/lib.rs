//! The integration suite's shared pieces.
//!
//! * [`support`]: helpers for tests against local `httpmock` servers, and the benchmarks' line
//!   about the machine they ran on.
//! * [`capture`]: what a client shows (an error's text, its log output), for searching.
//! * [`raw`]: a raw HTTP/1.1 server answering from scripted bytes, for tests of servers that misbehave.

pub mod capture;
pub mod raw;
pub mod support;
