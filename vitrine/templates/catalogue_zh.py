# ruff: noqa: RUF001 - full-width Chinese punctuation is correct in these strings
"""Simplified Chinese titles and descriptions of the built-in catalogue, by slug (the English ones are in
``catalogue.py``). A shop's own templates have only the text the shop gave them."""

from __future__ import annotations

_MODEL_TAIL = "背景和姿势不变。需要扩散模型和服装分割模型。"
_TEXT_TAIL = ("，使用店铺术语表，保持原有字号、颜色和对齐方式，并回读校验。商品本身不作任何改动。")


def _model(person: str) -> str:
    return f"服装与原图完全一致；穿着者换成：{person}。{_MODEL_TAIL}"


def _text(language: str) -> str:
    return f"图片上印刷的文字（标签、角标、包装）翻译成{language}{_TEXT_TAIL}"


ZH: dict[str, tuple[str, str]] = {
    "marketplace-white": (
        "纯白底电商主图",
        "正方形纯白（#FFFFFF）背景，商品约占画面 85%，边长至少 1000 像素：符合亚马逊、天猫、京东和 Google "
        "购物的主图规则。原图中商品须至少 800 像素，因为商品从不放大。",
    ),
    "studio-sweep-light": ("影棚无缝背景，浅灰", "浅灰色无缝背景纸，带柔和的接触阴影，如同产品摄影棚。"),
    "studio-sweep-warm": ("影棚无缝背景，暖沙色", "暖沙色影棚背景，带柔和阴影，适合食品、化妆品和家居用品。"),
    "studio-gradient-charcoal": (
        "炭灰聚光渐变", "深色径向渐变，商品后方较亮：适合手表、电子产品和香水的高端质感。",
    ),
    "lifestyle-spring-east-asia": ("春季・东亚：花园", "商品置于阳光明媚、繁花盛开的春日花园中（东亚）。"),
    "lifestyle-summer-mediterranean": ("夏季・地中海：海边露台", "商品置于阳光灿烂的海边露台上（南欧）。"),
    "lifestyle-autumn-europe": ("秋季・中欧：咖啡馆桌面", "商品置于暖色秋光下的咖啡馆桌面上（欧洲）。"),
    "lifestyle-winter-nordic": ("冬季・北欧：温馨小屋", "商品置于温暖的冬日小屋中（北欧）。"),
    "lifestyle-lunar-new-year": ("农历新年：喜庆红", "商品置于农历新年装饰之中（中国和韩国市场）。"),
    "lifestyle-holiday-north-america": (
        "节日季・北美：客厅", "商品置于布置了十二月节日装饰的客厅中（美国和加拿大）。",
    ),
    "flatlay-to-on-model": (
        "平铺或人台图转真人模特",
        "平铺或穿在人台上拍摄的服装改为由真人穿着；服装与原图完全一致，周围一切由模型生成。"
        "需要扩散模型，以及服装蒙版或分割模型。",
    ),
    "model-east-asian-woman-20s": (
        "模特：东亚女性，20 多岁，苗条", _model("女性，二十多岁，东亚人，苗条，黑色长发，淡雅自然妆容"),
    ),
    "model-east-asian-man-30s": (
        "模特：东亚男性，30 多岁，中等身材", _model("男性，三十多岁，东亚人，中等身材，黑色短发，无胡须"),
    ),
    "model-european-woman-40s-plus": (
        "模特：欧洲女性，40 多岁，大码",
        _model("女性，四十多岁，欧洲白人，大码身材，浅棕色及肩发，淡妆，温暖的微笑"),
    ),
    "model-black-woman-30s-curvy": (
        "模特：黑人女性，30 多岁，丰满", _model("女性，三十多岁，黑人，丰满身材，自然卷发，自信的表情"),
    ),
    "model-latina-woman-20s": (
        "模特：拉丁裔女性，20 多岁，健美", _model("女性，二十多岁，拉丁裔，健美身材，深色长卷发，自然妆容"),
    ),
    "model-south-asian-man-20s": (
        "模特：南亚男性，20 多岁，健美", _model("男性，二十多岁，南亚人，健美身材，深色短发，整齐的胡须"),
    ),
    "model-middle-eastern-woman-50s": (
        "模特：中东女性，50 多岁，中等身材",
        _model("女性，五十多岁，中东人，中等身材，夹杂灰白的深色头发，优雅，淡妆"),
    ),
    "model-european-man-60s": (
        "模特：欧洲男性，60 多岁，中等身材",
        _model("男性，六十多岁，欧洲白人，中等身材，灰色短发，友善的表情，修剪整齐的灰色胡须"),
    ),
    "text-zh-cn": ("印刷文字：简体中文", _text("简体中文")),
    "text-en-us": ("印刷文字：英语（美国）", _text("英语（美国）")),
    "text-de-de": ("印刷文字：德语", _text("德语")),
    "text-ja-jp": ("印刷文字：日语", _text("日语")),
    "text-fr-fr": ("印刷文字：法语", _text("法语")),
    "text-es-es": ("印刷文字：西班牙语", _text("西班牙语")),
}
