//! Differential test: a seeded random command stream is sent to ferrodis and to a real
//! `redis-server`, and every reply is compared byte for byte.
//!
//! Every stream runs in RESP2 (here) and, with fewer seeds, in RESP3 (`differential_resp3.rs`,
//! where both connections send `HELLO 3` first). The generators live in `common/diff_gen.rs`,
//! the runner in `common/diff_run.rs`.
//!
//! Environment knobs:
//! - `DIFF_SEED=<n>`: run only this seed (default: a fixed list of seeds).
//! - `DIFF_COMMANDS=<n>`: commands per seed (default 8000).
//! - `DIFF_ONLY=set,get,...` / `DIFF_SKIP=lcs,...`: restrict the generators by name.
//! - `DIFF_KEEP_GOING=1`: do not stop at the first mismatch; after each one both servers are
//!   flushed (to resynchronise them) and the run goes on; all mismatches are reported at the
//!   end, grouped by command.
//!
//! Growing the command list: add a generator function and one `Spec` line to `SPECS` (both in
//! `common/diff_gen.rs`). The
//! arity in `Spec` also feeds the wrong-arity generator.

mod common;
#[path = "common/diff_gen.rs"]
mod diff_gen;
#[path = "common/diff_run.rs"]
mod diff_run;

use diff_gen::{Gen, Spec, SPECS};
use diff_run::{differential, generate};

#[test]
fn differential_against_redis() {
    differential(&[1, 2, 3, 4, 5, 20240601, 0xdecaf, 0xbad_c0ffee], 2);
}

/// The generator itself is deterministic: the same seed gives the same commands.
#[test]
fn generator_is_deterministic() {
    let specs: Vec<&Spec> = SPECS.iter().collect();
    let mut a = Gen::new(7);
    let mut b = Gen::new(7);
    a.now_s = 1_700_000_000;
    b.now_s = 1_700_000_000;
    for _ in 0..2000 {
        assert_eq!(generate(&mut a, &specs).args, generate(&mut b, &specs).args);
    }
}
