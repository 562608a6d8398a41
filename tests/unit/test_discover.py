import os

from logwatch.discover import describe_search, find_default_logs


def _touch(path, text="x\n"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_finds_usual_logs_and_skips_rotated(tmp_path):
    _touch(tmp_path / "var/log/nginx/access.log")
    _touch(tmp_path / "var/log/nginx/site-access.log")
    _touch(tmp_path / "var/log/nginx/access.log.1")
    _touch(tmp_path / "var/log/nginx/access.log.2.gz")
    _touch(tmp_path / "var/log/nginx/error.log")
    _touch(tmp_path / "var/log/httpd/access_log")
    _touch(tmp_path / "var/log/caddy/site.log")
    found = find_default_logs(root=str(tmp_path))
    rel = sorted(os.path.relpath(p, tmp_path) for p in found)
    assert rel == [
        "var/log/caddy/site.log",
        "var/log/httpd/access_log",
        "var/log/nginx/access.log",
        "var/log/nginx/site-access.log",
    ]


def test_unreadable_and_directories_are_skipped(tmp_path):
    d = tmp_path / "var/log/traefik/x-access.log"
    d.mkdir(parents=True)
    f = _touch(tmp_path / "var/log/apache2/access.log")
    f.chmod(0)
    try:
        found = find_default_logs(root=str(tmp_path))
        if os.access(f, os.R_OK):  # running as root: permission bits do not apply
            assert found == [str(f)]
        else:
            assert found == []
    finally:
        f.chmod(0o644)


def test_symlink_duplicates_collapse(tmp_path):
    real = _touch(tmp_path / "var/log/nginx/access.log")
    os.symlink(real, tmp_path / "var/log/nginx/other-access.log")
    assert len(find_default_logs(root=str(tmp_path))) == 1


def test_message_names_what_to_pass():
    msg = describe_search([])
    assert "logwatch demo" in msg and "/path/to/access.log" in msg
    assert "a.log" in describe_search(["a.log"])
