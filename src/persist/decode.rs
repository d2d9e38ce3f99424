//! Reading RDB: whole files (every type and opcode Redis 7.0 and older write) and single
//! values (RESTORE).
//!
//! Input is untrusted. Reads go through a fixed buffer; a string's claimed length never sizes
//! an allocation by itself (the destination grows as bytes actually arrive), collection
//! counts only cap pre-sizing, and every failure is a [`LoadError`] at the offset reached.
//!
//! Values are rebuilt through the store's own API with the configured thresholds, so a
//! loaded value gets the encoding Redis would give it: a listpack or intset from the file
//! stays compact unless it holds more entries than the limit, while a hashtable-style
//! encoding (types 2, 3, 4, 5) is converted back when it fits, as Redis's loader decides.

use std::io::{ErrorKind, Read};

use super::listpack::{intset_parts, Item, LpReader, Malformed, ZipmapReader, ZlReader};
use super::{crc64::crc64, lzf, opcodes, types, LoadError, Loaded, RDB_VERSION};
use crate::config::Config;
use crate::store::evict::initial_access;
use crate::store::hash::{self, Hash};
use crate::store::list::{End, List};
use crate::store::set::{HashSet, IntSet, Set};
use crate::store::zset::{self, ZSet};
use crate::store::{Db, Value};
use crate::util::num::parse_f64_range_bound;

type Result<T> = std::result::Result<T, LoadError>;

const BUF_SIZE: usize = 64 * 1024;
/// Most elements a collection is pre-sized for, whatever count the input claims.
const PRESIZE_CAP: u64 = 4096;

/// Most keys a database is pre-sized for from a RESIZEDB hint.
const RESERVE_CAP: u64 = 1 << 20;

/// Quicklist node containers.
const CONTAINER_PLAIN: u64 = 1;
const CONTAINER_PACKED: u64 = 2;

/// A buffered reader that knows its offset and checksums what it consumed.
struct Input<R: Read> {
    inner: R,
    buf: Box<[u8]>,
    pos: usize,
    end: usize,
    /// Input offset of `buf[0]`.
    base: u64,
    crc: u64,
    /// `buf[..crc_pos]` is already in `crc`.
    crc_pos: usize,
    /// Compressed bytes of the LZF string being read.
    lzf_in: Vec<u8>,
}

impl<R: Read> Input<R> {
    fn new(inner: R) -> Input<R> {
        Input {
            inner,
            buf: vec![0u8; BUF_SIZE].into_boxed_slice(),
            pos: 0,
            end: 0,
            base: 0,
            crc: 0,
            crc_pos: 0,
            lzf_in: Vec::new(),
        }
    }

    fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    fn err(&self, message: impl Into<String>) -> LoadError {
        LoadError {
            offset: self.offset(),
            message: message.into(),
        }
    }

    /// Makes at least `need` (≤ the buffer size) unread bytes available.
    fn fill(&mut self, need: usize) -> Result<()> {
        if self.end - self.pos >= need {
            return Ok(());
        }
        self.crc = crc64(self.crc, &self.buf[self.crc_pos..self.pos]);
        self.buf.copy_within(self.pos..self.end, 0);
        self.base += self.pos as u64;
        self.end -= self.pos;
        self.pos = 0;
        self.crc_pos = 0;
        while self.end < need {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.pos = self.end;
                    return Err(self.err("unexpected end of file"));
                }
                Ok(n) => self.end += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(self.err(format!("read error: {e}"))),
            }
        }
        Ok(())
    }

    fn byte(&mut self) -> Result<u8> {
        self.fill(1)?;
        let b = self.buf[self.pos];
        self.pos += 1;
        Ok(b)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        self.fill(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(&self.buf[self.pos..self.pos + N]);
        self.pos += N;
        Ok(a)
    }

    /// Appends the next `n` bytes to `out`, growing it only as the bytes arrive.
    fn read_into(&mut self, n: u64, out: &mut Vec<u8>) -> Result<()> {
        let mut left = n;
        out.reserve(n.min(BUF_SIZE as u64) as usize);
        while left > 0 {
            if self.pos == self.end {
                self.fill(1)?;
            }
            let take = (self.end - self.pos).min(usize::try_from(left).unwrap_or(usize::MAX));
            out.extend_from_slice(&self.buf[self.pos..self.pos + take]);
            self.pos += take;
            left -= take as u64;
        }
        Ok(())
    }

    /// The checksum of everything consumed so far.
    fn checksum(&mut self) -> u64 {
        self.crc = crc64(self.crc, &self.buf[self.crc_pos..self.pos]);
        self.crc_pos = self.pos;
        self.crc
    }

    /// `rdbLoadLen`: the length, and whether it is a special string encoding instead.
    fn len(&mut self) -> Result<(u64, bool)> {
        let b = self.byte()?;
        Ok(match b >> 6 {
            0 => (u64::from(b & 0x3f), false),
            1 => (u64::from(b & 0x3f) << 8 | u64::from(self.byte()?), false),
            3 => (u64::from(b & 0x3f), true),
            _ => match b {
                0x80 => (u64::from(u32::from_be_bytes(self.array()?)), false),
                0x81 => (u64::from_be_bytes(self.array()?), false),
                _ => return Err(self.err(format!("unknown length encoding {b:#04x}"))),
            },
        })
    }

    fn plain_len(&mut self) -> Result<u64> {
        match self.len()? {
            (n, false) => Ok(n),
            (_, true) => Err(self.err("string encoding where a length was expected")),
        }
    }

    /// `rdbGenericLoadStringObject`: replaces `out` with the string's bytes (integer
    /// encodings rendered in decimal, LZF expanded).
    fn string(&mut self, out: &mut Vec<u8>) -> Result<()> {
        out.clear();
        let (n, encoded) = self.len()?;
        if !encoded {
            return self.read_into(n, out);
        }
        let v = match n {
            0 => i64::from(self.byte()? as i8),
            1 => i64::from(i16::from_le_bytes(self.array()?)),
            2 => i64::from(i32::from_le_bytes(self.array()?)),
            3 => return self.lzf_string(out),
            _ => return Err(self.err(format!("unknown RDB string encoding type {n}"))),
        };
        out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
        Ok(())
    }

    fn lzf_string(&mut self, out: &mut Vec<u8>) -> Result<()> {
        let clen = self.plain_len()?;
        let len = self.plain_len()?;
        let mut packed = std::mem::take(&mut self.lzf_in);
        packed.clear();
        let r = self.read_into(clen, &mut packed).and_then(|_| {
            let fits = usize::try_from(len)
                .ok()
                .filter(|&l| l <= lzf::max_expansion(packed.len()));
            match fits {
                Some(l) => lzf::decompress(&packed, l, out)
                    .map_err(|_| self.err("invalid LZF compressed string")),
                None => Err(self.err("invalid LZF compressed string length")),
            }
        });
        self.lzf_in = packed;
        r
    }

    /// `rdbLoadDoubleValue`: the text form of RDB types before 8.
    fn text_double(&mut self, scratch: &mut Vec<u8>) -> Result<f64> {
        match self.byte()? {
            255 => Ok(f64::NEG_INFINITY),
            254 => Ok(f64::INFINITY),
            253 => Ok(f64::NAN),
            n => {
                scratch.clear();
                self.read_into(u64::from(n), scratch)?;
                parse_f64_range_bound(scratch).ok_or_else(|| self.err("invalid double value"))
            }
        }
    }
}

/// Loads one file into `dbs`.
pub(super) fn read_file<R: Read>(
    input: R,
    dbs: &mut [Db],
    config: &Config,
    now_ms: i64,
    lru_clock: u32,
) -> Result<Loaded> {
    let mut d = Decoder::new(Input::new(input), config);
    let magic: [u8; 9] = d.input.array()?;
    if &magic[..5] != b"REDIS" {
        return Err(LoadError {
            offset: 0,
            message: "wrong signature trying to load DB from file".into(),
        });
    }
    let version = std::str::from_utf8(&magic[5..])
        .ok()
        .filter(|v| v.bytes().all(|c| c.is_ascii_digit()))
        .and_then(|v| v.parse::<u16>().ok())
        .filter(|v| (1..=RDB_VERSION).contains(v))
        .ok_or_else(|| LoadError {
            offset: 5,
            message: format!(
                "can't handle RDB format version {}",
                String::from_utf8_lossy(&magic[5..])
            ),
        })?;

    let policy = config.maxmemory_policy;
    let minutes = ((now_ms / 60_000) & 0xffff) as u32;
    let mut loaded = Loaded::default();
    let mut db = 0usize;
    let mut expire: Option<i64> = None;
    let mut idle: Option<u64> = None;
    let mut freq: Option<u8> = None;
    let mut key = Vec::new();
    loop {
        let at = d.input.offset();
        let t = d.input.byte()?;
        match t {
            opcodes::EXPIRETIME_MS => expire = Some(i64::from_le_bytes(d.input.array()?)),
            opcodes::EXPIRETIME => {
                expire = Some(i64::from(i32::from_le_bytes(d.input.array()?)) * 1000)
            }
            opcodes::IDLE => idle = Some(d.input.plain_len()?),
            opcodes::FREQ => freq = Some(d.input.byte()?),
            opcodes::EOF => break,
            opcodes::SELECTDB => {
                let id = d.input.plain_len()?;
                db = usize::try_from(id)
                    .ok()
                    .filter(|&i| i < dbs.len())
                    .ok_or_else(|| LoadError {
                        offset: at,
                        message: format!(
                            "the file selects database {id}, beyond the {} configured",
                            dbs.len()
                        ),
                    })?;
            }
            opcodes::RESIZEDB => {
                let keys = d.input.plain_len()?;
                d.input.plain_len()?;
                // A hint from the file: capped, since the file may lie.
                if let Some(target) = dbs.get_mut(db) {
                    target.reserve_empty(keys.min(RESERVE_CAP) as usize);
                }
            }
            opcodes::AUX => {
                d.input.string(&mut key)?;
                d.input.string(&mut d.s)?;
            }
            opcodes::MODULE_AUX => return Err(unsupported(at, t, "module auxiliary data")),
            opcodes::FUNCTION2 | opcodes::FUNCTION_PRE_GA => {
                return Err(unsupported(at, t, "function libraries"))
            }
            _ => {
                check_object_type(t, at)?;
                d.input.string(&mut key)?;
                let value = d.object(t)?;
                let expire_at = expire.take();
                let (idle, freq) = (idle.take(), freq.take());
                let Some(value) = value else {
                    continue; // an empty collection: Redis skips the key too
                };
                if expire_at.is_some_and(|e| e < now_ms) {
                    loaded.expired_skipped += 1;
                    continue;
                }
                let mut access = initial_access(policy, now_ms, lru_clock);
                if policy.is_lfu() {
                    if let Some(f) = freq {
                        access = (minutes << 8) | u32::from(f);
                    }
                } else if let Some(i) = idle {
                    access = lru_clock.saturating_sub(u32::try_from(i).unwrap_or(u32::MAX));
                }
                let Some(target) = dbs.get_mut(db) else {
                    return Err(LoadError {
                        offset: at,
                        message: "no database to load into".into(),
                    });
                };
                let before = target.len();
                let slot = target.set(&key, value, false, access);
                if target.len() == before {
                    return Err(LoadError {
                        offset: at,
                        message: format!(
                            "duplicated key '{}' in DB {db}",
                            String::from_utf8_lossy(&key)
                        ),
                    });
                }
                if let Some(e) = expire_at {
                    target.set_expire(slot, e);
                }
                loaded.keys += 1;
            }
        }
    }
    if version >= 5 {
        let expected = d.input.checksum();
        let stored = u64::from_le_bytes(d.input.array()?);
        // A zero checksum means the writer had `rdbchecksum` off.
        if config.rdbchecksum && stored != 0 && stored != expected {
            return Err(LoadError {
                offset: d.input.offset() - 8,
                message: format!(
                    "Wrong RDB checksum expected: ({expected:x}) got ({stored:x}): RDB CRC error"
                ),
            });
        }
    }
    Ok(loaded)
}

/// Decodes a RESTORE body (type byte and value); `None` for anything malformed or empty.
pub(super) fn read_value(body: &[u8], config: &Config) -> Option<Value> {
    let mut d = Decoder::new(Input::new(body), config);
    let t = d.input.byte().ok()?;
    check_object_type(t, 0).ok()?;
    d.object(t).ok().flatten()
}

fn unsupported(offset: u64, t: u8, what: &str) -> LoadError {
    LoadError {
        offset,
        message: format!("{what} (RDB type {t}) are not supported by ferrodis"),
    }
}

/// Refuses the object types ferrodis has no value for, and bytes that are no type at all.
fn check_object_type(t: u8, at: u64) -> Result<()> {
    match t {
        types::STRING
        | types::LIST
        | types::SET
        | types::ZSET
        | types::HASH
        | types::ZSET_2
        | types::HASH_ZIPMAP
        | types::LIST_ZIPLIST
        | types::SET_INTSET
        | types::ZSET_ZIPLIST
        | types::HASH_ZIPLIST
        | types::LIST_QUICKLIST
        | types::HASH_LISTPACK
        | types::ZSET_LISTPACK
        | types::LIST_QUICKLIST_2 => Ok(()),
        types::MODULE_PRE_GA | types::MODULE_2 => Err(unsupported(at, t, "module values")),
        types::STREAM_LISTPACKS | types::STREAM_LISTPACKS_2 | types::STREAM_LISTPACKS_3 => {
            Err(unsupported(at, t, "stream values"))
        }
        types::SET_LISTPACK => Err(unsupported(at, t, "listpack sets (Redis 7.2)")),
        _ => Err(LoadError {
            offset: at,
            message: format!("unknown RDB encoding type {t}"),
        }),
    }
}

struct Decoder<'c, R: Read> {
    input: Input<R>,
    config: &'c Config,
    /// Scratch for one element.
    s: Vec<u8>,
    /// Scratch for one packed blob.
    blob: Vec<u8>,
    pairs: Pairs,
}

/// Members and scores collected before a sorted set's encoding is chosen.
#[derive(Default)]
struct ZEntries {
    bytes: Vec<u8>,
    spans: Vec<(usize, usize, f64)>,
}

impl ZEntries {
    fn push(&mut self, member: &[u8], score: f64) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(member);
        self.spans.push((start, self.bytes.len(), score));
    }

    fn entries(&self) -> Vec<(&[u8], f64)> {
        self.spans
            .iter()
            .map(|&(a, b, s)| (&self.bytes[a..b], s))
            .collect()
    }

    fn has_duplicates(&self) -> bool {
        let mut members: Vec<&[u8]> = self
            .spans
            .iter()
            .map(|&(a, b, _)| &self.bytes[a..b])
            .collect();
        members.sort_unstable();
        members.windows(2).any(|w| w[0] == w[1])
    }
}

impl<'c, R: Read> Decoder<'c, R> {
    fn new(input: Input<R>, config: &'c Config) -> Decoder<'c, R> {
        Decoder {
            input,
            config,
            s: Vec::new(),
            blob: Vec::new(),
            pairs: Pairs::default(),
        }
    }

    fn malformed(&self, what: &str, m: Malformed) -> LoadError {
        self.input.err(format!("corrupt {what}: {}", m.0))
    }

    fn hash_limits(&self) -> hash::Limits {
        hash::Limits {
            max_entries: self.config.hash_max_listpack_entries as u64,
            max_value: self.config.hash_max_listpack_value as u64,
        }
    }

    fn zset_limits(&self) -> zset::Limits {
        zset::Limits {
            max_entries: self.config.zset_max_listpack_entries,
            max_value: self.config.zset_max_listpack_value,
        }
    }

    /// `rdbLoadObject`: the value of type `t`, or `None` for an empty collection.
    fn object(&mut self, t: u8) -> Result<Option<Value>> {
        let value = match t {
            types::STRING => {
                self.input.string(&mut self.s)?;
                return Ok(Some(Value::from_bytes(&self.s)));
            }
            types::LIST => self.linked_list()?,
            types::SET => self.set()?,
            types::ZSET | types::ZSET_2 => self.zset(t == types::ZSET_2)?,
            types::HASH => self.hash()?,
            types::HASH_ZIPMAP => self.zipmap()?,
            types::LIST_ZIPLIST => {
                let mut list = List::new();
                self.input.string(&mut self.blob)?;
                self.push_ziplist(&mut list)?;
                Value::List(Box::new(list))
            }
            types::SET_INTSET => self.intset()?,
            types::ZSET_ZIPLIST | types::ZSET_LISTPACK => {
                self.packed_zset(t == types::ZSET_LISTPACK)?
            }
            types::HASH_ZIPLIST | types::HASH_LISTPACK => {
                self.packed_hash(t == types::HASH_LISTPACK)?
            }
            types::LIST_QUICKLIST | types::LIST_QUICKLIST_2 => {
                self.quicklist(t == types::LIST_QUICKLIST_2)?
            }
            _ => return Err(self.input.err(format!("unknown RDB encoding type {t}"))),
        };
        let empty = match &value {
            Value::List(l) => l.is_empty(),
            Value::Set(s) => s.is_empty(),
            Value::ZSet(z) => z.is_empty(),
            Value::Hash(h) => h.is_empty(),
            Value::Int(_) | Value::Str(_) | Value::Raw(_) => false,
        };
        Ok((!empty).then_some(value))
    }

    fn linked_list(&mut self) -> Result<Value> {
        let n = self.input.plain_len()?;
        let fill = self.config.list_max_listpack_size;
        let mut list = List::new();
        for _ in 0..n {
            self.input.string(&mut self.s)?;
            list.push(End::Tail, &self.s, fill);
        }
        Ok(Value::List(Box::new(list)))
    }

    /// Pushes the elements of the ziplist in `self.blob`.
    fn push_ziplist(&mut self, list: &mut List) -> Result<()> {
        let fill = self.config.list_max_listpack_size;
        let mut r = ZlReader::new(&self.blob).map_err(|m| self.malformed("ziplist", m))?;
        let mut num = itoa::Buffer::new();
        while let Some(item) = r.next_item().map_err(|m| self.malformed("ziplist", m))? {
            list.push(End::Tail, item.bytes(&mut num), fill);
        }
        Ok(())
    }

    fn quicklist(&mut self, v2: bool) -> Result<Value> {
        let nodes = self.input.plain_len()?;
        let fill = self.config.list_max_listpack_size;
        let mut list = List::new();
        let mut num = itoa::Buffer::new();
        for _ in 0..nodes {
            let container = if v2 {
                self.input.plain_len()?
            } else {
                CONTAINER_PACKED
            };
            self.input.string(&mut self.blob)?;
            match container {
                CONTAINER_PLAIN => list.push(End::Tail, &self.blob, fill),
                CONTAINER_PACKED if v2 => {
                    let mut r = LpReader::new(&self.blob)
                        .map_err(|m| self.malformed("quicklist node", m))?;
                    while let Some(item) = r
                        .next_item()
                        .map_err(|m| self.malformed("quicklist node", m))?
                    {
                        list.push(End::Tail, item.bytes(&mut num), fill);
                    }
                }
                CONTAINER_PACKED => self.push_ziplist(&mut list)?,
                other => {
                    return Err(self.input.err(format!(
                        "quicklist integrity check failed: container {other}"
                    )))
                }
            }
        }
        Ok(Value::List(Box::new(list)))
    }

    fn set(&mut self) -> Result<Value> {
        let n = self.input.plain_len()?;
        let max = self.config.set_max_intset_entries.min(1 << 30);
        let mut set = if n > max as u64 {
            Set::Hash(Box::new(
                HashSet::with_capacity(n.min(PRESIZE_CAP) as usize),
            ))
        } else {
            Set::Int(IntSet::new())
        };
        for _ in 0..n {
            self.input.string(&mut self.s)?;
            if !set.insert(&self.s, max) {
                return Err(self.input.err("duplicate set members detected"));
            }
        }
        Ok(Value::Set(set))
    }

    fn intset(&mut self) -> Result<Value> {
        self.input.string(&mut self.blob)?;
        let (width, members) = intset_parts(&self.blob).map_err(|m| self.malformed("intset", m))?;
        let values: Vec<i64> = members.collect();
        let max = self.config.set_max_intset_entries.min(1 << 30);
        let set = if values.len() > max {
            let mut hs = HashSet::with_capacity(values.len());
            let mut num = itoa::Buffer::new();
            for v in values {
                if !hs.insert(num.format(v).as_bytes()) {
                    return Err(self.input.err("corrupt intset: duplicate members"));
                }
            }
            Set::Hash(Box::new(hs))
        } else {
            Set::Int(
                IntSet::from_sorted(width, &values)
                    .ok_or_else(|| self.input.err("corrupt intset: members out of order"))?,
            )
        };
        Ok(Value::Set(set))
    }

    fn zset(&mut self, binary: bool) -> Result<Value> {
        let n = self.input.plain_len()?;
        let lim = self.zset_limits();
        let mut collected = ZEntries::default();
        let mut big: Option<ZSet> = None;
        let mut max_len = 0usize;
        let mut total_len = 0usize;
        let mut text = Vec::new();
        for i in 0..n {
            self.input.string(&mut self.s)?;
            let score = if binary {
                f64::from_le_bytes(self.input.array()?)
            } else {
                self.input.text_double(&mut text)?
            };
            if score.is_nan() {
                return Err(self.input.err("zset with NAN score detected"));
            }
            max_len = max_len.max(self.s.len());
            total_len = total_len.saturating_add(self.s.len());
            // Past the entry limit the set ends as a skiplist whatever follows: build it
            // directly instead of collecting.
            if big.is_none() && i >= lim.max_entries as u64 {
                let mut z = ZSet::new_skiplist();
                for (m, s) in collected.entries() {
                    if z.score(m).is_some() {
                        return Err(self.input.err("duplicate zset fields detected"));
                    }
                    z.insert_new(m, s, lim);
                }
                collected = ZEntries::default();
                big = Some(z);
            }
            match big.as_mut() {
                Some(z) => {
                    if z.score(&self.s).is_some() {
                        return Err(self.input.err("duplicate zset fields detected"));
                    }
                    z.insert_new(&self.s, score, lim);
                }
                None => collected.push(&self.s, score),
            }
        }
        if let Some(z) = big {
            return Ok(Value::ZSet(Box::new(z)));
        }
        if collected.has_duplicates() {
            return Err(self.input.err("duplicate zset fields detected"));
        }
        // Redis loads into a skiplist and converts when the result fits a listpack.
        let fits = max_len <= lim.max_value && total_len <= 1 << 30;
        let lim = if fits {
            lim
        } else {
            zset::Limits {
                max_entries: 0,
                max_value: 0,
            }
        };
        Ok(Value::ZSet(Box::new(ZSet::from_distinct(
            &collected.entries(),
            lim,
        ))))
    }

    /// Types 12 and 17: member/score pairs in one blob, kept compact unless there are more
    /// entries than `zset-max-listpack-entries` (Redis does not check member lengths here).
    fn packed_zset(&mut self, listpack: bool) -> Result<Value> {
        self.input.string(&mut self.blob)?;
        let what = if listpack { "listpack" } else { "ziplist" };
        let mut collected = ZEntries::default();
        let mut num = itoa::Buffer::new();
        let blob = std::mem::take(&mut self.blob);
        let r = (|| -> std::result::Result<(), Malformed> {
            let mut items = PackedItems::new(&blob, listpack)?;
            while let Some(member) = items.next()? {
                let score = items.next()?.ok_or(Malformed("member without a score"))?;
                let score = match score {
                    Item::Int(v) => v as f64,
                    Item::Str(s) => parse_f64_range_bound(s).ok_or(Malformed("invalid score"))?,
                };
                collected.push(member.bytes(&mut num), score);
            }
            Ok(())
        })();
        self.blob = blob;
        r.map_err(|m| self.malformed(what, m))?;
        if collected.has_duplicates() {
            return Err(self.input.err(format!("corrupt {what}: duplicate members")));
        }
        let lim = zset::Limits {
            max_entries: self.config.zset_max_listpack_entries,
            max_value: usize::MAX,
        };
        Ok(Value::ZSet(Box::new(ZSet::from_distinct(
            &collected.entries(),
            lim,
        ))))
    }

    fn hash(&mut self) -> Result<Value> {
        let n = self.input.plain_len()?;
        let lim = self.hash_limits();
        let mut h = Hash::new();
        if n > lim.max_entries {
            h.convert();
        }
        let mut field = Vec::new();
        for _ in 0..n {
            self.input.string(&mut field)?;
            self.input.string(&mut self.s)?;
            if !h.insert(&field, &self.s, lim) {
                return Err(self.input.err("duplicate hash fields detected"));
            }
        }
        Ok(Value::Hash(h))
    }

    fn zipmap(&mut self) -> Result<Value> {
        self.input.string(&mut self.blob)?;
        let lim = self.hash_limits();
        let mut h = Hash::new();
        let blob = std::mem::take(&mut self.blob);
        let r = (|| -> std::result::Result<bool, Malformed> {
            let mut r = ZipmapReader::new(&blob)?;
            while let Some((f, v)) = r.next_pair()? {
                if !h.insert(f, v, lim) {
                    return Ok(false);
                }
            }
            Ok(true)
        })();
        self.blob = blob;
        match r {
            Ok(true) => Ok(Value::Hash(h)),
            Ok(false) => Err(self.input.err("hash zipmap with duplicate fields")),
            Err(m) => Err(self.malformed("zipmap", m)),
        }
    }

    /// Types 13 and 16: field/value pairs in one blob, kept compact unless there are more
    /// pairs than `hash-max-listpack-entries` (Redis does not check value lengths here).
    fn packed_hash(&mut self, listpack: bool) -> Result<Value> {
        self.input.string(&mut self.blob)?;
        let what = if listpack { "listpack" } else { "ziplist" };
        let mut pairs = std::mem::take(&mut self.pairs);
        pairs.clear();
        let r = (|| -> std::result::Result<(), Malformed> {
            let mut items = PackedItems::new(&self.blob, listpack)?;
            let (mut a, mut b) = (itoa::Buffer::new(), itoa::Buffer::new());
            while let Some(f) = items.next()? {
                let v = items.next()?.ok_or(Malformed("field without a value"))?;
                pairs.push(f.bytes(&mut a), v.bytes(&mut b));
            }
            Ok(())
        })();
        let value = match r {
            Err(m) => Err(self.malformed(what, m)),
            Ok(()) if pairs.has_duplicate_fields() => {
                Err(self.input.err(format!("corrupt {what}: duplicate fields")))
            }
            Ok(()) if pairs.len() as u64 <= self.config.hash_max_listpack_entries as u64 => Ok(
                Value::Hash(Hash::listpack_from_pairs(pairs.iter(), &mut self.blob)),
            ),
            Ok(()) => {
                let mut h = Hash::new();
                h.convert();
                let unlimited = hash::Limits {
                    max_entries: u64::MAX,
                    max_value: u64::MAX,
                };
                for (f, v) in pairs.iter() {
                    h.insert(f, v, unlimited);
                }
                Ok(Value::Hash(h))
            }
        };
        self.pairs = pairs;
        value
    }
}

/// Field/value pairs collected from a blob (integers rendered) in one reused buffer.
#[derive(Default)]
struct Pairs {
    bytes: Vec<u8>,
    /// Field start, value start, value end.
    spans: Vec<[usize; 3]>,
    /// Scratch for the duplicate check.
    order: Vec<usize>,
}

impl Pairs {
    fn clear(&mut self) {
        self.bytes.clear();
        self.spans.clear();
    }

    fn len(&self) -> usize {
        self.spans.len()
    }

    fn push(&mut self, field: &[u8], value: &[u8]) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(field);
        let mid = self.bytes.len();
        self.bytes.extend_from_slice(value);
        self.spans.push([start, mid, self.bytes.len()]);
    }

    fn field(&self, i: usize) -> &[u8] {
        let [a, m, _] = self.spans[i];
        &self.bytes[a..m]
    }

    fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.spans
            .iter()
            .map(|&[a, m, e]| (&self.bytes[a..m], &self.bytes[m..e]))
    }

    fn has_duplicate_fields(&mut self) -> bool {
        let mut order = std::mem::take(&mut self.order);
        order.clear();
        order.extend(0..self.spans.len());
        order.sort_unstable_by(|&x, &y| self.field(x).cmp(self.field(y)));
        let dup = order
            .windows(2)
            .any(|w| self.field(w[0]) == self.field(w[1]));
        self.order = order;
        dup
    }
}

/// The elements of a listpack or a ziplist, whichever the type says.
enum PackedItems<'a> {
    Lp(LpReader<'a>),
    Zl(ZlReader<'a>),
}

impl<'a> PackedItems<'a> {
    fn new(blob: &'a [u8], listpack: bool) -> std::result::Result<PackedItems<'a>, Malformed> {
        Ok(if listpack {
            PackedItems::Lp(LpReader::new(blob)?)
        } else {
            PackedItems::Zl(ZlReader::new(blob)?)
        })
    }

    fn next(&mut self) -> std::result::Result<Option<Item<'a>>, Malformed> {
        match self {
            PackedItems::Lp(r) => r.next_item(),
            PackedItems::Zl(r) => r.next_item(),
        }
    }
}
