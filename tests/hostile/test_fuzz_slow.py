"""The million-line fuzz run (benchmarks/fuzz.py) as a slow test: `pytest -m slow`.

Every line of realistic traffic in six formats damaged by `synth.mutate`, through the pipeline:
no exception, and after every batch `lines == parsed + malformed` and every non-blank line fed is
counted exactly once (the run raises AssertionError otherwise).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "fuzz.py"


@pytest.mark.slow
def test_a_million_mutated_lines_are_all_accounted_for() -> None:
    spec = importlib.util.spec_from_file_location("lw_fuzz", BENCH)
    assert spec is not None and spec.loader is not None
    fuzz = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fuzz)
    result = fuzz.fuzz(1_000_000, seed=5, rate=1.0)
    assert result["lines_in"] >= 1_000_000
    assert result["counted"] > 0.8 * result["lines_in"]  # the rest were mutated into blank lines
    for figures in result["formats"].values():
        assert figures["lines"] == figures["parsed"] + figures["malformed"]
        assert figures["parsed"] > 0 and figures["malformed"] > 0
