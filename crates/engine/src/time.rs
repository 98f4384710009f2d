//! Event timestamps: parsing the common textual and numeric forms to epoch milliseconds.

/// Parses RFC 3339 / ISO 8601 (`2024-01-31T12:00:00.123Z`, `+02:00` offsets, a space instead
/// of `T`, no zone meaning UTC) and epoch numbers (seconds, or milliseconds when ≥ 10^11).
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let t = text.trim();
    if let Ok(n) = t.parse::<f64>() {
        if !n.is_finite() {
            return None;
        }
        return Some(if n.abs() >= 1e11 { n as i64 } else { (n * 1000.0) as i64 });
    }
    let b = t.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> { t.get(r)?.parse().ok() };
    if b.len() < 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (mut hour, mut minute, mut second, mut millis, mut offset_min) = (0, 0, 0, 0i64, 0i64);
    if b.len() > 10 {
        if !matches!(b[10], b'T' | b't' | b' ') || b.len() < 19 {
            return None;
        }
        hour = num(11..13)?;
        minute = num(14..16)?;
        second = num(17..19)?;
        let mut i = 19;
        if b.get(i) == Some(&b'.') || b.get(i) == Some(&b',') {
            let start = i + 1;
            i = start;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let frac = t.get(start..i)?;
            let digits: String = frac.chars().chain("000".chars()).take(3).collect();
            millis = digits.parse().ok()?;
        }
        match b.get(i) {
            None => {}
            Some(b'Z' | b'z') => {}
            Some(&sign @ (b'+' | b'-')) => {
                let oh = num(i + 1..i + 3)?;
                let om = if b.get(i + 3) == Some(&b':') { num(i + 4..i + 6)? } else { num(i + 3..i + 5).unwrap_or(0) };
                offset_min = (oh * 60 + om) * if sign == b'+' { 1 } else { -1 };
            }
            _ => return None,
        }
    }
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(((days * 86_400 + hour * 3600 + minute * 60 + second - offset_min * 60) * 1000) + millis)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Calendar parts of a UTC instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CivilTime {
    pub year: i64,
    pub month: i64,
    pub day: i64,
    pub hour: i64,
    pub minute: i64,
    pub iso_week: i64,
}

/// The proleptic Gregorian (year, month, day) of a day count since 1970-01-01 (the inverse of
/// [`days_from_civil`], also Howard Hinnant's).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

impl CivilTime {
    pub fn from_epoch_ms(ms: i64) -> CivilTime {
        let secs = ms.div_euclid(1000);
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        // ISO week: the week (Monday first) holding this date's Thursday.
        let weekday = (days + 3).rem_euclid(7); // 0 = Monday
        let thursday = days - weekday + 3;
        let (thursday_year, _, _) = civil_from_days(thursday);
        let iso_week = (thursday - days_from_civil(thursday_year, 1, 1)) / 7 + 1;
        CivilTime { year, month, day, hour: rem / 3600, minute: (rem % 3600) / 60, iso_week }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_forms() {
        assert_eq!(parse_timestamp("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_timestamp("1970-01-01T00:00:01.5Z"), Some(1500));
        assert_eq!(parse_timestamp("1970-01-01 01:00:00+01:00"), Some(0));
        assert_eq!(parse_timestamp("2024-02-29T12:00:00.123456Z"), Some(1_709_208_000_123));
        assert_eq!(parse_timestamp("2024-02-29"), Some(1_709_164_800_000));
        assert_eq!(parse_timestamp("not a date"), None);
    }

    #[test]
    fn epoch_numbers() {
        assert_eq!(parse_timestamp("1700000000"), Some(1_700_000_000_000));
        assert_eq!(parse_timestamp("1700000000123"), Some(1_700_000_000_123));
    }

    #[test]
    fn civil_parts() {
        let t = CivilTime::from_epoch_ms(parse_timestamp("2024-12-30T13:45:00Z").unwrap());
        assert_eq!((t.year, t.month, t.day, t.hour, t.minute), (2024, 12, 30, 13, 45));
        assert_eq!(t.iso_week, 1); // 2024-12-30 is in ISO week 1 of 2025
        let t = CivilTime::from_epoch_ms(parse_timestamp("2021-01-03T00:00:00Z").unwrap());
        assert_eq!(t.iso_week, 53);
    }
}
