"""Find web-server access logs in the usual places, for `logwatch` run without a path."""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable

# Glob patterns, most common first. Rotated/compressed files (.1, .gz) are not matched: the
# dashboard follows what the server writes now.
DEFAULT_PATTERNS: tuple[str, ...] = (
    "/var/log/nginx/*access*.log",
    "/var/log/nginx/access.log",
    "/var/log/apache2/*access*.log",
    "/var/log/apache2/access.log",
    "/var/log/httpd/*access_log*",
    "/var/log/httpd/*access*.log",
    "/var/log/caddy/*.log",
    "/var/log/caddy/*access*.log",
    "/var/log/traefik/*access*.log",
    "/var/log/traefik/access.log",
    "/usr/local/var/log/nginx/*access*.log",  # Homebrew
    "/opt/homebrew/var/log/nginx/*access*.log",
    "/usr/local/apache2/logs/*access*log",
    "/var/www/logs/*access*.log",
)

_SKIP_SUFFIXES = (".gz", ".bz2", ".xz", ".zst", ".zip")


def _rotated(path: str) -> bool:
    base = os.path.basename(path)
    if base.endswith(_SKIP_SUFFIXES):
        return True
    # access.log.1, access_log-20240101
    tail = base.rsplit(".", 1)[-1]
    return tail.isdigit() or (base.rsplit("-", 1)[-1].isdigit() and "-" in base)


def find_default_logs(patterns: Iterable[str] = DEFAULT_PATTERNS, root: str = "") -> list[str]:
    """Readable, existing, non-rotated regular files matching the usual places, deduplicated.

    `root` prefixes every pattern (tests point it at a temporary tree).
    """
    found: list[str] = []
    seen: set[str] = set()
    for pattern in patterns:
        for path in sorted(glob.glob(root + pattern)):
            if _rotated(path):
                continue
            try:
                real = os.path.realpath(path)
                if real in seen or not os.path.isfile(real) or not os.access(real, os.R_OK):
                    continue
            except OSError:
                continue
            seen.add(real)
            found.append(path)
    return found


def describe_search(found: list[str]) -> str:
    """The one message a person reads when they ran `logwatch` without a path."""
    if found:
        names = ", ".join(found[:5]) + (f" and {len(found) - 5} more" if len(found) > 5 else "")
        return f"Watching {names}"
    return (
        "No access log found in the usual places (nginx, Apache, Caddy, Traefik under /var/log).\n"
        "Pass one: logwatch /path/to/access.log   (or - for standard input)\n"
        "Or try the built-in demo: logwatch demo"
    )
