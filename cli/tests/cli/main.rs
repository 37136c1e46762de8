//! `te-usage` run as a user runs it, one module per subject.

mod support;

mod completions;
mod deploy;
mod history;
mod prometheus;
mod quotas;
mod serve;
mod usage_errors;
