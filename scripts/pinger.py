#!/usr/bin/env python3
"""Measures a server's worst pause: PING over one raw TCP connection until told to stop.

    scripts/pinger.py PORT [INTERVAL_MS] [OUT_FILE]

Sends `*1\\r\\n$4\\r\\nPING\\r\\n`, waits for `+PONG\\r\\n`, records the round trip, sleeps
INTERVAL_MS (default 0.2; 0 = back to back) and repeats until SIGTERM or SIGINT. Then prints
one line

    count=<n> max_ms=<m> p999_ms=<x> p99_ms=<y> p50_ms=<z> max_at_s=<t> slow=<t:ms,...>
    start_unix=<wall-clock time of the first PING> start_mono=<same, CLOCK_MONOTONIC>

where max_at_s is when the slowest PING was sent (seconds since the first PING) and `slow`
lists the ten slowest round trips (send time in s : ms), to line them up with the load's
progress. With OUT_FILE every sample (send time s, round trip ms) is written there as well.
A server that closes the connection ends the measurement (exit status 2).
"""

import signal
import socket
import sys
import time

PING = b"*1\r\n$4\r\nPING\r\n"
PONG = b"+PONG\r\n"


def main():
    port = int(sys.argv[1])
    interval = float(sys.argv[2]) / 1000.0 if len(sys.argv) > 2 else 0.0002
    out_file = sys.argv[3] if len(sys.argv) > 3 else None

    stop = False

    def on_signal(_sig, _frame):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    clock = time.perf_counter_ns
    sends = []  # ns since start
    rtts = []  # ns
    status = 0
    t0 = clock()
    t0_unix = time.time()
    while not stop:
        t = clock()
        try:
            sock.sendall(PING)
            got = b""
            while len(got) < len(PONG):
                chunk = sock.recv(64)
                if not chunk:
                    raise ConnectionError("server closed the connection")
                got += chunk
        except InterruptedError:
            continue
        except OSError as e:
            print(f"pinger: {e}", file=sys.stderr)
            status = 2
            break
        done = clock()
        if got != PONG:
            print(f"pinger: unexpected reply {got!r}", file=sys.stderr)
            status = 2
            break
        sends.append(t - t0)
        rtts.append(done - t)
        if interval > 0:
            time.sleep(interval)
    sock.close()

    n = len(rtts)
    if n == 0:
        print("count=0")
        return status
    order = sorted(range(n), key=rtts.__getitem__)

    def pct(p):
        return rtts[order[min(n - 1, int(p * n))]] / 1e6

    worst = order[-1]
    slow = ",".join(f"{sends[i] / 1e9:.2f}:{rtts[i] / 1e6:.2f}" for i in reversed(order[-10:]))
    print(
        f"count={n} max_ms={rtts[worst] / 1e6:.3f} p999_ms={pct(0.999):.3f} "
        f"p99_ms={pct(0.99):.3f} p50_ms={pct(0.5):.3f} max_at_s={sends[worst] / 1e9:.2f} "
        f"slow={slow} start_unix={t0_unix:.3f} start_mono={t0 / 1e9:.6f}"
    )
    if out_file:
        with open(out_file, "w") as f:
            for s, r in zip(sends, rtts):
                f.write(f"{s / 1e9:.6f}\t{r / 1e6:.3f}\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
