"""Lab 8 — image understanding with a vision model: nine workshop prompts plus free text, any language."""

import streamlit as st

from lib.chat import ChatImage, Turn
from lib.converse import answer, stream_answer
from lib.errors import WorkshopError
from lib.labs import lab
from lib.local.understanding import missing_packages as understanding_packages_missing
from lib.vision import PRESETS, VisionLimits, prepare_for_vision
from lib.ui.common import backend_preference, show_error, show_notes, start_lab
from lib.ui.image_input import choose_images
from lib.ui.model_picker import pick_chat_model

LAB = lab(8)
KEY = LAB.key
OTHER = "Other (your own prompt, any language)"


def use_preset() -> None:
    st.session_state[f"{KEY}_prompt"] = PRESETS.get(st.session_state.get(f"{KEY}_preset") or "", "")


preference = backend_preference()  # the sidebar's switch: Auto, Amazon Bedrock or This machine
cloud_ready = start_lab(LAB, offline_note="Lab 8 runs on the local engine instead (picked below): six of the nine "
                                     "presets work offline.", offline_ready=not understanding_packages_missing())
model = pick_chat_model(f"{KEY}_model", include_local=True, preference=preference)  # local: only if installed
ready = model.runs_locally or cloud_ready
left, right = st.columns([2, 3], gap="large")

with left:
    chosen = choose_images(LAB.input_key or f"{KEY}_input", default_sample="astronaut")
    st.caption("Samples for each preset: people — Astronaut, Grace Hopper; food — Coffee cup; text — Scanned page, Road sign. "
               "For the item list a photo of a room works best: upload one of yours (no room photo ships "
               "with the packages the samples come from).")
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
    st.session_state.setdefault(f"{KEY}_prompt", PRESETS["Image caption"])
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
        result, chunks = stream_answer(model, [turn])
        try:
            st.write_stream(chunks)
            if model.runs_locally:
                st.caption(f"{model.label} · on this machine, no tokens, no cost · {result.latency_s:.1f} s")
            else:
                st.caption(f"{model.label} · {result.input_tokens:,} tokens in, {result.output_tokens:,} out · "
                           f"est. ${result.cost_usd:.4f} · {result.latency_s:.1f} s")
            for note in result.notes:
                st.caption(f"ℹ️ {note}")
        except WorkshopError as err:
            show_error(err)
    if run_all and turn:
        rows, total = [], 0.0
        with st.spinner("Asking all nine presets…"):
            for name, text in PRESETS.items():
                try:
                    result = answer(model, [Turn("user", text, turn.images)])
                    rows.append({"Preset": name, "Answer": result.text, "Tokens in/out":
                                 f"{result.input_tokens}/{result.output_tokens}"})
                    total += result.cost_usd
                except WorkshopError as err:
                    rows.append({"Preset": name, "Answer": f"⚠️ {err.title}: {err.message}", "Tokens in/out": ""})
        st.dataframe(rows, hide_index=True, width="stretch")
        st.caption(f"Estimated cost of the nine answers: ${total:.4f}")
