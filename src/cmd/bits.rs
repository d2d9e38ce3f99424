//! Bitmaps: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP over string values.
//!
//! Bit 0 is the most significant bit of the first byte, as in Redis. Integer-encoded strings
//! are read through their decimal text. Argument checks run in Redis 7.0's order, which for
//! BITCOUNT and BITPOS looks the key up before parsing the range: a missing key answers 0 (or
//! BITPOS's -1/0) whatever follows it.

use super::table::{acl, flags::*, key_flags::*, Command, Group, KeySpec};
use super::{arg_i64, ev, CmdError, CmdResult, Ctx};
use crate::resp::Args;
use crate::store::Value;

pub static COMMANDS: &[Command] = &[
    Command::new("setbit", 4, setbit)
        .group(Group::Bitmap)
        .flags(WRITE | DENYOOM)
        .acl(acl::BITMAP)
        .keys(&[KeySpec::at(1).flags(RW | ACCESS | UPDATE)])
        .summary("Sets or clears the bit at offset in the string value stored at key")
        .since("2.2.0")
        .complexity("O(1)")
        .args("key:key offset:integer value:integer"),
    Command::new("getbit", 3, getbit)
        .group(Group::Bitmap)
        .flags(READONLY | FAST)
        .acl(acl::BITMAP)
        .keys(&[KeySpec::at(1).flags(RO | ACCESS)])
        .summary("Returns the bit value at offset in the string value stored at key")
        .since("2.2.0")
        .complexity("O(1)")
        .args("key:key offset:integer"),
    Command::new("bitcount", -2, bitcount)
        .group(Group::Bitmap)
        .flags(READONLY)
        .acl(acl::BITMAP)
        .keys(&[KeySpec::at(1).flags(RO | ACCESS)])
        .summary("Count set bits in a string")
        .since("2.6.0")
        .complexity("O(N)")
        .history(&[("7.0.0", "Added the `BYTE|BIT` option.")])
        .args("key:key ?index{start:integer end:integer ?index_unit@7.0.0(BYTE|BIT)}"),
    Command::new("bitpos", -3, bitpos)
        .group(Group::Bitmap)
        .flags(READONLY)
        .acl(acl::BITMAP)
        .keys(&[KeySpec::at(1).flags(RO | ACCESS)])
        .summary("Find first bit set or clear in a string")
        .since("2.8.7")
        .complexity("O(N)")
        .history(&[("7.0.0", "Added the `BYTE|BIT` option.")])
        .args(
            "key:key bit:integer ?index{start:integer \
               ?end_index{end:integer ?index_unit@7.0.0(BYTE|BIT)}}",
        ),
    Command::new("bitop", -4, bitop)
        .group(Group::Bitmap)
        .flags(WRITE | DENYOOM)
        .acl(acl::BITMAP)
        .keys(&[
            KeySpec::at(2).flags(OW | UPDATE),
            KeySpec::at(3).range(-1, 1, 0).flags(RO | ACCESS),
        ])
        .summary("Perform bitwise operations between strings")
        .since("2.6.0")
        .complexity("O(N)")
        .args("operation destkey:key key:key..."),
];

const OFFSET_ERROR: &str = "bit offset is not an integer or out of range";

/// Redis's getBitOffsetFromArgument for SETBIT/GETBIT: a non-negative integer whose byte
/// lies below `proto-max-bulk-len`.
fn bit_offset(ctx: &Ctx, arg: &[u8]) -> Result<u64, CmdError> {
    let offset = crate::util::num::parse_i64(arg).ok_or_else(|| CmdError::err(OFFSET_ERROR))?;
    if offset < 0 || (offset >> 3) as u64 >= ctx.srv.config.proto_max_bulk_len {
        return Err(CmdError::err(OFFSET_ERROR));
    }
    Ok(offset as u64)
}

/// Slot of the string at `key` for a read: `Ok(None)` when missing, WRONGTYPE for another
/// type.
fn string_slot(ctx: &mut Ctx, key: &[u8]) -> Result<Option<u32>, CmdError> {
    let Some(slot) = ctx.lookup_read(key) else {
        return Ok(None);
    };
    match ctx.db().entry(slot) {
        Some(entry) if entry.value.is_string() => Ok(Some(slot)),
        Some(_) => Err(CmdError::WrongType),
        None => Ok(None),
    }
}

/// Runs `f` over the bytes of the string at `slot` in place (a bitmap may be 512 MB).
fn with_bytes<R>(ctx: &mut Ctx, slot: u32, f: impl FnOnce(&[u8]) -> R) -> R {
    let mut scratch = itoa::Buffer::new();
    let entry = ctx.db().entry(slot);
    f(entry
        .and_then(|e| e.value.as_bytes(&mut scratch))
        .unwrap_or_default())
}

/// The bit range BITCOUNT/BITPOS cover, from `start`/`end` in bytes or (`is_bit`) bits of a
/// `len`-byte string, negative indexes counting from the end; `None` when it is empty.
fn bit_range(start: i64, end: i64, is_bit: bool, len: i64) -> Option<(i64, i64)> {
    let total = if is_bit { len * 8 } else { len };
    let (start, end) = clamp(start, end, total);
    match (start <= end, is_bit) {
        (false, _) => None,
        (true, true) => Some((start, end)),
        (true, false) => Some((start * 8, end * 8 + 7)),
    }
}

fn setbit(ctx: &mut Ctx, args: &Args) -> CmdResult {
    const BIT_ERROR: &str = "bit is not an integer or out of range";
    let key = &args[1];
    let offset = bit_offset(ctx, &args[2])?;
    let on = crate::util::num::parse_i64(&args[3]).ok_or_else(|| CmdError::err(BIT_ERROR))?;
    if on & !1 != 0 {
        return Err(CmdError::err(BIT_ERROR));
    }
    // Bounded by proto-max-bulk-len above.
    let byte = (offset >> 3) as usize;
    let mask = 1u8 << (7 - (offset & 7));
    let slot = ctx.lookup_write(key);
    let (old, changed) = match slot {
        None => {
            let mut buf = Vec::new();
            buf.try_reserve_exact(byte + 1)
                .map_err(|_| CmdError::err("Insufficient memory, failed allocating the string"))?;
            buf.resize(byte + 1, 0);
            if on == 1 {
                buf[byte] |= mask;
            }
            let clock = ctx.clock;
            ctx.db().set(key, Value::Raw(Box::new(buf)), false, clock);
            (false, true)
        }
        Some(slot) => {
            let entry = ctx.db().entry_mut(slot).ok_or(CmdError::WrongType)?;
            if !entry.value.is_string() {
                return Err(CmdError::WrongType);
            }
            let buf = entry.value.make_raw().ok_or(CmdError::WrongType)?;
            let grew = buf.len() <= byte;
            if grew {
                buf.try_reserve_exact(byte + 1 - buf.len()).map_err(|_| {
                    CmdError::err("Insufficient memory, failed allocating the string")
                })?;
                buf.resize(byte + 1, 0);
            }
            let old = buf[byte] & mask != 0;
            if on == 1 {
                buf[byte] |= mask;
            } else {
                buf[byte] &= !mask;
            }
            (old, grew || old != (on == 1))
        }
    };
    // Like Redis 7.0: a SETBIT that changes nothing is no change.
    if changed {
        ctx.srv.dirty += 1;
        ctx.touch(key);
        ctx.notify(ev::STRING, "setbit", key);
    }
    ctx.out.int(i64::from(old));
    Ok(())
}

fn getbit(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let offset = bit_offset(ctx, &args[2])?;
    let byte = (offset >> 3) as usize;
    let bit = match string_slot(ctx, &args[1])? {
        Some(slot) => with_bytes(ctx, slot, |bytes| {
            bytes
                .get(byte)
                .is_some_and(|b| b & (1 << (7 - (offset & 7))) != 0)
        }),
        None => false,
    };
    ctx.out.int(i64::from(bit));
    Ok(())
}

/// Whether BITCOUNT/BITPOS's unit argument asks for bits: `BIT`, `BYTE`, or a syntax error.
fn unit_is_bit(arg: &[u8]) -> Result<bool, CmdError> {
    if arg.eq_ignore_ascii_case(b"bit") {
        Ok(true)
    } else if arg.eq_ignore_ascii_case(b"byte") {
        Ok(false)
    } else {
        Err(CmdError::Syntax)
    }
}

/// Clamps a `[start, end]` range with negative indexes counting from `total`, as Redis does.
fn clamp(mut start: i64, mut end: i64, total: i64) -> (i64, i64) {
    if start < 0 {
        start = total.saturating_add(start);
    }
    if end < 0 {
        end = total.saturating_add(end);
    }
    start = start.max(0);
    end = end.max(0);
    if end >= total {
        end = total - 1;
    }
    (start, end)
}

/// Bit `i` (0 = the first byte's most significant bit) of `bytes`.
fn bit_at(bytes: &[u8], i: i64) -> bool {
    bytes[(i >> 3) as usize] & (0x80 >> (i & 7)) != 0
}

/// The first bit equal to `want` from bit `first` to bit `last` inclusive.
fn find_bit(bytes: &[u8], first: i64, last: i64, want: bool) -> Option<i64> {
    // Whole bytes that cannot hold the bit are skipped a byte at a time.
    let boring = if want { 0x00 } else { 0xff };
    let mut i = first;
    while i <= last {
        if i & 7 == 0 && i + 7 <= last {
            let from = (i >> 3) as usize;
            let to = ((last + 1) >> 3) as usize;
            match bytes[from..to].iter().position(|&b| b != boring) {
                Some(k) => i = ((from + k) as i64) << 3,
                None => {
                    i = (to as i64) << 3;
                    continue;
                }
            }
        }
        if bit_at(bytes, i) == want {
            return Some(i);
        }
        i += 1;
    }
    None
}

fn bitcount(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let Some(slot) = string_slot(ctx, &args[1])? else {
        ctx.out.int(0);
        return Ok(());
    };
    let len = with_bytes(ctx, slot, <[u8]>::len) as i64;
    let range = match args.len() {
        2 => Some((0, len * 8 - 1)),
        4 | 5 => {
            let start = arg_i64(&args[2])?;
            let end = arg_i64(&args[3])?;
            let is_bit = args.len() == 5 && unit_is_bit(&args[4])?;
            if start < 0 && end < 0 && start > end {
                None
            } else {
                bit_range(start, end, is_bit, len)
            }
        }
        _ => return Err(CmdError::Syntax),
    };
    let count = match range {
        Some((first, last)) => with_bytes(ctx, slot, |bytes| count_ones(bytes, first, last)),
        None => 0,
    };
    ctx.out.int(count);
    Ok(())
}

/// Set bits of `bytes` from bit `first` to bit `last`, inclusive (none when `first > last`).
fn count_ones(bytes: &[u8], first: i64, last: i64) -> i64 {
    if first > last {
        return 0;
    }
    let (fb, lb) = ((first >> 3) as usize, (last >> 3) as usize);
    let mut count: i64 = bytes[fb..=lb]
        .iter()
        .map(|b| i64::from(b.count_ones()))
        .sum();
    // Take away the bits of the edge bytes outside the range: the first byte's high
    // `first & 7` bits and the last byte's low `7 - last & 7` bits.
    let head_mask = !(0xffu8 >> (first & 7));
    let tail_mask = ((1u16 << (7 - (last & 7))) - 1) as u8;
    count -= i64::from((bytes[fb] & head_mask).count_ones());
    count -= i64::from((bytes[lb] & tail_mask).count_ones());
    count
}

fn bitpos(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let bit = arg_i64(&args[2])?;
    if bit != 0 && bit != 1 {
        return Err(CmdError::err("The bit argument must be 1 or 0."));
    }
    let want = bit == 1;
    let Some(slot) = string_slot(ctx, &args[1])? else {
        // A missing key is an endless run of zeros.
        ctx.out.int(if want { -1 } else { 0 });
        return Ok(());
    };
    let len = with_bytes(ctx, slot, <[u8]>::len) as i64;
    let mut end_given = false;
    let range = match args.len() {
        3 => Some((0, len * 8 - 1)),
        4..=6 => {
            let start = arg_i64(&args[3])?;
            let is_bit = args.len() == 6 && unit_is_bit(&args[5])?;
            let end = if args.len() >= 5 {
                end_given = true;
                arg_i64(&args[4])?
            } else if is_bit {
                len * 8 + 7
            } else {
                len - 1
            };
            bit_range(start, end, is_bit, len)
        }
        _ => return Err(CmdError::Syntax),
    };
    let Some((first_bit, last_bit)) = range.filter(|(first, last)| first <= last) else {
        ctx.out.int(-1);
        return Ok(());
    };
    let found = with_bytes(ctx, slot, |bytes| {
        find_bit(bytes, first_bit, last_bit, want)
    });
    let pos = match found {
        Some(i) => i,
        // Looking for a clear bit without an explicit end: the string continues with zeros.
        None if !want && !end_given => last_bit + 1,
        None => -1,
    };
    ctx.out.int(pos);
    Ok(())
}

fn bitop(ctx: &mut Ctx, args: &Args) -> CmdResult {
    #[derive(PartialEq)]
    enum Op {
        And,
        Or,
        Xor,
        Not,
    }
    let name = &args[1];
    let op = if name.eq_ignore_ascii_case(b"and") {
        Op::And
    } else if name.eq_ignore_ascii_case(b"or") {
        Op::Or
    } else if name.eq_ignore_ascii_case(b"xor") {
        Op::Xor
    } else if name.eq_ignore_ascii_case(b"not") {
        Op::Not
    } else {
        return Err(CmdError::Syntax);
    };
    if op == Op::Not && args.len() != 4 {
        return Err(CmdError::err(
            "BITOP NOT must be called with a single source key.",
        ));
    }
    // Folded one source at a time, each read in place: bytes past a source's end count as 0.
    let mut result: Vec<u8> = Vec::new();
    for (i, key) in args.iter().skip(3).enumerate() {
        let Some(slot) = string_slot(ctx, key)? else {
            if op == Op::And {
                result.fill(0);
            }
            continue;
        };
        with_bytes(ctx, slot, |bytes| -> CmdResult {
            if bytes.len() > result.len() {
                result
                    .try_reserve_exact(bytes.len() - result.len())
                    .map_err(|_| {
                        CmdError::err("Insufficient memory, failed allocating the string")
                    })?;
                result.resize(bytes.len(), 0);
            }
            for (r, &b) in result.iter_mut().zip(bytes) {
                *r = match op {
                    _ if i == 0 => b,
                    Op::And => *r & b,
                    Op::Or => *r | b,
                    Op::Xor => *r ^ b,
                    Op::Not => b,
                };
            }
            if op == Op::And && i > 0 {
                result[bytes.len()..].fill(0);
            }
            Ok(())
        })?;
    }
    if op == Op::Not {
        result.iter_mut().for_each(|b| *b = !*b);
    }
    let maxlen = result.len();
    let dest = &args[2];
    if maxlen == 0 {
        if ctx.db().remove(dest).is_some() {
            ctx.srv.dirty += 1;
            ctx.touch(dest);
            ctx.notify(ev::GENERIC, "del", dest);
        }
        ctx.out.int(0);
        return Ok(());
    }
    let clock = ctx.clock;
    // Redis's setKey looks the key up for writing: an expired one goes first.
    ctx.lookup_write(dest);
    ctx.db()
        .set(dest, Value::Raw(Box::new(result)), false, clock);
    ctx.srv.dirty += 1;
    ctx.touch(dest);
    ctx.notify(ev::STRING, "set", dest);
    ctx.out.int(maxlen as i64);
    Ok(())
}
