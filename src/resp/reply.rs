//! Reply writer: appends RESP2 replies to a connection's output buffer.
//!
//! Handlers write straight into the buffer that will be flushed to the socket; nothing is
//! formatted through `format!` on the hot path.

use crate::util::num::format_double;

/// A connection's pending output.
#[derive(Default, Debug)]
pub struct Reply {
    pub buf: Vec<u8>,
}

impl Reply {
    pub fn new() -> Self {
        Reply::default()
    }

    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

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

    /// A double as a bulk string, formatted as Redis 7.0 does (`%.17g`, `inf`, `-inf`).
    pub fn bulk_double(&mut self, value: f64) {
        let mut tmp = Vec::with_capacity(32);
        format_double(value, &mut tmp);
        self.bulk(&tmp);
    }

    /// The RESP2 null bulk string.
    pub fn null(&mut self) {
        self.buf.extend_from_slice(b"$-1\r\n");
    }

    /// The RESP2 null array.
    pub fn null_array(&mut self) {
        self.buf.extend_from_slice(b"*-1\r\n");
    }

    pub fn array(&mut self, len: usize) {
        self.buf.push(b'*');
        self.push_decimal(len as i64);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// A map header; RESP2 flattens it to an array of `2 * len`.
    pub fn map(&mut self, len: usize) {
        self.array(len * 2);
    }

    /// Starts an array whose length is known only after its elements are written; finish it
    /// with [`Reply::end_deferred_array`].
    pub fn deferred_array(&mut self) -> DeferredLen {
        let at = self.buf.len();
        // Room for `*` + 20 digits + CRLF; trimmed when the length is known.
        self.buf.extend_from_slice(&[0u8; 23]);
        DeferredLen { at }
    }

    pub fn end_deferred_array(&mut self, slot: DeferredLen, len: usize) {
        let mut header = Vec::with_capacity(23);
        header.push(b'*');
        header.extend_from_slice(itoa::Buffer::new().format(len).as_bytes());
        header.extend_from_slice(b"\r\n");
        self.buf.splice(slot.at..slot.at + 23, header);
    }

    pub fn bulks<'a>(&mut self, items: impl ExactSizeIterator<Item = &'a [u8]>) {
        self.array(items.len());
        for item in items {
            self.bulk(item);
        }
    }

    fn push_decimal(&mut self, value: i64) {
        let mut tmp = itoa::Buffer::new();
        self.buf.extend_from_slice(tmp.format(value).as_bytes());
    }
}

/// Position of an array header whose length is filled in later.
#[derive(Debug)]
pub struct DeferredLen {
    at: usize,
}
