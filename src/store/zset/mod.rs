//! The sorted set value.
//!
//! Two encodings, as in Redis 7.0 (OBJECT ENCODING answers their names):
//!
//! - `listpack` ([`listpack`]): one contiguous byte buffer of `(member, score)` entries kept
//!   sorted by `(score, member)`, while the set has at most `zset-max-listpack-entries`
//!   members and none is longer than `zset-max-listpack-value` bytes.
//! - `skiplist` ([`skiplist`]): a skip list with spans (O(log n) rank and range queries) plus
//!   a member → node hash index, once either limit is passed. A set never converts back,
//!   except that commands storing a freshly computed set pick the encoding from its size.
//!
//! Every query is expressed through ranks (0-based positions in `(score, member)` order):
//! [`ZSet::count_while`] turns a score or lex bound into a rank, [`ZSet::iter_from`] walks
//! from a rank in either direction, [`ZSet::remove_ranks`] deletes a run of ranks. The
//! commands build everything else on those.

pub mod listpack;
pub mod skiplist;

use listpack::LpIter;
use skiplist::{SkipList, NIL};

/// The conversion thresholds (`zset-max-listpack-entries`, `zset-max-listpack-value`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub max_entries: usize,
    pub max_value: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entries: 128,
            max_value: 64,
        }
    }
}

/// A sorted set. The handle is three words: the listpack's entry count shares the word of
/// the enum tag.
#[derive(Clone)]
pub struct ZSet {
    repr: Repr,
}

#[derive(Clone)]
enum Repr {
    Listpack { len: u32, buf: Box<[u8]> },
    Skiplist(Box<SkipList>),
}

impl Default for ZSet {
    fn default() -> Self {
        ZSet::new()
    }
}

impl std::fmt::Debug for ZSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut l = f.debug_list();
        for (m, s) in self.iter() {
            l.entry(&(String::from_utf8_lossy(m), s));
        }
        l.finish()
    }
}

impl PartialEq for ZSet {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .zip(other.iter())
                .all(|(a, b)| a.0 == b.0 && a.1.to_bits() == b.1.to_bits())
    }
}

impl ZSet {
    /// An empty set in the listpack encoding.
    pub fn new() -> ZSet {
        ZSet {
            repr: Repr::Listpack {
                len: 0,
                buf: Box::new([]),
            },
        }
    }

    /// An empty set in the skiplist encoding.
    pub fn new_skiplist() -> ZSet {
        ZSet {
            repr: Repr::Skiplist(Box::default()),
        }
    }

    /// An empty set for about `size_hint` members (Redis's `zsetTypeCreate`).
    pub fn with_hint(size_hint: usize, max_len_hint: usize, lim: Limits) -> ZSet {
        if size_hint <= lim.max_entries && max_len_hint <= lim.max_value {
            ZSet::new()
        } else {
            ZSet::new_skiplist()
        }
    }

    /// The OBJECT ENCODING name.
    pub fn encoding(&self) -> &'static str {
        match self.repr {
            Repr::Listpack { .. } => "listpack",
            Repr::Skiplist(_) => "skiplist",
        }
    }

    pub fn is_listpack(&self) -> bool {
        matches!(self.repr, Repr::Listpack { .. })
    }

    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Listpack { len, .. } => *len as usize,
            Repr::Skiplist(sl) => sl.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes held on the heap (for memory accounting).
    pub fn heap_size(&self) -> usize {
        match &self.repr {
            Repr::Listpack { buf, .. } => buf.len(),
            Repr::Skiplist(sl) => std::mem::size_of::<SkipList>() + sl.heap_size(),
        }
    }

    /// Listpack: byte position, end and score of `member`.
    fn lp_find(buf: &[u8], member: &[u8]) -> Option<(usize, usize, f64)> {
        let mut pos = 0;
        while pos < buf.len() {
            let (m, s, next) = listpack::decode_at(buf, pos);
            if m == member {
                return Some((pos, next, s));
            }
            pos = next;
        }
        None
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match &self.repr {
            Repr::Listpack { buf, .. } => Self::lp_find(buf, member).map(|f| f.2),
            Repr::Skiplist(sl) => sl.score(member),
        }
    }

    /// Switches to the skiplist encoding.
    pub fn convert_to_skiplist(&mut self) {
        if let Repr::Listpack { buf, .. } = &self.repr {
            let mut sl = SkipList::new();
            for (m, s) in LpIter::new(buf) {
                sl.insert(m, s);
            }
            self.repr = Repr::Skiplist(Box::new(sl));
        }
    }

    /// Adds a member that is not in the set, converting to the skiplist encoding first when
    /// the listpack would pass a limit (as Redis's `zsetAdd`).
    pub fn insert_new(&mut self, member: &[u8], score: f64, lim: Limits) {
        if let Repr::Listpack { len, .. } = &self.repr {
            if *len as usize + 1 > lim.max_entries
                || member.len() > lim.max_value
                || *len == u32::MAX
            {
                self.convert_to_skiplist();
            }
        }
        match &mut self.repr {
            Repr::Listpack { len, buf } => {
                let at = Self::lp_insert_pos(buf, member, score);
                let mut entry = Vec::with_capacity(listpack::entry_size(member, score));
                listpack::encode_entry(member, score, &mut entry);
                *buf = listpack::splice(buf, at, at, &entry);
                *len += 1;
            }
            Repr::Skiplist(sl) => sl.insert(member, score),
        }
    }

    /// Byte position where `(score, member)` sorts in a listpack.
    fn lp_insert_pos(buf: &[u8], member: &[u8], score: f64) -> usize {
        let mut pos = 0;
        while pos < buf.len() {
            let (m, s, next) = listpack::decode_at(buf, pos);
            if s > score || (s == score && m > member) {
                return pos;
            }
            pos = next;
        }
        pos
    }

    /// Changes the score of a member that is in the set.
    pub fn set_score(&mut self, member: &[u8], score: f64) {
        match &mut self.repr {
            Repr::Listpack { buf, .. } => {
                let Some((at, end, _)) = Self::lp_find(buf, member) else {
                    return;
                };
                let without = listpack::splice(buf, at, end, &[]);
                let pos = Self::lp_insert_pos(&without, member, score);
                let mut entry = Vec::with_capacity(listpack::entry_size(member, score));
                listpack::encode_entry(member, score, &mut entry);
                *buf = listpack::splice(&without, pos, pos, &entry);
            }
            Repr::Skiplist(sl) => sl.set_score(member, score),
        }
    }

    /// Removes `member`; returns its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        match &mut self.repr {
            Repr::Listpack { len, buf } => {
                let (at, end, score) = Self::lp_find(buf, member)?;
                *buf = listpack::splice(buf, at, end, &[]);
                *len -= 1;
                Some(score)
            }
            Repr::Skiplist(sl) => sl.remove(member),
        }
    }

    /// 0-based rank of `member` in ascending order, with its score.
    pub fn rank(&self, member: &[u8]) -> Option<(usize, f64)> {
        match &self.repr {
            Repr::Listpack { buf, .. } => LpIter::new(buf)
                .enumerate()
                .find(|(_, (m, _))| *m == member)
                .map(|(i, (_, s))| (i, s)),
            Repr::Skiplist(sl) => {
                let score = sl.score(member)?;
                sl.rank(member).map(|r| (r, score))
            }
        }
    }

    /// How many members, from the lowest, satisfy `pred(score, member)`; `pred` must hold
    /// for a prefix of the order and fail for the rest (a lower or upper range bound).
    pub fn count_while(&self, pred: impl Fn(f64, &[u8]) -> bool) -> usize {
        match &self.repr {
            Repr::Listpack { buf, .. } => LpIter::new(buf).take_while(|(m, s)| pred(*s, m)).count(),
            Repr::Skiplist(sl) => sl.count_while(pred),
        }
    }

    /// Walks from 0-based ascending rank `rank` towards the end (or, `reverse`, towards the
    /// start). An out-of-range rank yields nothing.
    pub fn iter_from(&self, rank: usize, reverse: bool) -> ZIter<'_> {
        match &self.repr {
            Repr::Listpack { len, buf } => {
                if rank >= *len as usize {
                    return ZIter::Empty;
                }
                if reverse {
                    let offsets = listpack::offsets(buf);
                    ZIter::LpRev {
                        buf,
                        offsets,
                        next: rank + 1,
                    }
                } else {
                    let at = listpack::offset_of_rank(buf, rank);
                    ZIter::LpFwd(LpIter::new(&buf[at..]))
                }
            }
            Repr::Skiplist(sl) => ZIter::Sl {
                sl,
                x: sl.by_rank(rank),
                reverse,
            },
        }
    }

    /// Every member in ascending order.
    pub fn iter(&self) -> ZIter<'_> {
        match &self.repr {
            Repr::Listpack { buf, .. } => ZIter::LpFwd(LpIter::new(buf)),
            Repr::Skiplist(sl) => ZIter::Sl {
                sl,
                x: sl.first(),
                reverse: false,
            },
        }
    }

    /// Removes the members of 0-based ranks `lo..hi`; returns how many.
    pub fn remove_ranks(&mut self, lo: usize, hi: usize) -> usize {
        let hi = hi.min(self.len());
        if lo >= hi {
            return 0;
        }
        match &mut self.repr {
            Repr::Listpack { len, buf } => {
                let at = listpack::offset_of_rank(buf, lo);
                let end = at + listpack::offset_of_rank(&buf[at..], hi - lo);
                *buf = listpack::splice(buf, at, end, &[]);
                *len -= (hi - lo) as u32;
                hi - lo
            }
            Repr::Skiplist(sl) => sl.remove_ranks(lo, hi),
        }
    }

    /// One ZSCAN step: a listpack is returned whole (cursor 0, as Redis); a skiplist walks
    /// its arena slots from `cursor`. Returns the next cursor.
    pub fn scan<'a>(&'a self, cursor: u64, count: usize, mut f: impl FnMut(&'a [u8], f64)) -> u64 {
        match &self.repr {
            Repr::Listpack { buf, .. } => {
                for (m, s) in LpIter::new(buf) {
                    f(m, s);
                }
                0
            }
            Repr::Skiplist(sl) => sl.scan(cursor, count, f),
        }
    }

    /// Builds a set from members that are distinct, choosing the encoding from the final size
    /// (Redis's `zsetConvertToListpackIfNeeded` after ZUNIONSTORE & co.).
    pub fn from_distinct(entries: &[(&[u8], f64)], lim: Limits) -> ZSet {
        let max_len = entries.iter().map(|e| e.0.len()).max().unwrap_or(0);
        if entries.len() <= lim.max_entries && max_len <= lim.max_value {
            let mut sorted: Vec<(&[u8], f64)> = entries.to_vec();
            sorted.sort_by(|a, b| cmp_entry(a.1, a.0, b.1, b.0));
            let total: usize = sorted
                .iter()
                .map(|(m, s)| listpack::entry_size(m, *s))
                .sum();
            let mut buf = Vec::with_capacity(total);
            for (m, s) in &sorted {
                listpack::encode_entry(m, *s, &mut buf);
            }
            ZSet {
                repr: Repr::Listpack {
                    len: sorted.len() as u32,
                    buf: buf.into_boxed_slice(),
                },
            }
        } else {
            let mut sl = SkipList::new();
            for (m, s) in entries {
                sl.insert(m, *s);
            }
            ZSet {
                repr: Repr::Skiplist(Box::new(sl)),
            }
        }
    }
}

/// The `(score, member)` order.
pub fn cmp_entry(sa: f64, ma: &[u8], sb: f64, mb: &[u8]) -> std::cmp::Ordering {
    match sa.partial_cmp(&sb) {
        Some(std::cmp::Ordering::Equal) | None => ma.cmp(mb),
        Some(o) => o,
    }
}

/// Walks a sorted set in either direction.
pub enum ZIter<'a> {
    Empty,
    LpFwd(LpIter<'a>),
    LpRev {
        buf: &'a [u8],
        offsets: Vec<u32>,
        /// One past the rank to yield next.
        next: usize,
    },
    Sl {
        sl: &'a SkipList,
        x: u32,
        reverse: bool,
    },
}

impl<'a> Iterator for ZIter<'a> {
    type Item = (&'a [u8], f64);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            ZIter::Empty => None,
            ZIter::LpFwd(it) => it.next(),
            ZIter::LpRev { buf, offsets, next } => {
                if *next == 0 {
                    return None;
                }
                *next -= 1;
                let (m, s, _) = listpack::decode_at(buf, offsets[*next] as usize);
                Some((m, s))
            }
            ZIter::Sl { sl, x, reverse } => {
                if *x == NIL {
                    return None;
                }
                let item = sl.entry(*x);
                *x = if *reverse { sl.prev(*x) } else { sl.next(*x) };
                Some(item)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handle_is_three_words() {
        assert_eq!(std::mem::size_of::<ZSet>(), 24);
    }

    fn rng(state: &mut u64) -> u64 {
        *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Random operations against a sorted Vec model, in both encodings.
    #[test]
    fn matches_a_model() {
        for lim in [
            Limits::default(),
            Limits {
                max_entries: 0,
                max_value: 0,
            },
        ] {
            let mut st = 7u64;
            let mut z = ZSet::new();
            let mut model: Vec<(Vec<u8>, f64)> = Vec::new();
            for step in 0..20_000 {
                let m = format!("m{}", rng(&mut st) % 300).into_bytes();
                let s = (rng(&mut st) % 50) as f64 - 10.0;
                match rng(&mut st) % 6 {
                    0 | 1 => {
                        if let Some(old) = z.score(&m) {
                            assert!(model.iter().any(|e| e.0 == m && e.1 == old));
                            z.set_score(&m, s);
                            model.retain(|e| e.0 != m);
                        } else {
                            z.insert_new(&m, s, lim);
                        }
                        model.push((m.clone(), s));
                    }
                    2 => {
                        let had = model.iter().position(|e| e.0 == m);
                        assert_eq!(z.remove(&m).is_some(), had.is_some());
                        if let Some(i) = had {
                            model.remove(i);
                        }
                    }
                    3 => {
                        let lo = (rng(&mut st) % 40) as usize;
                        let hi = lo + (rng(&mut st) % 5) as usize;
                        model.sort_by(|a, b| cmp_entry(a.1, &a.0, b.1, &b.0));
                        let n = z.remove_ranks(lo, hi);
                        let end = hi.min(model.len());
                        let expect = end.saturating_sub(lo);
                        assert_eq!(n, expect);
                        if expect > 0 {
                            model.drain(lo..end);
                        }
                    }
                    _ => {}
                }
                model.sort_by(|a, b| cmp_entry(a.1, &a.0, b.1, &b.0));
                if step % 97 == 0 {
                    assert_eq!(z.len(), model.len());
                    let got: Vec<(Vec<u8>, f64)> = z.iter().map(|(m, s)| (m.to_vec(), s)).collect();
                    assert_eq!(got, model);
                    for (i, (m, s)) in model.iter().enumerate() {
                        assert_eq!(z.rank(m), Some((i, *s)));
                    }
                    let r = (rng(&mut st) as usize) % (model.len() + 1);
                    let fwd: Vec<_> = z.iter_from(r, false).map(|(m, _)| m.to_vec()).collect();
                    let want: Vec<_> = model[r.min(model.len())..]
                        .iter()
                        .map(|e| e.0.clone())
                        .collect();
                    assert_eq!(fwd, want);
                    let rev: Vec<_> = z.iter_from(r, true).map(|(m, _)| m.to_vec()).collect();
                    let want: Vec<_> = if r < model.len() {
                        model[..=r].iter().rev().map(|e| e.0.clone()).collect()
                    } else {
                        Vec::new()
                    };
                    assert_eq!(rev, want);
                    let below = z.count_while(|s, _| s < 5.0);
                    assert_eq!(below, model.iter().filter(|e| e.1 < 5.0).count());
                    if let Repr::Skiplist(sl) = &z.repr {
                        sl.check();
                    }
                }
            }
            if lim.max_entries == 0 {
                assert_eq!(z.encoding(), "skiplist");
            }
        }
    }

    #[test]
    fn converts_past_the_limits() {
        let lim = Limits::default();
        let mut z = ZSet::new();
        for i in 0..128 {
            z.insert_new(format!("m{i}").as_bytes(), i as f64, lim);
        }
        assert_eq!(z.encoding(), "listpack");
        z.insert_new(b"x", 0.5, lim);
        assert_eq!(z.encoding(), "skiplist");
        let mut z = ZSet::new();
        z.insert_new(&[b'a'; 65], 1.0, lim);
        assert_eq!(z.encoding(), "skiplist");
    }
}
