"""Each task's name in words, for sentences shown to people ("Not shown, because they can't {task}").

`Task`'s values are identifiers (History, request bodies and tests keep them); their words are marked here and
translated where shown: `task_name(task)`.
"""

from __future__ import annotations

from lib.i18n import N_, _

# Keyed by the value, so that a task added to the catalog later shows its value until it is named here.
TASK_NAMES: dict[str, str] = {
    "text-to-image": N_("make an image from text"),
    "variation": N_("make a variation"),
    "inpaint": N_("inpaint"),
    "outpaint": N_("outpaint"),
    "inpaint by prompt": N_("inpaint by prompt"),
    "outpaint by prompt": N_("outpaint by prompt"),
    "erase": N_("erase"),
    "erase by prompt": N_("erase by prompt"),
    "remove background": N_("remove the background"),
    "extend the canvas": N_("extend the canvas"),
    "recolor by prompt": N_("recolour by prompt"),
    "sketch to image": N_("turn a sketch into an image"),
    "structure to image": N_("turn a structure into an image"),
    "style guide": N_("follow a style guide"),
    "style transfer": N_("transfer a style"),
    "upscale": N_("upscale"),
}


def task_name(task: object) -> str:
    """`task` (a Task) in words, in the current language."""
    value = str(getattr(task, "value", task))
    words = TASK_NAMES.get(value)
    return _(words) if words else value
