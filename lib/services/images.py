"""generate() and vary(): validate against the catalog, dispatch to the family adapter, call Bedrock.

The only module pages call for labs 2 and 3. Validation happens here, before any
call, so a too-long prompt costs nothing and loses nothing.
"""

from __future__ import annotations

import io
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, Callable

from PIL import Image

from lib.bedrock import invoke_json
from lib import masks
from lib.catalog import (
    REMOVE_BACKGROUND_ID,
    Family,
    ModelInfo,
    Task,
    call_target,
    get_model,
    output_size,
    require_callable_shape,
)
from lib.errors import InvalidInput, WorkshopError
from lib.generation import stability, titan
from lib.generation.requests import (
    EditRequest,
    GenerationRequest,
    GenerationResult,
    ImageOutput,
    ImageRequest,
    VariationRequest,
    redact_body,
)
from lib.imaging import encode_for_model, fit_image, image_size, sniff_format
from lib.settings import Settings, load_settings

MAX_IMAGES_PER_RUN = 5
MAX_EXTEND_PX = 2000  # Stability Outpaint's limit per side


def random_seed(model: ModelInfo) -> int:
    """A seed in the model's range (never 0: Stability reads 0 as 'pick one for me')."""
    return secrets.randbelow(model.image.seed_max) + 1


def check_text(model: ModelInfo, text: str, limit: int, what: str, *, required: bool) -> None:
    """Refuse an empty or over-long prompt before it costs a call."""
    if required and not text.strip():
        raise InvalidInput(f"The {what} is empty.", f"Describe what you want {model.label} to make.")
    if len(text) > limit:
        over = len(text) - limit
        raise InvalidInput(f"The {what} is {len(text):,} characters; {model.label} accepts at most {limit:,}.",
                           f"Shorten it by {over:,} character{'s' if over != 1 else ''}.")


def validate(req: ImageRequest, model: ModelInfo) -> None:
    """Every catalog limit that can be checked without calling the model."""
    spec = model.image
    require_callable_shape(model, req.task)
    prompt_required = req.task is Task.TEXT_TO_IMAGE or model.family is Family.STABILITY_IMAGE
    check_text(model, req.prompt, spec.prompt_max_chars, "prompt", required=prompt_required)
    check_text(model, req.negative_prompt, spec.negative_max_chars, "negative prompt", required=False)
    if not 1 <= req.count <= MAX_IMAGES_PER_RUN:
        raise InvalidInput(f"Ask for 1 to {MAX_IMAGES_PER_RUN} images, not {req.count}.")
    if req.seed is not None and not 0 <= req.seed <= spec.seed_max:
        raise InvalidInput(f"The seed must be between 0 and {spec.seed_max:,} for {model.label}.")
    if model.family is Family.TITAN_IMAGE:
        if spec.output_rule and not spec.output_rule.accepts(req.width, req.height):
            raise InvalidInput(f"{model.label} can't make {req.width}×{req.height} images.",
                               f"Pick a size from the list ({spec.output_rule.describe()}).")
        if spec.qualities and req.quality not in spec.qualities:
            raise InvalidInput(f"Quality must be one of {', '.join(spec.qualities)}.")
        if spec.cfg and req.cfg_scale is not None and not spec.cfg.minimum <= req.cfg_scale <= spec.cfg.maximum:
            raise InvalidInput(f"{spec.cfg.label} must be between {spec.cfg.minimum} and {spec.cfg.maximum}.")
    else:
        if isinstance(req, GenerationRequest) and req.aspect_ratio not in spec.aspect_ratios:
            raise InvalidInput(f"{model.label} has no aspect ratio {req.aspect_ratio}.",
                               f"Pick one of {', '.join(spec.aspect_ratios)}.")
        if req.output_format not in spec.output_formats:
            raise InvalidInput(f"Output format must be one of {', '.join(spec.output_formats)}.")
    if isinstance(req, VariationRequest):
        if not req.images:
            raise InvalidInput("Choose an input image first.", "Pick a sample, upload one, or reuse a result.")
        if len(req.images) > spec.max_input_images:
            raise InvalidInput(f"{model.label} takes at most {spec.max_input_images} input image"
                               f"{'s' if spec.max_input_images > 1 else ''}, not {len(req.images)}.")
        knob = spec.variation_knob
        if knob and req.strength is not None and not knob.minimum <= req.strength <= knob.maximum:
            raise InvalidInput(f"{knob.label} must be between {knob.minimum} and {knob.maximum}.")


@dataclass
class PreparedImage:
    """An input image as it will be sent, with what was changed to make it acceptable."""

    data: bytes
    size: tuple[int, int]
    notes: list[str]


def prepare_input(model: ModelInfo, image: Image.Image) -> PreparedImage:
    """Fit an input image to the model's rules (size, pixels, format) and say what changed."""
    fitted = fit_image(image, model.image.input_rule)
    data, encode_notes = encode_for_model(fitted.image)
    return PreparedImage(data=data, size=fitted.image.size, notes=fitted.notes + encode_notes)


def _output(data: bytes, seed: int, index: int) -> ImageOutput:
    width, height = image_size(data)
    return ImageOutput(data=data, format=sniff_format(data) or "png", seed=seed, width=width, height=height,
                       index=index)


def _cost(model: ModelInfo, req: ImageRequest, images: list[ImageOutput]) -> float:
    return sum(model.price.per_image(req.quality, img.width, img.height) for img in images)


BodyBuilder = Callable[[Any, ModelInfo, int], dict[str, Any]]


def call_seeds(model: ModelInfo, seed: int, count: int) -> list[int]:
    """The seed of each call of a one-image-per-call model (Stability): seed, seed+1, ... wrapping, never repeating."""
    return [(seed + i - 1) % model.image.seed_max + 1 for i in range(count)]


def _run(req: ImageRequest, titan_body: BodyBuilder, stability_body: BodyBuilder,
         settings: Settings | None, check: Callable[[Any, ModelInfo], None] = validate) -> GenerationResult:
    settings = settings or load_settings()
    model = get_model(req.model_id)
    check(req, model)
    seed = req.seed if req.seed is not None else random_seed(model)
    req = req.with_seed(seed)
    region, invoke_id, region_note = call_target(model, settings.region)
    notes = [region_note] if region_note else []
    started = time.perf_counter()

    if model.family is Family.TITAN_IMAGE:
        # One call returns up to 5 images, all from the same seed.
        body = titan_body(req, model, seed)
        result = invoke_json(model, invoke_id, region, body, settings)
        images = [_output(data, seed, i) for i, data in enumerate(titan.parse_images(result.payload, model))]
        if len(images) > 1:
            notes.append("All images of one Titan/Nova call share the seed; reuse it with the same count to get "
                         "the same set.")
        problems: list[str] = []
    else:
        # One image per call: N calls in parallel, seeds seed, seed+1, ... so each is reproducible alone.
        seeds = call_seeds(model, seed, req.count)
        bodies = [stability_body(req, model, s) for s in seeds]
        body = bodies[0]

        def call(b: dict[str, Any]) -> tuple[bytes, int]:
            res = invoke_json(model, invoke_id, region, b, settings)
            return stability.parse_image(res.payload, model, b["seed"])

        outcomes: list[tuple[bytes, int] | WorkshopError] = []
        if len(bodies) == 1:  # the usual case: no pool to start and join (threads are slow to start under load)
            try:
                outcomes.append(call(bodies[0]))
            except WorkshopError as exc:
                outcomes.append(exc)
        else:
            with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
                futures = [pool.submit(call, b) for b in bodies]
                for fut in futures:
                    try:
                        outcomes.append(fut.result())
                    except WorkshopError as exc:
                        outcomes.append(exc)
        images = [_output(o[0], o[1], i) for i, o in enumerate(outcomes) if not isinstance(o, WorkshopError)]
        failures = [o for o in outcomes if isinstance(o, WorkshopError)]
        if not images:
            raise failures[0]
        problems = [f"Image {i + 1} of {len(outcomes)}: {o.message}" for i, o in enumerate(outcomes)
                    if isinstance(o, WorkshopError)]
        if req.count > 1:
            notes.append(f"{model.label} makes one image per call; {req.count} calls ran in parallel "
                         f"with seeds {seeds[0]}–{seeds[-1]}.")

    latency = time.perf_counter() - started
    return GenerationResult(model=model, request=req, images=images, latency_s=latency,
                            cost_usd=_cost(model, req, images), region=region, request_body=redact_body(body),
                            notes=notes, problems=problems)


# Which adapter builds the body of each kind of request: (Titan/Nova Canvas, Stability). The one table for
# generate/vary/edit below and for lib/codegen.py, which shows the same bodies as code.
BODY_BUILDERS: dict[type, tuple[BodyBuilder, BodyBuilder]] = {
    GenerationRequest: (titan.text_to_image_body, stability.text_to_image_body),
    VariationRequest: (titan.variation_body, stability.image_to_image_body),
    EditRequest: (titan.edit_body, stability.edit_body),
}


def validate_edit(req: EditRequest, model: ModelInfo) -> None:
    """Every editing rule that can be checked before a call: task, texts, mask, sizes."""
    spec = model.image
    require_callable_shape(model, req.task)
    task = req.task
    erase = task in (Task.ERASE, Task.ERASE_BY_PROMPT)
    prompt_required = not erase and task is not Task.EXTEND and (
        model.family is Family.STABILITY_IMAGE or task.keeps_the_mask)
    what = "description of the new scene" if task.keeps_the_mask else "replacement prompt"
    check_text(model, req.prompt, spec.prompt_max_chars, what, required=prompt_required)
    check_text(model, req.negative_prompt, spec.negative_max_chars, "negative prompt", required=False)
    if not 1 <= req.count <= MAX_IMAGES_PER_RUN:
        raise InvalidInput(f"Ask for 1 to {MAX_IMAGES_PER_RUN} images, not {req.count}.")
    if req.seed is not None and not 0 <= req.seed <= spec.seed_max:
        raise InvalidInput(f"The seed must be between 0 and {spec.seed_max:,} for {model.label}.")
    if req.outpainting_mode not in ("DEFAULT", "PRECISE"):
        raise InvalidInput("Outpainting mode must be DEFAULT or PRECISE.")
    size = image_size(req.image)
    if spec.edit_rule and not spec.edit_rule.accepts(*size):
        raise InvalidInput(f"{model.label} can't edit a {size[0]}×{size[1]} image ({spec.edit_rule.describe()}).",
                           "Let the app fit the image to the model first.")
    derives_mask = model.family is Family.STABILITY_IMAGE and task is Task.OUTPAINT_BY_PROMPT
    if task is Task.EXTEND:
        if not any(req.extend) or min(req.extend) < 0 or max(req.extend) > MAX_EXTEND_PX:
            raise InvalidInput(f"Extend at least one side, by 0–{MAX_EXTEND_PX} pixels each.")
    elif task.uses_mask_prompt and not derives_mask:
        check_text(model, req.mask_prompt, spec.prompt_max_chars, "mask prompt (the object to find)", required=True)
    elif not task.uses_mask_prompt:
        if not req.mask:
            raise InvalidInput("There is no mask yet.", "Paint, place or upload a mask first.")
        with Image.open(io.BytesIO(req.mask)) as sel:
            if sel.size != size:
                raise InvalidInput(f"The mask is {sel.size[0]}×{sel.size[1]} but the image is {size[0]}×{size[1]}.",
                                   "Make the mask on this image, or resize it to the image.")
            masks.check_usable(sel.convert("L"), masks.PaintMode.OUTPAINTING if task.keeps_the_mask
                               else masks.PaintMode.INPAINTING)


def prepare_edit_input(model: ModelInfo, image: Image.Image) -> PreparedImage:
    """Fit an image to the model's editing rules (the mask is made on the fitted image)."""
    rule = model.image.edit_rule or model.image.input_rule
    fitted = fit_image(image, rule)
    data, encode_notes = encode_for_model(fitted.image)
    return PreparedImage(data=data, size=fitted.image.size, notes=fitted.notes + encode_notes)


def _subject_selection(req: EditRequest, settings: Settings) -> tuple[bytes, float]:
    """Stability background replacement, step 1: Remove Background finds the subject to keep."""
    helper = get_model(REMOVE_BACKGROUND_ID)
    region, invoke_id, _ = call_target(helper, settings.region)
    result = invoke_json(helper, invoke_id, region, stability.remove_background_body(req), settings)
    cutout, _ = stability.parse_image(result.payload, helper, 0)
    with Image.open(io.BytesIO(cutout)) as img:
        alpha = img.convert("RGBA").getchannel("A")
    subject = alpha.point(lambda v: 255 if v >= 128 else 0)
    if masks.coverage(subject) == 0:
        raise InvalidInput("Remove Background found no subject to keep in this image.",
                           "Try a photo with one clear subject, or use a Titan/Nova model with a mask prompt.")
    buf = io.BytesIO()
    subject.save(buf, "PNG")
    return buf.getvalue(), helper.price.per_image()


def edit(req: EditRequest, settings: Settings | None = None) -> GenerationResult:
    """Inpaint, outpaint, replace or remove — on the model family's own terms."""
    settings = settings or load_settings()
    model = get_model(req.model_id)
    validate_edit(req, model)
    if model.runs_locally:  # offline, no Bedrock call (issue 6, local mode)
        from lib.local.removal import erase

        return erase(req, model)
    extra_cost, notes = 0.0, []
    if model.family is Family.STABILITY_IMAGE and req.task is Task.OUTPAINT_BY_PROMPT:
        subject, extra_cost = _subject_selection(req, settings)
        req = replace(req, mask=subject)
        notes.append("Stability has no mask prompt: Remove Background found the main subject (the object-to-keep "
                     "text is not used), then Inpaint repainted everything else. Two calls.")
    result = _run(req, *BODY_BUILDERS[EditRequest], settings, check=lambda r, m: None)
    result.cost_usd += extra_cost
    result.notes = notes + result.notes
    return result


def generate(req: GenerationRequest, settings: Settings | None = None) -> GenerationResult:
    """Text to image on any catalog model that can do it."""
    return _run(req, *BODY_BUILDERS[GenerationRequest], settings)


def vary(req: VariationRequest, settings: Settings | None = None) -> GenerationResult:
    """Image variation (Titan/Nova) or image-to-image (SD3.5 Large)."""
    return _run(req, *BODY_BUILDERS[VariationRequest], settings)


def expected_size(req: GenerationRequest) -> tuple[int, int]:
    """The output size before calling, for the cost estimate."""
    model = get_model(req.model_id)
    return output_size(model, req.width, req.height, req.aspect_ratio)


def estimate_cost(req: ImageRequest) -> float:
    """Estimated USD for the request as it stands (shown next to the button)."""
    model = get_model(req.model_id)
    extra = 0.0
    if isinstance(req, GenerationRequest):
        w, h = expected_size(req)
    elif isinstance(req, EditRequest):
        w, h = image_size(req.image)
        if model.family is Family.STABILITY_IMAGE and req.task is Task.OUTPAINT_BY_PROMPT:
            extra = get_model(REMOVE_BACKGROUND_ID).price.per_image()  # the subject-finding call
    else:
        w, h = req.width, req.height
    return model.price.per_image(req.quality, w, h) * req.count + extra
