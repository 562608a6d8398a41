"""run_dashboard: the CLI's arguments become an app on a live engine link (without a terminal)."""

from __future__ import annotations

import sys

import pytest

from logwatch import cli
from logwatch.tui import app as app_module
from logwatch.tui.link import EngineLink


@pytest.fixture
def in_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """run_dashboard refuses to start off a terminal (pytest captures standard error)."""
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)


def test_run_dashboard_wires_engine_theme_and_notice(tmp_path, monkeypatch, in_a_terminal):
    log = tmp_path / "access.log"
    log.write_text('192.0.2.1 - - [10/Oct/2026:08:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "a"\n')
    monkeypatch.chdir(tmp_path)  # no ./logwatch.toml of a developer's
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    seen = {}

    def fake_run(self):
        seen["app"] = self

    monkeypatch.setattr(app_module.LogwatchApp, "run", fake_run)
    args = cli.build_main_parser().parse_args([str(log), "--theme", "light", "--bell"])
    assert app_module.run_dashboard(args) == 0
    app = seen["app"]
    assert isinstance(app.engine, EngineLink)
    assert list(app.engine.options.paths) == [str(log)]
    assert app.theme == "logwatch-light"
    assert app.bell_on_alert
    assert app.engine.alerts is not None  # the default alert rules are on


def test_run_dashboard_without_logs_says_what_to_pass(monkeypatch, tmp_path, in_a_terminal):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setattr("logwatch.discover.find_default_logs", lambda *a, **k: [])
    args = cli.build_main_parser().parse_args([])
    with pytest.raises(cli.UsageError) as err:
        app_module.run_dashboard(args)
    assert "logwatch demo" in str(err.value)


def test_run_dashboard_reports_what_it_found(monkeypatch, tmp_path, in_a_terminal):
    log = tmp_path / "access.log"
    log.write_text('192.0.2.1 - - [10/Oct/2026:08:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "a"\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setattr("logwatch.discover.find_default_logs", lambda *a, **k: [str(log)])
    seen = {}
    monkeypatch.setattr(app_module.LogwatchApp, "run", lambda self: seen.setdefault("app", self))
    assert app_module.run_dashboard(cli.build_main_parser().parse_args([])) == 0
    assert str(log) in seen["app"].notice


@pytest.mark.parametrize(
    ("theme", "reason"),
    [
        ("{tmp}/missing.toml", "No such file"),
        ("{tmp}/bad.toml", "is not a colour"),
        ("nosuch", "unknown theme 'nosuch'"),
        # a traceback (UnicodeDecodeError) before the dashboard started
        ("{tmp}/latin1.toml", "not UTF-8"),
        # Textual's int(nan) when the theme was applied: a traceback out of the dashboard
        ("{tmp}/nan.toml", "luminosity_spread must be a number from 0 to 1"),
        ("{tmp}/huge.toml", "luminosity_spread must be a number from 0 to 1"),
        # Textual's StylesheetParseError when the theme was applied
        ("{tmp}/var.toml", "footer-key-foreground = 'notacolour' is not a color value"),
    ],
)
def test_a_theme_that_cannot_be_used_is_exit_2(tmp_path, monkeypatch, capsys, theme, reason):
    # --theme names the theme on the command line: like any unusable argument, exit 2 with one
    # line, before the terminal is taken over.
    log = tmp_path / "access.log"
    log.write_text('192.0.2.1 - - [10/Oct/2026:08:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "a"\n')
    (tmp_path / "bad.toml").write_text('name = "bad"\nprimary = "not-a-colour"\n')
    (tmp_path / "latin1.toml").write_bytes(b'name = "caf\xe9"\nprimary = "#ffffff"\n')
    (tmp_path / "nan.toml").write_text('name = "n"\nprimary = "#ffffff"\nluminosity_spread = nan\n')
    (tmp_path / "huge.toml").write_text(
        'name = "h"\nprimary = "#ffffff"\nluminosity_spread = 1e308\n'
    )
    (tmp_path / "var.toml").write_text(
        'name = "v"\nprimary = "#ffffff"\n[variables]\n"footer-key-foreground" = "notacolour"\n'
        '"block-cursor-background" = "#3a5f7a 50%"\n"block-cursor-text-style" = "bold"\n'
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    started = []
    monkeypatch.setattr(app_module.LogwatchApp, "run", lambda self: started.append(self))
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)  # in a terminal
    assert cli.main([str(log), "--theme", theme.format(tmp=tmp_path)]) == 2
    assert not started
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    assert err.startswith("logwatch: --theme: ") and reason in err


def test_a_theme_file_with_a_byte_order_mark_is_usable(tmp_path):
    from logwatch.tui.themes import load_theme_file, theme_problem

    path = tmp_path / "bom.toml"
    path.write_bytes(b'\xef\xbb\xbfname = "bom"\nprimary = "#ffffff"\n')
    assert theme_problem(str(path)) is None
    assert load_theme_file(path).name == "bom"


def test_keys_reach_the_dashboard_while_it_reads_standard_input(tmp_path):
    """README: `ssh web1 tail -F access.log | logwatch -`. Textual reads keys from standard
    input, the log pipe: `q` typed at the terminal never arrived (and the log's bytes were read
    as keys). The pipe now goes to the log reader and the keys come from the terminal."""
    import fcntl
    import os
    import pty
    import select
    import subprocess
    import termios
    import time

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, b"\x18\x00\x50\x00\x00\x00\x00\x00")  # 24x80

    def controlling_terminal() -> None:
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)

    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "cfg"), "TERM": "xterm-256color"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "logwatch", "--since", "all", "-"],
        stdin=subprocess.PIPE,
        stdout=slave,
        stderr=slave,
        cwd=tmp_path,
        env=env,
        preexec_fn=controlling_terminal,
    )
    os.close(slave)
    screen = b""

    def read_for(seconds: float) -> None:
        nonlocal screen
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if select.select([master], [], [], 0.1)[0]:
                try:
                    screen += os.read(master, 65536)
                except OSError:
                    return

    try:
        assert proc.stdin is not None
        # No `q` in these lines: read as keys, one would quit the dashboard.
        now = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime())
        agent = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"
        for i in range(20):
            line = f'192.0.2.{i} - - [{now}] "GET /from-the-pipe HTTP/1.1" 200 5 "-" "{agent}"\n'
            proc.stdin.write(line.encode())
        proc.stdin.flush()  # and kept open, as `tail -F` keeps it
        read_for(4.0)
        assert b"/from-the-pipe" in screen  # the log reader has the pipe
        os.write(master, b"q")
        deadline = time.monotonic() + 10
        while proc.poll() is None and time.monotonic() < deadline:
            read_for(0.2)
        assert proc.returncode == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)


def test_run_dashboard_itself_refuses_to_start_off_a_terminal(tmp_path, monkeypatch, capsys):
    """The check lives in run_dashboard, so `logwatch demo` (which reached the dashboard past
    the CLI's own check) cannot skip it: no app is made, nothing is drawn."""
    log = tmp_path / "access.log"
    log.write_text("")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False, raising=False)
    started = []
    monkeypatch.setattr(app_module.LogwatchApp, "run", lambda self: started.append(self))
    with pytest.raises(cli.UsageError, match=r"needs a terminal.*--headless"):
        app_module.run_dashboard(cli.build_main_parser().parse_args([str(log)]))
    assert not started
