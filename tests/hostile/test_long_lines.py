"""Lines that never end: a 10 MB line, and a file that is one 256 MiB line of NULs (sparse, so
it costs no disk). Memory stays bounded (the child's peak RSS is far below the line's size), the line
counts as `line too long`, and the line after it is read — by `logwatch report` (reader.py) and
by the Follower in headless mode, including lines appended while following.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hostile_util import clf, env

from logwatch.ingest.reader import read_all
from logwatch.ingest.tail import Follower
from logwatch.pipeline import LINE_TOO_LONG
from logwatch.sanitize import MAX_LINE_BYTES

ENDLESS = 256 << 20
# Half the endless line, yet several times what Python with logwatch loaded needs (~30-60 MB).
RSS_BOUND_KB = 128 * 1024


def endless_file(path: Path, size: int = ENDLESS, after: list[str] | None = None) -> None:
    """`size` NUL bytes with no newline (a sparse hole), then maybe some proper lines."""
    with path.open("wb") as f:
        f.truncate(size)
        f.seek(size)
        if after:
            f.write(("\n" + "\n".join(after) + "\n").encode())


# The child records its own high-water RSS (VmHWM) at exit. Not ru_maxrss from wait4: that counts
# the parent's memory copied at fork, before exec, so a big test runner would inflate it.
_MEASURED = """\
import atexit, os, sys
def _hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            with open(os.environ["LW_HWM_OUT"], "w") as f:
                f.write(line.split()[1])
atexit.register(_hwm)
from logwatch.cli import main
sys.exit(main(sys.argv[1:]))
"""


def popen_measured(args: list[str], tmp_path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _MEASURED, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**env(tmp_path), "LW_HWM_OUT": str(tmp_path / "hwm")},
        cwd=tmp_path,
    )


def reap(proc: subprocess.Popen[str], tmp_path: Path) -> tuple[int, int]:
    """Wait for the child: (exit code, its peak RSS in KiB)."""
    code = proc.wait()
    return code, int((tmp_path / "hwm").read_text())


def test_reader_counts_a_10mb_line_and_reads_on(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    t = 1_790_000_000
    log.write_bytes(
        (clf(t) + "\n").encode()
        + b"x" * (10 << 20)  # 10 MB, then its newline
        + b"\n"
        + (clf(t + 1) + "\n").encode()
        + b"y" * (10 << 20)  # 10 MB with no newline at the end of the file
    )
    batches = list(read_all(str(log)))
    lines = [x for b in batches for x in b.lines]
    assert sum(b.too_long for b in batches) == 2
    assert lines == [clf(t).encode(), clf(t + 1).encode()]
    assert max(len(x) for x in lines) <= MAX_LINE_BYTES


@pytest.mark.parametrize(
    "fmt",
    [[], pytest.param(["--format", "combined"], marks=pytest.mark.slow)],
    ids=["detect", "given"],
)
def test_report_on_an_endless_line_stays_bounded(tmp_path: Path, fmt: list[str]) -> None:
    """Detecting, the head has no whole line (sequential read); given the format, a big file is
    read by parallel workers whose byte ranges start inside the endless line."""
    t = 1_790_000_000
    log = tmp_path / "endless.log"
    endless_file(log, after=[clf(t), clf(t + 1, path="/next")])
    proc = popen_measured(["report", "--json", *fmt, str(log)], tmp_path)
    out = proc.stdout.read()  # type: ignore[union-attr]
    err = proc.stderr.read()  # type: ignore[union-attr]
    code, rss = reap(proc, tmp_path)
    assert code == 0, err
    report = json.loads(out)
    assert report["malformed"]["reasons"] == {LINE_TOO_LONG: 1}
    assert report["parsed"] == 2 and report["lines"] == 3
    assert {p["path"] for p in report["top_paths"]} == {"/", "/next"}
    assert rss < RSS_BOUND_KB, f"peak RSS {rss} KiB while reading a 256 MiB line"
    assert "Traceback" not in err


async def test_follower_cuts_an_endless_line_and_follows_on(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    endless_file(log, size=64 << 20)  # 64 MiB without a newline: read from the start
    follower = Follower([str(log)], from_start=True, max_line_bytes=MAX_LINE_BYTES)
    got: list[bytes] = []
    too_long = 0

    async def consume() -> None:
        nonlocal too_long
        async for batch in follower.batches():
            got.extend(batch.lines)
            too_long += batch.too_long
            # Never more than one line's worth held for the unfinished line.
            for src in follower._sources.values():
                if src.cur is not None:
                    assert len(src.cur.splitter.pending) <= MAX_LINE_BYTES

    import asyncio

    task = asyncio.create_task(consume())
    deadline = time.monotonic() + 60
    while follower.bytes_read < (64 << 20) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert got == [] and too_long == 0  # still inside the line
    with log.open("ab") as f:
        f.write(b"\nnext line\nand another\n")
    while len(got) < 2 and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    follower.stop()
    await asyncio.wait_for(task, 10)
    assert got == [b"next line", b"and another"]
    assert too_long == 1


def test_headless_counts_the_endless_line_and_follows_appends(tmp_path: Path) -> None:
    now = time.time()
    log = tmp_path / "endless.log"
    endless_file(log, after=[clf(now - 5)])
    proc = popen_measured(
        ["--headless", "--interval", "0.2", "--since", "all", "--format", "combined", str(log)],
        tmp_path,
    )
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 90
        obj: dict = {}
        appended = False
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            obj = json.loads(line)
            if obj["parsed"] == 1 and not appended:
                with log.open("a") as f:
                    f.write(clf(time.time(), path="/after") + "\n")
                appended = True
            if obj["parsed"] == 2:
                break
        assert obj.get("parsed") == 2, obj
        assert obj["malformed"]["reasons"] == {LINE_TOO_LONG: 1}
        proc.send_signal(signal.SIGTERM)
        err = proc.stderr.read()  # type: ignore[union-attr]
        rest = proc.stdout.read()
        code, rss = reap(proc, tmp_path)
    finally:
        if proc.returncode is None:
            proc.kill()
            proc.wait()
    assert code == 0, err
    final = json.loads(rest.strip().splitlines()[-1])
    assert final["final"] is True and final["lines"] == 3
    assert rss < RSS_BOUND_KB, f"peak RSS {rss} KiB"
    assert "Traceback" not in err
