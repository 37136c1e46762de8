//! Which operation a method and path name: the spec's operations ([`Operation::ALL`]), each at
//! its method and at its path below the spec's base path ([`BASE_PATH`]).

use http::Method;
use thousandeyes_usage_generated::apis::{OperationId as Operation, BASE_PATH};

/// Where a request goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    Operation(Operation),
    /// A known path with another method: the method it takes.
    WrongMethod(&'static str),
    NotFound,
}

/// The route of `method` and `path` (a trailing slash is ignored).
pub(crate) fn route(method: &Method, path: &str) -> Route {
    let Some(rest) = path.strip_prefix(BASE_PATH) else { return Route::NotFound };
    let rest = if rest.len() > 1 { rest.trim_end_matches('/') } else { rest };
    match Operation::ALL.iter().copied().find(|op| op.path() == rest) {
        Some(op) if method.as_str() == op.method() => Route::Operation(op),
        Some(op) => Route::WrongMethod(op.method()),
        None => Route::NotFound,
    }
}

/// True for the operations the fake paginates: the two listings.
pub(crate) fn is_listing(op: Operation) -> bool {
    matches!(op, Operation::GetTestsUnitsUsage | Operation::GetEnterpriseAgentsUnitsUsage)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_is_routed_at_its_method_and_path_below_the_base_path() {
        for &op in Operation::ALL {
            let path = format!("{BASE_PATH}{}", op.path());
            let method = Method::from_bytes(op.method().as_bytes()).expect("method");
            assert_eq!(route(&method, &path), Route::Operation(op), "{path}");
            assert_eq!(route(&method, &format!("{path}/")), Route::Operation(op), "{path}/");
            let other = if method == Method::GET { Method::POST } else { Method::GET };
            assert_eq!(route(&other, &path), Route::WrongMethod(op.method()), "{other} {path}");
            assert_eq!(route(&method, op.path()), Route::NotFound, "{} without the base path", op.path());
        }
    }
}
