#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // tests: a failed expectation is a test failure
//! Damaged EVTX input: a chunk that cannot be parsed, a record that cannot be read, a file
//! cut short. Each is reported with the file and a record number and skipped; every good
//! record around it is still read; nothing panics.

use std::path::PathBuf;

use vigil_events::evtx::CHUNK_BYTES;
use vigil_events::{read_source, Format, Input};

const HEADER: usize = 4096;

fn sample(rel: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/sigmahq/regression/regression_data").join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Four records (registry_set_disable_system_restore).
fn four() -> Vec<u8> {
    sample("rules/windows/registry/registry_set/registry_set_disable_system_restore/5de03871-5d46-4539-a82d-3aa992a69a83.evtx")
}

/// Two records (proc_creation_win_github_self_hosted_runner).
fn two() -> Vec<u8> {
    sample("rules/windows/process_creation/proc_creation_win_github_self_hosted_runner/5bac7a56-da88-4c27-922e-c81e113b20cb.evtx")
}

fn chunk_of(file: &[u8]) -> &[u8] {
    &file[HEADER..HEADER + CHUNK_BYTES]
}

/// Reads `bytes` as a source: (record numbers read, (record number, message) skipped, error).
fn read(bytes: Vec<u8>) -> (Vec<u64>, Vec<(u64, String)>, Option<String>) {
    let data: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    let (mut good, mut bad) = (Vec::new(), Vec::new());
    let r = read_source(&Input::Embedded { name: "damaged.evtx".into(), data }, &mut |mut chunk| {
        assert_eq!(chunk.format, Format::Evtx);
        assert!(chunk.errors.iter().all(|b| &*b.source == "damaged.evtx"));
        bad.extend(chunk.errors.iter().map(|b| (b.line, b.message.clone())));
        vigil_events::evtx::records(&mut chunk, &mut |record| match record {
            Ok(r) => {
                assert!(serde_json_like(r.json), "record {} is not a JSON object", r.number);
                good.push(r.number);
            }
            Err(b) => bad.push((b.line, b.message)),
        });
        true
    });
    (good, bad, r.err().map(|e| e.to_string()))
}

fn serde_json_like(json: &[u8]) -> bool {
    json.starts_with(b"{") && json.ends_with(b"}")
}

#[test]
fn whole_files_read_every_record() {
    let (good, bad, err) = read(four());
    assert_eq!((good.len(), bad.len(), err), (4, 0, None));
    let (good, bad, err) = read(two());
    assert_eq!((good.len(), bad.len(), err), (2, 0, None));
}

#[test]
fn a_bad_chunk_costs_only_its_own_records() {
    let (four, two) = (four(), two());
    let (four_ids, _, _) = read(four.clone());
    let (two_ids, _, _) = read(two.clone());
    // header, a good chunk, a chunk with its magic destroyed, an empty chunk, a good chunk.
    let mut file = four[..HEADER].to_vec();
    file.extend_from_slice(chunk_of(&four));
    let mut broken = chunk_of(&two).to_vec();
    broken[..8].copy_from_slice(b"NotChnk\0");
    file.extend_from_slice(&broken);
    file.extend(std::iter::repeat_n(0u8, CHUNK_BYTES));
    file.extend_from_slice(chunk_of(&two));
    let (good, bad, err) = read(file);
    assert_eq!(err, None);
    assert_eq!(good, [four_ids.clone(), two_ids.clone()].concat());
    assert_eq!(bad.len(), 1, "{bad:?}");
    // Reported under the first record number the damaged chunk's header names.
    assert_eq!(bad[0].0, two_ids[0]);
    assert!(bad[0].1.contains("EVTX chunk 1 unreadable"), "{}", bad[0].1);
}

#[test]
fn a_damaged_record_is_reported_and_the_others_read() {
    let mut file = four();
    let (ids, _, _) = read(file.clone());
    // The second record: find the record magic after the first one, and overwrite its
    // binary XML (past the 24-byte record header) with garbage.
    let chunk = HEADER + 512;
    let magic = b"\x2a\x2a\x00\x00";
    let starts: Vec<usize> = (chunk..HEADER + CHUNK_BYTES - 4).filter(|&i| &file[i..i + 4] == magic).collect();
    assert!(starts.len() >= 4, "{starts:?}");
    for b in &mut file[starts[1] + 24..starts[1] + 64] {
        *b = 0xee;
    }
    let (good, bad, err) = read(file);
    assert_eq!(err, None);
    assert!(!bad.is_empty(), "the damage is reported");
    assert!(bad.iter().all(|(n, m)| *n == ids[1] && m.contains("EVTX record")), "{bad:?}");
    // The records before and after it are read.
    assert!(good.contains(&ids[0]) && good.contains(&ids[2]) && good.contains(&ids[3]), "{good:?}");
    assert!(!good.contains(&ids[1]));
}

#[test]
fn a_file_cut_short_keeps_what_came_before() {
    let four = four();
    let (ids, _, _) = read(four.clone());
    // A second chunk cut off half-way.
    let mut file = four.clone();
    file.extend_from_slice(&chunk_of(&two())[..1000]);
    let (good, bad, err) = read(file);
    assert_eq!((good, err), (ids, None));
    assert_eq!(bad.len(), 1);
    assert!(bad[0].1.contains("EVTX chunk 1 cut short (1000 of 65536 bytes)"), "{}", bad[0].1);
    // A header cut short is an error of the whole source.
    let (good, bad, err) = read(four[..100].to_vec());
    assert!(good.is_empty() && bad.is_empty());
    assert!(err.is_some_and(|e| e.contains("EVTX file header cut short (100 of 4096 bytes)")));
}

#[test]
fn random_damage_never_panics() {
    // Deterministic pseudo-random byte flips all over a chunk: whatever is read is reported
    // or returned, and the reader never panics.
    let base = four();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let (mut read_total, mut bad_total) = (0, 0);
    for _ in 0..64 {
        let mut file = base.clone();
        for _ in 0..32 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let at = HEADER + (state as usize % CHUNK_BYTES);
            file[at] = (state >> 32) as u8;
        }
        let (good, bad, err) = read(file);
        assert!(err.is_none(), "{err:?}");
        read_total += good.len();
        bad_total += bad.len();
    }
    // Some records survive the damage, and some damage is found.
    assert!(read_total > 0 && bad_total > 0, "{read_total} read, {bad_total} reported");
}

#[test]
fn chunks_go_in_batches_and_keep_their_numbers() {
    let (four, two) = (four(), two());
    let (four_ids, _, _) = read(four.clone());
    let (two_ids, _, _) = read(two.clone());
    // 40 chunks: good ones, all-zero ones, and damaged ones on both sides of batch edges,
    // then a chunk cut short after 10 bytes (its header's record number is cut too).
    let mut broken = chunk_of(&two).to_vec();
    broken[..8].copy_from_slice(b"NotChnk\0");
    let zero = vec![0u8; CHUNK_BYTES];
    let kind = |i: usize| match i {
        3 | 16 | 17 | 30 => "zero",
        15 | 21 | 33 => "broken",
        _ if i.is_multiple_of(3) => "two",
        _ => "four",
    };
    let mut file = four[..HEADER].to_vec();
    let (mut want_good, mut want_bad, mut want_numbers) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..40 {
        let bytes = match kind(i) {
            "zero" => &zero[..],
            "broken" => &broken[..],
            "two" => chunk_of(&two),
            _ => chunk_of(&four),
        };
        file.extend_from_slice(bytes);
        match kind(i) {
            "zero" => continue,
            "broken" => want_bad.push((two_ids[0], format!("EVTX chunk {i} unreadable"))),
            "two" => want_good.extend_from_slice(&two_ids),
            _ => want_good.extend_from_slice(&four_ids),
        }
        want_numbers.push(i as u64);
    }
    file.extend_from_slice(&chunk_of(&four)[..10]);
    let cut_first = u16::from_le_bytes([chunk_of(&four)[8], chunk_of(&four)[9]]) as u64;
    want_bad.push((cut_first, "EVTX chunk 40 cut short (10 of 65536 bytes)".to_string()));

    let data: &'static [u8] = Box::leak(file.into_boxed_slice());
    let (mut good, mut bad, mut numbers, mut sizes) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let r = read_source(&Input::Embedded { name: "batched.evtx".into(), data }, &mut |mut chunk| {
        numbers.extend(chunk.evtx.iter().map(|(n, _)| *n));
        sizes.push(chunk.evtx.len());
        assert_eq!(chunk.bytes(), chunk.evtx.len() * CHUNK_BYTES);
        bad.extend(chunk.errors.iter().map(|b| (b.line, b.message.clone())));
        vigil_events::evtx::records(&mut chunk, &mut |record| match record {
            Ok(r) => good.push(r.number),
            Err(b) => bad.push((b.line, b.message)),
        });
        true
    });
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(good, want_good);
    assert_eq!(numbers, want_numbers);
    // 36 used chunks: two full batches, one of 4, then the cut-short chunk on its own.
    assert_eq!(sizes, vec![vigil_events::evtx::BATCH, vigil_events::evtx::BATCH, 4, 0]);
    assert_eq!(bad.len(), want_bad.len(), "{bad:?}");
    for ((line, message), (want_line, want)) in bad.iter().zip(&want_bad) {
        assert_eq!(line, want_line, "{message}");
        assert!(message.contains(want.as_str()), "{message} does not say {want}");
    }
}
