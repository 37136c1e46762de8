//! Code that uses the client, run against the fake Usage API (`thousandeyes-usage-fake`), hence
//! the binary's name (`--test against_fake`), one module per subject: `consumer` (a small function a user would write, tested as a user would),
//! `concurrency` (a hundred tasks sharing one client through rate-limit windows and 5xx) and
//! `operations` (what the builders send, and what the fake makes of it). The fake runs on each
//! test's tokio runtime and follows its clock, so tests under `start_paused` wait out windows and
//! retries in virtual time. (The usage report's tests are te-usage's, in `cli/tests/cli/`.)

mod concurrency;
mod consumer;
mod operations;
