//! Redis glob matching: a port of Redis 7.0's `stringmatchlen`, used by KEYS,
//! SCAN MATCH, PSUBSCRIBE, CONFIG GET and friends.
//!
//! Syntax: `*` (any run, possibly empty), `?` (one byte), `[abc]`, `[^abc]`,
//! `[a-z]` (a reversed range `[z-a]` is the same range), `\x` (literal `x`,
//! inside and outside brackets). Bytes are compared as C `char`s, which are
//! signed on the platforms Redis ships on; this only shows in ranges whose
//! ends straddle 0x80 (`[a-\xff]` covers 0xff and 0x00..=0x61).
//!
//! Quirks kept on purpose, all observable in real Redis:
//! - the matcher never matches an empty subject unless the pattern is empty
//!   too (`*` does not match `""`; KEYS short-cuts a bare `*` itself);
//! - an unterminated `[` class runs to the end of the pattern, and a lone `[`
//!   never matches; `[^` matches any one byte;
//! - a trailing `\` outside a class matches a literal backslash;
//! - in `[a-]`, the `-` forms a range up to the closing `]`;
//! - `\` escapes inside a class ignore `nocase`;
//! - once a `*` found no match for the rest of the pattern at any position,
//!   every enclosing `*` gives up too (`skipLongerMatches`), which keeps
//!   patterns like `a*a*a*a*b` linear-ish;
//! - more than 1000 nested `*` levels count as no match.

/// Pattern byte at `i`, reading past the end as the NUL terminator Redis's
/// sds strings carry.
#[inline]
fn at(p: &[u8], i: usize) -> u8 {
    p.get(i).copied().unwrap_or(0)
}

/// C `tolower` in the "C" locale, on a `char` value.
#[inline]
fn lower(c: i32) -> i32 {
    if (b'A' as i32..=b'Z' as i32).contains(&c) {
        c + 32
    } else {
        c
    }
}

/// The value C sees for a `char` byte (signed).
#[inline]
fn sc(b: u8) -> i32 {
    b as i8 as i32
}

#[inline]
fn same(a: u8, b: u8, nocase: bool) -> bool {
    if nocase {
        lower(sc(a)) == lower(sc(b))
    } else {
        a == b
    }
}

/// Recursion limit of `stringmatchlen_impl`.
const MAX_NESTING: u32 = 1000;

fn match_impl(pat: &[u8], s: &[u8], nocase: bool, skip_longer: &mut bool, nesting: u32) -> bool {
    if nesting > MAX_NESTING {
        return false;
    }
    // `p` and `i` are the cursors; the remaining lengths are
    // `pat.len() - p` and `s.len() - i`. `p` never passes `pat.len()`.
    let mut p = 0usize;
    let mut i = 0usize;
    while p < pat.len() && i < s.len() {
        match pat[p] {
            b'*' => {
                while p < pat.len() && at(pat, p + 1) == b'*' {
                    p += 1;
                }
                if pat.len() - p == 1 {
                    return true;
                }
                while i < s.len() {
                    if match_impl(&pat[p + 1..], &s[i..], nocase, skip_longer, nesting + 1) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    i += 1;
                }
                // Nothing after this star matches anywhere in the rest of the
                // subject, so no longer match of an earlier star can help.
                *skip_longer = true;
                return false;
            }
            b'?' => {
                i += 1;
            }
            b'[' => {
                p += 1;
                let not = at(pat, p) == b'^';
                if not {
                    p += 1;
                }
                let c = s[i];
                let mut matched = false;
                loop {
                    let rem = pat.len() - p;
                    let cur = at(pat, p);
                    if cur == b'\\' && rem >= 2 {
                        p += 1;
                        if pat[p] == c {
                            matched = true;
                        }
                    } else if cur == b']' {
                        break;
                    } else if rem == 0 {
                        // Unterminated class: step back onto the last pattern
                        // byte so the common advance below ends the pattern.
                        p -= 1;
                        break;
                    } else if rem >= 3 && pat[p + 1] == b'-' {
                        let mut start = sc(pat[p]);
                        let mut end = sc(pat[p + 2]);
                        let mut ch = sc(c);
                        if start > end {
                            std::mem::swap(&mut start, &mut end);
                        }
                        if nocase {
                            start = lower(start);
                            end = lower(end);
                            ch = lower(ch);
                        }
                        p += 2;
                        if ch >= start && ch <= end {
                            matched = true;
                        }
                    } else if same(cur, c, nocase) {
                        matched = true;
                    }
                    p += 1;
                }
                if not {
                    matched = !matched;
                }
                if !matched {
                    return false;
                }
                i += 1;
            }
            b'\\' => {
                if pat.len() - p >= 2 {
                    p += 1;
                }
                if !same(pat[p], s[i], nocase) {
                    return false;
                }
                i += 1;
            }
            other => {
                if !same(other, s[i], nocase) {
                    return false;
                }
                i += 1;
            }
        }
        p += 1;
        if i == s.len() {
            while at(pat, p) == b'*' {
                p += 1;
            }
            break;
        }
    }
    p == pat.len() && i == s.len()
}

/// Matches `string` against a Redis glob `pattern`, like Redis 7.0's
/// `stringmatchlen(pattern, string, nocase)`. Never panics; recursion depth
/// is bounded by 1001 frames.
pub fn glob_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    let mut skip_longer = false;
    match_impl(pattern, string, nocase, &mut skip_longer, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn m(p: &str, s: &str) -> bool {
        glob_match(p.as_bytes(), s.as_bytes(), false)
    }

    fn mi(p: &str, s: &str) -> bool {
        glob_match(p.as_bytes(), s.as_bytes(), true)
    }

    #[test]
    fn basics() {
        assert!(m("", ""));
        assert!(!m("", "a"));
        assert!(!m("*", ""));
        assert!(!m("**", ""));
        assert!(m("*", "abc"));
        assert!(m("a*", "a"));
        assert!(m("a**", "a"));
        assert!(m("*a", "a"));
        assert!(m("a*c", "abbbc"));
        assert!(!m("a*c", "abbb"));
        assert!(m("h?llo", "hello"));
        assert!(!m("h?llo", "hllo"));
        assert!(m("h*llo", "hllo"));
        assert!(m("h[ae]llo", "hallo"));
        assert!(!m("h[ae]llo", "hillo"));
        assert!(m("h[^e]llo", "hallo"));
        assert!(!m("h[^e]llo", "hello"));
        assert!(m("h[a-b]llo", "hbllo"));
        assert!(m("h[b-a]llo", "hallo"));
        assert!(!m("h[b-a]llo", "hcllo"));
        assert!(m("user:*:name", "user:1000:name"));
        assert!(!m("abc", "ABC"));
        assert!(mi("abc", "ABC"));
        assert!(mi("[A-C]x", "bX"));
        assert!(mi("[a-c]x", "BX"));
    }

    #[test]
    fn escapes_and_edges() {
        assert!(m("\\*", "*"));
        assert!(!m("\\*", "a"));
        assert!(m("a\\", "a\\"));
        assert!(m("\\", "\\"));
        assert!(m("[\\]]", "]"));
        assert!(m("[\\-]", "-"));
        assert!(m("[a\\", "\\"));
        assert!(m("[\\", "\\"));
        assert!(!m("[", "["));
        assert!(!m("[", "a"));
        assert!(m("[^", "x"));
        assert!(m("[abc", "b"));
        assert!(!m("[abc", "d"));
        // `a-]` is the range ']'..='a' (swapped), and the class is unterminated.
        assert!(m("[a-]", "]"));
        assert!(m("[a-]", "_"));
        assert!(m("[a-]", "a"));
        assert!(!m("[a-]", "b"));
        assert!(!m("[a-]", "-"));
        assert!(!m("[]", "]"));
        assert!(!m("[]]", "]"));
        assert!(!m("[]a]", "a"));
        // Escapes in classes do not fold case.
        assert!(!mi("[\\A]", "a"));
        assert!(mi("\\A", "a"));
    }

    #[test]
    fn signed_char_ranges() {
        // 'a' (97) to 0xff (-1 as char): the range is -1..=97 after the swap.
        assert!(glob_match(b"[a-\xff]", b"\xff", false));
        assert!(glob_match(b"[a-\xff]", b"\x00", false));
        assert!(glob_match(b"[a-\xff]", b"a", false));
        assert!(!glob_match(b"[a-\xff]", b"b", false));
        assert!(!glob_match(b"[a-\xff]", b"\x80", false));
        assert!(glob_match(b"[\x80-\xff]", b"\x90", false));
        assert!(!glob_match(b"[\x80-\xff]", b"a", false));
    }

    #[test]
    fn nul_bytes() {
        assert!(glob_match(b"a\0b", b"a\0b", false));
        assert!(glob_match(b"[\0]", b"\0", false));
        assert!(glob_match(b"*\0", b"xx\0", false));
    }

    #[test]
    fn pathological_patterns_are_fast() {
        let start = std::time::Instant::now();
        let s = vec![b'a'; 5000];
        let pat = "a*".repeat(40) + "b";
        assert!(!glob_match(pat.as_bytes(), &s, false));
        let pat = "*a".repeat(60) + "*b";
        assert!(!glob_match(pat.as_bytes(), &s, false));
        let pat = "?*".repeat(60) + "b";
        assert!(!glob_match(pat.as_bytes(), &s, false));
        assert!(start.elapsed().as_secs() < 5);
    }

    #[test]
    fn nesting_limit() {
        // 1000 nested stars still work, the 1001st level is cut off.
        let s = vec![b'a'; 2000];
        let ok = "a*".repeat(1000) + "a";
        assert!(glob_match(ok.as_bytes(), &s, false));
        let cut = "a*".repeat(1001) + "a";
        assert!(!glob_match(cut.as_bytes(), &s, false));
    }

    /// The same algorithm without `skipLongerMatches` and the nesting cap:
    /// plain exhaustive backtracking, only for short inputs.
    fn reference(p: &[u8], s: &[u8], nocase: bool) -> bool {
        fn go(pat: &[u8], s: &[u8], nocase: bool) -> bool {
            let mut p = 0usize;
            let mut i = 0usize;
            while p < pat.len() && i < s.len() {
                match pat[p] {
                    b'*' => {
                        while p < pat.len() && at(pat, p + 1) == b'*' {
                            p += 1;
                        }
                        if pat.len() - p == 1 {
                            return true;
                        }
                        return (i..s.len()).any(|k| go(&pat[p + 1..], &s[k..], nocase));
                    }
                    b'[' | b'\\' | b'?' => {
                        // Delegate single-element matching to the real
                        // implementation with a fixed one-byte subject.
                        let (elem_end, ok) = one_element(pat, p, s[i], nocase);
                        if !ok {
                            return false;
                        }
                        p = elem_end;
                        i += 1;
                    }
                    c => {
                        if !same(c, s[i], nocase) {
                            return false;
                        }
                        i += 1;
                    }
                }
                p += 1;
                if i == s.len() {
                    while at(pat, p) == b'*' {
                        p += 1;
                    }
                    break;
                }
            }
            p == pat.len() && i == s.len()
        }
        go(p, s, nocase)
    }

    /// Matches the element at `p` against byte `c` and returns the index of
    /// its last pattern byte (what the main loop's cursor is before its
    /// common advance).
    fn one_element(pat: &[u8], mut p: usize, c: u8, nocase: bool) -> (usize, bool) {
        match pat[p] {
            b'?' => (p, true),
            b'\\' => {
                if pat.len() - p >= 2 {
                    p += 1;
                }
                (p, same(pat[p], c, nocase))
            }
            _ => {
                p += 1;
                let not = at(pat, p) == b'^';
                if not {
                    p += 1;
                }
                let mut matched = false;
                loop {
                    let rem = pat.len() - p;
                    if at(pat, p) == b'\\' && rem >= 2 {
                        p += 1;
                        matched |= pat[p] == c;
                    } else if at(pat, p) == b']' {
                        break;
                    } else if rem == 0 {
                        p -= 1;
                        break;
                    } else if rem >= 3 && pat[p + 1] == b'-' {
                        let (mut a, mut b) = (sc(pat[p]), sc(pat[p + 2]));
                        if a > b {
                            std::mem::swap(&mut a, &mut b);
                        }
                        let mut x = sc(c);
                        if nocase {
                            a = lower(a);
                            b = lower(b);
                            x = lower(x);
                        }
                        matched |= x >= a && x <= b;
                        p += 2;
                    } else {
                        matched |= same(pat[p], c, nocase);
                    }
                    p += 1;
                }
                (p, matched != not)
            }
        }
    }

    fn small_bytes(alphabet: &'static [u8], max: usize) -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(proptest::sample::select(alphabet), 0..max)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

        #[test]
        fn never_panics(p in proptest::collection::vec(any::<u8>(), 0..40),
                        s in proptest::collection::vec(any::<u8>(), 0..40),
                        nocase in any::<bool>()) {
            let _ = glob_match(&p, &s, nocase);
        }

        #[test]
        fn never_panics_on_glob_heavy_input(
            p in small_bytes(b"*?[]^-\\ab", 30),
            s in small_bytes(b"ab[]-\\^*", 30),
            nocase in any::<bool>()) {
            let _ = glob_match(&p, &s, nocase);
        }

        #[test]
        fn skip_longer_matches_is_sound(
            p in small_bytes(b"*?[]^-\\abA", 12),
            s in small_bytes(b"abAB-]", 10),
            nocase in any::<bool>()) {
            prop_assert_eq!(glob_match(&p, &s, nocase), reference(&p, &s, nocase));
        }

        #[test]
        fn literal_patterns_match_themselves(s in small_bytes(b"abcxyz:_-", 30)) {
            prop_assert!(glob_match(&s, &s, false));
        }
    }
}
