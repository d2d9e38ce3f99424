//! Redis's RDB format (version 10, as Redis 7.0 writes it): whole snapshot files and the
//! DUMP/RESTORE payloads.
//!
//! - [`write_rdb`] serialises the keyspace as Redis 7.0's `SAVE` does, so `redis-check-rdb`
//!   accepts the file and Redis loads it; [`read_rdb`] loads files written by Redis 7.0 and
//!   older (every type id and opcode those write, except modules, functions and streams,
//!   which ferrodis does not have and which fail the load with an error naming them).
//! - [`dump_payload`] / [`restore_payload`]: one value in RDB encoding with the version and
//!   CRC64 footer; byte-identical to Redis's DUMP wherever Redis's own bytes are
//!   deterministic.
//!
//! Everything read is untrusted: lengths are checked before use and never sized an
//! allocation by themselves, and a truncated or corrupt input is a [`LoadError`] carrying the
//! offset where reading stopped.
//!
//! Files: `crc64` (checksum), `lzf` (compression), `listpack` (the packed blobs), `encode`
//! (writing) and `decode` (reading).

mod crc64;
mod decode;
mod encode;
mod listpack;
mod lzf;

use std::fmt;

use crate::config::Config;
use crate::store::{Db, Value};

pub use crc64::crc64;

/// The RDB version written, and the newest one read.
pub const RDB_VERSION: u16 = 10;

/// Object types (`RDB_TYPE_*` in Redis's rdb.h).
pub(crate) mod types {
    pub const STRING: u8 = 0;
    pub const LIST: u8 = 1;
    pub const SET: u8 = 2;
    pub const ZSET: u8 = 3;
    pub const HASH: u8 = 4;
    pub const ZSET_2: u8 = 5;
    pub const MODULE_PRE_GA: u8 = 6;
    pub const MODULE_2: u8 = 7;
    pub const HASH_ZIPMAP: u8 = 9;
    pub const LIST_ZIPLIST: u8 = 10;
    pub const SET_INTSET: u8 = 11;
    pub const ZSET_ZIPLIST: u8 = 12;
    pub const HASH_ZIPLIST: u8 = 13;
    pub const LIST_QUICKLIST: u8 = 14;
    pub const STREAM_LISTPACKS: u8 = 15;
    pub const HASH_LISTPACK: u8 = 16;
    pub const ZSET_LISTPACK: u8 = 17;
    pub const LIST_QUICKLIST_2: u8 = 18;
    pub const STREAM_LISTPACKS_2: u8 = 19;
    pub const SET_LISTPACK: u8 = 20;
    pub const STREAM_LISTPACKS_3: u8 = 21;
}

/// Opcodes (`RDB_OPCODE_*`).
pub(crate) mod opcodes {
    pub const FUNCTION2: u8 = 245;
    pub const FUNCTION_PRE_GA: u8 = 246;
    pub const MODULE_AUX: u8 = 247;
    pub const IDLE: u8 = 248;
    pub const FREQ: u8 = 249;
    pub const AUX: u8 = 250;
    pub const RESIZEDB: u8 = 251;
    pub const EXPIRETIME_MS: u8 = 252;
    pub const EXPIRETIME: u8 = 253;
    pub const SELECTDB: u8 = 254;
    pub const EOF: u8 = 255;
}

/// What `write_rdb` records in the file's AUX fields.
#[derive(Clone, Copy, Debug)]
pub struct SaveInfo {
    /// `ctime`: the save's wall-clock time (unix seconds).
    pub ctime_unix: i64,
    /// `used-mem`: the server's memory use in bytes.
    pub used_mem: u64,
}

/// Writes a whole RDB file: the header, the AUX fields Redis 7.0 writes (`redis-ver` 7.0.15,
/// `redis-bits`, `ctime`, `used-mem`, `aof-base`), then per non-empty database SELECTDB,
/// RESIZEDB and its keys (with EXPIRETIME_MS, and IDLE or FREQ under an LRU or LFU
/// `maxmemory-policy`), EOF and the CRC64 (zero when `rdbchecksum` is off).
///
/// Without the server's LRU clock, IDLE is written as 0 for every key; the server passes its
/// clock to [`write_rdb_clocked`] to keep idle times across a reload.
pub fn write_rdb<W: std::io::Write>(
    out: W,
    dbs: &[Db],
    config: &Config,
    info: &SaveInfo,
) -> std::io::Result<()> {
    encode::write_file(out, dbs, config, info, None)
}

/// [`write_rdb`] with the server's LRU clock (seconds, as `Entry::access` holds it), so each
/// key's IDLE is its real idle time.
pub fn write_rdb_clocked<W: std::io::Write>(
    out: W,
    dbs: &[Db],
    config: &Config,
    info: &SaveInfo,
    lru_clock: u32,
) -> std::io::Result<()> {
    encode::write_file(out, dbs, config, info, Some(lru_clock))
}

/// What a load brought in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Loaded {
    /// Keys stored.
    pub keys: u64,
    /// Keys skipped because their expire time had passed.
    pub expired_skipped: u64,
}

/// A load that failed: what was wrong and how far into the input it was noticed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub offset: u64,
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at offset {}", self.message, self.offset)
    }
}

impl std::error::Error for LoadError {}

/// Loads an RDB file into `dbs` (which start empty). Keys whose expire time has passed
/// (`expire < now_ms`, as Redis decides when it loads as a master) are skipped; loaded keys
/// get an access time from `lru_clock` / `now_ms`, or from the file's IDLE / FREQ.
/// On error `dbs` may hold part of the file: the caller discards them.
pub fn read_rdb<R: std::io::Read>(
    input: R,
    dbs: &mut [Db],
    config: &Config,
    now_ms: i64,
    lru_clock: u32,
) -> Result<Loaded, LoadError> {
    decode::read_file(input, dbs, config, now_ms, lru_clock)
}

/// The DUMP payload of `value`: its RDB type and encoding, the RDB version (2 bytes LE) and
/// the CRC64 of all that (8 bytes LE), as Redis 7.0's `createDumpPayload`.
/// Bytes `value` takes in an RDB file, without its type byte (DEBUG OBJECT
/// `serializedlength`, Redis's `rdbSavedObjectLen`).
pub fn serialized_length(value: &Value, config: &Config) -> usize {
    encode::value_bytes(value, config).len().saturating_sub(1)
}

/// (nodes, listpack bytes) of `list` laid out as Redis's quicklist (DEBUG OBJECT `ql_*`).
pub fn quicklist_layout(list: &crate::store::list::List, fill: i64) -> (usize, usize) {
    encode::quicklist_layout(list, fill)
}

pub fn dump_payload(value: &Value, config: &Config) -> Vec<u8> {
    let mut out = encode::value_bytes(value, config);
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64(0, &out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Why RESTORE refused a payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestoreError {
    /// "ERR DUMP payload version or checksum are wrong"
    BadPayload,
    /// "ERR Bad data format"
    BadFormat,
}

impl RestoreError {
    /// The error reply Redis sends.
    pub fn message(self) -> &'static str {
        match self {
            RestoreError::BadPayload => "ERR DUMP payload version or checksum are wrong",
            RestoreError::BadFormat => "ERR Bad data format",
        }
    }
}

impl fmt::Display for RestoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// Decodes a DUMP payload as Redis 7.0's RESTORE does: the footer's version must be at most
/// [`RDB_VERSION`] and its CRC64 must match (Redis accepts no zero checksum here), then the
/// value must decode. An empty collection is a bad format, as in Redis.
pub fn restore_payload(payload: &[u8], config: &Config) -> Result<Value, RestoreError> {
    if payload.len() < 10 {
        return Err(RestoreError::BadPayload);
    }
    let (body, footer) = payload.split_at(payload.len() - 10);
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    if version > RDB_VERSION {
        return Err(RestoreError::BadPayload);
    }
    let mut crc = [0u8; 8];
    crc.copy_from_slice(&footer[2..]);
    if crc64(0, &payload[..payload.len() - 8]) != u64::from_le_bytes(crc) {
        return Err(RestoreError::BadPayload);
    }
    decode::read_value(body, config).ok_or(RestoreError::BadFormat)
}

#[cfg(test)]
mod dump_cases;
#[cfg(test)]
mod tests;
