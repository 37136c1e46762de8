//! `te-usage`: see the crate's README, or `te-usage --help`.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    thousandeyes_usage_cli::main(std::env::args_os()).await
}
