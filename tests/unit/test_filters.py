import pytest

from logwatch.filters import FilterError, parse_filter
from logwatch.model import Record, Verdict


def rec(**kw):
    base = dict(
        ts=1_700_000_000.0,
        client="198.51.100.7",
        method="GET",
        path="/index.html",
        query="",
        protocol="HTTP/1.1",
        status=200,
        size=100,
        referrer="-",
        user_agent="Mozilla/5.0",
        source="access.log",
    )
    base.update(kw)
    return Record(**base)


HUMAN = Verdict("human")
BOT = Verdict("bot", bot_category="ai", bot_name="GPTBot")
PROBE = Verdict("bot", bot_category="scanner", probe=True, probe_rules=("secret-file",))


def test_empty_matches_everything():
    assert parse_filter("")(rec(), HUMAN)
    assert parse_filter("   ")(rec(status=500), BOT)


@pytest.mark.parametrize(
    "text,status,expected",
    [
        ("status:5xx", 503, True),
        ("status:5xx", 404, False),
        ("status:404", 404, True),
        ("status:404,5xx", 502, True),
        ("status:404,5xx", 200, False),
        ("status:>=400", 404, True),
        ("status:<300", 404, False),
        ("status:50x", 502, True),
        ("code:2xx", 204, True),
    ],
)
def test_status(text, status, expected):
    assert parse_filter(text)(rec(status=status), HUMAN) is expected


def test_class_bot_probe_fields():
    assert parse_filter("class:bot")(rec(), BOT)
    assert not parse_filter("class:bot")(rec(), HUMAN)
    assert parse_filter("class:human,asset")(rec(), HUMAN)
    assert parse_filter("bot:gptbot")(rec(), BOT)
    assert parse_filter("bot:ai")(rec(), BOT)
    assert not parse_filter("bot:search")(rec(), BOT)
    assert not parse_filter("bot:gptbot")(rec(), HUMAN)
    assert parse_filter("probe:yes")(rec(), PROBE)
    assert not parse_filter("probe:yes")(rec(), BOT)
    assert parse_filter("probe:no")(rec(), BOT)
    assert parse_filter("probe:secret")(rec(), PROBE)
    assert not parse_filter("probe:traversal")(rec(), PROBE)


def test_path_prefix_glob_and_substring():
    assert parse_filter("path:/api")(rec(path="/api/v1/users"), HUMAN)
    assert not parse_filter("path:/api")(rec(path="/v1/api"), HUMAN)
    assert parse_filter("path:api")(rec(path="/v1/api"), HUMAN)
    assert parse_filter("path:*.php")(rec(path="/wp-login.php"), HUMAN)
    assert not parse_filter("path:*.php")(rec(path="/wp-login.php5x"), HUMAN)


def test_ip_prefix_and_network():
    assert parse_filter("ip:203.0.113.")(rec(client="203.0.113.9"), HUMAN)
    assert not parse_filter("ip:203.0.113.")(rec(client="203.0.11.9"), HUMAN)
    assert parse_filter("ip:10.0.0.0/8")(rec(client="10.2.3.4"), HUMAN)
    assert not parse_filter("ip:10.0.0.0/8")(rec(client="11.2.3.4"), HUMAN)
    assert not parse_filter("ip:10.0.0.0/8")(rec(client="not-an-ip"), HUMAN)


def test_source_and_terms_are_anded_and_negated():
    f = parse_filter("source:error status:5xx")
    assert f(rec(source="error.log", status=500), HUMAN)
    assert not f(rec(source="access.log", status=500), HUMAN)
    assert parse_filter("-class:asset")(rec(), HUMAN)
    assert not parse_filter("!status:2xx")(rec(status=200), HUMAN)


def test_free_text_is_case_insensitive_over_fields():
    assert parse_filter("mozilla")(rec(), HUMAN)
    assert parse_filter("INDEX")(rec(), HUMAN)
    assert parse_filter("gptbot")(rec(user_agent="x"), BOT)
    assert parse_filter('"Mozilla/5.0"')(rec(), HUMAN)
    assert not parse_filter("curl")(rec(), HUMAN)
    # a URL typed as free text is not a field
    assert parse_filter("https://example.com/")(rec(referrer="https://example.com/a"), HUMAN)


def test_hostile_looking_text_is_only_text():
    f = parse_filter("[@click=app.quit]")
    assert f(rec(path="/[@click=app.quit]"), HUMAN)
    assert not f(rec(), HUMAN)


@pytest.mark.parametrize(
    "bad",
    ["stauts:5xx", "status:abc", "class:robot", "ip:10.0.0.0/99", "path:", "status:,", "ip:,,"],
)
def test_errors_name_the_term(bad):
    with pytest.raises(FilterError) as err:
        parse_filter(bad)
    assert bad.split(":")[0] in str(err.value)


def test_class_with_probe_keeps_the_other_classes():
    """`class:bot,probe` returned a probe-only test as soon as it read "probe": plain bots
    were left out, and what followed ("class:probe,nonsense") was not even checked."""
    for text in ("class:bot,probe", "class:probe,bot"):
        keep = parse_filter(text)
        assert keep(rec(), BOT) and keep(rec(), PROBE) and not keep(rec(), HUMAN)
    with pytest.raises(FilterError):
        parse_filter("class:probe,nonsense")
