"""Attendee text shown as text: never rendered as Markdown, HTML, emoji codes or LaTeX.

Why: History and the instructor's views show what attendees typed to other people. A prompt holding
`![x](http://host/pixel.png)` rendered as Markdown makes every viewer's browser fetch that address.
"""

from __future__ import annotations

import re

_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$=&])")


def plain(text: str) -> str:
    """`text` escaped for st.markdown, captions, button and expander labels: it shows exactly as typed."""
    return _SPECIAL.sub(r"\\\1", text or "").replace("\n", "  \n")
