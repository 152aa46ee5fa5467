"""Running a request and showing a lab's results: the same for every image lab.

Without AWS credentials a Bedrock lab can still show what it made before: when History holds the
result of an identical request, the lab offers to replay it (no call) and marks it as replayed.
"""

from __future__ import annotations

from typing import Any, Callable

import streamlit as st

from lib.catalog import ModelInfo
from lib.errors import WorkshopError
from lib.generation.requests import GenerationResult, ImageRequest
from lib.history import HistoryEntry
from lib.i18n import N_, _
from lib.jobs import Job
from lib.labs import LabPage
from lib.services.calls import image_work
from lib.capabilities import labs_running_here
from lib.labs import LABS
from lib.ui.common import current_credentials, history_store, show_error, viewer
from lib.ui.jobs import job_key, job_panel, submit, take_finished  # noqa: F401 - job_key: pages import it here
from lib.text import plain
from lib.ui.generation_controls import reuse_seed_callback, show_instruction
from lib.ui.results import outpainting_mode, run_title, show_result


from lib.ui.state import replayed_key, runs_key  # noqa: E402,F401 - pages import them here


def error_key(key: str) -> str:
    """The lab's last failure, shown until its next request (a rerun must not make it vanish)."""
    return f"{key}_error"


def run_request(key: str, call: Callable[[Any], GenerationResult], request: Any, *, what: str, model_label: str,
                inputs: list[bytes] | None = None) -> None:
    """Submit the call as a job: it runs outside this script run and records its result in History at once."""
    st.session_state.pop(error_key(key), None)
    submit(key, "image", what, model_label, job_key(request),
           image_work(call, request, history_store(), key, inputs, owner=viewer().owner))


def _add_runs(key: str, ids: list[str]) -> None:
    runs = [i for i in st.session_state.get(runs_key(key), []) if i not in ids]
    st.session_state[runs_key(key)] = list(reversed(ids)) + runs


def collect(key: str) -> None:
    """Take this lab's finished jobs into the page: new entries on top, or the failure to show."""
    for job in take_finished(key):
        if job.error is not None:
            st.session_state[error_key(key)] = job.error
        else:
            _add_runs(key, job.result)
            if job.kind == "compare":
                st.session_state[compare_key(key)] = job.result
            st.session_state.pop(error_key(key), None)


def compare_key(key: str) -> str:
    """Lab 6: the pair of entries made by one DEFAULT-vs-PRECISE comparison."""
    return f"{key}_compare"


def _show_late(job: Job) -> None:
    _add_runs(job.lab, job.result or [])


def _replay(key: str, entry_id: str) -> None:
    """Show a History entry as this lab's newest run, marked as replayed: nothing is called."""
    runs = [i for i in st.session_state.get(runs_key(key), []) if i != entry_id]
    st.session_state[runs_key(key)] = [entry_id] + runs
    st.session_state[replayed_key(key)] = {entry_id} | set(st.session_state.get(replayed_key(key), ()))


def short_when(entry: HistoryEntry) -> str:
    return entry.when[:16]  # to the minute: enough to recognise a run


def replay_offer(key: str, request: ImageRequest | None, model: ModelInfo, *, ready: bool) -> HistoryEntry | None:
    """When Bedrock can't be called, offer the identical earlier result from History (or say there is none).

    Only for Bedrock models: a local engine runs anyway. Returns the entry offered, if any.
    """
    if ready or request is None or model.runs_locally:
        return None
    entry = history_store().find_identical(request, viewer())
    if entry is None:
        st.caption(_(":material/history: Nothing identical in History to replay: a result is replayed only for the "
                     "same model, prompt, image, settings and seed. To make a new one, this lab needs AWS credentials "
                     "(see the warning above).") if request.seed is not None else
                   _(":material/history: Nothing identical in History to replay: a result is replayed only for the "
                     "same model, prompt, image and settings. To make a new one, this lab needs AWS credentials (see "
                     "the warning above)."))
        return None
    made = (_("History holds a result of exactly this request, made with {model}.").format(model=entry.model_label)
            if request.seed is not None else
            _("History holds a result of exactly this request, made with {model} (seed {seed}).").format(
                model=entry.model_label, seed=entry.seed))
    st.button(_("Replay the identical result from {when}").format(when=short_when(entry)), key=f"{key}_replay",
              icon=":material/replay:", on_click=_replay, args=(key, entry.id), width="stretch",
              help=_("{made} Show it again without calling Bedrock (nothing is charged).").format(made=made))
    return entry


def describe_job(label: str, prompt: str) -> str:
    """What a job is, for people: the button's label and the start of the prompt."""
    prompt = " ".join(prompt.split())
    if not prompt:
        return label
    return _("{label}: “{prompt}”").format(label=label, prompt=prompt[:48] + ("…" if len(prompt) > 48 else ""))


def run_button(key: str, call: Callable[[Any], GenerationResult], request: ImageRequest | None, model: ModelInfo, *,
               ready: bool, label: str, icon: str, inputs: list[bytes] | None = None, complete: bool = True) -> None:
    """The lab's main button; when Bedrock can't be called, the offer to replay an identical earlier result.

    `request` is None while the lab lacks an input (the button is disabled); `complete` False (e.g. no prompt
    yet) keeps the button usable, so that the service explains what is missing, but offers no replay.
    Pressing it submits a job (see lib/ui/jobs.py); pressing it again while that job runs sends nothing.
    A model asked in words (Nova 2 Omni) shows the instruction it will be sent, above the button.
    """
    show_instruction(request, model)
    if st.button(label, type="primary", key=f"{key}_go", disabled=not ready or request is None, icon=icon):
        assert request is not None
        run_request(key, call, request, what=describe_job(label, request.prompt), model_label=model.label, inputs=inputs)
    if complete:
        replay_offer(key, request, model, ready=ready)


OFFLINE_EMPTY = N_("Nothing made here yet. Without AWS credentials this lab shows a result only by replaying an "
                   "identical earlier one from History (the replay button appears under the main button).")


def what_runs_here(*, exclude: str | None = None, image_labs: bool = False) -> None:
    """Links to the labs that run without Bedrock on this machine, or how to get them: an empty state's next step."""
    numbers = [n for n in labs_running_here() if not image_labs or n in (4, 5, 7)]
    links = [item for item in LABS if item.number in numbers and item.key != exclude]
    if not links:
        from lib.local.availability import INSTALL_HINT  # local: only said when nothing runs here

        st.caption(_("No lab runs on this machine: the offline engines are not installed. {how}").format(
            how=_(INSTALL_HINT)))
        return
    st.caption(_("These labs run on this machine now:"))
    for item in links:
        st.page_link(item.page, label=_("Lab {number} — {title}").format(number=item.number, title=item.title),
                     icon=item.icon)


def results_panel(key: str, *, send_to: tuple[LabPage, ...], empty_text: str, columns: int = 3,
                  hint: Callable[[WorkshopError], str | None] | None = None, offline_text: str | None = None,
                  collected: bool = False) -> None:
    """Running jobs, the error (if the last run failed), then the newest run, then earlier runs of this session.

    With nothing to show yet, the empty state points at what runs in the current setting: `empty_text` with
    Bedrock; without it, `offline_text` (what the lab's local engine does) or the replay and the labs that run here.
    `collected`: the page already took this lab's finished jobs earlier in this run (lab 6 reads its comparison
    before this panel). Taking them again here would swallow a job that ended in between, after the page had drawn
    without it; left alone, job_panel sees it and reruns the page.
    """
    if not collected:
        collect(key)
    job_panel(key, show_late=_show_late)
    error = st.session_state.get(error_key(key))
    if error:
        show_error(error)
        extra = hint(error) if hint else None
        if extra:
            st.info(extra, icon=":material/lightbulb:")
    store = history_store()
    entries = [e for e in (store.get(i, viewer()) for i in st.session_state.get(runs_key(key), [])) if e]
    replayed = st.session_state.get(replayed_key(key), set())
    if not entries and not error and current_credentials().found:
        st.info(empty_text, icon=":material/image:")
    elif not entries and not error:
        st.info(offline_text or _(OFFLINE_EMPTY), icon=":material/cloud_off:")
        if not offline_text:
            what_runs_here(exclude=key)
    for n, entry in enumerate(entries[:6]):
        parts = [run_title(entry)[:62], entry.model_label, outpainting_mode(entry) or "", entry.when,  # lab 6: mode
                 _("replayed") if entry.id in replayed else "", _("arrived after cancel") if entry.after_cancel else ""]
        container = st.container() if n == 0 else st.expander(
            plain(_("Earlier: {run}").format(run=" · ".join(part for part in parts if part))))
        with container:
            show_result(entry, f"{key}_run{entry.id}", reuse_seed=reuse_seed_callback(key), send_to=send_to,
                        columns=columns, replayed=entry.id in replayed, upscale_in=key)
