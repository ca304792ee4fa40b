"""Production settings pass Django's deployment checks; migrations match the models."""

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "k" * 20 + "-production-secret-" + "9f" * 20,
    "ALLOWED_HOSTS": "vitrine.example.com",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "DATABASE_URL": "postgres://vitrine@db.internal:5432/vitrine",
    "REDIS_URL": "redis://redis.internal:6379/0",
    "LOG_FORMAT": "json",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG"}}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=clean | env, capture_output=True,
                          text=True, timeout=120)


def test_check_deploy_passes_with_production_settings():
    env = PRODUCTION_ENV | {"FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode()}
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_fails_without_an_encryption_key():
    result = manage("check", "--deploy", env=PRODUCTION_ENV)
    assert result.returncode != 0
    assert "vitrine.E001" in result.stderr + result.stdout


def test_migrations_are_complete(db):
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
