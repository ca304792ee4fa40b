"""python manage.py fidelity ORIGINAL VARIANT [--mask MASK] [--kind K] [--json]: the SKU-fidelity report."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandError, CommandParser
from PIL import Image, UnidentifiedImageError

from vitrine.fidelity import KINDS, FidelityInputError, FidelityReport, ThresholdError, assess, compare
from vitrine.inference.errors import InvalidMask
from vitrine.inference.masks import mask_from_supplied
from vitrine.platform.intake import ImageRejected, image_normalize


class Command(BaseCommand):
    help = "Compare a generated variant with its original and print the SKU-fidelity report."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("original", help="the source product photo")
        parser.add_argument("variant", help="the generated variant")
        parser.add_argument(
            "--mask", help="product mask of the original (white = product); estimated if omitted"
        )
        parser.add_argument("--kind", choices=KINDS, default=KINDS[0], help="edit kind (selects thresholds)")
        parser.add_argument(
            "--ignore-box",
            action="append",
            default=[],
            metavar="X0,Y0,X1,Y1",
            help="an area legitimately rewritten (localized text), in original pixels; repeatable",
        )
        parser.add_argument("--no-ocr", action="store_true", help="skip reading printed text (faster)")
        parser.add_argument("--json", action="store_true", help="print the full report as JSON")
        parser.add_argument("--artefacts", metavar="DIR", help="also write the diff images (PNG) into DIR")

    def handle(self, *args: Any, **options: Any) -> None:
        original = _read_image(options["original"])
        variant = _read_image(options["variant"])
        mask = _read_mask(options["mask"], original.size) if options["mask"] else None
        arguments = {
            "product_mask": mask,
            "kind": options["kind"],
            "ignore_boxes": [_parse_box(text) for text in options["ignore_box"]],
            "ocr": False if options["no_ocr"] else None,
        }
        try:
            if options["artefacts"]:
                assessment = assess(original, variant, **arguments)
                report = assessment.report
                _write_artefacts(Path(options["artefacts"]), assessment.artefacts)
            else:
                report = compare(original, variant, **arguments)
        except (FidelityInputError, ThresholdError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(report.to_json(indent=2) if options["json"] else _summary(report))


def _read_image(path: str) -> Image.Image:
    """The image through the same intake as store images (EXIF rotation, colour profiles, size limits)."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise CommandError(f"cannot read {path}: {error.strerror or error}") from error
    try:
        normalized = image_normalize(data, filename=Path(path).name)
    except ImageRejected as error:
        raise CommandError(f"cannot use {path}: {error.message}") from error
    return Image.open(io.BytesIO(normalized.png))


def _read_mask(path: str, size: tuple[int, int]) -> np.ndarray:
    try:
        with Image.open(path) as image:
            image.load()
            return mask_from_supplied(image, size).mask
    except OSError as error:
        detail = (
            "not an image" if isinstance(error, UnidentifiedImageError) else (error.strerror or str(error))
        )
        raise CommandError(f"cannot read mask {path}: {detail}") from error
    except InvalidMask as error:
        raise CommandError(f"cannot use mask {path}: {error}") from error


def _parse_box(text: str) -> tuple[float, float, float, float]:
    parts = text.split(",")
    try:
        x0, y0, x1, y1 = (float(part) for part in parts)
    except ValueError:
        raise CommandError(f"--ignore-box {text!r} must be four numbers X0,Y0,X1,Y1") from None
    return x0, y0, x1, y1


def _write_artefacts(directory: Path, artefacts: dict[str, bytes]) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for name, data in artefacts.items():
            (directory / name).write_bytes(data)
    except OSError as error:
        raise CommandError(
            f"cannot write the diff images into {directory}: {error.strerror or error}"
        ) from error


def _summary(report: FidelityReport) -> str:
    lines = [f"verdict: {report.verdict} (score {report.score:.3f}, kind {report.kind})", "reasons:"]
    lines += [f"  - {reason}" for reason in report.reasons]
    lines.append("measures:")
    for name, value in report.measures.items():
        shown = "-" if value is None else f"{value:.4f}"
        score = report.measure_scores.get(name)
        lines.append(f"  {name:<15} {shown:>8}" + ("" if score is None else f"   (score {score:.2f})"))
    alignment = report.alignment
    lines.append(
        f"alignment: {alignment.method}, shift {alignment.shift_px[0]:+.2f},{alignment.shift_px[1]:+.2f} px, "
        f"scale {alignment.scale:.4f}, rotation {alignment.rotation_deg:+.2f} deg"
    )
    lines += [f"note: {note}" for note in report.notes]
    return "\n".join(lines) + "\n"
