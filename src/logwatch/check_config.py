"""`logwatch check-config [FILE] [--json]`: validate a config and print what was understood.

Exit 0 with the settings and rules; exit 2 with one line naming the file, line and key when the
config cannot be used.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from typing import TextIO

from logwatch.config import Config, ConfigError, load_config
from logwatch.geo import database_problem
from logwatch.usage import ArgumentParser


def run(
    path: str | None = None,
    *,
    as_json: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
    cwd: str | os.PathLike[str] | None = None,
    user_dir: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> int:
    """Check `path` (or the discovered config); print a summary. Returns the exit status."""
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    try:
        config = load_config(path, cwd=cwd, user_dir=user_dir, env=env)
    except ConfigError as exc:
        print(f"logwatch: {exc}", file=err)
        return 2
    if as_json:
        json.dump(to_json(config), out, indent=2, ensure_ascii=False)
        out.write("\n")
    else:
        out.write(render(config))
    return 0


def to_json(config: Config) -> dict[str, object]:
    return {
        "source": config.source,
        "windows": list(config.windows),
        "top_k": config.top_k,
        "recent": config.recent,
        "theme": config.theme,
        "format": config.format,
        "anonymize_ip": list(config.anonymize_ip) if config.anonymize_ip else False,
        "hash_clients": config.hash_clients,
        "geoip": list(config.geoip),
        "bell": config.bell,
        "classify": {
            "bot_patterns": list(config.classify.extra_bot_patterns),
            "allow_agents": list(config.classify.allow_agents),
            "asset_extensions": list(config.asset_extensions),
        },
        "alerts": [r.to_json() for r in config.alerts],
        "warnings": warnings(config),
    }


def warnings(config: Config) -> list[str]:
    """Things that are valid but will probably not work on this machine."""
    out = []
    for rule in config.alerts:
        if rule.exec:
            prog = rule.exec[0]
            found = (
                shutil.which(prog)
                if os.sep not in prog
                else (prog if os.path.isfile(prog) and os.access(prog, os.X_OK) else None)
            )
            if not found:
                out.append(f"rule {rule.name!r}: hook program {prog!r} is not an executable file")
    for path in config.geoip:
        problem = database_problem(path)
        if problem is not None:
            out.append(problem)
    if config.theme:
        # The dashboard falls back to the default theme with a notification: the place to see
        # the typo is here (it was printed back as if it were fine).
        try:
            from logwatch.tui.themes import theme_problem
        except ImportError:  # pragma: no cover - a build without the dashboard
            return out
        problem = theme_problem(config.theme)
        if problem is not None:
            out.append(f"theme: {problem}")
    return out


def render(config: Config) -> str:
    lines = [f"config: {config.source or 'none found; built-in defaults'}"]
    sizes = [f"windows: {', '.join(config.windows)}"]
    if config.top_k is not None:
        sizes.append(f"top_k: {config.top_k}")
    if config.recent is not None:
        sizes.append(f"recent: {config.recent}")
    lines.append("   ".join(sizes))
    extras = []
    if config.format:
        extras.append(f"format: {config.format}")
    if config.theme:
        extras.append(f"theme: {config.theme}")
    if config.anonymize_ip:
        extras.append(f"anonymize_ip: /{config.anonymize_ip[0]} /{config.anonymize_ip[1]}")
    if config.hash_clients:
        extras.append("hash_clients: on")
    if config.geoip:
        extras.append(f"geoip: {', '.join(config.geoip)}")
    if config.bell:
        extras.append("bell: on")
    if extras:
        lines.append("   ".join(extras))
    c = config.classify
    if c.extra_bot_patterns or c.allow_agents or config.asset_extensions:
        lines.append(
            f"classify: {len(c.extra_bot_patterns)} bot patterns, {len(c.allow_agents)} allowed "
            f"agents, {len(config.asset_extensions)} asset extensions"
        )
    lines.append(f"alerts: {len(config.alerts)} rule{'s' if len(config.alerts) != 1 else ''}")
    for rule in config.alerts:
        tag = " (built-in)" if rule.builtin else ""
        lines.append(f"  - {rule.name}{tag}: {rule.describe()}")
    for w in warnings(config):
        lines.append(f"warning: {w}")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point for `logwatch check-config [FILE] [--json]` (argv without the subcommand)."""
    parser = ArgumentParser(
        prog="logwatch check-config",
        description="Validate a logwatch config and print the settings and alert rules it holds.",
    )
    parser.add_argument("file", nargs="?", help="config file (default: discover as logwatch does)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    return run(args.file, as_json=args.json)
