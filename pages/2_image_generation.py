"""Lab 2 — image generation from a prompt, with a negative prompt."""

import streamlit as st

from lib.catalog import Task
from lib.generation.requests import GenerationRequest
from lib.services.images import estimate_cost, generate
from lib.i18n import _, format_usd, ngettext
from lib.labs import lab
from lib.presets import GENERATION_PRESETS, PROMPT_TIPS
from lib.ui.common import start_lab
from lib.ui.generation_controls import negative_prompt_input, output_controls, prompt_counter
from lib.ui.model_picker import pick_model
from lib.ui.runs import results_panel, run_button
from lib.ui.presenter import lab_columns
from lib.ui.prompt_language import english_only_note

LAB = lab(2)
KEY = LAB.key
PRESETS = {p.name: p for p in GENERATION_PRESETS}


def apply_preset() -> None:
    preset = PRESETS.get(st.session_state.get(f"{KEY}_preset") or "")
    if preset:
        st.session_state[f"{KEY}_prompt"] = preset.prompt
        st.session_state[f"{KEY}_negative"] = preset.negative


ready = start_lab(LAB)
left, right = lab_columns([2, 3])

with left:
    st.subheader(_("Image parameters"))
    model = pick_model(Task.TEXT_TO_IMAGE, key=f"{KEY}_model")
    st.selectbox(_("Start from a workshop example"), list(PRESETS), index=None, key=f"{KEY}_preset",
                 placeholder=_("Choose an example prompt…"), on_change=apply_preset, format_func=_)
    prompt = st.text_area(_("What you want to see in the image"), key=f"{KEY}_prompt", height=110)
    prompt_counter(prompt, model.image.prompt_max_chars, model)
    negative = negative_prompt_input(model, f"{KEY}_negative", _("What should not be in the image (negative prompt)"),
                                     help=_("List things, without “no”: write “mirrors”, not “no mirrors”."))
    english_only_note(model, prompt, negative)
    options = output_controls(model, KEY)
    request = GenerationRequest(model_id=model.id, prompt=prompt, negative_prompt=negative,
                                **options.request_fields())
    st.caption(ngettext("Estimated cost: {price} for {count} image", "Estimated cost: {price} for {count} images",
                        options.count).format(price=format_usd(estimate_cost(request)), count=options.count))
    run_button(KEY, generate, request, model, ready=ready, label=_("Generate"), icon=":material/brush:",
               complete=bool(prompt.strip()))
    with st.expander(_("Prompt tips")):
        st.markdown("\n".join(f"- {_(tip)}" for tip in PROMPT_TIPS))

with right:
    st.subheader(_("Result"))
    results_panel(KEY, send_to=(lab(3),),
                  empty_text=_("Your images will appear here. Pick an example or write a prompt, then press "
                               "**Generate**."))
