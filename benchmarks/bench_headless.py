"""How fast an append rate `logwatch --headless` keeps up with, and what it costs at a calm rate.

A writer appends synthetic combined lines (with request times) to a file at a fixed rate, each
stamped with the current second as a server writes them; logwatch follows the file in headless
mode (no history), printing a JSON object every --interval seconds (0.25 by default: 20 times
more often than the default 5 s). We record, for each object, how many lines it had counted and
when, and derive:

- the lag: for each second of writing, how long until logwatch had counted every line written by
  then (the worst over the run is reported);
- the CPU used by the logwatch process (from /proc, user + system) as a share of one core.

    python benchmarks/bench_headless.py                    # 2,000 / 50,000 / 100,000 lines/s
    python benchmarks/bench_headless.py --rates 2000 --seconds 20
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from logwatch import synth  # noqa: E402


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def run(rate: int, seconds: float, lines: list[bytes], interval: float) -> dict[str, float]:
    # Each line cut around its [time], so the writer can stamp it with the wall clock.
    parts = [(line[: line.index(b"[")], line[line.index(b"]") + 1 :]) for line in lines]
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "access.log"
        log.write_bytes(b"")
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "LOGWATCH_CONFIG_DIR": tmp}
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "logwatch",
                "--headless",
                "--interval",
                str(interval),
                "--since",
                "0",
                str(log),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=tmp,
        )
        seen: list[tuple[float, int]] = []

        def reader() -> None:
            assert proc.stdout is not None
            for raw in proc.stdout:
                obj = json.loads(raw)
                seen.append((time.monotonic(), obj["lines"]))

        t = threading.Thread(target=reader, daemon=True)
        t.start()
        time.sleep(1.5)  # start-up
        cpu0 = cpu_seconds(proc.pid)
        written: list[tuple[float, int]] = []
        total = 0
        start = time.monotonic()
        tick = 0.01
        with log.open("ab", buffering=0) as f:
            i = 0
            while (now := time.monotonic()) - start < seconds:
                due = int((now - start) * rate) - total
                if due > 0:
                    # Stamped now, as a server writes them: log time follows the clock.
                    stamp = time.strftime("[%d/%b/%Y:%H:%M:%S +0000]", time.gmtime()).encode()
                    chunk = []
                    for _ in range(due):
                        head, tail = parts[i % len(parts)]
                        chunk.append(head)
                        chunk.append(stamp)
                        chunk.append(tail)
                        i += 1
                    f.write(b"".join(chunk))
                    total += due
                    written.append((time.monotonic(), total))
                time.sleep(tick)
        wall = time.monotonic() - start
        deadline = time.monotonic() + 30
        while (not seen or seen[-1][1] < total) and time.monotonic() < deadline:
            time.sleep(0.05)
        cpu = cpu_seconds(proc.pid) - cpu0
        proc.terminate()
        proc.wait(10)
        lags = []
        for when, count in written[:: max(1, len(written) // 200)]:
            caught = next((t_seen for t_seen, n in seen if n >= count and t_seen >= when), None)
            lags.append((caught - when) if caught is not None else float("inf"))
        return {
            "rate": rate,
            "written": total,
            "counted": seen[-1][1] if seen else 0,
            "achieved_lines_per_s": round(total / wall),
            "max_lag_s": round(max(lags), 3) if lags else float("nan"),
            "median_lag_s": round(sorted(lags)[len(lags) // 2], 3) if lags else float("nan"),
            "cpu_share_of_one_core": round(
                cpu / (wall + (seen[-1][0] - start - wall if seen else 0)), 3
            ),
        }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rates", type=int, nargs="+", default=[2000, 50_000, 100_000])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument(
        "--interval",
        type=float,
        default=0.25,
        help="headless --interval: objects (and snapshots) this often; lag is "
        "measured at this resolution, and each snapshot costs CPU",
    )
    args = ap.parse_args()
    lines = list(synth.generate(200_000, fmt="combined_rt", seed=3, start=time.time()))
    print(
        "| append rate (lines/s) | written | counted | max lag (s) | median lag (s) | CPU (share of one core) |"
    )
    print("|---|---|---|---|---|---|")
    for rate in args.rates:
        r = run(rate, args.seconds, lines, args.interval)
        print(
            f"| {rate:,} | {r['written']:,} | {r['counted']:,} | {r['max_lag_s']} | "
            f"{r['median_lag_s']} | {r['cpu_share_of_one_core']:.1%} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
