//! The two listings, `getTestsUnitsUsage` and `getEnterpriseAgentsUnitsUsage`: pages of the
//! data, in the order of the data, with `_links` whose `cursor` binds the query parameters. The
//! fake serves one organization, so `aid`, the account group a request is made in, does not
//! change what is listed (as the API lists every test of the organization whatever the account
//! group); it must be one of the organization's, as the caller must be a member of it.

use std::time::SystemTime;

use chrono::{DateTime, FixedOffset, Utc};
use thousandeyes_usage_generated::apis::usage_api::{
    GetEnterpriseAgentsUnitsUsageParams, GetTestsUnitsUsageParams,
};
use thousandeyes_usage_generated::apis::OperationId as Operation;
use thousandeyes_usage_generated::models::{EnterpriseAgentsUsage, Link, PaginationLinks, TestsUsage};

use super::super::answer::{bad, Answer, Handled};
use super::super::request::Req;
use super::super::state::{Config, State};
use super::super::validate::{check_aid, check_range, params};
use super::links::link;
use crate::cursor::{self, Bound};

/// What a listing request asks for, with the names its parameters have in the spec.
struct ListingQuery {
    aid: Option<String>,
    /// The name of the parameter naming the account group the request is made in, for the
    /// listing that has one.
    aid_name: Option<&'static str>,
    start: Option<DateTime<FixedOffset>>,
    end: Option<DateTime<FixedOffset>>,
    /// The names of the start and the end of the range.
    range_names: (&'static str, &'static str),
    cursor: Option<String>,
    cursor_name: &'static str,
}

impl ListingQuery {
    fn read(op: Operation, req: &Req) -> Result<ListingQuery, Answer> {
        if op == Operation::GetTestsUnitsUsage {
            type P = GetTestsUnitsUsageParams;
            let p = params(P::from_query, req)?;
            Ok(ListingQuery {
                aid: p.aid,
                aid_name: Some(P::AID),
                start: p.start_date,
                end: p.end_date,
                range_names: (P::START_DATE, P::END_DATE),
                cursor: p.cursor,
                cursor_name: P::CURSOR,
            })
        } else {
            type P = GetEnterpriseAgentsUnitsUsageParams;
            let p = params(P::from_query, req)?;
            Ok(ListingQuery {
                aid: None,
                aid_name: None,
                start: p.start_date,
                end: p.end_date,
                range_names: (P::START_DATE, P::END_DATE),
                cursor: p.cursor,
                cursor_name: P::CURSOR,
            })
        }
    }

    /// The parameters a cursor binds: the same instants however they were written.
    fn bound(&self) -> Bound {
        let utc = |t: DateTime<FixedOffset>| t.with_timezone(&Utc).to_rfc3339();
        Bound { aid: self.aid.clone(), start: self.start.map(utc), end: self.end.map(utc) }
    }
}

/// The name of the listing's cursor parameter.
fn cursor_name(op: Operation) -> &'static str {
    if op == Operation::GetTestsUnitsUsage {
        GetTestsUnitsUsageParams::CURSOR
    } else {
        GetEnterpriseAgentsUnitsUsageParams::CURSOR
    }
}

fn page_size(op: Operation, config: &Config) -> usize {
    if op == Operation::GetEnterpriseAgentsUnitsUsage {
        config.agent_page_size
    } else {
        config.test_page_size
    }
}

/// The page (from 1) a listing request asks for, if its cursor is one the fake issued for this
/// listing (or absent); `None` for other operations.
pub(crate) fn page(op: Option<Operation>, req: &Req, config: &Config) -> Option<usize> {
    let op = op.filter(|op| super::super::routing::is_listing(*op))?;
    let size = page_size(op, config);
    match req.param(cursor_name(op)) {
        None => Some(1),
        Some(raw) => cursor::decode(raw).filter(|c| c.listing == op).map(|c| c.offset / size + 1),
    }
}

pub(super) fn listing(state: &State, config: &Config, req: &Req, op: Operation, now: SystemTime) -> Handled {
    let path = req.path.as_str();
    let query = ListingQuery::read(op, req)?;
    if let Some(name) = query.aid_name {
        check_aid(state, name, query.aid.as_deref(), path)?;
    }
    check_range((query.start, query.end), query.range_names, now, path)?;
    let bound = query.bound();
    let items = if op == Operation::GetTestsUnitsUsage {
        state.data.test_units.len()
    } else {
        state.data.agent_units.len()
    };
    let offset = offset(&query, op, items, &bound, path)?;
    let links = links(config, req, &query, op, offset, items, &bound);
    let range = offset..(offset + page_size(op, config)).min(items);
    Ok(if op == Operation::GetTestsUnitsUsage {
        Answer::ok(&TestsUsage {
            breakdowns: Some(state.data.test_units[range].to_vec()),
            _links: Some(links),
            ..Default::default()
        })
    } else {
        Answer::ok(&EnterpriseAgentsUsage {
            breakdowns: Some(state.data.agent_units[range].to_vec()),
            _links: Some(links),
            ..Default::default()
        })
    })
}

/// Where the page starts: 0 without a cursor, else the offset of a cursor the fake issued for
/// this listing and these parameters.
fn offset(
    query: &ListingQuery,
    op: Operation,
    items: usize,
    bound: &Bound,
    path: &str,
) -> Result<usize, Answer> {
    let Some(raw) = &query.cursor else { return Ok(0) };
    let refuse =
        |detail: &str, message: &str| bad(detail, path, query.cursor_name, "INVALID_CURSOR", message);
    let Some(c) = cursor::decode(raw).filter(|c| c.listing == op && c.offset < items.max(1)) else {
        return Err(refuse(
            "The cursor is not valid for this listing; start again from the first page.",
            "unknown or expired cursor",
        ));
    };
    if &c.bound != bound {
        let (start, end) = query.range_names;
        let names = query.aid_name.map_or(format!("{start}, {end}"), |aid| format!("{aid}, {start}, {end}"));
        return Err(refuse(
            &format!(
                "The cursor was issued for a request with other parameters ({names}); send the same ones \
                 as for the first page, or start again from the first page."
            ),
            "the cursor does not match the parameters",
        ));
    }
    Ok(c.offset)
}

/// The page's `self`, `next` and `previous` links.
fn links(
    config: &Config,
    req: &Req,
    query: &ListingQuery,
    op: Operation,
    offset: usize,
    items: usize,
    bound: &Bound,
) -> PaginationLinks {
    let size = page_size(op, config);
    let at = |offset: usize| {
        let cursor = (offset > 0).then(|| cursor::encode(op, offset, bound));
        Link::new(link(config, req, Some((query.cursor_name, cursor.as_deref()))))
    };
    PaginationLinks {
        param_self: Some(at(offset)),
        next: (offset + size < items).then(|| at(offset + size)),
        previous: (offset > 0).then(|| at(offset.saturating_sub(size))),
        ..PaginationLinks::default()
    }
}
