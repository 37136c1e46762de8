//! The exporter's log: one line per event on stderr, `te-usage serve: ` first (a service
//! manager such as systemd adds the time). `--quiet` keeps only the warnings: failures, refused
//! tokens.

use crate::output::note;

/// Where the exporter's events go.
#[derive(Debug, Clone, Copy, Default)]
pub struct Log {
    quiet: bool,
}

impl Log {
    /// A log; `quiet` leaves out the informational lines.
    pub fn new(quiet: bool) -> Log {
        Log { quiet }
    }

    /// An informational line (serving, a token reloaded, a recovery), unless quiet.
    pub fn info(&self, line: &str) {
        if !self.quiet {
            note(&format!("te-usage serve: {line}"));
        }
    }

    /// A warning: something failed.
    pub fn warn(&self, line: &str) {
        note(&format!("te-usage serve: {line}"));
    }
}
