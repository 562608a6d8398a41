"""`logwatch --headless`: no UI, one JSON object per interval on stdout (JSON Lines).

Each object is the summary contract of the report plus per-window figures, the state of every
source, the alert events since the previous object, and the hooks that finished since then.
SIGINT, SIGTERM and SIGHUP print a final object and exit 0; a closed stdout (the reader went
away) ends quietly, an unwritable one (a full disk) ends with a one-line message and exit 1.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import signal
import sys
import time
from collections.abc import Callable
from typing import IO, Any

from logwatch.engine import EngineOptions, LiveEngine
from logwatch.stats.snapshot import Snapshot


class HeadlessPrinter:
    """Writes one JSON object per interval; collects alert events in between."""

    def __init__(self, interval: float, out: IO[str] | None = None, top: int = 10) -> None:
        self.interval = interval
        self.out = out or sys.stdout
        self.top = top
        self._next = time.monotonic() + interval
        self._events: list[dict[str, Any]] = []
        self.alerts: Any = None
        self._hooks_seen = 0  # hook results reported so far (HookRunner.finished_since)
        self.closed = False
        self.error: str | None = None  # why output failed (None when the reader just went away)
        self.on_closed: Callable[[], None] | None = None

    def on_events(self, events: list[Any]) -> None:
        for event in events:
            self._events.append(event.to_json() if hasattr(event, "to_json") else dict(event))

    def on_snapshot(self, snap: Snapshot) -> None:
        if time.monotonic() >= self._next:
            self._next += self.interval
            if self._next < time.monotonic():
                self._next = time.monotonic() + self.interval
            self.emit(snap)

    def emit(self, snap: Snapshot, final: bool = False) -> None:
        if self.closed:
            return
        obj = snap.to_json(top=self.top)
        # One schema for every object (scripts and jq read keys without testing for them): what
        # the engine knows only later is there from the first object on, empty.
        obj.setdefault("format_detected", None)  # until the format is detected
        obj.setdefault("sources", [])
        obj["at"] = round(time.time(), 3)
        obj["alerts"] = {"events": self._events, "active": self._active(), "hooks": self._hooks()}
        obj["final"] = final
        self._events = []
        try:
            self.out.write(json.dumps(obj, ensure_ascii=False) + "\n")
            self.out.flush()
        except (BrokenPipeError, ValueError, OSError) as exc:
            # Nobody can read us any more (reader gone, disk full): stop rather than run on blind.
            self.closed = True
            if not isinstance(exc, BrokenPipeError):
                self.error = getattr(exc, "strerror", None) or str(exc)
            if self.out is sys.stdout:
                from logwatch.cli import drop_stdout

                drop_stdout()
            if self.on_closed is not None:
                self.on_closed()

    def _hooks(self) -> list[dict[str, Any]]:
        """Hooks that finished since the previous object, each with its alert's id, rule and
        state: the only place a resolve's failed or timed-out hook is reported."""
        since = getattr(getattr(self.alerts, "hooks", None), "finished_since", None)
        if since is None:
            return []
        try:
            self._hooks_seen, done = since(self._hooks_seen)
            return [
                {"id": ev.id, "rule": ev.rule, "state": ev.state, **res.to_json()}
                for ev, res in done
            ]
        except Exception:  # never let a reporting detail stop the output
            return []

    def _active(self) -> list[Any]:
        if self.alerts is None:
            return []
        try:
            return [a.to_json() if hasattr(a, "to_json") else a for a in self.alerts.active()]
        except Exception:  # never let a reporting detail stop the output
            return []


async def run_headless(options: EngineOptions, interval: float, out: IO[str] | None = None) -> int:
    printer = HeadlessPrinter(interval, out)
    printer.alerts = options.alerts
    engine = LiveEngine(options, on_snapshot=printer.on_snapshot, on_events=printer.on_events)
    printer.on_closed = engine.stop
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, engine.stop)
    await engine.run()
    if engine.error:
        print(f"logwatch: {engine.error}", file=sys.stderr)
        return 2
    # Hooks run on daemon threads: without this wait, an alert raised by the last lines (a
    # piped log's end, a SIGTERM right after a firing) would die with the process, unsent.
    # Before the final object, which reports how they went.
    closer = getattr(options.alerts, "close", None)
    if callable(closer):
        await asyncio.to_thread(closer)
    if engine.latest is not None:
        printer.emit(engine.latest, final=True)
    if printer.error is not None:
        print(f"logwatch: writing output: {printer.error}", file=sys.stderr)
        return 1
    return 0


def run(args: Any) -> int:
    """Entry from the command line (args from cli.build_main_parser)."""
    from logwatch.cli import UsageError, engine_options

    # NaN compares false with every clock (no object but the final one); inf never comes.
    if not math.isfinite(args.interval) or args.interval < 0:
        raise UsageError(f"--interval: expected a number of seconds, got {args.interval:g}")
    options = engine_options(args)
    interval = max(args.interval, 0.1)
    # Snapshots at least as often as objects are asked for (and never rarer than once a second,
    # which alert rules rely on).
    options.tick = min(options.tick, interval)
    try:
        return asyncio.run(run_headless(options, interval))
    except KeyboardInterrupt:
        return 0
