"""The built-in template catalogue, as data. ``services.catalogue_sync`` writes it into the database.

Parameter names are the inference recipes' own (``vitrine.inference.recipes``); ``services`` checks every
definition against the recipe before storing it. Editing a definition here and syncing again creates a new
version of a template that has already produced variants.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vitrine.templates.models import VariantTemplate

Section = VariantTemplate.Section
# Planned per colour by vitrine.templates.colourways, not by the rules' planner.
COLOURWAYS_FROM_OPTIONS = "colourways-from-options"

# Alt text per section and language; {title} is the product title (the glossary's translation when the
# shop has one). Languages missing here fall back to English.
ALT_ON_WHITE = {
    "en": "{title} on a white background",
    "de": "{title} vor weißem Hintergrund",
    "fr": "{title} sur fond blanc",
    "es": "{title} sobre fondo blanco",
    "zh": "{title}，白色背景",  # noqa: RUF001 (full-width punctuation is correct here)
    "ja": "{title}（白背景）",  # noqa: RUF001 (full-width punctuation is correct here)
}
ALT_STUDIO = {
    "en": "{title}, studio photo",
    "de": "{title}, Studioaufnahme",
    "fr": "{title}, photo en studio",
    "es": "{title}, foto de estudio",
    "zh": "{title}，影棚拍摄",  # noqa: RUF001 (full-width punctuation is correct here)
    "ja": "{title}（スタジオ撮影）",  # noqa: RUF001 (full-width punctuation is correct here)
}
ALT_LIFESTYLE = {
    "en": "{title} in a lifestyle setting",
    "de": "{title} in einer Alltagsszene",
    "fr": "{title} en situation",
    "es": "{title} en un ambiente cotidiano",
    "zh": "{title}，生活场景",  # noqa: RUF001 (full-width punctuation is correct here)
    "ja": "{title}（ライフスタイルシーン）",  # noqa: RUF001 (full-width punctuation is correct here)
}
ALT_ON_MODEL = {
    "en": "{title} worn by a model",
    "de": "{title}, getragen von einem Model",
    "fr": "{title} porté par un mannequin",
    "es": "{title} llevado por un modelo",
    "zh": "{title}，模特上身效果",  # noqa: RUF001 (full-width punctuation is correct here)
    "ja": "{title}（モデル着用）",  # noqa: RUF001 (full-width punctuation is correct here)
}
ALT_LOCALIZED = {
    "en": "{title}, label in English",
    "de": "{title}, Etikett auf Deutsch",
    "fr": "{title}, étiquette en français",
    "es": "{title}, etiqueta en español",
    "zh": "{title}，中文标签",  # noqa: RUF001 (full-width punctuation is correct here)
    "ja": "{title}（日本語ラベル）",  # noqa: RUF001 (full-width punctuation is correct here)
}

APPAREL = ["Apparel", "Clothing", "Dress", "Dresses", "Jacket", "Jackets", "Shirt", "Shirts", "T-Shirt",
           "T-Shirts", "Top", "Tops", "Knitwear", "Outerwear", "Sweater", "Hoodie"]


@dataclass(frozen=True)
class Definition:
    slug: str
    kind: str
    section: str
    title: str
    description: str
    params: dict[str, Any]
    alt_text: dict[str, str]
    markets: list[str] = field(default_factory=list)
    product_types: list[str] = field(default_factory=list)
    fidelity_thresholds: dict[str, float] = field(default_factory=dict)

    def fields(self) -> dict[str, Any]:
        """The stored fields of a template version (everything but slug and version)."""
        return {
            "kind": self.kind, "section": self.section, "title": self.title, "description": self.description,
            "params": self.params, "alt_text": self.alt_text, "markets": self.markets,
            "product_types": self.product_types, "fidelity_thresholds": self.fidelity_thresholds,
        }


def _lifestyle(slug: str, title: str, scene: str, markets: list[str], description: str) -> Definition:
    return Definition(
        slug=slug, kind="background", section=Section.LIFESTYLE, title=title, description=description,
        params={
            "mode": "generate",
            "prompt": f"{scene}, product photography, natural light, shallow depth of field, photorealistic",
            "steps": 30,
            "guidance": 7.0,
        },
        alt_text=ALT_LIFESTYLE, markets=markets,
    )


def _model(slug: str, title: str, markets: list[str], **person: str) -> Definition:
    who = ", ".join(value for value in person.values() if value)
    return Definition(
        slug=slug, kind="model_swap", section=Section.MODEL_SWAP, title=title,
        description=(f"The garment stays exactly as photographed; the person wearing it becomes: {who}. "
                     "Background and pose stay. Needs a diffusion model and a garment segmentation model."),
        params={**person, "keep_background": True, "steps": 30, "guidance": 7.0},
        alt_text=ALT_ON_MODEL, markets=markets, product_types=APPAREL,
    )


def _text(locale: str, language: str, style: dict[str, Any]) -> Definition:
    return Definition(
        slug=f"text-{locale.lower()}", kind="text_localize", section=Section.TEXT,
        title=f"Printed text in {language}",
        description=(f"Text printed on the photo (labels, badges, packaging) is translated into {language} "
                     "with the shop's glossary, set in the same size, colour and alignment, and read back to "
                     "check it. The product itself is untouched."),
        params={"target_language": locale, "erase": "opencv", "untranslated": "fail", **style},
        alt_text=ALT_LOCALIZED, markets=[locale],
    )


BUILTIN: tuple[Definition, ...] = (
    Definition(
        slug="marketplace-white", kind="background", section=Section.MARKETPLACE,
        title="Marketplace main image on pure white",
        description=("Square image on pure white (#FFFFFF), the product filling about 85% of the frame, "
                     "at least 1000 px: the main-image rule of Amazon, Tmall, JD and Google Shopping. The "
                     "photo must show the product at 800 px or more, because the product is never enlarged."),
        params={"mode": "marketplace", "fill": 0.85, "min_side": 1000, "feather": 1},
        alt_text=ALT_ON_WHITE,
        # A main image is judged on the product's colour above all: tighter colour limits.
        fidelity_thresholds={"delta_e_p50_pass": 1.2, "delta_e_p95_pass": 3.0},
    ),
    Definition(
        slug="studio-sweep-light", kind="background", section=Section.STUDIO,
        title="Studio sweep, light grey",
        description="A seamless light-grey paper sweep with a soft contact shadow, as in a product studio.",
        params={"mode": "studio", "color": "#F4F4F2", "color2": "#D7DADF", "shadow": True,
                "shadow_opacity": 0.3},
        alt_text=ALT_STUDIO,
    ),
    Definition(
        slug="studio-sweep-warm", kind="background", section=Section.STUDIO,
        title="Studio sweep, warm sand",
        description="A warm sand-coloured studio sweep with a soft shadow, for food, cosmetics, home goods.",
        params={"mode": "studio", "color": "#F3E9DC", "color2": "#DCC9B0", "shadow": True,
                "shadow_opacity": 0.35},
        alt_text=ALT_STUDIO,
    ),
    Definition(
        slug="studio-gradient-charcoal", kind="background", section=Section.STUDIO,
        title="Charcoal spotlight gradient",
        description="A dark radial gradient, lighter behind the product: a premium look for watches, "
                    "electronics and fragrance.",
        params={"mode": "gradient", "color": "#5A5E66", "color2": "#1E2024", "direction": "radial",
                "shadow": True, "shadow_opacity": 0.45},
        alt_text=ALT_STUDIO,
    ),
    _lifestyle("lifestyle-spring-east-asia", "Spring, East Asia: blossom garden",
               "on a light wooden table in a spring garden with cherry blossoms, Japanese or Chinese style",
               ["zh", "ja", "ko"], "The product in a sunlit spring garden with blossoms (East Asia)."),
    _lifestyle("lifestyle-summer-mediterranean", "Summer, Mediterranean: terrace by the sea",
               "on a white stone terrace overlooking the Mediterranean sea in summer, whitewashed walls",
               ["fr", "es", "it", "pt", "el"], "The product on a sunny seaside terrace (southern Europe)."),
    _lifestyle("lifestyle-autumn-europe", "Autumn, Central Europe: café table",
               "on a café table by a window in autumn, warm light, falling leaves outside, European old town",
               ["de", "fr", "nl", "pl", "cs"], "The product on a café table in warm autumn light (Europe)."),
    _lifestyle("lifestyle-winter-nordic", "Winter, Nordic: cosy cabin",
               "on a wooden shelf in a cosy Scandinavian cabin in winter, snow outside the window, candles",
               ["sv", "nb", "da", "fi", "de", "en-GB"], "The product in a warm winter cabin (Nordics)."),
    _lifestyle("lifestyle-lunar-new-year", "Lunar New Year: festive red",
               "on a table decorated for Lunar New Year, red lanterns and paper cuttings, festive and warm",
               ["zh", "ko"], "The product among Lunar New Year decorations (Chinese and Korean markets)."),
    _lifestyle("lifestyle-holiday-north-america", "Holiday season, North America: living room",
               "on a side table in a North American living room decorated for the holidays, fireplace, "
               "string lights", ["en-US", "en-CA", "fr-CA"],
               "The product in a living room decorated for the December holidays (US and Canada)."),
    Definition(
        slug="flatlay-to-on-model", kind="model_swap", section=Section.ON_MODEL,
        title="Flat-lay or mannequin to on-model",
        description=("A garment photographed flat or on a mannequin is shown worn by a person; the garment "
                     "stays exactly as photographed and everything around it is generated. Needs a diffusion "
                     "model and the garment's mask or a segmentation model."),
        params={"gender": "woman", "age": "in her late twenties", "body_size": "average build",
                "styling": "natural make-up, relaxed standing pose, plain studio background",
                "keep_background": False, "steps": 35, "guidance": 7.5},
        alt_text=ALT_ON_MODEL, product_types=APPAREL,
    ),
    _model("model-east-asian-woman-20s", "Model: East Asian woman, 20s, slim", ["zh", "ja", "ko"],
           gender="woman", age="in her twenties", ethnicity="East Asian", body_size="slim",
           hair="long black", styling="light natural make-up"),
    _model("model-east-asian-man-30s", "Model: East Asian man, 30s, average build", ["zh", "ja", "ko"],
           gender="man", age="in his thirties", ethnicity="East Asian", body_size="average build",
           hair="short black", styling="clean-shaven"),
    _model("model-european-woman-40s-plus", "Model: European woman, 40s, plus-size",
           ["de", "fr", "nl", "en-GB", "it"], gender="woman", age="in her forties",
           ethnicity="white European",
           body_size="plus-size", hair="shoulder-length light brown", styling="minimal make-up, warm smile"),
    _model("model-black-woman-30s-curvy", "Model: Black woman, 30s, curvy", ["en-US", "en-GB", "fr"],
           gender="woman", age="in her thirties", ethnicity="Black", body_size="curvy",
           hair="natural curly", styling="confident expression"),
    _model("model-latina-woman-20s", "Model: Latina woman, 20s, athletic", ["es", "pt", "en-US"],
           gender="woman", age="in her twenties", ethnicity="Latina", body_size="athletic",
           hair="long dark wavy", styling="natural make-up"),
    _model("model-south-asian-man-20s", "Model: South Asian man, 20s, athletic", ["en-GB", "en-US", "en-IN"],
           gender="man", age="in his twenties", ethnicity="South Asian", body_size="athletic",
           hair="short dark", styling="neat beard"),
    _model("model-middle-eastern-woman-50s", "Model: Middle Eastern woman, 50s, average build",
           ["ar", "tr", "en-GB", "fr"], gender="woman", age="in her fifties", ethnicity="Middle Eastern",
           body_size="average build", hair="grey-streaked dark", styling="elegant, subtle make-up"),
    _model("model-european-man-60s", "Model: European man, 60s, average build",
           ["de", "en-US", "en-GB", "fr"],
           gender="man", age="in his sixties", ethnicity="white European", body_size="average build",
           hair="short grey", styling="friendly expression, trimmed grey beard"),
    Definition(
        slug="promo-overlays-removed", kind="cleanup", section=Section.MARKETPLACE,
        title="Promotional stickers and watermarks removed",
        description=("Price stickers, 包邮 / 限时特价 badges, corner ribbons and watermark text around the product "
                     "are removed and the background filled in; OCR checks none of it is still legible. For "
                     "marketplaces that forbid promotional overlays on product images. The product is untouched."),
        params={"method": "auto"}, alt_text=ALT_ON_WHITE,
    ),
    Definition(
        slug=COLOURWAYS_FROM_OPTIONS, kind="colourway", section=Section.COLOURWAY,
        title="Colourways from the product's colour options",
        description=("For a product whose options name colours (Color, Colour, 颜色) but whose photos show only "
                     "some of them: one image per missing colour, recoloured from the main photo to a swatch "
                     "you confirm. Shading, texture, seams and print stay; only the product's colour changes."),
        params={}, alt_text={"en": "{title}", "de": "{title}", "fr": "{title}", "es": "{title}", "zh": "{title}",
                             "ja": "{title}"},
    ),
    _text("zh-CN", "Simplified Chinese", {"align": "auto", "min_font_scale": 0.8}),
    # Latin words run three to four times as wide as the CJK words they translate: let a line widen over
    # the label's plain background rather than shrink.
    _text("en-US", "English (US)", {"align": "auto", "min_font_scale": 0.6, "max_growth": 4.0}),
    _text("de-DE", "German", {"align": "auto", "min_font_scale": 0.55, "max_growth": 4.0}),
    _text("ja-JP", "Japanese", {"align": "auto", "min_font_scale": 0.8}),
    _text("fr-FR", "French", {"align": "auto", "min_font_scale": 0.6, "max_growth": 4.0}),
    _text("es-ES", "Spanish", {"align": "auto", "min_font_scale": 0.6, "max_growth": 4.0}),
)
