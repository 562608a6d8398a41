"""Access-log formats: the built-in ones, compilers for nginx `log_format` and Apache `LogFormat`
strings, JSON field maps (nginx escape=json, Caddy, Traefik, Cloudflare), and detection.

Every parser takes a line that `sanitize.decode` already made safe and returns a `Record`, or a
short reason string when the line is not a request in this format. Returning the reason (rather than
raising) keeps the hot path free of exception set-up and lets the caller count why lines fail.
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from operator import itemgetter, methodcaller
from typing import Any

from logwatch.ingest.timeparse import (
    parse_any,
    parse_clf,
    parse_epoch,
    parse_iso,
    parse_strftime,
)
from logwatch.model import Record
from logwatch.sanitize import (
    KEEP_TEXT,
    MAX_AGENT,
    MAX_FIELD,
    MAX_PATH,
    MAX_QUERY,
    MAX_REFERRER,
    cap,
    clean,
)

ParseResult = Record | str

# A quoted field as Apache (`\"`) and nginx (`\x22`) write it; the unrolled loop cannot backtrack.
_QUOTED = r'"([^"\\]*(?:\\.[^"\\]*)*)"'

# The common case first: one address, then ident, user, [time], "request", status, size, and for
# combined the referrer and agent, then whatever extra fields a custom format appends.
_CLF = re.compile(
    r"(\S+) \S+ (\S+) \[([^\]]{1,64})\] "
    + _QUOTED
    + r" (\d{1,3}|-) (\d{1,20}|-)(?: "
    + _QUOTED
    + " "
    + _QUOTED
    # nginx's `$request_time $upstream_response_time`, the most common extra fields, are
    # matched here so the slower generic tail parser rarely runs.
    + r"(?: (\d{1,9}\.\d{1,9})(?: (\d{1,9}\.\d{1,9}|-)(?= |$))?)?)?(.*)",
    re.ASCII,  # digits are 0-9: no Unicode digit reaches int()
)
# Rarer heads: an X-Forwarded-For list before the address, quoted or not (seen in nginx logs of
# proxies), or a missing ident/user pair. The list is the client's to write and each proxy adds
# to it, so neither its length nor its entries are capped: caps (33 entries of 256 characters,
# no "[") made a longer list a malformed line, a probe hidden from every count. The list is
# taken whole ("entry, " repeated, possessive: never given back, so a failed match costs one
# pass over the line, of at most MAX_LINE_BYTES), stopping before an entry that reads as the
# [time] field (a bracketed IPv6 entry is an entry). Groups: quoted list, list and address,
# ident and user (see ClfFormat.parse for when they were taken by the list), time, request...
_TIME_AHEAD = r'(?!\[[^\] ]*+(?: [^\] ]*+)?\] ")'
_CLF_XFF = re.compile(
    r'("[^"]*" )?((?:[^ ]+, ' + _TIME_AHEAD + r")*+[^ ]++(?: [^ ]++)?)"
    r" (\S++ \S++ )?\[([^\]]{1,64})\] "
    + _QUOTED
    + r" (\d{1,3}|-) (\d{1,20}|-)(?: "
    + _QUOTED
    + " "
    + _QUOTED
    + r")?(.*)",
    re.ASCII,
)
_VHOST = re.compile(r"(\S+) (?=\S+ \S+ \S+ \[)")
_TAIL_TOKEN = re.compile(r'"([^"]*)"|(\S+)')
_QUOTED_TOKEN, _BARE_TOKEN = itemgetter(0), itemgetter(1)  # of a _TAIL_TOKEN match
# What a quoted tail token must hold to be an address list: dots or colons.
_ADDRESS_HINT = re.compile(r"[.:]")
_ENDS_MS = methodcaller("endswith", "ms")
# Real tails (nginx's times and a forwarded-for list, Traefik's count, router, URL and duration)
# are a few hundred characters at most.
_MAX_TAIL = 1024
_METHOD_OK = re.compile(r"[A-Z][A-Z_-]{0,19}")


_request_cache: dict[str, tuple[str, str, str, str]] = {}


def split_request(request: str) -> tuple[str, str, str, str]:
    """`GET /a?b=1 HTTP/1.1` → (method, path, query, protocol); garbage → ("", "", "", "").

    Cached: a site's requests repeat, so most lines cost one dict lookup here."""
    hit = _request_cache.get(request)
    if hit is not None:
        return hit
    value = _split_request(request)
    if len(request) > KEEP_TEXT:
        return value  # one of a kind: keeping it would only hold memory
    if len(_request_cache) >= 16384:
        _request_cache.clear()
    _request_cache[request] = value
    return value


def _split_request(request: str) -> tuple[str, str, str, str]:
    parts = request.split(" ")
    n = len(parts)
    if n == 3:
        method, target, protocol = parts
    elif n == 2:
        method, target = parts
        protocol = ""
    else:
        return "", "", "", ""
    if not _METHOD_OK.fullmatch(method) or not target:
        return "", "", "", ""
    path, _, query = target.partition("?")
    if len(path) > MAX_PATH:
        path = cap(path, MAX_PATH)
    if len(query) > MAX_QUERY:
        query = cap(query, MAX_QUERY)
    if len(protocol) > 16:
        protocol = cap(protocol, 16)
    return method, path, query, protocol


def _float_or_none(text: str | None) -> float | None:
    if not text or text == "-":
        return None
    try:
        value = float(text.rstrip(","))
    except ValueError:
        return None
    return value if value >= 0 and value == value and value != float("inf") else None


def _parse_tail(
    tail: str, request_time: float | None = None
) -> tuple[float | None, float | None, str | None]:
    """Extra trailing fields of combined logs → (request_time, upstream_time, forwarded_for).

    nginx appends `$request_time $upstream_response_time` (seconds with a dot), sometimes a quoted
    X-Forwarded-For; Traefik's CLF ends with a duration like `42ms`. A bare integer is ambiguous
    (Apache %D, Traefik's request count) and is ignored unless the format was given explicitly.
    """
    # The tokens are taken apart in C passes: a tail of thousands of tokens (a raw quote in an
    # agent makes the rest of the line the tail) costs a Python step only for the few that can
    # matter. A tail longer than any real one (an attacker's) is read from its two ends, where
    # the fields are: a 5,000-token tail took 8 ms a line, a CPU denial of service.
    if len(tail) > _MAX_TAIL:
        tail = tail[: _MAX_TAIL // 2] + " " + tail[-_MAX_TAIL // 2 :]
    forwarded = None
    if '"' in tail:
        tokens = _TAIL_TOKEN.findall(tail)
        for quoted in filter(_ADDRESS_HINT.search, filter(None, map(_QUOTED_TOKEN, tokens))):
            if quoted != "-" and _looks_like_addresses(quoted):
                forwarded = cap(quoted, MAX_FIELD)
                break
        words = list(filter(None, map(_BARE_TOKEN, tokens)))
    else:
        words = tail.split()  # what _TAIL_TOKEN finds in a tail without quotes
    upstream_time = None
    for i, bare in enumerate(words):
        if bare.endswith("ms") and _ascii_digits(bare[:-2].replace(".", "", 1)):
            request_time = float(bare[:-2]) / 1000.0
        elif "." in bare or bare == "-":
            if request_time is None:
                if bare != "-":
                    request_time = _float_or_none(bare)
            elif upstream_time is None:
                upstream_time = _float_or_none(bare)
                if upstream_time is not None:
                    # Both found: only a later duration ("42ms") changes anything now.
                    for last in filter(_ENDS_MS, reversed(words[i + 1 :])):
                        if _ascii_digits(last[:-2].replace(".", "", 1)):
                            request_time = float(last[:-2]) / 1000.0
                            break
                    break
    return request_time, upstream_time, forwarded


def _looks_like_addresses(text: str) -> bool:
    head = text.split(",", 1)[0].strip()
    return bool(head) and (head.count(".") == 3 or head.count(":") >= 2) and " " not in head


class LogFormat:
    """A parser for one log format."""

    name: str = "?"
    # Whether this format carries user agents (common does not).
    has_agent: bool = True

    def parse(self, line: str) -> ParseResult:
        raise NotImplementedError

    def time_of(self, raw: bytes) -> float | None:
        """Only the timestamp of a raw line, for seeking in big files; None when unknown."""
        record = self.parse(raw.decode("utf-8", "replace").rstrip("\r"))
        return record.ts if isinstance(record, Record) else None

    def describe(self) -> str:
        return self.name


class ClfFormat(LogFormat):
    """nginx/Apache `combined` and `common`, `vhost_combined`, and combined with extra fields."""

    def __init__(self, name: str = "combined", vhost: bool = False) -> None:
        self.name = name
        self.vhost = vhost
        self.has_agent = name != "common"

    def parse(self, line: str) -> ParseResult:
        vhost = None
        if self.vhost:
            head = _VHOST.match(line)
            if head is None:
                return "no vhost field"
            vhost = head.group(1)
            if len(vhost) > MAX_FIELD:
                vhost = cap(vhost, MAX_FIELD)
            line = line[head.end() :]
        forwarded = None
        rt_text = ut_text = None
        fast = split_clf(line)
        m = _CLF.match(line) if fast is None else None
        if fast is not None:
            client, time_text, request, status, size, referrer, agent, rt_text, ut_text, tail = fast
        elif m is None:
            m = _CLF_XFF.match(line)
            if m is None:
                loose = split_clf_loose(line)
                if loose is None:
                    return f"does not match {self.name}"
                client, time_text, request, status, size, referrer, agent, _, _, tail = loose
            else:
                quoted, head_text, pair, time_text, request, status, size, referrer, agent, tail = (
                    m.groups()
                )
                if pair is None and head_text.count(" ") >= 2:
                    # A list ending in a comma ("a, - - [") took the ident and user: of three
                    # words or more before the time, the last two are those.
                    head_text = head_text.rsplit(" ", 2)[0]
                forwarded, client = _split_head((quoted or "") + head_text)
        else:
            (
                client,
                _user,
                time_text,
                request,
                status,
                size,
                referrer,
                agent,
                rt_text,
                ut_text,
                tail,
            ) = m.groups()
            if referrer is None and self.has_agent and tail[:2] == ' "':
                # A raw quote in a field (gunicorn and morgan do not escape them): the strict
                # pattern lost the referrer and agent to the tail.
                loose = split_clf_loose(line)
                if loose is not None and loose[6] is not None:
                    client, time_text, request, status, size, referrer, agent, _, _, tail = loose
                    rt_text = ut_text = None
        if forwarded is None and "," in client:  # a forwarded-for list before the address
            forwarded, client = _split_head(client)
        when = parse_clf(time_text)
        if when is None:
            return "bad timestamp"
        method, path, query, protocol = split_request(request)
        if referrer is None or agent is None:
            referrer = agent = ""
        else:
            if referrer == "-":
                referrer = ""
            elif len(referrer) > MAX_REFERRER:
                referrer = cap(referrer, MAX_REFERRER)
            if len(agent) > MAX_AGENT:
                agent = cap(agent, MAX_AGENT)
        request_time = float(rt_text) if rt_text else None
        upstream_time = float(ut_text) if ut_text and ut_text != "-" else None
        if tail and not tail.isspace():
            request_time, tail_upstream, tail_forwarded = _parse_tail(tail, request_time)
            upstream_time = upstream_time if upstream_time is not None else tail_upstream
            forwarded = forwarded or tail_forwarded
        if len(request) > MAX_PATH:
            request = cap(request, MAX_PATH)
        if len(client) > MAX_FIELD:
            client = cap(client, MAX_FIELD)
        return Record(
            when[0],
            client,
            method,
            path,
            query,
            protocol,
            int(status) if status != "-" else 0,
            int(size) if size != "-" else None,
            referrer,
            agent,
            request,
            when[1],
            vhost,
            request_time,
            upstream_time,
            None,
            forwarded,
        )

    def time_of(self, raw: bytes) -> float | None:
        start = raw.find(b"[")
        end = raw.find(b"]", start)
        if start < 0 or end < 0 or end - start > 65:
            return None
        when = parse_clf(raw[start + 1 : end].decode("ascii", "replace"))
        return when[0] if when else None


# client, time, request, status, size, referrer, agent, request time, upstream time, tail
_ClfFields = tuple[str, str, str, str, str, str | None, str | None, str | None, str | None, str]


def _ascii_digits(text: str) -> bool:
    """Digits `int()` accepts: str.isdigit alone also passes '²' and other Unicode digits."""
    return text.isascii() and text.isdigit()


def is_decimal(text: str) -> bool:
    return "." in text and len(text) < 20 and _ascii_digits(text.replace(".", "", 1))


def split_clf(line: str) -> _ClfFields | None:
    """The common shapes of combined/common lines by `str.split` alone (about twice as fast as
    the regex); None sends anything unusual (escaped quotes, forwarded-for lists, odd fields) to
    the regex, which stays the definition of the format."""
    parts = line.split('"')
    n = len(parts)
    if n != 7 and n != 3:
        return None
    head = parts[0]
    lb = head.find(" [")
    if lb < 0 or head[-2:] != "] " or len(head) - lb > 68:
        return None
    who = head[:lb].split(" ")
    if len(who) != 3 or not who[0]:
        return None
    mid = parts[2].split(" ")
    if n == 7:
        if len(mid) != 4 or mid[0] or mid[3] or parts[4] != " ":
            return None
        referrer: str | None = parts[3]
        agent: str | None = parts[5]
        tail = parts[6]
    else:
        if len(mid) != 3 or mid[0]:
            return None
        referrer = agent = None
        tail = ""
    status, size = mid[1], mid[2]
    if not ((_ascii_digits(status) and len(status) <= 3) or status == "-"):
        return None
    if not ((_ascii_digits(size) and len(size) <= 20) or size == "-"):
        return None
    rt_text = ut_text = None
    if tail:
        words = tail.split(" ")
        if len(words) in (2, 3) and not words[0] and is_decimal(words[1]):
            rt_text = words[1]
            if len(words) == 3:
                if not (is_decimal(words[2]) or words[2] == "-"):
                    return None
                ut_text = words[2]
            tail = ""
    return (
        who[0],
        head[lb + 2 : -2],
        parts[1],
        status,
        size,
        referrer,
        agent,
        rt_text,
        ut_text,
        tail,
    )


_LOOSE_HEAD = re.compile(r'(\S+) \S+ \S+ \[([^\]]{1,64})\] "')
_LOOSE_MID = re.compile(r'" ([0-9]{1,3}|-) ([0-9]{1,20}|-)(?= |$)')


def split_clf_loose(line: str) -> _ClfFields | None:
    """A combined line whose fields hold raw quotes, as servers that do not escape them write
    it (gunicorn, morgan): `"GET /?q="x HTTP/1.1" 200 5 "ref"x"" "agent"`. The request ends at
    the first `" status size`, the referrer at the first `" "` after it (a real referrer has no
    spaces), the agent at the line's last quote. String searches only: linear on any line."""
    head = _LOOSE_HEAD.match(line)
    if head is None:
        return None
    mid = _LOOSE_MID.search(line, head.end())
    if mid is None:
        return None
    request = line[head.end() : mid.start()]
    after = line[mid.end() :]
    referrer = agent = None
    if after[:2] == ' "':
        split = after.find('" "', 2)
        end = after.rfind('"')
        if split < 0 or end < split + 2:
            return None
        referrer, agent, after = after[2:split], after[split + 3 : end], after[end + 1 :]
    return (head[1], head[2], request, mid[1], mid[2], referrer, agent, None, None, after)


# Words of a head searched for the client's address. Real chains hold a few proxies; a failed
# check costs ~6 µs, so the bound is what a list of junk can cost a line.
_MAX_LIST_WORDS = 32
_WORD = re.compile(r"[^ ,]+")


def _split_head(head: str) -> tuple[str | None, str]:
    """An address field with a forwarded-for list → (the list, the original client).

    The left-most address of X-Forwarded-For is the client as the first proxy saw it. Words
    that are not addresses are passed over: nginx writes `-` for a request that came with no
    X-Forwarded-For, proxies write `unknown`, and a vhost may stand before the address. With no
    address before it, the last word (the connecting address) is the client and there is no
    list.
    """
    text = head.replace('"', "")
    # The words of `text.replace(",", " ").split(" ")`, less the empty ones: only the first few
    # and the last are looked at, so a list of thousands is not cut into thousands of strings.
    first = list(islice(_WORD.finditer(text), _MAX_LIST_WORDS))
    if not first:
        return None, "-"
    end = len(text.rstrip(" ,"))  # where the last word ends
    # An address is looked for among the first words only: each failed check costs
    # microseconds, and a list of thousands of non-addresses would cost milliseconds a line.
    # No real list comes near; past the bound the client is the connecting address, as when a
    # list holds no address.
    at = next((i for i, word in enumerate(first) if _is_address(word[0])), None)
    if at is None:
        client = text[max(text.rfind(" ", 0, end), text.rfind(",", 0, end)) + 1 : end]
    else:
        # The address without the port some proxies add ("198.51.100.9:51234"): one client,
        # not one per port, and an address that --anonymize-ip can cut (not "invalid").
        client = _host_of(first[at][0])
    listed = "," in text or (at is not None and first[at].end() < end)
    return (cap(text, MAX_FIELD) if listed else None), cap(client, MAX_FIELD)


def _is_address(word: str) -> bool:
    """An IPv4 or IPv6 address, maybe bracketed or with a port."""
    try:
        ipaddress.ip_address(_host_of(word))
    except ValueError:
        return False
    return True


# --- JSON formats ------------------------------------------------------------------------------

# Keys under which JSON access logs carry each field, most common first.
_JSON_KEYS: dict[str, tuple[str, ...]] = {
    "client": ("remote_addr", "client_ip", "clientip", "remote_ip", "ip", "client", "ClientIP"),
    "time": ("time_iso8601", "time_local", "@timestamp", "timestamp", "time", "msec", "ts"),
    "request": ("request",),
    "method": ("request_method", "method", "ClientRequestMethod"),
    "uri": ("request_uri", "uri", "url", "ClientRequestURI", "path"),
    "protocol": ("server_protocol", "protocol", "proto", "ClientRequestProtocol"),
    "status": ("status", "status_code", "response_status", "EdgeResponseStatus"),
    "size": ("body_bytes_sent", "bytes_sent", "size", "bytes", "EdgeResponseBytes"),
    # "http_referrer": the key of the json_combined log_format copied from many guides
    "referrer": ("http_referer", "http_referrer", "referer", "referrer", "ClientRequestReferer"),
    "agent": ("http_user_agent", "user_agent", "useragent", "agent", "ClientRequestUserAgent"),
    "request_time": ("request_time", "duration", "response_time"),
    "upstream_time": ("upstream_response_time", "upstream_time"),
    "vhost": ("host", "http_host", "server_name", "vhost", "ClientRequestHost"),
    "cache": ("upstream_cache_status", "cache_status", "CacheCacheStatus"),
    "xff": ("http_x_forwarded_for", "x_forwarded_for"),
}


def _json_text(value: Any, limit: int = MAX_FIELD) -> str:
    if value is None:
        return ""
    if isinstance(value, list):  # Caddy keeps header values in lists
        value = value[0] if value else ""
    text = value if isinstance(value, str) else str(value)
    text = clean(text)  # JSON escapes (\u001b) decode to real control characters
    return cap(text, limit) if len(text) > limit else text


def _host_of(address: str) -> str:
    """An address that may carry its port (Caddy's old `remote_addr`, Traefik's `ClientAddr`:
    "203.0.113.5:51234", "[2001:db8::1]:443") → the address alone, so the client is counted
    (and anonymised) as one, whatever port it came from."""
    if address.startswith("["):
        end = address.find("]")
        return address[1:end] if end > 0 else address
    if address.count(":") == 1:
        return address.partition(":")[0]
    return address


def _json_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        try:
            number = float(value)  # an int of 400 digits overflows
        except OverflowError:
            return None
        # 1e400 and Infinity are valid to Python's json; an infinite size cannot become an int.
        return number if number >= 0 and math.isfinite(number) else None
    if isinstance(value, str):
        # Of a list ("0.010, 0.002 : 0.001": several upstreams), the first.
        return _float_or_none(value.split(",", 1)[0].split(" : ", 1)[0].strip())
    return None


def _status_of(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value < 1000 else None
    if isinstance(value, str) and _ascii_digits(value) and len(value) <= 3:
        return int(value)
    if value in (None, "-", ""):
        return 0
    return None


@dataclass(slots=True)
class _Fields:
    """The format-independent fields a JSON flavour extracts, before they become a Record."""

    client: str = ""
    when: tuple[float, int] | None = None
    request: str = ""
    method: str = ""
    uri: str = ""
    protocol: str = ""
    status: int | None = None
    size: float | None = None
    referrer: str = ""
    agent: str = ""
    request_time: float | None = None
    upstream_time: float | None = None
    vhost: str | None = None
    cache: str | None = None
    xff: str | None = None


def _record_from(f: _Fields) -> ParseResult:
    if f.when is None:
        return "bad timestamp"
    if f.status is None:
        return "bad status"
    if f.request and not f.method:
        method, path, query, protocol = split_request(f.request)
        request = f.request
    else:
        method = f.method if _METHOD_OK.fullmatch(f.method or "") else ""
        path, _, query = f.uri.partition("?")
        path, query = cap(path, MAX_PATH), cap(query, MAX_QUERY)
        protocol = f.protocol
        request = " ".join(x for x in (f.method, f.uri, f.protocol) if x) or "-"
    client = f.client or "-"
    forwarded = f.xff if f.xff and f.xff != "-" else None
    if "," in client:
        forwarded, client = _split_head(client)
    referrer = "" if f.referrer == "-" else f.referrer
    return Record(
        f.when[0],
        client,
        method,
        path,
        query,
        protocol,
        f.status,
        int(f.size) if f.size is not None else None,
        referrer,
        f.agent,
        cap(request, MAX_PATH),
        f.when[1],
        f.vhost or None,
        f.request_time,
        f.upstream_time,
        f.cache or None,
        forwarded,
    )


# nginx's default escaping (a JSON log_format without `escape=json`) writes `"` as `\x22`, `\` as
# `\x5C` and other bytes as `\xHH`: no JSON escape. An `\x` after an even run of backslashes
# (an odd one is an escaped backslash, then text) is read as the byte it stands for.
_NGINX_HEX = re.compile(r"(?<!\\)((?:\\\\)*)\\x([0-9A-Fa-f]{2})")


def _load_object(line: str) -> dict[str, Any] | str:
    if not line.startswith("{"):
        return "not JSON"
    try:
        obj = json.loads(line)
    except (ValueError, RecursionError):
        if "\\x" not in line:
            return "bad JSON"
        try:
            obj = json.loads(_NGINX_HEX.sub(r"\1\\u00\2", line))
        except (ValueError, RecursionError):
            return "bad JSON"
    if not isinstance(obj, dict):
        return "bad JSON"
    return obj


class JsonFormat(LogFormat):
    """JSON lines: one flavour per server, each mapping its keys onto the same fields."""

    def __init__(self, name: str, extract: Callable[[dict[str, Any]], _Fields | str]) -> None:
        self.name = name
        self._extract = extract

    def parse(self, line: str) -> ParseResult:
        obj = _load_object(line)
        if isinstance(obj, str):
            return obj
        return self.parse_object(obj)

    def parse_object(self, obj: dict[str, Any]) -> ParseResult:
        """The record of a line already loaded (one load serves every JSON flavour tried)."""
        fields = self._extract(obj)
        if isinstance(fields, str):
            return fields
        return _record_from(fields)


def _first(obj: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        if key in obj:
            return obj[key]
    return None


def _generic_json(obj: dict[str, Any]) -> _Fields | str:
    keys = _JSON_KEYS
    status = _first(obj, keys["status"])
    if status is None:
        return "not an access-log entry"
    when_value = _first(obj, keys["time"])
    when = parse_epoch(when_value) if isinstance(when_value, (int, float)) else None
    if when is None and isinstance(when_value, str):
        when = parse_any(when_value.strip())
    f = _Fields(
        client=_json_text(_first(obj, keys["client"])),
        when=when,
        request=_json_text(_first(obj, keys["request"]), MAX_PATH),
        method=_json_text(_first(obj, keys["method"]), 24),
        uri=_json_text(_first(obj, keys["uri"]), MAX_PATH + MAX_QUERY),
        protocol=_json_text(_first(obj, keys["protocol"]), 16),
        status=_status_of(status),
        size=_json_number(_first(obj, keys["size"])),
        referrer=_json_text(_first(obj, keys["referrer"]), MAX_REFERRER),
        agent=_json_text(_first(obj, keys["agent"]), MAX_AGENT),
        request_time=_json_number(_first(obj, keys["request_time"])),
        upstream_time=_json_number(_first(obj, keys["upstream_time"])),
        vhost=_json_text(_first(obj, keys["vhost"])) or None,
        cache=_json_text(_first(obj, keys["cache"])) or None,
        xff=_json_text(_first(obj, keys["xff"])) or None,
    )
    return f


def _caddy(obj: dict[str, Any]) -> _Fields | str:
    return _caddy_with(obj, _caddy_duration)


def _caddy_with(obj: dict[str, Any], duration: Callable[[Any], float | None]) -> _Fields | str:
    """Caddy's fields; `duration` reads its `duration` as its `duration_format` writes it."""
    req = obj.get("request")
    if not isinstance(req, dict) or "status" not in obj:
        return "not an access-log entry"
    headers = req.get("headers")
    if not isinstance(headers, dict):
        headers = {}
    return _Fields(
        client=_host_of(
            _json_text(req.get("client_ip") or req.get("remote_ip") or req.get("remote_addr"))
        ),
        when=_caddy_time(obj.get("ts")),
        method=_json_text(req.get("method"), 24),
        uri=_json_text(req.get("uri"), MAX_PATH + MAX_QUERY),
        protocol=_json_text(req.get("proto"), 16),
        status=_status_of(obj.get("status")),
        size=_json_number(obj.get("size")),
        referrer=_json_text(headers.get("Referer"), MAX_REFERRER),
        agent=_json_text(headers.get("User-Agent"), MAX_AGENT),
        request_time=duration(obj.get("duration")),
        vhost=_json_text(req.get("host")) or None,
        xff=_json_text(headers.get("X-Forwarded-For")) or None,
    )


def _caddy_time(ts: Any) -> tuple[float, int] | None:
    """Caddy's `ts`: seconds since the epoch by default; its `time_format` option writes
    milliseconds, nanoseconds, ISO 8601 / RFC 3339, "wall" ("2006/01/02 15:04:05") or CLF."""
    if isinstance(ts, str):
        text = ts.strip()
        if len(text) > 10 and text[4] == "/" and text[7] == "/":  # wall: local time, no zone
            text = f"{text[:4]}-{text[5:7]}-{text[8:]}"
        return parse_any(text)
    return parse_epoch(ts) if isinstance(ts, (int, float)) else None


# Go's duration text ("1.5ms", "2m3.1s"): its units in seconds; "µs" is written with U+00B5.
_GO_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_GO_DURATION = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?(?:ns|us|µs|μs|ms|s|m|h))+")
# Not started inside a number: findall stays linear on a run of digits.
_GO_PART = re.compile(r"(?<![0-9.])([0-9]+(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)")


def _caddy_duration(value: Any) -> float | None:
    """Caddy's `duration` in seconds, as its `duration_format` writes it: seconds as a float
    (the default), whole nanoseconds ("ns"/"nano"), or Go's duration text ("string", "1.5ms").
    A whole number is nanoseconds: seconds as floats are practically never whole."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = _json_number(value)
        return number / 1e9 if number is not None else None
    if isinstance(value, str) and value and not value[-1].isdigit():
        text = value.strip()
        if len(text) <= 64 and _GO_DURATION.fullmatch(text):
            return sum(float(n) * _GO_UNITS[unit] for n, unit in _GO_PART.findall(text))
        return None
    return _json_number(value)


def _caddy_ms(obj: dict[str, Any]) -> _Fields | str:
    """Caddy with `duration_format ms`: its `duration` is whole milliseconds, which no value
    tells apart from the default reading's whole nanoseconds (12 is 12 ms there, 12 ns here),
    so this reading is chosen by name (`--format caddy_ms`), never detected."""
    return _caddy_with(obj, _caddy_millis)


def _caddy_millis(value: Any) -> float | None:
    if isinstance(value, str) and not value[-1:].isdigit():  # Go duration text: its own unit
        return _caddy_duration(value)
    number = _json_number(value)
    return number / 1e3 if number is not None else None


def _traefik(obj: dict[str, Any]) -> _Fields | str:
    if "DownstreamStatus" not in obj and "OriginStatus" not in obj:
        return "not an access-log entry"
    duration = _json_number(obj.get("Duration"))
    start = obj.get("StartUTC") or obj.get("time")
    return _Fields(
        client=_host_of(_json_text(obj.get("ClientHost") or obj.get("ClientAddr"))),
        when=parse_iso(start) if isinstance(start, str) else None,
        method=_json_text(obj.get("RequestMethod"), 24),
        uri=_json_text(obj.get("RequestPath"), MAX_PATH + MAX_QUERY),
        protocol=_json_text(obj.get("RequestProtocol"), 16),
        status=_status_of(obj.get("DownstreamStatus", obj.get("OriginStatus"))),
        size=_json_number(obj.get("DownstreamContentSize")),
        referrer=_json_text(obj.get("request_Referer"), MAX_REFERRER),
        agent=_json_text(obj.get("request_User-Agent"), MAX_AGENT),
        request_time=duration / 1e9 if duration is not None else None,  # nanoseconds
        vhost=_json_text(obj.get("RequestHost")) or None,
        xff=_json_text(obj.get("request_X-Forwarded-For")) or None,
    )


def _cloudflare(obj: dict[str, Any]) -> _Fields | str:
    if "ClientRequestURI" not in obj:
        return "not an access-log entry"
    f = _generic_json(obj)
    if isinstance(f, str):
        return f
    start = obj.get("EdgeStartTimestamp")
    f.when = parse_epoch(start) if isinstance(start, (int, float)) else parse_any(str(start))
    ms = _json_number(obj.get("OriginResponseDurationMs"))
    f.request_time = ms / 1000.0 if ms else None
    return f


# --- format-string compilers -------------------------------------------------------------------

# nginx variables → generic field names.
_NGINX_VARS = {
    "remote_addr": "client",
    "realip_remote_addr": "client",
    "remote_user": "user",
    "time_local": "time_clf",
    "time_iso8601": "time_iso",
    "msec": "time_epoch",
    "request": "request",
    "request_method": "method",
    "request_uri": "uri",
    "uri": "path",
    "document_uri": "path",
    "args": "query",
    "query_string": "query",
    "server_protocol": "protocol",
    "status": "status",
    "body_bytes_sent": "size",
    "bytes_sent": "size",
    "http_referer": "referrer",
    "http_user_agent": "agent",
    "request_time": "request_time",
    "upstream_response_time": "upstream_time",
    "host": "vhost",
    "http_host": "vhost",
    "server_name": "vhost",
    "upstream_cache_status": "cache",
    "http_x_forwarded_for": "xff",
}
# Apache directives (after modifiers are stripped) → generic field names.
_APACHE_DIRECTIVES = {
    "h": "client",
    "a": "client",
    "l": "ident",
    "u": "user",
    "t": "time_clf_bracketed",
    "r": "request",
    "m": "method",
    "U": "path",
    "q": "query",
    "H": "protocol",
    "s": "status",
    "b": "size",
    "B": "size",
    "O": "size",
    "D": "request_time_us",
    "T": "request_time",
    "v": "vhost",
    "V": "vhost",
}
_APACHE_HEADERS = {
    "referer": "referrer",
    "user-agent": "agent",
    "x-forwarded-for": "xff",
    "host": "vhost",
}
_NGINX_TOKEN = re.compile(r"\$(?:\{(\w+)\}|(\w+))")
# Fields that may hold a list: nginx joins the values of several upstreams with ", " (and
# internal redirects with " : "), and X-Forwarded-For is "client, proxy, ...".
_LIST_FIELDS = frozenset(("upstream_time", "xff", "ignore_list"))
_LIST_VALUE = r"(\S*(?:(?:, | : )\S+)*)"
# A time field written with a strftime format: the prefix, then the format.
_STRFTIME = "strftime:"
_APACHE_TOKEN = re.compile(r"%[<>]?(?:!?\d{3}(?:,\d{3})*)?(?:\{([^}]*)\})?([a-zA-Z%])")


class CompiledFormat(LogFormat):
    """A parser compiled from an nginx `log_format` or Apache `LogFormat` string."""

    def __init__(self, spec: str, name: str, pieces: list[tuple[str, str | None]]) -> None:
        self.spec = spec
        self.name = name
        pattern: list[str] = []
        self._fields: list[str] = []
        previous = ""
        for literal, field in pieces:
            pattern.append(re.escape(literal))
            if literal:
                previous = literal[-1]
            if field is None:
                continue
            if field == "time_clf_bracketed":
                pattern.append(r"\[([^\]]{1,64})\]")
                field = "time_clf"
            elif previous == '"':
                pattern.append(r'([^"\\]*(?:\\.[^"\\]*)*)')
            elif previous == "[":
                pattern.append(r"([^\]]{0,64})")
            elif field in _LIST_FIELDS:
                pattern.append(_LIST_VALUE)
            elif field.startswith(_STRFTIME):
                # As many words as the strftime format writes.
                pattern.append(r"(\S+" + r"(?: \S+)" * field.count(" ") + ")")
            else:
                pattern.append(r"(\S*)")
            self._fields.append(field)
            previous = ""
        self._regex = re.compile("".join(pattern) + r"\s*", re.ASCII)
        self.has_agent = "agent" in self._fields

    def describe(self) -> str:
        return f"{self.name}: {self.spec}"

    def parse(self, line: str) -> ParseResult:
        m = self._regex.fullmatch(line)
        if m is None:
            return f"does not match {self.name}"
        f = _Fields()
        for field, value in zip(self._fields, m.groups(), strict=True):
            _assign(f, field, value)
        if f.when is None:
            return "bad timestamp"
        return _record_from(f)


def _assign(f: _Fields, field: str, value: str) -> None:
    if field == "client":
        f.client = cap(value, MAX_FIELD)
    elif field == "time_clf":
        f.when = parse_clf(value)
    elif field == "time_iso":
        f.when = parse_iso(value)
    elif field == "time_epoch":
        f.when = parse_epoch(value)
    elif field == "request":
        f.request = cap(value, MAX_PATH)
    elif field == "method":
        f.method = cap(value, 24)
    elif field == "uri":
        f.uri = value
    elif field == "path":
        f.uri = value + f.uri if f.uri.startswith("?") else value
    elif field == "query":
        if value and value != "-":
            f.uri = f.uri + ("" if value.startswith("?") else "?") + value
    elif field == "protocol":
        f.protocol = cap(value, 16)
    elif field == "status":
        f.status = _status_of(value)
    elif field == "size":
        f.size = _json_number(value)
    elif field == "referrer":
        f.referrer = cap(value, MAX_REFERRER)
    elif field == "agent":
        f.agent = cap(value, MAX_AGENT)
    elif field == "request_time":
        f.request_time = _json_number(value)
    elif field == "request_time_us":
        us = _json_number(value)
        f.request_time = us / 1e6 if us is not None else None
    elif field == "request_time_ms":
        ms = _json_number(value)
        f.request_time = ms / 1e3 if ms is not None else None
    elif field == "upstream_time":
        f.upstream_time = _json_number(value)
    elif field == "vhost":
        f.vhost = cap(value, MAX_FIELD)
    elif field == "cache":
        f.cache = cap(value, 32)
    elif field == "xff":
        f.xff = cap(value, MAX_FIELD)
    elif field.startswith(_STRFTIME):
        f.when = parse_strftime(value, field[len(_STRFTIME) :])


def compile_nginx(spec: str, name: str = "nginx log_format") -> CompiledFormat:
    """Compile an nginx `log_format` string ('$remote_addr - ... "$http_user_agent"')."""
    pieces: list[tuple[str, str | None]] = []
    pos = 0
    for m in _NGINX_TOKEN.finditer(spec):
        variable = m.group(1) or m.group(2)
        field = _NGINX_VARS.get(variable) or (
            "ignore_list"
            if variable.startswith("upstream_") or variable.endswith("forwarded_for")
            else "ignore"
        )
        pieces.append((spec[pos : m.start()], field))
        pos = m.end()
    pieces.append((spec[pos:], None))
    if not any(field for _, field in pieces):
        raise ValueError("an nginx log_format needs at least one $variable")
    if not _has_time(pieces):
        raise ValueError("the log_format has no time: add $time_local, $time_iso8601 or $msec")
    return CompiledFormat(spec, name, pieces)


def _has_time(pieces: list[tuple[str, str | None]]) -> bool:
    """Whether a compiled format reads a time: without one every line is 'bad timestamp'."""
    return any(field and field.startswith(("time_", _STRFTIME)) for _, field in pieces)


def _apache_time(arg: str) -> str:
    """The field of `%{...}t`: seconds since the epoch, or a strftime format."""
    fmt = arg.removeprefix("begin:").removeprefix("end:")
    if fmt in ("sec", "msec", "usec", "%s"):
        return "time_epoch"
    if fmt in ("msec_frac", "usec_frac"):
        return "ignore"
    # A format strptime cannot read back (a bad directive) would fail every line: say so now.
    sample = datetime(2026, 10, 10, 13, 55, 36, tzinfo=UTC).strftime(fmt)
    if parse_strftime(sample, fmt) is None:
        raise ValueError(f"cannot read times written as %{{{arg}}}t")
    return _STRFTIME + fmt


def compile_apache(spec: str) -> CompiledFormat:
    """Compile an Apache `LogFormat` string ('%h %l %u %t \\"%r\\" %>s %b ...')."""
    spec_text = spec.replace('\\"', '"')
    pieces: list[tuple[str, str | None]] = []
    pos = 0
    literal_extra = ""
    for m in _APACHE_TOKEN.finditer(spec_text):
        arg, directive = m.group(1), m.group(2)
        literal = literal_extra + spec_text[pos : m.start()]
        literal_extra = ""
        pos = m.end()
        if directive == "%":
            literal_extra = literal + "%"
            continue
        if directive == "i" and arg is not None:
            field = _APACHE_HEADERS.get(arg.lower(), "ignore")
        elif directive == "T" and arg in ("ms", "us", "s"):
            field = {"ms": "request_time_ms", "us": "request_time_us", "s": "request_time"}[arg]
        elif directive == "t" and arg:
            field = _apache_time(arg)
        else:
            field = _APACHE_DIRECTIVES.get(directive, "ignore")
        pieces.append((literal, field))
    pieces.append((literal_extra + spec_text[pos:], None))
    if not any(field for _, field in pieces):
        raise ValueError("an Apache LogFormat needs at least one %directive")
    if not _has_time(pieces):
        raise ValueError("the LogFormat has no time: add %t or %{format}t")
    return CompiledFormat(spec, "Apache LogFormat", pieces)


# --- the registry and detection ----------------------------------------------------------------


# BunkerWeb (a WAF built on nginx) logs the virtual host and a request id around the client.
BUNKERWEB = (
    '$host $remote_addr - $request_id $remote_user [$time_local] "$request" $status '
    '$body_bytes_sent "$http_referer" "$http_user_agent"'
)


def _builtin(name: str) -> LogFormat:
    if name in ("combined", "common", "combined_extra", "clf", "traefik_clf"):
        return ClfFormat("common" if name == "clf" else name)
    if name == "vhost_combined":
        return ClfFormat("vhost_combined", vhost=True)
    if name == "caddy":
        return JsonFormat("caddy", _caddy)
    if name == "caddy_ms":
        return JsonFormat("caddy_ms", _caddy_ms)
    if name == "traefik":
        return JsonFormat("traefik", _traefik)
    if name == "cloudflare":
        return JsonFormat("cloudflare", _cloudflare)
    if name in ("json", "nginx_json"):
        return JsonFormat(name, _generic_json)
    if name == "bunkerweb":
        return compile_nginx(BUNKERWEB, name)
    raise KeyError(name)


FORMAT_NAMES = (
    "combined",
    "common",
    "vhost_combined",
    "combined_extra",
    "caddy",
    "caddy_ms",
    "traefik",
    "nginx_json",
    "json",
    "cloudflare",
    "bunkerweb",
)
# The names shown in help and messages: `json` is nginx_json's reader under a generic name.
SHOWN_NAMES = tuple(name for name in FORMAT_NAMES if name != "json")


class FormatError(ValueError):
    """The format given or detected cannot be used; the message says what to do."""


def get_format(spec: str) -> LogFormat:
    """A format by name, or compiled from an nginx or Apache format string."""
    spec = spec.strip()
    if spec in FORMAT_NAMES or spec in ("clf", "traefik_clf"):
        return _builtin(spec)
    try:
        if "$" in spec:
            return compile_nginx(spec)
        if "%" in spec:
            return compile_apache(spec)
    except (ValueError, re.error) as exc:
        raise FormatError(f"cannot compile format string: {exc}") from None
    raise FormatError(
        f"unknown format {spec!r}: use one of {', '.join(FORMAT_NAMES)}, "
        "an nginx log_format string or an Apache LogFormat string"
    )


# Candidates for detection, most specific first: on a tie the earlier one wins.
_DETECT_ORDER = (
    "bunkerweb",
    "vhost_combined",
    "caddy",
    "traefik",
    "cloudflare",
    "nginx_json",
    "combined",
)


@dataclass(frozen=True, slots=True)
class Detection:
    format: LogFormat
    matched: int
    sampled: int

    def describe(self) -> str:
        return f"{self.format.describe()} ({self.matched}/{self.sampled} sample lines matched)"

    @property
    def convincing(self) -> bool:
        """It reads a quarter of the sample at least: a log of something else that happens to
        hold a request line is not an access log."""
        return self.matched * 4 >= self.sampled


def detect_format(sample: Iterable[str], max_lines: int = 64) -> Detection | None:
    """Choose the most specific format that parses the most of the first lines; None if none do."""
    lines = [line.rstrip("\r\n") for line in sample if line.strip()][:max_lines]
    if not lines:
        return None
    best: Detection | None = None
    for name in _DETECT_ORDER:
        fmt = _builtin(name)
        results = [fmt.parse(line) for line in lines]
        records = [r for r in results if isinstance(r, Record)]
        if not records:
            continue
        if name == "combined":
            fmt = _refine_clf(records)
        if best is None or len(records) > best.matched:
            best = Detection(fmt, len(records), len(lines))
    return best


def known_formats() -> list[LogFormat]:
    """The built-in formats, in detection order (most specific first)."""
    return [_builtin(name) for name in _DETECT_ORDER]


class OtherFormats:
    """The known formats a line may be in when the run's own format does not read it: a Caddy
    log read beside nginx's, a file where two vhosts' log_formats meet.

    Each such line is tried against them in detection order: the JSON flavours for a line that
    is a JSON object (loaded once), the others for a line with a "[" (every one of them dates
    its lines in brackets). The answer depends on the line alone, not on the lines before it,
    where a file was cut for the worker processes, or when a snapshot was taken; a line no
    format reads costs one JSON load or a few failed matches."""

    def __init__(self, first: LogFormat) -> None:
        candidates = [
            fmt
            for fmt in known_formats()
            if fmt.describe() != first.describe() and not same_parser(fmt, first)
        ]
        self._json = [fmt for fmt in candidates if isinstance(fmt, JsonFormat)]
        self._bracketed = [fmt for fmt in candidates if not isinstance(fmt, JsonFormat)]

    def parse(self, line: str) -> tuple[Record, LogFormat] | None:
        """The record of `line` and the format that read it; None if no known format does."""
        if line.lstrip()[:1] == "{":
            obj = _load_object(line) if self._json else "no JSON flavour left"
            if isinstance(obj, str):
                return None
            for json_format in self._json:
                rec = json_format.parse_object(obj)
                if isinstance(rec, Record):
                    return rec, json_format
        elif "[" in line:
            for fmt in self._bracketed:
                rec = fmt.parse(line)
                if isinstance(rec, Record):
                    return rec, fmt
        return None


def same_parser(a: LogFormat, b: LogFormat) -> bool:
    """combined, common and combined_extra differ in name only: one parser reads all three."""
    return isinstance(a, ClfFormat) and isinstance(b, ClfFormat) and a.vhost == b.vhost


def _refine_clf(records: list[Record]) -> LogFormat:
    """combined vs common vs combined with extra trailing fields, from what the lines carried."""
    with_agent = sum(1 for r in records if r.user_agent or r.referrer)
    with_extras = sum(1 for r in records if r.request_time is not None or r.forwarded_for)
    if with_agent * 2 < len(records):
        return ClfFormat("common")
    if with_extras * 2 >= len(records):
        return ClfFormat("combined_extra")
    return ClfFormat("combined")


def no_format_message(sample_line: str) -> str:
    shown = sample_line if len(sample_line) <= 200 else sample_line[:200] + "…"
    return (
        "no known access-log format matches these lines. First line:\n"
        f"  {shown}\n"
        f"Pass the format: --format {'|'.join(SHOWN_NAMES)}, or the server's own definition, "
        "e.g.\n"
        '  --format \'$remote_addr - $remote_user [$time_local] "$request" $status '
        '$body_bytes_sent "$http_referer" "$http_user_agent"\'\n'
        '  --format \'%h %l %u %t \\"%r\\" %>s %b \\"%{Referer}i\\" \\"%{User-Agent}i\\"\''
    )
