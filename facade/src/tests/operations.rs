//! Unit tests of `operations/mod.rs`.

use super::*;
use chrono::TimeZone;

#[test]
fn wire_form_is_rfc3339_utc_with_z() {
    let t = chrono::FixedOffset::east_opt(2 * 3600)
        .expect("offset")
        .with_ymd_and_hms(2024, 3, 1, 2, 30, 0)
        .single()
        .expect("time");
    assert_eq!(rfc3339(t.with_timezone(&Utc)), "2024-03-01T00:30:00Z");
}

#[test]
fn periods_are_checked() {
    let now = Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).single().expect("time");
    let t = |d| Utc.with_ymd_and_hms(2024, 5, d, 0, 0, 0).single().expect("time");
    let p = |start, end| Period { start, end };
    assert!(p(Some(t(1)), Some(t(2))).check(now).is_ok());
    assert!(p(Some(t(1)), None).check(now).is_ok());
    assert!(p(None, None).check(now).is_ok());
    let err = p(None, Some(t(2))).check(now).err().expect("end without start");
    assert!(matches!(err, Error::InvalidInput { field: "end", .. }));
    let err = p(Some(t(3)), Some(t(2))).check(now).err().expect("inverted");
    assert!(err.to_string().contains("2024-05-03T00:00:00Z"), "{err}");
    let future = Utc.with_ymd_and_hms(2024, 7, 1, 0, 0, 0).single().expect("time");
    assert!(p(Some(future), None).check(now).is_err());
}

#[test]
fn expand_round_trips_and_rejects_unknown_names() {
    for e in Expand::ALL {
        assert_eq!(e.as_str().parse::<Expand>().ok(), Some(e));
        assert_eq!(e.to_generated().to_string(), e.as_str());
    }
    let err = "tests".parse::<Expand>().expect_err("unknown");
    assert!(err.to_string().contains("\"tests\""), "{err}");
}
