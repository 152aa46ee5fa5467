"""Adapter for Stability AI text-to-image and SD3.5 image-to-image on Bedrock.

One image per call (no numberOfImages), so the service fans out N calls. A blocked
call answers 200 with `finish_reasons: ["Filter reason: …"]` and maybe no image.
"""

from __future__ import annotations

from typing import Any

from lib.bedrock import content_filter_error
from lib.catalog import Family, ModelInfo, Task
from lib.errors import BackendUnavailable
from lib.generation.requests import EditRequest, GenerationRequest, VariationRequest
from lib.imaging import b64decode, b64encode
from lib.masks import PaintMode, model_mask_from_png


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


# Stability grows its mask by default (5 px) to hide seams; PRECISE asks for the exact edge.
DEFAULT_GROW_MASK = 5


def edit_body(req: EditRequest, model: ModelInfo, seed: int) -> dict[str, Any]:
    """Body for the Image Service the catalog row names (inpaint, erase, search-and-replace)."""
    body: dict[str, Any] = {"image": b64encode(req.image)}
    if req.task is Task.EXTEND:
        body.update({side: px for side, px in zip(("left", "right", "up", "down"), req.extend) if px})
        if req.prompt.strip():
            body["prompt"] = req.prompt
        body.update(seed=seed, output_format=req.output_format)
        return body
    if req.task is Task.INPAINT_BY_PROMPT:
        body.update(prompt=req.prompt, search_prompt=req.mask_prompt)
    elif req.task is Task.ERASE:
        body["mask"] = b64encode(_stability_mask(req))
    else:  # INPAINT, OUTPAINT, and OUTPAINT_BY_PROMPT once the subject mask is known
        body.update(prompt=req.prompt, mask=b64encode(_stability_mask(req)))
    body["grow_mask"] = 0 if req.outpainting_mode == "PRECISE" else DEFAULT_GROW_MASK
    if req.negative_prompt.strip() and req.task is not Task.ERASE:
        body["negative_prompt"] = req.negative_prompt
    body.update(seed=seed, output_format=req.output_format)
    return body


def remove_background_body(req: EditRequest) -> dict[str, Any]:
    return {"image": b64encode(req.image), "output_format": "png"}


def _stability_mask(req: EditRequest) -> bytes:
    assert req.mask is not None, "validated by the service"
    mode = PaintMode.OUTPAINTING if req.task.keeps_the_mask else PaintMode.INPAINTING
    return model_mask_from_png(req.mask, Family.STABILITY_IMAGE, mode)


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
