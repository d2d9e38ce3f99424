//! Fuzz target: arbitrary bytes, split into arbitrary chunks, fed to the RESP request parser
//! the way the reactor feeds it. The parser must never panic, never claim to consume more than
//! it was given, and must parse the same requests however the stream is chunked.
#![no_main]

use ferrodis::resp::{Limits, Parsed, Parser, ProtoError};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, PartialEq, Eq)]
enum Event {
    Cmd(Vec<Vec<u8>>),
    Empty,
    Error(ProtoError),
}

/// Feeds `chunks` in order; returns every request (or the error) parsed.
fn run(chunks: &[&[u8]], limits: &Limits) -> Vec<Event> {
    let mut parser = Parser::new();
    let mut buf = Vec::new();
    let mut events = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        loop {
            match parser.parse(&buf, limits) {
                Ok(Parsed::Incomplete) => break,
                Ok(Parsed::Empty { consumed }) => {
                    assert!(consumed > 0 && consumed <= buf.len());
                    events.push(Event::Empty);
                    buf.drain(..consumed);
                }
                Ok(Parsed::Command { consumed }) => {
                    assert!(consumed > 0 && consumed <= buf.len());
                    let args: Vec<Vec<u8>> = parser.args(&buf).iter().map(|a| a.to_vec()).collect();
                    assert!(!args.is_empty());
                    events.push(Event::Cmd(args));
                    buf.drain(..consumed);
                }
                Err(e) => {
                    let _ = e.message();
                    events.push(Event::Error(e));
                    return events;
                }
            }
        }
    }
    events
}

fuzz_target!(|data: &[u8]| {
    // The first bytes choose the limits and the chunk sizes; the rest is the stream.
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let n_sizes = (mode & 7) as usize + 1;
    if rest.len() < n_sizes {
        return;
    }
    let (sizes, stream) = rest.split_at(n_sizes);
    // Small bulk limits (bit 3) also exercise the unauthenticated limits (bit 4 of the size).
    let limits = if mode & 8 != 0 {
        Limits {
            max_bulk_len: (mode >> 4) as i64 * 4,
            unauthenticated: mode & 16 != 0,
        }
    } else {
        Limits::default()
    };
    let mut chunks = Vec::new();
    let mut at = 0;
    let mut i = 0;
    while at < stream.len() {
        let size = (sizes[i % sizes.len()] as usize % 64) + 1;
        let end = (at + size).min(stream.len());
        chunks.push(&stream[at..end]);
        at = end;
        i += 1;
    }
    let split = run(&chunks, &limits);
    let whole = run(&[stream], &limits);
    // Below the 64 KiB line limits, chunking cannot change the result.
    if stream.len() <= 64 * 1024 {
        assert_eq!(split, whole);
    }
});
