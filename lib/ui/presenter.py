"""Presenter mode: results readable from the back row of a room (and the labs usable on a phone).

One session key, read through `presenting()` by any widget that lays results out; the sidebar switch
(`presenter_toggle`) sets it for this browser session. When it is on: labs stack their inputs above their
results (`lab_columns`), results take the full width, the editing labs show the photo before and after,
and the type is larger.
"""

from __future__ import annotations

from typing import Any, Sequence

import streamlit as st

from lib.i18n import _

PRESENTER_KEY = "presenter_mode"

# Larger type and wider content while presenting (Streamlit sizes its text in rem, so the root size scales it).
_PRESENTER_CSS = """<style>
html { font-size: 20px; }
[data-testid="stMainBlockContainer"] { max-width: 100%; padding-left: 2rem; padding-right: 2rem; }
[data-testid="stImageCaption"], [data-testid="stCaptionContainer"] { font-size: 0.95rem; }
</style>"""


# On a phone (390 px wide, say) the mask editor's drawing canvas (up to 560 px wide; the app's only custom
# component) would be cut off: zoom it to the screen's width. The canvas maps pointer events through the zoom.
_PHONE_BREAKPOINTS = ((591, 0.92), (551, 0.85), (511, 0.78), (471, 0.71), (431, 0.64), (391, 0.57), (351, 0.49))
_PHONE_CSS = "<style>" + "".join(
    f"@media (max-width: {width}px) {{ [data-testid='stMain'] [data-testid='stBidiComponentIsolated'] "
    f"{{ zoom: {zoom}; }} }}"
    for width, zoom in _PHONE_BREAKPOINTS) + (
    # Images shown at a fixed width (the mask preview: 560 px) shrink to the screen instead of being cut off.
    "@media (max-width: 640px) { [data-testid='stMain'] [data-testid='stImage'], "
    "[data-testid='stMain'] [data-testid='stImageContainer'], [data-testid='stMain'] [data-testid='stImage'] img "
    "{ max-width: 100% !important; height: auto !important; } }") + "</style>"


def presenting() -> bool:
    """True while this session is in presenter mode."""
    return bool(st.session_state.get(PRESENTER_KEY, False))


def presenter_toggle() -> None:
    """The sidebar switch (kept for the browser session), the larger type when it is on, and the phone styles."""
    st.html(_PHONE_CSS)
    with st.sidebar:
        st.toggle(_("Presenter mode"), key=PRESENTER_KEY, help=_("For an instructor at a projector: results at full "
                  "width, before and after side by side in the editing labs, larger type. Only this browser "
                  "changes."))
    if presenting():
        st.html(_PRESENTER_CSS)


def lab_columns(spec: Sequence[int], *, gap: Any = "large") -> list[Any]:
    """A lab's columns (inputs first, results last); stacked full width while presenting."""
    if presenting():
        return [st.container() for _ in spec]
    return list(st.columns(spec, gap=gap))
