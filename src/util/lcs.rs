//! The longest-common-subsequence computation behind Redis 7.0's `LCS`
//! command (`lcsCommand` in t_string.c), reproducing its table, its
//! backtracking choices and the order it reports matching ranges in.

/// One matching run, as LCS ... IDX reports it: inclusive byte ranges in the
/// first and second string. Runs come from the end of the strings towards
/// the start, as Redis emits them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LcsMatch {
    pub a_start: u32,
    pub a_end: u32,
    pub b_start: u32,
    pub b_end: u32,
}

impl LcsMatch {
    /// Length of the run (what WITHMATCHLEN prints and what MINMATCHLEN
    /// filters on: a run is kept when `min == 0 || len >= min`).
    pub fn len(&self) -> u32 {
        self.a_end - self.a_start + 1
    }

    /// Never true; a run holds at least one byte.
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// The result of [`lcs`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LcsResult {
    /// The subsequence Redis returns for a plain `LCS a b`.
    pub lcs: Vec<u8>,
    /// Its length (`LCS a b LEN`, and the `len` field of IDX).
    pub len: u32,
    /// Every run, unfiltered, in Redis's order (last run first).
    pub matches: Vec<LcsMatch>,
}

/// Why [`lcs`] refused to run. [`LcsError::text`] gives Redis's error line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LcsError {
    /// A string is `u32::MAX - 1` bytes or longer.
    TooLong,
    /// The `(alen+1)*(blen+1)` table of `u32` would exceed the limit given
    /// (Redis: `proto-max-bulk-len`).
    ExceedsProtoMaxBulkLen,
    /// The table size does not fit the address space, or allocating it
    /// failed.
    AllocFailed,
}

impl LcsError {
    pub fn text(self) -> &'static str {
        match self {
            LcsError::TooLong => "ERR String too long for LCS",
            LcsError::ExceedsProtoMaxBulkLen => {
                "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"
            }
            LcsError::AllocFailed => {
                "ERR Insufficient memory, failed allocating transient memory for LCS"
            }
        }
    }
}

/// Checks Redis's limits for an LCS of strings of these lengths; on success
/// returns the number of table cells.
pub fn lcs_table_cells(alen: usize, blen: usize, max_table_bytes: u64) -> Result<usize, LcsError> {
    let limit = (u32::MAX - 1) as usize;
    if alen >= limit || blen >= limit {
        return Err(LcsError::TooLong);
    }
    // Both factors are below 2^32, so the product fits in u64.
    let cells = (alen as u64 + 1) * (blen as u64 + 1);
    let bytes = cells.checked_mul(4).ok_or(LcsError::AllocFailed)?;
    if bytes >= usize::MAX as u64 || usize::try_from(bytes).is_err() {
        return Err(LcsError::AllocFailed);
    }
    if bytes > max_table_bytes {
        return Err(LcsError::ExceedsProtoMaxBulkLen);
    }
    usize::try_from(cells).map_err(|_| LcsError::AllocFailed)
}

/// Computes the LCS of `a` and `b` like Redis 7.0: a full `(alen+1) x
/// (blen+1)` table of `u32`, then a walk back from the bottom-right corner
/// that prefers moving in `b` on ties. `max_table_bytes` is the server's
/// `proto-max-bulk-len`: a table of more bytes than that is refused, as is
/// one whose allocation fails.
///
/// The caller replies:
/// - plain: `lcs` as a bulk string;
/// - `LEN`: `len`;
/// - `IDX`: a map `matches` → the runs of `matches` with
///   `min == 0 || m.len() >= min` (each `[[a_start,a_end],[b_start,b_end]]`,
///   plus `m.len()` with WITHMATCHLEN), then `len` → `len`.
pub fn lcs(a: &[u8], b: &[u8], max_table_bytes: u64) -> Result<LcsResult, LcsError> {
    let cells = lcs_table_cells(a.len(), b.len(), max_table_bytes)?;
    let mut table: Vec<u32> = Vec::new();
    table
        .try_reserve_exact(cells)
        .map_err(|_| LcsError::AllocFailed)?;
    table.resize(cells, 0);

    let alen = a.len();
    let blen = b.len();
    let w = blen + 1;
    // Row 0 and column 0 stay zero.
    for i in 1..=alen {
        let (prev_rows, cur_rows) = table.split_at_mut(i * w);
        let prev = &prev_rows[(i - 1) * w..];
        let cur = &mut cur_rows[..w];
        let ai = a[i - 1];
        for j in 1..=blen {
            cur[j] = if ai == b[j - 1] {
                prev[j - 1] + 1
            } else {
                prev[j].max(cur[j - 1])
            };
        }
    }
    let cell = |i: usize, j: usize| table[i * w + j];

    let total = cell(alen, blen);
    let mut out = vec![0u8; total as usize];
    let mut idx = total as usize;
    let mut matches = Vec::new();

    // Current run; `None` is Redis's `arange_start == alen` sentinel.
    let mut run: Option<LcsMatch> = None;
    let (mut i, mut j) = (alen, blen);
    while i > 0 && j > 0 {
        let mut emit = false;
        if a[i - 1] == b[j - 1] {
            out[idx - 1] = a[i - 1];
            let (ai, bj) = ((i - 1) as u32, (j - 1) as u32);
            match run.as_mut() {
                None => {
                    run = Some(LcsMatch {
                        a_start: ai,
                        a_end: ai,
                        b_start: bj,
                        b_end: bj,
                    });
                }
                Some(r) => {
                    if r.a_start == ai + 1 && r.b_start == bj + 1 {
                        r.a_start = ai;
                        r.b_start = bj;
                    } else {
                        // Not reachable with this walk (a match always
                        // follows the previous one diagonally), but kept
                        // as Redis has it: the old run is closed and the
                        // current byte starts none.
                        emit = true;
                    }
                }
            }
            if let Some(r) = run {
                if r.a_start == 0 || r.b_start == 0 {
                    emit = true;
                }
            }
            idx -= 1;
            i -= 1;
            j -= 1;
        } else {
            if cell(i - 1, j) > cell(i, j - 1) {
                i -= 1;
            } else {
                j -= 1;
            }
            if run.is_some() {
                emit = true;
            }
        }
        if emit {
            if let Some(r) = run.take() {
                matches.push(r);
            }
        }
    }

    Ok(LcsResult {
        lcs: out,
        len: total,
        matches,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: u64 = 512 * 1024 * 1024;

    fn m(a0: u32, a1: u32, b0: u32, b1: u32) -> LcsMatch {
        LcsMatch {
            a_start: a0,
            a_end: a1,
            b_start: b0,
            b_end: b1,
        }
    }

    #[test]
    fn redis_doc_example() {
        let r = lcs(b"ohmytext", b"mynewtext", MAX).unwrap();
        assert_eq!(r.lcs, b"mytext");
        assert_eq!(r.len, 6);
        assert_eq!(r.matches, vec![m(4, 7, 5, 8), m(2, 3, 0, 1)]);
        assert_eq!(r.matches[0].len(), 4);
        assert_eq!(r.matches[1].len(), 2);
    }

    #[test]
    fn empty_and_disjoint() {
        let r = lcs(b"", b"abc", MAX).unwrap();
        assert_eq!((r.lcs.as_slice(), r.len, r.matches.len()), (&b""[..], 0, 0));
        let r = lcs(b"abc", b"", MAX).unwrap();
        assert_eq!(r.len, 0);
        let r = lcs(b"abc", b"xyz", MAX).unwrap();
        assert_eq!((r.len, r.matches.len()), (0, 0));
        let r = lcs(b"abc", b"abc", MAX).unwrap();
        assert_eq!(r.lcs, b"abc");
        assert_eq!(r.matches, vec![m(0, 2, 0, 2)]);
    }

    #[test]
    fn tie_breaking_prefers_moving_in_b() {
        // Both "a" and "b" are LCSs; Redis walks j first on ties.
        let r = lcs(b"ab", b"ba", MAX).unwrap();
        assert_eq!(r.lcs, b"b");
        assert_eq!(r.matches, vec![m(1, 1, 0, 0)]);
    }

    #[test]
    fn limits() {
        // 12000 x 12000 cells of 4 bytes is above 512MB.
        assert_eq!(
            lcs_table_cells(12000, 12000, MAX),
            Err(LcsError::ExceedsProtoMaxBulkLen)
        );
        assert_eq!(lcs_table_cells(11000, 11000, MAX), Ok(11001 * 11001));
        assert_eq!(
            lcs_table_cells(u32::MAX as usize - 1, 1, MAX),
            Err(LcsError::TooLong)
        );
        assert_eq!(
            lcs_table_cells(u32::MAX as usize - 2, 0, u64::MAX).map(|_| ()),
            Ok(())
        );
        // 4 x 4 cells of 4 bytes.
        assert_eq!(
            lcs(b"abc", b"abc", 63),
            Err(LcsError::ExceedsProtoMaxBulkLen)
        );
        assert!(lcs(b"abc", b"abc", 64).is_ok());
        assert_eq!(
            LcsError::ExceedsProtoMaxBulkLen.text(),
            "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"
        );
    }

    /// Independent check: the subsequence is common to both and as long as
    /// the classic DP says, and the runs rebuild it.
    #[test]
    fn random_consistency() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..2000 {
            let la = (next() % 30) as usize;
            let lb = (next() % 30) as usize;
            let alpha = 1 + next() % 4;
            let a: Vec<u8> = (0..la).map(|_| b'a' + (next() % alpha) as u8).collect();
            let b: Vec<u8> = (0..lb).map(|_| b'a' + (next() % alpha) as u8).collect();
            let r = lcs(&a, &b, MAX).unwrap();
            assert_eq!(r.lcs.len(), r.len as usize);
            let is_subseq = |s: &[u8], t: &[u8]| {
                let mut it = t.iter();
                s.iter().all(|c| it.any(|d| d == c))
            };
            assert!(is_subseq(&r.lcs, &a) && is_subseq(&r.lcs, &b));
            let mut rebuilt = Vec::new();
            for mt in r.matches.iter().rev() {
                let run_a = &a[mt.a_start as usize..=mt.a_end as usize];
                let run_b = &b[mt.b_start as usize..=mt.b_end as usize];
                assert_eq!(run_a, run_b);
                rebuilt.extend_from_slice(run_a);
            }
            assert_eq!(rebuilt, r.lcs);
        }
    }
}
