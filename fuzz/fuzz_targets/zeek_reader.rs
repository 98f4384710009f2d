//! Fuzzes the Zeek reader: the input is read as a Zeek log twice, as it is (so it may bring
//! its own `#` headers or JSON lines) and after an ssl log's TSV header, with small limits
//! so that long lines and chunk ends are reached. Any bytes must give records and reports,
//! never a panic; every record rendered is valid JSON the scanner reads; every report names
//! the file.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use vigil_engine::{EventView, FieldTrie};
use vigil_events::zeek_read::read_zeek;
use vigil_events::Limits;

const SSL_HEADER: &[u8] = b"#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tssl\n#fields\tts\tuid\tid.orig_h\tversion\tserver_name\testablished\tcert_chain_fps\n#types\ttime\tstring\taddr\tstring\tstring\tbool\tvector[string]\n";

fuzz_target!(|data: &[u8]| {
    let mut trie = FieldTrie::default();
    trie.slot("tls.client.server_name");
    trie.slot("source.ip");
    trie.enable_keywords();
    let mut view = EventView::new(trie.slot_count());
    let with_header = [SSL_HEADER, data].concat();
    for input in [data, with_header.as_slice()] {
        let name: Arc<str> = Arc::from("fuzz.log");
        let mut text = input;
        let _ = read_zeek(name, None, &mut text, Limits { chunk: 512, max_record: 256 }, &mut |chunk| {
            assert!(chunk.errors.iter().all(|b| &*b.source == "fuzz.log"));
            for span in &chunk.records {
                view.clear();
                assert!(vigil_events::extract(chunk.record(span), &trie, &mut view).is_ok(), "a rendered record is valid JSON");
            }
            true
        });
    }
});
