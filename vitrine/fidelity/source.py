"""Work done on the source image once and reused for every further variant of it.

A source image gets several variants (recipes, templates, retries), and much of a report depends only on
the original and its product mask: the analysis frame cut from it, its keypoints, its alignment pyramid,
the geometry around its outline. That work is kept here, per process, under a digest of the original's
pixels and of the compared mask (and the variant's size, which sets the frame's resolution), like the
original's text lines in :mod:`vitrine.fidelity.text`. Every entry is computed by the same code as
without the cache, so a report is the same whether it hit or not; cached arrays are read-only, so a
caller that tried to change one in place would fail loudly instead of corrupting the next report.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import numpy as np
import xxhash

T = TypeVar("T")
# Sources kept per process (a few MB each): the variants of one source image arrive together.
MAX_SOURCES = 8


def digest(image: np.ndarray) -> str:
    """A content digest of ``image``'s pixels and shape: XXH3-128, a cache key, not a security boundary
    (about 0.1 ms for a 1024x1024 photo, where SHA-1 took 1.6 ms of every report)."""
    hashed = xxhash.xxh3_128(repr((image.shape, str(image.dtype))).encode())
    hashed.update(np.ascontiguousarray(image).data)
    return hashed.hexdigest()


class SourceWork:
    """The per-source results of one (original, mask, variant size): ``get(name, compute)`` computes once."""

    def __init__(self, key: str, original_digest: str) -> None:
        self.key = key
        self.original_digest = original_digest
        self._results: dict[Hashable, Any] = {}

    def get(self, name: Hashable, compute: Callable[[], T]) -> T:
        if name not in self._results:
            self._results[name] = _read_only(compute())
        return self._results[name]


class SourceCache:
    """A process-local LRU of :class:`SourceWork` entries."""

    def __init__(self, maxsize: int = MAX_SOURCES) -> None:
        self._maxsize = maxsize
        self._entries: OrderedDict[str, SourceWork] = OrderedDict()
        self._lock = threading.Lock()

    def work(self, original: np.ndarray, product: np.ndarray, variant_shape: tuple[int, ...]) -> SourceWork:
        original_digest = digest(original)
        key = f"{original_digest}:{digest(np.packbits(product))}:{product.shape}:{variant_shape[:2]}"
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                entry = self._entries[key] = SourceWork(key, original_digest)
            self._entries.move_to_end(key)
            while len(self._entries) > self._maxsize:
                self._entries.popitem(last=False)
            return entry

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _read_only(value: Any) -> Any:
    """``value`` with every array in it owning its data (a view would follow later changes of the
    caller's image) and read-only."""
    if isinstance(value, np.ndarray):
        if not value.flags.owndata:
            value = value.copy()
        value.flags.writeable = False
    elif isinstance(value, tuple) and not hasattr(value, "_fields"):
        value = tuple(_read_only(item) for item in value)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            _read_only(getattr(value, field.name))  # built here, so nothing else holds these arrays
    return value


DEFAULT_SOURCE_CACHE = SourceCache()
