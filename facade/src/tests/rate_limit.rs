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
    let rl = Reported::read(&headers(&[(LIMIT, "240"), (REMAINING, "17"), (RESET, "1700000000")])).figures;
    assert_eq!(rl.limit, Some(240));
    assert_eq!(rl.remaining, Some(17));
    assert_eq!(rl.reset.map(|t| t.timestamp()), Some(1_700_000_000));
}

#[test]
fn garbage_values_are_none_not_errors() {
    let rl = Reported::read(&headers(&[(LIMIT, "abc"), (REMAINING, "-1"), (RESET, "1e9")])).figures;
    assert!(rl.is_empty());
    let huge = Reported::read(&headers(&[(RESET, "18446744073709551615")])).figures;
    assert_eq!(huge.reset, None);
}

/// What `Retry-After` in `headers` asks for, for an answer received at `received`.
fn retry_after(headers: &HeaderMap, received: SystemTime) -> Option<Duration> {
    Reported::read(headers).retry_after(received)
}

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

#[test]
fn retry_after_reads_all_three_http_date_forms_against_the_date_header() {
    // 784111777 is Sun, 06 Nov 1994 08:49:37 GMT; Date says 3 s earlier.
    let date = "Sun, 06 Nov 1994 08:49:34 GMT";
    for form in
        ["Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994"]
    {
        let h = headers(&[("date", date), ("retry-after", form)]);
        // The local clock is far off: only the server's Date matters.
        assert_eq!(retry_after(&h, at(2_000_000_000)), Some(Duration::from_secs(3)), "{form}");
    }
}

#[test]
fn retry_after_in_seconds_is_believed_whatever_its_length() {
    let h = headers(&[("retry-after", "7200")]);
    assert_eq!(retry_after(&h, at(0)), Some(Duration::from_secs(7_200)));
    for huge in ["18446744073709551615", "18446744073709551616", "99999999999999999999999"] {
        assert_eq!(retry_after(&headers(&[("retry-after", huge)]), at(0)), Some(MAX_RETRY_AFTER), "{huge}");
    }
    for none in ["0", "-1", "soon", ""] {
        assert_eq!(retry_after(&headers(&[("retry-after", none)]), at(0)), None, "{none:?}");
    }
}

#[test]
fn the_headers_read_are_the_ones_the_spec_documents_on_every_answer() {
    use thousandeyes_usage_generated::apis::OPERATIONS;
    for op in OPERATIONS {
        for status in op.statuses {
            for name in [LIMIT, REMAINING, RESET] {
                assert!(
                    op.response_headers.contains(&(*status, name)),
                    "the spec no longer documents {name} on {} answers of {}: the client reads it",
                    status,
                    op.operation_id
                );
            }
        }
    }
}
