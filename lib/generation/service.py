"""generate() and vary(): validate against the catalog, dispatch to the family adapter, call Bedrock.

The only module pages call for labs 2 and 3. Validation happens here, before any
call, so a too-long prompt costs nothing and loses nothing.
"""

from __future__ import annotations

import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable

from PIL import Image

from lib.bedrock import invoke_json
from lib.catalog import Family, ModelInfo, Task, call_target, get_model, output_size, require_callable_shape
from lib.errors import InvalidInput, WorkshopError
from lib.generation import stability, titan
from lib.generation.requests import (
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


def _run(req: ImageRequest, titan_body: BodyBuilder, stability_body: BodyBuilder,
         settings: Settings | None) -> GenerationResult:
    settings = settings or load_settings()
    model = get_model(req.model_id)
    validate(req, model)
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
        seeds = [(seed + i - 1) % model.image.seed_max + 1 for i in range(req.count)]  # wrap, never repeat
        bodies = [stability_body(req, model, s) for s in seeds]
        body = bodies[0]

        def call(b: dict[str, Any]) -> tuple[bytes, int]:
            res = invoke_json(model, invoke_id, region, b, settings)
            return stability.parse_image(res.payload, model, b["seed"])

        outcomes: list[tuple[bytes, int] | WorkshopError] = []
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


def generate(req: GenerationRequest, settings: Settings | None = None) -> GenerationResult:
    """Text to image on any catalog model that can do it."""
    return _run(req, titan.text_to_image_body, stability.text_to_image_body, settings)


def vary(req: VariationRequest, settings: Settings | None = None) -> GenerationResult:
    """Image variation (Titan/Nova) or image-to-image (SD3.5 Large)."""
    return _run(req, titan.variation_body, stability.image_to_image_body, settings)


def expected_size(req: GenerationRequest) -> tuple[int, int]:
    """The output size before calling, for the cost estimate."""
    model = get_model(req.model_id)
    return output_size(model, req.width, req.height, req.aspect_ratio)


def estimate_cost(req: ImageRequest) -> float:
    """Estimated USD for the request as it stands (shown next to the button)."""
    model = get_model(req.model_id)
    if isinstance(req, GenerationRequest):
        w, h = expected_size(req)
    else:
        w, h = req.width, req.height
    return model.price.per_image(req.quality, w, h) * req.count
