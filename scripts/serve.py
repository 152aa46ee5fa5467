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
sys.path.insert(0, str(ROOT))  # lib/, for the settings


def main(argv: list[str]) -> int:
    try:
        from streamlit.runtime.pages_manager import PagesManager

        PagesManager.uses_pages_directory = False
    except (ImportError, AttributeError):  # a future Streamlit without the flag needs nothing
        pass
    from streamlit.web import cli

    return cli.main(args=["run", str(ROOT / "app.py"), *upload_limit(argv), *argv], prog_name="streamlit",
                    standalone_mode=True)


def upload_limit(argv: list[str]) -> list[str]:
    """Streamlit's upload limit set to the app's own (WORKSHOP_MAX_UPLOAD_MB), unless the command line sets it."""
    if any(arg.startswith("--server.maxUploadSize") for arg in argv):
        return []
    from lib.settings import load_settings

    return ["--server.maxUploadSize", str(max(1, load_settings().max_upload_bytes // (1024 * 1024)))]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
