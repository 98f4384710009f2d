//! The children of one trie node: a small open-addressing table from object keys to nodes,
//! made for the lookup readers do once per object key of every event.
//!
//! Keys are short and mostly ASCII (`CommandLine`, `TargetUserName`), and most lookups in an
//! event are misses (keys no rule reads) or hits among a few hundred siblings. A general
//! hash map hashes every byte of the key and then compares it; here the hash reads at most
//! two 8-byte words (the key's first and last eight bytes, which tell apart siblings such as
//! `TargetUserName` and `TargetDomainName`) and its length, and a probe compares the length
//! before the bytes. The table is at most half full, so a miss usually ends at the first
//! empty cell.

/// Object keys and the nodes they lead to.
#[derive(Clone, Debug, Default)]
pub(crate) struct Keys {
    keys: Vec<Box<str>>,
    values: Vec<u32>,
    /// Cells holding `index + 1` into `keys`, 0 when empty; the length is 0 or a power of two.
    cells: Vec<u32>,
}

/// The hash of `key`: its length and its first and last (at most) eight bytes, mixed.
fn hash(key: &[u8]) -> u64 {
    let len = key.len();
    let (head, tail) = if len >= 8 {
        (word(key.get(..8)), word(key.get(len - 8..)))
    } else {
        let mut buf = [0u8; 8];
        if let Some(dst) = buf.get_mut(..len) {
            dst.copy_from_slice(key);
        }
        (u64::from_le_bytes(buf), 0)
    };
    (head ^ tail.rotate_left(29) ^ len as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

fn word(bytes: Option<&[u8]>) -> u64 {
    bytes.and_then(|b| <[u8; 8]>::try_from(b).ok()).map(u64::from_le_bytes).unwrap_or(0)
}

impl Keys {
    /// The node `key` leads to.
    #[inline]
    pub(crate) fn get(&self, key: &str) -> Option<u32> {
        let mask = self.cells.len().checked_sub(1)?;
        let bytes = key.as_bytes();
        let mut at = (hash(bytes) >> 32) as usize & mask;
        loop {
            let cell = *self.cells.get(at)?;
            let index = cell.checked_sub(1)? as usize;
            if self.keys.get(index).is_some_and(|k| k.len() == bytes.len() && k.as_bytes() == bytes) {
                return self.values.get(index).copied();
            }
            at = (at + 1) & mask;
        }
    }

    /// Adds `key` leading to `value` (the caller checked it is new).
    pub(crate) fn insert(&mut self, key: &str, value: u32) {
        self.keys.push(key.into());
        self.values.push(value);
        if self.keys.len() * 2 > self.cells.len() {
            let size = (self.keys.len() * 2).next_power_of_two().max(4);
            self.cells = vec![0; size];
            for index in 0..self.keys.len() {
                self.place(index);
            }
        } else {
            self.place(self.keys.len() - 1);
        }
    }

    fn place(&mut self, index: usize) {
        let Some(key) = self.keys.get(index) else { return };
        let mask = self.cells.len() - 1;
        let mut at = (hash(key.as_bytes()) >> 32) as usize & mask;
        while let Some(cell) = self.cells.get_mut(at) {
            if *cell == 0 {
                *cell = index as u32 + 1;
                return;
            }
            at = (at + 1) & mask;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_found_and_no_other() {
        let mut keys = Keys::default();
        assert_eq!(keys.get("a"), None);
        let names: Vec<String> = (0..700)
            .map(|i| match i % 4 {
                0 => format!("Target{i}UserName"),
                1 => format!("k{i}"),
                2 => format!("{i}"),
                _ => format!("é{i}ü.long.key.with.dots"),
            })
            .collect();
        for (i, name) in names.iter().enumerate() {
            keys.insert(name, i as u32 * 3);
            for (j, earlier) in names.iter().enumerate().take(i + 1).step_by(37) {
                assert_eq!(keys.get(earlier), Some(j as u32 * 3));
            }
        }
        let index: std::collections::HashMap<&str, u32> = names.iter().enumerate().map(|(i, n)| (n.as_str(), i as u32 * 3)).collect();
        for name in &names {
            assert_eq!(keys.get(name), index.get(name.as_str()).copied(), "{name}");
            for other in [format!("{name}\0"), format!("x{name}"), name[..name.len() - 1].to_string(), name.to_uppercase()] {
                assert_eq!(keys.get(&other), index.get(other.as_str()).copied(), "{other}");
            }
        }
        assert_eq!(keys.get(""), None);
        keys.insert("", 9);
        assert_eq!(keys.get(""), Some(9));
    }
}
