//! The ssl ↔ x509 join across files: the certificates of the x509 log beside an ssl log,
//! keyed by SHA-256 fingerprint (`x509.fingerprint` ↔ `ssl.cert_chain_fps`, Zeek ≥ 4.2) and
//! by file id (`x509.id` ↔ `ssl.cert_chain_fuids`, older Zeek).
//!
//! The x509 log beside `dir/ssl.log` is `dir/x509.log` (the same name with `ssl` replaced
//! by `x509`, so `ssl.json.gz` → `x509.json.gz` and rotated `ssl.10:00:00-11:00:00.log.gz` →
//! `x509.10:00:00-11:00:00.log.gz`). At most [`MAX_CERTIFICATES`] certificates are kept
//! (memory about that many x509 lines); later ones are counted and dropped, and an ssl
//! record that needs one says so (`vigil.x509`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::zeek::ZeekRecord;
use crate::zeek_ecs::Join;

/// The most certificates kept from one x509 log.
pub const MAX_CERTIFICATES: usize = 50_000;

/// The certificates of one x509 log.
#[derive(Debug, Default)]
pub struct X509Index {
    certs: Vec<ZeekRecord>,
    by_key: HashMap<String, usize>,
    /// Certificates not kept because the index was full.
    pub dropped: u64,
    /// False when no x509 log was found.
    pub present: bool,
}

impl X509Index {
    /// Adds a certificate (an x509 record) unless the index is full.
    pub fn add(&mut self, cert: ZeekRecord) {
        self.present = true;
        if self.certs.len() >= MAX_CERTIFICATES {
            self.dropped += 1;
            return;
        }
        let index = self.certs.len();
        for key in ["fingerprint", "id"] {
            if let Some(k) = cert.text(key) {
                self.by_key.entry(k.to_ascii_lowercase()).or_insert(index);
            }
        }
        self.certs.push(cert);
    }

    pub fn len(&self) -> usize {
        self.certs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.certs.is_empty()
    }

    /// The join for an ssl record: the first certificate of its chain.
    pub fn join(&self, ssl: &ZeekRecord) -> Join<'_> {
        let first = ["cert_chain_fps", "cert_chain_fuids"].iter().find_map(|k| ssl.get(k).and_then(|v| v.get(0)).and_then(Value::as_str));
        let Some(key) = first else { return Join::None };
        if !self.present {
            return Join::NoX509Log;
        }
        match self.by_key.get(&key.to_ascii_lowercase()).and_then(|&i| self.certs.get(i)) {
            Some(cert) => Join::Found(cert),
            None if self.dropped > 0 => Join::Dropped,
            None => Join::NotFound,
        }
    }
}

/// The x509 log beside the ssl log at `path`, if its name starts with `ssl` and the other
/// file exists.
pub fn x509_beside(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?.to_str()?;
    let rest = name.strip_prefix("ssl")?;
    let other = path.with_file_name(format!("x509{rest}"));
    other.is_file().then_some(other)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(fp: &str) -> ZeekRecord {
        ZeekRecord { path: "x509".into(), fields: vec![("fingerprint".into(), fp.into())] }
    }

    fn ssl(fp: &str) -> ZeekRecord {
        ZeekRecord { path: "ssl".into(), fields: vec![("cert_chain_fps".into(), serde_json::json!([fp, "other"]))] }
    }

    #[test]
    fn certificates_are_found_by_the_first_fingerprint_of_the_chain() {
        let mut index = X509Index::default();
        assert_eq!(index.join(&ssl("AB")), Join::NoX509Log);
        index.add(cert("ab"));
        assert!(matches!(index.join(&ssl("AB")), Join::Found(c) if c.text("fingerprint") == Some("ab")));
        assert_eq!(index.join(&ssl("cd")), Join::NotFound);
        let bare = ZeekRecord { path: "ssl".into(), fields: vec![] };
        assert_eq!(index.join(&bare), Join::None);
    }

    #[test]
    fn the_index_is_bounded() {
        let mut index = X509Index::default();
        for i in 0..MAX_CERTIFICATES + 3 {
            index.add(cert(&format!("{i:x}")));
        }
        assert_eq!((index.len(), index.dropped), (MAX_CERTIFICATES, 3));
        assert_eq!(index.join(&ssl("zz")), Join::Dropped);
    }
}
