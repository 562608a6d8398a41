"""Accuracy on the labelled fixture: a hand-built log whose truth was written with each line.

fixtures/make_labelled.py wrote both files; the labels come from what each line was built to be,
never from running the classifier."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from logwatch.classify import PROBE_FAMILIES, Classifier
from logwatch.ingest.formats import get_format
from logwatch.model import BOT_CATEGORIES, CLASSES, Record

FIXTURES = Path(__file__).parent / "fixtures"


def load() -> list[tuple[Record, tuple[str, str | None, frozenset[str], str]]]:
    fmt = get_format("combined")
    lines = (FIXTURES / "labelled.log").read_text("utf-8").splitlines()
    labels = [
        line.split("\t")
        for line in (FIXTURES / "labelled.labels").read_text("utf-8").splitlines()
        if not line.startswith("#")
    ]
    assert len(lines) == len(labels) >= 300
    out = []
    for line, (cls, cat, rules, note) in zip(lines, labels, strict=True):
        rec = fmt.parse(line)
        assert isinstance(rec, Record), line
        truth = (
            cls,
            None if cat == "-" else cat,
            frozenset() if rules == "-" else frozenset(rules.split(",")),
            note,
        )
        out.append((rec, truth))
    return out


@pytest.fixture(scope="module")
def results() -> list[tuple[Record, tuple, object]]:
    c = Classifier()
    return [(rec, truth, c.classify(rec)) for rec, truth in load()]


def test_fixture_covers_everything(results) -> None:  # type: ignore[no-untyped-def]
    classes = Counter(t[0] for _, t, _ in results)
    cats = Counter(t[1] for _, t, _ in results if t[1])
    fams = Counter(f for _, t, _ in results for f in t[2])
    assert set(classes) == set(CLASSES)
    assert set(cats) == set(BOT_CATEGORIES)
    assert set(fams) == set(PROBE_FAMILIES)


def test_class_accuracy(results) -> None:  # type: ignore[no-untyped-def]
    wrong = [(rec.request, rec.user_agent[:60], t, v) for rec, t, v in results if v.cls != t[0]]
    assert not wrong, "\n".join(map(str, wrong))


def test_category_accuracy(results) -> None:  # type: ignore[no-untyped-def]
    wrong = [
        (rec.request, rec.user_agent[:60], t, v) for rec, t, v in results if v.bot_category != t[1]
    ]
    assert not wrong, "\n".join(map(str, wrong))


def test_probe_accuracy(results) -> None:  # type: ignore[no-untyped-def]
    wrong = [
        (rec.request, t, v.probe_rules)
        for rec, t, v in results
        if frozenset(v.probe_rules) != t[2] or v.probe != bool(t[2])
    ]
    assert not wrong, "\n".join(map(str, wrong))


def test_bot_names_are_the_short_stable_ones(results) -> None:  # type: ignore[no-untyped-def]
    named = [
        (t[3], v.bot_name)
        for _, t, v in results
        if t[0] == "bot"
        and t[1] not in ("scanner",)
        and not t[2]
        and t[3] not in ("many 404s", "no assets")
        and not t[3].startswith("after")
    ]
    wrong = [(want, got) for want, got in named if want != got]
    assert not wrong, wrong
    every = [v for _, _, v in results]
    assert all(v.reasons for v in every), "every verdict says why"
