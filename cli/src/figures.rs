//! How figures are written for people: units with thousands separators, percentages, times,
//! text from the server, and the period units cover in words ("month to date, 1–6 Dec").

use chrono::{DateTime, Datelike, FixedOffset, Timelike, Utc};

use crate::output::{terminal_safe, thousands};

/// `n` with thousands separators: `12,345,678`.
///
/// ```
/// assert_eq!(thousandeyes_usage_cli::figures::format_units(-1234567), "-1,234,567");
/// ```
pub fn format_units(n: i64) -> String {
    thousands(n, ',')
}

/// Units, or `n/a` when the API did not say.
///
/// ```
/// use thousandeyes_usage_cli::figures::units;
/// assert_eq!((units(Some(1500)).as_str(), units(None).as_str()), ("1,500", "n/a"));
/// ```
pub fn units(n: Option<i64>) -> String {
    n.map_or_else(|| "n/a".into(), format_units)
}

/// A percentage to one decimal, or `n/a`.
///
/// ```
/// use thousandeyes_usage_cli::figures::percent;
/// assert_eq!((percent(Some(138.64)).as_str(), percent(None).as_str()), ("138.6 %", "n/a"));
/// ```
pub fn percent(p: Option<f64>) -> String {
    p.map_or_else(|| "n/a".into(), |p| format!("{p:.1} %"))
}

/// `part` as a percentage of `whole`, to two decimals; none when either is unknown or `whole` is
/// not positive.
///
/// ```
/// use thousandeyes_usage_cli::figures::percent_of;
/// assert_eq!(percent_of(Some(50), Some(200)), Some(25.0));
/// assert_eq!(percent_of(Some(50), Some(0)), None);
/// assert_eq!(percent_of(Some(50), None), None);
/// ```
pub fn percent_of(part: Option<i64>, whole: Option<i64>) -> Option<f64> {
    let (part, whole) = (part?, whole?);
    if whole <= 0 {
        return None;
    }
    let raw = part as f64 * 100.0 / whole as f64;
    Some((raw * 100.0).round() / 100.0)
}

/// Text from the server, safe for a terminal and cut to `max` characters; `-` when absent.
///
/// ```
/// use thousandeyes_usage_cli::figures::text;
/// assert_eq!(text(Some("EMEA\u{1b}[2J"), 80), "EMEA?[2J");
/// assert_eq!(text(None, 80), "-");
/// ```
pub fn text(s: Option<&str>, max: usize) -> String {
    s.map_or_else(|| "-".into(), |s| terminal_safe(s, max))
}

/// A time in UTC, to the second: `2024-05-01 00:00:00 UTC`; `?` when unknown.
///
/// ```
/// use thousandeyes_usage_cli::figures::time;
/// let t = chrono::DateTime::parse_from_rfc3339("2024-05-01T02:00:00+02:00").unwrap();
/// assert_eq!(time(Some(t)), "2024-05-01 00:00:00 UTC");
/// ```
pub fn time(t: Option<DateTime<FixedOffset>>) -> String {
    t.map_or_else(|| "?".into(), |t| t.with_timezone(&Utc).format("%Y-%m-%d %H:%M:%S UTC").to_string())
}

/// The days of the billing period so far, in words: `month to date, 1–6 Dec` from the period's
/// start to `now` (or to the period's end, once it is over: `billing period, 1–30 Nov`); the
/// year is named when the days are not all in `now`'s year. `None` without a start.
///
/// ```
/// use chrono::{DateTime, Utc};
/// use thousandeyes_usage_cli::figures::month_to_date;
/// let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
/// let (start, end) = (t("2026-12-01T00:00:00Z"), t("2026-12-31T23:59:59Z"));
/// assert_eq!(month_to_date(Some(start), Some(end), t("2026-12-06T04:12:00Z")).unwrap(), "month to date, 1–6 Dec");
/// let (nov, nov_end) = (t("2026-11-01T00:00:00Z"), t("2026-11-30T23:59:59Z"));
/// assert_eq!(month_to_date(Some(nov), Some(nov_end), t("2026-12-06T04:12:00Z")).unwrap(), "billing period, 1–30 Nov");
/// ```
pub fn month_to_date(
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<String> {
    let start = start?;
    match end {
        Some(end) if end < now => Some(format!("billing period, {}", days(start, end, now))),
        _ => Some(format!("month to date, {}", days(start, now.max(start), now))),
    }
}

/// A range of days: `1–6 Dec`, `28 Nov – 6 Dec`, `28 Dec 2025 – 3 Jan 2026` (the year when the
/// days are not all in `now`'s year), or one day: `1 Dec`.
fn days(start: DateTime<Utc>, end: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let same_year = start.year() == end.year() && end.year() == now.year();
    let day_month = |t: DateTime<Utc>| t.format("%-d %b").to_string();
    let full = |t: DateTime<Utc>| t.format("%-d %b %Y").to_string();
    if start.date_naive() == end.date_naive() {
        if same_year {
            day_month(start)
        } else {
            full(start)
        }
    } else if !same_year {
        format!("{} – {}", full(start), full(end))
    } else if start.month() == end.month() {
        format!("{}–{}", start.day(), day_month(end))
    } else {
        format!("{} – {}", day_month(start), day_month(end))
    }
}

/// A requested range in words: `1 May 2024 to 15 May 2024 10:00 UTC` (a time of day only when
/// it is not midnight UTC); a range open to now ends `to now (6 Dec 2026 04:12 UTC)`.
///
/// ```
/// use chrono::{DateTime, Utc};
/// use thousandeyes_usage_cli::figures::range_words;
/// let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
/// assert_eq!(
///     range_words(t("2024-05-01T00:00:00Z"), Some(t("2024-05-15T10:00:00Z")), t("2026-12-06T04:12:00Z")),
///     "1 May 2024 to 15 May 2024 10:00 UTC"
/// );
/// assert_eq!(
///     range_words(t("2026-12-01T00:00:00Z"), None, t("2026-12-06T04:12:30Z")),
///     "1 Dec 2026 to now (6 Dec 2026 04:12 UTC)"
/// );
/// ```
pub fn range_words(start: DateTime<Utc>, end: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    let day = |t: DateTime<Utc>| {
        if t.num_seconds_from_midnight() == 0 {
            t.format("%-d %b %Y").to_string()
        } else {
            t.format("%-d %b %Y %H:%M UTC").to_string()
        }
    };
    match end {
        Some(end) => format!("{} to {}", day(start), day(end)),
        None => format!("{} to now ({})", day(start), now.format("%-d %b %Y %H:%M UTC")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().expect("a time")
    }

    #[test]
    fn percentages_handle_missing_and_zero_quotas() {
        assert_eq!(percent_of(Some(1), None), None);
        assert_eq!(percent_of(None, Some(100)), None);
        assert_eq!(percent_of(Some(1), Some(0)), None);
        assert_eq!(percent_of(Some(1), Some(-5)), None);
        assert_eq!(percent_of(Some(0), Some(10)), Some(0.0));
        assert_eq!(percent_of(Some(150), Some(100)), Some(150.0));
        assert_eq!(percent_of(Some(1), Some(3)), Some(33.33));
        assert_eq!(percent_of(Some(i64::MAX), Some(1)).map(f64::is_finite), Some(true));
    }

    #[test]
    fn days_name_the_month_once_and_the_year_when_it_changes() {
        let now = t("2026-12-06T04:00:00Z");
        assert_eq!(days(t("2026-12-01T00:00:00Z"), now, now), "1–6 Dec");
        assert_eq!(days(t("2026-11-28T00:00:00Z"), now, now), "28 Nov – 6 Dec");
        let january = t("2027-01-03T00:00:00Z");
        assert_eq!(days(t("2026-12-28T00:00:00Z"), january, january), "28 Dec 2026 – 3 Jan 2027");
        // On the first day of the period, the range is that day.
        let first = t("2026-12-01T00:30:00Z");
        assert_eq!(
            month_to_date(Some(t("2026-12-01T00:00:00Z")), None, first).as_deref(),
            Some("month to date, 1 Dec")
        );
        assert_eq!(month_to_date(None, None, first), None);
    }
}
