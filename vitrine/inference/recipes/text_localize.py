"""``text_localize``: find the text in a photo, translate it, erase it, re-render it, read it back.

Each line keeps its size (the translation is set at the original's em size, shrunk only down to
``min_font_scale``), its colour, its alignment and its vertical centre. A longer translation may widen
over plain background next to the line, never over the product. The result is read back with OCR and
refused when it does not read as the translation. Everything outside the rewritten lines is the source,
byte for byte: the protected area is the product minus the text boxes being rewritten. How each line is set
(size, weight, colour, alignment, room to grow) is in :mod:`vitrine.inference.typesetting`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
from PIL import Image, ImageDraw

from vitrine import edit_kinds
from vitrine.inference.errors import (
    BadInput,
    MissingTranslation,
    NoTextFound,
    TextReadBackFailed,
    UnsupportedParameter,
)
from vitrine.inference.fonts import truetype
from vitrine.inference.jobs import InpaintJob
from vitrine.inference.masks import ProtectMask, dilate
from vitrine.inference.ocr import TextLine, TextReader, fold, readable_share, readback_similarity, text_overlap
from vitrine.inference.params import Param, ParamSet
from vitrine.inference.pasteback import paste_back
from vitrine.inference.recipes.base import Plan, Recipe, Stopwatch, product_mask
from vitrine.inference.schema import RenderRequest, RenderResult
from vitrine.inference.translate import lookup_key
from vitrine.inference.typesetting import LineLayout, line_layout, model_region

if TYPE_CHECKING:
    from vitrine.inference.engine import Engine

PARAMETERS = ParamSet(
    edit_kinds.TEXT_LOCALIZE,
    [
        Param("target_language", "str", "", help='BCP 47 tag of the market\'s language, e.g. "de-DE"'),
        Param("source_language", "str", "", help='language of the text in the photo; "" = guess from the script'),
        Param("translations", "mapping", {}, help="line as printed -> its translation (template or merchant)"),
        Param("glossary", "mapping", {}, help="the shop's glossary for the target language"),
        Param("untranslated", "str", "fail", choices=("fail", "keep"), help="a line nobody can translate"),
        Param("erase", "str", "opencv", choices=("opencv", "diffusion"), help="how the original text is removed"),
        Param(
            "render",
            "str",
            "classical",
            choices=("classical", "model"),
            help="model: an instruction-editing model (Qwen-Image-Edit, LongCat-Image-Edit) rewrites the text",
        ),
        Param("align", "str", "auto", choices=("auto", "left", "center", "right")),
        Param("font", "str", "", help="font file; default: the first installed font covering the text"),
        Param(
            "min_confidence",
            "float",
            0.6,
            minimum=0.0,
            maximum=1.0,
            help="OCR lines read less surely are kept",
        ),
        Param(
            "min_font_scale",
            "float",
            0.7,
            minimum=0.3,
            maximum=1.0,
            help="smallest size, relative to the original, a translation may shrink to",
        ),
        Param(
            "max_growth",
            "float",
            2.0,
            minimum=1.0,
            maximum=4.0,
            help="how far a line may widen over plain background, relative to the original",
        ),
        Param("readback_threshold", "float", 0.8, minimum=0.3, maximum=1.0),
        Param("feather", "int", 1, minimum=0, maximum=8),
        Param("erase_prompt", "str", "clean plain background, no text", modes=("diffusion",)),
        Param("negative_prompt", "str", "text, letters, characters, watermark, logo", modes=("diffusion",)),
        Param(
            "model",
            "str",
            "",
            modes=("diffusion",),
            help="model registry id; default INFERENCE_DEFAULT_MODEL",
        ),
        Param("steps", "int", None, minimum=1, maximum=150, modes=("diffusion",)),
        Param("guidance", "float", None, minimum=0.0, maximum=50.0, modes=("diffusion",)),
        Param("strength", "float", 1.0, minimum=0.05, maximum=1.0, modes=("diffusion",)),
    ],
)
# Margin around a rendered line, relative to its height, given to the recogniser for read-back.
READBACK_PAD = 0.35
# A removed line whose text is still read back to this share is not removed.
REMOVED_OVERLAP = 0.5
# A translation the recogniser can read less of than this cannot be verified, so it is refused.
MIN_READABLE_SHARE = 0.5


def edit_instruction(pairs: list[tuple[str, str]]) -> str:
    """The instruction for an editing model: each line replaced (or removed), everything else kept."""
    steps = [f'replace the text "{source}" with "{target}"' if target else f'remove the text "{source}"'
             for source, target in pairs]  # fmt: skip
    return "; ".join(steps).capitalize() + ". Keep the same font, size, colour and position; change nothing else."


@dataclass(eq=False)
class TextPlan(Plan):
    layouts: list[LineLayout] = field(default_factory=list)
    erase_mask: np.ndarray | None = None  # bool: original text pixels to remove
    edit_region: np.ndarray | None = None  # bool: erase mask plus where new text is drawn
    skipped: list[dict[str, Any]] = field(default_factory=list)
    reader: TextReader | None = None
    removals: list[TextLine] = field(default_factory=list)  # lines erased with no replacement
    model_lines: list[tuple[TextLine, str, str, tuple[int, int, int, int]]] = field(default_factory=list)

    def finish(self, generated: np.ndarray | None) -> RenderResult:
        if self.erase_mask is None or self.edit_region is None or self.reader is None:
            raise ValueError("text plan was not prepared")
        if self.params["render"] == "model":
            return self._finish_model(generated)
        feather = self.params["feather"]
        with self.stopwatch.stage("erase"):
            if generated is None:
                # Navier-Stokes is cleaner than Telea on flat labels; a larger radius costs 3x for no gain.
                generated = cv2.inpaint(self.source, self.erase_mask.astype(np.uint8), 3, cv2.INPAINT_NS)
            erased = paste_back(self.source, generated, ~self.erase_mask, feather=feather)
        with self.stopwatch.stage("render"):
            canvas = Image.fromarray(erased)
            draw = ImageDraw.Draw(canvas)
            for layout in self.layouts:
                font = truetype(layout.font_path, layout.font_size)
                draw.text(
                    layout.position,
                    layout.translation,
                    font=font,
                    fill=layout.color,
                    anchor="la",
                    stroke_width=layout.stroke,
                    stroke_fill=layout.color,
                )
            output = paste_back(self.source, np.asarray(canvas), ~self.edit_region)
        with self.stopwatch.stage("read_back"):
            readings = self.reader.read_lines([self._crop(output, layout.ink) for layout in self.layouts])
            removed = [self._check_removed(output, line) for line in self.removals]
        lines = []
        for layout, (read, _) in zip(self.layouts, readings, strict=True):
            similarity = readback_similarity(layout.translation, read, self.reader.alphabet)
            if similarity < self.params["readback_threshold"]:
                raise TextReadBackFailed(
                    f"the re-rendered text {layout.translation!r} reads back as {read!r} "
                    f"({similarity:.0%} alike, needs {self.params['readback_threshold']:.0%}); "
                    "try a larger size, a plainer font or a shorter translation"
                )
            lines.append(
                {
                    "source": layout.line.text,
                    "target": layout.translation,
                    "origin": layout.origin,
                    "box": list(layout.line.box),
                    "ink": list(layout.ink),
                    "font": Path(layout.font_path).name,
                    "font_size": layout.font_size,
                    "stroke": layout.stroke,
                    "read_back": read.strip(),
                    "similarity": round(similarity, 3),
                }
            )
        return self.result(
            image=output,
            protect=self.protect,
            edit_mask=self.edit_region,
            details={"lines": [*lines, *removed], "skipped": self.skipped, "mask_method": self.protect.method},
        )

    def _check_removed(self, output: np.ndarray, line: TextLine) -> dict[str, Any]:
        """A line erased without replacement ("remove, don't translate"): OCR must no longer read it there."""
        assert self.reader is not None
        x0, y0, x1, y1 = line.box
        pad = max(4, int(READBACK_PAD * (y1 - y0)))
        height, width = output.shape[:2]
        window = (slice(max(0, y0 - pad), min(height, y1 + pad)), slice(max(0, x0 - pad), min(width, x1 + pad)))
        crop = np.ascontiguousarray(output[window])
        read = "".join(found.text for found in self.reader.find_lines(crop))
        if text_overlap(fold(read), fold(line.text)) >= REMOVED_OVERLAP:
            raise TextReadBackFailed(f"{line.text!r} was to be removed but still reads as {read!r}")
        return {"source": line.text, "target": "", "origin": "removed", "box": list(line.box), "read_back": read}

    def _finish_model(self, generated: np.ndarray | None) -> RenderResult:
        """The edit model redrew the frame: keep its pixels only inside the lines' regions, then read them back."""
        assert self.edit_region is not None and self.reader is not None
        if generated is None:
            raise ValueError("render=model needs the edited frame")
        with self.stopwatch.stage("composite"):
            output = paste_back(self.source, generated, ~self.edit_region)
        lines = []
        with self.stopwatch.stage("read_back"):
            for line, translation, origin, region in self.model_lines:
                x0, y0, x1, y1 = region
                crop = np.ascontiguousarray(output[y0:y1, x0:x1])
                read = "".join(found.text for found in self.reader.find_lines(crop))
                if not translation:
                    if text_overlap(fold(read), fold(line.text)) >= REMOVED_OVERLAP:
                        raise TextReadBackFailed(f"{line.text!r} was to be removed but still reads as {read!r}")
                    similarity = 1.0
                else:
                    similarity = readback_similarity(translation, read, self.reader.alphabet)
                    if similarity < self.params["readback_threshold"]:
                        raise TextReadBackFailed(
                            f"the edit model wrote {read!r} where {translation!r} was asked for "
                            f"({similarity:.0%} alike, needs {self.params['readback_threshold']:.0%}); "
                            "try another seed or the classical renderer"
                        )
                lines.append(
                    {"source": line.text, "target": translation, "origin": origin, "box": list(line.box),
                     "ink": [x0, y0, x1, y1], "read_back": read.strip(), "similarity": round(similarity, 3),
                     "renderer": "model"}
                )  # fmt: skip
        return self.result(
            image=output,
            protect=self.protect,
            edit_mask=self.edit_region,
            details={"lines": lines, "skipped": self.skipped, "mask_method": self.protect.method},
        )

    @staticmethod
    def _crop(output: np.ndarray, ink: tuple[int, int, int, int]) -> np.ndarray:
        """The rendered line with a margin, as the recogniser likes it."""
        x0, y0, x1, y1 = ink
        pad = max(4, int(READBACK_PAD * (y1 - y0)))
        height, width = output.shape[:2]
        crop = output[max(0, y0 - pad) : min(height, y1 + pad), max(0, x0 - pad) : min(width, x1 + pad)]
        return np.ascontiguousarray(crop)


class TextLocalizeRecipe(Recipe):
    name = edit_kinds.TEXT_LOCALIZE
    parameters = PARAMETERS

    def prepare(self, request: RenderRequest, source: np.ndarray, alpha: np.ndarray | None, engine: Engine) -> Plan:
        stopwatch = Stopwatch()
        given = dict(request.params)
        params, warnings = PARAMETERS.resolve(given, mode=given.get("erase") or "opencv")
        target = params["target_language"].strip()
        if not target:
            raise UnsupportedParameter("text_localize needs 'target_language' (the market's language, e.g. \"de-DE\")")
        spec = None
        if params["render"] == "model":
            spec = engine.resolve_model(
                params["model"], purpose="rewriting text with an instruction-editing model", tasks=("edit",)
            )
        elif params["erase"] == "diffusion":
            spec = engine.resolve_model(params["model"], purpose="erasing text with diffusion")
        with stopwatch.stage("ocr"):
            found = engine.text_reader.find_lines(source)
        if not found:
            raise NoTextFound("no text was found in the photo, so there is nothing to translate")
        lines = [line for line in found if line.confidence >= params["min_confidence"]]
        for line in found:
            if line.confidence < params["min_confidence"]:
                warnings.append(f"kept {line.text!r} as it is: read with confidence {line.confidence:.2f} only")
        with stopwatch.stage("translate"):
            translations = engine.translator.translate(
                [line.text for line in lines],
                target=target,
                source=params["source_language"],
                supplied=params["translations"],
                glossary=params["glossary"],
            )
        to_rewrite: list[tuple[TextLine, str, str]] = []
        skipped: list[dict[str, Any]] = []
        for line, translation in zip(lines, translations, strict=True):
            if translation.text is None:
                if params["untranslated"] == "fail":
                    raise MissingTranslation(
                        f"no translation of {line.text!r} into {target}: add it to the shop glossary or the "
                        "template's translations"
                    )
                skipped.append({"source": line.text, "reason": "no translation"})
                warnings.append(f"kept {line.text!r} as it is: no translation into {target}")
            elif not translation.text.strip():
                to_rewrite.append((line, "", translation.origin))  # "remove, don't translate"
            elif lookup_key(translation.text) == lookup_key(line.text):
                skipped.append({"source": line.text, "reason": "reads the same"})
            elif readable_share(translation.text, engine.text_reader.alphabet) < MIN_READABLE_SHARE:
                raise TextReadBackFailed(
                    f"the OCR cannot read {translation.text!r}, so the re-rendered text could not be checked; "
                    "text in this script cannot be localized automatically yet"
                )
            else:
                to_rewrite.append((line, translation.text, translation.origin))
        if not to_rewrite:
            raise NoTextFound(f"none of the text in the photo needs changing for {target}")

        with stopwatch.stage("mask"):
            try:
                product = product_mask(request, source, alpha, engine)
                product_confident = True
            except BadInput as exc:
                # Text edits touch only the text boxes: without a product outline, keep everything else.
                product = ProtectMask(
                    np.ones(source.shape[:2], bool),
                    1.0,
                    "whole_frame",
                    (f"no product outline ({exc}); everything outside the text is kept",),
                )
                product_confident = False
        with stopwatch.stage("layout"):
            erase_mask = np.zeros(source.shape[:2], bool)
            for line, _, _ in to_rewrite:
                erase_mask |= self._line_mask(line, source.shape[:2])
            model_lines = []
            layouts = []
            removals = []
            if params["render"] == "model":
                for line, text, origin in to_rewrite:
                    model_lines.append((line, text, origin, model_region(line, source.shape[:2], params)))
            else:
                removals = [line for line, text, _ in to_rewrite if not text]
                layouts = [
                    line_layout(
                        source,
                        line,
                        text,
                        origin,
                        params,
                        engine.fonts,
                        product.mask if product_confident else None,
                        erase_mask,
                    )
                    for line, text, origin in to_rewrite
                    if text
                ]
            edit_region = erase_mask.copy()
            for layout in layouts:
                x0, y0, x1, y1 = layout.ink
                edit_region[max(0, y0 - 2) : y1 + 2, max(0, x0 - 2) : x1 + 2] = True
            for _, _, _, (x0, y0, x1, y1) in model_lines:
                edit_region[y0:y1, x0:x1] = True
        protect = ProtectMask(product.mask & ~edit_region, product.confidence, product.method, product.warnings)
        plan = TextPlan(
            request=request,
            source=source,
            params=params,
            stopwatch=stopwatch,
            protect=protect,
            warnings=warnings,
            spec=spec,
            layouts=layouts,
            erase_mask=erase_mask,
            edit_region=edit_region,
            skipped=skipped,
            reader=engine.text_reader,
            removals=removals,
            model_lines=model_lines,
        )
        if spec is not None and spec.task == "edit":
            plan.job = InpaintJob(
                image=source,
                edit_mask=edit_region,
                prompt=edit_instruction([(line.text, text) for line, text, _, _ in model_lines]),
                negative_prompt="",
                seed=request.seed,
                steps=params["steps"] or spec.default_steps,
                guidance=spec.default_guidance if params["guidance"] is None else params["guidance"],
            )
        elif spec is not None:
            plan.job = InpaintJob(
                image=source,
                edit_mask=erase_mask,
                prompt=params["erase_prompt"],
                negative_prompt=params["negative_prompt"],
                seed=request.seed,
                steps=params["steps"] or spec.default_steps,
                guidance=spec.default_guidance if params["guidance"] is None else params["guidance"],
                strength=params["strength"],
            )
        return plan

    @staticmethod
    def _line_mask(line: TextLine, shape: tuple[int, int]) -> np.ndarray:
        """The detected quadrilateral, grown to take the anti-aliased rim and any halo along."""
        mask = np.zeros(shape, np.uint8)
        cv2.fillPoly(mask, [np.rint(np.asarray(line.quad)).astype(np.int32)], 1)
        _, y0, _, y1 = line.box
        return dilate(mask.astype(bool), max(2, round(0.12 * (y1 - y0))))
