"""Translating text read from a photo: the merchant's own words first, a local model last.

Order of authority: translations supplied with the template or variant, then the shop glossary, then an
optional transformers sequence-to-sequence model (e.g. a MarianMT ``opus-mt-zh-en`` folder) configured per
language pair in ``INFERENCE_TRANSLATION_MODELS`` as ``{"zh-en": "<folder or hub id>", "*-de": ...}``.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vitrine.inference.errors import ConfigurationError


def lookup_key(text: str) -> str:
    """OCR drops and adds spaces and mixes full- and half-width forms: compare without them."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def primary_language(tag: str) -> str:
    """``"de-DE"`` -> ``"de"``; ``"zh_Hans"`` -> ``"zh"``."""
    return tag.replace("_", "-").split("-")[0].lower()


def guess_language(text: str) -> str:
    """A language from the script alone, good enough to pick a translation model; "" when unsure."""
    counts = {"zh": 0, "ja": 0, "ko": 0}
    for ch in text:
        name = unicodedata.name(ch, "")
        if name.startswith(("HIRAGANA", "KATAKANA")):
            counts["ja"] += 1
        elif name.startswith("HANGUL"):
            counts["ko"] += 1
        elif name.startswith("CJK UNIFIED IDEOGRAPH"):
            counts["zh"] += 1
    if counts["ja"]:
        return "ja"
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] else ""


@dataclass(frozen=True)
class Translation:
    source: str
    text: str | None  # None: nobody knew a translation
    origin: str  # "supplied" | "glossary" | "model" | ""


class ModelTranslator:
    """A transformers seq2seq model from a local folder or hub id, loaded on first use, run on the CPU."""

    def __init__(self, location: str) -> None:
        self.location = location
        self._loaded: tuple[Any, Any] | None = None
        self._lock = threading.Lock()

    def _load(self) -> tuple[Any, Any]:
        if self._loaded is None:
            from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

            local = Path(self.location).is_dir()
            try:
                tokenizer = AutoTokenizer.from_pretrained(self.location, local_files_only=local)
                model = AutoModelForSeq2SeqLM.from_pretrained(self.location, local_files_only=local)
            except (OSError, ValueError) as exc:
                raise ConfigurationError(f"translation model {self.location} could not be loaded: {exc}") from exc
            self._loaded = (tokenizer, model.eval())
        return self._loaded

    def translate(self, texts: Sequence[str]) -> list[str]:
        import torch

        with self._lock:
            tokenizer, model = self._load()
            batch = tokenizer(list(texts), return_tensors="pt", padding=True, truncation=True, max_length=128)
            with torch.inference_mode():
                generated = model.generate(**batch, max_new_tokens=64, num_beams=1, do_sample=False)
            return [text.strip() for text in tokenizer.batch_decode(generated, skip_special_tokens=True)]


class Translator:
    def __init__(self, models: Mapping[str, str]) -> None:
        self._locations = dict(models)
        self._models: dict[str, ModelTranslator] = {}

    def model_for(self, source: str, target: str) -> ModelTranslator | None:
        pairs = [f"{source}-{target}", f"*-{target}"] if source else [f"*-{target}"]
        for pair in pairs:
            if pair in self._locations:
                if pair not in self._models:
                    self._models[pair] = ModelTranslator(self._locations[pair])
                return self._models[pair]
        return None

    def translate(
        self,
        texts: Sequence[str],
        *,
        target: str,
        source: str = "",
        supplied: Mapping[str, str] | None = None,
        glossary: Mapping[str, str] | None = None,
    ) -> list[Translation]:
        supplied_by_key = {lookup_key(k): v for k, v in (supplied or {}).items()}
        glossary_by_key = {lookup_key(k): v for k, v in (glossary or {}).items()}
        results: list[Translation | None] = []
        unknown: list[int] = []
        for text in texts:
            key = lookup_key(text)
            if key in supplied_by_key:
                results.append(Translation(text, supplied_by_key[key], "supplied"))
            elif key in glossary_by_key:
                results.append(Translation(text, glossary_by_key[key], "glossary"))
            else:
                results.append(None)
                unknown.append(len(results) - 1)
        by_model: dict[int, ModelTranslator] = {}
        for index in unknown:
            model = self.model_for(source or guess_language(texts[index]), primary_language(target))
            if model is not None:
                by_model[index] = model
        for model in {id(m): m for m in by_model.values()}.values():
            indices = [i for i, m in by_model.items() if m is model]
            for i, translated in zip(indices, model.translate([texts[i] for i in indices]), strict=True):
                results[i] = Translation(texts[i], translated or None, "model" if translated else "")
        return [result or Translation(text, None, "") for result, text in zip(results, texts, strict=True)]
