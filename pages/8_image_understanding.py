"""Lab 8 — image understanding with a vision model: nine workshop prompts plus free text, any language."""

import streamlit as st

from lib.catalog import LOCAL_VISION_ID
from lib.chat import ChatImage, Turn, conversation_fingerprint
from lib.errors import WorkshopError
from lib.i18n import N_, _, format_number, format_seconds, format_usd
from lib.jobs import Job
from lib.services.calls import AnswerOutcome, PresetRow, answer_work, presets_work
from lib.labs import lab
from lib.local.availability import missing_for
from lib.presets import UNDERSTANDING_SAMPLES
from lib.samples import get_sample
from lib.vision import (FREE_TEXT_EXAMPLE, PRESETS, PROMPT_LANGUAGES, UNDERSTANDING_PRESETS, VisionLimits,
                        prepare_for_vision, preset_prompt)
from lib.ui.common import backend_preference, history_store, show_error, show_notes, start_lab, viewer
from lib.ui.engines import local_engines_ready
from lib.ui.jobs import job_panel, submit, take_finished
from lib.ui.runs import describe_job
from lib.ui.image_input import choose_images
from lib.ui.model_picker import pick_chat_model
from lib.ui.code_view import chat_code_view, presets_code_view
from lib.ui.presenter import lab_columns, presenting
from lib.text import plain

LAB = lab(8)
KEY = LAB.key
OTHER = N_("Other (your own prompt, any language)")
ANSWER, PRESET_ROWS, ERROR = f"{KEY}_answer", f"{KEY}_presets", f"{KEY}_error"
PROMPT_LANG = f"{KEY}_prompt_lang"  # the language the presets' prompts are sent in: "en" (the workshop's) or "ko"


def keep(job: Job) -> None:
    """A finished job's outcome into the page: the answer, the nine rows, or the error."""
    if job.error is not None:
        st.session_state[ERROR] = job.error
    elif job.kind == "answer":
        st.session_state[ANSWER] = job.result
    else:
        st.session_state[PRESET_ROWS] = job.result


def preset_table(rows: list[PresetRow]) -> None:
    preset, answer, tokens = _("Preset"), _("Answer"), _("Tokens in/out")
    data = [{preset: _(r.preset), answer: r.answer, tokens: r.tokens} for r in rows]
    if presenting():  # every answer in full, wrapped, readable from the back of the room
        st.table([{**row, answer: plain(row[answer])} for row in data], hide_index=True)
    else:
        st.dataframe(data, hide_index=True, width="stretch")


def show_progress(job: Job) -> None:
    """The answer as it streams, or the preset rows answered so far."""
    if job.kind == "answer":
        st.markdown(job.partial or "…")
    elif job.partial:
        preset_table(job.partial)


def chosen_prompt() -> str:
    """The chosen preset's prompt in the chosen language; for Other, the study notes' Korean example."""
    name = st.session_state.get(f"{KEY}_preset") or ""
    if name == OTHER:
        return FREE_TEXT_EXAMPLE
    return preset_prompt(name, st.session_state.get(PROMPT_LANG) or "en")


def use_preset() -> None:
    st.session_state[f"{KEY}_prompt"] = chosen_prompt()


preference = backend_preference()  # the sidebar's switch: Auto, Amazon Bedrock or This machine
cloud_ready = start_lab(LAB, offline_note=_("Lab 8 runs on the local engine instead (picked below): six of the nine "
                                            "presets work offline."), offline_ready=not missing_for(LOCAL_VISION_ID))
model = pick_chat_model(f"{KEY}_model", include_local=True, preference=preference)  # local: only if installed
ready = model.runs_locally or cloud_ready
if model.runs_locally:
    local_engines_ready(N_("lab 8"))  # answers run as jobs; loading starts now, with its progress
left, right = lab_columns([2, 3])

with left:
    chosen = choose_images(LAB.input_key or f"{KEY}_input", default_sample="astronaut")
    suited = UNDERSTANDING_SAMPLES.get(st.session_state.get(f"{KEY}_preset") or "", ())
    if suited:
        titles = ", ".join(get_sample(sid).shown_title for sid in suited)
        st.caption(_("Sample photos that suit this preset: {titles}.").format(titles=titles))
    image = None
    if chosen:
        try:
            image = prepare_for_vision(chosen[0].data, VisionLimits(model.max_image_edge, model.max_image_bytes),
                                       name=f"“{chosen[0].label}”")
            st.image(image.data, caption=_("Sent as {format}, {width}×{height}").format(
                format=image.format.upper(), width=image.size[0], height=image.size[1]), width=360)
            show_notes(chosen[0].notes + image.notes, _("Prepared for {model}").format(model=model.label))
        except WorkshopError as err:
            show_error(err)

with right:
    st.session_state.setdefault(f"{KEY}_preset", "Image caption")
    st.session_state.setdefault(PROMPT_LANG, "en")
    st.radio(_("Prompt example:"), [*PRESETS, OTHER], key=f"{KEY}_preset", on_change=use_preset, horizontal=True,
             format_func=_)  # the workshop's English names, shown in the session's language
    st.radio(_("Send the prompt in"), list(PROMPT_LANGUAGES), key=PROMPT_LANG, on_change=use_preset,
             horizontal=True, format_func=lambda code: _(PROMPT_LANGUAGES[code]),
             help=_("The workshop sends its English prompts; Korean sends the same request in Korean, and the "
                    "model answers in the language it is asked in."))
    # The chosen preset's prompt is the box's own default (value=): a first visit shows it, also in a browser that
    # draws the box afresh after a first run cut short by a rerun (see tests/test_widget_defaults.py).
    prompt = st.text_area(_("Prompt"), key=f"{KEY}_prompt", height=90, value=chosen_prompt(),
                          help=_("Edit it, or write your own in any language (for example, as the workshop's notes "
                                 "suggest: {example}).").format(example=FREE_TEXT_EXAMPLE))
    turn = Turn("user", prompt, (ChatImage(image.data, image.format, "image"),)) if image else None
    b1, b2 = st.columns(2)
    go = b1.button(_("Go"), type="primary", key=f"{KEY}_go", icon=":material/visibility:",
                   disabled=not ready or turn is None or not prompt.strip())
    run_all = b2.button(_("Run all nine presets"), key=f"{KEY}_all", icon=":material/table_rows:",
                        disabled=not ready or turn is None)
    if go and turn:
        st.session_state.pop(ERROR, None)
        submit(KEY, "answer", describe_job(_("Ask"), prompt), model.label, conversation_fingerprint(model.id, [turn]),
               answer_work(model, [turn], history_store(), KEY, owner=viewer().owner))
    if run_all and turn:
        st.session_state.pop(ERROR, None)
        lang = st.session_state.get(PROMPT_LANG) or "en"
        prompts = {preset.name: preset.prompt_in(lang) for preset in UNDERSTANDING_PRESETS}
        fingerprint = conversation_fingerprint(model.id, [turn]) + ("" if lang == "en" else f":{lang}")
        submit(KEY, "presets", _("Run all nine presets"), model.label, "presets:" + fingerprint,
               presets_work(model, turn, history_store(), KEY, prompts, owner=viewer().owner))
    for job in take_finished(KEY):
        keep(job)
    job_panel(KEY, render=show_progress, show_late=keep)
    if isinstance(error := st.session_state.get(ERROR), WorkshopError):
        show_error(error)
    outcome: AnswerOutcome | None = st.session_state.get(ANSWER)
    if outcome is not None:
        with st.container(border=True):
            st.markdown(outcome.text)
            if outcome.local:
                st.caption(_("{model} · on this machine, no tokens, no cost · {time}").format(
                    model=outcome.model_label, time=format_seconds(outcome.latency_s)))
            else:
                st.caption(_("{model} · {tokens_in} tokens in, {tokens_out} out · est. {cost} · {time}").format(
                    model=outcome.model_label, tokens_in=format_number(outcome.input_tokens),
                    tokens_out=format_number(outcome.output_tokens), cost=format_usd(outcome.cost_usd, 4),
                    time=format_seconds(outcome.latency_s)))
            for note in outcome.notes:
                st.caption(f"ℹ️ {note}")
            chat_code_view(outcome.sent, outcome.text, outcome.answered_by, lab=KEY, key=f"{KEY}_answer")
    rows: list[PresetRow] | None = st.session_state.get(PRESET_ROWS)
    if rows:
        preset_table(rows)
        st.caption(_("Estimated cost of the nine answers: {cost}").format(
            cost=format_usd(sum(r.cost_usd for r in rows), 4)))
        presets_code_view(rows, lab=KEY, key=f"{KEY}_presets")
