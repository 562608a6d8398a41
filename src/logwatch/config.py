"""TOML configuration: discovery, strict validation, environment overrides, defaults.

Discovery order (the first file found wins; nothing found means the built-in defaults):
1. `--config FILE` (an explicit file that does not exist is an error),
2. `./logwatch.toml`,
3. the user config dir: `$LOGWATCH_CONFIG_DIR`, else `$XDG_CONFIG_HOME/logwatch`, else
   `~/.config/logwatch` — file `config.toml`.
`LOGWATCH_CONFIG_DIR` (or the `user_dir` parameter) is the seam tests use so they never read a
developer's own config.

Precedence: command-line flags (applied by the CLI with `dataclasses.replace`) > `LOGWATCH_*`
environment variables > the file > defaults.

Every bad value or unknown key raises `ConfigError` naming the file, the line and the key. tomllib
gives no positions, so the line is found by scanning the text for the table header and the key.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import os
import re
import tomllib
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from logwatch.alerts.rules import (
    DEFAULT_RULES,
    METRICS,
    RATE_METRICS,
    SCOPE_CLASSES,
    AlertRule,
)
from logwatch.classify import ClassifyConfig
from logwatch.privacy import DEFAULT_V4_PREFIX, DEFAULT_V6_PREFIX, parse_level

CONFIG_NAME = "logwatch.toml"
USER_CONFIG_NAME = "config.toml"
DEFAULT_WINDOWS: tuple[str, ...] = ("1m", "5m", "15m", "1h")
DEFAULT_ANONYMIZE = (
    DEFAULT_V4_PREFIX,
    DEFAULT_V6_PREFIX,
)  # `anonymize_ip = true`: keep a /24 of IPv4, a /48 of IPv6


class ConfigError(Exception):
    """A config that cannot be used. `str()` is the one-line reason the CLI prints (exit 2)."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        key: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.key = key

    def __str__(self) -> str:
        where = self.path or "config"
        if self.line is not None:
            where += f":{self.line}"
        key = f" key '{self.key}':" if self.key else ""
        return f"{where}:{key} {self.message}"


@dataclass(frozen=True, slots=True)
class Config:
    """Everything a run can be configured with. `alerts` is the effective rule list: the built-in
    rules (unless replaced, disabled or `default_alerts = false`) followed by the file's rules."""

    windows: tuple[str, ...] = DEFAULT_WINDOWS
    top_k: int = 2000  # keys kept per dimension in the since-start totals
    recent: int = 20000  # requests kept for the stream, drill-downs and filters
    theme: str | None = None
    format: str | None = None
    anonymize_ip: tuple[int, int] | None = None  # (IPv4 prefix, IPv6 prefix) kept, or None
    hash_clients: bool = False
    geoip: tuple[str, ...] = ()
    bell: bool = False
    default_alerts: bool = True
    classify: ClassifyConfig = field(default_factory=ClassifyConfig)
    asset_extensions: tuple[str, ...] = ()  # extras from the file (`classify` has all)
    alerts: tuple[AlertRule, ...] = DEFAULT_RULES
    source: str | None = None  # the file read, if any

    def window_seconds(self) -> dict[str, float]:
        return {w: parse_duration(w) for w in self.windows}

    def stats_windows(self) -> tuple[tuple[str, int], ...]:
        """The windows in the shape `StatsConfig.windows` takes: (name, seconds)."""
        return tuple((w, int(parse_duration(w))) for w in self.windows)


# ---------------------------------------------------------------------------------------------
# Durations

_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|m|h|d)", re.I)
_DURATION_FULL = re.compile(r"(?:\s*(?:\d+(?:\.\d*)?|\.\d+)\s*(?:ms|s|m|h|d))+\s*", re.I)
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str | int | float) -> float:
    """'0s', '90s', '5m', '1h', '1h30m', '250ms', '2d' or a plain number of seconds -> seconds.

    Raises ValueError with a readable reason for anything else (negative, empty, unknown unit).
    """
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise TypeError(f"expected a duration like '90s' or '5m', got {text!r}")
    if isinstance(text, (int, float)):
        value = float(text)
    else:
        try:
            value = float(text.strip())
        except ValueError:
            if not _DURATION_FULL.fullmatch(text):
                raise ValueError(
                    f"expected a duration like '90s', '5m' or '1h', got {text!r}"
                ) from None
            value = sum(
                float(m.group(1)) * _UNITS[m.group(2).lower()]
                for m in _DURATION_PART.finditer(text)
            )
    if math.isinf(value) and value > 0:  # 400 digits are well formed, but past any float
        raise ValueError(f"{str(text)[:40]!r} is too long to mean anything")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"expected a non-negative duration, got {text!r}")
    return value


# ---------------------------------------------------------------------------------------------
# Discovery


def user_config_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("LOGWATCH_CONFIG_DIR"):
        return Path(env["LOGWATCH_CONFIG_DIR"])
    if env.get("XDG_CONFIG_HOME"):
        return Path(env["XDG_CONFIG_HOME"]) / "logwatch"
    return Path.home() / ".config" / "logwatch"


def find_config(
    explicit: str | os.PathLike[str] | None = None,
    *,
    cwd: str | os.PathLike[str] | None = None,
    user_dir: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> Path | None:
    """The config file to read, or None for the built-in defaults."""
    if explicit is not None:
        path = Path(explicit)
        if path.is_dir():
            raise ConfigError("is a directory, not a config file", path=str(path))
        if not path.is_file():
            raise ConfigError("config file not found", path=str(path))
        return path
    local = Path(cwd if cwd is not None else Path.cwd()) / CONFIG_NAME
    if local.is_file():
        return local
    udir = Path(user_dir) if user_dir is not None else user_config_dir(env)
    user = udir / USER_CONFIG_NAME
    if user.is_file():
        return user
    return None


def load_config(
    explicit: str | os.PathLike[str] | None = None,
    *,
    cwd: str | os.PathLike[str] | None = None,
    user_dir: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> Config:
    """Discover, read, validate, then apply `LOGWATCH_*` overrides. Raises ConfigError."""
    env = os.environ if env is None else env
    path = find_config(explicit, cwd=cwd, user_dir=user_dir, env=env)
    if path is None:
        config = Config()
    else:
        try:
            # utf-8-sig: Notepad's byte-order mark made line 1 "not valid TOML: Invalid statement".
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read: {exc}", path=str(path)) from None
        config = parse_config(text, str(path), base=path.parent)
    return apply_env(config, env)


# ---------------------------------------------------------------------------------------------
# Parsing and validation

_TOP_KEYS = (
    "windows",
    "top_k",
    "recent",
    "theme",
    "format",
    "anonymize_ip",
    "hash_clients",
    "geoip",
    "bell",
    "default_alerts",
    "classify",
    "alerts",
)
_CLASSIFY_KEYS = ("bot_patterns", "allow_agents", "asset_extensions")
# top_k and recent size in-memory structures: a million is far past any use, and 10**19 was a
# traceback (OverflowError from the ring's deque) when the dashboard started.
MAX_SIZE = 1_000_000
# A hook that may run for more than an hour is a mistake (and huge values overflow the clock).
MAX_HOOK_TIMEOUT = 3600.0

_ALERT_KEYS = (
    "name",
    "metric",
    "window",
    "above",
    "below",
    "spike",
    "min_requests",
    "for",
    "cooldown",
    "hysteresis",
    "clear_for",
    "baseline",
    "exec",
    "webhook",
    "timeout",
    "class",
    "path_prefix",
    "vhost",
    "enabled",
)
_TOML_POS = re.compile(r"\(at line (\d+), column \d+\)")


def parse_config(text: str, source: str = "<config>", base: Path | None = None) -> Config:
    """Validate TOML text into a Config (no environment overrides). Raises ConfigError.

    Relative paths in the file (`geoip`, a theme file, a hook program given with a directory) are
    relative to `base`, the file's directory, so a config means the same from any directory."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = _TOML_POS.search(msg)
        line = int(m.group(1)) if m else None
        msg = _TOML_POS.sub("", msg).strip()
        raise ConfigError(f"not valid TOML: {msg}", path=source, line=line) from None
    return _Parser(text, source, base).build(data)


class _Parser:
    def __init__(self, text: str, source: str, base: Path | None = None) -> None:
        self.lines = text.splitlines()
        self.source = source
        self.base = base

    def path(self, p: str) -> str:
        """A path from the file, relative to the file's directory when it is relative."""
        if self.base is None or os.path.isabs(p):
            return p
        # Absolute: with `--config lw.toml` the directory is `.`, and `Path(".") / "./hook.sh"`
        # is `hook.sh`, a bare name that a hook then looked up on PATH.
        return str(self.base.absolute() / p)

    # -- errors ---------------------------------------------------------------------------------

    def fail(
        self, message: str, key: str | None, section: str | None = None, index: int | None = None
    ) -> ConfigError:
        line = _find_line(self.lines, section, index, key)
        if line is None and section is None and key is not None:
            line = _find_line(self.lines, key, 0, None)  # a table: `[clasify]`, `[[alert]]`
        name = f"{section}.{key}" if section and key else (key or section)
        return ConfigError(message, path=self.source, line=line, key=name)

    def check_keys(
        self,
        table: Mapping[str, Any],
        allowed: tuple[str, ...],
        section: str | None,
        index: int | None = None,
    ) -> None:
        for key in table:
            if key not in allowed:
                near = difflib.get_close_matches(key, allowed, n=1)
                hint = f" (did you mean '{near[0]}'?)" if near else ""
                raise self.fail(f"unknown key{hint}", key, section, index)

    # -- typed getters --------------------------------------------------------------------------

    def get(
        self,
        table: Mapping[str, Any],
        key: str,
        conv: Callable[[Any], Any],
        section: str | None,
        index: int | None = None,
    ) -> Any:
        try:
            return conv(table[key])
        except (ValueError, TypeError) as exc:
            raise self.fail(str(exc), key, section, index) from None

    # -- the whole file ---------------------------------------------------------------------------

    def build(self, data: dict[str, Any]) -> Config:
        self.check_keys(data, _TOP_KEYS, None)
        kw: dict[str, Any] = {"source": self.source}
        if "windows" in data:
            kw["windows"] = self.get(data, "windows", _windows, None)
        for key in ("top_k", "recent"):
            if key in data:
                kw[key] = self.get(data, key, _int_min(1 if key == "top_k" else 0, MAX_SIZE), None)
        if "theme" in data:
            theme = self.get(data, "theme", _nonempty_str, None)
            if theme.endswith(".toml") or os.sep in theme:  # a file, not a theme's name
                theme = self.path(theme)
            kw["theme"] = theme
        if "format" in data:
            kw["format"] = self.get(data, "format", _format, None)
        for key in ("hash_clients", "bell", "default_alerts"):
            if key in data:
                kw[key] = self.get(data, key, _bool, None)
        if "anonymize_ip" in data:
            kw["anonymize_ip"] = self.get(data, "anonymize_ip", _anonymize, None)
        if "geoip" in data:
            kw["geoip"] = tuple(map(self.path, self.get(data, "geoip", _str_list, None)))

        if "classify" in data:
            kw.update(self.classify(data["classify"]))

        windows = kw.get("windows", DEFAULT_WINDOWS)
        alerts = data.get("alerts", [])
        if not isinstance(alerts, list) or not all(isinstance(t, dict) for t in alerts):
            raise self.fail("expected [[alerts]] tables", "alerts", None)
        rules: list[AlertRule] = []
        disabled: set[str] = set()
        seen: dict[str, int] = {}
        for i, table in enumerate(alerts):
            rule, enabled = self.alert(table, i, windows)
            if rule.name in seen:
                raise self.fail(
                    f"a rule named {rule.name!r} is already defined", "name", "alerts", i
                )
            seen[rule.name] = i
            if enabled:
                rules.append(rule)
            else:
                disabled.add(rule.name)
        effective: list[AlertRule] = []
        if kw.get("default_alerts", True):
            effective = [
                r
                for r in DEFAULT_RULES
                if r.name not in seen and r.name not in disabled and r.window in windows
            ]
        kw["alerts"] = tuple(effective + rules)
        return Config(**kw)

    def classify(self, table: Any) -> dict[str, Any]:
        if not isinstance(table, dict):
            raise self.fail("expected a [classify] table", "classify", None)
        self.check_keys(table, _CLASSIFY_KEYS, "classify")
        ckw: dict[str, Any] = {}
        if "bot_patterns" in table:
            ckw["extra_bot_patterns"] = self.get(table, "bot_patterns", _str_list, "classify")
        if "allow_agents" in table:
            ckw["allow_agents"] = self.get(table, "allow_agents", _str_list, "classify")
        exts: tuple[str, ...] = ()
        if "asset_extensions" in table:
            # Extra extensions add to the classifier's own list rather than replace it.
            exts = self.get(table, "asset_extensions", _extensions, "classify")
            base = ClassifyConfig().asset_extensions
            known = {e.lower().lstrip(".") for e in base}
            ckw["asset_extensions"] = tuple(base) + tuple(e for e in exts if e not in known)
        return {"classify": ClassifyConfig(**ckw), "asset_extensions": exts}

    def alert(self, t: dict[str, Any], i: int, windows: tuple[str, ...]) -> tuple[AlertRule, bool]:
        sec = "alerts"
        self.check_keys(t, _ALERT_KEYS, sec, i)
        if "name" not in t:
            raise self.fail("every [[alerts]] table needs a name", None, sec, i)
        name = self.get(t, "name", _nonempty_str, sec, i)
        enabled = self.get(t, "enabled", _bool, sec, i) if "enabled" in t else True
        if not enabled and "metric" not in t:
            # `name = "probe burst"` + `enabled = false` switches a built-in rule off.
            builtins = tuple(r.name for r in DEFAULT_RULES)
            if name not in builtins:
                # A typo ("probe-burst") switched nothing off, and said nothing.
                near = difflib.get_close_matches(name, builtins, n=1)
                hint = f" (did you mean {near[0]!r}?)" if near else ""
                raise self.fail(
                    f"no built-in rule is named {name!r}{hint}; built-in rules: "
                    + ", ".join(map(repr, builtins)),
                    "name",
                    sec,
                    i,
                )
            return AlertRule(name=name, metric="5xx_rate"), False
        if "metric" not in t:
            raise self.fail(f"rule {name!r} needs a metric", None, sec, i)
        metric = self.get(t, "metric", _choice(tuple(METRICS)), sec, i)
        window = self.get(t, "window", _nonempty_str, sec, i) if "window" in t else "1m"
        if window not in windows:
            raise self.fail(
                f"window {window!r} is not one of the configured windows ({', '.join(windows)})",
                "window" if "window" in t else None,
                sec,
                i,
            )
        kw: dict[str, Any] = {"name": name, "metric": metric, "window": window}
        for key in ("above", "below", "spike"):
            if key in t:
                kw[key] = self.get(t, key, _number, sec, i)
        conds = [k for k in ("above", "below", "spike") if k in t]
        if not conds:
            raise self.fail(f"rule {name!r} needs one of above, below or spike", None, sec, i)
        if "below" in t and len(conds) > 1:
            raise self.fail("below cannot be combined with above or spike", "below", sec, i)
        if "spike" in t and kw["spike"] <= 1.0:
            raise self.fail(
                "spike is a factor over the baseline and must be above 1", "spike", sec, i
            )
        for key in ("above", "below"):
            # A rule that can never fire (or always does) is a mistake to report, not to run.
            if key in t and kw[key] < 0:
                raise self.fail(f"{key} must not be negative", key, sec, i)
            if key in t and metric in RATE_METRICS and kw[key] > 1:
                raise self.fail(
                    f"{metric} is a share from 0 to 1 (0.05 is 5%): {key} must be 1 at most",
                    key,
                    sec,
                    i,
                )
        if "below" in t and kw["below"] == 0:
            raise self.fail(
                "below = 0 can never be crossed (nothing is below zero)", "below", sec, i
            )
        if "min_requests" in t:
            kw["min_requests"] = self.get(t, "min_requests", _int_min(0), sec, i)
        elif "below" not in t:
            # A 50% error rate on three requests is noise; a drop to zero is exactly what a
            # `below` rule is for, so it gets no default floor.
            kw["min_requests"] = 10
        for key, attr in (
            ("for", "for_"),
            ("cooldown", "cooldown"),
            ("clear_for", "clear_for"),
            ("baseline", "baseline"),
        ):
            if key in t:
                kw[attr] = self.get(t, key, parse_duration, sec, i)
        if "baseline" in t and kw["baseline"] < 300:
            raise self.fail("baseline must be at least 5m", "baseline", sec, i)
        if "timeout" in t:
            kw["timeout"] = self.get(t, "timeout", parse_duration, sec, i)
            if not 0 < kw["timeout"] <= MAX_HOOK_TIMEOUT:
                raise self.fail(
                    f"timeout must be above zero and at most {MAX_HOOK_TIMEOUT:g} s",
                    "timeout",
                    sec,
                    i,
                )
        if "hysteresis" in t:
            kw["hysteresis"] = self.get(t, "hysteresis", _fraction, sec, i)
        if "exec" in t:
            argv = self.get(t, "exec", _argv, sec, i)
            if os.sep in argv[0]:  # a bare name is looked up on PATH, as always
                argv = (self.path(argv[0]), *argv[1:])
            kw["exec"] = argv
        if "webhook" in t:
            kw["webhook"] = self.get(t, "webhook", _url, sec, i)
        if "class" in t:
            kw["cls"] = self.get(t, "class", _choice(SCOPE_CLASSES), sec, i)
        if "path_prefix" in t:
            kw["path_prefix"] = self.get(t, "path_prefix", _path_prefix, sec, i)
        if "vhost" in t:
            kw["vhost"] = self.get(t, "vhost", _nonempty_str, sec, i)
        return AlertRule(**kw), enabled


# ---------------------------------------------------------------------------------------------
# Value converters: each raises ValueError/TypeError with the message shown to the user.


def _type_name(value: Any) -> str:
    return {
        bool: "boolean",
        int: "integer",
        float: "number",
        str: "string",
        list: "array",
        dict: "table",
    }.get(type(value), type(value).__name__)


def _bool(v: Any) -> bool:
    if not isinstance(v, bool):
        raise TypeError(f"expected true or false, got {_type_name(v)} {v!r}")
    return v


def _number(v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise TypeError(f"expected a number, got {_type_name(v)} {v!r}")
    return float(v)


def _fraction(v: Any) -> float:
    x = _number(v)
    if not 0.0 <= x < 1.0:
        raise ValueError(f"expected a fraction from 0 up to (not including) 1, got {v!r}")
    return x


def _int_min(lo: int, hi: int | None = None) -> Callable[[Any], int]:
    def conv(v: Any) -> int:
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError(f"expected a whole number, got {_type_name(v)} {v!r}")
        if v < lo:
            raise ValueError(f"expected a whole number of at least {lo}, got {v}")
        if hi is not None and v > hi:
            raise ValueError(f"expected a whole number of at most {hi}, got {v}")
        return v

    return conv


def _nonempty_str(v: Any) -> str:
    if not isinstance(v, str):
        raise TypeError(f"expected a string, got {_type_name(v)} {v!r}")
    if not v.strip():
        raise ValueError("expected a non-empty string")
    return v


def _format(v: Any) -> str:
    # Checked here, not first when a run starts: check-config is where a typo should show.
    from logwatch.ingest.formats import get_format

    s = _nonempty_str(v)
    get_format(s)  # FormatError is a ValueError: unknown name, or a spec that does not compile
    return s


def _choice(options: tuple[str, ...]) -> Callable[[Any], str]:
    def conv(v: Any) -> str:
        s = _nonempty_str(v)
        if s not in options:
            near = difflib.get_close_matches(s, options, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise ValueError(f"{s!r} is not one of: {', '.join(options)}{hint}")
        return s

    return conv


def _str_list(v: Any) -> tuple[str, ...]:
    if isinstance(v, str):
        v = [v]
    if not isinstance(v, list):
        raise TypeError(f"expected an array of strings, got {_type_name(v)}")
    for item in v:
        if not isinstance(item, str) or not item:
            raise TypeError(f"expected an array of non-empty strings, found {item!r}")
    return tuple(v)


def _extensions(v: Any) -> tuple[str, ...]:
    out = []
    for item in _str_list(v):
        ext = item.strip().lower().lstrip(".")
        if not ext or "/" in ext or " " in ext:
            raise ValueError(f"expected file extensions like 'woff2' or '.avif', got {item!r}")
        out.append(ext)
    return tuple(out)


MAX_WINDOW = 86400.0
_WINDOW_NAME = re.compile(r"[1-9]\d*[smhd]?")


def _windows(v: Any) -> tuple[str, ...]:
    items = _str_list(v)
    if not items:
        raise ValueError("expected at least one window")
    seen: set[float] = set()
    for item in items:
        if not _WINDOW_NAME.fullmatch(item.strip()):
            raise ValueError(f"window {item!r}: expected a whole number and a unit, like 1m or 15m")
        secs = parse_duration(item)
        if secs <= 0:
            raise ValueError(f"window {item!r} must be longer than zero")
        if secs > MAX_WINDOW:
            # Each snapshot walks a window second by second, and one-second buckets are kept
            # for twice the longest: 100000d hung at the first snapshot, 30d took seconds.
            raise ValueError(f"window {item!r} is longer than a day (1d is the longest)")
        if secs in seen:
            raise ValueError(f"window {item!r} is listed twice")
        seen.add(secs)
    # By name, as rules and the dashboard know them: " 1m" did not match a rule's "1m" (the
    # built-in rules vanished without a word) and was shown with its space.
    return tuple(item.strip() for item in items)


def _anonymize(v: Any) -> tuple[int, int] | None:
    if isinstance(v, bool):
        return DEFAULT_ANONYMIZE if v else None
    if isinstance(v, (str, int)):
        return parse_level(str(v))  # "24", "24/48", 24: as --anonymize-ip takes them
    if (
        isinstance(v, list)
        and len(v) == 2
        and all(isinstance(x, int) and not isinstance(x, bool) for x in v)
    ):
        v4, v6 = v
        if not (0 <= v4 <= 32 and 0 <= v6 <= 128):
            raise ValueError(f"prefix lengths must be within 0..32 and 0..128, got {v!r}")
        return (v4, v6)
    raise TypeError(f"expected true, false or [IPv4 prefix, IPv6 prefix] like [24, 48], got {v!r}")


def _argv(v: Any) -> tuple[str, ...]:
    if isinstance(v, str):
        raise TypeError(
            'expected an array like ["/path/to/program", "arg"]; hooks never run through a '
            "shell, so a command string is not accepted"
        )
    items = _str_list(v)
    if not items:
        raise ValueError("expected at least the program to run")
    if any("\x00" in a for a in items):
        raise ValueError("arguments cannot contain NUL characters")
    return items


def _url(v: Any) -> str:
    s = _nonempty_str(v).strip()
    if not re.match(r"https?://[^/\s]+", s, re.I) or any(c.isspace() for c in s):
        raise ValueError(f"expected an http:// or https:// URL, got {s!r}")
    # A port out of range or a broken [IPv6] address passes the pattern but not urllib, which
    # would raise when the alert fires.
    try:
        parts = urllib.parse.urlsplit(s)
        parts.port  # noqa: B018 (it raises ValueError when out of range)
    except ValueError as exc:
        raise ValueError(f"expected an http:// or https:// URL, got {s!r}: {exc}") from None
    if not parts.hostname:
        raise ValueError(f"expected an http:// or https:// URL with a host, got {s!r}")
    return s


def _path_prefix(v: Any) -> str:
    s = _nonempty_str(v)
    if not s.startswith("/"):
        raise ValueError(f"expected a path starting with '/', got {s!r}")
    return s


# ---------------------------------------------------------------------------------------------
# Locating keys in the text

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")


def _find_line(
    lines: list[str], section: str | None, index: int | None, key: str | None
) -> int | None:
    """1-based line of `key` inside `[section]` (or the `index`-th `[[section]]`), or of the
    header itself when the key is absent or None. Good enough for hand-written files."""
    key_re = (
        re.compile(
            r"^\s*(?:"
            + re.escape(key)
            + r"|\""
            + re.escape(key)
            + r"\"|'"
            + re.escape(key)
            + r"')\s*="
        )
        if key
        else None
    )
    count = -1
    header_line: int | None = None
    in_target = section is None
    for n, raw in enumerate(lines, 1):
        m = _HEADER.match(raw)
        if m:
            if in_target:
                break  # the target table ends at the next header
            if m.group(2).strip().strip("\"'") == section:
                if m.group(1) == "[[":
                    count += 1
                    if index is None or count == index:
                        in_target, header_line = True, n
                else:
                    in_target, header_line = True, n
            continue
        if in_target and key_re is not None and key_re.match(raw):
            return n
    return header_line


# ---------------------------------------------------------------------------------------------
# Environment overrides

ENV_VARS = (
    "LOGWATCH_WINDOWS",
    "LOGWATCH_TOP_K",
    "LOGWATCH_RECENT",
    "LOGWATCH_THEME",
    "LOGWATCH_FORMAT",
    "LOGWATCH_ANONYMIZE_IP",
    "LOGWATCH_HASH_CLIENTS",
    "LOGWATCH_GEOIP",
    "LOGWATCH_BELL",
)


def _env_bool(s: str) -> bool:
    v = s.strip().lower()
    if v in ("1", "true", "yes", "on"):
        return True
    if v in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"expected true/false, got {s!r}")


def _env_int(s: str) -> int:
    try:
        return int(s.strip())
    except ValueError:
        raise ValueError(f"expected a whole number, got {s!r}") from None


def _env_anonymize(s: str) -> tuple[int, int] | None:
    # Words are the switch; a number is a prefix level, as in the file and on the command line
    # ("0" keeps no bit of an IPv4 address: read as "off" here, it unmasked what the same 0
    # masked elsewhere). An empty value is no level, as `--anonymize-ip=` is none: an error,
    # not a silent "off".
    if s.strip().lower() in ("true", "yes", "on", "false", "no", "off"):
        return _anonymize(_env_bool(s))
    return parse_level(s)


def apply_env(config: Config, env: Mapping[str, str] | None = None) -> Config:
    """Apply LOGWATCH_* overrides to the scalar settings; ConfigError names the variable."""
    env = os.environ if env is None else env
    convs: dict[str, tuple[str, Callable[[str], Any]]] = {
        "LOGWATCH_WINDOWS": ("windows", lambda s: _windows([p.strip() for p in s.split(",")])),
        "LOGWATCH_TOP_K": ("top_k", lambda s: _int_min(1, MAX_SIZE)(_env_int(s))),
        "LOGWATCH_RECENT": ("recent", lambda s: _int_min(0, MAX_SIZE)(_env_int(s))),
        "LOGWATCH_THEME": ("theme", _nonempty_str),
        "LOGWATCH_FORMAT": ("format", _format),
        "LOGWATCH_ANONYMIZE_IP": ("anonymize_ip", _env_anonymize),
        "LOGWATCH_HASH_CLIENTS": ("hash_clients", _env_bool),
        "LOGWATCH_GEOIP": ("geoip", lambda s: tuple(p for p in s.split(os.pathsep) if p)),
        "LOGWATCH_BELL": ("bell", _env_bool),
    }
    changes: dict[str, Any] = {}
    for var, (attr, conv) in convs.items():
        if var in env:
            try:
                changes[attr] = conv(env[var])
            except (ValueError, TypeError) as exc:
                raise ConfigError(str(exc), path=f"environment {var}") from None
    if not changes:
        return config
    if "windows" in changes:
        missing = [
            r.name for r in config.alerts if r.window not in changes["windows"] and not r.builtin
        ]
        if missing:
            raise ConfigError(
                f"rules {', '.join(map(repr, missing))} use a window not in "
                f"{','.join(changes['windows'])}",
                path="environment LOGWATCH_WINDOWS",
            )
        changes["alerts"] = tuple(r for r in config.alerts if r.window in changes["windows"])
    return dataclasses.replace(config, **changes)
