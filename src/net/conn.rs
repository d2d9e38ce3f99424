//! A connection's socket and buffers.
//!
//! Reads land in `rbuf`; the parser walks it in place; replies accumulate in `out` and are
//! written with as few syscalls as possible. `Stream` is the one type the reactor reads and
//! writes through, so a TLS stream becomes another variant without touching the parser or the
//! commands.

use std::io::{self, Read, Write};

use mio::net::TcpStream;

use crate::resp::{Parser, Reply};
use crate::state::{BufferStats, REPLY_MIN_BYTES};

/// Smallest free space offered to each `read`.
pub const READ_CHUNK: usize = 16 * 1024;
/// Largest single `read`.
pub const MAX_READ: usize = 64 * 1024;
/// A query buffer wasting less than this is never resized by the cron (Redis: 4 KiB).
const QUERY_RESIZE_MIN_FREE: usize = 4 * 1024;
/// A busy client's query buffer is trimmed only above this size (`PROTO_RESIZE_THRESHOLD`).
const QUERY_RESIZE_THRESHOLD: usize = 32 * 1024;
/// Seconds without a command after which a query buffer is trimmed to what it holds.
const QUERY_IDLE_SECS: i64 = 2;
/// How often the reply buffer's peak restarts from the current use
/// (`reply-buffer-peak-reset-time`, 5 s in Redis), so an idle client's buffer shrinks.
const REPLY_PEAK_RESET_MS: i64 = 5000;

/// The byte stream under a connection: plain TCP, or TLS over TCP.
///
/// Plain connections pay one predictable branch per read and per write for TLS being
/// possible; everything TLS-specific lives behind the boxed variant.
pub enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream>),
}

/// A rustls server connection driven by the reactor's readiness events: the handshake,
/// alerts and `close_notify` travel through the same reads and writes as the data, and
/// nothing here ever blocks.
pub struct TlsStream {
    pub sock: TcpStream,
    pub tls: rustls::ServerConnection,
    /// The handshake finished and the reactor saw it (client certificate user mapped).
    pub established: bool,
    /// `close_notify` was queued: the connection closes once it is written.
    pub closing: bool,
}

/// The socket as rustls reads it, noting whether the last read came back short (which
/// proves the socket was drained, as for plain reads).
struct ShortRead<'a> {
    sock: &'a mut TcpStream,
    short: bool,
}

impl Read for ShortRead<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.sock.read(buf)?;
        self.short = n < buf.len();
        Ok(n)
    }
}

impl Stream {
    pub fn source(&mut self) -> &mut TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(t) => &mut t.sock,
        }
    }

    /// Whether rustls holds records to send (handshake, alerts, close_notify, data).
    #[inline]
    pub fn tls_wants_write(&self) -> bool {
        match self {
            Stream::Plain(_) => false,
            Stream::Tls(t) => t.tls.wants_write(),
        }
    }

    /// The TLS handshake has not finished yet.
    pub fn handshaking(&self) -> bool {
        match self {
            Stream::Plain(_) => false,
            Stream::Tls(t) => t.tls.is_handshaking(),
        }
    }
}

impl TlsStream {
    pub fn new(sock: TcpStream, config: std::sync::Arc<rustls::ServerConfig>) -> io::Result<Self> {
        let mut tls = rustls::ServerConnection::new(config).map_err(io::Error::other)?;
        // rustls buffers what it was handed; bounding it keeps the reply buffer the measure
        // of pending output (back-pressure, client-output-buffer-limit).
        tls.set_buffer_limit(Some(crate::tls::TLS_BUFFER_LIMIT));
        Ok(TlsStream {
            sock,
            tls,
            established: false,
            closing: false,
        })
    }

    /// Reads plaintext into `buf`, pulling and decrypting records from the socket as
    /// needed. Returns the bytes read and whether both the socket and rustls's plaintext
    /// were drained (nothing more will come without a new readiness event). `Ok((0, true))`
    /// after handshake progress without application data; `Ok((0, false))` at the end.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<(usize, bool)> {
        let mut n = 0;
        let mut sock_drained = false;
        loop {
            // Plaintext rustls already decrypted comes first: no readiness event would
            // announce it.
            while n < buf.len() {
                match self.tls.reader().read(&mut buf[n..]) {
                    Ok(0) => return Ok((n, false)),
                    Ok(k) => n += k,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    // The peer closed without close_notify.
                    Err(e) if n == 0 => return Err(e),
                    Err(_) => return Ok((n, false)),
                }
            }
            if n == buf.len() {
                return Ok((n, false));
            }
            if sock_drained {
                return Ok((n, true));
            }
            let mut src = ShortRead {
                sock: &mut self.sock,
                short: false,
            };
            match self.tls.read_tls(&mut src) {
                Ok(0) => {
                    // End of stream: what was decrypted goes first, the close next time.
                    if n > 0 {
                        return Ok((n, false));
                    }
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
                Ok(_) => {
                    sock_drained = src.short;
                    if let Err(e) = self.tls.process_new_packets() {
                        // Send the alert rustls queued (bad certificate, …), best effort.
                        let _ = self.tls.write_tls(&mut self.sock);
                        return Err(io::Error::new(io::ErrorKind::InvalidData, e));
                    }
                }
                // Nothing new since the last call (whose progress was reported then).
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if n == 0 {
                        return Err(e);
                    }
                    return Ok((n, true));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Hands `out` to rustls (at most its buffer limit at a time) and writes the records
    /// until done or the socket would block. Returns the plaintext bytes taken.
    fn flush(&mut self, out: &[u8]) -> io::Result<usize> {
        let mut taken = 0;
        loop {
            while self.tls.wants_write() {
                match self.tls.write_tls(&mut self.sock) {
                    Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(taken),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            if taken == out.len() || self.closing {
                return Ok(taken);
            }
            let n = self.tls.writer().write(&out[taken..])?;
            if n == 0 {
                // Buffered until the handshake completes, and the buffer is full.
                return Ok(taken);
            }
            taken += n;
        }
    }
}

/// What a read attempt found.
#[derive(Debug, PartialEq, Eq)]
pub enum ReadOutcome {
    /// `bytes` arrived; `drained` when the socket had no more than we read.
    Data { bytes: usize, drained: bool },
    /// Nothing to read now.
    WouldBlock,
    /// The peer closed, or the socket failed.
    Closed,
}

pub struct Conn {
    pub stream: Stream,
    /// Receive buffer, always initialised; `rbuf[rpos..rend]` holds bytes not yet consumed.
    pub rbuf: Vec<u8>,
    pub rpos: usize,
    pub rend: usize,
    pub parser: Parser,
    pub out: Reply,
    /// Bytes of `out` already written.
    pub wpos: usize,
    /// WRITABLE interest is registered (a write hit `WouldBlock`).
    pub want_write: bool,
    /// Reading is paused until the output drains (back-pressure).
    pub paused: bool,
    /// Queued in the reactor's list of connections to flush.
    pub flush_queued: bool,
    /// Already in the reactor's `to_resume` queue (a connection is queued at most once).
    pub resume_queued: bool,
    /// Held by a rate limit (`rate-limit-mode pause`): not read, its buffered requests not
    /// run, until the reactor's timer releases it.
    pub throttled: bool,
    /// The request at the head of its input was already counted as rate limited.
    pub rate_delayed: bool,
    /// Most input held at once since the last cron resize check (Redis's `querybuf_peak`).
    pub qpeak: usize,
    /// Most output held at once since `rpeak_reset_ms` (Redis's `buf_peak`).
    pub rpeak: usize,
    pub rpeak_reset_ms: i64,
    /// Bytes ever read from the socket.
    pub bytes_in: u64,
    /// When the incomplete request in `rbuf` last started or made progress (0: none), and
    /// `bytes_in` then: `client-request-timeout`'s clock (see `cron::request_deadlines`).
    pub partial_since_ms: i64,
    pub partial_mark: u64,
    /// The peer shut its side (readiness said so): read until the end of the stream is seen,
    /// since edge-triggered readiness will not announce it again after a short read.
    pub read_closed: bool,
}

impl Conn {
    pub fn new(stream: Stream, now_ms: i64) -> Conn {
        let mut out = Reply::new();
        // Redis's smallest reply buffer: the first replies need no reallocation.
        out.buf.reserve_exact(REPLY_MIN_BYTES);
        Conn {
            stream,
            rbuf: Vec::new(),
            rpos: 0,
            rend: 0,
            parser: Parser::new(),
            out,
            wpos: 0,
            want_write: false,
            paused: false,
            flush_queued: false,
            resume_queued: false,
            throttled: false,
            rate_delayed: false,
            qpeak: 0,
            rpeak: 0,
            rpeak_reset_ms: now_ms,
            bytes_in: 0,
            partial_since_ms: 0,
            partial_mark: 0,
            read_closed: false,
        }
    }

    /// Reads once into the buffer's free space.
    pub fn read_once(&mut self) -> ReadOutcome {
        // Move the unconsumed tail to the front so the buffer does not creep forward.
        if self.rpos > 0 {
            self.rbuf.copy_within(self.rpos..self.rend, 0);
            self.rend -= self.rpos;
            self.rpos = 0;
        }
        if self.rbuf.len() - self.rend < READ_CHUNK {
            // Grow geometrically so a large argument arriving in pieces costs amortised O(n).
            let grown = (self.rbuf.len() * 2).max(self.rend + READ_CHUNK);
            self.rbuf.resize(grown, 0);
        }
        // One read takes at most MAX_READ bytes, however large the buffer has grown for a big
        // argument, so the work one read can bring into a loop turn stays bounded.
        let space = (self.rbuf.len() - self.rend).min(MAX_READ);
        let result = match &mut self.stream {
            Stream::Plain(s) => s
                .read(&mut self.rbuf[self.rend..self.rend + space])
                .map(|n| (n, n < space)),
            Stream::Tls(t) => match t.read(&mut self.rbuf[self.rend..self.rend + space]) {
                // Handshake progress without data: the caller runs its bookkeeping (a
                // finished handshake, records to write).
                Ok((0, true)) => {
                    return ReadOutcome::Data {
                        bytes: 0,
                        drained: true,
                    }
                }
                other => other,
            },
        };
        match result {
            Ok((0, _)) => ReadOutcome::Closed,
            Ok((n, drained)) => {
                self.rend += n;
                self.bytes_in += n as u64;
                self.qpeak = self.qpeak.max(self.rend - self.rpos);
                ReadOutcome::Data { bytes: n, drained }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => ReadOutcome::WouldBlock,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => ReadOutcome::Data {
                bytes: 0,
                drained: false,
            },
            Err(_) => ReadOutcome::Closed,
        }
    }

    /// The received bytes not yet consumed.
    pub fn input(&self) -> &[u8] {
        &self.rbuf[self.rpos..self.rend]
    }

    /// Bytes received but not yet consumed.
    pub fn pending_input(&self) -> usize {
        self.rend - self.rpos
    }

    /// Replies not yet written, or TLS records (handshake, alerts, close_notify) to send.
    pub fn has_output(&self) -> bool {
        self.wpos < self.out.buf.len() || self.stream.tls_wants_write()
    }

    /// Writes pending output until done or the socket would block. Returns bytes written, or
    /// an error when the connection is dead.
    pub fn flush(&mut self) -> io::Result<usize> {
        let mut written = 0;
        match &mut self.stream {
            Stream::Plain(sock) => {
                while self.wpos < self.out.buf.len() {
                    match sock.write(&self.out.buf[self.wpos..]) {
                        Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                        Ok(n) => {
                            self.wpos += n;
                            written += n;
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(e),
                    }
                }
            }
            Stream::Tls(t) => {
                written = t.flush(&self.out.buf[self.wpos..])?;
                self.wpos += written;
            }
        }
        if self.wpos == self.out.buf.len() {
            self.out.buf.clear();
            self.wpos = 0;
            // A huge reply should not pin its buffer for the connection's lifetime.
            if self.out.buf.capacity() > 1024 * 1024 {
                self.out.buf = Vec::new();
            }
        }
        Ok(written)
    }

    /// The buffer figures CLIENT LIST shows; the reply buffer's peak is updated on the way.
    pub fn stats(&mut self) -> BufferStats {
        let pending_out = self.out.len() - self.wpos;
        self.rpeak = self.rpeak.max(self.out.len());
        let qbuf = self.pending_input();
        BufferStats {
            qbuf,
            qbuf_free: self.rbuf.capacity() - qbuf,
            argv_partial: self.parser.partial_args_len(),
            rbs: self.out.buf.capacity(),
            rbp: self.rpeak,
            pending_out,
            conn_mem: std::mem::size_of::<Conn>()
                + self.rbuf.capacity()
                + self.out.buf.capacity()
                + self.parser.heap_bytes(),
            writing: self.want_write,
        }
    }

    /// The cron's buffer housekeeping, as Redis's `clientsCronResizeQueryBuffer` and
    /// `clientsCronResizeOutputBuffer`: a query buffer wasting more than 4 KiB is trimmed to
    /// what it holds once the client has been idle for over 2 s, or, when it is larger than
    /// 32 KiB and more than twice its recent peak, down to that peak; a reply buffer whose
    /// peak stayed under half its size shrinks (never below 1 KiB). Peaks then restart.
    pub fn cron_resize(&mut self, idle_secs: i64, now_ms: i64) {
        let pending = self.pending_input();
        let cap = self.rbuf.capacity();
        if cap - pending > QUERY_RESIZE_MIN_FREE {
            let target = if idle_secs > QUERY_IDLE_SECS {
                Some(pending)
            } else if cap > QUERY_RESIZE_THRESHOLD && cap / 2 > self.qpeak {
                Some(pending.max(self.qpeak))
            } else {
                None
            };
            if let Some(target) = target {
                self.rbuf.copy_within(self.rpos..self.rend, 0);
                self.rpos = 0;
                self.rend = pending;
                self.rbuf.truncate(target);
                self.rbuf.shrink_to(target);
            }
        }
        self.qpeak = pending;

        let half = self.out.buf.capacity() / 2;
        if half >= REPLY_MIN_BYTES && self.rpeak < half && self.out.buf.len() < half {
            self.out
                .buf
                .shrink_to(REPLY_MIN_BYTES.max(self.rpeak + 1).max(self.out.buf.len()));
        }
        if now_ms - self.rpeak_reset_ms >= REPLY_PEAK_RESET_MS {
            self.rpeak = self.out.len() - self.wpos;
            self.rpeak_reset_ms = now_ms;
        }
    }
}

/// Blocked clients are served into their connection's output buffer.
impl crate::cmd::blocking::ClientOutputs for slab::Slab<Conn> {
    fn output(&mut self, client: usize) -> Option<&mut Reply> {
        self.get_mut(client).map(|conn| &mut conn.out)
    }
}
