"""Outpainting's two lessons, asked of the model's engine: what a mask prompt does, and DEFAULT vs PRECISE.

Labs 4 and 6 keep an object and repaint the rest. Whether the words of a mask prompt choose that object, which
outpainting modes a family tells apart and what each does are the engine's facts (lib/engines); the pages ask
here and never look at a family. After a run, `kept_notes` measures how many pixels of the kept object each
result changed (PRECISE keeps them all: 0; DEFAULT lets the model reshape the object's edge), and says it in
the result's notes, which History keeps; `kept_change_in` reads the number back for lab 6's side-by-side.
"""

from __future__ import annotations

import io
import re
import string

from PIL import Image

from lib import masks
from lib.catalog import ModelInfo, Task
from lib.engines.registry import engine_for
from lib.generation.requests import EditRequest, ImageOutput
from lib.i18n import LANGUAGES, N_, _, translate

KEPT_LABEL = N_("Pixels changed inside the kept object")  # translated where shown: _(KEPT_LABEL)
# The measurement as History keeps it, in the language of the run that made it; `kept_change_in` reads it back
# in any of the app's languages.
KEPT_NOTE = N_("{label}: {changed} of {total} ({share}; a pixel counts when a colour channel moved by more than "
               "{tolerance} of 255).")
_FIELDS = {"changed": r"(?P<changed>\d[\d,]*)", "total": r"(?P<total>\d[\d,]*)", "share": r"[\d.,]+\s?%",
           "tolerance": r"(?P<tolerance>\d+)"}


def _kept_pattern(lang: str) -> re.Pattern[str]:
    """KEPT_NOTE in `lang` as a pattern: the changed and total pixel counts and the tolerance as groups."""
    parts = []
    for literal, name, _spec, _conv in string.Formatter().parse(translate(KEPT_NOTE, lang)):
        parts.append(re.escape(literal))
        if name == "label":
            parts.append(re.escape(translate(KEPT_LABEL, lang)))
        elif name:
            parts.append(_FIELDS[name])
    return re.compile("".join(parts).rstrip("\\."))


def _digits(text: str) -> int:
    return int(re.sub(r"\D", "", text))


def outpainting_modes(model: ModelInfo) -> tuple[str, ...]:
    """The outpainting modes `model` tells apart (DEFAULT, PRECISE); empty when it has none to choose."""
    return tuple(engine_for(model).outpainting_modes)


def outpainting_mode_help(model: ModelInfo, mode: str) -> str:
    """What `mode` does to the kept object on `model`, in the workshop's terms."""
    return engine_for(model).outpainting_mode_help(mode)  # each engine says it in the current language


def uses_mask_prompt(model: ModelInfo, task: Task) -> bool:
    """Whether the words of a mask prompt (the object to replace or keep) decide the area on `model`."""
    return task.uses_mask_prompt and engine_for(model).uses_mask_prompt(task)


def mask_prompt_reason(model: ModelInfo, task: Task) -> str:
    """Why `model` does not use a mask prompt's words for `task` (said where the field would be)."""
    return engine_for(model).mask_prompt_reason(task) or (
        _("{model} finds the area itself; it does not use a mask prompt's words.").format(model=model.label))


def kept_note(change: masks.KeptChange) -> str:
    """The result note for one image (History keeps it; `kept_change_in` reads it back)."""
    return _(KEPT_NOTE).format(label=_(KEPT_LABEL), changed=f"{change.changed:,}", total=f"{change.total:,}",
                               share=f"{change.share:.1%}", tolerance=change.tolerance)


def kept_change_in(notes: list[str]) -> masks.KeptChange | None:
    """The measurement of the first image, read back from its result's notes; None when it was not measured."""
    patterns = [_kept_pattern(lang) for lang in LANGUAGES]
    for note in notes:
        for pattern in patterns:
            found = pattern.search(note)
            if found:
                return masks.KeptChange(_digits(found["changed"]), _digits(found["total"]), int(found["tolerance"]))
    return None


def kept_note_in(notes: list[str]) -> str | None:
    """The first measurement note among a result's notes, measured or not; None when there is none."""
    labels = [translate(KEPT_LABEL, lang) for lang in LANGUAGES]
    return next((note for note in notes if any(label in note for label in labels)), None)


def measure_kept(req: EditRequest, images: list[ImageOutput]) -> list[masks.KeptChange]:
    """For each result image, the pixels of the kept object (the request's selection) it changed."""
    assert req.mask is not None
    with Image.open(io.BytesIO(req.image)) as photo, Image.open(io.BytesIO(req.mask)) as selection:
        photo.load()
        selection.load()
        changes = []
        for made in images:
            with Image.open(io.BytesIO(made.data)) as result:
                changes.append(masks.kept_pixels_changed(photo, result, selection))
    return changes


def kept_notes(model: ModelInfo, req: EditRequest, images: list[ImageOutput]) -> list[str]:
    """What an outpainting result did to the kept object, one note per image; [] for any other task.

    The kept object is the request's selection as the model received it: a drawn or uploaded mask, or the
    subject an engine's first step found (Stability's Remove Background). A model that finds the object from
    words and doesn't say where it was can't be measured, and the note says so.
    """
    if not req.task.keeps_the_mask or not images:
        return []
    if req.mask is None:
        return [_("{label}: not measured. {model} found the object itself and doesn't return which pixels it "
                  "kept.").format(label=_(KEPT_LABEL), model=model.label)]
    size = Image.open(io.BytesIO(req.image)).size
    notes = []
    for n, (made, change) in enumerate(zip(images, measure_kept(req, images))):
        note = kept_note(change)
        if (made.width, made.height) != size:
            note = _("{note} Measured on the result resized from {width}×{height} to the photo's {photo_width}×"
                     "{photo_height}.").format(note=note, width=made.width, height=made.height,
                                                photo_width=size[0], photo_height=size[1])
        if len(images) > 1:
            note = _("Image {number}: {note}").format(number=n + 1, note=note)
        notes.append(note)
    return notes
