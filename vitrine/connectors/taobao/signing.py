"""TOP request signing and the gateway's timestamp format.

The string to sign is every parameter except ``sign`` and file bytes, empty values dropped, sorted by name
(ASCII order), each written as name followed by value with no separators. ``md5`` wraps it in the secret
(``MD5(secret + s + secret)``); ``hmac`` is HMAC-MD5 and ``hmac-sha256`` HMAC-SHA256 keyed with the secret.
The digest is sent as upper-case hex. (The Taiwan/global and Lazada-style gateways prepend the API path to
the string: they are different platforms and are not handled here.)
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone

SIGN_METHODS = ("md5", "hmac", "hmac-sha256")
# The gateway reads and writes times in China Standard Time, without a zone in the text.
GATEWAY_TZ = timezone(timedelta(hours=8), "GMT+8")
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"


class UnknownSignMethod(ValueError):
    pass


def string_to_sign(params: Mapping[str, object]) -> str:
    """Name+value pairs sorted by name; ``sign`` and empty values left out. Files must not be passed in."""
    pairs = sorted(
        (name, str(value)) for name, value in params.items() if name != "sign" and value is not None
        and str(value) != ""
    )
    return "".join(name + value for name, value in pairs)


def sign(params: Mapping[str, object], secret: str, method: str) -> str:
    """The ``sign`` value for ``params`` with the app secret, by ``method`` (one of :data:`SIGN_METHODS`)."""
    text = string_to_sign(params).encode("utf-8")
    key = secret.encode("utf-8")
    if method == "md5":
        digest = hashlib.md5(key + text + key, usedforsecurity=False).hexdigest()
    elif method == "hmac":
        digest = hmac.new(key, text, hashlib.md5).hexdigest()
    elif method == "hmac-sha256":
        digest = hmac.new(key, text, hashlib.sha256).hexdigest()
    else:
        raise UnknownSignMethod(f"unknown TOP sign_method {method!r}; use one of {', '.join(SIGN_METHODS)}")
    return digest.upper()


def gateway_timestamp(moment: datetime) -> str:
    """``moment`` written as the gateway expects: ``yyyy-MM-dd HH:mm:ss`` in GMT+8."""
    if moment.tzinfo is None:
        raise ValueError("gateway_timestamp needs an aware datetime")
    return moment.astimezone(GATEWAY_TZ).strftime(TIMESTAMP_FORMAT)


def parse_gateway_time(text: str) -> datetime:
    """A gateway time (``yyyy-MM-dd HH:mm:ss``, GMT+8) as an aware datetime."""
    try:
        return datetime.strptime(text, TIMESTAMP_FORMAT).replace(tzinfo=GATEWAY_TZ)
    except (TypeError, ValueError):
        raise ValueError(f"{text!r} is not a gateway time (yyyy-MM-dd HH:mm:ss)") from None
