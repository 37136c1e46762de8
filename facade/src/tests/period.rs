//! Unit tests of `operations/period.rs`.

use chrono::TimeZone;

use super::*;

fn utc(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).single().expect("time")
}

#[test]
fn error_messages_show_times_as_rfc3339_utc_with_z() {
    let t = chrono::FixedOffset::east_opt(2 * 3600)
        .expect("offset")
        .with_ymd_and_hms(2024, 3, 1, 2, 30, 0)
        .single()
        .expect("time");
    assert_eq!(rfc3339(t.with_timezone(&Utc)), "2024-03-01T00:30:00Z");
}

#[test]
fn periods_are_checked() {
    let now = utc(2024, 6, 1);
    let p = |start, end| Period { start, end };
    assert!(p(Some(utc(2024, 5, 1)), Some(utc(2024, 5, 2))).check(now).is_ok());
    assert!(p(Some(utc(2024, 5, 1)), None).check(now).is_ok());
    assert!(p(None, None).check(now).is_ok());
    let err = p(None, Some(utc(2024, 5, 2))).check(now).expect_err("end without start");
    assert!(matches!(err, Error::InvalidInput { field: "end", .. }));
    let err = p(Some(utc(2024, 5, 3)), Some(utc(2024, 5, 2))).check(now).expect_err("inverted");
    assert!(err.to_string().contains("2024-05-03T00:00:00Z"), "{err}");
    assert!(p(Some(utc(2024, 7, 1)), None).check(now).is_err());
}

#[test]
fn a_range_within_one_second_is_refused_since_the_api_takes_whole_seconds() {
    let start = utc(2024, 5, 1) + chrono::Duration::milliseconds(100);
    let end = utc(2024, 5, 1) + chrono::Duration::milliseconds(900);
    let err = Period { start: Some(start), end: Some(end) }.check(utc(2024, 6, 1)).expect_err("same second");
    assert!(matches!(err, Error::InvalidInput { field: "start", .. }), "{err}");
    // Fractions are cut: what is sent is what was checked.
    let (s, e) = Period { start: Some(start), end: Some(end + chrono::Duration::seconds(1)) }
        .check(utc(2024, 6, 1))
        .expect("a second apart");
    assert_eq!(s.map(|t| t.timestamp_subsec_nanos()), Some(0));
    assert!(s < e);
}

#[test]
fn an_end_a_day_before_the_start_names_both_without_the_whole_seconds_note() {
    let err = Period { start: Some(utc(2024, 5, 3)), end: Some(utc(2024, 5, 2)) }
        .check(utc(2024, 6, 1))
        .expect_err("end before start");
    let Error::InvalidInput { field: "start", value, reason } = &err else { panic!("{err:?}") };
    assert_eq!(value, "2024-05-03T00:00:00Z");
    assert!(reason.contains("is after the end 2024-05-02T00:00:00Z"), "{reason}");
    assert!(!err.to_string().contains("whole seconds"), "{err}");
    // A second apart or more, whichever way: no note either.
    let err =
        Period { start: Some(utc(2024, 5, 2) + chrono::Duration::seconds(1)), end: Some(utc(2024, 5, 2)) }
            .check(utc(2024, 6, 1))
            .expect_err("end a second before start");
    assert!(!err.to_string().contains("whole seconds"), "{err}");
}

#[test]
fn a_start_and_end_within_a_second_name_both_as_given_and_the_whole_seconds_note() {
    for (start_ms, end_ms) in [(100, 900), (900, 100)] {
        let start = utc(2024, 5, 1) + chrono::Duration::milliseconds(start_ms);
        let end = utc(2024, 5, 1) + chrono::Duration::milliseconds(end_ms);
        let err =
            Period { start: Some(start), end: Some(end) }.check(utc(2024, 6, 1)).expect_err("same second");
        let Error::InvalidInput { field: "start", value, reason } = &err else { panic!("{err:?}") };
        assert_eq!(value, &rfc3339(start), "the start as given, fraction and all");
        assert!(reason.contains(&format!("must be before the end {}", rfc3339(end))), "{reason}");
        assert!(reason.contains("whole seconds"), "{reason}");
        assert!(reason.contains("2024-05-01T00:00:00Z and 2024-05-01T00:00:00Z"), "{reason}");
    }
}

#[test]
fn a_start_equal_to_the_end_says_so_without_the_whole_seconds_note() {
    for ms in [0, 500] {
        let t = utc(2024, 5, 1) + chrono::Duration::milliseconds(ms);
        let err = Period { start: Some(t), end: Some(t) }.check(utc(2024, 6, 1)).expect_err("equal");
        let Error::InvalidInput { field: "start", reason, .. } = &err else { panic!("{err:?}") };
        assert_eq!(reason, &format!("is the end {}: the start must come before the end", rfc3339(t)));
    }
}

#[test]
fn years_rfc3339_cannot_write_are_refused() {
    let now = utc(2024, 6, 1);
    for t in [DateTime::<Utc>::MIN_UTC, utc(-5, 1, 1)] {
        let err = Period { start: Some(t), end: None }.check(now).expect_err("year out of range");
        assert!(matches!(err, Error::InvalidInput { field: "start", .. }), "{err}");
    }
    let err =
        Period { start: Some(utc(2024, 1, 1)), end: Some(utc(10_000, 1, 1)) }.check(now).expect_err("end");
    assert!(matches!(err, Error::InvalidInput { field: "end", .. }), "{err}");
}
