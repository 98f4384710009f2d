//! The fields a program reads, as a trie of path segments that readers walk.
//!
//! A reader descends into an event only along the trie: an object key that is not a child of
//! the current node is skipped without being decoded. A field name with dots (`process.name`)
//! is a path; the trie also accepts the same path written with dotted keys
//! (`{"process.name": ...}`) because readers try the remaining path as one key too.

use std::collections::HashMap;

use crate::keys::Keys;

/// Index of a field slot: where the values of one field of the program are collected.
pub type Slot = u32;

/// The slot every string value of the event goes to when some rule searches keywords.
pub const KEYWORD_SLOT: Slot = 0;

#[derive(Clone, Debug, Default)]
struct Node {
    children: Keys,
    /// Child for a `*` path segment: any key.
    any_child: Option<u32>,
    slot: Option<Slot>,
}

/// The set of fields a program reads.
#[derive(Clone, Debug)]
pub struct FieldTrie {
    nodes: Vec<Node>,
    names: Vec<String>,
    by_name: HashMap<String, Slot>,
    keywords: bool,
}

impl Default for FieldTrie {
    fn default() -> Self {
        FieldTrie { nodes: vec![Node::default()], names: vec!["<keywords>".to_string()], by_name: HashMap::new(), keywords: false }
    }
}

/// A position in the trie.
pub type TrieNode = u32;

impl FieldTrie {
    /// The slot of `name`, adding the field if it is new.
    pub fn slot(&mut self, name: &str) -> Slot {
        if let Some(&slot) = self.by_name.get(name) {
            return slot;
        }
        let slot = Slot::try_from(self.names.len()).unwrap_or(Slot::MAX);
        self.names.push(name.to_string());
        self.by_name.insert(name.to_string(), slot);
        let mut node = 0usize;
        for segment in name.split('.') {
            let next = if segment == "*" {
                match self.nodes[node].any_child {
                    Some(n) => n as usize,
                    None => {
                        self.nodes.push(Node::default());
                        let n = self.nodes.len() - 1;
                        self.nodes[node].any_child = Some(n as u32);
                        n
                    }
                }
            } else {
                match self.nodes[node].children.get(segment) {
                    Some(n) => n as usize,
                    None => {
                        self.nodes.push(Node::default());
                        let n = self.nodes.len() - 1;
                        self.nodes[node].children.insert(segment, n as u32);
                        n
                    }
                }
            };
            node = next;
        }
        self.nodes[node].slot = Some(slot);
        slot
    }

    /// Asks readers to collect every string value into [`KEYWORD_SLOT`].
    pub fn enable_keywords(&mut self) {
        self.keywords = true;
    }

    /// Stops asking readers for keyword values (the same trie for records known not to
    /// need them; slots are unchanged).
    pub fn disable_keywords(&mut self) {
        self.keywords = false;
    }

    /// True when every string value of the event is wanted (keyword search).
    pub fn wants_keywords(&self) -> bool {
        self.keywords
    }

    /// Number of slots, including the keyword slot.
    pub fn slot_count(&self) -> usize {
        self.names.len()
    }

    /// The field name of a slot.
    pub fn name(&self, slot: Slot) -> &str {
        self.names.get(slot as usize).map(String::as_str).unwrap_or("?")
    }

    /// Every field and its slot, in slot order (the keyword slot excluded).
    pub fn fields(&self) -> impl Iterator<Item = (Slot, &str)> {
        self.names.iter().enumerate().skip(1).map(|(i, n)| (i as Slot, n.as_str()))
    }

    /// The slot of an existing field.
    pub fn lookup(&self, name: &str) -> Option<Slot> {
        self.by_name.get(name).copied()
    }

    /// The root of the trie.
    pub fn root(&self) -> TrieNode {
        0
    }

    /// The child of `node` for object key `key`: an exact child, else the `*` child. A key
    /// with dots is also tried as a path (`{"process.name": ...}`).
    #[inline]
    pub fn child(&self, node: TrieNode, key: &str) -> Option<TrieNode> {
        let n = self.nodes.get(node as usize)?;
        if let Some(c) = n.children.get(key) {
            return Some(c);
        }
        if key.contains('.') {
            let mut current = node;
            for segment in key.split('.') {
                current = self.child_exact(current, segment)?;
            }
            return Some(current);
        }
        n.any_child
    }

    fn child_exact(&self, node: TrieNode, key: &str) -> Option<TrieNode> {
        let n = self.nodes.get(node as usize)?;
        n.children.get(key).or(n.any_child)
    }

    /// The slot a node collects into, if a field ends there.
    pub fn slot_at(&self, node: TrieNode) -> Option<Slot> {
        self.nodes.get(node as usize)?.slot
    }
}
