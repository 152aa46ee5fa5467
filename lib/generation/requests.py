"""Request and result types shared by every image family.

Pages fill these in; adapters turn them into each family's JSON body. Nothing
here knows any model's field names.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field, fields, replace
from enum import Enum
from typing import Any

from lib.catalog import ModelInfo, Task


@dataclass(frozen=True)
class GenerationRequest:
    """Text to image."""

    model_id: str
    prompt: str
    negative_prompt: str = ""
    count: int = 1
    width: int = 1024  # Titan / Nova Canvas
    height: int = 1024
    aspect_ratio: str = "1:1"  # Stability
    quality: str = "standard"
    cfg_scale: float | None = None
    seed: int | None = None  # None: a random seed is drawn and reported
    output_format: str = "png"

    task = Task.TEXT_TO_IMAGE

    def with_seed(self, seed: int) -> "GenerationRequest":
        return replace(self, seed=seed)

    def describe(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class VariationRequest:
    """New images that stay close to one or more input images."""

    model_id: str
    images: tuple[bytes, ...]  # already fitted to the model (see service.prepare_inputs)
    prompt: str = ""
    negative_prompt: str = ""
    strength: float | None = None  # the model's variation knob: similarityStrength or strength
    count: int = 1
    width: int = 1024
    height: int = 1024
    quality: str = "standard"
    cfg_scale: float | None = None
    seed: int | None = None
    output_format: str = "png"
    # Lab 3's other kinds of variation (Stability's control and style services; catalog.VARIATION_KINDS):
    task: Task = Task.VARIATION
    knobs: dict[str, float] = field(default_factory=dict)  # the model's own knobs (catalog ImageSpec.knobs) by field
    style_preset: str = ""  # one of the model's style_presets, or none
    aspect_ratio: str = ""  # for a model whose variation shape is chosen by aspect ratio (Style Guide)

    def with_seed(self, seed: int) -> "VariationRequest":
        return replace(self, seed=seed)

    def describe(self) -> dict[str, Any]:
        data = asdict(self)
        data["images"] = [f"<image, {len(b)} bytes>" for b in self.images]
        return data


@dataclass(frozen=True)
class EditRequest:
    """Inpainting, outpainting, object replacement, recolouring or removal on one image, or an upscale of it.

    `mask` is a *selection* PNG from lib.masks (255 = the area the user means);
    the adapter converts it to the model's polarity. Tasks "by prompt" use
    `mask_prompt` instead.
    """

    model_id: str
    task: Task
    image: bytes  # already fitted to the model (see service.prepare_edit_input)
    mask: bytes | None = None
    mask_prompt: str = ""
    prompt: str = ""
    negative_prompt: str = ""
    outpainting_mode: str = "DEFAULT"  # DEFAULT lets the kept object blend; PRECISE keeps it exact
    extend: tuple[int, int, int, int] = (0, 0, 0, 0)  # Task.EXTEND: pixels to add left, right, up, down
    count: int = 1
    quality: str = "standard"
    cfg_scale: float | None = None
    seed: int | None = None
    output_format: str = "png"
    knobs: dict[str, float] = field(default_factory=dict)  # the model's own knobs (catalog ImageSpec.knobs) by field
    style_preset: str = ""  # one of the model's style_presets, or none

    def with_seed(self, seed: int) -> "EditRequest":
        return replace(self, seed=seed)

    def describe(self) -> dict[str, Any]:
        data = asdict(self)
        data["task"] = self.task.value
        data["image"] = f"<image, {len(self.image)} bytes>"
        data["mask"] = f"<mask, {len(self.mask)} bytes>" if self.mask else None
        return data


ImageRequest = GenerationRequest | VariationRequest | EditRequest


def _canonical(value: Any) -> Any:
    """A JSON-ready stand-in for a field value: bytes by their sha256, enums by value, tuples as lists."""
    if isinstance(value, (bytes, bytearray)):
        return "sha256:" + hashlib.sha256(value).hexdigest()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (tuple, list)):
        return [_canonical(v) for v in value]
    return value


# Fields added after results were first kept: left out of the fingerprint while unset, so that an earlier result
# of the same request is still found (its key was computed without them).
ADDED_LATER = frozenset({"knobs", "style_preset", "aspect_ratio"})


def request_fingerprint(req: ImageRequest) -> str:
    """sha256 of everything that decides the result except the seed, so History can find an identical request.

    The seed is left out because a request with a random seed (None) is identical to any earlier draw;
    callers compare seeds themselves (see HistoryStore.find_identical). Images and masks count by their bytes.
    """
    data = {f.name: _canonical(getattr(req, f.name)) for f in fields(req)
            if f.name != "seed" and not (f.name in ADDED_LATER and not getattr(req, f.name))}
    data["task"] = req.task.value  # a class attribute on generation and variation requests, a field on edits
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass
class ImageOutput:
    data: bytes
    format: str  # sniffed from the bytes
    seed: int
    width: int
    height: int
    index: int = 0


@dataclass
class GenerationResult:
    model: ModelInfo
    request: ImageRequest
    images: list[ImageOutput]
    latency_s: float
    cost_usd: float
    region: str
    request_body: dict[str, Any]  # what was sent, base64 shortened, for "show request"
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # per-image failures when others succeeded


_B64_RE = re.compile(r"^[A-Za-z0-9+/=\s]{200,}$")


def redact_body(body: Any) -> Any:
    """A copy of a request body with long base64 strings and raw bytes shortened, for display and history."""
    if isinstance(body, dict):
        return {k: redact_body(v) for k, v in body.items()}
    if isinstance(body, list):
        return [redact_body(v) for v in body]
    if isinstance(body, (bytes, bytearray)):  # Converse carries an image as raw bytes
        return f"<bytes, {len(body)}>"
    if isinstance(body, str) and len(body) > 200 and _B64_RE.match(body[:400]):
        return f"<base64, {len(body)} chars>"
    return body
