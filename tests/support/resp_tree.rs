//! Replies as trees that keep RESP3's types (a set is not an array), for tests that compare
//! whole replies after putting unordered parts (Redis's subcommand tables) in order.

#![allow(dead_code)]

use super::common::{reply_end, show};

/// One reply as a tree: the header line of an aggregate (or the whole of a scalar) and its
/// elements. RESP3 types are kept, so a set and an array differ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub kind: u8,
    /// The whole scalar reply, or nothing for an aggregate.
    pub raw: Vec<u8>,
    pub items: Vec<Node>,
}

pub fn parse(buf: &[u8]) -> Node {
    let (node, end) = parse_at(buf, 0);
    assert_eq!(end, buf.len(), "trailing bytes after {}", show(buf));
    node
}

fn parse_at(buf: &[u8], pos: usize) -> (Node, usize) {
    let end = reply_end(buf, pos)
        .expect("valid reply")
        .expect("complete reply");
    let kind = buf[pos];
    if !matches!(kind, b'*' | b'~' | b'%' | b'>') {
        let node = Node {
            kind,
            raw: buf[pos..end].to_vec(),
            items: Vec::new(),
        };
        return (node, end);
    }
    let line_end = pos + buf[pos..].iter().position(|&b| b == b'\r').expect("CRLF");
    let n: i64 = std::str::from_utf8(&buf[pos + 1..line_end])
        .expect("length")
        .parse()
        .expect("length");
    let count = if kind == b'%' { n * 2 } else { n };
    let mut at = line_end + 2;
    let mut items = Vec::new();
    for _ in 0..count.max(0) {
        let (item, next) = parse_at(buf, at);
        items.push(item);
        at = next;
    }
    let node = Node {
        kind,
        raw: if n < 0 {
            buf[pos..end].to_vec()
        } else {
            Vec::new()
        },
        items,
    };
    (node, end)
}

pub fn render(node: &Node) -> String {
    if node.items.is_empty() && !node.raw.is_empty() {
        return show(&node.raw);
    }
    let inner: Vec<String> = node.items.iter().map(render).collect();
    format!("{}[{}]", node.kind as char, inner.join(" "))
}

/// The text of a bulk or simple string node.
pub fn text(node: &Node) -> String {
    let raw = &node.raw;
    let body = match node.kind {
        b'$' => {
            let start = raw.iter().position(|&b| b == b'\n').expect("header") + 1;
            &raw[start..raw.len() - 2]
        }
        b'+' => &raw[1..raw.len() - 2],
        _ => panic!("not a string: {}", render(node)),
    };
    String::from_utf8_lossy(body).into_owned()
}
