"""How fast the Follower delivers lines, and what following a busy log costs.

A writer *process* appends nginx-style combined lines to a file at a given rate (0 = as fast as it
can); this process follows the file with `logwatch.ingest.tail.Follower` and counts lines. CPU is
the follower process's own user+system time (the writer runs elsewhere), as % of one core.

    python benchmarks/bench_tail.py                     # all scenarios below
    python benchmarks/bench_tail.py --rate 2000 --seconds 20 --mode watch
    python benchmarks/bench_tail.py --rate 0 --lines 2000000

Scenarios: history read of a pre-written file (follow=False), live follow at full speed, and live
follow at 2,000 lines/s in both notification (watchfiles) and polling mode.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

from logwatch.ingest.tail import Follower

AGENTS = [
    b"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    b"Chrome/124.0 Safari/537.36",
    b"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    b"curl/8.5.0",
]


def make_lines(start: int, n: int) -> bytes:
    rnd = random.Random(start)
    out = []
    for i in range(start, start + n):
        out.append(
            b'10.%d.%d.%d - - [10/Oct/2024:13:55:36 +0000] "GET /p/%d?q=%d HTTP/1.1" %d %d '
            b'"https://example.com/" "%s"\n'
            % (
                i % 250,
                (i >> 8) % 250,
                rnd.randrange(250),
                i % 5000,
                i,
                rnd.choice((200, 200, 200, 304, 404, 500)),
                rnd.randrange(100000),
                rnd.choice(AGENTS),
            )
        )
    return b"".join(out)


def writer(path: str, rate: float, total: int) -> None:
    """Append `total` lines to `path`, `rate` lines/s (0: as fast as possible), in 10 ms slices."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    block = make_lines(0, 1000)
    lines_in_block = 1000
    written = 0
    t0 = time.monotonic()
    while written < total:
        if rate:
            due = int((time.monotonic() - t0) * rate)
            n = min(due - written, total - written)
            if n <= 0:
                time.sleep(0.01)
                continue
        else:
            n = min(lines_in_block, total - written)
        # Cut whole lines from the prepared block (content repeats; the follower does not care).
        while n > 0:
            k = min(n, lines_in_block)
            if k == lines_in_block:
                os.write(fd, block)
            elif rate:
                # Like nginx without `access_log ... buffer=`: one write() per request.
                cut = 0
                for _ in range(k):
                    nxt = block.index(b"\n", cut) + 1
                    os.write(fd, block[cut:nxt])
                    cut = nxt
            else:
                cut = 0
                for _ in range(k):
                    cut = block.index(b"\n", cut) + 1
                os.write(fd, block[:cut])
            n -= k
            written += k
    os.close(fd)


def spawn_writer(path: str, rate: float, total: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, __file__, "--writer", path, "--rate", str(rate), "--lines", str(total)]
    )


async def follow(path: str, expect: int, *, mode: str, **kw: object) -> tuple[int, float, float]:
    """Follow until `expect` lines came; returns (lines, wall seconds, cpu seconds)."""
    f = Follower([path], force_polling=(mode == "poll"), **kw)  # type: ignore[arg-type]
    got = 0
    c0, t0 = time.process_time(), time.monotonic()
    async for batch in f.batches():
        got += len(batch.lines)
        if got >= expect:
            break
    wall, cpu = time.monotonic() - t0, time.process_time() - c0
    f.stop()
    return got, wall, cpu


def bench_history(tmp: str, n: int) -> None:
    path = os.path.join(tmp, "history.log")
    with open(path, "wb") as fh:
        for i in range(0, n, 100_000):
            fh.write(make_lines(i, min(100_000, n - i)))
    size = os.path.getsize(path)
    got, wall, cpu = asyncio.run(follow(path, n, mode="poll", follow=False))
    print(
        f"history read   {got:>9,} lines {size / 1e6:7.1f} MB  {got / wall:>11,.0f} lines/s"
        f"  {size / wall / 1e6:6.0f} MB/s  cpu {cpu / wall * 100:5.1f}%"
    )


def bench_live(tmp: str, rate: float, n: int, mode: str) -> None:
    path = os.path.join(tmp, f"live-{mode}-{int(rate)}.log")
    open(path, "wb").close()

    async def run() -> tuple[int, float, float]:
        task = asyncio.create_task(follow(path, n, mode=mode))
        await asyncio.sleep(0.5)  # let the follower reach the end of the (empty) file
        proc = spawn_writer(path, rate, n)
        try:
            return await task
        finally:
            proc.wait()

    got, wall, cpu = asyncio.run(run())
    what = "full speed" if not rate else f"{rate:,.0f} lines/s"
    print(
        f"live {mode:5} {what:>16}  {got:>9,} lines in {wall:5.1f} s = {got / wall:>10,.0f}"
        f" lines/s delivered  cpu {cpu / wall * 100:5.1f}% of one core"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--writer", metavar="PATH", help=argparse.SUPPRESS)
    ap.add_argument("--rate", type=float, default=None, help="lines/s for the live writer; 0 = max")
    ap.add_argument("--lines", type=int, default=None)
    ap.add_argument("--seconds", type=float, default=20.0, help="length of a rate-limited run")
    ap.add_argument("--mode", choices=("watch", "poll"), default=None)
    args = ap.parse_args()
    if args.writer:
        writer(args.writer, args.rate or 0.0, args.lines)
        return
    with tempfile.TemporaryDirectory() as tmp:
        if args.rate is not None:
            n = args.lines or (int(args.rate * args.seconds) if args.rate else 2_000_000)
            for mode in [args.mode] if args.mode else ["watch", "poll"]:
                bench_live(tmp, args.rate, n, mode)
            return
        bench_history(tmp, args.lines or 2_000_000)
        bench_live(tmp, 0, args.lines or 2_000_000, "watch")
        for mode in ("watch", "poll"):
            bench_live(tmp, 2000, int(2000 * args.seconds), mode)
    # The file is the buffer, not memory: peak RSS stays flat whatever the number of lines.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the follower process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
