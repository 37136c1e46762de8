//! A request as the handlers see it.

use bytes::Bytes;
use http::{HeaderMap, Method};
use thousandeyes_usage_generated::apis::OperationId as Operation;

use super::routing::Route;

/// Request bodies larger than this are answered 413.
pub(crate) const MAX_BODY: usize = 1 << 20;

/// What the handlers need to know about a request.
pub(crate) struct Req {
    pub(crate) method: Method,
    pub(crate) path: String,
    /// The query pairs, decoded, in their order.
    pub(crate) query: Vec<(String, String)>,
    /// The headers, `Authorization` removed.
    pub(crate) headers: HeaderMap,
    /// The body, or `Err` when it is over [`MAX_BODY`] or could not be read.
    pub(crate) body: Result<Bytes, ()>,
    pub(crate) route: Route,
}

impl Req {
    /// The operation the request is routed to.
    pub(crate) fn operation(&self) -> Option<Operation> {
        match self.route {
            Route::Operation(op) => Some(op),
            _ => None,
        }
    }

    /// The first value of the query parameter `name`.
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}
