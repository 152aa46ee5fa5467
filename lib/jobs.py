"""The process-wide job runner: every model call runs here, outside Streamlit's script run.

Why: Streamlit stops a script run whenever the attendee touches a widget (typing, Tab, "+", another
button, another page). A Bedrock call made inside that run is paid for, but its result was dropped.
A job runs on a thread owned by the process instead; the work it is given stores its result (History,
chat answers) the moment the model returns, whatever the browser did meanwhile, and the page picks the
job up on its next run (`lib/ui/jobs.py`: the job wakes the page as it ends).

Jobs are keyed by owner (the attendee's workspace) and by request: an identical request of the same
owner that is still running is not sent again. Cancel stops *waiting*: a paid result that still
arrives is kept, and marked as arriving after the cancel.

Nothing here imports Streamlit; the runner is shared by every session of the process.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable

from lib.errors import WorkshopError
from lib.i18n import N_, _, current_language, language

log = logging.getLogger(__name__)

KEEP_FINISHED_S = 3600.0  # finished jobs stay visible (and collectable) this long
MAX_WORKERS = 32  # calls in flight for the whole process; each mostly waits on the network


class JobState(str, Enum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class UnexpectedError(WorkshopError):
    """A bug, not a user mistake: the detail is logged on the server, never shown in the browser."""

    title = N_("Something went wrong in the app")

    def __init__(self, message: str, hint: str = "", *, detail: str = "") -> None:
        super().__init__(message, hint, detail=detail)
        self.title = _(type(self).title)  # made in the job's language, like its message


@dataclass
class Job:
    """One model call (or a short sequence of them) and what became of it.

    `work` receives the job itself: it may report progress (`partial`) and reads `cancelled` before it
    stores its result, so a result that arrives after a cancel is marked as such.
    """

    owner: str
    lab: str
    kind: str  # what the page does with the outcome: "image", "compare", "answer", "presets", "chat", "query"
    what: str  # for people: "Generate “a red fox…”"
    model_label: str
    key: str  # the request's fingerprint: identical pending requests share one job
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    started: float = field(default_factory=time.time)
    finished: float | None = None
    state: JobState = JobState.RUNNING
    cancelled: bool = False
    collected: bool = False  # the page has taken the outcome
    result: Any = None
    error: WorkshopError | None = None
    partial: Any = None  # progress while running: streamed text, rows so far
    context: dict[str, Any] = field(default_factory=dict)  # what the page needs to pick the result up
    # The submitting session's language, taken when the job is made (in its script run): the work runs in it,
    # so the messages a job makes (notes, errors, rows) come out in the attendee's language.
    language: str = field(default_factory=current_language)
    # Who shows this job and wants to hear the moment it ends (lib/ui/jobs.py: browser sessions); opaque here.
    watchers: dict[Any, Any] = field(default_factory=dict)

    @property
    def running(self) -> bool:
        return self.state is JobState.RUNNING

    @property
    def elapsed_s(self) -> float:
        return (self.finished or time.time()) - self.started

    @property
    def arrived_after_cancel(self) -> bool:
        return self.cancelled and self.state is JobState.DONE


def _start_workers(pool: ThreadPoolExecutor, count: int) -> None:
    """Have the pool start all its threads now: it starts one per submit while none is idle, and a page's
    submit then waited for a new thread to get the GIL (seconds, with a class submitting at once)."""
    gate = threading.Barrier(count, timeout=60)

    def hold() -> None:  # each task keeps its thread busy until all are running, so each gets its own
        try:
            gate.wait()
        except threading.BrokenBarrierError:
            pass

    for _worker in range(count):
        pool.submit(hold)


class JobRunner:
    """Runs jobs on a bounded thread pool and remembers them per owner until they are old."""

    def __init__(self, max_workers: int = MAX_WORKERS, executor: Executor | None = None) -> None:
        """`executor` runs the work (default: a thread pool of `max_workers`); page tests pass one that
        runs it at once, so an AppTest run sees its result without waiting."""
        self._pool = executor or ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="workshop-job")
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        if executor is None:  # start every worker now, on a thread of its own
            threading.Thread(target=_start_workers, args=(self._pool, max_workers), name="job-pool-start",
                             daemon=True).start()

    def submit(self, job: Job, work: Callable[[Job], Any]) -> tuple[Job, bool]:
        """Start `work` for `job`, unless an identical job of the same owner is still running.

        Returns (the job that carries this request, whether it is new). Never raises for what `work`
        does: its WorkshopError (or any bug, logged) ends up in `job.error`.
        """
        with self._lock:
            self._prune()
            for other in self._jobs.values():
                if other.running and not other.cancelled and other.owner == job.owner and other.lab == job.lab \
                        and other.key == job.key:
                    return other, False
            self._jobs[job.id] = job
        self._pool.submit(self._run, job, work)
        return job, True

    def _run(self, job: Job, work: Callable[[Job], Any]) -> None:
        with language(job.language):  # the worker thread is reused: the language is restored afterwards
            try:
                result, error, state = work(job), None, JobState.DONE
            except WorkshopError as exc:
                result, error, state = None, exc, JobState.FAILED
            except Exception:  # noqa: BLE001 - a bug: logged here with its traceback, shown plainly
                log.exception("job %s (%s, %s) failed", job.id, job.lab, job.what)
                result, state = None, JobState.FAILED
                error = UnexpectedError(
                    _("The request could not be completed because of an error in the app."),
                    _("Try again; if it keeps failing, tell the instructor (reference {reference}).").format(
                        reference=job.id))
        with self._lock:
            job.result, job.error, job.finished, job.state = result, error, time.time(), state
        for listener in list(_finish_listeners):
            try:
                listener(job)
            except Exception:  # noqa: BLE001 - telling someone must never lose the job's outcome
                log.exception("a listener of job %s failed", job.id)

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def jobs(self, owner: str, lab: str | None = None) -> list[Job]:
        """The owner's jobs (one lab's, if given), oldest first."""
        with self._lock:
            found = [j for j in self._jobs.values() if j.owner == owner and (lab is None or j.lab == lab)]
        return sorted(found, key=lambda j: j.started)

    def running(self, owner: str, lab: str | None = None) -> list[Job]:
        """Jobs the owner is still waiting for (cancelled ones are no longer waited for)."""
        return [j for j in self.jobs(owner, lab) if j.running and not j.cancelled]

    def cancel(self, owner: str, job_id: str) -> bool:
        """Stop waiting for a job; the call itself can't be recalled, so what it returns is still kept."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.owner != owner or not job.running:
                return False
            job.cancelled = True
            return True

    def take_finished(self, owner: str, lab: str) -> list[Job]:
        """Finished jobs of one lab that the page has not shown yet (cancelled ones excepted), oldest first.

        Each is handed out once: the page records the outcome in its session state.
        """
        with self._lock:
            found = [j for j in self._jobs.values() if j.owner == owner and j.lab == lab and not j.running
                     and not j.cancelled and not j.collected]
            for job in found:
                job.collected = True
        return sorted(found, key=lambda j: j.started)

    def _prune(self) -> None:
        cutoff = time.time() - KEEP_FINISHED_S
        for job_id in [i for i, j in self._jobs.items() if j.finished is not None and j.finished < cutoff]:
            del self._jobs[job_id]

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True)


_finish_listeners: list[Callable[[Job], None]] = []


def on_finish(listener: Callable[[Job], None]) -> None:
    """Call `listener(job)` on the worker thread as soon as any job has ended (once per listener)."""
    if listener not in _finish_listeners:
        _finish_listeners.append(listener)


_runner: JobRunner | None = None
_runner_lock = threading.Lock()


def runner() -> JobRunner:
    """The one runner of this process, shared by every browser session."""
    global _runner
    with _runner_lock:
        if _runner is None:
            _runner = JobRunner()
        return _runner


def use_runner(new: JobRunner | None) -> JobRunner | None:
    """Replace the process's runner (tests); returns the previous one."""
    global _runner
    with _runner_lock:
        old, _runner = _runner, new
        return old
