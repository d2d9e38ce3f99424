//! The list value type: a quicklist of packed nodes.
//!
//! A list is a sequence of *nodes*; each node is one contiguous byte buffer holding its
//! entries back to back, as Redis's listpack does. An entry is
//!
//! ```text
//! [len: LEB128 varint, low group first][bytes][len again, the varint's bytes reversed]
//! ```
//!
//! so a node can be walked from either end: forward by reading the leading length, backward
//! by reading the trailing one from its last byte. A one-byte element costs 3 bytes.
//!
//! Representation, as Redis's listpack → quicklist conversion:
//! - `Repr::Pack`: a small list is a single node held inline (one allocation for the data),
//!   while it fits the node size limit.
//! - `Repr::Quick`: once a push would overflow that single node, the list becomes a deque of
//!   nodes, each kept within the limit (`list-max-listpack-size`: negative = 4/8/16/32/64 KiB
//!   per node for -1..-5, positive = entries per node with an 8 KiB safety cap). Like Redis
//!   it never converts back.
//!
//! Index operations (LINDEX, LSET, LINSERT, LRANGE's start) skip whole nodes by their entry
//! counts and then walk one node from its nearer end: O(nodes + node size).
//!
//! Redis 7.0 itself reports every list as `quicklist` in OBJECT ENCODING (its listpack-encoded
//! lists arrived in 7.2), so [`List::encoding`] answers `quicklist` for both representations.
//! `list-compress-depth` is accepted but nodes are never compressed.

use std::collections::VecDeque;

/// Which end of a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    Head,
    Tail,
}

/// Redis's SIZE_SAFETY_LIMIT: the byte cap of a node when the fill is a count.
const SIZE_SAFETY_LIMIT: usize = 8192;

/// Byte limits for fills -1 ..= -5 (Redis's `optimization_level`).
const SIZE_LIMITS: [usize; 5] = [4096, 8192, 16384, 32768, 65536];

/// The node limits for a `list-max-listpack-size` value: (max bytes, max entries).
fn limits(fill: i64) -> (usize, usize) {
    if fill < 0 {
        let level = (fill.unsigned_abs() - 1).min(4) as usize;
        (SIZE_LIMITS[level], usize::MAX)
    } else {
        (SIZE_SAFETY_LIMIT, fill.min(1 << 15) as usize)
    }
}

fn varint_len(mut n: usize) -> usize {
    let mut k = 1;
    n >>= 7;
    while n > 0 {
        k += 1;
        n >>= 7;
    }
    k
}

/// Bytes an entry holding `len` data bytes takes in a node.
fn entry_size(len: usize) -> usize {
    len + 2 * varint_len(len)
}

/// Writes the LEB128 bytes of `n` into `dst` (exactly `varint_len(n)` bytes), forward or
/// reversed.
fn put_varint(dst: &mut [u8], mut n: usize, reversed: bool) {
    let k = dst.len();
    for i in 0..k {
        let mut b = (n & 0x7f) as u8;
        n >>= 7;
        if i + 1 < k {
            b |= 0x80;
        }
        let at = if reversed { k - 1 - i } else { i };
        dst[at] = b;
    }
}

/// Encodes one entry into `dst`, which is exactly `entry_size(data.len())` bytes.
fn encode_entry(dst: &mut [u8], data: &[u8]) {
    let v = varint_len(data.len());
    put_varint(&mut dst[..v], data.len(), false);
    dst[v..v + data.len()].copy_from_slice(data);
    put_varint(&mut dst[v + data.len()..], data.len(), true);
}

/// One packed node.
#[derive(Clone, Debug, Default, PartialEq)]
struct Node {
    buf: Vec<u8>,
    count: u32,
}

impl Node {
    /// Reads the entry starting at byte `pos`: (data start, data length).
    fn read_at(&self, pos: usize) -> (usize, usize) {
        let mut len = 0usize;
        let mut shift = 0;
        let mut i = pos;
        loop {
            let b = self.buf[i];
            len |= ((b & 0x7f) as usize) << shift;
            i += 1;
            if b & 0x80 == 0 {
                break;
            }
            shift += 7;
        }
        (i, len)
    }

    /// Reads the entry ending at byte `end` (exclusive): (entry start, data start, data length).
    fn read_before(&self, end: usize) -> (usize, usize, usize) {
        let mut len = 0usize;
        let mut shift = 0;
        let mut i = end;
        loop {
            i -= 1;
            let b = self.buf[i];
            len |= ((b & 0x7f) as usize) << shift;
            if b & 0x80 == 0 {
                break;
            }
            shift += 7;
        }
        let v = varint_len(len);
        let data = i - len;
        (data - v, data, len)
    }

    /// The data of the entry at byte `pos` and the position of the next entry.
    fn entry(&self, pos: usize) -> (&[u8], usize) {
        let (data, len) = self.read_at(pos);
        (&self.buf[data..data + len], data + len + varint_len(len))
    }

    /// Byte offset of entry `idx` (<= count), walking from the nearer end.
    fn offset(&self, idx: usize) -> usize {
        let count = self.count as usize;
        if idx <= count / 2 {
            let mut pos = 0;
            for _ in 0..idx {
                pos = self.entry(pos).1;
            }
            pos
        } else {
            let mut start = self.buf.len();
            for _ in idx..count {
                start = self.read_before(start).0;
            }
            start
        }
    }

    /// Inserts `data` as a new entry at byte `pos`.
    fn insert_at(&mut self, pos: usize, data: &[u8]) {
        let size = entry_size(data.len());
        let old = self.buf.len();
        self.reserve(size);
        self.buf.resize(old + size, 0);
        self.buf.copy_within(pos..old, pos + size);
        encode_entry(&mut self.buf[pos..pos + size], data);
        self.count += 1;
    }

    fn push_back(&mut self, data: &[u8]) {
        let pos = self.buf.len();
        self.insert_at(pos, data);
    }

    /// Grows the buffer for `extra` more bytes, by at most an eighth of its size beyond that,
    /// so a full node wastes little.
    fn reserve(&mut self, extra: usize) {
        let need = self.buf.len() + extra;
        if need > self.buf.capacity() {
            let slack = (self.buf.len() / 8).max(16);
            self.buf.reserve_exact(extra + slack);
        }
    }

    /// Removes entries `from..from + n` (entry indexes).
    fn remove_entries(&mut self, from: usize, n: usize) {
        if n == 0 {
            return;
        }
        let start = self.offset(from);
        let mut end = start;
        for _ in 0..n {
            end = self.entry(end).1;
        }
        self.buf.drain(start..end);
        self.count -= n as u32;
        self.maybe_shrink();
    }

    /// Releases capacity after large removals.
    fn maybe_shrink(&mut self) {
        if self.buf.capacity() > 64 && self.buf.len() < self.buf.capacity() / 2 {
            self.buf.shrink_to(self.buf.len() + self.buf.len() / 4);
        }
    }

    /// Whether one more entry of `len` bytes may join this node under `fill`.
    fn accepts(&self, len: usize, fill: i64) -> bool {
        if self.count == 0 {
            return true;
        }
        let (max_bytes, max_count) = limits(fill);
        self.buf.len() + entry_size(len) <= max_bytes && (self.count as usize) < max_count
    }

    /// Whether this node is over the limits while holding more than one entry (so splitting
    /// helps).
    fn overfull(&self, fill: i64) -> bool {
        let (max_bytes, max_count) = limits(fill);
        self.count > 1 && (self.buf.len() > max_bytes || self.count as usize > max_count)
    }

    /// Splits off the second half of the entries into a new node.
    fn split(&mut self) -> Node {
        let keep = self.count as usize / 2;
        let at = self.offset(keep);
        let tail = Node {
            buf: self.buf[at..].to_vec(),
            count: self.count - keep as u32,
        };
        self.buf.truncate(at);
        self.count = keep as u32;
        self.maybe_shrink();
        tail
    }

    fn heap_size(&self) -> usize {
        self.buf.capacity()
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Repr {
    /// A single node held inline: Redis's listpack stage.
    Pack(Node),
    /// A deque of nodes, none of them empty: Redis's quicklist.
    Quick(VecDeque<Node>),
}

/// A list value.
#[derive(Clone, Debug, PartialEq)]
pub struct List {
    repr: Repr,
    len: usize,
}

impl Default for List {
    fn default() -> Self {
        List::new()
    }
}

impl List {
    pub fn new() -> List {
        List {
            repr: Repr::Pack(Node::default()),
            len: 0,
        }
    }

    /// The OBJECT ENCODING name: Redis 7.0 reports every list as `quicklist`.
    pub fn encoding(&self) -> &'static str {
        "quicklist"
    }

    /// Whether the list has outgrown its single packed node.
    pub fn is_quicklist(&self) -> bool {
        matches!(self.repr, Repr::Quick(_))
    }

    /// Bytes held on the heap (for memory accounting).
    pub fn heap_size(&self) -> usize {
        match &self.repr {
            Repr::Pack(n) => n.heap_size(),
            Repr::Quick(nodes) => {
                nodes.capacity() * std::mem::size_of::<Node>()
                    + nodes.iter().map(Node::heap_size).sum::<usize>()
            }
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    // ----- node access shared by both representations -----

    fn node_count(&self) -> usize {
        match &self.repr {
            Repr::Pack(_) => 1,
            Repr::Quick(nodes) => nodes.len(),
        }
    }

    fn node(&self, i: usize) -> &Node {
        match &self.repr {
            Repr::Pack(n) => n,
            Repr::Quick(nodes) => &nodes[i],
        }
    }

    fn node_mut(&mut self, i: usize) -> &mut Node {
        match &mut self.repr {
            Repr::Pack(n) => n,
            Repr::Quick(nodes) => &mut nodes[i],
        }
    }

    /// Inserts `node` at position `i` (clamped), turning a packed list into a quicklist.
    fn insert_node(&mut self, i: usize, node: Node) {
        if let Repr::Pack(only) = &mut self.repr {
            let only = std::mem::take(only);
            let mut nodes = VecDeque::with_capacity(2);
            if only.count > 0 {
                nodes.push_back(only);
            }
            self.repr = Repr::Quick(nodes);
        }
        if let Repr::Quick(nodes) = &mut self.repr {
            nodes.insert(i.min(nodes.len()), node);
        }
    }

    /// Drops node `i` once it is empty (a packed list keeps its one node).
    fn drop_if_empty(&mut self, i: usize) {
        if let Repr::Quick(nodes) = &mut self.repr {
            if nodes[i].count == 0 {
                nodes.remove(i);
            }
        }
    }

    /// Splits node `i` while it is over the limits.
    fn split_if_overfull(&mut self, i: usize, fill: i64) {
        if self.node(i).overfull(fill) {
            let tail = self.node_mut(i).split();
            self.insert_node(i + 1, tail);
            // A half may still be over when one entry is huge; halves shrink quickly.
            self.split_if_overfull(i + 1, fill);
            self.split_if_overfull(i, fill);
        }
    }

    /// The node holding element `index` (< len) and the element's index inside it.
    fn locate(&self, index: usize) -> (usize, usize) {
        let n = self.node_count();
        if index < self.len / 2 {
            let mut rest = index;
            for i in 0..n {
                let c = self.node(i).count as usize;
                if rest < c {
                    return (i, rest);
                }
                rest -= c;
            }
        } else {
            let mut from_end = self.len - index; // >= 1
            for i in (0..n).rev() {
                let c = self.node(i).count as usize;
                if from_end <= c {
                    return (i, c - from_end);
                }
                from_end -= c;
            }
        }
        (n.saturating_sub(1), 0)
    }

    // ----- operations -----

    /// Adds `data` at `end`. `fill` is `list-max-listpack-size`.
    pub fn push(&mut self, end: End, data: &[u8], fill: i64) {
        let n = self.node_count();
        let target = if n == 0 {
            None
        } else {
            let i = if end == End::Head { 0 } else { n - 1 };
            self.node(i).accepts(data.len(), fill).then_some(i)
        };
        match target {
            Some(i) => {
                let node = self.node_mut(i);
                match end {
                    End::Head => node.insert_at(0, data),
                    End::Tail => node.push_back(data),
                }
            }
            None => {
                let mut node = Node::default();
                node.push_back(data);
                let at = if end == End::Head { 0 } else { usize::MAX };
                self.insert_node(at, node);
            }
        }
        self.len += 1;
    }

    /// Removes and returns the element at `end`.
    pub fn pop(&mut self, end: End) -> Option<Vec<u8>> {
        if self.len == 0 {
            return None;
        }
        let i = if end == End::Head {
            0
        } else {
            self.node_count() - 1
        };
        let node = self.node_mut(i);
        let value = match end {
            End::Head => {
                let (data, next) = node.entry(0);
                let value = data.to_vec();
                node.buf.drain(..next);
                value
            }
            End::Tail => {
                let (start, data, len) = node.read_before(node.buf.len());
                let value = node.buf[data..data + len].to_vec();
                node.buf.truncate(start);
                value
            }
        };
        node.count -= 1;
        node.maybe_shrink();
        self.drop_if_empty(i);
        self.len -= 1;
        Some(value)
    }

    /// The element at `index` (from the head, 0-based).
    pub fn get(&self, index: usize) -> Option<&[u8]> {
        if index >= self.len {
            return None;
        }
        let (i, local) = self.locate(index);
        let node = self.node(i);
        Some(node.entry(node.offset(local)).0)
    }

    /// Replaces the element at `index`; false when out of range.
    pub fn set(&mut self, index: usize, data: &[u8], fill: i64) -> bool {
        if index >= self.len {
            return false;
        }
        let (i, local) = self.locate(index);
        let node = self.node_mut(i);
        let pos = node.offset(local);
        let (_, next) = node.entry(pos);
        let size = entry_size(data.len());
        if size > next - pos {
            node.reserve(size - (next - pos));
        }
        let mut entry = vec![0u8; size];
        encode_entry(&mut entry, data);
        node.buf.splice(pos..next, entry);
        node.maybe_shrink();
        self.split_if_overfull(i, fill);
        true
    }

    /// Inserts `data` so that it becomes element `index` (`index >= len` appends).
    pub fn insert(&mut self, index: usize, data: &[u8], fill: i64) {
        if index == 0 {
            return self.push(End::Head, data, fill);
        }
        if index >= self.len {
            return self.push(End::Tail, data, fill);
        }
        let (i, local) = self.locate(index);
        let node = self.node_mut(i);
        let pos = node.offset(local);
        node.insert_at(pos, data);
        self.len += 1;
        self.split_if_overfull(i, fill);
    }

    /// Index of the first element equal to `value`.
    pub fn find(&self, value: &[u8]) -> Option<usize> {
        self.iter_from(0).position(|e| e == value)
    }

    /// Elements from `index` towards the tail.
    pub fn iter_from(&self, index: usize) -> Iter<'_> {
        if index >= self.len {
            return Iter {
                list: self,
                node: self.node_count(),
                pos: 0,
            };
        }
        let (i, local) = self.locate(index);
        Iter {
            list: self,
            node: i,
            pos: self.node(i).offset(local),
        }
    }

    /// Elements from `index` (clamped to the last) towards the head.
    pub fn iter_rev_from(&self, index: usize) -> RevIter<'_> {
        if self.len == 0 {
            return RevIter {
                list: self,
                node: 0,
                end: 0,
            };
        }
        let index = index.min(self.len - 1);
        let (i, local) = self.locate(index);
        let node = self.node(i);
        let pos = node.offset(local);
        RevIter {
            list: self,
            node: i,
            end: node.entry(pos).1,
        }
    }

    /// Removes `count` elements starting at `start` (clamped to the list).
    pub fn remove_range(&mut self, start: usize, count: usize) {
        if start >= self.len || count == 0 {
            return;
        }
        let mut left = count.min(self.len - start);
        let (mut i, mut local) = self.locate(start);
        self.len -= left;
        while left > 0 && i < self.node_count() {
            let c = self.node(i).count as usize;
            let n = left.min(c - local);
            if local == 0 && n == c {
                // The whole node goes.
                let node = self.node_mut(i);
                node.buf = Vec::new();
                node.count = 0;
            } else {
                self.node_mut(i).remove_entries(local, n);
            }
            left -= n;
            if self.node(i).count == 0 && self.is_quicklist() {
                self.drop_if_empty(i);
            } else {
                i += 1;
            }
            local = 0;
        }
    }

    /// Removes elements equal to `value`: at most `limit` of them (0 = all), scanning from
    /// the tail when `from_tail`. Returns how many were removed.
    pub fn remove_matching(&mut self, value: &[u8], limit: usize, from_tail: bool) -> usize {
        let mut removed = 0;
        let n = self.node_count();
        let mut emptied = Vec::new();
        for k in 0..n {
            if limit != 0 && removed >= limit {
                break;
            }
            let i = if from_tail { n - 1 - k } else { k };
            let node = self.node_mut(i);
            let room = |found: usize| limit == 0 || removed + found < limit;
            // Byte ranges of the matching entries, in buffer order.
            let mut ranges: Vec<(usize, usize)> = Vec::new();
            if from_tail {
                let mut end = node.buf.len();
                while end > 0 && room(ranges.len()) {
                    let (start, data, len) = node.read_before(end);
                    if &node.buf[data..data + len] == value {
                        ranges.push((start, end));
                    }
                    end = start;
                }
                ranges.reverse();
            } else {
                let mut pos = 0;
                while pos < node.buf.len() && room(ranges.len()) {
                    let (data, next) = node.entry(pos);
                    if data == value {
                        ranges.push((pos, next));
                    }
                    pos = next;
                }
            }
            if ranges.is_empty() {
                continue;
            }
            let mut kept = Vec::with_capacity(node.buf.len());
            let mut from = 0;
            for &(s, e) in &ranges {
                kept.extend_from_slice(&node.buf[from..s]);
                from = e;
            }
            kept.extend_from_slice(&node.buf[from..]);
            node.buf = kept;
            node.count -= ranges.len() as u32;
            node.maybe_shrink();
            removed += ranges.len();
            if node.count == 0 {
                emptied.push(i);
            }
        }
        // Drop emptied nodes from the highest index down so the others keep their positions.
        emptied.sort_unstable();
        for &i in emptied.iter().rev() {
            self.drop_if_empty(i);
        }
        self.len -= removed;
        removed
    }
}

/// Forward iterator over a list's elements.
pub struct Iter<'a> {
    list: &'a List,
    node: usize,
    pos: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let n = self.list.node_count();
        while self.node < n && self.pos >= self.list.node(self.node).buf.len() {
            self.node += 1;
            self.pos = 0;
        }
        if self.node >= n {
            return None;
        }
        let (data, next) = self.list.node(self.node).entry(self.pos);
        self.pos = next;
        Some(data)
    }
}

/// Backward iterator over a list's elements.
pub struct RevIter<'a> {
    list: &'a List,
    node: usize,
    /// End (exclusive) of the next entry to yield in `node`; 0 = move to the previous node.
    end: usize,
}

impl<'a> Iterator for RevIter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        while self.end == 0 {
            if self.node == 0 {
                return None;
            }
            self.node -= 1;
            self.end = self.list.node(self.node).buf.len();
        }
        let node = self.list.node(self.node);
        let (start, data, len) = node.read_before(self.end);
        self.end = start;
        Some(&node.buf[data..data + len])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks the packed list against a plain model.
    fn check(list: &List, model: &VecDeque<Vec<u8>>) {
        assert_eq!(list.len(), model.len());
        let fwd: Vec<&[u8]> = list.iter_from(0).collect();
        let want: Vec<&[u8]> = model.iter().map(|v| v.as_slice()).collect();
        assert_eq!(fwd, want);
        if !model.is_empty() {
            let mut rev: Vec<&[u8]> = list.iter_rev_from(model.len() - 1).collect();
            rev.reverse();
            assert_eq!(rev, want);
        }
        for (i, v) in model.iter().enumerate() {
            assert_eq!(list.get(i), Some(v.as_slice()), "index {i}");
        }
        let counted: usize = (0..list.node_count())
            .map(|i| list.node(i).count as usize)
            .sum();
        assert_eq!(counted, model.len());
        if list.is_quicklist() {
            for i in 0..list.node_count() {
                assert!(list.node(i).count > 0, "empty node in quicklist");
            }
        }
    }

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    fn value(rng: &mut Rng) -> Vec<u8> {
        let len = match rng.below(10) {
            0 => 200 + rng.below(3000),
            1 => 0,
            _ => rng.below(3),
        };
        (0..len).map(|_| b'a' + rng.below(2) as u8).collect()
    }

    #[test]
    fn varints_round_trip() {
        for len in [0usize, 1, 127, 128, 300, 16383, 16384, 1 << 21] {
            let data = vec![7u8; len];
            let mut node = Node::default();
            node.push_back(b"x");
            node.push_back(&data);
            node.push_back(b"yz");
            assert_eq!(node.entry(node.offset(1)).0, data.as_slice());
            let (start, d, l) = node.read_before(node.offset(2));
            assert_eq!((start, l), (node.offset(1), len));
            assert_eq!(&node.buf[d..d + l], data.as_slice());
        }
    }

    #[test]
    fn random_operations_match_a_model() {
        for (seed, fill) in [(1u64, -2i64), (2, 5), (3, -1), (4, 1), (5, 0), (6, -5)] {
            let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
            let mut list = List::new();
            let mut model: VecDeque<Vec<u8>> = VecDeque::new();
            for step in 0..4000 {
                let v = value(&mut rng);
                match rng.below(10) {
                    0 | 1 => {
                        list.push(End::Head, &v, fill);
                        model.push_front(v);
                    }
                    2 | 3 => {
                        list.push(End::Tail, &v, fill);
                        model.push_back(v);
                    }
                    4 => assert_eq!(list.pop(End::Head), model.pop_front()),
                    5 => assert_eq!(list.pop(End::Tail), model.pop_back()),
                    6 if !model.is_empty() => {
                        let i = rng.below(model.len());
                        assert!(list.set(i, &v, fill));
                        model[i] = v;
                    }
                    7 => {
                        let i = rng.below(model.len() + 1);
                        list.insert(i, &v, fill);
                        model.insert(i, v);
                    }
                    8 if !model.is_empty() && step % 3 == 0 => {
                        let s = rng.below(model.len());
                        let c = rng.below(model.len() + 2);
                        list.remove_range(s, c);
                        let c = c.min(model.len() - s);
                        model.drain(s..s + c);
                    }
                    9 => {
                        let target: Vec<u8> = vec![b'a'; rng.below(3)];
                        let limit = rng.below(4);
                        let tail = rng.below(2) == 0;
                        let removed = list.remove_matching(&target, limit, tail);
                        let mut want = 0;
                        if tail {
                            let mut i = model.len();
                            while i > 0 && (limit == 0 || want < limit) {
                                i -= 1;
                                if model[i] == target {
                                    model.remove(i);
                                    want += 1;
                                }
                            }
                        } else {
                            let mut i = 0;
                            while i < model.len() && (limit == 0 || want < limit) {
                                if model[i] == target {
                                    model.remove(i);
                                    want += 1;
                                } else {
                                    i += 1;
                                }
                            }
                        }
                        assert_eq!(removed, want);
                    }
                    _ => {}
                }
                if step % 7 == 0 {
                    check(&list, &model);
                }
            }
            check(&list, &model);
        }
    }

    #[test]
    fn small_lists_stay_packed_and_big_ones_split() {
        let mut list = List::new();
        for i in 0..100 {
            list.push(End::Tail, format!("{i}").as_bytes(), -2);
        }
        assert!(!list.is_quicklist());
        for i in 0..10_000 {
            list.push(End::Tail, format!("element-{i}").as_bytes(), -2);
        }
        assert!(list.is_quicklist());
        for i in 0..list.node_count() {
            assert!(list.node(i).buf.len() <= 8192);
        }
        assert_eq!(list.encoding(), "quicklist");
    }
}
