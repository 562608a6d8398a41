"""Markup and escapes in every field reach every core output literally (or escaped), never raw.

Surfaces: the text report, the JSON report, headless JSON Lines, a hook's stdin and environment
(end to end: log lines → pipeline → alert engine → a real hook program), and `logwatch explain`.
Each test asserts both halves: no raw control/bidi character anywhere in the output,
and the markup text is still there to read, as text.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hostile_util import assert_inert, clf, env, hostile_lines, run_logwatch

from logwatch.alerts import AlertEngine, AlertRule
from logwatch.cli import main
from logwatch.ingest.formats import get_format
from logwatch.pipeline import Pipeline

T0 = 1_790_000_000.0

# JSON logs carry escapes as \u001b: they decode into real control characters inside the parser.
JSON_LINES = [
    json.dumps(
        {
            "time_iso8601": "2026-09-22T01:46:40+00:00",
            "remote_addr": "192.0.2.9\u202e",
            "request": f"GET /j{i}/{bad.replace(' ', '')} HTTP/1.1",
            "status": 404,
            "body_bytes_sent": 1,
            "http_referer": f"http://r.example/{bad}",
            "http_user_agent": f"agent {bad}",
        },
        ensure_ascii=True,
    ).encode()
    for i, bad in enumerate(("\x1b]0;t\x07", "\x9b2J", "\u202eabc", "[@click=app.quit]"))
]
MALFORMED = b"\x1b]52;c;ZXZpbA==\x07 not a request [@click=app.quit] \xc2\x9b31m \xe2\x80\xae"


def strings(obj: Any) -> list[str]:
    """Every string in a JSON value, keys included."""
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for k, v in obj.items() for s in (*strings(k), *strings(v))]
    if isinstance(obj, list):
        return [s for v in obj for s in strings(v)]
    return []


@pytest.fixture
def hostile_log(tmp_path: Path) -> Path:
    log = tmp_path / "access.log"
    log.write_bytes(b"\n".join([*hostile_lines(T0), MALFORMED]) + b"\n")
    return log


@pytest.fixture
def json_log(tmp_path: Path) -> Path:
    log = tmp_path / "access.json"
    log.write_bytes(b"\n".join(JSON_LINES) + b"\n")
    return log


def test_text_report(hostile_log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--top", "50", str(hostile_log)]) == 0
    out = capsys.readouterr().out
    assert_inert(out, "text report")
    assert "[@click=app.quit]" in out and "[/foo]" in out  # shown, as text
    assert "\\x1b" in out  # the escape is visible as an escape, not acted on


@pytest.mark.parametrize("which", ["clf", "json"])
def test_json_report(
    which: str, hostile_log: Path, json_log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = hostile_log if which == "clf" else json_log
    assert main(["report", "--json", "--top", "50", str(path)]) == 0
    out = capsys.readouterr().out
    assert_inert(out, "JSON report (raw)")  # JSON leaves C1 and bidi characters unescaped
    report = json.loads(out)
    for s in strings(report):
        assert_inert(s, "JSON report (decoded)")
    text = json.dumps(report, ensure_ascii=False)
    assert "[@click=app.quit]" in text
    if which == "clf":
        assert report["malformed"]["count"] == 1
        assert "[@click=app.quit]" in report["malformed"]["examples"][0]["line"]
    else:
        assert report["parsed"] == len(JSON_LINES)


def test_headless_json_lines(hostile_log: Path, tmp_path: Path) -> None:
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
            str(hostile_log),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env(tmp_path),
        cwd=tmp_path,
    )
    try:
        assert proc.stdout is not None
        raw = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            raw = proc.stdout.readline()
            if not raw or json.loads(raw)["lines"] == len(hostile_lines(T0)) + 1:
                break
        proc.send_signal(signal.SIGTERM)
        rest, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    for line in [raw, *rest.splitlines()]:
        assert_inert(line, "headless line")
        for s in strings(json.loads(line)):
            assert_inert(s, "headless value")
    obj = json.loads(raw)
    assert obj["lines"] == len(hostile_lines(T0)) + 1
    assert "[@click=app.quit]" in raw
    assert "Traceback" not in err


RECORDER = """\
import json, os, sys
data = sys.stdin.read()
env = {k: v for k, v in os.environ.items() if k.startswith("LOGWATCH_ALERT_")}
with open(sys.argv[1], "a") as f:
    f.write(json.dumps({"stdin": data, "env": env}) + "\\n")
"""


def test_hook_stdin_and_environment(hostile_log: Path, tmp_path: Path) -> None:
    prog = tmp_path / "hook.py"
    prog.write_text(f"#!{sys.executable}\n{RECORDER}")
    prog.chmod(0o755)
    out = tmp_path / "calls.jsonl"
    hook = (str(prog), str(out))
    rules = [
        AlertRule("probes", "probe_hits", above=0, cooldown=0, exec=hook),
        AlertRule("errors", "4xx_rate", above=0.01, cooldown=0, exec=hook),
        AlertRule("traffic", "requests_per_s", above=0.0, cooldown=0, exec=hook),
        AlertRule(
            "scoped [@click=app.quit]", "requests_per_s", above=0.0, path_prefix="/p", exec=hook
        ),
    ]
    alerts = AlertEngine(rules)
    pipeline = Pipeline(get_format("combined"), observers=[alerts.observe])
    pipeline.feed(hostile_log.read_bytes().split(b"\n"))
    pipeline.feed([clf(T0 + 40, path="/\x1b[31m/[@click=app.quit]", status=404).encode()])
    events = alerts.evaluate(pipeline.snapshot())
    assert len(events) == len(rules)
    assert alerts.hooks is not None and alerts.hooks.wait(30)
    calls = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(calls) == len(rules)
    seen = ""
    for call in calls:
        assert_inert(call["stdin"], "hook stdin")
        payload = json.loads(call["stdin"])
        for s in strings(payload):
            assert_inert(s, "hook stdin value")
        for k, v in call["env"].items():
            assert_inert(v, f"hook env {k}")
        seen += call["stdin"] + json.dumps(call["env"], ensure_ascii=False)
    assert "[@click=app.quit]" in seen  # the log text reached the hook, as data


@pytest.mark.parametrize("which", ["clf", "json"])
def test_explain_output(which: str, hostile_log: Path, json_log: Path, tmp_path: Path) -> None:
    path = hostile_log if which == "clf" else json_log
    proc = run_logwatch(tmp_path, "explain", input=path.read_bytes())
    out = proc.stdout.decode("utf-8")  # strict: explain must write valid UTF-8
    assert proc.returncode == 0, proc.stderr
    assert_inert(out, "explain output")
    objects = [json.loads(line) for line in out.splitlines()]
    assert len(objects) == len(path.read_bytes().splitlines())
    for obj in objects:
        for s in strings(obj):
            assert_inert(s, "explain value")
    assert "[@click=app.quit]" in out
