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
from lib.catalog import REMOVE_BACKGROUND_ID, ModelInfo, PromptUse, Task, call_target, get_model
from lib.engines.image_base import CallTarget, ImageEngine, PreStep, Produced, fan_out, image_output
from lib.errors import BackendUnavailable, InvalidInput
from lib.i18n import N_, _
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
# Outpainting (keep the marked object, repaint the rest): Stability has no outpainting mode, so the app makes
# the workshop's two. DEFAULT lets Inpaint reshape the kept object's rim: the mask reaches DEFAULT_REACH_PX into
# the object with falling strength (grey = partial) and grow_mask widens it by the service's maximum. PRECISE
# asks for the exact edge (grow_mask 0) and puts the object's original pixels back over the result afterwards.
OUTPAINT_GROW_MASK = {"DEFAULT": 20, "PRECISE": 0}
DEFAULT_REACH_PX = 16


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
    if req.task.keeps_the_mask:
        body["grow_mask"] = OUTPAINT_GROW_MASK.get(req.outpainting_mode, DEFAULT_GROW_MASK)
    else:
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
    sent = model_mask_from_png(req.mask, Polarity.WHITE_MARKS, mode)
    if not req.task.keeps_the_mask:
        return sent
    with Image.open(io.BytesIO(sent)) as img:
        change = img.convert("L")
    # PRECISE: a hard edge, exactly what put_back restores; DEFAULT: a soft band into the kept object.
    reach = mask_reach_px(req)
    shaped = masks.reach_into(change, reach) if reach else masks.binarize(change)
    buf = io.BytesIO()
    shaped.save(buf, "PNG")
    return buf.getvalue()


def mask_reach_px(req: EditRequest) -> int:
    """DEFAULT outpainting: how far the mask reaches into the kept object (PRECISE and other tasks: 0)."""
    return DEFAULT_REACH_PX if req.task.keeps_the_mask and req.outpainting_mode == "DEFAULT" else 0


def puts_back_kept_object(req: EditRequest) -> bool:
    """PRECISE outpainting: the kept object's pixels are restored after the call."""
    return req.task.keeps_the_mask and req.outpainting_mode == "PRECISE"


def put_back_kept_object(req: EditRequest, produced: Produced) -> None:
    """PRECISE on Stability: the kept object's original pixels over each result, exactly (saved as PNG)."""
    assert req.mask is not None, "validated by the service"
    with Image.open(io.BytesIO(req.image)) as photo, Image.open(io.BytesIO(req.mask)) as selection:
        for n, made in enumerate(produced.images):
            with Image.open(io.BytesIO(made.data)) as result:
                restored = masks.put_back(photo, result, selection)
            buf = io.BytesIO()
            restored.save(buf, "PNG")
            produced.images[n] = image_output(buf.getvalue(), made.seed, made.index)
    produced.notes.append(_("PRECISE: Stability has no precise mode of its own, so Inpaint repainted up to the "
                            "object's exact edge (grow_mask 0) and the app then put the kept object's original "
                            "pixels back over the result, unchanged."))
    if req.output_format != "png":
        produced.notes.append(_("Saved as PNG, not {format}, so the kept pixels stay exact.").format(
            format=req.output_format.upper()))


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
        raise BackendUnavailable(_("{model} could not make this image ({reason}).").format(model=model.label, reason=text),
                                 _("Try again."), detail=text)
    images = payload.get("images") or []
    if not images:
        raise BackendUnavailable(_("{model} answered without an image.").format(model=model.label), _("Try again."),
                                 detail=str(payload)[:200])
    seeds = payload.get("seeds") or [seed]
    return b64decode(images[0]), int(seeds[0])


# --- the Image Services beyond editing (reference §1.4): each builder sends exactly the documented fields ---------


def _knob_fields(req: EditRequest | VariationRequest, model: ModelInfo) -> dict[str, Any]:
    """The service's own numeric fields (catalog ImageSpec.knobs): the value chosen, else the documented default."""
    return {knob.field: knob.value(req.knobs.get(knob.field)) for knob in model.image.knobs}


def _optional_fields(req: EditRequest | VariationRequest, seed: int) -> dict[str, Any]:
    """negative_prompt and style_preset when given (the service validated the preset), then seed and format."""
    body: dict[str, Any] = {}
    if req.negative_prompt.strip():
        body["negative_prompt"] = req.negative_prompt
    if req.style_preset:
        body["style_preset"] = req.style_preset
    return {**body, "seed": seed, "output_format": req.output_format}


def search_recolor_body(req: EditRequest, model: ModelInfo, seed: int) -> dict[str, Any]:
    """Search and Recolor: the object is named by `select_prompt` (not search_prompt), its new colours by `prompt`."""
    return {"image": b64encode(req.image), "prompt": req.prompt, "select_prompt": req.mask_prompt,
            **_knob_fields(req, model), **_optional_fields(req, seed)}


def control_body(req: VariationRequest, model: ModelInfo, seed: int) -> dict[str, Any]:
    """Control Sketch / Control Structure: the sketch or structure source as `image`, `control_strength`."""
    return {"image": b64encode(req.images[0]), "prompt": req.prompt, **_knob_fields(req, model),
            **_optional_fields(req, seed)}


def style_guide_body(req: VariationRequest, model: ModelInfo, seed: int) -> dict[str, Any]:
    """Style Guide: the style reference as `image`, `fidelity`, and the output's `aspect_ratio`."""
    return {"image": b64encode(req.images[0]), "prompt": req.prompt, **_knob_fields(req, model),
            "aspect_ratio": req.aspect_ratio or "1:1", **_optional_fields(req, seed)}


def style_transfer_body(req: VariationRequest, model: ModelInfo, seed: int) -> dict[str, Any]:
    """Style Transfer: two images, `init_image` (the content) and `style_image` (no `image` field); prompt optional."""
    body: dict[str, Any] = {"init_image": b64encode(req.images[0]), "style_image": b64encode(req.images[1])}
    if req.prompt.strip():
        body["prompt"] = req.prompt
    return {**body, **_knob_fields(req, model), **_optional_fields(req, seed)}


def upscale_body(req: EditRequest, model: ModelInfo, seed: int) -> dict[str, Any]:
    """Fast Upscale takes the image and the format only; Conservative and Creative also a prompt and creativity."""
    if model.image.prompt_use is PromptUse.NOT_TAKEN:
        return {"image": b64encode(req.image), "output_format": req.output_format}
    return {"image": b64encode(req.image), "prompt": req.prompt, **_knob_fields(req, model),
            **_optional_fields(req, seed)}


SERVICE_BODIES = {Task.RECOLOR_BY_PROMPT: search_recolor_body, Task.CONTROL_SKETCH: control_body,
                  Task.CONTROL_STRUCTURE: control_body, Task.STYLE_GUIDE: style_guide_body,
                  Task.STYLE_TRANSFER: style_transfer_body, Task.UPSCALE: upscale_body}


class StabilityImageEngine(ImageEngine):
    """One image per call; masks are white = change; no mask prompt (background subjects come from Remove
    Background, a second call)."""

    mask_polarity = Polarity.WHITE_MARKS
    prompt_always_required = True
    one_image_per_call = True

    count_help = N_("Stability makes one image per call; several calls run in parallel.")

    def body(self, req: ImageRequest, model: ModelInfo, seed: int) -> dict[str, Any]:
        if req.task in SERVICE_BODIES:
            return SERVICE_BODIES[req.task](req, model, seed)
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

        produced = fan_out(model, bodies, call, seeds)
        if isinstance(req, EditRequest) and puts_back_kept_object(req):
            put_back_kept_object(req, produced)
        elif isinstance(req, EditRequest) and mask_reach_px(req):
            produced.notes.append(
                f"DEFAULT: the mask reached {mask_reach_px(req)} px into the kept object with falling strength "
                f"(grey = partial) and grow_mask {OUTPAINT_GROW_MASK['DEFAULT']} widened it, so Inpaint could "
                "reshape the object's edge to blend it into the new scene.")
        return produced

    def mask_reach_px(self, req: EditRequest) -> int:
        return mask_reach_px(req)

    def puts_back_kept_object(self, req: EditRequest) -> bool:
        return puts_back_kept_object(req)

    def uses_mask_prompt(self, task: Task) -> bool:
        # The object to keep is found by Remove Background, not by its name.
        return task.uses_mask_prompt and task is not Task.OUTPAINT_BY_PROMPT

    def mask_prompt_reason(self, task: Task) -> str:
        if task is Task.OUTPAINT_BY_PROMPT:
            return _("Stability can't be told which object to keep: Remove Background finds the main subject "
                     "itself (a first call), then Inpaint repaints everything else.")
        return ""

    def outpainting_mode_help(self, mode: str) -> str:
        if mode == "DEFAULT":
            return _("DEFAULT: Stability repaints the new scene and also the kept object's rim: the mask reaches "
                     "{reach} px into the object with falling strength (grey = partial) and grow_mask {grow} widens "
                     "it, so the object's edge and outline may change to blend into the scene.").format(
                         reach=DEFAULT_REACH_PX, grow=OUTPAINT_GROW_MASK["DEFAULT"])
        if mode == "PRECISE":
            return _("PRECISE: Stability repaints only around the object (grow_mask 0), then the app puts the "
                     "object's original pixels back exactly: not one of them changes, and its edge stays sharp (it "
                     "may look cut out).")
        return ""

    def helper_models(self, task: Task) -> tuple[str, ...]:
        return (REMOVE_BACKGROUND_ID,) if task is Task.OUTPAINT_BY_PROMPT else ()

    def pre_step(self, req: EditRequest, model: ModelInfo, settings: Settings) -> PreStep | None:
        """A new background: Remove Background finds the subject to keep, then Inpaint repaints the rest."""
        if req.task is not Task.OUTPAINT_BY_PROMPT:
            return None
        helper = get_model(REMOVE_BACKGROUND_ID)
        region, invoke_id, _note = call_target(helper, settings.region)
        result = invoke_json(helper, invoke_id, region, remove_background_body(req), settings)
        cutout, _seed = parse_image(result.payload, helper, 0)
        with Image.open(io.BytesIO(cutout)) as img:
            alpha = img.convert("RGBA").getchannel("A")
        subject = alpha.point(lambda v: 255 if v >= 128 else 0)
        if masks.coverage(subject) == 0:
            raise InvalidInput(_("Remove Background found no subject to keep in this image."),
                               _("Try a photo with one clear subject, or draw the mask in lab 4."))
        buf = io.BytesIO()
        subject.save(buf, "PNG")
        return PreStep(request=replace(req, mask=buf.getvalue()), cost_usd=helper.price.per_image(),
                       notes=[_("Remove Background found the main subject to keep (Stability can't be told which "
                                "object), then Inpaint repainted everything else: two calls.")])
