"""Hooks against a real program and a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from alert_helpers import snap, view

from logwatch.alerts import AlertEngine, AlertEvent, AlertRule, HookRunner
from logwatch.alerts.hooks import post_webhook, run_exec, webhook_target

T0 = 1_700_000_000.0
HOSTILE = "/x$(touch {m})`touch {m}`;touch {m} && echo 'q\"uo\"te' \n\r|| rm -rf / #"


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)


def event(**kw: Any) -> AlertEvent:
    base: dict[str, Any] = {
        "rule": "5xx spike",
        "metric": "5xx_rate",
        "window": "1m",
        "state": "firing",
        "value": 0.25,
        "condition": "above",
        "threshold": 0.05,
        "at": T0,
        "requests": 400,
        "since": T0,
    }
    base.update(kw)
    return AlertEvent(**base)


# A hook program: records its stdin, argv and LOGWATCH_ALERT_* environment as JSON.
RECORDER = """\
import json, os, sys
data = sys.stdin.read()
env = {k: v for k, v in os.environ.items() if k.startswith("LOGWATCH_ALERT_")}
with open(sys.argv[1], "w") as f:
    json.dump({"stdin": data, "argv": sys.argv[2:], "env": env}, f)
print("paged ops")
"""


def script(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text(f"#!{sys.executable}\n{body}")
    path.chmod(0o755)
    return str(path)


def test_exec_gets_json_on_stdin_and_env(tmp_path: Path) -> None:
    prog = script(tmp_path, "rec.py", RECORDER)
    out = tmp_path / "out.json"
    ev = event(context={"top_paths": [{"path": "/api/cart", "hits": 9}]}, scope={"vhost": "a"})
    res = run_exec((prog, str(out), "--sev", "high"), ev, timeout=30)
    assert res.ok and res.status == 0 and res.kind == "exec" and res.target == prog
    assert res.output == "paged ops\n"
    got = json.loads(out.read_text())
    assert got["argv"] == ["--sev", "high"]
    payload = json.loads(got["stdin"])
    assert payload["rule"] == "5xx spike" and payload["state"] == "firing"
    assert payload["value"] == 0.25 and payload["threshold"] == 0.05
    assert payload["context"]["top_paths"][0]["path"] == "/api/cart"
    assert payload["text"].startswith("[logwatch] FIRING 5xx spike")
    env = got["env"]
    assert env["LOGWATCH_ALERT_RULE"] == "5xx spike"
    assert env["LOGWATCH_ALERT_STATE"] == "firing"
    assert env["LOGWATCH_ALERT_METRIC"] == "5xx_rate"
    assert env["LOGWATCH_ALERT_WINDOW"] == "1m"
    assert float(env["LOGWATCH_ALERT_VALUE"]) == 0.25
    assert float(env["LOGWATCH_ALERT_THRESHOLD"]) == 0.05
    assert float(env["LOGWATCH_ALERT_AT"]) == T0
    assert json.loads(env["LOGWATCH_ALERT_SCOPE"]) == {"vhost": "a"}
    assert json.loads(env["LOGWATCH_ALERT_CONTEXT"]) == payload["context"]


def test_hostile_values_arrive_intact_and_run_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    evil = HOSTILE.format(m=marker)
    prog = script(tmp_path, "rec.py", RECORDER)
    out = tmp_path / "out.json"
    ev = event(
        rule=evil,
        scope={"path_prefix": evil},
        context={"top_paths": [{"path": evil}], "top_clients": [{"client": f"`id`;{evil}"}]},
    )
    res = run_exec((prog, str(out), evil), ev, timeout=30)
    assert res.ok, res.error
    got = json.loads(out.read_text())
    assert got["argv"] == [evil]  # an argument stays one argument
    payload = json.loads(got["stdin"])
    assert payload["rule"] == evil
    assert payload["context"]["top_paths"][0]["path"] == evil
    assert payload["context"]["top_clients"][0]["client"] == f"`id`;{evil}"
    env = got["env"]
    assert env["LOGWATCH_ALERT_RULE"] == evil
    assert json.loads(env["LOGWATCH_ALERT_CONTEXT"])["top_paths"][0]["path"] == evil
    assert json.loads(env["LOGWATCH_ALERT_SCOPE"])["path_prefix"] == evil
    assert "\n" not in env["LOGWATCH_ALERT_TEXT"] and "\r" not in env["LOGWATCH_ALERT_TEXT"]
    assert not marker.exists()


def test_hostile_values_through_webhook_stay_data(http_server: Server) -> None:
    evil = HOSTILE.format(m="/tmp/never") + " <!channel> @everyone"
    ev = event(context={"top": [evil], "top_paths": [{"path": evil}]})
    res = post_webhook(http_server.url + "/hooks/T000", ev, timeout=10, retries=1)
    assert res.ok
    body = json.loads(http_server.bodies[0])
    assert body["context"]["top_paths"][0]["path"] == evil
    assert "<!channel>" not in body["text"] and "@everyone" not in body["text"]
    assert "\n" not in body["text"]


def test_exec_timeout_kills_the_program(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    prog = script(
        tmp_path,
        "hang.py",
        f"import os, time\nopen({str(pidfile)!r}, 'w').write(str(os.getpid()))\n"
        "print('started', flush=True)\ntime.sleep(120)\n",
    )
    res = run_exec((prog,), event(), timeout=1.0)
    assert not res.ok and "timed out after 1s" in res.error
    assert res.output == "started\n"
    pid = int(pidfile.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_exec_output_is_capped(tmp_path: Path) -> None:
    prog = script(
        tmp_path,
        "chatty.py",
        "import sys\nfor _ in range(80):\n    sys.stdout.write('x' * 65536)\n",
    )
    res = run_exec((prog,), event(), timeout=60, output_cap=64 * 1024)
    assert res.ok
    assert len(res.output) == 64 * 1024
    assert res.output_bytes == 80 * 65536 and res.truncated
    assert res.to_json()["output_bytes"] == 80 * 65536


def test_exec_output_with_escapes_is_sanitised(tmp_path: Path) -> None:
    prog = script(tmp_path, "esc.py", "import sys\nsys.stdout.write('\\x1b]0;owned\\x07 done')\n")
    res = run_exec((prog,), event(), timeout=30)
    assert "\x1b" not in res.output and "\x07" not in res.output and "done" in res.output


def test_exec_failure_and_missing_program(tmp_path: Path) -> None:
    prog = script(tmp_path, "fail.py", "import sys\nprint('nope')\nsys.exit(3)\n")
    res = run_exec((prog,), event(), timeout=30)
    assert not res.ok and res.status == 3 and res.error == "exit 3" and res.output == "nope\n"
    res = run_exec((str(tmp_path / "missing"),), event(), timeout=30)
    assert not res.ok and res.error.startswith("cannot run")


def test_exec_ignoring_stdin_is_fine(tmp_path: Path) -> None:
    prog = script(tmp_path, "deaf.py", "print('ok')\n")
    big = event(context={"blob": ["y" * 1000] * 200})  # more than a pipe buffer of JSON
    res = run_exec((prog,), big, timeout=30)
    assert res.ok and res.output == "ok\n"


# -- webhooks ------------------------------------------------------------------------------------


class Server:
    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.paths: list[str] = []
        self.headers: list[dict[str, str]] = []
        self.statuses: list[int] = []  # answers to give, in order; then 200
        self.stall = threading.Event()  # set: the handler hangs until `release`
        self.release = threading.Event()
        self.url = ""


@pytest.fixture
def http_server() -> Iterator[Server]:
    state = Server()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            state.bodies.append(self.rfile.read(length))
            state.paths.append(self.path)
            state.headers.append(dict(self.headers))
            if state.stall.is_set():
                state.release.wait(30)
                return
            code = state.statuses.pop(0) if state.statuses else 200
            self.send_response(code)
            self.send_header("Content-Type", "text/plain")
            if 300 <= code < 400:
                self.send_header("Location", "/moved")
            self.end_headers()
            self.wfile.write(b"ok" if code == 200 else b"busy")

        def do_GET(self) -> None:
            state.paths.append("GET " + self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()


def test_webhook_posts_json_with_text(http_server: Server) -> None:
    ev = event(context={"top": ["/api/cart (41 5xx)"]})
    res = post_webhook(http_server.url + "/hooks/T000?token=s3cret", ev, timeout=10)
    assert res.ok and res.status == 200 and res.attempts == 1 and res.output == "ok"
    assert res.target == http_server.url  # the secret path and query are not shown
    assert http_server.paths == ["/hooks/T000?token=s3cret"]
    assert http_server.headers[0]["Content-Type"] == "application/json"
    body = json.loads(http_server.bodies[0])
    assert body["rule"] == "5xx spike" and body["state"] == "firing" and body["value"] == 0.25
    assert body["text"].startswith("[logwatch] FIRING 5xx spike: 5xx_rate over 1m = 25.0%")
    assert "/api/cart (41 5xx)" in body["text"]


def test_webhook_retries_with_backoff(http_server: Server) -> None:
    http_server.statuses = [503, 500]
    delays: list[float] = []
    res = post_webhook(
        http_server.url, event(), timeout=10, retries=3, backoff=0.5, sleep=delays.append
    )
    assert res.ok and res.attempts == 3 and len(http_server.bodies) == 3
    assert delays == [0.5, 1.0]


def test_webhook_gives_up_after_retries(http_server: Server) -> None:
    http_server.statuses = [503, 503, 503, 503]
    res = post_webhook(http_server.url, event(), timeout=10, retries=3, sleep=lambda s: None)
    assert not res.ok and res.status == 503 and res.attempts == 3 and res.error == "HTTP 503"


def test_webhook_client_error_is_not_retried(http_server: Server) -> None:
    http_server.statuses = [404]
    res = post_webhook(http_server.url, event(), timeout=10, retries=3, sleep=lambda s: None)
    assert not res.ok and res.attempts == 1 and res.status == 404


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_webhook_redirect_is_a_failure_not_a_get(http_server: Server, code: int) -> None:
    """urllib would follow a 301/302/303 with a GET that carries no body, and its 200 would
    read as delivered: the alert is lost while the hook says ok."""
    http_server.statuses = [code]
    res = post_webhook(http_server.url + "/hook", event(), timeout=10, retries=3)
    assert not res.ok and res.status == code and res.attempts == 1
    assert "redirect" in res.error
    assert http_server.paths == ["/hook"]


def test_webhook_that_stalls_times_out(http_server: Server) -> None:
    http_server.stall.set()
    res = post_webhook(http_server.url, event(), timeout=0.5, retries=2, sleep=lambda s: None)
    assert not res.ok and res.attempts == 2 and "timed out" in res.error
    assert len(http_server.bodies) == 2


def test_webhook_unreachable() -> None:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens here now
    res = post_webhook(
        f"http://127.0.0.1:{port}/x", event(), timeout=5, retries=2, sleep=lambda s: None
    )
    assert not res.ok and res.attempts == 2 and "unreachable" in res.error


def test_webhook_target_hides_secrets() -> None:
    assert webhook_target("https://hooks.slack.com/services/T0/B0/XYZ") == "https://hooks.slack.com"
    assert webhook_target("http://127.0.0.1:8080/a?b=c") == "http://127.0.0.1:8080"


def test_a_webhook_url_urllib_refuses_fails_the_hook_not_the_engine() -> None:
    """`webhook_target` runs in `submit`, on the engine's path: a port out of range must make
    a failed hook result, not an exception that stops the engine."""
    rule = AlertRule("5xx", "5xx_rate", "1m", above=0.05, webhook="http://127.0.0.1:99999/x")
    runner = HookRunner(retries=1)
    eng = AlertEngine([rule], hooks=runner)
    fired = eng.evaluate(snap(T0, view(requests=100, s5xx=50)))
    assert runner.wait(30)
    assert [h.ok for h in fired[0].hooks] == [False]
    runner.close()


# -- through the engine --------------------------------------------------------------------------


def test_engine_runs_hooks_on_fire_and_resolve_without_waiting(
    tmp_path: Path, http_server: Server
) -> None:
    gate = tmp_path / "gate"
    log = tmp_path / "log.jsonl"
    prog = script(
        tmp_path,
        "slowrec.py",
        "import json, os, sys, time\n"
        f"while not os.path.exists({str(gate)!r}):\n    time.sleep(0.01)\n"
        f"open({str(log)!r}, 'a').write(json.dumps(json.load(sys.stdin)) + '\\n')\n",
    )
    rule = AlertRule(
        "5xx",
        "5xx_rate",
        "1m",
        above=0.05,
        min_requests=10,
        clear_for=0.0,
        exec=(prog,),
        webhook=http_server.url + "/h",
        timeout=30.0,
    )
    runner = HookRunner(workers=2)
    eng = AlertEngine([rule], hooks=runner)
    fired = eng.evaluate(snap(T0, view(requests=100, s5xx=50)))
    # The hook program is blocked on the gate, yet evaluate has already returned.
    assert [e.state for e in fired] == ["firing"]
    assert not any(h.kind == "exec" for h in fired[0].hooks)
    gate.write_text("go")
    resolved = eng.evaluate(snap(T0 + 10, view(requests=100, s5xx=0)))
    assert [e.state for e in resolved] == ["resolved"]
    assert runner.wait(60)
    for ev in (fired[0], resolved[0]):
        kinds = sorted(h.kind for h in ev.hooks)
        assert kinds == ["exec", "webhook"], ev.hooks
        assert all(h.ok for h in ev.hooks), ev.hooks
        assert all(h.event_state == ev.state for h in ev.hooks)
    states = sorted(json.loads(line)["state"] for line in log.read_text().splitlines())
    assert states == ["firing", "resolved"]
    assert sorted(json.loads(b)["state"] for b in http_server.bodies) == ["firing", "resolved"]
    history = eng.history()
    assert [e.state for e in history] == ["firing", "resolved"]
    assert len(history[0].to_json()["hooks"]) == 2
    eng.close()


def test_full_queue_drops_and_records(tmp_path: Path) -> None:
    gate = tmp_path / "gate"
    prog = script(
        tmp_path,
        "wait.py",
        f"import os, time\nwhile not os.path.exists({str(gate)!r}):\n    time.sleep(0.01)\n",
    )
    rule = AlertRule("r", "5xx_rate", exec=(prog,), timeout=30.0)
    runner = HookRunner(workers=1, max_pending=2)
    events = [event(rule="r", id=i) for i in range(5)]
    for ev in events:
        runner.submit(ev, rule)
    dropped = [ev for ev in events if ev.hooks and not ev.hooks[0].ok]
    assert len(dropped) == 3
    assert all("too many hooks queued" in ev.hooks[0].error for ev in dropped)
    gate.write_text("go")
    assert runner.wait(60)
    assert sum(1 for ev in events if ev.hooks and ev.hooks[0].ok) == 2
    runner.close()


class _Recorder:
    """A stand-in HookRunner that records what it was given."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, int]] = []

    def submit(self, event: object, rule: object) -> None:
        self.sent.append((event.state, event.id))  # type: ignore[attr-defined]

    def close(self, timeout: float = 0.0) -> None:
        pass


def test_an_alert_fired_while_history_was_read_pages_once_live_and_resolves_after() -> None:
    """History is evaluated with hooks off (a backfill must not page for the past). An alert
    that fired then and still fires when the engine goes live is an incident going on now:
    its hooks run at the first live evaluation, and its resolve after. One that ended within
    the history pages nobody, not even with its resolve."""
    rule = AlertRule(
        "5xx", "5xx_rate", "1m", above=0.05, min_requests=10, clear_for=0.0, exec=("true",)
    )
    recorder = _Recorder()
    eng = AlertEngine([rule], hooks=recorder)  # type: ignore[arg-type]
    bad, good = view(requests=100, s5xx=50), view(requests=100, s5xx=0)
    fired = eng.evaluate(snap(T0, bad), run_hooks=False)
    assert recorder.sent == []
    assert eng.evaluate(snap(T0 + 5, bad), run_hooks=True) == []  # no new event...
    assert recorder.sent == [("firing", fired[0].id)]  # ...but the ongoing one pages now
    eng.evaluate(snap(T0 + 10, bad), run_hooks=True)
    resolved = eng.evaluate(snap(T0 + 20, good), run_hooks=True)
    assert recorder.sent == [("firing", fired[0].id), ("resolved", resolved[0].id)]

    recorder.sent.clear()
    eng.evaluate(snap(T0 + 1000, bad), run_hooks=False)
    eng.evaluate(snap(T0 + 1010, good), run_hooks=False)
    eng.evaluate(snap(T0 + 1020, good), run_hooks=True)
    assert recorder.sent == []


def test_a_page_for_an_alert_fired_in_history_names_the_offenders_of_now() -> None:
    """History's incidents fire in a replayed look at its counts (`AlertEngine.replay`: no top
    paths); still firing when live, the page went out with empty top lists."""
    from logwatch.stats.snapshot import PathStat

    rule = AlertRule(
        "5xx", "5xx_rate", "1m", above=0.05, min_requests=10, clear_for=0.0, exec=("true",)
    )
    recorder = _Recorder()
    eng = AlertEngine([rule], hooks=recorder)  # type: ignore[arg-type]
    fired = eng.replay(snap(T0, view(requests=100, s5xx=50)))
    assert fired and fired[0].context.get("top") == []
    paths = (PathStat("/checkout", 60, s5xx=50), PathStat("/", 40))
    assert eng.evaluate(snap(T0 + 5, view(requests=100, s5xx=50, paths=paths))) == []
    assert recorder.sent == [("firing", fired[0].id)]
    assert fired[0].context["top"] == ["/checkout (50 5xx)"]


def test_an_alert_of_an_old_history_that_is_over_when_live_pages_nobody() -> None:
    """An old log ends in an incident; when a live line comes, its window on the wall clock
    holds too few requests and the rule is clearing: the old firing is not going on now, so
    neither it nor its resolve pages anyone."""
    rule = AlertRule("5xx", "5xx_rate", "1m", above=0.05, min_requests=10, exec=("true",))
    recorder = _Recorder()
    eng = AlertEngine([rule], hooks=recorder)  # type: ignore[arg-type]
    eng.evaluate(snap(T0, view(requests=100, s5xx=50)), run_hooks=False)
    live = T0 + 86400
    assert eng.evaluate(snap(live, view(requests=1)), run_hooks=True) == []
    assert eng.evaluate(snap(live + 5, view(requests=1)), run_hooks=True) == []
    resolved = eng.evaluate(snap(live + 40, view(requests=1)), run_hooks=True)
    assert [e.state for e in resolved] == ["resolved"]
    assert recorder.sent == []


@pytest.fixture
def trickling_url() -> Iterator[str]:
    """An endpoint that answers a byte every 0.3 s (the whole answer would take 12 s)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    done = threading.Event()

    def trickle() -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok":
                if done.is_set():
                    return
                with contextlib.suppress(OSError):
                    conn.sendall(bytes([byte]))
                time.sleep(0.3)

    threading.Thread(target=trickle, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/hook"
    finally:
        done.set()
        server.close()


def test_a_webhook_trickling_its_answer_is_cut_at_the_timeout(trickling_url: str) -> None:
    """`timeout` bounds the whole attempt, not each socket read: an endpoint that sends its
    answer a byte every 0.3 s would otherwise hold a hook worker (of four) for minutes."""
    res = post_webhook(trickling_url, event(), timeout=1.0, retries=1)
    assert not res.ok and res.error == "timed out after 1s"
    assert res.duration < 5  # the whole answer would take 12 s


def test_the_webhook_deadline_holds_when_connecting_was_slow(
    trickling_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The watchdog cuts sockets it knows of: one that came after the deadline (a slow name
    lookup, a proxy) must not then read on without any bound."""
    connect = socket.create_connection

    def slow_connect(*args: Any, **kwargs: Any) -> socket.socket:
        time.sleep(1.2)  # a slow name lookup, past the 1 s deadline
        return connect(*args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", slow_connect)
    res = post_webhook(trickling_url, event(), timeout=1.0, retries=1)
    assert not res.ok and res.error == "timed out after 1s"
    assert res.duration < 5
