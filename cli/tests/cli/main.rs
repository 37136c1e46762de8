//! `te-usage` run as a user runs it, one module per subject.

mod support;

mod completions;
mod history;
mod quotas;
mod usage_errors;
