import itertools

import pytest

from logwatch import demo

LINES = [
    b'192.0.2.1 - - [10/Oct/2026:08:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "a"',
    b'192.0.2.2 - - [10/Oct/2026:08:00:10 +0000] "GET /b HTTP/1.1" 500 5 "-" "b"',
    b'192.0.2.3 - - [10/Oct/2026:10:00:20 +0200] "GET /c HTTP/1.1" 404 5 "-" "c"',
    b"no timestamp here",
]


def test_clf_time_round_trip():
    ts, _ = demo.parse_clf_time(LINES[0])
    assert demo.format_clf_time(ts) == b"[10/Oct/2026:08:00:00 +0000]"
    ts2, _ = demo.parse_clf_time(LINES[2])  # +0200 is normalised to UTC
    assert ts2 - ts == 20
    assert demo.parse_clf_time(LINES[3]) is None


def _sample(tmp_path):
    src = tmp_path / "sample.log"
    src.write_bytes(b"\n".join(LINES) + b"\n")
    return demo.load_sample(src)


def test_replay_shifts_lines_to_now_and_loops(tmp_path):
    lines = _sample(tmp_path)
    assert len(lines) == 3
    out = tmp_path / "out" / "access.log"
    now = 1_800_000_000.0
    r = demo.Replayer(lines, out, speed=1.0, start_at=0.0, backfill=0.0, now=now)
    assert r.step(now) == 1  # the first line is due now
    written = out.read_bytes().splitlines()
    assert demo.parse_clf_time(written[0])[0] == now
    assert b'"GET / HTTP/1.1"' in written[0]
    assert r.step(now + 9) == 0
    assert r.step(now + 20) == 2
    # after the end of the sample it starts again, a sample-span later
    assert r.step(now + 21 + 1) == 1
    stamps = [demo.parse_clf_time(x)[0] for x in out.read_bytes().splitlines()]
    assert stamps == sorted(stamps)
    assert stamps[-1] == now + 21


def test_backfill_and_speed(tmp_path):
    lines = _sample(tmp_path)
    out = tmp_path / "access.log"
    now = 1_800_000_000.0
    # start 20 s into the sample at double speed: the two earlier lines are history
    r = demo.Replayer(lines, out, speed=2.0, start_at=20.0, backfill=3600, now=now)
    assert r.step(now) == 3
    stamps = [demo.parse_clf_time(x)[0] for x in out.read_bytes().splitlines()]
    assert stamps == [now - 10, now - 5, now]


def test_background_thread_writes_and_stops(tmp_path):
    lines = _sample(tmp_path)
    out = tmp_path / "access.log"
    r = demo.Replayer(lines, out, speed=1.0, start_at=0.0, backfill=0.0)
    r.start()
    r.stop()
    assert r._thread is not None and not r._thread.is_alive()
    assert r.written >= 1


def test_bundled_sample_is_found_and_replays():
    lines = demo.load_sample(demo.sample_dir() / demo.SAMPLE)
    assert len(lines) > 1000
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(lines))
    assert abs(demo.parse_clf_time(lines[0][1])[0] - lines[0][0]) < 1


@pytest.mark.parametrize("speed", ["inf", "nan", "0", "-1", "1e12"])
def test_a_speed_that_cannot_replay_is_a_usage_error(speed, tmp_path, capsys, monkeypatch):
    # --speed inf made every line due at once: `step` looped for ever, growing its chunk; NaN
    # and negative speeds ran at a silent 0.05x. No replay may start (it would hang the test).
    def no_replay(*args, **kwargs):
        raise AssertionError(f"a replay started at --speed {speed}")

    monkeypatch.setattr(demo, "Replayer", no_replay)
    assert demo.main(["--speed", speed, "--write", str(tmp_path / "w.log")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--speed" in err


def test_the_demo_reads_its_sample_whatever_format_the_config_names(tmp_path, monkeypatch):
    # A config with format = "caddy" (for the user's own logs) made every replayed line of the
    # nginx sample malformed: the demo showed nothing but malformed lines.
    from logwatch import cli
    from logwatch.tui import app as app_module

    cfg = tmp_path / "lw.toml"
    cfg.write_text('format = "caddy"\n')
    monkeypatch.setenv("LOGWATCH_CONFIG_DIR", str(tmp_path / "user"))
    seen = {}

    def fake_dashboard(args):
        seen["format"] = cli.engine_options(args).format
        return 0

    monkeypatch.setattr(app_module, "run_dashboard", fake_dashboard)
    assert demo.main(["--config", str(cfg), "--speed", "1000"]) == 0
    assert seen["format"].name == "combined_extra"
    lines = demo.load_sample(demo.sample_dir() / demo.SAMPLE)
    assert not any(isinstance(seen["format"].parse(raw.decode()), str) for _, raw in lines[:200])


@pytest.fixture
def demo_tmp(tmp_path, monkeypatch):
    """The demo's temporary folders go under tmp_path, to see that none is left behind."""
    import tempfile

    where = tmp_path / "tmp"
    where.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(where))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.chdir(tmp_path)
    return where


def test_the_demo_off_a_terminal_is_exit_2_as_the_dashboard_is(demo_tmp, monkeypatch, capsys):
    """`logwatch demo </dev/null 2>&1 | head` skipped the CLI's terminal check: the dashboard
    started into the pipe and spun, deaf to SIGTERM, its temporary folder left behind."""
    import sys

    from logwatch import cli
    from logwatch.tui import app as app_module

    started = []
    monkeypatch.setattr(app_module.LogwatchApp, "run", lambda self: started.append(self))
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False, raising=False)
    assert cli.main(["demo", "--speed", "1000"]) == 2  # capsys: standard error is no terminal
    assert not started
    assert capsys.readouterr().err == (
        "logwatch: the dashboard needs a terminal; for scripts use --headless (JSON Lines) "
        "or report\n"
    )
    assert list(demo_tmp.iterdir()) == []


def test_the_demo_off_a_terminal_exits_at_once(tmp_path):
    """The QA repro, end to end: standard input /dev/null, output into a pipe."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "TMPDIR": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "logwatch", "demo"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
        env=env,
    )
    try:
        out, _ = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()  # SIGTERM did not stop it
        proc.communicate()
        pytest.fail("logwatch demo without a terminal kept running")
    assert proc.returncode == 2
    assert b"needs a terminal" in out and b"\x1b" not in out  # no escape sequences drawn
    assert list(tmp_path.glob("logwatch-demo-*")) == []


@pytest.mark.parametrize("where", ["replayer", "dashboard"])
def test_the_demo_folder_goes_when_the_demo_fails(where, demo_tmp, monkeypatch):
    # The folder was made before the `try`: a replayer that could not start left it behind.
    from logwatch.tui import app as app_module

    def fail(*args, **kwargs):
        raise OSError("no space left on device")

    if where == "replayer":
        monkeypatch.setattr(demo.Replayer, "start", fail)
    else:
        monkeypatch.setattr(app_module, "run_dashboard", fail)
    with pytest.raises(OSError):
        demo.main(["--speed", "1000"])
    assert list(demo_tmp.iterdir()) == []


def test_a_sigterm_before_the_dashboard_runs_still_removes_the_demo_folder(tmp_path):
    """SIGTERM or SIGHUP while the demo sets up (before the dashboard turns them into a quit)
    ended the process without its `finally`: the temporary folder stayed."""
    import os
    import signal
    import subprocess
    import sys

    script = (
        "import os, signal, sys, time\n"
        "from logwatch import demo\n"
        "from logwatch.tui import app\n"
        "def run_dashboard(args):\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    time.sleep(30)\n"
        "app.run_dashboard = run_dashboard\n"
        "sys.exit(demo.main(['--speed', '1000']))\n"
    )
    env = {**os.environ, "TMPDIR": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, timeout=60, capture_output=True
    )
    assert proc.returncode == 128 + signal.SIGTERM, proc.stderr
    assert list(tmp_path.glob("logwatch-demo-*")) == []
