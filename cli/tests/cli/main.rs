//! `te-usage` run as a user runs it, one module per subject; and the report's code, run in this
//! process against the fake Usage API.

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
