//! Date constants compared with `date` fields, read as Elasticsearch's default date format
//! (`strict_date_optional_time||epoch_millis`) reads them: epoch milliseconds, or an ISO
//! 8601 date or date-time, UTC when it names no zone. Also a `date` field's mapping
//! `format` read into the formats join keys are read with ([`mapping_format`]).

use jiff::civil::{Date, DateTime};
use jiff::tz::Offset;
use jiff::Timestamp;
use vigil_ir::DateFormat;

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

/// The formats of an Elasticsearch `date` mapping `format` (alternatives joined by `||`):
/// the named formats `strict_date_optional_time`, `date_optional_time`, `epoch_millis`,
/// `epoch_second`, and patterns of `yyyy`/`uuuu`, `MM`, `dd`, `HH`, `mm`, `ss`, quoted
/// text and punctuation. Anything else is named in the error.
pub fn mapping_format(text: &str) -> Result<Vec<DateFormat>, String> {
    text.split("||").map(|one| named(one.trim()).map_or_else(|| pattern(one.trim()), Ok)).collect()
}

fn named(name: &str) -> Option<DateFormat> {
    Some(match name {
        "strict_date_optional_time" | "date_optional_time" => DateFormat::Iso,
        "epoch_millis" => DateFormat::EpochMillis,
        "epoch_second" => DateFormat::EpochSecond,
        _ => return None,
    })
}

/// A Java `DateTimeFormatter` pattern as a `strftime` format.
fn pattern(java: &str) -> Result<DateFormat, String> {
    let mut out = String::new();
    let mut chars = java.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_alphabetic() {
            let mut run = 1;
            while chars.next_if_eq(&c).is_some() {
                run += 1;
            }
            out.push_str(match (c, run) {
                ('y' | 'u', 4) => "%Y",
                ('M', 2) => "%m",
                ('d', 2) => "%d",
                ('H', 2) => "%H",
                ('m', 2) => "%M",
                ('s', 2) => "%S",
                _ => return Err(format!("the date format `{java}` (its `{}` is not supported)", c.to_string().repeat(run))),
            });
        } else if c == '\'' {
            for q in chars.by_ref().take_while(|&q| q != '\'') {
                if q == '%' {
                    out.push('%');
                }
                out.push(q);
            }
        } else if c == '%' {
            out.push_str("%%");
        } else {
            out.push(c);
        }
    }
    Ok(DateFormat::Pattern(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_formats() {
        assert_eq!(mapping_format("dd-MM-yyyy"), Ok(vec![DateFormat::Pattern("%d-%m-%Y".into())]));
        assert_eq!(mapping_format("strict_date_optional_time||epoch_millis"), Ok(vec![DateFormat::Iso, DateFormat::EpochMillis]));
        assert_eq!(mapping_format("yyyy-MM-dd'T'HH:mm:ss"), Ok(vec![DateFormat::Pattern("%Y-%m-%dT%H:%M:%S".into())]));
        assert!(mapping_format("dd-MMM-yyyy").unwrap_err().contains("`MMM`"));
        assert!(mapping_format("basic_date").is_err());
    }

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
