"""A finished job wakes the page that shows it: the result does not wait for the browser's next timed poll.

Why this matters for a class: the fragments that watch a running job used to rerun every quarter second for
every waiting attendee; each rerun started a thread on the server's event loop. They now tick once a second
(a streamed answer: every quarter second) and the server wakes the watching fragment the moment the job
ends (lib/ui/jobs.py `_wake`).

The client here is bench/st_client.py (Streamlit's websocket protocol, no browser) with its fragment timers
switched off: a result can then only reach the page through the server's wake-up. Without it, these waits
would never end (they time out: a liveness check, not a timing one).
"""

from __future__ import annotations

import asyncio
import sys
import threading
from pathlib import Path

import pytest

from browser_support import fake_aws_env, streamlit_server
from lib.jobs import Job, JobRunner, JobState, on_finish

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from st_client import StreamlitSession, element_text  # noqa: E402

WAIT_S = 60.0  # generous: a slow CI machine must not fail this; a missing wake-up never arrives at all


@pytest.fixture(scope="module")
def app_url(fake_bedrock, tmp_path_factory):
    with streamlit_server(fake_aws_env(fake_bedrock.url), tmp_path_factory.mktemp("wakeup-data")) as url:
        yield url


@pytest.fixture
def slowish(fake_bedrock):
    """Long enough that the job is still running when the click's own run ends (it is then picked up later)."""
    fake_bedrock.reset()
    fake_bedrock.latency_s = 1.0
    yield fake_bedrock
    fake_bedrock.latency_s = 0.0
    fake_bedrock.reset()


def _has(text: str, etype: str):
    return lambda kind, proto: kind == etype and text in element_text(kind, proto)


async def _without_timers(url: str) -> StreamlitSession:
    session = StreamlitSession(url, timeout_s=WAIT_S)
    session._schedule = lambda fragment_id, interval: None  # the browser's fragment timers: never fire
    await session.connect()
    return session


def _generate(url: str, prompt: str, caption: str, locale: str = "en-US"):
    """Lab 2 in a session whose timers never fire: Generate, then wait for the image captioned `caption`.
    Returns (the image as found, the session's runs)."""
    async def attendee():
        session = await _without_timers(url)
        session.locale = locale
        try:
            await session.open("image-generation")
            await session.settle()
            await session.set("lab2_prompt", prompt)
            waiting = asyncio.ensure_future(session.wait_for(_has(caption, "imgs"), WAIT_S))
            await session.click("lab2_go")
            found = await waiting
            assert not session.errors
            return found, list(session.runs)
        finally:
            await session.close()

    return asyncio.run(attendee())


def test_a_generated_image_reaches_the_page_without_any_timed_poll(app_url, slowish):
    found, runs = _generate(app_url, "a lighthouse at dusk, woken", "Seed ")
    assert found.run is not None and found.run.full  # the page's own run, after the wake-up
    assert any(not run.full for run in runs), "no fragment run: how did the page learn of it?"
    assert slowish.calls, "the image was not generated through the fake endpoint"


def test_a_woken_page_keeps_the_browsers_language(app_url, slowish):
    """The wake-up carries the browser's locale: a Korean attendee's result comes back on a Korean page."""
    _generate(app_url, "노을 진 등대", "시드 ", locale="ko-KR")


def test_a_chat_answer_reaches_the_page_without_any_timed_poll(app_url, slowish):
    async def attendee() -> None:
        session = await _without_timers(app_url)
        try:
            await session.open("multimodal-chatbot")
            await session.settle()
            waiting = asyncio.ensure_future(session.wait_for(_has("tokens in", "markdown"), WAIT_S))
            await session.chat("lab9_input", "What is in a typical workshop room?")
            await waiting
            assert not session.errors
        finally:
            await session.close()

    asyncio.run(attendee())


def test_a_job_that_ends_tells_its_listeners_once_with_its_outcome():
    """lib/jobs.py's side of it: every listener hears of the job once it has its outcome; one that fails does
    not cost the job its result."""
    heard: list[tuple[str, JobState, object]] = []
    done = threading.Event()

    def listener(job: Job) -> None:
        heard.append((job.id, job.state, job.result))
        if job.what == "last":
            done.set()

    def failing(job: Job) -> None:
        raise RuntimeError("a broken listener")

    on_finish(failing)
    on_finish(listener)
    on_finish(listener)  # registered once, however often it is asked
    runner = JobRunner(max_workers=2)
    try:
        first, _ = runner.submit(Job("me", "lab2", "image", "first", "m", "k1"), lambda job: ["entry-1"])
        last, _ = runner.submit(Job("me", "lab2", "image", "last", "m", "k2"), lambda job: ["entry-2"])
        assert done.wait(10)
    finally:
        runner.shutdown()
        import lib.jobs as jobs

        jobs._finish_listeners.remove(failing)
        jobs._finish_listeners.remove(listener)
    assert sorted(heard, key=lambda h: h[0] != first.id) == [(first.id, JobState.DONE, ["entry-1"]),
                                                              (last.id, JobState.DONE, ["entry-2"])]
    assert runner.get(first.id).result == ["entry-1"]


# -- a wake-up never takes a queued click's place ----------------------------------------------------------


def _queued_stroke():
    """Streamlit's own request queue holding a stroke on a canvas in a fragment (its value waits for the run)."""
    from streamlit.proto.WidgetStates_pb2 import WidgetStates
    from streamlit.runtime.scriptrunner_utils.script_requests import RerunData, ScriptRequests

    stroke = WidgetStates()
    state = stroke.widgets.add()
    state.id, state.json_value = "lab7-canvas", '{"objects": ["a stroke"]}'
    requests = ScriptRequests()
    requests.request_rerun(RerunData(widget_states=stroke, fragment_id="canvas-fragment"))
    return requests


def _wake_up_message():
    from streamlit.proto.BackMsg_pb2 import BackMsg

    msg = BackMsg()
    msg.rerun_script.fragment_id, msg.rerun_script.is_auto_rerun = "job-watch-fragment", True
    return msg


def test_streamlit_folds_a_wake_up_into_a_queued_click_and_drops_its_values():
    """Why `_deliver` looks at the queue first: folded together, the newer request's widget values win, and a
    wake-up has none. (Should a later Streamlit keep the click's values, this test says so.)"""
    from streamlit.runtime.scriptrunner_utils.script_requests import RerunData

    requests = _queued_stroke()
    requests.request_rerun(RerunData(widget_states=_wake_up_message().rerun_script.widget_states,
                                     fragment_id="job-watch-fragment"))
    assert [w.id for w in requests._rerun_data.widget_states.widgets] == []  # the stroke is gone


def test_a_wake_up_is_not_sent_while_the_browser_has_a_rerun_queued():
    from types import SimpleNamespace

    from streamlit.runtime.scriptrunner_utils.script_requests import ScriptRequests

    from lib.ui import jobs as ui_jobs

    sent: list[str] = []

    def runtime_with(session):
        return SimpleNamespace(get_app_session=lambda session_id: session,
                               handle_backmsg=lambda session_id, msg: sent.append(session_id))

    queued = _queued_stroke()
    ui_jobs._deliver(runtime_with(SimpleNamespace(_scriptrunner=SimpleNamespace(_requests=queued))), "s1",
                     _wake_up_message())
    assert sent == []  # not folded in: the stroke keeps its value, the queued run (or the tick) shows the end
    assert [w.id for w in queued._rerun_data.widget_states.widgets] == ["lab7-canvas"]

    running = SimpleNamespace(_scriptrunner=SimpleNamespace(_requests=ScriptRequests()))  # nothing queued
    ui_jobs._deliver(runtime_with(running), "s2", _wake_up_message())
    ui_jobs._deliver(runtime_with(SimpleNamespace(_scriptrunner=None)), "s3", _wake_up_message())  # idle
    ui_jobs._deliver(runtime_with(None), "s4", _wake_up_message())  # the session closed
    ui_jobs._deliver(SimpleNamespace(handle_backmsg=lambda *a: sent.append("x")), "s5", _wake_up_message())
    assert sent == ["s2", "s3"]  # a Streamlit whose queue can't be read gets no wake-up, and nothing raises
