//! Writing RDB: whole files and single values (DUMP), as Redis 7.0's `rdbSave*` functions
//! lay them out.
//!
//! Output goes through one internal buffer that is handed to the writer (and the checksum)
//! in large blocks; a slice bigger than the buffer bypasses it. Listpack blobs and LZF output
//! are built in scratch vectors reused across keys, so a save allocates almost nothing per
//! key.

use std::io::{self, Write};

use super::crc64::crc64;
use super::listpack::{entry_size, LpWriter, LP_EMPTY_BYTES};
use super::{lzf, opcodes, types, SaveInfo, RDB_VERSION};
use crate::config::{Config, MaxmemoryPolicy};
use crate::store::hash::{Elem, Hash};
use crate::store::list::List;
use crate::store::set::{Member, Set};
use crate::store::zset::ZSet;
use crate::store::{Db, Value};
use crate::util::num::{format_double, parse_i64};

/// Size of the internal output buffer.
const BUF_SIZE: usize = 64 * 1024;

/// The version string Redis 7.0.15 records; tools read it to know what wrote the file.
const REDIS_VER: &[u8] = b"7.0.15";

/// Length prefixes (`RDB_6BITLEN` …) and special string encodings (`RDB_ENC_*`).
const LEN_32BIT: u8 = 0x80;
const LEN_64BIT: u8 = 0x81;
const ENC_INT8: u8 = 0xc0;
const ENC_INT16: u8 = 0xc1;
const ENC_INT32: u8 = 0xc2;
const ENC_LZF: u8 = 0xc3;

/// Quicklist nodes smaller than this are never compressed (`MIN_COMPRESS_BYTES`).
const MIN_COMPRESS_BYTES: usize = 48;
/// A node is kept compressed only when that saves more than this (`MIN_COMPRESS_IMPROVE`).
const MIN_COMPRESS_IMPROVE: usize = 8;

/// Quicklist node containers (`QUICKLIST_NODE_CONTAINER_*`).
const CONTAINER_PLAIN: u64 = 1;
const CONTAINER_PACKED: u64 = 2;

pub(super) struct Encoder<W: Write> {
    out: W,
    buf: Vec<u8>,
    /// Running CRC64 of everything handed to `out`; `None` when not checksumming.
    crc: Option<u64>,
    compress: bool,
    /// `list-max-listpack-size` and `list-compress-depth`, for laying out quicklist nodes.
    fill: i64,
    compress_depth: u64,
    /// Flush once the buffer holds this much (never, for DUMP).
    flush_at: usize,
    lp: Vec<u8>,
    lzf: Vec<u8>,
    /// A score's text while it goes into a listpack.
    score: Vec<u8>,
    num: itoa::Buffer,
}

impl<W: Write> Encoder<W> {
    fn new(out: W, config: &Config, checksum: bool, flush_at: usize) -> Encoder<W> {
        Encoder {
            out,
            buf: Vec::with_capacity(flush_at.min(BUF_SIZE)),
            crc: checksum.then_some(0),
            compress: config.rdbcompression,
            fill: config.list_max_listpack_size,
            compress_depth: config.list_compress_depth.max(0) as u64,
            flush_at,
            lp: Vec::new(),
            lzf: Vec::new(),
            score: Vec::new(),
            num: itoa::Buffer::new(),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        if let Some(crc) = self.crc.as_mut() {
            *crc = crc64(*crc, &self.buf);
        }
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }

    #[inline]
    fn maybe_flush(&mut self) -> io::Result<()> {
        if self.buf.len() >= self.flush_at {
            self.flush()?;
        }
        Ok(())
    }

    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        if bytes.len() >= self.flush_at {
            self.flush()?;
            if let Some(crc) = self.crc.as_mut() {
                *crc = crc64(*crc, bytes);
            }
            return self.out.write_all(bytes);
        }
        self.buf.extend_from_slice(bytes);
        self.maybe_flush()
    }

    #[inline]
    fn put_byte(&mut self, b: u8) {
        self.buf.push(b);
    }

    /// `rdbSaveLen`: 6 bits, 14 bits big-endian, or a marker and 32/64 bits big-endian.
    fn put_len(&mut self, len: u64) {
        if len < 1 << 6 {
            self.buf.push(len as u8);
        } else if len < 1 << 14 {
            self.buf.push(0x40 | (len >> 8) as u8);
            self.buf.push(len as u8);
        } else if len <= u64::from(u32::MAX) {
            self.buf.push(LEN_32BIT);
            self.buf.extend_from_slice(&(len as u32).to_be_bytes());
        } else {
            self.buf.push(LEN_64BIT);
            self.buf.extend_from_slice(&len.to_be_bytes());
        }
    }

    /// `rdbEncodeInteger`: the 8/16/32-bit encodings, when `v` fits one.
    fn put_small_int(&mut self, v: i64) -> bool {
        if let Ok(b) = i8::try_from(v) {
            self.buf.push(ENC_INT8);
            self.buf.push(b as u8);
        } else if let Ok(h) = i16::try_from(v) {
            self.buf.push(ENC_INT16);
            self.buf.extend_from_slice(&h.to_le_bytes());
        } else if let Ok(w) = i32::try_from(v) {
            self.buf.push(ENC_INT32);
            self.buf.extend_from_slice(&w.to_le_bytes());
        } else {
            return false;
        }
        true
    }

    /// `rdbSaveLongLongAsStringObject`: an integer encoding, or its decimal digits.
    fn put_int_string(&mut self, v: i64) {
        if !self.put_small_int(v) {
            let digits = self.num.format(v).as_bytes();
            self.buf.push(digits.len() as u8);
            self.buf.extend_from_slice(digits);
        }
    }

    /// `rdbSaveRawString`: an integer encoding for short integer strings, LZF for strings
    /// over 20 bytes that shrink by at least 4 (when `rdbcompression` is on), else verbatim.
    fn put_string(&mut self, s: &[u8]) -> io::Result<()> {
        if s.len() <= 11 {
            if let Some(v) = parse_i64(s) {
                if self.put_small_int(v) {
                    return Ok(());
                }
            }
        }
        if self.compress && s.len() > 20 && lzf::compress(s, s.len() - 4, &mut self.lzf) {
            self.put_byte(ENC_LZF);
            self.put_len(self.lzf.len() as u64);
            self.put_len(s.len() as u64);
            let data = std::mem::take(&mut self.lzf);
            let r = self.put(&data);
            self.lzf = data;
            return r;
        }
        self.put_len(s.len() as u64);
        self.put(s)
    }

    /// [`Encoder::put_string`] of the listpack built in `self.lp`.
    fn put_lp_scratch(&mut self) -> io::Result<()> {
        let blob = std::mem::take(&mut self.lp);
        let r = self.put_string(&blob);
        self.lp = blob;
        r
    }

    /// `rdbSaveObject`.
    pub(super) fn put_value(&mut self, value: &Value) -> io::Result<()> {
        match value {
            Value::Int(n) => {
                self.put_int_string(*n);
                Ok(())
            }
            Value::Str(s) => self.put_string(s),
            Value::Raw(v) => self.put_string(v),
            Value::List(l) => self.put_list(l),
            Value::Set(s) => self.put_set(s),
            Value::ZSet(z) => self.put_zset(z),
            Value::Hash(h) => self.put_hash(h),
        }
    }

    /// A quicklist: node count, then each node's container and blob. Nodes are cut where
    /// Redis 7.0 cuts a list built by RPUSH under the same `list-max-listpack-size`, and the
    /// ones `list-compress-depth` leaves compressed in Redis are written LZF-compressed as
    /// Redis holds them, so a list gets the bytes Redis gives the same list.
    fn put_list(&mut self, list: &List) -> io::Result<()> {
        let mut nodes = 0u64;
        let mut cut = NodeCutter::new(self.fill);
        for e in list.iter_from(0) {
            if cut.starts_node(e) {
                nodes += 1;
            }
        }
        self.put_len(nodes);
        // Redis compresses every node but `depth` at each end (none when that leaves none).
        let depth = self.compress_depth;
        let compressed = |i: u64| depth > 0 && i >= depth && i + depth < nodes;
        let mut cut = NodeCutter::new(self.fill);
        let mut lp = std::mem::take(&mut self.lp);
        lp.clear();
        let mut writer: Option<LpWriter> = None;
        let mut node = 0u64;
        let mut result = Ok(());
        for e in list.iter_from(0) {
            if cut.starts_node(e) {
                if let Some(w) = writer.take() {
                    w.finish(&mut lp);
                    result = self.put_packed_node(&lp, compressed(node));
                    node += 1;
                    lp.clear();
                    if result.is_err() {
                        break;
                    }
                }
                if cut.plain {
                    self.put_len(CONTAINER_PLAIN);
                    result = self.put_string(e).and_then(|_| self.maybe_flush());
                    node += 1;
                    if result.is_err() {
                        break;
                    }
                    continue;
                }
                writer = Some(LpWriter::begin(&mut lp));
            }
            if let Some(w) = writer.as_mut() {
                w.push_str(&mut lp, e);
            }
        }
        if let Some(w) = writer.take() {
            w.finish(&mut lp);
            if result.is_ok() {
                result = self.put_packed_node(&lp, compressed(node));
            }
        }
        self.lp = lp;
        result
    }

    /// One packed node; `compressed` when Redis would hold it LZF-compressed, which it does
    /// when that saves more than 8 bytes of a node of at least 48 (`__quicklistCompressNode`).
    fn put_packed_node(&mut self, lp: &[u8], compressed: bool) -> io::Result<()> {
        self.put_len(CONTAINER_PACKED);
        if compressed
            && lp.len() >= MIN_COMPRESS_BYTES
            && lzf::compress(lp, lp.len(), &mut self.lzf)
            && self.lzf.len() + MIN_COMPRESS_IMPROVE < lp.len()
        {
            self.put_byte(ENC_LZF);
            self.put_len(self.lzf.len() as u64);
            self.put_len(lp.len() as u64);
            let data = std::mem::take(&mut self.lzf);
            let r = self.put(&data);
            self.lzf = data;
            r?;
        } else {
            self.put_string(lp)?;
        }
        self.maybe_flush()
    }

    fn put_set(&mut self, set: &Set) -> io::Result<()> {
        match set {
            Set::Int(is) => {
                let mut blob = std::mem::take(&mut self.lp);
                blob.clear();
                let width = is.width_bytes();
                blob.extend_from_slice(&(width as u32).to_le_bytes());
                blob.extend_from_slice(&(is.len() as u32).to_le_bytes());
                for v in is.iter() {
                    blob.extend_from_slice(&v.to_le_bytes()[..width]);
                }
                let r = self.put_string(&blob);
                self.lp = blob;
                r
            }
            Set::Hash(hs) => {
                self.put_len(hs.len() as u64);
                let mut scratch = itoa::Buffer::new();
                for m in set.iter() {
                    match m {
                        Member::Str(s) => self.put_string(s)?,
                        Member::Int(v) => self.put_string(scratch.format(v).as_bytes())?,
                    }
                    self.maybe_flush()?;
                }
                Ok(())
            }
        }
    }

    fn put_zset(&mut self, z: &ZSet) -> io::Result<()> {
        if z.is_listpack() {
            let mut lp = std::mem::take(&mut self.lp);
            lp.clear();
            let mut score = std::mem::take(&mut self.score);
            let mut w = LpWriter::begin(&mut lp);
            for (m, s) in z.iter() {
                w.push_str(&mut lp, m);
                // Redis keeps the score as the text `d2string` prints (an integer when it
                // reads as one).
                score.clear();
                format_double(s, &mut score);
                w.push_str(&mut lp, &score);
            }
            w.finish(&mut lp);
            self.lp = lp;
            self.score = score;
            return self.put_lp_scratch();
        }
        // Redis walks its skiplist from the tail: highest score first.
        self.put_len(z.len() as u64);
        if z.is_empty() {
            return Ok(());
        }
        for (m, s) in z.iter_from(z.len() - 1, true) {
            self.put_string(m)?;
            self.buf.extend_from_slice(&s.to_bits().to_le_bytes());
            self.maybe_flush()?;
        }
        Ok(())
    }

    fn put_hash(&mut self, h: &Hash) -> io::Result<()> {
        match h {
            Hash::Listpack(_) => {
                let mut lp = std::mem::take(&mut self.lp);
                lp.clear();
                let mut w = LpWriter::begin(&mut lp);
                for (f, v) in h.iter() {
                    for e in [f, v] {
                        match e {
                            Elem::Int(n) => w.push_int(&mut lp, n),
                            Elem::Str(s) => w.push_str(&mut lp, s),
                        }
                    }
                }
                w.finish(&mut lp);
                self.lp = lp;
                self.put_lp_scratch()
            }
            Hash::Table(_) => {
                self.put_len(h.len() as u64);
                let (mut a, mut b) = (itoa::Buffer::new(), itoa::Buffer::new());
                for (f, v) in h.iter() {
                    self.put_string(f.bytes(&mut a))?;
                    self.put_string(v.bytes(&mut b))?;
                    self.maybe_flush()?;
                }
                Ok(())
            }
        }
    }
}

/// `rdbSaveObjectType`.
pub(super) fn type_of(value: &Value) -> u8 {
    match value {
        Value::Int(_) | Value::Str(_) | Value::Raw(_) => types::STRING,
        Value::List(_) => types::LIST_QUICKLIST_2,
        Value::Set(Set::Int(_)) => types::SET_INTSET,
        Value::Set(Set::Hash(_)) => types::SET,
        Value::ZSet(z) if z.is_listpack() => types::ZSET_LISTPACK,
        Value::ZSet(_) => types::ZSET_2,
        Value::Hash(Hash::Listpack(_)) => types::HASH_LISTPACK,
        Value::Hash(Hash::Table(_)) => types::HASH,
    }
}

/// Elements of this size or more get a plain node of their own (Redis's `packed_threshold`).
const PACKED_THRESHOLD: usize = 1 << 30;
/// Byte cap of a node whose fill is an entry count (`SIZE_SAFETY_LIMIT`).
const SIZE_SAFETY_LIMIT: usize = 8192;
/// Per-entry overhead Redis assumes when checking a node's room (`SIZE_ESTIMATE_OVERHEAD`).
const SIZE_ESTIMATE_OVERHEAD: usize = 8;
/// Node byte limits for fills -1 ..= -5.
const OPTIMIZATION_LEVEL: [usize; 5] = [4096, 8192, 16384, 32768, 65536];

/// Decides node boundaries as Redis 7.0's `quicklistPushTail` (`_quicklistNodeAllowInsert`).
struct NodeCutter {
    fill: i64,
    open: bool,
    plain: bool,
    /// `lpBytes` of the current node.
    bytes: usize,
    count: usize,
}

impl NodeCutter {
    fn new(fill: i64) -> NodeCutter {
        NodeCutter {
            // Redis clamps the fill to -5 ..= 32767 (`quicklistSetFill`).
            fill: fill.clamp(-5, 1 << 15),
            open: false,
            plain: false,
            bytes: 0,
            count: 0,
        }
    }

    fn allows(&self, len: usize) -> bool {
        if !self.open || self.plain || len >= PACKED_THRESHOLD {
            return false;
        }
        let new_sz = self.bytes + len + SIZE_ESTIMATE_OVERHEAD;
        if self.fill < 0 {
            let level = OPTIMIZATION_LEVEL[(-self.fill - 1) as usize];
            if new_sz <= level {
                return true;
            }
        }
        if new_sz > SIZE_SAFETY_LIMIT {
            return false;
        }
        (self.count as i64) < self.fill
    }

    /// Places the next element; true when it starts a new node.
    fn starts_node(&mut self, e: &[u8]) -> bool {
        if self.allows(e.len()) {
            self.bytes += entry_size(e);
            self.count += 1;
            return false;
        }
        self.open = true;
        self.plain = e.len() >= PACKED_THRESHOLD;
        self.bytes = if self.plain {
            e.len()
        } else {
            LP_EMPTY_BYTES + entry_size(e)
        };
        self.count = 1;
        true
    }
}

/// How Redis 7.0 would lay `list` out as a quicklist under `list-max-listpack-size` `fill`:
/// (nodes, total bytes of the nodes' listpacks), as DEBUG OBJECT reports them.
pub(super) fn quicklist_layout(list: &List, fill: i64) -> (usize, usize) {
    let mut cut = NodeCutter::new(fill);
    let (mut nodes, mut bytes) = (0usize, 0usize);
    for e in list.iter_from(0) {
        if cut.starts_node(e) {
            // A new node starts with its header (or, plain, the element alone).
            nodes += 1;
            bytes += cut.bytes;
        } else {
            bytes += entry_size(e);
        }
    }
    (nodes, bytes)
}

/// One value in RDB encoding, preceded by its type byte (the body of a DUMP payload).
pub(super) fn value_bytes(value: &Value, config: &Config) -> Vec<u8> {
    let mut enc = Encoder::new(io::sink(), config, false, usize::MAX);
    enc.put_byte(type_of(value));
    // Writing into the in-memory buffer cannot fail: `flush_at` is never reached.
    let _ = enc.put_value(value);
    enc.buf
}

fn lru_policy(p: MaxmemoryPolicy) -> bool {
    matches!(
        p,
        MaxmemoryPolicy::VolatileLru | MaxmemoryPolicy::AllkeysLru
    )
}

/// `rdbSaveAuxField` with a string value.
fn put_aux<W: Write>(enc: &mut Encoder<W>, key: &[u8], value: &[u8]) -> io::Result<()> {
    enc.put_byte(opcodes::AUX);
    enc.put_string(key)?;
    enc.put_string(value)
}

/// `rdbSaveAuxFieldStrInt`: the integer as decimal text, which then takes an integer
/// encoding when it fits one.
fn put_aux_int<W: Write>(enc: &mut Encoder<W>, key: &[u8], value: i64) -> io::Result<()> {
    let mut b = itoa::Buffer::new();
    put_aux(enc, key, b.format(value).as_bytes())
}

pub(super) fn write_file<W: Write>(
    out: W,
    dbs: &[Db],
    config: &Config,
    info: &SaveInfo,
    lru_clock: Option<u32>,
) -> io::Result<()> {
    let mut enc = Encoder::new(out, config, config.rdbchecksum, BUF_SIZE);
    enc.put(format!("REDIS{RDB_VERSION:04}").as_bytes())?;
    put_aux(&mut enc, b"redis-ver", REDIS_VER)?;
    put_aux_int(&mut enc, b"redis-bits", 64)?;
    put_aux_int(&mut enc, b"ctime", info.ctime_unix)?;
    put_aux_int(
        &mut enc,
        b"used-mem",
        i64::try_from(info.used_mem).unwrap_or(i64::MAX),
    )?;
    put_aux_int(&mut enc, b"aof-base", 0)?;

    let policy = config.maxmemory_policy;
    let save_lru = lru_policy(policy);
    let save_lfu = policy.is_lfu();
    let now_ms = info.ctime_unix.saturating_mul(1000);
    for (dbid, db) in dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        enc.put_byte(opcodes::SELECTDB);
        enc.put_len(dbid as u64);
        enc.put_byte(opcodes::RESIZEDB);
        enc.put_len(db.len() as u64);
        enc.put_len(db.expires_len() as u64);
        for (slot, entry) in db.iter() {
            if let Some(at) = db.expire_at(slot) {
                enc.put_byte(opcodes::EXPIRETIME_MS);
                enc.buf.extend_from_slice(&at.to_le_bytes());
            }
            if save_lru {
                let idle = lru_clock.map_or(0, |now| now.saturating_sub(entry.access));
                enc.put_byte(opcodes::IDLE);
                enc.put_len(u64::from(idle));
            }
            if save_lfu {
                let counter =
                    crate::store::evict::lfu_decayed(entry.access, now_ms, config.lfu_decay_time);
                enc.put_byte(opcodes::FREQ);
                enc.put_byte(counter.min(255) as u8);
            }
            enc.put_byte(type_of(&entry.value));
            enc.put_string(&entry.key)?;
            enc.put_value(&entry.value)?;
            enc.maybe_flush()?;
            if config.rdb_key_save_delay > 0 {
                std::thread::sleep(std::time::Duration::from_micros(
                    config.rdb_key_save_delay as u64,
                ));
            }
        }
    }
    enc.put_byte(opcodes::EOF);
    enc.flush()?;
    let crc = enc.crc.unwrap_or(0);
    enc.out.write_all(&crc.to_le_bytes())?;
    enc.out.flush()
}
