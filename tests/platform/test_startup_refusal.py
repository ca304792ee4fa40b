"""Serving processes refuse the development SECRET_KEY when DEBUG is off; management commands still run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REAL_KEY = "k" * 20 + "-production-secret-" + "9f" * 20


def run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "SILENCED_SYSTEM_CHECKS"}}
    return subprocess.run(args, cwd=ROOT, env=clean | {"CELERY_BROKER_URL": "memory://"} | env,
                          capture_output=True, text=True, timeout=120)


def test_the_web_app_refuses_the_development_key_without_debug() -> None:
    wsgi = [sys.executable, "-c", "import vitrine.platform.wsgi"]
    refused = run(wsgi, DEBUG="0", SILENCED_SYSTEM_CHECKS="vitrine.E002")  # silencing the check changes nothing
    assert refused.returncode != 0 and "refusing to start" in refused.stderr
    assert run(wsgi, DEBUG="0", SECRET_KEY=REAL_KEY).returncode == 0
    assert run(wsgi, DEBUG="1").returncode == 0  # a development machine


def test_a_worker_refuses_the_development_key_without_debug() -> None:
    worker = [sys.executable, "-m", "celery", "-A", "vitrine.platform", "worker", "--pool=solo", "-Q", "default"]
    refused = run(worker, DEBUG="0")
    assert refused.returncode != 0 and "refusing to start" in refused.stdout + refused.stderr


def test_management_commands_run_with_the_development_key() -> None:
    result = run([sys.executable, "manage.py", "check"], DEBUG="0")
    assert result.returncode == 0, result.stderr
