"""Upscaling any stored image with Stability's upscalers (Fast, Conservative, Creative; reference §1.4 and §5).

An upscale is not a lab: it is an action under every image result and on History's entries. This module says
which upscaler takes an image of a given size (and why another one does not), what it makes and costs, builds
the request, and runs it through the image service (lib/services/images.edit: the same validation, engine and
recording as every other call). The result names its source in its notes, so History links the two.
"""

from __future__ import annotations

from dataclasses import dataclass

from lib.catalog import ModelInfo, PromptUse, Task, get_model, models_for
from lib.errors import InvalidInput
from lib.generation.requests import EditRequest, GenerationResult
from lib.i18n import _, format_number, format_usd
from lib.imaging import image_size
from lib.labs import lab_for_key
from lib.services.images import edit
from lib.settings import Settings
from lib.storage.results import HistoryEntry, StoredImage

OUTPUT_FORMATS = ("png", "jpeg", "webp")


def upscalers() -> list[ModelInfo]:
    """The upscalers, in catalog order (Fast, Conservative, Creative)."""
    return [model for model in models_for(Task.UPSCALE) if not model.runs_locally]


def refusal(model: ModelInfo, width: int, height: int) -> str | None:
    """Why `model` can't upscale a `width`×`height` image (None: it can), in the user's words."""
    rule = model.image.edit_rule
    if rule is None or rule.accepts(width, height):
        return None
    pixels = width * height
    size = dict(model=model.label, width=width, height=height)
    if rule.max_pixels and pixels > rule.max_pixels:
        return _("{model} takes images of at most {limit} megapixels; this one is {width}×{height} = {pixels} "
                 "megapixels.").format(limit=format_number(rule.max_pixels / 1_000_000, 1),
                                       pixels=format_number(pixels / 1_000_000, 1), **size)
    if min(width, height) < rule.min_edge:
        return _("{model} needs at least {edge} px on each side; this image is {width}×{height}.").format(
            edge=rule.min_edge, **size)
    if max(width, height) > rule.max_aspect * min(width, height):
        return _("{model} takes aspect ratios between 1:{ratio} and {ratio}:1; this image is {width}×{height}.").format(
            ratio=f"{rule.max_aspect:g}", **size)
    return _("{model} can't take a {width}×{height} image ({rule}).").format(rule=rule.describe(), **size)


@dataclass(frozen=True)
class UpscaleOffer:
    """One upscaler for one image: what it would make, for how much, or why it can't."""

    model: ModelInfo
    width: int
    height: int
    refusal: str | None

    @property
    def price(self) -> float:
        return self.model.price.per_image()

    @property
    def output(self) -> tuple[int, int]:
        assert self.model.image.upscaling is not None, "every upscaler row says what it makes"
        return self.model.image.upscaling.size(self.width, self.height)

    def describe(self) -> str:
        """"1024×768 → 4096×3072 (4×) · $0.030", as shown before the click."""
        assert self.model.image.upscaling is not None
        return (f"{self.width}×{self.height} → {self.model.image.upscaling.describe(self.width, self.height)} · "
                f"{format_usd(self.price, 3)}")


def offers(width: int, height: int) -> list[UpscaleOffer]:
    return [UpscaleOffer(model, width, height, refusal(model, width, height)) for model in upscalers()]


def suggested(width: int, height: int) -> ModelInfo | None:
    """The cheapest upscaler that takes the image; None when none does."""
    fitting = [offer for offer in offers(width, height) if offer.refusal is None]
    return min(fitting, key=lambda offer: offer.price).model if fitting else None


def upscale_request(model_id: str, image: bytes, *, prompt: str = "", knobs: dict[str, float] | None = None,
                    seed: int | None = None, output_format: str = "png") -> EditRequest:
    """The request for one upscale; a prompt only where the upscaler takes one."""
    model = get_model(model_id)
    takes_prompt = model.image.prompt_use is not PromptUse.NOT_TAKEN
    return EditRequest(model_id=model_id, task=Task.UPSCALE, image=image, prompt=prompt if takes_prompt else "",
                       knobs=dict(knobs or {}), seed=seed, output_format=output_format)


def source_text(entry: HistoryEntry, image: StoredImage) -> str:
    """The upscale's source, as its note names it: which image of which result."""
    found = lab_for_key(entry.lab)
    where = _("Lab {number}").format(number=found.number) if found else entry.lab
    what = f"“{entry.prompt[:60]}{'…' if len(entry.prompt) > 60 else ''}”" if entry.prompt.strip() else _("no prompt")
    made = (_("{model}, seed {seed}").format(model=entry.model_label, seed=image.seed) if image.seed is not None
            else entry.model_label)
    facts = dict(lab=where, what=what, made=made, when=entry.when, id=entry.id)
    if len(entry.outputs) > 1:
        return _("image {index} of the {lab} result {what} ({made}, {when}; History entry {id})").format(
            index=image.index + 1, **facts)
    return _("the {lab} result {what} ({made}, {when}; History entry {id})").format(**facts)


def upscaled_from(entry: HistoryEntry) -> str | None:
    """The note that names an upscale's source; None for anything else."""
    if entry.task != Task.UPSCALE.value:
        return None
    return entry.notes[0] if entry.notes else None  # upscale() puts it first, in the language of who asked


def upscale(req: EditRequest, settings: Settings | None = None, *, source: str = "") -> GenerationResult:
    """Upscale `req.image`; refused before any call when the upscaler can't take its size (naming one that can)."""
    model = get_model(req.model_id)
    width, height = image_size(req.image)
    why = refusal(model, width, height)
    if why is not None:
        other = suggested(width, height)
        raise InvalidInput(why, _("Use {model} instead: it takes this image.").format(model=other.label) if other else
                           _("No upscaler takes an image this size: download it, make it smaller, and upload it."))
    result = edit(req, settings)
    made = result.images[0]
    note = _("Upscaled from {source}: {before} → {after}.").format(
        source=source or _("an image"), before=f"{width}×{height}", after=f"{made.width}×{made.height}")
    result.notes.insert(0, note)
    return result
