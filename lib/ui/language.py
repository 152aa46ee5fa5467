"""The session's language: the browser's by default, the deployment's when it sets one, the sidebar switch's
once the attendee picks one (kept for the browser session).

`apply_language()` runs first in every script run (app.py), before anything is drawn, and sets the language of
that run (lib/i18n.py). A fragment rerun (a job panel's poll) may run on a fresh thread that never ran app.py:
for it lib/i18n asks `session_language()`, registered below, which reads the same session state.
"""

from __future__ import annotations

import streamlit as st

from lib.i18n import LANGUAGES, _, deployment_language, set_language, supported, use_language_source
from lib.settings import load_settings

LANGUAGE_KEY = "language"  # the attendee's choice (not a widget key: it outlives pages that stop early)
SWITCH_KEY = "language_switch"
# Korean wraps between words, as Korean text is set (the browser's default breaks inside a word: "워크\n숍");
# a word longer than the line (a URL, a model id) still wraps.
_KOREAN_WRAP = "<style>.stApp, .stApp * { word-break: keep-all !important; overflow-wrap: break-word; }</style>"


def streamlit_words_in_korean() -> str:
    """CSS that draws the words Streamlit itself puts in every file uploader (its button and its size line, which
    Streamlit has no translation for) in the session's language: the English is set to size 0 and the message
    takes its place. The accepted file types stay as Streamlit lists them (PNG, JPG…: names, not words)."""
    limit = max(1, load_settings().max_upload_bytes // (1024 * 1024))
    button = _css_text(_("Upload"))
    size = _css_text(_("Up to {megabytes} MB per file").format(megabytes=limit))
    box = "[data-testid='stFileUploaderDropzone']"
    return (f"<style>{box} [data-testid='stBaseButton-secondary'] [data-testid='stMarkdownContainer'] p"
            f"{{font-size:0 !important}}"
            f"{box} [data-testid='stBaseButton-secondary'] [data-testid='stMarkdownContainer'] p::after"
            f"{{content:{button};font-size:0.875rem}}"
            f"[data-testid='stFileUploaderDropzoneInstructions'] span{{font-size:0 !important}}"
            f"[data-testid='stFileUploaderDropzoneInstructions'] span::after{{content:{size};font-size:0.875rem}}"
            "</style>")


def _css_text(text: str) -> str:
    """`text` as a CSS string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def browser_language() -> str | None:
    """The browser's language (navigator.language, "ko-KR" → "ko") when the app speaks it."""
    try:
        return supported(st.context.locale)
    except Exception:  # noqa: BLE001 - no browser context (a bare script, a test): no preference
        return None


def initial_language() -> str:
    """A new session's language: the deployment's (WORKSHOP_LANGUAGE), else the browser's, else English."""
    return deployment_language() or browser_language() or "en"


def session_language() -> str | None:
    """This Streamlit session's language, or None outside a script run (a job's worker, a plain thread)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    if get_script_run_ctx(suppress_warning=True) is None:
        return None
    chosen = st.session_state.get(LANGUAGE_KEY)
    return chosen if chosen in LANGUAGES else initial_language()


use_language_source(session_language)


def apply_language() -> str:
    """Set this script run's language; call it before anything is drawn."""
    lang = session_language() or initial_language()
    set_language(lang)
    return lang


def _switched() -> None:
    picked = supported(st.session_state.get(SWITCH_KEY))
    if picked:
        st.session_state[LANGUAGE_KEY] = picked


def language_switch() -> None:
    """English / 한국어 in the sidebar; each language is named in itself, so anyone finds their own."""
    lang = apply_language()
    st.session_state[SWITCH_KEY] = lang  # the switch shows the language in use, also when it came from the browser
    if lang == "ko":
        st.html(_KOREAN_WRAP + streamlit_words_in_korean())
    with st.sidebar:
        st.radio(_(":material/translate: Language"), list(LANGUAGES), format_func=LANGUAGES.__getitem__,
                 key=SWITCH_KEY, on_change=_switched, horizontal=True)
