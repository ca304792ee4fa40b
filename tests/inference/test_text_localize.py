from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from tests import photos
from tests.inference.conftest import TINY_SD
from vitrine.inference.config import EngineConfig
from vitrine.inference.engine import Engine, RenderRequest
from vitrine.inference.errors import (
    MissingTranslation,
    NoTextFound,
    TextDoesNotFit,
    TextReadBackFailed,
    UnsupportedParameter,
)
from vitrine.inference.ocr import TextReader, readable_share, readback_similarity
from vitrine.inference.translate import Translator, guess_language, lookup_key

CHINESE_CARD = [("纯棉T恤", (20, 20), 28), ("限时优惠", (20, 70), 24)]
ENGLISH_CARD = [("Pure cotton", (16, 20), 26), ("Limited offer", (16, 70), 22)]


def localize(engine: Engine, image: Image.Image, **params: object):
    return engine.render(RenderRequest(image=image, recipe="text_localize", params=params))


def assert_untouched_outside_the_text(image: Image.Image, result) -> None:
    src, out = np.asarray(image), np.asarray(result.image)
    assert np.array_equal(out[~result.edit_mask], src[~result.edit_mask])
    assert not (result.protect_mask.mask & result.edit_mask).any()  # protected = product minus text boxes


def test_chinese_to_english_reads_back(classical_engine: Engine) -> None:
    image = photos.text_photo(CHINESE_CARD, size=(320, 128), product=128)
    result = localize(
        classical_engine,
        image,
        target_language="en-US",
        translations={"纯棉T恤": "Cotton tee", "限时优惠": "Limited offer"},
    )
    lines = result.metadata.details["lines"]
    assert [(line["target"], line["origin"]) for line in lines] == [
        ("Cotton tee", "supplied"),
        ("Limited offer", "supplied"),
    ]
    assert all(line["similarity"] >= 0.8 for line in lines)
    assert_untouched_outside_the_text(image, result)
    # Size is matched: the English line is set at the Chinese line's em size, give or take a pixel.
    assert abs(lines[0]["font_size"] - 28) <= 2
    # The Chinese is gone: reading the whole result finds only the translations.
    found = {lookup_key(line.text) for line in classical_engine.text_reader.find_lines(np.asarray(result.image))}
    assert found == {lookup_key("Cotton tee"), lookup_key("Limited offer")}


def test_english_to_german_with_the_shop_glossary(classical_engine: Engine) -> None:
    image = photos.text_photo(ENGLISH_CARD, size=(320, 128), product=128)
    result = localize(
        classical_engine,
        image,
        target_language="de-DE",
        glossary={"Pure cotton": "Reine Baumwolle", "limited offer": "Begrenztes Angebot"},
    )
    lines = result.metadata.details["lines"]
    assert [line["target"] for line in lines] == ["Reine Baumwolle", "Begrenztes Angebot"]
    assert {line["origin"] for line in lines} == {"glossary"}
    assert_untouched_outside_the_text(image, result)
    # Colour matched: the new ink is the original's near-black.
    out = np.asarray(result.image)
    x0, y0, x1, y1 = lines[0]["ink"]
    assert out[y0:y1, x0:x1].reshape(-1, 3).min(axis=0).max() < 60


def test_german_umlauts_and_eszett_read_back(classical_engine: Engine) -> None:
    image = photos.text_photo([("Size guide", (16, 20), 26)], size=(256, 96))
    result = localize(classical_engine, image, target_language="de", translations={"Size guide": "Größentabelle"})
    [line] = result.metadata.details["lines"]
    assert line["similarity"] == 1.0  # read as "GroBentabelle": no "ö"/"ß" in the recogniser's alphabet


def test_supplied_translations_win_over_the_glossary(classical_engine: Engine) -> None:
    image = photos.text_photo([("Pure cotton", (16, 20), 26)], size=(256, 96))
    result = localize(
        classical_engine,
        image,
        target_language="de",
        translations={"Pure cotton": "Baumwolle"},
        glossary={"Pure cotton": "Reine Baumwolle"},
    )
    assert result.metadata.details["lines"][0]["target"] == "Baumwolle"


def test_centred_text_stays_centred(classical_engine: Engine) -> None:
    image = Image.new("RGB", (256, 96), (30, 60, 120))
    font_px = 24
    card = photos.text_photo(
        [("SALE", (0, 0), font_px)], size=(80, 40), background=(30, 60, 120), color=(255, 255, 255)
    )
    image.paste(card.crop((0, 0, 70, 34)), (98, 30))
    result = localize(classical_engine, image, target_language="de", translations={"SALE": "Ausverkauf"})
    [line] = result.metadata.details["lines"]
    x0, _, x1, _ = line["ink"]
    assert abs((x0 + x1) / 2 - 128) <= 3
    out = np.asarray(result.image)
    assert out[line["ink"][1] : line["ink"][3], x0:x1].max() > 200  # white text kept white


@pytest.mark.parametrize(("font", "heavier"), [("DejaVuSans-Bold.ttf", True), ("DejaVuSans.ttf", False)])
def test_size_and_weight_follow_the_original(classical_engine: Engine, font: str, heavier: bool) -> None:
    image = Image.new("RGB", (320, 100), (250, 248, 240))
    original = ImageFont.truetype(f"/usr/share/fonts/truetype/dejavu/{font}", 30)
    ImageDraw.Draw(image).text((16, 30), "HONEY JAR", fill=(30, 30, 30), font=original)
    result = localize(classical_engine, image, target_language="de", translations={"HONEY JAR": "HONIGGLAS"})
    [line] = result.metadata.details["lines"]
    assert (line["stroke"] > 0) is heavier
    # Same cap height: the DejaVu "J" descends, the chosen font's does not; the body measure ignores it.
    _, top, _, bottom = original.getbbox("HONEY")
    new_top, new_bottom = line["ink"][1], line["ink"][3]
    assert abs((new_bottom - new_top) - (bottom - top)) <= 3


def test_diffusion_erase_path(diffusion_engine: Engine) -> None:
    image = photos.text_photo([("Pure cotton", (16, 20), 26)], size=(256, 96))
    result = localize(
        diffusion_engine,
        image,
        target_language="de",
        erase="diffusion",
        model=TINY_SD,
        translations={"Pure cotton": "Reine Baumwolle"},
        readback_threshold=0.3,
    )
    assert result.metadata.backend == "diffusers" and result.metadata.model_id == TINY_SD
    assert result.metadata.timings["diffusion"] > 0
    assert_untouched_outside_the_text(image, result)


def test_a_translation_too_long_for_its_place_is_refused(classical_engine: Engine) -> None:
    # The product sits right of the line: the translation may not grow over it.
    image = photos.text_photo([("Pure cotton", (16, 40), 26)], size=(256, 128), product=128)
    with pytest.raises(TextDoesNotFit, match=r"does not fit where 'Pure ?cotton' was"):
        localize(
            classical_engine,
            image,
            target_language="de",
            translations={"Pure cotton": "Hundertprozentig reine ägyptische Baumwolle"},
        )


def test_missing_translation_fails_or_is_kept(classical_engine: Engine) -> None:
    image = photos.text_photo(ENGLISH_CARD, size=(320, 128))
    with pytest.raises(MissingTranslation, match=r"no translation of 'Limited ?offer' into de"):
        localize(classical_engine, image, target_language="de", translations={"Pure cotton": "Reine Baumwolle"})
    result = localize(
        classical_engine,
        image,
        target_language="de",
        untranslated="keep",
        translations={"Pure cotton": "Reine Baumwolle"},
    )
    assert [line["target"] for line in result.metadata.details["lines"]] == ["Reine Baumwolle"]
    assert result.metadata.details["skipped"] == [{"source": "Limitedoffer", "reason": "no translation"}]


def test_photo_without_text(classical_engine: Engine) -> None:
    image, _ = photos.packshot(96)
    with pytest.raises(NoTextFound, match="no text was found"):
        localize(classical_engine, image, target_language="de")


def test_text_that_needs_no_change(classical_engine: Engine) -> None:
    image = photos.text_photo([("ACME 100", (16, 20), 26)], size=(256, 96))
    with pytest.raises(NoTextFound, match="none of the text in the photo needs changing for de"):
        localize(classical_engine, image, target_language="de", translations={"ACME 100": "ACME 100"})


def test_a_script_the_ocr_cannot_read_is_refused_before_rendering(classical_engine: Engine) -> None:
    image = photos.text_photo([("Pure cotton", (16, 20), 26)], size=(256, 96))
    with pytest.raises(TextReadBackFailed, match="could not be checked"):
        localize(classical_engine, image, target_language="ru", translations={"Pure cotton": "Чистый хлопок"})


def test_target_language_is_required(classical_engine: Engine) -> None:
    image = photos.text_photo([("Pure cotton", (16, 20), 26)], size=(256, 96))
    with pytest.raises(UnsupportedParameter, match="needs 'target_language'"):
        localize(classical_engine, image)


def test_readback_comparison_folds_what_the_recogniser_cannot_see() -> None:
    alphabet = TextReader().alphabet
    assert readback_similarity("Größe: Übergröße", "GroBe: UbergroBe", alphabet) == 1.0
    assert readback_similarity("纯棉T恤 限时优惠", "纯棉T恤限时优惠", alphabet) == 1.0
    assert readback_similarity("Reine Baumwolle", "Reine Baumwole", alphabet) == pytest.approx(13 / 14)
    assert readback_similarity("Angebot", "Anzug", alphabet) < 0.6
    assert readable_share("Чистый", alphabet) == 0.0 and readable_share("Größe", alphabet) == 0.8


def test_translator_order_and_local_model(tiny_models) -> None:
    translator = Translator({"zh-en": str(tiny_models["translator"])})
    results = translator.translate(
        ["纯棉", "限时优惠", "新品"], target="en-GB", supplied={"纯棉": "Cotton"}, glossary={"限时 优惠": "Sale"}
    )
    assert [(r.text, r.origin) for r in results[:2]] == [("Cotton", "supplied"), ("Sale", "glossary")]
    assert results[2].origin == "model" and results[2].text  # random weights: fluent nonsense, but text
    assert translator.model_for("zh", "en") is not None and translator.model_for("ja", "en") is None
    assert translator.model_for("zh", "en") is translator.model_for("zh", "en")  # loaded once
    assert translator.model_for("zh", "en").translate(["新品"]) == translator.model_for("zh", "en").translate(["新品"])


def test_language_guess_from_script() -> None:
    assert guess_language("纯棉T恤") == "zh"
    assert guess_language("カタカナ漢字") == "ja"
    assert guess_language("한국어") == "ko"
    assert guess_language("Pure cotton") == ""


def test_translation_model_is_used_for_unknown_lines(tiny_models) -> None:
    location = str(tiny_models["translator"])
    engine = Engine(EngineConfig(device="cpu", translation_models={"*-de": location}))
    image = photos.text_photo([("Pure cotton", (16, 20), 26)], size=(256, 96))
    [line] = engine.text_reader.find_lines(np.asarray(image))
    [expected] = Translator({"*-de": location}).translate([line.text], target="de")
    assert expected.origin == "model" and expected.text
    # Random weights translate to a long noise string: it reaches layout, which refuses it as too long.
    with pytest.raises(TextDoesNotFit) as caught:
        localize(engine, image, target_language="de")
    assert repr(expected.text) in caught.value.merchant_message
