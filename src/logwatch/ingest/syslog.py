"""Receive access-log lines over syslog (UDP or TCP) and hand them on like a followed file.

    server = SyslogServer("udp://127.0.0.1:5514")     # or tcp://..., [::1], ?tag=nginx
    await server.start()
    async for batch in server.batches():               # LineBatch(source="syslog:<host>", ...)
        ...
    server.stop()                                      # from anywhere; batches() then ends

Senders: nginx itself (`access_log syslog:server=127.0.0.1:5514,tag=nginx combined;`), rsyslog,
syslog-ng and Vector forwarding. Framing:
- UDP: one message per datagram.
- TCP: RFC 6587 octet counting (`123 <190>...`) and newline-delimited frames, told apart frame by
  frame (a frame starting with a digit is octet-counted, one starting with `<` ends at `\\n`), so a
  connection may use either.
Headers: RFC 5424 (`<PRI>1 TS HOST APP PROCID MSGID SD MSG`) and RFC 3164 / BSD (`<PRI>Mmm dd
hh:mm:ss HOST TAG: MSG`, also with an ISO timestamp, and without HOST the way nginx's `nohostname`
writes it). The header is stripped; the message — the access-log line — goes on as bytes, and the
sending host becomes the source (`syslog:<HOSTNAME>`, or the peer address when the header has none).

Everything here is hostile input: host names are sanitised and capped, the number of distinct
hosts is capped (the rest count under `syslog:_other`), frames are bounded, connections are bounded,
and the queue towards the consumer is bounded — UDP datagrams are dropped and counted when the
consumer is behind, TCP connections simply stop being read (the sender's socket buffer fills and
it slows down).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import re
import socket
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from ..model import SourceState
from ..sanitize import MAX_LINE_BYTES, cap, decode
from .loopcall import call_on_loop
from .tail import LineBatch

# Bytes of syslog header allowed on top of the longest line before a frame counts as oversized.
HEADER_ALLOWANCE = 2048
MAX_HOST_CHARS = 64
OTHER_HOST = "_other"
_READ_CHUNK = 64 * 1024
UDP_RCVBUF = 4 << 20


# ------------------------------------------------------------------------------------- addresses


@dataclass(frozen=True, slots=True)
class SyslogAddress:
    proto: str  # "udp" | "tcp"
    host: str
    port: int
    tag: str | None = None  # only messages with this TAG / APP-NAME, when set

    @property
    def loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


def parse_url(url: str) -> SyslogAddress:
    """`udp://127.0.0.1:5514`, `tcp://[::1]:601`, `udp://:5514` (loopback), `?tag=nginx`.

    Raises ValueError with a one-line reason for anything else.
    """
    text = url.strip()
    if "://" not in text:
        raise ValueError(f"syslog address must look like udp://127.0.0.1:5514, not {url!r}")
    parts = urlsplit(text)
    proto = parts.scheme.lower()
    if proto not in ("udp", "tcp"):
        raise ValueError(f"syslog address scheme must be udp or tcp, not {parts.scheme!r}")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"bad port in syslog address {url!r}") from None
    if port is None:
        raise ValueError(f"syslog address needs a port: {url!r}")
    if parts.path not in ("", "/") or parts.username or parts.password:
        raise ValueError(f"unexpected parts in syslog address {url!r}")
    host = parts.hostname or "127.0.0.1"
    tag = None
    if parts.query:
        query = parse_qs(parts.query, keep_blank_values=True)
        unknown = set(query) - {"tag"}
        if unknown:
            raise ValueError(f"unknown syslog address option {sorted(unknown)[0]!r}")
        tag = query["tag"][-1] or None
    return SyslogAddress(proto, host, port, tag)


# ----------------------------------------------------------------------------------- frame parsing

_PRI = re.compile(rb"<(\d{1,3})>")
_BSD_TS = re.compile(rb"[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d(?:\.\d+)?(?: \d{4})? ")
_ISO_TS = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\S* ")
# A TAG as senders write it: program name, optional [pid], then a colon.
_TAG = re.compile(rb"([A-Za-z0-9_.\-/]{1,48})(?:\[[^\]\s]{0,32}\])?:(?: |$)")
_HOST_TAG = re.compile(rb"(\S{1,255}) ([A-Za-z0-9_.\-/]{1,48})(?:\[[^\]\s]{0,32}\])?:(?: |$)")


class Malformed(ValueError):
    """A frame that is not syslog."""


@dataclass(frozen=True, slots=True)
class Message:
    host: bytes | None  # as the header says, raw; None when the header has none
    tag: bytes | None  # TAG (3164) or APP-NAME (5424), raw
    body: bytes  # the message: for us, the access-log line


def parse_message(frame: bytes) -> Message:
    """One syslog frame (without transport framing) → host, tag and message bytes.

    Raises Malformed when the frame has no valid `<PRI>` or a broken RFC 5424 header.
    """
    m = _PRI.match(frame)
    if m is None or int(m.group(1)) > 191:
        raise Malformed("no <PRI>")
    pos = m.end()
    if frame.startswith(b"1 ", pos):
        return _parse_5424(frame, pos + 2)
    return _parse_3164(frame, pos)


def _parse_5424(frame: bytes, pos: int) -> Message:
    fields: list[bytes] = []
    for _ in range(5):  # TIMESTAMP HOSTNAME APP-NAME PROCID MSGID
        end = frame.find(b" ", pos)
        if end < 0 or end == pos:
            raise Malformed("short RFC 5424 header")
        fields.append(frame[pos:end])
        pos = end + 1
    pos = _skip_structured_data(frame, pos)
    if pos < len(frame):
        if frame[pos] != 0x20:
            raise Malformed("no space after structured data")
        pos += 1
    body = frame[pos:]
    if body.startswith(b"\xef\xbb\xbf"):
        body = body[3:]
    host = fields[1] if fields[1] != b"-" else None
    tag = fields[2] if fields[2] != b"-" else None
    return Message(host, tag, body)


def _skip_structured_data(frame: bytes, pos: int) -> int:
    if frame.startswith(b"-", pos):
        return pos + 1
    if not frame.startswith(b"[", pos):
        raise Malformed("bad structured data")
    n = len(frame)
    while pos < n and frame[pos] == 0x5B:  # "["
        pos += 1
        in_quotes = False
        while True:
            if pos >= n:
                raise Malformed("unterminated structured data")
            c = frame[pos]
            if in_quotes:
                if c == 0x5C:  # backslash escapes the next byte
                    pos += 2
                    continue
                if c == 0x22:
                    in_quotes = False
            elif c == 0x22:
                in_quotes = True
            elif c == 0x5D:  # "]"
                pos += 1
                break
            pos += 1
    return pos


def _parse_3164(frame: bytes, pos: int) -> Message:
    ts = _BSD_TS.match(frame, pos) or _ISO_TS.match(frame, pos)
    if ts is not None:
        pos = ts.end()
    m = _HOST_TAG.match(frame, pos)
    if m is not None:
        return Message(m.group(1), m.group(2), frame[m.end() :])
    m = _TAG.match(frame, pos)
    if m is not None:  # nginx `nohostname`, or a sender that leaves the host out
        return Message(None, m.group(1), frame[m.end() :])
    if ts is not None:
        # Timestamp and host but no TAG: the rest is the message. Unless the "host" is an
        # address followed by " - ": that is an access-log line with no host (its client would
        # become the source's name, where anonymising never reaches it).
        end = frame.find(b" ", pos)
        if end > pos and not (frame[end : end + 3] == b" - " and _is_address(frame[pos:end])):
            return Message(frame[pos:end], None, frame[end + 1 :])
    return Message(None, None, frame[pos:])


def _is_address(word: bytes) -> bool:
    try:
        ipaddress.ip_address(word.decode("ascii", "replace").strip("[]"))
    except ValueError:
        return False
    return True


def clean_host(raw: bytes | str) -> str:
    """A host name from the wire (or a peer address) → a safe, short label part."""
    text = decode(raw) if isinstance(raw, bytes) else raw
    text = text.strip().replace(" ", "_") or "-"
    return cap(decode(text.encode()), MAX_HOST_CHARS)


# ----------------------------------------------------------------------------------- the server


class _Host:
    __slots__ = ("first_pending", "last_seen", "lines", "malformed", "pending", "too_long")

    def __init__(self) -> None:
        self.lines = 0
        self.pending: list[bytes] = []
        self.too_long = 0
        self.first_pending: float | None = None
        self.last_seen = 0.0
        self.malformed = 0


class SyslogServer:
    """A syslog listener that looks like `Follower` to the engine (see the module docstring)."""

    def __init__(
        self,
        url: str,
        *,
        max_line_bytes: int = MAX_LINE_BYTES,
        max_queue: int = 20_000,
        max_connections: int = 64,
        max_hosts: int = 64,
        batch_lines: int = 2_000,
        idle_timeout: float = 900.0,
    ) -> None:
        self.address = parse_url(url)
        self.url = url
        self.max_line_bytes = max_line_bytes
        self.max_frame_bytes = max_line_bytes + HEADER_ALLOWANCE
        self.max_queue = max(1, max_queue)
        self.max_connections = max(1, max_connections)
        self.max_hosts = max(1, max_hosts)
        self.batch_lines = max(1, batch_lines)
        # A connection that completes no frame this long is closed, so idle or trickling ones
        # cannot hold every slot forever (rsyslog, syslog-ng and Vector reconnect by themselves).
        self.idle_timeout = idle_timeout
        self.bound: tuple[str, int] | None = None  # (host, port) actually bound, after start()
        self.warning = ""
        if not self.address.loopback:
            self.warning = (
                f"syslog listener on {self.address.host} accepts lines from the network: "
                "anyone who can reach it can inject log lines"
            )
        # Counters (the listener's state extra).
        self.frames = 0
        self.malformed_frames = 0
        self.oversized_frames = 0
        self.dropped = 0
        self.filtered = 0
        self.connections = 0
        self.rejected_connections = 0
        self.idle_closed = 0
        self._hosts: dict[str, _Host] = {}
        self._pending = 0
        self._state = "starting"
        self._message = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready: asyncio.Event | None = None
        self._space: asyncio.Event | None = None
        self._transport: asyncio.DatagramTransport | None = None
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._closed = False
        self._drained: deque[LineBatch] = deque()  # taken from the hosts, not yet yielded
        self._udp_socket: tuple[str, int] | None = None  # (/proc/net table, inode), see below
        self._kernel_dropped = 0
        self._kernel_checked = float("-inf")

    # ------------------------------------------------------------------------- public API

    @property
    def name(self) -> str:
        return f"syslog+{self.address.proto}://{self._hostport()}"

    async def start(self) -> None:
        """Bind the socket. Raises OSError (address in use, permission) with the reason."""
        self._loop = asyncio.get_running_loop()
        self._ready = asyncio.Event()
        self._space = asyncio.Event()
        self._space.set()
        a = self.address
        try:
            if a.proto == "udp":
                transport, _ = await self._loop.create_datagram_endpoint(
                    lambda: _UdpProtocol(self), local_addr=(a.host, a.port)
                )
                self._transport = transport
                sock = transport.get_extra_info("socket")
                # Bursts arrive faster than one loop turn: a bigger kernel buffer (capped by
                # net.core.rmem_max) keeps the kernel from dropping them before we see them.
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, UDP_RCVBUF)
                with contextlib.suppress(OSError):
                    table = "/proc/net/udp6" if sock.family == socket.AF_INET6 else "/proc/net/udp"
                    self._udp_socket = (table, os.fstat(sock.fileno()).st_ino)
            else:
                self._server = await asyncio.start_server(
                    self._serve_tcp, a.host, a.port, limit=_READ_CHUNK, backlog=self.max_connections
                )
                sock = self._server.sockets[0]
        except OSError as exc:
            self._state = "error"
            self._message = f"cannot listen on {self.url}: {exc.strerror or exc}"
            raise
        name = sock.getsockname()
        self.bound = (name[0], name[1])
        self._state = "following"
        self._message = self.warning
        if self._closed:
            self._shutdown()

    async def batches(self) -> AsyncIterator[LineBatch]:
        """Yield batches of received lines, per host, until stop()."""
        if self._ready is None:
            await self.start()
        ready = self._ready
        assert ready is not None
        drained = self._drained
        while True:
            if drained:
                # Off the deque before it is yielded: a consumer cancelled meanwhile (the
                # engine's pump at a stop) has taken it; what is still here is left_over's.
                yield drained.popleft()
                continue
            if not self._has_pending():
                if self._closed:
                    return
                ready.clear()
                await ready.wait()
                continue
            drained.extend(self._drain())

    @property
    def left_over(self) -> list[LineBatch]:
        """At a stop, the lines received but not yet taken from batches(), handed over once (as
        Follower.left_over): the engine cancels its pump right after stop(), so these would
        otherwise be missing from the final counts."""
        out = list(self._drained)
        self._drained.clear()
        if self._has_pending():
            out += self._drain()
        return out

    def stop(self) -> None:
        """Close the listener and every connection; batches() ends. Safe from any thread, twice."""
        loop = self._loop
        if loop is None:
            self._closed = True
            return
        call_on_loop(loop, self._shutdown)

    def states(self) -> list[SourceState]:
        """The listener's state, then one per sending host (label `syslog:<host>`)."""
        now = time.monotonic()
        extra: dict[str, object] = {
            "frames": self.frames,
            "malformed_frames": self.malformed_frames,
            "oversized_frames": self.oversized_frames,
            "dropped": self.dropped + self._kernel_drops(now),
            "hosts": len(self._hosts),
            "queued": self._pending,
        }
        if self.address.tag is not None:
            extra["filtered"] = self.filtered
        if self.address.proto == "tcp":
            extra["connections"] = len(self._writers)
            extra["rejected_connections"] = self.rejected_connections
            extra["idle_closed"] = self.idle_closed
        out = [
            SourceState(
                name=self.name,
                label=f"syslog {self.address.proto}://{self._hostport()}",
                state=self._state,
                message=self._message,
                lines=0,  # the hosts below carry the lines
                lag_seconds=0.0,
                extra=extra,
            )
        ]
        for host, h in self._hosts.items():
            lag = now - h.first_pending if h.first_pending is not None else 0.0
            state = "closed" if self._closed else "following"
            out.append(
                SourceState(
                    name=host,
                    label=host,
                    state=state,
                    lines=h.lines,
                    lag_seconds=lag,
                    extra={"last_seen": round(h.last_seen, 3), "too_long": h.too_long},
                )
            )
        return out

    # ------------------------------------------------------------------------- internals

    def _hostport(self) -> str:
        host, port = self.bound or (self.address.host, self.address.port)
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    def _kernel_drops(self, now: float) -> int:
        """Datagrams the kernel dropped because the socket's buffer was full: when the loop falls
        behind a flood, most losses happen there, before we see them (Linux; else 0)."""
        if self._udp_socket is not None and now - self._kernel_checked >= 1.0:
            self._kernel_checked = now
            table, inode = self._udp_socket
            try:
                with open(table, "rb") as f:
                    for row in f:
                        fields = row.split()
                        if len(fields) > 12 and fields[9] == b"%d" % inode:
                            self._kernel_dropped = int(fields[12])
                            break
            except (OSError, ValueError):
                self._udp_socket = None  # no /proc: nothing to learn
        return self._kernel_dropped

    def _has_pending(self) -> bool:
        return self._pending > 0  # too-long lines count here too

    def _drain(self) -> list[LineBatch]:
        out: list[LineBatch] = []
        for name, h in self._hosts.items():
            if not h.pending and not h.too_long:
                continue
            lines, h.pending = h.pending, []
            too_long, h.too_long = h.too_long, 0
            h.first_pending = None
            for i in range(0, max(len(lines), 1), self.batch_lines):
                chunk = lines[i : i + self.batch_lines]
                out.append(LineBatch.of_lines(name, chunk, too_long if i == 0 else 0))
        self._pending = 0
        assert self._space is not None
        self._space.set()
        return out

    def _host(self, raw: bytes | None, peer: str) -> _Host | None:
        name = "syslog:" + clean_host(raw if raw else peer)
        h = self._hosts.get(name)
        if h is None:
            if len(self._hosts) >= self.max_hosts:
                name = "syslog:" + OTHER_HOST
                h = self._hosts.get(name)
            if h is None:
                h = self._hosts[name] = _Host()
        return h

    def _frame(self, frame: bytes, peer: str, *, may_drop: bool) -> None:
        """Handle one complete frame (transport framing already removed)."""
        self.frames += 1
        if len(frame) > self.max_frame_bytes:
            self.oversized_frames += 1
            return
        try:
            msg = parse_message(frame)
        except Malformed:
            self.malformed_frames += 1
            return
        tag = self.address.tag
        if tag is not None and (msg.tag is None or msg.tag.decode("latin-1") != tag):
            self.filtered += 1
            return
        body = msg.body
        if b"\n" in body:
            parts = [p for p in body.split(b"\n") if p.strip()]
        else:
            parts = [body] if body.strip() else []
        if not parts:
            return
        h = self._host(msg.host, peer)
        assert h is not None
        if may_drop and self._pending >= self.max_queue:
            self.dropped += len(parts)
            return
        now = time.monotonic()
        h.last_seen = time.time()
        for line in parts:
            h.lines += 1
            if len(line) > self.max_line_bytes:
                h.too_long += 1
                self._pending += 1
                continue
            h.pending.append(line)
            self._pending += 1
        if h.first_pending is None:
            h.first_pending = now
        assert self._ready is not None and self._space is not None
        self._ready.set()
        if self._pending >= self.max_queue:
            self._space.clear()

    def _oversized(self) -> None:
        self.frames += 1
        self.oversized_frames += 1

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peername = writer.get_extra_info("peername")
        peer = str(peername[0]) if isinstance(peername, tuple) and peername else "unknown"
        if self._closed or len(self._writers) >= self.max_connections:
            self.rejected_connections += 1
            writer.close()
            return
        self._writers.add(writer)
        self.connections += 1
        try:
            await self._read_stream(reader, peer)
        except (ConnectionError, OSError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _read_stream(self, reader: asyncio.StreamReader, peer: str) -> None:
        space = self._space
        assert space is not None
        framer = StreamFramer(self.max_frame_bytes)
        loop = asyncio.get_running_loop()
        # The clock runs from the last complete frame, not the last byte: a sender trickling a
        # byte a minute (slowloris) must not hold a connection slot forever either.
        deadline = loop.time() + self.idle_timeout
        while not self._closed:
            if not space.is_set():
                await space.wait()  # backpressure: stop reading until the consumer catches up
                deadline = loop.time() + self.idle_timeout  # our wait, not the sender's
                continue
            try:
                data = await asyncio.wait_for(reader.read(_READ_CHUNK), deadline - loop.time())
            except TimeoutError:
                self.idle_closed += 1
                break
            if not data:
                break
            frames, oversized, broken = framer.feed(data)
            if frames or oversized:
                deadline = loop.time() + self.idle_timeout
            for f in frames:
                self._frame(f, peer, may_drop=False)
            for _ in range(oversized):
                self._oversized()
            if broken:
                self.frames += 1
                self.malformed_frames += 1
                return  # framing lost: nothing after this can be trusted
        tail = framer.flush()
        if tail:
            self._frame(tail, peer, may_drop=False)

    def _shutdown(self) -> None:
        self._closed = True
        if self._state != "error":
            self._state = "closed"
        if self._transport is not None:
            self._transport.close()
        if self._server is not None:
            self._server.close()
        for w in list(self._writers):
            w.close()
        if self._ready is not None:
            self._ready.set()
        if self._space is not None:
            self._space.set()


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, server: SyslogServer) -> None:
        self.server = server

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        if data.endswith(b"\n"):
            data = data[:-1]
        self.server._frame(data, str(addr[0]), may_drop=True)

    def error_received(self, exc: Exception) -> None:  # ICMP errors on a listening socket: ignore
        pass


class StreamFramer:
    """RFC 6587 framing of a TCP stream, told apart frame by frame; bounded memory.

    feed(data) → (frames, oversized count, broken). An octet-counted frame longer than the limit is
    skipped without being held; a newline-delimited one is dropped up to its newline. `broken` means
    the stream no longer makes sense (a count that is not a number): the caller closes it.
    """

    __slots__ = ("buf", "limit", "skip", "skip_line")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.buf = b""
        self.skip = 0  # bytes of an oversized octet-counted frame still to discard
        self.skip_line = False  # discarding an oversized newline frame up to its newline

    def feed(self, data: bytes) -> tuple[list[bytes], int, bool]:
        frames: list[bytes] = []
        oversized = 0
        buf = self.buf + data if self.buf else data
        pos = 0
        n = len(buf)
        while pos < n:
            if self.skip:
                take = min(self.skip, n - pos)
                self.skip -= take
                pos += take
                continue
            if self.skip_line:
                nl = buf.find(b"\n", pos)
                if nl < 0:
                    pos = n
                    break
                self.skip_line = False
                pos = nl + 1
                continue
            c = buf[pos]
            if c in (0x0A, 0x0D, 0x00):  # stray trailers between frames
                pos += 1
                continue
            if 0x30 <= c <= 0x39:  # octet counting: "LEN SP FRAME"
                sp = buf.find(b" ", pos, pos + 11)
                if sp < 0:
                    if n - pos > 10:
                        self.buf = b""
                        return frames, oversized, True
                    break  # need more bytes for the count
                digits = buf[pos:sp]
                if not (digits.isascii() and digits.isdigit()):
                    self.buf = b""
                    return frames, oversized, True
                length = int(digits)
                start = sp + 1
                if length > self.limit:
                    oversized += 1
                    self.skip = length
                    pos = start
                    continue
                if n - start < length:
                    break
                frames.append(buf[start : start + length])
                pos = start + length
                continue
            nl = buf.find(b"\n", pos)
            if nl < 0:
                if n - pos > self.limit:
                    oversized += 1
                    self.skip_line = True
                    pos = n
                break
            frame = buf[pos:nl]
            if len(frame) > self.limit:
                oversized += 1
            else:
                frames.append(frame[:-1] if frame.endswith(b"\r") else frame)
            pos = nl + 1
        self.buf = buf[pos:]
        return frames, oversized, False

    def flush(self) -> bytes:
        """What is left when the stream ends: a last newline frame without its newline."""
        rest, self.buf = self.buf, b""
        if self.skip or self.skip_line or not rest.strip(b"\r\n\x00"):
            return b""
        if rest[:1].isascii() and rest[:1].isdigit():
            return b""  # an incomplete octet-counted frame
        return rest.rstrip(b"\r\n")
