"""Tiny random-weight models, built from configs and saved like real weights (test and benchmark fixtures).

Each builder assembles the real architecture (the same diffusers / transformers classes the hub checkpoints
load into) at a few kilobytes to a few megabytes, with a tokenizer made offline, and ``save_pretrained``s it
into a folder, so code under test loads it through the model registry exactly as production loads weights:
``from_pretrained(folder, local_files_only=True)``. The configs follow the shapes diffusers' own fast tests
use. ``sdxl_components(tiny=False)`` builds the real SDXL architecture with random weights, for the GPU
benchmark. One module of fixtures, longer than 400 lines: each builder is a config and nothing else.
"""

from __future__ import annotations

import json
import string
from pathlib import Path

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


# --- the newer model families ---------------------------------------------------------------------
QWEN_SPECIALS = (
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>", "<|image_pad|>",
    "<|video_pad|>", "<|vision_pad|>",
)  # fmt: skip
# The Qwen3 chat template, reduced to what the FLUX.2 [klein] prompt encoder renders.
CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def qwen_tokenizer(directory: Path):  # type: ignore[no-untyped-def]
    """A byte-level BPE with Qwen's special tokens (every text tokenizes; nothing is downloaded)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import Qwen2TokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.train_from_iterator(
        ["a product photo", "replace the text", "clean plain background", "model wearing the garment"],
        trainers.BpeTrainer(
            vocab_size=320, special_tokens=list(QWEN_SPECIALS), initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
        ),
    )
    tokenizer = Qwen2TokenizerFast(
        tokenizer_object=bpe,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        unk_token=None,
        bos_token=None,
        additional_special_tokens=list(QWEN_SPECIALS[1:]),
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.save_pretrained(directory)
    return Qwen2TokenizerFast.from_pretrained(directory)


def expose_video_processor_class() -> None:
    """Let Qwen2-VL processors be built and loaded where torchvision is absent (this CPU test machine).

    transformers checks each processor attribute against a base class looked up by name, and exports the
    video one (``VideoProcessorMixin``) only when torchvision is installed, although the class itself
    imports without it. The edit pipelines never pass videos; GPU deployments have torchvision anyway.
    """
    from transformers import processing_utils, video_processing_utils

    registry = processing_utils.transformers_module
    if not hasattr(registry, "VideoProcessorMixin"):
        registry.VideoProcessorMixin = video_processing_utils.VideoProcessorMixin


def _qwen_vl_processor(directory: Path):  # type: ignore[no-untyped-def]
    from transformers import Qwen2VLImageProcessor, Qwen2VLProcessor
    from transformers.video_processing_utils import VideoProcessorMixin

    expose_video_processor_class()
    tokenizer = qwen_tokenizer(directory / "_tokenizer_source")
    image_processor = Qwen2VLImageProcessor(min_pixels=56 * 56, max_pixels=112 * 112)
    processor = Qwen2VLProcessor(
        image_processor=image_processor, tokenizer=tokenizer, video_processor=VideoProcessorMixin()
    )
    return tokenizer, processor


def _qwen_vl_text_encoder(tokenizer):  # type: ignore[no-untyped-def]
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration

    ids = {name: tokenizer.convert_tokens_to_ids(token) for name, token in (
        ("vision_start_token_id", "<|vision_start|>"), ("vision_end_token_id", "<|vision_end|>"),
        ("image_token_id", "<|image_pad|>"), ("video_token_id", "<|video_pad|>"),
    )}  # fmt: skip
    config = Qwen2_5_VLConfig(
        text_config={
            "hidden_size": 16, "intermediate_size": 16, "num_hidden_layers": 2, "num_attention_heads": 2,
            "num_key_value_heads": 2, "vocab_size": len(tokenizer), "max_position_embeddings": 2048,
            "rope_scaling": {"mrope_section": [1, 1, 2], "rope_type": "default", "type": "default"},
            "rope_theta": 1000000.0,
        },
        vision_config={"depth": 2, "hidden_size": 16, "intermediate_size": 16, "num_heads": 2, "out_hidden_size": 16},
        hidden_size=16,
        vocab_size=len(tokenizer),
        **ids,
    )  # fmt: skip
    return Qwen2_5_VLForConditionalGeneration(config)


def _qwen_image_vae():  # type: ignore[no-untyped-def]
    from diffusers import AutoencoderKLQwenImage

    # The pipeline encodes its inputs at ~1024 px whatever the output size: four downsamplings (16x; the
    # real VAE has 8x) at 8 channels keep that, and the mid-block attention over the latent, cheap.
    z_dim = 4
    return AutoencoderKLQwenImage(
        base_dim=8, z_dim=z_dim, dim_mult=[1, 1, 1, 1, 1], num_res_blocks=1,
        temperal_downsample=[False, True, True, True], latents_mean=[0.0] * z_dim, latents_std=[1.0] * z_dim,
    )  # fmt: skip


def build_tiny_qwen_image_edit_plus(directory: Path, *, seed: int = 0) -> Path:
    """QwenImageEditPlusPipeline (Qwen-Image-Edit-2509 / -2511): MMDiT, Qwen2.5-VL encoder, 3D VAE."""
    import torch
    from diffusers import FlowMatchEulerDiscreteScheduler, QwenImageEditPlusPipeline, QwenImageTransformer2DModel

    torch.manual_seed(seed)
    tokenizer, processor = _qwen_vl_processor(directory)
    transformer = QwenImageTransformer2DModel(
        patch_size=2, in_channels=16, out_channels=4, num_layers=2, attention_head_dim=16, num_attention_heads=3,
        joint_attention_dim=16, guidance_embeds=False, axes_dims_rope=(8, 4, 4),
    )  # fmt: skip
    pipe = QwenImageEditPlusPipeline(
        transformer=transformer,
        vae=_qwen_image_vae(),
        scheduler=FlowMatchEulerDiscreteScheduler(),
        text_encoder=_qwen_vl_text_encoder(tokenizer),
        tokenizer=tokenizer,
        processor=processor,
    )
    pipe.save_pretrained(directory)
    return directory


def build_tiny_longcat_image_edit(directory: Path, *, seed: int = 0) -> Path:
    """LongCatImageEditPipeline: FLUX-style MMDiT, Qwen2.5-VL encoder, FLUX VAE."""
    import torch
    from diffusers import (
        AutoencoderKL,
        FlowMatchEulerDiscreteScheduler,
        LongCatImageEditPipeline,
        LongCatImageTransformer2DModel,
    )

    torch.manual_seed(seed)
    tokenizer, processor = _qwen_vl_processor(directory)
    transformer = LongCatImageTransformer2DModel(
        patch_size=1, in_channels=64, num_layers=1, num_single_layers=1, attention_head_dim=16,
        num_attention_heads=2, joint_attention_dim=16, pooled_projection_dim=16, axes_dims_rope=[4, 6, 6],
    )  # fmt: skip
    # The pipeline encodes its input at ~1024 px: four levels (the real 8x) and no mid-block attention.
    vae = AutoencoderKL(
        sample_size=32, in_channels=3, out_channels=3, block_out_channels=(4, 4, 4, 4), layers_per_block=1,
        down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
        latent_channels=16, norm_num_groups=1, use_quant_conv=False, use_post_quant_conv=False,
        mid_block_add_attention=False, shift_factor=0.0609, scaling_factor=1.5035,
    )  # fmt: skip
    pipe = LongCatImageEditPipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=vae,
        text_encoder=_qwen_vl_text_encoder(tokenizer),
        tokenizer=tokenizer,
        text_processor=processor,
        transformer=transformer,
    )
    pipe.save_pretrained(directory)
    return directory


def build_tiny_flux2_klein_inpaint(directory: Path, *, seed: int = 0) -> Path:
    """Flux2KleinInpaintPipeline (FLUX.2 [klein] 4B): FLUX.2 MMDiT, Qwen3 encoder, FLUX.2 VAE."""
    import torch
    from diffusers import (
        AutoencoderKLFlux2,
        FlowMatchEulerDiscreteScheduler,
        Flux2KleinInpaintPipeline,
        Flux2Transformer2DModel,
    )
    from transformers import Qwen3Config, Qwen3ForCausalLM

    torch.manual_seed(seed)
    tokenizer = qwen_tokenizer(directory / "_tokenizer_source")
    transformer = Flux2Transformer2DModel(
        patch_size=1, in_channels=4, num_layers=1, num_single_layers=1, attention_head_dim=16,
        num_attention_heads=2, joint_attention_dim=16 * 3, timestep_guidance_channels=256,
        axes_dims_rope=[4, 4, 4, 4], guidance_embeds=False,
    )  # fmt: skip
    text_encoder = Qwen3ForCausalLM(
        Qwen3Config(
            intermediate_size=16, hidden_size=16, num_hidden_layers=28, num_attention_heads=2, num_key_value_heads=2,
            vocab_size=len(tokenizer), max_position_embeddings=1024,
        )
    )  # fmt: skip
    vae = AutoencoderKLFlux2(
        sample_size=32, in_channels=3, out_channels=3, down_block_types=("DownEncoderBlock2D",),
        up_block_types=("UpDecoderBlock2D",), block_out_channels=(4,), layers_per_block=1, latent_channels=1,
        norm_num_groups=1, use_quant_conv=False, use_post_quant_conv=False,
    )  # fmt: skip
    pipe = Flux2KleinInpaintPipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        transformer=transformer,
        is_distilled=True,
    )
    pipe.save_pretrained(directory)
    return directory


def build_tiny_sam2(directory: Path, *, seed: int = 0) -> Path:
    """Sam2Model (SAM 2.1): a four-stage Hiera backbone at 128 px, prompt encoder and mask decoder, and its
    no processor: the engine prepares SAM's input itself (the transformers processor needs torchvision)."""
    import torch
    from transformers import (
        Sam2Config,
        Sam2HieraDetConfig,
        Sam2MaskDecoderConfig,
        Sam2Model,
        Sam2PromptEncoderConfig,
        Sam2VisionConfig,
    )

    torch.manual_seed(seed)
    size = 128
    backbone = Sam2HieraDetConfig(
        hidden_size=12, num_channels=3, image_size=size, patch_stride=4, patch_kernel_size=7, patch_padding=3,
        blocks_per_stage=[1, 1, 1, 1], embed_dim_per_stage=[12, 24, 48, 96],
    )  # fmt: skip
    vision = Sam2VisionConfig(
        backbone_config=backbone, backbone_channel_list=[96, 48, 24, 12],
        backbone_feature_sizes=[[32, 32], [16, 16], [8, 8]], fpn_hidden_size=32,
    )  # fmt: skip
    config = Sam2Config(
        vision_config=vision,
        prompt_encoder_config=Sam2PromptEncoderConfig(
            image_size=size, patch_size=16, mask_input_channels=8, hidden_size=32, num_point_embeddings=4
        ),
        mask_decoder_config=Sam2MaskDecoderConfig(
            hidden_size=32, mlp_dim=64, num_hidden_layers=2, num_attention_heads=4, iou_head_hidden_dim=32
        ),
        memory_attention_hidden_size=12, memory_encoder_hidden_size=32, image_size=size,
        mask_downsampler_embed_dim=32, memory_fuser_embed_dim=32, memory_attention_num_layers=1,
        memory_attention_feed_forward_hidden_size=32,
    )  # fmt: skip
    Sam2Model(config).save_pretrained(directory)
    return directory
