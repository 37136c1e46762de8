//! The scripted failure rules, and the answers they script.

use std::time::SystemTime;

use http::header;
use http::StatusCode;
use thousandeyes_usage_generated::apis::OperationId as Operation;

use super::answer::{problem, rate_limited, unauthorized, Answer};
use crate::clock::FakeClock;
use crate::failure::{Failure, RetryAfter};

#[derive(Debug)]
struct Rule {
    failure: Failure,
    seen: usize,
    fired: usize,
}

/// The rules, in the order they were added.
#[derive(Debug)]
pub(crate) struct Rules {
    list: Vec<Rule>,
}

impl Rules {
    pub(crate) fn new(failures: Vec<Failure>) -> Rules {
        Rules { list: failures.into_iter().map(|failure| Rule { failure, seen: 0, fired: 0 }).collect() }
    }

    /// The failure of the first rule that fires for this request, counting the request against
    /// every rule it matches until one fires.
    pub(crate) fn fire(&mut self, operation: Option<Operation>, page: Option<usize>) -> Option<Failure> {
        for rule in &mut self.list {
            let f = &rule.failure;
            let op_matches = f.operation.is_none() || f.operation == operation;
            let page_matches = f.page.is_none() || (f.page == page && page.is_some());
            if !(op_matches && page_matches) {
                continue;
            }
            rule.seen += 1;
            let due = rule.seen > f.skip && f.times.is_none_or(|m| rule.fired < m);
            if due {
                rule.fired += 1;
                return Some(rule.failure.clone());
            }
        }
        None
    }
}

/// The answer of a failure rule.
pub(crate) fn scripted(failure: &Failure, path: &str, now: SystemTime, limit: u64, reset: i64) -> Answer {
    let status = failure.status;
    let mut answer = match (&failure.body, status) {
        (Some((content_type, body)), _) => Answer {
            status,
            content_type: Some(content_type.clone()),
            body: body.clone(),
            headers: Vec::new(),
        },
        (None, StatusCode::UNAUTHORIZED) => unauthorized(
            status,
            failure.detail.as_deref().unwrap_or("The access token is invalid or expired."),
        ),
        (None, StatusCode::TOO_MANY_REQUESTS) if failure.detail.is_none() => rate_limited(path, limit, reset),
        (None, _) => problem(
            status,
            failure
                .detail
                .clone()
                .unwrap_or_else(|| format!("A scripted {} answer of the fake.", status.as_u16())),
            path,
        ),
    };
    match failure.retry_after {
        Some(RetryAfter::Seconds(wait)) => {
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            answer = answer.with_header(header::RETRY_AFTER, secs.to_string());
        }
        Some(RetryAfter::Date(wait)) => {
            answer = answer.with_header(header::RETRY_AFTER, FakeClock::http_date(now + wait));
        }
        None => {}
    }
    answer
}
