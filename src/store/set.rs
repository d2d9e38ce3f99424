//! The set value type, in Redis 7.0's two encodings.
//!
//! - `intset` ([`IntSet`]): while every member is an integer (Redis's `string2ll` rules) and
//!   there are at most `set-max-intset-entries` of them, the members live in one sorted,
//!   contiguous allocation at the smallest width (16, 32 or 64 bits) that fits them all, as in
//!   Redis's `intset.c`. Adding a wider value upgrades the whole array; the width never
//!   shrinks. The allocation is exactly `len * width` bytes and the handle keeps the length
//!   and width, so a set of ten small integers costs one 20-byte allocation.
//! - `hashtable` ([`HashSet`]): any other set. Members are [`SmallBytes`] (inline up to 22
//!   bytes) kept in a slab whose slots never move, indexed by a `hashbrown::HashTable` of slot
//!   numbers. Stable slots are what make SSCAN's cursor simple and exact (see
//!   [`HashSet::scan`]).
//!
//! A set converts from `intset` to `hashtable` when a non-integer member arrives or it grows
//! past the limit, never back (as in Redis); commands that build a new set (the STORE
//! commands, SPOP's rebuild) start again from an `intset`, as Redis's do.

use std::alloc::{self, Layout};
use std::hash::BuildHasher;
use std::ptr::NonNull;
use std::sync::OnceLock;

use hashbrown::HashTable;

use super::bytes::SmallBytes;

/// Redis's default `set-max-intset-entries`.
pub const DEFAULT_MAX_INTSET_ENTRIES: usize = 512;

/// Redis caps the intset at 1G entries whatever `set-max-intset-entries` says.
const INTSET_HARD_LIMIT: usize = 1 << 30;

/// The integer a member stands for, if it is one by Redis's `string2ll` rules (no sign `+`,
/// no leading zeros, no `-0`, fits an `i64`).
pub fn member_int(member: &[u8]) -> Option<i64> {
    crate::util::num::parse_i64(member)
}

// ---------------------------------------------------------------------------------------------
// Members
// ---------------------------------------------------------------------------------------------

/// A member as stored: an intset integer or a hashtable string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Member<'a> {
    Int(i64),
    Str(&'a [u8]),
}

impl<'a> Member<'a> {
    /// The member's bytes; integers are rendered into `buf`.
    pub fn bytes<'b>(&'b self, buf: &'b mut itoa::Buffer) -> &'b [u8] {
        match self {
            Member::Int(v) => buf.format(*v).as_bytes(),
            Member::Str(s) => s,
        }
    }

    /// The member as an owned string.
    pub fn to_small(&self) -> SmallBytes {
        SmallBytes::new(self.bytes(&mut itoa::Buffer::new()))
    }
}

// ---------------------------------------------------------------------------------------------
// intset
// ---------------------------------------------------------------------------------------------

/// Bytes per intset element.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
enum Width {
    W16 = 2,
    W32 = 4,
    W64 = 8,
}

impl Width {
    /// The smallest width that holds `v` (Redis's `_intsetValueEncoding`).
    fn of(v: i64) -> Width {
        if i64::from(i16::MIN) <= v && v <= i64::from(i16::MAX) {
            Width::W16
        } else if i64::from(i32::MIN) <= v && v <= i64::from(i32::MAX) {
            Width::W32
        } else {
            Width::W64
        }
    }

    fn bytes(self) -> usize {
        self as usize
    }

    /// Reads one little-endian element from `b` (exactly `self.bytes()` long).
    fn read(self, b: &[u8]) -> i64 {
        match self {
            Width::W16 => i64::from(i16::from_le_bytes([b[0], b[1]])),
            Width::W32 => i64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            Width::W64 => i64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
        }
    }

    /// Writes `v` (which fits this width) into `b` (exactly `self.bytes()` long).
    fn write(self, v: i64, b: &mut [u8]) {
        match self {
            Width::W16 => b.copy_from_slice(&(v as i16).to_le_bytes()),
            Width::W32 => b.copy_from_slice(&(v as i32).to_le_bytes()),
            Width::W64 => b.copy_from_slice(&v.to_le_bytes()),
        }
    }
}

/// A sorted array of distinct integers in one exact-size allocation (Redis's intset).
///
/// The handle is 16 bytes (pointer, length, width), so [`Set`] fits in a [`super::Value`]
/// without a box of its own. Every insert or removal resizes the allocation to fit, as Redis's
/// `intsetAdd`/`intsetRemove` do; sets in this encoding are small (512 members by default).
pub struct IntSet {
    /// `len * width` bytes, or dangling when `len == 0` (no allocation).
    ptr: NonNull<u8>,
    len: u32,
    width: Width,
}

// SAFETY: `IntSet` owns its allocation exclusively, like a `Box<[u8]>`; nothing is shared.
unsafe impl Send for IntSet {}
// SAFETY: shared references only read the allocation.
unsafe impl Sync for IntSet {}

/// The layout of an intset allocation of `size` bytes. Elements are read with
/// `from_le_bytes`, never through a typed pointer, so alignment 1 is enough.
fn byte_layout(size: usize) -> Layout {
    match Layout::from_size_align(size, 1) {
        Ok(l) => l,
        Err(_) => alloc::handle_alloc_error(Layout::new::<u8>()),
    }
}

impl IntSet {
    pub fn new() -> IntSet {
        IntSet {
            ptr: NonNull::dangling(),
            len: 0,
            width: Width::W16,
        }
    }

    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn byte_len(&self) -> usize {
        self.len as usize * self.width.bytes()
    }

    fn bytes(&self) -> &[u8] {
        // SAFETY: `ptr` points to `byte_len()` initialised bytes owned by `self`, or is a
        // dangling non-null pointer with length 0, which is valid for an empty slice.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.byte_len()) }
    }

    fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `bytes`; `&mut self` guarantees exclusive access.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.byte_len()) }
    }

    /// Resizes the allocation from `old` to `new` bytes, keeping the first `min(old, new)`.
    /// `old` must be the current allocation size; the caller sets `len`/`width` to match
    /// `new` right after.
    fn resize_alloc(&mut self, old: usize, new: usize) {
        if old == new {
            return;
        }
        if new == 0 {
            // SAFETY: `old > 0`, so `ptr` was allocated with `byte_layout(old)`.
            unsafe { alloc::dealloc(self.ptr.as_ptr(), byte_layout(old)) };
            self.ptr = NonNull::dangling();
            return;
        }
        let raw = if old == 0 {
            // SAFETY: the layout has a non-zero size.
            unsafe { alloc::alloc(byte_layout(new)) }
        } else {
            // SAFETY: `ptr` was allocated with `byte_layout(old)`, and `new` is non-zero and
            // (being a real allocation size) does not overflow `isize`.
            unsafe { alloc::realloc(self.ptr.as_ptr(), byte_layout(old), new) }
        };
        match NonNull::new(raw) {
            Some(p) => self.ptr = p,
            None => alloc::handle_alloc_error(byte_layout(new)),
        }
    }

    /// The element at `i` (< len).
    pub fn get(&self, i: usize) -> i64 {
        let w = self.width.bytes();
        self.width.read(&self.bytes()[i * w..(i + 1) * w])
    }

    /// Position of `v`, or where it would be inserted.
    fn search(&self, v: i64) -> Result<usize, usize> {
        if Width::of(v) > self.width {
            // Outside the range the current width holds: below or above every member.
            return Err(if v < 0 { 0 } else { self.len() });
        }
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let m = self.get(mid);
            if m == v {
                return Ok(mid);
            } else if m < v {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        Err(lo)
    }

    pub fn contains(&self, v: i64) -> bool {
        self.search(v).is_ok()
    }

    /// Adds `v`; false when it was already there.
    pub fn insert(&mut self, v: i64) -> bool {
        let need = Width::of(v);
        if need > self.width {
            self.upgrade_and_insert(v, need);
            return true;
        }
        let Err(pos) = self.search(v) else {
            return false;
        };
        let w = self.width.bytes();
        let old = self.byte_len();
        self.resize_alloc(old, old + w);
        self.len += 1;
        let width = self.width;
        let bytes = self.bytes_mut();
        bytes.copy_within(pos * w..old, pos * w + w);
        width.write(v, &mut bytes[pos * w..pos * w + w]);
        true
    }

    /// Widens every element to `width` and adds `v`, which needs that width and so is below
    /// (negative) or above (positive) every current member (Redis's `intsetUpgradeAndAdd`).
    fn upgrade_and_insert(&mut self, v: i64, width: Width) {
        let old_width = self.width;
        let n = self.len();
        let (ow, nw) = (old_width.bytes(), width.bytes());
        let old = self.byte_len();
        self.resize_alloc(old, (n + 1) * nw);
        self.len += 1;
        self.width = width;
        let prepend = v < 0;
        let bytes = self.bytes_mut();
        // Back to front, so no element is overwritten before it is read.
        for i in (0..n).rev() {
            let x = old_width.read(&bytes[i * ow..(i + 1) * ow]);
            let at = if prepend { i + 1 } else { i };
            width.write(x, &mut bytes[at * nw..(at + 1) * nw]);
        }
        let at = if prepend { 0 } else { n };
        width.write(v, &mut bytes[at * nw..(at + 1) * nw]);
    }

    /// Removes `v`; false when it was not there.
    pub fn remove(&mut self, v: i64) -> bool {
        let Ok(pos) = self.search(v) else {
            return false;
        };
        let w = self.width.bytes();
        let old = self.byte_len();
        self.bytes_mut().copy_within(pos * w + w..old, pos * w);
        self.resize_alloc(old, old - w);
        self.len -= 1;
        true
    }

    /// The members in ascending order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = i64> + '_ {
        let width = self.width;
        self.bytes()
            .chunks_exact(width.bytes())
            .map(move |c| width.read(c))
    }

    /// Heap bytes held.
    pub fn heap_size(&self) -> usize {
        self.byte_len()
    }

    /// Bytes per element (2, 4 or 8): the `encoding` field of Redis's intset blob.
    pub fn width_bytes(&self) -> usize {
        self.width.bytes()
    }

    /// An intset of `width_bytes` (2, 4 or 8) per element holding `values`, which must be
    /// strictly ascending and fit that width; `None` otherwise. One allocation, as RDB
    /// loading wants.
    pub fn from_sorted(width_bytes: usize, values: &[i64]) -> Option<IntSet> {
        let width = match width_bytes {
            2 => Width::W16,
            4 => Width::W32,
            8 => Width::W64,
            _ => return None,
        };
        let ascending = values.windows(2).all(|w| w[0] < w[1]);
        if !ascending || values.iter().any(|&v| Width::of(v) > width) {
            return None;
        }
        let len = u32::try_from(values.len()).ok()?;
        let mut set = IntSet::new();
        set.resize_alloc(0, values.len() * width.bytes());
        set.len = len;
        set.width = width;
        let w = width.bytes();
        for (chunk, &v) in set.bytes_mut().chunks_exact_mut(w).zip(values) {
            width.write(v, chunk);
        }
        Some(set)
    }
}

impl Default for IntSet {
    fn default() -> Self {
        IntSet::new()
    }
}

impl Drop for IntSet {
    fn drop(&mut self) {
        let size = self.byte_len();
        self.resize_alloc(size, 0);
    }
}

impl Clone for IntSet {
    fn clone(&self) -> Self {
        let mut copy = IntSet::new();
        let size = self.byte_len();
        copy.resize_alloc(0, size);
        copy.len = self.len;
        copy.width = self.width;
        copy.bytes_mut().copy_from_slice(self.bytes());
        copy
    }
}

impl std::fmt::Debug for IntSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

// ---------------------------------------------------------------------------------------------
// hashtable
// ---------------------------------------------------------------------------------------------

/// One process-wide, randomly seeded hasher for every set, so a set carries no hasher state.
fn hasher() -> &'static hashbrown::DefaultHashBuilder {
    static HASHER: OnceLock<hashbrown::DefaultHashBuilder> = OnceLock::new();
    HASHER.get_or_init(hashbrown::DefaultHashBuilder::default)
}

fn hash(member: &[u8]) -> u64 {
    hasher().hash_one(member)
}

/// A set of strings: members in a slab of stable slots, indexed by hash.
///
/// A member keeps its slot from insertion until it is removed. Removal leaves a hole that the
/// next insertion reuses; when fewer than one slot in eight is live the slab is compacted,
/// which moves members and so starts a new SSCAN epoch (see [`HashSet::scan`]).
#[derive(Clone, Debug, Default)]
pub struct HashSet {
    slots: Vec<Option<SmallBytes>>,
    /// Slot numbers, hashed by their member.
    index: HashTable<u32>,
    /// Free slots, the last freed reused first.
    free: Vec<u32>,
    len: usize,
    /// Bumped by every compaction; SSCAN cursors carry it.
    epoch: u32,
}

/// Slabs smaller than this are never compacted.
const COMPACT_MIN_SLOTS: usize = 64;

impl HashSet {
    pub fn with_capacity(n: usize) -> HashSet {
        HashSet {
            slots: Vec::with_capacity(n),
            index: HashTable::with_capacity(n),
            ..HashSet::default()
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn slot_hash(slots: &[Option<SmallBytes>], i: u32) -> u64 {
        slots
            .get(i as usize)
            .and_then(|s| s.as_ref())
            .map_or(0, |m| hash(m))
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        let slots = &self.slots;
        self.index
            .find(hash(member), |&i| {
                slots[i as usize].as_deref() == Some(member)
            })
            .is_some()
    }

    /// Adds `member`; false when it was already there.
    pub fn insert(&mut self, member: &[u8]) -> bool {
        if self.contains(member) {
            return false;
        }
        self.insert_new(SmallBytes::new(member));
        true
    }

    /// Adds a member known to be absent.
    fn insert_new(&mut self, member: SmallBytes) {
        let h = hash(&member);
        let slot = match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = Some(member);
                i
            }
            None => {
                self.slots.push(Some(member));
                (self.slots.len() - 1) as u32
            }
        };
        let slots = &self.slots;
        self.index
            .insert_unique(h, slot, |&i| Self::slot_hash(slots, i));
        self.len += 1;
    }

    /// Removes `member`; false when it was not there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        let slots = &self.slots;
        let found = self.index.find_entry(hash(member), |&i| {
            slots[i as usize].as_deref() == Some(member)
        });
        let Ok(entry) = found else {
            return false;
        };
        let (slot, _) = entry.remove();
        self.slots[slot as usize] = None;
        self.free.push(slot);
        self.len -= 1;
        if self.slots.len() >= COMPACT_MIN_SLOTS && self.len * 8 < self.slots.len() {
            self.compact();
        }
        true
    }

    /// Packs the live members, in order, into a right-sized slab and rebuilds the index.
    fn compact(&mut self) {
        let old = std::mem::take(&mut self.slots);
        let mut slots: Vec<Option<SmallBytes>> = Vec::with_capacity(self.len);
        slots.extend(old.into_iter().flatten().map(Some));
        let mut index = HashTable::with_capacity(self.len);
        for (i, m) in slots.iter().enumerate() {
            if let Some(m) = m {
                index.insert_unique(hash(m), i as u32, |&j| Self::slot_hash(&slots, j));
            }
        }
        self.slots = slots;
        self.index = index;
        self.free = Vec::new();
        self.epoch = self.epoch.wrapping_add(1);
    }

    /// The members in slab order.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.slots.iter().filter_map(|s| s.as_deref())
    }

    /// A random member, None when empty. Uniform over the live slots, which are at least one
    /// in eight of any slab big enough to be compacted, so a few probes find one.
    pub fn random(&self, rand: &mut impl FnMut() -> u64) -> Option<&[u8]> {
        let n = self.slots.len() as u64;
        if self.len == 0 || n == 0 {
            return None;
        }
        for _ in 0..64 {
            if let Some(Some(m)) = self.slots.get((rand() % n) as usize) {
                return Some(m);
            }
        }
        let start = (rand() % n) as usize;
        self.slots[start..]
            .iter()
            .chain(&self.slots[..start])
            .find_map(|s| s.as_deref())
    }

    /// One SSCAN step over the slab.
    ///
    /// The cursor is `epoch << 32 | slot`: the next slot to visit, in the slab of compaction
    /// epoch `epoch` (plain slot numbers until the first compaction). A call visits at most
    /// `10 * count` slots (Redis's bound on empty buckets) and stops after `count` members;
    /// it returns the next cursor, 0 at the end.
    ///
    /// Guarantee (Redis's SCAN guarantee, and a little more): a member present from the start
    /// to the end of a full iteration stays in its slot, so it is returned, and returned
    /// exactly once. The exception is a compaction during the iteration (only after most
    /// members were removed): it moves members, so a cursor from an older epoch restarts the
    /// walk from the first slot; members may then be returned twice but never missed. Members
    /// added or removed during the iteration may or may not be returned.
    pub fn scan<'a>(&'a self, cursor: u64, count: usize, mut each: impl FnMut(&'a [u8])) -> u64 {
        let mut pos = if (cursor >> 32) as u32 == self.epoch {
            (cursor & u64::from(u32::MAX)) as usize
        } else {
            0
        };
        let max_visits = count.saturating_mul(10).max(1);
        let (mut found, mut visited) = (0, 0);
        while pos < self.slots.len() && found < count && visited < max_visits {
            if let Some(m) = &self.slots[pos] {
                each(m);
                found += 1;
            }
            pos += 1;
            visited += 1;
        }
        if pos >= self.slots.len() {
            0
        } else {
            (u64::from(self.epoch) << 32) | pos as u64
        }
    }

    /// Heap bytes held (approximate for the index).
    pub fn heap_size(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Option<SmallBytes>>()
            + self
                .iter()
                .map(|m| m.len())
                .filter(|&n| n > 22)
                .sum::<usize>()
            + self.index.capacity() * (std::mem::size_of::<u32>() + 1)
            + self.free.capacity() * std::mem::size_of::<u32>()
    }
}

// ---------------------------------------------------------------------------------------------
// Set
// ---------------------------------------------------------------------------------------------

/// A set value: 16 bytes, held directly in a [`super::Value`]; the `hashtable` encoding is
/// boxed.
#[derive(Clone, Debug)]
pub enum Set {
    Int(IntSet),
    Hash(Box<HashSet>),
}

impl Default for Set {
    fn default() -> Self {
        Set::Int(IntSet::new())
    }
}

impl PartialEq for Set {
    /// Same members, whatever the encodings.
    fn eq(&self, other: &Set) -> bool {
        self.len() == other.len() && self.iter().all(|m| other.contains_member(m))
    }
}

/// Iterator over a set's members: ascending integers for an intset, slab order otherwise.
pub enum Iter<'a> {
    Int(&'a IntSet, usize),
    Hash(std::slice::Iter<'a, Option<SmallBytes>>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = Member<'a>;

    fn next(&mut self) -> Option<Member<'a>> {
        match self {
            Iter::Int(set, i) => {
                if *i >= set.len() {
                    return None;
                }
                let v = set.get(*i);
                *i += 1;
                Some(Member::Int(v))
            }
            Iter::Hash(it) => it.find_map(|s| s.as_deref()).map(Member::Str),
        }
    }
}

impl Set {
    /// An empty set in the encoding Redis's `setTypeCreate` picks for a first member.
    pub fn new_for(first: &[u8]) -> Set {
        if member_int(first).is_some() {
            Set::Int(IntSet::new())
        } else {
            Set::Hash(Box::default())
        }
    }

    /// The OBJECT ENCODING name.
    pub fn encoding(&self) -> &'static str {
        match self {
            Set::Int(_) => "intset",
            Set::Hash(_) => "hashtable",
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Set::Int(s) => s.len(),
            Set::Hash(h) => h.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes held on the heap (for memory accounting).
    pub fn heap_size(&self) -> usize {
        match self {
            Set::Int(s) => s.heap_size(),
            Set::Hash(h) => std::mem::size_of::<HashSet>() + h.heap_size(),
        }
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        match self {
            Set::Int(s) => member_int(member).is_some_and(|v| s.contains(v)),
            Set::Hash(h) => h.contains(member),
        }
    }

    /// [`Set::contains`] for a member read from another set.
    pub fn contains_member(&self, member: Member) -> bool {
        match (self, member) {
            (Set::Int(s), Member::Int(v)) => s.contains(v),
            (_, Member::Str(b)) => self.contains(b),
            (Set::Hash(h), Member::Int(v)) => h.contains(itoa::Buffer::new().format(v).as_bytes()),
        }
    }

    /// Turns an intset into a hashtable (Redis's `setTypeConvert`); no-op for a hashtable.
    fn convert_to_hash(&mut self) {
        if let Set::Int(s) = self {
            let mut h = HashSet::with_capacity(s.len());
            let mut buf = itoa::Buffer::new();
            for v in s.iter() {
                h.insert_new(SmallBytes::new(buf.format(v).as_bytes()));
            }
            *self = Set::Hash(Box::new(h));
        }
    }

    /// Adds `member` as Redis's `setTypeAdd` does: an intset takes integers until it holds
    /// more than `max_intset` members; a non-integer member or one too many converts it to a
    /// hashtable. Returns whether the member is new.
    pub fn insert(&mut self, member: &[u8], max_intset: usize) -> bool {
        match self {
            Set::Hash(h) => h.insert(member),
            Set::Int(s) => match member_int(member) {
                Some(v) => {
                    if !s.insert(v) {
                        return false;
                    }
                    if s.len() > max_intset.min(INTSET_HARD_LIMIT) {
                        self.convert_to_hash();
                    }
                    true
                }
                None => {
                    self.convert_to_hash();
                    if let Set::Hash(h) = self {
                        h.insert_new(SmallBytes::new(member));
                    }
                    true
                }
            },
        }
    }

    /// [`Set::insert`] for a member read from another set.
    pub fn insert_member(&mut self, member: Member, max_intset: usize) -> bool {
        match (&mut *self, member) {
            (Set::Int(s), Member::Int(v)) => {
                if !s.insert(v) {
                    return false;
                }
                if s.len() > max_intset.min(INTSET_HARD_LIMIT) {
                    self.convert_to_hash();
                }
                true
            }
            (_, m) => self.insert(m.bytes(&mut itoa::Buffer::new()), max_intset),
        }
    }

    /// Removes `member`; returns whether it was there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self {
            Set::Int(s) => member_int(member).is_some_and(|v| s.remove(v)),
            Set::Hash(h) => h.remove(member),
        }
    }

    /// [`Set::remove`] for a member read from another set.
    pub fn remove_member(&mut self, member: Member) -> bool {
        match (&mut *self, member) {
            (Set::Int(s), Member::Int(v)) => s.remove(v),
            (_, m) => self.remove(m.bytes(&mut itoa::Buffer::new())),
        }
    }

    /// The members: ascending for an intset, slab order for a hashtable.
    pub fn iter(&self) -> Iter<'_> {
        match self {
            Set::Int(s) => Iter::Int(s, 0),
            Set::Hash(h) => Iter::Hash(h.slots.iter()),
        }
    }

    /// A random member, or None when empty.
    pub fn random(&self, rand: &mut impl FnMut() -> u64) -> Option<Member<'_>> {
        match self {
            Set::Int(s) if s.is_empty() => None,
            Set::Int(s) => Some(Member::Int(s.get((rand() % s.len() as u64) as usize))),
            Set::Hash(h) => h.random(rand).map(Member::Str),
        }
    }

    /// The hashtable of a hashtable-encoded set.
    pub fn as_hashset(&self) -> Option<&HashSet> {
        match self {
            Set::Int(_) => None,
            Set::Hash(h) => Some(h),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rng(seed: u64) -> impl FnMut() -> u64 {
        let mut x = seed | 1;
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        }
    }

    #[test]
    fn handles_are_small() {
        assert_eq!(std::mem::size_of::<IntSet>(), 16);
        assert_eq!(std::mem::size_of::<Set>(), 16);
        assert_eq!(std::mem::size_of::<Option<SmallBytes>>(), 24);
    }

    #[test]
    fn intset_sorted_upgrades_and_removes() {
        let mut s = IntSet::new();
        assert!(s.insert(5));
        assert!(s.insert(-3));
        assert!(!s.insert(5));
        assert_eq!(s.width, Width::W16);
        assert_eq!(s.heap_size(), 4);
        assert!(s.insert(70_000));
        assert_eq!(s.width, Width::W32);
        assert!(s.insert(i64::MIN));
        assert_eq!(s.width, Width::W64);
        assert!(s.insert(i64::MAX));
        assert!(s.insert(0));
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            vec![i64::MIN, -3, 0, 5, 70_000, i64::MAX]
        );
        assert!(s.contains(70_000) && !s.contains(70_001) && !s.contains(-4));
        assert!(s.remove(i64::MIN));
        assert!(!s.remove(i64::MIN));
        assert!(!s.remove(12));
        assert_eq!(s.width, Width::W64, "width never shrinks");
        let c = s.clone();
        for v in [-3, 0, 5, 70_000, i64::MAX] {
            assert!(s.remove(v));
        }
        assert!(s.is_empty());
        assert_eq!(s.heap_size(), 0);
        assert_eq!(
            c.iter().collect::<Vec<_>>(),
            vec![-3, 0, 5, 70_000, i64::MAX]
        );
        // Upgrades that prepend (negative) and append (positive).
        let mut n = IntSet::new();
        for v in [1, 2, 3] {
            n.insert(v);
        }
        n.insert(-40_000);
        n.insert(5_000_000_000);
        assert_eq!(
            n.iter().collect::<Vec<_>>(),
            vec![-40_000, 1, 2, 3, 5_000_000_000]
        );
    }

    #[test]
    fn intset_matches_btreeset() {
        let mut r = rng(7);
        let mut s = IntSet::new();
        let mut model = std::collections::BTreeSet::new();
        for _ in 0..20_000 {
            let v = match r() % 4 {
                0 => (r() % 200) as i64 - 100,
                1 => (r() % 200_000) as i64 - 100_000,
                2 => r() as i64,
                _ => (r() % 10) as i64,
            };
            if r().is_multiple_of(3) {
                assert_eq!(s.remove(v), model.remove(&v));
            } else {
                assert_eq!(s.insert(v), model.insert(v));
            }
            assert_eq!(s.len(), model.len());
        }
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            model.into_iter().collect::<Vec<_>>()
        );
    }

    #[test]
    fn set_converts_like_redis() {
        let mut s = Set::new_for(b"1");
        assert_eq!(s.encoding(), "intset");
        for i in 0..512 {
            assert!(s.insert(i.to_string().as_bytes(), 512));
        }
        assert_eq!(s.encoding(), "intset");
        assert!(!s.insert(b"511", 512));
        assert!(s.insert(b"512", 512));
        assert_eq!(s.encoding(), "hashtable");
        assert_eq!(s.len(), 513);
        assert!(s.contains(b"0") && s.contains(b"512") && !s.contains(b"513"));

        let mut t = Set::new_for(b"7");
        t.insert(b"7", 512);
        for odd in ["-0", "007", "+1", " 1", "1.0", "9223372036854775808", "x"] {
            let mut u = t.clone();
            assert!(u.insert(odd.as_bytes(), 512), "{odd}");
            assert_eq!(u.encoding(), "hashtable", "{odd}");
            assert!(u.contains(b"7") && u.contains(odd.as_bytes()));
            assert_eq!(u.len(), 2);
        }
        assert!(t.insert(b"-9223372036854775808", 512));
        assert_eq!(t.encoding(), "intset");
        assert_eq!(Set::new_for(b"a").encoding(), "hashtable");
        assert_eq!(Set::new_for(b"01").encoding(), "hashtable");
        // A limit of 0 converts on the first member, as Redis does.
        let mut z = Set::new_for(b"1");
        z.insert(b"1", 0);
        assert_eq!(z.encoding(), "hashtable");
        assert!(z.contains_member(Member::Int(1)));
    }

    #[test]
    fn hashset_matches_model_and_compacts() {
        let mut r = rng(99);
        let mut h = HashSet::default();
        let mut model = std::collections::HashSet::new();
        for round in 0..3 {
            for i in 0..5000 {
                let m = format!("m{}", (i * 7 + round) % 3000);
                assert_eq!(h.insert(m.as_bytes()), model.insert(m.clone()));
            }
            let keep = if round == 2 { 10 } else { 1000 };
            let all: Vec<String> = model.iter().cloned().collect();
            for m in all.iter().skip(keep) {
                assert!(h.remove(m.as_bytes()));
                model.remove(m);
            }
            assert_eq!(h.len(), model.len());
            for m in &model {
                assert!(h.contains(m.as_bytes()));
            }
            assert!(!h.contains(b"nope"));
            let mut seen: Vec<&[u8]> = h.iter().collect();
            seen.sort();
            seen.dedup();
            assert_eq!(seen.len(), model.len());
            let picked = h.random(&mut r).map(|m| m.to_vec());
            assert!(picked.is_some_and(|m| model.contains(&String::from_utf8(m).unwrap())));
        }
        assert!(h.slots.len() < 100, "compacted: {}", h.slots.len());
        assert!(h.epoch > 0);
    }

    #[test]
    fn scan_returns_stable_members_once() {
        let mut h = HashSet::default();
        for i in 0..1000 {
            h.insert(format!("k{i}").as_bytes());
        }
        let mut seen = std::collections::HashMap::new();
        let mut cursor = 0;
        let mut step = 0;
        loop {
            cursor = h.scan(cursor, 7, |m| *seen.entry(m.to_vec()).or_insert(0) += 1);
            // Churn: members come and go while the iteration runs.
            h.insert(format!("new{step}").as_bytes());
            if step % 2 == 0 {
                h.remove(format!("new{}", step / 2).as_bytes());
            }
            step += 1;
            if cursor == 0 {
                break;
            }
        }
        for i in 0..1000 {
            assert_eq!(seen.get(format!("k{i}").as_bytes()), Some(&1), "k{i}");
        }
    }

    #[test]
    fn scan_after_compaction_restarts() {
        let mut h = HashSet::default();
        for i in 0..1000 {
            h.insert(format!("k{i}").as_bytes());
        }
        let mut cursor = h.scan(0, 10, |_| {});
        assert_ne!(cursor, 0);
        for i in 10..1000 {
            h.remove(format!("k{i}").as_bytes());
        }
        for i in 0..5 {
            h.insert(format!("late{i}").as_bytes());
        }
        assert!(h.epoch > 0);
        // The old cursor restarts the walk: every surviving member is still returned.
        let mut after = std::collections::HashSet::new();
        loop {
            cursor = h.scan(cursor, 3, |m| {
                after.insert(m.to_vec());
            });
            if cursor == 0 {
                break;
            }
        }
        for i in 0..10 {
            assert!(after.contains(format!("k{i}").as_bytes()));
        }
    }

    #[test]
    fn random_covers_members() {
        let mut r = rng(3);
        let mut s = Set::new_for(b"1");
        for i in 0..10 {
            s.insert(i.to_string().as_bytes(), 512);
        }
        let mut hit = [false; 10];
        for _ in 0..1000 {
            if let Some(Member::Int(v)) = s.random(&mut r) {
                hit[v as usize] = true;
            }
        }
        assert!(hit.iter().all(|&h| h));
        assert_eq!(Set::default().random(&mut r), None);
    }
}
