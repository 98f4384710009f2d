#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed expectation is a test failure
//! Event times are parsed by a date crate: an impossible date (`2024-02-31`) is a bad value.
//! It satisfies no time-part modifier and places no event in a correlation window (the match
//! is counted as untimed), where a normalising parser would have read it as 2 March.

use vigil_conformance::{correlate_with, hit};

fn rule(item: &str, value: &str) -> String {
    format!("title: t\nlogsource: {{product: test}}\ndetection:\n  sel:\n    {item}: {value}\n  condition: sel\n")
}

#[test]
fn time_parts_refuse_impossible_dates() {
    let impossible = r#"{"T":"2024-02-31T10:20:00Z"}"#;
    let normalised = r#"{"T":"2024-03-02T10:20:00Z"}"#;
    for (item, value) in [("T|day", "2"), ("T|month", "3"), ("T|year", "2024"), ("T|hour", "10"), ("T|minute", "20"), ("T|week", "9")] {
        assert!(hit(&rule(item, value), normalised), "{item}: {value} on a real date");
        assert!(!hit(&rule(item, value), impossible), "{item}: {value} on an impossible date");
    }
    // Other impossible forms: not a leap year, hour 24, month 13.
    for bad in ["2023-02-29T00:00:00Z", "2024-01-01T24:00:00Z", "2024-13-01T00:00:00Z"] {
        let event = format!(r#"{{"T":"{bad}"}}"#);
        for year in ["2023", "2024", "2025"] {
            assert!(!hit(&rule("T|year", year), &event), "{bad} read as {year}");
        }
    }
    assert!(hit(&rule("T|day", "29"), r#"{"T":"2024-02-29T00:00:00Z"}"#));
}

const CORRELATION: &str = "title: login\nname: login\nlogsource: {product: test}\ndetection:\n  sel:\n    action: fail\n  condition: sel\n---\ntitle: burst\ncorrelation:\n  type: event_count\n  rules: [login]\n  group-by: [user]\n  timespan: 1m\n  condition: {gte: 2}\n";

#[test]
fn impossible_dates_do_not_drive_correlation_windows() {
    let ev = |ts: &str| format!(r#"{{"@timestamp":"{ts}","action":"fail","user":"bob"}}"#);
    // Read as 2 March, the second event would fall 10 s after the first.
    let events = [ev("2024-03-02T00:00:00Z"), ev("2024-02-31T00:00:10Z")];
    let refs: Vec<&str> = events.iter().map(String::as_str).collect();
    let (alerts, stats) = correlate_with(CORRELATION, &refs, vigil_engine::Limits::default());
    assert!(alerts.is_empty(), "{alerts:?}");
    assert_eq!(stats.untimed, 1);
    // The same pair with a real date fires.
    let events = [ev("2024-03-02T00:00:00Z"), ev("2024-03-02T00:00:10Z")];
    let refs: Vec<&str> = events.iter().map(String::as_str).collect();
    let (alerts, stats) = correlate_with(CORRELATION, &refs, vigil_engine::Limits::default());
    assert_eq!(alerts.len(), 1);
    assert_eq!(stats.untimed, 0);
}

#[test]
fn accepted_time_forms_place_events_alike() {
    // The same instant written five ways: all in one window.
    let forms = ["2024-03-02T01:00:00+01:00", "2024-03-02 00:00:01Z", "2024-03-02T00:00:02.5", "1709337603", "1709337604000"];
    let events: Vec<String> = forms.iter().map(|ts| format!(r#"{{"@timestamp":"{ts}","action":"fail","user":"bob"}}"#)).collect();
    let refs: Vec<&str> = events.iter().map(String::as_str).collect();
    let (alerts, stats) = correlate_with(&CORRELATION.replace("gte: 2", "gte: 5"), &refs, vigil_engine::Limits::default());
    assert_eq!(stats.untimed, 0);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].1.last_ts - alerts[0].1.first_ts, 4000);
}
