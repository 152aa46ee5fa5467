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
from lib.imaging import image_size
from lib.labs import lab_for_key
from lib.services.images import edit
from lib.settings import Settings
from lib.storage.results import HistoryEntry, StoredImage

UPSCALED_FROM = "Upscaled from"
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
    if rule.max_pixels and pixels > rule.max_pixels:
        return (f"{model.label} takes images of at most {rule.max_pixels / 1_000_000:.1f} megapixels; this one is "
                f"{width}×{height} = {pixels / 1_000_000:.1f} megapixels.")
    if min(width, height) < rule.min_edge:
        return f"{model.label} needs at least {rule.min_edge} px on each side; this image is {width}×{height}."
    if max(width, height) > rule.max_aspect * min(width, height):
        return (f"{model.label} takes aspect ratios between 1:{rule.max_aspect:g} and {rule.max_aspect:g}:1; this "
                f"image is {width}×{height}.")
    return f"{model.label} can't take a {width}×{height} image ({rule.describe()})."


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
                f"${self.price:.3f}")


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
    where = f"Lab {found.number}" if found else entry.lab
    which = f"image {image.index + 1} of " if len(entry.outputs) > 1 else ""
    what = f"“{entry.prompt[:60]}{'…' if len(entry.prompt) > 60 else ''}”" if entry.prompt.strip() else "no prompt"
    seed = f", seed {image.seed}" if image.seed is not None else ""
    return f"{which}the {where} result {what} ({entry.model_label}{seed}, {entry.when}; History entry {entry.id})"


def upscaled_from(entry: HistoryEntry) -> str | None:
    """The note that names an upscale's source; None for anything else."""
    if entry.task != Task.UPSCALE.value:
        return None
    return next((note for note in entry.notes if note.startswith(UPSCALED_FROM)), None)


def upscale(req: EditRequest, settings: Settings | None = None, *, source: str = "") -> GenerationResult:
    """Upscale `req.image`; refused before any call when the upscaler can't take its size (naming one that can)."""
    model = get_model(req.model_id)
    width, height = image_size(req.image)
    why = refusal(model, width, height)
    if why is not None:
        other = suggested(width, height)
        raise InvalidInput(why, f"Use {other.label} instead: it takes this image." if other else
                           "No upscaler takes an image this size: download it, make it smaller, and upload it.")
    result = edit(req, settings)
    made = result.images[0]
    note = f"{UPSCALED_FROM} {source or 'an image'}: {width}×{height} → {made.width}×{made.height}."
    result.notes.insert(0, note)
    return result
