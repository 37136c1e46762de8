//! Unit tests of `rate_limit.rs`.

use super::*;
use http::HeaderValue;

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.insert(*k, HeaderValue::from_str(v).expect("test header"));
    }
    h
}

#[test]
fn reads_all_three_figures() {
    let rl = RateLimit::from_headers(&headers(&[(LIMIT, "240"), (REMAINING, "17"), (RESET, "1700000000")]));
    assert_eq!(rl.limit, Some(240));
    assert_eq!(rl.remaining, Some(17));
    assert_eq!(rl.reset.map(|t| t.timestamp()), Some(1_700_000_000));
}

#[test]
fn garbage_values_are_none_not_errors() {
    let rl = RateLimit::from_headers(&headers(&[(LIMIT, "abc"), (REMAINING, "-1"), (RESET, "1e9")]));
    assert!(rl.is_empty());
    let huge = RateLimit::from_headers(&headers(&[(RESET, "18446744073709551615")]));
    assert_eq!(huge.reset, None);
}
