"""What every image engine offers the image service (lib/services/images.py).

An engine builds one family's request body, calls the model and parses the reply; the service validates
against the catalog, draws the seed, picks the region, times the call and records the result. Engines say
what differs between families as data (mask polarity, whether a prompt is always needed, one image per
call) so nothing above them branches on a family.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

from lib.catalog import ModelInfo, Task
from lib.errors import WorkshopError
from lib.generation.requests import EditRequest, ImageOutput, ImageRequest
from lib.i18n import N_, _
from lib.imaging import image_size, sniff_format
from lib.masks import PaintMode, Polarity
from lib.settings import Settings


@dataclass(frozen=True)
class CallTarget:
    """Where a call goes: the region, and the id (or inference profile id) to pass."""

    region: str
    invoke_id: str


@dataclass
class Produced:
    """What an engine's calls gave back: the images, the first body sent, and what to tell the user."""

    images: list[ImageOutput]
    body: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # per-image failures when others succeeded
    region: str | None = None  # set by engines that run elsewhere than the target (offline: "local")


@dataclass
class PreStep:
    """A call an engine makes before the main one, and what it changed in the request."""

    request: EditRequest
    cost_usd: float = 0.0
    notes: list[str] = field(default_factory=list)


def image_output(data: bytes, seed: int, index: int) -> ImageOutput:
    width, height = image_size(data)
    return ImageOutput(data=data, format=sniff_format(data) or "png", seed=seed, width=width, height=height,
                       index=index)


def call_seeds(model: ModelInfo, seed: int, count: int) -> list[int]:
    """The seed of each call of a one-image-per-call model: seed, seed+1, ... wrapping, never repeating."""
    return [(seed + i - 1) % model.image.seed_max + 1 for i in range(count)]


def fan_out(model: ModelInfo, bodies: list[dict[str, Any]], call: Callable[[dict[str, Any]], tuple[bytes, int]],
            seeds: list[int]) -> Produced:
    """One image per call: the calls run in parallel; some may fail while others give an image."""
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
    images = [image_output(o[0], o[1], i) for i, o in enumerate(outcomes) if not isinstance(o, WorkshopError)]
    failures = [o for o in outcomes if isinstance(o, WorkshopError)]
    if not images:
        raise failures[0]
    problems = [_("Image {number} of {count}: {problem}").format(number=i + 1, count=len(outcomes), problem=o.message)
                for i, o in enumerate(outcomes) if isinstance(o, WorkshopError)]
    notes = []
    if len(bodies) > 1 and model.image.seed_max:
        notes.append(_("{model} makes one image per call; {count} calls ran in parallel with seeds {first}–{last}.")
                     .format(model=model.label, count=len(bodies), first=seeds[0], last=seeds[-1]))
    elif len(bodies) > 1:  # seedless: nothing to say about seeds
        notes.append(_("{model} makes one image per call; {count} calls ran in parallel.").format(
            model=model.label, count=len(bodies)))
    return Produced(images=images, body=bodies[0], notes=notes, problems=problems)


class ImageEngine(ABC):
    """One model family's image requests: body, call, parse."""

    #: how the family's mask files read (None: the engine takes no mask file)
    mask_polarity: Polarity | None = None
    #: True when every request needs a prompt (Stability), not only text-to-image and new-scene outpainting
    prompt_always_required: bool = False
    #: True when one call returns one image, so N images are N calls with seeds seed, seed+1, …
    one_image_per_call: bool = True
    #: what the picker's image count does with this family
    count_help: str = N_("One image per call; several calls run in parallel.")  # translated where shown
    #: lab 6's outpainting modes this family tells apart (empty: it has none, so the choice is not offered)
    outpainting_modes: tuple[str, ...] = ("DEFAULT", "PRECISE")
    #: the bedrock-runtime operation the body is for: "invoke_model" (a JSON body) or "converse" (its keywords)
    operation: str = "invoke_model"

    @abstractmethod
    def body(self, req: ImageRequest, model: ModelInfo, seed: int) -> dict[str, Any]:
        """The JSON body of the (first) call for `req` with `seed`: what History keeps and the Code view shows."""

    @abstractmethod
    def produce(self, req: ImageRequest, model: ModelInfo, seed: int, target: CallTarget,
                settings: Settings) -> Produced:
        """Make the images: call the model (once, or once per image) and parse its replies."""

    def seeds(self, model: ModelInfo, seed: int, count: int) -> list[int]:
        """The seed of each call (one call: just `seed`)."""
        return call_seeds(model, seed, count) if self.one_image_per_call else [seed]

    def prompt_required(self, task: Task) -> bool:
        """Whether `task` can't run without a prompt on this family."""
        if task in (Task.ERASE, Task.ERASE_BY_PROMPT, Task.EXTEND, Task.REMOVE_BACKGROUND):
            return False
        return self.prompt_always_required or task is Task.TEXT_TO_IMAGE or task.keeps_the_mask

    def uses_mask_prompt(self, task: Task) -> bool:
        """Whether the words of a mask prompt decide the area (False: the engine finds it another way)."""
        return task.uses_mask_prompt

    def mask_prompt_reason(self, task: Task) -> str:
        """Why a mask prompt's words are not used for `task` (the page says it where the field would be); "" when
        they are."""
        return ""

    def outpainting_mode_help(self, mode: str) -> str:
        """What `mode` (one of `outpainting_modes`) does to the kept object on this family, for the page."""
        return {"DEFAULT": _("DEFAULT: the kept object may extend into or blend with the new background."),
                "PRECISE": _("PRECISE: the kept object stays exactly as it is.")}.get(mode, "")

    def mask_reach_px(self, req: EditRequest) -> int:
        """How far the mask sent for an outpainting reaches into the kept object with falling strength (grey =
        partial), so the model may reshape the object's edge; 0: the mask stops at the object's edge."""
        return 0

    def puts_back_kept_object(self, req: EditRequest) -> bool:
        """Whether the kept object's original pixels are put back over the model's result (an exact mode the
        model itself lacks); the code view does the same."""
        return False

    def instruction(self, req: ImageRequest) -> str | None:
        """The words an instruction-following model is sent for `req` (the page shows them); None when the
        request's fields go into the body as they are."""
        return None

    def pre_step(self, req: EditRequest, model: ModelInfo, settings: Settings) -> PreStep | None:
        """A call to make before the main one (e.g. finding the subject to keep); None when there is none."""
        return None

    def helper_models(self, task: Task) -> tuple[str, ...]:
        """Ids of other catalog models a task also calls (readiness checks them; cost counts them)."""
        return ()

    def model_mask(self, selection_png: bytes, task: Task) -> bytes:
        """The selection as this family's mask file."""
        from lib.masks import model_mask_from_png

        if self.mask_polarity is None:
            raise ValueError("This engine takes no mask file.")
        mode = PaintMode.OUTPAINTING if task.keeps_the_mask else PaintMode.INPAINTING
        return model_mask_from_png(selection_png, self.mask_polarity, mode)
