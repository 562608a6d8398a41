"""Headless mode end to end: a real file, a real process, JSON Lines, appends, SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

SRC = Path(__file__).parents[2] / "src"


def clf(ts: float, i: int, status: int = 200) -> str:
    stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(ts))
    return (
        f'198.51.100.{i % 200} - - [{stamp}] "GET /p{i % 5} HTTP/1.1" {status} 10 "-" '
        f'"Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"\n'
    )


def read_objects(proc: subprocess.Popen[str], until, timeout: float = 20.0) -> list[dict]:
    assert proc.stdout is not None
    objs: list[dict] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        objs.append(json.loads(line))
        if until(objs[-1]):
            return objs
    raise AssertionError(f"condition not met; last object: {objs[-1] if objs else None}")


def test_headless_follows_appends_and_prints_a_final_object_on_sigterm(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    now = time.time()
    log.write_text("".join(clf(now - 30 + i / 10, i) for i in range(200)))
    proc = subprocess.Popen(
        [sys.executable, "-m", "logwatch", "--headless", "--interval", "0.3", str(log)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(SRC), "LOGWATCH_CONFIG_DIR": str(tmp_path)},
        cwd=tmp_path,
    )
    try:
        first = read_objects(proc, lambda o: o["parsed"] == 200)[-1]
        assert first["format"] == "combined"
        assert first["lines"] == first["parsed"] + first["malformed"]["count"]
        assert first["windows"]["1m"]["requests"] == 200
        assert first["sources"][0]["state"] in ("following", "reading")
        with log.open("a") as f:
            f.write("".join(clf(time.time(), i, 503) for i in range(50)))
            f.write("not a request\n")
        later = read_objects(proc, lambda o: o["lines"] == 251)[-1]
        assert later["status"]["5xx"] == 50 and later["malformed"]["count"] == 1
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
        assert proc.returncode == 0, err
        final = json.loads(out.strip().splitlines()[-1])
        assert final["final"] is True and final["lines"] == 251
        assert "Traceback" not in err
    finally:
        if proc.poll() is None:
            proc.kill()


def test_headless_exits_2_on_an_unknown_format(tmp_path: Path) -> None:
    log = tmp_path / "weird.log"
    log.write_text("alpha beta\n" * 20)
    proc = subprocess.run(
        [sys.executable, "-m", "logwatch", "--headless", str(log)],
        capture_output=True,
        text=True,
        timeout=20,
        env={**os.environ, "PYTHONPATH": str(SRC), "LOGWATCH_CONFIG_DIR": str(tmp_path)},
        cwd=tmp_path,
    )
    assert proc.returncode == 2 and "alpha beta" in proc.stderr and "--format" in proc.stderr
