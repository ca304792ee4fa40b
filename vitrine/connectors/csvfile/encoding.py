"""Which encoding a CSV file is in, read in chunks (never whole): UTF-8 and UTF-16 with BOM as they are, else
the fallback (GBK/GB18030, Big5, Shift-JIS) whose text reads most like everyday text of its language, else
Windows-1252. Without Django, like :mod:`vitrine.connectors.csvfile.csvformat`."""

from __future__ import annotations

import codecs
import unicodedata
from dataclasses import dataclass
from typing import BinaryIO

# Encodings tried after UTF-8, each with the scripts its non-ASCII text must mostly be in to be believed.
_FALLBACK_ENCODINGS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("gb18030", "GBK/GB18030 (Chinese spreadsheet tools)", ("CJK", "FULLWIDTH", "IDEOGRAPHIC")),
    ("big5", "Big5 (Traditional Chinese)", ("CJK", "FULLWIDTH", "IDEOGRAPHIC")),
    ("shift_jis", "Shift-JIS (Japanese)", ("CJK", "HIRAGANA", "KATAKANA", "FULLWIDTH", "IDEOGRAPHIC")),
)
_PLAUSIBLE_SHARE = 0.6

_CHUNK = 1 << 20  # bytes read at a time


def _common_char(ch: str, codec: str) -> bool:
    """Whether ``ch`` is among the everyday characters of ``codec``'s language: telling Big5 from GB18030
    needs this, since GB18030 decodes almost any byte sequence (Big5 included) without an error."""
    try:
        encoded = ch.encode(codec)
    except UnicodeEncodeError:
        return False
    if len(encoded) != 2:
        return False
    lead, trail = encoded
    if codec == "gb18030":  # GB2312's hanzi rows: the simplified characters in daily use
        return 0xB0 <= lead <= 0xF7 and trail >= 0xA1
    if codec == "big5":  # Big5 level 1: the frequently used traditional characters
        return 0xA4 <= lead <= 0xC6
    if codec == "shift_jis":  # JIS level 1 kanji and the kana
        return 0x88 <= lead <= 0x98 or unicodedata.name(ch, "").startswith(("HIRAGANA", "KATAKANA"))
    return False


@dataclass
class _CodecTally:
    foreign: int = 0  # non-ASCII, non-space characters
    in_script: int = 0  # of those, in the scripts the codec is for
    common: int = 0  # of those, everyday characters of its language

    def add(self, text: str, codec: str, scripts: tuple[str, ...]) -> None:
        for ch in text:
            if ord(ch) > 127 and not ch.isspace():
                self.foreign += 1
                self.in_script += unicodedata.name(ch, "").startswith(scripts)
                self.common += _common_char(ch, codec)

    @property
    def plausible(self) -> bool:
        return not self.foreign or self.in_script / self.foreign >= _PLAUSIBLE_SHARE

    @property
    def score(self) -> float:
        return 1.0 if not self.foreign else self.common / self.foreign


def _first_bad_byte(stream: BinaryIO, codec: str) -> int | None:
    """Decode the whole stream chunk by chunk; the offset of the first undecodable byte, or None."""
    stream.seek(0)
    decoder = codecs.getincrementaldecoder(codec)()
    offset = 0
    while chunk := stream.read(_CHUNK):
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            return offset + exc.start
        offset += len(chunk)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return offset
    return None


def _tally(stream: BinaryIO, codec: str, scripts: tuple[str, ...]) -> _CodecTally | None:
    stream.seek(0)
    decoder = codecs.getincrementaldecoder(codec)()
    tally = _CodecTally()
    try:
        while chunk := stream.read(_CHUNK):
            tally.add(decoder.decode(chunk), codec, scripts)
        tally.add(decoder.decode(b"", final=True), codec, scripts)
    except UnicodeDecodeError:
        return None
    return tally


def detect_encoding(stream: BinaryIO, *, name: str = "the file") -> tuple[str, str | None]:
    """(encoding, a warning for the merchant or None), reading the stream in chunks (never whole). UTF-8 (with
    or without BOM) and UTF-16 with BOM are read silently; otherwise the fallback whose text reads most like
    everyday text of its language wins."""
    stream.seek(0)
    head = stream.read(4)
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", None
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", None
    first_bad = _first_bad_byte(stream, "utf-8")
    if first_bad is None:
        return "utf-8", None
    best: tuple[float, str, str] | None = None
    for codec, label, scripts in _FALLBACK_ENCODINGS:
        tally = _tally(stream, codec, scripts)
        if tally is not None and tally.plausible and (best is None or tally.score > best[0]):
            best = (tally.score, codec, label)
    if best is not None:
        return best[1], f"{name} is not UTF-8; it was read as {best[2]}. Save it as UTF-8 to be sure every " \
                        "character is right."
    return "cp1252", (
        f"{name} is not UTF-8 (first bad byte at offset {first_bad}); it was read as Windows-1252 and "
        "characters that do not exist there were replaced with \ufffd. Save it as UTF-8."
    )
