//! Date constants compared with `date` fields, read as Elasticsearch's default date format
//! (`strict_date_optional_time||epoch_millis`) reads them: epoch milliseconds, or an ISO
//! 8601 date or date-time, UTC when it names no zone.

use jiff::civil::{Date, DateTime};
use jiff::tz::Offset;
use jiff::Timestamp;

/// Epoch milliseconds of a date text, or `None` when it is not one.
pub fn epoch_millis(text: &str) -> Option<i64> {
    let t = text.trim();
    if let Ok(ms) = t.parse::<i64>() {
        return Some(ms);
    }
    if let Ok(ts) = t.parse::<Timestamp>() {
        return Some(ts.as_millisecond());
    }
    let civil = t.parse::<DateTime>().ok().or_else(|| t.parse::<Date>().ok().map(|d| d.to_datetime(jiff::civil::Time::midnight())))?;
    Offset::UTC.to_timestamp(civil).ok().map(|ts| ts.as_millisecond())
}

#[cfg(test)]
mod tests {
    use super::epoch_millis;

    #[test]
    fn millis_and_iso_dates() {
        assert_eq!(epoch_millis("1516116808349"), Some(1_516_116_808_349));
        assert_eq!(epoch_millis("2017-08-30T20:47:33Z"), Some(1_504_126_053_000));
        assert_eq!(epoch_millis("2017-08-30T20:47:33"), Some(1_504_126_053_000));
        assert_eq!(epoch_millis("1970-01-02"), Some(86_400_000));
        assert_eq!(epoch_millis("2024-02-31"), None);
        assert_eq!(epoch_millis("yesterday"), None);
    }
}
