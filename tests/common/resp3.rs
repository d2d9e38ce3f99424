//! RESP3 helpers for the differential tests of the collection commands (`diff_zset`,
//! `diff_hash`, `diff_set`, `resp3_collections`), included with
//! `#[path = "common/resp3.rs"] mod resp3;` next to `mod common;`.
//!
//! The tests compare most replies byte for byte, which needs nothing protocol-specific. Where
//! a reply's order is undefined they look inside it: [`lower`] decodes a RESP2 or RESP3 reply
//! into the RESP2 picture the tests already understand (a set or a map is an array, a double
//! a bulk string, `_` a null bulk), and [`skeleton`] keeps what lowering forgets, the exact
//! types and aggregate lengths, so a `~` against a `*` or a `,` against a `$` still fails.

#![allow(dead_code)]

use crate::common::{reply_end, show_short, Raw, Resp};

/// Switches `raw` to RESP3 (HELLO 3); panics unless the server answers with its map.
pub fn hello3(raw: &mut Raw) {
    let reply = raw.cmd(&["HELLO", "3"]);
    assert!(
        reply.starts_with(b"%"),
        "HELLO 3 did not answer a map: {}",
        show_short(&reply, 200)
    );
}

fn line(buf: &[u8], pos: usize) -> (&[u8], usize) {
    let end = buf[pos..]
        .windows(2)
        .position(|w| w == b"\r\n")
        .map(|p| p + pos)
        .expect("a complete line");
    (&buf[pos + 1..end], end + 2)
}

fn number(text: &[u8]) -> i64 {
    std::str::from_utf8(text)
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("bad length {}", show_short(text, 40)))
}

/// Decodes one complete reply, RESP2 or RESP3, into RESP2 terms: `~` and `>` are arrays, a
/// `%` map is the flat array of its keys and values, `,` a bulk string of its text, `_` the
/// null bulk string, `#t`/`#f` the integers 1/0, `=` a bulk string of its text after the
/// format. A RESP2 reply decodes exactly as `common::decode` does.
pub fn lower(buf: &[u8]) -> Resp {
    lower_at(buf, 0).0
}

fn lower_at(buf: &[u8], pos: usize) -> (Resp, usize) {
    let (head, next) = line(buf, pos);
    match buf[pos] {
        b'+' => (Resp::Simple(head.to_vec()), next),
        b'-' => (Resp::Error(head.to_vec()), next),
        b':' => (Resp::Int(number(head)), next),
        b',' | b'(' => (Resp::Bulk(Some(head.to_vec())), next),
        b'_' => (Resp::Bulk(None), next),
        b'#' => (Resp::Int((head == b"t") as i64), next),
        b'$' | b'=' | b'!' => {
            let n = number(head);
            if n < 0 {
                return (Resp::Bulk(None), next);
            }
            let mut data = &buf[next..next + n as usize];
            if buf[pos] == b'=' {
                data = &data[4.min(data.len())..];
            }
            (Resp::Bulk(Some(data.to_vec())), next + n as usize + 2)
        }
        kind @ (b'*' | b'~' | b'>' | b'%') => {
            let n = number(head);
            if n < 0 {
                return (Resp::Array(None), next);
            }
            let count = if kind == b'%' { n * 2 } else { n };
            let mut items = Vec::with_capacity(count as usize);
            let mut at = next;
            for _ in 0..count {
                let (item, after) = lower_at(buf, at);
                items.push(item);
                at = after;
            }
            (Resp::Array(Some(items)), at)
        }
        _ => {
            let end = reply_end(buf, pos)
                .expect("valid reply")
                .expect("complete reply");
            (Resp::Other(buf[pos..end].to_vec()), end)
        }
    }
}

/// The shape of a reply without its payload: each element's type byte, aggregates with their
/// length (`*3[$$$]`), nulls as `$-1` / `*-1`, errors with their text. Two replies with the same
/// skeleton differ at most in the bytes of their strings, numbers and doubles.
pub fn skeleton(buf: &[u8]) -> String {
    let mut out = String::new();
    skeleton_at(buf, 0, &mut out);
    out
}

fn skeleton_at(buf: &[u8], pos: usize, out: &mut String) -> usize {
    let (head, next) = line(buf, pos);
    let kind = buf[pos];
    match kind {
        b'-' => {
            out.push('-');
            out.push_str(&String::from_utf8_lossy(head));
            next
        }
        b'$' | b'=' | b'!' => {
            let n = number(head);
            out.push(kind as char);
            if n < 0 {
                out.push_str("-1");
                return next;
            }
            next + n as usize + 2
        }
        b'*' | b'~' | b'>' | b'%' => {
            let n = number(head);
            out.push(kind as char);
            out.push_str(&n.to_string());
            if n < 0 {
                return next;
            }
            let count = if kind == b'%' { n * 2 } else { n };
            out.push('[');
            let mut at = next;
            for _ in 0..count {
                at = skeleton_at(buf, at, out);
            }
            out.push(']');
            at
        }
        _ => {
            out.push(kind as char);
            next
        }
    }
}

/// `[[a, b], [c, d]]` (RESP3 pairs) as `[a, b, c, d]`; anything else unchanged, so a RESP2
/// flat list and a RESP3 list of pairs read the same.
pub fn unpair(items: Vec<Resp>) -> Vec<Resp> {
    let paired = !items.is_empty()
        && items
            .iter()
            .all(|i| matches!(i, Resp::Array(Some(p)) if p.len() == 2));
    if !paired {
        return items;
    }
    items
        .into_iter()
        .flat_map(|i| match i {
            Resp::Array(Some(p)) => p,
            other => vec![other],
        })
        .collect()
}

/// The raw bytes of each element of the aggregate reply `buf` (each key with its value, for
/// a map), sorted, after its header line; `None` for a reply that is not an aggregate. Two
/// replies holding the same elements in another order give the same answer.
pub fn sorted_elements(buf: &[u8]) -> Option<(Vec<u8>, Vec<Vec<u8>>)> {
    let kind = *buf.first()?;
    if !matches!(kind, b'*' | b'~' | b'%' | b'>') {
        return None;
    }
    let (head, mut at) = line(buf, 0);
    let n = number(head);
    if n < 0 {
        return None;
    }
    let per = if kind == b'%' { 2 } else { 1 };
    let mut elements = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let start = at;
        for _ in 0..per {
            at = reply_end(buf, at)
                .expect("valid reply")
                .expect("complete reply");
        }
        elements.push(buf[start..at].to_vec());
    }
    elements.sort();
    Some((buf[..line(buf, 0).1].to_vec(), elements))
}
