//! `te-usage completions SHELL`: a completion script for the shell, written by clap_complete
//! from the same definitions as `--help`.

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use crate::args::Cli;
use crate::error::CliError;
use crate::output::print;

/// The arguments of `completions`.
#[derive(Debug, Clone, Args)]
#[command(after_help = "\
Examples:
  te-usage completions bash > ~/.local/share/bash-completion/completions/te-usage
  te-usage completions zsh > \"${fpath[1]}/_te-usage\"
  te-usage completions fish > ~/.config/fish/completions/te-usage.fish")]
pub struct CompletionsArgs {
    /// The shell
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Prints the completion script of `args.shell` on stdout.
///
/// # Errors
///
/// [`CliError::Output`] when stdout cannot be written.
pub fn run(args: &CompletionsArgs) -> Result<u8, CliError> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "te-usage", &mut script);
    print(&String::from_utf8_lossy(&script))?;
    Ok(0)
}
