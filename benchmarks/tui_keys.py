"""How fast the dashboard answers keys while the engine reads a big log.

    python benchmarks/tui_keys.py [--lines 1000000]

Generates a log with logwatch.synth (kept in benchmarks/data/), starts the dashboard headless on it
with the live engine reading all of it as history, and presses keys (w, v, s, tab) while the
reading goes on. Prints the latency of each key (press → screen updated), the reading progress the
header bar showed, and the time the engine took. The budget (design.md): 100 ms per key.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from textual import events  # noqa: E402

from logwatch import synth  # noqa: E402
from logwatch.engine import EngineOptions  # noqa: E402
from logwatch.tui.app import LogwatchApp  # noqa: E402
from logwatch.tui.link import EngineLink  # noqa: E402
from logwatch.tui.widgets.header import HistoryProgress, source_progress  # noqa: E402

KEYS = ["w", "v"]


async def run(path: Path, size: tuple[int, int], expected: int) -> None:
    link = EngineLink(EngineOptions(paths=[str(path)], since=None))
    app = LogwatchApp(link)
    latencies: list[float] = []
    refresh: list[float] = []
    progress_seen: list[float] = []
    done: list[float] = []

    def timed(fn, out):  # type: ignore[no-untyped-def]
        def wrapper(*a):  # type: ignore[no-untyped-def]
            t0 = time.perf_counter()
            fn(*a)
            out.append(time.perf_counter() - t0)
            done.append(time.perf_counter())

        return wrapper

    t_start = time.perf_counter()
    finished = None
    async with app.run_test(size=size) as pilot:
        app.action_cycle_window = timed(app.action_cycle_window, [])  # type: ignore[method-assign]
        app.action_cycle_view = timed(app.action_cycle_view, [])  # type: ignore[method-assign]
        app.receive_snapshot = timed(app.receive_snapshot, refresh)  # type: ignore[method-assign]
        await pilot.pause()
        while time.perf_counter() - t_start < 900:
            for key in KEYS:
                # A key as the terminal driver delivers it; latency = until its action has
                # run and the screen's tables were updated (the action refreshes synchronously).
                done.clear()
                t0 = time.perf_counter()
                event = events.Key(key, key)
                event.set_sender(app)
                app._driver.send_message(event)  # type: ignore[union-attr]
                while not done or done[-1] < t0:
                    await asyncio.sleep(0.001)
                latencies.append(done[-1] - t0)
                await asyncio.sleep(0.25)
            for s in app.latest.sources:
                p = source_progress(s)
                if p is not None and app.screen.query(HistoryProgress).first().display:
                    progress_seen.append(p)
            if link.engine is not None and link.engine.history_done:
                finished = time.perf_counter() - t_start
                break
        # The dashboard's snapshot trails the engine by a tick or two: wait for the last one.
        settle = time.perf_counter() + 10
        while app.latest.lines < expected and time.perf_counter() < settle:
            await asyncio.sleep(0.1)
        lines = app.latest.lines
    lat = sorted(latencies)
    ref = sorted(refresh)
    print(f"lines read: {lines:,} in {finished or float('nan'):.1f} s (engine thread)")
    print(
        f"keys: {len(lat)} presses while reading; latency p50 {statistics.median(lat) * 1000:.0f} ms,"
        f" p95 {lat[int(0.95 * (len(lat) - 1))] * 1000:.0f} ms, max {lat[-1] * 1000:.0f} ms"
    )
    if ref:
        print(
            f"snapshot refreshes on the UI loop: {len(ref)}, p50 {statistics.median(ref) * 1000:.0f}"
            f" ms, max {ref[-1] * 1000:.0f} ms"
        )
    if progress_seen:
        print(
            f"progress bar shown: {len(progress_seen)} samples, "
            f"{min(progress_seen):.0%} → {max(progress_seen):.0%}"
        )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lines", type=int, default=1_000_000)
    p.add_argument("--width", type=int, default=120)
    p.add_argument("--height", type=int, default=40)
    p.add_argument(
        "--switch-interval",
        type=float,
        default=None,
        help="sys.setswitchinterval for the run (seconds; Python's default 0.005)",
    )
    args = p.parse_args()
    data = ROOT / "benchmarks" / "data"
    data.mkdir(parents=True, exist_ok=True)
    path = data / f"tui_keys_{args.lines}.log"
    if not path.exists():
        t0 = time.perf_counter()
        synth.write(
            path,
            args.lines,
            fmt="combined_rt",
            seed=11,
            start=time.time() - args.lines / 50.0,
            rate=50.0,
        )
        print(f"generated {path.name} in {time.perf_counter() - t0:.1f} s")
    if args.switch_interval:
        sys.setswitchinterval(args.switch_interval)
    print(f"GIL switch interval {sys.getswitchinterval() * 1000:g} ms")
    asyncio.run(run(path, (args.width, args.height), args.lines))


if __name__ == "__main__":
    main()
