"""Tiny random-weight instances of the newer model families, built from configs and saved like real weights.

Each builder assembles the real architecture (the same diffusers / transformers classes the hub checkpoints
load into) at a few kilobytes to a few megabytes, with a byte-level tokenizer trained offline, and
``save_pretrained``s it, so tests load it through the model registry exactly as production loads weights.
The configs follow the shapes diffusers' own fast tests use.
"""

from __future__ import annotations

from pathlib import Path

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
