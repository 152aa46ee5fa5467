"""Background start-up as the attendee sees it: the offline engines' progress, and the app's modules.

A page that needs an offline engine on its own thread (lab 1's query, the object finder's preview) asks
`local_engines_ready` first: while the engines load (lib/warmup.py) it shows their progress and carries
on without them; a small fragment reruns the page the moment they are ready.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from lib.i18n import _, format_number
from lib.labs import LABS, TOOLS
from lib.ui.common import in_fragment_rerun
from lib.warmup import engine_modules, engines, preload_pages

ROOT = Path(__file__).resolve().parent.parent.parent
POLL_S = 0.5


def start_background_work(*, offline: bool) -> None:
    """Once per process: import every page's modules and every engine's (LangChain's for the chat models);
    load the offline engines too when labs run offline."""
    preload_pages([ROOT / item.page for item in (*LABS, *TOOLS)],
                  extra=("streamlit_drawable_canvas", *engine_modules()))
    if offline:
        engines().start()


def local_engines_ready(what: str) -> bool:
    """True when the offline engines are loaded; otherwise start loading them and show how far they are.

    `what` names what they are loaded for: a message id marked with N_() ("search"), translated here."""
    warmup = engines()
    warmup.start()
    if warmup.ready():
        return True
    _progress(what)
    return False


@st.fragment(run_every=POLL_S)
def _progress(what: str) -> None:
    status = engines().status()
    if status.ready and in_fragment_rerun():
        st.rerun()  # the page can use the engines now
    share = min(1.0, status.done / status.total) if status.total else 0.0
    values = dict(what=_(what), done=status.done, total=status.total, seconds=format_number(status.elapsed_s, 0))
    if status.current:  # the step loading now: a package or model's name
        said = _("Loading the offline engines for {what} on this machine, {done} of {total} loaded: {current} "
                 "({seconds} s). The page stays usable and carries on by itself when they are ready.").format(
                     current=status.current, **values)
    else:
        said = _("Loading the offline engines for {what} on this machine, {done} of {total} loaded ({seconds} s). "
                 "The page stays usable and carries on by itself when they are ready.").format(**values)
    st.progress(share, text=said)
