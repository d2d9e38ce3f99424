//! The small C-library parsers Redis's config code relies on, reproduced
//! byte for byte: `memtoull`, `strtoll` (base 10), `yesnotoi` and the
//! C-string view of an argument (Redis passes most values as `char *`, so
//! everything after an embedded NUL byte is ignored).

/// The part of `v` a C function would see: everything before the first NUL.
pub(crate) fn cstr(v: &[u8]) -> &[u8] {
    match v.iter().position(|&b| b == 0) {
        Some(i) => &v[..i],
        None => v,
    }
}

/// Lossy UTF-8 view of a C-string argument.
pub(crate) fn lossy(v: &[u8]) -> String {
    String::from_utf8_lossy(cstr(v)).into_owned()
}

/// Redis's `memtoull`: an unsigned integer with an optional unit suffix.
///
/// * `b` or no suffix: bytes; `k` = 1000, `kb` = 1024, `m` = 1000², `mb` = 1024²,
///   `g` = 1000³, `gb` = 1024³ (suffix case-insensitive).
/// * Only ASCII digits before the suffix: no sign, no spaces, no decimal point.
/// * An empty number counts as 0 (`""`, `"kb"` parse to 0), as in Redis.
/// * Too many digits saturate at `u64::MAX` (glibc `strtoull`) and the unit
///   multiplication wraps around, exactly like the C code.
///
/// Returns `None` where Redis sets `*err`.
pub fn memtoull(v: &[u8]) -> Option<u64> {
    let v = cstr(v);
    if v.first() == Some(&b'-') {
        return None;
    }
    let digits = v.iter().take_while(|b| b.is_ascii_digit()).count();
    let unit = v[digits..].to_ascii_lowercase();
    let mul: u64 = match unit.as_slice() {
        b"" | b"b" => 1,
        b"k" => 1000,
        b"kb" => 1024,
        b"m" => 1000 * 1000,
        b"mb" => 1024 * 1024,
        b"g" => 1000 * 1000 * 1000,
        b"gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    // Redis copies the digits into a 128-byte buffer first.
    if digits >= 128 {
        return None;
    }
    let mut val: u64 = 0;
    for &d in &v[..digits] {
        match val
            .checked_mul(10)
            .and_then(|x| x.checked_add(u64::from(d - b'0')))
        {
            Some(x) => val = x,
            None => {
                val = u64::MAX;
                break;
            }
        }
    }
    Some(val.wrapping_mul(mul))
}

/// glibc `strtoll(s, &end, 10)` on the C string `s`: returns the value
/// (saturated at the `i64` range) and whether `*end == '\0'` afterwards,
/// i.e. whether the whole string was consumed. As in C, a string with no
/// digits yields 0 with `end == s`, so only the empty string is then
/// "fully consumed".
pub(crate) fn strtoll(s: &[u8]) -> (i64, bool) {
    let s = cstr(s);
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        i += 1;
    }
    let mut negative = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        negative = s[i] == b'-';
        i += 1;
    }
    let start = i;
    // Accumulate as a negative number so i64::MIN is representable.
    let mut acc: i64 = 0;
    let mut overflow = false;
    while i < s.len() && s[i].is_ascii_digit() {
        let d = i64::from(s[i] - b'0');
        if !overflow {
            match acc.checked_mul(10).and_then(|x| x.checked_sub(d)) {
                Some(x) => acc = x,
                None => overflow = true,
            }
        }
        i += 1;
    }
    if i == start {
        return (0, s.is_empty());
    }
    let val = match (overflow, negative) {
        (true, true) => i64::MIN,
        (true, false) => i64::MAX,
        (false, true) => acc,
        (false, false) => acc.checked_neg().unwrap_or(i64::MAX),
    };
    (val, i == s.len())
}

/// Redis's `yesnotoi`: case-insensitive "yes"/"no".
pub(crate) fn yesno(v: &[u8]) -> Option<bool> {
    let v = cstr(v);
    if v.eq_ignore_ascii_case(b"yes") {
        Some(true)
    } else if v.eq_ignore_ascii_case(b"no") {
        Some(false)
    } else {
        None
    }
}

/// Splits a multi-argument value the way `CONFIG SET` does
/// (`sdssplitlen(value, " ")`): on every single space, keeping empty
/// fields; an empty value has no fields at all.
pub(crate) fn split_args(v: &[u8]) -> Vec<&[u8]> {
    if v.is_empty() {
        return Vec::new();
    }
    v.split(|&b| b == b' ').collect()
}

/// Splits a config line into words as Redis's `sdssplitargs` does: words separated by
/// blanks; `"..."` with the escapes `\n \r \t \b \a \\ \"` and `\xHH`; `'...'` with `\'`.
/// A closing quote must end the word. `None` for unbalanced quotes.
pub(crate) fn split_quoted(line: &str) -> Option<Vec<String>> {
    let b = line.as_bytes();
    let mut words = Vec::new();
    let mut i = 0;
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i == b.len() {
            return Some(words);
        }
        let mut word = Vec::new();
        let quote = matches!(b[i], b'"' | b'\'').then_some(b[i]);
        if let Some(q) = quote {
            i += 1;
            loop {
                let c = *b.get(i)?;
                if c == q {
                    i += 1;
                    // The closing quote must be followed by a blank or the end.
                    if b.get(i).is_some_and(|c| !c.is_ascii_whitespace()) {
                        return None;
                    }
                    break;
                }
                if c == b'\\' && i + 1 < b.len() {
                    let next = b[i + 1];
                    let hex = |c: u8| (c as char).to_digit(16);
                    if q == b'"' && next == b'x' && i + 3 < b.len() {
                        if let (Some(h), Some(l)) = (hex(b[i + 2]), hex(b[i + 3])) {
                            word.push((h * 16 + l) as u8);
                            i += 4;
                            continue;
                        }
                    }
                    let escaped = match (q, next) {
                        (b'"', b'n') => Some(b'\n'),
                        (b'"', b'r') => Some(b'\r'),
                        (b'"', b't') => Some(b'\t'),
                        (b'"', b'b') => Some(8),
                        (b'"', b'a') => Some(7),
                        (b'"', c) => Some(c),
                        (_, b'\'') => Some(b'\''),
                        _ => None,
                    };
                    if let Some(e) = escaped {
                        word.push(e);
                        i += 2;
                        continue;
                    }
                }
                word.push(c);
                i += 1;
            }
        } else {
            while i < b.len() && !b[i].is_ascii_whitespace() {
                word.push(b[i]);
                i += 1;
            }
        }
        words.push(String::from_utf8_lossy(&word).into_owned());
    }
}

/// The C `strerror` text of an I/O error (Rust appends " (os error N)").
pub(crate) fn strerror(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.rfind(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}
