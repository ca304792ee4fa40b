"""Operations wiring: Celery queues and delivery settings, JSON logs with ids, Sentry from the environment."""

import json
import logging
import subprocess
import sys
from pathlib import Path

from vitrine.platform.celery import app
from vitrine.platform.logging import ContextFilter, JsonFormatter, log_context

ROOT = Path(__file__).resolve().parents[2]


def test_celery_queues_and_delivery_guarantees():
    assert {queue.name for queue in app.conf.task_queues} == {"default", "gpu"}
    assert app.conf.task_acks_late is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.task_routes["vitrine.inference.tasks.*"] == {"queue": "gpu"}
    assert app.conf.broker_transport_options["visibility_timeout"] >= 3600
    app.loader.import_default_modules()  # what a worker does at start: autodiscovery of every app's tasks
    assert {"vitrine.platform.tasks.deliver_event", "vitrine.platform.tasks.relay_undelivered_events"} <= set(app.tasks)


def test_json_log_lines_carry_shop_variant_and_task_ids():
    record = logging.LogRecord("vitrine.test", logging.INFO, __file__, 1, "rendered %s", ("ok",), None)
    with log_context(shop_id=3, variant_id=42), log_context(task_id="abc"):
        ContextFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "rendered ok"
    assert (line["shop_id"], line["variant_id"], line["task_id"]) == (3, 42, "abc")


def test_log_context_is_restored_after_the_block():
    record = logging.LogRecord("vitrine.test", logging.INFO, __file__, 1, "x", (), None)
    with log_context(shop_id=1):
        pass
    ContextFilter().filter(record)
    assert record.shop_id is None and record.log_context == ""


def test_sentry_is_initialised_when_a_dsn_is_set():
    code = ("import django; django.setup(); import sentry_sdk; c = sentry_sdk.get_client(); "
            "print(c.is_active(), sorted(c.integrations))")
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "vitrine.platform.settings",
             "SENTRY_DSN": "https://public@sentry.example.com/1", "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr
    active, integrations = result.stdout.split(" ", 1)
    assert active == "True" and "'django'" in integrations and "'celery'" in integrations


def test_a_fresh_worker_registers_every_task_it_can_be_sent():
    # A clean interpreter, as a worker starts: the store packages' tasks (webhooks, TMC polls) must be known
    # without any test having imported them first.
    code = ("import django; django.setup(); from vitrine.platform.celery import app; "
            "app.loader.import_default_modules(); print(' '.join(sorted(app.tasks)))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "vitrine.platform.settings",
                                 "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    registered = set(result.stdout.split())
    assert {"vitrine.connectors.shopify.tasks.process_webhook", "vitrine.connectors.taobao.tasks.poll_tmc",
            "vitrine.connectors.tasks.publish_variant", "vitrine.inference.tasks.render_variants",
            "vitrine.platform.tasks.redrive_stuck_variants"} <= registered
