"""The model catalog: one row per model, the single source of truth for model facts.

Pages build their pickers from it, validators check limits from it, the cost
meter reads prices from it. Adding a model is one row here plus, at most, one
adapter. Facts and their sources: ../shared/reference/bedrock-models.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

from lib.errors import InvalidInput, ModelUnavailable
from lib.i18n import N_, _

PRICES_LAST_VERIFIED = "2026-07-19"
LOCAL_PROVIDER = N_("This machine (CPU)")  # who runs an offline engine: English, marked for the catalog


def shown_label(label: str) -> str:
    """A model's label as shown: a Bedrock model's name as it is; an offline engine's label describes it in words
    (“Local: OCR, faces and ImageNet tags”, marked with N_() on its row), so it is translated. Stored labels
    (History's `model_label`) are English, so this serves them too."""
    return _(label) if label.startswith("Local: ") else label


class Backend(StrEnum):
    """Where a model runs: on Amazon Bedrock (needs an account) or on this machine (an offline engine)."""

    BEDROCK = "bedrock"
    LOCAL = "local"


# Each row names its engine by key; lib/engines/registry.py maps the key to the code that builds the request,
# calls and parses. A new model family is one engine module plus one line there, never a branch elsewhere.
TITAN_IMAGE_ENGINE = "titan-image"  # Titan Image Generator v1/v2 and Nova Canvas share one schema
STABILITY_IMAGE_ENGINE = "stability-image"  # SD3.5 / Core / Ultra and the Stability Image Services
OPENCV_ERASER_ENGINE = "opencv-eraser"  # offline, on this machine: no request schema at all
CONVERSE_ENGINE = "converse"  # every Bedrock vision chat model
NOVA_OMNI_ENGINE = "nova-omni"  # Nova 2 Omni: images through Converse, asked for in words
LOCAL_VISION_ENGINE = "local-vision"
TITAN_EMBED_ENGINE = "titan-embed"
NOVA_EMBED_ENGINE = "nova-embed"
LOCAL_EMBED_ENGINE = "local-embed"  # ImageNet tags + looks, on this machine


class Task(StrEnum):
    TEXT_TO_IMAGE = "text-to-image"
    VARIATION = "variation"  # Titan/Nova IMAGE_VARIATION, SD3.5 image-to-image
    # Editing (labs 4–7). "by prompt": the mask is described in words instead of drawn.
    INPAINT = "inpaint"  # repaint the masked area
    OUTPAINT = "outpaint"  # keep the masked area, repaint the rest
    INPAINT_BY_PROMPT = "inpaint by prompt"  # replace the object the mask prompt names
    OUTPAINT_BY_PROMPT = "outpaint by prompt"  # keep the named object, new background
    ERASE = "erase"  # remove the masked area's content, no prompt
    ERASE_BY_PROMPT = "erase by prompt"  # remove the named object, no prompt
    REMOVE_BACKGROUND = "remove background"  # cut out the subject (transparent PNG)
    EXTEND = "extend the canvas"  # outpaint beyond the edges (Stability Outpaint)
    RECOLOR_BY_PROMPT = "recolor by prompt"  # recolour the object the mask prompt names (lab 5)
    # Kinds of variation (lab 3) beside VARIATION: each keeps something else of its input (VARIATION_KINDS).
    CONTROL_SKETCH = "sketch to image"
    CONTROL_STRUCTURE = "structure to image"
    STYLE_GUIDE = "style guide"
    STYLE_TRANSFER = "style transfer"
    UPSCALE = "upscale"  # a bigger copy of any result (an action under results and in History, not a lab)

    @property
    def uses_mask_prompt(self) -> bool:
        return self in (Task.INPAINT_BY_PROMPT, Task.OUTPAINT_BY_PROMPT, Task.ERASE_BY_PROMPT, Task.RECOLOR_BY_PROMPT)

    @property
    def draws_mask(self) -> bool:
        """The area is a drawn mask file (not named in words, not found by the model, not the whole image)."""
        return self in (Task.INPAINT, Task.OUTPAINT, Task.ERASE)

    @property
    def keeps_the_mask(self) -> bool:
        """Outpainting: the masked area is kept and everything else repainted."""
        return self in (Task.OUTPAINT, Task.OUTPAINT_BY_PROMPT)


EDIT_TASKS = frozenset({Task.INPAINT, Task.OUTPAINT, Task.INPAINT_BY_PROMPT, Task.OUTPAINT_BY_PROMPT, Task.ERASE,
                        Task.ERASE_BY_PROMPT})

# Lab 3's kinds of variation, in the order offered, each with what it keeps of its input (said under the choice).
# English, marked for the catalog: shown with _() where they are drawn.
VARIATION_KINDS: dict[Task, tuple[str, str]] = {
    Task.VARIATION: (N_("Similar images"), N_("Keeps the input's subject and look: new images close to it.")),
    Task.CONTROL_SKETCH: (N_("From a sketch"), N_("Keeps the sketch's lines: the prompt fills them with colour, "
                                                  "light and texture.")),
    Task.CONTROL_STRUCTURE: (N_("From the structure"), N_("Keeps the structure's edges (layout and outlines): the "
                                                          "prompt repaints everything else.")),
    Task.STYLE_GUIDE: (N_("In this style"), N_("Keeps the style (colours, brushwork, mood) of the image: the prompt "
                                               "says what to paint in it.")),
    Task.STYLE_TRANSFER: (N_("Style transfer"), N_("Keeps the content of the first image and the style of the "
                                                   "second: the photo repainted in that style.")),
}


class PromptUse(StrEnum):
    """What an Image Service does with a prompt, where that is the service's own fact rather than the task's."""

    REQUIRED = "required"
    OPTIONAL = "optional"
    NOT_TAKEN = "not taken"  # the body has no prompt field at all (Fast Upscale)


class Status(StrEnum):
    ACTIVE = "active"
    LEGACY = "legacy"
    END_OF_LIFE = "end of life"


@dataclass(frozen=True)
class Lifecycle:
    status: Status
    note: str = ""
    end_of_life: str | None = None  # ISO date, when known

    @property
    def callable_today(self) -> bool:
        return self.status is Status.ACTIVE

    def badge(self) -> str:
        if self.status is Status.ACTIVE:
            return _("available")
        if self.end_of_life and self.status is Status.END_OF_LIFE:
            return _("end of life since {date}").format(date=self.end_of_life)
        if self.end_of_life:
            return _("legacy, end of life {date}").format(date=self.end_of_life)
        return _(self.status.value)  # marked in lib/readiness.py and here: "legacy", "end of life"


@dataclass(frozen=True)
class SizeRule:
    """What an image's dimensions must look like for a model.

    Either an exact list of sizes (Titan) or bounds (everything else).
    """

    allowed: tuple[tuple[int, int], ...] = ()
    min_edge: int = 64
    max_edge: int = 4096
    multiple_of: int = 1
    max_pixels: int | None = None
    max_aspect: float = 4.0  # long edge / short edge

    def accepts(self, width: int, height: int) -> bool:
        if self.allowed:
            return (width, height) in self.allowed
        long_edge, short_edge = max(width, height), min(width, height)
        return (
            short_edge >= self.min_edge
            and long_edge <= self.max_edge
            and width % self.multiple_of == 0
            and height % self.multiple_of == 0
            and (self.max_pixels is None or width * height <= self.max_pixels)
            and long_edge / short_edge <= self.max_aspect + 1e-9
        )

    def describe(self) -> str:
        if self.allowed:
            return _("one of {count} fixed sizes").format(count=len(self.allowed))
        parts = [_("{minimum}–{maximum} px per side").format(minimum=self.min_edge, maximum=self.max_edge)]
        if self.multiple_of > 1:
            parts.append(_("divisible by {number}").format(number=self.multiple_of))
        if self.max_pixels:
            parts.append(_("at most {megapixels} MP").format(megapixels=f"{self.max_pixels / 1e6:.2f}"))
        parts.append(_("aspect ratio within 1:{ratio}").format(ratio=f"{self.max_aspect:g}"))
        return ", ".join(parts)


@dataclass(frozen=True)
class Knob:
    """A numeric control the UI renders straight from the catalog."""

    field: str  # the request-body field it fills
    label: str
    minimum: float
    maximum: float
    default: float
    step: float
    help: str = ""
    integer: bool = False  # sent as a whole number (grow_mask)

    def value(self, chosen: float | None) -> float | int:
        """The value to send: the one chosen, else the default, as the field's type."""
        value = self.default if chosen is None else chosen
        return int(round(value)) if self.integer else round(float(value), 2)


@dataclass(frozen=True)
class Upscaling:
    """What an upscaler makes: `factor` times the input, the long side at most `max_edge` when that is set;
    `exact` False where the model decides the final size itself (Conservative, Creative: "up to 4K")."""

    factor: int
    max_edge: int | None = None
    exact: bool = True

    def size(self, width: int, height: int) -> tuple[int, int]:
        scale = float(self.factor)
        if self.max_edge:
            scale = max(1.0, min(scale, self.max_edge / max(width, height)))
        return int(width * scale + 0.5), int(height * scale + 0.5)

    def describe(self, width: int, height: int) -> str:
        w, h = self.size(width, height)
        if self.exact:
            return f"{w}×{h} ({self.factor}×)"
        return _("up to 4K, about {width}×{height} (the model picks the exact size)").format(width=w, height=h)


@dataclass(frozen=True)
class ImagePrice:
    """On-demand price per output image in USD (see PRICES_LAST_VERIFIED)."""

    standard: float
    premium: float | None = None
    large_standard: float | None = None  # for images above `large_above_pixels`
    large_premium: float | None = None
    large_above_pixels: int | None = None

    def per_image(self, quality: str = "standard", width: int = 1024, height: int = 1024) -> float:
        large = self.large_above_pixels is not None and width * height > self.large_above_pixels
        if quality == "premium" and self.premium is not None:
            return (self.large_premium if large and self.large_premium is not None else self.premium)
        return self.large_standard if large and self.large_standard is not None else self.standard


@dataclass(frozen=True)
class ImageSpec:
    """Limits of an image model, checked before any call."""

    prompt_max_chars: int
    negative_max_chars: int
    seed_max: int
    max_images_per_call: int  # Titan/Nova return up to 5 per call; Stability returns 1
    output_sizes: tuple[tuple[int, int], ...] = ()  # offered W×H for text-to-image
    output_rule: SizeRule | None = None
    aspect_ratios: tuple[str, ...] = ()  # Stability chooses shape by aspect ratio
    input_rule: SizeRule = SizeRule()
    max_input_images: int = 1
    qualities: tuple[str, ...] = ()
    cfg: Knob | None = None
    variation_knob: Knob | None = None
    output_formats: tuple[str, ...] = ("png",)
    edit_rule: SizeRule | None = None  # what the image (and mask) must fit for editing tasks
    ratio_in_prompt: bool = False  # no size field: the aspect ratio is asked for in the prompt's words (Nova 2 Omni)
    # Stability's Image Services beyond the editing five (reference §1.4):
    knobs: tuple[Knob, ...] = ()  # the service's own numeric fields, each a slider, sent under its field name
    prompt_use: PromptUse | None = None  # None: the engine's rule for the task decides
    input_roles: tuple[str, ...] = ()  # inputs with different jobs, in order (Style Transfer: photo, then style)
    style_presets: tuple[str, ...] = ()  # the `style_preset` values it takes; empty: no such field
    variation_aspect: bool = False  # a variation's shape is chosen by `aspect_ratio`, not kept from the input
    upscaling: Upscaling | None = None  # what Task.UPSCALE makes of an input


@dataclass(frozen=True)
class ModelInfo:
    id: str
    label: str
    provider: str
    engine: str  # a key of lib/engines/registry.py
    tasks: frozenset[Task]
    regions: tuple[str, ...]
    lifecycle: Lifecycle
    price: ImagePrice
    image: ImageSpec
    inference_profile_prefix: str | None = None  # "us" → call "us.<id>"
    from_workshop: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)
    backend: Backend = Backend.BEDROCK
    preview: bool = False  # a Bedrock preview: may change or go away without the usual notice

    def supports(self, task: Task) -> bool:
        return task in self.tasks

    @property
    def runs_locally(self) -> bool:
        return self.backend is Backend.LOCAL

    def picker_label(self) -> str:
        label = shown_label(self.label)
        label = _("{model} (preview)").format(model=label) if self.preview else label
        return label if self.lifecycle.callable_today else f"{label} — {self.lifecycle.badge()}"


# --- facts shared by several rows -------------------------------------------

TITAN_SIZES: tuple[tuple[int, int], ...] = (
    (1024, 1024), (768, 768), (512, 512),
    (768, 1152), (384, 576), (1152, 768), (576, 384),
    (768, 1280), (384, 640), (1280, 768), (640, 384),
    (896, 1152), (448, 576), (1152, 896), (576, 448),
    (768, 1408), (384, 704), (1408, 768), (704, 384),
    (640, 1408), (320, 704), (1408, 640), (704, 320),
    (1152, 640), (1173, 640),
)

NOVA_OUTPUT_SIZES: tuple[tuple[int, int], ...] = (
    (1024, 1024), (768, 768), (512, 512), (1280, 720), (720, 1280),
    (1152, 896), (896, 1152), (1536, 1024), (1024, 1536), (2048, 2048),
)

# Stability returns about one megapixel; these are the sizes per aspect ratio.
STABILITY_ASPECT_SIZES: dict[str, tuple[int, int]] = {
    "1:1": (1024, 1024), "16:9": (1344, 768), "21:9": (1536, 640), "2:3": (832, 1216),
    "3:2": (1216, 832), "4:5": (896, 1088), "5:4": (1088, 896), "9:16": (768, 1344), "9:21": (640, 1536),
}

_TITAN_SPEC = dict(
    prompt_max_chars=512,
    negative_max_chars=512,
    seed_max=2_147_483_646,
    max_images_per_call=5,
    output_sizes=TITAN_SIZES,
    output_rule=SizeRule(allowed=TITAN_SIZES),
    input_rule=SizeRule(min_edge=256, max_edge=1408, max_aspect=4.0),
    max_input_images=5,
    qualities=("standard", "premium"),
    cfg=Knob("cfgScale", N_("Prompt strength (cfgScale)"), 1.1, 10.0, 8.0, 0.1,
             N_("How strictly the image follows the prompt. Higher = more literal.")),
    variation_knob=Knob("similarityStrength", N_("Similarity strength"), 0.2, 1.0, 0.7, 0.05,
                        N_("How close the variations stay to the input: 1.0 = very similar, 0.2 = loose.")),
    # In/outpainting: image and mask at most 1408 px on the long side; output = input size.
    edit_rule=SizeRule(min_edge=256, max_edge=1408, max_aspect=4.0),
)
_TITAN_PRICE = ImagePrice(standard=0.008, premium=0.01, large_standard=0.01, large_premium=0.012,
                          large_above_pixels=300_000)

_STABILITY_TEXT_SPEC = dict(
    prompt_max_chars=10_000,
    negative_max_chars=10_000,
    seed_max=4_294_967_294,
    max_images_per_call=1,
    aspect_ratios=tuple(STABILITY_ASPECT_SIZES),
    output_formats=("png", "jpeg", "webp"),
)

# Stability AI Image Services: inference-profile only ("us." + id), one image per call.
_SERVICE_REGIONS = ("us-east-1", "us-east-2", "us-west-2")
_SERVICE_SPEC = dict(
    prompt_max_chars=10_000,
    negative_max_chars=10_000,
    seed_max=4_294_967_294,
    max_images_per_call=1,
    output_formats=("png", "jpeg", "webp"),
    edit_rule=SizeRule(min_edge=64, max_edge=4096, max_pixels=4_194_304, max_aspect=2.5),
)


def _service(model_id: str, label: str, tasks: set[Task], price: float, note: str, **spec) -> "ModelInfo":
    """A Stability Image Service row; `spec` overrides the services' shared limits (knobs, size rules…).

    `note` is English, marked with N_(): shown with _(model.notes[0]) in the session's language."""
    return ModelInfo(id=model_id, label=label, provider="Stability AI", engine=STABILITY_IMAGE_ENGINE,
                     tasks=frozenset(tasks), regions=_SERVICE_REGIONS, lifecycle=Lifecycle(Status.ACTIVE),
                     price=ImagePrice(standard=price), image=ImageSpec(**{**_SERVICE_SPEC, **spec}),
                     inference_profile_prefix="us", notes=(note,))


# Reference §1.4 [3P: LiteLLM, the kalleeh MCP server, Stability's v2beta schemas; the AWS page names the same fields].
STYLE_PRESETS = ("3d-model", "analog-film", "anime", "cinematic", "comic-book", "digital-art", "enhance", "fantasy-art",
                 "isometric", "line-art", "low-poly", "modeling-compound", "neon-punk", "origami", "photographic",
                 "pixel-art", "tile-texture")
_SERVICE_INPUT = SizeRule(min_edge=64, max_edge=4096, max_pixels=4_194_304, max_aspect=2.5)  # fitted before sending
_CONTROL_STRENGTH = Knob("control_strength", N_("Control strength"), 0.0, 1.0, 0.7, 0.05,
                         N_("How closely the result follows the input's lines or edges: 1 = exactly, 0 = loosely."))
_CREATIVITY_HELP = N_("How much detail the upscaler may invent that the input does not show: higher = more.")
_CONTROL = dict(knobs=(_CONTROL_STRENGTH,), input_rule=_SERVICE_INPUT, style_presets=STYLE_PRESETS)
# Upscalers take the stored result as it is (never resized first): each one's own input limits, checked before a call.
UPSCALE_MAX_PIXELS_SMALL = 1_048_576  # Fast and Creative: at most 1 megapixel
UPSCALE_MAX_PIXELS_LARGE = 9_437_184  # Conservative: at most about 9.4 megapixels
UPSCALER_IDS = ("stability.stable-fast-upscale-v1:0", "stability.stable-conservative-upscale-v1:0",
                "stability.stable-creative-upscale-v1:0")


# An offline engine's label describes it (words to translate, shown with `shown_label`); a Bedrock model's is a name.
_LOCAL_ERASERS = {
    "telea": (N_("Local: OpenCV inpainting (Telea)"),
              N_("cv2.inpaint with the Telea method; every pixel outside the mask is kept exactly.")),
    "navier-stokes": (N_("Local: OpenCV inpainting (Navier-Stokes)"),
                      N_("cv2.inpaint with the Navier-Stokes method; every pixel outside the mask is kept exactly.")),
}


def _local_eraser(method: str) -> "ModelInfo":
    """OpenCV's classical inpainting: fills the mask from the pixels around it, offline (issue 6, local mode)."""
    label, note = _LOCAL_ERASERS[method]
    rule = SizeRule(min_edge=16, max_edge=4096, max_aspect=20.0)
    return ModelInfo(
        id=f"local.opencv-inpaint-{method}", label=label, provider=LOCAL_PROVIDER,
        engine=OPENCV_ERASER_ENGINE, backend=Backend.LOCAL, tasks=frozenset({Task.ERASE, Task.ERASE_BY_PROMPT}),
        regions=("local",),
        lifecycle=Lifecycle(Status.ACTIVE, N_("Offline: removes what the mask covers by spreading the surrounding "
                                           "pixels inward. Good on smooth backgrounds, smeared on texture; it "
                                           "can't paint anything new. A mask prompt is experimental: it only "
                                           "finds ImageNet's object classes.")),
        price=ImagePrice(standard=0.0),
        image=ImageSpec(prompt_max_chars=200, negative_max_chars=0, seed_max=0, max_images_per_call=1,
                        input_rule=rule, edit_rule=rule),
        notes=(note,))


REMOVE_BACKGROUND_ID = "stability.stable-image-remove-background-v1:0"

MODELS: tuple[ModelInfo, ...] = (
    ModelInfo(
        id="stability.sd3-5-large-v1:0",
        label="Stable Diffusion 3.5 Large",
        provider="Stability AI",
        engine=STABILITY_IMAGE_ENGINE,
        tasks=frozenset({Task.TEXT_TO_IMAGE, Task.VARIATION}),
        regions=("us-west-2",),
        lifecycle=Lifecycle(Status.ACTIVE),
        price=ImagePrice(standard=0.08),
        image=ImageSpec(
            **_STABILITY_TEXT_SPEC,
            # Output is ~1 MP, so a bigger input only makes the request heavier.
            input_rule=SizeRule(min_edge=64, max_edge=4096, max_pixels=4_194_304, max_aspect=2.5),
            variation_knob=Knob("strength", N_("Strength"), 0.0, 1.0, 0.6, 0.05,
                                N_("How far the result may move from the input: 0 = keep it, 1 = ignore it.")),
        ),
        notes=(N_("Image-to-image keeps the input's aspect ratio."),),
    ),
    ModelInfo(
        id="stability.stable-image-core-v1:1",
        label="Stable Image Core",
        provider="Stability AI",
        engine=STABILITY_IMAGE_ENGINE,
        tasks=frozenset({Task.TEXT_TO_IMAGE}),
        regions=("us-west-2",),
        lifecycle=Lifecycle(Status.ACTIVE),
        price=ImagePrice(standard=0.04),
        image=ImageSpec(**_STABILITY_TEXT_SPEC),
        notes=(N_("Fast and cheap; text input only on Bedrock."),),
    ),
    ModelInfo(
        id="stability.stable-image-ultra-v1:1",
        label="Stable Image Ultra",
        provider="Stability AI",
        engine=STABILITY_IMAGE_ENGINE,
        tasks=frozenset({Task.TEXT_TO_IMAGE}),
        regions=("us-west-2",),
        lifecycle=Lifecycle(Status.ACTIVE),
        price=ImagePrice(standard=0.14),
        image=ImageSpec(**_STABILITY_TEXT_SPEC),
        notes=(N_("Highest quality; text input only on Bedrock."),),
    ),
    ModelInfo(
        id="amazon.nova-canvas-v1:0",
        label="Amazon Nova Canvas",
        provider="Amazon",
        engine=TITAN_IMAGE_ENGINE,
        tasks=frozenset({Task.TEXT_TO_IMAGE, Task.VARIATION}) | EDIT_TASKS,
        regions=("us-east-1", "eu-west-1", "ap-northeast-1"),
        lifecycle=Lifecycle(Status.END_OF_LIFE, N_("Legacy from 2026-03-30; accounts that still hold access may call it."),
                            end_of_life="2026-09-30"),
        price=ImagePrice(standard=0.04, premium=0.06, large_standard=0.06, large_premium=0.08,
                         large_above_pixels=1024 * 1024),
        image=ImageSpec(
            prompt_max_chars=1024,
            negative_max_chars=1024,
            seed_max=858_993_459,
            max_images_per_call=5,
            output_sizes=NOVA_OUTPUT_SIZES,
            output_rule=SizeRule(min_edge=320, max_edge=4096, multiple_of=16, max_pixels=4_194_304, max_aspect=4.0),
            input_rule=SizeRule(min_edge=320, max_edge=4096, max_pixels=4_194_304, max_aspect=4.0),
            max_input_images=5,
            qualities=("standard", "premium"),
            cfg=Knob("cfgScale", N_("Prompt strength (cfgScale)"), 1.1, 10.0, 6.5, 0.1,
                     N_("How strictly the image follows the prompt. Higher = more literal.")),
            variation_knob=_TITAN_SPEC["variation_knob"],
            edit_rule=SizeRule(min_edge=320, max_edge=4096, multiple_of=16, max_pixels=4_194_304, max_aspect=4.0),
        ),
        from_workshop=True,
    ),
    ModelInfo(
        id="amazon.titan-image-generator-v2:0",
        label="Titan Image Generator G1 v2",
        provider="Amazon",
        engine=TITAN_IMAGE_ENGINE,
        tasks=frozenset({Task.TEXT_TO_IMAGE, Task.VARIATION}) | EDIT_TASKS,
        regions=("us-east-1", "us-west-2"),
        lifecycle=Lifecycle(Status.END_OF_LIFE, N_("Legacy from 2025-12-30."), end_of_life="2026-06-30"),
        price=_TITAN_PRICE,
        image=ImageSpec(**_TITAN_SPEC),
        from_workshop=True,
    ),
    ModelInfo(
        id="amazon.titan-image-generator-v1",
        label="Titan Image Generator G1 (v1)",
        provider="Amazon",
        engine=TITAN_IMAGE_ENGINE,
        tasks=frozenset({Task.TEXT_TO_IMAGE, Task.VARIATION}) | EDIT_TASKS,
        regions=("us-east-1", "us-west-2"),
        lifecycle=Lifecycle(Status.END_OF_LIFE, N_("The workshop's original model; no longer listed by Bedrock.")),
        price=_TITAN_PRICE,
        image=ImageSpec(**_TITAN_SPEC),
        from_workshop=True,
    ),
    _service("stability.stable-image-inpaint-v1:0", "Stable Image Inpaint",
             {Task.INPAINT, Task.OUTPAINT, Task.OUTPAINT_BY_PROMPT}, 0.07,
             N_("Repaints the white area of its mask. A new background is two calls: Remove Background finds the "
                "subject, then Inpaint repaints everything else.")),
    _service("stability.stable-image-erase-object-v1:0", "Stable Image Erase Object", {Task.ERASE}, 0.07,
             N_("Removes what the mask covers and fills it with background; takes no prompt.")),
    _service("stability.stable-image-search-replace-v1:0", "Stable Image Search and Replace",
             {Task.INPAINT_BY_PROMPT}, 0.07, N_("Finds the object named by the search prompt and replaces it.")),
    _service("stability.stable-outpaint-v1:0", "Stable Image Outpaint", {Task.EXTEND}, 0.06,
             N_("Extends the picture beyond its edges (left, right, up, down); the original pixels stay.")),
    _service(REMOVE_BACKGROUND_ID, "Stable Image Remove Background", {Task.REMOVE_BACKGROUND}, 0.07,
             N_("Cuts out the main subject; used as the first step of a Stability background replacement.")),
    _service("stability.stable-image-search-recolor-v1:0", "Stable Image Search and Recolor",
             {Task.RECOLOR_BY_PROMPT}, 0.07, N_("Finds the object named by its select prompt and recolours it as the "
                                                 "prompt says; shape, texture and everything else stay."),
             style_presets=STYLE_PRESETS,
             knobs=(Knob("grow_mask", N_("Grow the found area (px)"), 0, 20, 5, 1, N_("Pixels added around the object the "
                         "model found, to blend the edge: 0 = its exact outline."), integer=True),)),
    _service("stability.stable-image-control-sketch-v1:0", "Stable Image Control Sketch", {Task.CONTROL_SKETCH},
             0.07, N_("Turns a sketch (or any picture's lines) into a finished image that follows them."), **_CONTROL),
    _service("stability.stable-image-control-structure-v1:0", "Stable Image Control Structure",
             {Task.CONTROL_STRUCTURE}, 0.07, N_("Keeps the structure (edges, layout) of the input image and repaints "
                                                 "it as the prompt says."), **_CONTROL),
    _service("stability.stable-image-style-guide-v1:0", "Stable Image Style Guide", {Task.STYLE_GUIDE}, 0.07,
             N_("Paints what the prompt says in the style of the input image, at the chosen aspect ratio."),
             input_rule=_SERVICE_INPUT, style_presets=STYLE_PRESETS, aspect_ratios=tuple(STABILITY_ASPECT_SIZES),
             variation_aspect=True,
             knobs=(Knob("fidelity", N_("Style fidelity"), 0.0, 1.0, 0.5, 0.05,
                         N_("How closely the result keeps the style image's look: 1 = very close.")),)),
    _service("stability.stable-style-transfer-v1:0", "Stable Image Style Transfer", {Task.STYLE_TRANSFER}, 0.08,
             N_("Repaints the first image (its content) in the style of the second; the prompt is optional."),
             input_rule=_SERVICE_INPUT, max_input_images=2, input_roles=(N_("Photo (the content)"), N_("Style image")),
             prompt_use=PromptUse.OPTIONAL,
             knobs=(Knob("style_strength", N_("Style strength"), 0.0, 1.0, 1.0, 0.05,
                         N_("How much of the style image's look is applied: 0 = none, 1 = all.")),
                    Knob("composition_fidelity", N_("Composition fidelity"), 0.0, 1.0, 0.9, 0.05,
                         N_("How closely the result keeps the photo's composition.")),
                    Knob("change_strength", N_("Change strength"), 0.0, 1.0, 0.9, 0.05,
                         N_("How much the photo may change overall.")))),
    _service(UPSCALER_IDS[0], "Stable Image Fast Upscale", {Task.UPSCALE}, 0.03,
             N_("Four times the width and height in about a second; no prompt. Input at most 1 megapixel."),
             prompt_use=PromptUse.NOT_TAKEN, upscaling=Upscaling(4),
             edit_rule=SizeRule(min_edge=32, max_edge=4096, max_pixels=UPSCALE_MAX_PIXELS_SMALL, max_aspect=2.5)),
    _service(UPSCALER_IDS[1], "Stable Image Conservative Upscale", {Task.UPSCALE}, 0.40,
             N_("Up to 4K, changing as little as it can; takes inputs up to about 9.4 megapixels."),
             prompt_use=PromptUse.REQUIRED, upscaling=Upscaling(4, 4096, exact=False),
             knobs=(Knob("creativity", N_("Creativity"), 0.2, 0.5, 0.35, 0.05, _CREATIVITY_HELP),),
             edit_rule=SizeRule(min_edge=64, max_edge=4096, max_pixels=UPSCALE_MAX_PIXELS_LARGE, max_aspect=2.5)),
    _service(UPSCALER_IDS[2], "Stable Image Creative Upscale", {Task.UPSCALE}, 0.60,
             N_("Up to 4K, re-imagining detail: best on small or degraded images. Input at most 1 megapixel."),
             prompt_use=PromptUse.REQUIRED, upscaling=Upscaling(4, 4096, exact=False), style_presets=STYLE_PRESETS,
             knobs=(Knob("creativity", N_("Creativity"), 0.1, 0.5, 0.3, 0.05, _CREATIVITY_HELP),),
             edit_rule=SizeRule(min_edge=64, max_edge=4096, max_pixels=UPSCALE_MAX_PIXELS_SMALL, max_aspect=2.5)),
    # §6.2 [3P: daekeun-ml/nova-2-omni-examples]: Converse, the "us."/"global." profiles (the sample pins
    # us-west-2; the reference names no region list, so the us. profile's three regions as for §1.1's profiles).
    # No seed, size, mask or negative-prompt field: the aspect ratio (the sample's nine) and the edit are asked
    # for in words; inputs at most about 1 megapixel, as the sample downsizes them. Price: the reference has
    # none; third-party tables give $0.30 in / $2.50 out per million tokens and a 1 MP picture is about 1,400
    # output tokens (tokens ≈ ⌈w/28⌉·⌈h/28⌉), so about $0.004 an image [UNVERIFIED]. Its text limit is not
    # documented: 10,000 characters is the app's own cap, as for Stability.
    ModelInfo(
        id="amazon.nova-2-omni-v1:0",
        label="Amazon Nova 2 Omni",
        provider="Amazon",
        engine=NOVA_OMNI_ENGINE,
        tasks=frozenset({Task.TEXT_TO_IMAGE, Task.VARIATION, Task.INPAINT_BY_PROMPT, Task.ERASE_BY_PROMPT,
                         Task.OUTPAINT_BY_PROMPT}),
        regions=("us-east-1", "us-east-2", "us-west-2"),
        lifecycle=Lifecycle(Status.ACTIVE, N_("Preview on Bedrock: it may change or go away without the usual notice. "
                                           "Its price here is an estimate from its token prices.")),
        price=ImagePrice(standard=0.004),
        image=ImageSpec(
            prompt_max_chars=10_000,
            negative_max_chars=0,
            seed_max=0,
            max_images_per_call=1,
            aspect_ratios=("1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3", "2:1", "1:2"),
            ratio_in_prompt=True,
            input_rule=SizeRule(min_edge=64, max_edge=4096, max_pixels=1_048_576, max_aspect=4.0),
            edit_rule=SizeRule(min_edge=64, max_edge=4096, max_pixels=1_048_576, max_aspect=4.0),
        ),
        inference_profile_prefix="us",
        preview=True,
        notes=(N_("Makes and edits images from words through Converse: no seed, size, mask or negative prompt; "
                  "the price is an estimate from its token prices."),),
    ),
    *(_local_eraser(method) for method in ("telea", "navier-stokes")),
)

_BY_ID = {m.id: m for m in MODELS}


def _row(table: dict, model_id: str, kind: str):
    """The catalog row for `model_id`; an unknown id is the caller's input error (`kind`: its message, marked)."""
    try:
        return table[model_id]
    except KeyError:
        raise InvalidInput(_(kind).format(model=model_id), _("Pick a model from the list.")) from None


def get_model(model_id: str) -> ModelInfo:
    return _row(_BY_ID, model_id, N_("Unknown model “{model}”."))


def models_for(task: Task) -> list[ModelInfo]:
    """Models that can do `task`: callable ones first, then the workshop's retired ones, then the offline engines.

    Why local last: they are stand-ins; the sidebar's backend switch moves the picker to them when Bedrock can't
    be reached (lib/ui/model_picker.steer).
    """
    matching = [m for m in MODELS if m.supports(task)]
    return sorted(matching, key=lambda m: (m.runs_locally, not m.lifecycle.callable_today))


def call_target(model: "ModelInfo | ChatModel | EmbeddingModel", preferred_region: str) -> tuple[str, str, str | None]:
    """(region, model id to pass to InvokeModel, note) for calling `model`.

    Why: SD3.5/Core/Ultra live only in us-west-2, Nova Canvas not there at all,
    so a single app region would break half the models. We call the model in
    the user's region when it is offered there, else in its first region, and
    say so. Profile-only models get their geography prefix.
    """
    note = None
    region = preferred_region
    if preferred_region not in model.regions:
        region = model.regions[0]
        note = _("{model} is offered in {regions}, not {preferred}; called in {region}.").format(
            model=model.label, regions=", ".join(model.regions), preferred=preferred_region, region=region)
    invoke_id = f"{model.inference_profile_prefix}.{model.id}" if model.inference_profile_prefix else model.id
    return region, invoke_id, note


def output_size(model: ModelInfo, width: int | None, height: int | None, aspect_ratio: str | None) -> tuple[int, int]:
    """The size the model will return, for display and cost: chosen by aspect ratio where the model has no sizes."""
    if model.image.aspect_ratios and not model.image.output_sizes:
        return STABILITY_ASPECT_SIZES.get(aspect_ratio or "1:1", (1024, 1024))
    return (width or 1024, height or 1024)


def require_callable_shape(model: ModelInfo, task: Task) -> None:
    """Refuse a task the model can't do, before building any request."""
    if not model.supports(task):
        raise ModelUnavailable(_("{model} can't do {task}.").format(model=model.label, task=task.value),
                               _("Pick another model."), reason="unsupported")


# --- vision chat models (labs 8 and 9), called through Converse -----------------------------


@dataclass(frozen=True)
class TokenPrice:
    """On-demand USD per million tokens."""

    input_per_million: float
    output_per_million: float

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return (input_tokens * self.input_per_million + output_tokens * self.output_per_million) / 1_000_000


@dataclass(frozen=True)
class _ListedModel:
    """What every picker row shows: who makes it, where it runs, and whether it can still be called."""

    id: str
    label: str
    provider: str
    regions: tuple[str, ...]
    lifecycle: Lifecycle

    def picker_label(self) -> str:
        label = shown_label(self.label)
        return label if self.lifecycle.callable_today else f"{label} — {self.lifecycle.badge()}"


@dataclass(frozen=True)
class ChatModel(_ListedModel):
    """A vision chat model: what Converse calls need to know before the call."""

    price: TokenPrice
    max_images: int = 20  # per request
    max_image_edge: int = 1568  # long edge the model works at; larger images are downscaled first
    max_image_bytes: int = int(3.75 * 1024 * 1024)
    max_output_tokens: int = 4096
    context_chars: int = 400_000  # history budget in characters (≈ 100k tokens), trimmed by whole turns
    inference_profile_prefix: str | None = None  # the default geography of its profiles
    from_workshop: bool = False
    profile_geos: tuple[str, ...] = ()  # every geography it has a system profile in, e.g. ("us", "eu", "global")
    engine: str = CONVERSE_ENGINE  # a key of lib/engines/registry.py
    backend: Backend = Backend.BEDROCK

    @property
    def runs_locally(self) -> bool:
        """An offline engine on this machine (lib/local), not a Bedrock model."""
        return self.backend is Backend.LOCAL

    def in_geo(self, geo: str | None) -> "ChatModel":
        """The same model called through another geography's profile (us. / eu. / global.)."""
        if not geo or geo == self.inference_profile_prefix or geo not in self.profile_geos:
            return self
        return replace(self, inference_profile_prefix=geo)


_US = ("us-east-1", "us-east-2", "us-west-2")
LOCAL_VISION_ID = "local.vision-stand-in"
CHAT_MODELS: tuple[ChatModel, ...] = (
    # Lifecycles as of December 2026: ../shared/reference/bedrock-models.md §3.1 and §6.1, workshop-labs.md §11.
    ChatModel("anthropic.claude-haiku-4-5-20251001-v1:0", "Claude Haiku 4.5", "Anthropic", _US,
              Lifecycle(Status.ACTIVE, N_("Active; its model card says end of life no sooner than 2026-10-01, so it "
                                       "may turn Legacy at any time (Claude Sonnet 4.6 is the current Claude).")),
              TokenPrice(1.10, 5.50), max_output_tokens=8192,
              inference_profile_prefix="us", profile_geos=("us", "eu", "global")),
    ChatModel("amazon.nova-2-lite-v1:0", "Amazon Nova 2 Lite", "Amazon", _US, Lifecycle(Status.ACTIVE),
              TokenPrice(0.33, 2.75), max_images=5, max_image_edge=2048, max_output_tokens=8192,
              inference_profile_prefix="us", profile_geos=("us", "eu")),
    ChatModel("amazon.nova-pro-v1:0", "Amazon Nova Pro", "Amazon", ("us-east-1", "us-west-2"),
              Lifecycle(Status.ACTIVE), TokenPrice(0.80, 3.20), max_images=5, max_image_edge=2048),
    ChatModel("amazon.nova-lite-v1:0", "Amazon Nova Lite", "Amazon", ("us-east-1", "us-west-2"),
              Lifecycle(Status.ACTIVE), TokenPrice(0.06, 0.24), max_images=5, max_image_edge=2048),
    ChatModel("meta.llama4-maverick-17b-instruct-v1:0", "Llama 4 Maverick", "Meta", _US,
              Lifecycle(Status.ACTIVE), TokenPrice(0.24, 0.97), max_images=8, max_image_edge=1120,
              inference_profile_prefix="us"),
    # Sonnet 4.6: ACTIVE, us./global. profiles; priced as Sonnet 4.5 ($3.30 / $16.50 regional, $3 / $15 global).
    ChatModel("anthropic.claude-sonnet-4-6", "Claude Sonnet 4.6", "Anthropic", _US, Lifecycle(Status.ACTIVE),
              TokenPrice(3.30, 16.50), max_output_tokens=8192, inference_profile_prefix="us",
              profile_geos=("us", "global")),
    ChatModel("anthropic.claude-sonnet-4-5-20250929-v1:0", "Claude Sonnet 4.5", "Anthropic", _US,
              Lifecycle(Status.LEGACY, N_("Legacy from 2026-10-08; its successor is Claude Sonnet 4.6."),
                        end_of_life="2027-04-08"),
              TokenPrice(3.30, 16.50), max_output_tokens=8192, inference_profile_prefix="us",
              profile_geos=("us", "global")),
    ChatModel("anthropic.claude-3-sonnet-20240229-v1:0", "Claude 3 Sonnet", "Anthropic", ("us-east-1", "us-west-2"),
              Lifecycle(Status.END_OF_LIFE, N_("The workshop's original vision model; Legacy from 2026-01-30, no "
                                            "longer listed by Bedrock."), end_of_life="2026-07-30"),
              TokenPrice(3.00, 15.00), max_output_tokens=4096, from_workshop=True),
    ChatModel(LOCAL_VISION_ID, N_("Local: OCR, faces and ImageNet tags"), LOCAL_PROVIDER, ("local",),
              Lifecycle(Status.ACTIVE, N_("Offline stand-in for lab 8: answers six of the nine presets (no language "
                                       "model, so no story, emotion, translation or free questions).")),
              TokenPrice(0.0, 0.0), max_images=1, max_image_edge=4096, max_image_bytes=50 * 1024 * 1024,
              engine=LOCAL_VISION_ENGINE, backend=Backend.LOCAL),
)

_CHAT_BY_ID = {m.id: m for m in CHAT_MODELS}


def get_chat_model(model_id: str) -> ChatModel:
    return _row(_CHAT_BY_ID, model_id, N_("Unknown chat model “{model}”."))


# --- multimodal embedding models (lab 1), called through InvokeModel ---------------------------


class EmbeddingPurpose(StrEnum):
    """What a vector is for: an indexed document or a search query (Nova and Cohere embed them differently)."""

    INDEX = "GENERIC_INDEX"
    RETRIEVAL = "GENERIC_RETRIEVAL"


class QueryLanguages(StrEnum):
    """Which languages a model reads a text query in: lab 1 says so before a query it can't read."""

    ENGLISH = N_("English only")  # English, marked: shown with _(value)
    MULTILINGUAL = N_("many languages")
    UNDOCUMENTED = N_("not documented")  # the stored documentation says nothing either way


COHERE_EMBED_ENGINE = "cohere-embed"
MARENGO_EMBED_ENGINE = "marengo-embed"


@dataclass(frozen=True)
class EmbeddingModel(_ListedModel):
    """A multimodal embedding model: the limits its inputs are fitted to before the call."""

    dimensions: tuple[int, ...]
    default_dimension: int
    max_text_tokens: int
    max_image_edge: int
    max_image_bytes: int
    image_formats: tuple[str, ...]
    joint_text_image: bool  # one input may hold text and image, embedded as one vector (Nova: two calls averaged)
    has_purpose: bool  # documents and queries are embedded differently (Nova's purpose, Cohere's input_type)
    text_price_per_million: float | None  # USD; None where the reference has no price
    image_price: float | None  # USD per image; None where no published price is known
    from_workshop: bool = False
    inference_profile_prefix: str | None = None  # "us" → call "us.<id>"
    engine: str = ""  # a key of lib/engines/registry.py
    backend: Backend = Backend.BEDROCK
    # Lab 1: a text query whose best score is below this matches nothing well, and the page says so. Local engine:
    # measured on the sample photos (what a query names scores 0.44-0.77; unrelated words up to 0.42). Bedrock's
    # models: a starting point, not measured against Bedrock here (text-to-image cosines are low).
    good_text_match: float = 0.25
    max_image_pixels: int | None = None  # images are downscaled to this many pixels first (the model would anyway)
    query_languages: QueryLanguages = QueryLanguages.UNDOCUMENTED
    price_note: str = ""  # where a missing price is to be found

    @property
    def runs_locally(self) -> bool:
        """An offline engine on this machine (lib/local), not a Bedrock model."""
        return self.backend is Backend.LOCAL


LOCAL_TAGS_ID = "local.imagenet-tags-minilm"
LOCAL_SEARCH_DIMENSION = 384 + 1280  # MiniLM's tag vector, then the CNN's pooled features (lib/engines/local_embeddings)
_NO_EMBED_PRICE = N_("Not in the reference's price table (bedrock-models.md §5): see aws.amazon.com/bedrock/pricing.")
# Facts and sources: ../shared/reference/bedrock-models.md §2 and §6.4, and the AWS pages model-parameters-embed-v4
# and model-parameters-marengo-3 [DOC]; what those don't say is marked as an assumption where it is set.
EMBEDDING_MODELS: tuple[EmbeddingModel, ...] = (
    EmbeddingModel("amazon.titan-embed-image-v1", "Titan Multimodal Embeddings G1", "Amazon",
                   ("us-east-1", "us-west-2", "ca-central-1", "eu-central-1", "eu-west-1", "eu-west-2", "eu-west-3",
                    "ap-southeast-2", "ap-south-1", "sa-east-1"),
                   Lifecycle(Status.ACTIVE, N_("The workshop's search model.")), dimensions=(256, 384, 1024),
                   default_dimension=1024, max_text_tokens=256, max_image_edge=2048,
                   max_image_bytes=25 * 1024 * 1024, image_formats=("png", "jpeg"), joint_text_image=True,
                   has_purpose=False, text_price_per_million=0.80, image_price=0.00006, from_workshop=True,
                   engine=TITAN_EMBED_ENGINE, query_languages=QueryLanguages.ENGLISH),
    # Languages: neither the reference nor the stored Nova pages say which languages its text queries may be in.
    EmbeddingModel("amazon.nova-2-multimodal-embeddings-v1:0", "Amazon Nova Multimodal Embeddings", "Amazon",
                   ("us-east-1",), Lifecycle(Status.ACTIVE), dimensions=(256, 384, 1024, 3072),
                   default_dimension=1024, max_text_tokens=8192, max_image_edge=8000,
                   max_image_bytes=25 * 1024 * 1024, image_formats=("png", "jpeg", "gif", "webp"),
                   joint_text_image=False, has_purpose=True, text_price_per_million=0.135, image_price=None,
                   engine=NOVA_EMBED_ENGINE, query_languages=QueryLanguages.UNDOCUMENTED),
    # [DOC] 256-1536 dimensions, 96 inputs per call, 5 MB png/jpeg/webp/gif images, 2,458,624 pixels, ~128k
    # tokens, multilingual. Called through the us. profile: its model card lists us./eu./global. profiles, and the
    # stored pages don't say in which regions the bare id answers on demand. No per-side limit is documented
    # (8000 px is this app's cap); no price in the reference.
    EmbeddingModel("cohere.embed-v4:0", "Cohere Embed v4", "Cohere", _US,
                   Lifecycle(Status.ACTIVE, N_("Multilingual (a Korean query works); text, an image or both in one "
                                            "input; up to 96 photos per call.")),
                   dimensions=(256, 512, 1024, 1536), default_dimension=1024, max_text_tokens=128_000,
                   max_image_edge=8000, max_image_bytes=5 * 1024 * 1024, image_formats=("png", "jpeg", "webp", "gif"),
                   joint_text_image=True, has_purpose=True, text_price_per_million=None, image_price=None,
                   inference_profile_prefix="us", engine=COHERE_EMBED_ENGINE, max_image_pixels=2_458_624,
                   query_languages=QueryLanguages.MULTILINGUAL, price_note=_NO_EMBED_PRICE),
    # [DOC] InvokeModel on the base model in us-east-1 and ap-northeast-2 (eu-west-1: profile only); 512
    # dimensions; text ≤500 tokens; images ≤5 MB; text_image in one call; 36 languages. Assumed: png and jpeg
    # (the page names no image formats), no per-side limit beyond this app's 8000 px; no price in the reference.
    EmbeddingModel("twelvelabs.marengo-embed-3-0-v1:0", "TwelveLabs Marengo Embed 3.0", "TwelveLabs",
                   ("us-east-1", "ap-northeast-2"),
                   Lifecycle(Status.ACTIVE, N_("512-dimension vectors; text (36 languages), an image or both in one "
                                            "call. Not compatible with Marengo 2.7's vectors.")),
                   dimensions=(512,), default_dimension=512, max_text_tokens=500, max_image_edge=8000,
                   max_image_bytes=5 * 1024 * 1024, image_formats=("png", "jpeg"), joint_text_image=True,
                   has_purpose=False, text_price_per_million=None, image_price=None, engine=MARENGO_EMBED_ENGINE,
                   query_languages=QueryLanguages.MULTILINGUAL, price_note=_NO_EMBED_PRICE),
    EmbeddingModel(LOCAL_TAGS_ID, N_("Local: ImageNet tags + looks (EfficientNet-Lite0 + MiniLM)"),
                   LOCAL_PROVIDER, ("local",),
                   Lifecycle(Status.ACTIVE, N_("Offline stand-in: text finds ImageNet's 1000 object and animal classes "
                                            "(not colours, text, people or scenes); an image finds photos that look "
                                            "alike.")),
                   dimensions=(LOCAL_SEARCH_DIMENSION,), default_dimension=LOCAL_SEARCH_DIMENSION, max_text_tokens=256,
                   max_image_edge=8000, max_image_bytes=50 * 1024 * 1024, image_formats=("png", "jpeg", "gif", "webp"),
                   joint_text_image=True, has_purpose=False, text_price_per_million=0.0, image_price=0.0,
                   engine=LOCAL_EMBED_ENGINE, backend=Backend.LOCAL, good_text_match=0.4,
                   query_languages=QueryLanguages.ENGLISH),  # MiniLM (all-MiniLM-L6-v2) reads English
)

_EMBEDDING_BY_ID = {m.id: m for m in EMBEDDING_MODELS}


def get_embedding_model(model_id: str) -> EmbeddingModel:
    return _row(_EMBEDDING_BY_ID, model_id, N_("Unknown embedding model “{model}”."))


def multilingual_alternative(model: EmbeddingModel) -> EmbeddingModel | None:
    """A Bedrock embedding model callable today that reads queries beyond English, to name instead of `model`."""
    return next((m for m in EMBEDDING_MODELS if m.id != model.id and m.query_languages is QueryLanguages.MULTILINGUAL
                 and m.lifecycle.callable_today and not m.runs_locally), None)


# --- what to use instead of a model that can't be called -----------------------------------


def working_alternative(model: "ModelInfo | ChatModel | EmbeddingModel",
                        task: Task | None = None) -> "ModelInfo | ChatModel | EmbeddingModel | None":
    """A model of the same kind that can be called on Bedrock today, to name instead of `model`; None if none.

    Same kind: an image model that does `task` (default: the first of the model's own tasks that another
    model does, text-to-image before variation before editing), a chat model for a chat model, an
    embedding model for an embedding model. Never `model` itself, never one that isn't callable today,
    never an offline engine on this machine (it is a stand-in, not a Bedrock model). Catalog order decides.
    """
    def usable(candidate) -> bool:
        return (candidate.id != model.id and candidate.lifecycle.callable_today
                and not candidate.runs_locally)

    if isinstance(model, ChatModel):
        return next((m for m in CHAT_MODELS if usable(m)), None)
    if isinstance(model, EmbeddingModel):
        return next((m for m in EMBEDDING_MODELS if usable(m)), None)
    tasks = [task] if task is not None else [t for t in Task if model.supports(t)]
    for wanted in tasks:
        found = next((m for m in models_for(wanted) if usable(m)), None)
        if found is not None:
            return found
    return None


def takes_seed(model_id: str) -> bool:
    """Whether a stored image result can be repeated from its seed (False: the model takes none, e.g. Nova 2 Omni)."""
    row = _BY_ID.get(model_id)
    return row is not None and row.image.seed_max > 0


def is_offline(model_id: str) -> bool:
    """Whether a stored result's model ran on this machine (no seed, no cost, no Bedrock request to show)."""
    row = _BY_ID.get(model_id) or _CHAT_BY_ID.get(model_id) or _EMBEDDING_BY_ID.get(model_id)
    return row is not None and row.runs_locally
