//! Redis-exact number parsing and formatting. Placeholder until the real one lands.

/// Parses like Redis's `string2ll`.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    std::str::from_utf8(s).ok()?.parse().ok()
}
