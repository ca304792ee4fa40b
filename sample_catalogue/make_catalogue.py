"""Draws the sample catalogue's product photos and writes its Shopify product CSV.

Run from the repository root: ``.venv/bin/python sample_catalogue/make_catalogue.py``. The output is
committed, so the demo never needs this script; it is here to show where every file came from and to
make them again. Packshots are drawn on pure white at 1000 x 1000 px (large enough for a marketplace
main image). The photographs come from scikit-image's bundled samples, public domain or CC0 (LICENCES.md
lists each with its source): ``astronaut`` (NASA), ``coffee`` (Rachel Michetti) and a composite of the
drawn honey jar standing on the café table of ``coffee``. The on-model photo comes with the merchant's
cut-out mask (an alpha PNG, the CSV's ``Image Mask`` column); the others are segmented by Vitrine.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from skimage import data as skimage_data

HERE = Path(__file__).resolve().parent
IMAGES = HERE / "images"
SIZE = 1000
WHITE = (255, 255, 255)
PRODUCT_SIDE = 830
LATIN_FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",)
CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)

HEADER = [
    "Handle",
    "Title",
    "Body (HTML)",
    "Vendor",
    "Product Category",
    "Type",
    "Tags",
    "Published",
    "Option1 Name",
    "Option1 Value",
    "Option2 Name",
    "Option2 Value",
    "Option3 Name",
    "Option3 Value",
    "Variant SKU",
    "Variant Grams",
    "Variant Inventory Tracker",
    "Variant Inventory Qty",
    "Variant Inventory Policy",
    "Variant Fulfillment Service",
    "Variant Price",
    "Variant Compare At Price",
    "Variant Requires Shipping",
    "Variant Taxable",
    "Variant Barcode",
    "Image Src",
    "Image Position",
    "Image Alt Text",
    "Gift Card",
    "SEO Title",
    "SEO Description",
    "Variant Image",
    "Variant Weight Unit",
    "Variant Tax Code",
    "Cost per item",
    "Status",
    "Image Mask",
]


def font(paths: tuple[str, ...], size: int) -> ImageFont.FreeTypeFont:
    for path in paths:
        if Path(path).is_file():
            return ImageFont.truetype(path, size=size)
    raise SystemExit(f"none of these fonts is installed: {', '.join(paths)} (apt-get install fonts-noto-cjk)")


def canvas() -> Image.Image:
    return Image.new("RGB", (SIZE, SIZE), WHITE)


def shaded(
    mask: Image.Image, dark: tuple[int, int, int], light: tuple[int, int, int], *, highlight: float = 0.3
) -> Image.Image:
    """Fill ``mask`` with a left-to-right cylinder shading from ``dark`` to ``light`` and back."""
    x = np.linspace(0.0, 1.0, SIZE, dtype=np.float32)
    # Brightest a third of the way across, as under a key light from the upper left.
    t = np.clip(1.0 - np.abs(x - highlight) / max(highlight, 1.0 - highlight), 0.0, 1.0) ** 0.8
    row = (
        np.asarray(dark, np.float32)
        + (np.asarray(light, np.float32) - np.asarray(dark, np.float32)) * t[:, None]
    )
    fill = np.broadcast_to(row[None, :, :], (SIZE, SIZE, 3)).astype(np.uint8)
    layer = canvas()
    layer.paste(Image.fromarray(np.ascontiguousarray(fill)), (0, 0), mask)
    return layer


def composite(base: Image.Image, layer: Image.Image, mask: Image.Image) -> Image.Image:
    base.paste(layer, (0, 0), mask)
    return base


def shape(draw_fn: Callable[[ImageDraw.ImageDraw], None]) -> Image.Image:
    mask = Image.new("L", (SIZE, SIZE), 0)
    draw_fn(ImageDraw.Draw(mask))
    return mask


def centred_text(
    draw: ImageDraw.ImageDraw,
    centre_x: int,
    top: int,
    text: str,
    face: ImageFont.FreeTypeFont,
    fill: tuple[int, int, int],
) -> int:
    left, upper, right, lower = draw.textbbox((0, 0), text, font=face)
    draw.text((centre_x - (right - left) / 2 - left, top - upper), text, font=face, fill=fill)
    return top + (lower - upper)


# --- products -------------------------------------------------------------------------------------
def mug(body: tuple[int, int, int], light: tuple[int, int, int], *, side: bool = False) -> Image.Image:
    image = canvas()
    x0, x1 = (260, 700) if not side else (300, 700)
    handle = shape(
        lambda d: (
            d.ellipse((x1 - 90, 330, x1 + 190, 700), fill=255),
            d.ellipse((x1 - 20, 400, x1 + 120, 630), fill=0),
        )
    )
    if not side:
        image = composite(image, shaded(handle, body, light, highlight=0.75), handle)
    cup = shape(
        lambda d: (d.rectangle((x0, 180, x1, 880), fill=255), d.ellipse((x0, 830, x1, 930), fill=255))
    )
    image = composite(image, shaded(cup, body, light), cup)
    draw = ImageDraw.Draw(image)
    draw.ellipse((x0, 130, x1, 230), fill=tuple(max(0, c - 60) for c in body))
    draw.ellipse((x0 + 22, 145, x1 - 22, 215), fill=(40, 32, 28))
    if side:
        draw.rectangle((x0 + 120, 430, x1 - 120, 620), outline=(250, 250, 250), width=10)
    return image


def wallet() -> Image.Image:
    body = shape(lambda d: d.rounded_rectangle((110, 240, 890, 770), radius=60, fill=255))
    image = composite(canvas(), shaded(body, (92, 52, 28), (160, 102, 60), highlight=0.35), body)
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((140, 270, 860, 740), radius=44, outline=(214, 178, 120), width=4)
    flap = shape(lambda d: d.rounded_rectangle((560, 420, 900, 590), radius=40, fill=255))
    image = composite(image, shaded(flap, (70, 38, 20), (130, 80, 46), highlight=0.8), flap)
    ImageDraw.Draw(image).ellipse((800, 482, 846, 528), fill=(196, 160, 96), outline=(120, 90, 40), width=4)
    return image


def bottle() -> Image.Image:
    outline = shape(
        lambda d: (
            d.rounded_rectangle((330, 280, 670, 930), radius=70, fill=255),
            d.polygon([(330, 360), (420, 190), (580, 190), (670, 360)], fill=255),
            d.rounded_rectangle((410, 70, 590, 210), radius=24, fill=255),
        )
    )
    image = composite(canvas(), shaded(outline, (22, 92, 74), (96, 190, 160)), outline)
    draw = ImageDraw.Draw(image)
    cap = shape(lambda d: d.rounded_rectangle((400, 70, 600, 190), radius=24, fill=255))
    image = composite(image, shaded(cap, (30, 30, 34), (110, 110, 118)), cap)
    draw = ImageDraw.Draw(image)
    draw.rectangle((330, 600, 670, 640), fill=(18, 70, 58))
    return image


def watch() -> Image.Image:
    strap = shape(lambda d: d.rounded_rectangle((400, 60, 600, 940), radius=40, fill=255))
    image = composite(canvas(), shaded(strap, (30, 26, 24), (88, 80, 74)), strap)
    case = shape(lambda d: d.ellipse((250, 250, 750, 750), fill=255))
    image = composite(image, shaded(case, (120, 124, 130), (228, 230, 234)), case)
    draw = ImageDraw.Draw(image)
    draw.ellipse((290, 290, 710, 710), fill=(22, 34, 62))
    for hour in range(12):
        angle = math.radians(hour * 30)
        inner, outer = (160, 195) if hour % 3 else (140, 195)
        draw.line(
            [
                (500 + inner * math.sin(angle), 500 - inner * math.cos(angle)),
                (500 + outer * math.sin(angle), 500 - outer * math.cos(angle)),
            ],
            fill=(236, 228, 200),
            width=8,
        )
    draw.line(
        [(500, 500), (500 + 120 * math.sin(math.radians(300)), 500 - 120 * math.cos(math.radians(300)))],
        fill=(236, 228, 200),
        width=14,
    )
    draw.line(
        [(500, 500), (500 + 170 * math.sin(math.radians(60)), 500 - 170 * math.cos(math.radians(60)))],
        fill=(236, 228, 200),
        width=9,
    )
    draw.ellipse((486, 486, 514, 514), fill=(200, 60, 40))
    draw.rounded_rectangle((742, 470, 782, 530), radius=8, fill=(150, 152, 158))
    return image


def lamp() -> Image.Image:
    shade_mask = shape(lambda d: d.polygon([(300, 90), (700, 90), (820, 420), (180, 420)], fill=255))
    image = composite(canvas(), shaded(shade_mask, (178, 120, 36), (246, 196, 92)), shade_mask)
    stem = shape(
        lambda d: (d.rectangle((482, 420, 518, 840), fill=255), d.ellipse((330, 820, 670, 930), fill=255))
    )
    return composite(image, shaded(stem, (40, 40, 44), (130, 130, 138)), stem)


def tshirt() -> Image.Image:
    outline = shape(
        lambda d: d.polygon(
            [
                (330, 110),
                (420, 90),
                (460, 140),
                (540, 140),
                (580, 90),
                (670, 110),
                (900, 260),
                (820, 420),
                (740, 370),
                (740, 920),
                (260, 920),
                (260, 370),
                (180, 420),
                (100, 260),
            ],
            fill=255,
        )
    )
    image = composite(canvas(), shaded(outline, (150, 24, 40), (222, 64, 78), highlight=0.45), outline)
    draw = ImageDraw.Draw(image)
    draw.arc((420, 40, 580, 190), start=20, end=160, fill=(120, 16, 30), width=14)
    draw.line([(260, 880), (740, 880)], fill=(128, 18, 34), width=6)
    return image


def tea_tin(
    latin: ImageFont.FreeTypeFont, cjk_big: ImageFont.FreeTypeFont, cjk_small: ImageFont.FreeTypeFont
) -> Image.Image:
    body = shape(
        lambda d: (d.rectangle((240, 120, 760, 900), fill=255), d.ellipse((240, 860, 760, 940), fill=255))
    )
    image = composite(canvas(), shaded(body, (20, 84, 52), (70, 150, 100)), body)
    lid = shape(
        lambda d: (d.rectangle((230, 80, 770, 190), fill=255), d.ellipse((230, 50, 770, 110), fill=255))
    )
    image = composite(image, shaded(lid, (150, 120, 50), (232, 204, 120)), lid)
    draw = ImageDraw.Draw(image)
    draw.rectangle((262, 330, 738, 700), fill=(246, 240, 222))
    centred_text(draw, 500, 370, "龙井绿茶", cjk_big, (150, 20, 20))
    centred_text(draw, 500, 530, "特级品质", cjk_small, (30, 70, 40))
    centred_text(draw, 500, 620, "100 g", latin, (30, 70, 40))
    return image


def honey_jar(big: ImageFont.FreeTypeFont, small: ImageFont.FreeTypeFont) -> Image.Image:
    jar = shape(lambda d: d.rounded_rectangle((220, 230, 780, 930), radius=90, fill=255))
    image = composite(canvas(), shaded(jar, (176, 98, 10), (246, 178, 48)), jar)
    lid = shape(lambda d: d.rounded_rectangle((260, 80, 740, 240), radius=30, fill=255))
    image = composite(image, shaded(lid, (30, 30, 30), (100, 100, 100)), lid)
    draw = ImageDraw.Draw(image)
    draw.rectangle((232, 420, 768, 720), fill=(252, 248, 236))
    centred_text(draw, 500, 470, "WILDFLOWER", big, (40, 40, 40))
    centred_text(draw, 500, 560, "HONEY", big, (40, 40, 40))
    centred_text(draw, 500, 655, "RAW & ORGANIC", small, (150, 90, 10))
    return image


def centred(packshot: Image.Image) -> Image.Image:
    """The product scaled to PRODUCT_SIDE on its long side and centred, as a studio would deliver it.

    Centred exactly, a marketplace main image needs no shift, and 830 px leaves the product room to fill
    85% of a 1000 px frame without being enlarged.
    """
    ink = np.argwhere(np.asarray(packshot).min(axis=2) < 250)
    (top, left), (bottom, right) = ink.min(axis=0), ink.max(axis=0) + 1
    product = packshot.crop((int(left), int(top), int(right), int(bottom)))
    scale = PRODUCT_SIDE / max(product.size)
    product = product.resize(
        (round(product.width * scale), round(product.height * scale)), Image.Resampling.LANCZOS
    )
    framed = canvas()
    framed.paste(product, ((SIZE - product.width) // 2, (SIZE - product.height) // 2))
    return framed


def photo(array: np.ndarray) -> Image.Image:
    return Image.fromarray(array).convert("RGB")


def person_cutout(photo: Image.Image) -> Image.Image:
    """The photo with its backdrop transparent, as a merchant's cut-out tool delivers it: GrabCut started
    from a box around the person, with the flag, the shuttle model and the helmet's top corner marked as
    backdrop by hand."""
    rgb = np.asarray(photo.convert("RGB"))
    seeds = np.full(rgb.shape[:2], cv2.GC_PR_BGD, np.uint8)
    seeds[10:512, 120:420] = cv2.GC_PR_FGD
    seeds[30:150, 185:285] = cv2.GC_FGD  # face and hair
    seeds[170:280, 150:290] = cv2.GC_FGD  # the collar ring
    seeds[300:512, 150:400] = cv2.GC_FGD  # the suit's front
    seeds[:, :80] = cv2.GC_BGD  # the flag
    seeds[:230, 312:] = cv2.GC_BGD  # the grey backdrop right of the face
    seeds[:300, 345:] = cv2.GC_BGD  # the shuttle model
    seeds[:350, 362:] = cv2.GC_BGD  # the dark backdrop right of the shoulder
    seeds[:8, :] = cv2.GC_BGD
    cv2.setRNGSeed(0)
    bgd, fgd = np.zeros((1, 65)), np.zeros((1, 65))
    cv2.grabCut(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), seeds, None, bgd, fgd, 8, cv2.GC_INIT_WITH_MASK)
    person = np.isin(seeds, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(person, connectivity=8)
    if count > 1:
        person = (labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))).astype(np.uint8)
    person = cv2.morphologyEx(person, cv2.MORPH_CLOSE, np.ones((7, 7), np.uint8))
    # The cut-out as an alpha channel only (white where opaque): the photo itself is in the JPEG.
    return Image.merge("LA", (Image.new("L", photo.size, 255), Image.fromarray(person * 255)))


def honey_on_table(jar: Image.Image) -> tuple[Image.Image, Image.Image]:
    """The drawn honey jar standing on the wooden café table of skimage's ``coffee`` photo, with a contact
    shadow: a product photo with printed text in a real scene; and the merchant's cut-out of the jar (the
    espresso cup beside it would draw an automatic outline away from the product)."""
    table = Image.fromarray(skimage_data.coffee()).resize((1500, 1000), Image.Resampling.LANCZOS)
    table = table.filter(ImageFilter.GaussianBlur(1.2))  # the upscaled backdrop reads as depth of field
    packshot = centred(jar)
    ink = np.asarray(packshot).min(axis=2) < 250
    (top, left), (bottom, right) = np.argwhere(ink).min(axis=0), np.argwhere(ink).max(axis=0) + 1
    product = packshot.crop((int(left), int(top), int(right), int(bottom)))
    product_mask = Image.fromarray((ink[top:bottom, left:right] * 255).astype(np.uint8))
    scale = 820 / product.height
    size = (round(product.width * scale), round(product.height * scale))
    product = product.resize(size, Image.Resampling.LANCZOS)
    product_mask = product_mask.resize(size, Image.Resampling.LANCZOS)
    x, y = 1500 - size[0] - 130, 1000 - size[1] - 60
    shadow = Image.new("L", table.size, 0)
    ImageDraw.Draw(shadow).ellipse((x - 20, y + size[1] - 40, x + size[0] + 60, y + size[1] + 40), fill=150)
    shadow = shadow.filter(ImageFilter.GaussianBlur(22))
    table = Image.composite(Image.new("RGB", table.size, (30, 18, 10)), table, shadow)
    table.paste(product, (x, y), product_mask)
    # The cut-out as an alpha channel only (white where opaque): the photo itself is in the JPEG.
    alpha = Image.new("L", table.size, 0)
    alpha.paste(product_mask, (x, y))
    cutout = Image.merge("LA", (Image.new("L", table.size, 255), alpha))
    return table, cutout


def main() -> None:
    IMAGES.mkdir(exist_ok=True)
    latin_big, latin_small = font(LATIN_FONTS, 60), font(LATIN_FONTS, 36)
    cjk_big, cjk_small = font(CJK_FONTS, 84), font(CJK_FONTS, 60)
    pictures: dict[str, Image.Image] = {
        "mug-blue-front.png": mug((24, 66, 140), (90, 140, 220)),
        "mug-blue-side.png": mug((24, 66, 140), (90, 140, 220), side=True),
        "wallet-brown.png": wallet(),
        "bottle-green.png": bottle(),
        "watch-navy.png": watch(),
        "lamp-amber.png": lamp(),
        "tshirt-red-flatlay.png": tshirt(),
        "tea-tin-longjing.png": tea_tin(latin_small, cjk_big, cjk_small),
        "honey-jar.png": honey_jar(latin_big, latin_small),
        "flight-suit-on-model.jpg": photo(skimage_data.astronaut()),
        "espresso-cup-lifestyle.jpg": photo(skimage_data.coffee()),
    }
    honey_photo, honey_cutout = honey_on_table(honey_jar(latin_big, latin_small))
    pictures["honey-jar-cafe-table.jpg"] = honey_photo
    honey_cutout.save(IMAGES / "honey-jar-cafe-table.mask.png", format="PNG", optimize=True)
    # The flat-lay's garment outline, as the merchant's mask: a model swap keeps exactly the garment.
    flatlay = np.asarray(centred(pictures["tshirt-red-flatlay.png"]).convert("RGB")).min(axis=2) < 250
    garment = Image.fromarray((flatlay * 255).astype(np.uint8))
    Image.merge("LA", (Image.new("L", garment.size, 255), garment)).save(
        IMAGES / "tshirt-red-flatlay.mask.png", format="PNG", optimize=True
    )
    astronaut = photo(skimage_data.astronaut())
    person_cutout(astronaut).save(IMAGES / "flight-suit-on-model.mask.png", format="PNG", optimize=True)
    for name, picture in pictures.items():
        target = IMAGES / name
        if name.endswith(".jpg"):
            picture.save(target, format="JPEG", quality=85, optimize=True)
        else:
            # A palette keeps the flat drawings small; their colours are the product's own.
            centred(picture).quantize(
                colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
            ).save(target, format="PNG", optimize=True)
    write_csv(HERE / "products.csv")
    total = sum(path.stat().st_size for path in HERE.rglob("*") if path.is_file())
    print(f"wrote {len(pictures)} images and products.csv ({total / 1e6:.2f} MB in {HERE.name}/)")


def row(**cells: str) -> list[str]:
    unknown = set(cells) - {column.replace(" ", "_").replace("(", "").replace(")", "") for column in HEADER}
    if unknown:
        raise SystemExit(f"unknown columns {unknown}")
    return [cells.get(column.replace(" ", "_").replace("(", "").replace(")", ""), "") for column in HEADER]


def product(
    handle: str,
    title: str,
    body: str,
    vendor: str,
    category: str,
    kind: str,
    tags: str,
    sku: str,
    price: str,
    grams: str,
    images: list[tuple[str, str]],
    option: str = "Default Title",
    mask: str = "",
    more_variants: tuple[tuple[str, str, str], ...] = (),
) -> list[list[str]]:
    """The rows of one product: its first variant with the first image, then variants, then images."""
    first_image, first_alt = images[0]
    rows = [
        row(
            Handle=handle,
            Title=title,
            Body_HTML=body,
            Vendor=vendor,
            Product_Category=category,
            Type=kind,
            Tags=tags,
            Published="TRUE",
            Option1_Name="Title" if option == "Default Title" else "Color",
            Option1_Value=option,
            Variant_SKU=sku,
            Variant_Grams=grams,
            Variant_Inventory_Tracker="shopify",
            Variant_Inventory_Qty="25",
            Variant_Inventory_Policy="deny",
            Variant_Fulfillment_Service="manual",
            Variant_Price=price,
            Variant_Requires_Shipping="TRUE",
            Variant_Taxable="TRUE",
            Image_Src=f"images/{first_image}",
            Image_Position="1",
            Image_Alt_Text=first_alt,
            Image_Mask=f"images/{mask}" if mask else "",
            Gift_Card="FALSE",
            Variant_Weight_Unit="kg",
            Status="active",
        )
    ]
    for value, variant_sku, variant_price in more_variants:
        rows.append(
            row(
                Handle=handle,
                Option1_Value=value,
                Variant_SKU=variant_sku,
                Variant_Grams=grams,
                Variant_Inventory_Tracker="shopify",
                Variant_Inventory_Qty="10",
                Variant_Inventory_Policy="deny",
                Variant_Fulfillment_Service="manual",
                Variant_Price=variant_price,
                Variant_Requires_Shipping="TRUE",
                Variant_Taxable="TRUE",
                Variant_Weight_Unit="kg",
            )
        )
    for position, (name, alt) in enumerate(images[1:], start=2):
        rows.append(
            row(Handle=handle, Image_Src=f"images/{name}", Image_Position=str(position), Image_Alt_Text=alt)
        )
    return rows


def write_csv(path: Path) -> None:
    rows: list[list[str]] = []
    rows += product(
        "stoneware-mug-blue",
        "Stoneware Mug, Cobalt Blue",
        "<p>Hand-glazed stoneware, 350 ml.</p>",
        "Harbor Ceramics",
        "Home & Garden > Kitchen & Dining > Tableware",
        "Mug",
        "packshot, kitchen",
        "MUG-BLU-350",
        "18.00",
        "420",
        [("mug-blue-front.png", "Cobalt blue mug"), ("mug-blue-side.png", "Mug seen from the side")],
        option="Cobalt",
        more_variants=(("Ocean", "MUG-OCN-350", "18.00"),),
    )
    rows += product(
        "leather-wallet",
        "Bifold Leather Wallet",
        "<p>Full-grain leather, six card slots.</p>",
        "Saddle & Co",
        "Apparel & Accessories > Handbags, Wallets & Cases",
        "Accessories",
        "packshot, leather",
        "WAL-BRN-01",
        "49.00",
        "90",
        [("wallet-brown.png", "Brown wallet")],
    )
    rows += product(
        "steel-bottle-green",
        "Insulated Steel Bottle 750 ml",
        "<p>Keeps drinks cold for 24 h.</p>",
        "Trailhead",
        "Home & Garden > Kitchen & Dining > Food & Beverage Carriers",
        "Bottle",
        "packshot, outdoor",
        "BOT-GRN-750",
        "29.00",
        "380",
        [("bottle-green.png", "Green bottle")],
    )
    rows += product(
        "field-watch-navy",
        "Field Watch, Navy Dial",
        "<p>38 mm steel case, leather strap.</p>",
        "Meridian",
        "Apparel & Accessories > Jewelry > Watches",
        "Watches",
        "packshot, watch",
        "WAT-NVY-38",
        "189.00",
        "70",
        [("watch-navy.png", "Navy field watch")],
    )
    rows += product(
        "desk-lamp-amber",
        "Desk Lamp, Amber Shade",
        "<p>E27 socket, linen cord.</p>",
        "Lumen Row",
        "Home & Garden > Lighting > Lamps",
        "Lighting",
        "packshot, home",
        "LMP-AMB-01",
        "79.00",
        "1800",
        [("lamp-amber.png", "Desk lamp with amber shade")],
    )
    rows += product(
        "cotton-tee-red",
        "Organic Cotton T-Shirt, Red",
        "<p>Heavyweight organic cotton.</p>",
        "Common Thread",
        "Apparel & Accessories > Clothing > Shirts & Tops",
        "T-Shirt",
        "packshot, flat-lay",
        "TEE-RED-M",
        "25.00",
        "220",
        [("tshirt-red-flatlay.png", "Red T-shirt")],
        mask="tshirt-red-flatlay.mask.png",
    )
    rows += product(
        "longjing-green-tea",
        "Longjing Green Tea, Premium Grade, 100 g",
        "<p>Spring harvest from Hangzhou.</p>",
        "West Lake Tea House",
        "Food, Beverages & Tobacco > Beverages > Tea & Infusions",
        "Tea",
        "packshot, printed-text, chinese-label",
        "TEA-LJ-100",
        "24.00",
        "160",
        [("tea-tin-longjing.png", "Tin of Longjing green tea")],
    )
    rows += product(
        "wildflower-honey",
        "Raw Wildflower Honey",
        "<p>Unfiltered, from one apiary.</p>",
        "Meadow Hives",
        "Food, Beverages & Tobacco > Food Items > Honey",
        "Honey",
        "packshot, printed-text, english-label",
        "HON-WF-500",
        "14.00",
        "650",
        [("honey-jar.png", "Jar of wildflower honey")],
    )
    rows += product(
        "flight-suit",
        "Flight Suit, Orange",
        "<p>Ripstop cotton, many pockets.</p>",
        "Orbit Wear",
        "Apparel & Accessories > Clothing > One-Pieces",
        "Apparel",
        "on-model, real-photo",
        "SUIT-ORG-M",
        "220.00",
        "1200",
        [("flight-suit-on-model.jpg", "Model wearing the flight suit")],
        mask="flight-suit-on-model.mask.png",
    )
    rows += product(
        "espresso-cup",
        "Espresso Cup and Saucer",
        "<p>Porcelain, 80 ml.</p>",
        "Harbor Ceramics",
        "Home & Garden > Kitchen & Dining > Tableware",
        "Cup",
        "lifestyle-photo, real-photo",
        "ESP-WHT-80",
        "16.00",
        "180",
        [("espresso-cup-lifestyle.jpg", "Espresso on a café table")],
    )
    rows += product(
        "wildflower-honey-gift",
        "Raw Wildflower Honey, Gift Jar",
        "<p>The same honey, photographed at the café.</p>",
        "Meadow Hives",
        "Food, Beverages & Tobacco > Food Items > Honey",
        "Honey",
        "real-photo, printed-text, english-label",
        "HON-WF-GIFT",
        "16.00",
        "700",
        [("honey-jar-cafe-table.jpg", "Honey jar on a café table")],
        mask="honey-jar-cafe-table.mask.png",
    )
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(rows)


if __name__ == "__main__":
    main()
