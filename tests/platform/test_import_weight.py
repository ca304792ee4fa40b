"""Web processes and ``migrate`` never load the ML stack: only the inference worker imports torch and diffusers.

Each check runs in a fresh interpreter, because this test process has long since imported everything.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "diffusers", "transformers")

pytestmark = pytest.mark.slow


def _run(code: str, *, env: dict[str, str] | None = None) -> dict[str, object]:
    """Runs ``code`` in a clean interpreter from the repository root; it prints one JSON line last."""
    full_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "vitrine.platform.settings", **(env or {})}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _run_all(code: str, *, env: dict[str, str] | None = None) -> list[dict[str, object]]:
    full_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "vitrine.platform.settings", **(env or {})}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return [json.loads(line) for line in done.stdout.strip().splitlines() if line.startswith("{")]


def test_the_web_process_does_not_import_the_ml_stack() -> None:
    found = _run(
        "import django, json, sys; django.setup(); import vitrine.platform.urls; "
        "from django.urls import get_resolver; get_resolver().url_patterns; "
        f"print(json.dumps({{'loaded': [m for m in {HEAVY!r} if m in sys.modules], "
        "'urls': 'vitrine.platform.urls' in sys.modules}))"
    )
    assert found == {"loaded": [], "urls": True}


def test_a_default_queue_worker_loads_every_task_without_the_ml_stack() -> None:
    # The render task's module is imported by every worker; the engine loads inside the task, on the GPU queue.
    found = _run(
        "import django, json, sys; django.setup(); from vitrine.platform.celery import app; "
        "app.loader.import_default_modules(); "
        f"print(json.dumps({{'loaded': [m for m in {HEAVY!r} if m in sys.modules], "
        "'render': 'vitrine.inference.tasks.render_variants' in app.tasks}))"
    )
    assert found == {"loaded": [], "render": True}


def test_the_recipe_list_and_seeds_come_without_torch() -> None:
    found = _run(
        "import json, sys; from vitrine.inference.kinds import RECIPES, derive_seed; "
        f"print(json.dumps({{'loaded': [m for m in {HEAVY!r} if m in sys.modules], 'kinds': sorted(RECIPES), "
        "'seed': derive_seed('a', 1)}))"
    )
    assert found["loaded"] == []
    assert found["kinds"] == ["background", "cleanup", "colourway", "model_swap", "text_localize"]
    assert isinstance(found["seed"], int)


def test_migrate_on_an_empty_database_does_not_import_the_ml_stack(tmp_path: Path) -> None:
    database = tmp_path / "empty.sqlite3"
    found, synced = _run_all(
        "import django, json, sys; django.setup(); from django.core.management import call_command; "
        "call_command('migrate', verbosity=0, interactive=False); "
        "from vitrine.templates.models import VariantTemplate; "
        f"print(json.dumps({{'loaded': [m for m in {HEAVY!r} if m in sys.modules], "
        "'templates': VariantTemplate.objects.filter(shop=None).count()})); "
        # The frozen rows are what the live catalogue wrote: syncing afterwards creates none of them again.
        "from vitrine.templates.services import catalogue_sync; result = catalogue_sync(); "
        "print(json.dumps({'created': result.created, 'frozen': sorted(VariantTemplate.objects.filter("
        "shop=None).values_list('slug', flat=True))}))",
        env={"DATABASE_URL": f"sqlite:///{database}"},
    )
    assert found["loaded"] == []
    assert found["templates"] > 0
    assert not set(synced["created"]) & set(synced["frozen"])
