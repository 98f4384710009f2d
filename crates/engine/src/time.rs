//! Event timestamps: the common textual and numeric forms to epoch milliseconds, and the
//! calendar parts Sigma's time modifiers read. Dates are parsed and checked by `jiff`: an
//! impossible date such as `2024-02-31` is not a time (it is never normalised to 2 March),
//! so it cannot place an event in a correlation window or satisfy `|day`.

use jiff::civil::DateTime;
use jiff::tz::Offset;
use jiff::Timestamp;

/// Parses an event time to epoch milliseconds:
///
/// - RFC 3339 / ISO 8601 with a zone: `2024-01-31T12:00:00.123Z`, `+02:00`, `+0200` or `+02`
///   offsets, a space or `t` instead of `T`, `,` or `.` before the fraction (up to
///   nanoseconds);
/// - the same without a zone, or a date alone (`2024-01-31`), meaning UTC;
/// - epoch numbers: seconds, or milliseconds when ≥ 10^11.
///
/// Returns `None` for anything else, including dates that do not exist (`2024-02-31`,
/// `2023-02-29`, hour 24): a bad value is not a time.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let t = text.trim();
    if let Ok(n) = t.parse::<f64>() {
        if !n.is_finite() {
            return None;
        }
        return Some(if n.abs() >= 1e11 { n as i64 } else { (n * 1000.0) as i64 });
    }
    // Both forms start with a four-digit year; this keeps other text off the parsers.
    if !t.as_bytes().get(..4).is_some_and(|y| y.iter().all(u8::is_ascii_digit)) {
        return None;
    }
    if let Ok(ts) = t.parse::<Timestamp>() {
        return Some(ts.as_millisecond());
    }
    // Without a zone the time is UTC. A civil parse would ignore an offset it cannot use,
    // so text that carries one and was refused above stays refused.
    if has_offset(t) {
        return None;
    }
    let dt = t.parse::<DateTime>().ok()?;
    Offset::UTC.to_timestamp(dt).ok().map(|ts| ts.as_millisecond())
}

/// True when the text after the date carries a zone: `Z` or a signed offset after the time.
fn has_offset(t: &str) -> bool {
    t.get(10..).is_some_and(|time| time.contains(['Z', 'z', '+', '-', '[']))
}

/// Calendar parts of a UTC instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CivilTime {
    pub year: i64,
    pub month: i64,
    pub day: i64,
    pub hour: i64,
    pub minute: i64,
    /// The ISO 8601 week (Monday first; week 1 holds the year's first Thursday).
    pub iso_week: i64,
}

impl CivilTime {
    /// The UTC calendar parts of an epoch-millisecond instant, or `None` outside the
    /// years -9999 to 9999.
    pub fn from_epoch_ms(ms: i64) -> Option<CivilTime> {
        let dt = Offset::UTC.to_datetime(Timestamp::from_millisecond(ms).ok()?);
        Some(CivilTime {
            year: i64::from(dt.year()),
            month: i64::from(dt.month()),
            day: i64::from(dt.day()),
            hour: i64::from(dt.hour()),
            minute: i64::from(dt.minute()),
            iso_week: i64::from(dt.date().iso_week_date().week()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_forms() {
        assert_eq!(parse_timestamp("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_timestamp("1970-01-01T00:00:01.5Z"), Some(1500));
        assert_eq!(parse_timestamp("1970-01-01t00:00:01,25z"), Some(1250));
        assert_eq!(parse_timestamp("1970-01-01 01:00:00+01:00"), Some(0));
        assert_eq!(parse_timestamp("1970-01-01T01:00:00+0100"), Some(0));
        assert_eq!(parse_timestamp("1970-01-01T01:00:00+01"), Some(0));
        assert_eq!(parse_timestamp("1969-12-31T23:00:00-01:00"), Some(0));
        assert_eq!(parse_timestamp("2024-02-29T12:00:00.123456Z"), Some(1_709_208_000_123));
        assert_eq!(parse_timestamp("2019-03-19T23:34:25.1234567Z"), Some(1_553_038_465_123));
        assert_eq!(parse_timestamp(" 2024-02-29T12:00:00 "), Some(1_709_208_000_000));
        assert_eq!(parse_timestamp("2024-02-29 12:00:00"), Some(1_709_208_000_000));
        assert_eq!(parse_timestamp("2024-02-29"), Some(1_709_164_800_000));
        assert_eq!(parse_timestamp("not a date"), None);
        assert_eq!(parse_timestamp(""), None);
    }

    #[test]
    fn impossible_dates_are_not_times() {
        for bad in [
            "2024-02-31T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-04-31",
            "2024-13-01T00:00:00Z",
            "2024-00-10T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T23:60:00Z",
            "2024-02-31 00:00:00",
            "2024-01-01T00:00:00Zjunk",
            "2024-01-01T00:00:00+xx",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
        assert!(parse_timestamp("2024-02-29T00:00:00Z").is_some());
    }

    #[test]
    fn epoch_numbers() {
        assert_eq!(parse_timestamp("1700000000"), Some(1_700_000_000_000));
        assert_eq!(parse_timestamp("1700000000.5"), Some(1_700_000_000_500));
        assert_eq!(parse_timestamp("1700000000123"), Some(1_700_000_000_123));
        assert_eq!(parse_timestamp("NaN"), None);
        assert_eq!(parse_timestamp("inf"), None);
    }

    #[test]
    fn civil_parts() {
        let t = CivilTime::from_epoch_ms(parse_timestamp("2024-12-30T13:45:00Z").unwrap()).unwrap();
        assert_eq!((t.year, t.month, t.day, t.hour, t.minute), (2024, 12, 30, 13, 45));
        assert_eq!(t.iso_week, 1); // 2024-12-30 is in ISO week 1 of 2025
        let t = CivilTime::from_epoch_ms(parse_timestamp("2021-01-03T00:00:00Z").unwrap()).unwrap();
        assert_eq!(t.iso_week, 53);
        assert_eq!(CivilTime::from_epoch_ms(i64::MAX), None);
    }
}
