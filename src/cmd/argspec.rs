//! Argument specs: what COMMAND DOCS reports under `arguments` (Redis 7.0 layout) and what
//! redis-cli turns into its inline hints.
//!
//! Each table entry writes its arguments as one line of a small notation, parsed once when the
//! registry is built, so an entry stays one readable line instead of a tree of struct literals:
//!
//! ```text
//! key:key value ?condition@2.6.12(NX|XX) ?GET@6.2.0 ?expiration(EX=seconds:integer|KEEPTTL)
//! ```
//!
//! Arguments are separated by whitespace. One argument is a head word, optionally followed
//! by its children:
//!
//! - `?` at the start: the `optional` flag.
//! - `TOKEN=` : the argument is introduced by the literal word `TOKEN`.
//! - the name (lower case; `a-z 0-9 - _ : /`), then `:type` with type one of `key`, `string`,
//!   `integer`, `double`, `pattern`, `unix-time`, `pure-token`; no type means `string`.
//!   `key` takes the next key-spec index (0, 1, …); `key0`, `key1`… give it explicitly
//!   (LCS's two keys share spec 0); `pattern-key1` is a pattern that names keys, with its
//!   key-spec index (SORT's BY and GET).
//! - A head that is one upper-case word (`NX`, `WITHSCORES`) is a pure token named after the
//!   word in lower case; a pure token with another name is written `CH=change:pure-token`.
//! - then, in this order and each optional: `...` (`multiple`), `+` right after it
//!   (`multiple_token`), `@7.0.0` (`since`), `!2.8.12` (`deprecated_since`).
//! - `name(a|b|c)` is a `oneof` of the alternatives, `name{a b c}` a `block` of the sequence;
//!   the head carries the oneof's or block's own token and flags: `?LIMIT=offset_count{…}`.

use std::borrow::Cow;
use std::fmt::Write as _;

/// What an argument is, with the children of a `oneof` or `block`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A key, described by the command's key spec at this index.
    Key(u32),
    /// A pattern that names keys (SORT's BY and GET), with its key spec index.
    PatternKey(u32),
    String,
    Integer,
    Double,
    Pattern,
    UnixTime,
    PureToken,
    OneOf(Vec<Arg>),
    Block(Vec<Arg>),
}

impl Kind {
    /// The COMMAND DOCS `type` value.
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Key(_) => "key",
            Kind::PatternKey(_) => "pattern",
            Kind::String => "string",
            Kind::Integer => "integer",
            Kind::Double => "double",
            Kind::Pattern => "pattern",
            Kind::UnixTime => "unix-time",
            Kind::PureToken => "pure-token",
            Kind::OneOf(_) => "oneof",
            Kind::Block(_) => "block",
        }
    }
}

/// One argument of a command, as COMMAND DOCS describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arg {
    pub name: Cow<'static, str>,
    pub kind: Kind,
    pub token: Option<&'static str>,
    pub since: Option<&'static str>,
    pub deprecated_since: Option<&'static str>,
    pub optional: bool,
    pub multiple: bool,
    pub multiple_token: bool,
}

impl Arg {
    /// The children of a `oneof` or `block`; empty for anything else.
    pub fn children(&self) -> &[Arg] {
        match &self.kind {
            Kind::OneOf(c) | Kind::Block(c) => c,
            _ => &[],
        }
    }

    /// The COMMAND DOCS `flags`, in Redis's order.
    pub fn flag_names(&self) -> Vec<&'static str> {
        [
            (self.optional, "optional"),
            (self.multiple, "multiple"),
            (self.multiple_token, "multiple_token"),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, name)| *name)
        .collect()
    }
}

/// Parses one table entry's argument notation.
pub fn parse(spec: &'static str) -> Result<Vec<Arg>, String> {
    let mut p = Parser {
        toks: lex(spec)?,
        pos: 0,
        next_key: 0,
    };
    let args = p.sequence(None)?;
    debug_assert!(p.pos == p.toks.len());
    Ok(args)
}

/// The argument list as redis-cli 7.0 renders it into a hint (`key value [NX|XX] …`); also
/// the syntax line of docs/commands.md.
pub fn syntax(args: &[Arg]) -> String {
    let mut out = String::new();
    join(args, " ", &mut out);
    out
}

fn join(args: &[Arg], sep: &str, out: &mut String) {
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        render(arg, out);
    }
}

fn render(arg: &Arg, out: &mut String) {
    let mut repeat = String::new();
    match &arg.kind {
        Kind::OneOf(c) => join(c, "|", &mut repeat),
        Kind::Block(c) => join(c, " ", &mut repeat),
        Kind::PureToken => {}
        _ => repeat.push_str(&arg.name),
    }
    let mut token = arg.token.unwrap_or("").to_string();
    if !token.is_empty() && arg.kind != Kind::PureToken {
        token.push(' ');
    }
    if arg.optional {
        out.push('[');
    }
    out.push_str(&token);
    out.push_str(&repeat);
    if arg.multiple {
        let again = if arg.multiple_token {
            token.as_str()
        } else {
            ""
        };
        let _ = write!(out, " [{again}{repeat} ...]");
    }
    if arg.optional {
        out.push(']');
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok {
    Word(&'static str),
    Open(char),
    Close(char),
    Bar,
}

fn lex(spec: &'static str) -> Result<Vec<Tok>, String> {
    let mut toks = Vec::new();
    let mut word_start = None;
    for (i, c) in spec.char_indices() {
        let special = matches!(c, '(' | ')' | '{' | '}' | '|');
        if c.is_whitespace() || special {
            if let Some(s) = word_start.take() {
                toks.push(Tok::Word(&spec[s..i]));
            }
            match c {
                '(' | '{' => toks.push(Tok::Open(c)),
                ')' | '}' => toks.push(Tok::Close(c)),
                '|' => toks.push(Tok::Bar),
                _ => {}
            }
        } else if !c.is_ascii_graphic() {
            return Err(format!("unexpected character {c:?}"));
        } else if word_start.is_none() {
            word_start = Some(i);
        }
    }
    if let Some(s) = word_start {
        toks.push(Tok::Word(&spec[s..]));
    }
    Ok(toks)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    /// The key-spec index the next `:key` argument gets.
    next_key: u32,
}

/// The head word of one argument, taken apart.
struct Head {
    optional: bool,
    token: Option<&'static str>,
    name: Cow<'static, str>,
    /// `None` when the head gave no type (a string, unless children follow).
    kind: Option<Kind>,
    multiple: bool,
    multiple_token: bool,
    since: Option<&'static str>,
    deprecated_since: Option<&'static str>,
}

impl Parser {
    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).copied();
        self.pos += 1;
        t
    }

    fn peek(&self) -> Option<Tok> {
        self.toks.get(self.pos).copied()
    }

    /// Whitespace-separated arguments up to `close` (or the end of the spec).
    fn sequence(&mut self, close: Option<char>) -> Result<Vec<Arg>, String> {
        let mut args = Vec::new();
        loop {
            match self.peek() {
                None if close.is_none() => return Ok(args),
                None => return Err(format!("missing {:?}", close.unwrap_or(')'))),
                Some(Tok::Close(c)) if Some(c) == close => {
                    self.pos += 1;
                    return Ok(args);
                }
                Some(Tok::Word(_)) => args.push(self.arg()?),
                Some(other) => return Err(format!("unexpected {other:?}")),
            }
        }
    }

    /// `|`-separated alternatives up to `)`.
    fn alternatives(&mut self) -> Result<Vec<Arg>, String> {
        let mut args = vec![self.arg()?];
        loop {
            match self.next() {
                Some(Tok::Bar) => args.push(self.arg()?),
                Some(Tok::Close(')')) => return Ok(args),
                other => return Err(format!("expected '|' or ')', found {other:?}")),
            }
        }
    }

    fn arg(&mut self) -> Result<Arg, String> {
        let Some(Tok::Word(word)) = self.next() else {
            return Err("expected an argument".to_string());
        };
        let head = self.head(word)?;
        let children = match self.peek() {
            Some(Tok::Open(c)) => {
                self.pos += 1;
                if head.kind.is_some() {
                    return Err(format!("{word}: a oneof or block takes no type"));
                }
                let children = if c == '(' {
                    Kind::OneOf(self.alternatives()?)
                } else {
                    Kind::Block(self.sequence(Some('}'))?)
                };
                Some(children)
            }
            _ => None,
        };
        let kind = children.or(head.kind).unwrap_or(Kind::String);
        if matches!(&kind, Kind::Block(c) if c.is_empty()) {
            return Err(format!("{word}: empty block"));
        }
        if kind == Kind::PureToken && head.token.is_none() {
            return Err(format!("{word}: a pure token needs its TOKEN="));
        }
        if head.multiple_token && head.token.is_none() {
            return Err(format!("{word}: multiple_token without a token"));
        }
        Ok(Arg {
            name: head.name,
            kind,
            token: head.token,
            since: head.since,
            deprecated_since: head.deprecated_since,
            optional: head.optional,
            multiple: head.multiple,
            multiple_token: head.multiple_token,
        })
    }

    fn head(&mut self, word: &'static str) -> Result<Head, String> {
        let (optional, rest) = match word.strip_prefix('?') {
            Some(r) => (true, r),
            None => (false, word),
        };
        let (mut token, rest) = match rest.split_once('=') {
            Some((t, r)) => (Some(t), r),
            None => (None, rest),
        };
        if token.is_some_and(|t| t.is_empty() || t.contains(['?', '@', '!'])) {
            return Err(format!("{word}: bad token"));
        }
        let end = rest.find(['@', '!', '.']).unwrap_or(rest.len());
        let (name_type, mut meta) = rest.split_at(end);
        let multiple = match meta.strip_prefix("...") {
            Some(m) => {
                meta = m;
                true
            }
            None => false,
        };
        let multiple_token = match meta.strip_prefix('+') {
            Some(m) if multiple => {
                meta = m;
                true
            }
            _ => false,
        };
        let since = match meta.strip_prefix('@') {
            Some(m) => {
                let end = m.find('!').unwrap_or(m.len());
                meta = &m[end..];
                Some(version(&m[..end], word)?)
            }
            None => None,
        };
        let deprecated_since = match meta.strip_prefix('!') {
            Some(m) => {
                meta = "";
                Some(version(m, word)?)
            }
            None => None,
        };
        if !meta.is_empty() {
            return Err(format!("{word}: cannot read {meta:?}"));
        }
        let (name, kind): (Cow<'static, str>, Option<Kind>) =
            if token.is_none() && is_token_word(name_type) {
                token = Some(name_type);
                (name_type.to_ascii_lowercase().into(), Some(Kind::PureToken))
            } else {
                let (name, kind) = self.name_and_type(name_type);
                (name.into(), kind)
            };
        let name_ok = name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b':' | b'/')
        });
        if name.is_empty() || !name_ok {
            return Err(format!("{word}: bad name {name:?}"));
        }
        Ok(Head {
            optional,
            token,
            name,
            kind,
            multiple,
            multiple_token,
            since,
            deprecated_since,
        })
    }

    /// Splits `name:type`; a name may itself hold a colon (`ip:port`) when what follows the
    /// last colon is not a type.
    fn name_and_type(&mut self, name_type: &'static str) -> (&'static str, Option<Kind>) {
        let Some((name, ty)) = name_type.rsplit_once(':') else {
            return (name_type, None);
        };
        let kind = match ty {
            "key" => Some(Kind::Key(self.next_key)),
            "string" => Some(Kind::String),
            "integer" => Some(Kind::Integer),
            "double" => Some(Kind::Double),
            "pattern" => Some(Kind::Pattern),
            "unix-time" => Some(Kind::UnixTime),
            "pure-token" => Some(Kind::PureToken),
            _ => {
                let index = |prefix: &str| {
                    ty.strip_prefix(prefix)
                        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                        .and_then(|n| n.parse::<u32>().ok())
                };
                index("key")
                    .map(Kind::Key)
                    .or_else(|| index("pattern-key").map(Kind::PatternKey))
            }
        };
        match kind {
            Some(kind) => {
                if let Kind::Key(i) | Kind::PatternKey(i) = kind {
                    self.next_key = self.next_key.max(i.saturating_add(1));
                }
                (name, Some(kind))
            }
            None => (name_type, None),
        }
    }
}

/// An upper-case word that stands for a pure token (`NX`, `NO-EVICT`).
fn is_token_word(s: &str) -> bool {
    s.bytes().any(|b| b.is_ascii_uppercase())
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// `major.minor.patch`.
fn version(v: &'static str, word: &str) -> Result<&'static str, String> {
    let parts: Vec<&str> = v.split('.').collect();
    let ok = parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if ok {
        Ok(v)
    } else {
        Err(format!("{word}: bad version {v:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SET: &str = "key:key value ?condition@2.6.12(NX|XX) ?GET@6.2.0 \
        ?expiration(EX=seconds:integer@2.6.12|PX=milliseconds:integer@2.6.12|\
        EXAT=unix-time-seconds:unix-time@6.2.0|PXAT=unix-time-milliseconds:unix-time@6.2.0|\
        KEEPTTL@6.0.0)";

    fn leaf(name: &'static str, kind: Kind) -> Arg {
        Arg {
            name: name.into(),
            kind,
            token: None,
            since: None,
            deprecated_since: None,
            optional: false,
            multiple: false,
            multiple_token: false,
        }
    }

    fn pure(token: &'static str) -> Arg {
        Arg {
            token: Some(token),
            ..leaf("", Kind::PureToken)
        }
    }

    #[test]
    fn set_renders_as_redis_cli_hints_it() {
        let args = parse(SET).unwrap();
        assert_eq!(
            syntax(&args),
            "key value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|\
             PXAT unix-time-milliseconds|KEEPTTL]"
        );
        assert_eq!(args[0].kind, Kind::Key(0));
        assert_eq!(args[2].name, "condition");
        assert_eq!(args[2].since, Some("2.6.12"));
        assert_eq!(args[2].children()[0].name, "nx");
        assert_eq!(args[2].children()[0].token, Some("NX"));
        assert_eq!(args[3].flag_names(), ["optional"]);
        let ex = &args[4].children()[0];
        assert_eq!((ex.token, ex.kind.name()), (Some("EX"), "integer"));
    }

    #[test]
    fn every_field_of_the_notation() {
        let args = parse(
            "src:key dst:key ip:port!2.8.12 ?WEIGHTS=weight:integer...+@6.2.0 CH=change:pure-token",
        )
        .unwrap();
        assert_eq!(args[0].kind, Kind::Key(0));
        assert_eq!(args[1].kind, Kind::Key(1));
        assert_eq!(
            args[2],
            Arg {
                deprecated_since: Some("2.8.12"),
                ..leaf("ip:port", Kind::String)
            }
        );
        assert_eq!(
            args[3],
            Arg {
                token: Some("WEIGHTS"),
                since: Some("6.2.0"),
                optional: true,
                multiple: true,
                multiple_token: true,
                ..leaf("weight", Kind::Integer)
            }
        );
        assert_eq!(
            args[3].flag_names(),
            ["optional", "multiple", "multiple_token"]
        );
        assert_eq!(
            args[4],
            Arg {
                token: Some("CH"),
                ..leaf("change", Kind::PureToken)
            }
        );
        assert_eq!(
            syntax(&args),
            "src dst ip:port [WEIGHTS weight [WEIGHTS weight ...]] CH"
        );
    }

    #[test]
    fn nested_oneof_and_block() {
        let args = parse(
            "?arguments{protover:integer ?AUTH=username_password{username password} \
             ?SETNAME=clientname} where(LEFT | RIGHT) k1:key k2:key0",
        )
        .unwrap();
        let auth = &args[0].children()[1];
        assert_eq!(auth.kind.name(), "block");
        assert_eq!(auth.token, Some("AUTH"));
        assert_eq!(auth.children().len(), 2);
        assert_eq!(
            args[1].kind,
            Kind::OneOf(vec![
                Arg {
                    name: "left".into(),
                    ..pure("LEFT")
                },
                Arg {
                    name: "right".into(),
                    ..pure("RIGHT")
                },
            ])
        );
        assert_eq!(
            (&args[2].kind, &args[3].kind),
            (&Kind::Key(0), &Kind::Key(0))
        );
        assert_eq!(
            syntax(&args),
            "[protover [AUTH username password] [SETNAME clientname]] LEFT|RIGHT k1 k2"
        );
    }

    #[test]
    fn empty_spec_is_no_arguments() {
        assert_eq!(parse("").unwrap(), vec![]);
        assert_eq!(parse("  ").unwrap(), vec![]);
    }

    #[test]
    fn malformed_specs_are_rejected() {
        for bad in [
            "key:key (",
            "a(b|c",
            "a{b c",
            "a(b c)",
            "a{}",
            "a)",
            "| a",
            "Name",
            "a:pure-token",
            "count@6.2",
            "count@6.2.x",
            "count...x",
            "=x",
            "a:integer(B|C)",
            "NX(A|B)",
            "count+",
            "x...+",
            "é",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should not parse");
        }
    }
}
