"""Fault injection with real processes: a PostgreSQL and a Redis of the suite's own (so they can be stopped),
and the web, worker, gpu and beat processes of the Procfile started with honcho, each on its own, so one can
be killed while the others go on. Everything listens on 127.0.0.1 only.

Run with ``make chaos`` (or ``pytest -m faults tests/faults``); the default test run leaves these out.
"""

from __future__ import annotations

import contextlib
import glob
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from django.conf import settings
from django.db import close_old_connections, connections

from tests.conftest import ARTIFACTS_DIR
from tests.connectors.conftest import (  # noqa: F401 (fixtures used by the scenarios)
    CLIENT_SECRET,
    fake_shopify,
    shopify_settings,
    shopify_shop,
)
from tests.fakes.taobao.fixtures import fake_top, taobao_seller, taobao_shop  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parents[2]
PROCFILE = ROOT / "Procfile"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(predicate: Callable[[], Any], *, timeout: float, what: str, interval: float = 0.25) -> Any:
    """Poll ``predicate`` (database errors while a server restarts count as "not yet") until it is truthy."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as exc:  # the database may be restarting under us
            last_error = exc
            close_old_connections()
            for connection in connections.all():
                connection.close()
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}" +
                         (f" (last error: {last_error})" if last_error else ""))


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _pg_bin(name: str) -> str:
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else (shutil.which(name) or name)


class Postgres:
    """A throwaway cluster in a temporary directory; ``restart`` is the fault."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "pgdata"
        self.port = free_port()
        self.log = root / "postgres.log"

    def start(self) -> None:
        if not self.data.exists():
            self.root.chmod(0o777)
            done = subprocess.run(_as_postgres([_pg_bin("initdb"), "-D", str(self.data), "-U", "postgres", "-A",
                                                "trust", "--no-sync"]), capture_output=True, text=True)
            if done.returncode:
                raise RuntimeError(f"initdb failed: {done.stderr or done.stdout}")
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                   f"-c max_connections=200")
        subprocess.run(_as_postgres([_pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options,
                                     "-w", "-t", "60", "start"]), check=True, capture_output=True)

    def stop(self, mode: str = "fast") -> None:
        subprocess.run(_as_postgres([_pg_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"]),
                       capture_output=True)

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"


class Redis:
    """A broker of the suite's own, with an append-only file so that a restart keeps what was queued."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.root),
             "--appendonly", "yes", "--appendfsync", "always", "--save", ""],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self.ping, timeout=20, what="redis-server to start")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # a clean shutdown: the append-only file is complete
            self.process.wait(20)
        self.process = None


class Role:
    """One Procfile entry run by ``honcho start <name>``."""

    def __init__(self, name: str, env: dict[str, str], logs: Path) -> None:
        self.name, self.env, self.logs = name, env, logs
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> Role:
        # One file per start of this role in the scenario (a restarted worker writes its own).
        self.starts = len(list(self.logs.glob(f"{self.name}-*.log"))) + 1
        log = open(self.logs / f"{self.name}-{self.starts}.log", "wb")  # noqa: SIM115 (closed with the process)
        self.process = subprocess.Popen([str(BIN / "honcho"), "start", "-f", str(PROCFILE), "-d", str(ROOT),
                                         "--no-colour", self.name],
                                        env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        return self

    def _tree(self) -> list[psutil.Process]:
        if self.process is None:
            return []
        try:
            parent = psutil.Process(self.process.pid)
            return [parent, *parent.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def kill(self) -> None:
        """SIGKILL every process of the role at once: a crashed host or the OOM killer, no clean-up."""
        for process in reversed(self._tree()):
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        if self.process is not None:
            self.process.wait(20)
        self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            self.kill()
        self.process = None

    def log_text(self) -> str:
        return "\n".join(path.read_text(errors="replace")[-6000:] for path in sorted(self.logs.glob(f"{self.name}-*")))


@pytest.fixture(scope="session")
def faults_root() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="vitrine-faults-"))
    root.chmod(0o755)  # the cluster runs as the postgres user, who must reach its directory
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres(faults_root: Path) -> Iterator[Postgres]:
    server = Postgres(faults_root / "pg")
    server.root.mkdir()
    server.start()
    yield server
    server.stop("immediate")


@pytest.fixture(scope="session")
def django_db_setup(postgres: Postgres, django_db_blocker):  # type: ignore[no-untyped-def]
    """The tests and the processes share one database on the suite's own cluster."""
    from django.core.management import call_command

    for connection in connections.all():
        connection.close()
    target = {"ENGINE": "django.db.backends.postgresql", "NAME": "vitrine_faults", "USER": "postgres",
              "PASSWORD": "", "HOST": "127.0.0.1", "PORT": str(postgres.port), "CONN_MAX_AGE": 0,
              "CONN_HEALTH_CHECKS": True, "OPTIONS": {}}
    # A new connection object: the configured one may be of another backend (SQLite by default).
    settings.DATABASES["default"] = target
    connections.__dict__.pop("settings", None)
    with contextlib.suppress(AttributeError):
        del connections["default"]
    assert connections["default"].vendor == "postgresql"
    subprocess.run(_as_postgres([_pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(postgres.port), "-U", "postgres",
                                 "vitrine_faults"]), check=True, capture_output=True)
    with django_db_blocker.unblock():
        call_command("migrate", verbosity=0, interactive=False)


@pytest.fixture
def redis_server(faults_root: Path) -> Iterator[Redis]:
    root = Path(tempfile.mkdtemp(dir=faults_root, prefix="redis-"))
    server = Redis(root)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def stack(transactional_db, redis_server: Redis, postgres: Postgres, settings, tmp_path: Path,
          request: pytest.FixtureRequest) -> Iterator[Callable[..., Role]]:
    """``stack("web", **env)`` starts a Procfile role against the suite's PostgreSQL and Redis; every role
    started is stopped when the test ends (before the database is emptied)."""
    # Kept after the run (CI uploads test-artifacts/): what each process said, per scenario.
    logs = ARTIFACTS_DIR / "faults" / request.node.name
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir(parents=True)
    web_port = free_port()
    # Served processes refuse the development SECRET_KEY with DEBUG off; the suite runs them production-like.
    settings.SECRET_KEY = secrets.token_urlsafe(50)
    base = {
        **{key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")},
        "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
        "DJANGO_SETTINGS_MODULE": "vitrine.platform.settings",
        "DATABASE_URL": postgres.url("vitrine_faults"),
        "DB_CONN_MAX_AGE": "0",
        "REDIS_URL": redis_server.url,
        "CELERY_BROKER_URL": redis_server.url,
        "SECRET_KEY": settings.SECRET_KEY,
        "MEDIA_ROOT": settings.MEDIA_ROOT,
        "VITRINE_VAR_DIR": str(tmp_path / "var"),
        "BEAT_SCHEDULE_FILE": str(tmp_path / "celerybeat-schedule"),
        "WEB_BIND": f"127.0.0.1:{web_port}",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # Quick clocks, so each scenario settles in seconds.
        "EVENT_RELAY_INTERVAL": "1",
        "EVENT_RELAY_GRACE_SECONDS": "1",
        "VARIANT_SWEEP_INTERVAL": "2",
        "CELERY_VISIBILITY_TIMEOUT": "8",
        "SHOPIFY_MEDIA_POLL_INTERVAL": "0.05",
        "SHOPIFY_RATE_LIMIT_KEY_PREFIX": f"faults:{tmp_path.name}:",
        "PYTHONUNBUFFERED": "1",
        # The fake stores serve images over http from loopback: allowed as in the in-process tests.
        "FETCH_ALLOW_HTTP": "1" if settings.FETCH_ALLOW_HTTP else "0",
        "FETCH_ALLOW_PRIVATE_HOSTS": ",".join(settings.FETCH_ALLOW_PRIVATE_HOSTS),
        "SHOPIFY_IMAGE_HOSTS": ",".join(settings.SHOPIFY_IMAGE_HOSTS),
        "TAOBAO_IMAGE_HOSTS": ",".join(settings.TAOBAO_IMAGE_HOSTS),
        "OMP_NUM_THREADS": "1",
    }
    if settings.FIELD_ENCRYPTION_KEY:
        base["FIELD_ENCRYPTION_KEY"] = ",".join(settings.FIELD_ENCRYPTION_KEY)
    Path(settings.MEDIA_ROOT).mkdir(parents=True, exist_ok=True)
    roles: list[Role] = []

    def start(name: str, **env: str) -> Role:
        # Read when the role starts: a store fixture may have pointed the settings at a fake store meanwhile.
        store = {"SHOPIFY_API_KEY": settings.SHOPIFY_API_KEY or "", "SHOPIFY_API_SECRET": settings.SHOPIFY_API_SECRET
                 or CLIENT_SECRET, "SHOPIFY_SHOP_URL": settings.SHOPIFY_SHOP_URL, "APP_URL": settings.APP_URL}
        role = Role(name, {**base, **store, **env}, logs).start()
        roles.append(role)
        return role

    start.web_url = f"http://127.0.0.1:{web_port}"  # type: ignore[attr-defined]
    start.logs = logs  # type: ignore[attr-defined]
    yield start
    for role in roles:
        role.stop()
    print(dump_logs(roles))  # shown by pytest when the scenario failed
    for connection in connections.all():
        connection.close()


def dump_logs(roles: list[Role]) -> str:
    return "\n".join(f"--- {role.name}\n{role.log_text()}" for role in roles)
