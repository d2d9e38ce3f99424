#!/usr/bin/env bash
# Finds what a server is doing during its slowest PINGs while keys are bulk-loaded.
#
#   scripts/pause-profile.sh                  # ferrodis, 5,000,000 keys
#   SERVER=redis KEYS=5000000 scripts/pause-profile.sh
#
# Starts one server pinned to CPU 0, records it with `perf record -g -k CLOCK_MONOTONIC` (the
# pinger's clock too), loads KEYS keys `SET key:<i> <16 bytes>` with redis-cli --pipe on CPU 1
# while scripts/pinger.py pings, then prints the TOP slowest PINGs and, for each, the leaf
# functions and the first ferrodis frames of the perf samples taken during that round trip.
# Needs perf; the files stay in OUT_DIR (default target/bench/pause-profile).
set -euo pipefail

SERVER=${SERVER:-ferrodis}
KEYS=${KEYS:-5000000}
PORT=${PORT:-17393}
TOP=${TOP:-3}
FREQ=${FREQ:-2000}
INTERVAL_MS=${INTERVAL_MS:-0.2}

cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT_DIR=${OUT_DIR:-$ROOT/target/bench/pause-profile}
mkdir -p "$OUT_DIR"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ferrodis-pause.XXXXXX")
SRV_PID=""
PERF_PID=""
PINGER_PID=""

stop_pid() {
    local pid=$1 sig=${2:-TERM}
    [[ -n "$pid" ]] || return 0
    if kill -0 "$pid" 2>/dev/null; then
        kill -"$sig" "$pid" 2>/dev/null || true
        for _ in $(seq 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    stop_pid "$PINGER_PID"
    stop_pid "$PERF_PID" INT
    stop_pid "$SRV_PID"
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for tool in perf redis-server redis-cli taskset python3; do
    command -v "$tool" >/dev/null || { echo "$tool not found" >&2; exit 1; }
done
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    echo "port $PORT is in use" >&2
    exit 1
fi

if [[ $SERVER == ferrodis ]]; then
    taskset -c 0 "$ROOT/target/release/ferrodis" --port "$PORT" --save "" >"$WORK/srv.log" 2>&1 &
else
    taskset -c 0 redis-server --port "$PORT" --save '' --appendonly no --dir "$WORK" \
        >"$WORK/srv.log" 2>&1 &
fi
SRV_PID=$!
for _ in $(seq 100); do
    [[ "$(redis-cli -p "$PORT" ping 2>/dev/null)" == PONG ]] && break
    sleep 0.1
done

awk -v n="$KEYS" 'BEGIN {
    for (i = 0; i < n; i++) {
        k = "key:" i; v = sprintf("v%015d", i);
        printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$16\r\n%s\r\n", length(k), k, v
    }
}' >"$WORK/load.resp"

perf record -q -F "$FREQ" -g -k CLOCK_MONOTONIC -p "$SRV_PID" -o "$OUT_DIR/perf.data" \
    >"$WORK/perf.log" 2>&1 &
PERF_PID=$!
sleep 1
rt=()
if chrt -f 10 true 2>/dev/null; then rt=(chrt -f 10); fi
taskset -c 1 "${rt[@]}" python3 "$ROOT/scripts/pinger.py" "$PORT" "$INTERVAL_MS" \
    "$OUT_DIR/pings.tsv" >"$OUT_DIR/pinger.out" 2>&1 &
PINGER_PID=$!
sleep 0.5
taskset -c 1 redis-cli -p "$PORT" --pipe <"$WORK/load.resp" | tail -n 1
sleep 0.5
kill -TERM "$PINGER_PID"
wait "$PINGER_PID" || true
PINGER_PID=""
stop_pid "$PERF_PID" INT
PERF_PID=""
cat "$OUT_DIR/pinger.out"

start=$(sed -n 's/.*start_mono=\([0-9.]*\).*/\1/p' "$OUT_DIR/pinger.out")
perf script -i "$OUT_DIR/perf.data" -F time,ip,sym 2>/dev/null >"$OUT_DIR/perf.txt"

# For each of the TOP slowest PINGs, the samples whose time falls inside its round trip.
sort -t$'\t' -k2,2 -g -r "$OUT_DIR/pings.tsv" | head -n "$TOP" | while IFS=$'\t' read -r at ms; do
    from=$(awk -v s="$start" -v a="$at" 'BEGIN { printf "%.6f", s + a }')
    to=$(awk -v f="$from" -v m="$ms" 'BEGIN { printf "%.6f", f + m / 1000 }')
    echo
    echo "== PING at t=$at s took $ms ms (monotonic $from .. $to)"
    awk -v from="$from" -v to="$to" '
    # perf script: a header line "   <time>: " then one "ip sym" line per frame, blank line.
    /^[ \t]*[0-9]+\.[0-9]+:/ { t = $1 + 0; inwin = (t >= from && t <= to); depth = 0; next }
    NF == 0 { if (inwin && chain != "") stacks[chain]++; chain = ""; inwin = 0; next }
    inwin {
        sym = $2; sub(/\+0x[0-9a-f]+$/, "", sym)
        if (depth < 6) chain = chain (depth ? " <- " : "") sym
        depth++
    }
    END {
        total = 0; for (c in stacks) total += stacks[c]
        printf "samples in window: %d\n", total
        for (c in stacks) printf "%6d  %s\n", stacks[c], c | "sort -rn | head -n 12"
    }' "$OUT_DIR/perf.txt"
done
