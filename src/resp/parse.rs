//! In-place RESP2 request parser.
//!
//! The parser never copies a multibulk argument: a parsed command is a list of byte ranges into
//! the connection's read buffer. Its state survives between reads, so a command that arrives in
//! many pieces is scanned once, not re-parsed from its first byte on every read. Offsets are
//! relative to the start of the command being parsed, so the caller may move the unconsumed tail
//! of its buffer to the front between calls.
//!
//! Inline commands (`PING\r\n`, telnet style) may contain quoting and escapes, so their arguments
//! are unescaped into a scratch buffer owned by the parser.

use std::ops::Range;

use crate::util::num::parse_i64;

/// Longest inline request, and longest `*<count>` / `$<len>` header line, Redis's
/// `PROTO_INLINE_MAX_SIZE`.
pub const INLINE_MAX: usize = 64 * 1024;
/// Most arguments one multibulk request may claim.
pub const MULTIBULK_MAX: i64 = 1024 * 1024;

/// Limits that come from the configuration.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// `proto-max-bulk-len`: longest single argument.
    pub max_bulk_len: i64,
    /// The client must still authenticate: as in Redis, a request of more than
    /// [`UNAUTH_MAX_ARGS`] arguments or with an argument longer than [`UNAUTH_MAX_BULK`] is a
    /// protocol error, so an unauthenticated client cannot make the server buffer much.
    pub unauthenticated: bool,
}

/// Most arguments a multibulk request may have before the client authenticates.
pub const UNAUTH_MAX_ARGS: i64 = 10;
/// Longest argument before the client authenticates.
pub const UNAUTH_MAX_BULK: i64 = 16384;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bulk_len: 512 * 1024 * 1024,
            unauthenticated: false,
        }
    }
}

/// A malformed request. The connection answers the error text and is then closed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProtoError {
    TooBigInline,
    UnbalancedQuotes,
    TooBigMultibulkCount,
    InvalidMultibulkLength,
    TooBigBulkCount,
    ExpectedDollar(u8),
    InvalidBulkLength,
    UnauthenticatedMultibulkLength,
    UnauthenticatedBulkLength,
}

impl ProtoError {
    /// The error line Redis sends, without the leading `-` and trailing CRLF. The byte of
    /// `expected '$'` goes out as it came (Redis's `%c`), a CR or LF as a space.
    pub fn message(&self) -> Vec<u8> {
        let detail: &str = match self {
            ProtoError::TooBigInline => "too big inline request",
            ProtoError::UnbalancedQuotes => "unbalanced quotes in request",
            ProtoError::TooBigMultibulkCount => "too big mbulk count string",
            ProtoError::InvalidMultibulkLength => "invalid multibulk length",
            ProtoError::TooBigBulkCount => "too big bulk count string",
            ProtoError::ExpectedDollar(got) => {
                let got = if matches!(got, b'\r' | b'\n') {
                    b' '
                } else {
                    *got
                };
                let mut text = b"ERR Protocol error: expected '$', got '".to_vec();
                text.extend_from_slice(&[got, b'\'']);
                return text;
            }
            ProtoError::InvalidBulkLength => "invalid bulk length",
            ProtoError::UnauthenticatedMultibulkLength => "unauthenticated multibulk length",
            ProtoError::UnauthenticatedBulkLength => "unauthenticated bulk length",
        };
        format!("ERR Protocol error: {detail}").into_bytes()
    }
}

/// What one call to [`Parser::parse`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parsed {
    /// More bytes are needed; nothing was consumed.
    Incomplete,
    /// A request with no arguments (an empty inline line, `*0`, `*-1`): skip `consumed` bytes.
    Empty { consumed: usize },
    /// A command whose arguments are in [`Parser::args`]; it occupies `consumed` bytes.
    Command { consumed: usize },
}

/// Resumable parser for one connection.
#[derive(Default, Debug)]
pub struct Parser {
    /// Argument ranges of the current command; into the input for multibulk requests, into
    /// `inline_buf` for inline ones.
    ranges: Vec<Range<usize>>,
    inline_buf: Vec<u8>,
    inline: bool,
    /// Arguments still expected by the multibulk request in progress (0 = none in progress).
    pending: usize,
    /// Offset, from the command start, of the next byte to parse.
    cursor: usize,
    /// Where the inline scan for a newline stopped, to avoid rescanning on every read.
    inline_scanned: usize,
}

/// The arguments of one parsed command.
#[derive(Clone, Copy)]
pub struct Args<'a> {
    base: &'a [u8],
    ranges: &'a [Range<usize>],
}

impl<'a> Args<'a> {
    pub fn new(base: &'a [u8], ranges: &'a [Range<usize>]) -> Self {
        Args { base, ranges }
    }

    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Argument `i`; the dispatcher has checked arity, so handlers index freely.
    pub fn get(&self, i: usize) -> &'a [u8] {
        &self.base[self.ranges[i].clone()]
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = &'a [u8]> + 'a {
        let base = self.base;
        self.ranges.iter().map(move |r| &base[r.clone()])
    }

    /// Arguments from `start` on.
    pub fn tail(&self, start: usize) -> Args<'a> {
        Args {
            base: self.base,
            ranges: &self.ranges[start.min(self.ranges.len())..],
        }
    }
}

impl<'a> std::ops::Index<usize> for Args<'a> {
    type Output = [u8];
    fn index(&self, i: usize) -> &[u8] {
        &self.base[self.ranges[i].clone()]
    }
}

impl Parser {
    pub fn new() -> Self {
        Parser::default()
    }

    /// True while a command has been partly received.
    pub fn in_progress(&self) -> bool {
        self.pending > 0 || self.cursor > 0 || self.inline_scanned > 0
    }

    /// Total length of the arguments already received of a multibulk request still in
    /// progress (CLIENT LIST `argv-mem`); 0 between requests.
    pub fn partial_args_len(&self) -> usize {
        if self.pending == 0 || self.inline {
            return 0;
        }
        self.ranges.iter().map(|r| r.len()).sum()
    }

    /// Heap bytes the parser keeps between requests (argument ranges, inline scratch).
    pub fn heap_bytes(&self) -> usize {
        self.ranges.capacity() * std::mem::size_of::<Range<usize>>() + self.inline_buf.capacity()
    }

    /// The arguments of the command last returned as [`Parsed::Command`]; `input` must be the
    /// same slice that was passed to `parse`.
    pub fn args<'a>(&'a self, input: &'a [u8]) -> Args<'a> {
        let base = if self.inline {
            &self.inline_buf[..]
        } else {
            input
        };
        Args::new(base, &self.ranges)
    }

    /// Parses one request from `input`, which starts at the first byte of the request (the same
    /// first byte on every call until a request completes).
    pub fn parse(&mut self, input: &[u8], limits: &Limits) -> Result<Parsed, ProtoError> {
        if self.pending == 0 && self.cursor == 0 {
            match input.first() {
                None => return Ok(Parsed::Incomplete),
                Some(b'*') => {}
                Some(_) => return self.parse_inline(input),
            }
            self.inline = false;
            self.ranges.clear();
            let Some(line_end) = find_cr(input, 1) else {
                if input.len() > INLINE_MAX {
                    return Err(ProtoError::TooBigMultibulkCount);
                }
                return Ok(Parsed::Incomplete);
            };
            if line_end + 1 >= input.len() {
                return Ok(Parsed::Incomplete);
            }
            let Some(count) = parse_i64(&input[1..line_end]) else {
                let too_big = input.len() > INLINE_MAX;
                return hidden_by_nul(
                    &input[1..line_end],
                    too_big,
                    ProtoError::TooBigMultibulkCount,
                )
                .unwrap_or(Err(ProtoError::InvalidMultibulkLength));
            };
            if count > MULTIBULK_MAX {
                return Err(ProtoError::InvalidMultibulkLength);
            }
            if count > UNAUTH_MAX_ARGS && limits.unauthenticated {
                return Err(ProtoError::UnauthenticatedMultibulkLength);
            }
            let consumed = line_end + 2;
            if count <= 0 {
                return Ok(Parsed::Empty { consumed });
            }
            self.pending = count as usize;
            self.cursor = consumed;
            // Reserve for small counts only: a hostile count must not allocate up front.
            self.ranges.reserve((count as usize).min(1024));
        }
        while self.pending > 0 {
            let start = self.cursor;
            let Some(&first) = input.get(start) else {
                return Ok(Parsed::Incomplete);
            };
            let Some(line_end) = find_cr(input, start) else {
                if input.len() - start > INLINE_MAX {
                    return Err(ProtoError::TooBigBulkCount);
                }
                return Ok(Parsed::Incomplete);
            };
            if line_end + 1 >= input.len() {
                return Ok(Parsed::Incomplete);
            }
            let too_big = input.len() - start > INLINE_MAX;
            if first != b'$' {
                return hidden_by_nul(
                    &input[start..line_end],
                    too_big,
                    ProtoError::TooBigBulkCount,
                )
                .unwrap_or(Err(ProtoError::ExpectedDollar(first)));
            }
            let Some(len) = parse_i64(&input[start + 1..line_end]) else {
                return hidden_by_nul(
                    &input[start..line_end],
                    too_big,
                    ProtoError::TooBigBulkCount,
                )
                .unwrap_or(Err(ProtoError::InvalidBulkLength));
            };
            if len < 0 || len > limits.max_bulk_len {
                return Err(ProtoError::InvalidBulkLength);
            }
            if len > UNAUTH_MAX_BULK && limits.unauthenticated {
                return Err(ProtoError::UnauthenticatedBulkLength);
            }
            let data_start = line_end + 2;
            let data_end = data_start + len as usize;
            // Redis skips the two bytes after the payload without looking at them.
            if input.len() < data_end + 2 {
                return Ok(Parsed::Incomplete);
            }
            self.ranges.push(data_start..data_end);
            self.cursor = data_end + 2;
            self.pending -= 1;
        }
        let consumed = self.cursor;
        self.cursor = 0;
        Ok(Parsed::Command { consumed })
    }

    fn parse_inline(&mut self, input: &[u8]) -> Result<Parsed, ProtoError> {
        let from = self.inline_scanned;
        // Redis looks for the newline with `strchr`: a NUL byte before it hides it, and the
        // request waits for more input, up to the inline limit.
        let stop = input[from..]
            .iter()
            .position(|&b| b == b'\n' || b == 0)
            .map(|p| p + from);
        let Some(nl) = stop.filter(|&at| input[at] == b'\n') else {
            if input.len() > INLINE_MAX {
                self.inline_scanned = 0;
                return Err(ProtoError::TooBigInline);
            }
            // Resume at the NUL, which keeps hiding the newline.
            self.inline_scanned = stop.unwrap_or(input.len());
            return Ok(Parsed::Incomplete);
        };
        self.inline_scanned = 0;
        let mut line_end = nl;
        if line_end > 0 && input[line_end - 1] == b'\r' {
            line_end -= 1;
        }
        self.inline = true;
        self.ranges.clear();
        self.inline_buf.clear();
        split_args(&input[..line_end], &mut self.inline_buf, &mut self.ranges)?;
        let consumed = nl + 1;
        if self.ranges.is_empty() {
            Ok(Parsed::Empty { consumed })
        } else {
            Ok(Parsed::Command { consumed })
        }
    }
}

/// The first CR at or after `from`.
fn find_cr(input: &[u8], from: usize) -> Option<usize> {
    input
        .get(from..)?
        .iter()
        .position(|&b| b == b'\r')
        .map(|p| p + from)
}

/// Redis finds a header's CR with `strchr`, so a NUL before it hides the CR: to Redis the
/// header is still incomplete, and it waits for more input (an error once the header passes
/// its limit, `too_big`). Asked only of a header that failed to parse, so a well-formed
/// request pays nothing for it; `None` when `line` holds no NUL.
fn hidden_by_nul(
    line: &[u8],
    too_big: bool,
    too_big_error: ProtoError,
) -> Option<Result<Parsed, ProtoError>> {
    line.contains(&0).then_some(if too_big {
        Err(too_big_error)
    } else {
        Ok(Parsed::Incomplete)
    })
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t' | 0x0b | 0x0c)
}

fn hex_value(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Splits an inline line the way Redis's `sdssplitargs` does: whitespace separates arguments,
/// `"..."` understands `\n \r \t \b \a \\ \" \xHH`, `'...'` understands `\'`, and a closing
/// quote must be followed by whitespace or the end of the line.
pub fn split_args(
    line: &[u8],
    out: &mut Vec<u8>,
    ranges: &mut Vec<Range<usize>>,
) -> Result<(), ProtoError> {
    let mut i = 0;
    loop {
        while i < line.len() && is_space(line[i]) {
            i += 1;
        }
        if i >= line.len() {
            return Ok(());
        }
        let start = out.len();
        let mut in_double = false;
        let mut in_single = false;
        loop {
            if in_double {
                match line.get(i) {
                    None => return Err(ProtoError::UnbalancedQuotes),
                    Some(b'\\') => {
                        let hex = (line.get(i + 2).copied().and_then(hex_value))
                            .zip(line.get(i + 3).copied().and_then(hex_value));
                        match (line.get(i + 1), hex) {
                            (Some(b'x'), Some((hi, lo))) => {
                                out.push(hi * 16 + lo);
                                i += 3;
                            }
                            (Some(&c), _) => {
                                out.push(match c {
                                    b'n' => b'\n',
                                    b'r' => b'\r',
                                    b't' => b'\t',
                                    b'b' => 0x08,
                                    b'a' => 0x07,
                                    other => other,
                                });
                                i += 1;
                            }
                            (None, _) => return Err(ProtoError::UnbalancedQuotes),
                        }
                    }
                    Some(b'"') => {
                        if line.get(i + 1).is_some_and(|&c| !is_space(c)) {
                            return Err(ProtoError::UnbalancedQuotes);
                        }
                        i += 1;
                        break;
                    }
                    Some(&c) => out.push(c),
                }
            } else if in_single {
                match line.get(i) {
                    None => return Err(ProtoError::UnbalancedQuotes),
                    Some(b'\\') if line.get(i + 1) == Some(&b'\'') => {
                        out.push(b'\'');
                        i += 1;
                    }
                    Some(b'\'') => {
                        if line.get(i + 1).is_some_and(|&c| !is_space(c)) {
                            return Err(ProtoError::UnbalancedQuotes);
                        }
                        i += 1;
                        break;
                    }
                    Some(&c) => out.push(c),
                }
            } else {
                match line.get(i) {
                    None => break,
                    Some(&c) if is_space(c) => break,
                    Some(b'"') => in_double = true,
                    Some(b'\'') => in_single = true,
                    Some(&c) => out.push(c),
                }
            }
            i += 1;
        }
        ranges.push(start..out.len());
    }
}
