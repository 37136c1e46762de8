//! Where the units listings have got to, as progress bars on stderr: one line a listing
//! (`test units  page 3, 27 items`), redrawn in place by indicatif, and cleared when fetching
//! ends. Only on a terminal, and never with `--quiet`: piped or captured stderr gets no
//! progress, so logs and monitoring systems read only notes and errors.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::fetch::{Listing, Progress};

/// The progress bars of one fetch (none when they are not shown).
#[derive(Debug)]
pub struct ListingProgress {
    shown: Option<Bars>,
}

#[derive(Debug)]
struct Bars {
    multi: MultiProgress,
    tests: ProgressBar,
    agents: ProgressBar,
}

impl ListingProgress {
    /// Progress on stderr when stderr is a terminal and `quiet` is off; else nothing is drawn.
    pub fn on_stderr(quiet: bool) -> ListingProgress {
        ListingProgress::new(!quiet && std::io::stderr().is_terminal())
    }

    /// Progress drawn on stderr when `shown`, else nothing.
    ///
    /// ```
    /// use thousandeyes_usage_cli::fetch::{Listing, Progress};
    /// use thousandeyes_usage_cli::progress::ListingProgress;
    ///
    /// let mut progress = ListingProgress::new(false);
    /// progress.update(&Progress { listing: Listing::TestUnits, pages: 1, items: 9 });
    /// assert!(!progress.is_shown());
    /// progress.finish();
    /// ```
    pub fn new(shown: bool) -> ListingProgress {
        if !shown {
            return ListingProgress { shown: None };
        }
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let bar = |listing: Listing| {
            let bar = multi.add(ProgressBar::new_spinner());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {prefix:<22} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.set_prefix(listing.label());
            bar.set_message("first page…");
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        };
        let (tests, agents) = (bar(Listing::TestUnits), bar(Listing::AgentUnits));
        ListingProgress { shown: Some(Bars { multi, tests, agents }) }
    }

    /// True when the bars are drawn.
    pub fn is_shown(&self) -> bool {
        self.shown.is_some()
    }

    /// Shows where `progress.listing` has got to.
    pub fn update(&mut self, progress: &Progress) {
        if let Some(bars) = &self.shown {
            let bar = match progress.listing {
                Listing::TestUnits => &bars.tests,
                Listing::AgentUnits => &bars.agents,
            };
            let pages = if progress.pages == 1 { "page" } else { "pages" };
            bar.set_message(format!("{} {pages}, {} items", progress.pages, progress.items));
        }
    }

    /// Clears the bars (fetching ended, or failed).
    pub fn finish(self) {
        if let Some(bars) = self.shown {
            bars.tests.finish_and_clear();
            bars.agents.finish_and_clear();
            let _ = bars.multi.clear();
        }
    }
}
