"""Which image models read English prompts only, and the one-line note a lab shows when a prompt holds Hangul.

The Stability models (SD3.5, Core, Ultra and the Image Services) and the Titan / Nova Canvas image models
document English prompts only; Nova 2 Omni follows instructions in many languages. The note says so next to
the prompt; what is sent is still exactly what the attendee typed. Under the note, an offer: translate the boxes
into English with a chat model (lib/services/translation.py), shown first, put into the boxes only on a click.
"""

from __future__ import annotations

import re
import unicodedata

import streamlit as st

from lib.catalog import STABILITY_IMAGE_ENGINE, TITAN_IMAGE_ENGINE, ModelInfo
from lib.i18n import _, format_usd
from lib.services.translation import Translation, estimate, translate_work, translator
from lib.ui.common import current_credentials, history_store, show_error, viewer
from lib.ui.jobs import job_panel, submit, take_finished

ENGLISH_PROMPT_ENGINES = frozenset({STABILITY_IMAGE_ENGINE, TITAN_IMAGE_ENGINE})
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff]")


def has_hangul(text: str) -> bool:
    return bool(_HANGUL.search(text or ""))


def not_english(text: str) -> bool:
    """Whether `text` holds letters of another script than Latin (Hangul, kana, Cyrillic…): worth translating."""
    return any(ch.isalpha() and not unicodedata.name(ch, "LATIN").startswith("LATIN") for ch in text or "")


def reads_english_only(model: ModelInfo) -> bool:
    """Whether `model`'s documentation says its prompts must be in English."""
    return model.engine in ENGLISH_PROMPT_ENGINES and not model.runs_locally


def english_only_note(model: ModelInfo, *texts: str, boxes: dict[str, str] | None = None,
                      lab: str | None = None) -> bool:
    """One line under the prompt when it holds Korean and `model` reads English only; True when shown.

    `boxes` (session key of each text box → its text) and `lab` (the lab's key) add the offer to translate them.
    """
    if not reads_english_only(model) or not any(has_hangul(t) for t in [*texts, *(boxes or {}).values()]):
        return False
    st.caption(_(":material/translate: {model} reads English prompts only: a Korean prompt is sent as typed, but the "
                 "model may not follow it. Write the prompt in English for reliable results.").format(model=model.label))
    if boxes is not None and lab is not None:
        translation_offer(lab, boxes)
    return True


def translation_offer(lab: str, boxes: dict[str, str], *, preferred: str | None = None) -> None:
    """Offer to translate the Korean `boxes` (session key → text) into English; show the translation, and put it
    into the boxes when the attendee takes it. The chat model is lab 9's or lab 8's pick, else the first one
    Bedrock serves (`preferred` overrides)."""
    jobs_key, result_key, error_key = f"{lab}_translate", f"{lab}_translation", f"{lab}_translation_error"
    foreign = {key: text for key, text in boxes.items() if not_english(text)}
    for job in take_finished(jobs_key):
        st.session_state[error_key] = job.error
        if job.error is None:
            st.session_state[result_key] = job.result
    job_panel(jobs_key)
    done: Translation | None = st.session_state.get(result_key)
    if done is not None and done.texts and done.matches(boxes):
        english = "\n".join(f"> {text}" for text in done.english().values())
        st.markdown(_(":material/translate: **In English, translated by {model}** ({cost}):").format(
            model=done.model_label, cost=format_usd(done.cost_usd, 4)) + "\n\n" + english)
        st.button(_("Use the English"), key=f"{lab}_translation_use", icon=":material/check:",
                  on_click=_use, args=(done.english(),),
                  help=_("Puts the translation into the boxes; what is sent is what the boxes then hold."))
        return
    error = st.session_state.get(error_key)
    if error is not None:
        show_error(error)
    model = translator(preferred or st.session_state.get("lab9_model") or st.session_state.get("lab8_model"))
    if model is None:
        return
    can = current_credentials().found
    if st.button(_("Translate into English"), key=f"{lab}_translate_go", icon=":material/translate:",
                 disabled=not can or not foreign):
        st.session_state.pop(error_key, None)
        submit(jobs_key, "translate", _("Translate into English"), model.label, f"translate:{sorted(foreign.items())}",
               translate_work(model, foreign, history_store(), lab, owner=viewer().owner))
        st.rerun()  # the job panel above shows it running at once
    if not can:
        st.caption(_("Translating calls a chat model on Amazon Bedrock: it needs AWS credentials (see the sidebar)."))
    else:
        st.caption(_("{model} translates it, about {price}; you see the English before anything changes.").format(
            model=model.label, price=format_usd(estimate(model, foreign), 4)))


def _use(english: dict[str, str]) -> None:
    for key, text in english.items():
        st.session_state[key] = text
