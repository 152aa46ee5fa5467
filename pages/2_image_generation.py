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
from lib.vision import PROMPT_LANGUAGES

LAB = lab(2)
KEY = LAB.key
PRESETS = {p.name: p for p in GENERATION_PRESETS}
PRESET_LANG = f"{KEY}_preset_lang"  # the language an example is filled in: "en" (the workshop's) or "ko"


def apply_preset() -> None:
    """The chosen example into the boxes, in the chosen language: what is sent is what the boxes then hold."""
    preset = PRESETS.get(st.session_state.get(f"{KEY}_preset") or "")
    if preset:
        lang = st.session_state.get(PRESET_LANG) or "en"
        st.session_state[f"{KEY}_prompt"] = preset.prompt_in(lang)
        st.session_state[f"{KEY}_negative"] = preset.negative_in(lang)


ready = start_lab(LAB)
left, right = lab_columns([2, 3])

with left:
    st.subheader(_("Image parameters"))
    model = pick_model(Task.TEXT_TO_IMAGE, key=f"{KEY}_model")
    st.selectbox(_("Start from a workshop example"), list(PRESETS), index=None, key=f"{KEY}_preset",
                 placeholder=_("Choose an example prompt…"), on_change=apply_preset, format_func=_)
    st.session_state.setdefault(PRESET_LANG, "en")  # the workshop's English unless the attendee asks for Korean
    st.radio(_("Example prompt in"), list(PROMPT_LANGUAGES), key=PRESET_LANG, horizontal=True,
             format_func=lambda code: _(PROMPT_LANGUAGES[code]), on_change=apply_preset,
             help=_("The example fills the boxes in this language; what is sent is what the boxes hold. Some models "
                    "read English prompts only."))
    prompt = st.text_area(_("What you want to see in the image"), key=f"{KEY}_prompt", height=110)
    prompt_counter(prompt, model.image.prompt_max_chars, model)
    negative = negative_prompt_input(model, f"{KEY}_negative", _("What should not be in the image (negative prompt)"),
                                     help=_("List things, without “no”: write “mirrors”, not “no mirrors”."))
    english_only_note(model, boxes={f"{KEY}_prompt": prompt, f"{KEY}_negative": negative}, lab=KEY)
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
