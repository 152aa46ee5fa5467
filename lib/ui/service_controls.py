"""Controls for what a lab can ask beside its main task, drawn from the catalog: the choice of task (lab 3's kinds of
variation, lab 5's replace or recolour), a model's own knobs and its style presets (Stability's Image Services)."""

from __future__ import annotations

import streamlit as st

from lib.catalog import VARIATION_KINDS, ModelInfo, Task, models_for
from lib.i18n import N_, _
from lib.ui.model_picker import installed

# Lab 3's kinds of variation as lib/catalog.py's VARIATION_KINDS names and explains them (in English there),
# marked here for the catalog: each is shown through _() (tests/test_lab35_languages.py checks they match).
KIND_WORDS = (
    N_("Similar images"), N_("Keeps the input's subject and look: new images close to it."),
    N_("From a sketch"), N_("Keeps the sketch's lines: the prompt fills them with colour, light and texture."),
    N_("From the structure"),
    N_("Keeps the structure's edges (layout and outlines): the prompt repaints everything else."),
    N_("In this style"), N_("Keeps the style (colours, brushwork, mood) of the image: the prompt says what to paint in "
                            "it."),
    N_("Style transfer"), N_("Keeps the content of the first image and the style of the second: the photo repainted "
                             "in that style."),
)


def task_key(key: str) -> str:
    """Where a lab keeps its chosen task (History's "Reuse in lab" hands a result's task over through it)."""
    return f"{key}_task"


def task_choice(key: str, tasks: dict[Task, str], label: str, *, drafts: dict[Task, str] | None = None) -> Task:
    """A horizontal choice of `tasks` (task → its name, in English, marked for the catalog: shown through _();
    `label` is already in the session's language). A task handed over that is not offered falls back to the
    first. `drafts`: each task's starting text for the lab's prompt box (`{key}_prompt`), which then keeps one
    text per task, so switching task never sends one task's words to another."""
    state = st.session_state
    options = list(tasks)
    if state.get(task_key(key)) not in options:
        state[task_key(key)] = options[0]
    shown_key = f"{key}_task_shown"

    def keep_draft() -> None:
        kept = state.setdefault(f"{key}_drafts", {})
        previous = state.get(shown_key)
        if previous is not None:
            kept[previous] = state.get(f"{key}_prompt", "")
        now = Task(state[task_key(key)])
        state[f"{key}_prompt"] = kept.get(now, (drafts or {}).get(now, ""))

    chosen = Task(st.radio(label, options, format_func=lambda task: _(tasks[Task(task)]), key=task_key(key),
                           horizontal=True, on_change=keep_draft if drafts is not None else None))
    state[shown_key] = chosen
    return chosen


def variation_kind(key: str) -> Task:
    """Lab 3's kind of variation (those some installed model does), and one line on what it keeps of the input."""
    offered = {task: name for task, (name, _keeps) in VARIATION_KINDS.items() if installed(models_for(task), task)}
    kind = task_choice(key, offered, _("Kind of variation"))
    st.caption(_(VARIATION_KINDS[kind][1]))
    return kind


def knob_key(model: ModelInfo, key: str, field: str) -> str:
    """The session key of one of the model's knobs (per model: switching never carries a value across)."""
    return f"{key}_{model.id}_{field}"


def knob_values(model: ModelInfo, key: str) -> dict[str, float]:
    """A slider for each of the model's own knobs (catalog ImageSpec.knobs); field → value."""
    values: dict[str, float] = {}
    for knob in model.image.knobs:
        values[knob.field] = st.slider(_(knob.label), knob.minimum, knob.maximum, knob.default, knob.step,
                                       key=knob_key(model, key, knob.field), help=_(knob.help) if knob.help else None,
                                       format="%d" if knob.integer else "%.2f")
    return values


def style_preset_choice(model: ModelInfo, key: str) -> str:
    """The model's style presets, or nothing for a model that takes none; "" = no preset."""
    presets = model.image.style_presets
    if not presets:
        return ""
    chosen = st.selectbox(_("Style preset"), ("", *presets), key=f"{key}_{model.id}_style_preset",
                          format_func=lambda name: name or _("None (the prompt decides)"),
                          help=_("One of {model}'s own looks, applied on top of the prompt.").format(model=model.label))
    return chosen or ""
