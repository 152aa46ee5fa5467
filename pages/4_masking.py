"""Lab 4 — masking: a mask image vs a mask prompt, inpainting vs outpainting."""

import streamlit as st

from lib.catalog import Task, get_model
from lib.services.images import edit
from lib.services.outpainting import outpainting_mode_help, outpainting_modes
from lib.generation.requests import EditRequest
from lib.i18n import N_, _, format_usd
from lib.labs import lab
from lib.masks import PaintMode
from lib.presets import MASKING_EXAMPLES, both_languages
from lib.local.availability import task_runs_here
from lib.ui.common import backend_preference, start_lab
from lib.ui.edit_lab import edit_input, run_edit_button
from lib.ui.image_input import photo_suggestions
from lib.ui.generation_controls import output_controls
from lib.ui.mask_editor import mask_editor
from lib.ui.model_picker import pick_model
from lib.ui.runs import describe_job, results_panel, run_request
from lib.ui.presenter import lab_columns
from lib.ui.prompt_language import english_only_note

OUTPAINT_ID = "stability.stable-outpaint-v1:0"
LAB = lab(4)
KEY = LAB.key
MASKING_MODES = (N_("Image"), N_("Prompt"))  # kept in English in the session; shown translated
SIDES = {"left": N_("left (px)"), "right": N_("right (px)"), "up": N_("up (px)"), "down": N_("down (px)")}
TASKS = {  # (masking mode, painting mode, has prompt) → task
    ("Image", PaintMode.INPAINTING, True): Task.INPAINT, ("Image", PaintMode.INPAINTING, False): Task.ERASE,
    ("Image", PaintMode.OUTPAINTING, True): Task.OUTPAINT, ("Image", PaintMode.OUTPAINTING, False): Task.OUTPAINT,
    ("Prompt", PaintMode.INPAINTING, True): Task.INPAINT_BY_PROMPT,
    ("Prompt", PaintMode.INPAINTING, False): Task.ERASE_BY_PROMPT,
    ("Prompt", PaintMode.OUTPAINTING, True): Task.OUTPAINT_BY_PROMPT,
    ("Prompt", PaintMode.OUTPAINTING, False): Task.OUTPAINT_BY_PROMPT,
}

preference = backend_preference()  # the sidebar's switch: Auto, Amazon Bedrock or This machine
cloud_ready = start_lab(LAB, offline_ready=task_runs_here(Task.ERASE), offline_note=
                        _("Erasing still works offline: choose inpainting, leave the prompt empty, and the local "
                          "OpenCV eraser removes the marked area (with a mask prompt it finds the object itself, "
                          "experimentally)."))
left, right = lab_columns([3, 2])

with left:
    c1, c2 = st.columns(2)
    masking = c1.radio(_("Masking mode:"), MASKING_MODES, key=f"{KEY}_masking", horizontal=True, format_func=_,
                       help=_("Image: you mark the area. Prompt: you name an item and the model finds it."))
    painting = PaintMode(c2.radio(_("Painting mode:"), [m.value for m in PaintMode], key=f"{KEY}_painting",
                                  help=_("Inpainting repaints the masked area; outpainting keeps it and repaints "
                                         "everything else.")))
    photo_suggestions(_("Examples"), both_languages(MASKING_EXAMPLES), fills=f"{KEY}_prompt", key=f"{KEY}_example",
                      placeholder=_("Pick an example prompt (it picks its photo too)…"),
                      input_key=LAB.input_key or f"{KEY}_input")
    prompt = st.text_area(_("Prompt text:"), key=f"{KEY}_prompt", height=80)
    task = TASKS[(masking, painting, bool(prompt.strip()))]
    # A mask prompt is the lesson here: only models that use its words are offered for it.
    model = pick_model(task, key=f"{KEY}_model", preference=preference, mask_words=True)
    english_only_note(model, boxes={f"{KEY}_prompt": prompt}, lab=KEY)
    ready = cloud_ready or model.runs_locally
    modes = outpainting_modes(model) if painting is PaintMode.OUTPAINTING else ()
    mode = st.radio(_("Outpainting mode"), modes, key=f"{KEY}_outmode", horizontal=True) if modes else "DEFAULT"
    if modes:
        st.caption(outpainting_mode_help(model, mode))
    photo = edit_input(LAB, model)
    request = None
    if photo:
        choice = mask_editor(f"{KEY}_mask", photo.image, painting, model=model, sample_id=photo.sample_id,
                             photo_fit=photo.photo_fit, allow_prompt=masking == "Prompt",
                             allow_image=masking == "Image", task=task)
        options = output_controls(model, KEY, editing=True)
        request = EditRequest(model_id=model.id, task=task, image=photo.data, mask=choice.selection_png(),
                              mask_prompt=choice.mask_prompt, prompt=prompt, outpainting_mode=mode,
                              **options.edit_fields())
    run_edit_button(KEY, request, model, ready=ready)

    with st.expander(_("Outpainting beyond the edges: extend the picture (Stable Image Outpaint)")):
        extender = get_model(OUTPAINT_ID)
        sides = st.columns(4)
        extend = tuple(int(col.number_input(_(SIDES[side]), 0, 2000, 128 if side in ("left", "right") else 0,
                                            step=32, key=f"{KEY}_extend_{side}"))
                       for col, side in zip(sides, ("left", "right", "up", "down")))
        extend_prompt = st.text_input(_("What the new area shows (optional)"), key=f"{KEY}_extend_prompt")
        english_only_note(extender, boxes={f"{KEY}_extend_prompt": extend_prompt}, lab=f"{KEY}_extend")
        extend_request = EditRequest(model_id=OUTPAINT_ID, task=Task.EXTEND, image=photo.data, extend=extend,
                                     prompt=extend_prompt) if photo else None
        st.caption(_("{note} {price} per image.").format(note=_(extender.notes[0]),
                                                          price=format_usd(extender.price.per_image(), 2)))
        if st.button(_("Extend"), key=f"{KEY}_extend_go", disabled=not cloud_ready or extend_request is None,
                     icon=":material/open_in_full:"):
            run_request(KEY, edit, extend_request, what=describe_job(_("Extend"), extend_prompt),
                        model_label=extender.label, inputs=[photo.data])

with right:
    st.subheader(_("Result"))
    results_panel(KEY, send_to=(lab(3),), columns=2,
                  empty_text=_("Choose a masking mode and a painting mode: the tinted preview shows what will be "
                               "repainted before you press **Generate**."),
                  offline_text=_("Erase on this machine: choose INPAINTING, mark an area (or name an object with a "
                                 "mask prompt), leave the prompt empty, then press **Generate**.")
                  if task_runs_here(Task.ERASE)
                  else None)
