"""`logwatch demo`: the bundled sample traffic replayed as if it were happening now.

A replayer thread reads sample_logs/nginx_access.log (about 95 minutes of a small site, with a
burst of 5xx errors and a scanner's probe burst), rewrites each timestamp so the traffic lands in
the present, and appends the lines to a temporary log file as their time comes. The dashboard
follows that file like any other log: the demo exercises the same engine a real server does.

It starts a little before the error spike so something happens within the first minutes, writes
the preceding stretch at once as history, and loops over the file for as long as it runs.
Core module: no UI imports (the dashboard is imported only when it is run).
"""

from __future__ import annotations

import argparse
import calendar
import contextlib
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from logwatch.usage import ArgumentParser

SAMPLE = "nginx_access.log"
# The sample's own format, given to the dashboard: a config's `format` (or LOGWATCH_FORMAT) is
# about the user's logs, and made every replayed line malformed.
SAMPLE_FORMAT = "combined_extra"
# Start the replay this far into the sample (its error spike begins at 25 minutes).
START_AT = 22 * 60.0
# Written at once before the replay starts, so every window has data from the first second.
BACKFILL = 20 * 60.0
DEFAULT_SPEED = 2.0
# Past this a lap of the sample takes milliseconds (millions of lines a second), and where a lap
# rounds to no time at all (inf, 1e12) `step` never returns.
MAX_SPEED = 1000.0

_CLF_TIME = re.compile(rb"\[(\d{2})/([A-Za-z]{3})/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-]\d{4})\]")
_MONTHS = {
    m.encode(): i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_MONTH_NAMES = {i: m for m, i in _MONTHS.items()}


def sample_dir() -> Path:
    """The bundled sample logs: packaged as logwatch/sample_logs, or <repo>/sample_logs."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "sample_logs", here.parents[1] / "sample_logs"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("the bundled sample logs are missing from this installation")


def parse_clf_time(line: bytes) -> tuple[float, re.Match[bytes]] | None:
    m = _CLF_TIME.search(line)
    if m is None:
        return None
    day, mon, year, hh, mm, ss, off = m.groups()
    month = _MONTHS.get(mon)
    if month is None:
        return None
    ts = calendar.timegm((int(year), month, int(day), int(hh), int(mm), int(ss)))
    sign = -1 if off[:1] == b"-" else 1
    ts -= sign * (int(off[1:3]) * 3600 + int(off[3:5]) * 60)
    return float(ts), m


def format_clf_time(ts: float) -> bytes:
    t = time.gmtime(ts)
    return b"[%02d/%s/%04d:%02d:%02d:%02d +0000]" % (
        t.tm_mday,
        _MONTH_NAMES[t.tm_mon],
        t.tm_year,
        t.tm_hour,
        t.tm_min,
        t.tm_sec,
    )


def load_sample(path: Path) -> list[tuple[float, bytes]]:
    """(original timestamp, line) for every line with a common-log timestamp, in time order."""
    out = []
    with open(path, "rb") as f:
        for raw in f:
            line = raw.rstrip(b"\n")
            parsed = parse_clf_time(line)
            if parsed is not None:
                out.append((parsed[0], line))
    out.sort(key=lambda item: item[0])
    return out


class Replayer:
    """Writes sample lines into `out` with timestamps moved to the present.

    Sample time s maps to wall time  base + (s - origin) / speed  for the current lap; each lap
    moves base on by the sample's span, so the traffic never stops. `step(now)` writes every line
    due by `now` and is the whole clock-driven behaviour (tests drive it with a fake clock).
    """

    def __init__(
        self,
        lines: Sequence[tuple[float, bytes]],
        out: Path,
        *,
        speed: float = DEFAULT_SPEED,
        start_at: float = START_AT,
        backfill: float = BACKFILL,
        now: float | None = None,
    ) -> None:
        if not lines:
            raise ValueError("no timestamped lines in the sample")
        self.lines = list(lines)
        self.out = out
        self.speed = max(0.05, speed)
        first, last = self.lines[0][0], self.lines[-1][0]
        self.span = max(last - first, 1.0) + 1.0
        self.origin = first
        now = time.time() if now is None else now
        start_at = min(max(0.0, start_at), self.span - 1.0)
        # Sample time (first + start_at) is "now"; earlier lines are history.
        self.base = now - start_at / self.speed
        self.index = 0
        self.lap = 0
        self.written = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._history_from = now - backfill
        out.parent.mkdir(parents=True, exist_ok=True)
        out.touch()

    def when(self, i: int, lap: int) -> float:
        return self.base + (lap * self.span + self.lines[i][0] - self.origin) / self.speed

    def step(self, now: float) -> int:
        """Append every line due by `now`; return how many were written."""
        chunk: list[bytes] = []
        while True:
            due = self.when(self.index, self.lap)
            if due > now:
                break
            if due >= self._history_from:
                _, line = self.lines[self.index]
                parsed = parse_clf_time(line)
                if parsed is not None:
                    _, m = parsed
                    line = line[: m.start()] + format_clf_time(due) + line[m.end() :]
                    chunk.append(line)
            self.index += 1
            if self.index >= len(self.lines):
                self.index = 0
                self.lap += 1
        if chunk:
            with open(self.out, "ab") as f:
                f.write(b"\n".join(chunk) + b"\n")
            self.written += len(chunk)
        return len(chunk)

    def next_due(self) -> float:
        return self.when(self.index, self.lap)

    # --- running in the background ----------------------------------------------------------

    def start(self, clock: Callable[[], float] = time.time) -> None:
        self.step(clock())  # the history, at once
        self._thread = threading.Thread(
            target=self._run, args=(clock,), name="logwatch-demo", daemon=True
        )
        self._thread.start()

    def _run(self, clock: Callable[[], float]) -> None:
        while not self._stop.is_set():
            now = clock()
            try:
                self.step(now)
            except OSError:
                return  # the temporary directory went away: the demo is over
            wait = min(max(self.next_due() - clock(), 0.05), 0.5)
            self._stop.wait(wait)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2.0)


def build_parser() -> argparse.ArgumentParser:
    p = ArgumentParser(
        prog="logwatch demo",
        description="The dashboard on the bundled sample traffic, replayed as live traffic.",
    )
    p.add_argument(
        "--speed",
        type=float,
        default=DEFAULT_SPEED,
        help=f"replay speed, times real time (default {DEFAULT_SPEED:g})",
    )
    p.add_argument("--theme", help="dashboard theme (dark, light, high-contrast, or a file)")
    p.add_argument(
        "--write",
        metavar="PATH",
        help="only write the replayed log to PATH (no dashboard), until interrupted",
    )
    p.add_argument("--config", help="config file (as for logwatch)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    if not 0 < args.speed <= MAX_SPEED:  # NaN fails this too
        print(
            f"logwatch demo: --speed must be above 0 and at most {MAX_SPEED:g}, got {args.speed:g}",
            file=sys.stderr,
        )
        return 2
    try:
        lines = load_sample(sample_dir() / SAMPLE)
    except (OSError, ValueError) as exc:
        print(f"logwatch demo: {exc}", file=sys.stderr)
        return 2
    if args.write:
        replayer = Replayer(lines, Path(args.write), speed=args.speed)
        replayer.start()
        print(
            f"logwatch demo: writing replayed traffic to {args.write} (ctrl+c stops)",
            file=sys.stderr,
        )
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(1)
        replayer.stop()
        return 0

    from logwatch import cli
    from logwatch.tui.app import run_dashboard

    # The temporary log goes on every way out: a normal quit, an error (no terminal: the
    # dashboard refuses), ctrl+c, and SIGTERM or SIGHUP, which by default end the process
    # without running a `finally` (the dashboard, once running, turns them into a quit).
    with _signals_exit():
        tmp = Path(tempfile.mkdtemp(prefix="logwatch-demo-"))
        try:
            replayer = Replayer(lines, tmp / "access.log", speed=args.speed)
            replayer.start()
            try:
                argv2 = [str(replayer.out), "--since", "1h", "--format", SAMPLE_FORMAT]
                if args.theme:
                    argv2 += ["--theme", args.theme]
                if args.config:
                    argv2 += ["--config", args.config]
                main_args = cli.build_main_parser().parse_args(argv2)
                main_args.notice = (
                    f"Demo: bundled sample traffic replayed at {args.speed:g}x as live traffic "
                    "(an error spike comes within minutes; a probe burst later)"
                )
                return int(run_dashboard(main_args))
            finally:
                replayer.stop()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def _signals_exit() -> Iterator[None]:
    """SIGTERM and SIGHUP raise SystemExit (128 + the signal), so `finally` blocks run."""

    def handler(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    previous: dict[signal.Signals, Any] = {}
    for sig in (signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(ValueError, OSError):  # not the main thread / no such signal
            previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            if old is not None:  # None: a handler not set from Python, which cannot be restored
                signal.signal(sig, old)
