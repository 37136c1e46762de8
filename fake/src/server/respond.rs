//! One request answered: authentication, then the rate-limit window, then the failure rules,
//! then the operation's handler.

use std::time::SystemTime;

use http::StatusCode;

use super::answer::{rate_limited, unauthorized, Answer};
use super::handlers::{dispatch, page};
use super::request::Req;
use super::rules::scripted;
use super::state::{Config, State};
use crate::clock::FakeClock;
use crate::record::TokenCheck;

/// The answer to a request, and what the record and the rate-limit headers tell of it.
pub(crate) struct Outcome {
    pub(crate) answer: Answer,
    /// The page a listing request asked for.
    pub(crate) page: Option<usize>,
    /// The calls left in the window after this one.
    pub(crate) remaining: u64,
    /// The window's reset, epoch seconds.
    pub(crate) reset: i64,
}

impl State {
    /// Answers one request at `now`; `token` is how its bearer token compared.
    pub(crate) fn respond(
        &mut self,
        config: &Config,
        req: &Req,
        token: TokenCheck,
        now: SystemTime,
    ) -> Outcome {
        let now_ms = FakeClock::epoch_ms(now);
        let now_secs = now_ms.div_euclid(1000);
        let page = page(req.operation(), req, config);
        let answer = if !token.is_accepted() {
            // Not counted: no organization to count it against.
            let description = if token == TokenCheck::Missing {
                "The access token is missing."
            } else {
                "The access token is invalid or expired."
            };
            unauthorized(StatusCode::UNAUTHORIZED, description)
        } else if self.windows.used_up(now_secs) {
            rate_limited(&req.path, self.windows.limit(), self.windows.current(now_secs).reset)
        } else if let Some(failure) = self.rules.fire(req.operation(), page) {
            if failure.status == StatusCode::TOO_MANY_REQUESTS {
                self.windows.use_up(now_ms, failure.reset_after);
            } else {
                self.windows.spend(now_secs);
            }
            let reset = self.windows.current(now_secs).reset;
            scripted(&failure, &req.path, now, self.windows.limit(), reset)
        } else {
            self.windows.spend(now_secs);
            dispatch(self, config, req, now)
        };
        let (remaining, reset) = self.windows.tally(now_secs, answer.status);
        Outcome { answer, page, remaining, reset }
    }
}
