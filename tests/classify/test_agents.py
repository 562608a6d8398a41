"""User-agent classification: known bots by category and name, no false positives on browsers."""

from __future__ import annotations

import re
from pathlib import Path

import crawleruseragents
import pytest
from classify_util import rec

from logwatch.classify import Classifier, ClassifyConfig
from logwatch.classify.agents import AgentMatcher, load_agent_data, upstream_literals
from logwatch.model import BOT, BOT_CATEGORIES, HUMAN

BROWSERS = [
    line
    for line in (Path(__file__).parent / "browser_agents.txt").read_text("utf-8").splitlines()
    if line and not line.startswith("#")
]


@pytest.fixture(scope="module")
def matcher() -> AgentMatcher:
    return AgentMatcher()


@pytest.mark.parametrize("agent", BROWSERS)
def test_real_browsers_are_not_bots(matcher: AgentMatcher, agent: str) -> None:
    info = matcher.lookup(agent)
    assert info.category is None, (info, agent)


def test_upstream_false_positives_are_really_in_upstream() -> None:
    """The traps we defuse exist upstream: without our fixes these browsers would be bots."""
    pixel = next(a for a in BROWSERS if "AP3A.240617.008" in a)
    sogou = next(a for a in BROWSERS if "SogouMSE" in a)
    viber = next(a for a in BROWSERS if "Viber/" in a)
    slack = next(a for a in BROWSERS if "Slack_SSB/" in a)  # upstream's bare 'Sonic'
    notion = next(a for a in BROWSERS if "Notion/" in a)  # upstream's 'Notion/'
    for agent in (pixel, sogou, viber, slack, notion):
        assert crawleruseragents.is_crawler(agent), agent


def test_every_upstream_pattern_is_used_as_literals() -> None:
    data = load_agent_data()
    replaced = set(data["upstream"]["replace"])
    dropped = set(data["upstream"]["drop"]["patterns"])
    for item in crawleruseragents.CRAWLER_USER_AGENTS_DATA:
        pattern = item["pattern"]
        if pattern in replaced or pattern in dropped:
            continue
        literals = upstream_literals(pattern)
        assert literals, pattern
        # the literals match what the regex matches on the upstream examples
        for instance in item.get("instances", [])[:3]:
            if re.search(pattern, instance):
                assert any(lit.strip("^$") in instance for lit in literals), (pattern, instance)


BOTS = [
    tuple(line.split("\t", 2))
    for line in (Path(__file__).parent / "bot_agents.tsv").read_text("utf-8").splitlines()
    if line and not line.startswith("#")
]


@pytest.mark.parametrize(("category", "name", "agent"), BOTS)
def test_known_bots(matcher: AgentMatcher, agent: str, category: str, name: str) -> None:
    info = matcher.lookup(agent)
    assert (info.category, info.name) == (category, name)
    assert info.reason == f"user agent matches {name} → {category}" or category == "other"


def test_only_attack_tools_are_probes(matcher: AgentMatcher) -> None:
    assert matcher.lookup("sqlmap/1.7").probe_rules == ("scanner-agent",)
    # crawler-user-agents tags certificate checkers `scanner`; they are not attacks
    le = matcher.lookup("Mozilla/5.0 (compatible; Let's Encrypt validation server)")
    assert le.category == "monitor" and le.probe_rules == ()


@pytest.mark.parametrize("agent", ["", "-"])
def test_empty_agent_is_a_bot(agent: str) -> None:
    v = Classifier().classify(rec(agent=agent))
    assert v.cls == BOT and v.bot_category == "other"
    assert v.reasons == ("empty user agent → bot",)


def test_generic_robot_words_but_not_phone_models(matcher: AgentMatcher) -> None:
    assert matcher.lookup("Mozilla/5.0 (compatible; Barkeeper-Bot/3.1)").category == "other"
    phone = next(a for a in BROWSERS if "CUBOT" in a)
    assert matcher.lookup(phone).category is None


def test_an_agent_without_product_version_is_a_bot_unless_a_known_browser(
    matcher: AgentMatcher,
) -> None:
    for agent in ("XTC", "Microsoft Office Protocol Discovery", "Links checker (beta)"):
        info = matcher.lookup(agent)
        assert info.category == "other", agent
        assert info.reason == "user agent is no browser's (no product/version) → other"
    # text-mode and feature-phone browsers carry no "/" at all (in BROWSERS too)
    assert (
        matcher.lookup("Links (2.8; Linux 3.13.0-36-generic x86_64; GNU C 4.8.2; text)")[0] is None
    )
    assert matcher.lookup("Maui Browser").category is None


def test_config_extra_patterns_and_allow_list() -> None:
    cfg = ClassifyConfig(
        extra_bot_patterns=("AcmeFetcher",),
        extra_bots=(("InternalSearch", "search"),),
        allow_agents=("curl/7.81.0-ourdeploy",),
    )
    c = Classifier(cfg)
    v = c.classify(rec(agent="acmefetcher/2.0 (internal)"))
    assert (v.cls, v.bot_category) == (BOT, "other")
    v = c.classify(rec(agent="Mozilla/5.0 InternalSearch/1"))
    assert (v.cls, v.bot_category, v.bot_name) == (BOT, "search", "InternalSearch")
    assert c.classify(rec(agent="curl/7.81.0-ourdeploy")).cls == HUMAN
    assert c.classify(rec(agent="curl/7.81.0")).cls == BOT
    with pytest.raises(ValueError, match="unknown bot category"):
        Classifier(ClassifyConfig(extra_bots=(("x", "robots"),)))


def test_config_patterns_are_substrings_not_regexes() -> None:
    # The config documents substrings (^/$ anchor) and accepts "C++ client": compiled as a
    # regex, it raised re.error at start (a traceback from report, explain and headless).
    c = Classifier(ClassifyConfig(extra_bot_patterns=("C++ client", "(unclosed", "Acme.Mon/")))
    assert c.classify(rec(agent="My c++ client/2")).cls == BOT
    assert c.classify(rec(agent="Mozilla/5.0 (unclosed; X11)")).cls == BOT
    assert c.classify(rec(agent="Mozilla/5.0 (X11) Acme.Mon/1")).cls == BOT
    assert c.classify(rec(agent="Mozilla/5.0 (X11) AcmexMon/1")).cls == HUMAN  # "." is a dot


def test_categories_are_the_design_ones() -> None:
    data = load_agent_data()
    assert set(data["bots"]) <= set(BOT_CATEGORIES)
    assert set(data["upstream"]["tag_category"].values()) <= set(BOT_CATEGORIES)


def test_agent_cache_is_bounded() -> None:
    c = Classifier(ClassifyConfig(agent_cache_size=50))
    for i in range(500):
        c.classify(rec(agent=f"Mozilla/5.0 Thing/{i}"))
    assert len(c._agent_cache) <= 50


def test_classifiers_share_the_built_tables_but_not_their_configuration() -> None:
    """Building the agent automaton is most of a classifier's start: classifiers with the same
    agent settings share it (a forked backfill worker inherits it ready), others get their own."""
    a, b = Classifier(), Classifier()
    assert a.agents is b.agents and a.rules is b.rules
    mine = Classifier(ClassifyConfig(extra_bot_patterns=("AcmeMonitor",)))
    assert mine.agents is not a.agents
    agent = "AcmeMonitor/1.0"
    assert mine.classify(rec(agent=agent)).cls == BOT
    assert a.classify(rec(agent=agent)).cls == HUMAN


def test_an_empty_agent_is_judged_again_when_the_format_logs_none() -> None:
    """A classifier that judged "" under a format with agents (a bot) must not keep that
    judgement for a format that logs none (backfill's warm-up met it first)."""
    c = Classifier()
    assert c.classify(rec(agent="")).cls == BOT
    c.agents_logged = False
    assert c.classify(rec(agent="")).cls == HUMAN
    c.agents_logged = True
    assert c.classify(rec(agent="")).cls == BOT


def test_extra_bots_given_as_lists_in_code_still_work() -> None:
    config = ClassifyConfig(extra_bots=[["AcmeCrawler", "search"]])  # type: ignore[arg-type]
    assert Classifier(config).classify(rec(agent="AcmeCrawler/2")).bot_category == "search"
