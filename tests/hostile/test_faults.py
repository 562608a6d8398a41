"""Faults: unreadable, vanishing and directory inputs; hooks that hang, crash or flood; webhooks
that refuse or stall; stdout on a full disk; SIGINT/SIGTERM/SIGHUP and a reader that goes away.

Each fault gets a clear message and a bounded cost, and nothing else stops: the other sources
keep being read, the pipeline keeps counting, the process exits without a traceback.

Tests run as root in CI, where chmod 000 does not deny a read: permission denial is then
simulated in-process by making `open`/`os.open` raise PermissionError for that one path.
"""

from __future__ import annotations

import asyncio
import builtins
import errno
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile_util import clf, env

from logwatch.alerts import AlertEngine, AlertRule
from logwatch.alerts.hooks import OUTPUT_CAP
from logwatch.cli import main
from logwatch.ingest.formats import get_format
from logwatch.ingest.tail import Follower
from logwatch.pipeline import Pipeline

T0 = 1_790_000_000.0


def write_log(path: Path, n: int, t: float = T0, prefix: str = "/p") -> Path:
    path.write_text("".join(clf(t + i, path=f"{prefix}{i}") + "\n" for i in range(n)))
    return path


@pytest.fixture
def deny(monkeypatch: pytest.MonkeyPatch) -> Iterator[set[str]]:
    """Paths added to the returned set cannot be opened for reading (really, or simulated)."""
    denied: set[str] = set()
    if os.geteuid() != 0:
        yield denied
        for p in denied:
            os.chmod(p, 0o644)
        return
    real_open, real_os_open = builtins.open, os.open

    def fake_open(file, *args, **kw):  # type: ignore[no-untyped-def]
        if isinstance(file, (str, os.PathLike)) and os.fspath(file) in denied:
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(file))
        return real_open(file, *args, **kw)

    def fake_os_open(path, *args, **kw):  # type: ignore[no-untyped-def]
        if os.fspath(path) in denied:
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        return real_os_open(path, *args, **kw)

    monkeypatch.setattr(builtins, "open", fake_open)
    monkeypatch.setattr(os, "open", fake_os_open)
    yield denied


def make_unreadable(path: Path, denied: set[str]) -> None:
    denied.add(str(path))
    if os.geteuid() != 0:
        os.chmod(path, 0)


# --- inputs ---------------------------------------------------------------------------------


def test_report_goes_on_past_unreadable_missing_and_directory_inputs(
    tmp_path: Path, deny: set[str], capsys: pytest.CaptureFixture[str]
) -> None:
    good = write_log(tmp_path / "good.log", 30)
    locked = write_log(tmp_path / "locked.log", 5)
    make_unreadable(locked, deny)
    missing = tmp_path / "gone.log"
    directory = tmp_path / "logs"
    directory.mkdir()
    code = main(["report", "--json", str(locked), str(missing), str(directory), str(good)])
    out, err = capsys.readouterr()
    assert code == 0
    assert json.loads(out)["parsed"] == 30
    lines = err.strip().splitlines()
    assert len(lines) == 3, err
    assert any(str(locked) in ln and "ermission denied" in ln for ln in lines)
    assert any(str(missing) in ln and "No such file" in ln for ln in lines)
    assert any(str(directory) in ln and "directory" in ln for ln in lines)
    assert "Traceback" not in err


async def test_follower_reports_each_bad_source_and_follows_the_good_one(
    tmp_path: Path, deny: set[str]
) -> None:
    good = write_log(tmp_path / "good.log", 3)
    locked = write_log(tmp_path / "locked.log", 3)
    make_unreadable(locked, deny)
    vanishing = write_log(tmp_path / "vanishing.log", 2)
    directory = tmp_path / "dir.log"
    directory.mkdir()
    follower = Follower(
        [str(good), str(locked), str(vanishing), str(directory)],
        from_start=True,
        force_polling=True,
        poll_interval=0.05,
    )
    got: list[bytes] = []

    async def consume() -> None:
        async for batch in follower.batches():
            got.extend(batch.lines)

    task = asyncio.create_task(consume())

    def states() -> dict[str, tuple[str, str]]:
        return {os.path.basename(s.name): (s.state, s.message) for s in follower.states()}

    async def until(cond, what: str) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + 20
        while not cond():
            assert not task.done(), task.exception() if task.done() else ""
            assert time.monotonic() < deadline, f"{what}: {states()} {len(got)} lines"
            await asyncio.sleep(0.02)

    await until(lambda: len(got) == 5, "first lines")
    st = states()
    assert st["locked.log"][0] == "error" and "permission denied" in st["locked.log"][1]
    assert st["dir.log"][0] == "error" and "directory" in st["dir.log"][1]
    vanishing.unlink()
    await until(lambda: states()["vanishing.log"][0] == "missing", "vanished")
    with good.open("a") as f:
        f.write(clf(T0 + 100, path="/later") + "\n")
    await until(lambda: len(got) == 6, "the good source goes on")
    assert b"/later" in got[-1]
    follower.stop()
    await asyncio.wait_for(task, 10)


def test_headless_names_bad_sources_and_counts_the_good_one(tmp_path: Path) -> None:
    now = time.time()
    good = write_log(tmp_path / "good.log", 10, t=now - 20)
    vanishing = write_log(tmp_path / "vanishing.log", 4, t=now - 20)
    (tmp_path / "adir.log").mkdir()
    args = ["--headless", "--interval", "0.2", "--since", "all", "--format", "combined"]
    paths = [str(good), str(vanishing), str(tmp_path / "adir.log"), str(tmp_path / "none.log")]
    proc = subprocess.Popen(
        [sys.executable, "-m", "logwatch", *args, *paths],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env(tmp_path),
        cwd=tmp_path,
    )
    try:
        assert proc.stdout is not None
        obj: dict = {}
        deleted = appended = False
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            obj = json.loads(proc.stdout.readline() or "{}")
            if obj.get("parsed") == 14 and not deleted:
                vanishing.unlink()
                deleted = True
            states = {os.path.basename(s["name"]): s for s in obj.get("sources", ())}
            if deleted and states["vanishing.log"]["state"] == "missing" and not appended:
                with good.open("a") as f:
                    f.write(clf(time.time(), path="/after") + "\n")
                appended = True
            if obj.get("parsed") == 15:
                break
        assert obj.get("parsed") == 15, obj
        assert states["adir.log"]["state"] == "error"
        assert "directory" in states["adir.log"]["message"]
        assert states["none.log"]["state"] == "missing"
        assert states["good.log"]["state"] == "following"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0 and "Traceback" not in err


# --- hooks ----------------------------------------------------------------------------------

HANG = "import time\ntime.sleep(600)\n"
CRASH = "import os, signal, sys\nsys.stdin.read()\nos.kill(os.getpid(), signal.SIGSEGV)\n"
FLOOD = (
    "import sys\nsys.stdin.read()\nchunk = b'x' * 65536\n"
    "for _ in range(160):\n    sys.stdout.buffer.write(chunk)\n    sys.stderr.buffer.write(chunk)\n"
)


def script(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text(f"#!{sys.executable}\n{body}")
    path.chmod(0o755)
    return str(path)


class StallServer:
    """Accepts connections and never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)

    def close(self) -> None:
        self.sock.close()
        for c in self.conns:
            c.close()


def refused_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now: connections are refused
    return port


def test_bad_hooks_are_reported_bounded_and_stop_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    stall = StallServer()
    hang, crash, flood = (
        script(tmp_path, n, b) for n, b in [("hang", HANG), ("crash", CRASH), ("flood", FLOOD)]
    )
    rules = [
        AlertRule("hangs", "requests_per_s", above=0.0, exec=(hang,), timeout=1.0),
        AlertRule("crashes", "requests_per_s", above=0.0, exec=(crash,), timeout=20),
        AlertRule("floods", "requests_per_s", above=0.0, exec=(flood,), timeout=20),
        AlertRule(
            "refused", "requests_per_s", above=0.0, webhook=f"http://127.0.0.1:{refused_port()}/x"
        ),
        AlertRule(
            "stalls",
            "requests_per_s",
            above=0.0,
            webhook=f"http://127.0.0.1:{stall.port}/x",
            timeout=1.0,
        ),
    ]
    from logwatch.alerts.hooks import HookRunner

    runner = HookRunner(workers=5, retries=1, backoff=0.01)
    alerts = AlertEngine(rules, hooks=runner)
    pipeline = Pipeline(get_format("combined"))
    pipeline.feed([clf(T0 + i / 10).encode() for i in range(100)])
    try:
        events = alerts.evaluate(pipeline.snapshot())
        assert len(events) == len(rules)
        # evaluate handed the hooks off: the hanging one cannot have finished yet, and counting
        # goes on meanwhile.
        assert not any(r.target == hang for r in runner.results)
        pipeline.feed([clf(T0 + 10 + i / 10).encode() for i in range(100)])
        assert pipeline.aggregator.parsed == 200
        assert runner.wait(60), "a hook was never bounded"
    finally:
        stall.close()
    by_rule = {e.rule: e.hooks[0] for e in events}
    assert not by_rule["hangs"].ok and "timed out" in by_rule["hangs"].error.lower()
    assert not by_rule["crashes"].ok and by_rule["crashes"].status != 0
    flood_res = by_rule["floods"]
    assert flood_res.ok and flood_res.output_bytes >= 20 * 1024 * 1024
    assert len(flood_res.output.encode()) <= OUTPUT_CAP and flood_res.truncated
    assert not by_rule["refused"].ok and by_rule["refused"].error
    assert not by_rule["stalls"].ok and by_rule["stalls"].error
    for res in by_rule.values():
        assert res.summary()  # each one says what happened, in one line
        assert "\n" not in res.summary()


# --- output and signals ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["report"], marks=pytest.mark.slow),
        ["report", "--json"],
        pytest.param(["explain"], marks=pytest.mark.slow),
        ["--headless", "--interval", "0.1", "--since", "all"],
    ],
    ids=["report", "report-json", "explain", "headless"],
)
def test_a_full_disk_for_stdout_is_one_clear_line(tmp_path: Path, args: list[str]) -> None:
    log = write_log(tmp_path / "a.log", 50, t=time.time() - 30)
    tail = [] if args == ["explain"] else [str(log)]
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "logwatch", *args, *tail],
            stdout=full,
            stderr=subprocess.PIPE,
            stdin=log.open("rb") if args == ["explain"] else subprocess.DEVNULL,
            text=True,
            timeout=60,
            env=env(tmp_path),
            cwd=tmp_path,
        )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr
    assert proc.stderr.strip().splitlines() == ["logwatch: writing output: No space left on device"]


@pytest.mark.parametrize(
    "sig",
    [
        pytest.param(signal.SIGINT, marks=pytest.mark.slow),
        pytest.param(signal.SIGTERM, marks=pytest.mark.slow),  # also in tests/core
        signal.SIGHUP,  # the terminal closed
    ],
    ids=lambda s: s.name,
)
def test_headless_signals_end_with_a_final_object(tmp_path: Path, sig: signal.Signals) -> None:
    log = write_log(tmp_path / "a.log", 20, t=time.time() - 30)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "logwatch",
            "--headless",
            "--interval",
            "0.2",
            "--since",
            "all",
            str(log),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env(tmp_path),
        cwd=tmp_path,
    )
    try:
        assert proc.stdout is not None
        first = json.loads(proc.stdout.readline())
        assert first["lines"] == 20
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    final = json.loads(out.strip().splitlines()[-1])
    assert final["final"] is True and final["lines"] == 20
    assert "Traceback" not in err


def test_headless_ends_quietly_when_its_reader_goes_away(tmp_path: Path) -> None:
    """A closed terminal or pipe: the next write fails with EPIPE, and headless exits 0."""
    log = write_log(tmp_path / "a.log", 20, t=time.time() - 30)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "logwatch",
            "--headless",
            "--interval",
            "0.1",
            "--since",
            "all",
            str(log),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env(tmp_path),
        cwd=tmp_path,
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.readline()
        proc.stdout.close()  # the reader goes away
        code = proc.wait(timeout=30)
        err = proc.stderr.read().decode()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 0 and err == ""


@pytest.mark.slow
def test_report_interrupted_exits_without_a_traceback(tmp_path: Path) -> None:
    """SIGINT (Ctrl-C) while `logwatch report` reads stdin that never ends."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "logwatch", "report", "--format", "combined", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env(tmp_path),
        cwd=tmp_path,
    )
    try:
        assert proc.stdin is not None
        proc.stdin.write((clf(T0) + "\n").encode() * 1000)
        proc.stdin.flush()
        time.sleep(1.0)  # let it start reading (not a speed assertion: any moment would do)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    assert b"Traceback" not in err


# --- the dashboard in a terminal ------------------------------------------------------------


def _dashboard_in_a_pty(tmp_path: Path) -> tuple[subprocess.Popen[bytes], int, Path]:
    """The real dashboard on a pseudo-terminal it controls; its screen output (Textual writes to
    stderr) goes to a file we can read."""
    import fcntl
    import pty
    import struct
    import termios

    log = write_log(tmp_path / "a.log", 20, t=time.time() - 30)
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    screen = tmp_path / "screen.out"
    with screen.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "logwatch", "--since", "all", str(log)],
            stdin=slave,
            stdout=slave,
            stderr=out,
            env={**env(tmp_path), "TERM": "xterm-256color"},
            cwd=tmp_path,
            start_new_session=True,
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
        )
    os.close(slave)
    deadline = time.monotonic() + 60
    while b"p95" not in screen.read_bytes():  # the summary strip has been drawn
        assert proc.poll() is None and time.monotonic() < deadline, screen.read_bytes()[-300:]
        time.sleep(0.1)
    return proc, master, screen


@pytest.mark.parametrize(
    "how",
    [
        "terminal-closed",
        pytest.param("SIGTERM", marks=pytest.mark.slow),
        pytest.param("SIGHUP", marks=pytest.mark.slow),
        pytest.param("SIGINT", marks=pytest.mark.slow),
    ],
)
def test_dashboard_exits_cleanly_and_restores_the_terminal(tmp_path: Path, how: str) -> None:
    proc, master, screen = _dashboard_in_a_pty(tmp_path)
    try:
        if how == "terminal-closed":
            os.close(master)  # the kernel hangs up the session: SIGHUP, then EIO on the tty
        else:
            proc.send_signal(getattr(signal, how))
        code = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        if how != "terminal-closed":
            os.close(master)
    out = screen.read_bytes()
    assert code == 0, out[-500:]
    assert b"Traceback" not in out
    # Textual's shutdown ran: alternate screen left, mouse reporting off, cursor shown.
    assert b"\x1b[?1049l" in out[-400:] and b"\x1b[?1000l" in out[-400:]
