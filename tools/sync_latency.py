"""The disk's own wait under a durable reply: how long one small append takes to sync.

A reply of the bot waits for the flush of its update (README, «Delivery guarantee»): the
embedded store writes its log buffer and ends with `sync_file_range(WAIT_BEFORE | WRITE |
WAIT_AFTER)` over what it wrote (`[data] sync = "written"`, as sled did) or with
`fdatasync` (`"full"`). This script does the same to a file of its own, so the latencies
it prints are a floor under the bot's p50 and p99 at the same rate on the same disk,
whatever the code does: COUNT appends of SIZE bytes, one every 1/RATE s, each followed by
its sync, timed alone, once with each call.

Not part of the product and never run by `cargo test` or CI; Python's standard library
only (Linux). Run it with the data directory's filesystem as DIR:

    python3 tools/sync_latency.py DIR [--count 600] [--size 4096] [--rate 300]
"""

import argparse
import ctypes
import os
import time

# <linux/fs.h>: SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER
WAIT_WRITE_WAIT = 1 | 2 | 4


def percentile(sorted_ms, p):
    return sorted_ms[min(len(sorted_ms) - 1, int(len(sorted_ms) * p))]


def run(directory, kind, count, size, rate):
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.sync_file_range.argtypes = [ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong, ctypes.c_uint]
    path = os.path.join(directory, f"sync-latency-{os.getpid()}.bin")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    block = b"x" * size
    offset = 0
    waits = []
    try:
        for _ in range(count):
            os.write(fd, block)
            start = time.perf_counter()
            if kind == "fdatasync":
                os.fdatasync(fd)
            elif libc.sync_file_range(fd, offset, size, WAIT_WRITE_WAIT) != 0:
                raise OSError(ctypes.get_errno(), "sync_file_range")
            waits.append((time.perf_counter() - start) * 1000.0)
            offset += size
            time.sleep(1.0 / rate)
    finally:
        os.close(fd)
        os.unlink(path)
    waits.sort()
    print(
        f"{kind:<16} {count} x {size} B at {rate}/s, ms: p50 {percentile(waits, 0.5):.3f} "
        f"p90 {percentile(waits, 0.9):.3f} p99 {percentile(waits, 0.99):.3f} max {waits[-1]:.3f}",
        flush=True,
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", help="a directory on the data directory's filesystem")
    ap.add_argument("--count", type=int, default=600)
    ap.add_argument("--size", type=int, default=4096)
    ap.add_argument("--rate", type=float, default=300.0)
    a = ap.parse_args()
    for kind in ("sync_file_range", "fdatasync", "sync_file_range"):
        run(a.dir, kind, a.count, a.size, a.rate)


if __name__ == "__main__":
    main()
