"""Session and process state every lab shares: the History store, who is looking, and run-list keys.

Why its own module: the sidebar (lib/ui/common.py), the class controls and the code view all need these,
and keeping them here means none of those modules has to import another one back.
"""

from __future__ import annotations

from typing import Callable, TypeVar

import streamlit as st

from lib.history import HistoryStore, Viewer
from lib.settings import Settings, load_settings
from lib.ui.identity import current_viewer

T = TypeVar("T")


@st.cache_resource(show_spinner=False)
def _history_store(data_dir: str, database: str | None, blobs: str | None) -> HistoryStore:
    return HistoryStore(data_dir, database=database, blobs=blobs)  # type: ignore[arg-type]


def history_store(settings: Settings | None = None) -> HistoryStore:
    """The history store of this deployment (data folder, or WORKSHOP_DATABASE_URL / WORKSHOP_BLOB_URL),
    shared by all sessions."""
    settings = settings or load_settings()
    key = (str(settings.data_dir), settings.database_url, settings.blob_url)
    store = _stores.get(key)  # st.cache_resource hashes its arguments on every call: 1 ms, many calls a run
    if store is None:
        store = _history_store(*key)
        if len(_stores) >= 16:
            _stores.clear()
        _stores[key] = store
    return store


_stores: dict[tuple[str, str | None, str | None], HistoryStore] = {}


def forget_history_stores() -> None:
    """Drop the stores kept in front of st.cache_resource (tests, with st.cache_resource.clear())."""
    _stores.clear()


def kept_for_session(name: str, key: tuple, build: Callable[[], T]) -> T:
    """`build()`, made once per session while `key` holds (e.g. the navigation's file pages for a language).

    Why: st.Page resolves its file on disk when made; the app made 11 of them on every run of every page.
    Never keep an object that holds a function of app.py: each run defines its functions afresh.
    """
    kept = st.session_state.get(f"_kept_{name}")
    if kept is None or kept[0] != key:
        kept = (key, build())
        st.session_state[f"_kept_{name}"] = kept
    return kept[1]


def viewer() -> Viewer:
    """This session's owner and role (lib/ui/identity.py)."""
    return current_viewer()


def in_fragment_rerun() -> bool:
    """True while Streamlit reruns only a fragment (its poll or one of its widgets), not the whole page."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    return bool(ctx is not None and ctx.fragment_ids_this_run)


def runs_key(key: str) -> str:
    """The ids of this session's runs in a lab, newest first."""
    return f"{key}_runs"


def replayed_key(key: str) -> str:
    """The ids of this session's runs that were replayed from History rather than made now."""
    return f"{key}_replayed"
