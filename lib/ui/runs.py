"""Running a request and showing a lab's results: the same for every image lab."""

from __future__ import annotations

from typing import Any, Callable

import streamlit as st

from lib.errors import WorkshopError
from lib.generation.requests import GenerationResult
from lib.labs import LabPage
from lib.ui.common import history_store, show_error
from lib.ui.generation_controls import reuse_seed_callback
from lib.ui.results import show_result


def runs_key(key: str) -> str:
    return f"{key}_runs"


def run_request(key: str, call: Callable[[Any], GenerationResult], request: Any, *, spinner: str,
                inputs: list[bytes] | None = None) -> WorkshopError | None:
    """Call the service, record the result in history and in this session's runs; return the error, if any."""
    try:
        with st.spinner(spinner):
            result = call(request)
        entry = history_store().record(result, lab=key, inputs=inputs)
    except WorkshopError as exc:
        return exc
    st.session_state[runs_key(key)] = [entry.id] + st.session_state.get(runs_key(key), [])
    return None


def results_panel(key: str, error: WorkshopError | None, *, send_to: tuple[LabPage, ...], empty_text: str,
                  columns: int = 3, hint: Callable[[WorkshopError], str | None] | None = None) -> None:
    """The error (if the last run failed), then the newest run, then earlier runs of this session."""
    if error:
        show_error(error)
        extra = hint(error) if hint else None
        if extra:
            st.info(extra, icon=":material/lightbulb:")
    store = history_store()
    entries = [e for e in (store.get(i) for i in st.session_state.get(runs_key(key), [])) if e]
    if not entries:
        st.info(empty_text, icon=":material/image:")
    for n, entry in enumerate(entries[:6]):
        container = st.container() if n == 0 else st.expander(
            f"Earlier: “{entry.prompt[:60]}” · {entry.model_label} · {entry.when}")
        with container:
            show_result(entry, f"{key}_run{entry.id}", reuse_seed=reuse_seed_callback(key), send_to=send_to,
                        columns=columns)
