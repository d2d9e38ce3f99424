//! The packed blobs RDB embeds as strings: Redis's listpack (written and read), and the
//! older ziplist, intset and zipmap (read only).
//!
//! Readers take the blob as untrusted: every length, offset and count is checked against the
//! blob's size, and a malformed blob is an error, never a panic. They yield elements as
//! [`Item`]s borrowed from the blob.

use crate::util::num::parse_i64;

/// One element of a packed blob: listpacks and ziplists keep integer-looking strings as
/// integers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Item<'a> {
    Int(i64),
    Str(&'a [u8]),
}

impl<'a> Item<'a> {
    /// The element's string form; integers are rendered into `scratch`.
    pub fn bytes<'b>(&self, scratch: &'b mut itoa::Buffer) -> &'b [u8]
    where
        'a: 'b,
    {
        match *self {
            Item::Str(s) => s,
            Item::Int(n) => scratch.format(n).as_bytes(),
        }
    }
}

/// A structural problem in a blob; the caller adds the type and file offset.
#[derive(Debug, PartialEq, Eq)]
pub struct Malformed(pub &'static str);

type Result<T> = std::result::Result<T, Malformed>;

// ------------------------------------------------------------------------------- listpack

/// `total bytes (u32) + element count (u16)`.
const LP_HEADER: usize = 6;
const LP_EOF: u8 = 0xff;
/// Header count meaning "65535 or more: walk to count".
const LP_COUNT_UNKNOWN: u16 = u16::MAX;

/// Writes a listpack exactly as Redis's `lpAppend` builds one, at the end of a buffer the
/// caller passes to every call (so the buffer stays free for other use in between).
pub struct LpWriter {
    start: usize,
    count: usize,
}

impl LpWriter {
    /// Starts a listpack at the end of `buf`.
    pub fn begin(buf: &mut Vec<u8>) -> LpWriter {
        let start = buf.len();
        buf.extend_from_slice(&[0; LP_HEADER]);
        LpWriter { start, count: 0 }
    }

    /// Appends a string, stored as an integer when Redis's `lpStringToInt64` reads one.
    pub fn push_str(&mut self, buf: &mut Vec<u8>, s: &[u8]) {
        match parse_i64(s) {
            Some(n) => self.push_int(buf, n),
            None => self.push_raw_str(buf, s),
        }
    }

    /// Appends a string known not to read as an integer.
    pub fn push_raw_str(&mut self, buf: &mut Vec<u8>, s: &[u8]) {
        let len = s.len();
        let head = if len < 64 {
            buf.push(0x80 | len as u8);
            1
        } else if len < 4096 {
            buf.push(0xe0 | (len >> 8) as u8);
            buf.push(len as u8);
            2
        } else {
            buf.push(0xf0);
            buf.extend_from_slice(&(len as u32).to_le_bytes());
            5
        };
        buf.extend_from_slice(s);
        push_backlen(buf, head + len);
        self.count += 1;
    }

    pub fn push_int(&mut self, buf: &mut Vec<u8>, n: i64) {
        let size = if (0..=127).contains(&n) {
            buf.push(n as u8);
            1
        } else if (-4096..=4095).contains(&n) {
            let u = (n as u16) & 0x1fff;
            buf.push(0xc0 | (u >> 8) as u8);
            buf.push(u as u8);
            2
        } else if (-32768..=32767).contains(&n) {
            buf.push(0xf1);
            buf.extend_from_slice(&(n as i16).to_le_bytes());
            3
        } else if (-8_388_608..=8_388_607).contains(&n) {
            buf.push(0xf2);
            buf.extend_from_slice(&(n as i32).to_le_bytes()[..3]);
            4
        } else if let Ok(v) = i32::try_from(n) {
            buf.push(0xf3);
            buf.extend_from_slice(&v.to_le_bytes());
            5
        } else {
            buf.push(0xf4);
            buf.extend_from_slice(&n.to_le_bytes());
            9
        };
        push_backlen(buf, size);
        self.count += 1;
    }

    /// Writes the end marker and the header.
    pub fn finish(self, buf: &mut Vec<u8>) {
        buf.push(LP_EOF);
        let total = (buf.len() - self.start) as u32;
        let count = self.count.min(LP_COUNT_UNKNOWN as usize) as u16;
        buf[self.start..self.start + 4].copy_from_slice(&total.to_le_bytes());
        buf[self.start + 4..self.start + 6].copy_from_slice(&count.to_le_bytes());
    }
}

/// The entry length written so it can be read backwards: most significant group first,
/// every group but the first flagged with 0x80 (Redis's `lpEncodeBacklen`).
fn push_backlen(buf: &mut Vec<u8>, l: usize) {
    let groups = backlen_size(l);
    for g in (0..groups).rev() {
        let bits = ((l >> (7 * g)) & 127) as u8;
        buf.push(if g == groups - 1 { bits } else { bits | 128 });
    }
}

/// Bytes `push_str(s)` adds to a listpack (for sizing quicklist nodes as Redis does).
pub fn entry_size(s: &[u8]) -> usize {
    let head_and_data = match parse_i64(s) {
        Some(n) if (0..=127).contains(&n) => 1,
        Some(n) if (-4096..=4095).contains(&n) => 2,
        Some(n) if (-32768..=32767).contains(&n) => 3,
        Some(n) if (-8_388_608..=8_388_607).contains(&n) => 4,
        Some(n) if i32::try_from(n).is_ok() => 5,
        Some(_) => 9,
        None if s.len() < 64 => 1 + s.len(),
        None if s.len() < 4096 => 2 + s.len(),
        None => 5 + s.len(),
    };
    head_and_data + backlen_size(head_and_data)
}

/// Bytes of an empty listpack (header and end marker).
pub const LP_EMPTY_BYTES: usize = LP_HEADER + 1;

/// Iterates a listpack blob, checking its structure as it goes.
pub struct LpReader<'a> {
    blob: &'a [u8],
    pos: usize,
    seen: usize,
    header_count: u16,
}

impl<'a> LpReader<'a> {
    pub fn new(blob: &'a [u8]) -> Result<LpReader<'a>> {
        if blob.len() < LP_HEADER + 1 {
            return Err(Malformed("listpack shorter than its header"));
        }
        let total = u32::from_le_bytes([blob[0], blob[1], blob[2], blob[3]]) as usize;
        if total != blob.len() {
            return Err(Malformed("listpack size does not match its header"));
        }
        if blob[blob.len() - 1] != LP_EOF {
            return Err(Malformed("listpack without end marker"));
        }
        Ok(LpReader {
            blob,
            pos: LP_HEADER,
            seen: 0,
            header_count: u16::from_le_bytes([blob[4], blob[5]]),
        })
    }

    /// The element count the header claims, when it is exact.
    pub fn header_count(&self) -> Option<usize> {
        (self.header_count != LP_COUNT_UNKNOWN).then_some(self.header_count as usize)
    }

    fn take(&self, at: usize, n: usize) -> Result<&'a [u8]> {
        let end = at
            .checked_add(n)
            .ok_or(Malformed("listpack entry overflows"))?;
        // The end marker is not entry data.
        if end > self.blob.len() - 1 {
            return Err(Malformed("listpack entry runs past the end"));
        }
        Ok(&self.blob[at..end])
    }

    fn le(&self, at: usize, n: usize) -> Result<u64> {
        let bytes = self.take(at, n)?;
        let mut b = [0u8; 8];
        b[..n].copy_from_slice(bytes);
        Ok(u64::from_le_bytes(b))
    }

    /// The next element, or `None` at the end marker.
    pub fn next_item(&mut self) -> Result<Option<Item<'a>>> {
        let p = self.pos;
        let t = *self
            .blob
            .get(p)
            .ok_or(Malformed("listpack entry runs past the end"))?;
        if t == LP_EOF {
            if p != self.blob.len() - 1 {
                return Err(Malformed("listpack end marker before its end"));
            }
            if let Some(n) = self.header_count() {
                if n != self.seen {
                    return Err(Malformed("listpack count does not match its header"));
                }
            }
            return Ok(None);
        }
        let sign = |v: u64, bits: u32| ((v << (64 - bits)) as i64) >> (64 - bits);
        let (item, head, data) = if t & 0x80 == 0 {
            (Item::Int(i64::from(t)), 1, 0)
        } else if t & 0xc0 == 0x80 {
            let len = usize::from(t & 0x3f);
            (Item::Str(self.take(p + 1, len)?), 1, len)
        } else if t & 0xe0 == 0xc0 {
            let v = (u64::from(t & 0x1f) << 8) | self.le(p + 1, 1)?;
            (Item::Int(sign(v, 13)), 2, 0)
        } else if t & 0xf0 == 0xe0 {
            let len = (usize::from(t & 0x0f) << 8) | self.le(p + 1, 1)? as usize;
            (Item::Str(self.take(p + 2, len)?), 2, len)
        } else {
            match t {
                0xf0 => {
                    let len = self.le(p + 1, 4)? as usize;
                    (Item::Str(self.take(p + 5, len)?), 5, len)
                }
                0xf1 => (Item::Int(sign(self.le(p + 1, 2)?, 16)), 3, 0),
                0xf2 => (Item::Int(sign(self.le(p + 1, 3)?, 24)), 4, 0),
                0xf3 => (Item::Int(sign(self.le(p + 1, 4)?, 32)), 5, 0),
                0xf4 => (Item::Int(self.le(p + 1, 8)? as i64), 9, 0),
                _ => return Err(Malformed("invalid listpack entry encoding")),
            }
        };
        let entry = head + data;
        let back = backlen_size(entry);
        self.take(p, entry + back)?;
        // The trailing length must say what the leading one did, or a backward walk breaks.
        if read_backlen(&self.blob[p + entry..p + entry + back]) != Some(entry) {
            return Err(Malformed("listpack entry back-length mismatch"));
        }
        self.pos = p + entry + back;
        self.seen += 1;
        Ok(Some(item))
    }
}

fn backlen_size(l: usize) -> usize {
    match l {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2_097_150 => 3,
        2_097_151..=268_435_454 => 4,
        _ => 5,
    }
}

fn read_backlen(b: &[u8]) -> Option<usize> {
    let mut v = 0usize;
    for (i, &byte) in b.iter().enumerate() {
        if (i == 0) == (byte & 0x80 != 0) {
            return None;
        }
        v = (v << 7) | usize::from(byte & 0x7f);
    }
    Some(v)
}

// -------------------------------------------------------------------------------- ziplist

const ZL_HEADER: usize = 10;
const ZL_END: u8 = 0xff;
/// A previous-entry length of this value or more takes 5 bytes.
const ZL_BIG_PREVLEN: u8 = 254;

/// Iterates a ziplist blob (RDB types 10, 12, 13 and the nodes of 14).
pub struct ZlReader<'a> {
    blob: &'a [u8],
    pos: usize,
    prev_len: usize,
    seen: usize,
    header_count: u16,
}

impl<'a> ZlReader<'a> {
    pub fn new(blob: &'a [u8]) -> Result<ZlReader<'a>> {
        if blob.len() < ZL_HEADER + 1 {
            return Err(Malformed("ziplist shorter than its header"));
        }
        let total = u32::from_le_bytes([blob[0], blob[1], blob[2], blob[3]]) as usize;
        if total != blob.len() {
            return Err(Malformed("ziplist size does not match its header"));
        }
        if blob[blob.len() - 1] != ZL_END {
            return Err(Malformed("ziplist without end marker"));
        }
        let tail = u32::from_le_bytes([blob[4], blob[5], blob[6], blob[7]]) as usize;
        if tail >= blob.len() {
            return Err(Malformed("ziplist tail offset out of range"));
        }
        Ok(ZlReader {
            blob,
            pos: ZL_HEADER,
            prev_len: 0,
            seen: 0,
            header_count: u16::from_le_bytes([blob[8], blob[9]]),
        })
    }

    fn take(&self, at: usize, n: usize) -> Result<&'a [u8]> {
        let end = at
            .checked_add(n)
            .ok_or(Malformed("ziplist entry overflows"))?;
        if end > self.blob.len() - 1 {
            return Err(Malformed("ziplist entry runs past the end"));
        }
        Ok(&self.blob[at..end])
    }

    pub fn next_item(&mut self) -> Result<Option<Item<'a>>> {
        let p = self.pos;
        let first = *self
            .blob
            .get(p)
            .ok_or(Malformed("ziplist entry runs past the end"))?;
        if first == ZL_END {
            if p != self.blob.len() - 1 {
                return Err(Malformed("ziplist end marker before its end"));
            }
            if self.header_count != u16::MAX && usize::from(self.header_count) != self.seen {
                return Err(Malformed("ziplist count does not match its header"));
            }
            return Ok(None);
        }
        let (prev, mut q) = if first < ZL_BIG_PREVLEN {
            (usize::from(first), p + 1)
        } else if first == ZL_BIG_PREVLEN {
            let b = self.take(p + 1, 4)?;
            (u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize, p + 5)
        } else {
            return Err(Malformed("invalid ziplist previous-entry length"));
        };
        if prev != self.prev_len {
            return Err(Malformed("ziplist previous-entry length mismatch"));
        }
        let enc = self.take(q, 1)?[0];
        q += 1;
        let item = match enc >> 6 {
            0 => {
                let len = usize::from(enc & 0x3f);
                let s = self.take(q, len)?;
                q += len;
                Item::Str(s)
            }
            1 => {
                let len = (usize::from(enc & 0x3f) << 8) | usize::from(self.take(q, 1)?[0]);
                let s = self.take(q + 1, len)?;
                q += 1 + len;
                Item::Str(s)
            }
            2 => {
                // Redis masks the low six bits of this encoding and ignores them.
                let b = self.take(q, 4)?;
                let len = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
                let s = self.take(q + 4, len)?;
                q += 4 + len;
                Item::Str(s)
            }
            _ => {
                let (n, v) = match enc {
                    0xc0 => (2, None),
                    0xd0 => (4, None),
                    0xe0 => (8, None),
                    0xf0 => (3, None),
                    0xfe => (1, None),
                    0xf1..=0xfd => (0, Some(i64::from(enc & 0x0f) - 1)),
                    _ => return Err(Malformed("invalid ziplist integer encoding")),
                };
                let v = match v {
                    Some(v) => v,
                    None => {
                        let b = self.take(q, n)?;
                        let mut w = [0u8; 8];
                        w[..n].copy_from_slice(b);
                        let bits = 8 * n as u32;
                        ((u64::from_le_bytes(w) << (64 - bits)) as i64) >> (64 - bits)
                    }
                };
                q += n;
                Item::Int(v)
            }
        };
        self.prev_len = q - p;
        self.pos = q;
        self.seen += 1;
        Ok(Some(item))
    }
}

// --------------------------------------------------------------------------------- intset

/// Reads an intset blob: `[width u32][count u32][count × width bytes, ascending]`. Returns the
/// width and an iterator over the members.
pub fn intset_parts(blob: &[u8]) -> Result<(usize, impl ExactSizeIterator<Item = i64> + '_)> {
    if blob.len() < 8 {
        return Err(Malformed("intset shorter than its header"));
    }
    let width = u32::from_le_bytes([blob[0], blob[1], blob[2], blob[3]]) as usize;
    if !matches!(width, 2 | 4 | 8) {
        return Err(Malformed("invalid intset encoding"));
    }
    let count = u32::from_le_bytes([blob[4], blob[5], blob[6], blob[7]]) as usize;
    let body = &blob[8..];
    if count.checked_mul(width) != Some(body.len()) {
        return Err(Malformed("intset size does not match its header"));
    }
    let iter = body.chunks_exact(width).map(move |c| {
        let mut w = [0u8; 8];
        w[..width].copy_from_slice(c);
        let bits = 8 * width as u32;
        ((u64::from_le_bytes(w) << (64 - bits)) as i64) >> (64 - bits)
    });
    Ok((width, iter))
}

// --------------------------------------------------------------------------------- zipmap

/// Iterates the (field, value) pairs of a zipmap blob (RDB type 9, Redis before 2.6):
/// `[count][len field][len free value free-bytes]…[0xff]`, lengths one byte below 254 or
/// 254 + a 4-byte length.
pub struct ZipmapReader<'a> {
    blob: &'a [u8],
    pos: usize,
}

impl<'a> ZipmapReader<'a> {
    pub fn new(blob: &'a [u8]) -> Result<ZipmapReader<'a>> {
        if blob.len() < 2 {
            return Err(Malformed("zipmap too short"));
        }
        Ok(ZipmapReader { blob, pos: 1 })
    }

    fn len_at(&mut self) -> Result<Option<usize>> {
        let b = *self
            .blob
            .get(self.pos)
            .ok_or(Malformed("zipmap entry runs past the end"))?;
        match b {
            255 => Ok(None),
            254 => {
                let v = self
                    .blob
                    .get(self.pos + 1..self.pos + 5)
                    .ok_or(Malformed("zipmap entry runs past the end"))?;
                self.pos += 5;
                Ok(Some(u32::from_le_bytes([v[0], v[1], v[2], v[3]]) as usize))
            }
            n => {
                self.pos += 1;
                Ok(Some(usize::from(n)))
            }
        }
    }

    fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .ok_or(Malformed("zipmap entry overflows"))?;
        let s = self
            .blob
            .get(self.pos..end)
            .ok_or(Malformed("zipmap entry runs past the end"))?;
        self.pos = end;
        Ok(s)
    }

    pub fn next_pair(&mut self) -> Result<Option<(&'a [u8], &'a [u8])>> {
        let Some(flen) = self.len_at()? else {
            if self.pos != self.blob.len() - 1 {
                return Err(Malformed("zipmap end marker before its end"));
            }
            return Ok(None);
        };
        let field = self.bytes(flen)?;
        let vlen = self
            .len_at()?
            .ok_or(Malformed("zipmap field without value"))?;
        let free = usize::from(self.bytes(1)?[0]);
        let value = self.bytes(vlen)?;
        self.bytes(free)?;
        Ok(Some((field, value)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(blob: &[u8]) -> Vec<Item<'_>> {
        let mut r = LpReader::new(blob).unwrap();
        let mut out = Vec::new();
        while let Some(i) = r.next_item().unwrap() {
            out.push(i);
        }
        out
    }

    #[test]
    fn listpack_round_trips_every_encoding() {
        let mut ints = vec![0i64, 127, 128, -1, 4095, -4096, 4096, 32767, -32768, 32768];
        ints.extend([
            8_388_607,
            -8_388_608,
            8_388_608,
            i32::MAX as i64,
            i64::MIN,
            i64::MAX,
        ]);
        let long = vec![b'x'; 5000];
        let mid = vec![b'y'; 300];
        let mut buf = Vec::new();
        let mut w = LpWriter::begin(&mut buf);
        for &n in &ints {
            w.push_int(&mut buf, n);
        }
        for s in [&b"hello"[..], b"-0", &mid, &long, b""] {
            w.push_str(&mut buf, s);
        }
        w.finish(&mut buf);
        let sized: usize = ints
            .iter()
            .map(|n| entry_size(n.to_string().as_bytes()))
            .chain(
                [&b"hello"[..], b"-0", &mid, &long, b""]
                    .iter()
                    .map(|s| entry_size(s)),
            )
            .sum();
        assert_eq!(sized + LP_EMPTY_BYTES, buf.len());
        let got = items(&buf);
        assert_eq!(got.len(), ints.len() + 5);
        for (i, &n) in ints.iter().enumerate() {
            assert_eq!(got[i], Item::Int(n));
        }
        assert_eq!(got[ints.len()], Item::Str(b"hello"));
        assert_eq!(got[ints.len() + 1], Item::Str(b"-0"));
        assert_eq!(got[ints.len() + 2], Item::Str(&mid));
        assert_eq!(got[ints.len() + 3], Item::Str(&long));
        assert_eq!(got[ints.len() + 4], Item::Str(b""));
    }

    #[test]
    fn listpack_matches_redis_bytes() {
        // RPUSH l a b 1 2 3 hello on Redis 7.0.15: the node listpack.
        let want =
            b"\x1a\x00\x00\x00\x06\x00\x81a\x02\x81b\x02\x01\x01\x02\x01\x03\x01\x85hello\x06\xff";
        let mut buf = Vec::new();
        let mut w = LpWriter::begin(&mut buf);
        for e in [&b"a"[..], b"b", b"1", b"2", b"3", b"hello"] {
            w.push_str(&mut buf, e);
        }
        w.finish(&mut buf);
        assert_eq!(&buf[..], &want[..]);
    }

    #[test]
    fn truncated_or_damaged_listpacks_are_errors() {
        let mut buf = Vec::new();
        let mut w = LpWriter::begin(&mut buf);
        w.push_str(&mut buf, b"hello");
        w.push_int(&mut buf, 1000);
        w.finish(&mut buf);
        for cut in 0..buf.len() {
            assert!(LpReader::new(&buf[..cut]).is_err());
        }
        for i in 0..buf.len() {
            for v in [0u8, 0x7f, 0x80, 0xf0, 0xff] {
                let mut b = buf.clone();
                b[i] = v;
                if let Ok(mut r) = LpReader::new(&b) {
                    while let Ok(Some(_)) = r.next_item() {}
                }
            }
        }
    }

    #[test]
    fn ziplist_reads_redis_bytes() {
        // A ziplist of "a", 5, 300, "hello" as Redis 6 wrote one.
        let mut zl = vec![0u8; 10];
        let entries: [&[u8]; 4] = [
            b"\x00\x01a",
            b"\x03\xf6",
            b"\x02\xc0\x2c\x01",
            b"\x04\x05hello",
        ];
        for e in entries {
            zl.extend_from_slice(e);
        }
        zl.push(0xff);
        let total = zl.len() as u32;
        zl[0..4].copy_from_slice(&total.to_le_bytes());
        zl[4..8].copy_from_slice(&(total - 8).to_le_bytes());
        zl[8..10].copy_from_slice(&4u16.to_le_bytes());
        let mut r = ZlReader::new(&zl).unwrap();
        let mut got = Vec::new();
        while let Some(i) = r.next_item().unwrap() {
            got.push(i);
        }
        assert_eq!(
            got,
            vec![
                Item::Str(b"a"),
                Item::Int(5),
                Item::Int(300),
                Item::Str(b"hello")
            ]
        );
    }

    #[test]
    fn intset_and_zipmap() {
        let blob = b"\x04\x00\x00\x00\x02\x00\x00\x00\xff\xff\xff\xff\x70\x11\x01\x00";
        let (w, it) = intset_parts(blob).unwrap();
        assert_eq!(w, 4);
        assert_eq!(it.collect::<Vec<_>>(), vec![-1, 70000]);
        assert!(intset_parts(&blob[..15]).is_err());

        let zm = b"\x02\x03foo\x03\x01bar!\x01k\xfe\x02\x00\x00\x00\x00hi\xff";
        let mut r = ZipmapReader::new(zm).unwrap();
        assert_eq!(r.next_pair().unwrap(), Some((&b"foo"[..], &b"bar"[..])));
        assert_eq!(r.next_pair().unwrap(), Some((&b"k"[..], &b"hi"[..])));
        assert_eq!(r.next_pair().unwrap(), None);
    }
}
