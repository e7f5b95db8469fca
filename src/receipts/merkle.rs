//! The hashes that seal the log: a day's receipts as an RFC 6962 Merkle tree (SHA-256, leaves
//! and nodes told apart by a prefix byte), and the chain of days.
//!
//! An auditor redoes all of it with SHA-256 alone: a leaf is `SHA-256(0x00 ‖ receipt)` over the
//! receipt's line in `leadistry export --format jsonl`; a node is `SHA-256(0x01 ‖ left ‖ right)`;
//! a tree of `n > 1` leaves joins the tree of its first `k` (the largest power of two below
//! `n`) with the tree of the rest; no leaves is `SHA-256("")`. A day's seal is
//! `SHA-256(previous seal ‖ "YYYY-MM-DD" ‖ count as 8 bytes big-endian ‖ root)`, the first
//! day's previous seal 32 zero bytes.

use sha2::{Digest, Sha256};

pub type Hash = [u8; 32];

/// The previous seal of the first sealed day.
pub const GENESIS: Hash = [0; 32];

pub fn leaf(bytes: &[u8]) -> Hash {
    Sha256::new()
        .chain_update([0])
        .chain_update(bytes)
        .finalize()
        .into()
}

pub fn node(left: &Hash, right: &Hash) -> Hash {
    Sha256::new()
        .chain_update([1])
        .chain_update(left)
        .chain_update(right)
        .finalize()
        .into()
}

/// The root of no leaves.
pub fn empty() -> Hash {
    Sha256::digest([]).into()
}

/// A day's seal, chained to the previous day's.
pub fn seal(previous: &Hash, day: &str, count: u64, root: &Hash) -> Hash {
    Sha256::new()
        .chain_update(previous)
        .chain_update(day.as_bytes())
        .chain_update(count.to_be_bytes())
        .chain_update(root)
        .finalize()
        .into()
}

/// A tree's root from its leaves as they come, in memory for a logarithm of them: the
/// complete subtrees so far, largest first (a tree of `n` leaves is one per bit of `n`).
#[derive(Default)]
pub struct Tree {
    subtrees: Vec<(u64, Hash)>,
    count: u64,
}

impl Tree {
    pub fn push(&mut self, leaf: Hash) {
        self.count += 1;
        let mut subtree = (1, leaf);
        while let Some(&(size, left)) = self.subtrees.last() {
            if size != subtree.0 {
                break;
            }
            self.subtrees.pop();
            subtree = (size * 2, node(&left, &subtree.1));
        }
        self.subtrees.push(subtree);
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn root(&self) -> Hash {
        let mut subtrees = self.subtrees.iter().rev();
        let Some(&(_, last)) = subtrees.next() else {
            return empty();
        };
        subtrees.fold(last, |right, (_, left)| node(left, &right))
    }
}

/// The root of `leaves`, by the RFC's own recursion (for the tests and for proofs).
pub fn root_of(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node(&root_of(&leaves[..k]), &root_of(&leaves[k..]))
        }
    }
}

/// The largest power of two below `n` (`n > 1`).
fn split(n: usize) -> usize {
    1 << (usize::BITS - 1 - (n - 1).leading_zeros())
}

/// The inclusion path of leaf `index` among `leaves` (RFC 6962 §2.1.1), nearest the leaf first.
pub fn path(leaves: &[Hash], index: usize) -> Vec<Hash> {
    if leaves.len() <= 1 {
        return Vec::new();
    }
    let k = split(leaves.len());
    let (mut path, sibling) = match index < k {
        true => (path(&leaves[..k], index), root_of(&leaves[k..])),
        false => (path(&leaves[k..], index - k), root_of(&leaves[..k])),
    };
    path.push(sibling);
    path
}

/// The root that leaf `index` of `count` with `path` leads to (RFC 9162 §2.1.3.2), or `None`
/// when the path does not fit the index and count.
pub fn root_from_path(leaf: Hash, index: u64, count: u64, path: &[Hash]) -> Option<Hash> {
    if index >= count {
        return None;
    }
    let (mut f, mut l) = (index, count - 1);
    let mut root = leaf;
    for sibling in path {
        if l == 0 {
            return None;
        }
        if f % 2 == 1 || f == l {
            root = node(sibling, &root);
            while f % 2 == 0 && f != 0 {
                f >>= 1;
                l >>= 1;
            }
        } else {
            root = node(&root, sibling);
        }
        f >>= 1;
        l >>= 1;
    }
    (l == 0).then_some(root)
}

pub fn hex(hash: &Hash) -> String {
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn from_hex(text: &str) -> Option<Hash> {
    if text.len() != 64 {
        return None;
    }
    let mut hash = [0; 32];
    for (i, byte) in hash.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n).map(|i| leaf(i.to_string().as_bytes())).collect()
    }

    #[test]
    fn the_streamed_root_is_the_rfcs_for_every_size() {
        for n in 0..70 {
            let leaves = leaves(n);
            let mut tree = Tree::default();
            leaves.iter().for_each(|&l| tree.push(l));
            assert_eq!(tree.root(), root_of(&leaves), "{n} leaves");
            assert_eq!(tree.count(), n as u64);
        }
    }

    /// RFC 6962's own shape for seven leaves (§2.1.3): ((a b)(c d))((e f) g).
    #[test]
    fn seven_leaves_make_the_rfcs_tree() {
        let l = leaves(7);
        let expected = node(
            &node(&node(&l[0], &l[1]), &node(&l[2], &l[3])),
            &node(&node(&l[4], &l[5]), &l[6]),
        );
        assert_eq!(root_of(&l), expected);
        assert_eq!(
            hex(&empty()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_ne!(leaf(b""), empty(), "a leaf is prefixed");
    }

    #[test]
    fn every_inclusion_path_leads_to_the_root_and_no_other_index_does() {
        for n in 1..40 {
            let leaves = leaves(n);
            let root = root_of(&leaves);
            for (i, &l) in leaves.iter().enumerate() {
                let path = path(&leaves, i);
                let (i, n) = (i as u64, n as u64);
                assert_eq!(root_from_path(l, i, n, &path), Some(root), "{i} of {n}");
                if n > 1 {
                    let other = (i + 1) % n;
                    assert_ne!(
                        root_from_path(l, other, n, &path),
                        Some(root),
                        "{other} of {n}"
                    );
                }
                assert_eq!(root_from_path(l, n, n, &path), None);
            }
        }
    }

    #[test]
    fn a_seal_covers_its_previous_day_count_and_root() {
        let root = root_of(&leaves(3));
        let first = seal(&GENESIS, "2026-12-01", 3, &root);
        assert_ne!(first, seal(&GENESIS, "2026-12-02", 3, &root));
        assert_ne!(first, seal(&GENESIS, "2026-12-01", 2, &root));
        assert_ne!(first, seal(&first, "2026-12-01", 3, &root));
        assert_eq!(from_hex(&hex(&first)), Some(first));
        assert_eq!(from_hex("zz"), None);
    }
}
