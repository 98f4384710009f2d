#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // tests: a failed expectation is a test failure
//! The auditd reader: records grouped into events by stamp (also across read blocks and when
//! interleaved), each event's document checked field by field against the names Auditbeat
//! writes and the raw names SigmaHQ's auditd rules read, and damage reported by line while
//! every good record around it is read.

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{json, Value};
use vigil_events::auditd::split_auditd;
use vigil_events::{read_source, Format, Input, Limits};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

type Docs = Vec<(u64, Value)>;
type Bad = Vec<(u64, String)>;

/// Reads audit log text with `limits`: the documents (by first line) and the bad lines.
fn read(text: &[u8], limits: Limits) -> (Docs, Bad) {
    let (mut docs, mut bad) = (Vec::new(), Vec::new());
    let raw = Box::new(std::io::Cursor::new(text.to_vec()));
    split_auditd(Arc::from("t.log"), raw, limits, &mut |chunk| {
        assert_eq!(chunk.format, Format::Json);
        for span in &chunk.records {
            docs.push((span.line, serde_json::from_slice(chunk.record(span)).unwrap()));
        }
        bad.extend(chunk.errors.iter().map(|b| (b.line, b.message.clone())));
        true
    })
    .unwrap();
    (docs, bad)
}

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(root().join("testdata/auditd").join(name)).unwrap()
}

const SAMPLES: &[(&str, usize)] = &[
    ("sh_arp_cache_2020-11-10074812.log", 2),
    ("sh_binary_padding_dd_2020-11-10081941.log", 1),
    ("execve-hex-arg.log", 1),
    ("beats-test.log", 15),
    ("beats-useradd.log", 8),
];

#[test]
fn every_sample_is_read_and_its_events_are_pinned() {
    for (name, events) in SAMPLES {
        let mut read_events = 0;
        let mut skipped = 0;
        let input = Input::Path(root().join("testdata/auditd").join(name));
        assert_eq!(vigil_events::sniff_format(&input).unwrap(), Some(Format::Auditd), "{name}");
        read_source(&input, &mut |chunk| {
            read_events += chunk.records.len();
            skipped += chunk.errors.len();
            true
        })
        .unwrap();
        assert_eq!((read_events, skipped), (*events, 0), "{name}");
    }
}

#[test]
fn an_execve_event_becomes_one_document_under_auditbeat_and_raw_names() {
    let (docs, bad) = read(&sample("sh_binary_padding_dd_2020-11-10081941.log"), Limits::default());
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(docs.len(), 1);
    let (line, doc) = &docs[0];
    assert_eq!(*line, 1);
    let expect = [
        ("@timestamp", json!("2020-11-10T08:19:44.965Z")),
        ("auditd.sequence", json!("93777")),
        ("event.module", json!("auditd")),
        ("event.action", json!("executed")),
        ("event.category", json!(["process"])),
        ("event.type", json!(["start"])),
        ("event.outcome", json!("success")),
        ("process.executable", json!("/bin/dd")),
        ("process.name", json!("dd")),
        ("process.pid", json!("2168")),
        ("process.parent.pid", json!("29002")),
        ("process.args", json!(["dd", "if=/dev/zero", "bs=1", "count=1"])),
        ("process.args_count", json!("4")),
        ("process.command_line", json!("dd if=/dev/zero bs=1 count=1")),
        ("process.title", json!("dd if=/dev/zero bs=1 count=1")),
        ("process.working_directory", json!("/home/wardog")),
        ("user.id", json!("1000")),
        ("user.audit.id", json!("1000")),
        ("group.id", json!("1000")),
        ("file.path", json!("/bin/dd")),
        ("auditd.data.syscall", json!("execve")),
        // The raw names, as SigmaHQ's auditd rules read them.
        ("type", json!(["SYSCALL", "EXECVE", "CWD", "PATH", "PROCTITLE"])),
        ("SYSCALL", json!("execve")),
        ("syscall", json!("59")),
        ("exe", json!("/bin/dd")),
        ("comm", json!("dd")),
        ("a0", json!(["558e25052c70", "dd"])),
        ("a1", json!(["558e251641a0", "if=/dev/zero"])),
        ("name", json!(["/bin/dd", "/lib64/ld-linux-x86-64.so.2"])),
        ("nametype", json!("NORMAL")),
        ("key", json!("(null)")),
        ("cwd", json!("/home/wardog")),
    ];
    for (name, value) in expect {
        assert_eq!(doc[name], value, "{name} in {doc}");
    }
}

#[test]
fn hex_encoded_arguments_and_fields_are_decoded() {
    let (docs, _) = read(&sample("execve-hex-arg.log"), Limits::default());
    let doc = &docs[0].1;
    // Filebeat's expected output for the same line.
    assert_eq!(doc["process.args"], json!(["sh", "-c", "echo \\\"arg hex encoded\\\""]));
    assert_eq!(doc["process.args_count"], json!("3"));
    assert_eq!(doc["auditd.sequence"], json!("5538"));
    let (docs, bad) = read(&sample("beats-test.log"), Limits::default());
    assert!(bad.is_empty(), "{bad:?}");
    let by_seq = |seq: &str| docs.iter().map(|d| &d.1).find(|d| d["auditd.sequence"] == seq).unwrap().clone();
    assert_eq!(by_seq("18877199")["process.executable"], json!("/usr/libexec/strongswan/charon (deleted)"));
    assert_eq!(by_seq("18877199")["auditd.data.syscall"], json!("sendto"));
    assert_eq!(by_seq("194440")["process.title"], json!("sshd: burn [priv]"));
    // A user-space message's fields are read (`msg='…'`).
    assert_eq!(by_seq("406")["exe"], json!("/usr/sbin/sshd"));
    assert_eq!(by_seq("406")["laddr"], json!("10.142.0.2"));
    assert_eq!(by_seq("406")["event.action"], json!("crypto_session"));
    // `ausearch -i` form: names already interpreted, values bare.
    assert_eq!(by_seq("579398")["SYSCALL"], json!("execve"));
    assert_eq!(by_seq("579398")["event.action"], json!("executed"));
    assert_eq!(by_seq("579393")["process.args"], json!(["top"]));
}

const INTERLEAVED: &str = "\
type=SYSCALL msg=audit(1700000000.100:10): arch=c000003e syscall=42 success=no exit=-115 a0=3 items=0 ppid=1 pid=50 auid=0 uid=0 gid=0 euid=0 comm=\"nc\" exe=\"/usr/bin/nc\" key=\"network_connect_4\"
type=SYSCALL msg=audit(1700000000.200:11): arch=c000003e syscall=59 success=yes exit=0 items=1 ppid=50 pid=51 auid=0 uid=0 gid=0 euid=0 comm=\"id\" exe=\"/usr/bin/id\" key=(null)
type=SOCKADDR msg=audit(1700000000.100:10): saddr=020011D7C0A80001000000000000000000000000
type=EXECVE msg=audit(1700000000.200:11): argc=2 a0=\"id\" a1=\"-u\"
type=EOE msg=audit(1700000000.200:11):
type=PROCTITLE msg=audit(1700000000.100:10): proctitle=6E63003139322E3136382E302E310034343331
type=EOE msg=audit(1700000000.100:10):
";

#[test]
fn interleaved_events_are_grouped_by_stamp_whatever_the_read_blocks() {
    let (docs, bad) = read(INTERLEAVED.as_bytes(), Limits::default());
    assert!(bad.is_empty(), "{bad:?}");
    // In the order of their first line, though 11 ended first.
    assert_eq!(docs.iter().map(|d| d.0).collect::<Vec<_>>(), vec![1, 2]);
    let connect = &docs[0].1;
    assert_eq!(connect["type"], json!(["SYSCALL", "SOCKADDR", "PROCTITLE"]));
    assert_eq!(connect["event.action"], json!("connected-to"));
    assert_eq!(connect["event.outcome"], json!("failure"));
    assert_eq!(connect["destination.ip"], json!("192.168.0.1"));
    assert_eq!(connect["destination.port"], json!("4567"));
    assert_eq!(connect["tags"], json!(["network_connect_4"]));
    assert_eq!(docs[1].1["process.command_line"], json!("id -u"));
    // The same documents with read blocks and chunks of a few bytes, for every sample.
    let mut inputs: Vec<Vec<u8>> = SAMPLES.iter().map(|(name, _)| sample(name)).collect();
    inputs.push(INTERLEAVED.as_bytes().to_vec());
    for text in inputs {
        let whole = read(&text, Limits::default());
        for chunk in [64, 100, 333] {
            assert_eq!(read(&text, Limits { chunk, max_record: 1 << 20 }), whole, "chunk {chunk}");
        }
    }
}

#[test]
fn incomplete_events_are_closed_after_a_bounded_number_of_lines() {
    let mut text = String::from("type=SYSCALL msg=audit(1.000:1): syscall=59 exe=\"/bin/a\"\n");
    for i in 0..(vigil_events::auditd::STALE_LINES + 1) {
        text.push_str(&format!("type=USER_LOGIN msg=audit(2.000:{}): pid=1 res=success\n", 100 + i));
    }
    // A late record of event 1: it comes too late to join it, and is an event of its own.
    text.push_str("type=PATH msg=audit(1.000:1): item=0 name=\"/bin/a\"\n");
    let (docs, bad) = read(text.as_bytes(), Limits::default());
    assert!(bad.is_empty());
    let ones: Vec<&Value> = docs.iter().map(|d| &d.1).filter(|d| d["auditd.sequence"] == "1").collect();
    assert_eq!(ones.len(), 2);
    assert_eq!(ones[0]["type"], json!("SYSCALL"));
    assert_eq!(ones[1]["type"], json!("PATH"));
    assert_eq!(docs.len() as u64, vigil_events::auditd::STALE_LINES + 3);
}

#[test]
fn damage_is_reported_by_line_and_costs_only_its_record() {
    let text = "\
type=SYSCALL msg=audit(1700000000.100:7): arch=c000003e syscall=59 success=yes exe=\"/bin/sh\" comm=\"sh\"
this line is not an audit record
type=EXECVE msg=audit(1700000000.100:7): argc=2 a0=\"sh\" a1=6563686
type=CWD msg=audit(1700000000.100:7): cwd=\"/tmp\"
type=SYSCALL msg=audit(1700000000.100): arch=c000003e syscall=59
type=EXECVE msg=audit(1700000000.300:8): argc=1 a0=\"whoami\"
";
    let (docs, bad) = read(text.as_bytes(), Limits::default());
    assert_eq!(bad.iter().map(|b| b.0).collect::<Vec<_>>(), vec![2, 3, 5]);
    assert!(bad[0].1.contains("not an audit record"), "{bad:?}");
    assert!(bad[1].1.contains("bad hex in EXECVE argument `a1=6563686`"), "{bad:?}");
    assert!(bad[2].1.contains("bad audit stamp"), "{bad:?}");
    // Event 7 is read from its good records; event 8 after the damage too.
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[0].1["type"], json!(["SYSCALL", "CWD"]));
    assert_eq!(docs[0].1["process.working_directory"], json!("/tmp"));
    assert_eq!(docs[1].1["process.args"], json!(["whoami"]));
    // A line over the limit is skipped while streaming; the next one is read.
    let long = format!("type=EXECVE msg=audit(1.000:1): argc=1 a0=\"{}\"\ntype=EXECVE msg=audit(1.000:2): argc=1 a0=\"ls\"\n", "x".repeat(500));
    let (docs, bad) = read(long.as_bytes(), Limits { chunk: 64, max_record: 200 });
    assert_eq!((docs.len(), bad.iter().map(|b| b.0).collect::<Vec<_>>()), (1, vec![1]));
    assert_eq!(docs[0].0, 2);
}

#[test]
fn node_prefix_enriched_fields_and_long_arguments() {
    let text = "node=web1 type=SYSCALL msg=audit(1700000000.000:5): arch=c000003e syscall=135 success=yes a0=40000 uid=0 auid=1000 exe=\"/usr/bin/setarch\"\x1dARCH=x86_64 SYSCALL=personality UID=\"root\" AUID=\"alice\"
node=web1 type=EXECVE msg=audit(1700000000.000:5): argc=2 a0=\"setarch\" a1_len=6 a1[0]=\"-\" a1[1]=\"R\" a1[2]=4142\n";
    let (docs, bad) = read(text.as_bytes(), Limits::default());
    assert!(bad.is_empty(), "{bad:?}");
    let doc = &docs[0].1;
    assert_eq!(doc["host.name"], json!("web1"));
    assert_eq!(doc["SYSCALL"], json!("personality"));
    assert_eq!(doc["user.name"], json!("root"));
    assert_eq!(doc["user.audit.name"], json!("alice"));
    assert_eq!(doc["process.args"], json!(["setarch", "-RAB"]));
    assert_eq!(doc["a0"], json!(["40000", "setarch"]));
}

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[test]
fn mangled_logs_give_documents_and_reports_never_a_panic() {
    // Pieces of the samples cut and spliced at random, with stray bytes: every document is
    // JSON and every report names a line of the input.
    let mut pool = Vec::new();
    for (name, _) in SAMPLES {
        pool.extend(sample(name));
    }
    pool.extend_from_slice(INTERLEAVED.as_bytes());
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..300 {
        let mut text = Vec::new();
        for _ in 0..rng.below(12) {
            let start = rng.below(pool.len() as u64) as usize;
            let len = rng.below(300) as usize;
            text.extend_from_slice(&pool[start..(start + len).min(pool.len())]);
            if rng.below(3) == 0 {
                const STRAY: [&[u8]; 7] = [b"\x1d", b"'", b"\"", b"=", b"\n", b"\xff", b"msg=audit("];
                text.extend_from_slice(STRAY[rng.below(7) as usize]);
            }
        }
        let lines = text.split(|&b| b == b'\n').count() as u64;
        let (_docs, bad) = read(&text, Limits { chunk: 1 + rng.below(200) as usize, max_record: 1 + rng.below(400) as usize });
        assert!(bad.iter().all(|b| (1..=lines).contains(&b.0)), "{bad:?}");
    }
}
