"""The shipped deployment examples: nginx parses its file, it sends the app the paths the app
owns and caches what the app would cache, and the backup script rotates."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from checklist_app import REPO_ROOT
from checklist_app.storage import archive as backup
from checklist_app.web.security import APP_PREFIXES
from checklist_app.web.site_files import is_fingerprinted

NGINX_CONF = REPO_ROOT / "deploy" / "nginx" / "checklist.conf"
BROTLI_MODULE = Path("/usr/lib/nginx/modules/ngx_http_brotli_filter_module.so")


def required_tool(name: str, *fallbacks: str) -> str:
    """The tool's path; missing, it skips locally and fails under CI (.ci/run installs it)."""
    found = shutil.which(name) or next((p for p in fallbacks if Path(p).exists()), None)
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail(f"{name} is not installed; .ci/run installs it with apt-get")
    pytest.skip(f"{name} is not installed (Debian: apt-get install {name}); under CI this test fails")


def self_signed_certificate(tmp_path: Path) -> tuple[Path, Path]:
    openssl = required_tool("openssl")
    cert, key = tmp_path / "fullchain.pem", tmp_path / "privkey.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=checklist.test",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def example_with_paths_of(tmp_path: Path, brotli: bool) -> Path:
    cert, key = self_signed_certificate(tmp_path)
    (tmp_path / "checkout" / "site").mkdir(parents=True)
    text = NGINX_CONF.read_text(encoding="utf-8")
    for old, new in {
        "/srv/checklist": str(tmp_path / "checkout"),
        "/etc/ssl/checklist/fullchain.pem": str(cert),
        "/etc/ssl/checklist/privkey.pem": str(key),
        "/var/www/html": str(tmp_path / "acme"),
    }.items():
        assert old in text, old
        text = text.replace(old, new)
    if brotli:
        text = re.sub(r"^(\s*)# (brotli\w* .*;)$", r"\1\2", text, flags=re.M)
    site = tmp_path / "checklist.conf"
    site.write_text(text, encoding="utf-8")
    return site


def nginx_main_conf(tmp_path: Path, site: Path, brotli: bool) -> Path:
    temp = {name: tmp_path / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    mime_types = Path("/etc/nginx/mime.types")
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        "\n".join(
            [
                f"pid {tmp_path / 'nginx.pid'};",
                f"error_log {tmp_path / 'error.log'};",
                f"load_module {BROTLI_MODULE};" if brotli else "",
                "events {}",
                "http {",
                f"    include {mime_types};" if mime_types.exists() else "",
                f"    access_log {tmp_path / 'access.log'};",
                f"    client_body_temp_path {temp['body']};",
                f"    proxy_temp_path {temp['proxy']};",
                f"    fastcgi_temp_path {temp['fastcgi']};",
                f"    uwsgi_temp_path {temp['uwsgi']};",
                f"    scgi_temp_path {temp['scgi']};",
                f"    include {site};",
                "}",
            ]
        ),
        encoding="utf-8",
    )
    return conf


@pytest.mark.parametrize("brotli", [False, True], ids=["gzip", "gzip+brotli"])
def test_the_example_nginx_configuration_passes_nginx_t(tmp_path, brotli):
    nginx = required_tool("nginx", "/usr/sbin/nginx")
    if brotli and not BROTLI_MODULE.exists():
        if os.environ.get("CI"):
            pytest.fail("the nginx brotli module is not installed; .ci/run installs it")
        pytest.skip("apt-get install libnginx-mod-http-brotli-filter to check the brotli lines")
    site = example_with_paths_of(tmp_path, brotli)
    conf = nginx_main_conf(tmp_path, site, brotli)
    result = subprocess.run(
        [nginx, "-t", "-c", str(conf), "-p", str(tmp_path), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
    warnings = [
        line
        for line in result.stderr.splitlines()
        if "[warn]" in line and 'the "user" directive' not in line and '"listen ... http2"' not in line
    ]  # nginx >= 1.25 prefers "http2 on;", which Debian 12's 1.22 does not know yet
    assert warnings == []


def nginx_settings(text: str) -> dict[str, str]:
    return dict(re.findall(r"^\s*(\w+)\s+([^;#]+);", text, re.M))


def test_nginx_absorbs_slow_clients_with_header_and_body_timeouts_and_buffering():
    settings = nginx_settings(NGINX_CONF.read_text(encoding="utf-8"))
    for name in ("client_header_timeout", "client_body_timeout", "send_timeout"):
        assert name in settings, name
        assert int(settings[name].removesuffix("s")) <= 30, (name, settings[name])
    assert settings.get("proxy_request_buffering") == "on"
    assert settings.get("proxy_buffering") == "on"


def test_nginx_passes_the_app_exactly_the_paths_the_app_owns():
    text = NGINX_CONF.read_text(encoding="utf-8")
    (alternatives,) = re.findall(r"location ~ \^/\(([a-z|]+)\)\(/\|\$\)", text)
    exact = re.findall(r"location = (/\w+) \{", text)
    assert {f"/{p}" for p in alternatives.split("|")} | set(exact) == set(APP_PREFIXES)


def test_nginx_caches_for_a_year_exactly_what_the_app_caches_for_a_year(built_site):
    text = NGINX_CONF.read_text(encoding="utf-8")
    (pattern,) = re.findall(r'"~(\^/assets/[^"]+)"\s+"public, max-age=31536000, immutable"', text)
    files = [p.relative_to(built_site).as_posix() for p in built_site.rglob("*") if p.is_file()]
    assert any(is_fingerprinted(f) for f in files)
    for name in files:
        assert bool(re.search(pattern, "/" + name)) == is_fingerprinted(name), name


# --- the backup script -----------------------------------------------------------------------


@pytest.fixture
def checklist_command(tmp_path) -> str:
    """`checklist` as the service runs it, from this checkout."""
    wrapper = tmp_path / "checklist"
    wrapper.write_text(
        f"#!/bin/sh\nPYTHONPATH={REPO_ROOT} exec {sys.executable} -c "
        '"from checklist_app.cli import main; main()" "$@"\n'
    )
    wrapper.chmod(0o755)
    return str(wrapper)


def run_backup_script(tmp_path, checklist_command, *args) -> subprocess.CompletedProcess:
    env = {**os.environ, "CHECKLIST_COMMAND": checklist_command, "CHECKLIST_DB": str(tmp_path / "live" / "c.db")}
    return subprocess.run(
        [required_tool("sh"), str(REPO_ROOT / "deploy" / "backup-rotate.sh"), *args],
        env=env,
        capture_output=True,
        text=True,
    )


def test_the_backup_script_keeps_the_newest_backups_only(tmp_path, checklist_command):
    from checklist_app import storage

    live = storage.open_db(tmp_path / "live" / "c.db")
    storage.migrate(live)
    live.close()
    backups = tmp_path / "backups"
    backups.mkdir()
    for day in ("20260101", "20260102", "20260103"):
        (backups / f"checklist-{day}-023000.db").write_bytes(b"old")
    (backups / "notes.txt").write_text("not a backup")
    result = run_backup_script(tmp_path, checklist_command, str(backups), "2")
    assert result.returncode == 0, result.stderr
    kept = sorted(p.name for p in backups.iterdir())
    assert len(kept) == 3 and "notes.txt" in kept and "checklist-20260103-023000.db" in kept
    (new,) = [n for n in kept if n not in ("notes.txt", "checklist-20260103-023000.db")]
    assert backup.verify_backup(backups / new)["counts"]["schools"] == 0


def test_a_failed_backup_removes_nothing(tmp_path, checklist_command):
    backups = tmp_path / "backups"
    backups.mkdir()
    for day in ("20260101", "20260102"):
        (backups / f"checklist-{day}-023000.db").write_bytes(b"old")
    result = run_backup_script(tmp_path, checklist_command, str(backups), "1")  # no database there
    assert result.returncode != 0
    assert len(list(backups.iterdir())) == 2
