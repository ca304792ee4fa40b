"""The fidelity report's text cache backed by Django's cache framework (settings.CACHES["fidelity"]).

The fidelity package stays free of Django: it takes any object with ``get``/``set``. This one stores the
original's OCR lines in the shared cache (Redis in production), so a source image's text is detected once
for all its variants, in whichever worker process scores them. A cache that cannot be reached is a miss:
the report then reads the text itself and nothing else is lost.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache import caches

logger = logging.getLogger(__name__)

ALIAS = "fidelity"


class SharedTextCache:
    def __init__(self, alias: str = ALIAS) -> None:
        self._alias = alias

    def get(self, key: str) -> Any | None:
        try:
            return caches[self._alias].get(key)
        except Exception as exc:  # an unreachable cache must not stop scoring
            logger.warning("fidelity text cache unavailable (%s): reading the text again", exc)
            return None

    def set(self, key: str, value: Any) -> None:
        try:
            caches[self._alias].set(key, value)
        except Exception as exc:
            logger.warning("fidelity text cache unavailable (%s): the text is not kept", exc)
