"""No regular expression on the per-line path can be driven into catastrophic backtracking.

Each group of patterns (see regex_targets.py) runs against 100 KB adversarial strings in a child
process. The guard is a generous wall-clock timeout on that process, not a speed assertion: a
linear pattern needs well under a second here, a backtracking one needs years. A hang fails the
test and names the pattern it hung on.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import regex_targets
from hostile_util import SRC

HERE = Path(__file__).parent
GUARD_SECONDS = 60  # far above the few seconds a loaded CI machine needs; a quadratic
# pattern on 100 KB takes minutes (one did, at 160 s, and passed a 180 s guard)


@pytest.mark.parametrize("group", sorted(regex_targets.GROUPS))
def test_patterns_finish_on_100kb_adversarial_input(group: str) -> None:
    cmd = [sys.executable, str(HERE / "regex_targets.py"), group]
    try:
        proc = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=GUARD_SECONDS,
            env={"PYTHONPATH": f"{SRC}:{HERE}", "PATH": "/usr/bin:/bin"},
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        last = [ln for ln in out.splitlines() if ln.startswith("start")][-1:]
        pytest.fail(f"regex hung (> {GUARD_SECONDS}s) in group {group}: {last}")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[-1] == "done"
    started = [ln for ln in lines if ln.startswith("start ")]
    assert started and len(started) == len([ln for ln in lines if ln.startswith("ok ")])


def test_the_enumeration_finds_the_patterns_it_must() -> None:
    """If a module moved its patterns, the safety test above must not silently test nothing."""
    names = {t.name for g in regex_targets.GROUPS for t in regex_targets.collect(g)}
    for must in (
        "logwatch.sanitize._UNSAFE",
        "logwatch.ingest.formats._CLF",
        "logwatch.ingest.formats._CLF_XFF",
        "logwatch.ingest.formats._TAIL_TOKEN",
        "logwatch.classify.agents._GENERIC",
        "logwatch.classify.agents._BEFORE_URL",
        "logwatch.privacy._ADDRESS_RUN",
        "logwatch.privacy._LOOKS_V6",
    ):
        assert must in names
    # The probe regexes live on the classifier instance, loaded from data.
    from_instance = [n for n in names if n.startswith("Classifier()")]
    assert len(from_instance) >= 4, from_instance
    assert sum(1 for n in names if n.startswith("get_format(")) == len(regex_targets.FORMAT_SPECS)


def test_methods_are_read_from_the_source() -> None:
    by_name = {t.name: t for t in regex_targets.collect("ingest")}
    assert by_name["logwatch.ingest.formats._CLF"].methods == ("match",)
    assert by_name["logwatch.ingest.formats._TAIL_TOKEN"].methods == ("findall",)
    sanitize = {t.name: t for t in regex_targets.collect("sanitize")}
    assert sanitize["logwatch.sanitize._UNSAFE"].methods == ("search",)
    classify = {t.name: t for t in regex_targets.collect("classify")}
    assert set(classify["logwatch.classify.agents._PRODUCT"].methods) == {"match", "search"}


def test_the_guard_catches_a_backtracking_pattern() -> None:
    """The harness itself: a classic exponential pattern does hang on these inputs."""
    code = (
        "import re, regex_targets as R\n"
        "rx = re.compile(r'(a+)+$')\n"
        "rx.match(R.adversarial_inputs()['a'][:40] + '!')\n"
    )
    with pytest.raises(subprocess.TimeoutExpired):
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            timeout=1,
            env={"PYTHONPATH": f"{SRC}:{HERE}", "PATH": "/usr/bin:/bin"},
        )
