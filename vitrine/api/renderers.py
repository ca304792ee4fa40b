"""Renderers that let an API client ask for a file's own media type (CSV, images); the view answers the bytes."""

from __future__ import annotations

from typing import Any

from rest_framework.renderers import BaseRenderer, JSONRenderer

CSV_MEDIA_TYPE = "text/csv"


class PassthroughRenderer(BaseRenderer):
    """Lets a client ask for a file's own media type; the view answers the bytes itself."""

    format = "file"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> Any:
        if isinstance(data, bytes | str):
            return data
        return JSONRenderer().render(data)  # an error answer: problem+json whatever was asked for


class CsvRenderer(PassthroughRenderer):
    media_type = CSV_MEDIA_TYPE
    format = "csv"


class ImageRenderer(PassthroughRenderer):
    media_type = "image/*"
    format = "image"
