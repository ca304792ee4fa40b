"""The per-shop GraphQL cost bucket, shared by every worker of a deployment.

Shopify meters the Admin API in query-cost points: a bucket of ``maximumAvailable`` points per shop and
app that refills at ``restoreRate`` points per second. Every response reports the bucket as Shopify sees
it (``extensions.cost.throttleStatus``); we copy that into our own bucket and take a call's estimated cost
out of it before sending, so workers wait for points instead of being throttled. With ``REDIS_URL`` set the
bucket lives in Redis (one hash per shop, updated by Lua scripts so take-and-check is atomic); without it,
an in-process bucket serves the embedded default.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import redis
from django.conf import settings

# Standard plan figures; the first response replaces them with the shop's real ones.
DEFAULT_MAXIMUM = 2000.0
DEFAULT_RESTORE_RATE = 100.0
_KEY_TTL_SECONDS = 3600


@dataclass(frozen=True)
class ThrottleStatus:
    maximum: float
    available: float
    restore_rate: float

    @classmethod
    def from_extensions(cls, extensions: dict | None) -> ThrottleStatus | None:
        status = ((extensions or {}).get("cost") or {}).get("throttleStatus")
        if not status:
            return None
        return cls(maximum=float(status["maximumAvailable"]), available=float(status["currentlyAvailable"]),
                   restore_rate=float(status["restoreRate"]))


class CostBucket(Protocol):
    def reserve(self, key: str, cost: float) -> float:
        """Take ``cost`` points if the bucket holds them (returns 0.0); otherwise take nothing and return
        the seconds until it will."""

    def observe(self, key: str, status: ThrottleStatus) -> None:
        """Replace our view of the bucket with the one Shopify reported."""


def _refill(available: float, maximum: float, rate: float, elapsed: float) -> float:
    return min(maximum, available + max(elapsed, 0.0) * rate)


class LocalCostBucket:
    """One process's buckets (the embedded default has a single process doing all the work)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float, float, float]] = {}  # available, max, rate, at

    def reserve(self, key: str, cost: float) -> float:
        with self._lock:
            now = time.monotonic()
            available, maximum, rate, at = self._buckets.get(
                key, (DEFAULT_MAXIMUM, DEFAULT_MAXIMUM, DEFAULT_RESTORE_RATE, now)
            )
            available = _refill(available, maximum, rate, now - at)
            cost = min(cost, maximum)
            wait = 0.0
            if available >= cost:
                available -= cost
            else:
                wait = (cost - available) / rate
            self._buckets[key] = (available, maximum, rate, now)
            return wait

    def observe(self, key: str, status: ThrottleStatus) -> None:
        with self._lock:
            self._buckets[key] = (status.available, status.maximum, status.restore_rate, time.monotonic())


# Redis keeps time for every worker (TIME), so clocks of different hosts never skew the refill.
_RESERVE = """
local state = redis.call('HMGET', KEYS[1], 'available', 'maximum', 'rate', 'at')
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local maximum = tonumber(state[2]) or tonumber(ARGV[2])
local rate = tonumber(state[3]) or tonumber(ARGV[3])
local available = tonumber(state[1]) or maximum
local at = tonumber(state[4]) or now
local cost = math.min(tonumber(ARGV[1]), maximum)
available = math.min(maximum, available + math.max(now - at, 0) * rate)
local wait = 0
if available >= cost then available = available - cost else wait = (cost - available) / rate end
redis.call('HSET', KEYS[1], 'available', tostring(available), 'maximum', tostring(maximum),
           'rate', tostring(rate), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
return tostring(wait)
"""

_OBSERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('HSET', KEYS[1], 'available', ARGV[1], 'maximum', ARGV[2], 'rate', ARGV[3], 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
return 1
"""


class RedisCostBucket:
    """Buckets shared by all workers through Redis, one hash per shop under ``prefix``."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self._prefix = prefix
        self._reserve = client.register_script(_RESERVE)
        self._observe = client.register_script(_OBSERVE)

    def reserve(self, key: str, cost: float) -> float:
        wait = self._reserve(keys=[self._prefix + key],
                             args=[cost, DEFAULT_MAXIMUM, DEFAULT_RESTORE_RATE, _KEY_TTL_SECONDS])
        return float(wait)

    def observe(self, key: str, status: ThrottleStatus) -> None:
        self._observe(keys=[self._prefix + key],
                      args=[status.available, status.maximum, status.restore_rate, _KEY_TTL_SECONDS])


@lru_cache(maxsize=8)
def _bucket_for(redis_url: str, prefix: str) -> CostBucket:
    if not redis_url:
        return LocalCostBucket()
    client = redis.Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=3)
    return RedisCostBucket(client, prefix)


def shared_bucket() -> CostBucket:
    """The bucket of this deployment: Redis when ``REDIS_URL`` is set, else this process's own."""
    return _bucket_for(settings.REDIS_URL, settings.SHOPIFY_RATE_LIMIT_KEY_PREFIX)
