//! Redis-exact number parsing and formatting.
//!
//! Redis 7.0 is the spec, byte for byte:
//!
//! - [`parse_i64`] is `string2ll` (strict canonical integers).
//! - [`parse_f64`] is `string2d` / `getDoubleFromObject` (ZADD scores, …):
//!   `strtod` over the whole string, no leading space, no NaN, no overflow or
//!   underflow to zero. Hex floats and `inf`/`infinity` pass, as with strtod.
//! - [`parse_f64_range_bound`] is the much looser check `zslParseRange`
//!   applies to ZRANGEBYSCORE-style bounds.
//! - [`format_double`] is `addReplyDouble` (`%.17g`, `inf`, `-inf`).
//! - [`LongDouble`], [`parse_long_double`], [`incr_by_float`] reproduce the
//!   `long double` arithmetic of INCRBYFLOAT / HINCRBYFLOAT (x87 80-bit on
//!   x86_64) through the C library, see `csrc/longdouble.c`.
//!
//! The C helpers assume the process keeps the default "C" locale for
//! `LC_NUMERIC`, as Redis does.

use std::fmt::Write as _;
use std::os::raw::{c_char, c_int, c_longlong};

/// Redis's `MAX_LONG_DOUBLE_CHARS`: the buffer `string2ld`/`ld2string` use.
pub const MAX_LONG_DOUBLE_CHARS: usize = 5 * 1024;

extern "C" {
    fn ferrodis_string2d(s: *const c_char, len: usize, out: *mut f64) -> c_int;
    fn ferrodis_strtod_loose(s: *const c_char, out: *mut f64) -> c_int;
    fn ferrodis_string2ld(s: *const c_char, len: usize, out: *mut LongDouble) -> c_int;
    fn ferrodis_ld_from_i64(v: c_longlong, out: *mut LongDouble);
    fn ferrodis_ld_from_f64(v: f64, out: *mut LongDouble);
    fn ferrodis_ld_add(a: *const LongDouble, b: *const LongDouble, out: *mut LongDouble);
    fn ferrodis_ld_isfinite(a: *const LongDouble) -> c_int;
    fn ferrodis_ld_to_f64(a: *const LongDouble) -> f64;
    fn ferrodis_ld2string_human(a: *const LongDouble, buf: *mut c_char, cap: usize) -> usize;
}

// ---------------------------------------------------------------------------
// Integers
// ---------------------------------------------------------------------------

/// Parses exactly like Redis's `string2ll`: an optional `-`, then `0` alone or
/// a digit 1-9 followed by digits, nothing else (no `+`, no spaces, no leading
/// zeros, no `-0`), and it must fit an `i64` (`i64::MIN` included).
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    // Redis refuses anything of LONG_STR_SIZE (21) bytes or more up front;
    // no valid i64 is that long, so this only short-cuts junk.
    if s.is_empty() || s.len() >= 21 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (negative, digits) = match s[0] {
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    if negative {
        if v > i64::MAX as u64 + 1 {
            return None;
        }
        Some((v as i64).wrapping_neg())
    } else {
        i64::try_from(v).ok()
    }
}

// ---------------------------------------------------------------------------
// Doubles: parsing
// ---------------------------------------------------------------------------

/// Runs `f` on a NUL-terminated copy of `s` (on the stack when short).
fn with_cstr<R>(s: &[u8], f: impl FnOnce(*const c_char) -> R) -> R {
    let mut stack = [0u8; 128];
    if s.len() < stack.len() {
        stack[..s.len()].copy_from_slice(s);
        stack[s.len()] = 0;
        f(stack.as_ptr() as *const c_char)
    } else {
        let mut heap = Vec::with_capacity(s.len() + 1);
        heap.extend_from_slice(s);
        heap.push(0);
        f(heap.as_ptr() as *const c_char)
    }
}

/// Parses a double like Redis 7.0's `string2d` (used by
/// `getDoubleFromObject`, hence ZADD, ZINCRBY, GEOADD coordinates, …).
///
/// `strtod` must consume the whole string; the first byte may not be a C
/// space; NaN is refused; overflow (`1e400`) and underflow to zero
/// (`1e-400`) are refused while denormals (`1e-310`) pass. `inf`, `+inf`,
/// `-Infinity`, hex floats (`0x1p3`), `1.`, `.5` and leading zeros are
/// accepted. There is no length limit.
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    if s.is_empty() {
        return None;
    }
    let mut out = 0.0f64;
    // SAFETY: the pointer is a NUL-terminated copy of `s`, alive for the call.
    let ok = with_cstr(s, |p| unsafe { ferrodis_string2d(p, s.len(), &mut out) });
    (ok != 0).then_some(out)
}

/// The check Redis 7.0's `zslParseRange` makes on a score bound (after the
/// caller has removed a leading `(`): `strtod` must stop at the end of the
/// string or at an embedded NUL byte, and the result may not be NaN.
///
/// Much looser than [`parse_f64`]: leading spaces pass, overflow gives
/// `±inf`, and an empty string (e.g. a bare `(`) reads as `0`.
/// `"2\0x"` reads as `2`.
pub fn parse_f64_range_bound(s: &[u8]) -> Option<f64> {
    let mut out = 0.0f64;
    // SAFETY: the pointer is a NUL-terminated copy of `s`, alive for the call.
    let ok = with_cstr(s, |p| unsafe { ferrodis_strtod_loose(p, &mut out) });
    (ok != 0).then_some(out)
}

// ---------------------------------------------------------------------------
// Doubles: formatting
// ---------------------------------------------------------------------------

/// A small fixed buffer for `core::fmt` output.
struct StackBuf {
    buf: [u8; 40],
    len: usize,
}

impl std::fmt::Write for StackBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        if end > self.buf.len() {
            return Err(std::fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Appends C's `printf("%.17g", v)` of a finite, non-zero-handled value.
fn push_17g(v: f64, out: &mut Vec<u8>) {
    if v.is_nan() {
        // glibc prints the sign of a NaN.
        out.extend_from_slice(if v.is_sign_negative() {
            b"-nan"
        } else {
            b"nan"
        });
        return;
    }
    if v.is_infinite() {
        out.extend_from_slice(if v < 0.0 { b"-inf" } else { b"inf" });
        return;
    }
    if v.is_sign_negative() {
        out.push(b'-');
    }
    let a = v.abs();
    // 17 significant digits, correctly rounded (ties to even, like glibc):
    // "d.dddddddddddddddde<exp>".
    let mut sb = StackBuf {
        buf: [0; 40],
        len: 0,
    };
    write!(sb, "{:.16e}", a).expect("a formatted f64 fits 40 bytes");
    let text = &sb.buf[..sb.len];
    let e_pos = text
        .iter()
        .position(|&c| c == b'e')
        .expect("exponent marker");
    let mut digits = [0u8; 17];
    digits[0] = text[0];
    digits[1..].copy_from_slice(&text[2..e_pos]);
    let exp: i32 = std::str::from_utf8(&text[e_pos + 1..])
        .ok()
        .and_then(|e| e.parse().ok())
        .expect("exponent digits");
    // %g drops trailing zeros of the significand (no '#' flag).
    let mut ndig = digits.len();
    while ndig > 1 && digits[ndig - 1] == b'0' {
        ndig -= 1;
    }
    let sig = &digits[..ndig];
    if !(-4..17).contains(&exp) {
        // Scientific: d[.ddd]e±XX with at least two exponent digits.
        out.push(sig[0]);
        if sig.len() > 1 {
            out.push(b'.');
            out.extend_from_slice(&sig[1..]);
        }
        out.push(b'e');
        out.push(if exp < 0 { b'-' } else { b'+' });
        let mag = exp.unsigned_abs();
        if mag < 10 {
            out.push(b'0');
        }
        let mut ib = itoa::Buffer::new();
        out.extend_from_slice(ib.format(mag).as_bytes());
    } else if exp >= 0 {
        // Fixed, with exp+1 integer digits.
        let int_len = exp as usize + 1;
        for i in 0..int_len {
            out.push(*sig.get(i).unwrap_or(&b'0'));
        }
        if sig.len() > int_len {
            out.push(b'.');
            out.extend_from_slice(&sig[int_len..]);
        }
    } else {
        // Fixed, below 1: 0.000ddd
        out.extend_from_slice(b"0.");
        for _ in 0..(-exp - 1) {
            out.push(b'0');
        }
        out.extend_from_slice(sig);
    }
}

/// Appends what Redis 7.0's `addReplyDouble` puts in the payload of a double
/// reply: `inf` / `-inf` for infinities, otherwise C's `%.17g` (so `-0.0`
/// gives `-0`, `1.5` gives `1.5`, `0.1` gives `0.10000000000000001`,
/// `1e20` gives `1e+20`). RESP2 wraps it in a bulk string, RESP3 in a
/// `,` double; both use this text.
///
/// This is also what `d2string` produces for every finite value (its integer
/// fast path prints the same digits), except that `d2string` writes `nan`
/// regardless of the NaN's sign.
pub fn format_double(v: f64, out: &mut Vec<u8>) {
    push_17g(v, out);
}

/// [`format_double`] into a fresh vector.
pub fn double_to_vec(v: f64) -> Vec<u8> {
    let mut out = Vec::with_capacity(24);
    format_double(v, &mut out);
    out
}

/// Appends Redis's `ld2string(v, LD_STR_HUMAN)` of a double widened to
/// `long double`: `%.17Lf` with trailing zeros (and then a trailing `.`)
/// removed, `-0` turned into `0`, `inf`/`-inf` for infinities. This is
/// what `addReplyHumanLongDouble` sends (GEOPOS coordinates, GEOSEARCH
/// WITHCOORD, …). Values below 5e-18 in magnitude print as `0`.
pub fn format_f64_human(v: f64, out: &mut Vec<u8>) {
    LongDouble::from_f64(v).format_human(out);
}

// ---------------------------------------------------------------------------
// long double (INCRBYFLOAT / HINCRBYFLOAT)
// ---------------------------------------------------------------------------

/// A C `long double` held as opaque bytes (80-bit x87 extended precision on
/// x86_64 Linux, IEEE quad on aarch64 Linux, a plain double on some other
/// targets) — whatever Redis itself would compute with on this platform.
#[repr(C, align(16))]
#[derive(Clone, Copy)]
pub struct LongDouble([u8; 16]);

impl LongDouble {
    /// Positive zero.
    pub fn zero() -> LongDouble {
        LongDouble::from_i64(0)
    }

    /// `(long double)v`, exact for every i64 on x86_64.
    pub fn from_i64(v: i64) -> LongDouble {
        let mut out = LongDouble([0; 16]);
        // SAFETY: `out` is a valid, writable 16-byte buffer.
        unsafe { ferrodis_ld_from_i64(v as c_longlong, &mut out) };
        out
    }

    /// `(long double)v`, always exact.
    pub fn from_f64(v: f64) -> LongDouble {
        let mut out = LongDouble([0; 16]);
        // SAFETY: `out` is a valid, writable 16-byte buffer.
        unsafe { ferrodis_ld_from_f64(v, &mut out) };
        out
    }

    /// `self + other` in `long double` arithmetic.
    pub fn add(&self, other: &LongDouble) -> LongDouble {
        let mut out = LongDouble([0; 16]);
        // SAFETY: all three are valid 16-byte buffers holding long doubles.
        unsafe { ferrodis_ld_add(self, other, &mut out) };
        out
    }

    /// False for NaN and for both infinities.
    pub fn is_finite(&self) -> bool {
        // SAFETY: `self` holds a long double written by the C side.
        unsafe { ferrodis_ld_isfinite(self) != 0 }
    }

    /// The nearest double (`(double)v`).
    pub fn to_f64(&self) -> f64 {
        // SAFETY: `self` holds a long double written by the C side.
        unsafe { ferrodis_ld_to_f64(self) }
    }

    /// Appends Redis's `ld2string(v, LD_STR_HUMAN)`: `%.17Lf`, trailing
    /// zeros and then a trailing `.` removed, `-0` (also what tiny negatives
    /// round to) written as `0`, infinities as `inf` / `-inf`.
    pub fn format_human(&self, out: &mut Vec<u8>) {
        let start = out.len();
        out.resize(start + MAX_LONG_DOUBLE_CHARS, 0);
        // SAFETY: the destination has MAX_LONG_DOUBLE_CHARS writable bytes.
        let n = unsafe {
            ferrodis_ld2string_human(
                self,
                out[start..].as_mut_ptr() as *mut c_char,
                MAX_LONG_DOUBLE_CHARS,
            )
        };
        out.truncate(start + n);
    }

    /// [`LongDouble::format_human`] into a fresh vector.
    pub fn to_human_vec(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.format_human(&mut out);
        out
    }
}

impl std::fmt::Debug for LongDouble {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = self.to_human_vec();
        write!(f, "LongDouble({})", String::from_utf8_lossy(&text))
    }
}

/// Parses like Redis 7.0's `string2ld` (`getLongDoubleFromObject`):
/// `strtold` over the whole string; empty input, input of
/// [`MAX_LONG_DOUBLE_CHARS`] bytes or more, a leading C space, NaN, overflow
/// and underflow to zero are refused. `inf`, hex floats etc. pass.
pub fn parse_long_double(s: &[u8]) -> Option<LongDouble> {
    if s.is_empty() || s.len() >= MAX_LONG_DOUBLE_CHARS {
        return None;
    }
    let mut out = LongDouble([0; 16]);
    // SAFETY: `s` is valid for `s.len()` bytes (the C side copies it), and
    // `out` is a writable 16-byte buffer.
    let ok = unsafe { ferrodis_string2ld(s.as_ptr() as *const c_char, s.len(), &mut out) };
    (ok != 0).then_some(out)
}

/// Whether `s` is accepted by [`parse_long_double`].
pub fn parse_long_double_ok(s: &[u8]) -> bool {
    parse_long_double(s).is_some()
}

/// Why a float increment failed. [`FloatIncrError::text`] gives Redis's
/// error line for INCRBYFLOAT; HINCRBYFLOAT words two of them differently,
/// see [`FloatIncrError::hash_text`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FloatIncrError {
    /// The stored value does not parse as a long double.
    InvalidValue,
    /// The increment does not parse as a long double.
    InvalidIncrement,
    /// The sum is NaN or infinite (e.g. `inf` as the increment, or
    /// overflowing the long double range, ~1.19e4932 on x86_64).
    NanOrInfinity,
}

impl FloatIncrError {
    /// The error line INCRBYFLOAT replies with.
    pub fn text(self) -> &'static str {
        match self {
            FloatIncrError::InvalidValue | FloatIncrError::InvalidIncrement => {
                "ERR value is not a valid float"
            }
            FloatIncrError::NanOrInfinity => "ERR increment would produce NaN or Infinity",
        }
    }

    /// The error line HINCRBYFLOAT replies with, when the same steps fail
    /// (see [`incr_by_float`] for its order of checks).
    pub fn hash_text(self) -> &'static str {
        match self {
            FloatIncrError::InvalidValue => "ERR hash value is not a float",
            FloatIncrError::InvalidIncrement => "ERR value is not a valid float",
            FloatIncrError::NanOrInfinity => "ERR increment would produce NaN or Infinity",
        }
    }
}

/// HINCRBYFLOAT's extra early error, for an increment that parses but is
/// infinite (checked right after parsing it, before the key is looked up).
pub const HINCRBYFLOAT_INF_INCR_ERROR: &str = "ERR value is NaN or Infinity";

/// INCRBYFLOAT's arithmetic, exactly as Redis 7.0 does it: parse the stored
/// value, then the increment, with `string2ld` (the stored value first, so
/// when both are bad the error is [`FloatIncrError::InvalidValue`]), add them
/// as `long double`, refuse a NaN/infinite sum, and render the result with
/// `ld2string(LD_STR_HUMAN)`. The returned bytes are both the reply and the
/// new string value.
///
/// For a missing key pass `b"0"` as `current` (Redis starts from 0).
///
/// HINCRBYFLOAT uses the same pieces in another order, and the caller must
/// interleave its key lookup:
/// 1. `incr = parse_long_double(arg)` else `"ERR value is not a valid float"`;
/// 2. `!incr.is_finite()` → [`HINCRBYFLOAT_INF_INCR_ERROR`];
/// 3. look the key up / WRONGTYPE;
/// 4. field value (if any) with `parse_long_double` else
///    `"ERR hash value is not a float"`, missing field → [`LongDouble::zero`];
/// 5. sum, `!is_finite()` → `"ERR increment would produce NaN or Infinity"`;
/// 6. `sum.format_human(..)` is the new field value and the reply.
pub fn incr_by_float(current: &[u8], incr: &[u8]) -> Result<Vec<u8>, FloatIncrError> {
    let value = parse_long_double(current).ok_or(FloatIncrError::InvalidValue)?;
    let incr = parse_long_double(incr).ok_or(FloatIncrError::InvalidIncrement)?;
    let sum = value.add(&incr);
    if !sum.is_finite() {
        return Err(FloatIncrError::NanOrInfinity);
    }
    Ok(sum.to_human_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    extern "C" {
        fn ferrodis_fmt_17g(v: f64, buf: *mut c_char, cap: usize) -> usize;
    }

    fn c_17g(v: f64) -> Vec<u8> {
        let mut buf = [0u8; 64];
        let n = unsafe { ferrodis_fmt_17g(v, buf.as_mut_ptr() as *mut c_char, buf.len()) };
        buf[..n].to_vec()
    }

    fn fmt(v: f64) -> String {
        String::from_utf8(double_to_vec(v)).unwrap()
    }

    /// xorshift64*, deterministic.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    #[test]
    fn parse_i64_matches_string2ll() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"1"), Some(1));
        assert_eq!(parse_i64(b"-1"), Some(-1));
        assert_eq!(parse_i64(b"99"), Some(99));
        assert_eq!(parse_i64(b"-99"), Some(-99));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b""[..],
            b"-",
            b"+1",
            b" 1",
            b"1 ",
            b"01",
            b"-0",
            b"00",
            b"-01",
            b"1a",
            b"a1",
            b"1.0",
            b"9223372036854775808",
            b"-9223372036854775809",
            b"18446744073709551615",
            b"18446744073709551616",
            b"99999999999999999999999",
            b"1\0",
            b"--1",
            b"0x10",
        ] {
            assert_eq!(parse_i64(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn parse_i64_roundtrips_random() {
        let mut rng = Rng(0x1234_5678_9abc_def1);
        for _ in 0..20_000 {
            let v = rng.next() as i64 >> rng.below(64);
            assert_eq!(parse_i64(v.to_string().as_bytes()), Some(v));
        }
    }

    #[test]
    fn parse_f64_matches_string2d() {
        let ok: &[(&[u8], f64)] = &[
            (b"1", 1.0),
            (b"-1.5", -1.5),
            (b"+.5", 0.5),
            (b"1.", 1.0),
            (b"00012", 12.0),
            (b"0x10", 16.0),
            (b"0x1p3", 8.0),
            (b"0x.8", 0.5),
            (b"+0x1P-2", 0.25),
            (b"1e3", 1000.0),
            (b"inf", f64::INFINITY),
            (b"+inf", f64::INFINITY),
            (b"-inf", f64::NEG_INFINITY),
            (b"INF", f64::INFINITY),
            (b"Infinity", f64::INFINITY),
            (b"0e-400", 0.0),
            (b"1.7976931348623157e308", f64::MAX),
        ];
        for (s, v) in ok {
            assert_eq!(parse_f64(s), Some(*v), "{:?}", String::from_utf8_lossy(s));
        }
        assert!(parse_f64(b"-0").unwrap().is_sign_negative());
        assert!(parse_f64(b"1e-310").unwrap() > 0.0);
        for bad in [
            &b""[..],
            b" 1",
            b"\t1",
            b"1 ",
            b"nan",
            b"NaN",
            b"-nan",
            b"1e400",
            b"-1e400",
            b"1e-400",
            b"1.7976931348623159e308",
            b"-",
            b"1e",
            b"1e+",
            b"0x",
            b"1,5",
            b"1_0",
            b"2\0x",
            b"abc",
            b"infinit",
        ] {
            assert_eq!(parse_f64(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
        // No length limit, unlike string2ld.
        let mut long = b"0.5".to_vec();
        long.extend(std::iter::repeat_n(b'0', 6000));
        assert_eq!(parse_f64(&long), Some(0.5));
    }

    #[test]
    fn parse_range_bound_is_loose() {
        assert_eq!(parse_f64_range_bound(b" 1"), Some(1.0));
        assert_eq!(parse_f64_range_bound(b""), Some(0.0));
        assert_eq!(parse_f64_range_bound(b"1e400"), Some(f64::INFINITY));
        assert_eq!(parse_f64_range_bound(b"-1e400"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_f64_range_bound(b"1e-400"), Some(0.0));
        assert_eq!(parse_f64_range_bound(b"2\0x"), Some(2.0));
        assert_eq!(parse_f64_range_bound(b"0x2"), Some(2.0));
        assert_eq!(parse_f64_range_bound(b"1 "), None);
        assert_eq!(parse_f64_range_bound(b"nan"), None);
        assert_eq!(parse_f64_range_bound(b"x"), None);
    }

    #[test]
    fn format_double_examples() {
        assert_eq!(fmt(0.0), "0");
        assert_eq!(fmt(-0.0), "-0");
        assert_eq!(fmt(1.0), "1");
        assert_eq!(fmt(-1.5), "-1.5");
        assert_eq!(fmt(0.1), "0.10000000000000001");
        assert_eq!(fmt(1e20), "1e+20");
        assert_eq!(fmt(1e16), "10000000000000000");
        assert_eq!(fmt(1e17), "1e+17");
        assert_eq!(fmt(123456789012345678.0), "1.2345678901234568e+17");
        assert_eq!(fmt(0.0001), "0.0001");
        assert_eq!(fmt(0.00001), "1.0000000000000001e-05");
        assert_eq!(fmt(1e-310), "9.9999999999999694e-311");
        assert_eq!(fmt(f64::MAX), "1.7976931348623157e+308");
        assert_eq!(fmt(f64::INFINITY), "inf");
        assert_eq!(fmt(f64::NEG_INFINITY), "-inf");
        assert_eq!(fmt(f64::NAN), "nan");
    }

    fn check_17g(v: f64) {
        assert_eq!(double_to_vec(v), c_17g(v), "bits {:#x}", v.to_bits());
    }

    #[test]
    fn format_double_matches_libc_random_bits() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..200_000 {
            let v = f64::from_bits(rng.next());
            if v.is_nan() {
                continue;
            }
            check_17g(v);
        }
    }

    #[test]
    fn format_double_matches_libc_special_shapes() {
        let mut rng = Rng(42);
        // Small dyadic rationals: short exact expansions, where rounding
        // ties at the 17th digit can happen.
        for _ in 0..100_000 {
            let k = rng.below(1 << 20) as f64;
            let e = rng.below(120) as i32 - 60;
            check_17g(k * 2f64.powi(e));
            check_17g(-k * 2f64.powi(e));
        }
        // Integers, decimals people type, powers of ten and their neighbours.
        for i in -2000i64..2000 {
            check_17g(i as f64);
            check_17g(i as f64 / 10.0);
            check_17g(i as f64 / 1000.0);
            check_17g(i as f64 * 1e15);
        }
        for e in -330..310 {
            let p = 10f64.powi(e);
            if p == 0.0 || p.is_infinite() {
                continue;
            }
            for v in [
                p,
                f64::from_bits(p.to_bits() + 1),
                f64::from_bits(p.to_bits() - 1),
            ] {
                check_17g(v);
                check_17g(-v);
            }
        }
        for v in [
            f64::MIN_POSITIVE,
            f64::from_bits(1),
            f64::MAX,
            f64::EPSILON,
            2f64.powi(53),
            2f64.powi(60),
            2f64.powi(-18),
            0.5,
            9.5,
            1e17,
            f64::from_bits(1e17f64.to_bits() - 1),
            f64::from_bits(1e-4f64.to_bits() - 1),
            f64::from_bits(1e-4f64.to_bits() + 1),
        ] {
            check_17g(v);
            check_17g(-v);
        }
    }

    #[test]
    fn format_human_double() {
        let h = |v: f64| {
            let mut out = Vec::new();
            format_f64_human(v, &mut out);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(h(0.0), "0");
        assert_eq!(h(-0.0), "0");
        assert_eq!(h(1.0), "1");
        assert_eq!(h(-2.5), "-2.5");
        assert_eq!(h(0.1), "0.10000000000000001");
        assert_eq!(h(-1e-20), "0");
        assert_eq!(h(13.361389338970184), "13.36138933897018433");
        assert_eq!(h(f64::INFINITY), "inf");
        assert_eq!(h(f64::NEG_INFINITY), "-inf");
        assert_eq!(h(1e20), "100000000000000000000");
    }

    fn incr(cur: &str, by: &str) -> Result<String, FloatIncrError> {
        incr_by_float(cur.as_bytes(), by.as_bytes()).map(|v| String::from_utf8(v).unwrap())
    }

    #[test]
    fn incr_by_float_matches_redis() {
        // Outputs taken from a real redis-server 7.0.15 on x86_64.
        assert_eq!(incr("0", "0.1").unwrap(), "0.1");
        let mut v = "0".to_string();
        for want in ["0.1", "0.2", "0.3", "0.4", "0.5"] {
            v = incr(&v, "0.1").unwrap();
            assert_eq!(v, want);
        }
        assert_eq!(
            incr("0.1", "1.5e10").unwrap(),
            "15000000000.09999999962747097"
        );
        assert_eq!(incr("0.1", "5.0e3").unwrap(), "5000.10000000000000009");
        assert_eq!(incr("0.1", "0x10").unwrap(), "16.1");
        assert_eq!(incr("0.1", "0x1p-3").unwrap(), "0.225");
        assert_eq!(incr("0.1", "-0.1").unwrap(), "0");
        assert_eq!(incr("-0.1", "0.1").unwrap(), "0");
        assert_eq!(incr("0.1", "1e-20").unwrap(), "0.1");
        assert_eq!(incr("0.1", "1e-4940").unwrap(), "0.1");
        assert_eq!(incr("0.1", "+5").unwrap(), "5.1");
        assert_eq!(incr("0.1", ".5").unwrap(), "0.6");
        assert_eq!(incr("0.1", "1.").unwrap(), "1.1");
        assert_eq!(incr("-0", "0").unwrap(), "0");
        assert_eq!(incr("0", "-0").unwrap(), "0");
        assert_eq!(incr("10", "-20").unwrap(), "-10");
        assert_eq!(
            incr("1e308", "1e308").unwrap(),
            "199999999999999999993371759311691291321120199694831134415594095989843469737676123744200253843777078640893494450108026446304269499187921167194841628860392837535918200039206381557326219209014213335878306791577877829121087126122536729803237260434173178506889763247582601711514636284849020905456510092687857156096"
        );
        let big = incr("0", "1e4932").unwrap();
        assert!(big.starts_with("1000000000000000000006018949387963891323837774254533114773785041352533019486608722407533327779433142773666525563666277682061860906440460336623416164931097542108653623739947237824273607755646282077337746770628281083461244709457643633409272844851420914666765408339856497738306756454137037618440476182982865954054046320908299555942321302503320602080070208203623921079151881460203745014774931620490030394998719312614654064081373493248877120892455186383753439197870978041502797716880193955403107721911638646256939484197293128160329482360996995779489224859264034146949087194820794222433687849284561987230134006305414553626323614864479565079390052761980633463640128979696615362545507608303960553830866145592644372289102918602696741767741297153998359263135897985849697638678310586803720024647593066044070323761747439375151949994191528876172274034561238465689530914002496208547488452249219821049217690359246594326188537200846025476936856707726986425804304053688317572380292690880454677852210458790733177421098965346383845533016192965653377533421097553773202105452559589360227732550843545717469715211293029277100649951579279463212875228768700827274629951331584994203243708412190948315614798641721054158397351395747758548328754270534225721361640356227816080094892433366902417454242382629232277544026609640255325557814321580325340352330660617642326696140257239552549121071985189443846777623334881929189773707008403466595204838733621633273383631944856989484138444978386656058755310848833689791896484998847550364264104800800578245511762594691161545730891319744107953897993101008217601269310629890308357893793344340072837782716410520818640099771094401772024731084835860689936533035726854175396195351768096519310944631445923638053214575993378468775292865871435742249777979822775014324475845899615096380079899099538453121043851821349178371736640702645304284254885437611441690360616466368202194307769462209963387690446576691969551571041941288302648912827345194286271122230347823246073498285153708579500062656222714954113329293953346495615947784091175883554988117167387650681525781361864450364992605079129770604793291076559668041153558254765774288831330658676910296506538343982699076824147706077401185501337053676875440863113630172067902223837838525802181406003942606507609826320015193807633035586661539150425605940691768637845815434184585255915074081317250319572700370579877977177644345205933505850374212779064837146242765034714569464306865784829936445754893825213995710137567750342556762329137973387913047300554841737506800154984198686923965286147079273203561004647365286049876790788288301130050437207489067798842078443360167772245834103629301041345252122743437501935254370757049878526838283810705343010153283985958550741661374001212323172562230037290597675029278865489570268803618001520280748588481858632332145422181524500970533738858652881625738158955840469334830106366243262210429210258173978186522208306814207038831590332622155464159216193005478809313772661406449321989529908990407599717265354887081027622412165764793106246309910984757869627982700885055259900973567128498437782671492610351088858271463387495833021819318548705558606395846070390500323204636339383655528123657438115225035433947543876805317781492691295772410403746456774175666884503175504415270824258750305653788473882671038340481278188648013647450190431469737277008003041204693859153544058059108384516541261521127088116402349679151317227395183628490922161336429757386698401928682323657056924758648793848799822907606679071280964393541325129231682456669123450140879120137931548652537601508656209183486928384515842973760163601756230697826779237275078471824258664382133759876151537532598429521999758431018087001817485300919479583171049967781322202936864648780744025361452947117776701129210049872555316467204668470989130203733391349501708713181244068921199587314823974568234174792429139799088587794666528769986602820375968045445209219875596678877912103336949894142378173648692130854177898020194629670311101994938157038765957014792056173739623614871557317714453597336202068774935086409386414223375141765601758268418764114651053088281009248246110195084364468926837572992870110411414878770616397817334529367403238061699632089293543118185299881280463481800696201966723511922556078483839325067415562633057448408746541808590342228476964416681055875561781810005936328191844815915658719683522845979901018335050006246392027657149580332319739660376707180429166280658258434773362764563277134220525779869893832824866422909928484939374964071386248088592408142723646533801882861736205992781965360090000802821408763787641023437653119263757280212773694655213507075717622521160227187157631635583682130089364682543007292042009976150135189415923413244100006421082817394988300265734422677548100741829682842668334472314928702968616204691717366798642916146473018363370523427203416579250811577900985980957404830019403600361860520985937973506956557739754741783354728589350876379371163141086538418113791886622720"));
    }

    #[test]
    fn incr_by_float_errors() {
        use FloatIncrError::*;
        for bad in [" 1", "1 ", "nan", "", "1e-5000", "1e4933", "abc", "1\0"] {
            assert_eq!(incr("0.1", bad), Err(InvalidIncrement), "{bad:?}");
            assert_eq!(incr(bad, "1"), Err(InvalidValue), "{bad:?}");
        }
        assert_eq!(incr("x", "y"), Err(InvalidValue));
        assert_eq!(incr("0.1", "inf"), Err(NanOrInfinity));
        assert_eq!(incr("0.1", "-inf"), Err(NanOrInfinity));
        assert_eq!(incr("inf", "-inf"), Err(NanOrInfinity));
        assert_eq!(incr("1e4932", "1e4932"), Err(NanOrInfinity));
        // string2ld's buffer limit applies to the stored value too.
        let long = format!("1{}", "0".repeat(MAX_LONG_DOUBLE_CHARS - 1));
        assert_eq!(incr(&long, "1"), Err(InvalidValue));
        let fits = format!("0.{}", "0".repeat(MAX_LONG_DOUBLE_CHARS - 3));
        assert_eq!(incr(&fits, "1").unwrap(), "1");
        assert_eq!(InvalidValue.text(), "ERR value is not a valid float");
        assert_eq!(
            NanOrInfinity.text(),
            "ERR increment would produce NaN or Infinity"
        );
        assert_eq!(InvalidValue.hash_text(), "ERR hash value is not a float");
    }

    #[test]
    fn long_double_pieces() {
        let a = parse_long_double(b"0.1").unwrap();
        assert!(a.is_finite());
        assert!(!parse_long_double(b"inf").unwrap().is_finite());
        assert!(parse_long_double(b"nan").is_none());
        assert_eq!(LongDouble::zero().to_human_vec(), b"0");
        assert_eq!(
            LongDouble::from_i64(i64::MIN).to_human_vec(),
            b"-9223372036854775808"
        );
        assert_eq!(a.add(&a).to_human_vec(), b"0.2");
        assert_eq!(LongDouble::from_f64(0.5).to_f64(), 0.5);
        assert!(parse_long_double_ok(b"0x1p-3"));
    }
}
