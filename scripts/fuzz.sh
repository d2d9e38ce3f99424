#!/usr/bin/env bash
# Fuzzes the RESP request parser (fuzz/fuzz_targets/parse.rs) with cargo-fuzz / libFuzzer.
#
#   scripts/fuzz.sh [SECONDS]        default 60 (or $FUZZ_SECONDS)
#
# Uses the nightly toolchain when one is installed (AddressSanitizer on); otherwise the stable
# one with RUSTC_BOOTSTRAP=1 and no sanitizer. Prints libFuzzer's final "Done N runs" line.
# Crashes are saved under fuzz/artifacts/parse/; the corpus grows in fuzz/corpus/parse/.
set -euo pipefail
cd "$(dirname "$0")/.."

SECS="${1:-${FUZZ_SECONDS:-60}}"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz"
    cargo install cargo-fuzz
fi

if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    FUZZ=(cargo +nightly fuzz run)
else
    echo "no nightly toolchain: using stable with RUSTC_BOOTSTRAP=1 and no sanitizer"
    export RUSTC_BOOTSTRAP=1
    FUZZ=(cargo fuzz run --sanitizer none)
fi

LOG="$(mktemp)"
trap 'rm -f "$LOG"' EXIT
# A small seed corpus of valid requests, so the fuzzer starts from the interesting shapes.
mkdir -p fuzz/corpus/parse
printf '\x01\x05\x07*1\r\n$4\r\nPING\r\n' >fuzz/corpus/parse/seed-multibulk
printf '\x00\x03ECHO "a\\x41" '"'"'b\\'"'"'c'"'"'\r\n' >fuzz/corpus/parse/seed-inline
printf '\x0a\x02\x01*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n' >fuzz/corpus/parse/seed-set

set +e
"${FUZZ[@]}" parse -- -max_total_time="$SECS" -max_len=4096 -print_final_stats=1 2>&1 | tee "$LOG"
status=${PIPESTATUS[0]}
set -e
echo
grep -E '^Done [0-9]+ runs' "$LOG" || true
grep -E 'stat::number_of_executed_units' "$LOG" || true
exit "$status"
