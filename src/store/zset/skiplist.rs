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
//! - A node's levels (its "tower") live apart from the node, in a second arena of 16-byte
//!   [`Level`]s, and forward links point at towers, not nodes. Each link also caches the
//!   score of the node it leads to. A descent therefore decides every step from the link it
//!   already holds and, when it steps, reads only the next tower: one cache line per step, as
//!   Redis's node with its inline level array (the node itself is read only on a score tie,
//!   to compare members). Invariant: every link's `score` equals the score of the node owning
//!   its `forward` tower; whatever changes a node's score or relinks it rewrites those links.
//! - A tower keeps its height for the node's whole life (a score update relinks the same
//!   tower), and freed towers are reused by height, so updates allocate nothing.
//!
//! An order-statistic B-tree would be more cache friendly, but its rebalancing on delete is
//! far more code for the same asymptotic bounds; the skip list is also what Redis uses, so
//! range semantics map one to one onto `zslFirstInRange`/`zslDeleteRangeByRank` & co.

use std::hash::BuildHasher;

use hashbrown::HashTable;

use crate::store::bytes::SmallBytes;

/// Redis's ZSKIPLIST_MAXLEVEL.
const MAX_LEVEL: usize = 32;
/// "No node" (as an arena index) and "no tower" (as a link).
pub const NIL: u32 = u32::MAX;
/// The header's tower: offset 0 of the tower arena, `MAX_LEVEL` high, never freed.
const HEAD: u32 = 0;

/// One level of a tower. In a tower's first slot (its header) the fields mean something else:
/// `forward` is the owning node's arena index (NIL for the list header) and `span` the height.
#[derive(Clone, Copy, Debug)]
struct Level {
    /// Tower of the next node on this level, or NIL.
    forward: u32,
    span: u32,
    /// Score of the node `forward` leads to (meaningless when `forward` is NIL).
    score: f64,
}

const EMPTY_LEVEL: Level = Level {
    forward: NIL,
    span: 0,
    score: 0.0,
};

#[derive(Clone, Debug)]
struct Node {
    member: SmallBytes,
    score: f64,
    /// Arena index of the previous node, or NIL.
    backward: u32,
    tower: u32,
}

impl Node {
    /// Whether this node sorts before `(score, member)`.
    #[inline]
    fn before(&self, score: f64, member: &[u8]) -> bool {
        self.score < score || (self.score == score && self.member.as_slice() < member)
    }
}

#[derive(Clone)]
pub struct SkipList {
    level: usize,
    len: usize,
    tail: u32,
    nodes: Vec<Option<Node>>,
    free: Vec<u32>,
    towers: Vec<Level>,
    /// Offsets of freed towers, by height.
    free_towers: Vec<Vec<u32>>,
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
        let mut towers = Vec::with_capacity(MAX_LEVEL + 1);
        towers.push(Level {
            forward: NIL,
            span: MAX_LEVEL as u32,
            score: 0.0,
        });
        towers.extend(std::iter::repeat_n(EMPTY_LEVEL, MAX_LEVEL));
        SkipList {
            level: 1,
            len: 0,
            tail: NIL,
            nodes: Vec::new(),
            free: Vec::new(),
            towers,
            free_towers: vec![Vec::new(); MAX_LEVEL + 1],
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

    /// Level `i` of tower `t`.
    #[inline]
    fn lv(&self, t: u32, i: usize) -> Level {
        self.towers[t as usize + 1 + i]
    }

    #[inline]
    fn lv_mut(&mut self, t: u32, i: usize) -> &mut Level {
        &mut self.towers[t as usize + 1 + i]
    }

    /// Arena index of the node owning tower `t` (NIL for the header).
    #[inline]
    fn owner(&self, t: u32) -> u32 {
        self.towers[t as usize].forward
    }

    fn height(&self, t: u32) -> usize {
        self.towers[t as usize].span as usize
    }

    /// Member of the node owning tower `t`.
    #[inline]
    fn member_at(&self, t: u32) -> &[u8] {
        self.node(self.owner(t)).member.as_slice()
    }

    /// Arena index of the node a link leads to, or NIL.
    #[inline]
    fn target(&self, t: u32) -> u32 {
        if t == NIL {
            NIL
        } else {
            self.owner(t)
        }
    }

    /// A tower of height `h` for node `owner`, its levels empty.
    fn alloc_tower(&mut self, owner: u32, h: usize) -> u32 {
        let header = Level {
            forward: owner,
            span: h as u32,
            score: 0.0,
        };
        if let Some(t) = self.free_towers[h].pop() {
            let at = t as usize;
            self.towers[at] = header;
            self.towers[at + 1..=at + h].fill(EMPTY_LEVEL);
            t
        } else {
            // Offsets stay below u32::MAX: that many 16-byte levels would not fit in memory.
            let t = self.towers.len() as u32;
            self.towers.push(header);
            self.towers.extend(std::iter::repeat_n(EMPTY_LEVEL, h));
            t
        }
    }

    fn free_tower(&mut self, t: u32) {
        let h = self.height(t);
        self.towers[t as usize].forward = NIL;
        self.free_towers[h].push(t);
    }

    /// Member and score of a live node.
    pub fn entry(&self, x: u32) -> (&[u8], f64) {
        let n = self.node(x);
        (n.member.as_slice(), n.score)
    }

    pub fn next(&self, x: u32) -> u32 {
        self.target(self.lv(self.node(x).tower, 0).forward)
    }

    pub fn prev(&self, x: u32) -> u32 {
        self.node(x).backward
    }

    pub fn first(&self) -> u32 {
        self.target(self.lv(HEAD, 0).forward)
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
        let idx = match self.free.pop() {
            Some(i) => i,
            None => {
                self.nodes.push(None);
                (self.nodes.len() - 1) as u32
            }
        };
        let h = self.random_level();
        let tower = self.alloc_tower(idx, h);
        self.nodes[idx as usize] = Some(Node {
            member: SmallBytes::new(member),
            score,
            backward: NIL,
            tower,
        });
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

    /// For every level below `self.level`: the last tower before `(score, member)`, and how
    /// many level-0 steps from the header it is.
    fn descend(&self, score: f64, member: &[u8]) -> ([u32; MAX_LEVEL], [u32; MAX_LEVEL]) {
        let mut update = [HEAD; MAX_LEVEL];
        let mut rank = [0u32; MAX_LEVEL];
        let mut t = HEAD;
        let mut r = 0u32;
        for i in (0..self.level).rev() {
            loop {
                let l = self.lv(t, i);
                if l.forward != NIL
                    && (l.score < score || (l.score == score && self.member_at(l.forward) < member))
                {
                    r += l.span;
                    t = l.forward;
                } else {
                    break;
                }
            }
            update[i] = t;
            rank[i] = r;
        }
        (update, rank)
    }

    /// Links the (unlinked) node `idx`, with the tower it has, at the place its score and
    /// member sort to.
    fn link(&mut self, idx: u32) {
        let (score, t) = {
            let n = self.node(idx);
            (n.score, n.tower)
        };
        let (mut update, mut rank) = {
            let n = self.node(idx);
            self.descend(n.score, n.member.as_slice())
        };
        let height = self.height(t);
        if height > self.level {
            for i in self.level..height {
                rank[i] = 0;
                update[i] = HEAD;
                self.lv_mut(HEAD, i).span = self.len as u32;
            }
            self.level = height;
        }
        for i in 0..height {
            let u = self.lv(update[i], i);
            let gap = rank[0] - rank[i];
            *self.lv_mut(t, i) = Level {
                forward: u.forward,
                span: u.span - gap,
                score: u.score,
            };
            *self.lv_mut(update[i], i) = Level {
                forward: t,
                span: gap + 1,
                score,
            };
        }
        for (i, &u) in update.iter().enumerate().take(self.level).skip(height) {
            self.lv_mut(u, i).span += 1;
        }
        let back = self.target(if update[0] == HEAD { NIL } else { update[0] });
        self.node_mut(idx).backward = back;
        let f0 = self.lv(t, 0).forward;
        if f0 != NIL {
            let o = self.owner(f0);
            self.node_mut(o).backward = idx;
        } else {
            self.tail = idx;
        }
        self.len += 1;
    }

    /// The update vector for the node `idx` (the last tower before it on every level).
    fn path_to(&self, idx: u32) -> [u32; MAX_LEVEL] {
        let n = self.node(idx);
        self.descend(n.score, n.member.as_slice()).0
    }

    /// Unlinks `x` from every level (the node stays in the arena and the index, and keeps
    /// its tower, whose levels are stale until the next `link`).
    fn unlink(&mut self, x: u32, update: &[u32; MAX_LEVEL]) {
        let t = self.node(x).tower;
        for (i, &u) in update.iter().enumerate().take(self.level) {
            let ul = self.lv(u, i);
            if ul.forward == t {
                let xl = self.lv(t, i);
                *self.lv_mut(u, i) = Level {
                    forward: xl.forward,
                    span: ul.span + xl.span - 1,
                    score: xl.score,
                };
            } else {
                self.lv_mut(u, i).span -= 1;
            }
        }
        let back = self.node(x).backward;
        let f0 = self.lv(t, 0).forward;
        if f0 != NIL {
            let o = self.owner(f0);
            self.node_mut(o).backward = back;
        } else {
            self.tail = back;
        }
        while self.level > 1 && self.lv(HEAD, self.level - 1).forward == NIL {
            self.level -= 1;
        }
        self.len -= 1;
    }

    /// Drops an unlinked node from the index, the tower arena and the node arena.
    fn release(&mut self, x: u32) {
        let h = self.hash(self.node(x).member.as_slice());
        if let Ok(e) = self.index.find_entry(h, |&i| i == x) {
            e.remove();
        }
        let t = self.node(x).tower;
        self.free_tower(t);
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
        let (t, back) = {
            let n = self.node(x);
            (n.tower, n.backward)
        };
        let f = self.lv(t, 0);
        // Like zslUpdateScore: stay in place when the order does not change.
        let stays = (back == NIL || self.node(back).before(score, member))
            && (f.forward == NIL
                || score < f.score
                || (score == f.score && member < self.member_at(f.forward)));
        if !stays {
            let update = self.path_to(x);
            self.unlink(x, &update);
            self.node_mut(x).score = score;
            self.link(x);
            return;
        }
        // In place: only the links into the node cache its score.
        if self.height(t) == 1 {
            let pred = if back == NIL {
                HEAD
            } else {
                self.node(back).tower
            };
            self.lv_mut(pred, 0).score = score;
        } else {
            let update = self.path_to(x);
            for (i, &u) in update.iter().enumerate().take(self.height(t)) {
                self.lv_mut(u, i).score = score;
            }
        }
        self.node_mut(x).score = score;
    }

    /// 0-based rank of `member`.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        let idx = self.find(member)?;
        let (score, member, target) = {
            let n = self.node(idx);
            (n.score, n.member.as_slice(), n.tower)
        };
        let mut t = HEAD;
        let mut rank = 0usize;
        for i in (0..self.level).rev() {
            loop {
                let l = self.lv(t, i);
                if l.forward != NIL
                    && (l.score < score
                        || (l.score == score && self.member_at(l.forward) <= member))
                {
                    rank += l.span as usize;
                    t = l.forward;
                } else {
                    break;
                }
            }
            if t == target {
                return Some(rank - 1);
            }
        }
        None
    }

    /// How many elements, from the first, satisfy `pred` (which must hold for a prefix of
    /// the order and fail for the rest).
    pub fn count_while(&self, pred: impl Fn(f64, &[u8]) -> bool) -> usize {
        let mut t = HEAD;
        let mut rank = 0usize;
        for i in (0..self.level).rev() {
            loop {
                let l = self.lv(t, i);
                if l.forward != NIL && pred(l.score, self.member_at(l.forward)) {
                    rank += l.span as usize;
                    t = l.forward;
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
        let mut t = HEAD;
        let mut traversed = 0usize;
        for i in (0..self.level).rev() {
            loop {
                let l = self.lv(t, i);
                if l.forward != NIL && traversed + l.span as usize <= target {
                    traversed += l.span as usize;
                    t = l.forward;
                } else {
                    break;
                }
            }
            if traversed == target {
                return self.owner(t);
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
        let mut t = HEAD;
        let mut traversed = 0usize;
        for i in (0..self.level).rev() {
            loop {
                let l = self.lv(t, i);
                if l.forward != NIL && traversed + (l.span as usize) < start {
                    traversed += l.span as usize;
                    t = l.forward;
                } else {
                    break;
                }
            }
            update[i] = t;
        }
        let mut t = self.lv(t, 0).forward;
        let mut removed = 0;
        while t != NIL && removed < hi - lo {
            let next = self.lv(t, 0).forward;
            let x = self.owner(t);
            self.unlink(x, &update);
            self.release(x);
            removed += 1;
            t = next;
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
            + self.towers.capacity() * std::mem::size_of::<Level>()
            + self
                .free_towers
                .iter()
                .map(|f| f.capacity() * 4)
                .sum::<usize>()
            + self.index.capacity() * (std::mem::size_of::<u32>() + 1);
        for n in self.nodes.iter().flatten() {
            total += n.member.heap_size();
        }
        total
    }

    /// Checks every invariant (tests only): order, backward links, the index, ranks, and on
    /// every level that spans add up and each link's cached score is its target's score.
    #[cfg(test)]
    pub fn check(&self) {
        use std::collections::HashMap;
        // Level-0 position (1-based) of every tower.
        let mut pos: HashMap<u32, usize> = HashMap::new();
        pos.insert(HEAD, 0);
        let mut x = self.first();
        let mut prev = NIL;
        let mut n = 0;
        while x != NIL {
            let node = self.node(x);
            assert_eq!(node.backward, prev);
            assert_eq!(self.owner(node.tower), x, "tower owner");
            if prev != NIL {
                let p = self.node(prev);
                assert!(p.before(node.score, node.member.as_slice()));
            }
            assert_eq!(self.find(node.member.as_slice()), Some(x));
            assert_eq!(self.rank(node.member.as_slice()), Some(n));
            assert_eq!(self.by_rank(n), x);
            assert!(self.height(node.tower) <= self.level);
            n += 1;
            pos.insert(node.tower, n);
            prev = x;
            x = self.next(x);
        }
        assert_eq!(self.tail, prev);
        assert_eq!(n, self.len);
        assert_eq!(self.index.len(), self.len);
        for i in 0..MAX_LEVEL {
            let mut t = HEAD;
            loop {
                let l = self.lv(t, i);
                if i >= self.level || l.forward == NIL {
                    break;
                }
                let target = self.node(self.owner(l.forward));
                assert_eq!(
                    l.score.to_bits(),
                    target.score.to_bits(),
                    "cached score, level {i}"
                );
                assert!(self.height(l.forward) > i, "link above a tower's top");
                assert_eq!(
                    pos[&t] + l.span as usize,
                    pos[&l.forward],
                    "span, level {i}"
                );
                t = l.forward;
            }
            if i >= self.level {
                assert_eq!(self.lv(HEAD, i).forward, NIL, "level {i} above the top");
            }
        }
        // Every live node's tower is reached on each of its levels.
        for (x, node) in self.nodes.iter().enumerate() {
            if let Some(node) = node {
                assert_eq!(self.owner(node.tower) as usize, x);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rng(state: &mut u64) -> u64 {
        *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn sort(model: &mut [(Vec<u8>, f64)]) {
        model.sort_by(|a, b| super::super::cmp_entry(a.1, &a.0, b.1, &b.0));
    }

    /// Mixed ZADD / ZINCRBY / ZREM / rank-range removals against a sorted Vec; after each
    /// batch the cached scores, spans and ranks are checked. Narrow score ranges make ties
    /// (member comparisons) and in-place updates frequent; wide ones make relinks frequent.
    #[test]
    fn cached_scores_stay_in_sync() {
        for (seed, members, scores) in [(1u64, 50u64, 4u64), (2, 400, 30), (3, 2000, 1_000_000)] {
            let mut st = seed;
            let mut sl = SkipList::new();
            let mut model: Vec<(Vec<u8>, f64)> = Vec::new();
            for step in 0..30_000 {
                let m = format!("m{}", rng(&mut st) % members).into_bytes();
                let s = (rng(&mut st) % scores) as f64;
                match rng(&mut st) % 10 {
                    0..=3 => {
                        if sl.score(&m).is_some() {
                            sl.set_score(&m, s);
                            model.retain(|e| e.0 != m);
                        } else {
                            sl.insert(&m, s);
                        }
                        model.push((m, s));
                    }
                    4..=6 => {
                        // ZINCRBY by a small step: the node often keeps its place.
                        let delta = (rng(&mut st) % 3) as f64 - 1.0;
                        if let Some(old) = sl.score(&m) {
                            sl.set_score(&m, old + delta);
                            model.retain(|e| e.0 != m);
                            model.push((m, old + delta));
                        }
                    }
                    7 | 8 => {
                        let had = model.iter().position(|e| e.0 == m);
                        assert_eq!(sl.remove(&m).is_some(), had.is_some());
                        if let Some(i) = had {
                            model.remove(i);
                        }
                    }
                    _ => {
                        sort(&mut model);
                        let lo = (rng(&mut st) as usize) % (model.len() + 1);
                        let hi = lo + (rng(&mut st) % 4) as usize;
                        let end = hi.min(model.len());
                        assert_eq!(sl.remove_ranks(lo, hi), end.saturating_sub(lo));
                        if end > lo {
                            model.drain(lo..end);
                        }
                    }
                }
                if step % 499 == 0 {
                    sort(&mut model);
                    sl.check();
                    assert_eq!(sl.len(), model.len());
                    for (i, (m, s)) in model.iter().enumerate() {
                        assert_eq!(sl.rank(m), Some(i));
                        assert_eq!(sl.score(m), Some(*s));
                    }
                }
            }
            sl.check();
        }
    }

    /// Score updates keep a node's arena index, so a ZSCAN cursor still returns every
    /// element present for the whole scan exactly once.
    #[test]
    fn updates_keep_arena_index() {
        let mut sl = SkipList::new();
        for i in 0..1000 {
            sl.insert(format!("m{i}").as_bytes(), i as f64);
        }
        let before: Vec<u32> = (0..1000)
            .map(|i| sl.find(format!("m{i}").as_bytes()).unwrap_or(NIL))
            .collect();
        let mut st = 9;
        for _ in 0..5000 {
            let i = rng(&mut st) % 1000;
            sl.set_score(format!("m{i}").as_bytes(), (rng(&mut st) % 100) as f64);
        }
        for (i, &x) in before.iter().enumerate() {
            assert_eq!(sl.find(format!("m{i}").as_bytes()), Some(x));
        }
        sl.check();
    }
}
