//! The hash value type, in Redis's two encodings.
//!
//! - `listpack`: every field and value in one contiguous byte buffer, in insertion order (as
//!   Redis's listpack keeps them, so HGETALL/HKEYS/HVALS/HSCAN answer in Redis's order).
//!   Each element is a tag byte followed by its payload; strings that read as a 64-bit integer
//!   (Redis's `string2ll`, hence canonical decimal) are stored as integers in 1 to 9 bytes. The
//!   buffer starts with a 2-byte element-pair count (saturating at `u16::MAX`, past which it is
//!   recounted by a walk, as Redis's listpack header does). The buffer is reallocated to its
//!   exact size on every change, as Redis's listpack is.
//! - `hashtable`: used once a hash has more than `hash-max-listpack-entries` fields or a field
//!   or value longer than `hash-max-listpack-value` bytes; the conversion is one way, as in
//!   Redis. Entries sit densely in a vector (so a uniformly random one is one index away) and
//!   are chained from a power-of-two bucket array by 32 bits of their hash, stored in the
//!   entry (so resizing never rehashes the bytes).
//!
//! HSCAN over a `hashtable` uses Redis's own cursor scheme over the bucket array: the cursor
//! is a bucket index incremented in bit-reversed order, so an element present for the whole
//! iteration is returned at least once even when the table grows or shrinks in between (a
//! shrink can return an element twice). Buckets are resized in one step (load factor 1 to
//! grow, below 10% to shrink, as Redis's dict), so only one table ever exists. Deleting moves
//! the last entry of the dense vector into the hole, which does not change any bucket, so
//! cursors are unaffected.

use std::hash::BuildHasher;

use super::bytes::SmallBytes;
use crate::util::num::parse_i64;

/// The conversion thresholds (`hash-max-listpack-entries`, `hash-max-listpack-value`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub max_entries: u64,
    pub max_value: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entries: 512,
            max_value: 64,
        }
    }
}

/// A field or value as stored: bytes, or an integer the listpack keeps in binary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Elem<'a> {
    Str(&'a [u8]),
    Int(i64),
}

impl<'a> Elem<'a> {
    /// The element's bytes; integers are rendered into `scratch`.
    pub fn bytes<'b>(&self, scratch: &'b mut itoa::Buffer) -> &'b [u8]
    where
        'a: 'b,
    {
        match *self {
            Elem::Str(s) => s,
            Elem::Int(n) => scratch.format(n).as_bytes(),
        }
    }

    /// Length of the element's string form.
    pub fn len(&self) -> usize {
        match *self {
            Elem::Str(s) => s.len(),
            Elem::Int(n) => itoa::Buffer::new().format(n).len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn to_vec(&self) -> Vec<u8> {
        self.bytes(&mut itoa::Buffer::new()).to_vec()
    }
}

/// A hash value.
#[derive(Clone, Debug, PartialEq)]
pub enum Hash {
    Listpack(Listpack),
    Table(Box<Table>),
}

impl Default for Hash {
    fn default() -> Self {
        Hash::new()
    }
}

impl Hash {
    /// An empty hash (listpack-encoded).
    pub fn new() -> Hash {
        Hash::Listpack(Listpack::new())
    }

    /// The OBJECT ENCODING name.
    pub fn encoding(&self) -> &'static str {
        match self {
            Hash::Listpack(_) => "listpack",
            Hash::Table(_) => "hashtable",
        }
    }

    /// Bytes held on the heap (for memory accounting).
    pub fn heap_size(&self) -> usize {
        match self {
            Hash::Listpack(lp) => lp.buf.len(),
            Hash::Table(t) => std::mem::size_of::<Table>() + t.heap_size(),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Hash::Listpack(lp) => lp.len(),
            Hash::Table(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value of `field`.
    pub fn get(&self, field: &[u8]) -> Option<Elem<'_>> {
        match self {
            Hash::Listpack(lp) => lp.get(field),
            Hash::Table(t) => t.get(field).map(Elem::Str),
        }
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// Sets `field` to `value`, converting to `hashtable` first if either is longer than
    /// `limits.max_value` and afterwards if the hash has more than `limits.max_entries` fields
    /// (Redis's `hashTypeSet`). Returns true when the field is new.
    pub fn insert(&mut self, field: &[u8], value: &[u8], limits: Limits) -> bool {
        if let Hash::Listpack(_) = self {
            if field.len() as u64 > limits.max_value || value.len() as u64 > limits.max_value {
                self.convert();
            }
        }
        match self {
            Hash::Listpack(lp) => {
                let added = lp.insert(field, value);
                if added && lp.len() as u64 > limits.max_entries {
                    self.convert();
                }
                added
            }
            Hash::Table(t) => t.insert(field, value),
        }
    }

    /// Whether any of `args` is longer than `limits.max_value` (Redis's
    /// `hashTypeTryConversion` check, run over all of HSET's arguments before it sets any).
    pub fn try_conversion(&mut self, args: impl Iterator<Item = usize>, limits: Limits) {
        if let Hash::Listpack(_) = self {
            let mut args = args;
            if args.any(|len| len as u64 > limits.max_value) {
                self.convert();
            }
        }
    }

    /// Removes `field`; true when it was there.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match self {
            Hash::Listpack(lp) => lp.remove(field),
            Hash::Table(t) => t.remove(field),
        }
    }

    /// Every (field, value) pair: insertion order for `listpack`, storage order for
    /// `hashtable`.
    pub fn iter(&self) -> Iter<'_> {
        match self {
            Hash::Listpack(lp) => Iter::Listpack(lp.iter()),
            Hash::Table(t) => Iter::Table(t.nodes.iter()),
        }
    }

    /// A `listpack` hash of `pairs` in that order; the fields must be distinct. Builds the
    /// buffer in `scratch` and allocates it once at its exact size (RDB loading), instead of
    /// reallocating per field.
    pub fn listpack_from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a [u8], &'a [u8])>,
        scratch: &mut Vec<u8>,
    ) -> Hash {
        scratch.clear();
        scratch.extend_from_slice(&[0; HEADER]);
        let mut n = 0;
        for (f, v) in pairs {
            encode(f, scratch);
            encode(v, scratch);
            n += 1;
        }
        Listpack::set_count(scratch, n);
        Hash::Listpack(Listpack {
            buf: Box::from(&scratch[..]),
        })
    }

    /// Converts to the `hashtable` encoding (one way).
    pub fn convert(&mut self) {
        if let Hash::Listpack(lp) = self {
            let mut t = Table::with_capacity(lp.len());
            let mut a = itoa::Buffer::new();
            let mut b = itoa::Buffer::new();
            for (f, v) in lp.iter() {
                t.insert_new(f.bytes(&mut a), v.bytes(&mut b));
            }
            *self = Hash::Table(Box::new(t));
        }
    }

    /// Positions of every pair, for picking random ones; index `i` is the `i`-th pair.
    pub fn pair_refs(&self) -> PairRefs<'_> {
        match self {
            Hash::Listpack(lp) => PairRefs::Listpack(lp, lp.pair_offsets()),
            Hash::Table(t) => PairRefs::Table(t),
        }
    }

    /// One HSCAN step over a `hashtable` (see the module docs): calls `each` for the
    /// elements of the bucket `cursor` designates and returns the next cursor (0 at the end).
    /// A `listpack` is visited whole and gives 0.
    pub fn scan_step(&self, cursor: u64, mut each: impl FnMut(Elem<'_>, Elem<'_>)) -> u64 {
        match self {
            Hash::Listpack(lp) => {
                for (f, v) in lp.iter() {
                    each(f, v);
                }
                0
            }
            Hash::Table(t) => t.scan_step(cursor, |f, v| each(Elem::Str(f), Elem::Str(v))),
        }
    }
}

/// Random access to a hash's pairs by index.
pub enum PairRefs<'a> {
    Listpack(&'a Listpack, Vec<u32>),
    Table(&'a Table),
}

impl<'a> PairRefs<'a> {
    pub fn len(&self) -> usize {
        match self {
            PairRefs::Listpack(_, offs) => offs.len(),
            PairRefs::Table(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `i`-th pair (`i < len()`).
    pub fn get(&self, i: usize) -> (Elem<'a>, Elem<'a>) {
        match self {
            PairRefs::Listpack(lp, offs) => {
                let (f, next) = decode(&lp.buf, offs[i] as usize);
                let (v, _) = decode(&lp.buf, next);
                (f, v)
            }
            PairRefs::Table(t) => {
                let n = &t.nodes[i];
                (Elem::Str(&n.field), Elem::Str(&n.value))
            }
        }
    }
}

/// Iterator over a hash's pairs.
pub enum Iter<'a> {
    Listpack(LpIter<'a>),
    Table(std::slice::Iter<'a, Node>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (Elem<'a>, Elem<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Listpack(it) => it.next(),
            Iter::Table(it) => it
                .next()
                .map(|n| (Elem::Str(n.field.as_slice()), Elem::Str(n.value.as_slice()))),
        }
    }
}

// ------------------------------------------------------------------------------- listpack

/// Element tags. Small integers and short strings carry their value or length in the tag.
mod tag {
    /// `0xxxxxxx`: an integer 0..=127.
    pub const UINT7_MAX: u8 = 0x7f;
    /// `10xxxxxx`: a string of 0..=63 bytes follows.
    pub const STR6: u8 = 0x80;
    /// `110xxxxx` + 1 byte: a 13-bit signed integer.
    pub const INT13: u8 = 0xc0;
    /// `1110xxxx` + 2 bytes: a 20-bit signed integer.
    pub const INT20: u8 = 0xe0;
    /// `11110000` + 3 bytes: a 24-bit signed integer.
    pub const INT24: u8 = 0xf0;
    /// + 4 bytes: a 32-bit signed integer.
    pub const INT32: u8 = 0xf1;
    /// + 8 bytes: a 64-bit signed integer.
    pub const INT64: u8 = 0xf2;
    /// + 2-byte length: a string of up to 65535 bytes.
    pub const STR16: u8 = 0xf3;
    /// + 4-byte length: a longer string.
    pub const STR32: u8 = 0xf4;
}

/// Bytes of the count header.
const HEADER: usize = 2;
/// Header value meaning "too many to count in 16 bits: walk the buffer".
const COUNT_UNKNOWN: u16 = u16::MAX;

/// The compact encoding: `[count: u16 LE][field][value][field][value]…`.
#[derive(Clone, PartialEq)]
pub struct Listpack {
    buf: Box<[u8]>,
}

impl std::fmt::Debug for Listpack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.iter().map(|(k, v)| (k.to_vec(), v.to_vec())))
            .finish()
    }
}

/// A field being looked for, with its integer reading (how it would be stored).
struct Probe<'a> {
    bytes: &'a [u8],
    int: Option<i64>,
}

impl<'a> Probe<'a> {
    fn new(bytes: &'a [u8]) -> Probe<'a> {
        Probe {
            bytes,
            int: as_int(bytes),
        }
    }

    fn matches(&self, e: Elem<'_>) -> bool {
        match e {
            Elem::Str(s) => self.int.is_none() && s == self.bytes,
            Elem::Int(n) => self.int == Some(n),
        }
    }
}

/// The integer a string is stored as, if it is one (Redis's `lpStringToInt64`).
fn as_int(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    parse_i64(s)
}

/// Appends the encoding of `s`.
fn encode(s: &[u8], out: &mut Vec<u8>) {
    if let Some(n) = as_int(s) {
        encode_int(n, out);
        return;
    }
    let len = s.len();
    if len <= 63 {
        out.push(tag::STR6 | len as u8);
    } else if len <= u16::MAX as usize {
        out.push(tag::STR16);
        out.extend_from_slice(&(len as u16).to_le_bytes());
    } else {
        out.push(tag::STR32);
        out.extend_from_slice(&(len as u32).to_le_bytes());
    }
    out.extend_from_slice(s);
}

fn encode_int(n: i64, out: &mut Vec<u8>) {
    if (0..=tag::UINT7_MAX as i64).contains(&n) {
        out.push(n as u8);
    } else if (-(1 << 12)..(1 << 12)).contains(&n) {
        let u = (n as u16) & 0x1fff;
        out.push(tag::INT13 | (u >> 8) as u8);
        out.push(u as u8);
    } else if (-(1 << 19)..(1 << 19)).contains(&n) {
        let u = (n as u32) & 0xf_ffff;
        out.push(tag::INT20 | (u >> 16) as u8);
        out.extend_from_slice(&(u as u16).to_le_bytes());
    } else if (-(1 << 23)..(1 << 23)).contains(&n) {
        out.push(tag::INT24);
        out.extend_from_slice(&(n as i32).to_le_bytes()[..3]);
    } else if let Ok(n) = i32::try_from(n) {
        out.push(tag::INT32);
        out.extend_from_slice(&n.to_le_bytes());
    } else {
        out.push(tag::INT64);
        out.extend_from_slice(&n.to_le_bytes());
    }
}

/// Sign-extends the low `bits` bits of `v`.
fn sign_extend(v: u64, bits: u32) -> i64 {
    let shift = 64 - bits;
    ((v << shift) as i64) >> shift
}

fn le(buf: &[u8], at: usize, n: usize) -> u64 {
    let mut b = [0u8; 8];
    b[..n].copy_from_slice(&buf[at..at + n]);
    u64::from_le_bytes(b)
}

/// Decodes the element at `pos`; returns it and the position after it. `pos` must be the
/// start of an element of a well-formed buffer (only this module writes one).
fn decode(buf: &[u8], pos: usize) -> (Elem<'_>, usize) {
    let t = buf[pos];
    let p = pos + 1;
    if t <= tag::UINT7_MAX {
        (Elem::Int(t as i64), p)
    } else if t & 0xc0 == tag::STR6 {
        let len = (t & 0x3f) as usize;
        (Elem::Str(&buf[p..p + len]), p + len)
    } else if t & 0xe0 == tag::INT13 {
        let v = (((t & 0x1f) as u64) << 8) | buf[p] as u64;
        (Elem::Int(sign_extend(v, 13)), p + 1)
    } else if t & 0xf0 == tag::INT20 {
        let v = (((t & 0x0f) as u64) << 16) | le(buf, p, 2);
        (Elem::Int(sign_extend(v, 20)), p + 2)
    } else {
        match t {
            tag::INT24 => (Elem::Int(sign_extend(le(buf, p, 3), 24)), p + 3),
            tag::INT32 => (Elem::Int(le(buf, p, 4) as u32 as i32 as i64), p + 4),
            tag::INT64 => (Elem::Int(le(buf, p, 8) as i64), p + 8),
            tag::STR16 => {
                let len = le(buf, p, 2) as usize;
                (Elem::Str(&buf[p + 2..p + 2 + len]), p + 2 + len)
            }
            _ => {
                let len = le(buf, p, 4) as usize;
                (Elem::Str(&buf[p + 4..p + 4 + len]), p + 4 + len)
            }
        }
    }
}

/// Iterator over a listpack's pairs.
pub struct LpIter<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for LpIter<'a> {
    type Item = (Elem<'a>, Elem<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let (f, p) = decode(self.buf, self.pos);
        let (v, p) = decode(self.buf, p);
        self.pos = p;
        Some((f, v))
    }
}

impl Listpack {
    fn new() -> Listpack {
        Listpack {
            buf: vec![0u8; HEADER].into_boxed_slice(),
        }
    }

    fn stored_count(&self) -> u16 {
        u16::from_le_bytes([self.buf[0], self.buf[1]])
    }

    fn set_count(buf: &mut [u8], n: usize) {
        let c = if n >= COUNT_UNKNOWN as usize {
            COUNT_UNKNOWN
        } else {
            n as u16
        };
        buf[..HEADER].copy_from_slice(&c.to_le_bytes());
    }

    pub fn len(&self) -> usize {
        match self.stored_count() {
            COUNT_UNKNOWN => self.iter().count(),
            n => n as usize,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.buf.len() == HEADER
    }

    pub fn iter(&self) -> LpIter<'_> {
        LpIter {
            buf: &self.buf,
            pos: HEADER,
        }
    }

    /// Start offsets of every pair.
    fn pair_offsets(&self) -> Vec<u32> {
        let mut out = Vec::with_capacity(self.len());
        let mut pos = HEADER;
        while pos < self.buf.len() {
            out.push(pos as u32);
            let (_, p) = decode(&self.buf, pos);
            pos = decode(&self.buf, p).1;
        }
        out
    }

    /// (field start, value start, pair end) of `field`.
    fn find(&self, field: &[u8]) -> Option<(usize, usize, usize)> {
        let probe = Probe::new(field);
        let mut pos = HEADER;
        while pos < self.buf.len() {
            let (f, vpos) = decode(&self.buf, pos);
            let (_, end) = decode(&self.buf, vpos);
            if probe.matches(f) {
                return Some((pos, vpos, end));
            }
            pos = end;
        }
        None
    }

    fn get(&self, field: &[u8]) -> Option<Elem<'_>> {
        let (_, vpos, _) = self.find(field)?;
        Some(decode(&self.buf, vpos).0)
    }

    /// Replaces bytes `range` of the buffer by `with`, reallocating to the exact new size.
    fn splice(&mut self, range: std::ops::Range<usize>, with: &[u8]) {
        let old = std::mem::take(&mut self.buf);
        let mut v = Vec::with_capacity(old.len() - range.len() + with.len());
        v.extend_from_slice(&old[..range.start]);
        v.extend_from_slice(with);
        v.extend_from_slice(&old[range.end..]);
        drop(old);
        self.buf = v.into_boxed_slice();
    }

    fn insert(&mut self, field: &[u8], value: &[u8]) -> bool {
        let mut enc = Vec::with_capacity(value.len() + 5);
        encode(value, &mut enc);
        if let Some((_, vpos, end)) = self.find(field) {
            if self.buf[vpos..end] != enc[..] {
                self.splice(vpos..end, &enc);
            }
            return false;
        }
        let n = self.len() + 1;
        let mut pair = Vec::with_capacity(field.len() + 5 + enc.len());
        encode(field, &mut pair);
        pair.extend_from_slice(&enc);
        let at = self.buf.len();
        self.splice(at..at, &pair);
        Listpack::set_count(&mut self.buf, n);
        true
    }

    fn remove(&mut self, field: &[u8]) -> bool {
        let Some((start, _, end)) = self.find(field) else {
            return false;
        };
        let n = self.len() - 1;
        self.splice(start..end, &[]);
        Listpack::set_count(&mut self.buf, n);
        true
    }
}

// ------------------------------------------------------------------------------ hashtable

/// "No entry" in bucket heads and chain links.
const NIL: u32 = u32::MAX;
/// Smallest bucket array (Redis's `DICT_HT_INITIAL_SIZE`).
const MIN_BUCKETS: usize = 4;

/// One field of a `hashtable` hash.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    field: SmallBytes,
    value: SmallBytes,
    /// 32 bits of the field's hash: the bucket is `hash & (buckets - 1)`.
    hash: u32,
    /// Next entry in the same bucket, or `NIL`.
    next: u32,
}

/// The full encoding: dense entries chained from a bucket array.
#[derive(Clone)]
pub struct Table {
    nodes: Vec<Node>,
    buckets: Box<[u32]>,
    hasher: hashbrown::DefaultHashBuilder,
}

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.nodes.iter().map(|n| (&n.field, &n.value)))
            .finish()
    }
}

impl PartialEq for Table {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .nodes
                .iter()
                .all(|n| other.get(&n.field) == Some(n.value.as_slice()))
    }
}

impl Table {
    fn with_capacity(n: usize) -> Table {
        let size = n.max(MIN_BUCKETS).next_power_of_two();
        Table {
            nodes: Vec::with_capacity(n),
            buckets: vec![NIL; size].into_boxed_slice(),
            hasher: hashbrown::DefaultHashBuilder::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    fn heap_size(&self) -> usize {
        self.nodes.capacity() * std::mem::size_of::<Node>()
            + self.buckets.len() * 4
            + self
                .nodes
                .iter()
                .map(|n| n.field.heap_size() + n.value.heap_size())
                .sum::<usize>()
    }

    fn hash32(&self, field: &[u8]) -> u32 {
        let h = self.hasher.hash_one(field);
        (h ^ (h >> 32)) as u32
    }

    fn mask(&self) -> usize {
        self.buckets.len() - 1
    }

    fn find(&self, field: &[u8]) -> Option<usize> {
        let h = self.hash32(field);
        let mut i = self.buckets[h as usize & self.mask()];
        while i != NIL {
            let n = &self.nodes[i as usize];
            if n.hash == h && n.field.as_slice() == field {
                return Some(i as usize);
            }
            i = n.next;
        }
        None
    }

    fn get(&self, field: &[u8]) -> Option<&[u8]> {
        self.find(field).map(|i| self.nodes[i].value.as_slice())
    }

    fn insert(&mut self, field: &[u8], value: &[u8]) -> bool {
        if let Some(i) = self.find(field) {
            if self.nodes[i].value.as_slice() != value {
                self.nodes[i].value = SmallBytes::new(value);
            }
            return false;
        }
        self.insert_new(field, value);
        true
    }

    /// Adds a field known to be absent.
    fn insert_new(&mut self, field: &[u8], value: &[u8]) {
        if self.nodes.len() >= self.buckets.len() {
            self.resize(self.nodes.len() + 1);
        }
        let hash = self.hash32(field);
        let b = hash as usize & self.mask();
        let idx = self.nodes.len() as u32;
        self.nodes.push(Node {
            field: SmallBytes::new(field),
            value: SmallBytes::new(value),
            hash,
            next: self.buckets[b],
        });
        self.buckets[b] = idx;
    }

    /// Rebuilds the bucket array with the smallest power of two ≥ `want` (at least 4)
    /// buckets.
    fn resize(&mut self, want: usize) {
        let size = want.max(MIN_BUCKETS).next_power_of_two();
        let mut buckets = vec![NIL; size].into_boxed_slice();
        let mask = size - 1;
        for (i, n) in self.nodes.iter_mut().enumerate() {
            let b = n.hash as usize & mask;
            n.next = buckets[b];
            buckets[b] = i as u32;
        }
        self.buckets = buckets;
    }

    /// Replaces the link that points at `from` (a bucket head or a chain link) by `to`.
    fn relink(&mut self, from: u32, to: u32) {
        let b = self.nodes[from as usize].hash as usize & self.mask();
        if self.buckets[b] == from {
            self.buckets[b] = to;
            return;
        }
        let mut i = self.buckets[b];
        while i != NIL {
            let next = self.nodes[i as usize].next;
            if next == from {
                self.nodes[i as usize].next = to;
                return;
            }
            i = next;
        }
    }

    fn remove(&mut self, field: &[u8]) -> bool {
        let Some(i) = self.find(field) else {
            return false;
        };
        let idx = i as u32;
        // Unlink the entry, then move the last entry into its place.
        let next = self.nodes[i].next;
        self.relink(idx, next);
        let last = (self.nodes.len() - 1) as u32;
        if idx != last {
            self.relink(last, idx);
        }
        self.nodes.swap_remove(i);
        // Shrink as Redis's dict does below 10% fill (htNeedsResize + dictResize).
        let size = self.buckets.len();
        if size > MIN_BUCKETS && self.nodes.len() * 100 / size < 10 {
            self.resize(self.nodes.len());
            self.nodes.shrink_to(self.nodes.len() * 2);
        }
        true
    }

    /// Visits the bucket `cursor` designates; returns the next cursor in reverse-binary
    /// order (Redis's `dictScan` on a single table), 0 after the last bucket.
    fn scan_step(&self, cursor: u64, mut each: impl FnMut(&[u8], &[u8])) -> u64 {
        let mask = self.mask() as u64;
        let mut i = self.buckets[(cursor & mask) as usize];
        while i != NIL {
            let n = &self.nodes[i as usize];
            each(&n.field, &n.value);
            i = n.next;
        }
        let mut v = cursor | !mask;
        v = v.reverse_bits();
        v = v.wrapping_add(1);
        v.reverse_bits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Limits {
        Limits {
            max_entries: 4,
            max_value: 8,
        }
    }

    fn pairs(h: &Hash) -> Vec<(Vec<u8>, Vec<u8>)> {
        h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect()
    }

    #[test]
    fn handle_is_two_words() {
        assert_eq!(std::mem::size_of::<Hash>(), 16);
    }

    #[test]
    fn integers_round_trip_through_every_width() {
        let mut samples: Vec<i64> = vec![0, 1, 127, 128, -1, i64::MIN, i64::MAX];
        for bits in [7u32, 12, 13, 19, 20, 23, 24, 31, 32, 62] {
            let p = 1i64 << bits;
            samples.extend([p - 1, p, p + 1, -p - 1, -p, -p + 1]);
        }
        for n in samples {
            let s = n.to_string();
            let mut out = Vec::new();
            encode(s.as_bytes(), &mut out);
            let (e, end) = decode(&out, 0);
            assert_eq!(e, Elem::Int(n), "{n}");
            assert_eq!(end, out.len());
        }
        for s in [
            &b""[..],
            b"-0",
            b"007",
            b"+1",
            b"1 ",
            b"99999999999999999999",
        ] {
            let mut out = Vec::new();
            encode(s, &mut out);
            assert_eq!(decode(&out, 0), (Elem::Str(s), out.len()));
        }
        for len in [63usize, 64, 65535, 65536] {
            let s = vec![b'x'; len];
            let mut out = Vec::new();
            encode(&s, &mut out);
            assert_eq!(decode(&out, 0), (Elem::Str(&s[..]), out.len()));
        }
    }

    #[test]
    fn listpack_keeps_insertion_order_and_deletes_in_place() {
        let mut h = Hash::new();
        assert!(h.insert(b"a", b"1", small()));
        assert!(h.insert(b"10", b"x", small()));
        assert!(h.insert(b"c", b"-5000", small()));
        assert!(!h.insert(b"a", b"longer", small()));
        assert_eq!(h.get(b"10"), Some(Elem::Str(b"x")));
        assert_eq!(h.get(b"c"), Some(Elem::Int(-5000)));
        assert!(h.remove(b"10"));
        assert!(!h.remove(b"10"));
        assert!(h.insert(b"d", b"", small()));
        assert_eq!(
            pairs(&h),
            vec![
                (b"a".to_vec(), b"longer".to_vec()),
                (b"c".to_vec(), b"-5000".to_vec()),
                (b"d".to_vec(), b"".to_vec()),
            ]
        );
        assert_eq!(h.len(), 3);
        assert_eq!(h.encoding(), "listpack");
    }

    #[test]
    fn converts_past_the_limits_one_way() {
        let mut h = Hash::new();
        for i in 0..4 {
            h.insert(format!("f{i}").as_bytes(), b"v", small());
        }
        assert_eq!(h.encoding(), "listpack");
        h.insert(b"f4", b"v", small());
        assert_eq!(h.encoding(), "hashtable");
        for i in 0..5 {
            h.remove(format!("f{i}").as_bytes());
        }
        assert!(h.is_empty());
        assert_eq!(h.encoding(), "hashtable");

        let mut h = Hash::new();
        h.insert(b"f", b"123456789", small());
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.get(b"f"), Some(Elem::Str(b"123456789")));
    }

    #[test]
    fn table_survives_growth_and_shrinking() {
        let mut h = Hash::new();
        let lim = Limits::default();
        for i in 0..5000 {
            assert!(h.insert(
                format!("field:{i}").as_bytes(),
                i.to_string().as_bytes(),
                lim
            ));
        }
        assert_eq!(h.len(), 5000);
        for i in (0..5000).step_by(2) {
            assert!(h.remove(format!("field:{i}").as_bytes()));
        }
        for i in 0..5000 {
            let got = h.get(format!("field:{i}").as_bytes()).map(|e| e.to_vec());
            let want = (i % 2 == 1).then(|| i.to_string().into_bytes());
            assert_eq!(got, want, "{i}");
        }
        for i in (1..4990).step_by(2) {
            assert!(h.remove(format!("field:{i}").as_bytes()));
        }
        assert_eq!(h.len(), 5);
        if let Hash::Table(t) = &h {
            assert!(t.buckets.len() <= 16);
        }
        assert_eq!(
            h.get(b"field:4999").map(|e| e.to_vec()),
            Some(b"4999".to_vec())
        );
    }

    #[test]
    fn scan_returns_every_stable_element_across_resizes() {
        let mut h = Hash::new();
        let lim = Limits::default();
        for i in 0..1000 {
            h.insert(format!("k{i}").as_bytes(), b"v", lim);
        }
        let mut seen = std::collections::HashSet::new();
        let mut cursor = 0u64;
        let mut step = 0;
        loop {
            cursor = h.scan_step(cursor, |f, _| {
                seen.insert(f.to_vec());
            });
            step += 1;
            // Grow and shrink while iterating; keys k0..k499 stay throughout.
            if step == 100 {
                for i in 1000..5000 {
                    h.insert(format!("k{i}").as_bytes(), b"v", lim);
                }
            }
            if step == 600 {
                for i in 500..5000 {
                    h.remove(format!("k{i}").as_bytes());
                }
            }
            if cursor == 0 {
                break;
            }
        }
        for i in 0..500 {
            assert!(seen.contains(format!("k{i}").as_bytes()), "k{i}");
        }
    }
}
