"""Lab 9 — a multimodal chatbot: several images per message, comparisons, a conversation that survives errors.

Every answer is kept in History under the conversation's fingerprint; without AWS credentials the same
conversation replays those answers (marked as such) and anything new is handed back with the fix.
A turn is answered by a job (lib/jobs.py): it survives reruns and page changes, images added meanwhile go
into the next message, and Cancel hands the message back, so the conversation can never get stuck.
"""

import streamlit as st

from lib.errors import CREDENTIALS_FIX
from lib.chat import ChatImage, ChatSession, conversation_fingerprint, export_zip, rejected_image
from lib.errors import InvalidInput, WorkshopError
from lib.i18n import _, format_number, format_usd, ngettext
from lib.jobs import Job, runner
from lib.services.calls import AnswerOutcome, answer_work
from lib.labs import lab
from lib.catalog import get_chat_model
from lib.presets import CHAT_SAMPLE_IDS, CHAT_SUGGESTIONS, both_languages
from lib.samples import get_sample, sample_bytes
from lib.vision import VisionLimits, prepare_for_vision
from lib.ui.common import history_store, show_error, start_lab, viewer
from lib.ui.results import show_replayed
from lib.ui.image_input import UPLOAD_TYPES, handoff_key
from lib.ui.jobs import job_panel, submit, take_finished
from lib.ui.runs import describe_job
from lib.text import plain
from lib.ui.model_picker import pick_chat_model
from lib.ui.code_view import chat_turn_code_view, replayed_by

LAB = lab(9)
KEY = LAB.key
SESSION, ATTACHED, RETRY, LAST = f"{KEY}_session", f"{KEY}_attached", f"{KEY}_retry", f"{KEY}_last"
PENDING = f"{KEY}_pending_job"  # the id of the job answering chat.pending

ready = start_lab(LAB)
model = pick_chat_model(f"{KEY}_model")
limits = VisionLimits(model.max_image_edge, model.max_image_bytes)
chat: ChatSession = st.session_state.setdefault(SESSION, ChatSession())
attached: list[ChatImage] = st.session_state.setdefault(ATTACHED, [])


def prepared(name: str, data: bytes) -> ChatImage:
    """An attachment as the model will receive it; InvalidInput (with the reason) when it can't be sent."""
    image = prepare_for_vision(data, limits, name=f"“{name}”")
    for note in image.notes:
        st.toast(f"{name}: {note}")
    return ChatImage(image.data, image.format, name)


def attach(name: str, data: bytes) -> None:
    """Add an image to the next message; a file that is not a usable image is refused, with the reason."""
    try:
        attached.append(prepared(name, data))
    except InvalidInput as err:
        st.session_state[LAST] = err


def hand_back(text: str, sent_images: tuple[ChatImage, ...]) -> None:
    """The message was not answered: its text goes back into the box (and the retry button), its images
    stay attached, before any added since."""
    st.session_state[RETRY] = text
    st.session_state[f"{KEY}_refill"] = True
    attached[:] = list(sent_images) + [img for img in attached if img not in sent_images]


def settle() -> None:
    """The pending turn's job, once it ended (or was cancelled, or is gone): answer it or hand it back."""
    take_finished(KEY)  # marks this lab's finished jobs as seen; only the pending turn's counts
    if chat.pending is None:
        st.session_state.pop(PENDING, None)
        return
    job = runner().get(st.session_state.get(PENDING) or "")
    if job is not None and job.running and not job.cancelled:
        return
    sent = [*chat.turns, chat.pending]
    images = chat.pending.images
    st.session_state.pop(PENDING, None)
    if job is None:  # the server lost it (restarted): never leave the conversation waiting for nothing
        hand_back(chat.failed(), images)
        st.session_state[LAST] = ("info", _("The answer to your last message was lost (the server restarted). "
                                            "Your message is back in the box."))
        return
    job.collected = True
    if job.cancelled:
        hand_back(chat.failed(), images)
        st.session_state[LAST] = ("info", _("You cancelled waiting: your message is back in the box. If the "
                                            "answer still arrives it is kept in History."))
    elif job.error is not None:
        err = job.error
        bad = rejected_image(sent, err.detail) if isinstance(err, InvalidInput) else None
        if bad is not None:
            chat.reject_image(bad.name, err.message)
        hand_back(chat.failed(), tuple(img for img in images if bad is None or img.name != bad.name))
        st.session_state[LAST] = err
    else:
        outcome: AnswerOutcome = job.result
        chat.answered(outcome.text, answered_by=outcome.answered_by)
        st.session_state.pop(RETRY, None)
        said = _("{model} · {tokens_in} tokens in, {tokens_out} out · est. {cost}").format(
            model=outcome.model_label, tokens_in=format_number(outcome.input_tokens),
            tokens_out=format_number(outcome.output_tokens), cost=format_usd(outcome.cost_usd, 4))
        st.session_state[LAST] = " · ".join([said, *outcome.notes])


def show_pending(job: Job) -> None:
    with st.chat_message("assistant"):
        st.markdown(job.partial or "…")


settle()
for sent_image in st.session_state.pop(handoff_key(LAB.input_key or ""), None) or []:  # e.g. a lab 1 search hit
    attach(sent_image.label, sent_image.data)

st.caption(_("Add images with the buttons below or the + in the message box; they go with your next message."))
cols = st.columns(len(CHAT_SAMPLE_IDS) + 1)
for col, sample_id in zip(cols, CHAT_SAMPLE_IDS):
    shown = get_sample(sample_id).shown_title  # lower case inside an English sentence; Hangul has no case
    if col.button(_("Add {sample}").format(sample=shown.lower()), key=f"{KEY}_add_{sample_id}",
                  icon=":material/add_photo_alternate:"):
        attach(get_sample(sample_id).title, sample_bytes(sample_id))
if cols[-1].button(_("Clear chat"), key=f"{KEY}_clear", icon=":material/delete_sweep:"):
    if (job := runner().get(st.session_state.pop(PENDING, None) or "")) is not None:
        runner().cancel(job.owner, job.id)  # its answer, if it comes, is still kept in History
    chat.clear()
    attached.clear()
    st.session_state.pop(RETRY, None)
    st.session_state.pop(LAST, None)

for turn in chat.turns:
    with st.chat_message(turn.role):
        if turn.replayed_from:  # when it was made; by the model that answered (the conversation's fingerprint's)
            show_replayed(turn.replayed_from, get_chat_model(turn.answered_by.model_id).label if turn.answered_by
                          else "", answer=True)
        if turn.images:
            st.image([img.data for img in turn.images], caption=[img.name for img in turn.images], width=160)
        if turn.text:  # the attendee's words as typed; the model's answer as the Markdown it writes
            st.markdown(turn.text if turn.role == "assistant" else plain(turn.text))
        chat_turn_code_view(chat.turns, turn, lab=KEY)  # the call that answered it, as code
if chat.pending is not None:
    with st.chat_message("user"):
        if chat.pending.images:
            st.image([img.data for img in chat.pending.images], caption=[img.name for img in chat.pending.images],
                     width=160)
        if chat.pending.text:
            st.markdown(plain(chat.pending.text))
job_panel(KEY, render=show_pending)
for note in chat.notes:
    st.info(note, icon=":material/hide_image:")
last = st.session_state.get(LAST)  # the outcome of the previous message, kept until the next one
if isinstance(last, WorkshopError):
    show_error(last)
elif isinstance(last, tuple):  # ("info", text): handed back, with why
    st.info(last[1], icon=":material/info:")
elif last:
    st.caption(last)
if attached:
    st.image([img.data for img in attached], width=100,
             caption=[_("{name} (attached)").format(name=img.name) for img in attached])
    if st.button(_("Remove attached images"), key=f"{KEY}_detach", icon=":material/hide_image:"):
        attached.clear()
        st.rerun()


def take_suggestion() -> None:
    """A clicked suggestion is sent once; the pills reset for the next one."""
    st.session_state[f"{KEY}_queued"] = st.session_state.get(f"{KEY}_suggestion")
    st.session_state[f"{KEY}_suggestion"] = None


waiting = chat.pending is not None
st.pills(_("Suggestions"), both_languages(CHAT_SUGGESTIONS), key=f"{KEY}_suggestion", on_change=take_suggestion,
         disabled=waiting)
suggestion = st.session_state.pop(f"{KEY}_queued", None)
retry_text = st.session_state.get(RETRY)
retry = retry_text and st.button(_("Retry: “{message}”").format(message=plain(retry_text)), key=f"{KEY}_retry_go",
                                 icon=":material/replay:", disabled=waiting)
if st.session_state.pop(f"{KEY}_refill", None) and retry_text:
    st.session_state[f"{KEY}_input"] = retry_text  # the failed message goes back into the box
box_hint = (_("Waiting for the answer… (Cancel above stops waiting)") if waiting else
            _("Chat with your bot here") if ready else _("Chat here: earlier answers to the same chat are replayed"))
message = st.chat_input(box_hint, key=f"{KEY}_input", accept_file="multiple", file_type=UPLOAD_TYPES,
                        disabled=waiting)

text = None
files: list[tuple[str, bytes]] = []
if message is not None:
    text = message.text if hasattr(message, "text") else str(message)
    files = [(f.name, f.getvalue()) for f in getattr(message, "files", []) or []]
elif suggestion:
    text = suggestion
elif retry:
    text = retry_text

if text is not None and files:
    # Every attachment must be usable, or nothing is sent: a message is never paid for without its image.
    good, refused = [], []
    for name, data in files:
        try:
            good.append(prepared(name, data))
        except InvalidInput as err:
            refused.append(err)
    attached.extend(good)
    if refused:
        st.session_state[RETRY] = text
        st.session_state[f"{KEY}_refill"] = True
        first, others = refused[0], len(refused) - 1
        said = (ngettext("Not sent: {problem} ({count} more file refused too.)",
                         "Not sent: {problem} ({count} more files refused too.)", others) if others
                else _("Not sent: {problem}")).format(problem=first.message, count=others)
        st.session_state[LAST] = InvalidInput(
            said, _("Your text is back in the box and the good images are attached; remove or replace the file, "
                    "then send again."), detail=first.detail)
        text = None
        st.rerun()

if text is not None and waiting:  # sent just as the box was disabled: keep it for after the answer
    hand_back(text, ())
    st.session_state[LAST] = ("info", _("Still waiting for the previous answer: your message is back in the box."))
    st.rerun()
elif text is not None and (text.strip() or attached) and not ready:
    sent = chat.ask(text, tuple(attached))  # no call: only History can answer
    kept = history_store().find_answer(conversation_fingerprint(model.id, sent), viewer())
    if kept is not None:
        chat.answered(kept.text, replayed_from=kept.when,
                      answered_by=replayed_by(model, kept.region))
        attached.clear()
        st.session_state.pop(RETRY, None)
        st.session_state.pop(LAST, None)
    else:
        hand_back(chat.failed(), sent[-1].images)
        said = _("**{model} has not answered this conversation before, and a new answer needs Amazon Bedrock.** "
                 "Lab 9 has no local engine: it needs a Bedrock vision model. Your message is kept below.").format(
                     model=model.label)
        st.session_state[LAST] = ("info", "\n\n".join([said, _(CREDENTIALS_FIX)]))
    st.rerun()
elif text is not None and (text.strip() or attached):
    sent = chat.ask(text, tuple(attached))
    attached.clear()
    st.session_state.pop(LAST, None)
    job = submit(KEY, "chat", describe_job(_("Answer"), text), model.label, conversation_fingerprint(model.id, sent),
                 answer_work(model, sent, history_store(), KEY, owner=viewer().owner))
    st.session_state[PENDING] = job.id
    st.rerun()  # redraw from the session: the pending turn, its job and the disabled box in their places

if chat.turns:
    st.download_button(_("Export the conversation (Markdown + images, zip)"), export_zip(chat.turns),
                       file_name="multimodal-chat.zip", mime="application/zip", key=f"{KEY}_export",
                       on_click="ignore", icon=":material/download:")
