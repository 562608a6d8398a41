"""The `/` filter of the dashboard: a small query language over (Record, Verdict).

    status:5xx class:bot path:/api ip:203.0.113. source:access bot:gptbot probe:yes  free text

Terms are ANDed; a leading `-` or `!` negates a term; commas give alternatives within a field
(`status:404,5xx`). A term without a known field is free text, matched case-insensitively against
the path, query, client, agent, referrer, method, status and bot name. Core module: no UI imports,
so the headless modes could use the same language.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import shlex
from collections.abc import Callable

from logwatch.model import CLASSES, Record, Verdict, status_class

Predicate = Callable[[Record, Verdict], bool]


class FilterError(ValueError):
    """A filter that cannot be understood; the message says which term and why."""


def match_all(record: Record, verdict: Verdict) -> bool:
    return True


_TRUE = {"yes", "y", "true", "1", "on"}
_FALSE = {"no", "n", "false", "0", "off"}


def _split(text: str) -> list[str]:
    # The filter is typed by the user, not read from a log; quotes allow spaces in a value.
    # Backslashes are text, not escapes: the dashboard shows control characters and bytes that
    # are not UTF-8 as \xHH, and a value copied from it must match what it shows.
    lexer = shlex.shlex(text, posix=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    lexer.escape = ""
    try:
        return list(lexer)
    except ValueError:
        return text.split()


def _status_cmp(op: str, n: int) -> Predicate:
    ops: dict[str, Callable[[int], bool]] = {
        ">=": lambda s: s >= n,
        "<=": lambda s: s <= n,
        ">": lambda s: s > n,
        "<": lambda s: s < n,
        "=": lambda s: s == n,
    }
    test = ops[op]
    return lambda r, v: test(r.status)


def _status_class_is(name: str) -> Predicate:
    return lambda r, v: status_class(r.status) == name


def _status_prefix(prefix: str) -> Predicate:
    return lambda r, v: str(r.status).startswith(prefix)


def _status_term(value: str) -> Predicate:
    options: list[Predicate] = []
    for part in value.lower().split(","):
        part = part.strip()
        if not part:
            continue
        if part in ("2xx", "3xx", "4xx", "5xx", "other"):
            options.append(_status_class_is(part))
        elif part.isdigit():
            options.append(_status_cmp("=", int(part)))
        elif len(part) == 3 and part[0].isdigit() and part.endswith("x"):
            options.append(_status_prefix(part.rstrip("x")))  # "50x", "4x"
        elif part[:2] in (">=", "<=") and part[2:].isdigit():
            options.append(_status_cmp(part[:2], int(part[2:])))
        elif part[:1] in (">", "<") and part[1:].isdigit():
            options.append(_status_cmp(part[:1], int(part[1:])))
        else:
            raise FilterError(f"status:{value}: expected a code (404), a class (5xx) or >=500")
    return _any(options, f"status:{value}")


def _class_term(value: str) -> Predicate:
    wanted = set()
    probes = False
    for part in value.lower().split(","):
        part = part.strip()
        if part == "probe":
            probes = True
        elif part in CLASSES:
            wanted.add(part)
        else:
            raise FilterError(f"class:{value}: expected one of {', '.join(CLASSES)} or probe")
    if not probes:
        return lambda r, v: v.cls in wanted
    return lambda r, v: v.probe or v.cls in wanted


def _text_match(value: str, case: bool = False) -> Callable[[str], bool]:
    """Glob when the value has * or ?, prefix when it starts with '/', substring otherwise."""
    needle = value if case else value.lower()
    if "*" in needle or "?" in needle:
        return lambda s: fnmatch.fnmatchcase(s if case else s.lower(), needle)
    if needle.startswith("/"):
        return lambda s: (s if case else s.lower()).startswith(needle)
    return lambda s: needle in (s if case else s.lower())


def _path_term(value: str) -> Predicate:
    options = [_text_match(p) for p in value.split(",") if p]
    # A request with no path (a TLS handshake, "-") is listed by its request text: match that.
    return lambda r, v: any(m(r.path or r.request) for m in options)


def _ip_term(value: str) -> Predicate:
    options: list[Predicate] = []
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        if "/" in part:
            try:
                net = ipaddress.ip_network(part, strict=False)
            except ValueError as exc:
                raise FilterError(f"ip:{part}: not a network ({exc})") from None
            options.append(_network_pred(net))
        else:
            options.append(_prefix_pred(part.lower()))
    return _any(options, f"ip:{value}")


def _network_pred(net: ipaddress.IPv4Network | ipaddress.IPv6Network) -> Predicate:
    return lambda r, v: _in_network(r.client, net)


def _prefix_pred(prefix: str) -> Predicate:
    return lambda r, v: r.client.lower().startswith(prefix)


def _in_network(client: str, net: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    try:
        return ipaddress.ip_address(client) in net
    except ValueError:
        return False


def _bot_term(value: str) -> Predicate:
    low = value.lower()
    if low in _TRUE:
        return lambda r, v: v.cls == "bot"
    if low in _FALSE:
        return lambda r, v: v.cls != "bot"
    parts = [p for p in low.split(",") if p]
    return lambda r, v: (
        v.cls == "bot"
        and any(p == (v.bot_category or "") or p in (v.bot_name or "").lower() for p in parts)
    )


def _probe_term(value: str) -> Predicate:
    low = value.lower()
    if low in _TRUE or low == "":
        return lambda r, v: v.probe
    if low in _FALSE:
        return lambda r, v: not v.probe
    return lambda r, v: v.probe and any(low in rule.lower() for rule in v.probe_rules)


def _field(getter: Callable[[Record], str | None]) -> Callable[[str], Predicate]:
    def build(value: str) -> Predicate:
        options = [_text_match(p) for p in value.split(",") if p]
        return lambda r, v: any(m(getter(r) or "") for m in options)

    return build


def _free_text(value: str) -> Predicate:
    needle = value.lower()

    def pred(r: Record, v: Verdict) -> bool:
        for s in (
            r.path or r.request,  # as the paths panel lists it
            r.query,
            r.client,
            r.user_agent,
            r.referrer,
            r.method,
            r.source,
        ):
            if needle in s.lower():
                return True
        if v.bot_name and needle in v.bot_name.lower():
            return True
        return needle == str(r.status)

    return pred


_FIELDS: dict[str, Callable[[str], Predicate]] = {
    "status": _status_term,
    "code": _status_term,
    "class": _class_term,
    "cls": _class_term,
    "path": _path_term,
    "ip": _ip_term,
    "client": _ip_term,
    "bot": _bot_term,
    "probe": _probe_term,
    "source": _field(lambda r: r.source),
    "method": _field(lambda r: r.method),
    "agent": _field(lambda r: r.user_agent),
    "ua": _field(lambda r: r.user_agent),
    "ref": _field(lambda r: r.referrer),
    "referrer": _field(lambda r: r.referrer),
    "host": _field(lambda r: r.vhost),
    "vhost": _field(lambda r: r.vhost),
    "query": _field(lambda r: r.query),
}

FIELD_NAMES: tuple[str, ...] = tuple(sorted(_FIELDS))


def _any(options: list[Predicate], term: str) -> Predicate:
    if not options:  # "status:," asks for nothing: say so rather than match everything
        raise FilterError(f"{term}: no value to match")
    if len(options) == 1:
        return options[0]
    return lambda r, v: any(o(r, v) for o in options)


def _term(token: str) -> Predicate:
    negate = False
    if len(token) > 1 and token[0] in "-!":
        negate, token = True, token[1:]
    name, sep, value = token.partition(":")
    key = name.lower()
    if sep and key in _FIELDS:
        if not value and key != "probe":
            raise FilterError(f"{name}: needs a value, e.g. {name}:…")
        pred = _FIELDS[key](value)
    elif sep and name.isalpha() and not value.startswith("//"):
        raise FilterError(f"unknown field {name!r}; fields: {', '.join(FIELD_NAMES)}")
    else:
        pred = _free_text(token)
    if negate:
        return lambda r, v: not pred(r, v)
    return pred


def parse_filter(text: str) -> Predicate:
    """Compile a filter into a predicate over (Record, Verdict). Raises FilterError when unclear."""
    terms = [_term(tok) for tok in _split(text.strip())]
    if not terms:
        return match_all
    if len(terms) == 1:
        return terms[0]
    return lambda r, v: all(t(r, v) for t in terms)
