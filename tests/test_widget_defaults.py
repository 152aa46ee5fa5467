"""What a browser shows in a widget it draws afresh is the widget's own default, not the server's value.

Streamlit sends the server's value with a widget only in the run that set it through session state. When that run
is cut short (the sign-in check, the engines' warm-up or a click rerunning the page while it is still loading), the
browser draws the widget from its default and sends that back with the next click: a lab 6 description seeded with
`st.session_state.setdefault` came back empty and the comparison was refused, about one first visit in three. So on
every page, for every widget, the default it is drawn with must be the value the server holds.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from test_pages import open_app

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted(f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py") if p.name != "instructor.py")
KINDS = ("text_input", "text_area", "radio", "selectbox", "number_input", "checkbox", "toggle")


def drawn_from_default(widget):
    """The value a browser that draws `widget` afresh would show (and send back)."""
    proto = widget.proto
    if widget.type in ("radio", "selectbox"):
        return widget.options[proto.default] if proto.HasField("default") else None
    if widget.type in ("text_input", "text_area"):
        return proto.default if proto.HasField("default") else ""
    return proto.default


def shown(widget):
    if widget.type in ("radio", "selectbox"):
        return None if widget.index is None else widget.options[widget.index]
    return widget.value


def mismatches(at) -> list[str]:
    found = []
    for kind in KINDS:
        for widget in getattr(at, kind):
            if drawn_from_default(widget) != shown(widget):
                found.append(f"{kind} {widget.key}: drawn afresh shows {drawn_from_default(widget)!r}, "
                             f"the server holds {shown(widget)!r}")
    return found


@pytest.mark.parametrize("page", PAGES)
def test_a_widget_drawn_afresh_shows_what_the_server_holds(aws_env, page):
    at = open_app(page)
    at.run()  # a second run: nothing is set through session state in it any more
    assert mismatches(at) == []
