"""Config: discovery, validation with file/line/key, environment overrides, durations."""

from __future__ import annotations

from pathlib import Path

import pytest

from logwatch.alerts.rules import DEFAULT_RULES
from logwatch.config import (
    Config,
    ConfigError,
    apply_env,
    find_config,
    load_config,
    parse_config,
    parse_duration,
    user_config_dir,
)

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Belt and braces: even a call that forgets `user_dir`/`env` never sees the developer's config.
    monkeypatch.setenv("LOGWATCH_CONFIG_DIR", str(tmp_path / "no-user-config"))
    for var in ("XDG_CONFIG_HOME", "LOGWATCH_TOP_K", "LOGWATCH_BELL", "LOGWATCH_WINDOWS"):
        monkeypatch.delenv(var, raising=False)


def load(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> Config:
    path = tmp_path / "lw.toml"
    path.write_text(text)
    return load_config(path, cwd=tmp_path, user_dir=tmp_path / "user", env=env or {})


def error(tmp_path: Path, text: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text)
    return info.value


# -- durations ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("0s", 0),
        ("90s", 90),
        ("5m", 300),
        ("1h", 3600),
        ("1h30m", 5400),
        ("250ms", 0.25),
        ("2d", 172800),
        ("1.5m", 90),
        ("45", 45),
        (" 5m ", 300),
        ("1h 30m", 5400),
        (12, 12.0),
    ],
)
def test_parse_duration(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "5x", "m", "-5m", "5 minutes", "1h-", "inf", "nan", "5m5"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_a_duration_past_any_float_says_so() -> None:
    # It said "expected a non-negative duration" of 400 digits; `--since` shares this parser.
    with pytest.raises(ValueError, match="too long to mean anything"):
        parse_duration("1" + "0" * 400 + "s")


def test_parse_duration_rejects_bool() -> None:
    with pytest.raises(TypeError):
        parse_duration(True)


# -- discovery ------------------------------------------------------------------------------------


def test_no_config_means_builtin_defaults(tmp_path: Path) -> None:
    config = load_config(cwd=tmp_path, user_dir=tmp_path / "user", env={})
    assert config.source is None
    assert config.windows == ("1m", "5m", "15m", "1h")
    assert config.alerts == DEFAULT_RULES
    names = [r.name for r in config.alerts]
    assert "5xx spike" in names and "probe burst" in names
    five = config.alerts[names.index("5xx spike")]
    assert (five.metric, five.window, five.above, five.min_requests) == ("5xx_rate", "1m", 0.05, 20)


def test_discovery_order(tmp_path: Path) -> None:
    user = tmp_path / "user"
    user.mkdir()
    (user / "config.toml").write_text("top_k = 3\n")
    assert find_config(cwd=tmp_path, user_dir=user, env={}) == user / "config.toml"
    (tmp_path / "logwatch.toml").write_text("top_k = 2\n")
    assert find_config(cwd=tmp_path, user_dir=user, env={}) == tmp_path / "logwatch.toml"
    explicit = tmp_path / "other.toml"
    explicit.write_text("top_k = 1\n")
    assert find_config(explicit, cwd=tmp_path, user_dir=user, env={}) == explicit
    assert load_config(explicit, cwd=tmp_path, user_dir=user, env={}).top_k == 1
    assert load_config(cwd=tmp_path, user_dir=user, env={}).top_k == 2


def test_user_dir_from_environment(tmp_path: Path) -> None:
    xdg = tmp_path / "xdg"
    (xdg / "logwatch").mkdir(parents=True)
    (xdg / "logwatch" / "config.toml").write_text("recent = 7\n")
    assert user_config_dir({"XDG_CONFIG_HOME": str(xdg)}) == xdg / "logwatch"
    assert load_config(cwd=tmp_path, env={"XDG_CONFIG_HOME": str(xdg)}).recent == 7
    seam = tmp_path / "seam"
    assert user_config_dir({"LOGWATCH_CONFIG_DIR": str(seam), "XDG_CONFIG_HOME": str(xdg)}) == seam
    assert (
        load_config(
            cwd=tmp_path, env={"LOGWATCH_CONFIG_DIR": str(seam), "XDG_CONFIG_HOME": str(xdg)}
        ).recent
        == Config().recent
    )


def test_explicit_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "nope.toml", cwd=tmp_path, env={})
    assert "nope.toml" in str(info.value) and "not found" in str(info.value)


def test_explicit_directory_says_so(tmp_path: Path) -> None:
    # It said "config file not found" of a path that is there.
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path, cwd=tmp_path, env={})
    assert "is a directory" in str(info.value) and "not found" not in str(info.value)


# -- a good file ----------------------------------------------------------------------------------

GOOD = """\
windows = ["1m", "10m", "1h"]
top_k = 25
recent = 200
theme = "nord"
format = "combined"
anonymize_ip = [24, 56]
hash_clients = true
geoip = ["/var/lib/GeoIP/City.mmdb"]
bell = true

[classify]
bot_patterns = ["acme-check", "^Foo/"]
allow_agents = ["MyApp/"]
asset_extensions = [".AVIF", "wasm"]

[[alerts]]
name = "api errors"
metric = "5xx_rate"
window = "10m"
above = 0.02
min_requests = 50
for = "2m"
cooldown = "15m"
exec = ["/usr/local/bin/page-ops", "--sev", "high"]
webhook = "https://chat.example.com/hooks/T000"
path_prefix = "/api"
vhost = "shop.example.com"

[[alerts]]
name = "views dropped"
metric = "human_pageviews_per_min"
window = "1h"
below = 3
class = "human"

[[alerts]]
name = "error surge"
metric = "error_rate"
window = "1m"
spike = 4
above = 0.01
baseline = "30m"
hysteresis = 0.3
clear_for = "2m"
timeout = "3s"
"""


def test_good_file(tmp_path: Path) -> None:
    c = load(tmp_path, GOOD)
    assert c.source == str(tmp_path / "lw.toml")
    assert (c.windows, c.top_k, c.recent, c.theme, c.format) == (
        ("1m", "10m", "1h"),
        25,
        200,
        "nord",
        "combined",
    )
    assert c.anonymize_ip == (24, 56) and c.hash_clients and c.bell
    assert c.geoip == ("/var/lib/GeoIP/City.mmdb",)
    assert c.classify.extra_bot_patterns == ("acme-check", "^Foo/")
    assert c.classify.allow_agents == ("MyApp/",)
    assert c.asset_extensions == ("avif", "wasm")
    # extras extend the classifier's own list
    assert "wasm" in c.classify.asset_extensions and "css" in c.classify.asset_extensions
    assert c.classify.asset_extensions.count("avif") == 1
    by_name = {r.name: r for r in c.alerts}
    # built-ins stay (their window 1m is configured) and come first
    assert [r.name for r in c.alerts] == [
        "5xx spike",
        "probe burst",
        "api errors",
        "views dropped",
        "error surge",
    ]
    api = by_name["api errors"]
    assert (api.metric, api.window, api.above, api.min_requests) == ("5xx_rate", "10m", 0.02, 50)
    assert (api.for_, api.cooldown) == (120.0, 900.0)
    assert api.exec == ("/usr/local/bin/page-ops", "--sev", "high")
    assert api.webhook == "https://chat.example.com/hooks/T000"
    assert api.scope() == {"path_prefix": "/api", "vhost": "shop.example.com"} and api.scoped
    assert api.condition == "above" and not api.builtin
    views = by_name["views dropped"]
    assert views.condition == "below" and views.below == 3 and views.cls == "human"
    assert views.min_requests == 0  # a drop to zero must be able to alert
    surge = by_name["error surge"]
    assert surge.condition == "spike" and surge.spike == 4 and surge.above == 0.01
    assert (surge.baseline, surge.hysteresis, surge.clear_for, surge.timeout) == (
        1800.0,
        0.3,
        120.0,
        3.0,
    )
    assert surge.min_requests == 10


def test_example_file_in_repo_is_valid(tmp_path: Path) -> None:
    c = load_config(REPO / "logwatch.example.toml", cwd=tmp_path, env={})
    names = [r.name for r in c.alerts]
    assert names.count("5xx spike") == 1 and not c.alerts[names.index("5xx spike")].builtin
    assert "probe burst" in names and "slow API" in names


def test_overriding_and_disabling_builtins(tmp_path: Path) -> None:
    c = load(
        tmp_path,
        """
[[alerts]]
name = "5xx spike"
metric = "5xx_rate"
above = 0.2

[[alerts]]
name = "probe burst"
enabled = false
""",
    )
    assert [(r.name, r.above, r.builtin) for r in c.alerts] == [("5xx spike", 0.2, False)]
    c = load(tmp_path, "default_alerts = false\n")
    assert c.alerts == ()


def test_disabling_a_rule_that_is_not_built_in_is_an_error(tmp_path: Path) -> None:
    # The typo switched nothing off: "probe burst" kept firing, and check-config said nothing.
    e = error(tmp_path, 'top_k = 5\n[[alerts]]\nname = "probe-burst"\nenabled = false\n')
    assert (e.line, e.key) == (3, "alerts.name")
    assert "did you mean 'probe burst'" in e.message


def test_builtins_dropped_when_their_window_is_not_configured(tmp_path: Path) -> None:
    c = load(tmp_path, 'windows = ["5m", "1h"]\n')
    assert c.alerts == ()


def test_window_names_are_trimmed(tmp_path: Path) -> None:
    c = load(tmp_path, 'windows = [" 1m", "5m "]\n')
    assert c.windows == ("1m", "5m")
    assert c.alerts == DEFAULT_RULES  # their window 1m is configured
    assert apply_env(Config(), {"LOGWATCH_WINDOWS": " 1m , 1h"}).windows == ("1m", "1h")


def test_anonymize_forms(tmp_path: Path) -> None:
    assert load(tmp_path, "anonymize_ip = true\n").anonymize_ip == (24, 48)
    assert load(tmp_path, "anonymize_ip = false\n").anonymize_ip is None
    assert load(tmp_path, 'anonymize_ip = "16/32"\n').anonymize_ip == (16, 32)
    assert load(tmp_path, "anonymize_ip = 20\n").anonymize_ip == (20, 48)
    e = error(tmp_path, "bell = true\nanonymize_ip = [33, 48]\n")
    assert (e.line, e.key) == (2, "anonymize_ip")


def test_windows_in_the_aggregator_shape(tmp_path: Path) -> None:
    c = load(tmp_path, 'windows = ["1m", "2h"]\n')
    assert (c.top_k, c.recent) == (2000, 20000)
    assert c.stats_windows() == (("1m", 60), ("2h", 7200))
    assert load(tmp_path, 'windows = ["1d"]\n').stats_windows() == (("1d", 86400),)


@pytest.mark.parametrize(
    "bad",
    # windows past a day: the first snapshot walked 100000d second by second (a hang)
    ['["1h30m"]', '["1.5m"]', '["0m"]', '["1m", "60s"]', "[]", '["1m", "25h"]', '["100000d"]'],
)
def test_bad_windows(tmp_path: Path, bad: str) -> None:
    e = error(tmp_path, f"windows = {bad}\n")
    assert (e.line, e.key) == (1, "windows")


# -- bad files name file, line and key ------------------------------------------------------------


def test_unknown_top_level_key(tmp_path: Path) -> None:
    e = error(tmp_path, 'windows = ["1m"]\n\ntopk = 5\n')
    assert (e.path, e.line, e.key) == (str(tmp_path / "lw.toml"), 3, "topk")
    assert "did you mean 'top_k'" in str(e)
    assert str(e).startswith(f"{tmp_path / 'lw.toml'}:3:")


@pytest.mark.parametrize("header", ["[clasify]", "[[alert]]"])
def test_unknown_table_names_its_line(tmp_path: Path, header: str) -> None:
    # The key was named but not where: "lw.toml: key 'clasify': unknown key".
    e = error(tmp_path, f"top_k = 5\n\n{header}\nx = 1\n")
    assert (e.line, e.key) == (3, header.strip("[]"))
    assert "did you mean" in str(e)


def test_unknown_key_in_second_alert(tmp_path: Path) -> None:
    e = error(
        tmp_path,
        """\
[[alerts]]
name = "a"
metric = "5xx_rate"
above = 0.1

[[alerts]]
name = "b"
metric = "4xx_rate"
abov = 0.1
""",
    )
    assert (e.line, e.key) == (9, "alerts.abov")
    assert "did you mean 'above'" in e.message


def test_bad_value_type(tmp_path: Path) -> None:
    e = error(
        tmp_path,
        """\
[[alerts]]
name = "a"
metric = "5xx_rate"
above = "high"
""",
    )
    assert (e.line, e.key) == (4, "alerts.above")
    assert "expected a number" in e.message


def test_bad_metric_suggests(tmp_path: Path) -> None:
    e = error(tmp_path, '[[alerts]]\nname = "a"\nmetric = "5xx"\nabove = 1\n')
    assert (e.line, e.key) == (3, "alerts.metric")
    assert "5xx_rate" in e.message


def test_bad_duration(tmp_path: Path) -> None:
    e = error(
        tmp_path, '[[alerts]]\nname = "a"\nmetric = "5xx_rate"\nabove = 1\ncooldown = "5 minutes"\n'
    )
    assert (e.line, e.key) == (5, "alerts.cooldown")


def test_window_not_configured(tmp_path: Path) -> None:
    e = error(
        tmp_path,
        'windows = ["1m"]\n[[alerts]]\nname = "a"\nmetric = "5xx_rate"\nwindow = "5m"\nabove = 1\n',
    )
    assert (e.line, e.key) == (5, "alerts.window")


def test_missing_condition_points_at_the_table(tmp_path: Path) -> None:
    e = error(tmp_path, 'top_k = 5\n\n[[alerts]]\nname = "a"\nmetric = "5xx_rate"\n')
    assert e.line == 3 and "above, below or spike" in e.message


def test_below_with_above_rejected(tmp_path: Path) -> None:
    e = error(
        tmp_path, '[[alerts]]\nname = "a"\nmetric = "requests_per_s"\nabove = 1\nbelow = 0.5\n'
    )
    assert (e.line, e.key) == (5, "alerts.below")


def test_duplicate_rule_names(tmp_path: Path) -> None:
    e = error(
        tmp_path,
        '[[alerts]]\nname = "a"\nmetric = "5xx_rate"\nabove = 1\n'
        '[[alerts]]\nname = "a"\nmetric = "4xx_rate"\nabove = 1\n',
    )
    assert (e.line, e.key) == (6, "alerts.name")


def test_exec_must_be_an_argv_array(tmp_path: Path) -> None:
    e = error(
        tmp_path,
        '[[alerts]]\nname = "a"\nmetric = "5xx_rate"\nabove = 1\n'
        'exec = "/bin/page-ops --sev high; rm -rf /"\n',
    )
    assert (e.line, e.key) == (5, "alerts.exec")
    assert "never run through a shell" in e.message


def test_webhook_must_be_http(tmp_path: Path) -> None:
    e = error(
        tmp_path,
        '[[alerts]]\nname = "a"\nmetric = "5xx_rate"\nabove = 1\nwebhook = "file:///etc/passwd"\n',
    )
    assert (e.line, e.key) == (5, "alerts.webhook")


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:99999/hook", "https://[::1/hook", "http://host:port/x", "http://:80/"]
)
def test_webhook_url_that_urllib_cannot_use_is_refused(tmp_path: Path, url: str) -> None:
    e = error(
        tmp_path,
        f'[[alerts]]\nname = "a"\nmetric = "5xx_rate"\nabove = 1\nwebhook = "{url}"\n',
    )
    assert (e.line, e.key) == (5, "alerts.webhook")


def test_bad_classify_key_and_value(tmp_path: Path) -> None:
    e = error(tmp_path, '[classify]\nbot_pattern = ["x"]\n')
    assert (e.line, e.key) == (2, "classify.bot_pattern")
    e = error(tmp_path, 'top_k = 1\n[classify]\nbot_patterns = ["ok", 3]\n')
    assert (e.line, e.key) == (3, "classify.bot_patterns")
    # patterns are substrings, not regular expressions: "C++" is fine
    c = load(tmp_path, '[classify]\nbot_patterns = ["C++ client", "(unclosed"]\n')
    assert c.classify.extra_bot_patterns == ("C++ client", "(unclosed")


def test_classify_defaults_untouched_without_section(tmp_path: Path) -> None:
    from logwatch.classify import ClassifyConfig

    assert load(tmp_path, "top_k = 5\n").classify == ClassifyConfig()
    c = load(tmp_path, '[classify]\nallow_agents = ["Mine/"]\n')
    assert c.classify.asset_extensions == ClassifyConfig().asset_extensions
    assert c.classify.allow_agents == ("Mine/",)


def test_a_byte_order_mark_is_not_an_error(tmp_path: Path) -> None:
    # Files saved by Windows Notepad start with one: "lw.toml:1: not valid TOML: Invalid
    # statement" on a line that looked right.
    path = tmp_path / "lw.toml"
    path.write_bytes(b"\xef\xbb\xbftop_k = 5\n")
    assert load_config(path, cwd=tmp_path, env={}).top_k == 5


def test_toml_syntax_error_has_line(tmp_path: Path) -> None:
    e = error(tmp_path, "top_k = 5\nrecent = = 3\n")
    assert e.line == 2 and "not valid TOML" in e.message


@pytest.mark.parametrize("key", ["top_k", "recent"])
def test_sizes_have_a_ceiling(tmp_path: Path, key: str) -> None:
    # 10**19 was accepted, then the dashboard died with an OverflowError traceback sizing the
    # ring of recent requests (a deque's maxlen is a C ssize_t).
    assert getattr(load(tmp_path, f"{key} = 1000000\n"), key) == 1_000_000
    e = error(tmp_path, f"bell = true\n{key} = 10000000000000000000\n")
    assert (e.line, e.key) == (2, key) and "at most 1000000" in e.message
    with pytest.raises(ConfigError, match=f"LOGWATCH_{key.upper()}"):
        apply_env(Config(), {f"LOGWATCH_{key.upper()}": "1000001"})


def test_bool_is_not_a_number(tmp_path: Path) -> None:
    e = error(tmp_path, "top_k = true\n")
    assert (e.line, e.key) == (1, "top_k")


def test_an_unknown_format_is_a_config_error(tmp_path: Path) -> None:
    # check-config accepted any string and printed it back; the run then failed at start
    # without naming the file.
    e = error(tmp_path, 'top_k = 5\nformat = "combind"\n')
    assert (e.line, e.key) == (2, "format") and "unknown format" in str(e)
    e = error(tmp_path, "format = '%{x'\n")  # a spec that does not compile
    assert e.key == "format"
    with pytest.raises(ConfigError, match="LOGWATCH_FORMAT"):
        apply_env(Config(), {"LOGWATCH_FORMAT": "combind"})
    nginx = "format = '$remote_addr - $remote_user [$time_local] \"$request\" $status'\n"
    assert load(tmp_path, nginx).format is not None


def test_relative_paths_are_relative_to_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # They were relative to wherever logwatch was started: ~/.config/logwatch/config.toml's
    # geoip = ["City.mmdb"] or exec = ["hooks/page.sh"] worked from one directory only.
    etc = tmp_path / "etc"
    etc.mkdir()
    cfg = etc / "lw.toml"
    cfg.write_text(
        'geoip = ["City.mmdb", "/abs/ASN.mmdb"]\n'
        '[[alerts]]\nname = "a"\nmetric = "5xx_rate"\nabove = 1\nexec = ["hooks/page.sh", "x/y"]\n'
        '[[alerts]]\nname = "b"\nmetric = "5xx_rate"\nabove = 1\nexec = ["page-ops"]\n'
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    c = load_config(cfg, cwd=elsewhere, env={})
    assert c.geoip == (str(etc / "City.mmdb"), "/abs/ASN.mmdb")
    hooks = {r.name: r.exec for r in c.alerts}
    assert hooks["a"] == (str(etc / "hooks" / "page.sh"), "x/y")  # arguments are left alone
    assert hooks["b"] == ("page-ops",)  # a bare name is looked up on PATH


def test_relative_paths_hold_when_the_config_is_given_by_a_relative_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `--config lw.toml` made the directory `.`, and `Path(".") / "./hook.sh"` is `hook.sh`: a bare
    # name, looked up on PATH, so the hook failed "cannot run: No such file or directory".
    (tmp_path / "lw.toml").write_text(
        'theme = "./mine"\ngeoip = ["City.mmdb"]\n'
        '[[alerts]]\nname = "a"\nmetric = "5xx_rate"\nabove = 1\nexec = ["./hook.sh", "x"]\n'
        '[[alerts]]\nname = "b"\nmetric = "5xx_rate"\nabove = 1\nexec = ["notify-send"]\n'
    )
    monkeypatch.chdir(tmp_path)
    c = load_config("lw.toml", cwd=".", env={})
    hooks = {r.name: r.exec for r in c.alerts}
    assert hooks["a"] == (str(tmp_path / "hook.sh"), "x")
    assert hooks["b"] == ("notify-send",)  # a bare name is still looked up on PATH
    assert c.geoip == (str(tmp_path / "City.mmdb"),)
    assert c.theme == str(tmp_path / "mine")  # a file, not a theme called "mine"


def test_a_theme_file_in_the_config_is_relative_to_it(tmp_path: Path) -> None:
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "lw.toml").write_text('theme = "mine.toml"\n')
    assert load_config(etc / "lw.toml", cwd=tmp_path, env={}).theme == str(etc / "mine.toml")
    (etc / "lw.toml").write_text('theme = "light"\n')  # a name stays a name
    assert load_config(etc / "lw.toml", cwd=tmp_path, env={}).theme == "light"


def test_parse_config_without_file(tmp_path: Path) -> None:
    c = parse_config("top_k = 9\n", "inline")
    assert c.top_k == 9 and c.source == "inline"


# -- environment overrides ------------------------------------------------------------------------


def test_env_overrides_file(tmp_path: Path) -> None:
    c = load(
        tmp_path,
        "top_k = 5\nbell = false\n",
        env={
            "LOGWATCH_TOP_K": "40",
            "LOGWATCH_BELL": "yes",
            "LOGWATCH_THEME": "x",
            "LOGWATCH_ANONYMIZE_IP": "16,32",
            "LOGWATCH_WINDOWS": "1m, 2h",
        },
    )
    assert (c.top_k, c.bell, c.theme, c.anonymize_ip, c.windows) == (
        40,
        True,
        "x",
        (16, 32),
        ("1m", "2h"),
    )


def test_bad_env_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        apply_env(Config(), {"LOGWATCH_TOP_K": "many"})
    assert "LOGWATCH_TOP_K" in str(info.value)


def test_env_windows_must_keep_rule_windows(tmp_path: Path) -> None:
    c = load(tmp_path, '[[alerts]]\nname = "a"\nmetric = "5xx_rate"\nwindow = "5m"\nabove = 1\n')
    with pytest.raises(ConfigError):
        apply_env(c, {"LOGWATCH_WINDOWS": "1m"})


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ('metric = "5xx_rate"\nabove = 5', "share from 0 to 1"),
        ('metric = "error_rate"\nbelow = 2', "share from 0 to 1"),
        ('metric = "requests_per_s"\nabove = -0.1', "must not be negative"),
        ('metric = "requests_per_s"\nbelow = -1', "must not be negative"),
        ('metric = "requests_per_s"\nbelow = 0', "can never be crossed"),
        ('metric = "5xx_rate"\nabove = 0.05\ntimeout = 1e300', "at most 3600 s"),
    ],
)
def test_rules_that_could_never_work_are_refused(
    tmp_path: Path, condition: str, message: str
) -> None:
    """A threshold no value can cross (a 500% error rate, a negative count, below zero) or a
    hook timeout past any use was accepted silently; each is now an error on its line."""
    e = error(tmp_path, f'[[alerts]]\nname = "a"\n{condition}\n')
    assert e.key is not None and e.key.startswith("alerts.") and message in e.message
