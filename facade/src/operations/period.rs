//! The time range of the listings (`start`, `end`), checked as it will be sent.

use chrono::{DateTime, Datelike, FixedOffset, SecondsFormat, SubsecRound, Utc};

use crate::error::Error;

/// A time range as given to a builder, checked when sent.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Period {
    pub(crate) start: Option<DateTime<Utc>>,
    pub(crate) end: Option<DateTime<Utc>>,
}

/// The checked range, as the generated parameters take it.
pub(crate) type CheckedPeriod = (Option<DateTime<FixedOffset>>, Option<DateTime<FixedOffset>>);

impl Period {
    /// Checks the range as it will be sent: the API takes whole seconds, so both ends are cut to
    /// the second first; an end needs a start; the start may not be in the future and must come
    /// before the end; years must be 0000 to 9999, all that RFC 3339 can write. A start that is
    /// not before the end names both as given, and speaks of whole seconds only when the two are
    /// less than a second apart (which is when cutting them is what made them collide).
    pub(crate) fn check(&self, now: DateTime<Utc>) -> Result<CheckedPeriod, Error> {
        let start = self.start.map(|t| whole_second("start", t)).transpose()?;
        let end = self.end.map(|t| whole_second("end", t)).transpose()?;
        if let (None, Some(end)) = (start, end) {
            return Err(Error::invalid("end", rfc3339(end), "an end needs a start; set start() too"));
        }
        if let Some(start) = start {
            if start > now {
                return Err(Error::invalid(
                    "start",
                    rfc3339(start),
                    format!("is in the future (now is {})", rfc3339(now)),
                ));
            }
        }
        if let (Some(start), Some(end), Some(given_start), Some(given_end)) =
            (start, end, self.start, self.end)
        {
            if start >= end {
                let reason = if given_start == given_end {
                    format!("is the end {}: the start must come before the end", rfc3339(given_end))
                } else if (given_end - given_start).abs() < chrono::TimeDelta::seconds(1) {
                    format!(
                        "must be before the end {}; they are less than a second apart, and the API takes whole \
                         seconds (they would go as {} and {})",
                        rfc3339(given_end),
                        rfc3339(start),
                        rfc3339(end)
                    )
                } else {
                    format!("is after the end {}: the start must come before the end", rfc3339(given_end))
                };
                return Err(Error::invalid("start", rfc3339(given_start), reason));
            }
        }
        Ok((start.map(|t| t.fixed_offset()), end.map(|t| t.fixed_offset())))
    }
}

/// `t` cut to the whole second, if its year is one RFC 3339 can write.
fn whole_second(field: &'static str, t: DateTime<Utc>) -> Result<DateTime<Utc>, Error> {
    if !(0..=9999).contains(&t.year()) {
        return Err(Error::invalid(
            field,
            format!("{t:?}"),
            "is outside the years 0000 to 9999 that the API can take",
        ));
    }
    Ok(t.trunc_subsecs(0))
}

/// A time as error messages show it: RFC 3339, UTC, `Z` suffix.
pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

#[cfg(test)]
#[path = "../tests/period.rs"]
mod tests;
