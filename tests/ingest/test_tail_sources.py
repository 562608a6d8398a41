"""What a pattern means: globs, rotated names, stdin."""

from __future__ import annotations

from logwatch.ingest.sources import expand, live_name, looks_rotated


def test_live_name_strips_rotation_suffixes():
    assert live_name("access.log.2.gz") == "access.log"
    assert live_name("access.log.1") == "access.log"
    assert live_name("access.log-20240131") == "access.log"
    assert live_name("access.log-20240131.gz") == "access.log"
    assert live_name("access.log") == "access.log"
    assert live_name("app.2024-01-31.log") == "app.2024-01-31.log"
    assert looks_rotated("/var/log/nginx/error.log.10.bz2")
    assert not looks_rotated("/var/log/nginx/site_443.access.log")


def _names(matches):
    return [m.path.rsplit("/", 1)[1] for m in matches]


def test_glob_leaves_out_rotated_files_unless_asked(tmp_path):
    for name in [
        "access.log",
        "access.log.1",
        "access.log.2.gz",
        "access.log-20240131",
        "other.access.log",
        "error.log",
    ]:
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "dir.access.log").mkdir()
    assert _names(expand([f"{tmp_path}/*access*"])) == ["access.log", "other.access.log"]
    assert _names(expand([f"{tmp_path}/*.log"])) == ["access.log", "error.log", "other.access.log"]
    # Patterns about rotated files get them.
    assert _names(expand([f"{tmp_path}/*.gz"])) == ["access.log.2.gz"]
    assert _names(expand([f"{tmp_path}/access.log.*"])) == ["access.log.1", "access.log.2.gz"]
    assert len(expand([f"{tmp_path}/access*"], include_rotated=True)) == 4
    # Marked, for the follower to read as history only (and not when the pattern is about them).
    rotated = {
        m.path.rsplit("/", 1)[1]: m.rotated
        for m in expand([f"{tmp_path}/access*"], include_rotated=True)
    }
    assert rotated == {
        "access.log": False,
        "access.log.1": True,
        "access.log.2.gz": True,
        "access.log-20240131": True,
    }
    assert not any(m.rotated for m in expand([f"{tmp_path}/access.log.*"]))


def test_explicit_paths_stdin_and_duplicates(tmp_path):
    (tmp_path / "a.log").write_bytes(b"")
    got = expand(
        ["-", str(tmp_path / "a.log"), f"{tmp_path}/*.log", "-", str(tmp_path / "missing.log")]
    )
    assert [(m.path, m.explicit) for m in got] == [
        ("-", True),
        (str(tmp_path / "a.log"), True),
        (str(tmp_path / "missing.log"), True),
    ]
