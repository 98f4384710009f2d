//! Calendar dates for readers that render epoch times as text (auditd, Zeek): days since
//! 1970-01-01 to a proleptic Gregorian date, one routine for every reader.

/// Days since 1970-01-01 as `(year, month, day)` (Howard Hinnant's algorithm).
pub(crate) fn date_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_dates() {
        assert_eq!(super::date_from_days(0), (1970, 1, 1));
        assert_eq!(super::date_from_days(19_782), (2024, 2, 29));
        assert_eq!(super::date_from_days(-1), (1969, 12, 31));
    }
}
