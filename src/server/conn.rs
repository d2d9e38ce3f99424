//! A connection's socket and buffers.
//!
//! Reads land in `rbuf`; the parser walks it in place; replies accumulate in `out` and are
//! written with as few syscalls as possible. `Stream` is the one type the reactor reads and
//! writes through, so a TLS stream becomes another variant without touching the parser or the
//! commands.

use std::io::{self, Read, Write};

use mio::net::TcpStream;

use crate::resp::{Parser, Reply};

/// Smallest free space offered to each `read`.
pub const READ_CHUNK: usize = 16 * 1024;
/// Largest single `read`.
pub const MAX_READ: usize = 64 * 1024;

/// The byte stream under a connection.
pub enum Stream {
    Plain(TcpStream),
}

impl Stream {
    pub fn source(&mut self) -> &mut TcpStream {
        match self {
            Stream::Plain(s) => s,
        }
    }

    pub fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
        }
    }

    pub fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
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
}

impl Conn {
    pub fn new(stream: Stream) -> Conn {
        Conn {
            stream,
            rbuf: Vec::new(),
            rpos: 0,
            rend: 0,
            parser: Parser::new(),
            out: Reply::new(),
            wpos: 0,
            want_write: false,
            paused: false,
            flush_queued: false,
            resume_queued: false,
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
        match self
            .stream
            .read(&mut self.rbuf[self.rend..self.rend + space])
        {
            Ok(0) => ReadOutcome::Closed,
            Ok(n) => {
                self.rend += n;
                ReadOutcome::Data {
                    bytes: n,
                    drained: n < space,
                }
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

    pub fn has_output(&self) -> bool {
        self.wpos < self.out.buf.len()
    }

    /// Writes pending output until done or the socket would block. Returns bytes written, or
    /// an error when the connection is dead.
    pub fn flush(&mut self) -> io::Result<usize> {
        let mut written = 0;
        while self.wpos < self.out.buf.len() {
            match self.stream.write(&self.out.buf[self.wpos..]) {
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

    /// Releases buffer memory a burst left behind.
    pub fn shrink_idle_buffers(&mut self) {
        if self.pending_input() == 0 && self.rbuf.capacity() > 4 * READ_CHUNK {
            self.rbuf = Vec::new();
            self.rpos = 0;
            self.rend = 0;
        }
    }
}
