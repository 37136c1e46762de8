//! `cargo xtask spec import FILE` and `cargo xtask spec check`: our spec against the vendor's.
//!
//! ThousandEyes' published OpenAPI document is the authority on the API's facts. [`import`] cuts
//! the Usage API out of it, facts only, into `openapi/upstream/usage.yaml` (the upstream
//! reference) and says what changed against the previous reference. [`check`] proves that
//! `openapi/usage.yaml`, written in our own words, states every fact of the reference, or marks
//! (see [`marks`]) where it deliberately differs.

pub mod check;
pub mod cut;
pub mod diff;
pub mod doc;
pub mod facts;
pub mod import;
pub mod marks;
