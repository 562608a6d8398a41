"""Probe rules: the data files in `rules/probes.toml` turned into fast matchers.

Literal tokens of every family go into one Aho-Corasick automaton; the few true regexes are
compiled once. The classifier caches the path verdicts per distinct path, so the status-dependent
rules (admin paths count only when answered 403/404) are kept apart and applied after the cache.
A hostile path is often one unit repeated (2 KB of `../`, a hit every two characters): the scan
skips the repeats it can prove change nothing (_skip) instead of handling every hit.
"""

from __future__ import annotations

import binascii
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from itertools import islice
from operator import itemgetter
from typing import Any
from urllib.parse import unquote

import ahocorasick

from logwatch.sanitize import lowercase

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
    if len(raw) < 256:
        raw = _NOT_AN_ESCAPE.sub(b"=25", raw.replace(b"=", b"=3D")).replace(b"%", b"=")
        return binascii.a2b_qp(raw).decode("utf-8", "replace")
    # Stray `%`s are rare: on a long text counting them costs less than the regex, which looks
    # behind every `%` (~25 µs for 2 KB of escapes, more than the decoding).
    classes = raw.translate(_CLASSES)
    strays = classes.count(b"%") - classes.count(b"%hh")  # `%hh`s cannot overlap
    if strays > _FEW:
        raw = _NOT_AN_ESCAPE.sub(b"%25", raw)
    elif strays:
        raw = b"%25".join(_between(raw, _strays(classes, strays)))
    if b"=" in raw:
        raw = raw.replace(b"=", b"=3D")
    return binascii.a2b_qp(raw.translate(_PERCENT_TO_EQUALS)).decode("utf-8", "replace")


def _strays(classes: bytes, count: int) -> list[int]:
    """Where the `count` stray `%`s are in `classes` (see _unquote), in order."""
    # A path cut at 2 KB mostly ends in one, half an escape before the `…`: look back from the
    # end first (a few `%`s), and mark every escape (~8 µs for 2 KB of them) only if that fails.
    found: list[int] = []
    end = len(classes)
    for _ in range(16):
        end = classes.rfind(b"%", 0, end)
        if classes[end + 1 : end + 3] != b"hh":
            found.append(end)
            if len(found) == count:
                return found[::-1]
    marks = classes.replace(b"%hh", b"_hh")  # the `%`s left are the strays
    found = [marks.index(b"%")]
    while len(found) < count:
        found.append(marks.index(b"%", found[-1] + 1))
    return found


def _between(raw: bytes, cuts: list[int]) -> list[bytes]:
    """The pieces of `raw` between the bytes at `cuts` (in order)."""
    return [raw[i + 1 : j] for i, j in zip([-1, *cuts], [*cuts, len(raw)], strict=True)]


def _decoded_forms(text: str, plus: bool) -> list[str]:
    """The lower-cased text and its percent-decoded forms (double encoding is a classic evasion)."""
    forms = [text]
    cur = text
    for _ in range(2):
        if "%" not in cur and not (plus and "+" in cur):
            break
        nxt = lowercase(_unquote(cur, plus))
        if nxt == cur:
            break
        forms.append(nxt)
        cur = nxt
    if "\\" in cur:
        forms.append(cur.replace("\\", "/"))
    return forms


# A regex's sign: literal characters, escapes that stand for one character and [classes], so
# that its matches are all as wide as its atoms are many.
_SIGN_ATOM = r"(?:\\[^bBAZzG0-9]|\[(?:\\.|[^\]\\])+\]|[^\\\[\](){}*+?|^$.])"
_SIGN = re.compile(f"{_SIGN_ATOM}+")


# A form with this many automaton hits is a flood (`../` 680 times, 2 hits each): from then on
# the scan looks for a repeated stretch it may skip (see _skip) instead of handling every hit.
_FLOOD = 16
_LONG = 256  # characters: a shorter form is scanned hit by hit
_SKIP_AT_LEAST = 128  # characters: a shorter skip does not pay for the checks
_LOOK_BACK = 64  # hits searched for an earlier hit of the same literal


def _literals(automaton: Any, form: str, span: int) -> tuple[Iterable[int], str]:
    """The values of the automaton's literals (at most `span` characters) in `form`, each once,
    in the order of their first hits, as iterating over every hit gives them; and `form` with
    the stretches cut out that the scan skipped. A flood of hits costs a few batches, not a
    Python object per hit; the cut text holds the same strings of at most `span` characters."""
    found = automaton.iter(form)
    hits: list[tuple[int, int]] = list(islice(found, _FLOOD))
    seen = dict.fromkeys(map(_VALUE, hits))
    if len(hits) < _FLOOD:
        return seen, form
    kept: list[str] = []
    batch = _FLOOD
    start = 0  # where the scan that gives `hits` began
    while hits:
        resume = _skip(form, hits, start, span)
        if resume > 0:
            kept.append(form[start : hits[-1][0] - span + 1])
            found = automaton.iter(form, resume)
            start = resume
            batch = _FLOOD
        elif resume == 0:  # a flood that does not repeat: look again less and less often
            batch = min(batch * 2, 4096)
        hits = list(islice(found, batch))
        seen.update(dict.fromkeys(map(_VALUE, hits)))
    if not kept:
        return seen, form
    kept.append(form[start:])
    return seen, "".join(kept)


def _skip(form: str, hits: list[tuple[int, int]], start: int, span: int) -> int:
    """Where the scan that gave `hits` (it began at `start`; the last hit ends at e) may go on,
    keeping the literals found and the order of their first hits; 0 if nowhere, -1 if too
    little is scanned yet to tell.

    Why a cut keeps them: let form[a:b] repeat with period p (form[i] == form[i + p] for
    a <= i < b - p), and cut form[x:y] out, with x >= a + p, y - x a multiple of p and
    y <= b - span. The cut form equals form up to x + (b - y) >= x + span, and from x on
    equals form from y on. So every string of at most `span` characters in the cut form is in
    form; one whose first occurrence in form ends before x + (b - y) keeps it, one whose first
    occurrence starts at y or later keeps it shifted (the order holds: those end after b); and
    none starts between x and y: it would lie in form[a:b] and have a copy p to its left.
    With x = e - span + 1 the hits up to e are the cut form's, and a new scan from y finds
    every string that ends after e. tests/classify/test_probe_floods.py checks against
    a scan of every hit."""
    e, literal = hits[-1]
    x = e - span + 1
    tries = 0
    # The period: the distance to an earlier hit of the same literal (of the last few).
    for i in range(len(hits) - 2, max(len(hits) - _LOOK_BACK, 0) - 1, -1):
        end, value = hits[i]
        if value != literal:
            continue
        p = e - end
        a = x - p
        if a < start:  # the repeats must lie in this scan's stretch of the form
            return -1 if tries == 0 else 0
        if form[a : e + 1 - p] == form[a + p : e + 1]:
            b = _period_end(form, e + 1, p)
            q = (b - span - x) // p
            return x + q * p if q * p >= _SKIP_AT_LEAST else 0
        tries += 1
        if tries == 3:
            return 0
    return 0


def _period_end(form: str, i: int, p: int) -> int:
    """A j >= i with form[k] == form[k - p] for i <= k < j, less than 16 short of the first k
    where that fails (len(form) if none), in a few slices: a flood mostly runs to the end of
    the form, or nearly (a path cut at 2 KB ends in `…`), so those two are tried first."""
    n = len(form)
    if form.startswith(form[i - p : n - p], i):
        return n
    width = n - 16 - i
    if width <= 0:
        return i
    if form.startswith(form[i - p : i - p + width], i):
        return n - 16
    # the first k that fails is in i .. i + width - 1
    while width > 16:
        half = width // 2
        if form.startswith(form[i - p : i - p + half], i):
            i += half
            width -= half
        else:
            width = half
    return i


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
        signs: dict[re.Pattern[str], str] = {}
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
                if "sign" in item:
                    signs[entry[0]] = item["sign"]
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
        self._span = max(len(tok.token) for tok in tokens)  # the longest literal
        # A sign is looked for in the text a scan has cut floods out of: it holds the same
        # strings up to `_span` characters wide, so a sign no wider has a match in it iff it
        # has one in the text.
        self._signs: dict[re.Pattern[str], re.Pattern[str]] = {}
        for rx, sign in signs.items():
            if not _SIGN.fullmatch(sign) or len(re.findall(_SIGN_ATOM, sign)) > self._span:
                raise ValueError(
                    f"probes.toml: sign {sign!r} of {rx.pattern!r} is not literals, one-character"
                    f" escapes and [classes], at most {self._span} of them"
                )
            self._signs[rx] = re.compile(sign)
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
        if len(form) < _LONG:  # too short for a skip to pay (ordinary paths): every hit
            literals: Iterable[int] = dict.fromkeys(map(_VALUE, self._automaton.iter(form)))
            cut = form
        else:
            literals, cut = _literals(self._automaton, form, self._span)
        # Each literal once, in the order of its first hit (the first token of a family gives
        # its reason).
        for index in literals:
            for tok in token_lists[index]:
                if not tok.family:
                    if gates is None:
                        gates = set()
                    gates.add(tok.token)
                elif not payload_only or (tok.payload and not tok.status):
                    found.append((tok, tok.token))
        if gates is not None:
            # A regex of a family already found with no status rule adds nothing: the family's
            # reason is its first hit's.
            settled = {tok.family for tok, _ in found if not tok.status}
            for rx, needs, tok in self._payload_regex if payload_only else self._all_regex:
                if (tok.status or tok.family not in settled) and not gates.isdisjoint(needs):
                    # The sign first, in the cut text: a 2 KB `/../..` path has a `/.` for
                    # secret-file's regex every third character, and no `/.` before a name.
                    sign = self._signs.get(rx)
                    if (sign is None or sign.search(cut)) and rx.search(form):
                        found.append((tok, "pattern"))

    def path_hits(
        self, path: str
    ) -> tuple[tuple[Hit, ...], tuple[tuple[frozenset[int], Hit], ...]]:
        """(unconditional hits, status-dependent hits) for one path; the caller caches."""
        found: list[tuple[_Token, str]] = []
        lower = path.lower() if len(path) < _LONG else lowercase(path)
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
        lower = query.lower() if len(query) < _LONG else lowercase(query)
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
