"""Probe rules: the data files in `rules/probes.toml` turned into fast matchers.

Literal tokens of every family go into one Aho-Corasick automaton; the few true regexes are
compiled once. The classifier caches the path verdicts per distinct path, so the status-dependent
rules (admin paths count only when answered 403/404) are kept apart and applied after the cache.
"""

from __future__ import annotations

import binascii
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from operator import itemgetter
from typing import Any
from urllib.parse import unquote

import ahocorasick

# Every probe family the classifier can report, in a stable order (Prometheus labels).
PROBE_FAMILIES: tuple[str, ...] = (
    "secret-file",
    "exploit-path",
    "admin-probe",
    "traversal",
    "sqli",
    "xss",
    "shell-injection",
    "remote-include",
    "odd-method",
    "proxy-attempt",
    "bad-request-line",
    "scanner-agent",
)

Hit = tuple[str, str]  # (family, reason)

# Browsers' idle preconnects are logged with "-" too: a probe, but no reason to mark the client.
EMPTY_REQUEST_HIT: Hit = ("bad-request-line", "empty request line (-) → bad-request-line probe")

_VALUE = itemgetter(1)  # of an automaton hit: (end, value)
_SHOW = 60  # characters of a path or query quoted in a reason


def shown(text: str) -> str:
    return text if len(text) <= _SHOW else text[: _SHOW - 1] + "…"


def load_probe_data() -> dict[str, Any]:
    text = resources.files("logwatch.classify").joinpath("rules/probes.toml").read_text("utf-8")
    return tomllib.loads(text)


@dataclass(frozen=True, slots=True)
class _Token:
    family: str
    token: str
    payload: bool  # also applies to the query string
    status: frozenset[int]  # empty = any status


# A `%` that does not start an escape (`%%`, `%g1`, a `%` at the end): unquote keeps it as it is.
_NOT_AN_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")
# Bytes as classes, to count the `%`s that start no escape in C: hex digit → h, others but % → x.
_CLASSES = bytes(
    c if c == 0x25 else 0x68 if chr(c) in "0123456789abcdefABCDEF" else 0x78 for c in range(256)
)
_PERCENT_TO_EQUALS = bytes(range(256)).replace(b"%", b"=")
_FEW = 8  # stray `%`s cut out one by one; more go through _NOT_AN_ESCAPE


def _unquote(text: str, plus: bool) -> str:
    """`urllib.parse.unquote(text, errors="replace")` (`unquote_plus` when `plus`) in a few C
    passes: urllib's loop runs in Python once per `%`, and a hostile path or query holds
    hundreds of them (a millisecond a line). Quoted-printable decoding (`=41` → `A`) does the
    work once every `=` is written `=3D`, every `%` that starts no escape `=25`, and every other
    `%` `=`: then each `=` starts a valid escape. tests/classify/test_probes.py checks it
    against urllib on hostile text."""
    if plus:
        text = text.replace("+", " ")
    if "%" not in text:
        return text
    try:
        raw = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (sanitize escapes them: not expected)
        return unquote(text, errors="replace")
    # Stray `%`s are rare: counting them costs less than a regex that looks behind every `%`
    # (~25 µs for 2 KB of escapes, more than the decoding).
    classes = raw.translate(_CLASSES)
    strays = classes.count(b"%") - classes.count(b"%hh")  # `%hh`s cannot overlap
    if strays > _FEW:
        raw = _NOT_AN_ESCAPE.sub(b"%25", raw)
    elif strays:
        marks = classes.replace(b"%hh", b"_hh")  # the `%`s left are the strays
        parts = []
        start = 0
        for _ in range(strays):
            at = marks.index(b"%", start)
            parts.append(raw[start:at])
            start = at + 1
        parts.append(raw[start:])
        raw = b"%25".join(parts)
    if b"=" in raw:
        raw = raw.replace(b"=", b"=3D")
    return binascii.a2b_qp(raw.translate(_PERCENT_TO_EQUALS)).decode("utf-8", "replace")


_NOT_ASCII = re.compile(r"[^\x00-\x7f]")


def _lower(text: str) -> str:
    """`text.lower()`. Python lowers a text that is not all ASCII a character at a time: a 2 KB
    path capped with `…` takes ~15 µs, ten times the ASCII pass. So a text that is ASCII but
    for its last few characters is lowered in two parts; nothing in the tail looks back at the
    head but a capital sigma (Σ is ς at the end of a word)."""
    if text.isascii() or len(text) < 256:
        return text.lower()
    tail = _NOT_ASCII.search(text, len(text) - 16)
    if tail is None or "\u03a3" in text:
        return text.lower()
    head = text[: tail.start()]
    if not head.isascii():
        return text.lower()
    return head.lower() + text[tail.start() :].lower()


def _decoded_forms(text: str, plus: bool) -> list[str]:
    """The lower-cased text and its percent-decoded forms (double encoding is a classic evasion)."""
    forms = [text]
    cur = text
    for _ in range(2):
        if "%" not in cur and not (plus and "+" in cur):
            break
        nxt = _lower(_unquote(cur, plus))
        if nxt == cur:
            break
        forms.append(nxt)
        cur = nxt
    if "\\" in cur:
        forms.append(cur.replace("\\", "/"))
    return forms


class ProbeRules:
    def __init__(self, data: dict[str, Any] | None = None) -> None:
        data = data or load_probe_data()
        self.families = [f["id"] for f in data["family"]]
        unknown = set(self.families) - set(PROBE_FAMILIES)
        if unknown:
            raise ValueError(f"probes.toml: families not in PROBE_FAMILIES: {sorted(unknown)}")
        self.what = {f["id"]: f.get("what", f["id"]) for f in data["family"]}
        tokens: list[_Token] = []
        self._exact: dict[str, list[_Token]] = {}
        self._suffix: list[tuple[str, _Token]] = []
        path_regex: list[tuple[re.Pattern[str], tuple[str, ...], _Token]] = []
        payload_regex: list[tuple[re.Pattern[str], tuple[str, ...], _Token]] = []
        header_tokens: list[str] = []
        for fam in data["family"]:
            fid = fam["id"]
            payload = fam.get("where", "path") == "payload"
            status = frozenset(fam.get("status", ()))
            for tok in fam.get("contains", ()):
                tokens.append(_Token(fid, tok.lower(), payload, status))
            for tok in fam.get("exact", ()):
                self._exact.setdefault(tok.lower(), []).append(_Token(fid, tok, payload, status))
            for tok in fam.get("suffix", ()):
                self._suffix.append((tok.lower(), _Token(fid, tok, payload, status)))
            for item in fam.get("regex", ()):
                pattern, needs = item["pattern"], tuple(item["needs"])
                entry = (re.compile(pattern), needs, _Token(fid, pattern, payload, status))
                (payload_regex if payload else path_regex).append(entry)
            header_tokens += [t.lower() for t in fam.get("headers", ())]
        self._suffixes = tuple(s for s, _ in self._suffix)
        # Regexes run only when one of their `needs` is present: the needles ride in the same
        # automaton as gate tokens (family "").
        self._all_regex = path_regex + payload_regex
        for _rx, needs, _tok in self._all_regex:
            tokens += [_Token("", n.lower(), True, frozenset()) for n in needs]
        # Each literal's value is the index of its tokens in `_tokens`: a scan can then drop
        # repeated hits in C (a traversal path hits "../" hundreds of times).
        self._tokens: list[list[_Token]] = []
        automaton = ahocorasick.Automaton()
        for tok in tokens:
            if automaton.exists(tok.token):
                self._tokens[automaton.get(tok.token)].append(tok)
            else:
                automaton.add_word(tok.token, len(self._tokens))
                self._tokens.append([tok])
        automaton.make_automaton()
        self._automaton = automaton
        self._path_regex = path_regex
        self._payload_regex = payload_regex
        self.header_tokens: tuple[str, ...] = tuple(dict.fromkeys(header_tokens))
        self.regexes: tuple[re.Pattern[str], ...] = tuple(
            r for r, _, _ in path_regex + payload_regex
        )
        req = data["requests"]
        self.normal_methods = frozenset(req["normal_methods"])
        self.webdav_methods = frozenset(req["webdav_methods"])
        self.protocols = frozenset(req["protocols"])
        self.handshakes: tuple[tuple[str, str], ...] = tuple(
            (p, what) for p, what in req["handshakes"]
        )

    def _scan(self, form: str, payload_only: bool, found: list[tuple[_Token, str]]) -> None:
        gates: set[str] | None = None
        token_lists = self._tokens
        # Each literal once, in the order of its first hit (the first token of a family gives
        # its reason).
        for index in dict.fromkeys(map(_VALUE, self._automaton.iter(form))):
            for tok in token_lists[index]:
                if not tok.family:
                    if gates is None:
                        gates = set()
                    gates.add(tok.token)
                elif not payload_only or (tok.payload and not tok.status):
                    found.append((tok, tok.token))
        if gates is not None:
            for rx, needs, tok in self._payload_regex if payload_only else self._all_regex:
                if not gates.isdisjoint(needs) and rx.search(form):
                    found.append((tok, "pattern"))

    def path_hits(
        self, path: str
    ) -> tuple[tuple[Hit, ...], tuple[tuple[frozenset[int], Hit], ...]]:
        """(unconditional hits, status-dependent hits) for one path; the caller caches."""
        found: list[tuple[_Token, str]] = []
        lower = _lower(path)
        forms = _decoded_forms(lower, plus=False) if "%" in lower or "\\" in lower else (lower,)
        for form in forms:
            self._scan(form, False, found)
            exact = self._exact.get(form)
            if exact:
                found += [(tok, tok.token) for tok in exact]
            if form.endswith(self._suffixes):
                found += [
                    (tok, f"ends in {sfx}") for sfx, tok in self._suffix if form.endswith(sfx)
                ]
        if not found:
            return (), ()
        hits: dict[str, Hit] = {}
        conditional: dict[str, list[tuple[frozenset[int], Hit]]] = {}
        where = f"path {shown(path)}"
        for tok, what in found:
            hit = (tok.family, f"{where} → {tok.family} probe ({what})")
            if tok.status:
                # A family's tokens may answer to different statuses (admin-probe's PHP scripts
                # count at 405 too): the path counts at any of its tokens' statuses, each status
                # with the reason of the first token that counts at it (one hit per family).
                entries = conditional.setdefault(tok.family, [])
                covered = frozenset().union(*(statuses for statuses, _ in entries))
                if tok.status - covered:
                    entries.append((tok.status - covered, hit))
            else:
                hits.setdefault(tok.family, hit)
        return tuple(hits.values()), tuple(e for entries in conditional.values() for e in entries)

    def query_hits(self, query: str) -> tuple[Hit, ...]:
        """Payload hits in a query string (without the `?`); the caller caches."""
        found: list[tuple[_Token, str]] = []
        lower = _lower(query)
        forms = _decoded_forms(lower, plus=True) if "%" in lower or "+" in lower else (lower,)
        for form in forms:
            self._scan(form, True, found)
        if not found:
            return ()
        hits: dict[str, Hit] = {}
        where = f"query {shown(query)}"
        for tok, what in found:
            hits.setdefault(tok.family, (tok.family, f"{where} → {tok.family} probe ({what})"))
        return tuple(hits.values())

    def request_hits(
        self, method: str, path: str, protocol: str, request: str, status: int, vhost: str | None
    ) -> tuple[Hit, ...]:
        """Odd methods, proxy attempts and request lines that are not HTTP. Called only when the
        method, protocol or target is out of the ordinary."""
        line = request if request else f"{method} {path} {protocol}".strip()
        if not method or line == "-" or not line:
            for prefix, what in self.handshakes:
                if line.startswith(prefix):
                    return (
                        ("bad-request-line", f"request line is a {what} → bad-request-line probe"),
                    )
            if line in ("-", ""):
                return (EMPTY_REQUEST_HIT,)
            return (
                (
                    "bad-request-line",
                    f"request line {shown(line)!r} is not HTTP → bad-request-line probe",
                ),
            )
        for prefix, what in self.handshakes:
            if line.startswith(prefix):
                return (("bad-request-line", f"request line is a {what} → bad-request-line probe"),)
        hits: list[Hit] = []
        if method not in self.normal_methods:
            if method in self.webdav_methods:
                if status >= 400 or status < 200:
                    hits.append(
                        (
                            "odd-method",
                            f"WebDAV method {method} refused ({status}) → odd-method probe",
                        )
                    )
            elif method == "CONNECT":
                pass  # a proxy attempt, judged below
            elif method.isascii() and method.isalpha() and method.isupper():
                hits.append(("odd-method", f"method {shown(method)} → odd-method probe"))
            else:
                return (
                    (
                        "bad-request-line",
                        f"request line {shown(line)!r} is not HTTP → bad-request-line probe",
                    ),
                )
        if method == "CONNECT" or (path and path[0] != "/" and path != "*"):
            lower = path.lower()
            if lower.startswith(("http://", "https://")):
                host = lower.split("/", 3)[2] if lower.count("/") >= 2 else ""
                if not vhost or host.split(":")[0] != vhost.lower().split(":")[0]:
                    hits.append(
                        ("proxy-attempt", f"absolute URI {shown(path)} → proxy-attempt probe")
                    )
            elif method == "CONNECT":
                hits.append(("proxy-attempt", f"CONNECT {shown(path)} → proxy-attempt probe"))
            elif not (method == "OPTIONS" and path == "*"):
                hits.append(
                    (
                        "bad-request-line",
                        f"target {shown(path)!r} is not a path → bad-request-line probe",
                    )
                )
        # A format that logs no raw request line and no protocol tells us nothing here.
        if protocol not in self.protocols and (protocol or request):
            what = f"HTTP version {shown(protocol)!r}" if protocol else "no HTTP version"
            hits.append(("bad-request-line", f"{what} → bad-request-line probe"))
        return tuple(hits)
