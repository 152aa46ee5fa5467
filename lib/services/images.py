"""generate(), vary() and edit(): validate against the catalog, then hand the request to the row's engine.

The only module pages call for labs 2–7. Validation happens here, before any call, so a too-long prompt
costs nothing and loses nothing; what differs between model families is the engine's (lib/engines),
found by `engine_for(row)`, never by a branch here.
"""

from __future__ import annotations

import io
import secrets
import time
from dataclasses import dataclass, replace
from typing import Any

from PIL import Image

from lib import masks
from lib.catalog import (
    ModelInfo,
    PromptUse,
    Task,
    call_target,
    get_model,
    output_size,
    require_callable_shape,
)
from lib.engines.image_base import CallTarget, ImageEngine, call_seeds
from lib.engines.registry import engine_for
from lib.errors import InvalidInput
from lib.i18n import N_, _, format_number, ngettext
from lib.generation.requests import (
    EditRequest,
    GenerationRequest,
    GenerationResult,
    ImageRequest,
    VariationRequest,
    redact_body,
)
from lib.imaging import encode_for_model, fit_image, image_size
from lib.services.outpainting import kept_notes
from lib.settings import Settings, load_settings

__all__ = ["call_seeds", "generate", "vary", "edit", "estimate_cost", "expected_size", "prepare_input",
           "prepare_edit_input", "validate", "validate_edit", "request_body", "engine_of", "model_mask",
           "sent_instruction"]

MAX_IMAGES_PER_RUN = 5
MAX_EXTEND_PX = 2000  # Stability Outpaint's limit per side


def engine_of(model: ModelInfo) -> ImageEngine:
    """The engine that serves an image model's catalog row."""
    return engine_for(model)


def random_seed(model: ModelInfo) -> int:
    """A seed in the model's range (never 0: Stability reads 0 as 'pick one for me'); 0 for seedless engines."""
    return secrets.randbelow(model.image.seed_max) + 1 if model.image.seed_max else 0


def check_text(model: ModelInfo, text: str, limit: int, what: str, *, required: bool) -> None:
    """Refuse an empty or over-long prompt before it costs a call (`what`: the text's name, marked with N_())."""
    if required and not text.strip():
        raise InvalidInput(_("The {what} is empty.").format(what=_(what)),
                           _("Describe what you want {model} to make.").format(model=model.label))
    if len(text) > limit:
        over = len(text) - limit
        raise InvalidInput(_("The {what} is {length} characters; {model} accepts at most {limit}.").format(
            what=_(what), length=format_number(len(text)), model=model.label, limit=format_number(limit)),
            ngettext("Shorten it by {count} character.", "Shorten it by {count} characters.", over).format(
                count=format_number(over)))


def prompt_required(model: ModelInfo, task: Task) -> bool:
    """Whether `task` on `model` can't run without a prompt (pages say so next to the box)."""
    if model.image.prompt_use is not None:  # an Image Service's own rule (Style Transfer, the upscalers)
        return model.image.prompt_use is PromptUse.REQUIRED
    return engine_of(model).prompt_required(task)


def check_service_fields(req: VariationRequest | EditRequest, model: ModelInfo) -> None:
    """The Image Services' own fields: knobs within their ranges, a style preset they take, no prompt where
    none is taken, and each input image its role needs (Style Transfer: a photo and a style image)."""
    spec = model.image
    knobs = {knob.field: knob for knob in spec.knobs}
    for name, value in req.knobs.items():
        knob = knobs.get(name)
        if knob is None:
            raise InvalidInput(_("{model} has no setting “{name}”.").format(model=model.label, name=name),
                               _("Use the settings the page shows."))
        if not isinstance(value, (int, float)) or not knob.minimum <= value <= knob.maximum:
            raise InvalidInput(_("{setting} must be between {minimum} and {maximum} for {model}, not {value}.").format(
                setting=_(knob.label), minimum=f"{knob.minimum:g}", maximum=f"{knob.maximum:g}", model=model.label,
                value=value), _("Use a value in that range (the default is {default}).").format(
                    default=f"{knob.default:g}"))
    if req.style_preset and req.style_preset not in spec.style_presets:
        raise InvalidInput(_("{model} has no style preset “{preset}”.").format(model=model.label,
                                                                                preset=req.style_preset),
                           _("Pick one of {choices}.").format(choices=", ".join(spec.style_presets))
                           if spec.style_presets else _("Leave the style preset empty."))
    if spec.prompt_use is PromptUse.NOT_TAKEN and (req.prompt.strip() or req.negative_prompt.strip()):
        raise InvalidInput(_("{model} takes no prompt.").format(model=model.label),
                           _("Leave the prompt empty, or pick a model that takes one."))
    roles = spec.input_roles
    if isinstance(req, VariationRequest) and roles and len(req.images) != len(roles):
        missing = roles[len(req.images)] if len(req.images) < len(roles) else None
        named = [_(role).lower() for role in roles]  # the roles are marked in the catalog
        raise InvalidInput(_("{model} needs {count} images: {roles}; it got {got}.").format(
            model=model.label, count=len(roles), roles=_(" and ").join(named), got=len(req.images)),
            _("Choose the {role} too.").format(role=_(missing).lower()) if missing
            else _("Send exactly {count} images.").format(count=len(roles)))
    if isinstance(req, VariationRequest) and req.aspect_ratio and req.aspect_ratio not in spec.aspect_ratios:
        raise InvalidInput(_("{model} has no aspect ratio {ratio}.").format(model=model.label, ratio=req.aspect_ratio),
                           _("Pick one of {choices}.").format(choices=", ".join(spec.aspect_ratios))
                           if spec.aspect_ratios else _("It keeps the input's shape: leave the aspect ratio empty."))


def check_count_and_seed(req: ImageRequest, model: ModelInfo) -> None:
    """The image count and the seed, for every kind of request: both within the model's range."""
    if not 1 <= req.count <= MAX_IMAGES_PER_RUN:
        raise InvalidInput(_("Ask for 1 to {maximum} images, not {count}.").format(maximum=MAX_IMAGES_PER_RUN,
                                                                                  count=req.count))
    if req.seed is not None and not 0 <= req.seed <= model.image.seed_max:
        raise InvalidInput(_("The seed must be between 0 and {maximum} for {model}.").format(
            maximum=format_number(model.image.seed_max), model=model.label))


def validate(req: ImageRequest, model: ModelInfo) -> None:
    """Every catalog limit that can be checked without calling the model."""
    spec = model.image
    require_callable_shape(model, req.task)
    check_text(model, req.prompt, spec.prompt_max_chars, N_("prompt"), required=prompt_required(model, req.task))
    check_text(model, req.negative_prompt, spec.negative_max_chars, N_("negative prompt"), required=False)
    check_count_and_seed(req, model)
    sized = isinstance(req, (GenerationRequest, VariationRequest))
    if sized and spec.output_rule and not spec.output_rule.accepts(req.width, req.height):
        raise InvalidInput(_("{model} can't make {width}×{height} images.").format(model=model.label, width=req.width,
                                                                                  height=req.height),
                           _("Pick a size from the list ({sizes}).").format(sizes=spec.output_rule.describe()))
    if spec.qualities and req.quality not in spec.qualities:
        raise InvalidInput(_("Quality must be one of {choices}.").format(choices=", ".join(spec.qualities)))
    if spec.cfg and req.cfg_scale is not None and not spec.cfg.minimum <= req.cfg_scale <= spec.cfg.maximum:
        raise InvalidInput(_("{setting} must be between {minimum} and {maximum}.").format(
            setting=_(spec.cfg.label), minimum=spec.cfg.minimum, maximum=spec.cfg.maximum))
    if isinstance(req, GenerationRequest) and spec.aspect_ratios and req.aspect_ratio not in spec.aspect_ratios:
        raise InvalidInput(_("{model} has no aspect ratio {ratio}.").format(model=model.label, ratio=req.aspect_ratio),
                           _("Pick one of {choices}.").format(choices=", ".join(spec.aspect_ratios)))
    if req.output_format not in spec.output_formats:
        raise InvalidInput(_("Output format must be one of {choices}.").format(choices=", ".join(spec.output_formats)))
    if isinstance(req, VariationRequest):
        if not req.images:
            raise InvalidInput(_("Choose an input image first."), _("Pick a sample, upload one, or reuse a result."))
        if len(req.images) > spec.max_input_images:
            raise InvalidInput(ngettext("{model} takes at most {maximum} input image, not {count}.",
                                        "{model} takes at most {maximum} input images, not {count}.",
                                        spec.max_input_images).format(model=model.label,
                                                                      maximum=spec.max_input_images,
                                                                      count=len(req.images)))
        knob = spec.variation_knob
        if knob and req.strength is not None and not knob.minimum <= req.strength <= knob.maximum:
            raise InvalidInput(_("{setting} must be between {minimum} and {maximum}.").format(
                setting=_(knob.label), minimum=knob.minimum, maximum=knob.maximum))
        check_service_fields(req, model)


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


def _cost(model: ModelInfo, req: ImageRequest, images: list) -> float:
    return sum(model.price.per_image(req.quality, img.width, img.height) for img in images)


def request_body(req: ImageRequest, model: ModelInfo, seed: int) -> dict[str, Any]:
    """The body the model's engine sends for `req` with `seed` (lib/codegen.py shows it as code)."""
    return engine_of(model).body(req, model, seed)


def sent_instruction(req: ImageRequest) -> str | None:
    """The words an instruction-following model is sent for `req` (pages show them); None for field-based models."""
    model = get_model(req.model_id)
    return engine_of(model).instruction(req) if model.supports(req.task) else None


def model_mask(model: ModelInfo, selection_png: bytes, task: Task) -> bytes | None:
    """The selection as the mask file `model`'s family expects (the mask editor's download); None if it takes none."""
    engine = engine_of(model)
    return engine.model_mask(selection_png, task) if engine.mask_polarity is not None else None


def _run(req: ImageRequest, settings: Settings | None, *, checked: bool = False) -> GenerationResult:
    settings = settings or load_settings()
    model = get_model(req.model_id)
    if not checked:
        validate(req, model)
    engine = engine_of(model)
    seed = req.seed if req.seed is not None else random_seed(model)
    req = req.with_seed(seed)
    region, invoke_id, region_note = call_target(model, settings.region)
    notes = [region_note] if region_note and not model.runs_locally else []
    extra_cost = 0.0
    started = time.perf_counter()
    if isinstance(req, EditRequest):
        step = engine.pre_step(req, model, settings)
        if step is not None:
            req, extra_cost, notes = step.request, step.cost_usd, step.notes + notes
    produced = engine.produce(req, model, seed, CallTarget(region, invoke_id), settings)
    latency = time.perf_counter() - started
    if isinstance(req, EditRequest):  # outpainting: how many pixels of the kept object each result changed
        produced.notes.extend(kept_notes(model, req, produced.images))
    return GenerationResult(model=model, request=req, images=produced.images, latency_s=latency,
                            cost_usd=_cost(model, req, produced.images) + extra_cost,
                            region=produced.region or region, request_body=redact_body(produced.body),
                            notes=notes + produced.notes, problems=produced.problems)


PROMPT_NAMES = {Task.RECOLOR_BY_PROMPT: N_("description of the new colours"),
                Task.UPSCALE: N_("description of the image")}  # marked: check_text translates them


def validate_edit(req: EditRequest, model: ModelInfo) -> None:
    """Every editing rule that can be checked before a call: task, texts, mask, sizes."""
    spec = model.image
    engine = engine_of(model)
    require_callable_shape(model, req.task)
    task = req.task
    what = PROMPT_NAMES.get(task, N_("description of the new scene") if task.keeps_the_mask
                            else N_("replacement prompt"))
    check_text(model, req.prompt, spec.prompt_max_chars, what, required=prompt_required(model, task))
    check_service_fields(req, model)
    check_text(model, req.negative_prompt, spec.negative_max_chars, N_("negative prompt"), required=False)
    check_count_and_seed(req, model)
    modes = engine.outpainting_modes
    if task.keeps_the_mask and modes and req.outpainting_mode not in modes:
        raise InvalidInput(_("Outpainting mode must be {modes} for {model}.").format(modes=_(" or ").join(modes),
                                                                                    model=model.label))
    size = image_size(req.image)
    if spec.edit_rule and not spec.edit_rule.accepts(*size):
        raise InvalidInput(_("{model} can't edit a {width}×{height} image ({rule}).").format(
            model=model.label, width=size[0], height=size[1], rule=spec.edit_rule.describe()),
            _("Let the app fit the image to the model first."))
    if task in (Task.REMOVE_BACKGROUND, Task.UPSCALE):
        pass  # the image is all it takes
    elif task is Task.EXTEND:
        if not any(req.extend) or min(req.extend) < 0 or max(req.extend) > MAX_EXTEND_PX:
            raise InvalidInput(_("Extend at least one side, by 0–{maximum} pixels each.").format(
                maximum=MAX_EXTEND_PX))
    elif task.uses_mask_prompt:
        if engine.uses_mask_prompt(task):
            check_text(model, req.mask_prompt, spec.prompt_max_chars, N_("mask prompt (the object to find)"),
                       required=True)
    else:
        if not req.mask:
            raise InvalidInput(_("There is no mask yet."), _("Paint, place or upload a mask first."))
        with Image.open(io.BytesIO(req.mask)) as sel:
            if sel.size != size:
                raise InvalidInput(_("The mask is {mask_width}×{mask_height} but the image is {width}×{height}.")
                                   .format(mask_width=sel.size[0], mask_height=sel.size[1], width=size[0],
                                           height=size[1]),
                                   _("Make the mask on this image, or resize it to the image."))
            masks.check_usable(sel.convert("L"), masks.PaintMode.OUTPAINTING if task.keeps_the_mask
                               else masks.PaintMode.INPAINTING)


def prepare_edit_input(model: ModelInfo, image: Image.Image) -> PreparedImage:
    """Fit an image to the model's editing rules (the mask is made on the fitted image)."""
    rule = model.image.edit_rule or model.image.input_rule
    fitted = fit_image(image, rule)
    data, encode_notes = encode_for_model(fitted.image)
    return PreparedImage(data=data, size=fitted.image.size, notes=fitted.notes + encode_notes)


def edit(req: EditRequest, settings: Settings | None = None) -> GenerationResult:
    """Inpaint, outpaint, replace or remove — on the model family's own terms."""
    validate_edit(req, get_model(req.model_id))
    return _run(req, settings, checked=True)


def generate(req: GenerationRequest, settings: Settings | None = None) -> GenerationResult:
    """Text to image on any catalog model that can do it."""
    return _run(req, settings)


def vary(req: VariationRequest, settings: Settings | None = None) -> GenerationResult:
    """Image variation (Titan/Nova) or image-to-image (SD3.5 Large)."""
    return _run(req, settings)


def helper_models(model: ModelInfo, task: Task) -> list[ModelInfo]:
    """Other catalog models a task on `model` also calls (readiness checks them; the estimate counts them)."""
    return [get_model(model_id) for model_id in engine_of(model).helper_models(task)]


def expected_size(req: GenerationRequest) -> tuple[int, int]:
    """The output size before calling, for the cost estimate."""
    model = get_model(req.model_id)
    return output_size(model, req.width, req.height, req.aspect_ratio)


def estimate_cost(req: ImageRequest) -> float:
    """Estimated USD for the request as it stands (shown next to the button)."""
    model = get_model(req.model_id)
    if isinstance(req, GenerationRequest):
        w, h = expected_size(req)
    elif isinstance(req, EditRequest):
        w, h = image_size(req.image)
    else:
        w, h = req.width, req.height
    extra = sum(helper.price.per_image() for helper in helper_models(model, req.task))
    return model.price.per_image(req.quality, w, h) * req.count + extra
