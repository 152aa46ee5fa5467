"""Engine for the Titan Image Generator v1/v2 and Nova Canvas schema.

All three share `taskType` + `<task>Params` + `imageGenerationConfig`, and answer
`{"images": [...], "error": ...}`. The `error` field is how Bedrock reports a
filtered output, so it is checked before anything else (the original labs ignored it).
"""

from __future__ import annotations

from typing import Any

from lib.bedrock import CONTENT_FILTER_MARKERS, content_filter_error, invoke_json
from lib.catalog import ModelInfo, Task
from lib.engines.image_base import CallTarget, ImageEngine, Produced, image_output
from lib.errors import BackendUnavailable, InvalidInput
from lib.generation.requests import EditRequest, GenerationRequest, ImageRequest, VariationRequest
from lib.i18n import N_, _
from lib.imaging import b64decode, b64encode, image_size
from lib.masks import PaintMode, Polarity, model_mask_from_png
from lib.settings import Settings


def image_generation_config(req: GenerationRequest | VariationRequest | EditRequest, model: ModelInfo, seed: int) -> dict[str, Any]:
    config: dict[str, Any] = {
        "numberOfImages": req.count,
        "quality": req.quality,
        "width": getattr(req, "width", 1024),
        "height": getattr(req, "height", 1024),
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


def edit_body(req: EditRequest, model: ModelInfo, seed: int) -> dict[str, Any]:
    """INPAINTING / OUTPAINTING with maskImage XOR maskPrompt (the workshop's labs 4–7 shape)."""
    mode = PaintMode.OUTPAINTING if req.task.keeps_the_mask else PaintMode.INPAINTING
    params: dict[str, Any] = {"image": b64encode(req.image)}
    if req.prompt.strip() and req.task not in (Task.ERASE, Task.ERASE_BY_PROMPT):
        params["text"] = req.prompt
    if req.negative_prompt.strip():
        params["negativeText"] = req.negative_prompt
    if req.task.uses_mask_prompt:
        params["maskPrompt"] = req.mask_prompt
    else:
        assert req.mask is not None, "validated by the service"
        # Titan's OUTPAINTING keeps the masked area itself, so the selection is sent as is (black = masked).
        params["maskImage"] = b64encode(model_mask_from_png(req.mask, Polarity.BLACK_MARKS, PaintMode.INPAINTING))
    if mode is PaintMode.OUTPAINTING:
        params["outPaintingMode"] = req.outpainting_mode
    width, height = image_size(req.image)  # the output is the input's size
    config = image_generation_config(req, model, seed)
    config.update(width=width, height=height)
    key = "outPaintingParams" if mode is PaintMode.OUTPAINTING else "inPaintingParams"
    return {"taskType": mode.value, key: params, "imageGenerationConfig": config}


def parse_images(payload: dict[str, Any], model: ModelInfo) -> list[bytes]:
    """The decoded images, or the reason there are none."""
    error = payload.get("error")
    if error:
        if any(m.lower() in str(error).lower() for m in CONTENT_FILTER_MARKERS):
            raise content_filter_error(str(error))
        raise InvalidInput(_("{model} refused the request: {error}").format(model=model.label, error=error),
                           _("Adjust the request and try again."), detail=str(error))
    images = payload.get("images") or []
    if not images:
        raise BackendUnavailable(_("{model} answered without any image.").format(model=model.label), _("Try again."),
                                 detail=str(payload)[:200])
    return [b64decode(item) for item in images]


class TitanImageEngine(ImageEngine):
    """One call returns up to five images, all from the same seed; masks are black = masked."""

    mask_polarity = Polarity.BLACK_MARKS
    one_image_per_call = False
    count_help = N_("Titan and Nova Canvas return up to 5 images from one call.")

    def outpainting_mode_help(self, mode: str) -> str:
        return {"DEFAULT": _("DEFAULT sends outPaintingMode DEFAULT: the model may extend the kept object into the "
                             "new background and repaint its edge to blend it, so some of its pixels change."),
                "PRECISE": _("PRECISE sends outPaintingMode PRECISE: the model keeps every pixel of the kept object "
                             "and paints only around it, so its edge stays sharp.")}.get(mode, "")

    def body(self, req: ImageRequest, model: ModelInfo, seed: int) -> dict[str, Any]:
        if isinstance(req, EditRequest):
            return edit_body(req, model, seed)
        if isinstance(req, VariationRequest):
            return variation_body(req, model, seed)
        return text_to_image_body(req, model, seed)

    def produce(self, req: ImageRequest, model: ModelInfo, seed: int, target: CallTarget,
                settings: Settings) -> Produced:
        body = self.body(req, model, seed)
        result = invoke_json(model, target.invoke_id, target.region, body, settings)
        images = [image_output(data, seed, i) for i, data in enumerate(parse_images(result.payload, model))]
        notes = []
        if len(images) > 1:
            notes.append(_("All images of one Titan/Nova call share the seed; reuse it with the same count to get "
                           "the same set."))
        return Produced(images=images, body=body, notes=notes)
