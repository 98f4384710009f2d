//! `date` values read with their mapping's formats ([`vigil_ir::DateFormat`]), as
//! Elasticsearch reads a `date` field into its doc values: epoch milliseconds. Used for
//! join keys on `date` fields, which Elasticsearch joins and reports as those numbers.

use jiff::tz::Offset;
use vigil_ir::DateFormat;

/// Epoch milliseconds of `text` under the first format of `formats` that reads it.
pub fn epoch_millis(text: &str, formats: &[DateFormat]) -> Option<i64> {
    formats.iter().find_map(|f| read(text, f))
}

fn read(text: &str, format: &DateFormat) -> Option<i64> {
    let t = text.trim();
    match format {
        DateFormat::EpochMillis => t.parse::<i64>().ok(),
        DateFormat::EpochSecond => t.parse::<i64>().ok()?.checked_mul(1000),
        // ISO only: the digits of a bare number are not a date here.
        DateFormat::Iso if !t.contains('-') => None,
        DateFormat::Iso => crate::time::parse_timestamp(t),
        DateFormat::Pattern(p) => {
            let parts = jiff::fmt::strtime::parse(p, t).ok()?;
            match parts.to_timestamp() {
                Ok(ts) => Some(ts.as_millisecond()),
                Err(_) => Offset::UTC.to_timestamp(parts.to_datetime().ok()?).ok().map(|ts| ts.as_millisecond()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_format_reads_its_own_form_only() {
        let day = 1_671_235_200_000; // 2022-12-17T00:00:00Z
        let dmy = DateFormat::Pattern("%d-%m-%Y".into());
        let ymd = DateFormat::Pattern("%Y-%m-%d".into());
        assert_eq!(epoch_millis("17-12-2022", std::slice::from_ref(&dmy)), Some(day));
        assert_eq!(epoch_millis("2022-12-17", std::slice::from_ref(&dmy)), None);
        assert_eq!(epoch_millis("2022-12-17", &[dmy.clone(), ymd]), Some(day));
        assert_eq!(epoch_millis("1671235200000", &[DateFormat::Iso, DateFormat::EpochMillis]), Some(day));
        assert_eq!(epoch_millis("1671235200000", &[DateFormat::Iso]), None);
        assert_eq!(epoch_millis("2022-12-17T00:00:00Z", &[DateFormat::Iso]), Some(day));
        assert_eq!(epoch_millis("1671235200", &[DateFormat::EpochSecond]), Some(day));
        assert_eq!(epoch_millis("31-02-2022", &[dmy]), None);
    }
}
