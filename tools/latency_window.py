"""Where the slow replies of a benchmark sit: inside a window of time, or outside it.

`bench-threeway --latencies FILE` appends, for each bot and run, a `# BOT` line and then
one line per open-loop update: its time (ms since the open loop began), its latency (ms)
and its user. The embedded store's first compaction falls at the same moment of every run
(the same number of updates have written 32 MiB of log), so its stall can be told apart
from the machine's noise: per bot and run, this prints the slowest update inside the
window FROM..TO (ms), how many there took over 5 ms, and the p99 and slowest outside it.

Not part of the product and never run by `cargo test` or CI; Python's standard library
only. As in BENCHMARKS.md («Compaction without stalls»):

    python3 tools/latency_window.py FILE 9100 9800
"""
import statistics
import sys


def main():
    path, lo, hi = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    runs, cur = [], None
    for line in open(path):
        if line.startswith("# "):
            cur = (line[2:].strip(), [])
            runs.append(cur)
        elif cur is not None and line.strip():
            at, latency, _user = line.split("\t")
            cur[1].append((float(at), float(latency)))
    by_bot = {}
    for bot, rows in runs:
        inside = [ms for at, ms in rows if lo <= at <= hi]
        outside = sorted(ms for at, ms in rows if not lo <= at <= hi)
        if not inside or not outside:
            continue
        p99 = outside[int((len(outside) - 1) * 0.99)]
        slow = sum(1 for ms in inside if ms > 5)
        by_bot.setdefault(bot, []).append((max(inside), slow, p99, outside[-1]))
    for bot, v in by_bot.items():
        print(f"{bot}: in the window, slowest", " ".join(f"{x[0]:.1f}" for x in v),
              "| over 5 ms", " ".join(str(x[1]) for x in v))
        print("   outside: p99", " ".join(f"{x[2]:.2f}" for x in v),
              f"(median {statistics.median(x[2] for x in v):.2f})",
              "| slowest", " ".join(f"{x[3]:.1f}" for x in v))


if __name__ == "__main__":
    main()
