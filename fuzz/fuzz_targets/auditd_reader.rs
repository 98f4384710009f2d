//! Fuzzes the auditd reader: any bytes, read as audit log text with small read blocks (so
//! events span blocks), must give JSON documents the JSON scanner reads and reports that name
//! the file, never a panic.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use vigil_engine::{EventView, FieldTrie};
use vigil_events::auditd::split_auditd;
use vigil_events::Limits;

fuzz_target!(|data: &[u8]| {
    let mut trie = FieldTrie::default();
    trie.slot("type");
    trie.slot("process.args");
    trie.enable_keywords();
    let mut view = EventView::new(trie.slot_count());
    let raw = Box::new(std::io::Cursor::new(data.to_vec()));
    let limits = Limits { chunk: 97, max_record: 4096 };
    let _ = split_auditd(Arc::from("fuzz.log"), raw, limits, &mut |chunk| {
        assert!(chunk.errors.iter().all(|b| &*b.source == "fuzz.log"));
        for span in &chunk.records {
            view.clear();
            assert!(vigil_events::extract(chunk.record(span), &trie, &mut view).is_ok());
        }
        true
    });
});
