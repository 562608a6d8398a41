"""The logwatch dashboard.

Data flow: the engine runs in its own thread and calls `LogwatchApp.snapshot_from_thread(snap)`
about once a second. That call only hands the snapshot to the UI loop (coalesced: if the UI is
behind, only the newest snapshot is kept). The UI loop then applies the user's choices (window,
class view, filter) and refreshes the active screen with keyed row diffs. Filtering recomputes
panels over snapshot.recent, which runs in a thread worker, never on the UI loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from datetime import tzinfo
from pathlib import Path
from typing import Any, ClassVar

from textual import on
from textual.app import App
from textual.binding import Binding
from textual.worker import Worker, WorkerState

from logwatch.filters import FilterError, parse_filter
from logwatch.model import Record, Verdict
from logwatch.sanitize import clean
from logwatch.stats import filtered_view
from logwatch.stats.snapshot import Snapshot, WindowView
from logwatch.tui.screens.alerts import AlertsScreen
from logwatch.tui.screens.drill import DrillScreen
from logwatch.tui.screens.help import HelpScreen
from logwatch.tui.screens.main import MainScreen
from logwatch.tui.state import CLASS_VIEWS, WINDOWS, ViewState
from logwatch.tui.themes import (
    DEFAULT_THEME,
    FALLBACK,
    LIGHT_ANSI,
    ThemeError,
    load_theme_file,
    load_themes,
    theme_problem,
)
from logwatch.tui.widgets.table import KeyedTable

Predicate = Callable[[Record, Verdict], bool]


def empty_snapshot(now: float | None = None) -> Snapshot:
    now = time.time() if now is None else now
    return Snapshot(
        now=now,
        format="",
        lines=0,
        parsed=0,
        malformed=0,
        malformed_reasons={},
        malformed_examples=(),
        totals=WindowView("all", 0.0),
        windows={},
    )


class LogwatchApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "logwatch"
    ENABLE_COMMAND_PALETTE = False
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]  # noqa: RUF012

    BINDINGS: ClassVar = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help"),
        Binding("tab", "app.focus_next", "Panel", show=False),
        Binding("shift+tab", "app.focus_previous", "Prev panel", show=False),
        Binding("w", "cycle_window", "Window"),
        Binding("v", "cycle_view", "View"),
        Binding("p", "pause", "Pause"),
        Binding("m", "mark", "Mark"),
        Binding("M", "clear_mark", "Unmark", show=False),
        Binding("a", "alerts", "Alerts"),
        Binding("t", "cycle_theme", "Theme", show=False),  # a setting: on the ? help screen
    ]

    def __init__(
        self,
        engine: Any = None,
        snapshot: Snapshot | None = None,
        *,
        theme: str | None = None,
        theme_dirs: Sequence[Path] | None = None,
        window: str = "5m",
        tz: tzinfo | None = None,
        clock: Callable[[], float] = time.time,
        bell: bool = False,
        notice: str = "",
    ) -> None:
        super().__init__()
        self.engine = engine
        self.clock = clock
        self.tz = tz
        self.bell_on_alert = bell
        self.notice = notice
        self.latest: Snapshot = snapshot or empty_snapshot(clock())
        self.window = _shown_window(window if window in WINDOWS else "5m", self.latest)
        self.cls_view = "all"
        self.paused = False
        # The snapshot shown when the display was paused: a new window, view or filter chosen
        # while paused is applied to it, not to data that came in since.
        self._frozen: Snapshot | None = None
        self.filter_text = ""
        self.predicate: Predicate | None = None
        self.vs = ViewState(self.latest, self.window, self.cls_view, tz=tz)
        self.ingest_rate: float | None = None
        self.active_alerts: tuple[Any, ...] = ()
        self._rate_points: deque[tuple[float, int]] = deque(maxlen=6)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: Snapshot | None = None
        self._generation = 0
        self._theme_notes: list[str] = []
        self._engine_error: str | None = None
        self.theme_names: list[str] = []
        self.ansi_theme_light = LIGHT_ANSI
        self._setup_themes(theme, theme_dirs)

    # ---- themes -------------------------------------------------------------------------------

    def _setup_themes(self, wanted: str | None, dirs: Sequence[Path] | None) -> None:
        found = load_themes(list(dirs) if dirs is not None else None)
        themes = dict(found.themes)
        problems = list(found.errors)
        if DEFAULT_THEME not in themes:
            themes[DEFAULT_THEME] = FALLBACK
        wanted = wanted or os.environ.get("LOGWATCH_THEME") or None
        if wanted and (wanted.endswith(".toml") or os.sep in wanted):
            try:
                theme = load_theme_file(Path(wanted).expanduser())
                themes[theme.name] = theme
                wanted = theme.name
            except ThemeError as exc:
                problems.append(str(exc))
                wanted = None
        for theme in themes.values():
            self.register_theme(theme)
        self.theme_names = sorted(themes, key=lambda n: (n != DEFAULT_THEME, n))
        chosen = DEFAULT_THEME
        if wanted:
            if wanted in themes:
                chosen = wanted
            elif f"logwatch-{wanted}" in themes:
                chosen = f"logwatch-{wanted}"
            elif wanted in self.available_themes:
                chosen = wanted
            else:
                problems.append(f"unknown theme {wanted!r}")
        self.theme = chosen
        if problems:
            # One notification, however many files were bad.
            self._theme_notes.append(
                clean("Theme problem, using " + chosen + ": " + "; ".join(problems)[:300])
            )

    def action_cycle_theme(self) -> None:
        names = self.theme_names or [DEFAULT_THEME]
        i = names.index(self.theme) if self.theme in names else -1
        self.theme = names[(i + 1) % len(names)]
        self.notify(f"Theme {self.theme}", markup=False, timeout=2)

    # ---- lifecycle ----------------------------------------------------------------------------

    def on_mount(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.push_screen(MainScreen())
        for note in self._theme_notes:
            self.notify(note, severity="warning", markup=False, timeout=8)
        if self.notice:
            self.notify(self.notice, markup=False, timeout=6)
        if self.engine is not None and hasattr(self.engine, "start"):
            self.engine.start(self.snapshot_from_thread)
            self.set_interval(1.0, self._check_engine, name="engine-watch")

    def _check_engine(self) -> None:
        """An engine that stopped with an error (bad format, unreadable file) says so once."""
        error = getattr(self.engine, "error", None)
        if error and error != self._engine_error:
            self._engine_error = error
            # The error may quote a file name, which no ingestion has cleaned.
            self.notify(
                clean(str(error)[:500]), title="Engine", severity="error", markup=False, timeout=30
            )

    def on_unmount(self) -> None:
        if self.engine is not None and hasattr(self.engine, "stop"):
            self.engine.stop()

    # ---- snapshots in -------------------------------------------------------------------------

    def snapshot_from_thread(self, snapshot: Snapshot) -> None:
        """The engine's callback (any thread). Never blocks the engine; keeps only the newest."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        first = self._pending is None
        self._pending = snapshot
        if first:
            with contextlib.suppress(RuntimeError):  # the loop closed while quitting
                loop.call_soon_threadsafe(self._take_pending)

    def _take_pending(self) -> None:
        snapshot, self._pending = self._pending, None
        if snapshot is not None and self.is_running and self.screen_stack:
            self.receive_snapshot(snapshot)

    def receive_snapshot(self, snapshot: Snapshot) -> None:
        """A new snapshot on the UI loop: measure ingest, update alerts, refresh unless paused."""
        # Lines per second over the last few snapshots: smoother than one tick's count.
        now = self.clock()
        self._rate_points.append((now, snapshot.lines))
        (t0, n0), (t1, n1) = self._rate_points[0], self._rate_points[-1]
        if t1 > t0:
            self.ingest_rate = max(0.0, (n1 - n0) / (t1 - t0))
        self.latest = snapshot
        self.window = _shown_window(self.window, snapshot)
        self._poll_alerts()
        if self.paused:
            self._refresh_screen(self._with(self.vs, paused=True))
        else:
            self.render_view()

    # ---- view ---------------------------------------------------------------------------------

    def _state(self) -> ViewState:
        return ViewState(
            self._frozen if self.paused and self._frozen is not None else self.latest,
            self.window,
            self.cls_view,
            self.filter_text,
            self.predicate,
            self.paused,
            self.tz,
        )

    @staticmethod
    def _with(vs: ViewState, **changes: Any) -> ViewState:
        fields = {k: getattr(vs, k) for k in ViewState.__slots__}
        fields.update(changes)
        return ViewState(**fields)

    def render_view(self) -> None:
        """Apply the user's choices to the newest snapshot and refresh the active screen."""
        vs = self._state()
        self._generation += 1
        if vs.predicate is None:
            self._apply(vs, self._generation)
            return
        generation = self._generation
        predicate = vs.predicate

        def work() -> None:
            snap = filtered_view(vs.snapshot, predicate)
            self.call_from_thread(self._apply, self._with(vs, snapshot=snap), generation)

        self.run_worker(work, thread=True, group="filter", exclusive=True, name="filter")

    def _apply(self, vs: ViewState, generation: int) -> None:
        if generation != self._generation:
            return  # a newer view is on its way
        self.vs = vs
        self._refresh_screen(vs)

    def _refresh_screen(self, vs: ViewState) -> None:
        screen = self.screen
        refresh = getattr(screen, "refresh_data", None)
        if refresh is not None and screen.is_mounted:
            refresh(vs)

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            self.notify(
                f"{event.worker.name} failed: {error!r}"[:300], severity="error", markup=False
            )

    # ---- alerts -------------------------------------------------------------------------------

    @property
    def alerts_engine(self) -> Any:
        engine = self.engine
        return getattr(engine, "alerts", None) if engine is not None else None

    @property
    def alerts_available(self) -> bool:
        return self.alerts_engine is not None

    def alert_rules(self) -> list[Any]:
        alerts = self.alerts_engine
        rules = getattr(alerts, "rules", ()) if alerts is not None else ()
        return list(rules() if callable(rules) else rules)

    def alert_status(self) -> list[Any]:
        """Where each rule stands (`AlertEngine.status()`), or nothing."""
        alerts = self.alerts_engine
        status = getattr(alerts, "status", None) if alerts is not None else None
        try:
            return list(status()) if callable(status) else []
        except Exception:
            return []

    def alert_history(self) -> list[Any]:
        alerts = self.alerts_engine
        history = getattr(alerts, "history", None) if alerts is not None else None
        try:
            return list(history() if callable(history) else history or ())
        except Exception:
            return []

    def _poll_alerts(self) -> None:
        alerts = self.alerts_engine
        active: tuple[Any, ...] = ()
        if alerts is not None:
            try:
                got = alerts.active() if callable(getattr(alerts, "active", None)) else ()
                active = tuple(got)
            except Exception:
                active = ()
        if self.bell_on_alert and _rings(active, self.active_alerts, time.time()):
            self.bell()
        self.active_alerts = active

    # ---- keys ---------------------------------------------------------------------------------

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_alerts(self) -> None:
        if not isinstance(self.screen, AlertsScreen):
            self.push_screen(AlertsScreen())

    def action_cycle_window(self) -> None:
        names = list(self.latest.windows) or list(WINDOWS)
        i = names.index(self.window) if self.window in names else -1
        self.window = names[(i + 1) % len(names)]
        self.render_view()

    def action_cycle_view(self) -> None:
        i = CLASS_VIEWS.index(self.cls_view)
        self.cls_view = CLASS_VIEWS[(i + 1) % len(CLASS_VIEWS)]
        self.render_view()

    def action_pause(self) -> None:
        self.paused = not self.paused
        self._frozen = self.latest if self.paused else None
        if self.paused:
            self._refresh_screen(self._with(self.vs, paused=True))
        else:
            self.render_view()

    def action_mark(self) -> None:
        ts = self.latest.now or self.clock()
        if self.engine is not None and hasattr(self.engine, "set_mark"):
            self.engine.set_mark(ts)
            self.notify(
                "Marked now: status codes and error rates show before/after (M clears)",
                markup=False,
                timeout=4,
            )
        else:
            self.notify("Marks need a live engine.", markup=False, timeout=3)

    def action_clear_mark(self) -> None:
        if self.engine is not None and hasattr(self.engine, "set_mark"):
            self.engine.set_mark(None)
            self.notify("Mark cleared", markup=False, timeout=2)

    def set_filter(self, text: str) -> bool:
        """Apply a `/` filter; False (and a notification) when it cannot be understood."""
        text = text.strip()
        try:
            predicate = parse_filter(text) if text else None
        except FilterError as exc:
            self.notify(str(exc), title="Filter", severity="error", markup=False)
            return False
        self.filter_text = text
        self.predicate = predicate
        self.render_view()
        return True

    @on(KeyedTable.Drill)
    def _drill(self, event: KeyedTable.Drill) -> None:
        event.stop()
        self.push_screen(DrillScreen(event.kind, event.key))


def _shown_window(wanted: str, snapshot: Snapshot) -> str:
    """`wanted` if the snapshot has that window, else the configured window nearest to 5m.

    The config's `windows` need not hold 5m: the dashboard then said "5m" in its header while
    every panel showed the totals since start (Snapshot.window's fallback)."""
    windows = snapshot.windows
    if not windows or wanted in windows:
        return wanted
    return min(windows, key=lambda name: abs(windows[name].seconds - 300))


def run_dashboard(options: Any) -> int:
    """Run the dashboard for the parsed command line (argparse Namespace); the exit status.

    Raises the CLI's UsageError (exit 2, one line) when no log is given and none is found, or
    when there is no terminal to draw on and read keys from.
    """
    from logwatch import cli
    from logwatch.discover import describe_search
    from logwatch.tui.link import EngineLink

    cli.parse_since(options.since)  # a bad value says so first, terminal or not
    # A theme named on the command line that cannot be used is an unusable argument (exit 2);
    # one from the config, LOGWATCH_THEME or a theme directory falls back with a notification.
    wanted = getattr(options, "theme", None)
    problem = theme_problem(wanted) if wanted else None
    if problem:
        raise cli.UsageError(f"--theme: {problem}")
    # Here, not in the CLI: every way to the dashboard (`logwatch`, `logwatch demo`, the demo a
    # fresh machine falls back to) passes this, and nothing (a metrics port) is opened before.
    _require_terminal()
    engine_options = cli.engine_options(options)
    config = cli.load_settings(options)
    notice = getattr(options, "notice", "") or ""
    if not getattr(options, "paths", None) and not getattr(options, "syslog", None):
        notice = describe_search(list(engine_options.paths))
    piped = _keys_from_terminal()
    if piped is not None:
        engine_options = dataclasses.replace(engine_options, stdin=piped)
    app = LogwatchApp(
        EngineLink(engine_options),
        theme=getattr(options, "theme", None) or getattr(config, "theme", None),
        bell=bool(getattr(options, "bell", False) or getattr(config, "bell", False)),
        notice=notice,
    )
    _quit_on_signals(app)
    from logwatch.engine import prepare_worker_processes

    prepare_worker_processes()  # before Textual takes over stderr: see its docstring
    try:
        app.run()
    finally:
        if piped is not None:
            os.dup2(piped, 0)  # standard input as it was
    if engine_options.alerts is not None:
        engine_options.alerts.close()  # hooks of the last alerts, sent (up to 5 s) before exit
    return app.return_code or 0


# An alert that starts this long after its own time was raised by the history read at start,
# not by what is happening now.
_BELL_RECENT = 120.0


def _rings(active: tuple[Any, ...], before: tuple[Any, ...], now: float) -> bool:
    """--bell: an alert is active that was not at the last look (by id, not by count: one
    resolving while another starts must ring), and it fired just now, not in the history."""
    seen = {getattr(a, "id", id(a)) for a in before}
    for alert in active:
        if getattr(alert, "id", id(alert)) in seen:
            continue
        at = getattr(alert, "at", None)
        if not isinstance(at, (int, float)) or now - at < _BELL_RECENT:
            return True
    return False


def _require_terminal() -> None:
    """Textual draws on standard error and reads keys from standard input. With neither a
    terminal (cron, a script, `logwatch demo </dev/null 2>&1 | head`) the dashboard drew unseen
    into the pipe, its input thread spun on end of file at full CPU, and once the pipe's reader
    was gone the UI loop blocked in Textual's writer: not even SIGTERM could quit it."""
    if not (_isatty(sys.stdin) or _isatty(sys.stderr)):
        from logwatch.cli import UsageError

        raise UsageError(
            "the dashboard needs a terminal; for scripts use --headless (JSON Lines) or report"
        )


def _isatty(stream: Any) -> bool:
    try:
        return stream is not None and bool(stream.isatty())
    except (OSError, ValueError):  # closed
        return False


def _keys_from_terminal() -> int | None:
    """Textual reads keys from descriptor 0. When standard input is not the terminal but a pipe
    (`tail -F access.log | logwatch -`), the keys typed never came and the log's bytes were
    read as keys: move the pipe to a descriptor of its own (returned, for `-` to read) and put
    the controlling terminal on 0. None when standard input is the terminal, or there is none."""
    if os.isatty(0):
        return None
    try:
        tty = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return None
    try:
        moved = os.dup(0)
        os.dup2(tty, 0)
    finally:
        os.close(tty)
    return moved


def _quit_on_signals(app: LogwatchApp) -> None:
    """SIGTERM (`kill`) and SIGHUP (the terminal closed) quit like `q`: the engine stops and the
    terminal is restored, instead of dying mid-frame in raw mode with mouse reporting on."""
    import signal

    def handler(signum: int, frame: object) -> None:
        loop = app._loop
        if loop is None or loop.is_closed():
            raise SystemExit(128 + signum)
        loop.call_soon_threadsafe(app.exit)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(ValueError, OSError):  # not the main thread / no such signal
            signal.signal(sig, handler)
