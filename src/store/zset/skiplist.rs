//! The full encoding of a sorted set (`skiplist` in OBJECT ENCODING).
//!
//! Choice of structure: a skip list with spans (Pugh's skip list as Redis's `zskiplist`
//! extends it: every forward link records how many level-0 steps it jumps), plus a
//! member → node hash index.
//!
//! - Spans give O(log n) rank queries (ZRANK), element-by-rank (ZRANGE), and counting of a
//!   score or lex range (ZCOUNT, ZLEXCOUNT) without walking it; level-0 links (and the
//!   backward link) walk a range in order from either end (ZRANGE … REV) in O(1) per element.
//! - Nodes live in an arena (`Vec<Option<Node>>`) and link by `u32` index, which keeps links
//!   at 4 bytes and avoids unsafe pointer juggling. A node keeps its arena index from
//!   insertion to removal (a score update relinks the same node), so ZSCAN's cursor is
//!   simply an arena index: an element present during the whole scan sits at one index the
//!   whole time and is returned exactly once, and each call visits O(COUNT) slots.
//! - The member index is a `hashbrown::HashTable<u32>` of arena indices: the member bytes are
//!   stored once, in the node.
//! - Level 0 of every node is stored inline; the (rare, p = 1/4) higher levels in a boxed
//!   slice, so most nodes cost no allocation beyond their member when it is short.
//!
//! An order-statistic B-tree would be more cache friendly, but its rebalancing on delete is
//! far more code for the same asymptotic bounds; the skip list is also what Redis uses, so
//! range semantics map one to one onto `zslFirstInRange`/`zslDeleteRangeByRank` & co.

use std::hash::BuildHasher;

use hashbrown::HashTable;

use crate::store::bytes::SmallBytes;

/// Redis's ZSKIPLIST_MAXLEVEL.
const MAX_LEVEL: usize = 32;
/// "No node".
pub const NIL: u32 = u32::MAX;
/// The header (not stored in the arena).
const HEAD: u32 = u32::MAX - 1;

#[derive(Clone, Copy, Debug, Default)]
struct Level {
    forward: u32,
    span: u32,
}

const EMPTY_LEVEL: Level = Level {
    forward: NIL,
    span: 0,
};

#[derive(Clone, Debug)]
struct Node {
    member: SmallBytes,
    score: f64,
    backward: u32,
    level0: Level,
    upper: Box<[Level]>,
}

impl Node {
    #[cfg(test)]
    fn height(&self) -> usize {
        1 + self.upper.len()
    }

    /// Whether this node sorts before `(score, member)`.
    #[inline]
    fn before(&self, score: f64, member: &[u8]) -> bool {
        self.score < score || (self.score == score && self.member.as_slice() < member)
    }
}

#[derive(Clone)]
pub struct SkipList {
    head: [Level; MAX_LEVEL],
    level: usize,
    len: usize,
    tail: u32,
    nodes: Vec<Option<Node>>,
    free: Vec<u32>,
    index: HashTable<u32>,
    hasher: hashbrown::DefaultHashBuilder,
    rng: u64,
}

impl Default for SkipList {
    fn default() -> Self {
        SkipList::new()
    }
}

impl SkipList {
    pub fn new() -> SkipList {
        SkipList {
            head: [EMPTY_LEVEL; MAX_LEVEL],
            level: 1,
            len: 0,
            tail: NIL,
            nodes: Vec::new(),
            free: Vec::new(),
            index: HashTable::new(),
            hasher: hashbrown::DefaultHashBuilder::default(),
            rng: 0x2545_f491_4f6c_dd1d,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn node(&self, x: u32) -> &Node {
        self.nodes[x as usize]
            .as_ref()
            .expect("skip list links only live nodes")
    }

    fn node_mut(&mut self, x: u32) -> &mut Node {
        self.nodes[x as usize]
            .as_mut()
            .expect("skip list links only live nodes")
    }

    #[inline]
    fn lvl(&self, x: u32, i: usize) -> Level {
        if x == HEAD {
            self.head[i]
        } else {
            let n = self.node(x);
            if i == 0 {
                n.level0
            } else {
                n.upper[i - 1]
            }
        }
    }

    #[inline]
    fn lvl_mut(&mut self, x: u32, i: usize) -> &mut Level {
        if x == HEAD {
            &mut self.head[i]
        } else {
            let n = self.node_mut(x);
            if i == 0 {
                &mut n.level0
            } else {
                &mut n.upper[i - 1]
            }
        }
    }

    /// Member and score of a live node.
    pub fn entry(&self, x: u32) -> (&[u8], f64) {
        let n = self.node(x);
        (n.member.as_slice(), n.score)
    }

    pub fn next(&self, x: u32) -> u32 {
        self.node(x).level0.forward
    }

    pub fn prev(&self, x: u32) -> u32 {
        self.node(x).backward
    }

    pub fn first(&self) -> u32 {
        self.head[0].forward
    }

    fn random_level(&mut self) -> usize {
        let mut level = 1;
        loop {
            // xorshift64*
            self.rng ^= self.rng >> 12;
            self.rng ^= self.rng << 25;
            self.rng ^= self.rng >> 27;
            let r = self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32;
            // Redis: while ((random() & 0xFFFF) < ZSKIPLIST_P * 0xFFFF), P = 0.25.
            if (r & 0xFFFF) < 0x3FFF && level < MAX_LEVEL {
                level += 1;
            } else {
                return level;
            }
        }
    }

    fn hash(&self, member: &[u8]) -> u64 {
        self.hasher.hash_one(member)
    }

    /// Arena index of `member`.
    pub fn find(&self, member: &[u8]) -> Option<u32> {
        let h = self.hash(member);
        let nodes = &self.nodes;
        self.index
            .find(h, |&i| {
                nodes[i as usize]
                    .as_ref()
                    .is_some_and(|n| n.member.as_slice() == member)
            })
            .copied()
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.find(member).map(|x| self.node(x).score)
    }

    /// Inserts a member that is not present.
    pub fn insert(&mut self, member: &[u8], score: f64) {
        let node = Node {
            member: SmallBytes::new(member),
            score,
            backward: NIL,
            level0: EMPTY_LEVEL,
            upper: Box::new([]),
        };
        let idx = match self.free.pop() {
            Some(i) => {
                self.nodes[i as usize] = Some(node);
                i
            }
            None => {
                self.nodes.push(Some(node));
                (self.nodes.len() - 1) as u32
            }
        };
        self.link(idx);
        let h = self.hash(member);
        let (nodes, hasher) = (&self.nodes, &self.hasher);
        self.index.insert_unique(h, idx, |&i| {
            hasher.hash_one(
                nodes[i as usize]
                    .as_ref()
                    .map_or(&[][..], |n| n.member.as_slice()),
            )
        });
    }

    /// Links the (unlinked) node `idx` at the place its score and member sort to, with a
    /// fresh random height.
    fn link(&mut self, idx: u32) {
        let mut update = [HEAD; MAX_LEVEL];
        let mut rank = [0u32; MAX_LEVEL];
        let (score, member) = {
            let n = self.node(idx);
            (n.score, n.member.clone())
        };
        let member = member.as_slice();
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            rank[i] = if i == self.level - 1 { 0 } else { rank[i + 1] };
            loop {
                let l = self.lvl(x, i);
                if l.forward != NIL && self.node(l.forward).before(score, member) {
                    rank[i] += l.span;
                    x = l.forward;
                } else {
                    break;
                }
            }
            update[i] = x;
        }
        let height = self.random_level();
        if height > self.level {
            for i in self.level..height {
                rank[i] = 0;
                update[i] = HEAD;
                self.head[i].span = self.len as u32;
            }
            self.level = height;
        }
        {
            let n = self.node_mut(idx);
            n.level0 = EMPTY_LEVEL;
            n.upper = vec![EMPTY_LEVEL; height - 1].into_boxed_slice();
        }
        for i in 0..height {
            let u = self.lvl(update[i], i);
            *self.lvl_mut(idx, i) = Level {
                forward: u.forward,
                span: u.span - (rank[0] - rank[i]),
            };
            *self.lvl_mut(update[i], i) = Level {
                forward: idx,
                span: rank[0] - rank[i] + 1,
            };
        }
        for (i, &u) in update.iter().enumerate().take(self.level).skip(height) {
            self.lvl_mut(u, i).span += 1;
        }
        let back = if update[0] == HEAD { NIL } else { update[0] };
        self.node_mut(idx).backward = back;
        let f0 = self.node(idx).level0.forward;
        if f0 != NIL {
            self.node_mut(f0).backward = idx;
        } else {
            self.tail = idx;
        }
        self.len += 1;
    }

    /// The update vector for the node `idx` (the last node before it on every level).
    fn path_to(&self, idx: u32) -> [u32; MAX_LEVEL] {
        let (score, member) = {
            let n = self.node(idx);
            (n.score, n.member.as_slice())
        };
        let mut update = [HEAD; MAX_LEVEL];
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let f = self.lvl(x, i).forward;
                if f != NIL && f != idx && self.node(f).before(score, member) {
                    x = f;
                } else {
                    break;
                }
            }
            update[i] = x;
        }
        update
    }

    /// Unlinks `x` from every level (the node stays in the arena and the index).
    fn unlink(&mut self, x: u32, update: &[u32; MAX_LEVEL]) {
        for (i, &u) in update.iter().enumerate().take(self.level) {
            let ul = self.lvl(u, i);
            if ul.forward == x {
                let xl = self.lvl(x, i);
                *self.lvl_mut(u, i) = Level {
                    forward: xl.forward,
                    span: ul.span + xl.span - 1,
                };
            } else {
                self.lvl_mut(u, i).span -= 1;
            }
        }
        let (f0, back) = {
            let n = self.node(x);
            (n.level0.forward, n.backward)
        };
        if f0 != NIL {
            self.node_mut(f0).backward = back;
        } else {
            self.tail = back;
        }
        while self.level > 1 && self.head[self.level - 1].forward == NIL {
            self.level -= 1;
        }
        self.len -= 1;
    }

    /// Drops an unlinked node from the index and the arena.
    fn release(&mut self, x: u32) {
        let h = self.hash(self.node(x).member.as_slice());
        if let Ok(e) = self.index.find_entry(h, |&i| i == x) {
            e.remove();
        }
        self.nodes[x as usize] = None;
        self.free.push(x);
    }

    /// Removes `member`; returns its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let x = self.find(member)?;
        let score = self.node(x).score;
        let update = self.path_to(x);
        self.unlink(x, &update);
        self.release(x);
        Some(score)
    }

    /// Changes the score of a present member.
    pub fn set_score(&mut self, member: &[u8], score: f64) {
        let Some(x) = self.find(member) else {
            return;
        };
        // Like zslUpdateScore: stay in place when the order does not change.
        let (back, fwd) = {
            let n = self.node(x);
            (n.backward, n.level0.forward)
        };
        let m = self.node(x).member.clone();
        let stays = (back == NIL || self.node(back).before(score, m.as_slice()))
            && (fwd == NIL || {
                let f = self.node(fwd);
                score < f.score || (score == f.score && m.as_slice() < f.member.as_slice())
            });
        if stays {
            self.node_mut(x).score = score;
            return;
        }
        let update = self.path_to(x);
        self.unlink(x, &update);
        self.node_mut(x).score = score;
        self.link(x);
    }

    /// 0-based rank of `member`.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        let idx = self.find(member)?;
        let (score, member) = {
            let n = self.node(idx);
            (n.score, n.member.as_slice())
        };
        let mut x = HEAD;
        let mut rank = 0usize;
        for i in (0..self.level).rev() {
            loop {
                let l = self.lvl(x, i);
                if l.forward == NIL {
                    break;
                }
                let f = self.node(l.forward);
                if f.score < score || (f.score == score && f.member.as_slice() <= member) {
                    rank += l.span as usize;
                    x = l.forward;
                } else {
                    break;
                }
            }
            if x == idx {
                return Some(rank - 1);
            }
        }
        None
    }

    /// How many elements, from the first, satisfy `pred` (which must hold for a prefix of
    /// the order and fail for the rest).
    pub fn count_while(&self, pred: impl Fn(f64, &[u8]) -> bool) -> usize {
        let mut x = HEAD;
        let mut rank = 0usize;
        for i in (0..self.level).rev() {
            loop {
                let l = self.lvl(x, i);
                if l.forward == NIL {
                    break;
                }
                let f = self.node(l.forward);
                if pred(f.score, f.member.as_slice()) {
                    rank += l.span as usize;
                    x = l.forward;
                } else {
                    break;
                }
            }
        }
        rank
    }

    /// Node of 0-based `rank`, or NIL.
    pub fn by_rank(&self, rank: usize) -> u32 {
        if rank >= self.len {
            return NIL;
        }
        let target = rank + 1;
        let mut x = HEAD;
        let mut traversed = 0usize;
        for i in (0..self.level).rev() {
            loop {
                let l = self.lvl(x, i);
                if l.forward != NIL && traversed + l.span as usize <= target {
                    traversed += l.span as usize;
                    x = l.forward;
                } else {
                    break;
                }
            }
            if traversed == target {
                return x;
            }
        }
        NIL
    }

    /// Removes the elements of 0-based ranks `lo..hi`; returns how many.
    pub fn remove_ranks(&mut self, lo: usize, hi: usize) -> usize {
        let hi = hi.min(self.len);
        if lo >= hi {
            return 0;
        }
        let start = lo + 1;
        let mut update = [HEAD; MAX_LEVEL];
        let mut x = HEAD;
        let mut traversed = 0usize;
        for i in (0..self.level).rev() {
            loop {
                let l = self.lvl(x, i);
                if l.forward != NIL && traversed + (l.span as usize) < start {
                    traversed += l.span as usize;
                    x = l.forward;
                } else {
                    break;
                }
            }
            update[i] = x;
        }
        let mut x = self.lvl(x, 0).forward;
        let mut removed = 0;
        while x != NIL && removed < hi - lo {
            let next = self.node(x).level0.forward;
            self.unlink(x, &update);
            self.release(x);
            removed += 1;
            x = next;
        }
        removed
    }

    pub fn last(&self) -> u32 {
        self.tail
    }

    /// ZSCAN step: calls `f` for the live nodes in arena slots from `cursor` on, until
    /// `count` were seen; returns the next cursor (0 at the end).
    pub fn scan<'a>(&'a self, cursor: u64, count: usize, mut f: impl FnMut(&'a [u8], f64)) -> u64 {
        let mut i = usize::try_from(cursor).unwrap_or(usize::MAX);
        let mut seen = 0;
        while i < self.nodes.len() && seen < count {
            if let Some(n) = &self.nodes[i] {
                f(n.member.as_slice(), n.score);
                seen += 1;
            }
            i += 1;
        }
        if i >= self.nodes.len() {
            0
        } else {
            i as u64
        }
    }

    pub fn heap_size(&self) -> usize {
        let node = std::mem::size_of::<Option<Node>>();
        let mut total = self.nodes.capacity() * node
            + self.free.capacity() * 4
            + self.index.capacity() * (std::mem::size_of::<u32>() + 1);
        for n in self.nodes.iter().flatten() {
            total += n.member.heap_size() + n.upper.len() * std::mem::size_of::<Level>();
        }
        total
    }

    /// Checks every invariant (tests only).
    #[cfg(test)]
    pub fn check(&self) {
        let mut x = self.first();
        let mut prev = NIL;
        let mut n = 0;
        while x != NIL {
            let node = self.node(x);
            assert_eq!(node.backward, prev);
            if prev != NIL {
                let p = self.node(prev);
                assert!(p.before(node.score, node.member.as_slice()));
            }
            assert_eq!(self.find(node.member.as_slice()), Some(x));
            assert_eq!(self.rank(node.member.as_slice()), Some(n));
            assert_eq!(self.by_rank(n), x);
            assert!(node.height() <= self.level);
            prev = x;
            x = node.level0.forward;
            n += 1;
        }
        assert_eq!(self.tail, prev);
        assert_eq!(n, self.len);
        assert_eq!(self.index.len(), self.len);
        // Spans: the sum along each level reaches len.
        for i in 0..self.level {
            let mut x = HEAD;
            let mut total = 0usize;
            while self.lvl(x, i).forward != NIL {
                total += self.lvl(x, i).span as usize;
                x = self.lvl(x, i).forward;
            }
            assert_eq!(total, self.by_rank_pos(x), "level {i}");
        }
    }

    #[cfg(test)]
    fn by_rank_pos(&self, x: u32) -> usize {
        if x == HEAD {
            0
        } else {
            self.rank(self.node(x).member.as_slice())
                .map_or(0, |r| r + 1)
        }
    }
}
