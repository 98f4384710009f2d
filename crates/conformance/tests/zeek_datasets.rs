#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // tests: a failed expectation is a test failure
//! Zeek logs read natively: per file, the events read, the lines skipped and how the ssl
//! records' certificate join went are pinned in `testdata/zeek-datasets.tsv`, for the
//! project's samples (`testdata/zeek`, synthetic) always and for the shared WRCCDC 2018
//! Zeek logs when they are there. Golden records check the ECS names; damaged lines are
//! reported by line and the lines around them read.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use vigil_conformance::{read_expectations, read_records, root, shared};

/// The Zeek sets: a name, the directory, and the files in it that are read.
fn sets() -> Vec<(&'static str, PathBuf, Vec<&'static str>)> {
    let mut out = vec![(
        "testdata",
        root().join("testdata/zeek"),
        vec!["tsv/ssl.log", "tsv/x509.log", "tsv/conn.log", "tsv/notice.log", "json/ssl.json", "json/x509.json", "damaged-conn.log"],
    )];
    let dir = shared().join("datasets/zeek-wrccdc-2018");
    if dir.is_dir() {
        out.push((
            "zeek-wrccdc-2018",
            dir,
            vec![
                "zeek-default/ssl.log.gz",
                "zeek-default/x509.log.gz",
                "zeek-json/ssl.json.gz",
                "zeek-json/x509.json.gz",
                "zeek-json/notice.json.gz",
                "zeek-json/known_certs.json.gz",
            ],
        ));
    } else {
        assert!(std::env::var_os("VIGIL_SHARED").is_none(), "VIGIL_SHARED is set but {} is missing", dir.display());
    }
    out
}

/// Records or skipped lines, each with its line.
type Lines<T> = Vec<(u64, T)>;

/// Every document of `path`, with its line, and the skipped lines.
fn documents(path: &Path) -> (Lines<Value>, Lines<String>) {
    let mut docs = Vec::new();
    let bad = read_records(path, &mut |json, line| docs.push((line, serde_json::from_slice(json).unwrap()))).unwrap();
    (docs, bad)
}

fn at<'v>(doc: &'v Value, name: &str) -> &'v Value {
    name.split('.').fold(doc, |v, part| &v[part])
}

#[test]
fn events_read_and_skipped_per_file_are_pinned() {
    let expected = read_expectations("zeek-datasets.tsv", 3);
    let mut got = BTreeMap::new();
    for (set, dir, files) in sets() {
        for file in files {
            // Counted on the bytes: parsing 100k documents again would slow the suite.
            let (mut events, mut joins) = (0u64, BTreeMap::<String, u64>::new());
            let bad = read_records(&dir.join(file), &mut |json, _| {
                events += 1;
                let text = std::str::from_utf8(json).unwrap();
                if let Some((_, rest)) = text.split_once("\"vigil\":{\"x509\":\"") {
                    *joins.entry(rest.split('"').next().unwrap().to_string()).or_default() += 1;
                }
            })
            .unwrap();
            let joins = joins.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
            got.insert(format!("{set}/{file}"), format!("{events}\t{}\t{}", bad.len(), if joins.is_empty() { "-" } else { &joins }));
        }
    }
    let sets_present: Vec<String> = sets().iter().map(|s| format!("{}/", s.0)).collect();
    let want: BTreeMap<String, String> = expected.into_iter().filter(|(k, _)| sets_present.iter().any(|s| k.starts_with(s))).collect();
    let table: String = got.iter().map(|(k, v)| format!("{k}\t{v}\n")).collect();
    assert_eq!(got, want, "per-file counts changed; now:\n{table}");
    assert!(got.len() >= 7, "the in-project samples are always read");
}

#[test]
fn an_ssl_record_carries_its_certificate_under_ecs_names() {
    let (docs, bad) = documents(&root().join("testdata/zeek/tsv/ssl.log"));
    assert!(bad.is_empty(), "{bad:?}");
    let (line, doc) = &docs[0];
    assert_eq!(*line, 9);
    let expect = [
        ("@timestamp", Value::from("2026-11-27T12:00:00.100000Z")),
        ("event.module", "zeek".into()),
        ("event.dataset", "zeek.ssl".into()),
        ("source.ip", "192.0.2.10".into()),
        ("source.port", 51000.into()),
        ("destination.ip", "198.51.100.5".into()),
        ("destination.port", 443.into()),
        ("tls.version", "1.2".into()),
        ("tls.version_protocol", "tls".into()),
        ("tls.cipher", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256".into()),
        ("tls.curve", "x25519".into()),
        ("tls.client.server_name", "login.example.com".into()),
        ("tls.established", true.into()),
        ("tls.resumed", false.into()),
        ("tls.next_protocol", "h2".into()),
        ("tls.server.hash.sha256", "a1".repeat(32).into()),
        ("tls.server.subject", "CN=login.example.com,O=Example\\, Inc,C=US".into()),
        ("tls.server.issuer", "CN=Example Issuing CA 1,O=Example Trust,C=US".into()),
        ("tls.server.not_before", "2026-10-28T12:00:00.000000Z".into()),
        ("tls.server.not_after", "2027-10-28T12:00:00.000000Z".into()),
        ("tls.server.x509.serial_number", "0A1B2C".into()),
        ("tls.server.x509.version_number", "3".into()),
        ("tls.server.x509.subject.common_name", serde_json::json!(["login.example.com"])),
        ("tls.server.x509.subject.organization", serde_json::json!(["Example, Inc"])),
        ("tls.server.x509.issuer.common_name", serde_json::json!(["Example Issuing CA 1"])),
        ("tls.server.x509.alternative_names", serde_json::json!(["login.example.com", "www.example.com"])),
        ("tls.server.x509.public_key_algorithm", "rsaEncryption".into()),
        ("tls.server.x509.public_key_size", 2048.into()),
        ("tls.server.x509.signature_algorithm", "sha256WithRSAEncryption".into()),
        ("vigil.x509", "found".into()),
        // The Zeek names stay.
        ("id.orig_h", "192.0.2.10".into()),
        ("server_name", "login.example.com".into()),
        ("validation_status", "ok".into()),
    ];
    for (name, want) in expect {
        assert_eq!(at(doc, name), &want, "{name} in {doc}");
    }
    // The second record's server certificate is the first of its chain; the third has none;
    // the fourth names one the x509 log does not hold.
    assert_eq!(at(&docs[1].1, "tls.server.x509.subject.common_name"), &serde_json::json!(["Snozberry"]));
    assert_eq!(at(&docs[1].1, "tls.version"), &Value::from("1.0"));
    assert!(at(&docs[2].1, "vigil.x509").is_null() && at(&docs[2].1, "tls.server").is_null());
    assert_eq!(at(&docs[3].1, "vigil.x509"), &Value::from("not found in the x509 log"));
}

#[test]
fn tsv_and_json_logs_give_the_same_ecs_fields() {
    let (tsv, _) = documents(&root().join("testdata/zeek/tsv/ssl.log"));
    let (json, bad) = documents(&root().join("testdata/zeek/json/ssl.json"));
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(tsv.len(), json.len());
    for ((_, a), (_, b)) in tsv.iter().zip(&json) {
        for name in ["@timestamp", "tls", "source", "destination", "event", "vigil"] {
            assert_eq!(at(a, name), at(b, name), "{name}");
        }
    }
}

#[test]
fn conn_notice_and_x509_records_have_their_ecs_fields() {
    let (conn, _) = documents(&root().join("testdata/zeek/tsv/conn.log"));
    let doc = &conn[0].1;
    assert_eq!(at(doc, "network.transport"), &Value::from("tcp"));
    assert_eq!(at(doc, "network.protocol"), &Value::from("ssl"));
    assert_eq!(at(doc, "source.bytes"), &Value::from(517));
    assert_eq!(at(doc, "destination.packets"), &Value::from(8));
    assert_eq!(at(doc, "event.duration"), &Value::from(1_500_000_000i64));
    assert_eq!(at(doc, "conn_state"), &Value::from("SF"));
    let (notice, _) = documents(&root().join("testdata/zeek/tsv/notice.log"));
    let doc = &notice[0].1;
    assert_eq!(at(doc, "rule.name"), &Value::from("SSL::Invalid_Server_Cert"));
    assert_eq!(at(doc, "event.kind"), &Value::from("alert"));
    assert!(at(doc, "message").as_str().unwrap().contains("self signed"));
    let (x509, _) = documents(&root().join("testdata/zeek/tsv/x509.log"));
    let doc = &x509[1].1;
    assert_eq!(at(doc, "x509.subject.common_name"), &serde_json::json!(["Snozberry"]));
    assert_eq!(at(doc, "x509.issuer.distinguished_name"), &Value::from("CN=Snozberry"));
    assert_eq!(at(doc, "x509.not_after"), &Value::from("2018-09-16T00:00:00.000000Z"));
    assert_eq!(at(doc, "fingerprint"), &Value::from("b2".repeat(32)));
}

#[test]
fn damaged_lines_are_reported_by_line_and_skipped() {
    let (docs, bad) = documents(&root().join("testdata/zeek/damaged-conn.log"));
    assert_eq!(docs.iter().map(|d| d.0).collect::<Vec<_>>(), vec![9, 13]);
    let lines: Vec<u64> = bad.iter().map(|b| b.0).collect();
    assert_eq!(lines, vec![10, 11, 12, 15], "{bad:?}");
    assert!(bad[0].1.contains("5 columns where the `#fields` header names 21"), "{}", bad[0].1);
    assert!(bad[1].1.contains("bad escape"), "{}", bad[1].1);
    assert!(bad[2].1.contains("local_resp") && bad[2].1.contains("bool"), "{}", bad[2].1);
    assert!(bad[3].1.contains("2 columns"), "{}", bad[3].1);
}

#[test]
fn crtsh_records_carry_ecs_x509_fields() {
    let (docs, bad) = documents(&root().join("testdata/crtsh/example.json"));
    assert_eq!(docs.iter().map(|d| d.0).collect::<Vec<_>>(), vec![2, 3, 5]);
    assert_eq!(bad.iter().map(|b| b.0).collect::<Vec<_>>(), vec![4], "{bad:?}");
    let doc = &docs[1].1;
    assert_eq!(at(doc, "x509.subject.common_name"), &serde_json::json!(["examp1e-login.com"]));
    assert_eq!(at(doc, "x509.issuer.organization"), &serde_json::json!(["Sectigo Limited"]));
    assert_eq!(at(doc, "x509.issuer.country"), &serde_json::json!(["GB"]));
    assert_eq!(at(doc, "x509.not_after"), &Value::from("2027-10-02T23:59:59Z"));
    assert_eq!(at(doc, "x509.serial_number"), &Value::from("00C0FFEE"));
    assert_eq!(at(doc, "event.module"), &Value::from("crtsh"));
    assert_eq!(at(doc, "issuer_ca_id"), &Value::from(9324));
    assert_eq!(at(&docs[0].1, "x509.alternative_names"), &serde_json::json!(["login.example.com", "www.example.com"]));
}
