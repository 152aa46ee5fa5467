"""Adapter for the Titan Image Generator v1/v2 and Nova Canvas schema.

All three share `taskType` + `<task>Params` + `imageGenerationConfig`, and answer
`{"images": [...], "error": ...}`. The `error` field is how Bedrock reports a
filtered output, so it is checked before anything else (the original labs ignored it).
"""

from __future__ import annotations

from typing import Any

from lib.bedrock import CONTENT_FILTER_MARKERS, content_filter_error
from lib.catalog import ModelInfo
from lib.errors import BackendUnavailable, InvalidInput
from lib.generation.requests import GenerationRequest, VariationRequest
from lib.imaging import b64decode, b64encode


def image_generation_config(req: GenerationRequest | VariationRequest, model: ModelInfo, seed: int) -> dict[str, Any]:
    config: dict[str, Any] = {
        "numberOfImages": req.count,
        "quality": req.quality,
        "width": req.width,
        "height": req.height,
        "seed": seed,
    }
    cfg = req.cfg_scale if req.cfg_scale is not None else (model.image.cfg.default if model.image.cfg else None)
    if cfg is not None:
        config["cfgScale"] = round(float(cfg), 2)
    return config


def text_to_image_body(req: GenerationRequest, model: ModelInfo, seed: int) -> dict[str, Any]:
    params: dict[str, Any] = {"text": req.prompt}
    if req.negative_prompt.strip():
        params["negativeText"] = req.negative_prompt
    return {
        "taskType": "TEXT_IMAGE",
        "textToImageParams": params,
        "imageGenerationConfig": image_generation_config(req, model, seed),
    }


def variation_body(req: VariationRequest, model: ModelInfo, seed: int) -> dict[str, Any]:
    params: dict[str, Any] = {"images": [b64encode(b) for b in req.images]}
    if req.prompt.strip():
        params["text"] = req.prompt
    if req.negative_prompt.strip():
        params["negativeText"] = req.negative_prompt
    knob = model.image.variation_knob
    strength = req.strength if req.strength is not None else (knob.default if knob else None)
    if strength is not None:
        params["similarityStrength"] = round(float(strength), 2)
    return {
        "taskType": "IMAGE_VARIATION",
        "imageVariationParams": params,
        "imageGenerationConfig": image_generation_config(req, model, seed),
    }


def parse_images(payload: dict[str, Any], model: ModelInfo) -> list[bytes]:
    """The decoded images, or the reason there are none."""
    error = payload.get("error")
    if error:
        if any(m.lower() in str(error).lower() for m in CONTENT_FILTER_MARKERS):
            raise content_filter_error(str(error))
        raise InvalidInput(f"{model.label} refused the request: {error}", "Adjust the request and try again.",
                           detail=str(error))
    images = payload.get("images") or []
    if not images:
        raise BackendUnavailable(f"{model.label} answered without any image.", "Try again.", detail=str(payload)[:200])
    return [b64decode(item) for item in images]
