"""What each lab can do on Bedrock and on this machine: the home page's capability table.

Built from the catalog rows (a local engine is a row with `runs_locally`), so a new local
engine shows up here by itself; the per-lab wording of what is missing lives in LOCAL_GAPS.
"""

from __future__ import annotations

from dataclasses import dataclass

from lib.catalog import CHAT_MODELS, EMBEDDING_MODELS, MODELS, Task, shown_label
from lib.i18n import N_, _
from lib.labs import LABS
from lib.local.availability import INSTALL_HINT, missing_for

# What a lab's Bedrock models do, and what is still missing offline (and why); English, translated where shown.
LAB_TASKS: dict[int, tuple[str, str]] = {
    1: (N_("Search by text, image or both (multimodal embeddings)"), ""),
    2: (N_("Text to image"), N_("No packaged image-generation model exists; nothing local can draw.")),
    3: (N_("Image variation"), N_("Needs a generative model; none ships offline.")),
    4: (N_("Inpainting / outpainting with a mask image or mask prompt"), N_("Painting new content needs Bedrock.")),
    5: (N_("Replace or remove a named object"), N_("Replacing needs Bedrock.")),
    6: (N_("Replace the background"), N_("Needs a generative model for the new scene.")),
    7: (N_("Fill a drawn mask from a prompt, or erase it"), N_("Painting from a prompt needs Bedrock.")),
    8: (N_("Describe, classify, list, transcribe, translate, answer"),
        N_("Story, emotion, translation and free questions need a language model.")),
    9: (N_("Chat about several images"), N_("Chat needs a language model; none ships offline.")),
}
REPLAY = N_("Without Bedrock, labs 2–7 and 9 replay from History what an identical request (or chat) got before, "
            "marked as replayed.")
REPLAYING_LABS = (2, 3, 4, 5, 6, 7, 9)
# What a lab's local engine does, in a word or two (a home-page card's "This machine" badge).
LOCAL_SHORT = {1: N_("search"), 4: N_("erasing"), 5: N_("removing"), 7: N_("erasing"), 8: N_("six of nine presets")}
LIMITS = {
    1: N_("Text finds ImageNet's 1000 classes only (no colours, text, people or scenes); an image finds photos "
          "that look alike."),
    8: N_("Six of nine presets; captions are templates."),
    4: N_("Classical fill: fine on smooth backgrounds, smeared on texture. A mask prompt is experimental: "
          "ImageNet classes only, one region."),
    5: N_("Experimental: ImageNet classes only, one region; check the preview."),
    7: N_("Classical fill: fine on smooth backgrounds, smeared on texture."),
}


@dataclass(frozen=True)
class Capability:
    lab: str
    bedrock: str
    local: str  # the local engines and what they do, or "—"
    limits: str
    replays: bool = False  # without Bedrock, an identical earlier request is replayed from History (REPLAY)


def _local_rows(number: int) -> list[tuple[str, Task | None]]:
    """(catalog id, task) of each local engine a lab uses."""
    if number == 1:
        return [(m.id, None) for m in EMBEDDING_MODELS if m.runs_locally]
    if number == 8:
        return [(m.id, None) for m in CHAT_MODELS if m.runs_locally]
    task = Task.ERASE_BY_PROMPT if number == 5 else Task.ERASE
    return [(m.id, task) for m in MODELS if m.runs_locally and m.supports(task)]


def _local_engines(number: int) -> list[str]:
    if number == 1:
        return [shown_label(m.label) for m in EMBEDDING_MODELS if m.runs_locally]
    if number == 8:
        return [shown_label(m.label) for m in CHAT_MODELS if m.runs_locally]
    erasers = [shown_label(m.label) for m in MODELS if m.runs_locally and m.supports(Task.ERASE)]
    by_prompt = [shown_label(m.label) for m in MODELS if m.runs_locally and m.supports(Task.ERASE_BY_PROMPT)]
    if number == 7:
        return [_("{engine}: erase a marked area").format(engine=label) for label in erasers]
    if number == 4:
        return [(_("{engine}: erase a marked area or a named object") if label in by_prompt
                 else _("{engine}: erase a marked area")).format(engine=label) for label in erasers]
    if number == 5:
        return [_("{engine}: remove a named object").format(engine=label) for label in by_prompt]
    return []


def capability_table() -> list[Capability]:
    rows = []
    for item in LABS:
        task, gap = LAB_TASKS[item.number]
        engines = _local_engines(item.number)
        needed = sorted({pip for row, task in _local_rows(item.number) for pip in missing_for(row, task)})
        if needed:  # a cloud-only install: say what is missing instead of offering it
            engines = [_("Not installed here (needs {packages}). {how}").format(packages=", ".join(needed),
                                                                             how=_(INSTALL_HINT))]
        limits = " ".join(_(part) for part in (LIMITS.get(item.number, "") if engines else "", gap) if part)
        rows.append(Capability(item.nav_title, _(task), "; ".join(engines) or "—", limits,
                               replays=item.number in REPLAYING_LABS))
    return rows


def runs_here(number: int) -> str | None:
    """What lab `number` does on this machine (a word or two), or None: no local engine, or not installed."""
    if number not in LOCAL_SHORT or not _local_engines(number):
        return None
    if any(missing_for(row, task) for row, task in _local_rows(number)):
        return None
    return _(LOCAL_SHORT[number])


def labs_running_here() -> list[int]:
    """The labs with an offline engine installed on this machine."""
    return [item.number for item in LABS if runs_here(item.number)]
