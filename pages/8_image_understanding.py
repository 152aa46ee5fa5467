"""Lab 8 — image understanding with a vision model: nine workshop prompts plus free text, any language."""

import streamlit as st

from lib.catalog import LOCAL_VISION_ID
from lib.chat import ChatImage, Turn, conversation_fingerprint
from lib.errors import WorkshopError
from lib.jobs import Job
from lib.services.calls import AnswerOutcome, PresetRow, answer_work, presets_work
from lib.labs import lab
from lib.local.availability import missing_for
from lib.presets import UNDERSTANDING_SAMPLES
from lib.samples import get_sample
from lib.vision import PRESETS, VisionLimits, prepare_for_vision
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
OTHER = "Other (your own prompt, any language)"
ANSWER, PRESET_ROWS, ERROR = f"{KEY}_answer", f"{KEY}_presets", f"{KEY}_error"


def keep(job: Job) -> None:
    """A finished job's outcome into the page: the answer, the nine rows, or the error."""
    if job.error is not None:
        st.session_state[ERROR] = job.error
    elif job.kind == "answer":
        st.session_state[ANSWER] = job.result
    else:
        st.session_state[PRESET_ROWS] = job.result


def preset_table(rows: list[PresetRow]) -> None:
    data = [{"Preset": r.preset, "Answer": r.answer, "Tokens in/out": r.tokens} for r in rows]
    if presenting():  # every answer in full, wrapped, readable from the back of the room
        st.table([{**row, "Answer": plain(row["Answer"])} for row in data], hide_index=True)
    else:
        st.dataframe(data, hide_index=True, width="stretch")


def show_progress(job: Job) -> None:
    """The answer as it streams, or the preset rows answered so far."""
    if job.kind == "answer":
        st.markdown(job.partial or "…")
    elif job.partial:
        preset_table(job.partial)


def use_preset() -> None:
    st.session_state[f"{KEY}_prompt"] = PRESETS.get(st.session_state.get(f"{KEY}_preset") or "", "")


preference = backend_preference()  # the sidebar's switch: Auto, Amazon Bedrock or This machine
cloud_ready = start_lab(LAB, offline_note="Lab 8 runs on the local engine instead (picked below): six of the nine "
                                     "presets work offline.", offline_ready=not missing_for(LOCAL_VISION_ID))
model = pick_chat_model(f"{KEY}_model", include_local=True, preference=preference)  # local: only if installed
ready = model.runs_locally or cloud_ready
if model.runs_locally:
    local_engines_ready("lab 8")  # answers run as jobs; loading starts now, with its progress
left, right = lab_columns([2, 3])

with left:
    chosen = choose_images(LAB.input_key or f"{KEY}_input", default_sample="astronaut")
    suited = UNDERSTANDING_SAMPLES.get(st.session_state.get(f"{KEY}_preset") or "", ())
    if suited:
        titles = ", ".join(get_sample(sid).title for sid in suited)
        st.caption(f"Sample photos that suit this preset: {titles}.")
    image = None
    if chosen:
        try:
            image = prepare_for_vision(chosen[0].data, VisionLimits(model.max_image_edge, model.max_image_bytes),
                                       name=f"“{chosen[0].label}”")
            st.image(image.data, caption=f"Sent as {image.format.upper()}, {image.size[0]}×{image.size[1]}",
                     width=360)
            show_notes(chosen[0].notes + image.notes, f"Prepared for {model.label}")
        except WorkshopError as err:
            show_error(err)

with right:
    st.session_state.setdefault(f"{KEY}_preset", "Image caption")
    if not (st.session_state.get(f"{KEY}_prompt") or "").strip():
        # A preset is chosen but its box is empty (first visit, or a first run cut short by a rerun before the
        # box was drawn): show the preset's prompt, so Go is never greyed out with a preset selected.
        st.session_state[f"{KEY}_prompt"] = PRESETS.get(st.session_state.get(f"{KEY}_preset") or "", "")
    st.radio("Prompt example:", [*PRESETS, OTHER], key=f"{KEY}_preset", on_change=use_preset, horizontal=True)
    prompt = st.text_area("Prompt", key=f"{KEY}_prompt", height=90,
                          help="Edit it, or write your own in any language (for example Korean: 이 사진을 설명해 주세요).")
    turn = Turn("user", prompt, (ChatImage(image.data, image.format, "image"),)) if image else None
    b1, b2 = st.columns(2)
    go = b1.button("Go", type="primary", key=f"{KEY}_go", icon=":material/visibility:",
                   disabled=not ready or turn is None or not prompt.strip())
    run_all = b2.button("Run all nine presets", key=f"{KEY}_all", icon=":material/table_rows:",
                        disabled=not ready or turn is None)
    if go and turn:
        st.session_state.pop(ERROR, None)
        submit(KEY, "answer", describe_job("Ask", prompt), model.label, conversation_fingerprint(model.id, [turn]),
               answer_work(model, [turn], history_store(), KEY, owner=viewer().owner))
    if run_all and turn:
        st.session_state.pop(ERROR, None)
        submit(KEY, "presets", "Run all nine presets", model.label,
               "presets:" + conversation_fingerprint(model.id, [turn]), presets_work(model, turn, history_store(), KEY, owner=viewer().owner))
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
                st.caption(f"{outcome.model_label} · on this machine, no tokens, no cost · {outcome.latency_s:.1f} s")
            else:
                st.caption(f"{outcome.model_label} · {outcome.input_tokens:,} tokens in, {outcome.output_tokens:,} "
                           f"out · est. ${outcome.cost_usd:.4f} · {outcome.latency_s:.1f} s")
            for note in outcome.notes:
                st.caption(f"ℹ️ {note}")
            chat_code_view(outcome.sent, outcome.text, outcome.answered_by, lab=KEY, key=f"{KEY}_answer")
    rows: list[PresetRow] | None = st.session_state.get(PRESET_ROWS)
    if rows:
        preset_table(rows)
        st.caption(f"Estimated cost of the nine answers: ${sum(r.cost_usd for r in rows):.4f}")
        presets_code_view(rows, lab=KEY, key=f"{KEY}_presets")
