//! `te-usage` run as a user runs it, one module per subject; and the report's code, run in this
//! process against the fake Usage API.

// Literals of the generated models end in `..Default::default()` even when every field is
// given, so that a field the spec adds later does not break the tests' build.
#![allow(clippy::needless_update)]

mod support;

mod check;
mod completions;
mod deploy;
mod history;
mod prometheus;
mod quotas;
mod report;
mod serve;
mod usage_errors;
