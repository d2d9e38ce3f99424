//! Reply writer: appends replies to a connection's output buffer in the connection's protocol.
//!
//! Handlers say what they return (array, map, set, double, null, verbatim text, push) and
//! never look at the protocol; the writer renders RESP2 or RESP3. Nothing is formatted through
//! `format!` on the hot path: integers go through `itoa`, doubles through a stack buffer.

use crate::util::num::format_double;

/// A connection's pending output, and the protocol it speaks (HELLO and RESET switch it).
#[derive(Default, Debug)]
pub struct Reply {
    pub buf: Vec<u8>,
    /// RESP3 (HELLO 3); RESP2 otherwise.
    resp3: bool,
}

/// Room reserved for a deferred aggregate header: type byte, 20 digits, CRLF.
const DEFERRED_ROOM: usize = 23;

impl Reply {
    pub fn new() -> Self {
        Reply::default()
    }

    /// A writer for protocol `resp` (2 or 3).
    pub fn with_protocol(resp: u8) -> Self {
        Reply {
            buf: Vec::new(),
            resp3: resp == 3,
        }
    }

    /// Switches the protocol of everything written from now on.
    pub fn set_protocol(&mut self, resp: u8) {
        self.resp3 = resp == 3;
    }

    pub fn is_resp3(&self) -> bool {
        self.resp3
    }

    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Bytes already in the wire format (they must be valid in the connection's protocol).
    pub fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    pub fn ok(&mut self) {
        self.buf.extend_from_slice(b"+OK\r\n");
    }

    /// `+text`; `text` must not contain CR or LF.
    pub fn simple(&mut self, text: &str) {
        self.buf.push(b'+');
        self.buf.extend_from_slice(text.as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }

    /// `-text`: `text` starts with its code (`ERR`, `WRONGTYPE` ...). CR and LF are replaced
    /// by spaces so that text echoed from a client cannot break the protocol.
    pub fn error(&mut self, text: &str) {
        self.error_bytes(text.as_bytes());
    }

    /// [`Reply::error`] for a text that may echo non-UTF-8 client bytes.
    pub fn error_bytes(&mut self, text: &[u8]) {
        self.buf.push(b'-');
        self.buf.extend(
            text.iter()
                .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
        );
        self.buf.extend_from_slice(b"\r\n");
    }

    pub fn int(&mut self, value: i64) {
        self.buf.push(b':');
        self.push_decimal(value);
        self.buf.extend_from_slice(b"\r\n");
    }

    pub fn bulk(&mut self, data: &[u8]) {
        self.buf.push(b'$');
        self.push_decimal(data.len() as i64);
        self.buf.extend_from_slice(b"\r\n");
        self.buf.extend_from_slice(data);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// An integer as a bulk string, as Redis replies for INCRBYFLOAT-like or GET of an int.
    pub fn bulk_int(&mut self, value: i64) {
        let mut tmp = itoa::Buffer::new();
        self.bulk(tmp.format(value).as_bytes());
    }

    /// A double as a bulk string in both protocols (INCRBYFLOAT, HINCRBYFLOAT), formatted as
    /// Redis 7.0 does (`%.17g`, `inf`, `-inf`).
    pub fn bulk_double(&mut self, value: f64) {
        // Formatted in place after the output, then moved behind its length header through a
        // stack copy: no allocation per double (a `%.17g` text is at most 24 bytes).
        let at = self.buf.len();
        format_double(value, &mut self.buf);
        let mut text = [0u8; 32];
        let len = (self.buf.len() - at).min(text.len());
        text[..len].copy_from_slice(&self.buf[at..at + len]);
        self.buf.truncate(at);
        self.bulk(&text[..len]);
    }

    /// A double (Redis's `addReplyDouble`): a bulk string in RESP2, `,<value>` in RESP3, with
    /// the same `%.17g` text.
    pub fn double(&mut self, value: f64) {
        if self.resp3 {
            self.buf.push(b',');
            format_double(value, &mut self.buf);
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk_double(value);
        }
    }

    /// A missing value (Redis's `addReplyNull`): the null bulk string in RESP2, `_` in RESP3.
    pub fn null(&mut self) {
        self.buf
            .extend_from_slice(if self.resp3 { b"_\r\n" } else { b"$-1\r\n" });
    }

    /// A missing aggregate (Redis's `addReplyNullArray`): `*-1` in RESP2, `_` in RESP3.
    pub fn null_array(&mut self) {
        self.buf
            .extend_from_slice(if self.resp3 { b"_\r\n" } else { b"*-1\r\n" });
    }

    /// A boolean: `:1`/`:0` in RESP2, `#t`/`#f` in RESP3.
    pub fn boolean(&mut self, value: bool) {
        self.buf.extend_from_slice(match (self.resp3, value) {
            (true, true) => b"#t\r\n",
            (true, false) => b"#f\r\n",
            (false, true) => b":1\r\n",
            (false, false) => b":0\r\n",
        });
    }

    pub fn array(&mut self, len: usize) {
        self.header(b'*', len);
    }

    /// A map header of `len` key/value pairs; RESP2 flattens it to an array of `2 * len`.
    pub fn map(&mut self, len: usize) {
        if self.resp3 {
            self.header(b'%', len);
        } else {
            self.header(b'*', len * 2);
        }
    }

    /// A set header (SMEMBERS, SINTER …): `~len` in RESP3, an array in RESP2.
    pub fn set(&mut self, len: usize) {
        self.header(if self.resp3 { b'~' } else { b'*' }, len);
    }

    /// An out-of-band push header (pub/sub messages, invalidations): `>len` in RESP3, an
    /// array in RESP2.
    pub fn push(&mut self, len: usize) {
        self.header(if self.resp3 { b'>' } else { b'*' }, len);
    }

    /// The header of a list of `len` pairs (member/score, field/value): in RESP2 the pairs
    /// are flattened into one array of `2 * len`; in RESP3 it is an array of `len` two-element
    /// arrays, each opened with [`Reply::pair`].
    pub fn pairs(&mut self, len: usize) {
        if self.resp3 {
            self.header(b'*', len);
        } else {
            self.header(b'*', len * 2);
        }
    }

    /// Opens one pair of a [`Reply::pairs`] list (nothing in RESP2).
    pub fn pair(&mut self) {
        if self.resp3 {
            self.buf.extend_from_slice(b"*2\r\n");
        }
    }

    /// Text meant for humans (INFO, CLIENT LIST): a bulk string in RESP2, a verbatim string
    /// of format `txt` in RESP3.
    pub fn verbatim(&mut self, text: &[u8]) {
        if self.resp3 {
            self.buf.push(b'=');
            self.push_decimal(text.len() as i64 + 4);
            self.buf.extend_from_slice(b"\r\ntxt:");
            self.buf.extend_from_slice(text);
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(text);
        }
    }

    /// A number too big for an integer reply (Redis's `addReplyBigNum`): `(digits` in RESP3, a
    /// bulk string in RESP2. `digits` must not contain CR or LF.
    pub fn big_number(&mut self, digits: &[u8]) {
        if self.resp3 {
            self.buf.push(b'(');
            self.buf.extend_from_slice(digits);
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(digits);
        }
    }

    /// Opens an attribute of `len` key/value pairs (`|len` in RESP3) that precedes the next
    /// reply. RESP2 has no attributes: what is written until [`Reply::end_attribute`] is
    /// dropped, as Redis sends attributes to RESP3 clients only.
    pub fn attribute(&mut self, len: usize) -> Attribute {
        let at = self.buf.len();
        if self.resp3 {
            self.header(b'|', len);
        }
        Attribute { at }
    }

    /// Closes an attribute opened by [`Reply::attribute`] (in RESP2, drops its pairs).
    pub fn end_attribute(&mut self, attribute: Attribute) {
        if !self.resp3 {
            self.buf.truncate(attribute.at);
        }
    }

    /// Starts an array whose length is known only after its elements are written; finish it
    /// with [`Reply::end_deferred`].
    pub fn deferred_array(&mut self) -> DeferredLen {
        self.deferred(b'*', 1)
    }

    /// Starts a set whose length is known only after its members are written.
    pub fn deferred_set(&mut self) -> DeferredLen {
        self.deferred(if self.resp3 { b'~' } else { b'*' }, 1)
    }

    /// Starts a map whose length (in pairs) is known only after its entries are written.
    pub fn deferred_map(&mut self) -> DeferredLen {
        if self.resp3 {
            self.deferred(b'%', 1)
        } else {
            self.deferred(b'*', 2)
        }
    }

    /// Fills in a deferred header with `len` elements (pairs, for maps). The
    /// reserved room is closed by moving this reply's own elements back, never the output
    /// written before it.
    pub fn end_deferred(&mut self, slot: DeferredLen, len: usize) {
        let mut header = [0u8; DEFERRED_ROOM];
        header[0] = slot.kind;
        let mut digits = itoa::Buffer::new();
        let digits = digits.format(len.saturating_mul(slot.per_item)).as_bytes();
        header[1..1 + digits.len()].copy_from_slice(digits);
        let header_len = 1 + digits.len() + 2;
        header[header_len - 2..header_len].copy_from_slice(b"\r\n");
        let body = slot.at + DEFERRED_ROOM;
        self.buf[slot.at..slot.at + header_len].copy_from_slice(&header[..header_len]);
        let end = self.buf.len();
        self.buf.copy_within(body..end, slot.at + header_len);
        self.buf.truncate(end - (DEFERRED_ROOM - header_len));
    }

    pub fn bulks<'a>(&mut self, items: impl ExactSizeIterator<Item = &'a [u8]>) {
        self.array(items.len());
        for item in items {
            self.bulk(item);
        }
    }

    fn deferred(&mut self, kind: u8, per_item: usize) -> DeferredLen {
        let at = self.buf.len();
        self.buf.extend_from_slice(&[0u8; DEFERRED_ROOM]);
        DeferredLen { at, kind, per_item }
    }

    fn header(&mut self, kind: u8, len: usize) {
        self.buf.push(kind);
        self.push_decimal(len as i64);
        self.buf.extend_from_slice(b"\r\n");
    }

    fn push_decimal(&mut self, value: i64) {
        let mut tmp = itoa::Buffer::new();
        self.buf.extend_from_slice(tmp.format(value).as_bytes());
    }
}

/// Where an attribute started (see [`Reply::attribute`]).
#[derive(Debug)]
#[must_use = "an attribute must be closed with Reply::end_attribute"]
pub struct Attribute {
    at: usize,
}

/// Position of an aggregate header whose length is filled in later.
#[derive(Debug)]
#[must_use = "a deferred header must be ended with Reply::end_deferred"]
pub struct DeferredLen {
    at: usize,
    kind: u8,
    /// Elements per counted item: 2 for a map or pair list flattened in RESP2.
    per_item: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(write: impl Fn(&mut Reply)) -> (String, String) {
        let mut r2 = Reply::with_protocol(2);
        let mut r3 = Reply::with_protocol(3);
        write(&mut r2);
        write(&mut r3);
        (
            String::from_utf8_lossy(&r2.buf).into_owned(),
            String::from_utf8_lossy(&r3.buf).into_owned(),
        )
    }

    #[test]
    fn shapes_render_per_protocol() {
        assert_eq!(both(|r| r.null()), ("$-1\r\n".into(), "_\r\n".into()));
        assert_eq!(both(|r| r.null_array()), ("*-1\r\n".into(), "_\r\n".into()));
        assert_eq!(both(|r| r.map(2)), ("*4\r\n".into(), "%2\r\n".into()));
        assert_eq!(both(|r| r.set(3)), ("*3\r\n".into(), "~3\r\n".into()));
        assert_eq!(both(|r| r.push(3)), ("*3\r\n".into(), ">3\r\n".into()));
        assert_eq!(
            both(|r| r.double(1.5)),
            ("$3\r\n1.5\r\n".into(), ",1.5\r\n".into())
        );
        assert_eq!(
            both(|r| r.double(f64::NEG_INFINITY)),
            ("$4\r\n-inf\r\n".into(), ",-inf\r\n".into())
        );
        assert_eq!(
            both(|r| r.verbatim(b"a")),
            ("$1\r\na\r\n".into(), "=5\r\ntxt:a\r\n".into())
        );
        assert_eq!(
            both(|r| {
                r.pairs(1);
                r.pair();
                r.bulk(b"m");
                r.double(2.0);
            }),
            (
                "*2\r\n$1\r\nm\r\n$1\r\n2\r\n".into(),
                "*1\r\n*2\r\n$1\r\nm\r\n,2\r\n".into()
            )
        );
    }

    #[test]
    fn big_numbers_and_attributes() {
        assert_eq!(
            both(|r| r.big_number(b"123456789012345678901234567890")),
            (
                "$30\r\n123456789012345678901234567890\r\n".into(),
                "(123456789012345678901234567890\r\n".into()
            )
        );
        let (r2, r3) = both(|r| {
            r.ok();
            let attribute = r.attribute(1);
            r.bulk(b"a");
            r.int(1);
            r.end_attribute(attribute);
            r.bulk(b"x");
        });
        assert_eq!(r2, "+OK\r\n$1\r\nx\r\n");
        assert_eq!(r3, "+OK\r\n|1\r\n$1\r\na\r\n:1\r\n$1\r\nx\r\n");
    }

    #[test]
    fn deferred_headers_close_their_room() {
        let (r2, r3) = both(|r| {
            r.ok();
            let slot = r.deferred_map();
            r.bulk(b"k");
            r.int(1);
            r.end_deferred(slot, 1);
            let slot = r.deferred_set();
            r.end_deferred(slot, 0);
        });
        assert_eq!(r2, "+OK\r\n*2\r\n$1\r\nk\r\n:1\r\n*0\r\n");
        assert_eq!(r3, "+OK\r\n%1\r\n$1\r\nk\r\n:1\r\n~0\r\n");
    }
}
