"""Lab 6 — keep an object, replace the background (outpainting, DEFAULT vs PRECISE)."""

from dataclasses import replace

import streamlit as st

from lib.catalog import Task
from lib.errors import ContentFiltered, InvalidInput, WorkshopError
from lib.generation.requests import EditRequest
from lib.services.images import edit, random_seed
from lib.services.outpainting import (KEPT_LABEL, kept_change_in, kept_note_in, mask_prompt_reason,
                                      outpainting_mode_help, outpainting_modes, uses_mask_prompt)
from lib.i18n import LANGUAGES, _, current_language, format_number
from lib.labs import lab
from lib.presets import (BACKGROUND_DEFAULT_OBJECT, BACKGROUND_DEFAULT_SAMPLE, BACKGROUND_DEFAULT_SCENE,
                         BACKGROUND_REWRITE, in_language, photo_for)
from lib.ui.common import history_store, start_lab, viewer
from lib.ui.edit_lab import edit_input, run_edit_button
from lib.ui.generation_controls import negative_prompt_input, output_controls
from lib.ui.image_input import select_sample
from lib.ui.model_picker import pick_model
from lib.ui.results import outpainting_mode
from lib.services.calls import compare_work
from lib.ui.jobs import submit
from lib.ui.runs import collect, compare_key, describe_job, error_key, job_key, results_panel
from lib.ui.presenter import lab_columns
from lib.ui.prompt_language import english_only_note

LAB = lab(6)
KEY = LAB.key
COMPARE = compare_key(KEY)
EXAMPLES = ((BACKGROUND_DEFAULT_OBJECT, BACKGROUND_DEFAULT_SCENE), BACKGROUND_REWRITE)  # the workshop's, in English


def example_choices() -> list[str]:
    """Each example in each language ("ko:0"), the session's language first."""
    first = current_language()
    order = [first] + [lang for lang in LANGUAGES if lang != first]
    return [f"{lang}:{n}" for n in range(len(EXAMPLES)) for lang in order]


def example_text(choice: str) -> tuple[str, str]:
    """(object, description) of an example choice, in its language."""
    lang, n = choice.split(":")
    obj, scene = EXAMPLES[int(n)]
    return in_language(obj, lang), in_language(scene, lang)


def use_example() -> None:
    """The chosen example into both boxes, as it will be sent, and the sample photo it was written for."""
    choice = st.session_state.get(f"{KEY}_example")
    if not choice:
        return
    obj, scene = example_text(choice)
    st.session_state[f"{KEY}_object"], st.session_state[f"{KEY}_prompt"] = obj, scene
    match = photo_for(EXAMPLES[int(choice.split(":")[1])][1])
    if match is not None:
        select_sample(LAB.input_key or f"{KEY}_input", match.sample)


def rewrite_hint(err: WorkshopError) -> str | None:
    """The workshop's known refusal: suggest its rewrite (a plainer object and a scene that starts with it)."""
    if isinstance(err, (ContentFiltered, InvalidInput)):
        obj, scene = BACKGROUND_REWRITE
        if not uses_mask_prompt(model, Task.OUTPAINT_BY_PROMPT):  # no object field: only the description helps
            return _("This description is often refused. Try a plainer one that starts with the object, e.g. "
                     "“{scene}” — the workshop's own fix.").format(scene=scene)
        return _("This combination is often refused. Try a plainer object and a description that starts with it, "
                 "e.g. object “{object}” and description “{scene}” — the workshop's own fix.").format(
                     object=obj, scene=scene)
    return None


ready = start_lab(LAB)
left, right = lab_columns([3, 2])

with left:
    st.selectbox(_("Workshop examples"), example_choices(), index=None, key=f"{KEY}_example", on_change=use_example,
                 placeholder=_("Pick an example, in English or in Korean (it picks its photo too)…"),
                 format_func=lambda choice: _("{scene} (keep: {object})").format(scene=example_text(choice)[1],
                                                                                object=example_text(choice)[0]))
    object_slot = st.container()  # the object to keep, once the model says whether it reads the words
    prompt = st.text_input(_("Description including the object to keep and background to add:"), key=f"{KEY}_prompt",
                           value=BACKGROUND_DEFAULT_SCENE)
    model = pick_model(Task.OUTPAINT_BY_PROMPT, key=f"{KEY}_model")
    negative = negative_prompt_input(model, f"{KEY}_negative", _("What should not be in the background:"))
    with object_slot:
        if uses_mask_prompt(model, Task.OUTPAINT_BY_PROMPT):
            obj = st.text_input(_("Object to keep:"), key=f"{KEY}_object", value=BACKGROUND_DEFAULT_OBJECT)
        else:  # the words would do nothing: no field, and why
            obj = ""
            st.caption(_(":material/info: **Object to keep:** {reason}").format(
                reason=mask_prompt_reason(model, Task.OUTPAINT_BY_PROMPT)))
    english_only_note(model, boxes={f"{KEY}_prompt": prompt, f"{KEY}_object": obj, f"{KEY}_negative": negative},
                      lab=KEY)
    modes = outpainting_modes(model)
    if modes:
        mode = st.radio(_("Outpainting mode:"), modes, key=f"{KEY}_outmode", horizontal=True,
                        help=_("The workshop: DEFAULT lets the kept object extend into or blend with the new "
                               "background; PRECISE keeps it sharp, exactly as it is."))
        st.caption(outpainting_mode_help(model, mode))
    else:
        mode = "DEFAULT"
        st.caption(_("{model} tells no outpainting modes apart, so DEFAULT vs PRECISE is not offered.").format(
            model=model.label))
    photo = edit_input(LAB, model, default_sample=BACKGROUND_DEFAULT_SAMPLE)
    request = None
    if photo:
        st.image(photo.image, width=min(480, photo.image.width))
        options = output_controls(model, KEY, editing=True)
        request = EditRequest(model_id=model.id, task=Task.OUTPAINT_BY_PROMPT, image=photo.data, mask_prompt=obj,
                              prompt=prompt, negative_prompt=negative, outpainting_mode=mode,
                              **options.edit_fields())
    run_edit_button(KEY, request, model, ready=ready)
    if len(modes) > 1 and st.button(_("Compare {modes} (same seed)").format(modes=_(" and ").join(modes)), key=f"{KEY}_compare_go",
                                    disabled=not ready or request is None, icon=":material/compare:"):
        assert request is not None
        seed = request.seed if request.seed is not None else random_seed(model)
        st.session_state.pop(error_key(KEY), None)
        submit(KEY, "compare", describe_job(_("Compare {modes}").format(modes=_(" and ").join(modes)), request.prompt), model.label,
               f"compare:{job_key(request)}", compare_work(edit, replace(request, seed=seed), history_store(), KEY,
                                                             modes, owner=viewer().owner))

with right:
    collect(KEY)  # before the pair is read: a finished comparison sets it
    pair = st.session_state.get(COMPARE)
    if pair and not st.session_state.get(error_key(KEY)):
        st.subheader("DEFAULT vs PRECISE")
        # The two images side by side, as large as the column allows, each labelled with its mode and seed;
        # their downloads, seeds and requests are under Result below.
        # Under each, how many pixels of the kept object it changed (measured when it was made).
        for col, entry_id, name in zip(st.columns(2), pair, ("DEFAULT", "PRECISE")):
            entry = history_store().get(entry_id, viewer())
            if entry and entry.outputs and entry.outputs[0].exists():
                image = entry.outputs[0]
                name = outpainting_mode(entry) or name
                with col:
                    st.markdown(f"#### {name}")
                    st.image(image.read_bytes(), width="stretch",
                             caption=_("{mode} · Seed {seed} · {model}").format(mode=name, seed=image.seed,
                                                                                model=entry.model_label))
                    change = kept_change_in(entry.notes)
                    if change is not None:  # the label above the number: a narrow column would cut it short
                        st.caption(_(KEPT_LABEL))
                        st.metric(_(KEPT_LABEL), format_number(change.changed), border=True,
                                  label_visibility="collapsed")
                        st.caption(_("of {total} ({share}); a pixel counts when a colour channel moved by more than "
                                     "{tolerance} of 255").format(total=format_number(change.total),
                                                                  share=f"{change.share:.1%}",
                                                                  tolerance=change.tolerance))
                    else:
                        st.caption(kept_note_in(entry.notes) or _("{label}: not measured.").format(
                            label=_(KEPT_LABEL)))
        st.caption(_("PRECISE keeps every pixel of the kept object, so its count is 0; DEFAULT lets the model "
                     "reshape the object's edge to blend it into the new scene, so its count is above 0. Same seed, "
                     "same prompt: the mode is the only difference."))
    st.subheader(_("Result"))
    results_panel(KEY, send_to=(lab(3),), columns=2, hint=rewrite_hint, collected=True,
                  empty_text=_("Say what to keep and describe the new scene, then press **Generate**."))
