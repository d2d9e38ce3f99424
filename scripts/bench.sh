#!/usr/bin/env bash
# Benchmarks ferrodis against a real redis-server side by side, on this machine.
#
#   scripts/bench.sh                       # defaults: 3 rounds, set,get,incr,mset
#   ROUNDS=5 N=200000 TESTS=set,get scripts/bench.sh
#
# Both servers are pinned to CPU 0 and redis-benchmark to CPU 1. For every test and pipeline
# depth the two servers are measured in alternation (the order flips every round) and the
# script reports medians over the rounds of: ops/s, p50 and p99 latency, and the server's CPU
# time per request (on-CPU nanoseconds from /proc/<pid>/task/*/schedstat, before and after each
# run, divided by the requests in that run). Then it loads KEYS exact keys with 16-byte values
# into a fresh instance of each and reports resident memory per key.
#
# Environment:
#   ROUNDS       rounds of alternation (default 3)
#   N            requests per run at -P 1 (default 50000)
#   N_PIPELINED  requests per run when pipelining (default 10 x N)
#                MSET (10 keys per request) runs half as many requests as the other tests.
#   TESTS        redis-benchmark tests (default set,get,incr,mset)
#   PIPELINES    pipeline depths (default "1 16")
#   CLIENTS      parallel connections (default 50)
#   KEYS         keys for the memory test (default 1000000; 0 skips it)
#   FERRODIS_PORT, REDIS_PORT   ports (default 17391, 17392)
#   NO_BUILD=1   skip `cargo build --release`
#   OUT_DIR      where raw results go (default target/bench)
#
# Exit status: non-zero only when something really failed (build, a server that does not
# start or dies, redis-benchmark failing). A test that ferrodis does not implement yet is
# reported as skipped.
set -euo pipefail

ROUNDS=${ROUNDS:-3}
N=${N:-50000}
N_PIPELINED=${N_PIPELINED:-$((N * 10))}
TESTS=${TESTS:-set,get,incr,mset}
PIPELINES=${PIPELINES:-"1 16"}
CLIENTS=${CLIENTS:-50}
KEYS=${KEYS:-1000000}
FERRODIS_PORT=${FERRODIS_PORT:-17391}
REDIS_PORT=${REDIS_PORT:-17392}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}

cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT_DIR=${OUT_DIR:-$ROOT/target/bench}
mkdir -p "$OUT_DIR"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ferrodis-bench.XXXXXX")
RAW="$OUT_DIR/raw-$(date +%Y%m%d-%H%M%S).tsv"

FERRODIS_PID=""
REDIS_PID=""

log() { printf '%s\n' "$*" >&2; }
die() {
    log "bench.sh: $*"
    exit 1
}

stop_pid() {
    local pid=$1
    [[ -n "$pid" ]] || return 0
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    stop_pid "$FERRODIS_PID"
    stop_pid "$REDIS_PID"
    FERRODIS_PID=""
    REDIS_PID=""
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for tool in redis-server redis-cli redis-benchmark taskset; do
    command -v "$tool" >/dev/null || die "$tool not found (make deps installs Redis)"
done
[[ -r /proc/self/schedstat ]] || die "/proc/<pid>/schedstat is not available on this kernel"

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_ready() {
    local port=$1 pid=$2 name=$3
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || die "$name exited during start-up (log: $WORK/$name.log)"
        if [[ "$(redis-cli -p "$port" ping 2>/dev/null)" == PONG ]]; then
            return 0
        fi
        sleep 0.1
    done
    die "$name did not answer PING on port $port"
}

start_servers() {
    for p in "$FERRODIS_PORT" "$REDIS_PORT"; do
        port_in_use "$p" && die "port $p is already in use (set FERRODIS_PORT / REDIS_PORT)"
    done
    taskset -c "$SERVER_CPU" "$ROOT/target/release/ferrodis" --port "$FERRODIS_PORT" \
        >"$WORK/ferrodis.log" 2>&1 &
    FERRODIS_PID=$!
    taskset -c "$SERVER_CPU" redis-server --port "$REDIS_PORT" --save '' --appendonly no \
        --dir "$WORK" >"$WORK/redis.log" 2>&1 &
    REDIS_PID=$!
    wait_ready "$FERRODIS_PORT" "$FERRODIS_PID" ferrodis
    wait_ready "$REDIS_PORT" "$REDIS_PID" redis
}

stop_servers() {
    stop_pid "$FERRODIS_PID"
    stop_pid "$REDIS_PID"
    FERRODIS_PID=""
    REDIS_PID=""
}

# On-CPU nanoseconds of every thread of a process (first field of each task's schedstat).
cpu_ns() {
    local pid=$1 total=0 f v
    for f in /proc/"$pid"/task/*/schedstat; do
        read -r v _ <"$f" 2>/dev/null || continue
        total=$((total + v))
    done
    echo "$total"
}

rss_bytes() {
    awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$1/status"
}

pid_of() { if [[ $1 == ferrodis ]]; then echo "$FERRODIS_PID"; else echo "$REDIS_PID"; fi; }
port_of() { if [[ $1 == ferrodis ]]; then echo "$FERRODIS_PORT"; else echo "$REDIS_PORT"; fi; }

# The command a redis-benchmark test sends, to check that ferrodis implements it.
probe_test() {
    local reply
    case $1 in
        set) reply=$(redis-cli -p "$FERRODIS_PORT" set __bench_probe x 2>&1) ;;
        get) reply=$(redis-cli -p "$FERRODIS_PORT" get __bench_probe 2>&1) ;;
        incr) reply=$(redis-cli -p "$FERRODIS_PORT" incr __bench_probe_n 2>&1) ;;
        mset) reply=$(redis-cli -p "$FERRODIS_PORT" mset __bench_probe x 2>&1) ;;
        *) reply=$(redis-cli -p "$FERRODIS_PORT" "$1" 2>&1) ;;
    esac
    ! grep -qi 'unknown command' <<<"$reply"
}

# One redis-benchmark run of one test against one server; appends a raw result line.
run_one() {
    local server=$1 test=$2 pipeline=$3 round=$4 n=$5
    local pid port before after csv line
    pid=$(pid_of "$server")
    port=$(port_of "$server")
    kill -0 "$pid" 2>/dev/null || die "$server (pid $pid) died; see $WORK/$server.log"
    before=$(cpu_ns "$pid")
    if ! csv=$(taskset -c "$CLIENT_CPU" redis-benchmark -p "$port" -t "$test" -c "$CLIENTS" \
        -r 100000 -n "$n" -P "$pipeline" --csv 2>"$WORK/bench.err"); then
        cat "$WORK/bench.err" >&2
        die "redis-benchmark failed against $server ($test, -P $pipeline)"
    fi
    after=$(cpu_ns "$pid")
    kill -0 "$pid" 2>/dev/null || die "$server died during $test -P $pipeline; see $WORK/$server.log"
    if grep -qi 'error' "$WORK/bench.err"; then
        log "  warning: $server $test -P $pipeline: $(head -c 200 "$WORK/bench.err")"
    fi
    # "test","rps","avg","min","p50","p95","p99","max"
    line=$(grep -v '^"test"' <<<"$csv" | head -n 1 | tr -d '"')
    [[ -n "$line" ]] || die "no CSV result from redis-benchmark for $server $test -P $pipeline"
    IFS=, read -r _ rps _ _ p50 _ p99 _ <<<"$line"
    local cpu_per_req=$(((after - before) / n))
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
        "$server" "$test" "$pipeline" "$round" "$rps" "$p50" "$p99" "$cpu_per_req" >>"$RAW"
    log "  round $round  -P $pipeline  $(printf '%-5s' "$test")  $(printf '%-8s' "$server")" \
        " $(printf '%12s' "$rps") ops/s  p50 $p50 ms  p99 $p99 ms  $cpu_per_req ns CPU/req"
}

# ---------------------------------------------------------------------------------------------
if [[ "${NO_BUILD:-0}" != 1 ]]; then
    log "building release binary"
    cargo build --release --bin ferrodis >&2 || die "cargo build --release failed"
fi
[[ -x target/release/ferrodis ]] || die "target/release/ferrodis not found"

START=$(date +%s)
log "ferrodis port $FERRODIS_PORT, redis port $REDIS_PORT; servers on CPU $SERVER_CPU," \
    "redis-benchmark on CPU $CLIENT_CPU"
log "rounds $ROUNDS, N $N at -P 1, $N_PIPELINED pipelined, $CLIENTS clients, tests $TESTS"
printf 'server\ttest\tpipeline\tround\trps\tp50_ms\tp99_ms\tcpu_ns_per_req\n' >"$RAW"

start_servers

IFS=, read -r -a ALL_TESTS <<<"$TESTS"
RUN_TESTS=()
SKIPPED=()
for t in "${ALL_TESTS[@]}"; do
    if probe_test "$t"; then RUN_TESTS+=("$t"); else SKIPPED+=("$t"); fi
done
redis-cli -p "$FERRODIS_PORT" del __bench_probe __bench_probe_n >/dev/null 2>&1 || true
((${#SKIPPED[@]} == 0)) || log "skipping (not implemented by ferrodis yet): ${SKIPPED[*]}"

for round in $(seq "$ROUNDS"); do
    # Alternate which server goes first, so a drift in machine load hits both alike.
    if ((round % 2)); then order=(ferrodis redis); else order=(redis ferrodis); fi
    for pipeline in $PIPELINES; do
        n=$N
        if ((pipeline > 1)); then n=$N_PIPELINED; fi
        for t in "${RUN_TESTS[@]}"; do
            tn=$n
            if [[ $t == mset ]]; then tn=$((n / 2)); fi
            for server in "${order[@]}"; do
                run_one "$server" "$t" "$pipeline" "$round" "$tn"
            done
        done
    done
done

# ---- memory per key --------------------------------------------------------------------------
MEM_LINES=""
if ((KEYS > 0)); then
    log "memory: loading $KEYS keys (16-byte values) into fresh servers"
    stop_servers
    start_servers
    # SET key:<i> v<15 digits>; values are not integers, so neither server stores them as ints.
    awk -v n="$KEYS" 'BEGIN {
        for (i = 0; i < n; i++) {
            k = "key:" i; v = sprintf("v%015d", i);
            printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$16\r\n%s\r\n", length(k), k, v
        }
    }' >"$WORK/load.resp"
    for server in ferrodis redis; do
        pid=$(pid_of "$server")
        port=$(port_of "$server")
        redis-cli -p "$port" flushall >/dev/null
        sleep 0.5
        rss0=$(rss_bytes "$pid")
        if ! taskset -c "$CLIENT_CPU" redis-cli -p "$port" --pipe <"$WORK/load.resp" \
            >"$WORK/pipe.out" 2>&1; then
            cat "$WORK/pipe.out" >&2
            die "redis-cli --pipe failed against $server"
        fi
        sleep 0.5
        rss1=$(rss_bytes "$pid")
        dbsize=$(redis-cli -p "$port" dbsize)
        [[ "$dbsize" == "$KEYS" ]] || log "  warning: $server holds $dbsize keys, expected $KEYS"
        per_key=$(awk -v a="$rss0" -v b="$rss1" -v n="$KEYS" 'BEGIN { printf "%.1f", (b - a) / n }')
        log "  $server: RSS $rss0 -> $rss1 bytes, $per_key bytes/key"
        MEM_LINES+="$server $rss0 $rss1 $per_key"$'\n'
    done
fi
stop_servers

# ---- report ----------------------------------------------------------------------------------
median_awk='
function median(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    if (n == 0) return 0
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}'

echo
echo "ferrodis vs redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p'):" \
    "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, medians of $ROUNDS rounds," \
    "-c $CLIENTS -r 100000, N=$N (-P 1) / $N_PIPELINED (pipelined)"
echo
awk -F'\t' "$median_awk"'
NR == 1 { next }
{
    k = $2 SUBSEP $3
    if (!(k in seen)) { seen[k] = 1; order[++nk] = k }
    rps[$1, k] = rps[$1, k] " " $5; p50[$1, k] = p50[$1, k] " " $6
    p99[$1, k] = p99[$1, k] " " $7; cpu[$1, k] = cpu[$1, k] " " $8
}
END {
    printf "%-5s %3s | %10s %10s %5s | %6s %6s %5s | %6s %6s %5s | %7s %7s %5s\n",
        "test", "-P", "ferrodis", "redis", "ratio", "p50 f", "p50 r", "ratio",
        "p99 f", "p99 r", "ratio", "cpu f", "cpu r", "ratio"
    printf "%-5s %3s | %10s %10s %5s | %6s %6s %5s | %6s %6s %5s | %7s %7s %5s\n",
        "", "", "ops/s", "ops/s", "", "ms", "ms", "", "ms", "ms", "", "ns/req", "ns/req", ""
    for (i = 1; i <= nk; i++) {
        k = order[i]; split(k, kp, SUBSEP)
        fr = median(rps["ferrodis", k]); rr = median(rps["redis", k])
        f50 = median(p50["ferrodis", k]); r50 = median(p50["redis", k])
        f99 = median(p99["ferrodis", k]); r99 = median(p99["redis", k])
        fc = median(cpu["ferrodis", k]); rc = median(cpu["redis", k])
        printf "%-5s %3s | %10.0f %10.0f %5.2f | %6.3f %6.3f %5.2f | %6.3f %6.3f %5.2f | %7.0f %7.0f %5.2f\n",
            kp[1], kp[2], fr, rr, (rr ? fr / rr : 0), f50, r50, (r50 ? f50 / r50 : 0),
            f99, r99, (r99 ? f99 / r99 : 0), fc, rc, (rc ? fc / rc : 0)
    }
}' "$RAW"
echo "(ratio = ferrodis / redis; for cpu ns/req lower is better, target <= 1.00 at -P 1 and <= 0.67 at -P 16)"
if ((${#SKIPPED[@]} > 0)); then
    echo "skipped, not implemented by ferrodis yet: ${SKIPPED[*]}"
fi

if [[ -n "$MEM_LINES" ]]; then
    echo
    echo "memory: $KEYS keys 'key:<i>' with 16-byte values (VmRSS after load minus after FLUSHALL)"
    awk -v n="$KEYS" '
    NF == 4 { rss0[$1] = $2; rss1[$1] = $3; per[$1] = $4 }
    END {
        printf "%-9s %14s %14s %10s\n", "server", "RSS before", "RSS after", "bytes/key"
        split("ferrodis redis", names, " ")
        for (i = 1; i <= 2; i++) {
            s = names[i]
            if (s in per) printf "%-9s %14d %14d %10.1f\n", s, rss0[s], rss1[s], per[s]
        }
        if (per["redis"] > 0)
            printf "ratio ferrodis/redis bytes/key: %.2f (target <= 1.00)\n", per["ferrodis"] / per["redis"]
    }' <<<"$MEM_LINES"
fi
echo
echo "raw results: $RAW ($(($(date +%s) - START)) s)"
