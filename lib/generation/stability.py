"""Adapter for Stability AI text-to-image and SD3.5 image-to-image on Bedrock.

One image per call (no numberOfImages), so the service fans out N calls. A blocked
call answers 200 with `finish_reasons: ["Filter reason: …"]` and maybe no image.
"""

from __future__ import annotations

from typing import Any

from lib.bedrock import content_filter_error
from lib.catalog import ModelInfo
from lib.errors import BackendUnavailable
from lib.generation.requests import GenerationRequest, VariationRequest
from lib.imaging import b64decode, b64encode


def text_to_image_body(req: GenerationRequest, model: ModelInfo, seed: int) -> dict[str, Any]:
    body: dict[str, Any] = {
        "prompt": req.prompt,
        "aspect_ratio": req.aspect_ratio,
        "seed": seed,
        "output_format": req.output_format,
    }
    if req.negative_prompt.strip():
        body["negative_prompt"] = req.negative_prompt
    return body


def image_to_image_body(req: VariationRequest, model: ModelInfo, seed: int) -> dict[str, Any]:
    knob = model.image.variation_knob
    strength = req.strength if req.strength is not None else (knob.default if knob else 0.6)
    body: dict[str, Any] = {
        "prompt": req.prompt,
        "mode": "image-to-image",
        "image": b64encode(req.images[0]),
        "strength": round(float(strength), 2),
        "seed": seed,
        "output_format": req.output_format,
    }
    if req.negative_prompt.strip():
        body["negative_prompt"] = req.negative_prompt
    return body


FILTER_STAGES = {"prompt": "prompt", "input image": "input image", "output image": "output image"}


def parse_image(payload: dict[str, Any], model: ModelInfo, seed: int) -> tuple[bytes, int]:
    """(image bytes, seed used), or the reason there is no image."""
    reasons = payload.get("finish_reasons") or [None]
    reason = reasons[0]
    if reason:
        text = str(reason)
        if text.lower().startswith("filter reason"):
            stage = text.split(":", 1)[-1].strip().lower()
            raise content_filter_error(text, FILTER_STAGES.get(stage, "prompt"))
        raise BackendUnavailable(f"{model.label} could not make this image ({text}).", "Try again.", detail=text)
    images = payload.get("images") or []
    if not images:
        raise BackendUnavailable(f"{model.label} answered without an image.", "Try again.", detail=str(payload)[:200])
    seeds = payload.get("seeds") or [seed]
    return b64decode(images[0]), int(seeds[0])
