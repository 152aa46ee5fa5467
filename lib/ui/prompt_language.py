"""Which image models read English prompts only, and the one-line note a lab shows when a prompt holds Hangul.

The Stability models (SD3.5, Core, Ultra and the Image Services) and the Titan / Nova Canvas image models
document English prompts only; Nova 2 Omni follows instructions in many languages. The note says so next to
the prompt; what is sent is still exactly what the attendee typed.
"""

from __future__ import annotations

import re

import streamlit as st

from lib.catalog import STABILITY_IMAGE_ENGINE, TITAN_IMAGE_ENGINE, ModelInfo
from lib.i18n import _

ENGLISH_PROMPT_ENGINES = frozenset({STABILITY_IMAGE_ENGINE, TITAN_IMAGE_ENGINE})
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff]")


def has_hangul(text: str) -> bool:
    return bool(_HANGUL.search(text or ""))


def reads_english_only(model: ModelInfo) -> bool:
    """Whether `model`'s documentation says its prompts must be in English."""
    return model.engine in ENGLISH_PROMPT_ENGINES and not model.runs_locally


def english_only_note(model: ModelInfo, *texts: str) -> bool:
    """One line under the prompt when it holds Korean and `model` reads English only; True when shown."""
    if not reads_english_only(model) or not any(has_hangul(t) for t in texts):
        return False
    st.caption(_(":material/translate: {model} reads English prompts only: a Korean prompt is sent as typed, but the "
                 "model may not follow it. Write the prompt in English for reliable results.").format(model=model.label))
    return True
