"""What the kernel knows of a store: the connector protocol, the provider registry and the error taxonomy.

A *provider* is the store kind (class-level metadata, install flow); a *connector instance* is bound to
one installed shop (client, credentials, configuration). The platform talks to stores only through this
protocol, so the catalogue, planner, review and publishing code never branches on the store. The stores
themselves live in :mod:`vitrine.connectors`, which implements and registers against what is defined here;
the kernel never imports them.

One error taxonomy serves every store, so retry decisions read the same everywhere: ``retryable`` errors are
worth trying again later (after ``retry_after`` seconds when known); the rest are terminal and keep the
store's own message for the merchant.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar, Protocol, runtime_checkable

if TYPE_CHECKING:
    from vitrine.platform.models import Shop, SyncRun, Variant


@dataclass(frozen=True)
class RemoteImage:
    remote_id: str
    url: str
    position: int = 1
    alt: str = ""
    width: int | None = None
    height: int | None = None
    # A product mask the merchant supplied with the photo (alpha PNG or white-on-black), when the store
    # carries one; ``mask_error`` says why a named mask could not be found.
    mask_url: str = ""
    mask_error: str = ""


@dataclass(frozen=True)
class RemoteProduct:
    external_id: str
    title: str
    handle: str = ""
    product_type: str = ""
    category: str = ""  # the store's category path, readable ("" when the store has none)
    vendor: str = ""
    tags: tuple[str, ...] = ()
    # (option name, its values) as the store lists them; None: not read (pages leave them out for cost)
    options: tuple[tuple[str, tuple[str, ...]], ...] | None = None
    status: str = ""
    updated_at: datetime | None = None
    images: tuple[RemoteImage, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class ProductSkipped:
    """A product a catalogue read listed but did not read: our copy is current (``error`` empty), or reading it
    failed in a way that concerns this product only (``error`` says how). Either way the product exists."""

    external_id: str
    error: str = ""


@dataclass(frozen=True)
class PublishResult:
    remote_media_id: str
    url: str = ""
    already_published: bool = False  # a retry found the media from an earlier attempt
    replaced_source: bool = False  # the variant took the source image's own place on the listing


@runtime_checkable
class Connector(Protocol):
    provider: ClassVar[str]
    # Whether a full read lists every product the store holds. When not (Taobao lists on-sale items only),
    # a product a full read did not list is asked for by itself before it is taken for deleted.
    lists_everything: ClassVar[bool]
    # Whether each market has a listing of its own (an export per market) rather than one listing that every
    # market shares: a variant that replaces the source image displaces only what showed in the same listing.
    listing_per_market: ClassVar[bool]
    shop: Shop

    def fetch_product(self, external_id: str) -> RemoteProduct | None:
        """The product as the store has it now; None when it no longer exists."""

    def iter_products(self, *, updated_since: datetime | None = None, run: SyncRun | None = None
                      ) -> Iterator[RemoteProduct | ProductSkipped]:
        """Every product (or those changed since ``updated_since``), streamed; the store's own paging stays
        here. ``run`` is the sync run being read for: a connector may note its reading mode and the remote
        job it started on it."""

    def sync_stats(self) -> dict[str, int | float]:
        """What reading the catalogue took so far (requests, cost...), recorded on the sync run."""

    def fetch_image_bytes(self, image: RemoteImage) -> bytes:
        """The image file's bytes, exactly as served."""

    def publish_variant(self, variant: Variant) -> PublishResult:
        """Put an approved variant on the listing. Idempotent: a retry after a crash never duplicates."""

    def revert_variant(self, variant: Variant) -> None:
        """Take a published variant off the listing and restore the original image."""

    def is_own_media(self, image: RemoteImage) -> bool:
        """Whether this listing image is one of our published variants (never a source for new ones)."""


_providers: dict[str, type] = {}


def register_provider(cls: type) -> type:
    _providers[cls.provider] = cls
    return cls


def connector_for(shop: Shop) -> Connector:
    """The connector bound to ``shop``; providers register with :func:`register_provider`."""
    try:
        cls = _providers[shop.provider]
    except KeyError:
        raise LookupError(f"no connector is installed for provider {shop.provider!r}") from None
    return cls(shop)


# The store's file limits, applied when a variant is rendered, so the reviewer approves the very bytes that
# will be published; publishing refuses an output outside them instead of re-encoding it.
OutputFit = Callable[[bytes, str], tuple[bytes, str]]
_output_fits: dict[str, OutputFit] = {}


def register_output_fit(provider: str) -> Callable[[OutputFit], OutputFit]:
    def register(fit: OutputFit) -> OutputFit:
        _output_fits[provider] = fit
        return fit

    return register


def output_fit(provider: str, data: bytes, content_type: str) -> tuple[bytes, str]:
    """``data`` brought within ``provider``'s limits (unchanged when it already is): bytes and content type."""
    fit = _output_fits.get(provider)
    return fit(data, content_type) if fit is not None else (data, content_type)


# --- errors ----------------------------------------------------------------------------------------
class ApiError(Exception):
    retryable: bool = False

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.retry_after = retry_after


class ApiUnauthorized(ApiError):
    """Credentials are missing, expired beyond refresh, or revoked (e.g. the app was uninstalled)."""


class ApiForbidden(ApiError):
    """Authenticated, but the app lacks the scope or API permission for this call."""


class ApiNotFound(ApiError):
    """The remote object does not exist (any more)."""


class ApiBadRequest(ApiError):
    """The store refused the input (user errors, invalid arguments): terminal, message kept."""


class ApiConflict(ApiError):
    """The remote state does not allow the call yet or any more (e.g. media still processing)."""

    retryable = True


class ApiRateLimited(ApiError):
    """Throttled by the store: wait for ``retry_after`` seconds, then try again."""

    retryable = True


class ApiUnavailable(ApiError):
    """5xx, timeouts, dropped connections, malformed responses: transient by assumption."""

    retryable = True
