"""lib/jobs.py on real threads: results kept whatever the page does, identical requests sent once, cancel."""

from __future__ import annotations

import threading

import pytest

from conftest import png_bytes
from lib.catalog import Task
from lib.errors import Throttled
from lib.generation.requests import GenerationRequest, GenerationResult, ImageOutput
from lib.catalog import get_model
from lib.history import HistoryStore
from lib.jobs import Job, JobRunner, JobState, UnexpectedError
from lib.services.calls import AFTER_CANCEL_NOTE, image_work

SD35 = "stability.sd3-5-large-v1:0"


@pytest.fixture
def jobs() -> JobRunner:
    runner = JobRunner(max_workers=4)
    yield runner
    runner.shutdown()


def job(owner: str = "alice", key: str = "k1", lab: str = "lab2") -> Job:
    return Job(owner=owner, lab=lab, kind="image", what="Generate", model_label="SD 3.5", key=key)


def wait_done(runner: JobRunner, j: Job) -> None:
    for _ in range(500):
        if not j.running:
            return
        threading.Event().wait(0.01)
    raise AssertionError("job did not finish")


def test_an_identical_pending_request_is_not_sent_again(jobs: JobRunner):
    release, calls = threading.Event(), []

    def work(_: Job) -> str:
        calls.append(1)
        release.wait(5)
        return "made"

    first, new1 = jobs.submit(job(), work)
    second, new2 = jobs.submit(job(), work)
    other_owner, new3 = jobs.submit(job(owner="bob"), work)  # another attendee's identical request is theirs
    release.set()
    for j in (first, other_owner):
        wait_done(jobs, j)
    assert (new1, new2, new3) == (True, False, True)
    assert second is first and len(calls) == 2
    # once finished, the same request may be sent again
    third, new4 = jobs.submit(job(), lambda _: "again")
    wait_done(jobs, third)
    assert new4 and third.result == "again"


def test_finished_jobs_are_handed_to_their_lab_once_and_only_to_their_owner(jobs: JobRunner):
    mine = jobs.submit(job(), lambda _: ["entry1"])[0]
    theirs = jobs.submit(job(owner="bob"), lambda _: ["entry2"])[0]
    wait_done(jobs, mine)
    wait_done(jobs, theirs)
    assert jobs.take_finished("alice", "lab3") == []
    taken = jobs.take_finished("alice", "lab2")
    assert [j.result for j in taken] == [["entry1"]]
    assert jobs.take_finished("alice", "lab2") == []
    assert not jobs.cancel("alice", theirs.id)  # nobody cancels another attendee's job


def test_errors_are_kept_and_bugs_are_logged_not_shown(jobs: JobRunner, caplog: pytest.LogCaptureFixture):
    def throttled(_: Job) -> None:
        raise Throttled("Too many requests.")

    def bug(_: Job) -> None:
        raise KeyError("/srv/app/secret/path.py")

    a = jobs.submit(job(key="a"), throttled)[0]
    b = jobs.submit(job(key="b"), bug)[0]
    wait_done(jobs, a)
    wait_done(jobs, b)
    assert a.state is JobState.FAILED and isinstance(a.error, Throttled)
    assert isinstance(b.error, UnexpectedError) and "/srv/app" not in b.error.message + b.error.hint
    assert b.id in b.error.hint  # the reference the instructor finds in the log
    assert "/srv/app/secret/path.py" in caplog.text


def test_cancel_stops_waiting_and_a_late_result_is_kept_and_marked(jobs: JobRunner, tmp_path):
    """The paid image still reaches History, flagged as arriving after cancel; the lab no longer waits."""
    store = HistoryStore(tmp_path)
    release = threading.Event()
    model = get_model(SD35)
    request = GenerationRequest(model_id=SD35, prompt="a fox")

    def call(req: GenerationRequest) -> GenerationResult:
        release.wait(5)
        data = png_bytes((32, 32))
        return GenerationResult(model=model, request=req.with_seed(7), images=[ImageOutput(data, "png", 7, 32, 32)],
                                latency_s=0.1, cost_usd=0.08, region="us-west-2", request_body={"prompt": "a fox"})

    j = jobs.submit(job(), image_work(call, request, store, "lab2", owner="alice"))[0]
    assert jobs.cancel("alice", j.id)
    assert jobs.running("alice") == []  # nothing to wait for any more
    release.set()
    wait_done(jobs, j)
    assert j.arrived_after_cancel
    assert jobs.take_finished("alice", "lab2") == []  # the page does not jump to it by itself
    (entry,) = store.recent()
    assert entry.after_cancel and AFTER_CANCEL_NOTE in entry.notes
    assert entry.id == j.result[0] and entry.task == Task.TEXT_TO_IMAGE.value


def test_the_result_is_stored_even_if_nobody_ever_collects_it(jobs: JobRunner, tmp_path):
    """What a closed tab or another page would do: the job still records its entry the moment it returns."""
    store = HistoryStore(tmp_path)
    model = get_model(SD35)

    def call(req: GenerationRequest) -> GenerationResult:
        data = png_bytes((16, 16))
        return GenerationResult(model=model, request=req.with_seed(3), images=[ImageOutput(data, "png", 3, 16, 16)],
                                latency_s=0.1, cost_usd=0.08, region="us-west-2", request_body={})

    j = jobs.submit(job(), image_work(call, GenerationRequest(model_id=SD35, prompt="x"), store, "lab2", owner="alice"))[0]
    wait_done(jobs, j)
    assert [e.id for e in store.recent()] == j.result and not store.recent()[0].after_cancel
