//! LZF, the compression RDB uses for strings and list nodes.
//!
//! The compressor reproduces the bytes liblzf 3.6's `lzf_compress` produces with Redis's
//! build settings (HLOG 16, VERY_FAST, offsets in the hash table), so DUMP payloads and RDB
//! files match Redis's byte for byte. Its match search is deliberately the C code's: the
//! same hash, the same table, the same greedy choice and the same output-room checks, since
//! any other choice yields different (equally valid) bytes.
//!
//! The C code leaves its 64K-slot table uninitialised; an untouched slot there reads as
//! garbage that fails the range checks almost always. Here every slot carries the number of
//! the call that wrote it, so a slot from an earlier call reads as empty without clearing
//! 512 KiB per call.
//!
//! Stream format: `000LLLLL` + L+1 literal bytes; `LLLooooo oooooooo` a back reference of
//! L+2 bytes at distance o+1; `111ooooo LLLLLLLL oooooooo` one of L+9 bytes.

use std::cell::RefCell;

const HLOG: u32 = 16;
const HSIZE: usize = 1 << HLOG;
const MAX_LIT: usize = 1 << 5;
const MAX_OFF: usize = 1 << 13;
const MAX_REF: usize = (1 << 8) + (1 << 3);

/// The hash slot of the three bytes ending the 32-bit window `h` (liblzf's VERY_FAST IDX).
#[inline]
fn idx(h: u32) -> usize {
    ((h >> (3 * 8 - HLOG)).wrapping_sub(h.wrapping_mul(5)) as usize) & (HSIZE - 1)
}

/// Compression state kept between calls: slot = `(call << 32) | input offset`.
struct Table {
    slots: Box<[u64]>,
    call: u32,
}

impl Table {
    fn new() -> Table {
        Table {
            slots: vec![0u64; HSIZE].into_boxed_slice(),
            call: 0,
        }
    }

    /// Starts a call: every slot written by an earlier one becomes empty.
    fn begin(&mut self) {
        self.call = self.call.wrapping_add(1);
        if self.call == 0 {
            self.slots.fill(0);
            self.call = 1;
        }
    }

    /// The offset stored in slot `i` by this call, or 0 (which never passes `ref > start`).
    #[inline]
    fn get(&self, i: usize) -> usize {
        let v = self.slots[i];
        if (v >> 32) as u32 == self.call {
            (v & 0xffff_ffff) as usize
        } else {
            0
        }
    }

    #[inline]
    fn set(&mut self, i: usize, offset: usize) {
        self.slots[i] = (u64::from(self.call) << 32) | offset as u64;
    }
}

thread_local! {
    static TABLE: RefCell<Option<Table>> = const { RefCell::new(None) };
}

/// Compresses `input` into `out` (cleared first), giving up, as `lzf_compress` with an output
/// buffer of `out_len` bytes does, when the result would not fit. Returns whether it fit.
pub fn compress(input: &[u8], out_len: usize, out: &mut Vec<u8>) -> bool {
    out.clear();
    // liblzf takes unsigned int lengths; RDB never asks beyond that.
    if input.is_empty() || out_len == 0 || input.len() > u32::MAX as usize {
        return false;
    }
    TABLE.with(|cell| {
        let mut guard = cell.borrow_mut();
        let table = guard.get_or_insert_with(Table::new);
        table.begin();
        compress_with(table, input, out_len, out)
    })
}

/// `lzf_compress` with `op`, `ip` and `ref` as indexes. `out` gets `out_len + 1` bytes of room,
/// as Redis allocates, since a literal run header may be opened one byte past the end before
/// the check that then gives up.
fn compress_with(t: &mut Table, input: &[u8], out_len: usize, out: &mut Vec<u8>) -> bool {
    let in_end = input.len();
    out.resize(out_len + 2, 0);
    let o = out.as_mut_slice();
    let out_end = out_len;
    let mut ip = 0usize;
    let mut op = 1usize; // start run: byte 0 is the first literal header
    let mut lit = 0usize;

    let mut hval = (u32::from(input[0]) << 8) | u32::from(*input.get(1).unwrap_or(&0));
    while in_end >= 3 && ip < in_end - 2 {
        hval = (hval << 8) | u32::from(input[ip + 2]);
        let slot = idx(hval);
        let r = t.get(slot);
        t.set(slot, ip);
        // `off = ip - ref - 1 < MAX_OFF` with unsigned wrap-around: ref must be before ip.
        let is_match = r > 0
            && r < ip
            && ip - r - 1 < MAX_OFF
            && input[r + 2] == input[ip + 2]
            && input[r] == input[ip]
            && input[r + 1] == input[ip + 1];
        if is_match {
            let off = ip - r - 1;
            let maxlen = (in_end - ip - 2).min(MAX_REF);
            // Room for the reference and a new run header, after undoing an empty run.
            let undo = usize::from(lit == 0);
            if op + 4 >= out_end && op - undo + 4 >= out_end {
                return false;
            }
            o[op - lit - 1] = (lit as u8).wrapping_sub(1); // stop run
            op -= undo;

            let mut len = 2usize;
            let mut done = false;
            if maxlen > 16 {
                // The C code unrolls sixteen unchecked steps here; they may run one or two
                // bytes past `maxlen` near the end of the input, and so does this.
                for _ in 0..16 {
                    len += 1;
                    if input[r + len] != input[ip + len] {
                        done = true;
                        break;
                    }
                }
            }
            if !done {
                loop {
                    len += 1;
                    if !(len < maxlen && input[r + len] == input[ip + len]) {
                        break;
                    }
                }
            }
            len -= 2; // octets - 1
            ip += 1;
            if len < 7 {
                o[op] = ((off >> 8) + (len << 5)) as u8;
                op += 1;
            } else {
                o[op] = ((off >> 8) + (7 << 5)) as u8;
                o[op + 1] = (len - 7) as u8;
                op += 2;
            }
            o[op] = off as u8;
            op += 1;
            lit = 0;
            op += 1; // start run
            ip += len + 1;
            if ip >= in_end - 2 {
                break;
            }
            // VERY_FAST: hash the two positions before the new one.
            ip -= 2;
            hval = (u32::from(input[ip]) << 8) | u32::from(input[ip + 1]);
            hval = (hval << 8) | u32::from(input[ip + 2]);
            t.set(idx(hval), ip);
            ip += 1;
            hval = (hval << 8) | u32::from(input[ip + 2]);
            t.set(idx(hval), ip);
            ip += 1;
        } else {
            if op >= out_end {
                return false;
            }
            lit += 1;
            o[op] = input[ip];
            op += 1;
            ip += 1;
            if lit == MAX_LIT {
                o[op - lit - 1] = (lit - 1) as u8;
                lit = 0;
                op += 1;
            }
        }
    }
    if op + 3 > out_end {
        return false;
    }
    while ip < in_end {
        lit += 1;
        o[op] = input[ip];
        op += 1;
        ip += 1;
        if lit == MAX_LIT {
            o[op - lit - 1] = (lit - 1) as u8;
            lit = 0;
            op += 1;
        }
    }
    o[op - lit - 1] = (lit as u8).wrapping_sub(1); // end run
    op -= usize::from(lit == 0);
    out.truncate(op);
    true
}

/// Why a compressed blob could not be expanded.
#[derive(Debug, PartialEq, Eq)]
pub struct Corrupt;

/// Decompresses `input` into `out` (appending), which must come to exactly `expected` bytes.
/// Every reference and run is bounds-checked: corrupt input is an error, never a panic.
pub fn decompress(input: &[u8], expected: usize, out: &mut Vec<u8>) -> Result<(), Corrupt> {
    let base = out.len();
    let end = base.checked_add(expected).ok_or(Corrupt)?;
    out.reserve(expected);
    let mut ip = 0usize;
    while ip < input.len() {
        let ctrl = usize::from(input[ip]);
        ip += 1;
        if ctrl < 32 {
            let run = ctrl + 1;
            let lits = input.get(ip..ip + run).ok_or(Corrupt)?;
            if out.len() + run > end {
                return Err(Corrupt);
            }
            out.extend_from_slice(lits);
            ip += run;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                len += usize::from(*input.get(ip).ok_or(Corrupt)?);
                ip += 1;
            }
            let low = usize::from(*input.get(ip).ok_or(Corrupt)?);
            ip += 1;
            let dist = ((ctrl & 0x1f) << 8) + low + 1;
            len += 2;
            let produced = out.len() - base;
            if dist > produced || out.len() + len > end {
                return Err(Corrupt);
            }
            let from = out.len() - dist;
            if dist >= len {
                out.extend_from_within(from..from + len);
            } else {
                // Overlapping copy: each byte may repeat one just written.
                for k in 0..len {
                    let b = out[from + k];
                    out.push(b);
                }
            }
        }
    }
    if out.len() != end {
        return Err(Corrupt);
    }
    Ok(())
}

/// The most bytes `compressed` LZF bytes can expand to (a 3-byte reference yields 264), so a
/// claimed length beyond it is corrupt before anything is allocated.
pub fn max_expansion(compressed: usize) -> usize {
    compressed.saturating_mul(MAX_REF) / 3 + MAX_LIT
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(data: &[u8]) {
        let mut c = Vec::new();
        if compress(data, data.len() + 64, &mut c) {
            let mut d = Vec::new();
            decompress(&c, data.len(), &mut d).unwrap();
            assert_eq!(d, data);
            assert!(data.len() <= max_expansion(c.len()));
        }
    }

    #[test]
    fn round_trips() {
        round_trip(b"a");
        round_trip(b"ab");
        round_trip(b"abc");
        round_trip(&[b'a'; 1000]);
        round_trip(b"hello hello hello hello world hello");
        let mut x = 1u64;
        let noise: Vec<u8> = (0..5000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x % 4) as u8 + b'a'
            })
            .collect();
        round_trip(&noise);
        for len in 0..300 {
            round_trip(&noise[..len]);
        }
    }

    #[test]
    fn known_redis_outputs() {
        // From Redis 7.0.15: DUMP of a 57-byte run of 'a' and of a 19-character score.
        let mut c = Vec::new();
        assert!(compress(&[b'a'; 57], 53, &mut c));
        assert_eq!(c, b"\x01aa\xe0\x2c\x00\x01aa");
    }

    #[test]
    fn every_output_bound_is_safe() {
        let mut x = 99u64;
        let mut c = Vec::new();
        for len in 1..200usize {
            let alphabet = 1 + len % 5;
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    b'a' + (x % alphabet as u64) as u8
                })
                .collect();
            let mut smallest_fit = None;
            for out_len in 1..len + 40 {
                if compress(&data, out_len, &mut c) {
                    assert!(c.len() <= out_len);
                    smallest_fit.get_or_insert(out_len);
                    let mut d = Vec::new();
                    decompress(&c, len, &mut d).unwrap();
                    assert_eq!(d, data);
                }
            }
            assert!(smallest_fit.is_some(), "{len}");
        }
    }

    #[test]
    fn gives_up_when_output_is_too_small() {
        let mut c = Vec::new();
        assert!(!compress(b"abcdefghijklmnopqrstuvwxyz", 22, &mut c));
    }

    #[test]
    fn corrupt_input_is_an_error() {
        let mut out = Vec::new();
        assert_eq!(decompress(b"\x05ab", 6, &mut out), Err(Corrupt));
        out.clear();
        assert_eq!(decompress(b"\x20\x00", 3, &mut out), Err(Corrupt));
        out.clear();
        assert_eq!(decompress(b"\x00a", 2, &mut out), Err(Corrupt));
        out.clear();
        assert_eq!(decompress(b"\x00a\xe0", 40, &mut out), Err(Corrupt));
    }
}
