//! Fuzzes the EVTX reader: the input is made the chunks of an EVTX file (after a file header,
//! each chunk starting with the chunk magic so that parsing goes past it) and read as the
//! runner reads it: split into chunks, each chunk's records rendered as JSON, each record
//! extracted. Any bytes must give records and reports, never a panic; every report names
//! the file.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use vigil_engine::{EventView, FieldTrie};
use vigil_events::evtx::{records, split_evtx, CHUNK_BYTES};

fuzz_target!(|data: &[u8]| {
    let mut file = b"ElfFile\0".to_vec();
    file.resize(4096, 0);
    for piece in data.chunks(CHUNK_BYTES - 8) {
        let start = file.len();
        file.extend_from_slice(b"ElfChnk\0");
        file.extend_from_slice(piece);
        // The last piece stays short when the input is short: a file cut short.
        if piece.len() == CHUNK_BYTES - 8 {
            assert_eq!(file.len() - start, CHUNK_BYTES);
        }
    }
    let mut trie = FieldTrie::default();
    trie.slot("Event.System.EventID");
    trie.slot("Event.EventData.*");
    trie.enable_keywords();
    let mut view = EventView::new(trie.slot_count());
    let name: Arc<str> = Arc::from("fuzz.evtx");
    let _ = split_evtx(name, &mut file.as_slice(), &mut |mut chunk| {
        assert!(chunk.errors.iter().all(|b| &*b.source == "fuzz.evtx"));
        records(&mut chunk, &mut |record| match record {
            Ok(r) => {
                view.clear();
                let _ = vigil_events::extract(r.json, &trie, &mut view);
            }
            Err(bad) => assert_eq!(&*bad.source, "fuzz.evtx"),
        });
        true
    });
});
