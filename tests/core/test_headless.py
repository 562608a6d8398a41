"""Headless mode end to end: a real file, a real process, JSON Lines, appends, SIGTERM."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

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


def follow_headless(log: Path, tmp_path: Path, *options: str) -> subprocess.Popen[str]:
    """`logwatch --headless` following `log`, an object every 0.3 s; config from `tmp_path`."""
    return subprocess.Popen(
        [sys.executable, "-m", "logwatch", "--headless", "--interval", "0.3", *options, str(log)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(SRC), "LOGWATCH_CONFIG_DIR": str(tmp_path)},
        cwd=tmp_path,
    )


def final_object(proc: subprocess.Popen[str]) -> dict[str, Any]:
    """SIGTERM `proc` (`logwatch --headless`): the final object it prints, after a clean exit."""
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0 and "Traceback" not in err, err
    return json.loads(out.strip().splitlines()[-1])


def test_headless_follows_appends_and_prints_a_final_object_on_sigterm(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    now = time.time()
    log.write_text("".join(clf(now - 30 + i / 10, i) for i in range(200)))
    proc = follow_headless(log, tmp_path)
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
        final = final_object(proc)
        assert final["final"] is True and final["lines"] == 251
    finally:
        if proc.poll() is None:
            proc.kill()


def test_headless_counts_a_settled_unterminated_last_line_on_sigterm(tmp_path: Path) -> None:
    """A last line the writer left without its newline was dropped at SIGTERM, where `report`
    counts it at the file's end. Quiet for a second (SETTLED_SECONDS), it is counted."""
    log = tmp_path / "access.log"
    now = time.time()
    log.write_text("".join(clf(now - 30 + i / 10, i) for i in range(20)))
    proc = follow_headless(log, tmp_path)
    try:
        read_objects(proc, lambda o: o["parsed"] == 20)
        with log.open("a") as f:
            f.write(clf(time.time(), 7, 404).rstrip("\n"))
        read_objects(proc, lambda o: o["sources"][0]["lag_bytes"] == 0)
        time.sleep(1.5)  # longer than SETTLED_SECONDS since it was read
        final = final_object(proc)
        assert final["final"] is True
        assert (final["lines"], final["parsed"], final["status"]["4xx"]) == (21, 21, 1)
        assert final["sources"][0]["lines"] == 21
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_stop_keeps_an_old_logs_windows_on_its_own_time(tmp_path: Path) -> None:
    """An old log whose last line has no newline: that line, counted at the stop, is the
    history's. Counted as a line written live, it put the final object on the wall clock:
    `live` turned true and every window emptied."""
    log = tmp_path / "access.log"
    old = time.time() - 3 * 86400
    log.write_text("".join(clf(old + i, i) for i in range(50)).rstrip("\n"))
    proc = follow_headless(log, tmp_path, "--since", "7d")
    try:
        before = read_objects(proc, lambda o: o["parsed"] == 49)[-1]
        assert before["live"] is False and before["windows"]["1h"]["requests"] == 49
        time.sleep(1.5)  # longer than SETTLED_SECONDS
        final = final_object(proc)
        assert (final["final"], final["parsed"], final["live"]) == (True, 50, False)
        assert final["windows"]["1h"]["requests"] == 50
    finally:
        if proc.poll() is None:
            proc.kill()


def headless_on_a_pipe(tmp_path: Path, r: int) -> subprocess.Popen[str]:
    """`logwatch --headless -` reading the pipe `r` (the caller keeps its own end open)."""
    return subprocess.Popen(
        [sys.executable, "-m", "logwatch", "--headless", "--interval", "0.3", "-"],
        stdin=r,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(SRC), "LOGWATCH_CONFIG_DIR": str(tmp_path)},
        cwd=tmp_path,
    )


def test_headless_counts_standard_input_s_settled_unterminated_last_line(tmp_path: Path) -> None:
    """A piped log's last line without its newline, nothing more coming: counted at SIGTERM
    as a file's settled last line is. It was dropped."""
    r, w = os.pipe()
    proc = headless_on_a_pipe(tmp_path, r)
    try:
        now = time.time()
        os.write(w, "".join(clf(now - 30 + i / 10, i) for i in range(20)).encode())
        read_objects(proc, lambda o: o["parsed"] == 20)
        os.write(w, clf(time.time(), 7, 404).rstrip("\n").encode())
        time.sleep(1.5)  # longer than SETTLED_SECONDS since it was read
        final = final_object(proc)
        assert final["final"] is True
        assert (final["lines"], final["parsed"], final["status"]["4xx"]) == (21, 21, 1)
        assert final["sources"][0]["lines"] == 21
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(r)
        os.close(w)


def test_headless_counts_every_line_it_read_from_standard_input_on_sigterm(tmp_path: Path) -> None:
    """A SIGTERM while a piped backlog is read: the chunks read from the pipe ahead of the
    counting were dropped, their lines in no object. Every line that left the pipe whole is in
    the final object; the rest is still in the pipe."""
    now = time.time()
    n = 150_000
    total = "".join(clf(now - 60 + i / n, i) for i in range(n)).encode()  # ~25 MB
    r, w = os.pipe()
    proc = headless_on_a_pipe(tmp_path, r)

    def write_all() -> None:
        with contextlib.suppress(OSError), open(w, "wb", closefd=True) as pipe:
            pipe.write(total)

    writer = threading.Thread(target=write_all, daemon=True)
    writer.start()
    try:
        read_objects(proc, lambda o: o["lines"] > 0)  # reading, far from the end
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
        assert proc.returncode == 0, err
        final = json.loads(out.strip().splitlines()[-1])
        unread = b""
        while chunk := os.read(r, 1 << 20):  # what never left the pipe, up to the writer's end
            unread += chunk
        assert unread, "the whole log was read before the stop: nothing was tested"
        whole = n - unread.count(b"\n")
        assert final["final"] is True
        assert (final["lines"], final["sources"][0]["lines"]) == (whole, whole)
    finally:
        if proc.poll() is None:
            proc.kill()
        writer.join(10)
        os.close(r)


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


def test_headless_refuses_compressed_standard_input_saying_how_to_read_it(tmp_path: Path) -> None:
    """It read gzip bytes as lines and stopped on "no known access-log format", quoting them."""
    import gzip

    text = "".join(clf(time.time() - 60 + i, i) for i in range(50)).encode()
    proc = subprocess.run(
        [sys.executable, "-m", "logwatch", "--headless", "-"],
        input=gzip.compress(text),
        capture_output=True,
        timeout=20,
        env={**os.environ, "PYTHONPATH": str(SRC), "LOGWATCH_CONFIG_DIR": str(tmp_path)},
        cwd=tmp_path,
    )
    err = proc.stderr.decode()
    assert proc.returncode == 2 and err.count("\n") == 1, err
    assert "standard input is gzip-compressed" in err and "zcat FILE | logwatch -" in err


def test_headless_sends_the_hooks_of_the_last_lines_before_it_exits(tmp_path: Path) -> None:
    """A piped log that ends with an error spike fires the alert at its last snapshot; the
    webhook must still be sent before the process exits (hooks run on daemon threads)."""
    got: list[bytes] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            got.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    (tmp_path / "logwatch.toml").write_text(
        "default_alerts = false\n[[alerts]]\n"
        'name = "errors"\nmetric = "5xx_rate"\nabove = 0.05\n'
        f'webhook = "http://127.0.0.1:{server.server_address[1]}/hook"\n'
    )
    now = time.time()
    lines = "".join(clf(now - 30 + i / 10, i, 500 if i >= 100 else 200) for i in range(200))
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "logwatch", "--headless", "--interval", "0.3", "-"],
            input=lines,
            capture_output=True,
            text=True,
            timeout=30,
            env={
                **{k: v for k, v in os.environ.items() if "proxy" not in k.lower()},
                "PYTHONPATH": str(SRC),
                "LOGWATCH_CONFIG_DIR": str(tmp_path),
            },
            cwd=tmp_path,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert proc.returncode == 0, proc.stderr
    events = [e for line in proc.stdout.splitlines() for e in json.loads(line)["alerts"]["events"]]
    assert [e["state"] for e in events] == ["firing"]
    assert len(got) == 1 and json.loads(got[0])["rule"] == "errors"


def test_headless_reports_the_hooks_that_finished_a_resolve_s_failure_too(tmp_path: Path) -> None:
    """A hook that fails is reported: its result comes in the next object's `alerts.hooks`
    with its alert's id and state, a resolve's too (no active alert is left to carry it)."""
    (tmp_path / "logwatch.toml").write_text(
        "default_alerts = false\n[[alerts]]\n"
        'name = "errors"\nmetric = "5xx_rate"\nabove = 0.05\nmin_requests = 5\n'
        'clear_for = "0s"\nexec = ["/bin/sh", "-c", "echo no pager here; exit 3"]\n'
    )
    log = tmp_path / "access.log"
    log.write_text("".join(clf(time.time() - 20 + i / 10, i) for i in range(20)))
    proc = follow_headless(log, tmp_path)
    hooks: list[dict] = []
    try:
        read_objects(proc, lambda o: o["parsed"] == 20)
        with log.open("a") as f:
            f.write("".join(clf(time.time(), i, 500) for i in range(30)))

        def seen(o: dict) -> bool:
            hooks.extend(o["alerts"]["hooks"])
            return any(h["state"] == "firing" for h in hooks)

        read_objects(proc, seen)
        with log.open("a") as f:
            f.write("".join(clf(time.time(), i) for i in range(2000)))

        def resolved(o: dict) -> bool:
            hooks.extend(o["alerts"]["hooks"])
            return any(h["state"] == "resolved" for h in hooks)

        read_objects(proc, resolved)
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert [(h["rule"], h["state"], h["ok"], h["status"]) for h in hooks] == [
        ("errors", "firing", False, 3),
        ("errors", "resolved", False, 3),
    ]
    assert hooks[1]["error"] == "exit 3" and hooks[1]["output"] == "no pager here\n"
    assert hooks[0]["id"] != hooks[1]["id"]


def test_report_and_headless_name_sources_alike(tmp_path: Path) -> None:
    """`by_source` named a file as given in `report` (`k1/a.log`) and by its absolute path in
    `--headless` (the follower's name, and so the Prometheus `source` label): the two could not
    be compared. Both use the absolute path now, and headless's `sources[].name` matches."""
    folder = tmp_path / "k1"
    folder.mkdir()
    now = time.time()
    for name, n in (("a.log", 12), ("b.log", 7)):
        (folder / name).write_text("".join(clf(now - 60 + i, i) for i in range(n)))
    expected = {str(folder / "a.log"): 12, str(folder / "b.log"): 7}
    env = {**os.environ, "PYTHONPATH": str(SRC), "LOGWATCH_CONFIG_DIR": str(tmp_path)}
    report = subprocess.run(
        [sys.executable, "-m", "logwatch", "report", "--json", "k1/a.log", "./k1/b.log"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert report.returncode == 0, report.stderr
    split = json.loads(report.stdout)["by_source"]
    assert {name: row["requests"] for name, row in split.items()} == expected
    proc = subprocess.Popen(
        [sys.executable, "-m", "logwatch", "--headless", "--interval", "0.3", "k1/a.log", "k1/b*"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        obj = read_objects(proc, lambda o: o["parsed"] == 19)[-1]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)
    assert {name: row["requests"] for name, row in obj["by_source"].items()} == expected
    assert {s["name"] for s in obj["sources"]} == set(expected)


def test_a_quoted_glob_reads_rotated_files_as_report_does(tmp_path: Path) -> None:
    """`report --since 30m 'rot/access.log*'` read access.log.1's last half hour, `--headless`
    left the file out (961 lines against 647)."""
    rot = tmp_path / "rot"
    rot.mkdir()
    now = time.time()
    (rot / "access.log.1").write_text("".join(clf(now - 2400 + 10 * i, i) for i in range(200)))
    (rot / "access.log").write_text("".join(clf(now - 400 + i, i) for i in range(300)))
    env = {**os.environ, "PYTHONPATH": str(SRC), "LOGWATCH_CONFIG_DIR": str(tmp_path)}
    args = ["--since", "30m", "rot/access.log*"]
    report = subprocess.run(
        [sys.executable, "-m", "logwatch", "report", "--json", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert report.returncode == 0, report.stderr
    expected = json.loads(report.stdout)["lines"]
    assert 300 + 60 < expected < 500  # access.log and the last half hour of access.log.1
    proc = subprocess.Popen(
        [sys.executable, "-m", "logwatch", "--headless", "--interval", "0.3", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        obj = read_objects(proc, lambda o: o["lines"] >= expected and o["history_done"])[-1]
        time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=10)
    final = json.loads(out.strip().splitlines()[-1])
    assert final["lines"] == obj["lines"] == expected
    rotated = next(s for s in final["sources"] if s["name"].endswith("access.log.1"))
    assert rotated["lines"] == expected - 300


def test_since_applies_to_standard_input_as_in_report(tmp_path: Path) -> None:
    """`cat a.log | logwatch --headless --since 5m -` counted every line where `report --since
    5m -` counted the last 5 minutes'."""
    now = time.time()
    log = tmp_path / "a.log"
    log.write_text("".join(clf(now - 1200 + 4 * i, i) for i in range(300)))
    env = {**os.environ, "PYTHONPATH": str(SRC), "LOGWATCH_CONFIG_DIR": str(tmp_path)}
    runs = {}
    for mode in (["report", "--json"], ["--headless", "--interval", "0.3"]):
        with log.open("rb") as stdin:
            done = subprocess.run(
                [sys.executable, "-m", "logwatch", *mode, "--since", "5m", "-"],
                stdin=stdin,
                capture_output=True,
                text=True,
                env=env,
                cwd=tmp_path,
                timeout=60,
            )
        assert done.returncode == 0, done.stderr
        runs[mode[0]] = json.loads(done.stdout.strip().splitlines()[-1])
    assert 70 <= runs["report"]["lines"] <= 76  # the last 5 minutes of 20, a line every 4 s
    assert runs["--headless"]["lines"] == runs["report"]["lines"]
    assert runs["--headless"]["final"] is True
