"""Every compiled regular expression on the per-line path, and adversarial inputs for them.

`collect()` imports the per-line modules (sanitize, the ingest parsers, every classify module, the
privacy/geo helpers that see log text), takes the `re.Pattern` objects from their globals, from a
live `Classifier` (walked attribute by attribute) and from the format-string compiler, and pairs
each with the methods the code calls on it (`_CLF.match`, `_UNSAFE.sub`, ...; `search` when the
use cannot be seen, the worst case).

Run as a script (`python regex_targets.py GROUP`) it applies every pattern of a group to every
adversarial input and prints one line per pattern; the test runs it in a subprocess under a
timeout, so a pattern that backtracks catastrophically shows as a hang, named by the last line.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass

N = 100_000  # characters of each adversarial input

GROUPS: dict[str, tuple[str, ...]] = {
    "sanitize": ("logwatch.sanitize",),
    "ingest": (
        "logwatch.ingest.formats",
        "logwatch.ingest.timeparse",
        "logwatch.ingest.since",
        "logwatch.ingest.sources",
    ),
    "classify": ("logwatch.classify",),  # with every submodule and a live Classifier
    "privacy": ("logwatch.privacy", "logwatch.geo"),
}

# Format strings users commonly give; their compiled regexes run on every line.
FORMAT_SPECS = (
    '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
    '"$http_referer" "$http_user_agent"',
    '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
    '"$http_referer" "$http_user_agent" $request_time $upstream_response_time',
    '%h %l %u %t \\"%r\\" %>s %b \\"%{Referer}i\\" \\"%{User-Agent}i\\"',
    '%v %h %l %u %t \\"%r\\" %>s %O \\"%{Referer}i\\" \\"%{User-Agent}i\\" %D',
    "bunkerweb",  # a built-in compiled from its nginx log_format
)

_HEAD = '203.0.113.9 - - [10/Oct/2026:13:55:36 +0000] "'


def _rep(unit: str) -> str:
    return (unit * (N // len(unit) + 1))[:N]


def adversarial_inputs() -> dict[str, str]:
    """Long strings of the characters the patterns care about, alone and in awkward pairs."""
    units = {
        "quotes": '"',
        "backslashes": "\\",
        "escaped-quotes": '\\"',
        "spaces": " ",
        "tabs": "\t",
        "open-brackets": "[",
        "close-brackets": "]",
        "bracket-pairs": "[a] ",
        "commas": ",",
        "comma-spaces": ", ",
        "addresses": "1.2.3.4, ",
        "colons": ":",
        "hex-colons": "a0:",
        "dots": ".",
        "digit-dots": "1.",
        "pct2e": "%2e",
        "pct252e": "%252e",
        "dotdot-slash": "../",
        "a": "a",
        "a-space": "a ",
        "word-dash": "a-",
        "bot-words": "robot",
        "slashes": "/",
        "semicolons": "; ",
        "equals-http": "=http://1.1.1.",
        "union": "union ",
        "dollars": "$",
        "percent": "%",
        "braces": "{",
        "unicode": "é\u202e\U0001f600ß",
        "cjk": "日本語",
        "quote-space": '" ',
        "digits": "0",
        "date-ish": "2026-10-10T13:55:",
    }
    out = {name: _rep(unit) for name, unit in units.items()}
    # A line that starts right and then never closes its quote / bracket / list.
    out["clf-open-quote"] = _HEAD + _rep('\\"')[: N - len(_HEAD)]
    out["clf-open-quote-spaces"] = _HEAD + _rep("a ")[: N - len(_HEAD)]
    out["clf-open-bracket"] = "203.0.113.9 - - [" + _rep("1")
    out["xff-chain"] = _rep("10.0.0.1, ") + " - - ["
    out["clf-quoted-fields"] = _HEAD + 'GET / HTTP/1.1" 200 1 ' + _rep('"x" ')
    out["json-ish"] = "{" + _rep('"a":"\\u001b",')
    return out


@dataclass(frozen=True)
class Target:
    name: str  # module.GLOBAL, or where on the classifier
    pattern: re.Pattern
    methods: tuple[str, ...]


_USE = r"\b{name}\.(search|match|fullmatch|findall|finditer|sub|subn|split)\("


def _methods_used(source: str, name: str) -> tuple[str, ...]:
    found = tuple(dict.fromkeys(re.findall(_USE.format(name=re.escape(name)), source)))
    return found or ("search",)


def _modules(group: str) -> Iterator[object]:
    for modname in GROUPS[group]:
        mod = importlib.import_module(modname)
        yield mod
        if hasattr(mod, "__path__"):  # a package: every submodule, present and future
            for info in pkgutil.walk_packages(mod.__path__, modname + "."):
                yield importlib.import_module(info.name)


def _walk(obj: object, where: str, depth: int, seen: set[int]) -> Iterator[tuple[str, re.Pattern]]:
    if id(obj) in seen or depth > 5:
        return
    seen.add(id(obj))
    if isinstance(obj, re.Pattern):
        yield where, obj
        return
    if isinstance(obj, (str, bytes, int, float, bool, type(None))):
        return
    if isinstance(obj, dict):
        for k, v in list(obj.items())[:20_000]:
            yield from _walk(v, f"{where}[{k!r:.30}]", depth + 1, seen)
        return
    if isinstance(obj, (list, tuple, set, frozenset)):
        for i, v in enumerate(list(obj)[:20_000]):
            yield from _walk(v, f"{where}[{i}]", depth + 1, seen)
        return
    names: list[str] = list(getattr(obj, "__dict__", {}))
    for cls in type(obj).__mro__:
        names += list(getattr(cls, "__slots__", ()))
    if type(obj).__module__.startswith("logwatch"):
        for attr in dict.fromkeys(names):
            try:
                value = getattr(obj, attr)
            except AttributeError:
                continue
            yield from _walk(value, f"{where}.{attr}", depth + 1, seen)


def collect(group: str) -> list[Target]:
    targets: dict[int, Target] = {}
    for mod in _modules(group):
        try:
            source = inspect.getsource(mod)  # type: ignore[arg-type]
        except (OSError, TypeError):
            source = ""
        for name, value in vars(mod).items():
            if isinstance(value, re.Pattern) and id(value) not in targets:
                targets[id(value)] = Target(
                    f"{mod.__name__}.{name}", value, _methods_used(source, name)
                )
    if group == "classify":
        from logwatch.classify import Classifier

        for where, pattern in _walk(Classifier(), "Classifier()", 0, set()):
            if id(pattern) not in targets:
                targets[id(pattern)] = Target(where, pattern, ("search",))
    if group == "ingest":
        from logwatch.ingest.formats import get_format

        for i, spec in enumerate(FORMAT_SPECS):
            rx = get_format(spec)._regex  # type: ignore[attr-defined]
            targets[id(rx)] = Target(f"get_format(FORMAT_SPECS[{i}])", rx, ("fullmatch",))
    return list(targets.values())


def main(group: str) -> None:
    inputs = adversarial_inputs()
    for t in collect(group):
        print(f"start {t.name} {t.methods}", flush=True)
        for method in t.methods:
            fn = getattr(t.pattern, method)
            for text in inputs.values():
                subject: str | bytes = text
                empty: str | bytes = ""
                if isinstance(t.pattern.pattern, bytes):
                    subject = text.encode("utf-8", "surrogatepass")
                    empty = b""
                if method in ("sub", "subn"):
                    fn(empty, subject)
                elif method == "findall":
                    fn(subject)
                elif method == "finditer":
                    for _ in fn(subject):
                        pass
                else:
                    fn(subject)
        print(f"ok {t.name}", flush=True)
    print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
