"""deploy/: what can be checked here without a container engine or a systemd boot."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from seedwatch.daemon import config as config_mod

DEPLOY = Path(__file__).parent.parent / "deploy"


def unit() -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for line in (DEPLOY / "seedwatch.service").read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def test_the_systemd_unit_is_a_hardened_notify_service() -> None:
    u = unit()
    assert u["Type"] == ["notify"] and u["NotifyAccess"] == ["main"]
    assert u["WatchdogSec"] and u["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    assert u["User"] == ["seedwatch"] and u["StateDirectory"] == ["seedwatch"]
    for option in ("NoNewPrivileges", "ProtectHome", "PrivateTmp", "PrivateDevices"):
        assert u[option] == ["true"], option
    assert u["ProtectSystem"] == ["strict"] and u["CapabilityBoundingSet"] == [""]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_analyze_verifies_the_unit(tmp_path: Path) -> None:
    # verify insists that ExecStart exists: point it at this environment's
    # seedwatch, the one thing changed.
    installed = Path(sys.executable).parent / "seedwatch"
    text = (DEPLOY / "seedwatch.service").read_text()
    assert "ExecStart=/opt/seedwatch/bin/seedwatch run" in text
    copy = tmp_path / "seedwatch.service"
    copy.write_text(text.replace("/opt/seedwatch/bin/seedwatch", str(installed)))
    proc = subprocess.run(
        ["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert "seedwatch.service" not in proc.stderr, proc.stderr


def test_the_container_image_is_slim_unprivileged_and_checks_its_health() -> None:
    text = (DEPLOY / "Containerfile").read_text()
    assert re.search(r"^FROM python:3\.\d+-slim$", text, re.M)
    users = re.findall(r"^USER (\S+)$", text, re.M)
    assert users and users[-1] not in ("root", "0")
    check = re.search(r"^HEALTHCHECK .*\n\s+CMD (.*)$", text, re.M)
    assert check and "http://127.0.0.1:9797/healthz" in check.group(1)
    assert "EXPOSE 9797" in text and "STOPSIGNAL SIGTERM" in text


def test_compose_runs_the_daemon_with_its_volumes_and_a_postgres_for_later() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    daemon = compose["services"]["seedwatch"]
    assert daemon["build"]["dockerfile"] == "deploy/Containerfile"
    assert "./config:/config:ro" in daemon["volumes"] and "./data:/data" in daemon["volumes"]
    assert daemon["ports"] == ["127.0.0.1:9797:9797"]
    postgres = compose["services"]["postgres"]
    assert postgres["profiles"] == ["postgres"] and "pg_isready" in postgres["healthcheck"]["test"]


def test_the_example_config_documents_every_daemon_and_fetch_key() -> None:
    example = tomllib.loads((DEPLOY / "seedwatch.example.toml").read_text())
    config = config_mod.from_dict(example)
    assert config.daemon.listen == "127.0.0.1:9797"
    for table, model in (("daemon", config_mod.DaemonConfig), ("fetch", config_mod.FetchConfig)):
        documented = set(example[table]) - {"user_agent"}  # user_agent replaces the default
        assert documented == set(model.model_fields) - {"user_agent"}, table
