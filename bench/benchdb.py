"""Throwaway databases for the benchmarks: a fresh PostgreSQL database beside $DATABASE_URL, else SQLite."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]


def throwaway_database(label: str) -> tuple[str, str]:
    """(DATABASE_URL of an empty database named after ``label``, a description). Drops any earlier one."""
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith(("postgres://", "postgresql://")):
        import psycopg

        parts = urlsplit(base)
        name = f"{parts.path.lstrip('/') or 'vitrine'}_{label}_bench"
        with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'CREATE DATABASE "{name}"')
        return urlunsplit(parts._replace(path=f"/{name}")), f"PostgreSQL ({name})"
    path = ROOT / "var" / f"{label}-bench.sqlite3"
    path.parent.mkdir(exist_ok=True)
    path.unlink(missing_ok=True)
    return f"sqlite:///{path}", f"SQLite ({path.relative_to(ROOT)})"


def drop_database(url: str) -> None:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        return
    import psycopg
    from django.db import connections

    connections.close_all()
    parts = urlsplit(url)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}"')
