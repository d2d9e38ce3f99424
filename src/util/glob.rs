//! Redis glob matching (`stringmatchlen`). Placeholder until the real one lands.

/// Matches `string` against a Redis glob `pattern`.
pub fn glob_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    let _ = nocase;
    pattern == b"*" || pattern == string
}
