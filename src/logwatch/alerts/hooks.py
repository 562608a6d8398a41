"""Alert hooks: run a program or POST a webhook on every firing and resolve, off the ingest path.

- `exec = ["/path/prog", "arg"]` runs without a shell. The event goes in as JSON on stdin and as
  `LOGWATCH_ALERT_*` environment variables; log-derived values are data, never command text. The
  program has a timeout (its whole process group is killed), and at most `output_cap` bytes of its
  stdout+stderr are kept (the rest is read and dropped so a chatty hook neither blocks nor grows
  memory).
- `webhook = "https://..."` gets the event JSON by POST, plus a one-line `text` field that
  Slack/Mattermost/Discord-compatible endpoints show. Timeout per attempt, a few retries with
  exponential backoff on connection errors, timeouts, 408/429 and 5xx.

Hooks run on a small pool of daemon threads fed by a bounded queue: `submit` never blocks, a full
queue drops the hook and records why. Each finished hook appends a `HookResult` to its event's
`hooks` list (the engine's history shows them).
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import socket
import subprocess
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from logwatch import __version__
from logwatch.sanitize import cap, clean

if TYPE_CHECKING:
    import urllib.request

    from logwatch.alerts.engine import AlertEvent
    from logwatch.alerts.rules import AlertRule

OUTPUT_CAP = 64 * 1024
ENV_CONTEXT_CAP = 32 * 1024
_RESPONSE_CAP = 4096


@dataclass(frozen=True, slots=True)
class HookResult:
    """How one hook run went. `target` is the program, or the webhook's scheme and host only (a
    webhook path is often a secret token)."""

    kind: str  # "exec" | "webhook"
    target: str
    ok: bool
    at: float  # wall clock when it finished
    duration: float  # seconds
    status: int | None = None  # exit code, or HTTP status
    error: str = ""
    output: str = ""  # captured output (exec) or response body head (webhook); sanitised
    output_bytes: int = 0  # how many bytes the hook wrote in all (output is capped)
    attempts: int = 1
    event_state: str = ""

    @property
    def truncated(self) -> bool:
        return self.output_bytes > len(self.output.encode("utf-8", "replace"))

    def summary(self) -> str:
        """One line for the alerts screen: `exec /usr/local/bin/page-ops: exit 0 (0.12s)`."""
        if self.ok:
            what = f"exit {self.status}" if self.kind == "exec" else f"HTTP {self.status}"
        else:
            what = self.error or "failed"
        tries = f", {self.attempts} attempts" if self.attempts > 1 else ""
        return f"{self.kind} {self.target}: {what} ({self.duration:.2f}s{tries})"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "target": self.target,
            "ok": self.ok,
            "status": self.status,
            "at": round(self.at, 3),
            "duration": round(self.duration, 3),
            "attempts": self.attempts,
        }
        if self.error:
            out["error"] = self.error
        if self.output:
            out["output"] = self.output
        if self.truncated:
            out["output_bytes"] = self.output_bytes
        return out


def hook_env(event: AlertEvent, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a hook program gets: the inherited one plus LOGWATCH_ALERT_*."""
    env = dict(os.environ if base is None else base)
    data = event.to_json()
    fields = {
        "RULE": event.rule,
        "STATE": event.state,
        "METRIC": event.metric,
        "WINDOW": event.window,
        "VALUE": "" if data["value"] is None else repr(data["value"]),
        "CONDITION": event.condition,
        "THRESHOLD": "" if data["threshold"] is None else repr(data["threshold"]),
        "REQUESTS": str(event.requests),
        "AT": f"{event.at:.3f}",
        "SINCE": "" if event.since is None else f"{event.since:.3f}",
        "ID": str(event.id),
        "TEXT": event.text(),
        "SCOPE": json.dumps(event.scope, ensure_ascii=False),
        "CONTEXT": cap(json.dumps(event.context, ensure_ascii=False), ENV_CONTEXT_CAP),
    }
    for k, v in fields.items():
        env["LOGWATCH_ALERT_" + k] = v.replace("\x00", "\\u0000")
    return env


def event_payload(event: AlertEvent) -> dict[str, Any]:
    out = event.to_json()
    out.pop("hooks", None)  # results of other hooks for this event are not the hook's business
    out["text"] = event.text()
    return out


def run_exec(
    argv: tuple[str, ...] | list[str],
    event: AlertEvent,
    *,
    timeout: float = 10.0,
    output_cap: int = OUTPUT_CAP,
    env: Mapping[str, str] | None = None,
) -> HookResult:
    """Run a hook program (no shell) and wait for it, at most `timeout` seconds."""
    start = time.monotonic()
    target = argv[0] if argv else "?"
    payload = (json.dumps(event_payload(event), ensure_ascii=False) + "\n").encode("utf-8")

    def result(ok: bool, **kw: Any) -> HookResult:
        return HookResult(
            "exec", target, ok, time.time(), time.monotonic() - start, event_state=event.state, **kw
        )

    try:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=hook_env(event, env),
            close_fds=True,
            start_new_session=True,  # its own process group, so a timeout kills its children too
        )
    except OSError as exc:
        return result(False, error=f"cannot run: {exc.strerror or exc}")

    kept = bytearray()
    total = [0]

    def read() -> None:
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        while True:
            try:
                chunk = os.read(fd, 65536)
            except (OSError, ValueError):
                return
            if not chunk:
                return
            total[0] += len(chunk)
            room = output_cap - len(kept)
            if room > 0:
                kept.extend(chunk[:room])

    def write() -> None:
        assert proc.stdin is not None
        try:
            proc.stdin.write(payload)
            proc.stdin.close()
        except (OSError, ValueError):
            pass  # the hook does not read stdin, or already exited

    reader = threading.Thread(target=read, name="logwatch-hook-out", daemon=True)
    writer = threading.Thread(target=write, name="logwatch-hook-in", daemon=True)
    reader.start()
    writer.start()
    timed_out = False
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(proc)
        code = proc.wait()
    # A child that left a grandchild holding the pipe must not hold us: wait briefly, move on.
    reader.join(1.0)
    writer.join(0.1)
    for pipe in (proc.stdout, proc.stdin):
        try:
            if pipe is not None and not reader.is_alive():
                pipe.close()
        except OSError:
            pass
    output = clean_output(bytes(kept).decode("utf-8", "replace"))
    if timed_out:
        return result(
            False,
            status=code,
            error=f"timed out after {timeout:g}s",
            output=output,
            output_bytes=total[0],
        )
    if code != 0:
        why = f"killed by signal {-code}" if code < 0 else f"exit {code}"
        return result(False, status=code, error=why, output=output, output_bytes=total[0])
    return result(True, status=code, output=output, output_bytes=total[0])


def clean_output(text: str) -> str:
    """Hook output for the alerts screen: line breaks kept, every other control escaped."""
    return "\n".join(clean(line) for line in text.split("\n"))


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, OSError):
        with contextlib.suppress(OSError):
            proc.kill()


def webhook_target(url: str) -> str:
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:  # a bad port or [IPv6] address: the POST fails and says so; no crash here
        return url.split("://", 1)[0] + "://?"
    return f"{parts.scheme}://{parts.hostname or ''}{f':{port}' if port else ''}"


def _shut(sockets: list[socket.socket], expired: threading.Event) -> None:
    """The watchdog's deadline: shut the attempt's sockets, which wakes a blocked read."""
    expired.set()
    for sock in sockets:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _opener(
    sockets: list[socket.socket], expired: threading.Event
) -> urllib.request.OpenerDirector:
    """urllib's opener (proxies from the environment, TLS; redirects refused) with connections
    that note their socket in `sockets`, for the watchdog."""
    import http.client
    import urllib.request

    def noting(base: type[http.client.HTTPConnection]) -> type[http.client.HTTPConnection]:
        class Noting(base):  # type: ignore[valid-type,misc]
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                create: Callable[..., socket.socket] = self._create_connection  # type: ignore[has-type]

                def creating(*a: Any, **kw: Any) -> socket.socket:
                    # Noted as soon as it exists, so the watchdog can cut a TLS handshake or a
                    # proxy tunnel too; a deadline passed while resolving the name ends here.
                    sock = create(*a, **kw)
                    sockets.append(sock)
                    if expired.is_set():
                        _shut(sockets, expired)
                        raise TimeoutError
                    return sock

                self._create_connection = creating

        return Noting

    plain, tls = noting(http.client.HTTPConnection), noting(http.client.HTTPSConnection)

    class HTTP(urllib.request.HTTPHandler):
        def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(plain, req)

    class HTTPS(urllib.request.HTTPSHandler):
        def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(tls, req, context=self._context)  # type: ignore[attr-defined]

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        # urllib turns a POST answered 301/302/303 into a GET without the body, and the final
        # 200 read as "delivered": the alert went nowhere. Not followed, the answer is an error.
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    return urllib.request.build_opener(HTTP, HTTPS, NoRedirect)


def post_webhook(
    url: str,
    event: AlertEvent,
    *,
    timeout: float = 10.0,
    retries: int = 3,
    backoff: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
) -> HookResult:
    """POST the event; up to `retries` attempts with exponential backoff between them."""
    # Here, not at the top: urllib.request (http.client, email) is a fifth of a start-up, and
    # most runs never send a webhook.
    import http.client
    import urllib.error
    import urllib.request

    start = time.monotonic()
    body = json.dumps(event_payload(event), ensure_ascii=False).encode("utf-8")
    target = webhook_target(url)
    status: int | None = None
    error = ""
    attempt = 0
    for attempt in range(1, max(1, retries) + 1):
        req = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "User-Agent": f"logwatch/{__version__}"},
        )
        retry = True
        # `timeout` bounds each socket operation; the watchdog bounds the whole attempt (an
        # endpoint trickling a byte a second would otherwise hold a worker for ever).
        sockets: list[socket.socket] = []
        expired = threading.Event()
        watchdog = threading.Timer(timeout, _shut, (sockets, expired))
        watchdog.daemon = True
        watchdog.start()
        try:
            with _opener(sockets, expired).open(req, timeout=timeout) as resp:
                status = resp.status
                head = resp.read(_RESPONSE_CAP)  # cut short by the watchdog: still delivered
            return HookResult(
                "webhook",
                target,
                True,
                time.time(),
                time.monotonic() - start,
                status=status,
                output=clean_output(head.decode("utf-8", "replace")),
                output_bytes=len(head),
                attempts=attempt,
                event_state=event.state,
            )
        except urllib.error.HTTPError as exc:
            status = exc.code
            error = f"HTTP {exc.code}"
            if 300 <= exc.code < 400:
                error += " (redirects are not followed: give the final URL)"
            retry = exc.code in (408, 425, 429) or exc.code >= 500
        except urllib.error.URLError as exc:
            status = None
            reason = exc.reason
            error = "timed out" if isinstance(reason, TimeoutError) else f"unreachable: {reason}"
        except TimeoutError:
            status, error = None, f"timed out after {timeout:g}s"
        except (OSError, ValueError, OverflowError, http.client.HTTPException) as exc:
            status, error = None, f"failed: {exc}"  # OverflowError: a huge timeout
        finally:
            watchdog.cancel()
        if expired.is_set() and not (status and 200 <= status < 300):
            status, error = None, f"timed out after {timeout:g}s"
        if not retry:
            break
        if attempt < retries:
            sleep(backoff * (2 ** (attempt - 1)))
    return HookResult(
        "webhook",
        target,
        False,
        time.time(),
        time.monotonic() - start,
        status=status,
        error=clean(cap(error, 300)),
        attempts=attempt,
        event_state=event.state,
    )


class HookRunner:
    """Bounded concurrency (`workers` threads) and a bounded queue (`max_pending`)."""

    def __init__(
        self,
        *,
        workers: int = 4,
        max_pending: int = 64,
        output_cap: int = OUTPUT_CAP,
        retries: int = 3,
        backoff: float = 0.5,
        results: int = 200,
    ) -> None:
        self.workers = max(1, workers)
        self.max_pending = max(1, max_pending)
        self.output_cap = output_cap
        self.retries = retries
        self.backoff = backoff
        # Every result in order (also attached to its event), for logs and tests.
        self.results: deque[HookResult] = deque(maxlen=results)
        # The same with their events, numbered, for readers that report results as they come
        # (headless: a resolve's failed hook has no active alert to show it on).
        self._finished: deque[tuple[int, AlertEvent, HookResult]] = deque(maxlen=results)
        self._count = 0
        self._queue: queue.Queue[tuple[Callable[[], HookResult], AlertEvent] | None] = queue.Queue()
        self._cv = threading.Condition()
        self._pending = 0
        self._threads: list[threading.Thread] = []
        self._closed = False

    def submit(self, event: AlertEvent, rule: AlertRule) -> None:
        """Queue the rule's hooks for this event. Never blocks."""
        specs: list[tuple[str, str, Callable[[], HookResult]]] = []
        if rule.exec:
            argv = rule.exec
            specs.append(
                (
                    "exec",
                    argv[0],
                    lambda: run_exec(argv, event, timeout=rule.timeout, output_cap=self.output_cap),
                )
            )
        if rule.webhook:
            url = rule.webhook
            specs.append(
                (
                    "webhook",
                    webhook_target(url),
                    lambda: post_webhook(
                        url, event, timeout=rule.timeout, retries=self.retries, backoff=self.backoff
                    ),
                )
            )
        for kind, target, job in specs:
            with self._cv:
                full = self._closed or self._pending >= self.max_pending
                if not full:
                    self._pending += 1
            if full:
                why = "hook runner closed" if self._closed else "too many hooks queued; dropped"
                self._record(
                    event,
                    HookResult(
                        kind, target, False, time.time(), 0.0, error=why, event_state=event.state
                    ),
                )
                continue
            self._start_workers()
            self._queue.put((job, event))

    def finished_since(self, mark: int) -> tuple[int, list[tuple[AlertEvent, HookResult]]]:
        """The hooks that finished after `mark` (0 at first; then the number returned), with
        their events, oldest first (at most the last `results` of them)."""
        with self._cv:
            return self._count, [(ev, res) for n, ev, res in self._finished if n > mark]

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until no hook is queued or running; False on timeout."""
        with self._cv:
            return self._cv.wait_for(lambda: self._pending == 0, timeout)

    def close(self, timeout: float | None = 5.0) -> None:
        self.wait(timeout)
        self._closed = True
        for _ in self._threads:
            self._queue.put(None)

    def _start_workers(self) -> None:
        if len(self._threads) >= self.workers:
            return
        with self._cv:
            while len(self._threads) < min(self.workers, self._pending):
                t = threading.Thread(target=self._work, name="logwatch-hook", daemon=True)
                self._threads.append(t)
                t.start()

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            job, event = item
            try:
                try:
                    res = job()
                except Exception as exc:  # a bug in a hook must not kill the worker
                    res = HookResult(
                        "exec",
                        "?",
                        False,
                        time.time(),
                        0.0,
                        error=f"internal error: {exc!r}",
                        event_state=event.state,
                    )
                self._record(event, res)
            finally:
                with self._cv:
                    self._pending -= 1
                    self._cv.notify_all()

    def _record(self, event: AlertEvent, res: HookResult) -> None:
        event.hooks.append(res)
        self.results.append(res)
        with self._cv:
            self._count += 1
            self._finished.append((self._count, event, res))
