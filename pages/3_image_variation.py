"""Lab 3 — image variation: new images that stay close to one or more inputs, or keep one thing of the input (a
sketch's lines, a photo's structure, an image's style) and change the rest."""

import streamlit as st

from lib.generation.requests import VariationRequest
from lib.i18n import _, format_usd
from lib.services.images import estimate_cost, prompt_required, vary
from lib.labs import lab
from lib.presets import VARIATION_PROMPTS, both_languages
from lib.ui.common import show_notes, start_lab
from lib.ui.generation_controls import negative_prompt_input, output_controls, prompt_counter
from lib.ui.image_input import choose_images, photo_suggestions, prepare_for_model
from lib.ui.model_picker import pick_model
from lib.ui.prompt_language import english_only_note
from lib.ui.service_controls import knob_values, style_preset_choice, variation_kind
from lib.ui.runs import results_panel, run_button
from lib.ui.presenter import lab_columns

LAB = lab(3)
KEY = LAB.key

ready = start_lab(LAB)
kind = variation_kind(KEY)  # what the result keeps of the input: said in one line under the choice
model = pick_model(kind, key=f"{KEY}_model")
if model.notes:  # what the chosen model really does with the input
    st.caption(_(model.notes[0]))
col_input, col_settings, col_result = lab_columns([2, 2, 3])

with col_input:
    st.subheader(_("Input"))
    roles = model.image.input_roles  # inputs with different jobs (Style Transfer: the photo, then the style)
    max_inputs = 1 if roles else model.image.max_input_images
    if roles:
        st.caption(_(roles[0]))
    chosen = choose_images(LAB.input_key or f"{KEY}_input", max_images=max_inputs, default_sample="chelsea")
    if max_inputs > 1:
        st.caption(_("{model} takes 1–{count} input images.").format(model=model.label, count=max_inputs))
    prepared = []

    def show_prepared(items) -> None:  # noqa: ANN001 - ChosenImage
        for item in items:
            ready_image = prepare_for_model(model.id, item)
            prepared.append(ready_image)
            st.image(ready_image.data, width=260, caption=_("{image} — sent as {width}×{height}").format(
                image=item.label, width=ready_image.size[0], height=ready_image.size[1]))
            show_notes(item.notes + ready_image.notes, _("Adjusted for {model}").format(model=model.label))

    show_prepared(chosen)
    if not chosen:
        st.info(_("Choose an input image to vary."), icon=":material/image:")
    for role in roles[1:]:  # only a model with a second image asks for one
        st.subheader(_(role))
        show_prepared(choose_images(f"{KEY}_style", default_sample="hubble")[:1])

with col_settings:
    st.subheader(_("Settings"))
    # The suggestions in English and in Korean: what is sent is the text as picked (or typed).
    photo_suggestions(_("Suggested prompts"), both_languages(VARIATION_PROMPTS), fills=f"{KEY}_prompt",
                      key=f"{KEY}_suggestion", placeholder=_("Pick a suggested prompt…"),
                      input_key=LAB.input_key or f"{KEY}_input")
    prompt = st.text_input(_("How to vary the image"), key=f"{KEY}_prompt",
                           help=(_("Required by {model}.") if prompt_required(model, kind)
                                 else _("Optional for {model}.")).format(model=model.label))
    prompt_counter(prompt, model.image.prompt_max_chars, model)
    negative = negative_prompt_input(model, f"{KEY}_negative", _("What should not be in the image"))
    english_only_note(model, boxes={f"{KEY}_prompt": prompt, f"{KEY}_negative": negative}, lab=KEY)
    knob = model.image.variation_knob
    strength = None
    if knob:
        strength = st.slider(_(knob.label), knob.minimum, knob.maximum, knob.default, knob.step,
                             key=f"{KEY}_{model.id}_strength", help=_(knob.help) if knob.help else None,
                             format="%.2f")
    knobs = knob_values(model, KEY)  # the model's own knobs (control strength, fidelity, style strength…)
    style_preset = style_preset_choice(model, KEY)
    shaped = model.image.variation_aspect  # Style Guide: the shape is chosen, not kept from the input
    options = output_controls(model, KEY, input_size=None if shaped or not prepared else prepared[0].size)
    request = VariationRequest(model_id=model.id, images=tuple(p.data for p in prepared), prompt=prompt,
                               negative_prompt=negative, strength=strength, **options.variation_fields(), task=kind,
                               knobs=knobs, style_preset=style_preset, aspect_ratio=options.aspect_ratio if shaped
                               else "")
    st.caption(_("Estimated cost: {cost}").format(cost=format_usd(estimate_cost(request))))
    run_button(KEY, vary, request if prepared else None, model, ready=ready, label=_("Generate variations"),
               icon=":material/auto_awesome_motion:", inputs=list(request.images))

with col_result:
    st.subheader(_("Result"))
    results_panel(KEY, send_to=(LAB,), empty_text=_("Variations will appear here."), columns=2)
