"""`logwatch check-config`: good file prints its rules; bad one exits 2 naming file, line, key."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from logwatch.check_config import main, run

GOOD = """\
top_k = 20

[[alerts]]
name = "api errors"
metric = "5xx_rate"
window = "5m"
above = 0.02
min_requests = 50
path_prefix = "/api"
exec = ["/definitely/not/here/page-ops", "--sev", "high"]
"""

BAD = """\
top_k = 20

[[alerts]]
name = "api errors"
metric = "5xx_rate"
above = 0.02
cooldwn = "5m"
"""


def check(
    tmp_path: Path, text: str | None, *extra: str, as_json: bool = False
) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    path = None
    if text is not None:
        p = tmp_path / "lw.toml"
        p.write_text(text)
        path = str(p)
    code = run(
        path, as_json=as_json, out=out, err=err, cwd=tmp_path, user_dir=tmp_path / "u", env={}
    )
    return code, out.getvalue(), err.getvalue()


def test_good_file_prints_rules(tmp_path: Path) -> None:
    code, out, err = check(tmp_path, GOOD)
    assert code == 0 and err == ""
    assert f"config: {tmp_path / 'lw.toml'}" in out
    assert "api errors: 5xx_rate over 5m [path_prefix=/api] above 2.0% (min 50 requests" in out
    assert "5xx spike (built-in): 5xx_rate over 1m above 5.0% (min 20 requests" in out
    assert "probe burst (built-in)" in out
    assert "alerts: 3 rules" in out
    assert "warning: rule 'api errors': hook program '/definitely/not/here/page-ops'" in out


def test_no_config_prints_builtin_rules(tmp_path: Path) -> None:
    code, out, _ = check(tmp_path, None)
    assert code == 0
    assert "none found; built-in defaults" in out and "5xx spike (built-in)" in out


def test_json_output(tmp_path: Path) -> None:
    code, out, _ = check(tmp_path, GOOD, as_json=True)
    data = json.loads(out)
    assert code == 0 and data["top_k"] == 20
    api = next(r for r in data["alerts"] if r["name"] == "api errors")
    assert api["scope"] == {"path_prefix": "/api"} and api["threshold"] == 0.02
    assert api["exec"][0] == "/definitely/not/here/page-ops"


def test_bad_file_exits_2_naming_file_line_and_key(tmp_path: Path) -> None:
    code, out, err = check(tmp_path, BAD)
    assert code == 2 and out == ""
    assert err.startswith(f"logwatch: {tmp_path / 'lw.toml'}:7:")
    assert "alerts.cooldwn" in err and "did you mean 'cooldown'" in err
    assert err.count("\n") == 1


def test_main_parses_arguments(tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LOGWATCH_CONFIG_DIR", str(tmp_path / "u"))
    monkeypatch.chdir(tmp_path)
    p = tmp_path / "bad.toml"
    p.write_text(BAD)
    assert main([str(p)]) == 2
    assert ":7:" in capsys.readouterr().err
    assert main(["--json"]) == 0
    assert json.loads(capsys.readouterr().out)["source"] is None


def test_runs_as_a_program(tmp_path: Path) -> None:
    # The command body works in a fresh interpreter (what `logwatch check-config` will call).
    p = tmp_path / "bad.toml"
    p.write_text(BAD)
    src = Path(__file__).resolve().parents[2] / "src"
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from logwatch.check_config import main; sys.exit(main(sys.argv[1:]))",
            str(p),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(src), "LOGWATCH_CONFIG_DIR": str(tmp_path / "u")},
    )
    assert proc.returncode == 2
    assert f"{p}:7:" in proc.stderr and "cooldwn" in proc.stderr


def test_a_geoip_file_that_is_no_database_is_warned_about(tmp_path: Path) -> None:
    # Only a missing file was warned about; the run then refused a log given by mistake.
    not_db = tmp_path / "access.log"
    not_db.write_text('203.0.113.7 - - [10/Oct/2026:13:55:36 +0000] "GET / HTTP/1.1" 200 5\n')
    code, out, _ = check(tmp_path, f'geoip = ["{not_db}", "{tmp_path / "gone.mmdb"}"]\n')
    assert code == 0
    assert f"warning: GeoIP database {not_db}: not a MaxMind DB (.mmdb) file" in out
    assert f"warning: GeoIP database {tmp_path / 'gone.mmdb'}: no such file" in out


def test_a_theme_that_cannot_be_used_is_warned_about(tmp_path: Path) -> None:
    # The dashboard falls back to the default theme; check-config printed "theme: drak" as if
    # it were fine.
    code, out, _ = check(tmp_path, 'theme = "drak"\n')
    assert code == 0
    assert "warning: theme: unknown theme 'drak'" in out
    bad = tmp_path / "bad-theme.toml"
    bad.write_text('name = "bad"\nprimary = "not-a-colour"\n')
    code, out, _ = check(tmp_path, f'theme = "{bad}"\n')
    assert "warning: theme: " in out and "is not a colour" in out
    code, out, _ = check(tmp_path, 'theme = "light"\n')
    assert "warning" not in out


def test_a_hook_beside_a_config_given_by_a_relative_path_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `check-config lw.toml` warned "hook program 'hook.sh' is not an executable file" for a
    # `./hook.sh` right beside it: the path had lost its `./` and was looked up on PATH.
    hook = tmp_path / "hook.sh"
    hook.write_text("#!/bin/sh\n")
    hook.chmod(0o755)
    (tmp_path / "lw.toml").write_text(
        '[[alerts]]\nname = "x"\nmetric = "5xx_rate"\nabove = 0.1\nexec = ["./hook.sh"]\n'
    )
    monkeypatch.chdir(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    code = run("lw.toml", out=out, err=err, cwd=".", user_dir=tmp_path / "u", env={})
    assert code == 0 and err.getvalue() == ""
    assert f"exec {str(hook)!r}" in out.getvalue()
    assert "warning" not in out.getvalue()
