//! The differential test of `differential.rs` in RESP3: both connections send `HELLO 3` first
//! and the same seeded command stream is compared byte for byte. Same knobs as
//! `differential.rs` (`DIFF_SEED`, `DIFF_COMMANDS`, `DIFF_ONLY`/`DIFF_SKIP`,
//! `DIFF_KEEP_GOING`).

mod common;
#[path = "common/diff_gen.rs"]
mod diff_gen;
#[path = "common/diff_run.rs"]
mod diff_run;

use diff_run::differential;

/// The same generators in RESP3: nulls, maps, doubles and verbatim strings take their RESP3
/// types. Fewer seeds, since the shapes, not the command logic, are what differ.
#[test]
fn differential_against_redis_resp3() {
    differential(&[6, 0x3e5b3], 3);
}
