"""Lab 5 — replace, recolour or remove an object named by a mask prompt."""

import streamlit as st

from lib.catalog import Task
from lib.generation.requests import EditRequest
from lib.i18n import LANGUAGES, N_, _, current_language
from lib.labs import lab
from lib.presets import (RECOLOR_DEFAULT_COLOURS, REPLACE_DEFAULT_OBJECT, REPLACE_DEFAULT_SAMPLE, REPLACE_DEFAULT_WITH,
                         REPLACE_SUGGESTIONS, both_languages, in_language)
from lib.local.availability import task_runs_here
from lib.masks import PaintMode
from lib.ui.common import backend_preference, start_lab
from lib.ui.edit_lab import edit_input, run_edit_button
from lib.ui.image_input import photo_suggestions, select_sample
from lib.ui.generation_controls import output_controls
from lib.ui.mask_editor import found_object_preview
from lib.ui.model_picker import pick_model
from lib.ui.prompt_language import english_only_note
from lib.ui.runs import results_panel
from lib.ui.service_controls import knob_values, style_preset_choice, task_choice, task_key
from lib.ui.presenter import lab_columns

LAB = lab(5)
KEY = LAB.key


def recolouring() -> bool:
    return st.session_state.get(task_key(KEY)) == Task.RECOLOR_BY_PROMPT


def example_text(lang: str) -> tuple[str, str]:
    """The workshop-style example (object, what it becomes) in `lang`: the starting texts, in either language."""
    new = RECOLOR_DEFAULT_COLOURS if recolouring() else REPLACE_DEFAULT_WITH
    return in_language(REPLACE_DEFAULT_OBJECT, lang), in_language(new, lang)


def use_example() -> None:
    """The example into both boxes in the language picked, as it will be sent, and the photo it was written for."""
    lang = st.session_state.get(f"{KEY}_example")
    if lang:
        st.session_state[f"{KEY}_object"], st.session_state[f"{KEY}_prompt"] = example_text(lang)
        select_sample(LAB.input_key or f"{KEY}_input", REPLACE_DEFAULT_SAMPLE)


preference = backend_preference()  # the sidebar's switch: Auto, Amazon Bedrock or This machine
cloud_ready = start_lab(LAB, offline_ready=task_runs_here(Task.ERASE_BY_PROMPT), offline_note=_(
    "Removing still works offline, experimentally: leave “Object to add” empty and the local eraser finds the "
    "object (ImageNet classes only) and fills it from its surroundings."))
left, right = lab_columns([3, 2])

with left:
    # Recolouring keeps the object and changes its colours (Search and Recolor); the prompt box keeps one text each.
    action = task_choice(KEY, {Task.INPAINT_BY_PROMPT: N_("Replace or remove"), Task.RECOLOR_BY_PROMPT: N_("Recolor")},
                         _("What to do with the object"), drafts={Task.INPAINT_BY_PROMPT: REPLACE_DEFAULT_WITH,
                                                                   Task.RECOLOR_BY_PROMPT: RECOLOR_DEFAULT_COLOURS})
    recolor = action is Task.RECOLOR_BY_PROMPT
    languages = [current_language()] + [code for code in LANGUAGES if code != current_language()]
    examples = {lang: "{} → {}".format(*example_text(lang)) for lang in languages}  # as this task fills them
    st.selectbox(_("Workshop examples"), languages, index=None, key=f"{KEY}_example", on_change=use_example,
                 placeholder=_("Pick an example, in English or in Korean (it picks its photo too)…"),
                 format_func=examples.__getitem__)
    obj = st.text_input(_("Object to find"), key=f"{KEY}_object", value=REPLACE_DEFAULT_OBJECT,
                        help=_("Named in words: the model finds it itself."))
    photo_suggestions(_("Try also"), both_languages(REPLACE_SUGGESTIONS), fills=f"{KEY}_object",
                      key=f"{KEY}_suggestion", placeholder=_("Another object (it picks its photo too)…"),
                      input_key=LAB.input_key or f"{KEY}_input")
    prompt = st.text_area(_("Its new colours (e.g. “matte navy blue”)") if recolor
                          else _("Object to add (leave blank to remove)"), key=f"{KEY}_prompt", height=70,
                          value=RECOLOR_DEFAULT_COLOURS if recolor else REPLACE_DEFAULT_WITH)
    task = action if recolor else Task.INPAINT_BY_PROMPT if prompt.strip() else Task.ERASE_BY_PROMPT
    model = pick_model(task, key=f"{KEY}_model", preference=preference)
    english_only_note(model, boxes={f"{KEY}_object": obj, f"{KEY}_prompt": prompt}, lab=KEY)
    ready = cloud_ready or model.runs_locally
    if recolor and model.notes:  # what the recolouring model really does
        st.caption(_(model.notes[0]))
    photo = edit_input(LAB, model, default_sample=REPLACE_DEFAULT_SAMPLE)
    request = None
    if photo and model.runs_locally:
        found_object_preview(photo.image, obj, PaintMode.INPAINTING)
    elif photo:
        st.image(photo.image, width=min(480, photo.image.width))
    if photo:
        options = output_controls(model, KEY, editing=True)
        request = EditRequest(model_id=model.id, task=task, image=photo.data, mask_prompt=obj, prompt=prompt,
                              knobs=knob_values(model, KEY), style_preset=style_preset_choice(model, KEY),
                              **options.edit_fields())
    run_edit_button(KEY, request, model, ready=ready,
                    label=_("Recolor") if recolor else _("Replace") if prompt.strip() else _("Remove"))

with right:
    st.subheader(_("Result"))
    results_panel(KEY, send_to=(lab(3),), columns=2,
                  empty_text=_("Name the object, say what to put there, its new colours, or nothing (to remove it), "
                               "then press the button."),
                  offline_text=_("Remove an object on this machine: name it, leave “Object to add” empty, check "
                                 "the tinted preview, then press **Remove**.") if task_runs_here(Task.ERASE_BY_PROMPT)
                  else None)
