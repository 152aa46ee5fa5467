"""Jobs as the attendee sees them: submit, watch (what, which model, elapsed, Cancel), pick up.

A model call never runs inside the script run (see lib/jobs.py). The page submits a job and returns at
once; a small fragment shows it while it runs and reruns the page when it ends, so the page picks the
result up, also after the attendee typed, clicked or went to another page and came back.

How the page learns that a job ended: the moment it does, the server asks each browser session that shows
it to rerun its watching fragment (`_wake`), exactly as the browser's own timer would. The fragments still
run on a timer, but only as a safety net and to count the seconds (a streamed answer every POLL_S):
polling every quarter second for every waiting attendee was most of what a server did for a class, and
each poll started a thread on the server's event loop while 30 attendees waited.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any, Callable

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from lib.generation.requests import ImageRequest, request_fingerprint
from lib.i18n import _, format_number
from lib.jobs import Job, on_finish, runner
from lib.labs import LABS
from lib.text import plain

log = logging.getLogger(__name__)

OWNER_KEY = "workspace_id"
POLL_S = 0.25  # how often a job that streams (an answer being written) redraws what it has so far
TICK_S = 1.0  # how often any other running job redraws its elapsed seconds (and, should a wake-up be lost,
# the longest a finished job waits to be picked up)
# Streamlit's own "Running…" widget and Stop button would flash at every poll, and its Stop abandons the
# page's run (never the job): the app shows its own indicator for running jobs instead.
_HIDE_STREAMLIT_STATUS = "<style>[data-testid='stStatusWidget']{display:none !important}</style>"


def owner() -> str:
    """Who the jobs belong to: this browser session's workspace."""
    return st.session_state.setdefault(OWNER_KEY, uuid.uuid4().hex)


def submit(lab_key: str, kind: str, what: str, model_label: str, key: str, work: Callable[[Job], Any],
           **context: Any) -> Job:
    """Start a job for this session; an identical one still running is not sent again (said in a toast)."""
    job, new = runner().submit(Job(owner(), lab_key, kind, what, model_label, key, context=context), work)
    if not new:
        st.toast(_("Already running: {what} ({model}). Not sent again.").format(what=job.what, model=job.model_label),
                 icon=":material/hourglass_top:")
    return job


def job_key(request: ImageRequest) -> str:
    """Identical requests share one pending job: same fingerprint, and the same seed when one was chosen."""
    return f"{request_fingerprint(request)}:{request.seed}"


def take_finished(lab_key: str) -> list[Job]:
    """This lab's finished jobs the page has not shown yet; each is handed out once."""
    return runner().take_finished(owner(), lab_key)


def running(lab_key: str | None = None) -> list[Job]:
    return runner().running(owner(), lab_key)


def _cancel(job_id: str) -> None:
    runner().cancel(owner(), job_id)


def _dismiss(job_id: str) -> None:
    job = runner().get(job_id)
    if job is not None and job.owner == owner():
        job.collected = True


def _elapsed(job: Job) -> str:
    seconds = int(job.elapsed_s)
    if seconds < 120:
        return _("{seconds} s").format(seconds=format_number(seconds))
    return _("{minutes} min {seconds} s").format(minutes=format_number(seconds // 60), seconds=seconds % 60)


def _visible(lab_key: str) -> list[Job]:
    """Running jobs, and cancelled ones until their (late) result has been seen or dismissed."""
    return [j for j in runner().jobs(owner(), lab_key) if j.running or (j.cancelled and not j.collected)]


def _show(job: Job, key: str, render: Callable[[Job], None] | None,
          show_late: Callable[[Job], None] | None) -> None:
    with st.container(border=True, key=f"{key}_job_{job.id}"):
        if job.running and not job.cancelled:
            st.markdown(_(":material/progress_activity: **{what}** · {model} · running for {elapsed}").format(
                what=plain(job.what), model=job.model_label, elapsed=_elapsed(job)))
            if render is not None:
                render(job)
            st.button(_("Cancel"), key=f"{key}_cancel_{job.id}", icon=":material/cancel:", on_click=_cancel,
                      args=(job.id,), help=_("Stop waiting. The call already sent can't be recalled: if its result "
                                             "still arrives, it is kept in History, marked as arriving after "
                                             "cancel."))
        elif job.running:
            st.markdown(_(":material/cancel: **Cancelled:** {what} · {model}").format(what=plain(job.what),
                                                                                      model=job.model_label))
            st.caption(_("You stopped waiting. The model is still answering; if the result arrives it is kept in "
                         "History, marked as arriving after cancel."))
        else:
            if job.error is None:
                said = _(":material/history: **Cancelled, its result arrived afterwards and is kept in History.** "
                         "{what} · {model}").format(what=plain(job.what), model=job.model_label)
            else:
                said = _(":material/history: **Cancelled, it then failed: {problem}.** {what} · {model}").format(
                    problem=plain(job.error.message), what=plain(job.what), model=job.model_label)
            st.markdown(said)
            c1, c2 = st.columns(2)
            if job.error is None and show_late is not None:
                c1.button(_("Show it here"), key=f"{key}_late_{job.id}", icon=":material/visibility:",
                          on_click=_show_late, args=(job.id, show_late))
            c2.button(_("Dismiss"), key=f"{key}_dismiss_{job.id}", icon=":material/close:", on_click=_dismiss,
                      args=(job.id,))


def _show_late(job_id: str, show_late: Callable[[Job], None]) -> None:
    job = runner().get(job_id)
    if job is not None and job.owner == owner():
        job.collected = True
        show_late(job)


def job_panel(lab_key: str, *, render: Callable[[Job], None] | None = None,
              show_late: Callable[[Job], None] | None = None) -> None:
    """This lab's jobs: each with what, model, elapsed and Cancel; the page reruns when one ends.

    `render` draws a running job's progress (e.g. streamed text); `show_late` puts a result that arrived
    after a cancel into the page, when the attendee asks for it.
    """
    st.html(_HIDE_STREAMLIT_STATUS)
    if any(not j.running and not j.cancelled and not j.collected for j in runner().jobs(owner(), lab_key)):
        st.rerun()  # a job ended after this run's pick-up: run again so the page takes it
    jobs = _visible(lab_key)
    if any(j.running for j in jobs):
        (_watch_streaming if render is not None else _watch)(lab_key, _snapshot(jobs), render, show_late)
    else:
        for job in jobs:
            _show(job, lab_key, render, show_late)


def _snapshot(jobs: list[Job]) -> tuple[tuple[str, bool, bool], ...]:
    return tuple((j.id, j.running, j.cancelled) for j in jobs)


def _watching(jobs: list[Job]) -> None:
    """Note that this session shows `jobs` in the fragment running now: each one's end wakes that fragment."""
    ctx = get_script_run_ctx(suppress_warning=True)
    fragment_id = _current_fragment_id()
    if ctx is None or not fragment_id:
        return  # unknown here: the fragment's timer picks the end up
    seen_as = (ctx.page_script_hash, ctx.query_string, ctx.context_info)  # the browser's page, URL and locale
    for job in jobs:
        job.watchers[(ctx.session_id, fragment_id)] = seen_as


def _current_fragment_id() -> str | None:
    """The id of the fragment running on this thread (Streamlit keeps it per thread; not a public API)."""
    try:
        from streamlit.runtime.scriptrunner_utils.script_run_context import ThreadState

        return ThreadState.get().fragment_id
    except Exception:  # noqa: BLE001 - another Streamlit: no wake-ups, the timers still work
        return None


def _wake(job: Job) -> None:
    """On the job's worker thread, as it ends: ask every session that shows it to rerun its watching fragment.

    It is the message the browser's own timer sends (a fragment rerun, no widget changed), handed to Streamlit
    on its event loop. A fragment that no longer exists (the attendee changed page) is ignored by Streamlit;
    should anything here fail, the fragment's timer picks the result up within TICK_S.
    """
    if not job.watchers:
        return
    try:
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.runtime import Runtime

        if not Runtime.exists():
            return
        runtime = Runtime.instance()
        loop = runtime._get_async_objs().eventloop  # noqa: SLF001 - the one way onto Streamlit's loop
    except Exception:  # noqa: BLE001 - another Streamlit, or no server (tests): the timer covers it
        log.debug("no wake-up for job %s", job.id, exc_info=True)
        return
    for (session_id, fragment_id), (page_hash, query_string, context_info) in list(job.watchers.items()):
        msg = BackMsg()
        rerun = msg.rerun_script
        rerun.page_script_hash, rerun.fragment_id, rerun.is_auto_rerun = page_hash, fragment_id, True
        rerun.query_string = query_string or ""
        if context_info is not None:  # the browser's locale and time zone: the page stays in its language
            rerun.context_info.CopyFrom(context_info)
        loop.call_soon_threadsafe(_deliver, runtime, session_id, msg)


def _deliver(runtime: Any, session_id: str, msg: Any) -> None:
    """On Streamlit's event loop (where the browser's own messages are handled too, so nothing comes between)."""
    try:
        if _browser_rerun_pending(runtime, session_id):
            return
        runtime.handle_backmsg(session_id, msg)
    except Exception:  # noqa: BLE001 - a session that closed meanwhile, a server stopping
        log.debug("could not wake session %s", session_id, exc_info=True)


def _browser_rerun_pending(runtime: Any, session_id: str) -> bool:
    """True when the session already has a rerun queued (or when that can't be told): then no wake-up is sent.

    Why: Streamlit folds a queued rerun and a new one into one, and the newer one's widget values win. A
    wake-up carries none (the browser's are not known here), so folded into, say, a stroke on lab 7's canvas
    that waits behind the running script, it would drop that stroke. The queued run, or the fragment's next
    tick (TICK_S), shows the job's end instead. Reads Streamlit's request queue, not a public API; should that
    change, no wake-ups are sent and the timers carry on (tests/test_job_wakeup.py notices).
    """
    try:
        from streamlit.runtime.scriptrunner_utils.script_requests import ScriptRequestType

        session = runtime.get_app_session(session_id)
        if session is None:
            return True  # gone: nothing to wake
        script_runner = session._scriptrunner  # noqa: SLF001
        if script_runner is None:
            return False  # idle, nothing queued
        return script_runner._requests._state != ScriptRequestType.CONTINUE  # noqa: SLF001 - RERUN or STOP
    except Exception:  # noqa: BLE001 - another Streamlit
        log.debug("can't see session %s's queue; no wake-up", session_id, exc_info=True)
        return True


on_finish(_wake)


def _watch_body(lab_key: str, seen: tuple[tuple[str, bool, bool], ...], render: Callable[[Job], None] | None,
                show_late: Callable[[Job], None] | None) -> None:
    jobs = _visible(lab_key)
    if _snapshot(jobs) != seen:
        st.rerun()  # the page picks the outcome up (or hands a cancelled message back)
    _watching(jobs)
    for job in jobs:
        _show(job, lab_key, render, show_late)


@st.fragment(run_every=TICK_S)
def _watch(lab_key: str, seen: tuple[tuple[str, bool, bool], ...], render: Callable[[Job], None] | None,
           show_late: Callable[[Job], None] | None) -> None:
    """Redraws the running jobs every TICK_S; reruns the whole page as soon as one ends (woken by `_wake`)
    or is cancelled."""
    _watch_body(lab_key, seen, render, show_late)


@st.fragment(run_every=POLL_S)
def _watch_streaming(lab_key: str, seen: tuple[tuple[str, bool, bool], ...], render: Callable[[Job], None] | None,
                     show_late: Callable[[Job], None] | None) -> None:
    """The same for a job that shows its progress (`render`: an answer as it is written), every POLL_S."""
    _watch_body(lab_key, seen, render, show_late)


def _lab_title(lab_key: str) -> tuple[str, str | None]:
    found = next((lab for lab in LABS if lab.key == lab_key), None)
    return (_("Lab {number}").format(number=found.number), found.page) if found else (lab_key, None)


def sidebar_jobs() -> None:
    """The app's own running indicator: every running job of this session, on every page, live."""
    st.html(_HIDE_STREAMLIT_STATUS)
    active = frozenset(j.id for j in running())
    ready = [j for j in runner().jobs(owner()) if not j.running and not j.cancelled and not j.collected]
    if active:
        with st.sidebar:
            _sidebar_watch(active)
    if ready:
        with st.sidebar:
            for job in ready:
                title, page = _lab_title(job.lab)
                said = _("{lab}: failed — {what}") if job.error else _("{lab}: result ready — {what}")
                text = plain(said.format(lab=title, what=job.what))
                if page:
                    st.page_link(page, label=text, icon=":material/error:" if job.error else ":material/task_alt:")
                else:
                    st.caption(text)


@st.fragment(run_every=TICK_S)
def _sidebar_watch(active: frozenset[str]) -> None:
    now = running()
    if frozenset(j.id for j in now) != active:
        st.rerun()
    _watching(now)  # on another page than the job's, this is what its end wakes
    st.markdown(_("**:material/progress_activity: {count} running**").format(count=len(now)))
    for job in now:
        title = _lab_title(job.lab)[0]
        st.caption(plain(f"{title} · {job.what} · {job.model_label} · {_elapsed(job)}"))
