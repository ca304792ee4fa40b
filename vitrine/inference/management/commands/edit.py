"""``python manage.py edit SOURCE --recipe NAME [--param k=v ...] [--mask MASK] [--seed N] --out OUT``.

Runs the engine on one file, without the database: for trying templates and models by hand.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from PIL import Image, UnidentifiedImageError

from vitrine import edit_kinds


def parse_param(text: str) -> tuple[str, Any]:
    """``key=value``; the value is read as JSON when it is JSON (numbers, true, {...}), else as text."""
    key, separator, raw = text.partition("=")
    if not separator or not key.strip():
        raise CommandError(f"--param {text!r}: write it as key=value")
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw
    return key.strip(), value


def open_image(path: str, what: str) -> Image.Image:
    try:
        image = Image.open(path)
        image.load()
    except (OSError, UnidentifiedImageError) as exc:
        raise CommandError(f"cannot read the {what} {path}: {exc}") from exc
    return image


class Command(BaseCommand):
    help = f"Edit one photo with a recipe ({', '.join(edit_kinds.KINDS)}) and write the result."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", help="the photo to edit")
        parser.add_argument(
            "--recipe", required=True, help=" | ".join(edit_kinds.KINDS)
        )
        parser.add_argument(
            "--param",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="a recipe parameter; repeat for several (values are JSON when they parse)",
        )
        parser.add_argument("--mask", help="protect mask image: white = product")
        parser.add_argument(
            "--asset",
            action="append",
            default=[],
            metavar="NAME=PATH",
            help="an image the parameters refer to by name (e.g. the scene of mode=scene)",
        )
        parser.add_argument("--seed", type=int, help="default: derived from the photo, recipe and parameters")
        parser.add_argument("--out", required=True, help="where to write the edited image (PNG or JPEG)")
        parser.add_argument("--mask-out", help="also write the protect mask that was kept exact")

    def handle(self, *args: Any, **options: Any) -> None:
        from vitrine.inference.engine import RenderRequest, derive_seed, render
        from vitrine.inference.errors import InferenceError
        from vitrine.inference.masks import mask_to_image

        source_path = Path(options["source"])
        image = open_image(str(source_path), "photo")
        params = dict(parse_param(item) for item in options["param"])
        assets = {}
        for item in options["asset"]:
            name, separator, path = item.partition("=")
            if not separator:
                raise CommandError(f"--asset {item!r}: write it as name=path")
            assets[name] = open_image(path, f"asset {name!r}")
        mask = open_image(options["mask"], "mask") if options["mask"] else None
        seed = options["seed"]
        if seed is None:
            seed = derive_seed(hashlib.sha256(source_path.read_bytes()).hexdigest(), options["recipe"], params)
        request = RenderRequest(
            image=image, recipe=options["recipe"], params=params, seed=seed, mask=mask, assets=assets
        )
        try:
            result = render(request)
        except InferenceError as exc:
            raise CommandError(exc.merchant_message) from exc

        output = result.image
        if Path(options["out"]).suffix.lower() in (".jpg", ".jpeg"):
            output.save(options["out"], quality=95)
        else:
            output.save(options["out"])
        if options["mask_out"]:
            mask_to_image(result.protect_mask.mask).save(options["mask_out"])
        metadata = result.metadata
        model = f" {metadata.model_id} ({metadata.model_licence})" if metadata.model_id else ""
        self.stdout.write(
            f"wrote {options['out']}: {metadata.recipe} via {metadata.backend}{model}, seed {metadata.seed}, "
            f"{metadata.timings.get('total', 0.0):.0f} ms, mask {result.protect_mask.method}"
        )
        details = metadata.details
        if "delta_e00_to_target" in details:
            self.stdout.write(
                f"colour: dominant {details['dominant_before_lab']} -> {details['dominant_after_lab']} (Lab), "
                f"target {details['target_rgb']}, CIEDE2000 to target {details['delta_e00_to_target']:.2f}"
            )
        for region in details.get("regions", []):
            self.stdout.write(
                f"filled {region['box']} by {region['method']}: CIEDE2000 {region['fill_delta_e00']:.2f} "
                "against the background around it"
            )
        if "removed_text" in details:
            self.stdout.write(f"removed text: {', '.join(details['removed_text']) or '(none)'}")
        for warning in metadata.warnings:
            self.stdout.write(f"warning: {warning}")
