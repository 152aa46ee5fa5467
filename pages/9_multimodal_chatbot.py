"""Lab 9 — a multimodal chatbot: several images per message, comparisons, a conversation that survives errors.

Every answer is kept in History under the conversation's fingerprint; without AWS credentials the same
conversation replays those answers (marked as such) and anything new is handed back with the fix.
"""

import streamlit as st

from lib.bedrock import CREDENTIALS_FIX
from lib.chat import ChatImage, ChatSession, conversation_fingerprint, export_zip, rejected_image
from lib.converse import stream_answer
from lib.errors import InvalidInput, WorkshopError
from lib.labs import lab
from lib.presets import CHAT_SAMPLE_IDS, CHAT_SUGGESTIONS
from lib.samples import get_sample, sample_bytes
from lib.vision import VisionLimits, prepare_for_vision
from lib.ui.common import history_store, show_error, start_lab
from lib.ui.results import show_replayed
from lib.ui.image_input import UPLOAD_TYPES, handoff_key
from lib.ui.model_picker import pick_chat_model

LAB = lab(9)
KEY = LAB.key
SESSION, ATTACHED, RETRY, LAST = f"{KEY}_session", f"{KEY}_attached", f"{KEY}_retry", f"{KEY}_last"

ready = start_lab(LAB)
model = pick_chat_model(f"{KEY}_model")
limits = VisionLimits(model.max_image_edge, model.max_image_bytes)
chat: ChatSession = st.session_state.setdefault(SESSION, ChatSession())
attached: list[ChatImage] = st.session_state.setdefault(ATTACHED, [])


def attach(name: str, data: bytes) -> None:
    try:
        prepared = prepare_for_vision(data, limits, name=f"“{name}”")
    except InvalidInput as err:
        show_error(err)
        return
    attached.append(ChatImage(prepared.data, prepared.format, name))
    for note in prepared.notes:
        st.toast(f"{name}: {note}")


for sent_image in st.session_state.pop(handoff_key(LAB.input_key or ""), None) or []:  # e.g. a lab 1 search hit
    attach(sent_image.label, sent_image.data)

st.caption("Add images with the buttons below or the + in the message box; they go with your next message.")
cols = st.columns(len(CHAT_SAMPLE_IDS) + 1)
for col, sample_id in zip(cols, CHAT_SAMPLE_IDS):
    if col.button(f"Add {get_sample(sample_id).title.lower()}", key=f"{KEY}_add_{sample_id}", icon=":material/add_photo_alternate:"):
        attach(get_sample(sample_id).title, sample_bytes(sample_id))
if cols[-1].button("Clear chat", key=f"{KEY}_clear", icon=":material/delete_sweep:"):
    chat.clear()
    attached.clear()
    st.session_state.pop(RETRY, None)

for turn in chat.turns:
    with st.chat_message(turn.role):
        if turn.replayed_from:
            show_replayed(turn.replayed_from, what="answer", same="conversation")
        if turn.images:
            st.image([img.data for img in turn.images], caption=[img.name for img in turn.images], width=160)
        if turn.text:
            st.markdown(turn.text)
for note in chat.notes:
    st.info(note, icon=":material/hide_image:")
last = st.session_state.pop(LAST, None)  # the outcome of the previous message: usage caption or error
if isinstance(last, WorkshopError):
    show_error(last)
elif isinstance(last, tuple):  # ("info", text): nothing to replay and no way to call Bedrock
    st.info(last[1], icon=":material/cloud_off:")
elif last:
    st.caption(last)
if attached:
    st.image([img.data for img in attached], caption=[f"{img.name} (attached)" for img in attached], width=100)

def take_suggestion() -> None:
    """A clicked suggestion is sent once; the pills reset for the next one."""
    st.session_state[f"{KEY}_queued"] = st.session_state.get(f"{KEY}_suggestion")
    st.session_state[f"{KEY}_suggestion"] = None


st.pills("Suggestions", CHAT_SUGGESTIONS, key=f"{KEY}_suggestion", on_change=take_suggestion)
suggestion = st.session_state.pop(f"{KEY}_queued", None)
retry_text = st.session_state.get(RETRY)
retry = retry_text and st.button(f"Retry: “{retry_text}”", key=f"{KEY}_retry_go", icon=":material/replay:")
if st.session_state.pop(f"{KEY}_refill", None) and retry_text:
    st.session_state[f"{KEY}_input"] = retry_text  # the failed message goes back into the box
box_hint = "Chat with your bot here" if ready else "Chat here: earlier answers to the same chat are replayed"
message = st.chat_input(box_hint, key=f"{KEY}_input", accept_file="multiple", file_type=UPLOAD_TYPES)

text = None
if message is not None:
    text = message.text if hasattr(message, "text") else str(message)
    for f in getattr(message, "files", []) or []:
        attach(f.name, f.getvalue())
elif suggestion:
    text = suggestion
elif retry:
    text = retry_text


def hand_back(sent_images: tuple[ChatImage, ...]) -> None:
    """The message was not answered: its text goes back into the box (and the retry button), its images stay."""
    st.session_state[RETRY] = chat.failed()
    st.session_state[f"{KEY}_refill"] = True
    attached[:] = list(sent_images)


if text is not None and (text.strip() or attached) and not ready:
    sent = chat.ask(text, tuple(attached))  # no call: only History can answer
    kept = history_store().find_answer(conversation_fingerprint(model.id, sent))
    if kept is not None:
        chat.answered(kept.text, replayed_from=f"on {kept.when} by {kept.model_label}")
        attached.clear()
        st.session_state.pop(RETRY, None)
    else:
        hand_back(sent[-1].images)
        st.session_state[LAST] = ("info", f"**{model.label} has not answered this conversation before, and a new "
                                          "answer needs Amazon Bedrock.** Lab 9 has no local engine: it needs a "
                                          f"Bedrock vision model. Your message is kept below.\n\n{CREDENTIALS_FIX}")
    st.rerun()
elif text is not None and (text.strip() or attached):
    sent = chat.ask(text, tuple(attached))
    with st.chat_message("user"):
        if attached:
            st.image([img.data for img in attached], caption=[img.name for img in attached], width=160)
        if text:
            st.markdown(text)
    with st.chat_message("assistant"):
        result, chunks = stream_answer(model, sent)
        try:
            reply = st.write_stream(chunks)
        except WorkshopError as err:
            bad = rejected_image(sent, err.detail) if isinstance(err, InvalidInput) else None
            if bad is not None:
                chat.reject_image(bad.name, err.message)
            hand_back(tuple(img for img in sent[-1].images if bad is None or img.name != bad.name))
            st.session_state[LAST] = err
        else:
            chat.answered(result.text or str(reply))
            if result.region != "local":  # kept so the same conversation can be replayed without Bedrock
                history_store().record_answer(
                    conversation_fingerprint(model.id, sent), chat.turns[-1].text, model_id=model.id,
                    model_label=model.label, region=result.region, input_tokens=result.input_tokens,
                    output_tokens=result.output_tokens, cost_usd=result.cost_usd, latency_s=result.latency_s)
            attached.clear()
            st.session_state.pop(RETRY, None)
            st.session_state[LAST] = (f"{model.label} · {result.input_tokens:,} tokens in, {result.output_tokens:,} "
                                      f"out · est. ${result.cost_usd:.4f}" + "".join(f" · {n}" for n in result.notes))
    st.rerun()  # redraw from the session: history, notes, retry button and this outcome in their places

if chat.turns:
    st.download_button("Export the conversation (Markdown + images, zip)", export_zip(chat.turns),
                       file_name="multimodal-chat.zip", mime="application/zip", key=f"{KEY}_export",
                       on_click="ignore", icon=":material/download:")
