"""Tiny random-weight models and synthetic photos, for tests, demos and benchmark smoke runs.

The builders assemble real diffusers / transformers architectures from small configs and
``save_pretrained`` them into a folder, so code under test loads them exactly the way it loads real
weights: ``from_pretrained(folder, local_files_only=True)`` through the model registry.
"""

from __future__ import annotations

import json
import string
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from vitrine.inference.fonts import FontBook, truetype

CLOTHES_LABELS = (
    "Background", "Hat", "Hair", "Sunglasses", "Upper-clothes", "Skirt", "Pants", "Dress", "Belt", "Left-shoe",
    "Right-shoe", "Face", "Left-leg", "Right-leg", "Left-arm", "Right-arm", "Bag", "Scarf",
)  # fmt: skip


def write_clip_tokenizer(directory: Path) -> Path:
    """A character-level CLIP BPE vocabulary: every prompt tokenizes, nothing is downloaded."""
    from transformers import CLIPTokenizer

    directory.mkdir(parents=True, exist_ok=True)
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for ch in string.ascii_lowercase + string.digits + string.punctuation:
        vocab.setdefault(ch, len(vocab))
        vocab.setdefault(ch + "</w>", len(vocab))
    (directory / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (directory / "merges.txt").write_text("#version: 0.2\n", encoding="utf-8")
    tokenizer = CLIPTokenizer(str(directory / "vocab.json"), str(directory / "merges.txt"), model_max_length=77)
    tokenizer.save_pretrained(directory)
    return directory


def _tiny_clip_text_config(*, projection_dim: int | None = None):
    from transformers import CLIPTextConfig

    return CLIPTextConfig(
        bos_token_id=0,
        eos_token_id=1,
        pad_token_id=1,
        hidden_size=32,
        intermediate_size=37,
        layer_norm_eps=1e-05,
        num_attention_heads=4,
        num_hidden_layers=5,
        vocab_size=1000,
        hidden_act="gelu",
        **({"projection_dim": projection_dim} if projection_dim else {}),
    )


def _tiny_vae():
    from diffusers import AutoencoderKL

    return AutoencoderKL(
        block_out_channels=(32, 64),
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
        latent_channels=4,
        sample_size=64,
    )


def _scheduler():
    from diffusers import DDIMScheduler

    return DDIMScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        clip_sample=False,
        set_alpha_to_one=False,
        steps_offset=1,
    )


def build_tiny_sd_inpaint(directory: Path, *, seed: int = 0) -> Path:
    """A StableDiffusionInpaintPipeline of a few MB (9-channel UNet, two-level VAE, 5-layer CLIP)."""
    import torch
    from diffusers import StableDiffusionInpaintPipeline, UNet2DConditionModel
    from transformers import CLIPTextModel, CLIPTokenizer

    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=2,
        sample_size=32,
        in_channels=9,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
    )
    tokenizer = CLIPTokenizer.from_pretrained(write_clip_tokenizer(directory / "_tokenizer_source"))
    pipe = StableDiffusionInpaintPipeline(
        vae=_tiny_vae(),
        text_encoder=CLIPTextModel(_tiny_clip_text_config()),
        tokenizer=tokenizer,
        unet=unet,
        scheduler=_scheduler(),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.save_pretrained(directory)
    return directory


def sdxl_inpaint_unet_config(*, tiny: bool) -> dict:
    """UNet config of SDXL inpainting (``tiny=False``: the real architecture, 2.6 B parameters)."""
    if tiny:
        return {
            "block_out_channels": (32, 64),
            "layers_per_block": 2,
            "sample_size": 32,
            "in_channels": 9,
            "out_channels": 4,
            "down_block_types": ("DownBlock2D", "CrossAttnDownBlock2D"),
            "up_block_types": ("CrossAttnUpBlock2D", "UpBlock2D"),
            "attention_head_dim": (2, 4),
            "use_linear_projection": True,
            "addition_embed_type": "text_time",
            "addition_time_embed_dim": 8,
            "transformer_layers_per_block": (1, 2),
            # 6 time ids x 8 + the 32-wide pooled text embedding of the second encoder.
            "projection_class_embeddings_input_dim": 80,
            "cross_attention_dim": 64,
        }
    return {
        "block_out_channels": (320, 640, 1280),
        "layers_per_block": 2,
        "sample_size": 128,
        "in_channels": 9,
        "out_channels": 4,
        "down_block_types": ("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        "up_block_types": ("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
        "attention_head_dim": (5, 10, 20),
        "use_linear_projection": True,
        "addition_embed_type": "text_time",
        "addition_time_embed_dim": 256,
        "transformer_layers_per_block": (1, 2, 10),
        "projection_class_embeddings_input_dim": 2816,
        "cross_attention_dim": 2048,
    }


def sdxl_components(*, tiny: bool, directory: Path) -> dict:
    """Random-weight SDXL inpainting components, real-sized unless ``tiny``."""
    from diffusers import AutoencoderKL, EulerDiscreteScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection, CLIPTokenizer

    tokenizer = CLIPTokenizer.from_pretrained(write_clip_tokenizer(directory / "_tokenizer_source"))
    if tiny:
        text_config, text_config_2, vae = (
            _tiny_clip_text_config(),
            _tiny_clip_text_config(projection_dim=32),
            _tiny_vae(),
        )
    else:
        common = {"bos_token_id": 0, "eos_token_id": 1, "pad_token_id": 1, "vocab_size": 49408}
        text_config = CLIPTextConfig(
            hidden_size=768,
            intermediate_size=3072,
            num_attention_heads=12,
            num_hidden_layers=12,
            hidden_act="quick_gelu",
            **common,
        )
        text_config_2 = CLIPTextConfig(
            hidden_size=1280,
            intermediate_size=5120,
            num_attention_heads=20,
            num_hidden_layers=32,
            hidden_act="gelu",
            projection_dim=1280,
            **common,
        )
        vae = AutoencoderKL(
            block_out_channels=(128, 256, 512, 512),
            in_channels=3,
            out_channels=3,
            down_block_types=("DownEncoderBlock2D",) * 4,
            up_block_types=("UpDecoderBlock2D",) * 4,
            latent_channels=4,
            layers_per_block=2,
            sample_size=1024,
            scaling_factor=0.13025,
        )
    scheduler = EulerDiscreteScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", steps_offset=1,
        timestep_spacing="leading",
    )  # fmt: skip
    return {
        "vae": vae,
        "text_encoder": CLIPTextModel(text_config),
        "text_encoder_2": CLIPTextModelWithProjection(text_config_2),
        "tokenizer": tokenizer,
        "tokenizer_2": tokenizer,
        "unet": UNet2DConditionModel(**sdxl_inpaint_unet_config(tiny=tiny)),
        "scheduler": scheduler,
    }


def build_tiny_sdxl_inpaint(directory: Path, *, seed: int = 0) -> Path:
    import torch
    from diffusers import StableDiffusionXLInpaintPipeline

    torch.manual_seed(seed)
    pipe = StableDiffusionXLInpaintPipeline(
        **sdxl_components(tiny=True, directory=directory), requires_aesthetics_score=False
    )
    pipe.save_pretrained(directory)
    return directory


def build_tiny_segformer(directory: Path, *, seed: int = 0) -> Path:
    """A two-stage SegFormer with the 18 clothes-parsing labels, and its image processor."""
    import torch
    from transformers import SegformerConfig, SegformerForSemanticSegmentation, SegformerImageProcessor

    torch.manual_seed(seed)
    config = SegformerConfig(
        num_channels=3,
        num_encoder_blocks=2,
        depths=[1, 1],
        sr_ratios=[2, 1],
        hidden_sizes=[8, 16],
        patch_sizes=[7, 3],
        strides=[4, 2],
        num_attention_heads=[1, 2],
        mlp_ratios=[2, 2],
        decoder_hidden_size=16,
        id2label=dict(enumerate(CLOTHES_LABELS)),
        label2id={label: i for i, label in enumerate(CLOTHES_LABELS)},
    )
    SegformerForSemanticSegmentation(config).save_pretrained(directory)
    SegformerImageProcessor(size={"height": 64, "width": 64}).save_pretrained(directory)
    return directory


def build_tiny_translator(directory: Path, *, seed: int = 0) -> Path:
    """A two-layer BART with a byte-level BPE tokenizer trained on a few words: a seq2seq model to load."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from tokenizers import decoders as token_decoders
    from transformers import BartConfig, BartForConditionalGeneration, PreTrainedTokenizerFast

    torch.manual_seed(seed)
    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    bpe = Tokenizer(models.BPE(unk_token="<unk>"))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = token_decoders.ByteLevel()
    corpus = ["pure cotton", "limited offer", "free shipping", "new arrival", "reine baumwolle"]
    bpe.train_from_iterator(
        corpus,
        trainers.BpeTrainer(
            vocab_size=300, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
        ),
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe, bos_token="<s>", eos_token="</s>", pad_token="<pad>", unk_token="<unk>"
    )
    config = BartConfig(
        vocab_size=bpe.get_vocab_size(), d_model=16, encoder_layers=2, decoder_layers=2,
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32,
        max_position_embeddings=128, bos_token_id=0, pad_token_id=1, eos_token_id=2, decoder_start_token_id=2,
        forced_eos_token_id=2,
    )  # fmt: skip
    BartForConditionalGeneration(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def tiny_registry_file(path: Path, models: dict[str, tuple[str, Path]], *, resolution: int = 64) -> Path:
    """A registry JSON naming tiny pipelines: ``{id: (pipeline_class, folder)}``."""
    entries = [
        {"id": model_id, "pipeline_class": pipeline_class, "location": str(folder), "licence": "Apache-2.0",
         "commercial_use": True, "dtype": "float32", "default_steps": 2, "default_guidance": 5.0,
         "resolution": resolution}
        for model_id, (pipeline_class, folder) in models.items()
    ]  # fmt: skip
    path.write_text(json.dumps({"models": entries}), encoding="utf-8")
    return path


# --- synthetic photos ------------------------------------------------------------------------------


def packshot(
    size: int = 128,
    *,
    background: tuple[int, int, int] = (255, 255, 255),
    product_color: tuple[int, int, int] = (40, 90, 160),
    seed: int = 0,
    transparent: bool = False,
) -> tuple[Image.Image, np.ndarray]:
    """A bottle-like product with a printed pattern on a plain background, and its true mask."""
    rng = np.random.default_rng(seed)
    mask_image = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(mask_image)
    cx = size // 2
    draw.rounded_rectangle((cx - size // 5, size // 4, cx + size // 5, int(size * 0.85)), radius=size // 12, fill=255)
    draw.rectangle((cx - size // 14, size // 8, cx + size // 14, size // 4), fill=255)
    mask = np.asarray(mask_image) > 0
    pattern = np.clip(
        np.asarray(product_color, np.int16) + rng.integers(-35, 36, (size, size, 3), dtype=np.int16), 0, 255
    ).astype(np.uint8)
    rgb = np.empty((size, size, 3), np.uint8)
    rgb[...] = background
    rgb[mask] = pattern[mask]
    if transparent:
        alpha = np.asarray(mask_image.filter(ImageFilter.GaussianBlur(0.7)))
        alpha = np.where(mask, 255, alpha).astype(np.uint8)
        return Image.fromarray(np.dstack([rgb, alpha]), mode="RGBA"), mask
    return Image.fromarray(rgb, mode="RGB"), mask


def cutout(photo: np.ndarray, *, margin: float = 0.18) -> Image.Image:
    """A real photo cut out as an RGBA product shot: an elliptical subject with an anti-aliased edge."""
    height, width = photo.shape[:2]
    alpha = Image.new("L", (width * 4, height * 4), 0)
    ImageDraw.Draw(alpha).ellipse(
        (
            int(width * 4 * margin),
            int(height * 4 * margin),
            int(width * 4 * (1 - margin)),
            int(height * 4 * (1 - margin)),
        ),
        fill=255,
    )
    alpha = alpha.resize((width, height), Image.Resampling.LANCZOS)  # supersampled: a soft one-pixel rim
    return Image.fromarray(np.dstack([photo[..., :3], np.asarray(alpha)]), mode="RGBA")


def text_photo(
    lines: list[tuple[str, tuple[int, int], int]],
    *,
    size: tuple[int, int] = (256, 128),
    background: tuple[int, int, int] = (250, 248, 240),
    color: tuple[int, int, int] = (20, 20, 20),
    product: int = 0,
) -> Image.Image:
    """Text lines ``(text, (x, y), font_px)`` on a plain card; ``product`` px: a packshot in the lower right."""
    image = Image.new("RGB", size, background)
    if product:
        shot, _ = packshot(product, background=background)
        image.paste(shot, (size[0] - shot.width, size[1] - shot.height))
    draw = ImageDraw.Draw(image)
    fonts = FontBook()
    for text, position, font_px in lines:
        draw.text(position, text, fill=color, font=truetype(fonts.font_for(text), font_px))
    return image


def textured_product(
    size: int = 192,
    *,
    kind: str = "garment",
    color: tuple[int, int, int] = (178, 34, 52),
    background: tuple[int, int, int] = (246, 246, 244),
    logo: bool = True,
    seed: int = 0,
) -> tuple[Image.Image, np.ndarray, np.ndarray]:
    """A product with shading, a woven texture and seams (``kind`` "garment": a T-shirt outline; "packshot":
    a box) in one dominant colour, optionally a white printed logo; returns (photo, product mask, logo mask)."""
    rng = np.random.default_rng(seed)
    outline = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(outline)
    s = size
    if kind == "garment":
        draw.polygon(
            [(0.3 * s, 0.12 * s), (0.42 * s, 0.1 * s), (0.5 * s, 0.16 * s), (0.58 * s, 0.1 * s), (0.7 * s, 0.12 * s),
             (0.9 * s, 0.3 * s), (0.8 * s, 0.4 * s), (0.72 * s, 0.33 * s), (0.72 * s, 0.9 * s), (0.28 * s, 0.9 * s),
             (0.28 * s, 0.33 * s), (0.2 * s, 0.4 * s), (0.1 * s, 0.3 * s)],
            fill=255,
        )  # fmt: skip
    else:
        draw.rounded_rectangle((0.22 * s, 0.15 * s, 0.78 * s, 0.88 * s), radius=int(0.04 * s), fill=255)
    mask = np.asarray(outline) > 0
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size
    # Soft folds and a key light from the upper left, then a fine weave and sensor noise.
    shading = 1.0 + 0.18 * np.sin(9.0 * x + 3.0 * y) * np.cos(5.0 * y) - 0.22 * (x + y - 0.8)
    weave = (
        0.06
        * np.sign(np.sin(np.pi * np.arange(size) / 2.0))[None, :]
        * np.sign(np.sin(np.pi * np.arange(size) / 2.0 + 0.7))[:, None]
    )
    seams = np.zeros((size, size), np.float32)
    seams[:, int(0.5 * s)] = -0.25
    seams[int(0.35 * s), :] = -0.2
    factor = (shading + weave + seams + rng.normal(0, 0.025, (size, size))).astype(np.float32)
    linear = (np.asarray(color, np.float32) / 255.0) ** 2.2
    lit = np.clip(linear[None, None, :] * factor[..., None], 0.0, 1.0) ** (1 / 2.2)
    rgb = np.empty((size, size, 3), np.uint8)
    rgb[...] = background
    rgb[mask] = np.clip(np.rint(lit * 255.0), 0, 255).astype(np.uint8)[mask]
    logo_mask = np.zeros((size, size), bool)
    if logo:
        logo_image = Image.new("L", (size, size), 0)
        logo_draw = ImageDraw.Draw(logo_image)
        logo_draw.ellipse((0.42 * s, 0.45 * s, 0.58 * s, 0.61 * s), outline=255, width=max(2, size // 48))
        logo_draw.rectangle((0.47 * s, 0.5 * s, 0.53 * s, 0.56 * s), fill=255)
        logo_mask = (np.asarray(logo_image) > 0) & mask
        rgb[logo_mask] = (238, 238, 236)
    return Image.fromarray(rgb, mode="RGB"), mask, logo_mask


def promo_packshot(
    size: tuple[int, int] = (360, 280),
    *,
    background: tuple[int, int, int] = (255, 255, 255),
    stickers: tuple[str, ...] = ("包邮", "限时特价", "¥99"),
    product_text: str = "",
    seed: int = 0,
) -> tuple[Image.Image, np.ndarray]:
    """A packshot with promotional overlays around it: a red price sticker, a corner ribbon badge with text,
    and a plain tag, all away from the product; ``product_text`` is printed on the product itself."""
    width, height = size
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", size, background)
    shot, shot_mask = packshot(min(width, height) // 2, background=background, seed=seed)
    ox, oy = (width - shot.width) // 2, (height - shot.height) // 2
    image.paste(shot, (ox, oy))
    mask = np.zeros((height, width), bool)
    mask[oy : oy + shot.height, ox : ox + shot.width] = shot_mask
    draw = ImageDraw.Draw(image)
    fonts = FontBook()
    font_px = max(14, height // 14)
    slots = [(int(0.04 * width), int(0.06 * height)), (int(0.7 * width), int(0.72 * height)),
             (int(0.04 * width), int(0.74 * height)), (int(0.7 * width), int(0.08 * height))]  # fmt: skip
    for text, (x, y) in zip(stickers, slots, strict=False):
        font = truetype(fonts.font_for(text), font_px)
        left, top, right, bottom = draw.textbbox((x, y), text, font=font)
        pad = font_px // 3
        fill = (int(rng.integers(180, 230)), 24, 36)
        draw.rounded_rectangle((left - pad, top - pad, right + pad, bottom + pad), radius=pad, fill=fill)
        draw.text((x, y), text, fill=(255, 255, 255), font=font)
    if product_text:
        font = truetype(fonts.font_for(product_text), max(10, height // 22))
        ys, xs = np.nonzero(mask)
        cx, cy = int(xs.mean()), int(ys.mean())
        draw.text((cx, cy), product_text, fill=(250, 250, 250), font=font, anchor="mm")
    return image, mask
