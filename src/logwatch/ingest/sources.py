"""Turn what the user typed (paths, globs, `-`) into the files to follow.

A glob such as `/var/log/nginx/*access*` also matches the files logrotate leaves behind
(`access.log.1`, `access.log.2.gz`, `access.log-20240101`). Following those would read old traffic
again as if it were live, so a glob match that only differs from a live name by a rotation suffix
is left out. A user who wants rotated files says so: by naming them (`access.log.2.gz`), by a
pattern that is about them (`*.gz`, `access.log.*`), or with `include_rotated=True` — which keeps
them, marked `rotated`: the follower reads those present at start as history (for `--since`, as
`report` does) without following them.
"""

from __future__ import annotations

import glob
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase

STDIN = "-"

# One rotation suffix at the end of a file name; applied repeatedly (access.log.1.gz → access.log).
_ROTATED_SUFFIX = re.compile(
    r"""(?:
        \.(?:gz|bz2|xz|zst|lz4|z|zip|tgz)   # compressed
      | [.\-_]\d{1,4}                        # numbered: access.log.1, access.log-3
      | [.\-_]\d{8}(?:\d{2}|-\d{1,10})?      # dateext: -20240131, -2024013112, -20240131-1706
      | \.(?:old|bak|orig|save|prev|tmp|swp)
      | ~
    )$""",
    re.VERBOSE | re.IGNORECASE,
)

COMPRESSED_SUFFIXES = (".gz", ".bz2", ".xz")


@dataclass(frozen=True, slots=True)
class Match:
    """One file a pattern names: `explicit` when the user typed the path itself (no wildcard);
    `rotated` when a glob matched it only by a rotation suffix (kept with include_rotated)."""

    path: str
    pattern: str
    explicit: bool
    rotated: bool = False


def source_name(path: str) -> str:
    """The name a file's lines are counted under (`by_source`, `sources[].name`, the `source`
    label of Prometheus metrics), in every mode: its absolute path (`-` for standard input).
    One file has one name however it was given (`a.log`, `./a.log`, a glob) and from whatever
    directory logwatch was started, so figures of two runs, or of `report` and `--headless`,
    line up."""
    return path if path == STDIN else os.path.abspath(os.path.expanduser(path))


def is_glob(pattern: str) -> bool:
    return glob.has_magic(pattern)


def is_compressed(path: str) -> bool:
    return path.lower().endswith(COMPRESSED_SUFFIXES)


def live_name(name: str) -> str:
    """The name a rotated file had while it was live: `access.log.2.gz` → `access.log`."""
    while True:
        stripped = _ROTATED_SUFFIX.sub("", name, count=1)
        if stripped == name or not stripped:
            return name
        name = stripped


def looks_rotated(name: str) -> bool:
    return live_name(os.path.basename(name)) != os.path.basename(name)


def _excluded(path: str, pattern: str) -> bool:
    """True when a glob matched a rotated file only because its wildcard swallowed the suffix."""
    name = os.path.basename(path)
    base = live_name(name)
    if base == name:
        return False
    return fnmatchcase(base, os.path.basename(pattern))


def expand(patterns: list[str], *, include_rotated: bool = False) -> list[Match]:
    """Expand `patterns` into files, in a stable order, each path once.

    Explicit paths are returned whether they exist or not (the follower waits for them); glob
    matches are regular files only. `-` is returned as is.
    """
    seen: set[str] = set()
    out: list[Match] = []
    for pattern in patterns:
        if pattern == STDIN:
            if STDIN not in seen:
                seen.add(STDIN)
                out.append(Match(STDIN, pattern, True))
            continue
        expanded = os.path.expanduser(pattern)
        if not is_glob(expanded):
            path = source_name(expanded)
            if path not in seen:
                seen.add(path)
                out.append(Match(path, pattern, True))
            continue
        for hit in sorted(glob.glob(expanded, recursive=True)):
            path = source_name(hit)
            if path in seen:
                continue
            try:
                if not stat.S_ISREG(os.stat(path).st_mode):
                    continue
            except OSError:
                continue
            rotated = _excluded(path, expanded)
            if rotated and not include_rotated:
                continue
            seen.add(path)
            out.append(Match(path, pattern, False, rotated))
    return out


def watch_dirs(patterns: list[str], extra_files: Iterable[str] = ()) -> set[str]:
    """Directories whose change events can reveal new, rotated or re-appearing files."""
    dirs: set[str] = set()
    for pattern in patterns:
        if pattern == STDIN:
            continue
        expanded = os.path.abspath(os.path.expanduser(pattern))
        parent = os.path.dirname(expanded)
        candidates = glob.glob(parent, recursive=True) if is_glob(parent) else [parent]
        for d in candidates:
            if os.path.isdir(d):
                dirs.add(d)
    for path in extra_files:
        d = os.path.dirname(os.path.realpath(path))
        if os.path.isdir(d):
            dirs.add(d)
    return dirs
