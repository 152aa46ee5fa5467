"""Lab 7 — inpainting with a mask the user draws or places."""

import streamlit as st

from lib.catalog import Task
from lib.generation.requests import EditRequest
from lib.i18n import _
from lib.labs import lab
from lib.local.availability import task_runs_here
from lib.masks import PaintMode
from lib.presets import INSERTION_PROMPTS
from lib.ui.common import backend_preference, start_lab
from lib.ui.edit_lab import edit_input, run_edit_button
from lib.ui.image_input import photo_suggestions
from lib.ui.generation_controls import output_controls
from lib.ui.mask_editor import mask_editor
from lib.ui.model_picker import pick_model
from lib.ui.runs import results_panel
from lib.ui.prompt_language import english_only_note
from lib.ui.presenter import lab_columns

LAB = lab(7)
KEY = LAB.key
RECTANGLES_SHOWN = _("Rectangles")  # the mask editor's way of placing an area, named as the editor names it

preference = backend_preference()  # the sidebar's switch: Auto, Amazon Bedrock or This machine
cloud_ready = start_lab(LAB, offline_ready=task_runs_here(Task.ERASE), offline_note=_(
    "Erasing still works offline: leave the prompt empty and the local OpenCV eraser is picked."))
left, right = lab_columns([3, 2])

with left:
    photo_suggestions(_("Prompts for the sample photos"), INSERTION_PROMPTS, fills=f"{KEY}_prompt",
                      key=f"{KEY}_suggestion",
                      placeholder=_("Pick a prompt (it picks its photo; place its area under {rectangles})…").format(
                          rectangles=RECTANGLES_SHOWN),
                      input_key=LAB.input_key or f"{KEY}_input")
    prompt = st.text_input(_("What to paint in the marked area (leave empty to erase it)"), key=f"{KEY}_prompt")
    task = Task.INPAINT if prompt.strip() else Task.ERASE
    model = pick_model(task, key=f"{KEY}_model", preference=preference)
    ready = cloud_ready or model.runs_locally
    english_only_note(model, boxes={f"{KEY}_prompt": prompt}, lab=KEY)
    photo = edit_input(LAB, model)
    request = None
    if photo:
        choice = mask_editor(f"{KEY}_mask", photo.image, PaintMode.INPAINTING, model=model,
                             sample_id=photo.sample_id, photo_fit=photo.photo_fit, allow_prompt=False)
        options = output_controls(model, KEY, editing=True)
        request = EditRequest(model_id=model.id, task=task, image=photo.data, mask=choice.selection_png(),
                              prompt=prompt, **options.edit_fields())
    run_edit_button(KEY, request, model, ready=ready)

with right:
    st.subheader(_("Result"))
    results_panel(KEY, send_to=(lab(3),), columns=2,
                  empty_text=_("Mark an area, write what goes there, then press **{button}**.").format(
                      button=_("Generate")),
                  offline_text=_("Erase on this machine: mark an area ({rectangles} has named areas for each sample "
                                 "photo), leave the prompt empty, then press **{button}**.").format(
                                     rectangles=RECTANGLES_SHOWN, button=_("Generate"))
                  if task_runs_here(Task.ERASE) else None)
