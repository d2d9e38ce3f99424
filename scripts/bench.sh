#!/usr/bin/env bash
# Benchmarks ferrodis against a real redis-server side by side, on this machine.
#
#   scripts/bench.sh                                   # every part, defaults (~8 minutes)
#   BENCH_PARTS="ttl pause" scripts/bench.sh           # only some parts
#   ROUNDS=5 N=200000 TESTS=set,get BENCH_PARTS=core scripts/bench.sh
#
# Parts (BENCH_PARTS, space- or comma-separated; default "core ttl pause collections persist"):
#   core         string throughput (TESTS) and RSS bytes per key for KEYS keys
#   ttl          RSS bytes per key for TTL_KEYS keys `SET key:<i> <16 bytes> EX 100000`
#   pause        worst PING latency while PAUSE_KEYS keys are loaded with redis-cli --pipe
#   collections  both of: colltput (COLL_TESTS throughput) and collmem (bytes per element)
#   persist      SAVE time, BGSAVE time, file size, worst PING during BGSAVE (the fork pause)
#                and start-up load time for PERSIST_KEYS keys
#   resp3        GET, SET, HGETALL (10 fields) and ZRANGE 0 -1 WITHSCORES (10 members), each in
#                RESP2 and in RESP3 (redis-benchmark -3): CPU per request of both protocols
#                against Redis in the same protocol (not in the default run)
#   tls          SET and GET over TLS (redis-benchmark --tls, TLS_TESTS) at PIPELINES, both
#                servers with TLS on their TLS ports and certificates from
#                scripts/gen-test-certs.sh (not in the default run)
#
# Both servers are pinned to CPU 0 and the clients (redis-benchmark, redis-cli --pipe, the
# pinger) to CPU 1, except -P 1 throughput runs, whose two client processes may use both CPUs
# (see run_one). For every test and pipeline depth the two servers are measured in
# alternation (the order flips every round) and the script reports medians over the rounds of:
# ops/s, p50 and p99 latency, and the server's CPU time per request (on-CPU nanoseconds from
# /proc/<pid>/task/*/schedstat, before and after each run, divided by the requests in that
# run). The memory parts load exact data into fresh instances and report the VmRSS growth.
#
# Environment:
#   BENCH_PARTS  parts to run (see above)
#   ROUNDS       rounds of alternation (default 3), for core and colltput
#   N            requests per run at -P 1 (default 50000)
#   N_PIPELINED  requests per run when pipelining (default 10 x N)
#                MSET (10 keys per request) runs half as many requests as the other tests.
#   TESTS        redis-benchmark tests of the core part (default set,get,incr,mset)
#   PIPELINES    pipeline depths (default "1 16")
#   CLIENTS      parallel connections (default 50)
#   P1_SPLIT     0: -P 1 runs use one redis-benchmark process pinned to CLIENT_CPU (default 1:
#                two processes of CLIENTS/2 on either CPU; see run_one)
#   KEYS         keys for the core memory test (default 1000000; 0 skips it)
#   TTL_KEYS     keys for the ttl part (default 1000000)
#   PAUSE_KEYS   keys for the pause part (default 5000000)
#   PAUSE_ROUNDS loads per server in the pause part, alternating the order (default 1)
#   PAUSE_INTERVAL_MS  pinger sleep between PINGs (default 0.2; 0 = back to back)
#   COLL_TESTS   collection tests (default lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,
#                lrange_100,lrange_600)
#   COLL_N, COLL_N_PIPELINED  requests per collection run (default 40000 and 5 x COLL_N);
#                LRANGE_100 runs 1/4 and LRANGE_600 1/10 of that
#   COLL_KEYS, COLL_FIELDS  collections for the collmem part and elements per collection
#                (default 100000 and 10)
#   COLL_TYPES   collection types for collmem (default "hash set zset list")
#   PERSIST_KEYS, PERSIST_ROUNDS  keys and rounds of the persist part (default 1000000, 3)
#   FERRODIS_PORT, REDIS_PORT   ports (default 17391, 17392)
#   FERRODIS_TLS_PORT, REDIS_TLS_PORT  TLS ports of the tls part (default 17393, 17394)
#   TLS_TESTS    tests of the tls part (default set,get)
#   NO_BUILD=1   skip `cargo build --release`
#   OUT_DIR      where raw results go (default target/bench)
#
# Exit status: non-zero only when something really failed (build, a server that does not
# start or dies, redis-benchmark or redis-cli --pipe failing). A test that ferrodis does not
# implement yet is reported as skipped.
set -euo pipefail

ROUNDS=${ROUNDS:-3}
N=${N:-50000}
N_PIPELINED=${N_PIPELINED:-$((N * 10))}
TESTS=${TESTS:-set,get,incr,mset}
PIPELINES=${PIPELINES:-"1 16"}
CLIENTS=${CLIENTS:-50}
KEYS=${KEYS:-1000000}
TTL_KEYS=${TTL_KEYS:-1000000}
PAUSE_KEYS=${PAUSE_KEYS:-5000000}
PAUSE_ROUNDS=${PAUSE_ROUNDS:-1}
PAUSE_INTERVAL_MS=${PAUSE_INTERVAL_MS:-0.2}
COLL_TESTS=${COLL_TESTS:-lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,lrange_100,lrange_600}
COLL_N=${COLL_N:-40000}
COLL_N_PIPELINED=${COLL_N_PIPELINED:-$((COLL_N * 5))}
COLL_KEYS=${COLL_KEYS:-100000}
COLL_FIELDS=${COLL_FIELDS:-10}
COLL_TYPES=${COLL_TYPES:-"hash set zset list"}
BENCH_PARTS=${BENCH_PARTS:-"core ttl pause collections persist"}
PERSIST_KEYS=${PERSIST_KEYS:-1000000}
PERSIST_ROUNDS=${PERSIST_ROUNDS:-3}
FERRODIS_PORT=${FERRODIS_PORT:-17391}
REDIS_PORT=${REDIS_PORT:-17392}
FERRODIS_TLS_PORT=${FERRODIS_TLS_PORT:-17393}
REDIS_TLS_PORT=${REDIS_TLS_PORT:-17394}
TLS_TESTS=${TLS_TESTS:-set,get}
# Extra server arguments (the tls part sets them) and redis-benchmark's TLS arguments.
FERRODIS_TLS_ARGS=()
REDIS_TLS_ARGS=()
BENCH_TLS_ARGS=()
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}

cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT_DIR=${OUT_DIR:-$ROOT/target/bench}
mkdir -p "$OUT_DIR"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ferrodis-bench.XXXXXX")

FERRODIS_PID=""
REDIS_PID=""
PINGER_PID=""

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
    stop_pid "$PINGER_PID"
    stop_pid "$FERRODIS_PID"
    stop_pid "$REDIS_PID"
    FERRODIS_PID=""
    REDIS_PID=""
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for tool in redis-server redis-cli redis-benchmark taskset python3; do
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
    taskset -c "$SERVER_CPU" "$ROOT/target/release/ferrodis" --port "$FERRODIS_PORT" --save "" \
        "${FERRODIS_TLS_ARGS[@]}" >"$WORK/ferrodis.log" 2>&1 &
    FERRODIS_PID=$!
    taskset -c "$SERVER_CPU" redis-server --port "$REDIS_PORT" --save '' --appendonly no \
        --dir "$WORK" "${REDIS_TLS_ARGS[@]}" >"$WORK/redis.log" 2>&1 &
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
    local cmd
    case $1 in
        set) cmd=(set __bench_probe x) ;;
        get) cmd=(get __bench_probe) ;;
        incr) cmd=(incr __bench_probe_n) ;;
        mset) cmd=(mset __bench_probe x) ;;
        lpush | rpush) cmd=("$1" __bench_probe_l x) ;;
        lpop | rpop) cmd=("$1" __bench_probe_l) ;;
        lrange*) cmd=(lrange __bench_probe_l 0 1) ;;
        sadd) cmd=(sadd __bench_probe_s x) ;;
        spop) cmd=(spop __bench_probe_s) ;;
        hset) cmd=(hset __bench_probe_h f x) ;;
        zadd) cmd=(zadd __bench_probe_z 1 x) ;;
        *) cmd=("$1") ;;
    esac
    local reply
    reply=$(redis-cli -p "$FERRODIS_PORT" "${cmd[@]}" 2>&1)
    ! grep -qi 'unknown command' <<<"$reply"
}

# Splits a test list into RUN_TESTS (ferrodis implements them) and SKIPPED (it does not).
probe_tests() {
    local t all
    IFS=, read -r -a all <<<"$1"
    RUN_TESTS=()
    SKIPPED=()
    for t in "${all[@]}"; do
        if probe_test "$t"; then RUN_TESTS+=("$t"); else SKIPPED+=("$t"); fi
    done
    redis-cli -p "$FERRODIS_PORT" del __bench_probe __bench_probe_n __bench_probe_l \
        __bench_probe_s __bench_probe_h __bench_probe_z >/dev/null 2>&1 || true
    ((${#SKIPPED[@]} == 0)) || log "skipping (not implemented by ferrodis yet): ${SKIPPED[*]}"
}

# One redis-benchmark run of one test against one server; appends a raw result line.
#   run_one PART SERVER TEST PIPELINE ROUND N [custom command...]
# With a custom command redis-benchmark sends exactly that (and nothing else) N times.
#
# At -P 1 (unless P1_SPLIT=0) the CLIENTS connections come from two redis-benchmark processes
# of CLIENTS/2 each, free to run on either CPU, and ops/s is their sum. One process pinned to
# its own CPU saturates that CPU before either server saturates its own (every request costs
# the client more kernel time than the server), so its ops/s is the client's ceiling and says
# nothing about the server; with the CPUs shared, the CPU a server leaves unused goes to the
# load generators, as it would on a real host. Pipelined runs keep one pinned process: there
# the server is the bottleneck.
run_one() {
    local part=$1 server=$2 test=$3 pipeline=$4 round=$5 n=$6
    shift 6
    local pid port before after sel procs=1 i rps=0 p50=0 p99=0 line r5 r9
    pid=$(pid_of "$server")
    port=$(port_of "$server")
    if (($# > 0)); then sel=("$@"); else sel=(-t "$test"); fi
    # The resp3 part sets BENCH_PROTO=3: every connection opens with HELLO 3.
    if [[ ${BENCH_PROTO:-2} == 3 ]]; then sel=(-3 "${sel[@]}"); fi
    # The tls part: the TLS port, with redis-benchmark --tls.
    if ((${#BENCH_TLS_ARGS[@]} > 0)); then
        if [[ $server == ferrodis ]]; then port=$FERRODIS_TLS_PORT; else port=$REDIS_TLS_PORT; fi
        sel=("${BENCH_TLS_ARGS[@]}" "${sel[@]}")
    fi
    if ((pipeline == 1 && ${P1_SPLIT:-1} && CLIENTS >= 2)); then procs=2; fi
    local cpus=$CLIENT_CPU conns=$CLIENTS per_proc=$n
    if ((procs == 2)); then
        cpus="$SERVER_CPU,$CLIENT_CPU"
        conns=$((CLIENTS / 2))
        per_proc=$((n / 2))
    fi
    kill -0 "$pid" 2>/dev/null || die "$server (pid $pid) died; see $WORK/$server.log"
    before=$(cpu_ns "$pid")
    local bench_pids=()
    for i in $(seq "$procs"); do
        taskset -c "$cpus" redis-benchmark -p "$port" -c "$conns" -r 100000 -n "$per_proc" \
            -P "$pipeline" --csv "${sel[@]}" >"$WORK/bench.out.$i" 2>"$WORK/bench.err.$i" &
        bench_pids+=($!)
    done
    for i in "${bench_pids[@]}"; do
        if ! wait "$i"; then
            cat "$WORK"/bench.err.* >&2
            die "redis-benchmark failed against $server ($test, -P $pipeline)"
        fi
    done
    after=$(cpu_ns "$pid")
    kill -0 "$pid" 2>/dev/null || die "$server died during $test -P $pipeline; see $WORK/$server.log"
    for i in $(seq "$procs"); do
        if grep -qi 'error' "$WORK/bench.err.$i" "$WORK/bench.out.$i"; then
            log "  warning: $server $test -P $pipeline: $(cat "$WORK/bench.err.$i")" \
                "$(grep -i error "$WORK/bench.out.$i" | head -c 200)"
        fi
        # "test","rps","avg","min","p50","p95","p99","max"; the last line is the test itself
        line=$(grep -v '^"test"' "$WORK/bench.out.$i" | grep '^"' | tail -n 1 | tr -d '"')
        [[ -n "$line" ]] || die "no CSV result from redis-benchmark for $server $test -P $pipeline"
        IFS=, read -r _ r _ _ r5 _ r9 _ <<<"$line"
        # Throughputs add up; latencies are averaged over the processes' equal shares.
        rps=$(awk -v a="$rps" -v b="$r" 'BEGIN { printf "%.2f", a + b }')
        p50=$(awk -v a="$p50" -v b="$r5" -v k="$procs" 'BEGIN { printf "%.3f", a + b / k }')
        p99=$(awk -v a="$p99" -v b="$r9" -v k="$procs" 'BEGIN { printf "%.3f", a + b / k }')
    done
    local cpu_per_req=$(((after - before) / (per_proc * procs)))
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
        "$part" "$server" "$test" "$pipeline" "$round" "$rps" "$p50" "$p99" "$cpu_per_req" >>"$RAW"
    log "  round $round  -P $pipeline  $(printf '%-10s' "$test")  $(printf '%-8s' "$server")" \
        " $(printf '%12s' "$rps") ops/s  p50 $p50 ms  p99 $p99 ms  $cpu_per_req ns CPU/req"
}

# Loads a RESP file into SERVER through redis-cli --pipe (on the client CPU).
pipe_load() {
    local server=$1 file=$2 port
    port=$(port_of "$server")
    if ! taskset -c "$CLIENT_CPU" redis-cli -p "$port" --pipe <"$file" >"$WORK/pipe.out" 2>&1; then
        cat "$WORK/pipe.out" >&2
        die "redis-cli --pipe failed against $server"
    fi
    if ! grep -q 'errors: 0,' "$WORK/pipe.out"; then
        log "  warning: $server: $(tail -n 1 "$WORK/pipe.out")"
    fi
}

# Fresh servers, FLUSHALL, RSS, load FILE, RSS; appends "label server rss0 rss1 dbsize" to
# MEM_FILE. Both servers are restarted first so neither carries the other tests' memory.
measure_rss_growth() {
    local label=$1 file=$2 server pid port rss0 rss1 dbsize
    stop_servers
    start_servers
    for server in ferrodis redis; do
        pid=$(pid_of "$server")
        port=$(port_of "$server")
        redis-cli -p "$port" flushall >/dev/null
        sleep 0.5
        rss0=$(rss_bytes "$pid")
        pipe_load "$server" "$file"
        sleep 0.5
        rss1=$(rss_bytes "$pid")
        dbsize=$(redis-cli -p "$port" dbsize)
        log "  $label $server: RSS $rss0 -> $rss1 bytes, dbsize $dbsize"
        printf '%s %s %s %s %s\n' "$label" "$server" "$rss0" "$rss1" "$dbsize" >>"$MEM_FILE"
    done
}

# SET key:<i> v<15 digits> [EX ttl] for i in [0, n); values are not integers, so neither
# server stores them as ints.
gen_set_keys() {
    local n=$1 ttl=${2:-0}
    awk -v n="$n" -v ttl="$ttl" 'BEGIN {
        t = ttl ""
        for (i = 0; i < n; i++) {
            k = "key:" i; v = sprintf("v%015d", i);
            if (ttl > 0)
                printf "*5\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$16\r\n%s\r\n$2\r\nEX\r\n$%d\r\n%s\r\n",
                    length(k), k, v, length(t), t
            else
                printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$16\r\n%s\r\n", length(k), k, v
        }
    }'
}

median_awk='
function median(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    if (n == 0) return 0
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}'

# Median table of one part of the raw file. "paired" is the median over rounds of the ratio
# within each round: the two servers of one round ran back to back, so it cancels the slower
# drifts of a shared machine that the ratio of the two medians keeps.
report_throughput() {
    local part=$1
    awk -F'\t' -v part="$part" "$median_awk"'
    NR == 1 || $1 != part { next }
    {
        k = $3 SUBSEP $4
        if (!(k in seen)) { seen[k] = 1; order[++nk] = k }
        rps[$2, k] = rps[$2, k] " " $6; p50[$2, k] = p50[$2, k] " " $7
        p99[$2, k] = p99[$2, k] " " $8; cpu[$2, k] = cpu[$2, k] " " $9
        one[$2, k, $5] = $6; rounds[k, $5] = 1
    }
    END {
        printf "%-10s %3s | %9s %9s %5s %6s | %6s %6s %5s | %6s %6s %5s | %7s %7s %5s\n",
            "test", "-P", "ferrodis", "redis", "ratio", "paired", "p50 f", "p50 r", "ratio",
            "p99 f", "p99 r", "ratio", "cpu f", "cpu r", "ratio"
        printf "%-10s %3s | %9s %9s %5s %6s | %6s %6s %5s | %6s %6s %5s | %7s %7s %5s\n",
            "", "", "ops/s", "ops/s", "", "", "ms", "ms", "", "ms", "ms", "", "ns/req", "ns/req", ""
        for (i = 1; i <= nk; i++) {
            k = order[i]; split(k, kp, SUBSEP)
            fr = median(rps["ferrodis", k]); rr = median(rps["redis", k])
            f50 = median(p50["ferrodis", k]); r50 = median(p50["redis", k])
            f99 = median(p99["ferrodis", k]); r99 = median(p99["redis", k])
            fc = median(cpu["ferrodis", k]); rc = median(cpu["redis", k])
            pairs = ""
            for (rk in rounds) {
                split(rk, rp, SUBSEP)
                if (rp[1] SUBSEP rp[2] != k) continue
                f = one["ferrodis", k, rp[3]]; r = one["redis", k, rp[3]]
                if (f != "" && r > 0) pairs = pairs " " f / r
            }
            printf "%-10s %3s | %9.0f %9.0f %5.2f %6.2f | %6.3f %6.3f %5.2f | %6.3f %6.3f %5.2f | %7.0f %7.0f %5.2f\n",
                kp[1], kp[2], fr, rr, (rr ? fr / rr : 0), median(pairs), f50, r50,
                (r50 ? f50 / r50 : 0), f99, r99, (r99 ? f99 / r99 : 0), fc, rc, (rc ? fc / rc : 0)
        }
    }' "$RAW"
}

# Memory table: rows of MEM_FILE with the given label (one per server), divided by UNITS.
report_memory() {
    local label=$1 units=$2 unit_name=$3
    awk -v label="$label" -v n="$units" -v un="$unit_name" '
    $1 == label { rss0[$2] = $3; rss1[$2] = $4; db[$2] = $5 }
    END {
        printf "%-9s %14s %14s %8s %12s\n", "server", "RSS before", "RSS after", "dbsize", "bytes/" un
        split("ferrodis redis", names, " ")
        for (i = 1; i <= 2; i++) {
            s = names[i]
            if (!(s in rss1)) continue
            per[s] = (rss1[s] - rss0[s]) / n
            printf "%-9s %14d %14d %8d %12.1f\n", s, rss0[s], rss1[s], db[s], per[s]
        }
        if (per["redis"] > 0)
            printf "ratio ferrodis/redis bytes/%s: %.2f (target <= 1.00)\n", un, per["ferrodis"] / per["redis"]
    }' "$MEM_FILE"
}

has_part() {
    local p
    for p in ${BENCH_PARTS//,/ }; do [[ $p == "$1" ]] && return 0; done
    return 1
}

# ---- part: core (string throughput, bytes per key) -------------------------------------------
part_core() {
    log "== core: $TESTS, rounds $ROUNDS, N $N at -P 1, $N_PIPELINED pipelined"
    stop_servers
    start_servers
    probe_tests "$TESTS"
    CORE_SKIPPED=("${SKIPPED[@]}")
    local round order pipeline n t tn server
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
                    run_one core "$server" "$t" "$pipeline" "$round" "$tn"
                done
            done
        done
    done
    if ((KEYS > 0)); then
        log "== core memory: loading $KEYS keys (16-byte values) into fresh servers"
        gen_set_keys "$KEYS" >"$WORK/load.resp"
        measure_rss_growth keys "$WORK/load.resp"
        rm -f "$WORK/load.resp"
    fi
    stop_servers
    {
        echo "== core: strings, medians of $ROUNDS rounds, -c $CLIENTS -r 100000," \
            "N=$N (-P 1) / $N_PIPELINED (pipelined)"
        report_throughput core
        echo "(ratio = ferrodis / redis; for cpu ns/req lower is better, target <= 1.00 at -P 1 and <= 0.67 at -P 16)"
        if ((${#CORE_SKIPPED[@]} > 0)); then
            echo "skipped, not implemented by ferrodis yet: ${CORE_SKIPPED[*]}"
        fi
        if ((KEYS > 0)); then
            echo
            echo "== core memory: $KEYS keys 'key:<i>' with 16-byte values (VmRSS after load minus after FLUSHALL)"
            report_memory keys "$KEYS" key
        fi
        echo
    } >>"$REPORT"
}

# ---- part: ttl (bytes per key with an expiry) ------------------------------------------------
part_ttl() {
    log "== ttl: loading $TTL_KEYS keys (16-byte values, EX 100000) into fresh servers"
    gen_set_keys "$TTL_KEYS" 100000 >"$WORK/ttl.resp"
    measure_rss_growth ttl "$WORK/ttl.resp"
    rm -f "$WORK/ttl.resp"
    local server port
    for server in ferrodis redis; do
        port=$(port_of "$server")
        log "  $server: TTL key:0 = $(redis-cli -p "$port" ttl key:0)," \
            "$(redis-cli -p "$port" info keyspace | grep '^db0' | tr -d '\r')"
    done
    stop_servers
    {
        echo "== ttl memory: $TTL_KEYS keys 'SET key:<i> <16 bytes> EX 100000' (VmRSS after load minus after FLUSHALL)"
        report_memory ttl "$TTL_KEYS" key
        echo
    } >>"$REPORT"
}

# ---- part: pause (worst PING latency during a bulk load) -------------------------------------
part_pause() {
    log "== pause: $PAUSE_KEYS keys via redis-cli --pipe while pinging every $PAUSE_INTERVAL_MS ms"
    gen_set_keys "$PAUSE_KEYS" >"$WORK/pause.resp"
    # A real-time pinger is woken as soon as its PONG arrives even though redis-cli --pipe
    # shares its CPU; fall back to the normal scheduler where chrt is not permitted.
    local rt=()
    if chrt -f 10 true 2>/dev/null; then rt=(chrt -f 10); fi
    local round order server port out t_start t_load0 t_load1 result load_s load_at
    for round in $(seq "$PAUSE_ROUNDS"); do
        if ((round % 2)); then order=(ferrodis redis); else order=(redis ferrodis); fi
        for server in "${order[@]}"; do
            stop_servers
            start_servers
            port=$(port_of "$server")
            out="$WORK/pinger-$server-$round.out"
            taskset -c "$CLIENT_CPU" "${rt[@]}" python3 "$ROOT/scripts/pinger.py" "$port" \
                "$PAUSE_INTERVAL_MS" "$OUT_DIR/pause-$STAMP-$server-$round.tsv" >"$out" 2>&1 &
            PINGER_PID=$!
            sleep 1
            t_load0=$(date +%s.%N)
            pipe_load "$server" "$WORK/pause.resp"
            t_load1=$(date +%s.%N)
            sleep 1
            kill -TERM "$PINGER_PID" 2>/dev/null || true
            wait "$PINGER_PID" || log "  warning: pinger exited with $? ($(cat "$out"))"
            PINGER_PID=""
            result=$(grep '^count=' "$out" || true)
            [[ -n $result ]] || die "no result from the pinger against $server: $(cat "$out")"
            t_start=$(sed -n 's/.*start_unix=\([0-9.]*\).*/\1/p' <<<"$result")
            local dbsize
            dbsize=$(redis-cli -p "$port" dbsize)
            load_s=$(awk -v a="$t_load0" -v b="$t_load1" 'BEGIN { printf "%.2f", b - a }')
            load_at=$(awk -v a="$t_start" -v b="$t_load0" 'BEGIN { printf "%.2f", b - a }')
            log "  round $round $server: load ${load_s} s (from t=${load_at} s), dbsize $dbsize, $result"
            printf '%s %s %s %s %s %s\n' "$server" "$round" "$load_s" "$load_at" "$dbsize" \
                "$result" >>"$PAUSE_FILE"
        done
    done
    stop_servers
    rm -f "$WORK/pause.resp"
    {
        echo "== pause: PING latency while loading $PAUSE_KEYS keys 'SET key:<i> <16 bytes>'" \
            "with redis-cli --pipe (pinger interval $PAUSE_INTERVAL_MS ms${rt:+, SCHED_FIFO})"
        awk '
        function field(name,   i, kv) {
            for (i = 6; i <= NF; i++) { split($i, kv, "="); if (kv[1] == name) return kv[2] }
            return ""
        }
        {
            printf "%-9s round %s: load %6.2f s  pings %7s  p50 %6.3f ms  p99 %7.3f ms  p99.9 %7.3f ms  max %8.3f ms (at t=%s s, load from t=%s s)\n",
                $1, $2, $3, field("count"), field("p50_ms"), field("p99_ms"), field("p999_ms"),
                field("max_ms"), field("max_at_s"), $4
            m = field("max_ms") + 0
            if (!($1 in worst) || m > worst[$1]) worst[$1] = m
        }
        END {
            if (("ferrodis" in worst) && ("redis" in worst) && worst["redis"] > 0)
                printf "worst pause ferrodis %.3f ms, redis %.3f ms, ratio %.2f (target <= 1.00)\n",
                    worst["ferrodis"], worst["redis"], worst["ferrodis"] / worst["redis"]
        }' "$PAUSE_FILE"
        echo "(per-PING samples: $OUT_DIR/pause-$STAMP-<server>-<round>.tsv)"
        echo
    } >>"$REPORT"
}

# ---- part: colltput (collection command throughput) ------------------------------------------
part_colltput() {
    log "== colltput: $COLL_TESTS, rounds $ROUNDS, N $COLL_N at -P 1, $COLL_N_PIPELINED pipelined"
    stop_servers
    start_servers
    probe_tests "$COLL_TESTS"
    COLL_SKIPPED=("${SKIPPED[@]}")
    local round order pipeline n t tn server len custom fill=()
    for _ in $(seq 600); do fill+=(xxx); done
    for round in $(seq "$ROUNDS"); do
        if ((round % 2)); then order=(ferrodis redis); else order=(redis ferrodis); fi
        for pipeline in $PIPELINES; do
            n=$COLL_N
            if ((pipeline > 1)); then n=$COLL_N_PIPELINED; fi
            for t in "${RUN_TESTS[@]}"; do
                tn=$n
                custom=()
                case $t in
                    lrange_*)
                        # `-t lrange_N` would first run an LPUSH pass in the same process and
                        # mix its CPU into the LRANGE figure; instead give both servers the same
                        # 600-element list and send exactly the LRANGE redis-benchmark sends.
                        len=${t#lrange_}
                        if ((len >= 600)); then tn=$((n / 10)); else tn=$((n / 4)); fi
                        custom=(LRANGE mylist 0 $((len - 1)))
                        for server in ferrodis redis; do
                            redis-cli -p "$(port_of "$server")" del mylist >/dev/null
                            redis-cli -p "$(port_of "$server")" rpush mylist "${fill[@]}" >/dev/null
                        done
                        ;;
                esac
                for server in "${order[@]}"; do
                    run_one colltput "$server" "$t" "$pipeline" "$round" "$tn" "${custom[@]}"
                done
            done
        done
    done
    stop_servers
    {
        echo "== colltput: collections, medians of $ROUNDS rounds, -c $CLIENTS -r 100000," \
            "N=$COLL_N (-P 1) / $COLL_N_PIPELINED (pipelined); LRANGE_100 N/4, LRANGE_600 N/10" \
            "on a 600-element list"
        report_throughput colltput
        echo "(ratio = ferrodis / redis; target: ops/s ratio >= 1.00 and cpu ratio <= 1.00 on each)"
        if ((${#COLL_SKIPPED[@]} > 0)); then
            echo "skipped, not implemented by ferrodis yet: ${COLL_SKIPPED[*]}"
        fi
        echo
    } >>"$REPORT"
}

# ---- part: collmem (bytes per collection element) --------------------------------------------
gen_collections() {
    local type=$1
    awk -v n="$COLL_KEYS" -v m="$COLL_FIELDS" -v type="$type" '
    function bulk(s) { return sprintf("$%d\r\n%s\r\n", length(s), s) }
    BEGIN {
        if (type == "hash") { cmd = "HSET"; per = 2 }
        else if (type == "set") { cmd = "SADD"; per = 1 }
        else if (type == "zset") { cmd = "ZADD"; per = 2 }
        else { cmd = "RPUSH"; per = 1 }
        for (i = 0; i < n; i++) {
            out = sprintf("*%d\r\n", 2 + per * m) bulk(cmd) bulk(type ":" i)
            for (j = 0; j < m; j++) {
                if (type == "hash") out = out bulk("field:" j) bulk("value:" j)
                else if (type == "set") out = out bulk(i * m + j)
                else if (type == "zset") out = out bulk(j) bulk("member:" j)
                else out = out bulk("elem:" j)
            }
            printf "%s", out
        }
    }'
}

part_collmem() {
    log "== collmem: $COLL_KEYS collections of $COLL_FIELDS elements: $COLL_TYPES"
    local type probe
    {
        echo "== collmem: $COLL_KEYS collections of $COLL_FIELDS elements each," \
            "bytes per element = (VmRSS after load - after FLUSHALL) / $((COLL_KEYS * COLL_FIELDS))"
        echo "   hash: HSET hash:<i> field:<j> value:<j>; set: SADD set:<i> <integers i*$COLL_FIELDS+j>;"
        echo "   zset: ZADD zset:<i> <j> member:<j>; list: RPUSH list:<i> elem:<j>"
    } >>"$REPORT"
    for type in $COLL_TYPES; do
        case $type in
            hash) probe=(hset __bench_probe_h f x) ;;
            set) probe=(sadd __bench_probe_s 1) ;;
            zset) probe=(zadd __bench_probe_z 1 x) ;;
            list) probe=(rpush __bench_probe_l x) ;;
            *) die "unknown collection type $type (hash, set, zset, list)" ;;
        esac
        stop_servers
        start_servers
        if redis-cli -p "$FERRODIS_PORT" "${probe[@]}" 2>&1 | grep -qi 'unknown command'; then
            log "  $type: skipped, not implemented by ferrodis yet"
            echo "-- $type: skipped, not implemented by ferrodis yet" >>"$REPORT"
            continue
        fi
        gen_collections "$type" >"$WORK/coll.resp"
        measure_rss_growth "coll-$type" "$WORK/coll.resp"
        local server
        for server in ferrodis redis; do
            log "  $server: $type:0 encoding" \
                "$(redis-cli -p "$(port_of "$server")" object encoding "$type:0" 2>&1)"
        done
        {
            echo "-- $type"
            report_memory "coll-$type" "$((COLL_KEYS * COLL_FIELDS))" elem
        } >>"$REPORT"
    done
    rm -f "$WORK/coll.resp"
    stop_servers
    echo >>"$REPORT"
}

# ---- part: persist (SAVE, BGSAVE and its fork pause, load at start-up) ----------------------
# Starts SERVER alone with its data directory DIR (loading DIR/dump.rdb when present).
start_in_dir() {
    local server=$1 dir=$2
    if [[ $server == ferrodis ]]; then
        port_in_use "$FERRODIS_PORT" && die "port $FERRODIS_PORT is already in use"
        taskset -c "$SERVER_CPU" "$ROOT/target/release/ferrodis" --port "$FERRODIS_PORT" \
            --save "" --dir "$dir" >"$WORK/ferrodis.log" 2>&1 &
        FERRODIS_PID=$!
        wait_ready "$FERRODIS_PORT" "$FERRODIS_PID" ferrodis
    else
        port_in_use "$REDIS_PORT" && die "port $REDIS_PORT is already in use"
        taskset -c "$SERVER_CPU" redis-server --port "$REDIS_PORT" --save '' --appendonly no \
            --dir "$dir" >"$WORK/redis.log" 2>&1 &
        REDIS_PID=$!
        wait_ready "$REDIS_PORT" "$REDIS_PID" redis
    fi
}

part_persist() {
    log "== persist: $PERSIST_KEYS keys; SAVE, BGSAVE with a pinger, load at start-up"
    gen_set_keys "$PERSIST_KEYS" >"$WORK/persist.resp"
    local rt=()
    if chrt -f 10 true 2>/dev/null; then rt=(chrt -f 10); fi
    local round order server port dir t0 t1 save_s bg_s size load_s fork_us out result max_ms
    local dbsize
    for round in $(seq "$PERSIST_ROUNDS"); do
        if ((round % 2)); then order=(ferrodis redis); else order=(redis ferrodis); fi
        for server in "${order[@]}"; do
            stop_servers
            dir="$WORK/data-$server"
            rm -rf "$dir"
            mkdir -p "$dir"
            start_in_dir "$server" "$dir"
            port=$(port_of "$server")
            pipe_load "$server" "$WORK/persist.resp"
            t0=$(date +%s.%N)
            redis-cli -p "$port" save >/dev/null
            t1=$(date +%s.%N)
            save_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
            size=$(stat -c %s "$dir/dump.rdb")
            out="$WORK/pinger-persist-$server-$round.out"
            taskset -c "$CLIENT_CPU" "${rt[@]}" python3 "$ROOT/scripts/pinger.py" "$port" \
                0.2 >"$out" 2>&1 &
            PINGER_PID=$!
            sleep 0.5
            t0=$(date +%s.%N)
            redis-cli -p "$port" bgsave >/dev/null
            sleep 0.01
            while redis-cli -p "$port" info persistence | grep -q 'rdb_bgsave_in_progress:1'; do
                sleep 0.01
            done
            t1=$(date +%s.%N)
            bg_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
            sleep 0.3
            kill -TERM "$PINGER_PID" 2>/dev/null || true
            wait "$PINGER_PID" || log "  warning: pinger exited with $? ($(cat "$out"))"
            PINGER_PID=""
            result=$(grep '^count=' "$out" || true)
            max_ms=$(sed -n 's/.*max_ms=\([0-9.]*\).*/\1/p' <<<"$result")
            fork_us=$(redis-cli -p "$port" info stats | sed -n 's/^latest_fork_usec:\([0-9]*\).*/\1/p')
            stop_servers
            start_in_dir "$server" "$dir"
            load_s=$(sed -n 's/.*DB loaded from disk: \([0-9.]*\) seconds.*/\1/p' "$WORK/$server.log")
            dbsize=$(redis-cli -p "$(port_of "$server")" dbsize)
            [[ $dbsize == "$PERSIST_KEYS" ]] || log "  warning: $server loaded $dbsize keys"
            stop_servers
            log "  round $round $server: SAVE ${save_s} s, BGSAVE ${bg_s} s, file $size B," \
                "max PING during BGSAVE ${max_ms} ms (fork ${fork_us} us), load ${load_s} s"
            printf '%s %s %s %s %s %s %s %s\n' "$server" "$round" "$save_s" "$bg_s" "$size" \
                "$max_ms" "$fork_us" "$load_s" >>"$PERSIST_FILE"
        done
    done
    rm -f "$WORK/persist.resp"
    {
        echo "== persist: $PERSIST_KEYS keys 'SET key:<i> <16 bytes>', medians of $PERSIST_ROUNDS rounds" \
            "(ratio = ferrodis / redis; target <= 1.20, fork pause <= 1.00)"
        awk "$median_awk"'
        { for (c = 3; c <= 8; c++) v[$1, c] = v[$1, c] " " $c }
        END {
            split("SAVE_s BGSAVE_s file_bytes max_PING_during_BGSAVE_ms fork_us load_s", names, " ")
            for (c = 3; c <= 8; c++) {
                f = median(v["ferrodis", c]); r = median(v["redis", c])
                printf "%-28s ferrodis %12s  redis %12s  ratio %s\n", names[c - 2], f, r, (r > 0 ? sprintf("%.2f", f / r) : "-")
            }
        }' "$PERSIST_FILE"
        echo
    } >>"$REPORT"
}

# ---- part: resp3 (the same commands in both protocols) ---------------------------------------
part_resp3() {
    log "== resp3: get set hgetall zrange_ws in RESP2 and RESP3, rounds $ROUNDS, N $N at -P 1"
    stop_servers
    start_servers
    local round order pipeline n proto t server custom hash_args=() zset_args=() j
    for j in $(seq 0 9); do
        hash_args+=("field:$j" "value:$j")
        zset_args+=("$j" "member:$j")
    done
    for server in ferrodis redis; do
        redis-cli -p "$(port_of "$server")" hset bench:hash "${hash_args[@]}" >/dev/null
        redis-cli -p "$(port_of "$server")" zadd bench:zset "${zset_args[@]}" >/dev/null
    done
    for round in $(seq "$ROUNDS"); do
        if ((round % 2)); then order=(ferrodis redis); else order=(redis ferrodis); fi
        for pipeline in $PIPELINES; do
            n=$N
            if ((pipeline > 1)); then n=$N_PIPELINED; fi
            for proto in 2 3; do
                for t in get set hgetall zrange_ws; do
                    case $t in
                        get) custom=(GET key:__rand_int__) ;;
                        set) custom=(SET key:__rand_int__ xxx) ;;
                        hgetall) custom=(HGETALL bench:hash) ;;
                        zrange_ws) custom=(ZRANGE bench:zset 0 -1 WITHSCORES) ;;
                    esac
                    for server in "${order[@]}"; do
                        BENCH_PROTO=$proto run_one resp3 "$server" "$t/resp$proto" "$pipeline" \
                            "$round" "$n" "${custom[@]}"
                    done
                done
            done
        done
    done
    stop_servers
    {
        echo "== resp3: the same commands in RESP2 and RESP3 (redis-benchmark -3), medians of" \
            "$ROUNDS rounds, -c $CLIENTS -r 100000, N=$N (-P 1) / $N_PIPELINED (pipelined);" \
            "HGETALL of 10 fields, ZRANGE 0 -1 WITHSCORES of 10 members"
        report_throughput resp3
        echo "(ratio = ferrodis / redis in the same protocol; RESP3 must not cost ferrodis more" \
            "CPU per request than RESP2, relative to Redis)"
        echo
    } >>"$REPORT"
}

# ---- part: tls (SET/GET over TLS) -----------------------------------------------------------
part_tls() {
    log "== tls: $TLS_TESTS over TLS, rounds $ROUNDS, N $N at -P 1, $N_PIPELINED pipelined"
    command -v openssl >/dev/null || die "openssl not found (make deps installs it)"
    local certs="$WORK/certs"
    sh "$ROOT/scripts/gen-test-certs.sh" "$certs" >/dev/null || die "gen-test-certs.sh failed"
    local common=(--tls-cert-file "$certs/server.crt" --tls-key-file "$certs/server.key"
        --tls-ca-cert-file "$certs/ca.crt" --tls-auth-clients yes)
    FERRODIS_TLS_ARGS=(--tls-port "$FERRODIS_TLS_PORT" "${common[@]}")
    REDIS_TLS_ARGS=(--tls-port "$REDIS_TLS_PORT" "${common[@]}")
    BENCH_TLS_ARGS=(--tls --cacert "$certs/ca.crt" --cert "$certs/client.crt"
        --key "$certs/client.key")
    stop_servers
    start_servers
    local round order pipeline n t server tests
    IFS=, read -r -a tests <<<"$TLS_TESTS"
    for round in $(seq "$ROUNDS"); do
        if ((round % 2)); then order=(ferrodis redis); else order=(redis ferrodis); fi
        for pipeline in $PIPELINES; do
            n=$N
            if ((pipeline > 1)); then n=$N_PIPELINED; fi
            for t in "${tests[@]}"; do
                for server in "${order[@]}"; do
                    run_one tls "$server" "$t" "$pipeline" "$round" "$n"
                done
            done
        done
    done
    stop_servers
    FERRODIS_TLS_ARGS=()
    REDIS_TLS_ARGS=()
    BENCH_TLS_ARGS=()
    {
        echo "== tls: over TLS (redis-benchmark --tls with a client certificate, both servers" \
            "with tls-auth-clients yes), medians of $ROUNDS rounds, -c $CLIENTS -r 100000," \
            "N=$N (-P 1) / $N_PIPELINED (pipelined)"
        report_throughput tls
        echo "(ratio = ferrodis / redis; connections are set up once per run, so this is the" \
            "cost of encrypted traffic, handshakes aside)"
        echo
    } >>"$REPORT"
}

# ---------------------------------------------------------------------------------------------
for p in ${BENCH_PARTS//,/ }; do
    case $p in
        core | ttl | pause | collections | colltput | collmem | persist | resp3 | tls) ;;
        *) die "unknown part '$p' in BENCH_PARTS (core ttl pause collections colltput collmem persist resp3 tls)" ;;
    esac
done

if [[ "${NO_BUILD:-0}" != 1 ]]; then
    log "building release binary"
    cargo build --release --bin ferrodis >&2 || die "cargo build --release failed"
fi
[[ -x target/release/ferrodis ]] || die "target/release/ferrodis not found"

START=$(date +%s)
STAMP=$(date +%Y%m%d-%H%M%S)
RAW="$OUT_DIR/raw-$STAMP.tsv"
REPORT="$WORK/report.txt"
MEM_FILE="$OUT_DIR/mem-$STAMP.txt"
PAUSE_FILE="$OUT_DIR/pause-$STAMP.txt"
PERSIST_FILE="$OUT_DIR/persist-$STAMP.txt"
: >"$REPORT"
: >"$MEM_FILE"
: >"$PAUSE_FILE"
: >"$PERSIST_FILE"
log "parts: $BENCH_PARTS; ferrodis port $FERRODIS_PORT, redis port $REDIS_PORT;" \
    "servers on CPU $SERVER_CPU, clients on CPU $CLIENT_CPU"
printf 'part\tserver\ttest\tpipeline\tround\trps\tp50_ms\tp99_ms\tcpu_ns_per_req\n' >"$RAW"

has_part core && part_core
has_part ttl && part_ttl
has_part pause && part_pause
if has_part collections || has_part colltput; then part_colltput; fi
if has_part collections || has_part collmem; then part_collmem; fi
has_part persist && part_persist
has_part resp3 && part_resp3
has_part tls && part_tls

echo
echo "ferrodis ($(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo '+dirty'))" \
    "vs redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p'):" \
    "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
cat "$REPORT"
echo "raw results: $RAW, $MEM_FILE, $PAUSE_FILE ($(($(date +%s) - START)) s)"
