"""What each kind of job does: make the model call, then store the result the moment it returns.

Why here and not in the page: the page's script run may be gone by the time the model answers (the
attendee typed, clicked or changed page). Storing belongs to the job, so nothing paid is lost; the
page only picks up ids and texts that are already in History.

Every text made here (a refusal, a note, a failed preset's row) is made inside the job, so it comes out in the
language of the attendee who asked (lib/jobs.py runs a job in its submitter's language).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable

from lib.catalog import call_target
from lib.chat import AnsweredBy, Turn, conversation_fingerprint
from lib.converse import ChatAnswer, answer, stream_answer
from lib.errors import WorkshopError
from lib.generation.requests import EditRequest, GenerationResult, ImageRequest
from lib.history import HistoryStore
from lib.i18n import N_, _
from lib.jobs import Job
from lib.services.guard import chat_estimate, check_call, error_kind, image_estimate
from lib.storage.control import ClassControl
from lib.vision import PRESETS

AFTER_CANCEL_NOTE = N_("Arrived after you cancelled waiting. It was paid for, so it is kept in History.")


def claimed(work: Callable[[Job], Any], store: HistoryStore, owner: str,
            estimate_usd: float = 0.0) -> Callable[[Job], Any]:
    """`work`, run only if no server sharing the database is already running the identical request, the
    instructor has not paused the class, and its estimated cost passes no spend cap (lib/services/guard.py).

    Why: two app servers behind a load balancer share one database; an attendee whose clicks reach both
    must still not pay twice. The claim is a row with a unique index on running (owner, lab, request); it
    carries `estimate_usd`, so calls still running count against the caps. Pause and caps are checked after
    the claim and before anything is sent, in this one place every lab's call goes through.
    """
    def run(job: Job) -> Any:
        if not store.claim_job(job.id, owner, job.lab, job.key, job.what, job.model_label,
                               est_cost_usd=estimate_usd):
            raise AlreadyRunning(_("This request is already running (on another server of this class)."),
                                 _("Its result will appear in History when it is done: nothing was sent twice."))
        try:
            check_call(ClassControl(store.engine), owner, estimate_usd, job_id=job.id)
            result = work(job)
        except BaseException as exc:
            store.finish_job(job.id, "failed", getattr(exc, "message", type(exc).__name__), error_kind(exc))
            raise
        store.finish_job(job.id, "done")
        return result
    return run


class AlreadyRunning(WorkshopError):
    title = N_("Already running")


def image_work(call: Callable[[Any], GenerationResult], request: ImageRequest, store: HistoryStore, lab: str,
               inputs: list[bytes] | None = None, *, owner: str) -> Callable[[Job], list[str]]:
    """One image call (generate, vary, edit): the History entry's id."""
    def work(job: Job) -> list[str]:
        result = call(request)
        if job.cancelled:
            result.notes.append(_(AFTER_CANCEL_NOTE))
        entry = store.record(result, lab=lab, inputs=inputs, asked=request, after_cancel=job.cancelled, owner=owner)
        return [entry.id]  # record() made what the lab shows (the display copy), here rather than in the page's run
    return claimed(work, store, owner, image_estimate(request))


def compare_work(call: Callable[[Any], GenerationResult], request: EditRequest, store: HistoryStore, lab: str,
                 modes: tuple[str, ...] = ("DEFAULT", "PRECISE"), *, owner: str) -> Callable[[Job], list[str]]:
    """Lab 6: the same edit once per outpainting mode, same seed; each stored as it returns."""
    def work(job: Job) -> list[str]:
        ids: list[str] = []
        for mode in modes:
            each = replace(request, outpainting_mode=mode, count=1)
            result = call(each)
            if job.cancelled:
                result.notes.append(_(AFTER_CANCEL_NOTE))
            ids.append(store.record(result, lab=lab, inputs=[request.image], asked=each,
                                    after_cancel=job.cancelled, owner=owner).id)
            job.partial = list(ids)
        return ids
    estimate = sum(image_estimate(replace(request, outpainting_mode=mode, count=1)) for mode in modes)
    return claimed(work, store, owner, estimate)


@dataclass
class AnswerOutcome:
    """A vision or chat answer as the page shows it, already kept in History (`answer_id`)."""

    text: str
    model_label: str
    local: bool
    input_tokens: int
    output_tokens: int
    cost_usd: float
    latency_s: float
    notes: list[str]
    answer_id: str | None  # None for a local engine's answer: nothing paid, nothing to replay
    sent: list[Turn] = field(default_factory=list)  # the conversation it answers (before trimming)
    answered_by: AnsweredBy | None = None  # None for a local engine's answer (no Bedrock call to show as code)


def keep_answer(store: HistoryStore, sent: list[Turn], result: ChatAnswer, lab: str, job: Job,
                owner: str) -> AnswerOutcome:
    """A Bedrock answer into History the moment it returns (a local engine's is not kept: nothing was paid)."""
    answer_id = None
    if not result.model.runs_locally:
        answer_id = store.record_answer(
            conversation_fingerprint(result.model.id, sent), result.text, model_id=result.model.id,
            model_label=result.model.label, region=result.region, input_tokens=result.input_tokens,
            output_tokens=result.output_tokens, cost_usd=result.cost_usd, latency_s=result.latency_s, lab=lab,
            prompt=sent[-1].text, after_cancel=job.cancelled, owner=owner).id
    answered_by = None
    if not result.model.runs_locally:
        answered_by = AnsweredBy(result.model.id, call_target(result.model, result.region)[1], result.region)
    return AnswerOutcome(text=result.text, model_label=result.model.label, local=result.model.runs_locally,
                         input_tokens=result.input_tokens, output_tokens=result.output_tokens,
                         cost_usd=result.cost_usd, latency_s=result.latency_s, notes=list(result.notes),
                         answer_id=answer_id, sent=list(sent), answered_by=answered_by)


def answer_work(model: Any, sent: list[Turn], store: HistoryStore, lab: str, *,
                owner: str) -> Callable[[Job], AnswerOutcome]:
    """A streamed answer (labs 8 and 9): the text so far is in `job.partial` while it streams."""
    def work(job: Job) -> AnswerOutcome:
        result, chunks = stream_answer(model, sent)
        job.partial = ""
        for chunk in chunks:
            job.partial += chunk
        result.text = result.text or job.partial
        return keep_answer(store, sent, result, lab, job, owner)
    return claimed(work, store, owner, chat_estimate(model, sent))


@dataclass
class PresetRow:
    preset: str
    answer: str
    tokens: str
    cost_usd: float = 0.0
    sent: list[Turn] = field(default_factory=list)  # the question (preset prompt and image) it answers
    answered_by: AnsweredBy | None = None  # None when it failed or came from a local engine


def presets_work(model: Any, turn: Turn, store: HistoryStore, lab: str, presets: dict[str, str] = PRESETS, *,
                 owner: str) -> Callable[[Job], list[PresetRow]]:
    """Lab 8's "run all nine": one answer per preset, each kept as it returns; a failure fills its row only."""
    def work(job: Job) -> list[PresetRow]:
        rows: list[PresetRow] = []
        for name, text in presets.items():
            sent = [Turn("user", text, turn.images)]
            try:
                outcome = keep_answer(store, sent, answer(model, sent), lab, job, owner)
                rows.append(PresetRow(name, outcome.text, f"{outcome.input_tokens}/{outcome.output_tokens}",
                                      outcome.cost_usd, sent=sent, answered_by=outcome.answered_by))
            except WorkshopError as err:
                rows.append(PresetRow(name, _("⚠️ {title}: {message}").format(title=_(err.title),
                                                                               message=err.message), ""))
            job.partial = list(rows)
        return rows
    estimate = sum(chat_estimate(model, [Turn("user", text, turn.images)]) for text in presets.values())
    return claimed(work, store, owner, estimate)
