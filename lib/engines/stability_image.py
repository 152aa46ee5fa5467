"""Engine for Stability AI on Bedrock: text-to-image, SD3.5 image-to-image and the Image Services.

One image per call (no numberOfImages), so the service fans out N calls. A blocked
call answers 200 with `finish_reasons: ["Filter reason: …"]` and maybe no image.
"""

from __future__ import annotations

from typing import Any

import io
from dataclasses import replace

from PIL import Image

from lib import masks
from lib.bedrock import content_filter_error, invoke_json
from lib.catalog import REMOVE_BACKGROUND_ID, ModelInfo, Task, call_target, get_model
from lib.engines.image_base import CallTarget, ImageEngine, PreStep, Produced, fan_out
from lib.errors import BackendUnavailable, InvalidInput
from lib.generation.requests import EditRequest, GenerationRequest, ImageRequest, VariationRequest
from lib.imaging import b64decode, b64encode
from lib.masks import PaintMode, Polarity, model_mask_from_png
from lib.settings import Settings


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
    if req.task is Task.REMOVE_BACKGROUND:
        return remove_background_body(req)
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
    return model_mask_from_png(req.mask, Polarity.WHITE_MARKS, mode)


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


class StabilityImageEngine(ImageEngine):
    """One image per call; masks are white = change; no mask prompt (background subjects come from Remove
    Background, a second call)."""

    mask_polarity = Polarity.WHITE_MARKS
    prompt_always_required = True
    one_image_per_call = True

    @property
    def count_help(self) -> str:  # type: ignore[override]
        return "Stability makes one image per call; several calls run in parallel."

    def body(self, req: ImageRequest, model: ModelInfo, seed: int) -> dict[str, Any]:
        if isinstance(req, EditRequest):
            return edit_body(req, model, seed)
        if isinstance(req, VariationRequest):
            return image_to_image_body(req, model, seed)
        return text_to_image_body(req, model, seed)

    def produce(self, req: ImageRequest, model: ModelInfo, seed: int, target: CallTarget,
                settings: Settings) -> Produced:
        seeds = self.seeds(model, seed, req.count)
        bodies = [self.body(req, model, s) for s in seeds]

        def call(body: dict[str, Any]) -> tuple[bytes, int]:
            result = invoke_json(model, target.invoke_id, target.region, body, settings)
            return parse_image(result.payload, model, body.get("seed", 0))

        return fan_out(model, bodies, call, seeds)

    def uses_mask_prompt(self, task: Task) -> bool:
        # The object to keep is found by Remove Background, not by its name.
        return task.uses_mask_prompt and task is not Task.OUTPAINT_BY_PROMPT

    def helper_models(self, task: Task) -> tuple[str, ...]:
        return (REMOVE_BACKGROUND_ID,) if task is Task.OUTPAINT_BY_PROMPT else ()

    def pre_step(self, req: EditRequest, model: ModelInfo, settings: Settings) -> PreStep | None:
        """A new background: Remove Background finds the subject to keep, then Inpaint repaints the rest."""
        if req.task is not Task.OUTPAINT_BY_PROMPT:
            return None
        helper = get_model(REMOVE_BACKGROUND_ID)
        region, invoke_id, _ = call_target(helper, settings.region)
        result = invoke_json(helper, invoke_id, region, remove_background_body(req), settings)
        cutout, _ = parse_image(result.payload, helper, 0)
        with Image.open(io.BytesIO(cutout)) as img:
            alpha = img.convert("RGBA").getchannel("A")
        subject = alpha.point(lambda v: 255 if v >= 128 else 0)
        if masks.coverage(subject) == 0:
            raise InvalidInput("Remove Background found no subject to keep in this image.",
                               "Try a photo with one clear subject, or draw the mask in lab 4.")
        buf = io.BytesIO()
        subject.save(buf, "PNG")
        return PreStep(request=replace(req, mask=buf.getvalue()), cost_usd=helper.price.per_image(),
                       notes=["Stability has no mask prompt: Remove Background found the main subject (the "
                              "object-to-keep text is not used), then Inpaint repainted everything else. Two calls."])
