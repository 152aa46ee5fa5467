"""Start `streamlit run app.py` with st.navigation as the only router.

Why: the project keeps its pages in `pages/` (as the workshop layout asks), and
Streamlit treats a `pages/` folder as a legacy (v1) multipage app until the
first script run calls st.navigation. A deep link such as /image-generation as
the very first request after start-up would then show a spurious "Page not
found" dialog. Clearing the legacy flag before the server starts avoids that.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    try:
        from streamlit.runtime.pages_manager import PagesManager

        PagesManager.uses_pages_directory = False
    except (ImportError, AttributeError):  # a future Streamlit without the flag needs nothing
        pass
    from streamlit.web import cli

    return cli.main(args=["run", str(ROOT / "app.py"), *argv], prog_name="streamlit", standalone_mode=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
