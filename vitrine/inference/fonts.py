"""Fonts for re-rendered text: the first configured or installed font that has a glyph for every character."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

from vitrine.inference.errors import ConfigurationError

# Debian's CJK fonts (fonts-noto-cjk, fonts-wqy-microhei, fonts-wqy-zenhei) cover Latin too; DejaVu
# (fonts-dejavu-core) covers Latin, Greek and Cyrillic.
SYSTEM_FONT_PATHS: tuple[str, ...] = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)


@lru_cache(maxsize=16)
def _codepoints(path: str) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(path, fontNumber=0, lazy=True) as font:
        return frozenset(font.getBestCmap() or {})


@lru_cache(maxsize=256)
def truetype(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size=size)


class FontBook:
    def __init__(self, preferred: Sequence[str] = ()) -> None:
        self.candidates = tuple(dict.fromkeys([*preferred, *SYSTEM_FONT_PATHS]))

    def font_for(self, text: str) -> str:
        """Path of the first font covering every visible character of ``text``."""
        needed = {ord(ch) for ch in text if not ch.isspace()}
        installed = [path for path in self.candidates if Path(path).is_file()]
        for path in installed:
            if needed <= _codepoints(path):
                return path
        covered = frozenset().union(*(_codepoints(path) for path in installed))
        missing = "".join(sorted(chr(cp) for cp in needed - covered))[:40] or text[:40]
        raise ConfigurationError(
            f"no installed font has glyphs for {missing!r}; install fonts-noto-cjk (or fonts-wqy-microhei) "
            "or list a font file in INFERENCE_FONT_PATHS"
        )
